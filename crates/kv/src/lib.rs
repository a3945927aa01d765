//! The KV layer: a transactional-ready, range-partitioned key-value store.
//!
//! Server side (hosts and evaluates ranges):
//! * [`store`]: evaluates range requests on this node's replicas (linearizable
//!   reads through read-index, writes through Raft, splits).
//! * [`tso`]: the timestamp oracle served by the meta range's leader.
//! * [`meta`]: keeps the meta range in step with every range's descriptor.
//! * [`bootstrap`]: `init`, once per cluster.
//! * [`service`]: the gRPC service every node serves.
//!
//! Client side (what layers above use):
//! * [`client`]: range cache, routing to leaders, retries, cross-range scans,
//!   batching of timestamp requests.
//! * [`remote`]: a thin client that sends key-addressed requests to one node.

pub mod api;
pub mod bootstrap;
pub mod client;
pub mod meta;
pub mod remote;
pub mod service;
pub mod store;
pub mod tso;

pub use api::{
    AdminRequest, AdminResponse, KvRequest, KvResponse, RangeInfo, RangeRequest, RangeResponse,
};
pub use client::KvClient;
pub use remote::{RemoteError, RemoteNode};
pub use service::NodeService;
pub use store::Store;
