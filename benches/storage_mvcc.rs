//! Storage-layer costs on RocksDB: a point get at a read timestamp and a
//! 100-row scan, over 100,000 keys with 3 versions each; and the price of
//! durability, a small synced write (one WAL fsync), which bounds how fast a
//! single Raft log append can be acknowledged on this machine.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rangedb_common::Timestamp;
use rangedb_storage::{mvcc, Batch, Engine, RocksEngine};
use std::hint::black_box;

const KEYS: u64 = 100_000;

fn key(i: u64) -> Vec<u8> {
    format!("user/{i:08}").into_bytes()
}

fn setup() -> (tempfile::TempDir, RocksEngine) {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = RocksEngine::open(dir.path()).expect("open rocksdb");
    for chunk in (0..KEYS).collect::<Vec<_>>().chunks(10_000) {
        let mut b = Batch::new();
        for &i in chunk {
            for ts in [10, 20, 30] {
                mvcc::put_version(&mut b, &key(i), Timestamp(ts), vec![b'x'; 100]).expect("encode");
            }
        }
        engine.write(b, false).expect("write");
    }
    (dir, engine)
}

fn bench(c: &mut Criterion) {
    let (_dir, engine) = setup();
    let mut g = c.benchmark_group("mvcc");
    let mut i = 0u64;
    g.bench_function("get_point", |b| {
        b.iter(|| {
            i = (i + 7_919) % KEYS;
            black_box(mvcc::get(&engine, &key(i), Timestamp(25)).expect("get"))
        })
    });
    for rows in [100usize, 1_000] {
        g.throughput(Throughput::Elements(rows as u64));
        g.bench_with_input(BenchmarkId::new("scan", rows), &rows, |b, &rows| {
            b.iter(|| {
                i = (i + 7_919) % (KEYS - rows as u64);
                black_box(mvcc::scan(&engine, &key(i), None, Timestamp(25), rows).expect("scan"))
            })
        });
    }
    g.finish();

    // One small synced batch per iteration: the machine's fsync latency as
    // the Raft log sees it (group commit amortises it over many appends).
    let mut g = c.benchmark_group("rocksdb");
    g.sample_size(30);
    let mut n = 0u64;
    g.bench_function("synced_write", |b| {
        b.iter(|| {
            n += 1;
            let mut batch = Batch::new();
            mvcc::put_version(
                &mut batch,
                &key(n % KEYS),
                Timestamp(40 + n),
                vec![b'y'; 100],
            )
            .expect("encode");
            engine.write(batch, true).expect("synced write")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
