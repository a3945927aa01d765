//! Node configuration, from flags or `RANGEDB_*` environment variables.

use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything `rangedb start` needs.
#[derive(Debug, Clone, Args)]
pub struct NodeConfig {
    /// This node's id: unique in the cluster, stable across restarts.
    #[arg(long, env = "RANGEDB_NODE_ID", default_value_t = 1)]
    pub node_id: u64,

    /// Directory holding the node's RocksDB and state.
    #[arg(long, env = "RANGEDB_DATA_DIR", default_value = ".rangedb/node1")]
    pub data_dir: PathBuf,

    /// Address for inter-node RPC (Raft, KV, admin); also what peers dial.
    #[arg(long, env = "RANGEDB_LISTEN_ADDR", default_value = "127.0.0.1:15532")]
    pub listen_addr: SocketAddr,

    /// Address for PostgreSQL clients (SQL is served once the SQL layer exists).
    #[arg(long, env = "RANGEDB_SQL_ADDR", default_value = "127.0.0.1:15432")]
    pub sql_addr: SocketAddr,

    /// Address of the HTTP endpoint (/metrics, /debug/ranges, /health).
    #[arg(long, env = "RANGEDB_HTTP_ADDR", default_value = "127.0.0.1:15632")]
    pub http_addr: SocketAddr,

    /// RPC addresses of the other nodes (comma-separated), used by `init`
    /// and to find the cluster before any range is known.
    #[arg(long, env = "RANGEDB_JOIN", value_delimiter = ',')]
    pub join: Vec<String>,

    /// Raft heartbeat interval in milliseconds.
    #[arg(long, env = "RANGEDB_RAFT_HEARTBEAT_MS", default_value_t = 200)]
    pub raft_heartbeat_ms: u64,

    /// Minimum Raft election timeout in milliseconds (the maximum is twice this).
    #[arg(long, env = "RANGEDB_RAFT_ELECTION_TIMEOUT_MS", default_value_t = 1000)]
    pub raft_election_timeout_ms: u64,

    /// Build a Raft snapshot (and allow log compaction) every this many entries.
    #[arg(long, env = "RANGEDB_RAFT_SNAPSHOT_LOGS", default_value_t = 10_000)]
    pub raft_snapshot_logs: u64,

    /// Log entries kept behind the latest snapshot for slightly lagging followers.
    #[arg(long, env = "RANGEDB_RAFT_LOGS_TO_KEEP", default_value_t = 1_000)]
    pub raft_logs_to_keep: u64,

    /// Keep MVCC versions this many seconds behind the timestamp oracle
    /// before garbage collection may remove them.
    #[arg(long, env = "RANGEDB_GC_TTL_SECS", default_value_t = 3600)]
    pub gc_ttl_secs: u64,

    /// Seconds between garbage collection rounds.
    #[arg(long, env = "RANGEDB_GC_INTERVAL_SECS", default_value_t = 60)]
    pub gc_interval_secs: u64,

    /// Log output format.
    #[arg(long, env = "RANGEDB_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How logs are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}
