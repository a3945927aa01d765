//! Requests and responses of the KV layer, as they travel between nodes
//! (bincode inside the gRPC envelope of `rangedb-rpc`).

use rangedb_common::{NodeId, RangeDescriptor, RangeId, Timestamp, TxnStatus};
use rangedb_raft::{TxnCommand, WriteOp};
use rangedb_storage::txn::ReadSet;
use serde::{Deserialize, Serialize};

/// A request for one range, served by its leader.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum RangeRequest {
    /// Linearizable read of one key as of `ts`.
    Get { key: Vec<u8>, ts: Timestamp },
    /// Linearizable read of up to `limit` keys of `[start, end)` ∩ range.
    Scan {
        start: Vec<u8>,
        end: Option<Vec<u8>>,
        ts: Timestamp,
        limit: u32,
    },
    /// Versioned writes, applied atomically (all keys in this range).
    Write { ops: Vec<WriteOp> },
    /// Split this range at `split_key`.
    Split { split_key: Vec<u8> },
    /// Meta range only: `count` fresh timestamps.
    TsoAlloc { count: u32 },
    /// Meta range only: a fresh range id.
    AllocRangeId,
    /// Meta range only: record a descriptor.
    MetaUpsert { desc: RangeDescriptor },
    /// Transactional read of one key as of `ts` by the transaction that
    /// started at `owner`: refused with a `Locked` conflict if another
    /// transaction's lock may hide a version at or below `ts`.
    TxnGet {
        key: Vec<u8>,
        ts: Timestamp,
        owner: Timestamp,
    },
    /// Transactional scan of `[start, end)` ∩ range as of `ts` by the
    /// transaction that started at `owner`. With a `filter` program (see
    /// `rangedb_common::row_filter`) the leader examines up to `limit` rows
    /// and answers `FilteredRows` with those the filter keeps.
    TxnScan {
        start: Vec<u8>,
        end: Option<Vec<u8>>,
        ts: Timestamp,
        owner: Timestamp,
        limit: u32,
        filter: Option<Vec<u8>>,
    },
    /// Validation of the part of a read set in this range for the
    /// transaction that started at `start_ts`: nothing another transaction
    /// committed in `(from_ts, commit_ts]` and no foreign lock. Serializable
    /// commits validate from the read timestamp to the commit timestamp; a
    /// read refresh validates from the old read timestamp to the new one.
    ValidateReads {
        reads: ReadSet,
        start_ts: Timestamp,
        from_ts: Timestamp,
        commit_ts: Timestamp,
    },
    /// The one-phase fast path: the leader latches the keys, takes a commit
    /// timestamp from the oracle and commits `mutations` (all in this range)
    /// in one Raft write after validating `reads` (this range's part of a
    /// serializable read set; empty for snapshot isolation).
    CommitOnePhase {
        mutations: Vec<rangedb_common::Mutation>,
        reads: ReadSet,
        start_ts: Timestamp,
    },
    /// Garbage collection's first phase: resolve every lock in this range
    /// of a transaction that started at or before `ts`.
    ResolveLocksBelow { ts: Timestamp },
    /// A replicated step of the transaction protocol (not `CommitOnePhase`,
    /// whose commit timestamp only the leader may choose).
    Txn(TxnCommand),
    /// Meta range only: the transaction that started at `waiter` is about
    /// to wait for the lock of the one that started at `holder` (see
    /// [`crate::deadlock`]). Answered `WaitVerdict`.
    WaitFor {
        waiter: Timestamp,
        holder: Timestamp,
    },
    /// Meta range only: `waiter` no longer waits.
    WaitEnded { waiter: Timestamp },
    /// Waits (at most `wait_ms`, capped at [`MAX_LOCK_WAIT_MS`]) until the
    /// lock of the transaction that started at `owner` on `key` is gone,
    /// then answers `LockWaitEnded`. A writer that met a live lock sends
    /// this instead of sleeping, so it learns of the release as soon as the
    /// leader applies it. Changes nothing.
    WaitForLockRelease {
        key: Vec<u8>,
        owner: Timestamp,
        wait_ms: u32,
    },
}

/// The longest one `WaitForLockRelease` waits; a waiter that needs longer
/// asks again (and re-checks the owner's status in between).
pub const MAX_LOCK_WAIT_MS: u32 = 2_000;

