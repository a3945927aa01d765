//! The commands a range's Raft log carries and the answers applying them
//! gives. Applying is deterministic: every replica computes the same answer
//! from the same state, so business outcomes (a key outside the range, a bad
//! split key) are answers, never errors.

use rangedb_common::{Mutation, RangeDescriptor, RangeId, Timestamp, TxnConflict, TxnStatus};
use rangedb_storage::txn::{GcDeletion, ReadSet};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One versioned write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WriteOp {
    Put {
        key: Vec<u8>,
        value: Vec<u8>,
        ts: Timestamp,
    },
    Delete {
        key: Vec<u8>,
        ts: Timestamp,
    },
}

impl WriteOp {
    /// The user key written.
    pub fn key(&self) -> &[u8] {
        match self {
            WriteOp::Put { key, .. } | WriteOp::Delete { key, .. } => key,
        }
    }
}

/// A replicated command of one range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// Versioned writes applied atomically; every key must be in the range.
    Write { ops: Vec<WriteOp> },
    /// Splits the range at `split_key`: this range keeps `[start, split_key)`
    /// and a new range `new_range_id` with the same replicas takes the rest.
    Split {
        split_key: Vec<u8>,
        new_range_id: RangeId,
    },
    /// Meta range only: raises the timestamp oracle's persisted high-water mark.
    TsoAdvance { hwm: Timestamp },
    /// Meta range only: stores a descriptor unless a newer generation is there.
    MetaUpsert { desc: RangeDescriptor },
    /// Meta range only: allocates a fresh range id.
    AllocRangeId,
    /// A step of the transaction protocol on this range's keys.
    Txn(TxnCommand),
}

/// The replicated steps of the Percolator protocol (see `storage::txn`).
/// Every key a command names must lie in the range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TxnCommand {
    /// Lock and stage `mutations` for the transaction `start_ts`, whose
    /// reads are valid as of `read_ts` (`>= start_ts`): another
    /// transaction's version committed after `read_ts` is a conflict.
    /// `pessimistic`: a statement's lock, taken before the commit (readers
    /// may pass it; see `rangedb_storage::txn::Lock`).
    Prewrite {
        mutations: Vec<Mutation>,
        primary: Vec<u8>,
        start_ts: Timestamp,
        read_ts: Timestamp,
        ttl_ms: u64,
        pessimistic: bool,
    },
    /// The one-phase fast path: validate `reads` (serializable; empty for
    /// snapshot isolation) and write `mutations` committed at `commit_ts`,
    /// all in this one log entry.
    CommitOnePhase {
        mutations: Vec<Mutation>,
        reads: ReadSet,
        start_ts: Timestamp,
        commit_ts: Timestamp,
    },
    /// Turn the transaction's locks on `keys` into versions at `commit_ts`.
    Commit {
        keys: Vec<Vec<u8>>,
        start_ts: Timestamp,
        commit_ts: Timestamp,
    },
    /// Remove the transaction's locks on `keys` and fence them.
    Rollback {
        keys: Vec<Vec<u8>>,
        start_ts: Timestamp,
    },
    /// Decide the transaction's fate from its primary key at oracle time `now`.
    CheckStatus {
        primary: Vec<u8>,
        start_ts: Timestamp,
        now: Timestamp,
        rollback_if_missing: bool,
    },
    /// Keep the transaction alive: raise its primary lock's TTL to at least
    /// `ttl_ms` (counted from `start_ts`'s physical time).
    Heartbeat {
        primary: Vec<u8>,
        start_ts: Timestamp,
        ttl_ms: u64,
    },
    /// Garbage collection: raise the range's GC threshold to `safe_point`
    /// and delete versions planned below it.
    Gc {
        safe_point: Timestamp,
        deletions: Vec<GcDeletion>,
    },
}

