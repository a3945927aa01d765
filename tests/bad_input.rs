//! Hostile or mistaken input never takes a node down: garbage on the RPC
//! port, malformed gRPC payloads, unknown ranges, a second `init`, `init`
//! with an unreachable peer, and reserved or oversized keys.

mod common;

use common::{get, kv_error, put, run_init_at, Cluster};
use rangedb_common::{KvError, Timestamp};
use rangedb_kv::{AdminRequest, AdminResponse, KvRequest, RemoteError};
use rangedb_rpc::{ConnPool, Payload, RaftMessage, RangeMessage};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tonic::Code;

/// Sends `bytes` on a fresh connection to `addr`, then reads whatever comes
/// back until the server closes the connection or 3 s pass.
async fn raw_exchange(addr: &str, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).await.expect("connect to RPC port");
    let _ = s.write_all(bytes).await;
    let _ = s.flush().await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), s.read_to_end(&mut out)).await;
    out
}

/// KV still works through node `id`, and its /health says ok.
async fn assert_serves(cluster: &Cluster, id: u64, what: &str) {
    assert!(cluster.is_running(id), "node {id} died after {what}");
    assert!(
        cluster.healthy(id).await,
        "node {id} /health is not ok after {what}"
    );
    let c = cluster.client(id);
    let k = format!("after-{what}").replace(' ', "-").into_bytes();
    put(&c, &k, b"v")
        .await
        .unwrap_or_else(|e| panic!("put through node {id} after {what}: {e}"));
    assert_eq!(
        get(&c, &k)
            .await
            .unwrap_or_else(|e| panic!("get after {what}: {e}")),
        Some(b"v".to_vec())
    );
}

fn assert_invalid_argument<T: std::fmt::Debug>(what: &str, r: Result<T, tonic::Status>) {
    match r {
        Err(s) => assert_eq!(
            s.code(),
            Code::InvalidArgument,
            "{what}: expected INVALID_ARGUMENT, got {s:?}"
        ),
        Ok(v) => panic!("{what}: garbage was accepted: {v:?}"),
    }
}