/// The answer to a [`RangeRequest`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum RangeResponse {
    Value(Option<Vec<u8>>),
    /// Rows found, and the end of the range that served them (so a scan
    /// knows where the next range begins).
    Rows {
        rows: Vec<(Vec<u8>, Vec<u8>)>,
        range_end: Option<Vec<u8>>,
    },
    /// The rows a filtered scan kept; `resume` is where the scan continues
    /// in this range (the key after the last row examined) when it stopped
    /// at its limit, `None` when it examined everything up to the span's or
    /// the range's end.
    FilteredRows {
        rows: Vec<(Vec<u8>, Vec<u8>)>,
        resume: Option<Vec<u8>>,
        range_end: Option<Vec<u8>>,
    },
    Written,
    Split {
        left: RangeDescriptor,
        right: RangeDescriptor,
    },
    /// The first of `count` consecutive timestamps.
    Timestamps {
        first: Timestamp,
        count: u32,
    },
    RangeId(RangeId),
    MetaUpserted,
    /// A transactional step (or validation) succeeded.
    TxnDone,
    /// The fate of a transaction, decided by its primary.
    TxnStatus(TxnStatus),
    /// A one-phase commit succeeded at this timestamp.
    Committed(Timestamp),
    /// Locks below the asked timestamp that could not be resolved (their
    /// owners are alive).
    LocksRemaining(u64),
    /// The deadlock detector's answer to `WaitFor`: the cycle waiting
    /// would close (waiter first), empty if the wait is safe.
    WaitVerdict {
        cycle: Vec<Timestamp>,
    },
    /// `WaitEnded` was recorded.
    WaitEnded,
    /// The answer to `WaitForLockRelease`: whether the lock is gone (false:
    /// the wait timed out with the lock still there).
    LockWaitEnded {
        released: bool,
    },
}

/// A key-addressed request: any node accepts it and routes it to the right
/// range's leader.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum KvRequest {
    /// Read `key` as of `ts` (a fresh timestamp if `None`).
    Get { key: Vec<u8>, ts: Option<Timestamp> },
    /// Write `key` at a fresh timestamp.
    Put { key: Vec<u8>, value: Vec<u8> },
    /// Delete `key` at a fresh timestamp.
    Delete { key: Vec<u8> },
    /// Every live key of `[start, end)` as of `ts`, up to `limit`.
    Scan {
        start: Vec<u8>,
        end: Option<Vec<u8>>,
        ts: Option<Timestamp>,
        limit: u32,
    },
    /// A fresh timestamp from the oracle.
    Timestamp,
    /// Split the range containing `key` at `key`.
    Split { key: Vec<u8> },
}

/// The answer to a [`KvRequest`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum KvResponse {
    Value {
        value: Option<Vec<u8>>,
        read_ts: Timestamp,
    },
    Written {
        ts: Timestamp,
    },
    Rows {
        rows: Vec<(Vec<u8>, Vec<u8>)>,
        read_ts: Timestamp,
    },
    Timestamp(Timestamp),
    Split {
        left: RangeDescriptor,
        right: RangeDescriptor,
    },
}

/// One range as the cluster sees it, for `debug ranges`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RangeInfo {
    pub descriptor: RangeDescriptor,
    pub leader: Option<NodeId>,
    pub applied_index: u64,
}

/// Cluster administration and debugging.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum AdminRequest {
    /// Bootstrap the cluster (sent to one node by `rangedb init`).
    Init,
    /// Become part of the cluster `cluster_id` with these initial ranges
    /// (sent by the initialising node to every node).
    Bootstrap {
        cluster_id: String,
        descriptors: Vec<RangeDescriptor>,
    },
    /// Who is this node, and is it part of a cluster?
    NodeInfo,
    /// Every range of the cluster with its leader and applied index.
    DebugRanges,
    /// This node's replicas: descriptor, leader as seen here, applied index.
    LocalRanges,
    /// Read this node's own copy of `[start, end)` at `ts`, without
    /// leadership checks (tests use it to compare replicas).
    LocalScan {
        range_id: RangeId,
        start: Vec<u8>,
        end: Option<Vec<u8>>,
        ts: Timestamp,
        limit: u32,
    },
    /// The start timestamp of the oldest transaction running on this node
    /// (garbage collection stays below it).
    OldestActiveTxn,
}

/// The answer to an [`AdminRequest`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum AdminResponse {
    Initialized {
        cluster_id: String,
    },
    Bootstrapped,
    NodeInfo {
        node_id: NodeId,
        cluster_id: Option<String>,
        addr: String,
    },
    Ranges(Vec<RangeInfo>),
    Rows(Vec<(Vec<u8>, Vec<u8>)>),
    OldestActiveTxn(Option<Timestamp>),
}
