//! Applies the transaction protocol's replicated steps to a range's state.
//!
//! Each outcome depends only on the engine's contents, the range's applied
//! state and the command, so every replica answers alike; conflicts are
//! answers (`CommandResponse::Txn(Err(..))`), storage failures are errors
//! that stop the node.

use crate::command::{CommandResponse, Rejection, TxnCommand, TxnOutcome};
use crate::error::sto_err;
use crate::state_machine::RangeState;
use crate::types::StorageError;
use openraft::{ErrorSubject, ErrorVerb};
use rangedb_common::{RangeDescriptor, Timestamp, TxnConflict};
use rangedb_storage::txn;
use rangedb_storage::{Batch, Engine};

fn invalid(reason: impl Into<String>) -> CommandResponse {
    CommandResponse::Rejected(Rejection::InvalidTxnCommand {
        reason: reason.into(),
    })
}

/// Whether a span ending at `end` reaches past the end of the range.
pub fn span_passes_end(end: &Option<Vec<u8>>, desc: &RangeDescriptor) -> bool {
    match (&desc.end_key, end) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(d), Some(e)) => e > d,
    }
}

/// Applies one transactional command; writes go to `batch`.
pub fn apply(
    engine: &dyn Engine,
    batch: &mut Batch,
    st: &mut RangeState,
    desc: &RangeDescriptor,
    cmd: TxnCommand,
) -> Result<CommandResponse, StorageError> {
    let werr = |e| sto_err(ErrorSubject::StateMachine, ErrorVerb::Write, e);
    let done = |r: Result<(), TxnConflict>| CommandResponse::Txn(r.map(|()| TxnOutcome::Done));
    let too_old = |ts: Timestamp, threshold: Timestamp| {
        CommandResponse::Txn(Err(TxnConflict::TooOld {
            ts,
            gc_threshold: threshold,
        }))
    };
    match cmd {
        TxnCommand::Prewrite {
            mutations,
            primary,
            start_ts,
            read_ts,
            ttl_ms,
            pessimistic,
        } => {
            if read_ts < start_ts {
                return Ok(invalid("read timestamp is before start timestamp"));
            }
            if start_ts < st.gc_threshold {
                return Ok(too_old(start_ts, st.gc_threshold));
            }
            let r = txn::prewrite(
                engine,
                batch,
                &mutations,
                &primary,
                start_ts,
                read_ts,
                ttl_ms,
                pessimistic,
            )
            .map_err(werr)?;
            Ok(done(r))
        }
        TxnCommand::Heartbeat {
            primary,
            start_ts,
            ttl_ms,
        } => {
            let r = txn::heartbeat(engine, batch, &primary, start_ts, ttl_ms).map_err(werr)?;
            Ok(done(r.map(|_| ())))
        }
        TxnCommand::CommitOnePhase {
            mutations,
            reads,
            start_ts,
            commit_ts,
        } => {
            if commit_ts <= start_ts {
                return Ok(invalid("commit timestamp is not after start timestamp"));
            }
            // A retry of a one-phase commit that already applied (its answer
            // was lost) must not validate again: it committed.
            if let Some(first) = mutations.first() {
                if let Some(ts) = txn::committed_at(engine, first.key(), start_ts).map_err(werr)? {
                    return Ok(CommandResponse::Txn(Ok(TxnOutcome::Committed(ts))));
                }
            }
            if start_ts < st.gc_threshold {
                return Ok(too_old(start_ts, st.gc_threshold));
            }
            // A scanned span reaching past this range (the coordinator's
            // cache predates a split) cannot be validated here: refuse, so
            // the coordinator re-cuts it, rather than validate a part.
            if let Some((start, _)) = reads.spans.iter().find(|(_, e)| span_passes_end(e, desc)) {
                return Ok(CommandResponse::Rejected(Rejection::KeyOutsideRange {
                    key: start.clone(),
                }));
            }
            // Span starts were checked against the range with every other
            // key of the command, and ends just above: the read set lies
            // inside the range.
            if let Err(c) =
                txn::validate_reads(engine, &reads, start_ts, start_ts, commit_ts).map_err(werr)?
            {
                return Ok(done(Err(c)));
            }
            let r = txn::commit_one_phase(engine, batch, &mutations, start_ts, commit_ts)
                .map_err(werr)?;
            Ok(CommandResponse::Txn(
                r.map(|()| TxnOutcome::Committed(commit_ts)),
            ))
        }
        TxnCommand::Commit {
            keys,
            start_ts,
            commit_ts,
        } => {
            if commit_ts <= start_ts {
                return Ok(invalid("commit timestamp is not after start timestamp"));
            }
            let r = txn::commit(engine, batch, &keys, start_ts, commit_ts).map_err(werr)?;
            Ok(done(r))
        }
        TxnCommand::Rollback { keys, start_ts } => {
            let r = txn::rollback(engine, batch, &keys, start_ts).map_err(werr)?;
            Ok(done(r))
        }
        TxnCommand::CheckStatus {
            primary,
            start_ts,
            now,
            rollback_if_missing,
        } => {
            let r =
                txn::check_txn_status(engine, batch, &primary, start_ts, now, rollback_if_missing)
                    .map_err(werr)?;
            Ok(CommandResponse::Txn(r.map(TxnOutcome::Status)))
        }
        TxnCommand::Gc {
            safe_point,
            deletions,
        } => {
            // Deletions name engine keys: every one must lie in the range's
            // span of the MVCC column families.
            let (start, end) =
                rangedb_storage::mvcc::mvcc_span(&desc.start_key, desc.end_key.as_deref());
            if let Some(d) = deletions
                .iter()
                .find(|d| d.key < start || end.as_ref().is_some_and(|e| d.key >= *e))
            {
                return Ok(CommandResponse::Rejected(Rejection::KeyOutsideRange {
                    key: d.key.clone(),
                }));
            }
            st.gc_threshold = st.gc_threshold.max(safe_point);
            txn::apply_gc(batch, &deletions);
            Ok(done(Ok(())))
        }
    }
}
