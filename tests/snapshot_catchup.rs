//! A follower that misses more log than the leader keeps (snapshots every 50
//! entries, 10 kept) catches up through an InstallSnapshot: once while
//! frozen with SIGSTOP, once after kill -9 and restart.

mod common;

use common::{key, local_scan_all, put, value_for, Cluster};
use rangedb_common::NodeId;
use std::collections::HashMap;
use std::time::Duration;

const DATA_RANGE: u64 = 2;
const KEYS: usize = 1_000;
const TASKS: usize = 16;
const PREFIX: &str = "snap";
const METRIC: &str = "rangedb_raft_snapshots_installed_total";

/// A follower of the data range, preferring one that leads nothing.
async fn pick_follower(cluster: &Cluster) -> (NodeId, NodeId) {
    let leader = cluster
        .wait_leader_of(DATA_RANGE, Duration::from_secs(10))
        .await;
    let meta_leader = cluster.wait_leader_of(1, Duration::from_secs(10)).await;
    let followers: Vec<NodeId> = cluster
        .ids()
        .into_iter()
        .filter(|&id| id != leader)
        .collect();
    let follower = followers
        .iter()
        .copied()
        .find(|&id| id != meta_leader)
        .unwrap_or(followers[0]);
    (follower, leader)
}

async fn write_keys(cluster: &Cluster, via: NodeId) {
    let c = cluster.client(via);
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            for i in (t..KEYS).step_by(TASKS) {
                let k = key(PREFIX, i);
                put(&c, &k, &value_for(&k))
                    .await
                    .unwrap_or_else(|e| panic!("put {} via node {via}: {e}", common::show(&k)));
            }
        }));
    }
    for t in tasks {
        t.await.expect("writer task");
    }
}

/// Waits until `id`'s own copy holds every key, then checks that its snapshot
/// metric grew past `installed_before`.
async fn assert_caught_up_by_snapshot(cluster: &Cluster, id: NodeId, installed_before: f64) {
    let c = cluster.client(id);
    let end = common::prefix_end(PREFIX.as_bytes());
    let (cr, er) = (&c, &end);
    let complete = common::try_wait_for(Duration::from_secs(40), || async move {
        local_scan_all(cr, DATA_RANGE, PREFIX.as_bytes(), er)
            .await
            .is_ok_and(|rows| rows.len() >= KEYS)
    })
    .await;
    let rows = local_scan_all(&c, DATA_RANGE, PREFIX.as_bytes(), &end).await;
    let n = rows.as_ref().map(|r| r.len());
    assert!(
        complete,
        "node {id} did not catch up within 40s: LocalScan -> {n:?} rows of {KEYS}"
    );
    let have: HashMap<Vec<u8>, Vec<u8>> = rows.unwrap().into_iter().collect();
    assert_eq!(have.len(), KEYS, "node {id} holds unexpected keys");
    for i in 0..KEYS {
        let k = key(PREFIX, i);
        assert_eq!(
            have.get(&k),
            Some(&value_for(&k)),
            "node {id} has a wrong value for {}",
            common::show(&k)
        );
    }
    let installed = cluster.metric(id, METRIC).await;
    eprintln!("node {id}: {METRIC} = {installed:?}");
    assert!(
        installed.is_some_and(|v| v >= installed_before + 1.0),
        "node {id} caught up but {METRIC} is {installed:?} (was {installed_before}; it should have needed a snapshot); log lines: {:?}",
        cluster.log_grep(id, "snapshot")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigstopped_follower_catches_up_by_snapshot() {
    let cluster =
        Cluster::launch(&["--raft-snapshot-logs", "50", "--raft-logs-to-keep", "10"]).await;
    let (follower, leader) = pick_follower(&cluster).await;
    eprintln!("freezing follower node {follower} (range {DATA_RANGE} leader: node {leader})");
    let before = cluster.metric(follower, METRIC).await.unwrap_or(0.0);

    cluster.sigstop(follower);
    write_keys(&cluster, leader).await;
    cluster.sigcont(follower);

    assert_caught_up_by_snapshot(&cluster, follower, before).await;
    assert!(cluster.is_running(follower));
    cluster.wait_ready(Duration::from_secs(30)).await;
    cluster.assert_no_panics();
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_follower_catches_up_by_snapshot_after_restart() {
    let cluster =
        Cluster::launch(&["--raft-snapshot-logs", "50", "--raft-logs-to-keep", "10"]).await;
    let (follower, leader) = pick_follower(&cluster).await;
    eprintln!("killing follower node {follower} (range {DATA_RANGE} leader: node {leader})");

    cluster.kill(follower);
    write_keys(&cluster, leader).await;
    cluster.start(follower);

    // The counter restarts with the process, so any install counts.
    assert_caught_up_by_snapshot(&cluster, follower, 0.0).await;
    cluster.wait_ready(Duration::from_secs(30)).await;
    cluster.assert_no_panics();
}
