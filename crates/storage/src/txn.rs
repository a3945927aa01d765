//! The Percolator transaction protocol on one replica's storage.
//!
//! ```text
//!   lock  CF  enc(key)                ->  Lock { primary, start_ts, ttl, op, pessimistic }
//!   data  CF  enc(key) ++ !start_ts   ->  the prewritten value
//!   write CF  enc(key) ++ !commit_ts  ->  WriteRecord { PutData | Delete, start_ts }
//!             enc(key) ++ !start_ts   ->  WriteRecord { Rollback, start_ts }
//! ```
//!
//! Every function here reads the engine and adds its writes to a [`Batch`]
//! the caller applies atomically; none of them does I/O of its own beyond
//! reads, and each outcome depends only on the engine's contents and the
//! arguments. That is what lets a Raft state machine call them: every replica
//! computes the same answer. Business outcomes (a conflicting lock, a write
//! committed after the transaction started) are [`TxnConflict`]s in the `Ok`
//! side; `Err` is reserved for storage failures.
//!
//! Keys of one call must be distinct (the coordinator's write buffer is a
//! map), because reads see the engine, not the batch being built.

use crate::engine::{try_visit, Batch, Cf, Engine};
use crate::error::{Result, StorageError};
use crate::mvcc::{self, decode_mvcc_key, decode_record, mvcc_key, WriteKind, WriteRecord};
use rangedb_common::{LockInfo, Mutation, Timestamp, TxnConflict, TxnStatus};
use serde::{Deserialize, Serialize};

/// What a lock will become when its transaction commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LockOp {
    /// A put whose value waits in the data column family.
    Put,
    Delete,
}

/// A record of the lock column family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    pub primary: Vec<u8>,
    pub start_ts: Timestamp,
    pub ttl_ms: u64,
    pub op: LockOp,
    /// Taken by a statement before its transaction started to commit: the
    /// owner has not asked for a commit timestamp yet. It takes one either
    /// after prewriting the key again as an ordinary lock (two-phase
    /// commit), or, in a one-phase commit, on the range's leader while that
    /// leader latches the key. A reader at `ts` may therefore ignore it: a
    /// commit timestamp the owner takes later is above `ts`, which the
    /// oracle issued before this read, and a read that arrives while the
    /// latch is held waits for it. That second half holds only because
    /// every transactional read and validation waits for the leader's
    /// latches first (`kv::store`, `txn_read_view`): a read path that skips
    /// them must not ignore these locks. Writers always treat it as a lock.
    pub pessimistic: bool,
}

impl Lock {
    /// The lock as the client sees it.
    pub fn info(&self, key: &[u8]) -> LockInfo {
        LockInfo {
            key: key.to_vec(),
            primary: self.primary.clone(),
            start_ts: self.start_ts,
            ttl_ms: self.ttl_ms,
        }
    }
}

/// Outcome of a transactional step: `Err` only for storage failures.
pub type TxnResult<T> = Result<std::result::Result<T, TxnConflict>>;

/// The lock CF key of `key`.
pub fn lock_key(key: &[u8]) -> Vec<u8> {
    mvcc::mvcc_key_prefix(key)
}

/// The lock on `key`, if any.
pub fn load_lock(engine: &dyn Engine, key: &[u8]) -> Result<Option<Lock>> {
    match engine.get(Cf::Lock, &lock_key(key))? {
        Some(v) => Ok(Some(decode_lock(&v)?)),
        None => Ok(None),
    }
}

fn decode_lock(v: &[u8]) -> Result<Lock> {
    bincode::deserialize(v).map_err(|e| StorageError::Corrupt {
        what: "lock record",
        detail: e.to_string(),
    })
}

