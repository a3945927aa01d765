//! Vocabulary of the Percolator-style transaction protocol shared by the
//! storage, replication, KV and transaction layers: what a transaction
//! writes, what a lock says, and the deterministic outcomes that applying a
//! transactional command can have on a replica.

use crate::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One buffered write of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mutation {
    Put { key: Vec<u8>, value: Vec<u8> },
    Delete { key: Vec<u8> },
}

impl Mutation {
    /// The key written.
    pub fn key(&self) -> &[u8] {
        match self {
            Mutation::Put { key, .. } | Mutation::Delete { key } => key,
        }
    }
}

/// A lock found in the way of a read or a write: enough for the finder to
/// ask the owner's primary key what became of the transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// The locked key.
    pub key: Vec<u8>,
    /// The owner's primary key: its lock (or commit record) decides the owner's fate.
    pub primary: Vec<u8>,
    /// The owner's start timestamp (its identity).
    pub start_ts: Timestamp,
    /// How long after `start_ts` (physical milliseconds) the owner may be
    /// presumed dead if its primary is still locked.
    pub ttl_ms: u64,
}

impl LockInfo {
    /// Whether, at oracle time `now`, the lock's owner may be presumed dead.
    pub fn expired_at(&self, now: Timestamp) -> bool {
        now.physical_ms() >= self.start_ts.physical_ms().saturating_add(self.ttl_ms)
    }
}

/// What became of a transaction, as decided by its primary key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TxnStatus {
    /// Still running: the primary is locked and its TTL has not expired.
    Locked { ttl_ms: u64 },
    /// Committed at this timestamp: every secondary rolls forward.
    Committed { commit_ts: Timestamp },
    /// Rolled back (or never prewrote its primary): every secondary rolls back.
    RolledBack,
}

/// Why a transactional command was refused. These are deterministic: every
/// replica computes the same one from the same state, so they travel as
/// answers of the Raft log, never as storage errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TxnConflict {
    /// Another transaction's lock is in the way.
    Locked(LockInfo),
    /// A write committed at `commit_ts`, after the transaction's start, on `key`.
    WriteConflict { key: Vec<u8>, commit_ts: Timestamp },
    /// A key the transaction read or scanned changed (or got locked) after it
    /// started: committing would not be serializable.
    ReadConflict { key: Vec<u8> },
    /// The transaction was rolled back (by a lock resolver, after its TTL).
    Aborted { key: Vec<u8> },
    /// Asked to roll back a transaction that has already committed.
    AlreadyCommitted { key: Vec<u8>, commit_ts: Timestamp },
    /// Asked to read below the garbage collection threshold: the versions it
    /// would need may be gone.
    TooOld {
        ts: Timestamp,
        gc_threshold: Timestamp,
    },
}

impl TxnConflict {
    /// Whether restarting the transaction (new start timestamp) may succeed.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, TxnConflict::AlreadyCommitted { .. })
    }
}

impl fmt::Display for TxnConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = |k: &[u8]| crate::keys::PrettyKey(k).to_string();
        match self {
            TxnConflict::Locked(l) => write!(
                f,
                "key {} is locked by the transaction started at {}",
                k(&l.key),
                l.start_ts
            ),
            TxnConflict::WriteConflict { key, commit_ts } => write!(
                f,
                "write conflict on key {}: a write committed at {commit_ts}",
                k(key)
            ),
            TxnConflict::ReadConflict { key } => write!(
                f,
                "read of key {} is no longer valid: it changed after the transaction started",
                k(key)
            ),
            TxnConflict::Aborted { key } => {
                write!(f, "transaction was rolled back (seen at key {})", k(key))
            }
            TxnConflict::AlreadyCommitted { key, commit_ts } => write!(
                f,
                "transaction already committed at {commit_ts} (seen at key {})",
                k(key)
            ),
            TxnConflict::TooOld { ts, gc_threshold } => write!(
                f,
                "read timestamp {ts} is below the garbage collection threshold {gc_threshold}"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_expiry_counts_physical_milliseconds_from_start() {
        let l = LockInfo {
            key: b"k".to_vec(),
            primary: b"p".to_vec(),
            start_ts: Timestamp::new(1_000, 7),
            ttl_ms: 500,
        };
        assert!(!l.expired_at(Timestamp::new(1_499, 999)));
        assert!(l.expired_at(Timestamp::new(1_500, 0)));
    }
}
