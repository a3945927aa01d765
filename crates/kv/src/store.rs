//! Evaluates range requests on this node's replicas.
//!
//! Reads are linearizable through read-index (`ensure_linearizable`): the
//! leader confirms with a quorum that it still leads and waits until its state
//! machine has applied everything committed before the read arrived. This
//! costs one heartbeat round per read but needs no assumption about clocks;
//! see docs/reads.md for why this was chosen over a leader lease.

use crate::api::{RangeRequest, RangeResponse};
use crate::client::KvClient;
use crate::deadlock::{DeadlockDetector, WaitVerdict};
use crate::latches::{Footprint, Latches};
use crate::meta::MetaPublisher;
use crate::tso::TsoServer;
use rangedb_common::keys::MAX_KEY_LEN;
use rangedb_common::{
    KvError, NodeId, RangeDescriptor, RangeId, Timestamp, TxnConflict, META_RANGE_ID,
};
use rangedb_raft::{
    Command, CommandResponse, RaftHost, Rejection, Replica, ReplicaError, TxnCommand, TxnOutcome,
};
use rangedb_storage::{mvcc, txn};
use std::sync::Arc;

/// The server side of the KV layer on one node.
pub struct Store {
    host: Arc<RaftHost>,
    tso: TsoServer,
    client: Arc<KvClient>,
    meta: Arc<MetaPublisher>,
    latches: Arc<Latches>,
    /// The wait-for graph, used while this node leads the meta range.
    deadlocks: DeadlockDetector,
    /// Runs scan filter programs (the SQL layer's, registered by the node).
    row_filter: std::sync::OnceLock<Arc<dyn rangedb_common::RowFilter>>,
}

/// The largest number of rows one scan request returns.
pub const MAX_SCAN_LIMIT: u32 = 10_000;

/// Confirms this replica leads its range and has applied every committed
/// entry (read-index).
pub async fn ensure_leader(replica: &Replica) -> Result<(), KvError> {
    replica
        .read_index()
        .await
        .map_err(|e| replica_error(replica.range_id, e))
}

/// Maps a replica's refusal to the KV error a client understands.
pub fn replica_error(range_id: RangeId, e: ReplicaError) -> KvError {
    match e {
        ReplicaError::NotLeader(leader) => KvError::NotLeader { range_id, leader },
        ReplicaError::Unavailable(m) => KvError::Unavailable(format!("range {range_id}: {m}")),
    }
}

fn rejection(range_id: RangeId, r: Rejection) -> KvError {
    match r {
        Rejection::KeyOutsideRange { key } => KvError::KeyOutsideRange { range_id, key },
        Rejection::BadSplitKey { key } => KvError::InvalidRequest(format!(
            "cannot split range {range_id} at {}",
            rangedb_common::keys::PrettyKey(&key)
        )),
        Rejection::NotMetaRange => {
            KvError::InvalidRequest(format!("range {range_id} is not the meta range"))
        }
        Rejection::Uninitialized => KvError::RangeNotFound { range_id },
        Rejection::InvalidTxnCommand { reason } => KvError::InvalidRequest(reason),
    }
}

fn storage_error(e: rangedb_storage::StorageError) -> KvError {
    KvError::Internal(e.to_string())
}

/// The part of `[start, end)` inside the range. A scan may start before the
/// range (the client asked from an earlier key) but must overlap it.
fn clip_scan(
    range_id: RangeId,
    desc: &RangeDescriptor,
    start: Vec<u8>,
    end: Option<Vec<u8>>,
) -> Result<(Vec<u8>, Option<Vec<u8>>), KvError> {
    let from = start.clone().max(desc.start_key.clone());
    if !desc.contains(&from)
        || end
            .as_deref()
            .is_some_and(|e| e <= desc.start_key.as_slice())
    {
        return Err(KvError::KeyOutsideRange {
            range_id,
            key: start,
        });
    }
    let to = match (end.as_deref(), desc.end_key.as_deref()) {
        (Some(a), Some(b)) => Some(a.min(b).to_vec()),
        (Some(a), None) => Some(a.to_vec()),
        (None, b) => b.map(|b| b.to_vec()),
    };
    Ok((from, to))
}

