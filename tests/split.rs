//! Splitting the data range three times while writers are running: the new
//! ranges appear with three replicas and a leader, no acknowledged write is
//! lost, and a scan over the split span returns each key once, in order.

mod common;

use common::{get, local_scan_all, put, scan, show, value_for, Cluster};
use rangedb_kv::{KvRequest, KvResponse, RangeInfo};
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEYS: usize = 3_000;
const WRITERS: usize = 8;
/// (acks to wait for, split key)
const SPLITS: [(usize, &str); 3] = [(500, "k00750"), (1000, "k01500"), (1500, "k02250")];

fn k(i: usize) -> Vec<u8> {
    format!("k{i:05}").into_bytes()
}

#[derive(Default)]
struct History {
    attempted: Mutex<BTreeSet<Vec<u8>>>,
    acked: Mutex<BTreeSet<Vec<u8>>>,
    failed: Mutex<Vec<String>>,
}

/// The data ranges (not the meta range) by start key, once they are what the
/// splits should have produced.
fn expected_spans() -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    let mut bounds: Vec<Vec<u8>> = vec![vec![0x01]];
    bounds.extend(SPLITS.iter().map(|(_, s)| s.as_bytes().to_vec()));
    (0..bounds.len())
        .map(|i| (bounds[i].clone(), bounds.get(i + 1).cloned()))
        .collect()
}

