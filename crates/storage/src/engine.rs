//! The engine trait every storage implementation provides.

use crate::error::Result;

/// Column families. Separate families keep unrelated data apart (the Raft log
/// is append-and-truncate, MVCC data is read-mostly) and let each be tuned.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Cf {
    /// Raft log entries, keyed by (range id, index).
    RaftLog,
    /// Raft hard state and state-machine metadata, keyed by (range id, tag).
    RaftState,
    /// Percolator locks, keyed by the encoded user key.
    Lock,
    /// Committed versions, keyed by encoded user key + inverted commit ts.
    Write,
    /// Large values of versions, keyed by encoded user key + inverted start ts.
    Data,
}

impl Cf {
    /// Every column family, in a fixed order.
    pub const ALL: [Cf; 5] = [Cf::RaftLog, Cf::RaftState, Cf::Lock, Cf::Write, Cf::Data];
    /// The families holding a range's replicated data (what a snapshot copies).
    pub const MVCC: [Cf; 3] = [Cf::Lock, Cf::Write, Cf::Data];

    /// The RocksDB column family name.
    pub fn name(self) -> &'static str {
        match self {
            Cf::RaftLog => "raft_log",
            Cf::RaftState => "raft_state",
            Cf::Lock => "lock",
            Cf::Write => "write",
            Cf::Data => "data",
        }
    }
}

/// One operation of an atomic batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOp {
    Put {
        cf: Cf,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    Delete {
        cf: Cf,
        key: Vec<u8>,
    },
    /// Deletes `[start, end)`.
    DeleteRange {
        cf: Cf,
        start: Vec<u8>,
        end: Vec<u8>,
    },
}

/// An atomic group of writes, independent of the engine that applies it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    pub ops: Vec<BatchOp>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a put.
    pub fn put(&mut self, cf: Cf, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.ops.push(BatchOp::Put {
            cf,
            key: key.into(),
            value: value.into(),
        });
    }

    /// Adds a point delete.
    pub fn delete(&mut self, cf: Cf, key: impl Into<Vec<u8>>) {
        self.ops.push(BatchOp::Delete {
            cf,
            key: key.into(),
        });
    }

    /// Adds a delete of `[start, end)`.
    pub fn delete_range(&mut self, cf: Cf, start: impl Into<Vec<u8>>, end: impl Into<Vec<u8>>) {
        self.ops.push(BatchOp::DeleteRange {
            cf,
            start: start.into(),
            end: end.into(),
        });
    }

    /// Moves every operation of `other` to the end of this batch.
    pub fn append(&mut self, other: &mut Batch) {
        self.ops.append(&mut other.ops);
    }

    /// Whether the batch has no operations.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// A node's key-value engine. All ranges share one engine; each range stays
/// inside its own key span (and the Raft keys carry the range id).
///
/// Iteration is visitor-style (`visit`) so that implementations can hand out
/// borrowed slices without exposing their iterator lifetimes.
pub trait Engine: Send + Sync + 'static {
    /// Reads one key.
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// Calls `f` for each entry in `[start, end)` in key order until it
    /// returns `false`. `end = None` means no upper bound.
    fn visit(
        &self,
        cf: Cf,
        start: &[u8],
        end: Option<&[u8]>,
        f: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<()>;

    /// The last entry in `[start, end)`, if any.
    fn last_in(&self, cf: Cf, start: &[u8], end: &[u8]) -> Result<Option<(Vec<u8>, Vec<u8>)>>;

    /// Applies a batch atomically. With `sync`, returns only once the batch is
    /// durable (fsynced WAL); without, it survives a process crash but not a
    /// power loss.
    fn write(&self, batch: Batch, sync: bool) -> Result<()>;

    /// Makes every write issued so far durable (one fsync of the WAL).
    fn sync_wal(&self) -> Result<()>;

    /// Collects up to `limit` entries of `[start, end)`.
    fn scan(
        &self,
        cf: Cf,
        start: &[u8],
        end: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        self.visit(cf, start, end, &mut |k, v| {
            out.push((k.to_vec(), v.to_vec()));
            out.len() < limit
        })?;
        Ok(out)
    }
}

/// A visitor that can fail: `Ok(false)` stops the walk, `Err` stops it and
/// is returned.
pub type FallibleVisitor<'a> = dyn FnMut(&[u8], &[u8]) -> Result<bool> + 'a;

/// [`Engine::visit`] for callbacks that can fail (they decode what they
/// read): the first error stops the walk and is returned.
pub fn try_visit(
    engine: &dyn Engine,
    cf: Cf,
    start: &[u8],
    end: Option<&[u8]>,
    f: &mut FallibleVisitor<'_>,
) -> Result<()> {
    let mut err = None;
    engine.visit(cf, start, end, &mut |k, v| match f(k, v) {
        Ok(go_on) => go_on,
        Err(e) => {
            err = Some(e);
            false
        }
    })?;
    err.map_or(Ok(()), Err)
}
