//! The `rangedb` binary.

use anyhow::{bail, Context};
use clap::Parser;
use rangedb::cli::{Cli, Command, DebugCommand, KvCommand};
use rangedb::config::{LogFormat, NodeConfig};
use rangedb::node::Node;
use rangedb_kv::{AdminRequest, AdminResponse, KvRequest, KvResponse, RemoteNode};
use tracing_subscriber::EnvFilter;

fn init_logging(format: LogFormat, default_level: &str) {
    let filter =
        EnvFilter::try_from_env("RANGEDB_LOG").unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn start(cfg: NodeConfig) -> anyhow::Result<()> {
    let node = Node::start(cfg).await?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("shutting down");
    node.stop().await;
    Ok(())
}

async fn kv(host: &str, op: KvCommand) -> anyhow::Result<()> {
    let node = RemoteNode::new(host);
    let req = match op {
        KvCommand::Get { key } => KvRequest::Get {
            key: key.into_bytes(),
            ts: None,
        },
        KvCommand::Put { key, value } => KvRequest::Put {
            key: key.into_bytes(),
            value: value.into_bytes(),
        },
        KvCommand::Delete { key } => KvRequest::Delete {
            key: key.into_bytes(),
        },
        KvCommand::Scan { start, end, limit } => KvRequest::Scan {
            start: start.into_bytes(),
            end: end.map(String::into_bytes),
            ts: None,
            limit,
        },
        KvCommand::Timestamp => KvRequest::Timestamp,
        KvCommand::Split { key } => KvRequest::Split {
            key: key.into_bytes(),
        },
    };
    match node.kv(req).await? {
        KvResponse::Value { value: Some(v), .. } => println!("{}", String::from_utf8_lossy(&v)),
        KvResponse::Value { value: None, .. } => {
            println!();
            std::process::exit(1);
        }
        KvResponse::Written { ts } => println!("OK ts={}", ts.0),
        KvResponse::Rows { rows, .. } => {
            for (k, v) in rows {
                println!(
                    "{}={}",
                    String::from_utf8_lossy(&k),
                    String::from_utf8_lossy(&v)
                );
            }
        }
        KvResponse::Timestamp(ts) => println!("{}", ts.0),
        KvResponse::Split { left, right } => println!("{left}\n{right}"),
    }
    Ok(())
}

async fn debug_ranges(host: &str, json: bool) -> anyhow::Result<()> {
    let path = if json {
        "debug/ranges.json"
    } else {
        "debug/ranges"
    };
    let url = format!("http://{host}/{path}");
    let resp = reqwest::get(&url)
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = resp.status();
    let body = resp.text().await?;
    if !status.is_success() {
        bail!("{url}: {status}: {}", body.trim());
    }
    print!("{body}");
    Ok(())
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Start(cfg) => {
            init_logging(cfg.log_format, "info,openraft=warn,h2=warn,tower=warn");
            start(cfg).await
        }
        Command::Init { host } => {
            init_logging(LogFormat::Text, "warn");
            match RemoteNode::new(&host).admin(AdminRequest::Init).await? {
                AdminResponse::Initialized { cluster_id } => {
                    println!("cluster initialized: {cluster_id}");
                    Ok(())
                }
                other => bail!("unexpected answer to init: {other:?}"),
            }
        }
        Command::Debug {
            what: DebugCommand::Ranges { host, json },
        } => debug_ranges(&host, json).await,
        Command::Kv { host, op } => {
            init_logging(LogFormat::Text, "warn");
            kv(&host, op).await
        }
    }
}

/// Stack of each runtime thread. Binding and evaluating expressions grow
/// their own stack when deep (stacker), but other walks over a deep
/// expression (cloning, dropping, printing, serialising a pushed-down
/// filter) recurse on the thread's stack: tokio's 2 MiB default held only
/// about 40 levels in an unoptimised build. Untouched stack costs no memory.
const WORKER_STACK: usize = 64 * 1024 * 1024;

fn main() {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(WORKER_STACK)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start runtime: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = runtime.block_on(run(cli)) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
