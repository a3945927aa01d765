//! Answers a range's leader can give from its applied state, without a Raft
//! write.
//!
//! Some transactional commands often decide nothing: a status check that
//! finds the owner alive, a prewrite refused because of a lock or a newer
//! version. Proposing them costs a log append, an fsync on a quorum and an
//! apply, only to answer what the leader could read already. These checks
//! read the leader's applied state first and answer at once when the answer
//! cannot be wrong in a way that matters: a decision that is permanent once
//! applied (a committed version, a rollback marker), or "locked", which may
//! be stale (the lock is released by an entry not yet applied here) but then
//! only makes the caller wait for a lock that is gone and try again. Every
//! decision that changes state still goes through the log.

use rangedb_common::{KvError, Mutation, NodeId, Timestamp, TxnConflict, TxnStatus};
use rangedb_raft::{Replica, TxnCommand};

use crate::api::RangeResponse;
use rangedb_storage::{txn, Engine};

/// Fails unless this node leads `replica`'s range as far as it knows and the
/// range holds every one of `keys`, so that a request routed with a stale
/// cache is sent again to the right place instead of being answered from
/// data this range does not own (all of a node's ranges share one engine).
pub(crate) fn check_serves<'a>(
    replica: &Replica,
    me: NodeId,
    keys: impl IntoIterator<Item = &'a [u8]>,
) -> Result<(), KvError> {
    let range_id = replica.range_id;
    let leader = replica.leader();
    if leader != Some(me) {
        return Err(KvError::NotLeader { range_id, leader });
    }
    let desc = replica
        .state()
        .descriptor
        .ok_or(KvError::RangeNotFound { range_id })?;
    if let Some(key) = keys.into_iter().find(|k| !desc.contains(k)) {
        return Err(KvError::KeyOutsideRange {
            range_id,
            key: key.to_vec(),
        });
    }
    Ok(())
}

pub(crate) fn storage_error(e: rangedb_storage::StorageError) -> KvError {
    KvError::Internal(e.to_string())
}

/// The leader's answer to `cmd` from its applied state: `Ok(Some)` for a
/// status check that finds the owner alive, `Err` for a prewrite that would
/// be refused, `Ok(None)` when the command must be proposed.
pub fn answer_from_applied_state(
    replica: &Replica,
    engine: &dyn Engine,
    me: NodeId,
    cmd: &TxnCommand,
) -> Result<Option<RangeResponse>, KvError> {
    match cmd {
        TxnCommand::CheckStatus {
            primary,
            start_ts,
            now,
            ..
        } => Ok(alive_status(replica, engine, me, primary, *start_ts, *now)?
            .map(RangeResponse::TxnStatus)),
        TxnCommand::Prewrite {
            mutations,
            start_ts,
            read_ts,
            ..
        } => match prewrite_conflict(replica, engine, me, mutations, *start_ts, *read_ts)? {
            Some(conflict) => {
                metrics::counter!("rangedb_kv_prechecked_refusals_total").increment(1);
                Err(KvError::Txn(conflict))
            }
            None => Ok(None),
        },
        _ => Ok(None),
    }
}

/// The answer to a status check that needs no Raft write: the owner's lock
/// on its primary is present and alive at `now`, so the check would decide
/// nothing. `None` when the replicated check must run (the primary is
/// committed, rolled back, expired or not written yet).
fn alive_status(
    replica: &Replica,
    engine: &dyn Engine,
    me: NodeId,
    primary: &[u8],
    start_ts: Timestamp,
    now: Timestamp,
) -> Result<Option<TxnStatus>, KvError> {
    if check_serves(replica, me, [primary]).is_err() {
        // Let the replicated path give the precise refusal.
        return Ok(None);
    }
    Ok(txn::load_lock(engine, primary)
        .map_err(storage_error)?
        .filter(|l| l.start_ts == start_ts && !l.info(primary).expired_at(now))
        .map(|l| TxnStatus::Locked { ttl_ms: l.ttl_ms }))
}

/// The conflict a prewrite of `mutations` would be refused with, judged from
/// the applied state (see [`txn::prewrite_conflict`]); `None` when it must
/// be proposed.
fn prewrite_conflict(
    replica: &Replica,
    engine: &dyn Engine,
    me: NodeId,
    mutations: &[Mutation],
    start_ts: Timestamp,
    read_ts: Timestamp,
) -> Result<Option<TxnConflict>, KvError> {
    if check_serves(replica, me, mutations.iter().map(|m| m.key())).is_err() {
        return Ok(None);
    }
    txn::prewrite_conflict(engine, mutations, start_ts, read_ts).map_err(storage_error)
}
