//! Every state transition of the protocol on one replica's storage.

use super::*;
use crate::MemEngine;

fn ts(n: u64) -> Timestamp {
    Timestamp::new(n, 0)
}

fn put(k: &str, v: &str) -> Mutation {
    Mutation::Put {
        key: k.as_bytes().to_vec(),
        value: v.as_bytes().to_vec(),
    }
}

fn del(k: &str) -> Mutation {
    Mutation::Delete {
        key: k.as_bytes().to_vec(),
    }
}

fn keys(ks: &[&str]) -> Vec<Vec<u8>> {
    ks.iter().map(|k| k.as_bytes().to_vec()).collect()
}

/// Runs a step that writes into a batch and applies the batch.
fn apply<T>(
    e: &MemEngine,
    f: impl FnOnce(&mut Batch) -> TxnResult<T>,
) -> std::result::Result<T, TxnConflict> {
    let mut b = Batch::new();
    let r = f(&mut b).expect("storage");
    e.write(b, false).expect("write");
    r
}

fn get(e: &MemEngine, k: &str, at: u64) -> std::result::Result<Option<String>, TxnConflict> {
    read(e, k.as_bytes(), ts(at), ts(at))
        .expect("storage")
        .map(|v| v.map(|v| String::from_utf8(v).expect("utf8")))
}

fn prewrite_ok(e: &MemEngine, ms: &[Mutation], primary: &str, start: u64) {
    apply(e, |b| {
        prewrite(
            e,
            b,
            ms,
            primary.as_bytes(),
            ts(start),
            ts(start),
            1_000,
            false,
        )
    })
    .expect("prewrite");
}

#[test]
fn committed_transaction_is_visible_from_its_commit_timestamp_on() {
    let e = MemEngine::new();
    prewrite_ok(&e, &[put("a", "1"), put("b", "2")], "a", 10);
    // Locked: readers at or after start_ts must resolve, readers before see nothing.
    assert!(
        matches!(get(&e, "a", 15), Err(TxnConflict::Locked(l)) if l.primary == b"a" && l.start_ts == ts(10))
    );
    assert_eq!(get(&e, "a", 5), Ok(None));
    apply(&e, |b| commit(&e, b, &keys(&["a"]), ts(10), ts(20))).expect("commit primary");
    assert_eq!(get(&e, "a", 25), Ok(Some("1".into())));
    assert_eq!(get(&e, "a", 19), Ok(None), "invisible below commit_ts");
    assert!(
        matches!(get(&e, "b", 25), Err(TxnConflict::Locked(_))),
        "secondary still locked"
    );
    apply(&e, |b| commit(&e, b, &keys(&["b"]), ts(10), ts(20))).expect("commit secondary");
    assert_eq!(get(&e, "b", 25), Ok(Some("2".into())));
    // Commit is idempotent.
    apply(&e, |b| commit(&e, b, &keys(&["a", "b"]), ts(10), ts(20))).expect("recommit");
}

#[test]
fn prewrite_conflicts_with_foreign_locks_and_newer_commits() {
    let e = MemEngine::new();
    prewrite_ok(&e, &[put("a", "1")], "a", 10);
    let r = apply(&e, |b| {
        prewrite(
            &e,
            b,
            &[put("b", "x"), put("a", "2")],
            b"b",
            ts(11),
            ts(11),
            1_000,
            false,
        )
    });
    assert!(matches!(r, Err(TxnConflict::Locked(l)) if l.key == b"a"));
    assert_eq!(
        load_lock(&e, b"b").unwrap(),
        None,
        "a refused prewrite writes nothing"
    );
    apply(&e, |b| commit(&e, b, &keys(&["a"]), ts(10), ts(20))).unwrap();
    // Started before the commit at 20: write-write conflict.
    let r = apply(&e, |b| {
        prewrite(&e, b, &[put("a", "3")], b"a", ts(15), ts(15), 1_000, false)
    });
    assert_eq!(
        r,
        Err(TxnConflict::WriteConflict {
            key: b"a".to_vec(),
            commit_ts: ts(20)
        })
    );
    // Started after: fine.
    prewrite_ok(&e, &[put("a", "4")], "a", 21);
    // Retried prewrite of the same transaction is idempotent.
    prewrite_ok(&e, &[put("a", "4")], "a", 21);
}

