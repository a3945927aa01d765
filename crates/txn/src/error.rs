//! Errors of the transaction layer.

use rangedb_common::{KvError, Timestamp, TxnConflict};

/// Why a transaction (or one of its statements) failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxnError {
    /// A conflict with another transaction: the transaction was rolled back
    /// and running it again from the start may succeed. The SQL layer reports
    /// it as SQLSTATE 40001 (serialization_failure).
    #[error("restart transaction: {0}")]
    Retryable(TxnConflict),
    /// The commit was sent but its outcome could not be learned (the
    /// primary key's range was unreachable). The transaction may or may not
    /// have committed; SQLSTATE 40003 (statement_completion_unknown).
    #[error("result of the commit is unknown: {0}")]
    CommitUnknown(String),
    /// Waiting for a lock would have closed a cycle of transactions each
    /// waiting for the next (`cycle`: this transaction's start timestamp
    /// first, then whom each waits for). This transaction gives way so the
    /// others can go on; SQLSTATE 40P01 (deadlock_detected).
    #[error("deadlock detected: {}", describe_cycle(.cycle))]
    Deadlock { cycle: Vec<Timestamp> },
    /// The transaction was already committed or rolled back.
    #[error("transaction is already finished")]
    Finished,
    /// A key or request the KV layer refused (not retryable by restarting).
    #[error(transparent)]
    Kv(KvError),
}

impl TxnError {
    /// Whether restarting the whole transaction may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, TxnError::Retryable(_) | TxnError::Deadlock { .. })
    }
}

/// "transaction started at A waits for transaction started at B; B waits
/// for A": who waits for whom, as PostgreSQL's detail lists the processes.
pub fn describe_cycle(cycle: &[Timestamp]) -> String {
    let Some(first) = cycle.first() else {
        return String::new();
    };
    let steps: Vec<String> = cycle
        .iter()
        .zip(cycle.iter().skip(1).chain(std::iter::once(first)))
        .map(|(waiter, holder)| {
            format!("transaction started at {waiter} waits for transaction started at {holder}")
        })
        .collect();
    steps.join("; ")
}

impl From<KvError> for TxnError {
    fn from(e: KvError) -> Self {
        match e {
            KvError::Txn(c) if c.is_retryable() => TxnError::Retryable(c),
            other => TxnError::Kv(other),
        }
    }
}