impl TxnCommand {
    /// Every user key the command touches (GC deletions name engine keys and
    /// are checked by the planner instead).
    pub fn keys(&self) -> Vec<&[u8]> {
        match self {
            // The primary may live in another range; only the mutations must be here.
            TxnCommand::Prewrite { mutations, .. } => mutations.iter().map(|m| m.key()).collect(),
            TxnCommand::CommitOnePhase {
                mutations, reads, ..
            } => mutations
                .iter()
                .map(|m| m.key())
                .chain(reads.keys.iter().map(|k| k.as_slice()))
                .chain(reads.spans.iter().map(|(s, _)| s.as_slice()))
                .collect(),
            TxnCommand::Commit { keys, .. } | TxnCommand::Rollback { keys, .. } => {
                keys.iter().map(|k| k.as_slice()).collect()
            }
            TxnCommand::CheckStatus { primary, .. } | TxnCommand::Heartbeat { primary, .. } => {
                vec![primary.as_slice()]
            }
            TxnCommand::Gc { .. } => Vec::new(),
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Write { ops } => write!(f, "write({} ops)", ops.len()),
            Command::Split { new_range_id, .. } => write!(f, "split(new r{new_range_id})"),
            Command::TsoAdvance { hwm } => write!(f, "tso-advance({hwm})"),
            Command::MetaUpsert { desc } => write!(f, "meta-upsert({desc})"),
            Command::AllocRangeId => write!(f, "alloc-range-id"),
            Command::Txn(t) => match t {
                TxnCommand::Prewrite {
                    mutations,
                    start_ts,
                    ..
                } => {
                    write!(f, "prewrite({} keys, start {start_ts})", mutations.len())
                }
                TxnCommand::CommitOnePhase {
                    mutations,
                    start_ts,
                    commit_ts,
                    ..
                } => write!(
                    f,
                    "commit-1pc({} keys, start {start_ts}, commit {commit_ts})",
                    mutations.len()
                ),
                TxnCommand::Commit {
                    keys,
                    start_ts,
                    commit_ts,
                } => write!(
                    f,
                    "commit({} keys, start {start_ts}, commit {commit_ts})",
                    keys.len()
                ),
                TxnCommand::Rollback { keys, start_ts } => {
                    write!(f, "rollback({} keys, start {start_ts})", keys.len())
                }
                TxnCommand::CheckStatus { start_ts, .. } => {
                    write!(f, "check-status(start {start_ts})")
                }
                TxnCommand::Heartbeat {
                    start_ts, ttl_ms, ..
                } => write!(f, "heartbeat(start {start_ts}, ttl {ttl_ms} ms)"),
                TxnCommand::Gc {
                    safe_point,
                    deletions,
                } => {
                    write!(f, "gc({} deletions below {safe_point})", deletions.len())
                }
            },
        }
    }
}

/// Why a command was refused (identically on every replica).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rejection {
    KeyOutsideRange {
        key: Vec<u8>,
    },
    BadSplitKey {
        key: Vec<u8>,
    },
    NotMetaRange,
    Uninitialized,
    /// A transactional command that can never be valid (e.g. a commit
    /// timestamp not after the start timestamp).
    InvalidTxnCommand {
        reason: String,
    },
}

/// The answer of applying one log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum CommandResponse {
    /// Blank and membership entries, and successful writes.
    #[default]
    Applied,
    Rejected(Rejection),
    Split {
        left: RangeDescriptor,
        right: RangeDescriptor,
    },
    /// The persisted high-water mark after a `TsoAdvance`.
    Tso {
        hwm: Timestamp,
    },
    /// Whether a `MetaUpsert` replaced the stored descriptor.
    MetaUpserted {
        written: bool,
    },
    RangeId(RangeId),
    /// The outcome of a transactional step: done, or the conflict that refused it.
    Txn(Result<TxnOutcome, TxnConflict>),
}

/// What a successful transactional step reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TxnOutcome {
    Done,
    Status(TxnStatus),
    /// A one-phase commit is committed at this timestamp (the original one
    /// when a retry finds it already applied).
    Committed(Timestamp),
}