/// Every write-CF record of `key` with timestamp `>= since`, newest first.
fn records_since(
    engine: &dyn Engine,
    key: &[u8],
    since: Timestamp,
) -> Result<Vec<(Timestamp, WriteRecord)>> {
    let start = mvcc_key(key, Timestamp::MAX);
    let end = match since.0.checked_sub(1) {
        Some(before) => mvcc_key(key, Timestamp(before)),
        None => mvcc::prefix_end(&mvcc::mvcc_key_prefix(key)),
    };
    let mut out = Vec::new();
    try_visit(engine, Cf::Write, &start, Some(&end), &mut |k, v| {
        let (_, ts) = decode_mvcc_key(k)?;
        out.push((ts, decode_record(v)?));
        Ok(true)
    })?;
    Ok(out)
}

/// The record the transaction `start_ts` left on `key`: its commit (with the
/// commit timestamp) or its rollback marker.
fn own_record(
    engine: &dyn Engine,
    key: &[u8],
    start_ts: Timestamp,
) -> Result<Option<(Timestamp, WriteRecord)>> {
    Ok(records_since(engine, key, start_ts)?
        .into_iter()
        .find(|(_, r)| r.start_ts == start_ts))
}

/// Whether a reader at `ts` (the transaction `owner`) must resolve `lock`
/// before reading: it belongs to another transaction that started at or
/// before `ts` and may already be committing, so it may commit below `ts`.
fn hides_versions_from(lock: &Lock, ts: Timestamp, owner: Timestamp) -> bool {
    lock.start_ts <= ts && lock.start_ts != owner && !lock.pessimistic
}

/// Reads `key` as of `ts` for the transaction `owner` (its start
/// timestamp): a lock of another transaction that started at or before `ts`
/// might commit below `ts`, so it must be resolved first (`Locked`). The
/// owner's own locks (taken by statements before commit) do not block it;
/// it reads the committed version beneath and overlays its own buffer.
pub fn read(
    engine: &dyn Engine,
    key: &[u8],
    ts: Timestamp,
    owner: Timestamp,
) -> TxnResult<Option<Vec<u8>>> {
    if let Some(lock) = load_lock(engine, key)? {
        if hides_versions_from(&lock, ts, owner) {
            return Ok(Err(TxnConflict::Locked(lock.info(key))));
        }
    }
    Ok(Ok(mvcc::get(engine, key, ts)?))
}

/// Scans `[start, end)` as of `ts` for the transaction `owner`, up to
/// `limit` rows. Fails with `Locked` on the first lock of another
/// transaction that could hide a version below `ts` among the keys the scan
/// covered.
///
/// Locks must be checked *before* the data is read: a lock that is gone by
/// then was committed (its version is there) or rolled back, and one that
/// appears later belongs to a transaction that will commit above `ts`. So a
/// first pass finds which keys the scan covers (up to its last row when the
/// limit is reached), the lock check covers them, and a second pass reads the
/// rows that are returned.
pub fn scan(
    engine: &dyn Engine,
    start: &[u8],
    end: Option<&[u8]>,
    ts: Timestamp,
    owner: Timestamp,
    limit: usize,
) -> TxnResult<Vec<(Vec<u8>, Vec<u8>)>> {
    // Commits between the passes can make the second return fewer rows
    // than the limit without reaching `end`, which the caller would take
    // for the end of the range: then look again.
    for _ in 0..64 {
        let probe = mvcc::scan(engine, start, end, ts, limit)?;
        let full = probe.len() >= limit;
        let covered_end = match probe.last() {
            Some((last, _)) if full => Some(rangedb_common::keys::next_key(last)),
            _ => end.map(|e| e.to_vec()),
        };
        if let Some(info) = first_lock_in(engine, start, covered_end.as_deref(), |l| {
            hides_versions_from(l, ts, owner)
        })? {
            return Ok(Err(TxnConflict::Locked(info)));
        }
        let rows = mvcc::scan(engine, start, covered_end.as_deref(), ts, limit)?;
        if !full || rows.len() >= limit {
            return Ok(Ok(rows));
        }
    }
    // The span keeps changing under the scan: let the transaction restart.
    Ok(Err(TxnConflict::ReadConflict {
        key: start.to_vec(),
    }))
}

