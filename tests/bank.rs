//! The bank invariant on a real 3-node cluster: 120 accounts over four data
//! ranges, concurrent serializable transfers between random accounts, and
//! concurrent readers that sum every balance in one transaction. Every sum a
//! reader gets must be the initial total, during the run and after it, also
//! while a node is killed with kill -9 and restarted.

mod common;

use common::Cluster;
use rand::Rng;
use rangedb_txn::{Isolation, TxnClient, TxnConfig, TxnError};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ACCOUNTS: usize = 120;
const INITIAL: i64 = 100;
const TOTAL: i64 = ACCOUNTS as i64 * INITIAL;
const TRANSFER_TASKS: usize = 6;
const READER_TASKS: usize = 2;

fn account(i: usize) -> Vec<u8> {
    format!("acct-{i:03}").into_bytes()
}

fn balance(v: Option<Vec<u8>>) -> Result<i64, String> {
    let v = v.ok_or("missing account")?;
    let s = String::from_utf8(v).map_err(|e| e.to_string())?;
    s.parse().map_err(|e| format!("bad balance {s:?}: {e}"))
}

#[derive(Default)]
struct Stats {
    transfers: AtomicU64,
    transfer_failures: AtomicU64,
    reads: AtomicU64,
    read_failures: AtomicU64,
    bad_sums: Mutex<Vec<String>>,
}

/// Sums every account in one read-only transaction.
async fn sum_all(c: &Arc<TxnClient>) -> Result<(i64, usize), TxnError> {
    let mut t = c.begin(Isolation::Serializable).await?;
    let rows = t.scan(b"acct-", Some(b"acct."), 10_000).await?;
    t.commit().await?;
    let mut sum = 0;
    for (_, v) in &rows {
        sum += balance(Some(v.clone()))
            .map_err(|e| TxnError::Kv(rangedb_common::KvError::Internal(e)))?;
    }
    Ok((sum, rows.len()))
}

async fn transfer(c: &Arc<TxnClient>, from: usize, to: usize, amount: i64) -> Result<(), TxnError> {
    c.run(Isolation::Serializable, |t| {
        Box::pin(async move {
            let a = balance(t.get(&account(from)).await?)
                .map_err(|e| TxnError::Kv(rangedb_common::KvError::Internal(e)))?;
            let b = balance(t.get(&account(to)).await?)
                .map_err(|e| TxnError::Kv(rangedb_common::KvError::Internal(e)))?;
            if a < amount {
                return Ok(());
            }
            t.put(&account(from), (a - amount).to_string().as_bytes())?;
            t.put(&account(to), (b + amount).to_string().as_bytes())?;
            Ok(())
        })
    })
    .await
}

async fn run_bank(kill_a_node: bool) {
    let cluster = Cluster::launch(&[]).await;
    cluster
        .split_at(&[b"acct-030", b"acct-060", b"acct-090"])
        .await;
    let client = cluster.txn_client(TxnConfig {
        max_retries: 50,
        ..TxnConfig::default()
    });
    // Every account starts with INITIAL, in one multi-range transaction.
    client
        .run(Isolation::Serializable, |t| {
            Box::pin(async move {
                for i in 0..ACCOUNTS {
                    t.put(&account(i), INITIAL.to_string().as_bytes())?;
                }
                Ok(())
            })
        })
        .await
        .expect("initial balances");
    assert_eq!(
        sum_all(&client).await.expect("first sum"),
        (TOTAL, ACCOUNTS)
    );

    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(Stats::default());
    let mut tasks = Vec::new();
    for _ in 0..TRANSFER_TASKS {
        let (c, stop, stats) = (client.clone(), stop.clone(), stats.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let (from, to, amount) = {
                    let mut rng = rand::rng();
                    let from = rng.random_range(0..ACCOUNTS);
                    let to = (from + rng.random_range(1..ACCOUNTS)) % ACCOUNTS;
                    (from, to, rng.random_range(1..=30))
                };
                match tokio::time::timeout(Duration::from_secs(60), transfer(&c, from, to, amount))
                    .await
                {
                    Ok(Ok(())) => stats.transfers.fetch_add(1, Ordering::Relaxed),
                    _ => stats.transfer_failures.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    for _ in 0..READER_TASKS {
        let (c, stop, stats) = (client.clone(), stop.clone(), stats.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match tokio::time::timeout(Duration::from_secs(60), sum_all(&c)).await {
                    Ok(Ok((sum, n))) => {
                        stats.reads.fetch_add(1, Ordering::Relaxed);
                        if sum != TOTAL || n != ACCOUNTS {
                            stats
                                .bad_sums
                                .lock()
                                .unwrap()
                                .push(format!("sum {sum} over {n} accounts"));
                        }
                    }
                    _ => {
                        stats.read_failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }

    let started = Instant::now();
    if kill_a_node {
        tokio::time::sleep(Duration::from_secs(4)).await;
        // Kill the leader of a data range: the hardest node to lose.
        let victim = cluster.wait_leader_of(2, Duration::from_secs(10)).await;
        eprintln!("killing node {victim}");
        cluster.kill(victim);
        tokio::time::sleep(Duration::from_secs(6)).await;
        eprintln!("restarting node {victim}");
        cluster.start(victim);
        tokio::time::sleep(Duration::from_secs(6)).await;
    } else {
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.expect("task");
    }
    eprintln!(
        "{:?}: {} transfers ({} failed), {} sums ({} failed)",
        started.elapsed(),
        stats.transfers.load(Ordering::Relaxed),
        stats.transfer_failures.load(Ordering::Relaxed),
        stats.reads.load(Ordering::Relaxed),
        stats.read_failures.load(Ordering::Relaxed)
    );
    let bad = stats.bad_sums.lock().unwrap().clone();
    assert!(bad.is_empty(), "readers saw a broken invariant: {bad:?}");
    assert!(
        stats.transfers.load(Ordering::Relaxed) >= 20,
        "too few transfers committed to mean anything"
    );
    assert!(
        stats.reads.load(Ordering::Relaxed) >= 5,
        "too few sums read"
    );

    // Afterwards, the sum is intact (this read also resolves any lock left
    // by a secondary commit still in flight)...
    if kill_a_node {
        cluster.wait_ready(Duration::from_secs(60)).await;
    }
    let fresh = cluster.txn_client(TxnConfig::default());
    assert_eq!(sum_all(&fresh).await.expect("final sum"), (TOTAL, ACCOUNTS));
    // ...and every node's own copy of every range converges to it.
    let ranges = cluster.ranges().await.expect("ranges");
    for id in cluster.ids() {
        let node = cluster.client(id);
        let node = &node;
        let ranges = &ranges;
        let converged = common::try_wait_for(Duration::from_secs(30), || async move {
            let mut sum = 0;
            let mut n = 0;
            for r in ranges.iter().filter(|r| r.descriptor.range_id != 1) {
                let Ok(rows) =
                    common::local_scan_all(node, r.descriptor.range_id, b"acct-", b"acct.").await
                else {
                    return false;
                };
                for (k, v) in rows {
                    if r.descriptor.contains(&k) {
                        sum += balance(Some(v)).unwrap_or(i64::MIN / 4);
                        n += 1;
                    }
                }
            }
            sum == TOTAL && n == ACCOUNTS
        })
        .await;
        assert!(converged, "node {id}'s replicas do not sum to {TOTAL}");
    }
    cluster.assert_no_panics();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bank_transfers_keep_the_total() {
    run_bank(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bank_transfers_keep_the_total_through_a_kill_and_restart() {
    run_bank(true).await;
}
