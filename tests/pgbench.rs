//! pgbench against a 3-node cluster: `pgbench -i -s 2` initialises the TPC-B
//! like schema through node 1, then two 20-second runs with 4 clients (simple
//! and `-M prepared` query mode) must finish with no failed transaction
//! (`--max-tries=10` retries serialization failures; statements of explicit
//! transactions lock their rows and refresh their reads, so the hot branch
//! rows make transactions wait, not fail), and the money must
//! add up: what the accounts, tellers and branches gained
//! during a run equals the sum of the deltas pgbench logged in
//! `pgbench_history` during that run.
//!
//! (Before each run pgbench truncates `pgbench_history`, so the balances are
//! compared as differences across one run, not as totals.)

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::Cluster;
use tokio_postgres::{Client, NoTls};

/// Time limit for `pgbench -i -s 2` (200,000 accounts through COPY).
const INIT_TIMEOUT: Duration = Duration::from_secs(900);
/// Time limit for a 20-second run, including connecting and the initial vacuum.
const RUN_TIMEOUT: Duration = Duration::from_secs(180);

/// Runs pgbench with `args` against `addr` ("host:port") and returns its exit
/// success and combined stdout + stderr.
async fn pgbench(addr: &str, args: &[&str], limit: Duration) -> (bool, String) {
    let (host, port) = addr.rsplit_once(':').expect("sql address is host:port");
    let child = tokio::process::Command::new("pgbench")
        .args(["-h", host, "-p", port, "-U", "root"])
        .args(args)
        // pgbench takes the database name as its last argument (its `-d`
        // means --debug).
        .arg("postgres")
        .env("LC_ALL", "C")
        .env("PGCONNECT_TIMEOUT", "10")
        .env_remove("PGOPTIONS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run pgbench (install the postgresql-contrib or postgresql-client package)");
    let out = match tokio::time::timeout(limit, child.wait_with_output()).await {
        Ok(out) => out.expect("wait for pgbench"),
        Err(_) => panic!("pgbench {args:?} did not finish within {limit:?}"),
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("----- pgbench {} -----\n{text}", args.join(" "));
    (out.status.success(), text)
}

/// A connection as user `root` to database `postgres` at `addr`.
async fn connect(addr: &str) -> Client {
    let (host, port) = addr.rsplit_once(':').expect("sql address is host:port");
    let conninfo = format!("host={host} port={port} user=root dbname=postgres");
    let (client, connection) = tokio_postgres::connect(&conninfo, NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("connection ended with an error: {e}");
        }
    });
    client
}

/// The sum of `column` over `table` (0 for no rows).
async fn sum(client: &Client, table: &str, column: &str) -> i64 {
    let sql = format!("SELECT coalesce(sum({column}), 0)::bigint FROM {table}");
    let row = tokio::time::timeout(Duration::from_secs(60), client.query_one(sql.as_str(), &[]))
        .await
        .unwrap_or_else(|_| panic!("{sql}: no answer within 60 s"))
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    row.get(0)
}

/// Balance totals of accounts, tellers and branches.
async fn balances(client: &Client) -> [i64; 3] {
    [
        sum(client, "pgbench_accounts", "abalance").await,
        sum(client, "pgbench_tellers", "tbalance").await,
        sum(client, "pgbench_branches", "bbalance").await,
    ]
}

/// The value after `label` on the line starting with `label` in pgbench's output.
fn summary_value<'a>(output: &'a str, label: &str) -> Option<&'a str> {
    output
        .lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .map(str::trim)
}

/// One measured run: no failed transaction, and balances moved by exactly the deltas
/// logged in `pgbench_history`.
async fn run_and_check(cluster: &Cluster, client: &Client, extra: &[&str]) {
    let before = balances(client).await;
    let mut args = vec!["-c", "4", "-j", "2", "-T", "20", "--max-tries=10"];
    args.extend_from_slice(extra);
    let (ok, out) = pgbench(&cluster.spec(1).sql, &args, RUN_TIMEOUT).await;
    if !ok {
        cluster.dump_logs(40);
    }
    assert!(ok, "pgbench {args:?} failed:\n{out}");
    let failed = summary_value(&out, "number of failed transactions:")
        .and_then(|v| v.split_whitespace().next().map(str::to_string))
        .and_then(|v| v.parse::<u64>().ok());
    let processed_now = summary_value(&out, "number of transactions actually processed:")
        .and_then(|v| v.split_whitespace().next().map(str::to_string))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    assert!(
        failed == Some(0),
        "pgbench {args:?} failed transactions ({failed:?} of {processed_now}):\n{out}"
    );
    let processed = summary_value(&out, "number of transactions actually processed:")
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok());
    assert!(
        processed.is_some_and(|n| n > 0),
        "pgbench {args:?} processed no transactions:\n{out}"
    );

    let after = balances(client).await;
    let history = sum(client, "pgbench_history", "delta").await;
    for (i, table) in ["pgbench_accounts", "pgbench_tellers", "pgbench_branches"]
        .iter()
        .enumerate()
    {
        assert_eq!(
            after[i] - before[i],
            history,
            "{table}: balance change during the run ({} -> {}) != sum(delta) of pgbench_history",
            before[i],
            after[i]
        );
    }
    let rows = client
        .query_one("SELECT count(*) FROM pgbench_history", &[])
        .await
        .expect("count pgbench_history");
    assert_eq!(
        processed,
        Some(rows.get::<_, i64>(0) as u64),
        "pgbench_history has one row per processed transaction"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pgbench_tpcb_runs_without_failures_and_balances_add_up() {
    // The node's default Raft timings, not the test suite's fast ones: the
    // 200,000-row load and ADD PRIMARY KEY rewrite keep three nodes and
    // pgbench busy on two cores, and 100 ms heartbeats with 500 ms elections
    // then turn scheduling delays into elections (seen as requests giving
    // up after 30 s of leader changes).
    let cluster = Cluster::builder().default_raft_timings().start().await;
    cluster.wait_ready(Duration::from_secs(60)).await;

    let (ok, out) = pgbench(&cluster.spec(1).sql, &["-i", "-s", "2"], INIT_TIMEOUT).await;
    if !ok {
        cluster.dump_logs(40);
    }
    assert!(ok, "pgbench -i -s 2 failed:\n{out}");

    // The data is there, seen through another node.
    let client = connect(&cluster.spec(2).sql).await;
    for (table, rows) in [
        ("pgbench_accounts", 200_000i64),
        ("pgbench_tellers", 20),
        ("pgbench_branches", 2),
        ("pgbench_history", 0),
    ] {
        let n: i64 = client
            .query_one(format!("SELECT count(*) FROM {table}").as_str(), &[])
            .await
            .unwrap_or_else(|e| panic!("count {table}: {e:?}"))
            .get(0);
        assert_eq!(n, rows, "rows in {table} after pgbench -i -s 2");
    }
    assert_eq!(balances(&client).await, [0, 0, 0], "balances start at 0");

    run_and_check(&cluster, &client, &[]).await;
    run_and_check(&cluster, &client, &["-M", "prepared"]).await;
    cluster.assert_no_panics();
}
