//! The openraft type configuration of every range.

use crate::command::{Command, CommandResponse};
use std::io::Cursor;

openraft::declare_raft_types!(
    /// Type configuration shared by all ranges' Raft groups.
    pub TypeConfig:
        D = Command,
        R = CommandResponse,
        NodeId = u64,
        Node = openraft::BasicNode,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = openraft::TokioRuntime,
);

/// A log id of our configuration.
pub type LogId = openraft::LogId<u64>;
/// A membership with its log id.
pub type StoredMembership = openraft::StoredMembership<u64, openraft::BasicNode>;
/// openraft's storage error for our node id type.
pub type StorageError = openraft::StorageError<u64>;
/// A Raft instance of one range.
pub type Raft = openraft::Raft<TypeConfig>;

/// Log index at which a range created by bootstrap or split starts: its
/// initial state counts as an already-applied, already-purged prefix, so a
/// replica that has none of the range's data cannot catch up from the log and
/// must receive a snapshot (the trick CockroachDB uses for the same reason).
pub const INITIAL_LOG_INDEX: u64 = 10;

/// The log id of a range's initial state.
pub fn initial_log_id() -> LogId {
    openraft::LogId::new(openraft::CommittedLeaderId::new(0, 0), INITIAL_LOG_INDEX)
}