#[test]
fn rollback_removes_locks_and_fences_late_prewrites() {
    let e = MemEngine::new();
    prewrite_ok(&e, &[put("a", "1"), del("b")], "a", 10);
    apply(&e, |b| rollback(&e, b, &keys(&["a", "b"]), ts(10))).expect("rollback");
    assert_eq!(get(&e, "a", 30), Ok(None));
    assert_eq!(load_lock(&e, b"b").unwrap(), None);
    assert_eq!(e.get(Cf::Data, &mvcc_key(b"a", ts(10))).unwrap(), None);
    // A late (retried) prewrite of the rolled-back transaction is refused.
    let r = apply(&e, |b| {
        prewrite(&e, b, &[put("a", "1")], b"a", ts(10), ts(10), 1_000, false)
    });
    assert_eq!(r, Err(TxnConflict::Aborted { key: b"a".to_vec() }));
    // Committing it is refused too: the outcome was decided.
    let r = apply(&e, |b| commit(&e, b, &keys(&["a"]), ts(10), ts(20)));
    assert_eq!(r, Err(TxnConflict::Aborted { key: b"a".to_vec() }));
    // Rollback is idempotent.
    apply(&e, |b| rollback(&e, b, &keys(&["a"]), ts(10))).expect("re-rollback");
    // Rollback markers are not versions: a later transaction writes freely.
    prewrite_ok(&e, &[put("a", "9")], "a", 11);
}

#[test]
fn rollback_of_a_committed_transaction_is_refused() {
    let e = MemEngine::new();
    prewrite_ok(&e, &[put("a", "1")], "a", 10);
    apply(&e, |b| commit(&e, b, &keys(&["a"]), ts(10), ts(20))).unwrap();
    let r = apply(&e, |b| rollback(&e, b, &keys(&["a"]), ts(10)));
    assert_eq!(
        r,
        Err(TxnConflict::AlreadyCommitted {
            key: b"a".to_vec(),
            commit_ts: ts(20)
        })
    );
    assert_eq!(get(&e, "a", 30), Ok(Some("1".into())));
}

#[test]
fn check_txn_status_decides_from_the_primary() {
    let e = MemEngine::new();
    prewrite_ok(&e, &[put("p", "1"), put("s", "2")], "p", 10);
    // Alive: TTL 1000 ms from physical 10.
    let st = apply(&e, |b| check_txn_status(&e, b, b"p", ts(10), ts(500), true));
    assert_eq!(st, Ok(TxnStatus::Locked { ttl_ms: 1_000 }));
    // Expired: rolled back, and the primary can no longer commit.
    let st = apply(&e, |b| {
        check_txn_status(&e, b, b"p", ts(10), ts(1_010), true)
    });
    assert_eq!(st, Ok(TxnStatus::RolledBack));
    let r = apply(&e, |b| commit(&e, b, &keys(&["p"]), ts(10), ts(20)));
    assert!(r.is_err(), "the owner lost the race to its resolver");
    // Asking again gives the same answer (concurrent resolvers agree).
    let st = apply(&e, |b| {
        check_txn_status(&e, b, b"p", ts(10), ts(1_010), true)
    });
    assert_eq!(st, Ok(TxnStatus::RolledBack));
    // The secondary is rolled back by whoever met it.
    apply(&e, |b| rollback(&e, b, &keys(&["s"]), ts(10))).unwrap();
    assert_eq!(get(&e, "s", 2_000), Ok(None));
}

#[test]
fn check_txn_status_reports_commits_and_rolls_secondaries_forward() {
    let e = MemEngine::new();
    prewrite_ok(&e, &[put("p", "1"), put("s", "2")], "p", 10);
    apply(&e, |b| commit(&e, b, &keys(&["p"]), ts(10), ts(20))).unwrap();
    // The coordinator died before committing "s"; a reader finishes the job.
    let Err(TxnConflict::Locked(l)) = get(&e, "s", 30) else {
        panic!("secondary should be locked")
    };
    let st = apply(&e, |b| {
        check_txn_status(&e, b, &l.primary, l.start_ts, ts(30), false)
    });
    assert_eq!(st, Ok(TxnStatus::Committed { commit_ts: ts(20) }));
    apply(&e, |b| {
        commit(&e, b, std::slice::from_ref(&l.key), l.start_ts, ts(20))
    })
    .unwrap();
    assert_eq!(get(&e, "s", 30), Ok(Some("2".into())));
}

