//! Transaction benchmarks on an in-process 3-node cluster (real RocksDB,
//! gRPC over loopback, fsync on every Raft append), data split into four
//! ranges:
//!
//! * `txn_commit/one_range`: a transaction writing 4 keys in one range (the
//!   one-phase path: one Raft write), latency and, with 16 concurrent
//!   transactions, throughput;
//! * `txn_commit/four_ranges`: 4 keys in 4 ranges (two-phase commit);
//! * `txn_validation/{serializable,repeatable_read}`: a transaction that
//!   scans 1,000 keys and writes one, so the difference is the cost of
//!   validating the scanned span.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rangedb::local_cluster::LocalCluster;
use rangedb_txn::{Isolation, TxnClient, TxnConfig};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const SPLITS: [&[u8]; 3] = [b"k1", b"k2", b"k3"];

fn key(range: u64, n: u64) -> Vec<u8> {
    format!("k{range}/{n:012}").into_bytes()
}

async fn commit(c: &Arc<TxnClient>, ranges: &[u64], n: u64) {
    let mut t = c.begin(Isolation::Serializable).await.expect("begin");
    for (i, r) in ranges.iter().enumerate() {
        t.put(&key(*r, n * 4 + i as u64), b"value").expect("put");
    }
    t.commit().await.expect("commit");
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let cluster = rt
        .block_on(LocalCluster::start(dir.path(), 3, |_| {}))
        .expect("start cluster");
    rt.block_on(async {
        for k in SPLITS {
            cluster.nodes[0].kv.split(k).await.expect("split");
        }
    });
    let client = TxnClient::new(cluster.nodes[0].kv.clone(), TxnConfig::default());
    let seq = Arc::new(AtomicU64::new(1));

    let mut g = c.benchmark_group("txn_commit");
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    for (name, ranges) in [
        ("one_range", vec![0, 0, 0, 0]),
        ("four_ranges", vec![0, 1, 2, 3]),
    ] {
        for concurrency in [1u64, 16] {
            g.throughput(Throughput::Elements(concurrency));
            g.bench_with_input(
                BenchmarkId::new(name, concurrency),
                &concurrency,
                |b, &concurrency| {
                    b.to_async(&rt).iter(|| {
                        let (client, seq, ranges) = (client.clone(), seq.clone(), ranges.clone());
                        async move {
                            let txns = (0..concurrency).map(|_| {
                                let n = seq.fetch_add(1, Ordering::Relaxed);
                                let (client, ranges) = (client.clone(), ranges.clone());
                                async move { commit(&client, &ranges, n).await }
                            });
                            futures::future::join_all(txns).await
                        }
                    })
                },
            );
        }
    }
    g.finish();

    // 1,000 keys in one range to scan.
    rt.block_on(async {
        let mut t = client.begin(Isolation::Serializable).await.expect("begin");
        for i in 0..1_000u64 {
            t.put(format!("k3/scan/{i:06}").as_bytes(), b"v")
                .expect("put");
        }
        t.commit().await.expect("load");
    });
    let mut g = c.benchmark_group("txn_validation");
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    for (name, iso) in [
        ("serializable", Isolation::Serializable),
        ("repeatable_read", Isolation::RepeatableRead),
    ] {
        g.bench_function(BenchmarkId::new("scan_1000_write_1", name), |b| {
            b.to_async(&rt).iter(|| {
                let (client, seq) = (client.clone(), seq.clone());
                async move {
                    let mut t = client.begin(iso).await.expect("begin");
                    let rows = t
                        .scan(b"k3/scan/", Some(b"k3/scan0"), 2_000)
                        .await
                        .expect("scan");
                    assert_eq!(rows.len(), 1_000);
                    let n = seq.fetch_add(1, Ordering::Relaxed);
                    t.put(&key(3, n), b"v").expect("put");
                    t.commit().await.expect("commit")
                }
            })
        });
    }
    g.finish();
    rt.block_on(cluster.stop());
}

criterion_group!(benches, bench);
criterion_main!(benches);