fn data_ranges(all: &[RangeInfo]) -> Vec<RangeInfo> {
    let mut v: Vec<RangeInfo> = all
        .iter()
        .filter(|r| r.descriptor.range_id != 1)
        .cloned()
        .collect();
    v.sort_by(|a, b| a.descriptor.start_key.cmp(&b.descriptor.start_key));
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn splits_under_concurrent_writes() {
    let cluster = Cluster::launch(&[]).await;
    let next = Arc::new(AtomicUsize::new(0));
    let h = Arc::new(History::default());

    let mut writers = Vec::new();
    for t in 0..WRITERS {
        let nodes: Vec<_> = (0..3)
            .map(|j| {
                (
                    ((t + j) % 3) as u64 + 1,
                    cluster.client(((t + j) % 3) as u64 + 1),
                )
            })
            .collect();
        let (next, h) = (next.clone(), h.clone());
        writers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= KEYS {
                    return;
                }
                let key = k(i);
                h.attempted.lock().unwrap().insert(key.clone());
                let mut errors = Vec::new();
                for (id, c) in &nodes {
                    match put(c, &key, &value_for(&key)).await {
                        Ok(_) => {
                            h.acked.lock().unwrap().insert(key.clone());
                            errors.clear();
                            break;
                        }
                        Err(e) => errors.push(format!("node {id}: {e}")),
                    }
                }
                if !errors.is_empty() {
                    h.failed
                        .lock()
                        .unwrap()
                        .push(format!("{}: {errors:?}", show(&key)));
                }
            }
        }));
    }

    // Split mid-way, through node 2.
    let n2 = cluster.client(2);
    for (after, split_key) in SPLITS {
        let hh = h.clone();
        let reached = common::try_wait_for(Duration::from_secs(30), || {
            let hh = hh.clone();
            async move { hh.acked.lock().unwrap().len() >= after }
        })
        .await;
        assert!(
            reached,
            "writers did not reach {after} acks: failures {:?}",
            h.failed.lock().unwrap()
        );
        let acks_now = h.acked.lock().unwrap().len();
        match n2
            .kv(KvRequest::Split {
                key: split_key.as_bytes().to_vec(),
            })
            .await
        {
            Ok(KvResponse::Split { left, right }) => {
                eprintln!("split at {split_key} with {acks_now} acks: {left} | {right}");
                assert_eq!(
                    left.end_key.as_deref(),
                    Some(split_key.as_bytes()),
                    "left half ends at the split key"
                );
                assert_eq!(
                    right.start_key,
                    split_key.as_bytes(),
                    "right half starts at the split key"
                );
                assert_ne!(left.range_id, right.range_id);
            }
            other => panic!("split at {split_key} failed: {other:?}"),
        }
    }
    let acks_at_last_split = h.acked.lock().unwrap().len();
    for w in writers {
        w.await.expect("writer task");
    }
    let attempted = h.attempted.lock().unwrap().clone();
    let acked = h.acked.lock().unwrap().clone();
    let failed = h.failed.lock().unwrap().clone();
    eprintln!(
        "{} attempted, {} acked, {} failed; last split done at {acks_at_last_split} acks",
        attempted.len(),
        acked.len(),
        failed.len()
    );
    assert!(
        acks_at_last_split < KEYS,
        "the splits did not overlap with the writes"
    );
    assert!(
        failed.is_empty(),
        "{} writes failed on every node, e.g. {:?}",
        failed.len(),
        &failed[..failed.len().min(5)]
    );

    // The debug view shows the four data ranges, each with 3 replicas and a leader.
    let want = expected_spans();
    let c = &cluster;
    let want_ref = &want;
    let settled = common::try_wait_for(Duration::from_secs(20), || async move {
        let Ok(all) = c.ranges().await else {
            return false;
        };
        let data = data_ranges(&all);
        data.len() == want_ref.len()
            && data.iter().zip(want_ref).all(|(r, (s, e))| {
                r.descriptor.start_key == *s
                    && r.descriptor.end_key == *e
                    && r.descriptor.replicas.len() == 3
                    && r.leader.is_some()
            })
    })
    .await;
    let all = cluster.ranges().await.expect("ranges");
    assert!(
        settled,
        "expected data ranges {want:?}, /debug/ranges.json shows {all:#?}"
    );
    let data = data_ranges(&all);
    let ids: BTreeSet<u64> = data.iter().map(|r| r.descriptor.range_id).collect();
    assert_eq!(ids.len(), 4, "range ids are not distinct: {data:?}");

    // Every acknowledged key is readable.
    let n3 = cluster.client(3);
    let mut unreadable = Vec::new();
    for key in &acked {
        match get(&n3, key).await {
            Ok(Some(v)) if v == value_for(key) => {}
            other => unreadable.push(format!("{}: {other:?}", show(key))),
        }
    }
    assert!(
        unreadable.is_empty(),
        "{} acked keys unreadable, e.g. {:?}",
        unreadable.len(),
        &unreadable[..unreadable.len().min(10)]
    );

    // A scan over the whole span: each key once, in order, acked ⊆ scanned ⊆ attempted.
    let rows = scan(&cluster.client(1), b"k", b"l", (KEYS * 2) as u32)
        .await
        .expect("scan");
    let keys: Vec<Vec<u8>> = rows.iter().map(|(k, _)| k.clone()).collect();
    for w in keys.windows(2) {
        assert!(
            w[0] < w[1],
            "scan out of order or duplicated: {} then {}",
            show(&w[0]),
            show(&w[1])
        );
    }
    for (key, v) in &rows {
        assert_eq!(v, &value_for(key), "wrong value for {}", show(key));
    }
    let scanned: BTreeSet<Vec<u8>> = keys.into_iter().collect();
    let lost: Vec<String> = acked.difference(&scanned).map(|k| show(k)).collect();
    assert!(
        lost.is_empty(),
        "scan misses {} acknowledged keys, e.g. {:?}",
        lost.len(),
        &lost[..lost.len().min(10)]
    );
    let phantom: Vec<String> = scanned.difference(&attempted).map(|k| show(k)).collect();
    assert!(
        phantom.is_empty(),
        "scan returned keys nobody wrote: {phantom:?}"
    );

    // Every node hosts every new range and holds its part of the data.
    for id in cluster.ids() {
        let node = cluster.client(id);
        for r in &data {
            let d = &r.descriptor;
            let start = d.start_key.clone().max(b"k".to_vec());
            let end = d
                .end_key
                .clone()
                .unwrap_or_else(|| b"l".to_vec())
                .min(b"l".to_vec());
            let want: BTreeSet<Vec<u8>> = acked.iter().filter(|k| d.contains(k)).cloned().collect();
            let (node, start2, end2, want2) = (&node, &start, &end, &want);
            let ok = common::try_wait_for(Duration::from_secs(15), || async move {
                match local_scan_all(node, d.range_id, start2, end2).await {
                    Ok(rows) => {
                        let have: HashMap<Vec<u8>, Vec<u8>> = rows.into_iter().collect();
                        want2.iter().all(|k| have.contains_key(k))
                    }
                    Err(_) => false,
                }
            })
            .await;
            let res = local_scan_all(node, d.range_id, &start, &end).await;
            assert!(
                ok,
                "node {id}'s copy of range {d} lacks acked keys: LocalScan -> {:?}",
                res.map(|r| r.len())
            );
        }
    }
    cluster.assert_no_panics();
}
