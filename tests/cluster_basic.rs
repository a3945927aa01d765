//! A healthy 3-node cluster: 10,000 writes through node 1 are readable
//! through nodes 2 and 3, and a scan through node 3 returns exactly them.

mod common;

use common::{get, key, put, scan, value_for, Cluster};
use std::sync::Arc;
use std::time::Instant;

const KEYS: usize = 10_000;
const TASKS: usize = 32;
const PREFIX: &str = "key";

#[tokio::test(flavor = "multi_thread")]
async fn writes_through_one_node_are_read_through_the_others() {
    let cluster = Cluster::launch(&[]).await;

    // Write 10,000 keys through node 1 with 32 concurrent writers.
    let started = Instant::now();
    let n1 = cluster.client(1);
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let c = n1.clone();
        tasks.push(tokio::spawn(async move {
            for i in (t..KEYS).step_by(TASKS) {
                let k = key(PREFIX, i);
                if let Err(e) = put(&c, &k, &value_for(&k)).await {
                    panic!("put {} through node 1 failed: {e}", common::show(&k));
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("writer task");
    }
    eprintln!("wrote {KEYS} keys in {:?}", started.elapsed());

    // Read every key back through nodes 2 and 3.
    let started = Instant::now();
    for reader in [2, 3] {
        let c = cluster.client(reader);
        let missing = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for t in 0..TASKS {
            let c = c.clone();
            let missing = missing.clone();
            tasks.push(tokio::spawn(async move {
                for i in (t..KEYS).step_by(TASKS) {
                    let k = key(PREFIX, i);
                    match get(&c, &k).await {
                        Ok(Some(v)) if v == value_for(&k) => {}
                        other => missing
                            .lock()
                            .unwrap()
                            .push(format!("{}: {other:?}", common::show(&k))),
                    }
                }
            }));
        }
        for t in tasks {
            t.await.expect("reader task");
        }
        let missing = missing.lock().unwrap();
        assert!(
            missing.is_empty(),
            "{} of {KEYS} keys wrong or missing through node {reader}, e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(10)]
        );
    }
    eprintln!("read {} keys in {:?}", 2 * KEYS, started.elapsed());

    // A full scan through node 3 returns exactly the keys, in order.
    let rows = scan(
        &cluster.client(3),
        PREFIX.as_bytes(),
        &common::prefix_end(PREFIX.as_bytes()),
        (KEYS * 2) as u32,
    )
    .await
    .expect("scan through node 3");
    assert_eq!(
        rows.len(),
        KEYS,
        "scan returned {} rows, expected {KEYS}",
        rows.len()
    );
    for (i, (k, v)) in rows.iter().enumerate() {
        let want = key(PREFIX, i);
        assert_eq!(
            common::show(k),
            common::show(&want),
            "scan row {i} has the wrong key"
        );
        assert_eq!(v, &value_for(&want), "scan row {i} has the wrong value");
    }

    // A bounded scan honours its limit.
    let rows = scan(
        &cluster.client(2),
        PREFIX.as_bytes(),
        &common::prefix_end(PREFIX.as_bytes()),
        1234,
    )
    .await
    .expect("limited scan");
    assert_eq!(rows.len(), 1234);
    assert_eq!(rows.last().unwrap().0, key(PREFIX, 1233));

    cluster.assert_no_panics();
}
