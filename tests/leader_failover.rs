//! kill -9 of the data range's leader under continuous writes: writes resume
//! within 10 s, the killed node catches up after a restart, and every
//! acknowledged write is present in every node's own copy.

mod common;

use common::{local_ranges, local_scan_all, put, scan, show, value_for, Cluster};
use rangedb_common::NodeId;
use rangedb_kv::RemoteNode;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DATA_RANGE: u64 = 2;
const WRITERS: usize = 8;
const PREFIX: &[u8] = b"fo-";

#[derive(Debug, Clone)]
struct Ack {
    key: Vec<u8>,
    started: Instant,
    acked: Instant,
}

#[derive(Default)]
struct History {
    attempted: Mutex<Vec<Vec<u8>>>,
    acks: Mutex<Vec<Ack>>,
    errors: Mutex<Vec<String>>,
}

/// Writes unique keys until `stop`, through `nodes[0]` first and, after an
/// error, through the next node (retrying the same key until acknowledged).
async fn writer(
    t: usize,
    nodes: Vec<(NodeId, Arc<RemoteNode>)>,
    stop: Arc<AtomicBool>,
    h: Arc<History>,
) {
    let mut seq = 0usize;
    let mut target = 0usize;
    while !stop.load(Ordering::Relaxed) {
        seq += 1;
        let k = format!("fo-{t:02}-{seq:06}").into_bytes();
        h.attempted.lock().unwrap().push(k.clone());
        let started = Instant::now();
        loop {
            let (id, c) = &nodes[target];
            match tokio::time::timeout(Duration::from_secs(15), put(c, &k, &value_for(&k))).await {
                Ok(Ok(_)) => {
                    h.acks.lock().unwrap().push(Ack {
                        key: k.clone(),
                        started,
                        acked: Instant::now(),
                    });
                    break;
                }
                Ok(Err(e)) => h.errors.lock().unwrap().push(format!("node {id}: {e}")),
                Err(_) => h
                    .errors
                    .lock()
                    .unwrap()
                    .push(format!("node {id}: client timeout")),
            }
            target = (target + 1) % nodes.len();
            if stop.load(Ordering::Relaxed) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn leader_kill_loses_no_acknowledged_write() {
    let cluster = Cluster::launch(&[]).await;
    let leader = cluster
        .wait_leader_of(DATA_RANGE, Duration::from_secs(10))
        .await;
    let via = cluster.ids().into_iter().find(|&id| id != leader).unwrap();
    eprintln!("range {DATA_RANGE} leader: node {leader}; writing through node {via}");

    // Writers go through a non-leader first, then fail over to the others.
    let mut order = vec![via];
    order.extend(cluster.ids().into_iter().filter(|&id| id != via));
    let nodes: Vec<(NodeId, Arc<RemoteNode>)> =
        order.iter().map(|&id| (id, cluster.client(id))).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let h = Arc::new(History::default());
    let tasks: Vec<_> = (0..WRITERS)
        .map(|t| tokio::spawn(writer(t, nodes.clone(), stop.clone(), h.clone())))
        .collect();

    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = h.acks.lock().unwrap().len();
    assert!(
        before > 0,
        "no write was acknowledged in 2s before the kill: {:?}",
        h.errors.lock().unwrap()
    );

    // kill -9 the leader.
    let killed_at = Instant::now();
    cluster.kill(leader);
    eprintln!("killed node {leader} after {before} acks");

    // Writes resume: a write *started* after the kill is acknowledged within 10 s.
    let resumed = common::try_wait_for(Duration::from_secs(10), || {
        let h = h.clone();
        async move {
            h.acks
                .lock()
                .unwrap()
                .iter()
                .any(|a| a.started >= killed_at)
        }
    })
    .await;
    let first_after = h
        .acks
        .lock()
        .unwrap()
        .iter()
        .filter(|a| a.started >= killed_at)
        .map(|a| a.acked)
        .min();
    assert!(
        resumed,
        "no write started after the kill was acknowledged within 10s; last errors: {:?}",
        h.errors
            .lock()
            .unwrap()
            .iter()
            .rev()
            .take(10)
            .collect::<Vec<_>>()
    );
    eprintln!(
        "writes resumed {:?} after the kill",
        first_after.unwrap() - killed_at
    );

    // Keep writing, restart the killed node, keep writing, then stop.
    tokio::time::sleep(Duration::from_secs(2)).await;
    cluster.start(leader);
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.expect("writer task");
    }
    let acks = h.acks.lock().unwrap().clone();
    let attempted: BTreeSet<Vec<u8>> = h.attempted.lock().unwrap().iter().cloned().collect();
    let acked: BTreeSet<Vec<u8>> = acks.iter().map(|a| a.key.clone()).collect();
    let after_restart = acks.iter().filter(|a| a.started >= killed_at).count();
    eprintln!(
        "{} writes acknowledged ({} started after the kill), {} attempted, {} errors",
        acked.len(),
        after_restart,
        attempted.len(),
        h.errors.lock().unwrap().len()
    );
    assert_eq!(acked.len(), acks.len(), "a key was acknowledged twice");

    // The restarted node catches up with the others' applied index.
    let applied = |infos: Vec<rangedb_kv::RangeInfo>| {
        infos
            .into_iter()
            .find(|r| r.descriptor.range_id == DATA_RANGE)
            .map(|r| r.applied_index)
    };
    let mut target = 0;
    for id in cluster.ids().into_iter().filter(|&id| id != leader) {
        let a = applied(
            local_ranges(&cluster.client(id))
                .await
                .expect("LocalRanges"),
        )
        .expect("replica of range 2");
        target = target.max(a);
    }
    let restarted = cluster.client(leader);
    let caught_up = common::try_wait_for(Duration::from_secs(30), || {
        let restarted = restarted.clone();
        async move {
            local_ranges(&restarted)
                .await
                .ok()
                .and_then(applied)
                .is_some_and(|a| a >= target)
        }
    })
    .await;
    let now = local_ranges(&restarted).await.ok().and_then(applied);
    assert!(caught_up, "restarted node {leader} applied index of range {DATA_RANGE} is {now:?}, others are at {target}");

    // Every acknowledged key is in every node's own copy.
    let end = common::prefix_end(PREFIX);
    for id in cluster.ids() {
        let c = cluster.client(id);
        let complete = common::try_wait_for(Duration::from_secs(20), || {
            let (c, acked, end) = (c.clone(), &acked, &end);
            async move {
                match local_scan_all(&c, DATA_RANGE, PREFIX, end).await {
                    Ok(rows) => {
                        let have: HashMap<Vec<u8>, Vec<u8>> = rows.into_iter().collect();
                        acked
                            .iter()
                            .all(|k| have.get(k).is_some_and(|v| *v == value_for(k)))
                    }
                    Err(_) => false,
                }
            }
        })
        .await;
        let rows = local_scan_all(&c, DATA_RANGE, PREFIX, &end)
            .await
            .expect("LocalScan");
        let have: HashMap<Vec<u8>, Vec<u8>> = rows.iter().cloned().collect();
        let missing: Vec<String> = acked
            .iter()
            .filter(|k| have.get(*k).is_none_or(|v| *v != value_for(k)))
            .map(|k| show(k))
            .collect();
        assert!(
            complete && missing.is_empty(),
            "node {id} is missing {} of {} acknowledged keys, e.g. {:?}",
            missing.len(),
            acked.len(),
            &missing[..missing.len().min(10)]
        );
        let unknown: Vec<String> = have
            .keys()
            .filter(|k| !attempted.contains(*k))
            .map(|k| show(k))
            .collect();
        assert!(
            unknown.is_empty(),
            "node {id} holds keys nobody wrote: {unknown:?}"
        );
    }

    // And the cluster's own scan agrees: acked ⊆ scanned ⊆ attempted, in order.
    let rows = scan(
        &cluster.client(via),
        PREFIX,
        &end,
        (attempted.len() + 10) as u32,
    )
    .await
    .expect("scan");
    let keys: Vec<Vec<u8>> = rows.into_iter().map(|(k, _)| k).collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "scan is not strictly ordered"
    );
    let scanned: BTreeSet<Vec<u8>> = keys.into_iter().collect();
    assert!(
        acked.is_subset(&scanned),
        "scan misses {} acknowledged keys",
        acked.difference(&scanned).count()
    );
    assert!(
        scanned.is_subset(&attempted),
        "scan returned keys nobody wrote"
    );
    cluster.assert_no_panics();
}
