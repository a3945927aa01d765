//! One transaction: reads at its start timestamp, buffered writes, and the
//! commit protocol.
//!
//! ```text
//!   begin        start_ts ← oracle; read_ts = start_ts
//!   get / scan   read at read_ts (resolving locks); remember keys and spans
//!   put / delete buffer in memory
//!   end of a     (explicit SQL transactions, see `statement`) prewrite the
//!   statement    statement's writes now, holding their locks until commit;
//!                a write committed by another transaction after read_ts
//!                moves read_ts forward if the earlier reads still hold
//!                (refresh) and the statement runs again
//!   commit       writes (and SERIALIZABLE reads) in one range, no locks held?
//!                  yes: CommitOnePhase to that range's leader, which latches
//!                       the keys, takes commit_ts and validates + writes the
//!                       versions in one Raft entry
//!                  no:  prewrite what is not locked yet, every range in
//!                       parallel (primary = first key locked)
//!                       commit_ts ← oracle
//!                       validate reads (SERIALIZABLE)
//!                       commit the primary          ← the commit point
//!                       commit the secondaries in the background
//! ```
//!
//! Any failure before the commit point rolls back what was prewritten; a
//! coordinator that dies leaves locks that readers resolve through the
//! primary (see `resolver`).

use crate::client::{Isolation, TxnClient};
use crate::error::TxnError;
use crate::resolver::Resolution;
use rangedb_common::keys::next_key;
use rangedb_common::{KvError, LockInfo, Mutation, RangeDescriptor, Timestamp, TxnConflict};
use rangedb_kv::client::SCAN_CHUNK;
use rangedb_kv::resolve;
use rangedb_kv::{RangeRequest, RangeResponse, ReadSet, TxnCommand};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where a coordinator may stop dead, for tests of crash recovery: the
/// commit returns at that point as if the process had been killed, leaving
/// whatever it wrote so far for others to resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashPoint {
    /// After prewriting only the first range's keys (the primary's range).
    DuringPrewrite,
    /// After every prewrite, before the commit timestamp is taken.
    AfterPrewrite,
    /// After committing the primary, before any secondary.
    AfterPrimaryCommit,
    /// After a failed prewrite, having rolled back only the first range.
    DuringRollback,
}

/// The most mutations (or keys) one prewrite, commit or rollback request to a
/// range carries. A large transaction (a bulk COPY) is cut into requests of
/// this size, so that no single Raft entry grows to megabytes and stalls
/// replication, heartbeats and elections behind it.
pub const WRITE_BATCH: usize = 512;

/// How many reads of one [`Transaction::get_batch`] are in flight at once.
const GET_BATCH_CONCURRENCY: usize = 32;

/// The longest a waiter waits at a lock's range in one go before it checks
/// the owner's status (and renews its deadlock-detector edge) again.
const LOCK_WAIT_ROUND: Duration = Duration::from_millis(500);

/// How much longer than its round a lock-wait request may take (the
/// request's own round trip) before the waiter gives up on it.
const LOCK_WAIT_SLACK: Duration = Duration::from_millis(500);

/// How long a waiter waits for the deadlock detector's answer before it
/// waits without one.
const DETECTOR_PATIENCE: Duration = Duration::from_secs(1);

/// A running transaction. Dropping it without `commit` or `rollback` rolls
/// back the locks its statements took (in the background) and unregisters
/// its start timestamp.
pub struct Transaction {
    pub(crate) client: Arc<TxnClient>,
    pub(crate) start_ts: Timestamp,
    isolation: Isolation,
    /// The timestamp reads are taken at and valid as of: the start timestamp
    /// until a statement's write conflict refreshes the reads to a later one.
    pub(crate) read_ts: Timestamp,
    /// Buffered writes: `Some(value)` puts, `None` deletes.
    pub(crate) writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// Keys of `writes` whose buffered value is not prewritten yet.
    pub(crate) unlocked: BTreeSet<Vec<u8>>,
    /// Keys this transaction may hold locks on (prewrites sent before commit).
    pub(crate) locked: BTreeSet<Vec<u8>>,
    /// Keys a restarted statement had locked that must be written back with
    /// their committed value (a no-op write) unless something rewrites them.
    pub(crate) restore: BTreeSet<Vec<u8>>,
    /// The primary key, fixed by the first prewrite.
    pub(crate) primary: Option<Vec<u8>>,
    /// The running statement's undo information, if a statement is open.
    pub(crate) statement: Option<crate::statement::StatementMark>,
    /// Keeps the primary lock alive while statements hold locks.
    pub(crate) heartbeat: Option<tokio::task::AbortHandle>,
    pub(crate) reads: ReadSet,
    finished: bool,
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if let Some(h) = self.heartbeat.take() {
            h.abort();
        }
        if !self.finished && !self.locked.is_empty() {
            // Abandoned with locks held (a client that disconnected inside
            // BEGIN): release them now rather than after their TTL.
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                let kv = self.client.kv.clone();
                let keys: Vec<Vec<u8>> = std::mem::take(&mut self.locked).into_iter().collect();
                let start_ts = self.start_ts;
                rt.spawn(async move {
                    if let Err(e) = rollback_keys(&kv, keys, start_ts).await {
                        tracing::debug!("rollback of abandoned transaction {start_ts}: {e}");
                    }
                });
            }
        }
        self.client.unregister(self.start_ts);
    }
}

