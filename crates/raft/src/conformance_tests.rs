//! openraft's storage conformance suite against our RocksDB-backed log store
//! and state machine, plus tests of the range-specific commands.

use crate::command::{Command, CommandResponse, Rejection, WriteOp};
use crate::log_store::RangeLogStore;
use crate::state_machine::{
    initial_state_batch, load_state, membership_of, HostEvent, RangeStateMachine,
};
use crate::types::{initial_log_id, StorageError, TypeConfig};
use openraft::storage::RaftStateMachine;
use openraft::testing::{StoreBuilder, Suite};
use openraft::{Entry, EntryPayload, LogId, RaftSnapshotBuilder};
use rangedb_common::{RangeDescriptor, ReplicaDescriptor, Timestamp};
use rangedb_storage::{mvcc, Engine, GroupCommitter, MemEngine, RocksEngine};
use std::sync::Arc;
use tokio::sync::mpsc;

struct RocksBuilder;

impl StoreBuilder<TypeConfig, RangeLogStore, RangeStateMachine, tempfile::TempDir>
    for RocksBuilder
{
    async fn build(
        &self,
    ) -> Result<(tempfile::TempDir, RangeLogStore, RangeStateMachine), StorageError> {
        let dir = tempfile::tempdir().map_err(|e| {
            crate::error::sto_err(openraft::ErrorSubject::Store, openraft::ErrorVerb::Write, e)
        })?;
        let engine: Arc<dyn Engine> = Arc::new(RocksEngine::open(dir.path()).map_err(|e| {
            crate::error::sto_err(openraft::ErrorSubject::Store, openraft::ErrorVerb::Write, e)
        })?);
        let committer = GroupCommitter::start(engine.clone());
        let (tx, _rx) = mpsc::unbounded_channel();
        // Range 7 shares the engine with nothing here; bounds are still per range.
        let log = RangeLogStore::new(7, engine.clone(), committer);
        let sm = RangeStateMachine::open(7, engine, tx)?;
        Ok((dir, log, sm))
    }
}

#[test]
fn rocksdb_storage_passes_openraft_conformance_suite() {
    Suite::test_all(RocksBuilder).expect("openraft storage suite");
}

fn desc(id: u64, start: &[u8], end: Option<&[u8]>) -> RangeDescriptor {
    RangeDescriptor {
        range_id: id,
        start_key: start.to_vec(),
        end_key: end.map(|e| e.to_vec()),
        generation: 0,
        replicas: (1..=3)
            .map(|n| ReplicaDescriptor {
                node_id: n,
                addr: format!("127.0.0.1:{n}"),
            })
            .collect(),
    }
}

fn entry(index: u64, cmd: Command) -> Entry<TypeConfig> {
    Entry {
        log_id: LogId::new(openraft::CommittedLeaderId::new(1, 1), index),
        payload: EntryPayload::Normal(cmd),
    }
}

/// A log entry writing `ops`.
fn write(index: u64, ops: Vec<WriteOp>) -> Entry<TypeConfig> {
    entry(index, Command::Write { ops })
}

fn put(key: &[u8], ts: u64) -> WriteOp {
    WriteOp::Put {
        key: key.to_vec(),
        value: format!("v{ts}").into_bytes(),
        ts: Timestamp(ts),
    }
}

async fn bootstrapped(
    engine: &Arc<MemEngine>,
    d: &RangeDescriptor,
) -> (RangeStateMachine, mpsc::UnboundedReceiver<HostEvent>) {
    engine
        .write(
            initial_state_batch(d, membership_of(d), Timestamp::ZERO).unwrap(),
            false,
        )
        .unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    (
        RangeStateMachine::open(d.range_id, engine.clone(), tx).unwrap(),
        rx,
    )
}