/// Checks the shape of a key coming from outside.
pub fn validate_key(key: &[u8]) -> Result<(), KvError> {
    if key.len() > MAX_KEY_LEN {
        return Err(KvError::InvalidRequest(format!(
            "key of {} bytes exceeds the {MAX_KEY_LEN}-byte limit",
            key.len()
        )));
    }
    Ok(())
}

impl Store {
    /// The store of this node.
    pub fn new(host: Arc<RaftHost>, client: Arc<KvClient>, meta: Arc<MetaPublisher>) -> Self {
        Self {
            host,
            tso: TsoServer::default(),
            client,
            meta,
            latches: Arc::new(Latches::default()),
            deadlocks: DeadlockDetector::default(),
            row_filter: std::sync::OnceLock::new(),
        }
    }

    /// Registers what runs the filter programs scans carry (once; later
    /// calls are ignored). Without one, filtered scans return every row.
    pub fn set_row_filter(&self, filter: Arc<dyn rangedb_common::RowFilter>) {
        let _ = self.row_filter.set(filter);
    }

    /// Applies a scan's filter program (filter and projection) to the rows
    /// it examined.
    fn filter_rows(
        &self,
        rows: Vec<(Vec<u8>, Vec<u8>)>,
        limit: usize,
        program: &[u8],
        range_end: Option<Vec<u8>>,
    ) -> RangeResponse {
        let resume = match rows.last() {
            Some((k, _)) if rows.len() >= limit => Some(rangedb_common::keys::next_key(k)),
            _ => None,
        };
        let mut predicate = self.row_filter.get().and_then(|f| f.prepare(program));
        let examined = rows.len();
        let rows: Vec<(Vec<u8>, Vec<u8>)> = match &mut predicate {
            Some(p) => rows
                .into_iter()
                .filter_map(|(k, v)| p.process(&k, v).map(|v| (k, v)))
                .collect(),
            None => rows,
        };
        metrics::counter!("rangedb_kv_scan_rows_filtered_total")
            .increment((examined - rows.len()) as u64);
        RangeResponse::FilteredRows {
            rows,
            resume,
            range_end,
        }
    }

    /// This node's id.
    pub fn node_id(&self) -> NodeId {
        self.host.node_id()
    }

    /// The multi-raft host underneath.
    pub fn host(&self) -> &Arc<RaftHost> {
        &self.host
    }

    fn replica(&self, range_id: RangeId) -> Result<Arc<Replica>, KvError> {
        self.host
            .replica(range_id)
            .ok_or(KvError::RangeNotFound { range_id })
    }

    /// The replica's descriptor, or `RangeNotFound` if it is not initialised.
    fn descriptor(replica: &Replica) -> Result<RangeDescriptor, KvError> {
        replica.state().descriptor.ok_or(KvError::RangeNotFound {
            range_id: replica.range_id,
        })
    }

    /// What every transactional read at `ts` does before touching the
    /// engine: wait for one-phase commits latched on `footprint`, confirm
    /// leadership (read-index), and refuse `ts` below the range's GC
    /// threshold. Returns the range's descriptor.
    async fn txn_read_view(
        &self,
        replica: &Replica,
        footprint: &Footprint,
        ts: Timestamp,
    ) -> Result<RangeDescriptor, KvError> {
        self.latches.wait_clear(replica.range_id, footprint).await;
        ensure_leader(replica).await?;
        let st = replica.state();
        if ts < st.gc_threshold {
            return Err(KvError::Txn(TxnConflict::TooOld {
                ts,
                gc_threshold: st.gc_threshold,
            }));
        }
        st.descriptor.ok_or(KvError::RangeNotFound {
            range_id: replica.range_id,
        })
    }

    async fn propose(&self, replica: &Replica, cmd: Command) -> Result<CommandResponse, KvError> {
        let resp = replica
            .propose(cmd)
            .await
            .map_err(|e| replica_error(replica.range_id, e))?;
        match resp {
            CommandResponse::Rejected(r) => Err(rejection(replica.range_id, r)),
            other => Ok(other),
        }
    }