#[test]
fn missing_primary_is_fenced_only_when_asked() {
    let e = MemEngine::new();
    // The coordinator prewrote a secondary but not (yet) its primary.
    prewrite_ok(&e, &[put("s", "2")], "p", 10);
    let st = apply(&e, |b| check_txn_status(&e, b, b"p", ts(10), ts(11), false));
    assert_eq!(
        st,
        Ok(TxnStatus::Locked { ttl_ms: 0 }),
        "may still be on its way"
    );
    let st = apply(&e, |b| {
        check_txn_status(&e, b, b"p", ts(10), ts(5_000), true)
    });
    assert_eq!(st, Ok(TxnStatus::RolledBack));
    // The late primary prewrite is refused.
    let r = apply(&e, |b| {
        prewrite(&e, b, &[put("p", "1")], b"p", ts(10), ts(10), 1_000, false)
    });
    assert_eq!(r, Err(TxnConflict::Aborted { key: b"p".to_vec() }));
}

#[test]
fn one_phase_commit_writes_versions_directly() {
    let e = MemEngine::new();
    apply(&e, |b| {
        commit_one_phase(&e, b, &[put("a", "1"), put("b", "2")], ts(10), ts(11))
    })
    .unwrap();
    assert_eq!(get(&e, "a", 11), Ok(Some("1".into())));
    assert_eq!(load_lock(&e, b"a").unwrap(), None);
    let r = apply(&e, |b| commit_one_phase(&e, b, &[del("b")], ts(9), ts(12)));
    assert_eq!(
        r,
        Err(TxnConflict::WriteConflict {
            key: b"b".to_vec(),
            commit_ts: ts(11)
        })
    );
    apply(&e, |b| commit_one_phase(&e, b, &[del("b")], ts(12), ts(13))).unwrap();
    assert_eq!(get(&e, "b", 20), Ok(None));
    assert_eq!(get(&e, "b", 12), Ok(Some("2".into())));
}

#[test]
fn one_phase_commit_takes_its_own_statement_locks_along() {
    let e = MemEngine::new();
    // A statement of transaction 10 locked "a" (pessimistically) with an
    // older value; the commit writes "a" again and "b" fresh.
    apply(&e, |b| {
        prewrite(&e, b, &[put("a", "old")], b"a", ts(10), ts(10), 1_000, true)
    })
    .unwrap();
    apply(&e, |b| {
        commit_one_phase(&e, b, &[put("a", "new"), put("b", "2")], ts(10), ts(11))
    })
    .unwrap();
    assert_eq!(
        load_lock(&e, b"a").unwrap(),
        None,
        "the lock went with the commit"
    );
    assert_eq!(get(&e, "a", 11), Ok(Some("new".into())));
    assert_eq!(get(&e, "b", 11), Ok(Some("2".into())));
    assert_eq!(
        get(&e, "a", 10),
        Ok(None),
        "nothing below the commit timestamp"
    );
    // Another transaction's lock still refuses the fast path.
    apply(&e, |b| {
        prewrite(&e, b, &[put("c", "x")], b"c", ts(20), ts(20), 1_000, true)
    })
    .unwrap();
    let r = apply(&e, |b| {
        commit_one_phase(&e, b, &[put("c", "y")], ts(21), ts(22))
    });
    assert!(matches!(r, Err(TxnConflict::Locked(l)) if l.key == b"c"));
}