/// One chunk of [`Transaction::scan_chunks`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanChunk {
    /// Rows in key order (the ranges' survivors of the filter plus the
    /// transaction's own writes).
    pub rows: Vec<(Vec<u8>, Vec<u8>)>,
    /// Where the next chunk of this span starts; `None` when it is done.
    pub next: Option<Vec<u8>>,
}

/// The span `[start, end)` cut at range boundaries, with each piece's range.
type SpanPieces = Vec<(RangeDescriptor, Vec<u8>, Option<Vec<u8>>)>;

impl Transaction {
    pub(crate) fn new(client: Arc<TxnClient>, start_ts: Timestamp, isolation: Isolation) -> Self {
        client.register(start_ts);
        Self {
            client,
            start_ts,
            isolation,
            read_ts: start_ts,
            writes: BTreeMap::new(),
            unlocked: BTreeSet::new(),
            locked: BTreeSet::new(),
            restore: BTreeSet::new(),
            primary: None,
            statement: None,
            heartbeat: None,
            reads: ReadSet::default(),
            finished: false,
        }
    }

    /// The transaction's identity and first snapshot.
    pub fn start_ts(&self) -> Timestamp {
        self.start_ts
    }

    /// The snapshot reads are taken at now (moves forward on a refresh).
    pub fn read_ts(&self) -> Timestamp {
        self.read_ts
    }

    /// The isolation level.
    pub fn isolation(&self) -> Isolation {
        self.isolation
    }

    /// Whether the transaction has buffered writes.
    pub fn has_writes(&self) -> bool {
        !self.writes.is_empty()
    }

    pub(crate) fn check_open(&self) -> Result<(), TxnError> {
        if self.finished {
            return Err(TxnError::Finished);
        }
        Ok(())
    }

    /// Whether commit validates the read set. Reads are remembered at every
    /// level all the same: both levels refresh them when a statement's write
    /// conflict moves the read timestamp forward.
    fn validates_reads(&self) -> bool {
        self.isolation == Isolation::Serializable
    }

    /// Waits out or clears `lock`; errors once `deadline` passes.
    pub(crate) async fn wait_for_lock(
        &self,
        lock: &LockInfo,
        started: Instant,
        patience: Duration,
        backoff: &mut Duration,
    ) -> Result<(), TxnError> {
        if self.client.resolve(lock).await? == Resolution::Cleared {
            return Ok(());
        }
        let waited = started.elapsed();
        if waited >= patience {
            return Err(TxnError::Retryable(TxnConflict::Locked(lock.clone())));
        }
        // Wait at the lock's range for its release rather than on a timer;
        // the round is bounded so that the owner's status (a dead owner's
        // lock expires) and the deadlock edge are checked again in between.
        let round = (patience - waited).min(LOCK_WAIT_ROUND);
        // The client retries routing errors on its own for much longer
        // than a round; bound the whole request.
        let wait = resolve::wait_for_release(&self.client.kv, lock, round);
        match tokio::time::timeout(round + LOCK_WAIT_SLACK, wait)
            .await
            .unwrap_or_else(|_| Err(KvError::Unavailable("lock wait timed out".into())))
        {
            Ok(_) => Ok(()),
            Err(e) => {
                // The range moved or is electing a leader: fall back to a
                // timer, then try again.
                tracing::debug!("waiting for the lock on {:?}: {e}", lock.key);
                tokio::time::sleep(*backoff).await;
                *backoff = (*backoff * 2).min(Duration::from_millis(200));
                Ok(())
            }
        }
    }

    /// Reads `key` as of the start timestamp (or the transaction's own write).
    pub async fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, TxnError> {
        self.check_open()?;
        if let Some(v) = self.writes.get(key) {
            return Ok(v.clone());
        }
        let req = RangeRequest::TxnGet {
            key: key.to_vec(),
            ts: self.read_ts,
            owner: self.start_ts,
        };
        let value = match self.read_resolving_locks(key, req).await? {
            RangeResponse::Value(v) => v,
            other => {
                return Err(TxnError::Kv(KvError::Internal(format!(
                    "unexpected answer to a read: {other:?}"
                ))))
            }
        };
        self.reads.keys.push(key.to_vec());
        Ok(value)
    }

    /// Reads several keys as of the start timestamp (own writes first); the
    /// rest are fetched concurrently, so a batch costs about one round trip
    /// rather than one per key.
    pub async fn get_batch(&mut self, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>, TxnError> {
        use futures::StreamExt;
        self.check_open()?;
        let mut out: Vec<Option<Vec<u8>>> = vec![None; keys.len()];
        let mut pending = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            match self.writes.get(k) {
                Some(v) => out[i] = v.clone(),
                None => pending.push(i),
            }
        }
        let (read_ts, owner) = (self.read_ts, self.start_ts);
        let this = &*self;
        let reads: Vec<_> = pending
            .iter()
            .copied()
            .map(|i| {
                let key = keys[i].clone();
                async move {
                    let req = RangeRequest::TxnGet {
                        key: key.clone(),
                        ts: read_ts,
                        owner,
                    };
                    (i, this.read_resolving_locks(&key, req).await)
                }
            })
            .collect();
        let fetched: Vec<(usize, Result<RangeResponse, TxnError>)> = futures::stream::iter(reads)
            .buffer_unordered(GET_BATCH_CONCURRENCY)
            .collect()
            .await;
        for (i, r) in fetched {
            match r? {
                RangeResponse::Value(v) => out[i] = v,
                other => {
                    return Err(TxnError::Kv(KvError::Internal(format!(
                        "unexpected answer to a read: {other:?}"
                    ))))
                }
            }
        }
        for &i in &pending {
            self.reads.keys.push(keys[i].clone());
        }
        Ok(out)
    }

