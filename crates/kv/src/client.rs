//! The client side of the KV layer: finds the range of a key through a range
//! cache backed by the meta range, sends the request to the range's leader,
//! and retries on stale routing, leader changes and unreachable nodes until a
//! deadline. Scans cross range boundaries in bounded chunks.

use crate::api::{KvRequest, KvResponse, RangeRequest, RangeResponse};
use rangedb_common::keys::{
    is_user_key, meta_lookup_start, meta_span_end, next_key, META_PREFIX, USER_KEY_MIN,
};
use rangedb_common::{
    KvError, NodeId, RangeDescriptor, RangeId, ReplicaDescriptor, Timestamp, META_RANGE_ID,
};
use rangedb_raft::WriteOp;
use rangedb_rpc::{ConnPool, RangeMessage};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Rows fetched per request when scanning.
pub const SCAN_CHUNK: u32 = 1_000;

/// Where to find the meta range before anything is cached: the local
/// replica's descriptor if this process hosts one, else the seed addresses.
pub type MetaSource = Box<dyn Fn() -> Option<RangeDescriptor> + Send + Sync>;

type TsoWaiter = oneshot::Sender<Result<Timestamp, KvError>>;

/// Routes KV requests to range leaders. Cheap to share (`Arc`).
pub struct KvClient {
    pool: Arc<ConnPool>,
    seeds: Vec<String>,
    meta_source: MetaSource,
    /// Range descriptors by start key.
    cache: RwLock<BTreeMap<Vec<u8>, RangeDescriptor>>,
    /// Last known leader of each range.
    leaders: RwLock<HashMap<RangeId, NodeId>>,
    /// How long a request may retry before giving up.
    deadline: Duration,
    tso: mpsc::UnboundedSender<TsoWaiter>,
}

impl KvClient {
    /// A client using `pool`, finding the meta range through `meta_source`
    /// or, failing that, the `seeds` (RPC addresses of cluster nodes).
    pub fn new(pool: Arc<ConnPool>, seeds: Vec<String>, meta_source: MetaSource) -> Arc<Self> {
        let (tx, rx) = mpsc::unbounded_channel();
        let client = Arc::new(Self {
            pool,
            seeds,
            meta_source,
            cache: RwLock::new(BTreeMap::new()),
            leaders: RwLock::new(HashMap::new()),
            deadline: Duration::from_secs(20),
            tso: tx,
        });
        tokio::spawn(tso_batcher(Arc::downgrade(&client), rx));
        client
    }

    fn meta_descriptor(&self) -> RangeDescriptor {
        (self.meta_source)().unwrap_or_else(|| RangeDescriptor {
            range_id: META_RANGE_ID,
            start_key: Vec::new(),
            end_key: Some(USER_KEY_MIN.to_vec()),
            generation: 0,
            replicas: self
                .seeds
                .iter()
                .map(|a| ReplicaDescriptor {
                    node_id: 0,
                    addr: a.clone(),
                })
                .collect(),
        })
    }

    /// Sends one request to one node.
    async fn send(
        &self,
        addr: &str,
        range_id: RangeId,
        req: &RangeRequest,
    ) -> Result<RangeResponse, KvError> {
        let payload = bincode::serialize(req).map_err(|e| KvError::Internal(e.to_string()))?;
        let mut client = self
            .pool
            .client(addr)
            .map_err(|e| KvError::Unavailable(format!("{addr}: {e}")))?;
        let call = client.range(RangeMessage { range_id, payload });
        let reply = match tokio::time::timeout(Duration::from_secs(10), call).await {
            Ok(Ok(r)) => r.into_inner(),
            Ok(Err(status)) => {
                metrics::counter!("rangedb_rpc_errors_total", "kind" => "range").increment(1);
                return Err(KvError::Unavailable(format!(
                    "{addr}: {}",
                    status.message()
                )));
            }
            Err(_) => {
                metrics::counter!("rangedb_rpc_errors_total", "kind" => "range_timeout")
                    .increment(1);
                return Err(KvError::Unavailable(format!("{addr}: request timed out")));
            }
        };
        bincode::deserialize::<Result<RangeResponse, KvError>>(&reply.data)
            .map_err(|e| KvError::Internal(format!("bad reply from {addr}: {e}")))?
    }