#[test]
fn prewrite_conflict_answers_what_prewrite_would_without_writing() {
    let e = MemEngine::new();
    apply(&e, |b| {
        commit_one_phase(&e, b, &[put("a", "1")], ts(10), ts(11))
    })
    .unwrap();
    prewrite_ok(&e, &[put("b", "x")], "b", 20);
    let conflict = |ms: &[Mutation], start: u64, read: u64| {
        prewrite_conflict(&e, ms, ts(start), ts(read)).expect("storage")
    };
    // A version committed after the read timestamp, a foreign lock.
    assert_eq!(
        conflict(&[put("a", "2")], 5, 5),
        Some(TxnConflict::WriteConflict {
            key: b"a".to_vec(),
            commit_ts: ts(11)
        })
    );
    assert!(matches!(
        conflict(&[put("c", "3"), put("b", "y")], 21, 21),
        Some(TxnConflict::Locked(l)) if l.key == b"b"
    ));
    // Fresh keys and the owner's own lock go ahead; nothing was written.
    assert_eq!(conflict(&[put("a", "2"), put("c", "3")], 12, 12), None);
    assert_eq!(conflict(&[put("b", "z")], 20, 20), None);
    assert_eq!(load_lock(&e, b"c").unwrap(), None);
    // The same answers as a real prewrite.
    let r = apply(&e, |b| {
        prewrite(&e, b, &[put("a", "2")], b"a", ts(5), ts(5), 1_000, false)
    });
    assert!(matches!(r, Err(TxnConflict::WriteConflict { .. })));
}

#[test]
fn scans_stop_at_locks_below_their_timestamp() {
    let e = MemEngine::new();
    apply(&e, |b| {
        commit_one_phase(&e, b, &[put("a", "1"), put("c", "3")], ts(1), ts(2))
    })
    .unwrap();
    prewrite_ok(&e, &[put("b", "2")], "b", 10);
    let s = |at: u64, limit: usize| scan(&e, b"a", Some(b"z"), ts(at), ts(at), limit).unwrap();
    assert!(matches!(s(20, 10), Err(TxnConflict::Locked(l)) if l.key == b"b"));
    assert_eq!(
        s(5, 10).unwrap().len(),
        2,
        "a lock newer than the scan does not matter"
    );
    assert_eq!(
        s(20, 1).unwrap().len(),
        1,
        "a lock past the rows returned does not matter"
    );
}

#[test]
fn validation_catches_writes_and_locks_in_the_window() {
    let e = MemEngine::new();
    apply(&e, |b| {
        commit_one_phase(&e, b, &[put("a", "1")], ts(1), ts(2))
    })
    .unwrap();
    let reads = ReadSet {
        keys: keys(&["a"]),
        spans: vec![(b"m".to_vec(), Some(b"p".to_vec()))],
    };
    let v = |start: u64, commit: u64| {
        validate_reads(&e, &reads, ts(start), ts(start), ts(commit)).unwrap()
    };
    assert_eq!(v(10, 20), Ok(()));
    // A write to a read key committed inside (start, commit].
    apply(&e, |b| {
        commit_one_phase(&e, b, &[put("a", "2")], ts(11), ts(12))
    })
    .unwrap();
    assert_eq!(
        v(10, 20),
        Err(TxnConflict::ReadConflict { key: b"a".to_vec() })
    );
    assert_eq!(
        v(12, 20),
        Ok(()),
        "committed at or before start: already seen"
    );
    assert_eq!(
        v(5, 11),
        Ok(()),
        "committed after commit_ts: serialized after"
    );
    // A phantom in a scanned span.
    apply(&e, |b| {
        commit_one_phase(&e, b, &[put("n", "x")], ts(14), ts(15))
    })
    .unwrap();
    assert_eq!(
        v(13, 20),
        Err(TxnConflict::ReadConflict { key: b"n".to_vec() })
    );
    // A foreign lock in a scanned span; our own lock is fine.
    prewrite_ok(&e, &[put("o", "y")], "o", 30);
    assert_eq!(
        v(16, 40),
        Err(TxnConflict::ReadConflict { key: b"o".to_vec() })
    );
    assert_eq!(
        validate_reads(&e, &reads, ts(30), ts(30), ts(40)).unwrap(),
        Ok(())
    );
}