    /// Refuses a request for the meta range's in-memory services unless
    /// this replica leads it as far as it knows. No quorum round: the
    /// deadlock detector's graph is soft state. A deposed leader that still
    /// answers mostly misses deadlocks (they end by timeout); it could
    /// report one from an edge whose end was sent to its successor, which
    /// costs the victim a retry, never correctness.
    fn lead_meta_range(&self, replica: &Replica) -> Result<(), KvError> {
        if replica.range_id != META_RANGE_ID {
            return Err(KvError::InvalidRequest(
                "the deadlock detector is served by the meta range".into(),
            ));
        }
        let leader = replica.leader();
        if leader != Some(self.node_id()) {
            return Err(KvError::NotLeader {
                range_id: replica.range_id,
                leader,
            });
        }
        Ok(())
    }

    /// Evaluates one range request on this node.
    pub async fn handle(
        &self,
        range_id: RangeId,
        req: RangeRequest,
    ) -> Result<RangeResponse, KvError> {
        let replica = self.replica(range_id)?;
        match req {
            RangeRequest::Get { key, ts } => {
                validate_key(&key)?;
                ensure_leader(&replica).await?;
                let desc = Self::descriptor(&replica)?;
                if !desc.contains(&key) {
                    return Err(KvError::KeyOutsideRange { range_id, key });
                }
                let v = mvcc::get(self.host.engine().as_ref(), &key, ts)
                    .map_err(|e| KvError::Internal(e.to_string()))?;
                Ok(RangeResponse::Value(v))
            }
            RangeRequest::Scan {
                start,
                end,
                ts,
                limit,
            } => {
                validate_key(&start)?;
                ensure_leader(&replica).await?;
                let desc = Self::descriptor(&replica)?;
                let (from, to) = clip_scan(range_id, &desc, start, end)?;
                let limit = limit.clamp(1, MAX_SCAN_LIMIT) as usize;
                let rows = mvcc::scan(self.host.engine().as_ref(), &from, to.as_deref(), ts, limit)
                    .map_err(|e| KvError::Internal(e.to_string()))?;
                Ok(RangeResponse::Rows {
                    rows,
                    range_end: desc.end_key,
                })
            }
            RangeRequest::Write { ops } => {
                if ops.is_empty() {
                    return Err(KvError::InvalidRequest("empty write".into()));
                }
                for op in &ops {
                    validate_key(op.key())?;
                }
                self.propose(&replica, Command::Write { ops }).await?;
                Ok(RangeResponse::Written)
            }
            RangeRequest::Split { split_key } => self.split(&replica, split_key).await,
            RangeRequest::TsoAlloc { count } => {
                if range_id != META_RANGE_ID {
                    return Err(KvError::InvalidRequest(
                        "timestamps are served by the meta range".into(),
                    ));
                }
                let first = self
                    .tso
                    .alloc(&replica, count, self.host.engine().as_ref())
                    .await?;
                Ok(RangeResponse::Timestamps { first, count })
            }
            RangeRequest::WaitFor { waiter, holder } => {
                self.lead_meta_range(&replica)?;
                let cycle = match self.deadlocks.wait_for(waiter, holder) {
                    WaitVerdict::Wait => Vec::new(),
                    WaitVerdict::Deadlock(cycle) => {
                        metrics::counter!("rangedb_txn_deadlocks_total").increment(1);
                        cycle
                    }
                };
                Ok(RangeResponse::WaitVerdict { cycle })
            }
            RangeRequest::WaitEnded { waiter } => {
                self.lead_meta_range(&replica)?;
                self.deadlocks.wait_ended(waiter);
                Ok(RangeResponse::WaitEnded)
            }
            RangeRequest::WaitForLockRelease {
                key,
                owner,
                wait_ms,
            } => {
                validate_key(&key)?;
                let wait = std::time::Duration::from_millis(
                    wait_ms.min(crate::api::MAX_LOCK_WAIT_MS).into(),
                );
                let released = crate::lock_wait::wait_for_release(
                    &replica,
                    self.host.engine().as_ref(),
                    self.node_id(),
                    &key,
                    owner,
                    wait,
                )
                .await?;
                Ok(RangeResponse::LockWaitEnded { released })
            }
            RangeRequest::AllocRangeId => {
                match self.propose(&replica, Command::AllocRangeId).await? {
                    CommandResponse::RangeId(id) => Ok(RangeResponse::RangeId(id)),
                    other => Err(KvError::Internal(format!("unexpected answer {other:?}"))),
                }
            }
            RangeRequest::MetaUpsert { desc } => {
                self.propose(&replica, Command::MetaUpsert { desc }).await?;
                Ok(RangeResponse::MetaUpserted)
            }
            RangeRequest::TxnGet { key, ts, owner } => {
                validate_key(&key)?;
                let footprint = Footprint {
                    keys: vec![key.clone()],
                    spans: Vec::new(),
                };
                let desc = self.txn_read_view(&replica, &footprint, ts).await?;
                if !desc.contains(&key) {
                    return Err(KvError::KeyOutsideRange { range_id, key });
                }
                match txn::read(self.host.engine().as_ref(), &key, ts, owner)
                    .map_err(storage_error)?
                {
                    Ok(v) => Ok(RangeResponse::Value(v)),
                    Err(c) => Err(KvError::Txn(c)),
                }
            }
            RangeRequest::TxnScan {
                start,
                end,
                ts,
                owner,
                limit,
                filter,
            } => {
                validate_key(&start)?;
                let footprint = Footprint {
                    keys: Vec::new(),
                    spans: vec![(start.clone(), end.clone())],
                };
                let desc = self.txn_read_view(&replica, &footprint, ts).await?;
                let (from, to) = clip_scan(range_id, &desc, start, end)?;
                let limit = limit.clamp(1, MAX_SCAN_LIMIT) as usize;
                match txn::scan(
                    self.host.engine().as_ref(),
                    &from,
                    to.as_deref(),
                    ts,
                    owner,
                    limit,
                )
                .map_err(storage_error)?
                {
                    Ok(rows) => match filter {
                        None => Ok(RangeResponse::Rows {
                            rows,
                            range_end: desc.end_key,
                        }),
                        Some(program) => Ok(self.filter_rows(rows, limit, &program, desc.end_key)),
                    },
                    Err(c) => Err(KvError::Txn(c)),
                }
            }
            RangeRequest::ValidateReads {
                reads,
                start_ts,
                from_ts,
                commit_ts,
            } => {
                let footprint = Footprint {
                    keys: reads.keys.clone(),
                    spans: reads.spans.clone(),
                };
                let desc = self.txn_read_view(&replica, &footprint, from_ts).await?;
                if let Some(key) = reads
                    .keys
                    .iter()
                    .chain(reads.spans.iter().map(|(s, _)| s))
                    .find(|k| !desc.contains(k))
                {
                    return Err(KvError::KeyOutsideRange {
                        range_id,
                        key: key.clone(),
                    });
                }
                // A span past the range's end means the caller's cache
                // predates a split: stale routing, not a bad request.
                if let Some((start, _)) = reads
                    .spans
                    .iter()
                    .find(|(_, e)| rangedb_raft::span_passes_end(e, &desc))
                {
                    return Err(KvError::KeyOutsideRange {
                        range_id,
                        key: start.clone(),
                    });
                }
                match txn::validate_reads(
                    self.host.engine().as_ref(),
                    &reads,
                    start_ts,
                    from_ts,
                    commit_ts,
                )
                .map_err(storage_error)?
                {
                    Ok(()) => Ok(RangeResponse::TxnDone),
                    Err(c) => Err(KvError::Txn(c)),
                }
            }
            RangeRequest::ResolveLocksBelow { ts } => {
                ensure_leader(&replica).await?;
                let desc = Self::descriptor(&replica)?;
                let mut remaining = 0u64;
                let mut cursor = desc.start_key.clone();
                loop {
                    let engine = self.host.engine().clone();
                    let (from, end) = (cursor.clone(), desc.end_key.clone());
                    let locks = tokio::task::spawn_blocking(move || {
                        txn::locks_at_or_below(engine.as_ref(), &from, end.as_deref(), ts, 1_000)
                    })
                    .await
                    .map_err(|e| KvError::Internal(format!("lock scan task: {e}")))?
                    .map_err(storage_error)?;
                    let now = self.client.timestamp().await?;
                    for lock in &locks {
                        if !crate::resolve::resolve_lock(&self.client, lock, now).await? {
                            remaining += 1;
                        }
                    }
                    match locks.last() {
                        Some(l) if locks.len() == 1_000 => {
                            cursor = rangedb_common::keys::next_key(&l.key)
                        }
                        _ => return Ok(RangeResponse::LocksRemaining(remaining)),
                    }
                }
            }
            RangeRequest::CommitOnePhase {
                mutations,
                reads,
                start_ts,
            } => {
                self.commit_one_phase(&replica, mutations, reads, start_ts)
                    .await
            }
            RangeRequest::Txn(TxnCommand::CommitOnePhase { .. }) => Err(KvError::InvalidRequest(
                "a one-phase commit's timestamp is chosen by the leader: send CommitOnePhase"
                    .into(),
            )),
            // Deletions are planned by the leader itself; never taken from the network.
            RangeRequest::Txn(TxnCommand::Gc { .. }) => Err(KvError::InvalidRequest(
                "garbage collection is planned by the range's leader, not requested".into(),
            )),
            RangeRequest::Txn(TxnCommand::Commit {
                start_ts,
                commit_ts,
                ..
            }) if commit_ts <= start_ts => Err(KvError::InvalidRequest(format!(
                "commit timestamp {commit_ts} is not after start timestamp {start_ts}"
            ))),
            RangeRequest::Txn(cmd) => {
                for k in cmd.keys() {
                    validate_key(k)?;
                }
                // Checks and refusals the applied state already decides are
                // answered without a Raft write (waiters repeat them often).
                if let Some(answer) = crate::precheck::answer_from_applied_state(
                    &replica,
                    self.host.engine().as_ref(),
                    self.node_id(),
                    &cmd,
                )? {
                    return Ok(answer);
                }
                match self.propose(&replica, Command::Txn(cmd)).await? {
                    CommandResponse::Txn(Ok(TxnOutcome::Done)) => Ok(RangeResponse::TxnDone),
                    CommandResponse::Txn(Ok(TxnOutcome::Status(s))) => {
                        Ok(RangeResponse::TxnStatus(s))
                    }
                    CommandResponse::Txn(Ok(TxnOutcome::Committed(ts))) => {
                        Ok(RangeResponse::Committed(ts))
                    }
                    CommandResponse::Txn(Err(c)) => Err(KvError::Txn(c)),
                    other => Err(KvError::Internal(format!(
                        "unexpected transaction answer {other:?}"
                    ))),
                }
            }
        }
    }

