//! The transaction protocol on an in-process 3-node cluster whose data is
//! split over three ranges: commits across ranges, conflicts, isolation
//! levels, every crash point of the coordinator (and the readers that clean
//! up after it), concurrent lock resolution, and garbage collection.

use rangedb::local_cluster::LocalCluster;
use rangedb_common::{KvError, Timestamp, TxnConflict};
use rangedb_kv::gc::{self, GcConfig};
use rangedb_txn::{CrashPoint, Isolation, TxnClient, TxnConfig, TxnError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Lock TTL of the test clients: short, so recovery after a "crash" is quick.
const TTL: Duration = Duration::from_millis(600);

struct Fixture {
    _dir: tempfile::TempDir,
    cluster: LocalCluster,
}

impl Fixture {
    /// A cluster with data ranges [0x01, "h"), ["h", "p"), ["p", +inf).
    async fn start() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let cluster = LocalCluster::start(dir.path(), 3, |_| {})
            .await
            .expect("start cluster");
        for k in [b"h".as_slice(), b"p"] {
            cluster.nodes[0].kv.split(k).await.expect("split");
        }
        Fixture { _dir: dir, cluster }
    }

    /// A transaction client on node `i` with the short test TTL.
    fn client(&self, i: usize) -> Arc<TxnClient> {
        TxnClient::new(
            self.cluster.nodes[i].kv.clone(),
            TxnConfig {
                lock_ttl: TTL,
                ..TxnConfig::default()
            },
        )
    }

    async fn stop(self) {
        self.cluster.stop().await;
    }
}

/// Commits `pairs` in one serializable transaction.
async fn write(c: &Arc<TxnClient>, pairs: &[(&str, &str)]) -> Timestamp {
    let mut t = c.begin(Isolation::Serializable).await.expect("begin");
    for (k, v) in pairs {
        t.put(k.as_bytes(), v.as_bytes()).expect("put");
    }
    t.commit().await.expect("commit")
}

