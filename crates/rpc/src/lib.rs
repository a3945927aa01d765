//! The gRPC envelope shared by every inter-node exchange (generated from
//! `proto/rangedb.proto`). Kept in its own crate so the Raft transport and the
//! KV service agree on one service definition without depending on each other.

#![allow(clippy::all, missing_docs)]

/// Generated protobuf messages and the `Node` service client and server.
pub mod pb {
    tonic::include_proto!("rangedb.v1");
}

pub use pb::node_client::NodeClient;
pub use pb::node_server::{Node, NodeServer};
pub use pb::{Payload, RaftMessage, RangeMessage};

/// Raft message kinds carried in [`RaftMessage::kind`].
pub mod raft_kind {
    /// AppendEntries (also heartbeats).
    pub const APPEND_ENTRIES: u32 = 1;
    /// RequestVote.
    pub const VOTE: u32 = 2;
    /// One chunk of InstallSnapshot.
    pub const INSTALL_SNAPSHOT: u32 = 3;
}

pub mod pool;
pub use pool::ConnPool;