    /// The one-phase fast path on this leader: latch the keys, take the
    /// commit timestamp, replicate one `CommitOnePhase`, unlatch (see
    /// [`crate::latches`] for why the order matters).
    async fn commit_one_phase(
        &self,
        replica: &Replica,
        mutations: Vec<rangedb_common::Mutation>,
        reads: txn::ReadSet,
        start_ts: Timestamp,
    ) -> Result<RangeResponse, KvError> {
        let range_id = replica.range_id;
        if mutations.is_empty() {
            return Err(KvError::InvalidRequest("empty one-phase commit".into()));
        }
        for m in &mutations {
            validate_key(m.key())?;
        }
        ensure_leader(replica).await?;
        let desc = Self::descriptor(replica)?;
        if let Some(m) = mutations.iter().find(|m| !desc.contains(m.key())) {
            return Err(KvError::KeyOutsideRange {
                range_id,
                key: m.key().to_vec(),
            });
        }
        let keys: Vec<Vec<u8>> = mutations.iter().map(|m| m.key().to_vec()).collect();
        let footprint = Footprint {
            keys: reads.keys.clone(),
            spans: reads.spans.clone(),
        };
        // The latch must outlive the proposal even if this request is
        // cancelled (the client timed out): released early, a reader could
        // miss a version that still lands below its timestamp. So the
        // latched part runs in its own task, which always runs to the end.
        let latches = self.latches.clone();
        let client = self.client.clone();
        let replica = self.replica(range_id)?;
        let task = tokio::spawn(async move {
            let _latch = latches.acquire(range_id, keys, &footprint).await;
            let commit_ts = client.timestamp().await?;
            let cmd = TxnCommand::CommitOnePhase {
                mutations,
                reads,
                start_ts,
                commit_ts,
            };
            let resp = replica
                .propose(Command::Txn(cmd))
                .await
                .map_err(|e| replica_error(range_id, e))?;
            match resp {
                CommandResponse::Txn(Ok(TxnOutcome::Committed(ts))) => {
                    Ok(RangeResponse::Committed(ts))
                }
                CommandResponse::Txn(Err(c)) => Err(KvError::Txn(c)),
                CommandResponse::Rejected(r) => Err(rejection(range_id, r)),
                other => Err(KvError::Internal(format!(
                    "unexpected one-phase commit answer {other:?}"
                ))),
            }
        });
        task.await
            .map_err(|e| KvError::Internal(format!("one-phase commit task: {e}")))?
    }

