//! Whole-cluster restarts: acknowledged writes survive both a clean shutdown
//! (SIGTERM) and kill -9 of every node, and the timestamp oracle never goes
//! backwards across the restart.

mod common;

use common::{get, key, put, timestamp, value_for, Cluster};
use rangedb_common::Timestamp;
use std::time::Duration;

const KEYS: usize = 500;
const TASKS: usize = 16;
const PREFIX: &str = "dur";

/// Writes the keys through all three nodes; returns the largest write timestamp.
async fn write_keys(cluster: &Cluster) -> Timestamp {
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let c = cluster.client((t % 3) as u64 + 1);
        tasks.push(tokio::spawn(async move {
            let mut max = Timestamp::ZERO;
            for i in (t..KEYS).step_by(TASKS) {
                let k = key(PREFIX, i);
                let ts = put(&c, &k, &value_for(&k))
                    .await
                    .unwrap_or_else(|e| panic!("put {}: {e}", common::show(&k)));
                max = max.max(ts);
            }
            max
        }));
    }
    let mut max = Timestamp::ZERO;
    for t in tasks {
        max = max.max(t.await.expect("writer task"));
    }
    max
}

/// Every key is readable (through every node) with its value.
async fn check_keys(cluster: &Cluster) {
    for id in cluster.ids() {
        let c = cluster.client(id);
        let mut missing = Vec::new();
        for i in 0..KEYS {
            let k = key(PREFIX, i);
            match get(&c, &k).await {
                Ok(Some(v)) if v == value_for(&k) => {}
                other => missing.push(format!("{}: {other:?}", common::show(&k))),
            }
        }
        assert!(
            missing.is_empty(),
            "after restart, node {id} cannot read {} of {KEYS} keys, e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(10)]
        );
    }
}

async fn restart_keeps_data(kill: bool) {
    let cluster = Cluster::launch(&[]).await;
    let last_write = write_keys(&cluster).await;
    let t1 = timestamp(&cluster.client(2))
        .await
        .expect("timestamp before restart");
    assert!(
        t1 > last_write,
        "timestamp {t1} is not after the last write at {last_write}"
    );

    if kill {
        cluster.kill_all();
    } else {
        let statuses = cluster.stop_all().await;
        for (id, st) in cluster.ids().into_iter().zip(statuses) {
            let st = st.unwrap_or_else(|| panic!("node {id} did not exit within 20s of SIGTERM"));
            assert!(st.success(), "node {id} exited with {st} after SIGTERM");
        }
    }
    for id in cluster.ids() {
        assert!(!cluster.is_running(id), "node {id} still running");
    }

    cluster.start_all();
    cluster.wait_healthy(Duration::from_secs(30)).await;
    cluster.wait_ready(Duration::from_secs(45)).await;

    check_keys(&cluster).await;
    for id in cluster.ids() {
        let t2 = timestamp(&cluster.client(id))
            .await
            .expect("timestamp after restart");
        assert!(
            t2 > t1,
            "timestamp went backwards across the restart: {t2} (node {id}) <= {t1}"
        );
    }
    cluster.assert_no_panics();
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_all_nodes_keeps_acknowledged_writes() {
    restart_keeps_data(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_all_nodes_keeps_acknowledged_writes() {
    restart_keeps_data(true).await;
}