#[test]
fn gc_keeps_the_newest_version_at_or_below_the_safe_point() {
    let e = MemEngine::new();
    for (start, commit, v) in [(1, 2, "a1"), (3, 4, "a2"), (5, 6, "a3")] {
        apply(&e, |b| {
            commit_one_phase(&e, b, &[put("a", v)], ts(start), ts(commit))
        })
        .unwrap();
    }
    apply(&e, |b| {
        commit_one_phase(&e, b, &[put("d", "d1")], ts(1), ts(2))
    })
    .unwrap();
    apply(&e, |b| commit_one_phase(&e, b, &[del("d")], ts(3), ts(4))).unwrap();
    prewrite_ok(&e, &[put("r", "x")], "r", 2);
    apply(&e, |b| rollback(&e, b, &keys(&["r"]), ts(2))).unwrap();

    let (plan, resume) = plan_gc(&e, b"a", None, ts(5), 1_000).unwrap();
    assert_eq!(resume, None);
    let mut b = Batch::new();
    apply_gc(&mut b, &plan);
    e.write(b, false).unwrap();
    assert_eq!(
        get(&e, "a", 5),
        Ok(Some("a2".into())),
        "newest at the safe point kept"
    );
    assert_eq!(get(&e, "a", 7), Ok(Some("a3".into())));
    assert_eq!(get(&e, "a", 3), Ok(None), "older versions are gone");
    assert_eq!(
        e.get(Cf::Data, &mvcc_key(b"a", ts(1))).unwrap(),
        None,
        "and their values"
    );
    assert_eq!(get(&e, "d", 5), Ok(None));
    let left = e.scan(Cf::Write, b"", None, 100).unwrap();
    assert_eq!(
        left.len(),
        2,
        "a2 and a3 remain; d's tombstone and r's marker are gone"
    );
    // A small budget resumes at a key boundary.
    let (_, resume) = plan_gc(&e, b"a", None, ts(7), 0).unwrap();
    assert_eq!(resume, Some(b"a".to_vec()));
}

#[test]
fn gc_planning_walks_a_clean_span_in_bounded_steps() {
    let e = MemEngine::new();
    for i in 0..100 {
        let k = format!("k{i:03}");
        apply(&e, |b| {
            commit_one_phase(&e, b, &[put(&k, "v")], ts(1), ts(2))
        })
        .unwrap();
    }
    // Nothing to delete (one version per key), budget 1: at most ~16
    // records per step, and the steps together cover the span.
    let mut cursor = b"k".to_vec();
    let mut steps = 0;
    loop {
        let (plan, resume) = plan_gc(&e, &cursor, Some(b"l"), ts(10), 1).unwrap();
        assert!(plan.is_empty());
        steps += 1;
        match resume {
            Some(k) => cursor = k,
            None => break,
        }
    }
    assert!(steps >= 100 / 17, "a clean span took {steps} step(s)");
}

#[test]
fn a_refreshed_read_timestamp_moves_the_write_conflict_window() {
    let e = MemEngine::new();
    prewrite_ok(&e, &[put("a", "1")], "a", 10);
    apply(&e, |b| commit(&e, b, &keys(&["a"]), ts(10), ts(20))).unwrap();
    // Started at 15, but its reads were refreshed to 25: the commit at 20
    // was visible to them, so the write may proceed.
    apply(&e, |b| {
        prewrite(&e, b, &[put("a", "2")], b"a", ts(15), ts(25), 1_000, false)
    })
    .expect("no conflict below the read timestamp");
    apply(&e, |b| rollback(&e, b, &keys(&["a"]), ts(15))).unwrap();
    // Reads valid only up to 19: the commit at 20 is a conflict.
    let r = apply(&e, |b| {
        prewrite(&e, b, &[put("a", "3")], b"a", ts(16), ts(19), 1_000, false)
    });
    assert!(matches!(r, Err(TxnConflict::WriteConflict { commit_ts, .. }) if commit_ts == ts(20)));
}

