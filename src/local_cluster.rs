//! A whole cluster inside one process: several [`Node`]s, each with its own
//! RocksDB in a directory of the caller's, talking gRPC over loopback. For
//! benchmarks and for tests that need to reach into a node (its transaction
//! client, its store) rather than only its network surface.

use crate::config::{LogFormat, NodeConfig};
use crate::node::Node;
use crate::ports::free_loopback_ports;
use anyhow::{bail, Context};
use rangedb_kv::{AdminRequest, KvRequest, RemoteNode};
use std::path::Path;
use std::time::{Duration, Instant};

/// A running in-process cluster.
pub struct LocalCluster {
    pub nodes: Vec<Node>,
}

/// How many times a start that lost a port race is retried with new ports.
const START_ATTEMPTS: usize = 3;

impl LocalCluster {
    /// Starts `n` nodes under `dir` with fast Raft timings (`tweak` may change
    /// any setting), initialises the cluster and waits until a write goes
    /// through every node.
    pub async fn start(
        dir: &Path,
        n: usize,
        tweak: impl Fn(&mut NodeConfig),
    ) -> anyhow::Result<LocalCluster> {
        let mut attempt = 1;
        loop {
            // A fresh directory per attempt: a failed one may have left
            // nodes' state behind that names the old addresses.
            let attempt_dir = dir.join(format!("attempt{attempt}"));
            match Self::start_once(&attempt_dir, n, &tweak).await {
                Err(e) if attempt < START_ATTEMPTS && lost_port_race(&e) => {
                    tracing::warn!("cluster start lost a port race, retrying: {e:#}");
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn start_once(
        dir: &Path,
        n: usize,
        tweak: &impl Fn(&mut NodeConfig),
    ) -> anyhow::Result<LocalCluster> {
        let rpc: Vec<String> = free_loopback_ports(n)
            .context("picking RPC ports")?
            .into_iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        let mut nodes: Vec<Node> = Vec::new();
        for (i, addr) in rpc.iter().enumerate() {
            let mut cfg = NodeConfig {
                node_id: i as u64 + 1,
                data_dir: dir.join(format!("node{}", i + 1)),
                listen_addr: addr.parse()?,
                // Nobody needs these ports in advance: let the OS pick while
                // binding, so no other process can take them in between.
                sql_addr: "127.0.0.1:0".parse()?,
                http_addr: "127.0.0.1:0".parse()?,
                join: rpc.clone(),
                raft_heartbeat_ms: 100,
                raft_election_timeout_ms: 500,
                raft_snapshot_logs: 100_000,
                raft_logs_to_keep: 10_000,
                gc_ttl_secs: 3600,
                gc_interval_secs: 3600,
                log_format: LogFormat::Text,
            };
            tweak(&mut cfg);
            match Node::start(cfg).await {
                Ok(node) => nodes.push(node),
                Err(e) => {
                    for started in nodes {
                        started.stop().await;
                    }
                    return Err(e.context("starting node"));
                }
            }
        }
        RemoteNode::new(&rpc[0])
            .admin(AdminRequest::Init)
            .await
            .context("initialising the cluster")?;
        let cluster = LocalCluster { nodes };
        cluster.wait_ready(Duration::from_secs(60)).await?;
        Ok(cluster)
    }

    /// Waits until a write and a read succeed through every node.
    pub async fn wait_ready(&self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        for node in &self.nodes {
            let remote = RemoteNode::new(&node.rpc_addr.to_string());
            loop {
                let put = remote
                    .kv(KvRequest::Put {
                        key: b"\xffready".to_vec(),
                        value: b"1".to_vec(),
                    })
                    .await;
                if put.is_ok() {
                    break;
                }
                if Instant::now() > deadline {
                    bail!("cluster not ready after {timeout:?}: {put:?}");
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok(())
    }

    /// Stops every node.
    pub async fn stop(self) {
        for n in self.nodes {
            n.stop().await;
        }
    }
}

/// Whether a start failed because a picked port was taken meanwhile.
fn lost_port_race(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::AddrInUse)
    })
}
