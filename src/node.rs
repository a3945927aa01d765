//! Assembles one node: storage, the multi-raft host, the KV store and client,
//! the gRPC service and the HTTP endpoint.

use crate::config::NodeConfig;
use crate::http;
use anyhow::Context;
use rangedb_common::META_RANGE_ID;
use rangedb_kv::bootstrap::Bootstrapper;
use rangedb_kv::client::MetaSource;
use rangedb_kv::gc::{self, GcConfig};
use rangedb_kv::meta::MetaPublisher;
use rangedb_kv::{KvClient, NodeService, Store};
use rangedb_raft::{HostConfig, RaftHost};
use rangedb_rpc::pool::MAX_MESSAGE_BYTES;
use rangedb_rpc::{ConnPool, NodeServer};
use rangedb_storage::{Engine, RocksEngine};
use rangedb_txn::{TxnClient, TxnConfig};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running node.
pub struct Node {
    pub host: Arc<RaftHost>,
    pub service: Arc<NodeService>,
    /// Routes KV requests from this node (what the transaction layer uses).
    pub kv: Arc<KvClient>,
    /// Runs transactions from this node; its running transactions hold
    /// garbage collection back cluster-wide.
    pub txn: Arc<TxnClient>,
    pub rpc_addr: SocketAddr,
    pub http_addr: SocketAddr,
    /// Where PostgreSQL clients connect.
    pub sql_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Node {
    /// Opens the data directory, starts every hosted range and serves RPC and HTTP.
    pub async fn start(cfg: NodeConfig) -> anyhow::Result<Node> {
        std::fs::create_dir_all(&cfg.data_dir)
            .with_context(|| format!("creating data dir {}", cfg.data_dir.display()))?;
        let engine: Arc<dyn Engine> = Arc::new(
            RocksEngine::open(&cfg.data_dir.join("db"))
                .with_context(|| format!("opening RocksDB in {}", cfg.data_dir.display()))?,
        );
        // Bind first so a port conflict fails fast, before any state changes.
        let rpc_listener = TcpListener::bind(cfg.listen_addr)
            .await
            .with_context(|| format!("binding RPC address {}", cfg.listen_addr))?;
        let http_listener = TcpListener::bind(cfg.http_addr)
            .await
            .with_context(|| format!("binding HTTP address {}", cfg.http_addr))?;
        let sql_listener = TcpListener::bind(cfg.sql_addr)
            .await
            .with_context(|| format!("binding SQL address {}", cfg.sql_addr))?;
        let sql_addr = sql_listener.local_addr()?;
        let rpc_addr = rpc_listener.local_addr()?;
        let http_addr = http_listener.local_addr()?;

        let pool = Arc::new(ConnPool::new());
        let host_config = HostConfig {
            node_id: cfg.node_id,
            heartbeat_ms: cfg.raft_heartbeat_ms,
            election_timeout_min_ms: cfg.raft_election_timeout_ms,
            election_timeout_max_ms: cfg.raft_election_timeout_ms * 2,
            snapshot_every_logs: cfg.raft_snapshot_logs,
            logs_to_keep_after_snapshot: cfg.raft_logs_to_keep,
        };
        let host = RaftHost::open(host_config, engine, pool.clone())
            .await
            .context("starting Raft groups")?;
        let meta_host = Arc::downgrade(&host);
        let meta_source: MetaSource = Box::new(move || {
            meta_host
                .upgrade()?
                .replica(META_RANGE_ID)?
                .state()
                .descriptor
        });
        let client = KvClient::new(pool, cfg.join.clone(), meta_source);
        let publisher = Arc::new(MetaPublisher::default());
        publisher.spawn(host.clone(), client.clone(), Duration::from_millis(500));
        let store = Arc::new(Store::new(host.clone(), client.clone(), publisher));
        // Scans carry SQL filters for the ranges to evaluate next to the data.
        store.set_row_filter(Arc::new(rangedb_sql::exec::pushdown::SqlRowFilter));
        let boot = Arc::new(Bootstrapper::new(
            host.clone(),
            client.clone(),
            rpc_addr.to_string(),
            cfg.join.clone(),
        ));
        let txn = TxnClient::new(client.clone(), TxnConfig::default());
        let registry = Arc::downgrade(&txn);
        let service = Arc::new(NodeService::new(store.clone(), client.clone(), boot));
        service.set_oldest_active(Arc::new(move || registry.upgrade()?.oldest_active()));
        let gc_config = GcConfig {
            ttl: Duration::from_secs(cfg.gc_ttl_secs),
            interval: Duration::from_secs(cfg.gc_interval_secs.max(1)),
            ..GcConfig::default()
        };

        let (shutdown, rx) = watch::channel(false);
        let mut tasks = Vec::new();
        let grpc = NodeServer::from_arc(service.clone())
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES);
        let mut rx_rpc = rx.clone();
        tasks.push(tokio::spawn(async move {
            // `Server::tcp_nodelay` only applies to listeners tonic binds
            // itself: set it on every accepted socket, or Nagle's algorithm
            // meets the client's delayed ACKs and concurrent requests on one
            // connection stall for ~40 ms (measured: a 4-range prewrite took
            // 46 ms against 2 ms per range alone).
            let incoming = tokio_stream::StreamExt::map(
                tokio_stream::wrappers::TcpListenerStream::new(rpc_listener),
                |conn| {
                    conn.inspect(|s| {
                        if let Err(e) = s.set_nodelay(true) {
                            tracing::warn!("cannot set TCP_NODELAY: {e}");
                        }
                    })
                },
            );
            let served = tonic::transport::Server::builder()
                .tcp_nodelay(true)
                .add_service(grpc)
                .serve_with_incoming_shutdown(incoming, async move {
                    let _ = rx_rpc.wait_for(|s| *s).await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!("RPC server stopped: {e}");
            }
        }));
        tasks.push(tokio::spawn(http::serve(
            http_listener,
            service.clone(),
            rx.clone(),
        )));
        let mut rx_sql = rx.clone();
        let sql_engine = rangedb_sql::Engine::new(txn.clone());
        tasks.push(tokio::spawn(async move {
            rangedb_pgwire::serve(sql_listener, sql_engine, async move {
                let _ = rx_sql.wait_for(|s| *s).await;
            })
            .await;
        }));
        tasks.push(tokio::spawn(http::report_gauges(host.clone(), rx)));
        tasks.push(gc::spawn(Arc::downgrade(&store), client.clone(), gc_config));
        tracing::info!(node_id = cfg.node_id, %rpc_addr, %http_addr, %sql_addr, data_dir = %cfg.data_dir.display(), "node started");
        Ok(Node {
            host,
            service,
            kv: client,
            txn,
            rpc_addr,
            http_addr,
            sql_addr,
            shutdown,
            tasks,
        })
    }

    /// Stops serving and shuts every Raft group down.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        self.host.shutdown().await;
        for t in self.tasks {
            t.abort();
        }
    }
}
