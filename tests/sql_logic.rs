//! The SQL logic tests in `sql/*.slt` against a real 3-node cluster, and the
//! same files against a local PostgreSQL 15: expected results are
//! PostgreSQL's, so both must pass.

mod common;

use std::path::Path;
use std::time::Duration;

use common::Cluster;
use rangedb_slt::{run_files, slt_files, Engine};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slt_corpus_passes_against_a_three_node_cluster() {
    let cluster = Cluster::launch(&[]).await;
    cluster.wait_ready(Duration::from_secs(60)).await;
    let files =
        slt_files(Path::new(env!("CARGO_MANIFEST_DIR")).join("sql")).expect("list sql/*.slt");
    assert!(files.len() >= 10, "expected the corpus under sql/");
    let (host, port) = cluster.spec(1).sql.rsplit_once(':').expect("host:port");
    let url = format!("host={host} port={port} user=root dbname=postgres");
    let report = run_files(&url, Engine::Rangedb, &files)
        .await
        .expect("connect to node 1");
    if !report.is_success() {
        cluster.dump_logs(40);
    }
    assert!(report.is_success(), "{report}");
    cluster.assert_no_panics();
}
