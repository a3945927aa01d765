//! SQL through the death of a node: clients connected to the two other nodes
//! keep inserting rows (autocommit) and moving money between accounts
//! (explicit `BEGIN ... COMMIT` blocks) while the data range's leader is
//! killed with SIGKILL. Writes must resume on the survivors, every
//! acknowledged row must be there afterwards, the money must add up, and the
//! killed node, once restarted, must serve the same data over SQL.

mod common;

use common::Cluster;
use rangedb_common::NodeId;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_postgres::{Client, NoTls};

const DATA_RANGE: u64 = 2;
const ACCOUNTS: i32 = 10;
const INITIAL_BALANCE: i64 = 100;
/// Longest a single statement may take, failover included, before the test
/// counts it as an error and reconnects.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

/// A connection to `addr` ("host:port"), or the error text.
async fn try_connect(addr: &str) -> Result<Client, String> {
    let (host, port) = addr.rsplit_once(':').expect("sql address is host:port");
    let conninfo = format!("host={host} port={port} user=root dbname=postgres connect_timeout=10");
    let (client, connection) = tokio_postgres::connect(&conninfo, NoTls)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

async fn connect(addr: &str) -> Client {
    try_connect(addr)
        .await
        .unwrap_or_else(|e| panic!("connect to {addr}: {e}"))
}

/// Runs `sql` with a time limit; the error text (with SQLSTATE) on failure.
async fn run(
    client: &Client,
    sql: &str,
) -> Result<Vec<tokio_postgres::SimpleQueryMessage>, String> {
    match tokio::time::timeout(STATEMENT_TIMEOUT, client.simple_query(sql)).await {
        Ok(Ok(rows)) => Ok(rows),
        Ok(Err(e)) => Err(match e.code() {
            Some(code) => format!("{}: {e}", code.code()),
            None => e.to_string(),
        }),
        Err(_) => Err(format!("no answer within {STATEMENT_TIMEOUT:?}")),
    }
}

/// The first column of the first row of a simple query's answer.
fn first_value(msgs: &[tokio_postgres::SimpleQueryMessage]) -> Option<String> {
    msgs.iter().find_map(|m| match m {
        tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
        _ => None,
    })
}

#[derive(Default)]
struct History {
    /// Row ids whose INSERT was acknowledged (or proved applied by 23505).
    inserted: Mutex<BTreeSet<i64>>,
    /// When each acknowledgement arrived.
    acks: Mutex<Vec<Instant>>,
    transfers: Mutex<Vec<Instant>>,
    errors: Mutex<Vec<String>>,
}

/// Keeps a connection to `addr`, reconnecting after the server closed it or
/// a statement timed out.
struct Session {
    addr: String,
    client: Option<Client>,
}

impl Session {
    async fn client(&mut self) -> Result<&Client, String> {
        if self.client.as_ref().is_none_or(|c| c.is_closed()) {
            self.client = Some(try_connect(&self.addr).await?);
        }
        Ok(self.client.as_ref().expect("just connected"))
    }

    fn drop_connection(&mut self) {
        self.client = None;
    }
}

/// Inserts rows `base + 1, base + 2, ...` until `stop`, retrying a row after
/// an error until it is acknowledged (or a duplicate-key error proves that
/// an earlier, unanswered attempt applied).
async fn inserter(addr: String, base: i64, stop: Arc<AtomicBool>, h: Arc<History>) {
    let mut s = Session { addr, client: None };
    let mut id = base;
    while !stop.load(Ordering::Relaxed) {
        id += 1;
        loop {
            let sql = format!("INSERT INTO fo_items VALUES ({id}, {base}, 'row {id}')");
            let result = match s.client().await {
                Ok(c) => run(c, &sql).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(_) => {}
                Err(e) if e.starts_with("23505") => {}
                Err(e) => {
                    h.errors.lock().unwrap().push(format!("insert {id}: {e}"));
                    s.drop_connection();
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            }
            h.inserted.lock().unwrap().insert(id);
            h.acks.lock().unwrap().push(Instant::now());
            break;
        }
    }
}

/// Moves one unit between two accounts in an explicit block until `stop`.
async fn transferer(addr: String, seed: i32, stop: Arc<AtomicBool>, h: Arc<History>) {
    let mut s = Session { addr, client: None };
    let mut n = seed;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let from = n % ACCOUNTS;
        let to = (n * 7 + 3) % ACCOUNTS;
        if from == to {
            continue;
        }
        let sql = format!(
            "BEGIN; UPDATE fo_accounts SET balance = balance - 1 WHERE id = {from}; \
             UPDATE fo_accounts SET balance = balance + 1 WHERE id = {to}; COMMIT"
        );
        let result = match s.client().await {
            Ok(c) => run(c, &sql).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(_) => h.transfers.lock().unwrap().push(Instant::now()),
            Err(e) => {
                h.errors.lock().unwrap().push(format!("transfer: {e}"));
                // A failed block may leave the session in an aborted
                // transaction; a fresh connection starts clean.
                s.drop_connection();
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Every row id of `fo_items` and the total balance, read through `addr`.
async fn contents(addr: &str) -> (BTreeSet<i64>, i64) {
    let client = connect(addr).await;
    let rows = tokio::time::timeout(
        STATEMENT_TIMEOUT,
        client.query("SELECT id::bigint FROM fo_items", &[]),
    )
    .await
    .expect("reading the rows timed out")
    .expect("read the rows");
    let ids = rows.iter().map(|r| r.get::<_, i64>(0)).collect();
    let total = first_value(
        &run(&client, "SELECT sum(balance)::bigint FROM fo_accounts")
            .await
            .expect("sum the balances"),
    )
    .expect("a sum")
    .parse()
    .expect("an integer sum");
    (ids, total)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sql_writes_survive_the_data_leaders_death() {
    let cluster = Cluster::builder().default_raft_timings().start().await;
    let victim: NodeId = cluster
        .wait_leader_of(DATA_RANGE, Duration::from_secs(20))
        .await;
    let survivors: Vec<NodeId> = cluster.ids().into_iter().filter(|&i| i != victim).collect();
    let sql_of = |id: NodeId| cluster.spec(id).sql.clone();

    let admin = connect(&sql_of(survivors[0])).await;
    let values: Vec<String> = (0..ACCOUNTS)
        .map(|i| format!("({i}, {INITIAL_BALANCE})"))
        .collect();
    run(
        &admin,
        &format!(
            "CREATE TABLE fo_items (id bigint PRIMARY KEY, writer bigint NOT NULL, note text); \
             CREATE TABLE fo_accounts (id int PRIMARY KEY, balance bigint NOT NULL); \
             INSERT INTO fo_accounts VALUES {}",
            values.join(", ")
        ),
    )
    .await
    .expect("create the tables");

    let stop = Arc::new(AtomicBool::new(false));
    let h = Arc::new(History::default());
    let mut tasks = Vec::new();
    for (i, &node) in survivors.iter().enumerate() {
        for j in 0..2 {
            let base = ((i * 2 + j + 1) as i64) * 1_000_000;
            tasks.push(tokio::spawn(inserter(
                sql_of(node),
                base,
                stop.clone(),
                h.clone(),
            )));
        }
        tasks.push(tokio::spawn(transferer(
            sql_of(node),
            i as i32 * 1000,
            stop.clone(),
            h.clone(),
        )));
    }

    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = h.acks.lock().unwrap().len();
    assert!(before > 0, "no insert was acknowledged before the kill");
    cluster.kill(victim);
    let killed_at = Instant::now();
    eprintln!("killed node {victim} (data range leader) after {before} inserts");

    // Writes must resume on the survivors.
    let resumed = common::try_wait_for(Duration::from_secs(30), || {
        let h = h.clone();
        async move {
            let acks = h
                .acks
                .lock()
                .unwrap()
                .iter()
                .filter(|t| **t > killed_at)
                .count();
            let transfers = h
                .transfers
                .lock()
                .unwrap()
                .iter()
                .filter(|t| **t > killed_at)
                .count();
            acks >= 20 && transfers >= 3
        }
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        tokio::time::timeout(STATEMENT_TIMEOUT * 2, t)
            .await
            .expect("a client task did not stop")
            .expect("a client task panicked");
    }
    let errors = h.errors.lock().unwrap().clone();
    eprintln!(
        "{} inserts and {} transfers acknowledged, {} errors: {:?}",
        h.acks.lock().unwrap().len(),
        h.transfers.lock().unwrap().len(),
        errors.len(),
        errors.iter().take(20).collect::<Vec<_>>()
    );
    assert!(
        resumed,
        "writes did not resume within 30 s of the kill; errors: {errors:?}"
    );

    let acked = h.inserted.lock().unwrap().clone();
    let (ids, total) = contents(&sql_of(survivors[1])).await;
    let lost: Vec<&i64> = acked.difference(&ids).collect();
    assert!(lost.is_empty(), "acknowledged rows are missing: {lost:?}");
    assert_eq!(
        total,
        i64::from(ACCOUNTS) * INITIAL_BALANCE,
        "transfers created or destroyed money"
    );

    // The killed node comes back and serves the same data over SQL.
    cluster.start(victim);
    cluster.wait_ready(Duration::from_secs(60)).await;
    let (ids_after, total_after) = contents(&sql_of(victim)).await;
    assert_eq!(ids_after, ids, "the restarted node serves other rows");
    assert_eq!(total_after, total);
}
