//! Errors of the KV API that cross the network. They are data (serialisable)
//! so a node can forward them to the client that sent the request.

use crate::{NodeId, RangeId, TxnConflict};
use serde::{Deserialize, Serialize};

/// Why a KV request failed. Routing errors (`NotLeader`, `RangeNotFound`,
/// `KeyOutsideRange`) tell the client to refresh its range cache and retry;
/// the others are final for the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum KvError {
    #[error("node is not the leader of range {range_id} (leader hint: {leader:?})")]
    NotLeader {
        range_id: RangeId,
        leader: Option<NodeId>,
    },
    #[error("range {range_id} is not hosted on this node")]
    RangeNotFound { range_id: RangeId },
    #[error("key {key:?} is outside range {range_id}")]
    KeyOutsideRange { range_id: RangeId, key: Vec<u8> },
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("cluster is not initialized")]
    NotInitialized,
    #[error("cluster is already initialized (cluster id {0})")]
    AlreadyInitialized(String),
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("request timed out: {0}")]
    Timeout(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// A transactional command was refused; the transaction layer decides
    /// whether to resolve a lock, wait, or restart.
    #[error("{0}")]
    Txn(TxnConflict),
}

impl KvError {
    /// Whether the client should refresh routing information and try again.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            KvError::NotLeader { .. }
                | KvError::RangeNotFound { .. }
                | KvError::KeyOutsideRange { .. }
                | KvError::Unavailable(_)
        )
    }
}