/// The commit timestamp of the transaction `start_ts` on `key`, if it
/// committed there: lets a retried one-phase commit recognise itself.
pub fn committed_at(
    engine: &dyn Engine,
    key: &[u8],
    start_ts: Timestamp,
) -> Result<Option<Timestamp>> {
    Ok(own_record(engine, key, start_ts)?
        .filter(|(_, rec)| rec.kind.is_version())
        .map(|(ts, _)| ts))
}

/// The first lock in `[start, end)` that `pred` accepts.
fn first_lock_in(
    engine: &dyn Engine,
    start: &[u8],
    end: Option<&[u8]>,
    pred: impl Fn(&Lock) -> bool,
) -> Result<Option<LockInfo>> {
    Ok(locks_in(engine, start, end, pred, 1)?.into_iter().next())
}

/// Up to `limit` locks in `[start, end)` that `pred` accepts, in key order.
fn locks_in(
    engine: &dyn Engine,
    start: &[u8],
    end: Option<&[u8]>,
    pred: impl Fn(&Lock) -> bool,
    limit: usize,
) -> Result<Vec<LockInfo>> {
    let (s, e) = mvcc::mvcc_span(start, end);
    let mut out = Vec::new();
    try_visit(engine, Cf::Lock, &s, e.as_deref(), &mut |k, v| {
        let lock = decode_lock(v)?;
        if pred(&lock) {
            let (key, _) =
                rangedb_common::keys::decode_bytes(k).map_err(|e| StorageError::Corrupt {
                    what: "lock key",
                    detail: e.to_string(),
                })?;
            out.push(lock.info(&key));
        }
        Ok(out.len() < limit)
    })?;
    Ok(out)
}

/// What a write of the transaction `start_ts` on `key` finds.
enum WriteCheck {
    /// Nothing of the transaction's yet: write and lock.
    Fresh,
    /// The transaction's own lock (an earlier statement took it): replace
    /// the staged value, keeping the lock.
    Relock(Lock),
    /// The transaction already committed this key (a retried request).
    Done,
}

/// Whether a write of the transaction `start_ts`, which has read everything
/// as of `read_ts` (`>= start_ts`; later when its reads were refreshed),
/// may proceed on `key`, or the conflict: another transaction's lock, or
/// another transaction's version committed after `read_ts`.
fn check_write(
    engine: &dyn Engine,
    key: &[u8],
    start_ts: Timestamp,
    read_ts: Timestamp,
) -> TxnResult<WriteCheck> {
    if let Some(lock) = load_lock(engine, key)? {
        if lock.start_ts == start_ts {
            return Ok(Ok(WriteCheck::Relock(lock)));
        }
        return Ok(Err(TxnConflict::Locked(lock.info(key))));
    }
    let records = records_since(engine, key, start_ts)?;
    // Our own record first: a retried request after our commit (or rollback)
    // must get the same answer even if others have written since.
    if let Some((_, rec)) = records.iter().find(|(_, r)| r.start_ts == start_ts) {
        return Ok(match rec.kind {
            WriteKind::Rollback => Err(TxnConflict::Aborted { key: key.to_vec() }),
            _ => Ok(WriteCheck::Done),
        });
    }
    match records
        .into_iter()
        .find(|(ts, r)| r.kind.is_version() && *ts > read_ts)
    {
        Some((commit_ts, _)) => Ok(Err(TxnConflict::WriteConflict {
            key: key.to_vec(),
            commit_ts,
        })),
        None => Ok(Ok(WriteCheck::Fresh)),
    }
}

/// Stages `m`'s value in the data CF for the transaction `start_ts`
/// (replacing a value an earlier statement staged) and returns the lock
/// operation.
fn stage_value(out: &mut Batch, m: &Mutation, start_ts: Timestamp) -> LockOp {
    match m {
        Mutation::Put { key, value } => {
            out.put(Cf::Data, mvcc_key(key, start_ts), value.clone());
            LockOp::Put
        }
        Mutation::Delete { key } => {
            out.delete(Cf::Data, mvcc_key(key, start_ts));
            LockOp::Delete
        }
    }
}