    /// Up to `limit` live keys of `[start, end)` as of the start timestamp,
    /// with the transaction's own writes applied, in key order. Fetched range
    /// by range in bounded chunks.
    pub async fn scan(
        &mut self,
        start: &[u8],
        end: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, TxnError> {
        self.check_open()?;
        let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        let mut cursor = start.to_vec();
        // Where the keys this scan has looked at end (exclusive); None = unbounded.
        let covered_end: Option<Vec<u8>>;
        loop {
            if out.len() >= limit {
                covered_end = out.last().map(|(k, _)| next_key(k));
                break;
            }
            if end.is_some_and(|e| cursor.as_slice() >= e) {
                covered_end = end.map(|e| e.to_vec());
                break;
            }
            let want = SCAN_CHUNK.min((limit - out.len()).max(1) as u32);
            // The chunk covers [cursor, chunk_end).
            let (rows, chunk_end) = self.fetch_examined(&cursor, end, want, None).await?;
            self.merge_own_writes(&mut out, rows, &cursor, chunk_end.as_deref());
            match chunk_end {
                Some(c) => cursor = c,
                None => {
                    covered_end = None;
                    break;
                }
            }
        }
        out.truncate(limit);
        // Rows past the limit were looked at but not returned: the read
        // depends only on keys up to the last row returned.
        let covered_end = match out.last() {
            Some((k, _)) if out.len() >= limit => Some(next_key(k)),
            _ => covered_end,
        };
        self.reads.spans.push((start.to_vec(), covered_end));
        Ok(out)
    }

    /// The span `[start, end)` cut where ranges begin (as this node's range
    /// cache knows them), so that a caller can scan the pieces concurrently
    /// with [`Self::scan_chunks`].
    pub async fn split_by_range(
        &self,
        start: &[u8],
        end: &[u8],
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, TxnError> {
        Ok(self
            .span_pieces(start, Some(end))
            .await?
            .into_iter()
            .map(|(_, s, e)| (s, e.unwrap_or_else(|| end.to_vec())))
            .collect())
    }

    /// Fetches one chunk of up to `limit` examined rows from each
    /// `[cursor, end)` of `requests`, all concurrently (each from the range
    /// holding its cursor). With a `filter` program the ranges drop rows
    /// that certainly do not match (see `rangedb_common::row_filter`); the
    /// transaction's own buffered writes in the examined spans are merged in
    /// unfiltered, so the caller evaluates its predicate again. The examined
    /// spans join the read set.
    pub async fn scan_chunks(
        &mut self,
        requests: &[(Vec<u8>, Vec<u8>)],
        limit: usize,
        filter: Option<&[u8]>,
    ) -> Result<Vec<ScanChunk>, TxnError> {
        self.check_open()?;
        let limit = limit.clamp(1, SCAN_CHUNK as usize) as u32;
        let this = &*self;
        let fetches = requests
            .iter()
            .map(|(cursor, end)| this.fetch_examined(cursor, Some(end), limit, filter));
        let fetched = futures::future::join_all(fetches).await;
        let mut out = Vec::with_capacity(requests.len());
        for ((cursor, end), r) in requests.iter().zip(fetched) {
            let (rows, examined_end) = r?;
            // The span is bounded, so what was examined is too.
            let examined_end = examined_end.unwrap_or_else(|| end.clone());
            let mut merged = Vec::with_capacity(rows.len());
            self.merge_own_writes(&mut merged, rows, cursor, Some(&examined_end));
            self.reads
                .spans
                .push((cursor.clone(), Some(examined_end.clone())));
            out.push(ScanChunk {
                rows: merged,
                next: (examined_end < *end).then_some(examined_end),
            });
        }
        Ok(out)
    }

    /// One chunk request to the range holding `cursor`, for `[cursor, end)`:
    /// the rows returned and the end (exclusive; `None` = unbounded) of the
    /// keys the range examined, which is where the next chunk starts.
    async fn fetch_examined(
        &self,
        cursor: &[u8],
        end: Option<&[u8]>,
        limit: u32,
        filter: Option<&[u8]>,
    ) -> Result<(Vec<(Vec<u8>, Vec<u8>)>, Option<Vec<u8>>), TxnError> {
        let req = RangeRequest::TxnScan {
            start: cursor.to_vec(),
            end: end.map(|e| e.to_vec()),
            ts: self.read_ts,
            owner: self.start_ts,
            limit,
            filter: filter.map(|f| f.to_vec()),
        };
        // Everything up to the range's end or the span's, whichever is first.
        let up_to = |range_end: Option<Vec<u8>>| match (range_end, end) {
            (Some(r), Some(e)) if r.as_slice() >= e => Some(e.to_vec()),
            (Some(r), _) => Some(r),
            (None, e) => e.map(|e| e.to_vec()),
        };
        match self.read_resolving_locks(cursor, req).await? {
            RangeResponse::Rows { rows, range_end } => {
                let examined_end = match rows.last() {
                    Some((k, _)) if rows.len() as u32 >= limit => Some(next_key(k)),
                    _ => up_to(range_end),
                };
                Ok((rows, examined_end))
            }
            RangeResponse::FilteredRows {
                rows,
                resume,
                range_end,
            } => Ok((rows, resume.or_else(|| up_to(range_end)))),
            other => Err(TxnError::Kv(KvError::Internal(format!(
                "unexpected answer to a scan: {other:?}"
            )))),
        }
    }

    /// Sends a transactional read to the range holding `key`; a lock in the
    /// way is resolved (or waited out, up to `reader_lock_wait`) and the read
    /// sent again.
    async fn read_resolving_locks(
        &self,
        key: &[u8],
        req: RangeRequest,
    ) -> Result<RangeResponse, TxnError> {
        let started = Instant::now();
        let mut backoff = Duration::from_millis(5);
        loop {
            match self.client.kv.route(key, |_| req.clone()).await {
                Ok((_, resp)) => return Ok(resp),
                Err(KvError::Txn(TxnConflict::Locked(lock))) => {
                    let patience = self.client.config.reader_lock_wait;
                    self.wait_for_lock(&lock, started, patience, &mut backoff)
                        .await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Appends `rows` (the cluster's view of `[from, to)`) to `out` with this
    /// transaction's buffered writes in that span applied.
    fn merge_own_writes(
        &self,
        out: &mut Vec<(Vec<u8>, Vec<u8>)>,
        rows: Vec<(Vec<u8>, Vec<u8>)>,
        from: &[u8],
        to: Option<&[u8]>,
    ) {
        let upper = match to {
            Some(t) => std::ops::Bound::Excluded(t.to_vec()),
            None => std::ops::Bound::Unbounded,
        };
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> = rows.into_iter().collect();
        for (k, w) in self
            .writes
            .range((std::ops::Bound::Included(from.to_vec()), upper))
        {
            match w {
                Some(v) => {
                    merged.insert(k.clone(), v.clone());
                }
                None => {
                    merged.remove(k);
                }
            }
        }
        out.extend(merged);
    }

    /// Buffers a write of `key`.
    pub fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), TxnError> {
        self.buffer(key, Some(value.to_vec()))
    }

    /// Buffers a delete of `key`.
    pub fn delete(&mut self, key: &[u8]) -> Result<(), TxnError> {
        self.buffer(key, None)
    }

    fn buffer(&mut self, key: &[u8], value: Option<Vec<u8>>) -> Result<(), TxnError> {
        self.check_open()?;
        let previous = self.writes.insert(key.to_vec(), value);
        if let Some(mark) = &mut self.statement {
            mark.record(key, previous);
        }
        self.unlocked.insert(key.to_vec());
        self.restore.remove(key);
        Ok(())
    }

    /// Abandons the transaction, releasing the locks its statements took.
    pub async fn rollback(mut self) {
        self.finished = true;
        if let Some(h) = self.heartbeat.take() {
            h.abort();
        }
        let keys: Vec<Vec<u8>> = std::mem::take(&mut self.locked).into_iter().collect();
        if !keys.is_empty() {
            if let Err(e) = rollback_keys(&self.client.kv, keys, self.start_ts).await {
                // Whatever stays locked is resolved by others after the TTL.
                tracing::debug!("rollback of {}: {e}", self.start_ts);
            }
        }
    }

    /// Commits; returns the commit timestamp (the start timestamp for a
    /// read-only transaction, which never aborts for validation).
    pub async fn commit(self) -> Result<Timestamp, TxnError> {
        self.commit_inner(None).await
    }

    /// Commits but stops dead at `point`, as a crashed coordinator would.
    /// For tests of recovery; returns the commit timestamp if one was taken.
    #[doc(hidden)]
    pub async fn commit_and_crash_at(self, point: CrashPoint) -> Result<Timestamp, TxnError> {
        self.commit_inner(Some(point)).await
    }

    async fn commit_inner(mut self, crash: Option<CrashPoint>) -> Result<Timestamp, TxnError> {
        self.check_open()?;
        self.finished = true;
        // Keeps the statements' locks alive until the commit takes them
        // over: a one-phase commit may wait for another lock first, and a
        // two-phase commit's prewrite refreshes the TTL.
        let heartbeat = self.heartbeat.take();
        let stop_heartbeat = move || {
            if let Some(h) = heartbeat {
                h.abort();
            }
        };
        if let Err(e) = self.write_back_restored().await {
            stop_heartbeat();
            self.abandon_locks().await;
            return Err(e);
        }
        if self.writes.is_empty() {
            stop_heartbeat();
            return Ok(self.start_ts);
        }
        let started = Instant::now();
        let mutations = self.buffered_mutations(self.writes.keys());
        // The fast path needs a small transaction that still reads at its
        // start timestamp. Locks its statements took go with the commit,
        // so each must be one of the writes (after the write-back above,
        // they all are).
        let may_one_phase = self.locked.iter().all(|k| self.writes.contains_key(k))
            && self.read_ts == self.start_ts
            && crash.is_none()
            && mutations.len() <= WRITE_BATCH;
        let one_phase = if may_one_phase {
            match self.single_range(&mutations).await {
                Ok(Some(desc)) => self.commit_one_phase(&desc, &mutations).await,
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            }
        } else {
            Ok(None)
        };
        stop_heartbeat();
        let result = match one_phase {
            Ok(Some(ts)) => Ok(ts),
            Ok(None) => self.commit_two_phase(mutations, crash).await,
            // Refused: nothing applied, so the statements' locks must go.
            // (Unknown: they went with the commit, or expire.)
            Err(e) => {
                if !matches!(e, TxnError::CommitUnknown(_)) && !self.locked.is_empty() {
                    self.abandon_locks().await;
                }
                Err(e)
            }
        };
        metrics::histogram!("rangedb_txn_commit_seconds").record(started.elapsed().as_secs_f64());
        match &result {
            Ok(_) => metrics::counter!("rangedb_txn_commits_total").increment(1),
            Err(_) => metrics::counter!("rangedb_txn_aborts_total").increment(1),
        }
        result
    }

    /// The buffered writes of `keys` as mutations.
    pub(crate) fn buffered_mutations<'a>(
        &self,
        keys: impl Iterator<Item = &'a Vec<u8>>,
    ) -> Vec<Mutation> {
        keys.filter_map(|k| {
            self.writes.get(k).map(|v| match v {
                Some(value) => Mutation::Put {
                    key: k.clone(),
                    value: value.clone(),
                },
                None => Mutation::Delete { key: k.clone() },
            })
        })
        .collect()
    }

    /// Rolls back the locks statements took (best effort), for a commit
    /// that failed before prewriting.
    async fn abandon_locks(&mut self) {
        let keys: Vec<Vec<u8>> = std::mem::take(&mut self.locked).into_iter().collect();
        if let Err(e) = rollback_keys(&self.client.kv, keys, self.start_ts).await {
            tracing::debug!("rollback of {}: {e}", self.start_ts);
        }
    }

    /// The range holding every mutation, if there is one.
    async fn single_range(
        &self,
        mutations: &[Mutation],
    ) -> Result<Option<RangeDescriptor>, TxnError> {
        let kv = &self.client.kv;
        let Some(first) = mutations.first() else {
            return Ok(None);
        };
        let desc = kv.range_of(first.key()).await?;
        Ok(mutations
            .iter()
            .all(|m| desc.contains(m.key()))
            .then_some(desc))
    }

    /// The read set cut into per-range pieces.
    async fn reads_by_range(&self) -> Result<Vec<(RangeDescriptor, ReadSet)>, TxnError> {
        let kv = &self.client.kv;
        let mut out: Vec<(RangeDescriptor, ReadSet)> = Vec::new();
        fn slot(out: &mut Vec<(RangeDescriptor, ReadSet)>, d: RangeDescriptor) -> &mut ReadSet {
            let i = match out.iter().position(|(x, _)| x.range_id == d.range_id) {
                Some(i) => i,
                None => {
                    out.push((d, ReadSet::default()));
                    out.len() - 1
                }
            };
            &mut out[i].1
        }
        for key in &self.reads.keys {
            let d = kv.range_of(key).await?;
            slot(&mut out, d).keys.push(key.clone());
        }
        for (start, end) in &self.reads.spans {
            for (d, s, e) in self.span_pieces(start, end.as_deref()).await? {
                slot(&mut out, d).spans.push((s, e));
            }
        }
        Ok(out)
    }

    async fn span_pieces(&self, start: &[u8], end: Option<&[u8]>) -> Result<SpanPieces, TxnError> {
        let kv = &self.client.kv;
        let mut pieces = Vec::new();
        let mut cursor = start.to_vec();
        loop {
            if end.is_some_and(|e| cursor.as_slice() >= e) {
                return Ok(pieces);
            }
            let d = kv.range_of(&cursor).await?;
            let piece_end = match (d.end_key.clone(), end) {
                (Some(r), Some(e)) => Some(r.min(e.to_vec())),
                (Some(r), None) => Some(r),
                (None, e) => e.map(|e| e.to_vec()),
            };
            pieces.push((d, cursor.clone(), piece_end.clone()));
            match piece_end {
                Some(p) => cursor = p,
                None => return Ok(pieces),
            }
        }
    }

    /// Validates the read set against `(read_ts, commit_ts]` on every
    /// range it touches, in parallel (SERIALIZABLE only).
    async fn validate(&self, commit_ts: Timestamp) -> Result<(), TxnError> {
        if !self.validates_reads() {
            return Ok(());
        }
        self.validate_window(self.read_ts, commit_ts).await
    }

    /// Checks that nothing the transaction read changed in
    /// `(from_ts, to_ts]`: the commit's validation, and the refresh that
    /// moves the read timestamp forward.
    pub(crate) async fn validate_window(
        &self,
        from_ts: Timestamp,
        to_ts: Timestamp,
    ) -> Result<(), TxnError> {
        if self.reads.is_empty() {
            return Ok(());
        }
        let pieces = self.reads_by_range().await?;
        let start_ts = self.start_ts;
        let kv = &self.client.kv;
        let checks = pieces.into_iter().map(|(d, reads)| async move {
            let req = RangeRequest::ValidateReads {
                reads,
                start_ts,
                from_ts,
                commit_ts: to_ts,
            };
            let started = Instant::now();
            let mut backoff = Duration::from_millis(10);
            loop {
                match kv.send_to(&d, &req).await {
                    Ok(_) => return Ok(()),
                    // The range split or moved since the read: restart (its
                    // cache entry is gone, so the retry re-cuts the spans).
                    Err(KvError::KeyOutsideRange { .. } | KvError::RangeNotFound { .. }) => {
                        return Err(TxnError::Retryable(TxnConflict::ReadConflict {
                            key: d.start_key.clone(),
                        }))
                    }
                    Err(e) if e.is_retryable() && started.elapsed() < Duration::from_secs(20) => {
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_millis(300));
                    }
                    Err(e) => return Err(TxnError::from(e)),
                }
            }
        });
        for r in futures::future::join_all(checks).await {
            r?;
        }
        Ok(())
    }

    /// The fast path: all writes (and, for SERIALIZABLE, all reads) in one
    /// range, committed by one Raft entry whose commit timestamp the range's
    /// leader takes while it latches the keys. Returns `None` (nothing was
    /// written) when the transaction does not qualify after all.
    async fn commit_one_phase(
        &self,
        desc: &RangeDescriptor,
        mutations: &[Mutation],
    ) -> Result<Option<Timestamp>, TxnError> {
        let mut waited = false;
        let result = self
            .commit_one_phase_waiting(desc, mutations, &mut waited)
            .await;
        if waited {
            self.forget_wait().await;
        }
        result
    }

    /// [`Self::commit_one_phase`], noting in `waited` whether it reported a
    /// wait to the deadlock detector.
    async fn commit_one_phase_waiting(
        &self,
        desc: &RangeDescriptor,
        mutations: &[Mutation],
        waited: &mut bool,
    ) -> Result<Option<Timestamp>, TxnError> {
        let kv = &self.client.kv;
        let mut reads = ReadSet::default();
        if self.validates_reads() {
            for (d, r) in self.reads_by_range().await? {
                if d.range_id != desc.range_id {
                    // Reads elsewhere would have to be validated against a
                    // commit timestamp that does not exist yet.
                    return Ok(None);
                }
                reads = r;
            }
        }
        let req = RangeRequest::CommitOnePhase {
            mutations: mutations.to_vec(),
            reads,
            start_ts: self.start_ts,
        };
        let started = Instant::now();
        let mut backoff = Duration::from_millis(10);
        // Once an attempt may have applied (its answer was lost), the
        // transaction must neither fall back to two-phase commit nor
        // restart: either could apply it twice.
        let mut maybe_applied = false;
        loop {
            match kv.send_to(desc, &req).await {
                Ok(RangeResponse::Committed(ts)) => {
                    metrics::counter!("rangedb_txn_one_phase_commits_total").increment(1);
                    return Ok(Some(ts));
                }
                Ok(other) => {
                    return Err(TxnError::Kv(KvError::Internal(format!(
                        "unexpected answer to a one-phase commit: {other:?}"
                    ))))
                }
                Err(e @ (KvError::KeyOutsideRange { .. } | KvError::RangeNotFound { .. }))
                    if maybe_applied =>
                {
                    return Err(TxnError::CommitUnknown(e.to_string()));
                }
                // The range split or moved: this attempt applied nothing.
                Err(KvError::KeyOutsideRange { .. } | KvError::RangeNotFound { .. }) => {
                    return Ok(None);
                }
                // It waits as long as a statement would (the lock is
                // usually an open block's row lock). Without locks of its
                // own it cannot be part of a deadlock; with them (its
                // statements' row locks) it reports the wait like they do.
                Err(KvError::Txn(TxnConflict::Locked(lock))) => {
                    if !self.locked.is_empty() {
                        *waited = true;
                        self.detect_deadlock(&lock).await?;
                    }
                    let patience = self.client.config.statement_lock_wait;
                    self.wait_for_lock(&lock, started, patience, &mut backoff)
                        .await?;
                }
                // Retrying is safe: a one-phase commit that applied is
                // recognised by its own records and answers the same.
                Err(e) if e.is_retryable() && started.elapsed() < Duration::from_secs(20) => {
                    maybe_applied |= !matches!(e, KvError::NotLeader { .. });
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(300));
                }
                Err(e) if e.is_retryable() => {
                    return Err(TxnError::CommitUnknown(e.to_string()));
                }
                // A conflict is an answer of the log: since the first key's
                // commit record is checked first, nothing of this applied.
                Err(e @ KvError::Txn(_)) => return Err(e.into()),
                Err(e) if maybe_applied => return Err(TxnError::CommitUnknown(e.to_string())),
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn ttl_ms(&self) -> u64 {
        lock_ttl_ms(self.start_ts, self.client.config.lock_ttl)
    }

    /// Prewrites `mutations` (all ranges in parallel), waiting out or
    /// clearing locks in the way for up to `patience` per batch.
    /// `pessimistic` for a statement's locks, taken before the commit.
    pub(crate) async fn prewrite(
        &self,
        mutations: &[Mutation],
        primary: &[u8],
        patience: Duration,
        pessimistic: bool,
    ) -> Result<(), TxnError> {
        for chunk in mutations.chunks(WRITE_BATCH) {
            self.prewrite_batch(chunk, primary, patience, pessimistic)
                .await?;
        }
        Ok(())
    }

    /// One bounded batch of [`Self::prewrite`]. Each wait for another
    /// transaction's lock is reported to the deadlock detector first; when
    /// the batch is done (or failed) the detector forgets the wait.
    async fn prewrite_batch(
        &self,
        mutations: &[Mutation],
        primary: &[u8],
        patience: Duration,
        pessimistic: bool,
    ) -> Result<(), TxnError> {
        let mut waited = false;
        let result = self
            .prewrite_batch_waiting(mutations, primary, patience, pessimistic, &mut waited)
            .await;
        if waited {
            self.forget_wait().await;
        }
        result
    }

    /// Tells the deadlock detector this transaction no longer waits.
    async fn forget_wait(&self) {
        let ended = self.client.kv.wait_ended(self.start_ts);
        match tokio::time::timeout(DETECTOR_PATIENCE, ended).await {
            Ok(Ok(())) => {}
            // The edge expires on its own (deadlock::EDGE_TTL).
            Ok(Err(e)) => tracing::debug!("deadlock detector: {e}"),
            Err(_) => tracing::debug!("deadlock detector did not answer"),
        }
    }

    /// Asks the deadlock detector whether waiting for `lock` is safe.
    /// `Err(Deadlock)` if it would close a cycle. When the detector cannot
    /// be reached the wait goes on: a deadlock then ends by timeout.
    async fn detect_deadlock(&self, lock: &LockInfo) -> Result<(), TxnError> {
        let asked = self.client.kv.wait_for(self.start_ts, lock.start_ts);
        match tokio::time::timeout(DETECTOR_PATIENCE, asked).await {
            Ok(Ok(cycle)) if cycle.is_empty() => Ok(()),
            Ok(Ok(cycle)) => Err(TxnError::Deadlock { cycle }),
            Ok(Err(e)) => {
                tracing::debug!("deadlock detector: {e}");
                Ok(())
            }
            Err(_) => {
                tracing::debug!("deadlock detector did not answer");
                Ok(())
            }
        }
    }

    async fn prewrite_batch_waiting(
        &self,
        mutations: &[Mutation],
        primary: &[u8],
        patience: Duration,
        pessimistic: bool,
        waited: &mut bool,
    ) -> Result<(), TxnError> {
        let kv = &self.client.kv;
        let started = Instant::now();
        let mut backoff = Duration::from_millis(5);
        loop {
            let cmd_primary = primary.to_vec();
            let (start_ts, read_ts, ttl_ms) = (self.start_ts, self.read_ts, self.ttl_ms());
            let r = kv
                .route_grouped(
                    mutations.to_vec(),
                    |m: &Mutation| m.key(),
                    |_, ms| {
                        RangeRequest::Txn(TxnCommand::Prewrite {
                            mutations: ms,
                            primary: cmd_primary.clone(),
                            start_ts,
                            read_ts,
                            ttl_ms,
                            pessimistic,
                        })
                    },
                )
                .await;
            match r {
                Ok(_) => return Ok(()),
                Err(KvError::Txn(TxnConflict::Locked(lock))) => {
                    *waited = true;
                    self.detect_deadlock(&lock).await?;
                    self.wait_for_lock(&lock, started, patience, &mut backoff)
                        .await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Prewrites every write (statements' locks become ordinary locks, so
    /// readers wait for them from here on), takes the commit timestamp,
    /// validates, and commits the primary (the commit point), then the
    /// secondaries in the background.
    async fn commit_two_phase(
        &mut self,
        mutations: Vec<Mutation>,
        crash: Option<CrashPoint>,
    ) -> Result<Timestamp, TxnError> {
        let kv = self.client.kv.clone();
        self.unlocked.clear();
        let primary = match (&self.primary, mutations.first()) {
            (Some(p), _) => p.clone(),
            (None, Some(m)) => m.key().to_vec(),
            (None, None) => return Ok(self.start_ts),
        };
        self.primary = Some(primary.clone());
        // Everything that may carry a lock of ours: what commit or rollback must reach.
        let mut all_keys: BTreeSet<Vec<u8>> = std::mem::take(&mut self.locked);
        all_keys.extend(self.writes.keys().cloned());
        let all_keys: Vec<Vec<u8>> = all_keys.into_iter().collect();
        let patience = self.client.config.writer_lock_wait;

        if crash == Some(CrashPoint::DuringPrewrite) {
            let desc = kv.range_of(&primary).await?;
            let first: Vec<Mutation> = mutations
                .iter()
                .filter(|m| desc.contains(m.key()))
                .cloned()
                .collect();
            self.prewrite(&first, &primary, patience, false).await?;
            return Err(crashed());
        }
        if let Err(e) = self.prewrite(&mutations, &primary, patience, false).await {
            if crash == Some(CrashPoint::DuringRollback) {
                let desc = kv.range_of(&primary).await?;
                let first: Vec<Vec<u8>> = all_keys
                    .iter()
                    .filter(|k| desc.contains(k))
                    .cloned()
                    .collect();
                rollback_keys(&kv, first, self.start_ts).await?;
                return Err(crashed());
            }
            // Best effort: whatever stays locked is resolved by others after the TTL.
            if let Err(rb) = rollback_keys(&kv, all_keys, self.start_ts).await {
                tracing::debug!("rollback after failed prewrite: {rb}");
            }
            return Err(e);
        }
        if crash == Some(CrashPoint::AfterPrewrite) {
            return Err(crashed());
        }

        let commit_ts = match kv.timestamp().await {
            Ok(ts) => ts,
            Err(e) => {
                if let Err(rb) = rollback_keys(&kv, all_keys, self.start_ts).await {
                    tracing::debug!("rollback after no commit timestamp: {rb}");
                }
                return Err(e.into());
            }
        };
        if let Err(e) = self.validate(commit_ts).await {
            if let Err(rb) = rollback_keys(&kv, all_keys, self.start_ts).await {
                tracing::debug!("rollback after failed validation: {rb}");
            }
            return Err(e);
        }

        // The commit point.
        let start_ts = self.start_ts;
        let commit_primary = RangeRequest::Txn(TxnCommand::Commit {
            keys: vec![primary.clone()],
            start_ts,
            commit_ts,
        });
        match kv.route(&primary, |_| commit_primary.clone()).await {
            Ok(_) => {}
            Err(KvError::Txn(c)) => {
                // Rolled back by a resolver who thought us dead.
                if let Err(rb) = rollback_keys(&kv, all_keys, start_ts).await {
                    tracing::debug!("rollback after refused commit: {rb}");
                }
                return Err(TxnError::Retryable(c));
            }
            Err(e) => return self.learn_outcome(&primary, commit_ts, e).await,
        }
        if crash == Some(CrashPoint::AfterPrimaryCommit) {
            return Ok(commit_ts);
        }

        // Secondaries: in the background; a reader that gets there first
        // rolls them forward from the primary.
        let secondaries: Vec<Vec<u8>> = all_keys.into_iter().filter(|k| *k != primary).collect();
        if !secondaries.is_empty() {
            tokio::spawn(async move {
                for chunk in secondaries.chunks(WRITE_BATCH) {
                    let r = kv
                        .route_grouped(
                            chunk.to_vec(),
                            |k: &Vec<u8>| k.as_slice(),
                            |_, ks| {
                                RangeRequest::Txn(TxnCommand::Commit {
                                    keys: ks,
                                    start_ts,
                                    commit_ts,
                                })
                            },
                        )
                        .await;
                    if let Err(e) = r {
                        tracing::debug!("committing secondaries of {start_ts}: {e}");
                    }
                }
            });
        }
        Ok(commit_ts)
    }

    /// The primary's commit failed without an answer: ask the primary what
    /// happened (without rolling anything back).
    async fn learn_outcome(
        &self,
        primary: &[u8],
        commit_ts: Timestamp,
        cause: KvError,
    ) -> Result<Timestamp, TxnError> {
        let lock = LockInfo {
            key: primary.to_vec(),
            primary: primary.to_vec(),
            start_ts: self.start_ts,
            ttl_ms: u64::MAX,
        };
        match self.client.check_status(&lock).await {
            Ok(rangedb_common::TxnStatus::Committed { commit_ts: c }) if c == commit_ts => {
                Ok(commit_ts)
            }
            Ok(rangedb_common::TxnStatus::RolledBack) => {
                Err(TxnError::Retryable(TxnConflict::Aborted {
                    key: primary.to_vec(),
                }))
            }
            _ => Err(TxnError::CommitUnknown(cause.to_string())),
        }
    }
}

/// The TTL to give a lock of the transaction `start_ts` now: it counts from
/// the start timestamp's physical time, so it is however long the
/// transaction has run plus `lock_ttl`, and a lock is never born expired.
pub(crate) fn lock_ttl_ms(start_ts: Timestamp, lock_ttl: Duration) -> u64 {
    let now = Timestamp::from_wall_clock().physical_ms();
    let ran = now.saturating_sub(start_ts.physical_ms());
    ran + lock_ttl.as_millis() as u64
}

/// Removes the locks of the transaction `start_ts` from `keys`
/// (idempotent; keys it never locked get a rollback marker).
pub(crate) async fn rollback_keys(
    kv: &rangedb_kv::KvClient,
    keys: Vec<Vec<u8>>,
    start_ts: Timestamp,
) -> Result<(), TxnError> {
    for chunk in keys.chunks(WRITE_BATCH) {
        kv.route_grouped(
            chunk.to_vec(),
            |k: &Vec<u8>| k.as_slice(),
            |_, ks| RangeRequest::Txn(TxnCommand::Rollback { keys: ks, start_ts }),
        )
        .await?;
    }
    Ok(())
}

fn crashed() -> TxnError {
    TxnError::Kv(KvError::Unavailable(
        "coordinator crashed (test crash point)".into(),
    ))
}
