//! Command-line interface: `start`, `init`, `debug ranges` and `kv` commands.

use crate::config::NodeConfig;
use clap::{Parser, Subcommand};

/// rangedb: a distributed transactional database. Ranges of the keyspace are
/// Raft groups replicated on three nodes and stored in RocksDB.
#[derive(Debug, Parser)]
#[command(name = "rangedb", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a node and serve until SIGINT/SIGTERM.
    Start(NodeConfig),
    /// Bootstrap a new cluster from a started node and its --join peers (once).
    Init {
        /// RPC address of any started node.
        #[arg(long, env = "RANGEDB_HOST", default_value = "127.0.0.1:15532")]
        host: String,
    },
    /// Inspect the cluster.
    Debug {
        #[command(subcommand)]
        what: DebugCommand,
    },
    /// Read and write keys through any node (it routes to the range leader).
    Kv {
        /// RPC address of any node.
        #[arg(long, env = "RANGEDB_HOST", default_value = "127.0.0.1:15532")]
        host: String,
        #[command(subcommand)]
        op: KvCommand,
    },
}

/// `rangedb debug ...`
#[derive(Debug, Subcommand)]
pub enum DebugCommand {
    /// One line per range: id, span, replicas, leader, applied index.
    Ranges {
        /// HTTP address of any live node.
        #[arg(long, env = "RANGEDB_HTTP_HOST", default_value = "127.0.0.1:15632")]
        host: String,
        /// Print JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
}

/// `rangedb kv ...`
#[derive(Debug, Subcommand)]
pub enum KvCommand {
    /// Print the value of KEY (empty line and exit code 1 if absent).
    Get { key: String },
    /// Set KEY to VALUE.
    Put { key: String, value: String },
    /// Delete KEY.
    Delete { key: String },
    /// Print `key=value` for keys in [START, END).
    Scan {
        start: String,
        end: Option<String>,
        #[arg(long, default_value_t = 1000)]
        limit: u32,
    },
    /// Print a fresh timestamp from the oracle.
    Timestamp,
    /// Split the range containing KEY at KEY.
    Split { key: String },
}
