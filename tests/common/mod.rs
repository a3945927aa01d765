//! A harness for multi-process cluster tests: spawns real `rangedb` node
//! processes on loopback ports, initialises the cluster through the CLI, and
//! offers fault injection (SIGKILL, SIGTERM, SIGSTOP/SIGCONT, restart) plus
//! helpers to inspect ranges, metrics and every node's own copy of the data.
//!
//! Nodes are addressed by their node id (1-based): `cluster.kill(2)` kills the
//! node started with `--node-id 2`. Node logs (stdout and stderr) go to
//! `<tempdir>/nodeN.log`; when a test panics, the tail of every log is printed.
//! Set `RANGEDB_TEST_KEEP=1` to keep the temporary directory.

#![allow(dead_code)]

use rangedb_common::{KvError, NodeId, RangeId, Timestamp};
use rangedb_kv::{
    AdminRequest, AdminResponse, KvRequest, KvResponse, RangeInfo, RemoteError, RemoteNode,
};
use std::fs::OpenOptions;
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Raft timings used by every test cluster (much shorter than the defaults).
pub const FAST_RAFT: [&str; 4] = [
    "--raft-heartbeat-ms",
    "100",
    "--raft-election-timeout-ms",
    "500",
];

/// The key every readiness probe writes (outside the key spans tests use).
pub const PROBE_KEY: &[u8] = b"zzzz-ready-probe";

/// The node binary built by cargo for this package.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rangedb"))
}

/// `n` distinct free loopback ports, picked below the kernel's ephemeral
/// range so no outgoing connection or `bind(0)` can take one before the node
/// binds it (see `rangedb::ports`).
pub fn free_ports(n: usize) -> Vec<u16> {
    rangedb::ports::free_loopback_ports(n).expect("free loopback ports")
}

/// A test key: `{prefix}{i:08}`.
pub fn key(prefix: &str, i: usize) -> Vec<u8> {
    format!("{prefix}{i:08}").into_bytes()
}

/// The value the tests write for `key`.
pub fn value_for(key: &[u8]) -> Vec<u8> {
    let mut v = b"value-of-".to_vec();
    v.extend_from_slice(key);
    v
}

/// The end of the span of keys starting with `prefix` (its last byte + 1), so
/// tests scan `[prefix, prefix_end(prefix))`.
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut e = prefix.to_vec();
    let last = e.last_mut().expect("non-empty prefix");
    assert!(*last < 0xff);
    *last += 1;
    e
}

/// The key right after `k` in byte order.
pub fn next_key(k: &[u8]) -> Vec<u8> {
    let mut n = k.to_vec();
    n.push(0);
    n
}

/// Renders a key for messages.
pub fn show(k: &[u8]) -> String {
    String::from_utf8_lossy(k).into_owned()
}

