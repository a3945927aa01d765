//! Errors of the storage layer.

/// A failure of the storage engine. Any of these while applying a Raft
/// command stops the node (replicas must never diverge).
#[derive(Debug, Clone, thiserror::Error)]
pub enum StorageError {
    #[error("rocksdb: {0}")]
    Rocks(String),
    #[error("corrupt data at {what}: {detail}")]
    Corrupt { what: &'static str, detail: String },
    #[error("codec: {0}")]
    Codec(String),
    #[error("storage engine closed")]
    Closed,
}

impl From<bincode::Error> for StorageError {
    fn from(e: bincode::Error) -> Self {
        StorageError::Codec(e.to_string())
    }
}

/// Result alias for the storage layer.
pub type Result<T> = std::result::Result<T, StorageError>;
