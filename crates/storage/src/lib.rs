//! Storage layer: one key-value engine per node, shared by all ranges.
//!
//! * [`engine`]: the [`Engine`] trait with two implementations, RocksDB
//!   ([`RocksEngine`], the only code that touches the `rocksdb` crate) and an
//!   in-memory one ([`MemEngine`]) that makes the layers above cheap to test.
//! * [`mvcc`]: versioned reads and writes over the Percolator column families.
//! * [`txn`]: the Percolator protocol steps (prewrite, commit, rollback,
//!   transaction status, serializable validation, GC) on one replica.
//! * [`raft_keys`]: where each range's Raft log and hard state live.
//! * [`group_commit`]: batches synced writes from many ranges behind one fsync.

pub mod engine;
pub mod error;
pub mod group_commit;
pub mod mem;
pub mod mvcc;
pub mod raft_keys;
pub mod rocks;
pub mod txn;

pub use engine::{Batch, BatchOp, Cf, Engine};
pub use error::StorageError;
pub use group_commit::GroupCommitter;
pub use mem::MemEngine;
pub use rocks::RocksEngine;