impl LockOp {
    /// The version committing this lock creates.
    fn committed_kind(self) -> WriteKind {
        match self {
            LockOp::Put => WriteKind::PutData,
            LockOp::Delete => WriteKind::Delete,
        }
    }
}

/// Phase one: locks every key of `mutations` for the transaction `start_ts`
/// and stores the values in the data CF. Fails, writing nothing, on another
/// transaction's lock or on another transaction's write committed after
/// `read_ts` (the timestamp the transaction's reads are valid at; see
/// [`check_write`]). A key the transaction already locked gets the new value
/// (statements lock their writes as they go, and a later statement may
/// change a row again); its lock keeps the larger TTL. `pessimistic` locks
/// are taken by statements before commit (see [`Lock::pessimistic`]); the
/// commit prewrites every key again as an ordinary lock before it asks for
/// a commit timestamp.
#[allow(clippy::too_many_arguments)]
pub fn prewrite(
    engine: &dyn Engine,
    batch: &mut Batch,
    mutations: &[Mutation],
    primary: &[u8],
    start_ts: Timestamp,
    read_ts: Timestamp,
    ttl_ms: u64,
    pessimistic: bool,
) -> TxnResult<()> {
    let mut out = Batch::new();
    for m in mutations {
        let ttl_ms = match check_write(engine, m.key(), start_ts, read_ts)? {
            Ok(WriteCheck::Fresh) => ttl_ms,
            Ok(WriteCheck::Relock(old)) => old.ttl_ms.max(ttl_ms),
            Ok(WriteCheck::Done) => continue,
            Err(c) => return Ok(Err(c)),
        };
        let lock = Lock {
            primary: primary.to_vec(),
            start_ts,
            ttl_ms,
            op: stage_value(&mut out, m, start_ts),
            pessimistic,
        };
        out.put(Cf::Lock, lock_key(m.key()), bincode::serialize(&lock)?);
    }
    batch.append(&mut out);
    Ok(Ok(()))
}