/// Polls `f` every 100 ms until it returns true; false if `timeout` passes.
pub async fn try_wait_for<F, Fut>(timeout: Duration, mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if f().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls `f` until it returns true; panics with `what` after `timeout`.
pub async fn wait_for<F, Fut>(what: &str, timeout: Duration, f: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    if !try_wait_for(timeout, f).await {
        panic!(
            "timed out after {:?} waiting for: {what}",
            started.elapsed()
        );
    }
}

/// Puts `key` = `value` through `node`.
pub async fn put(node: &RemoteNode, key: &[u8], value: &[u8]) -> Result<Timestamp, RemoteError> {
    match node
        .kv(KvRequest::Put {
            key: key.to_vec(),
            value: value.to_vec(),
        })
        .await?
    {
        KvResponse::Written { ts } => Ok(ts),
        other => panic!("unexpected answer to Put: {other:?}"),
    }
}

/// Reads `key` at a fresh timestamp through `node`.
pub async fn get(node: &RemoteNode, key: &[u8]) -> Result<Option<Vec<u8>>, RemoteError> {
    match node
        .kv(KvRequest::Get {
            key: key.to_vec(),
            ts: None,
        })
        .await?
    {
        KvResponse::Value { value, .. } => Ok(value),
        other => panic!("unexpected answer to Get: {other:?}"),
    }
}

/// Scans `[start, end)` at a fresh timestamp through `node`.
pub async fn scan(
    node: &RemoteNode,
    start: &[u8],
    end: &[u8],
    limit: u32,
) -> Result<Vec<(Vec<u8>, Vec<u8>)>, RemoteError> {
    let req = KvRequest::Scan {
        start: start.to_vec(),
        end: Some(end.to_vec()),
        ts: None,
        limit,
    };
    match node.kv(req).await? {
        KvResponse::Rows { rows, .. } => Ok(rows),
        other => panic!("unexpected answer to Scan: {other:?}"),
    }
}

/// A fresh timestamp from the oracle, through `node`.
pub async fn timestamp(node: &RemoteNode) -> Result<Timestamp, RemoteError> {
    match node.kv(KvRequest::Timestamp).await? {
        KvResponse::Timestamp(ts) => Ok(ts),
        other => panic!("unexpected answer to Timestamp: {other:?}"),
    }
}

/// Every row of `[start, end)` in `node`'s own copy (newest versions), paging
/// through `LocalScan`'s row limit. `range_id` must be hosted on the node.
pub async fn local_scan_all(
    node: &RemoteNode,
    range_id: RangeId,
    start: &[u8],
    end: &[u8],
) -> Result<Vec<(Vec<u8>, Vec<u8>)>, RemoteError> {
    const PAGE: u32 = 5_000;
    let mut out = Vec::new();
    let mut cursor = start.to_vec();
    loop {
        let req = AdminRequest::LocalScan {
            range_id,
            start: cursor.clone(),
            end: Some(end.to_vec()),
            ts: Timestamp::MAX,
            limit: PAGE,
        };
        let rows = match node.admin(req).await? {
            AdminResponse::Rows(rows) => rows,
            other => panic!("unexpected answer to LocalScan: {other:?}"),
        };
        let n = rows.len();
        if let Some((last, _)) = rows.last() {
            cursor = next_key(last);
        }
        out.extend(rows);
        if n < PAGE as usize {
            return Ok(out);
        }
    }
}

/// The node's view of its own replicas (`AdminRequest::LocalRanges`).
pub async fn local_ranges(node: &RemoteNode) -> Result<Vec<RangeInfo>, RemoteError> {
    match node.admin(AdminRequest::LocalRanges).await? {
        AdminResponse::Ranges(r) => Ok(r),
        other => panic!("unexpected answer to LocalRanges: {other:?}"),
    }
}

/// Whether `e` is an error the node answered with (as opposed to a transport failure).
pub fn kv_error(e: &RemoteError) -> Option<&KvError> {
    match e {
        RemoteError::Kv(k) => Some(k),
        RemoteError::Transport { .. } => None,
    }
}

/// Sum of every sample of metric `name` (any labels) in a Prometheus text page.
pub fn metric_value(page: &str, name: &str) -> Option<f64> {
    let mut found = None;
    for line in page.lines() {
        if line.starts_with('#') {
            continue;
        }
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        if !(rest.starts_with(' ') || rest.starts_with('{')) {
            continue;
        }
        let Some(v) = rest
            .rsplit(' ')
            .next()
            .and_then(|v| v.trim().parse::<f64>().ok())
        else {
            continue;
        };
        *found.get_or_insert(0.0) += v;
    }
    found
}

/// Paths and addresses of one node.
#[derive(Debug, Clone)]
pub struct NodeSpec {
    pub id: NodeId,
    pub rpc: String,
    pub sql: String,
    pub http: String,
    pub data_dir: PathBuf,
    pub log: PathBuf,
}

/// How to start a cluster.
#[derive(Debug, Clone)]
pub struct ClusterBuilder {
    nodes: usize,
    extra: Vec<String>,
    join: Option<Vec<String>>,
    init: bool,
    /// Whether to pass [`FAST_RAFT`] (the default).
    fast_raft: bool,
}

impl ClusterBuilder {
    /// Number of nodes (default 3).
    pub fn nodes(mut self, n: usize) -> Self {
        self.nodes = n;
        self
    }

    /// Extra `rangedb start` flags for every node.
    pub fn args(mut self, args: &[&str]) -> Self {
        self.extra.extend(args.iter().map(|s| s.to_string()));
        self
    }

    /// Overrides `--join` (default: every node's RPC address).
    pub fn join(mut self, join: Vec<String>) -> Self {
        self.join = Some(join);
        self
    }

    /// Runs the nodes with their default Raft timings instead of
    /// [`FAST_RAFT`]: for heavy workloads, where 100 ms heartbeats on a
    /// loaded machine turn scheduling delays into elections.
    pub fn default_raft_timings(mut self) -> Self {
        self.fast_raft = false;
        self
    }

    /// Starts the processes but neither runs `init` nor waits for ranges.
    pub fn no_init(mut self) -> Self {
        self.init = false;
        self
    }

    /// Starts the nodes; unless `no_init`, runs `rangedb init` and waits
    /// until every range has a leader and KV works through every node.
    pub async fn start(self) -> Cluster {
        let dir = tempfile::Builder::new()
            .prefix("rangedb-test-")
            .tempdir()
            .expect("tempdir");
        let ports = free_ports(self.nodes * 3);
        let nodes: Vec<NodeSpec> = (0..self.nodes)
            .map(|i| NodeSpec {
                id: i as NodeId + 1,
                rpc: format!("127.0.0.1:{}", ports[i * 3]),
                sql: format!("127.0.0.1:{}", ports[i * 3 + 1]),
                http: format!("127.0.0.1:{}", ports[i * 3 + 2]),
                data_dir: dir.path().join(format!("node{}", i + 1)),
                log: dir.path().join(format!("node{}.log", i + 1)),
            })
            .collect();
        let join = self
            .join
            .unwrap_or_else(|| nodes.iter().map(|n| n.rpc.clone()).collect());
        let mut extra: Vec<String> = if self.fast_raft {
            FAST_RAFT.iter().map(|s| s.to_string()).collect()
        } else {
            Vec::new()
        };
        extra.extend(self.extra);
        let clients = nodes
            .iter()
            .map(|n| Arc::new(RemoteNode::new(&n.rpc)))
            .collect();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("http client");
        let cluster = Cluster {
            dir: Some(dir),
            join,
            extra,
            children: Mutex::new((0..self.nodes).map(|_| None).collect()),
            paused: Mutex::new(vec![false; self.nodes]),
            nodes,
            clients,
            http,
        };
        eprintln!("cluster directory: {}", cluster.dir().display());
        cluster.start_all();
        cluster.wait_healthy(Duration::from_secs(30)).await;
        if self.init {
            cluster.init().await;
            cluster.wait_ready(Duration::from_secs(60)).await;
        }
        cluster
    }
}

/// A running multi-process cluster on loopback. Dropping it kills every node.
pub struct Cluster {
    dir: Option<TempDir>,
    join: Vec<String>,
    extra: Vec<String>,
    nodes: Vec<NodeSpec>,
    children: Mutex<Vec<Option<Child>>>,
    paused: Mutex<Vec<bool>>,
    clients: Vec<Arc<RemoteNode>>,
    http: reqwest::Client,
}

impl Cluster {
    /// A builder for a 3-node cluster with fast Raft timings.
    pub fn builder() -> ClusterBuilder {
        ClusterBuilder {
            nodes: 3,
            extra: Vec::new(),
            join: None,
            init: true,
            fast_raft: true,
        }
    }

    /// Starts and initialises a 3-node cluster with `extra` start flags.
    pub async fn launch(extra: &[&str]) -> Cluster {
        Cluster::builder().args(extra).start().await
    }

    /// The temporary directory holding data dirs and logs.
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().expect("dir").path()
    }

    /// Node ids, 1..=n.
    pub fn ids(&self) -> Vec<NodeId> {
        self.nodes.iter().map(|n| n.id).collect()
    }

    fn idx(&self, id: NodeId) -> usize {
        assert!(id >= 1 && (id as usize) <= self.nodes.len(), "no node {id}");
        id as usize - 1
    }

    /// Addresses and paths of node `id`.
    pub fn spec(&self, id: NodeId) -> &NodeSpec {
        &self.nodes[self.idx(id)]
    }

    /// RPC address of node `id`.
    pub fn rpc_addr(&self, id: NodeId) -> String {
        self.spec(id).rpc.clone()
    }

    /// HTTP address of node `id`.
    pub fn http_addr(&self, id: NodeId) -> String {
        self.spec(id).http.clone()
    }

    /// A (shared, lazily connecting) RPC client for node `id`.
    pub fn client(&self, id: NodeId) -> Arc<RemoteNode> {
        self.clients[self.idx(id)].clone()
    }

    /// The command line `rangedb start ...` of node `id`.
    pub fn start_args(&self, id: NodeId) -> Vec<String> {
        let n = self.spec(id);
        let mut args: Vec<String> = vec![
            "start".into(),
            "--node-id".into(),
            n.id.to_string(),
            "--data-dir".into(),
            n.data_dir.display().to_string(),
            "--listen-addr".into(),
            n.rpc.clone(),
            "--sql-addr".into(),
            n.sql.clone(),
            "--http-addr".into(),
            n.http.clone(),
            "--join".into(),
            self.join.join(","),
        ];
        args.extend(self.extra.iter().cloned());
        args
    }

    fn log_line(&self, id: NodeId, msg: &str) {
        if let Ok(mut f) = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.spec(id).log)
        {
            let _ = writeln!(f, "===== [test harness] {msg} =====");
        }
    }

    /// (Re)starts node `id` with its usual flags. Panics if it is running.
    pub fn start(&self, id: NodeId) {
        let i = self.idx(id);
        let mut children = self.children.lock().unwrap();
        if let Some(c) = children[i].as_mut() {
            assert!(
                c.try_wait().unwrap().is_some(),
                "node {id} is already running"
            );
        }
        self.log_line(id, "starting node");
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.spec(id).log)
            .expect("open node log");
        let log2 = log.try_clone().expect("clone log handle");
        let child = Command::new(bin())
            .args(self.start_args(id))
            .env("RUST_BACKTRACE", "1")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .expect("spawn rangedb start");
        children[i] = Some(child);
        self.paused.lock().unwrap()[i] = false;
    }

    /// Starts every node that is not running.
    pub fn start_all(&self) {
        for id in self.ids() {
            if !self.is_running(id) {
                self.start(id);
            }
        }
    }

    /// Whether node `id`'s process is alive (possibly SIGSTOPped).
    pub fn is_running(&self, id: NodeId) -> bool {
        let mut children = self.children.lock().unwrap();
        match children[self.idx(id)].as_mut() {
            Some(c) => c.try_wait().unwrap().is_none(),
            None => false,
        }
    }

    /// Whether node `id` is alive and not SIGSTOPped.
    pub fn is_serving(&self, id: NodeId) -> bool {
        self.is_running(id) && !self.paused.lock().unwrap()[self.idx(id)]
    }

    /// Node ids that are alive and not SIGSTOPped.
    pub fn serving(&self) -> Vec<NodeId> {
        self.ids()
            .into_iter()
            .filter(|&id| self.is_serving(id))
            .collect()
    }

    fn pid(&self, id: NodeId) -> u32 {
        let children = self.children.lock().unwrap();
        children[self.idx(id)]
            .as_ref()
            .unwrap_or_else(|| panic!("node {id} was never started"))
            .id()
    }

    fn signal(&self, id: NodeId, sig: &str) {
        let pid = self.pid(id);
        let st = Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(st.success(), "kill {sig} {pid} (node {id}) failed: {st}");
    }

    /// SIGKILLs node `id` and reaps it.
    pub fn kill(&self, id: NodeId) {
        self.log_line(id, "SIGKILL");
        let mut children = self.children.lock().unwrap();
        if let Some(c) = children[self.idx(id)].as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
        self.paused.lock().unwrap()[self.idx(id)] = false;
    }

    /// SIGKILLs every node.
    pub fn kill_all(&self) {
        for id in self.ids() {
            self.kill(id);
        }
    }

    /// SIGTERMs node `id` and waits (up to 20 s) for it to exit; returns its
    /// exit status, or `None` if it had to be SIGKILLed.
    pub async fn stop(&self, id: NodeId) -> Option<ExitStatus> {
        if !self.is_running(id) {
            return None;
        }
        self.log_line(id, "SIGTERM");
        self.signal(id, "-TERM");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            {
                let mut children = self.children.lock().unwrap();
                let c = children[self.idx(id)].as_mut().unwrap();
                if let Some(st) = c.try_wait().unwrap() {
                    return Some(st);
                }
                if Instant::now() > deadline {
                    eprintln!("node {id} did not exit within 20s of SIGTERM; killing it");
                    let _ = c.kill();
                    let _ = c.wait();
                    return None;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERMs every node (concurrently) and waits for them.
    pub async fn stop_all(&self) -> Vec<Option<ExitStatus>> {
        futures::future::join_all(self.ids().into_iter().map(|id| self.stop(id))).await
    }

    /// Freezes node `id` (SIGSTOP).
    pub fn sigstop(&self, id: NodeId) {
        self.log_line(id, "SIGSTOP");
        self.signal(id, "-STOP");
        self.paused.lock().unwrap()[self.idx(id)] = true;
    }

    /// Resumes node `id` (SIGCONT).
    pub fn sigcont(&self, id: NodeId) {
        self.signal(id, "-CONT");
        self.paused.lock().unwrap()[self.idx(id)] = false;
        self.log_line(id, "SIGCONT");
    }

    /// GET `http://<node http>/<path>`: status and body.
    pub async fn http_get(&self, id: NodeId, path: &str) -> Result<(u16, String), String> {
        let url = format!(
            "http://{}/{}",
            self.http_addr(id),
            path.trim_start_matches('/')
        );
        let resp = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        let status = resp.status().as_u16();
        let body = resp.text().await.map_err(|e| format!("GET {url}: {e}"))?;
        Ok((status, body))
    }

    /// Whether node `id` answers `/health` with `ok`.
    pub async fn healthy(&self, id: NodeId) -> bool {
        matches!(self.http_get(id, "/health").await, Ok((200, b)) if b.trim() == "ok")
    }

    /// Waits until every running node answers `/health`.
    pub async fn wait_healthy(&self, timeout: Duration) {
        let c = self;
        wait_for("every node to answer /health", timeout, || async move {
            for id in c.serving() {
                if !c.healthy(id).await {
                    return false;
                }
            }
            true
        })
        .await;
    }

    /// Runs `rangedb init --host <node 1>`; panics unless it succeeds.
    pub async fn init(&self) {
        let out = self.run_init(1).await;
        assert!(
            out.status.success(),
            "rangedb init failed: {}\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Runs `rangedb init --host <node id>` and returns its output.
    pub async fn run_init(&self, id: NodeId) -> std::process::Output {
        run_init_at(&self.rpc_addr(id)).await
    }

    /// `/debug/ranges.json` from node `id`.
    pub async fn ranges_from(&self, id: NodeId) -> Result<Vec<RangeInfo>, String> {
        let (status, body) = self.http_get(id, "/debug/ranges.json").await?;
        if status != 200 {
            return Err(format!(
                "node {id}: /debug/ranges.json: {status}: {}",
                body.trim()
            ));
        }
        serde_json::from_str(&body)
            .map_err(|e| format!("node {id}: bad /debug/ranges.json ({e}): {body}"))
    }

    /// `/debug/ranges.json` from the first serving node that answers.
    pub async fn ranges(&self) -> Result<Vec<RangeInfo>, String> {
        let mut errors = Vec::new();
        for id in self.serving() {
            match self.ranges_from(id).await {
                Ok(r) => return Ok(r),
                Err(e) => errors.push(e),
            }
        }
        Err(format!("no node answered /debug/ranges.json: {errors:?}"))
    }

    /// The leader of `range_id` as the debug view reports it.
    pub async fn leader_of(&self, range_id: RangeId) -> Option<NodeId> {
        self.ranges()
            .await
            .ok()?
            .into_iter()
            .find(|r| r.descriptor.range_id == range_id)?
            .leader
    }

    /// Waits until `range_id` has a leader that is a serving node, and returns it.
    pub async fn wait_leader_of(&self, range_id: RangeId, timeout: Duration) -> NodeId {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(l) = self.leader_of(range_id).await {
                if self.serving().contains(&l) {
                    return l;
                }
            }
            assert!(
                Instant::now() < deadline,
                "range {range_id} has no serving leader after {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Polls `f` until it returns true; panics after `timeout`.
    pub async fn wait_for<F, Fut>(&self, what: &str, timeout: Duration, f: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        wait_for(what, timeout, f).await
    }

    /// Whether every range has a serving leader and a put/get round trip works
    /// through every serving node.
    pub async fn is_ready(&self) -> bool {
        let serving = self.serving();
        let Ok(ranges) = self.ranges().await else {
            return false;
        };
        if ranges.len() < 2
            || ranges
                .iter()
                .any(|r| r.leader.is_none_or(|l| !serving.contains(&l)))
        {
            return false;
        }
        for id in serving {
            let c = self.client(id);
            let v = format!("probe-{id}-{:?}", Instant::now()).into_bytes();
            let ok = tokio::time::timeout(Duration::from_secs(10), async {
                put(&c, PROBE_KEY, &v).await.is_ok()
                    && matches!(get(&c, PROBE_KEY).await, Ok(Some(got)) if got == v)
            })
            .await;
            if ok != Ok(true) {
                return false;
            }
        }
        true
    }

    /// Waits until [`Cluster::is_ready`].
    pub async fn wait_ready(&self, timeout: Duration) {
        let c = self;
        wait_for(
            "every range to have a leader and KV to work through every node",
            timeout,
            || async move { c.is_ready().await },
        )
        .await;
    }

    /// A transaction coordinator in this (test) process that reaches the
    /// cluster through every node's RPC address, as a SQL gateway would.
    pub fn txn_client(&self, config: rangedb_txn::TxnConfig) -> Arc<rangedb_txn::TxnClient> {
        let seeds = self.nodes.iter().map(|n| n.rpc.clone()).collect();
        let kv = rangedb_kv::KvClient::new(
            Arc::new(rangedb_rpc::ConnPool::new()),
            seeds,
            Box::new(|| None),
        );
        rangedb_txn::TxnClient::new(kv, config)
    }

    /// Splits the range holding each of `keys` at that key (through node 1,
    /// retrying while leaders settle).
    pub async fn split_at(&self, keys: &[&[u8]]) {
        for k in keys {
            let c = self.client(1);
            let req = || KvRequest::Split { key: k.to_vec() };
            let mut last = None;
            for _ in 0..50 {
                match c.kv(req()).await {
                    Ok(_) => {
                        last = None;
                        break;
                    }
                    Err(e) => last = Some(e),
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            if let Some(e) = last {
                panic!("split at {} failed: {e}", show(k));
            }
        }
    }

    /// Node `id`'s `/metrics` page.
    pub async fn metrics(&self, id: NodeId) -> Result<String, String> {
        let (status, body) = self.http_get(id, "/metrics").await?;
        if status != 200 {
            return Err(format!("node {id}: /metrics: {status}: {body}"));
        }
        Ok(body)
    }

    /// Sum of metric `name` on node `id` (`None` if absent).
    pub async fn metric(&self, id: NodeId, name: &str) -> Option<f64> {
        metric_value(&self.metrics(id).await.ok()?, name)
    }

    /// The last `lines` lines of node `id`'s log.
    pub fn log_tail(&self, id: NodeId, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.spec(id).log)
            .unwrap_or_else(|e| format!("(cannot read log: {e})"));
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Lines of node `id`'s log containing `needle`.
    pub fn log_grep(&self, id: NodeId, needle: &str) -> Vec<String> {
        std::fs::read_to_string(&self.spec(id).log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(needle))
            .map(str::to_string)
            .collect()
    }

    /// Panics if any node log shows a Rust panic.
    pub fn assert_no_panics(&self) {
        for id in self.ids() {
            let hits = self.log_grep(id, "panicked at");
            assert!(hits.is_empty(), "node {id} panicked:\n{}", hits.join("\n"));
        }
    }

    /// Prints the tail of every node's log to stderr.
    pub fn dump_logs(&self, lines: usize) {
        for id in self.ids() {
            eprintln!(
                "\n===== node {id} log ({}), last {lines} lines =====",
                self.spec(id).log.display()
            );
            eprintln!("{}", self.log_tail(id, lines));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Ok(mut children) = self.children.lock() {
            for c in children.iter_mut().flatten() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
        if std::thread::panicking() {
            self.dump_logs(80);
        }
        if std::env::var_os("RANGEDB_TEST_KEEP").is_some() {
            if let Some(d) = self.dir.take() {
                eprintln!("keeping cluster directory {}", d.keep().display());
            }
        }
    }
}

/// Runs `rangedb init --host <addr>` and returns its output.
pub async fn run_init_at(addr: &str) -> std::process::Output {
    let fut = tokio::process::Command::new(bin())
        .args(["init", "--host", addr])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(Duration::from_secs(60), fut)
        .await
        .expect("rangedb init did not finish within 60s")
        .expect("run rangedb init")
}