    /// Plans and proposes garbage collection of `range_id` below
    /// `safe_point`, in chunks of at most `chunk` deletions so that no
    /// single log entry (or apply) is large. Returns the number of engine
    /// entries deleted. Only the leader does this.
    pub async fn gc_range(
        &self,
        range_id: RangeId,
        safe_point: Timestamp,
        chunk: usize,
    ) -> Result<usize, KvError> {
        let replica = self.replica(range_id)?;
        ensure_leader(&replica).await?;
        let desc = Self::descriptor(&replica)?;
        let mut cursor = desc.start_key.clone();
        let mut deleted = 0;
        loop {
            // Planning iterates RocksDB: keep it off the async workers.
            let engine = self.host.engine().clone();
            let (from, end) = (cursor.clone(), desc.end_key.clone());
            let (deletions, resume) = tokio::task::spawn_blocking(move || {
                txn::plan_gc(engine.as_ref(), &from, end.as_deref(), safe_point, chunk)
            })
            .await
            .map_err(|e| KvError::Internal(format!("gc planning task: {e}")))?
            .map_err(storage_error)?;
            deleted += deletions.len();
            // Empty chunks are not replicated, but the last one always is:
            // it raises the range's GC threshold.
            if !deletions.is_empty() || resume.is_none() {
                self.propose(
                    &replica,
                    Command::Txn(TxnCommand::Gc {
                        safe_point,
                        deletions,
                    }),
                )
                .await?;
            }
            match resume {
                Some(k) => cursor = k,
                None => return Ok(deleted),
            }
            // Let foreground work through between chunks.
            tokio::task::yield_now().await;
        }
    }

