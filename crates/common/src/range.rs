//! Range descriptors: which span of the keyspace a range owns and where its
//! replicas live.

use crate::keys::PrettyKey;
use crate::{NodeId, RangeId};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where one replica of a range lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaDescriptor {
    pub node_id: NodeId,
    /// The node's RPC address (`host:port`).
    pub addr: String,
}

/// A range `[start_key, end_key)` and its replicas. The generation is bumped
/// by every split so that a newer descriptor always wins over a stale one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeDescriptor {
    pub range_id: RangeId,
    pub start_key: Vec<u8>,
    /// `None` means the range extends to the end of the keyspace.
    pub end_key: Option<Vec<u8>>,
    pub generation: u64,
    pub replicas: Vec<ReplicaDescriptor>,
}

impl RangeDescriptor {
    /// Whether `key` falls inside `[start_key, end_key)`.
    pub fn contains(&self, key: &[u8]) -> bool {
        key >= self.start_key.as_slice() && self.end_key.as_deref().is_none_or(|end| key < end)
    }

    /// Whether `key` is a legal split point: strictly inside the range.
    pub fn can_split_at(&self, key: &[u8]) -> bool {
        key > self.start_key.as_slice() && self.contains(key)
    }

    /// The replica on `node_id`, if any.
    pub fn replica(&self, node_id: NodeId) -> Option<&ReplicaDescriptor> {
        self.replicas.iter().find(|r| r.node_id == node_id)
    }

    /// Renders the span as `[start, end)` for logs and debug output.
    pub fn span(&self) -> String {
        match &self.end_key {
            Some(e) => format!("[{}, {})", PrettyKey(&self.start_key), PrettyKey(e)),
            None => format!("[{}, /max)", PrettyKey(&self.start_key)),
        }
    }
}

impl fmt::Display for RangeDescriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<String> = self
            .replicas
            .iter()
            .map(|r| r.node_id.to_string())
            .collect();
        write!(
            f,
            "r{} {} gen={} replicas={}",
            self.range_id,
            self.span(),
            self.generation,
            ids.join(",")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc(start: &[u8], end: Option<&[u8]>) -> RangeDescriptor {
        RangeDescriptor {
            range_id: 7,
            start_key: start.to_vec(),
            end_key: end.map(|e| e.to_vec()),
            generation: 0,
            replicas: vec![],
        }
    }

    #[test]
    fn contains_is_half_open() {
        let d = desc(b"b", Some(b"d"));
        assert!(!d.contains(b"a"));
        assert!(d.contains(b"b"));
        assert!(d.contains(b"c\xff"));
        assert!(!d.contains(b"d"));
        assert!(desc(b"b", None).contains(b"\xff\xff\xff"));
        assert!(!d.can_split_at(b"b"));
        assert!(d.can_split_at(b"c"));
        assert!(!d.can_split_at(b"d"));
    }
}
