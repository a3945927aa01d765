//! Cluster-level benchmarks on a real 3-node cluster in this process (three
//! `Node`s with their own RocksDB, talking gRPC over loopback):
//!
//! * `raft_write/{1,32}`: replicated writes proposed on the data range's
//!   leader (each a Raft round with fsync on a quorum), with 1 and 32
//!   concurrent writers;
//! * `kv_read/point`: a linearizable point read sent to a node (routing +
//!   read-index + MVCC get), at a fixed timestamp so no oracle round is timed.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rangedb::local_cluster::LocalCluster;
use rangedb_common::Timestamp;
use rangedb_kv::{KvRequest, KvResponse, RemoteNode};
use rangedb_raft::{Command, WriteOp};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let cluster = rt
        .block_on(LocalCluster::start(dir.path(), 3, |_| {}))
        .expect("start cluster");
    let nodes = &cluster.nodes;
    let leader = rt
        .block_on(async {
            for _ in 0..100 {
                for n in nodes {
                    if let Some(r) = n.host.replica(2) {
                        if r.leader() == Some(n.host.node_id()) {
                            return Some(r);
                        }
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            None
        })
        .expect("data range has a leader");
    let seq = Arc::new(AtomicU64::new(1));

    let mut g = c.benchmark_group("raft_write");
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    for writers in [1u64, 32] {
        g.throughput(Throughput::Elements(writers));
        g.bench_with_input(
            BenchmarkId::from_parameter(writers),
            &writers,
            |b, &writers| {
                b.to_async(&rt).iter(|| {
                    let leader = leader.clone();
                    let seq = seq.clone();
                    async move {
                        let writes = (0..writers).map(|_| {
                            let n = seq.fetch_add(1, Ordering::Relaxed);
                            let op = WriteOp::Put {
                                key: format!("bench/{n:012}").into_bytes(),
                                value: vec![b'v'; 100],
                                ts: Timestamp(n),
                            };
                            let leader = leader.clone();
                            async move {
                                leader
                                    .propose(Command::Write { ops: vec![op] })
                                    .await
                                    .expect("propose")
                            }
                        });
                        futures::future::join_all(writes).await
                    }
                })
            },
        );
    }
    g.finish();

    let remote = RemoteNode::new(&nodes[1].rpc_addr.to_string());
    // The keys read below, whatever the write benches managed to write (in
    // test mode each bench runs only once).
    rt.block_on(async {
        for i in 1..=1000u64 {
            let op = WriteOp::Put {
                key: format!("bench/{i:012}").into_bytes(),
                value: vec![b'v'; 100],
                ts: Timestamp(i),
            };
            leader
                .propose(Command::Write { ops: vec![op] })
                .await
                .expect("load read keys");
        }
    });
    let mut g = c.benchmark_group("kv_read");
    g.sample_size(30).measurement_time(Duration::from_secs(6));
    let mut i = 0u64;
    g.bench_function("point", |b| {
        b.to_async(&rt).iter(|| {
            i = i % 1000 + 1;
            let req = KvRequest::Get {
                key: format!("bench/{i:012}").into_bytes(),
                ts: Some(Timestamp::MAX),
            };
            let remote = &remote;
            async move {
                match remote.kv(req).await.expect("get") {
                    KvResponse::Value { value, .. } => assert!(value.is_some()),
                    other => panic!("unexpected {other:?}"),
                }
            }
        })
    });
    g.finish();
    rt.block_on(cluster.stop());
}

criterion_group!(benches, bench);
criterion_main!(benches);