#[tokio::test]
async fn writes_outside_the_range_are_rejected_identically() {
    let engine = Arc::new(MemEngine::new());
    let (mut sm, _rx) = bootstrapped(&engine, &desc(2, b"b", Some(b"m"))).await;
    let r = sm
        .apply([
            entry(
                11,
                Command::Write {
                    ops: vec![put(b"c", 5)],
                },
            ),
            entry(
                12,
                Command::Write {
                    ops: vec![put(b"d", 6), put(b"z", 6)],
                },
            ),
        ])
        .await
        .unwrap();
    assert_eq!(r[0], CommandResponse::Applied);
    assert_eq!(
        r[1],
        CommandResponse::Rejected(Rejection::KeyOutsideRange { key: b"z".to_vec() })
    );
    assert_eq!(
        mvcc::get(engine.as_ref(), b"c", Timestamp::MAX).unwrap(),
        Some(b"v5".to_vec())
    );
    assert_eq!(
        mvcc::get(engine.as_ref(), b"d", Timestamp::MAX).unwrap(),
        None,
        "a rejected batch writes nothing"
    );
    assert_eq!(
        sm.applied_state().await.unwrap().0.map(|l| l.index),
        Some(12)
    );
}

#[tokio::test]
async fn split_narrows_the_parent_and_creates_the_child_state() {
    let engine = Arc::new(MemEngine::new());
    let (mut sm, mut rx) = bootstrapped(&engine, &desc(2, b"b", None)).await;
    sm.apply([entry(
        11,
        Command::Write {
            ops: vec![put(b"c", 5), put(b"x", 5)],
        },
    )])
    .await
    .unwrap();
    let r = sm
        .apply([entry(
            12,
            Command::Split {
                split_key: b"k".to_vec(),
                new_range_id: 9,
            },
        )])
        .await
        .unwrap();
    let CommandResponse::Split { left, right } = &r[0] else {
        panic!("{r:?}")
    };
    assert_eq!(
        (left.end_key.as_deref(), left.generation),
        (Some(&b"k"[..]), 1)
    );
    assert_eq!(
        (
            right.range_id,
            right.start_key.as_slice(),
            right.end_key.as_deref()
        ),
        (9, &b"k"[..], None)
    );
    assert!(matches!(
        rx.try_recv(),
        Ok(HostEvent::RangeCreated {
            range_id: 9,
            parent: 2
        })
    ));
    // The child starts applied at the initial log id with the parent's members.
    let child = load_state(engine.as_ref(), 9).unwrap();
    assert_eq!(child.applied, Some(initial_log_id()));
    assert_eq!(child.descriptor.as_ref(), Some(right));
    assert_eq!(
        child
            .membership
            .membership()
            .voter_ids()
            .collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    // The parent no longer accepts the child's keys; a split key outside is refused.
    let r = sm
        .apply([
            entry(
                13,
                Command::Write {
                    ops: vec![put(b"x", 6)],
                },
            ),
            entry(
                14,
                Command::Split {
                    split_key: b"z".to_vec(),
                    new_range_id: 10,
                },
            ),
        ])
        .await
        .unwrap();
    assert!(matches!(
        r[0],
        CommandResponse::Rejected(Rejection::KeyOutsideRange { .. })
    ));
    assert!(matches!(
        r[1],
        CommandResponse::Rejected(Rejection::BadSplitKey { .. })
    ));
}

#[tokio::test]
async fn snapshot_carries_exactly_the_range_span_and_replaces_it() {
    let leader_engine = Arc::new(MemEngine::new());
    let d = desc(2, b"b", Some(b"m"));
    let (mut leader, _rx) = bootstrapped(&leader_engine, &d).await;
    leader
        .apply([entry(
            11,
            Command::Write {
                ops: vec![put(b"c", 5), put(b"l", 6)],
            },
        )])
        .await
        .unwrap();
    // Data of a neighbouring range in the same engine must not leak into the snapshot.
    let mut b = rangedb_storage::Batch::new();
    mvcc::put_version(&mut b, b"n", Timestamp(5), b"other".to_vec()).unwrap();
    leader_engine.write(b, false).unwrap();
    let built = leader
        .get_snapshot_builder()
        .await
        .build_snapshot()
        .await
        .unwrap();
    // Building records the meta; the data is read when it is asked for.
    let snap = leader
        .get_current_snapshot()
        .await
        .unwrap()
        .expect("a snapshot was built");
    assert_eq!(snap.meta, built.meta);

    // The follower has a stale key in the span and a neighbour's key outside it.
    let follower_engine = Arc::new(MemEngine::new());
    let mut b = rangedb_storage::Batch::new();
    mvcc::put_version(&mut b, b"d", Timestamp(1), b"stale".to_vec()).unwrap();
    mvcc::put_version(&mut b, b"z", Timestamp(1), b"keep".to_vec()).unwrap();
    follower_engine.write(b, false).unwrap();
    let (tx, _rx2) = mpsc::unbounded_channel();
    let mut follower = RangeStateMachine::open(2, follower_engine.clone(), tx).unwrap();
    follower
        .install_snapshot(&snap.meta, snap.snapshot)
        .await
        .unwrap();

    let rows = mvcc::scan(follower_engine.as_ref(), b"", None, Timestamp::MAX, 100).unwrap();
    let keys: Vec<&[u8]> = rows.iter().map(|(k, _)| k.as_slice()).collect();
    assert_eq!(keys, vec![&b"c"[..], b"l", b"z"]);
    assert_eq!(
        follower.applied_state().await.unwrap().0.map(|l| l.index),
        Some(11)
    );
    assert_eq!(
        load_state(follower_engine.as_ref(), 2).unwrap().descriptor,
        Some(d)
    );
}

#[tokio::test]
async fn snapshot_data_is_read_when_asked_for_and_covers_later_entries() {
    let engine = Arc::new(MemEngine::new());
    let d = desc(2, b"b", Some(b"m"));
    let (mut sm, _rx) = bootstrapped(&engine, &d).await;
    assert!(
        sm.get_current_snapshot().await.unwrap().is_none(),
        "no snapshot before one is built"
    );
    sm.apply([write(11, vec![put(b"c", 5)])]).await.unwrap();
    let built = sm
        .get_snapshot_builder()
        .await
        .build_snapshot()
        .await
        .unwrap();
    assert_eq!(built.meta.last_log_id.map(|l| l.index), Some(11));
    // Applied after the build: a snapshot asked for now is newer and has it.
    sm.apply([write(12, vec![put(b"d", 6)])]).await.unwrap();
    let snap = sm.get_current_snapshot().await.unwrap().expect("built");
    assert_eq!(snap.meta.last_log_id.map(|l| l.index), Some(12));
    assert_ne!(snap.meta.snapshot_id, built.meta.snapshot_id);

    let follower_engine = Arc::new(MemEngine::new());
    let (tx, _rx2) = mpsc::unbounded_channel();
    let mut follower = RangeStateMachine::open(2, follower_engine.clone(), tx).unwrap();
    follower
        .install_snapshot(&snap.meta, snap.snapshot)
        .await
        .unwrap();
    let rows = mvcc::scan(follower_engine.as_ref(), b"", None, Timestamp::MAX, 100).unwrap();
    let keys: Vec<&[u8]> = rows.iter().map(|(k, _)| k.as_slice()).collect();
    assert_eq!(keys, vec![&b"c"[..], b"d"]);
    // The installed snapshot is the follower's current one.
    let again = follower
        .get_current_snapshot()
        .await
        .unwrap()
        .expect("installed");
    assert_eq!(again.meta, snap.meta);
}

fn txn_entry(index: u64, cmd: crate::command::TxnCommand) -> Entry<TypeConfig> {
    entry(index, Command::Txn(cmd))
}

fn put_m(key: &[u8], value: &[u8]) -> rangedb_common::Mutation {
    rangedb_common::Mutation::Put {
        key: key.to_vec(),
        value: value.to_vec(),
    }
}

#[tokio::test]
async fn transactional_commands_apply_deterministically() {
    use crate::command::{TxnCommand, TxnOutcome};
    use rangedb_common::TxnConflict;
    use rangedb_storage::txn::ReadSet;
    let engine = Arc::new(MemEngine::new());
    let (mut sm, _rx) = bootstrapped(&engine, &desc(2, b"b", Some(b"m"))).await;
    let one_phase =
        |start: u64, commit: u64, key: &[u8], reads: &[&[u8]]| TxnCommand::CommitOnePhase {
            mutations: vec![put_m(key, format!("{key:?}@{commit}").as_bytes())],
            reads: ReadSet {
                keys: reads.iter().map(|k| k.to_vec()).collect(),
                spans: Vec::new(),
            },
            start_ts: Timestamp(start),
            commit_ts: Timestamp(commit),
        };
    let r = sm
        .apply([
            // T1 (start 10) reads "d", writes "c" at 20.
            txn_entry(11, one_phase(10, 20, b"c", &[b"d"])),
            // T2 writes "d" at 30, inside T1's window if T1 were validated again.
            txn_entry(12, one_phase(25, 30, b"d", &[])),
            // T1's answer was lost and it is retried with a new commit
            // timestamp: it must be recognised as committed, not re-validated.
            txn_entry(13, one_phase(10, 40, b"c", &[b"d"])),
            // A fresh transaction that read "d" before T2's write conflicts.
            txn_entry(14, one_phase(22, 45, b"e", &[b"d"])),
            // Keys outside the range are refused identically on every replica.
            txn_entry(15, one_phase(50, 51, b"z", &[])),
            // Commit timestamps must follow start timestamps.
            txn_entry(
                16,
                TxnCommand::Commit {
                    keys: vec![b"c".to_vec()],
                    start_ts: Timestamp(60),
                    commit_ts: Timestamp(60),
                },
            ),
            // GC raises the threshold; a prewrite below it is refused.
            txn_entry(
                17,
                TxnCommand::Gc {
                    safe_point: Timestamp(35),
                    deletions: Vec::new(),
                },
            ),
            txn_entry(
                18,
                TxnCommand::Prewrite {
                    mutations: vec![put_m(b"f", b"x")],
                    primary: b"f".to_vec(),
                    start_ts: Timestamp(34),
                    read_ts: Timestamp(34),
                    ttl_ms: 1000,
                    pessimistic: false,
                },
            ),
        ])
        .await
        .unwrap();
    let done = CommandResponse::Txn(Ok(TxnOutcome::Done));
    let committed = |ts| CommandResponse::Txn(Ok(TxnOutcome::Committed(Timestamp(ts))));
    assert_eq!(r[0], committed(20));
    assert_eq!(r[1], committed(30));
    assert_eq!(
        r[2],
        committed(20),
        "a retried one-phase commit is idempotent and reports its real commit timestamp"
    );
    assert_eq!(
        r[3],
        CommandResponse::Txn(Err(TxnConflict::ReadConflict { key: b"d".to_vec() }))
    );
    assert_eq!(
        r[4],
        CommandResponse::Rejected(Rejection::KeyOutsideRange { key: b"z".to_vec() })
    );
    assert!(matches!(
        r[5],
        CommandResponse::Rejected(Rejection::InvalidTxnCommand { .. })
    ));
    assert_eq!(r[6], done);
    assert!(matches!(
        r[7],
        CommandResponse::Txn(Err(TxnConflict::TooOld { .. }))
    ));
    // Only the first commit of T1 exists, at 20.
    assert!(mvcc::get(engine.as_ref(), b"c", Timestamp(19))
        .unwrap()
        .is_none());
    assert!(mvcc::get(engine.as_ref(), b"c", Timestamp(20))
        .unwrap()
        .is_some());
    assert_eq!(
        rangedb_storage::txn::committed_at(engine.as_ref(), b"c", Timestamp(10)).unwrap(),
        Some(Timestamp(20))
    );
    // The threshold survives a reopen (it is part of the applied state).
    let st = load_state(engine.as_ref(), 2).unwrap();
    assert_eq!(st.gc_threshold, Timestamp(35));
}
