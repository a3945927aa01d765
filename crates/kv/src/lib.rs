//! The KV layer: a transactional-ready, range-partitioned key-value store.
//!
//! Server side (hosts and evaluates ranges):
//! * [`store`]: evaluates range requests on this node's replicas (linearizable
//!   reads through read-index, writes through Raft, splits).
//! * [`latches`]: leader-side latches that make one-phase commits safe.
//! * [`tso`]: the timestamp oracle served by the meta range's leader.
//! * [`meta`]: keeps the meta range in step with every range's descriptor.
//! * [`bootstrap`]: `init`, once per cluster.
//! * [`gc`]: background garbage collection of old versions below a safe point.
//! * [`service`]: the gRPC service every node serves.
//!
//! Client side (what layers above use):
//! * [`client`]: range cache, routing to leaders, retries, cross-range scans,
//!   batching of timestamp requests.
//! * [`resolve`]: resolving another transaction's lock from its primary.
//! * [`remote`]: a thin client that sends key-addressed requests to one node.

pub mod api;
pub mod bootstrap;
pub mod client;
pub mod deadlock;
pub mod gc;
pub mod latches;
pub mod lock_wait;
pub mod meta;
pub mod precheck;
pub mod remote;
pub mod resolve;
pub mod service;
pub mod store;
pub mod tso;

pub use api::{
    AdminRequest, AdminResponse, KvRequest, KvResponse, RangeInfo, RangeRequest, RangeResponse,
};
pub use client::KvClient;
/// The transaction protocol's vocabulary as the layers above see it: the
/// replicated steps and a read set. Re-exported so that the transaction layer
/// depends on the KV API only, not on the replication or storage crates.
pub use rangedb_raft::TxnCommand;
pub use rangedb_storage::txn::ReadSet;
pub use remote::{RemoteError, RemoteNode};
pub use service::NodeService;
pub use store::Store;
