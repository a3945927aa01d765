//! The transaction layer: distributed transactions over the KV layer with
//! Percolator-style two-phase commit under oracle timestamps, SERIALIZABLE
//! by default.
//!
//! * [`client`]: [`TxnClient`] starts transactions, tracks the running ones
//!   for garbage collection, and retries implicit transactions.
//! * [`transaction`]: one [`Transaction`]: snapshot reads, buffered writes,
//!   the commit protocol (one-phase fast path, two-phase otherwise).
//! * [`statement`]: statements of explicit transactions lock their writes
//!   when they end, and run again after a read refresh instead of aborting.
//! * [`resolver`]: what to do about another transaction's lock.
//! * [`error`]: [`TxnError`], which separates "restart the transaction"
//!   (SQLSTATE 40001) from everything else.
//!
//! The protocol's storage side lives in `rangedb_storage::txn`, its
//! replicated commands in `rangedb_raft`. Why it is serializable (and what
//! validation costs) is explained in `docs/transactions.md`.

pub mod client;
pub mod error;
pub mod resolver;
pub mod statement;
pub mod transaction;

pub use client::{Isolation, TxnBody, TxnClient, TxnConfig};
pub use error::{describe_cycle, TxnError};
pub use resolver::Resolution;
pub use statement::StatementEnd;
pub use transaction::{CrashPoint, ScanChunk, Transaction};