    /// Sends `req` to the leader of `desc`, following leader hints.
    async fn send_to_range(
        &self,
        desc: &RangeDescriptor,
        req: &RangeRequest,
    ) -> Result<RangeResponse, KvError> {
        let hint = self
            .leaders
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&desc.range_id)
            .copied();
        let mut order: Vec<&ReplicaDescriptor> = desc.replicas.iter().collect();
        if let Some(h) = hint {
            order.sort_by_key(|r| r.node_id != h);
        }
        let mut last = KvError::Unavailable(format!("range {} has no replicas", desc.range_id));
        let mut tried = Vec::new();
        let mut i = 0;
        while i < order.len() {
            let r = order[i];
            i += 1;
            if tried.contains(&r.addr) {
                continue;
            }
            tried.push(r.addr.clone());
            match self.send(&r.addr, desc.range_id, req).await {
                Ok(resp) => {
                    if r.node_id != 0 {
                        self.leaders
                            .write()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(desc.range_id, r.node_id);
                    }
                    return Ok(resp);
                }
                Err(KvError::NotLeader {
                    leader: Some(l), ..
                }) if !tried
                    .iter()
                    .any(|a| desc.replica(l).is_some_and(|x| &x.addr == a)) =>
                {
                    if let Some(lr) = desc.replica(l) {
                        // Try the hinted leader next.
                        order.insert(i, lr);
                    }
                    last = KvError::NotLeader {
                        range_id: desc.range_id,
                        leader: Some(l),
                    };
                }
                Err(e @ (KvError::NotLeader { .. } | KvError::Unavailable(_))) => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    /// The descriptor of the range holding `key` (cache, then meta range).
    pub async fn range_of(&self, key: &[u8]) -> Result<RangeDescriptor, KvError> {
        if key < USER_KEY_MIN {
            return Ok(self.meta_descriptor());
        }
        {
            let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
            if let Some((_, d)) = cache
                .range::<[u8], _>((std::ops::Bound::Unbounded, std::ops::Bound::Included(key)))
                .next_back()
            {
                if d.contains(key) {
                    return Ok(d.clone());
                }
            }
        }
        let meta = self.meta_descriptor();
        let req = RangeRequest::Scan {
            start: meta_lookup_start(key),
            end: Some(meta_span_end()),
            ts: Timestamp::MAX,
            limit: 1,
        };
        let RangeResponse::Rows { rows, .. } = self.send_to_range(&meta, &req).await? else {
            return Err(KvError::Internal("meta lookup returned no rows".into()));
        };
        let desc: RangeDescriptor = match rows.first() {
            Some((_, v)) => bincode::deserialize(v)
                .map_err(|e| KvError::Internal(format!("corrupt descriptor: {e}")))?,
            None => {
                return Err(KvError::Unavailable(
                    "meta range has no descriptor for key yet".into(),
                ))
            }
        };
        if !desc.contains(key) {
            return Err(KvError::Unavailable(format!(
                "meta range is behind a split (found {desc})"
            )));
        }
        self.cache_insert(desc.clone());
        Ok(desc)
    }

    fn cache_insert(&self, desc: RangeDescriptor) {
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        let overlapping: Vec<Vec<u8>> = cache
            .values()
            .filter(|d| {
                let starts_before_end = desc.end_key.as_ref().is_none_or(|e| &d.start_key < e);
                let ends_after_start = d.end_key.as_ref().is_none_or(|e| e > &desc.start_key);
                starts_before_end && ends_after_start
            })
            .map(|d| d.start_key.clone())
            .collect();
        for k in overlapping {
            cache.remove(&k);
        }
        cache.insert(desc.start_key.clone(), desc);
    }

    fn invalidate(&self, desc: &RangeDescriptor) {
        self.cache
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&desc.start_key);
    }

    /// Sends a request built for the range holding `key`, retrying with
    /// backoff on stale routing and unavailability until the deadline.
    pub async fn route(
        &self,
        key: &[u8],
        make: impl Fn(&RangeDescriptor) -> RangeRequest,
    ) -> Result<(RangeDescriptor, RangeResponse), KvError> {
        let started = Instant::now();
        let mut backoff = Duration::from_millis(10);
        loop {
            let attempt = match self.range_of(key).await {
                Ok(desc) => {
                    let r = self.send_to_range(&desc, &make(&desc)).await;
                    if matches!(
                        r,
                        Err(KvError::RangeNotFound { .. } | KvError::KeyOutsideRange { .. })
                    ) {
                        self.invalidate(&desc);
                    }
                    r.map(|resp| (desc, resp))
                }
                Err(e) => Err(e),
            };
            match attempt {
                Ok(ok) => return Ok(ok),
                Err(e) if e.is_retryable() && started.elapsed() < self.deadline => {
                    tracing::debug!("retrying after {e}");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(300));
                }
                Err(e) if e.is_retryable() => {
                    return Err(KvError::Timeout(format!(
                        "gave up after {:?}: {e}",
                        started.elapsed()
                    )))
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// A fresh timestamp from the oracle (concurrent callers share one request).
    pub async fn timestamp(&self) -> Result<Timestamp, KvError> {
        let (tx, rx) = oneshot::channel();
        self.tso
            .send(tx)
            .map_err(|_| KvError::Unavailable("client is shutting down".into()))?;
        rx.await
            .map_err(|_| KvError::Unavailable("client is shutting down".into()))?
    }

    async fn alloc_timestamps(&self, count: u32) -> Result<Timestamp, KvError> {
        match self
            .route(&[], |_| RangeRequest::TsoAlloc { count })
            .await?
            .1
        {
            RangeResponse::Timestamps { first, .. } => Ok(first),
            other => Err(KvError::Internal(format!(
                "unexpected TSO answer {other:?}"
            ))),
        }
    }

    /// Tells the deadlock detector that `waiter` is about to wait for
    /// `holder`'s lock. Returns the cycle that waiting would close (waiter
    /// first), empty when the wait is safe. See [`crate::deadlock`].
    pub async fn wait_for(
        &self,
        waiter: Timestamp,
        holder: Timestamp,
    ) -> Result<Vec<Timestamp>, KvError> {
        match self
            .route(&[], |_| RangeRequest::WaitFor { waiter, holder })
            .await?
            .1
        {
            RangeResponse::WaitVerdict { cycle } => Ok(cycle),
            other => Err(KvError::Internal(format!(
                "unexpected answer to WaitFor: {other:?}"
            ))),
        }
    }

    /// Tells the deadlock detector that `waiter` waits no more.
    pub async fn wait_ended(&self, waiter: Timestamp) -> Result<(), KvError> {
        match self
            .route(&[], |_| RangeRequest::WaitEnded { waiter })
            .await?
            .1
        {
            RangeResponse::WaitEnded => Ok(()),
            other => Err(KvError::Internal(format!(
                "unexpected answer to WaitEnded: {other:?}"
            ))),
        }
    }

    /// Reads `key` as of `ts`.
    pub async fn get(&self, key: &[u8], ts: Timestamp) -> Result<Option<Vec<u8>>, KvError> {
        match self
            .route(key, |_| RangeRequest::Get {
                key: key.to_vec(),
                ts,
            })
            .await?
            .1
        {
            RangeResponse::Value(v) => Ok(v),
            other => Err(KvError::Internal(format!(
                "unexpected get answer {other:?}"
            ))),
        }
    }

    /// Applies one versioned write to the range holding its key.
    pub async fn write(&self, op: WriteOp) -> Result<(), KvError> {
        let key = op.key().to_vec();
        match self
            .route(&key, |_| RangeRequest::Write {
                ops: vec![op.clone()],
            })
            .await?
            .1
        {
            RangeResponse::Written => Ok(()),
            other => Err(KvError::Internal(format!(
                "unexpected write answer {other:?}"
            ))),
        }
    }

    /// Live keys of `[start, end)` as of `ts`, up to `limit`, fetched range by
    /// range in chunks of at most [`SCAN_CHUNK`].
    pub async fn scan(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        ts: Timestamp,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, KvError> {
        let mut out = Vec::new();
        let mut cursor = start.to_vec();
        while out.len() < limit && end.is_none_or(|e| cursor.as_slice() < e) {
            let want = SCAN_CHUNK.min((limit - out.len()) as u32);
            let req_end = end.map(|e| e.to_vec());
            let from = cursor.clone();
            let (_, resp) = self
                .route(&cursor, |_| RangeRequest::Scan {
                    start: from.clone(),
                    end: req_end.clone(),
                    ts,
                    limit: want,
                })
                .await?;
            let RangeResponse::Rows { rows, range_end } = resp else {
                return Err(KvError::Internal("scan returned no rows".into()));
            };
            let full = rows.len() as u32 == want;
            if let Some((last, _)) = rows.last() {
                cursor = next_key(last);
            }
            out.extend(rows);
            if !full {
                match range_end {
                    Some(e) if cursor < e => cursor = e,
                    Some(_) => {}
                    None => break,
                }
            }
        }
        Ok(out)
    }

    /// Sends one request per range for `items` (grouped by the range holding
    /// each item's key), all ranges in parallel. `make` builds the request
    /// for a range from the items it holds. Regroups and resends the items
    /// of a range that split or moved meanwhile. Answers come per range.
    pub async fn route_grouped<T, F>(
        &self,
        items: Vec<T>,
        key_of: fn(&T) -> &[u8],
        make: F,
    ) -> Result<Vec<(RangeDescriptor, Vec<T>, RangeResponse)>, KvError>
    where
        T: Clone + Send + Sync,
        F: Fn(&RangeDescriptor, Vec<T>) -> RangeRequest + Send + Sync,
    {
        let mut groups: Vec<(RangeDescriptor, Vec<T>)> = Vec::new();
        for item in items {
            let desc = self.range_of(key_of(&item)).await?;
            match groups.iter_mut().find(|(d, _)| d.range_id == desc.range_id) {
                Some((_, v)) => v.push(item),
                None => groups.push((desc, vec![item])),
            }
        }
        let sends = groups
            .into_iter()
            .map(|(_, group)| self.route_group(group, key_of, &make));
        let mut out = Vec::new();
        for r in futures::future::join_all(sends).await {
            out.extend(r?);
        }
        Ok(out)
    }

    /// Sends `items` (normally all in one range) range by range, following
    /// splits: each round routes by the first remaining item's key and sends
    /// the items the range it reached holds.
    async fn route_group<T, F>(
        &self,
        mut remaining: Vec<T>,
        key_of: fn(&T) -> &[u8],
        make: &F,
    ) -> Result<Vec<(RangeDescriptor, Vec<T>, RangeResponse)>, KvError>
    where
        T: Clone,
        F: Fn(&RangeDescriptor, Vec<T>) -> RangeRequest,
    {
        let mut out = Vec::new();
        while let Some(first) = remaining.first() {
            let first_key = key_of(first).to_vec();
            let pending = &remaining;
            let (desc, resp) = self
                .route(&first_key, |d| {
                    let mine: Vec<T> = pending
                        .iter()
                        .filter(|i| d.contains(key_of(i)))
                        .cloned()
                        .collect();
                    make(d, mine)
                })
                .await?;
            let (mine, rest): (Vec<T>, Vec<T>) = remaining
                .into_iter()
                .partition(|i| desc.contains(key_of(i)));
            out.push((desc, mine, resp));
            remaining = rest;
        }
        Ok(out)
    }

    /// Sends `req` once to the range `desc` names (following leader hints,
    /// but not re-routing): for requests that are only valid for exactly that
    /// range, such as a one-phase commit. Stale routing invalidates the cache
    /// entry and is returned to the caller.
    pub async fn send_to(
        &self,
        desc: &RangeDescriptor,
        req: &RangeRequest,
    ) -> Result<RangeResponse, KvError> {
        let r = self.send_to_range(desc, req).await;
        if matches!(
            r,
            Err(KvError::RangeNotFound { .. } | KvError::KeyOutsideRange { .. })
        ) {
            self.invalidate(desc);
        }
        r
    }

    /// Splits the range holding `key` at `key`.
    pub async fn split(&self, key: &[u8]) -> Result<(RangeDescriptor, RangeDescriptor), KvError> {
        let split_key = key.to_vec();
        match self
            .route(key, |_| RangeRequest::Split {
                split_key: split_key.clone(),
            })
            .await?
            .1
        {
            RangeResponse::Split { left, right } => {
                self.cache_insert(left.clone());
                self.cache_insert(right.clone());
                Ok((left, right))
            }
            other => Err(KvError::Internal(format!(
                "unexpected split answer {other:?}"
            ))),
        }
    }

    /// Allocates a fresh range id from the meta range.
    pub async fn alloc_range_id(&self) -> Result<RangeId, KvError> {
        match self.route(&[], |_| RangeRequest::AllocRangeId).await?.1 {
            RangeResponse::RangeId(id) => Ok(id),
            other => Err(KvError::Internal(format!("unexpected answer {other:?}"))),
        }
    }

    /// Records a descriptor in the meta range (kept if a newer one is there).
    pub async fn meta_upsert(&self, desc: &RangeDescriptor) -> Result<(), KvError> {
        let d = desc.clone();
        self.route(&[], |_| RangeRequest::MetaUpsert { desc: d.clone() })
            .await
            .map(|_| ())
    }

    /// Every range descriptor recorded in the meta range, in key order.
    pub async fn all_descriptors(&self) -> Result<Vec<RangeDescriptor>, KvError> {
        let mut out = Vec::new();
        let mut cursor = META_PREFIX.to_vec();
        loop {
            let from = cursor.clone();
            let req = |_: &RangeDescriptor| RangeRequest::Scan {
                start: from.clone(),
                end: Some(meta_span_end()),
                ts: Timestamp::MAX,
                limit: SCAN_CHUNK,
            };
            let RangeResponse::Rows { rows, .. } = self.route(&[], req).await?.1 else {
                return Err(KvError::Internal("meta scan returned no rows".into()));
            };
            let n = rows.len();
            for (k, v) in rows {
                out.push(
                    bincode::deserialize(&v)
                        .map_err(|e| KvError::Internal(format!("corrupt descriptor: {e}")))?,
                );
                cursor = next_key(&k);
            }
            if n < SCAN_CHUNK as usize {
                return Ok(out);
            }
        }
    }

    /// Executes a key-addressed request from outside the cluster.
    pub async fn execute(&self, req: KvRequest) -> Result<KvResponse, KvError> {
        fn user_key(k: &[u8]) -> Result<(), KvError> {
            crate::store::validate_key(k)?;
            if !is_user_key(k) {
                return Err(KvError::InvalidRequest(
                    "keys below 0x01 are reserved for the system".into(),
                ));
            }
            Ok(())
        }
        match req {
            KvRequest::Get { key, ts } => {
                user_key(&key)?;
                let read_ts = match ts {
                    Some(ts) => ts,
                    None => self.timestamp().await?,
                };
                let value = self.get(&key, read_ts).await?;
                Ok(KvResponse::Value { value, read_ts })
            }
            KvRequest::Put { key, value } => {
                user_key(&key)?;
                let ts = self.timestamp().await?;
                self.write(WriteOp::Put { key, value, ts }).await?;
                Ok(KvResponse::Written { ts })
            }
            KvRequest::Delete { key } => {
                user_key(&key)?;
                let ts = self.timestamp().await?;
                self.write(WriteOp::Delete { key, ts }).await?;
                Ok(KvResponse::Written { ts })
            }
            KvRequest::Scan {
                start,
                end,
                ts,
                limit,
            } => {
                user_key(&start)?;
                let read_ts = match ts {
                    Some(ts) => ts,
                    None => self.timestamp().await?,
                };
                let rows = self
                    .scan(&start, end.as_deref(), read_ts, limit as usize)
                    .await?;
                Ok(KvResponse::Rows { rows, read_ts })
            }
            KvRequest::Timestamp => Ok(KvResponse::Timestamp(self.timestamp().await?)),
            KvRequest::Split { key } => {
                user_key(&key)?;
                let (left, right) = self.split(&key).await?;
                Ok(KvResponse::Split { left, right })
            }
        }
    }
}

/// Collects concurrent timestamp requests and serves each batch with one
/// oracle request (the oracle confirms leadership once per request).
async fn tso_batcher(client: Weak<KvClient>, mut rx: mpsc::UnboundedReceiver<TsoWaiter>) {
    while let Some(first) = rx.recv().await {
        let mut waiters = vec![first];
        while let Ok(w) = rx.try_recv() {
            waiters.push(w);
        }
        let Some(client) = client.upgrade() else {
            break;
        };
        let result = client.alloc_timestamps(waiters.len() as u32).await;
        for (i, w) in waiters.into_iter().enumerate() {
            let _ = w.send(result.clone().map(|first| Timestamp(first.0 + i as u64)));
        }
    }
}
