//! Errors of the replication layer.

use rangedb_common::RangeId;

/// Why a replication-layer operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RaftLayerError {
    #[error("storage: {0}")]
    Storage(#[from] rangedb_storage::StorageError),
    #[error("range {0} is not hosted on this node")]
    RangeNotFound(RangeId),
    #[error("range {0} is not initialized on this node yet")]
    Uninitialized(RangeId),
    #[error("openraft: {0}")]
    Raft(String),
    #[error("malformed message: {0}")]
    Malformed(String),
}

/// Maps a storage failure into openraft's error (which stops the Raft group:
/// replicas must not diverge).
pub fn sto_err(
    subject: openraft::ErrorSubject<u64>,
    verb: openraft::ErrorVerb,
    e: impl std::error::Error + 'static,
) -> openraft::StorageError<u64> {
    openraft::StorageError::from(openraft::StorageIOError::new(
        subject,
        verb,
        openraft::AnyError::new(&e),
    ))
}