#[test]
fn a_later_statement_replaces_the_value_under_its_own_lock() {
    let e = MemEngine::new();
    prewrite_ok(&e, &[put("a", "1"), put("b", "1")], "a", 10);
    // The owner reads around its own locks (the committed state beneath).
    assert_eq!(
        read(&e, b"a", ts(12), ts(10)).unwrap(),
        Ok(None),
        "own lock does not block its owner"
    );
    assert!(matches!(get(&e, "a", 12), Err(TxnConflict::Locked(_))));
    let rows = scan(&e, b"a", None, ts(12), ts(10), 10).unwrap();
    assert_eq!(rows, Ok(Vec::new()));
    // A second statement changes a and deletes b under the same locks.
    prewrite_ok(&e, &[put("a", "2"), del("b")], "a", 10);
    apply(&e, |b| commit(&e, b, &keys(&["a", "b"]), ts(10), ts(20))).unwrap();
    assert_eq!(get(&e, "a", 25), Ok(Some("2".into())));
    assert_eq!(get(&e, "b", 25), Ok(None));
    assert!(e.get(Cf::Data, &mvcc_key(b"b", ts(10))).unwrap().is_none());
}

#[test]
fn heartbeat_keeps_a_primary_alive_until_it_is_gone() {
    let e = MemEngine::new();
    prewrite_ok(&e, &[put("p", "1")], "p", 10);
    // The TTL (1 s from physical time 10) is over at 2000 ms...
    let expired = |now: u64| {
        load_lock(&e, b"p")
            .unwrap()
            .map(|l| l.info(b"p").expired_at(ts(now)))
    };
    assert_eq!(expired(2_000), Some(true));
    assert_eq!(
        apply(&e, |b| heartbeat(&e, b, b"p", ts(10), 5_000)),
        Ok(5_000)
    );
    assert_eq!(expired(2_000), Some(false), "the heartbeat extended it");
    // A smaller TTL never shortens it.
    assert_eq!(apply(&e, |b| heartbeat(&e, b, b"p", ts(10), 10)), Ok(5_000));
    // A second statement's prewrite keeps the larger TTL.
    prewrite_ok(&e, &[put("p", "2")], "p", 10);
    assert_eq!(expired(2_000), Some(false));
    apply(&e, |b| rollback(&e, b, &keys(&["p"]), ts(10))).unwrap();
    assert!(matches!(
        apply(&e, |b| heartbeat(&e, b, b"p", ts(10), 5_000)),
        Err(TxnConflict::Aborted { .. })
    ));
}

#[test]
fn readers_and_validation_pass_statement_locks_but_writers_wait() {
    let e = MemEngine::new();
    prewrite_ok(&e, &[put("a", "1")], "a", 5);
    apply(&e, |b| commit(&e, b, &keys(&["a"]), ts(5), ts(6))).unwrap();
    // A statement of the transaction 10 locks a before its commit.
    apply(&e, |b| {
        prewrite(&e, b, &[put("a", "2")], b"a", ts(10), ts(10), 1_000, true)
    })
    .expect("statement lock");
    // Readers see the committed version: the owner's commit timestamp will
    // come after their read.
    assert_eq!(get(&e, "a", 20), Ok(Some("1".into())));
    assert_eq!(
        scan(&e, b"a", None, ts(20), ts(20), 10)
            .unwrap()
            .map(|r| r.len()),
        Ok(1)
    );
    // Other writers wait for it; validation passes it (the owner's commit
    // timestamp will be above the validated one).
    let r = apply(&e, |b| {
        prewrite(&e, b, &[put("a", "3")], b"a", ts(11), ts(11), 1_000, false)
    });
    assert!(matches!(r, Err(TxnConflict::Locked(_))));
    let reads = ReadSet {
        keys: keys(&["a"]),
        spans: Vec::new(),
    };
    assert_eq!(
        validate_reads(&e, &reads, ts(11), ts(11), ts(30)).unwrap(),
        Ok(())
    );
    // The commit prewrites it again as an ordinary lock: now readers wait
    // and validation fails.
    apply(&e, |b| {
        prewrite(&e, b, &[put("a", "2")], b"a", ts(10), ts(10), 1_000, false)
    })
    .expect("commit-time prewrite");
    assert!(matches!(get(&e, "a", 20), Err(TxnConflict::Locked(_))));
    assert!(validate_reads(&e, &reads, ts(11), ts(11), ts(30))
        .unwrap()
        .is_err());
}
