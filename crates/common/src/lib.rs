//! Vocabulary shared by every layer of rangedb: keys and their order-preserving
//! encoding, timestamps, identifiers, range descriptors and the routing errors
//! that cross the network.
//!
//! Nothing here knows about Raft, RocksDB or SQL; it exists so that those
//! layers agree on the meaning of bytes without depending on each other.

pub mod error;
pub mod keys;
pub mod range;
pub mod row_filter;
pub mod timestamp;
pub mod txn;

pub use error::KvError;
pub use range::{RangeDescriptor, ReplicaDescriptor};
pub use row_filter::{RowFilter, RowPredicate};
pub use timestamp::Timestamp;
pub use txn::{LockInfo, Mutation, TxnConflict, TxnStatus};

/// A node's identity in the cluster; stable across restarts (given by `--node-id`).
pub type NodeId = u64;

/// A range's identity; never reused, so stale routing can always be detected.
pub type RangeId = u64;

/// The meta range: always range 1, it holds every range descriptor and the
/// timestamp oracle's high-water mark.
pub const META_RANGE_ID: RangeId = 1;