fn assert_invalid_request<T: std::fmt::Debug>(what: &str, r: Result<T, RemoteError>) {
    match r {
        Err(RemoteError::Kv(KvError::InvalidRequest(m))) => eprintln!("{what}: rejected: {m}"),
        other => panic!("{what}: expected InvalidRequest, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_rejected_and_nodes_stay_up() {
    let cluster = Cluster::launch(&[]).await;
    let rpc1 = cluster.rpc_addr(1);

    // (a) Raw garbage and HTTP/1 on the gRPC port.
    let garbage: Vec<u8> = (0..8192).map(|_| rand::random::<u8>()).collect();
    raw_exchange(&rpc1, &garbage).await;
    let http1 = raw_exchange(
        &rpc1,
        b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    eprintln!(
        "HTTP/1 GET on the RPC port got {} bytes: {:?}",
        http1.len(),
        String::from_utf8_lossy(&http1[..http1.len().min(200)])
    );
    // A valid HTTP/2 preface followed by junk frames.
    let mut h2 = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    h2.extend_from_slice(&garbage[..1024]);
    raw_exchange(&rpc1, &h2).await;
    // Connections opened and dropped at once.
    for _ in 0..50 {
        drop(TcpStream::connect(&rpc1).await.expect("connect"));
    }
    // Garbage on the HTTP port too.
    raw_exchange(&cluster.http_addr(1), &garbage).await;
    assert_serves(&cluster, 1, "raw garbage").await;

    // (b) Well-formed gRPC with garbage payloads.
    let pool = ConnPool::new();
    let mut grpc = pool.client(&rpc1).expect("grpc client");
    let junk = vec![0xde, 0xad, 0xbe, 0xef];
    assert_invalid_argument(
        "Kv([1,2,3])",
        grpc.kv(Payload {
            data: vec![1, 2, 3],
        })
        .await,
    );
    assert_invalid_argument(
        "Kv(0xff * 64)",
        grpc.kv(Payload {
            data: vec![0xff; 64],
        })
        .await,
    );
    assert_invalid_argument(
        "Admin(garbage)",
        grpc.admin(Payload { data: junk.clone() }).await,
    );
    assert_invalid_argument(
        "Range(2, garbage)",
        grpc.range(RangeMessage {
            range_id: 2,
            payload: junk.clone(),
        })
        .await,
    );
    for kind in [1u32, 2, 3] {
        assert_invalid_argument(
            &format!("Raft(range 2, kind {kind}, garbage)"),
            grpc.raft(RaftMessage {
                range_id: 2,
                kind,
                payload: junk.clone(),
            })
            .await,
        );
        assert_invalid_argument(
            &format!("Raft(range 999, kind {kind}, garbage)"),
            grpc.raft(RaftMessage {
                range_id: 999,
                kind,
                payload: junk.clone(),
            })
            .await,
        );
    }
    assert_invalid_argument(
        "Raft(kind 77)",
        grpc.raft(RaftMessage {
            range_id: 2,
            kind: 77,
            payload: junk.clone(),
        })
        .await,
    );
    assert_serves(&cluster, 1, "garbage grpc").await;

    // (c) Requests for a range that does not exist.
    match cluster
        .client(1)
        .admin(AdminRequest::LocalScan {
            range_id: 999,
            start: b"a".to_vec(),
            end: None,
            ts: Timestamp::MAX,
            limit: 10,
        })
        .await
    {
        Err(RemoteError::Kv(KvError::RangeNotFound { range_id: 999 })) => {}
        other => panic!("LocalScan of range 999: expected RangeNotFound, got {other:?}"),
    }
    // A valid bincode (v1, fixint, little endian) RangeRequest::Get { key: b"a", ts: 1 }:
    // variant 0 as u32, key length as u64, key bytes, ts as u64.
    let mut get_req = 0u32.to_le_bytes().to_vec();
    get_req.extend_from_slice(&1u64.to_le_bytes());
    get_req.push(b'a');
    get_req.extend_from_slice(&1u64.to_le_bytes());
    let reply = grpc
        .range(RangeMessage {
            range_id: 999,
            payload: get_req,
        })
        .await
        .expect("Range(999) answers")
        .into_inner();
    // Expected: Result::Err (variant 1) of KvError::RangeNotFound (variant 1) { range_id: 999 }.
    let mut want = 1u32.to_le_bytes().to_vec();
    want.extend_from_slice(&1u32.to_le_bytes());
    want.extend_from_slice(&999u64.to_le_bytes());
    assert_eq!(
        reply.data, want,
        "Range(999, Get) should answer Err(RangeNotFound {{ range_id: 999 }})"
    );
    assert_serves(&cluster, 1, "unknown range").await;

    // (d) A second init is refused, through any node.
    for id in [1, 3] {
        let out = cluster.run_init(id).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "second init through node {id} succeeded: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            stderr.contains("already initialized"),
            "second init through node {id}: stderr lacks 'already initialized': {stderr}"
        );
    }

    // (e) init of a fresh node whose --join peer is unreachable fails clearly
    // and leaves the node running and uninitialised.
    let dead_peer = format!("127.0.0.1:{}", common::free_ports(1)[0]);
    let lonely = Cluster::builder()
        .nodes(1)
        .join(vec![dead_peer.clone()])
        .no_init()
        .start()
        .await;
    let out = run_init_at(&lonely.rpc_addr(1)).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!(
        "init with an unreachable peer: {} / {}",
        out.status,
        stderr.trim()
    );
    assert!(
        !out.status.success(),
        "init with unreachable peer {dead_peer} succeeded"
    );
    assert!(
        stderr.contains(&dead_peer),
        "init error does not mention the peer {dead_peer}: {stderr}"
    );
    assert!(lonely.is_running(1), "the node died after a failed init");
    assert!(
        lonely.healthy(1).await,
        "the node is unhealthy after a failed init"
    );
    match lonely.client(1).admin(AdminRequest::NodeInfo).await {
        Ok(AdminResponse::NodeInfo {
            cluster_id: None, ..
        }) => {}
        other => panic!("after a failed init the node should have no cluster id: {other:?}"),
    }
    match lonely
        .client(1)
        .kv(KvRequest::Get {
            key: b"a".to_vec(),
            ts: None,
        })
        .await
    {
        Err(RemoteError::Kv(KvError::NotInitialized)) => {}
        other => panic!("KV on an uninitialised node: expected NotInitialized, got {other:?}"),
    }
    lonely.assert_no_panics();
    drop(lonely);

    // (f) Reserved, empty and oversized keys are rejected.
    let c2 = cluster.client(2);
    assert_invalid_request("Put 0x00 key", put(&c2, b"\x00abc", b"v").await);
    assert_invalid_request(
        "Put 0x00 0x6d (meta prefix) key",
        put(&c2, b"\x00m", b"v").await,
    );
    assert_invalid_request("Put empty key", put(&c2, b"", b"v").await);
    assert_invalid_request(
        "Put 64 KiB key",
        put(&c2, &vec![b'x'; 64 * 1024], b"v").await,
    );
    assert_invalid_request("Get 0x00 key", get(&c2, b"\x00t").await);
    assert_invalid_request(
        "Delete 0x00 key",
        c2.kv(KvRequest::Delete {
            key: b"\x00abc".to_vec(),
        })
        .await,
    );
    assert_invalid_request(
        "Scan from 0x00",
        c2.kv(KvRequest::Scan {
            start: b"\x00".to_vec(),
            end: None,
            ts: None,
            limit: 10,
        })
        .await,
    );
    assert_invalid_request(
        "Split at a 0x00 key",
        c2.kv(KvRequest::Split {
            key: b"\x00m".to_vec(),
        })
        .await,
    );
    let bad_split = c2.kv(KvRequest::Split { key: vec![0x01] }).await;
    assert!(
        matches!(&bad_split, Err(e) if kv_error(e).is_some_and(|k| matches!(k, KvError::InvalidRequest(_)))),
        "split at the range's own start key should be InvalidRequest: {bad_split:?}"
    );

    // (g) Transactional requests that can never be valid are refused (and
    // never stop a node). They go to range 2's leader.
    let leader = cluster.wait_leader_of(2, Duration::from_secs(10)).await;
    let mut to_leader = pool.client(&cluster.rpc_addr(leader)).expect("grpc client");
    let bad_txn: Vec<(&str, rangedb_kv::RangeRequest)> = vec![
        (
            "commit_ts before start_ts",
            rangedb_kv::RangeRequest::Txn(rangedb_kv::TxnCommand::Commit {
                keys: vec![b"a".to_vec()],
                start_ts: Timestamp(20),
                commit_ts: Timestamp(10),
            }),
        ),
        (
            "client-chosen one-phase commit timestamp",
            rangedb_kv::RangeRequest::Txn(rangedb_kv::TxnCommand::CommitOnePhase {
                mutations: vec![rangedb_common::Mutation::Delete { key: b"a".to_vec() }],
                reads: Default::default(),
                start_ts: Timestamp(1),
                commit_ts: Timestamp(2),
            }),
        ),
        (
            "garbage collection from the network",
            rangedb_kv::RangeRequest::Txn(rangedb_kv::TxnCommand::Gc {
                safe_point: Timestamp::MAX,
                deletions: Vec::new(),
            }),
        ),
        (
            "empty one-phase commit",
            rangedb_kv::RangeRequest::CommitOnePhase {
                mutations: Vec::new(),
                reads: Default::default(),
                start_ts: Timestamp(1),
            },
        ),
    ];
    for (what, req) in bad_txn {
        let reply = to_leader
            .range(RangeMessage {
                range_id: 2,
                payload: bincode::serialize(&req).expect("encode"),
            })
            .await
            .unwrap_or_else(|e| panic!("{what}: transport error {e}"))
            .into_inner();
        let answer: Result<rangedb_kv::RangeResponse, KvError> =
            bincode::deserialize(&reply.data).expect("decodable answer");
        assert!(
            matches!(answer, Err(KvError::InvalidRequest(_))),
            "{what}: expected InvalidRequest, got {answer:?}"
        );
    }

    // After all of it, every node still serves KV and the ranges have leaders.
    for id in cluster.ids() {
        assert_serves(&cluster, id, "all bad input").await;
    }
    cluster.wait_ready(Duration::from_secs(20)).await;
    cluster.assert_no_panics();
}
