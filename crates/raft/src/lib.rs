//! Replication layer: every range is one openraft group; a node hosts many.
//!
//! * [`types`]: the openraft type configuration (kept here so an openraft
//!   upgrade touches one crate).
//! * [`command`]: what a range's log contains and what applying it answers.
//! * [`log_store`]: each range's Raft log and vote in the shared engine.
//! * [`state_machine`]: applies commands to the range's MVCC data; builds and
//!   installs snapshots from/to the engine.
//! * [`network`]: the Raft transport over the one gRPC connection per peer.
//! * [`host`]: the multi-raft host that starts, creates and finds ranges.

// openraft's storage and network traits fix their error types
// (`StorageError`, `RPCError`), which are large; our helpers return the same
// types so that `?` works without conversions. Boxing them would only move
// the cost into every call site.
#![allow(clippy::result_large_err)]

pub mod command;
pub mod error;
pub mod host;
pub mod log_store;
pub mod network;
pub mod read_index;
pub mod state_machine;
mod txn_apply;
pub mod types;

pub use command::{Command, CommandResponse, Rejection, TxnCommand, TxnOutcome, WriteOp};
pub use error::RaftLayerError;
pub use host::{HostConfig, RaftHost, Replica, ReplicaError};
pub use txn_apply::span_passes_end;
pub use types::TypeConfig;

#[cfg(test)]
mod conformance_tests;