    async fn split(&self, replica: &Replica, split_key: Vec<u8>) -> Result<RangeResponse, KvError> {
        validate_key(&split_key)?;
        ensure_leader(replica).await?;
        let desc = Self::descriptor(replica)?;
        if !desc.can_split_at(&split_key) {
            return Err(KvError::InvalidRequest(format!(
                "split key {} is not strictly inside range {} {}",
                rangedb_common::keys::PrettyKey(&split_key),
                desc.range_id,
                desc.span()
            )));
        }
        if replica.range_id == META_RANGE_ID {
            return Err(KvError::InvalidRequest(
                "the meta range does not split".into(),
            ));
        }
        let new_range_id = self.client.alloc_range_id().await?;
        let resp = self
            .propose(
                replica,
                Command::Split {
                    split_key,
                    new_range_id,
                },
            )
            .await?;
        let CommandResponse::Split { left, right } = resp else {
            return Err(KvError::Internal(format!(
                "unexpected split answer {resp:?}"
            )));
        };
        tracing::info!(left = %left, right = %right, "split range");
        metrics::counter!("rangedb_range_splits_total").increment(1);
        // Publish both halves now; the meta publisher would do it within a
        // second anyway, but routing is correct sooner this way.
        self.meta.publish(&self.client, &right).await;
        self.meta.publish(&self.client, &left).await;
        Ok(RangeResponse::Split { left, right })
    }
}
