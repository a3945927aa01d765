//! Filters and projections that run next to the data.
//!
//! A scan request may carry a *program*: bytes the KV layer does not
//! interpret (nothing below the SQL layer knows what a row is). The node
//! registers the layer that writes those programs as the [`RowFilter`] that
//! runs them, so a range's leader drops non-matching rows, and the parts of
//! rows the query does not use, before they cross the network, the way
//! TiKV's coprocessor or CockroachDB's leaseholder-side processors do. A
//! program may only ever drop rows that certainly do not match: the caller
//! evaluates its predicate again on what it receives, so a program that
//! cannot run (an unknown format, an evaluation error) keeps every row.

/// Runs scan filter programs (registered by the node at start).
pub trait RowFilter: Send + Sync {
    /// Prepares `program` for one batch of rows; `None` when it cannot run
    /// here, in which case every row is kept.
    fn prepare(&self, program: &[u8]) -> Option<Box<dyn RowPredicate>>;
}

/// A prepared filter program.
pub trait RowPredicate: Send {
    /// The value to return for the row `(key, value)`: `None` only if the
    /// row certainly does not match; otherwise the value itself or the
    /// smaller form the program asked for (a projection).
    fn process(&mut self, key: &[u8], value: Vec<u8>) -> Option<Vec<u8>>;
}