/// The conflict [`prewrite`] would answer for `mutations` if it ran on the
/// engine as it is now, or `None` if it would go ahead (or find the
/// transaction's own commit: a retry). Writes nothing. A range's leader asks
/// this before proposing a prewrite, so that a refused prewrite costs no
/// Raft write: a version committed after `read_ts` and a rollback marker
/// are permanent, so those answers are final; another transaction's lock may
/// be gone by the time a proposal would apply, which only makes the caller
/// wait for a lock that is already released and try again.
pub fn prewrite_conflict(
    engine: &dyn Engine,
    mutations: &[Mutation],
    start_ts: Timestamp,
    read_ts: Timestamp,
) -> Result<Option<TxnConflict>> {
    for m in mutations {
        if let Err(c) = check_write(engine, m.key(), start_ts, read_ts)? {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

/// Keeps the transaction `start_ts` alive: raises the TTL of its lock on
/// `primary` to at least `ttl_ms`, so that readers who meet its locks wait
/// instead of rolling it back while its coordinator is still working.
/// Returns the lock's TTL, or `Aborted` when the lock is gone (committed or
/// rolled back; the coordinator learns which at commit).
pub fn heartbeat(
    engine: &dyn Engine,
    batch: &mut Batch,
    primary: &[u8],
    start_ts: Timestamp,
    ttl_ms: u64,
) -> TxnResult<u64> {
    match load_lock(engine, primary)? {
        Some(mut lock) if lock.start_ts == start_ts => {
            if ttl_ms > lock.ttl_ms {
                lock.ttl_ms = ttl_ms;
                batch.put(Cf::Lock, lock_key(primary), bincode::serialize(&lock)?);
            }
            Ok(Ok(lock.ttl_ms))
        }
        _ => Ok(Err(TxnConflict::Aborted {
            key: primary.to_vec(),
        })),
    }
}

/// The one-phase fast path: when every write of a transaction falls in one
/// range, checks exactly what prewrite would and writes the committed
/// versions at `commit_ts` directly, in the same batch. Keys the
/// transaction's statements locked are committed and unlocked with the rest.
pub fn commit_one_phase(
    engine: &dyn Engine,
    batch: &mut Batch,
    mutations: &[Mutation],
    start_ts: Timestamp,
    commit_ts: Timestamp,
) -> TxnResult<()> {
    if commit_ts <= start_ts {
        return Err(bad_commit_ts(start_ts, commit_ts));
    }
    let mut out = Batch::new();
    for m in mutations {
        let op = match check_write(engine, m.key(), start_ts, start_ts)? {
            Ok(WriteCheck::Fresh) => stage_value(&mut out, m, start_ts),
            Ok(WriteCheck::Done) => continue,
            // A lock a statement of this transaction took: it already
            // excluded other writers, and it goes with this commit.
            Ok(WriteCheck::Relock(_)) => {
                out.delete(Cf::Lock, lock_key(m.key()));
                stage_value(&mut out, m, start_ts)
            }
            Err(c) => return Ok(Err(c)),
        };
        let rec = WriteRecord {
            kind: op.committed_kind(),
            start_ts,
        };
        out.put(
            Cf::Write,
            mvcc_key(m.key(), commit_ts),
            bincode::serialize(&rec)?,
        );
    }
    batch.append(&mut out);
    Ok(Ok(()))
}

fn bad_commit_ts(start_ts: Timestamp, commit_ts: Timestamp) -> StorageError {
    // Not a storage failure, but a coordinator bug that must not be applied;
    // the Raft layer validates commands before proposing so this is unreachable
    // from the network.
    StorageError::Codec(format!(
        "commit timestamp {commit_ts} is not after start timestamp {start_ts}"
    ))
}

/// Phase two on some keys: turns the transaction's locks into versions at
/// `commit_ts`. Committing the primary is the commit point. Idempotent: a
/// key already committed by this transaction is skipped; a key whose lock
/// is gone without a commit record means the transaction was rolled back.
pub fn commit(
    engine: &dyn Engine,
    batch: &mut Batch,
    keys: &[Vec<u8>],
    start_ts: Timestamp,
    commit_ts: Timestamp,
) -> TxnResult<()> {
    if commit_ts <= start_ts {
        return Err(bad_commit_ts(start_ts, commit_ts));
    }
    let mut out = Batch::new();
    for key in keys {
        match load_lock(engine, key)? {
            Some(lock) if lock.start_ts == start_ts => {
                let rec = WriteRecord {
                    kind: lock.op.committed_kind(),
                    start_ts,
                };
                out.put(
                    Cf::Write,
                    mvcc_key(key, commit_ts),
                    bincode::serialize(&rec)?,
                );
                out.delete(Cf::Lock, lock_key(key));
            }
            _ => match own_record(engine, key, start_ts)? {
                Some((_, rec)) if rec.kind.is_version() => {}
                _ => return Ok(Err(TxnConflict::Aborted { key: key.clone() })),
            },
        }
    }
    batch.append(&mut out);
    Ok(Ok(()))
}

/// Rolls the transaction back on `key`: removes its lock and value and
/// leaves a rollback marker so that a late prewrite is refused.
fn rollback_key(
    engine: &dyn Engine,
    out: &mut Batch,
    key: &[u8],
    start_ts: Timestamp,
) -> TxnResult<()> {
    match load_lock(engine, key)? {
        Some(lock) if lock.start_ts == start_ts => {
            out.delete(Cf::Lock, lock_key(key));
            out.delete(Cf::Data, mvcc_key(key, start_ts));
        }
        _ => match own_record(engine, key, start_ts)? {
            Some((_, rec)) if rec.kind == WriteKind::Rollback => return Ok(Ok(())),
            Some((commit_ts, _)) => {
                return Ok(Err(TxnConflict::AlreadyCommitted {
                    key: key.to_vec(),
                    commit_ts,
                }))
            }
            None => {}
        },
    }
    let marker = WriteRecord {
        kind: WriteKind::Rollback,
        start_ts,
    };
    out.put(
        Cf::Write,
        mvcc_key(key, start_ts),
        bincode::serialize(&marker)?,
    );
    Ok(Ok(()))
}

/// Rolls the transaction `start_ts` back on `keys`. Refused (writing
/// nothing) if any of them already committed.
pub fn rollback(
    engine: &dyn Engine,
    batch: &mut Batch,
    keys: &[Vec<u8>],
    start_ts: Timestamp,
) -> TxnResult<()> {
    let mut out = Batch::new();
    for key in keys {
        if let Err(c) = rollback_key(engine, &mut out, key, start_ts)? {
            return Ok(Err(c));
        }
    }
    batch.append(&mut out);
    Ok(Ok(()))
}

/// Decides the fate of the transaction `start_ts` from its primary key.
///
/// * primary committed → `Committed`; rolled back → `RolledBack`;
/// * primary locked and its TTL expired at `now` → rolls it back;
/// * primary locked and alive → `Locked`;
/// * primary neither locked nor committed: the prewrite of the primary has
///   not happened (or was lost). If `rollback_if_missing` (the caller found
///   an expired secondary lock), a rollback marker is written so the primary
///   can never be prewritten later; otherwise the owner may still be on its
///   way and the answer is `Locked`.
pub fn check_txn_status(
    engine: &dyn Engine,
    batch: &mut Batch,
    primary: &[u8],
    start_ts: Timestamp,
    now: Timestamp,
    rollback_if_missing: bool,
) -> TxnResult<TxnStatus> {
    if let Some(lock) = load_lock(engine, primary)? {
        if lock.start_ts == start_ts {
            if !lock.info(primary).expired_at(now) {
                return Ok(Ok(TxnStatus::Locked {
                    ttl_ms: lock.ttl_ms,
                }));
            }
            return Ok(
                rollback_key(engine, batch, primary, start_ts)?.map(|()| TxnStatus::RolledBack)
            );
        }
    }
    match own_record(engine, primary, start_ts)? {
        Some((_, rec)) if rec.kind == WriteKind::Rollback => Ok(Ok(TxnStatus::RolledBack)),
        Some((commit_ts, _)) => Ok(Ok(TxnStatus::Committed { commit_ts })),
        None if rollback_if_missing => {
            Ok(rollback_key(engine, batch, primary, start_ts)?.map(|()| TxnStatus::RolledBack))
        }
        None => Ok(Ok(TxnStatus::Locked { ttl_ms: 0 })),
    }
}

/// What a serializable transaction read: single keys and scanned spans.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadSet {
    pub keys: Vec<Vec<u8>>,
    /// `[start, end)` spans; `None` is unbounded.
    pub spans: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl ReadSet {
    /// Whether nothing was read.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.spans.is_empty()
    }
}

/// Serializable validation (and the refresh of a transaction's reads to a
/// later timestamp): fails if a version of another transaction committed in
/// `(from_ts, to_ts]` or another transaction's ordinary lock is on
/// anything in `reads`. `owner` is the validating transaction's start timestamp. Reads
/// the engine only.
///
/// Cost: every version and lock in the scanned spans is visited once, so
/// validating a scan costs about as much as the scan itself.
pub fn validate_reads(
    engine: &dyn Engine,
    reads: &ReadSet,
    owner: Timestamp,
    from_ts: Timestamp,
    to_ts: Timestamp,
) -> TxnResult<()> {
    // A statement's (pessimistic) lock does not conflict: its owner takes a
    // commit timestamp only after turning it into an ordinary lock, or while
    // the leader latches the key for a one-phase commit (and validation
    // waits for latches before it gets here), so later than this
    // validation, which runs after the validated commit timestamp (or new
    // read timestamp) `to_ts` was taken; its write orders after us. See
    // [`Lock::pessimistic`].
    let foreign = |l: &Lock| l.start_ts != owner && !l.pessimistic;
    for key in &reads.keys {
        if let Some(lock) = load_lock(engine, key)? {
            if foreign(&lock) {
                return Ok(Err(TxnConflict::ReadConflict { key: key.clone() }));
            }
        }
        for (ts, rec) in records_since(engine, key, Timestamp(from_ts.0.saturating_add(1)))? {
            if ts <= to_ts && rec.kind.is_version() && rec.start_ts != owner {
                return Ok(Err(TxnConflict::ReadConflict { key: key.clone() }));
            }
        }
    }
    for (start, end) in &reads.spans {
        if let Some(info) = first_lock_in(engine, start, end.as_deref(), foreign)? {
            return Ok(Err(TxnConflict::ReadConflict { key: info.key }));
        }
        let (s, e) = mvcc::mvcc_span(start, end.as_deref());
        let mut conflict = None;
        try_visit(engine, Cf::Write, &s, e.as_deref(), &mut |k, v| {
            let (key, ts) = decode_mvcc_key(k)?;
            let rec = decode_record(v)?;
            if ts > from_ts && ts <= to_ts && rec.kind.is_version() && rec.start_ts != owner {
                conflict = Some(key);
                return Ok(false);
            }
            Ok(true)
        })?;
        if let Some(key) = conflict {
            return Ok(Err(TxnConflict::ReadConflict { key }));
        }
    }
    Ok(Ok(()))
}

/// Up to `limit` locks in `[start, end)` of transactions that started at or
/// before `ts` (what garbage collection must resolve first).
pub fn locks_at_or_below(
    engine: &dyn Engine,
    start: &[u8],
    end: Option<&[u8]>,
    ts: Timestamp,
    limit: usize,
) -> Result<Vec<LockInfo>> {
    locks_in(engine, start, end, |l| l.start_ts <= ts, limit)
}

/// One deletion garbage collection asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GcDeletion {
    pub cf: Cf,
    pub key: Vec<u8>,
}

/// Plans garbage collection of `[start, end)` below `safe_point`: for each
/// key, the newest version at or below the safe point is kept (dropped too if
/// it is a tombstone); every older version, its value and every rollback
/// marker at or below the safe point go. Reads the engine only; returns at
/// most about `budget` deletions, after visiting at most about
/// `budget * 16` records (so a span with little garbage is still walked in
/// bounded steps), and the key to resume from (`None` when the span is
/// done). Locks are never touched: they are resolved by readers.
pub fn plan_gc(
    engine: &dyn Engine,
    start: &[u8],
    end: Option<&[u8]>,
    safe_point: Timestamp,
    budget: usize,
) -> Result<(Vec<GcDeletion>, Option<Vec<u8>>)> {
    let (s, e) = mvcc::mvcc_span(start, end);
    let mut out = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    // Whether the current key's newest version at or below the safe point was seen.
    let mut kept = false;
    let mut resume = None;
    let mut visited = 0usize;
    let visit_budget = budget.saturating_mul(16).max(1);
    try_visit(engine, Cf::Write, &s, e.as_deref(), &mut |k, v| {
        visited += 1;
        let (key, ts) = decode_mvcc_key(k)?;
        if current.as_deref() != Some(key.as_slice()) {
            if out.len() >= budget || visited > visit_budget {
                resume = Some(key);
                return Ok(false);
            }
            current = Some(key.clone());
            kept = false;
        }
        if ts > safe_point {
            return Ok(true);
        }
        let rec = decode_record(v)?;
        let drop_record = match rec.kind {
            WriteKind::Rollback => true,
            WriteKind::Delete => {
                kept = true;
                true
            }
            WriteKind::Put(_) | WriteKind::PutData => {
                let older = kept;
                kept = true;
                older
            }
        };
        if drop_record {
            out.push(GcDeletion {
                cf: Cf::Write,
                key: k.to_vec(),
            });
            if rec.kind == WriteKind::PutData {
                out.push(GcDeletion {
                    cf: Cf::Data,
                    key: mvcc_key(&key, rec.start_ts),
                });
            }
        }
        Ok(true)
    })?;
    Ok((out, resume))
}

/// Applies planned deletions.
pub fn apply_gc(batch: &mut Batch, deletions: &[GcDeletion]) {
    for d in deletions {
        batch.delete(d.cf, d.key.clone());
    }
}

#[cfg(test)]
mod tests;