/// Reads `keys` in one fresh transaction.
async fn read(c: &Arc<TxnClient>, keys: &[&str]) -> Vec<Option<String>> {
    let mut t = c.begin(Isolation::Serializable).await.expect("begin");
    let mut out = Vec::new();
    for k in keys {
        let v = t.get(k.as_bytes()).await.expect("get");
        out.push(v.map(|v| String::from_utf8(v).expect("utf8")));
    }
    t.commit().await.expect("read-only commit");
    out
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transactions_follow_the_protocol_through_every_crash_point() {
    let f = Fixture::start().await;
    let c = f.client(0);
    let other = f.client(1);

    // --- A commit across three ranges is visible atomically from another node.
    let t1 = write(&c, &[("a", "a1"), ("m", "m1"), ("t", "t1")]).await;
    assert_eq!(
        read(&other, &["a", "m", "t"]).await,
        vec![s("a1"), s("m1"), s("t1")]
    );

    // A snapshot taken before a commit keeps seeing the old values.
    let mut old = other.begin(Isolation::RepeatableRead).await.unwrap();
    write(&c, &[("a", "a2"), ("m", "m2")]).await;
    assert_eq!(old.get(b"a").await.unwrap(), Some(b"a1".to_vec()));
    assert_eq!(old.get(b"m").await.unwrap(), Some(b"m1".to_vec()));
    old.rollback().await;
    assert!(t1 > Timestamp::ZERO);

    // --- Scans cross ranges, see own writes and hide own deletes.
    let mut t = c.begin(Isolation::Serializable).await.unwrap();
    t.put(b"b", b"b-own").unwrap();
    t.delete(b"m").unwrap();
    let rows = t.scan(b"a", None, 100).await.unwrap();
    let keys: Vec<String> = rows
        .iter()
        .map(|(k, _)| String::from_utf8_lossy(k).into_owned())
        .filter(|k| k.len() == 1)
        .collect();
    assert_eq!(keys, vec!["a", "b", "t"]);
    t.rollback().await;

    // --- Write-write conflict: the later committer restarts.
    let mut x = c.begin(Isolation::RepeatableRead).await.unwrap();
    let mut y = other.begin(Isolation::RepeatableRead).await.unwrap();
    x.put(b"a", b"x").unwrap();
    x.put(b"t", b"x").unwrap();
    y.put(b"a", b"y").unwrap();
    y.put(b"t", b"y").unwrap();
    x.commit().await.expect("first committer wins");
    match y.commit().await {
        Err(TxnError::Retryable(TxnConflict::WriteConflict { .. })) => {}
        other => panic!("second committer should get a write conflict: {other:?}"),
    }

    // --- Write skew: allowed under REPEATABLE READ, refused under SERIALIZABLE.
    for (iso, skew_allowed) in [
        (Isolation::RepeatableRead, true),
        (Isolation::Serializable, false),
    ] {
        write(&c, &[("c", "0"), ("q", "0")]).await;
        let mut u = c.begin(iso).await.unwrap();
        let mut v = other.begin(iso).await.unwrap();
        assert_eq!(u.get(b"c").await.unwrap(), Some(b"0".to_vec()));
        assert_eq!(u.get(b"q").await.unwrap(), Some(b"0".to_vec()));
        assert_eq!(v.get(b"c").await.unwrap(), Some(b"0".to_vec()));
        assert_eq!(v.get(b"q").await.unwrap(), Some(b"0".to_vec()));
        u.put(b"c", b"1").unwrap();
        v.put(b"q", b"1").unwrap();
        u.commit().await.expect("first commits");
        let second = v.commit().await;
        if skew_allowed {
            second.expect("snapshot isolation allows write skew");
        } else {
            assert!(
                matches!(
                    second,
                    Err(TxnError::Retryable(TxnConflict::ReadConflict { .. }))
                ),
                "serializable must refuse write skew: {second:?}"
            );
        }
    }

    // --- Read-only transactions never abort for validation.
    let mut ro = other.begin(Isolation::Serializable).await.unwrap();
    assert!(ro.get(b"a").await.unwrap().is_some());
    write(&c, &[("a", "after-ro")]).await;
    ro.commit()
        .await
        .expect("read-only commit never fails validation");

    // --- Crash after prewrite: locks everywhere; readers wait out the TTL and roll back.
    write(&c, &[("d", "d0"), ("n", "n0"), ("u", "u0")]).await;
    let mut t = c.begin(Isolation::Serializable).await.unwrap();
    for k in ["d", "n", "u"] {
        t.put(k.as_bytes(), b"crashed").unwrap();
    }
    assert!(t
        .commit_and_crash_at(CrashPoint::AfterPrewrite)
        .await
        .is_err());
    let started = Instant::now();
    assert_eq!(
        read(&other, &["d", "n", "u"]).await,
        vec![s("d0"), s("n0"), s("u0")]
    );
    assert!(
        started.elapsed() >= TTL / 2,
        "readers should have waited for the lock's TTL, waited {:?}",
        started.elapsed()
    );
    // And the rolled-back transaction's keys are writable again.
    write(&other, &[("d", "d1"), ("n", "n1"), ("u", "u1")]).await;

    // --- Crash during prewrite: only the primary's range was locked.
    let mut t = c.begin(Isolation::Serializable).await.unwrap();
    for k in ["e", "o", "v"] {
        t.put(k.as_bytes(), b"crashed").unwrap();
    }
    assert!(t
        .commit_and_crash_at(CrashPoint::DuringPrewrite)
        .await
        .is_err());
    assert_eq!(read(&other, &["e", "o", "v"]).await, vec![None, None, None]);
    write(&other, &[("e", "e1"), ("o", "o1"), ("v", "v1")]).await;

    // --- Crash after the primary's commit: the transaction committed, and
    // readers roll the secondaries forward (many at once) without waiting.
    let mut t = c.begin(Isolation::Serializable).await.unwrap();
    for k in ["f", "n2", "w"] {
        t.put(k.as_bytes(), b"committed").unwrap();
    }
    t.commit_and_crash_at(CrashPoint::AfterPrimaryCommit)
        .await
        .expect("the commit point was reached");
    let readers: Vec<_> = (0..8)
        .map(|i| {
            let r = f.client(i % 3);
            tokio::spawn(async move { read(&r, &["w", "n2", "f"]).await })
        })
        .collect();
    for r in readers {
        assert_eq!(
            r.await.unwrap(),
            vec![s("committed"), s("committed"), s("committed")],
            "every concurrent reader sees the committed transaction"
        );
    }

    // --- Crash during rollback: prewrite failed on one range, the primary's
    // range was rolled back, another range keeps a lock whose primary is gone.
    write(&c, &[("g", "g0"), ("o2", "o0"), ("x", "x0")]).await;
    let mut t = c.begin(Isolation::Serializable).await.unwrap();
    for k in ["g", "o2", "x"] {
        t.put(k.as_bytes(), b"crashed").unwrap();
    }
    // A write committed after t started makes t's prewrite of "x" fail.
    write(&other, &[("x", "x1")]).await;
    let r = t.commit_and_crash_at(CrashPoint::DuringRollback).await;
    assert!(r.is_err(), "t cannot commit: {r:?}");
    assert_eq!(
        read(&other, &["g", "o2", "x"]).await,
        vec![s("g0"), s("o0"), s("x1")]
    );

    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn implicit_transactions_retry_and_counters_stay_consistent() {
    let f = Fixture::start().await;
    // Twelve writers on the same two keys conflict a lot: allow many restarts.
    let clients: Vec<Arc<TxnClient>> = (0..3)
        .map(|i| {
            TxnClient::new(
                f.cluster.nodes[i].kv.clone(),
                TxnConfig {
                    lock_ttl: TTL,
                    max_retries: 200,
                    ..TxnConfig::default()
                },
            )
        })
        .collect();
    write(&clients[0], &[("a-counter", "0"), ("z-counter", "0")]).await;
    // 3 nodes x 4 tasks x 5 increments of two counters in different ranges.
    let mut tasks = Vec::new();
    for i in 0..12 {
        let c = clients[i % 3].clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..5 {
                c.run(Isolation::Serializable, |t| {
                    Box::pin(async move {
                        for k in [b"a-counter".as_slice(), b"z-counter"] {
                            let n: u64 = t
                                .get(k)
                                .await?
                                .and_then(|v| String::from_utf8(v).ok()?.parse().ok())
                                .unwrap_or(0);
                            t.put(k, (n + 1).to_string().as_bytes())?;
                        }
                        Ok(())
                    })
                })
                .await
                .expect("implicit transaction retries until it commits");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        read(&clients[1], &["a-counter", "z-counter"]).await,
        vec![s("60"), s("60")]
    );
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn gc_removes_old_versions_but_not_below_running_transactions() {
    let f = Fixture::start().await;
    let node = &f.cluster.nodes[0];
    // The node's own transaction client: its running transactions hold GC back.
    let c = node.txn.clone();
    write(&c, &[("gc-a", "v1"), ("gc-q", "v1")]).await;
    let mut old = c.begin(Isolation::RepeatableRead).await.unwrap();
    write(&c, &[("gc-a", "v2"), ("gc-q", "v2")]).await;
    tokio::time::sleep(Duration::from_millis(20)).await;

    let config = GcConfig {
        ttl: Duration::ZERO,
        ..GcConfig::default()
    };
    let gc_all = || async {
        let mut n = 0;
        for node in &f.cluster.nodes {
            n += gc::run_round(node.service.store(), &node.kv, &config)
                .await
                .expect("gc round");
        }
        n
    };
    gc_all().await;
    // The running transaction still reads its snapshot.
    assert_eq!(old.get(b"gc-a").await.unwrap(), Some(b"v1".to_vec()));
    assert_eq!(old.get(b"gc-q").await.unwrap(), Some(b"v1".to_vec()));
    let old_ts = old.start_ts();
    old.rollback().await;

    let deleted = gc_all().await;
    assert!(
        deleted >= 4,
        "the v1 versions and values should be collected, deleted {deleted}"
    );
    // Every replica dropped the old version: below v2 the keys are now absent.
    for n in &f.cluster.nodes {
        let remote = rangedb_kv::RemoteNode::new(&n.rpc_addr.to_string());
        for key in [b"gc-a".as_slice(), b"gc-q"] {
            let range_id = node.kv.range_of(key).await.unwrap().range_id;
            let mut end = key.to_vec();
            end.push(0);
            let rows = match remote
                .admin(rangedb_kv::AdminRequest::LocalScan {
                    range_id,
                    start: key.to_vec(),
                    end: Some(end),
                    ts: old_ts,
                    limit: 10,
                })
                .await
            {
                Ok(rangedb_kv::AdminResponse::Rows(rows)) => rows,
                other => panic!("LocalScan: {other:?}"),
            };
            assert!(
                rows.is_empty(),
                "node {} still has v1 of {key:?}: {rows:?}",
                n.rpc_addr
            );
        }
    }
    // Current data is intact.
    assert_eq!(read(&c, &["gc-a", "gc-q"]).await, vec![s("v2"), s("v2")]);

    // A coordinator died right after its commit point, leaving a secondary
    // lock; then the primary key was overwritten. GC must resolve the lock
    // before it collects the primary's (now shadowed) commit record, or the
    // lock would later be rolled back although its transaction committed.
    let mut t = c.begin(Isolation::Serializable).await.unwrap();
    t.put(b"gc-b", b"primary").unwrap();
    t.put(b"gc-r", b"secondary").unwrap();
    t.commit_and_crash_at(CrashPoint::AfterPrimaryCommit)
        .await
        .expect("commit point reached");
    write(&c, &[("gc-b", "overwritten")]).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    gc_all().await;
    assert_eq!(
        read(&c, &["gc-b", "gc-r"]).await,
        vec![s("overwritten"), s("secondary")],
        "the committed secondary survives garbage collection"
    );
    // A read at the old snapshot is refused, not silently wrong.
    let r = node
        .kv
        .route(b"gc-a", |_| rangedb_kv::RangeRequest::TxnGet {
            key: b"gc-a".to_vec(),
            ts: old_ts,
            owner: old_ts,
        })
        .await;
    assert!(
        matches!(r, Err(KvError::Txn(TxnConflict::TooOld { .. }))),
        "read below the GC threshold: {r:?}"
    );
    f.stop().await;
}
