//! The commands a range's Raft log carries and the answers applying them
//! gives. Applying is deterministic: every replica computes the same answer
//! from the same state, so business outcomes (a key outside the range, a bad
//! split key) are answers, never errors.

use rangedb_common::{RangeDescriptor, RangeId, Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One versioned write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WriteOp {
    Put {
        key: Vec<u8>,
        value: Vec<u8>,
        ts: Timestamp,
    },
    Delete {
        key: Vec<u8>,
        ts: Timestamp,
    },
}

impl WriteOp {
    /// The user key written.
    pub fn key(&self) -> &[u8] {
        match self {
            WriteOp::Put { key, .. } | WriteOp::Delete { key, .. } => key,
        }
    }
}

/// A replicated command of one range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// Versioned writes applied atomically; every key must be in the range.
    Write { ops: Vec<WriteOp> },
    /// Splits the range at `split_key`: this range keeps `[start, split_key)`
    /// and a new range `new_range_id` with the same replicas takes the rest.
    Split {
        split_key: Vec<u8>,
        new_range_id: RangeId,
    },
    /// Meta range only: raises the timestamp oracle's persisted high-water mark.
    TsoAdvance { hwm: Timestamp },
    /// Meta range only: stores a descriptor unless a newer generation is there.
    MetaUpsert { desc: RangeDescriptor },
    /// Meta range only: allocates a fresh range id.
    AllocRangeId,
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Write { ops } => write!(f, "write({} ops)", ops.len()),
            Command::Split { new_range_id, .. } => write!(f, "split(new r{new_range_id})"),
            Command::TsoAdvance { hwm } => write!(f, "tso-advance({hwm})"),
            Command::MetaUpsert { desc } => write!(f, "meta-upsert({desc})"),
            Command::AllocRangeId => write!(f, "alloc-range-id"),
        }
    }
}

/// Why a command was refused (identically on every replica).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rejection {
    KeyOutsideRange { key: Vec<u8> },
    BadSplitKey { key: Vec<u8> },
    NotMetaRange,
    Uninitialized,
}

/// The answer of applying one log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum CommandResponse {
    /// Blank and membership entries, and successful writes.
    #[default]
    Applied,
    Rejected(Rejection),
    Split {
        left: RangeDescriptor,
        right: RangeDescriptor,
    },
    /// The persisted high-water mark after a `TsoAdvance`.
    Tso {
        hwm: Timestamp,
    },
    /// Whether a `MetaUpsert` replaced the stored descriptor.
    MetaUpserted {
        written: bool,
    },
    RangeId(RangeId),
}
