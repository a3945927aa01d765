//! Unit tests: one hand-written history per anomaly, plus randomized serial
//! histories with injected faults.

use std::collections::HashMap;

use super::*;

const SER: CheckOptions = CheckOptions { realtime: false };
const STRICT: CheckOptions = CheckOptions { realtime: true };

fn r(key: &str, value: &[u64]) -> MicroOp {
    MicroOp::read(key, value.to_vec())
}

fn a(key: &str, element: u64) -> MicroOp {
    MicroOp::append(key, element)
}

fn txn(id: usize, outcome: Outcome, ops: Vec<MicroOp>, invoke_ns: u64, complete_ns: u64) -> Txn {
    Txn {
        id,
        process: id,
        ops,
        outcome,
        invoke_ns,
        complete_ns,
    }
}

fn ok(id: usize, ops: Vec<MicroOp>, invoke_ns: u64, complete_ns: u64) -> Txn {
    txn(id, Outcome::Committed, ops, invoke_ns, complete_ns)
}

fn names(report: &Report) -> Vec<&'static str> {
    report.anomalies.iter().map(Anomaly::name).collect()
}

fn cycles(report: &Report) -> Vec<&Cycle> {
    report
        .anomalies
        .iter()
        .filter_map(|a| match a {
            Anomaly::Cycle(c) => Some(c),
            _ => None,
        })
        .collect()
}

fn edge_names(cycle: &Cycle) -> Vec<&'static str> {
    cycle.steps.iter().map(|s| s.edge.name()).collect()
}

fn assert_valid(history: &[Txn]) {
    for opts in [SER, STRICT] {
        let report = check(history, &opts);
        assert!(report.is_valid(), "expected valid, got:\n{report}");
    }
}

#[test]
fn empty_history_is_valid() {
    assert_valid(&[]);
}

#[test]
fn serial_history_is_valid() {
    let history = vec![
        ok(0, vec![a("x", 1)], 0, 10),
        ok(1, vec![r("x", &[1]), a("x", 2), r("x", &[1, 2])], 20, 30),
        ok(2, vec![r("x", &[1, 2]), a("y", 3), r("y", &[3])], 40, 50),
        ok(3, vec![r("x", &[1, 2]), r("y", &[3]), a("y", 4)], 60, 70),
        txn(4, Outcome::Aborted, vec![a("x", 99)], 80, 90),
        ok(5, vec![r("x", &[1, 2]), r("y", &[3, 4])], 100, 110),
    ];
    assert_valid(&history);
    let report = check(&history, &STRICT);
    assert_eq!(report.stats.graph_txns, 5);
    assert_eq!(report.stats.aborted, 1);
    assert!(report.to_string().starts_with("valid under strict"));
}

fn write_skew(second: Outcome) -> Vec<Txn> {
    let y_final: &[u64] = if second == Outcome::Aborted {
        &[]
    } else {
        &[2]
    };
    vec![
        ok(1, vec![r("x", &[]), r("y", &[]), a("x", 1)], 0, 10),
        txn(2, second, vec![r("x", &[]), r("y", &[]), a("y", 2)], 1, 11),
        ok(3, vec![r("x", &[1]), r("y", y_final)], 20, 30),
    ]
}

#[test]
fn write_skew_is_g2_item() {
    for opts in [SER, STRICT] {
        let report = check(&write_skew(Outcome::Committed), &opts);
        assert_eq!(names(&report), ["G2-item"], "{report}");
        let cycle = cycles(&report)[0];
        assert_eq!(edge_names(cycle), ["rw", "rw"]);
        assert_eq!(cycle.steps[0].from, 1);
        assert_eq!(
            cycle.steps[0].edge,
            Edge::Rw {
                key: "y".into(),
                read_last: None,
                next: 2
            }
        );
        let text = report.to_string();
        assert!(text.contains("T1 -rw-> T2"), "{text}");
        assert!(text.contains("T2 -rw-> T1"), "{text}");
    }
}

#[test]
fn write_skew_with_an_abort_is_valid() {
    assert_valid(&write_skew(Outcome::Aborted));
}

fn lost_update(final_read: &[u64]) -> Vec<Txn> {
    vec![
        ok(0, vec![a("x", 1)], 0, 10),
        ok(1, vec![r("x", &[1]), a("x", 2)], 20, 40),
        ok(2, vec![r("x", &[1]), a("x", 3)], 21, 41),
        ok(3, vec![r("x", final_read)], 50, 60),
    ]
}

#[test]
fn lost_update_with_vanished_append() {
    let history = lost_update(&[1, 2]);
    let report = check(&history, &SER);
    assert_eq!(
        report.anomalies[0],
        Anomaly::LostUpdate {
            key: "x".into(),
            read_last: Some(1),
            txns: vec![1, 2]
        }
    );
    // 3 is missing from the final read [1, 2], so it comes after 2 (ww
    // T1 -> T2), while T2 read [1] and missed T1's 2 (rw T2 -> T1).
    assert_eq!(names(&report), ["lost-update", "G-single"], "{report}");
    assert_eq!(edge_names(cycles(&report)[0]), ["ww", "rw"]);
    let report = check(&history, &STRICT);
    assert!(report.anomalies.contains(&Anomaly::LostAppend {
        key: "x".into(),
        element: 3,
        writer: 2,
        reader: 3
    }));
    assert_eq!(report.counts().get("lost-update"), Some(&1));
}

#[test]
fn lost_update_with_both_appends_visible_is_a_g_single() {
    let report = check(&lost_update(&[1, 2, 3]), &SER);
    assert_eq!(names(&report), ["lost-update", "G-single"], "{report}");
    let cycle = cycles(&report)[0];
    assert_eq!(edge_names(cycle), ["ww", "rw"]);
    assert_eq!((cycle.steps[0].from, cycle.steps[0].to), (1, 2));
}

#[test]
fn g0_write_cycle() {
    let history = vec![
        ok(1, vec![a("x", 1), a("y", 2)], 0, 10),
        ok(2, vec![a("x", 3), a("y", 4)], 0, 10),
        ok(3, vec![r("x", &[1, 3]), r("y", &[4, 2])], 20, 30),
    ];
    for opts in [SER, STRICT] {
        let report = check(&history, &opts);
        assert_eq!(names(&report), ["G0"], "{report}");
        let cycle = cycles(&report)[0];
        assert_eq!(
            cycle.steps[0],
            Step {
                from: 1,
                to: 2,
                edge: Edge::Ww {
                    key: "x".into(),
                    prev: 1,
                    next: 3
                }
            }
        );
        assert_eq!(edge_names(cycle), ["ww", "ww"]);
    }
}

#[test]
fn g1c_information_cycle() {
    // Each reads the other's write.
    let history = vec![
        ok(1, vec![a("x", 1), r("y", &[2])], 0, 10),
        ok(2, vec![a("y", 2), r("x", &[1])], 0, 10),
    ];
    let report = check(&history, &SER);
    assert_eq!(names(&report), ["G1c"], "{report}");
    assert_eq!(edge_names(cycles(&report)[0]), ["wr", "wr"]);
}

#[test]
fn g1a_aborted_read() {
    let history = vec![
        txn(1, Outcome::Aborted, vec![a("x", 1)], 0, 10),
        ok(2, vec![r("x", &[1])], 20, 30),
    ];
    let report = check(&history, &SER);
    assert_eq!(
        report.anomalies,
        [Anomaly::AbortedRead {
            key: "x".into(),
            element: 1,
            writer: 1,
            reader: 2
        }]
    );
    assert!(report.to_string().contains("G1a"));
}

#[test]
fn g1b_intermediate_read() {
    let history = vec![
        ok(1, vec![a("x", 1), a("x", 2)], 0, 10),
        ok(2, vec![r("x", &[1])], 5, 15),
        ok(3, vec![r("x", &[1, 2])], 20, 30),
    ];
    let report = check(&history, &SER);
    assert_eq!(
        report.anomalies[0],
        Anomaly::IntermediateRead {
            key: "x".into(),
            element: 1,
            writer: 1,
            reader: 2
        }
    );
    // T2 also read from T1 (wr) and missed T1's second append (rw).
    assert_eq!(names(&report), ["G1b", "G-single"], "{report}");
}

#[test]
fn garbage_reads() {
    let history = vec![
        ok(1, vec![a("y", 5)], 0, 10),
        ok(2, vec![r("x", &[99])], 20, 30),
        ok(3, vec![r("x", &[99, 5])], 40, 50),
    ];
    let report = check(&history, &SER);
    assert_eq!(
        report.anomalies,
        [
            Anomaly::GarbageRead {
                key: "x".into(),
                element: 99,
                reader: 2
            },
            Anomaly::GarbageRead {
                key: "x".into(),
                element: 5,
                reader: 3
            }
        ]
    );
}

#[test]
fn incompatible_orders() {
    let history = vec![
        ok(1, vec![a("x", 1)], 0, 10),
        ok(2, vec![a("x", 2)], 0, 10),
        ok(3, vec![r("x", &[1, 2])], 20, 30),
        ok(4, vec![r("x", &[2, 1])], 20, 30),
    ];
    let report = check(&history, &SER);
    assert_eq!(
        report.anomalies,
        [Anomaly::IncompatibleOrder {
            key: "x".into(),
            a: vec![1, 2],
            a_reader: 3,
            b: vec![2, 1],
            b_reader: 4
        }]
    );
}

#[test]
fn duplicate_elements() {
    let history = vec![
        ok(1, vec![a("x", 1)], 0, 10),
        ok(2, vec![r("x", &[1, 1])], 20, 30),
    ];
    let report = check(&history, &STRICT);
    assert_eq!(
        report.anomalies,
        [Anomaly::DuplicateElements {
            key: "x".into(),
            reader: 2,
            element: 1,
            value: vec![1, 1]
        }]
    );
}

#[test]
fn internal_inconsistencies() {
    let cases = [
        (
            vec![r("x", &[]), a("x", 1), r("x", &[])],
            InternalProblem::Expected(vec![1]),
        ),
        (
            vec![a("x", 1), r("x", &[])],
            InternalProblem::MissingOwnAppends(vec![1]),
        ),
        (
            vec![r("x", &[1]), a("x", 1)],
            InternalProblem::FutureAppend(1),
        ),
    ];
    for (ops, problem) in cases {
        let report = check(&[ok(1, ops, 0, 10)], &SER);
        let internal: Vec<_> = report
            .anomalies
            .iter()
            .filter_map(|a| match a {
                Anomaly::InternalInconsistency { problem, .. } => Some(problem.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(internal, [problem], "{report}");
    }
    // Reading one's own appends is fine.
    assert_valid(&[ok(1, vec![r("x", &[]), a("x", 1), r("x", &[1])], 0, 10)]);
    assert_valid(&[ok(1, vec![a("x", 1), r("x", &[1]), a("x", 2)], 0, 10)]);
}

#[test]
fn stale_read_is_a_realtime_cycle_only() {
    let history = vec![
        ok(1, vec![a("x", 5)], 0, 10),
        ok(2, vec![r("x", &[])], 20, 30),
    ];
    assert!(check(&history, &SER).is_valid());
    let report = check(&history, &STRICT);
    let cycle = cycles(&report)[0];
    assert_eq!(cycle.kind, CycleKind::GSingleRealtime, "{report}");
    assert_eq!(
        cycle.steps,
        [
            Step {
                from: 1,
                to: 2,
                edge: Edge::Realtime {
                    completed_ns: 10,
                    invoked_ns: 20
                }
            },
            Step {
                from: 2,
                to: 1,
                edge: Edge::Rw {
                    key: "x".into(),
                    read_last: None,
                    next: 5
                }
            }
        ]
    );
    assert!(names(&report).contains(&"lost-append"));
}

#[test]
fn concurrent_stale_read_is_fine() {
    // The reader overlaps the writer, so it may serialize first.
    let history = vec![
        ok(1, vec![a("x", 5)], 0, 10),
        ok(2, vec![r("x", &[])], 10, 30),
        ok(3, vec![r("x", &[5])], 40, 50),
    ];
    assert_valid(&history);
}

#[test]
fn read_from_the_future_is_a_realtime_cycle() {
    // T2 completed before T3 was invoked, yet read T3's element.
    let history = vec![
        ok(1, vec![a("x", 1)], 0, 10),
        ok(2, vec![r("x", &[1, 2])], 20, 30),
        ok(3, vec![a("x", 2)], 40, 50),
    ];
    let report = check(&history, &STRICT);
    let cycle = cycles(&report)[0];
    assert_eq!(cycle.kind, CycleKind::G1cRealtime, "{report}");
    assert_eq!(edge_names(cycle), ["rt", "wr"]);
    assert!(check(&history, &SER).is_valid());
}

#[test]
fn unknown_transactions() {
    // Unobserved: dropped, as if aborted; no lost append either.
    let history = vec![
        txn(1, Outcome::Unknown, vec![a("x", 1)], 0, 0),
        ok(2, vec![r("x", &[])], 20, 30),
    ];
    assert_valid(&history);
    // Observed: committed, and part of the graph.
    let history = vec![
        txn(1, Outcome::Unknown, vec![a("x", 1), a("y", 2)], 0, 0),
        ok(2, vec![r("x", &[1]), r("y", &[])], 20, 30),
        ok(3, vec![r("y", &[2])], 40, 50),
    ];
    let report = check(&history, &SER);
    assert_eq!(names(&report), ["G-single"], "{report}");
    assert_eq!(report.stats.unknown_observed, 1);
    // Reads of unknown transactions are not trusted.
    let history = vec![
        ok(1, vec![a("x", 1)], 0, 10),
        txn(2, Outcome::Unknown, vec![r("x", &[7, 7])], 20, 0),
    ];
    assert_valid(&history);
}

#[test]
fn duplicate_appends_and_malformed_input_do_not_panic() {
    let history = vec![
        ok(1, vec![a("x", 1)], 50, 10),
        ok(1, vec![a("x", 1), r("x", &[1, 1, 2])], 0, 0),
        ok(2, vec![], u64::MAX, 0),
        ok(
            3,
            vec![MicroOp::read("x", None), r("", &[]), a("", u64::MAX)],
            0,
            u64::MAX,
        ),
        txn(4, Outcome::Aborted, vec![r("x", &[1])], 0, 1),
    ];
    for opts in [SER, STRICT] {
        let report = check(&history, &opts);
        assert_eq!(report.anomalies[0].name(), "duplicate-append", "{report}");
        let _ = report.to_string();
    }
}

#[test]
fn display_explains_every_anomaly() {
    let history = vec![
        ok(1, vec![a("x", 1), a("x", 2)], 0, 10),
        txn(2, Outcome::Aborted, vec![a("y", 3)], 0, 10),
        ok(3, vec![r("x", &[1]), r("y", &[3]), r("z", &[4])], 20, 30),
    ];
    let text = check(&history, &SER).to_string();
    assert!(text.starts_with("INVALID under serializability"), "{text}");
    assert!(text.contains("4 anomalies"), "{text}");
    assert!(
        text.contains("G-single cycle: T1 -wr-> T3 -rw-> T1"),
        "{text}"
    );
    assert!(text.contains("G1a (aborted read): T3"), "{text}");
    assert!(text.contains("G1b (intermediate read): T3"), "{text}");
    assert!(text.contains("garbage-read: T3 read \"z\""), "{text}");
}

// ---------------------------------------------------------------------------
// Randomized serial histories.

/// SplitMix64: tiny, deterministic, good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    fn percent(&mut self, p: u64) -> bool {
        self.below(100) < p
    }
}

/// A generated history that is serializable in index order, plus what the
/// generator knows about it.
struct Generated {
    history: Vec<Txn>,
    /// Outcome of the appender of each element.
    writer_outcome: HashMap<u64, Outcome>,
    /// Positions of the final read-only transactions (one per key).
    finals: Vec<usize>,
}

/// Runs `n` random transactions one after another against an in-memory
/// store, over a sliding window of `window` keys each retired after
/// `max_writes` appends, on 5 processes. Transaction `i` takes effect at
/// instant `1000 * i`; it is invoked up to 4000 ns earlier (after its
/// process's previous transaction completed) and completes up to 2000 ns
/// later, so real time never contradicts the serial order. Some transactions
/// abort or end unknown (half of those take effect). Finally one transaction
/// per key reads it after everything completed.
fn generate(seed: u64, n: usize, window: usize, max_writes: usize) -> Generated {
    const PROCESSES: usize = 5;
    let mut rng = Rng(seed);
    let mut store: HashMap<String, Vec<u64>> = HashMap::new();
    let mut writes: HashMap<String, usize> = HashMap::new();
    let mut active: Vec<String> = (0..window).map(|k| format!("k{k}")).collect();
    let mut next_key = window;
    let mut all_keys = active.clone();
    let mut next_element = 1;
    let mut busy_until = [0u64; PROCESSES];
    let mut history = Vec::new();
    let mut writer_outcome = HashMap::new();
    for i in 0..n {
        let at = 10_000 + 1000 * i as u64;
        let free: Vec<usize> = (0..PROCESSES).filter(|&p| busy_until[p] < at).collect();
        let process = free[rng.index(free.len())];
        let invoke_ns = (at - rng.below(4000)).max(busy_until[process] + 1);
        let complete_ns = at + rng.below(2000);
        busy_until[process] = complete_ns;
        let outcome = match rng.below(100) {
            0..=84 => Outcome::Committed,
            85..=92 => Outcome::Aborted,
            _ => Outcome::Unknown,
        };
        let applied = match outcome {
            Outcome::Committed => true,
            Outcome::Aborted => false,
            Outcome::Unknown => rng.percent(50),
        };
        let mut view = store.clone();
        let mut ops = Vec::new();
        for _ in 0..1 + rng.index(4) {
            let key = active[rng.index(active.len())].clone();
            if rng.percent(50) {
                let value = view.get(&key).cloned().unwrap_or_default();
                ops.push(MicroOp::read(key, value));
            } else {
                let element = next_element;
                next_element += 1;
                writer_outcome.insert(element, outcome);
                view.entry(key.clone()).or_default().push(element);
                ops.push(MicroOp::append(key.clone(), element));
                if applied {
                    let count = writes.entry(key.clone()).or_default();
                    *count += 1;
                    if *count >= max_writes {
                        if let Some(slot) = active.iter_mut().find(|k| **k == key) {
                            *slot = format!("k{next_key}");
                            next_key += 1;
                            all_keys.push(slot.clone());
                        }
                    }
                }
            }
        }
        if applied {
            store = view;
        }
        history.push(Txn {
            id: i,
            process,
            ops,
            outcome,
            invoke_ns,
            complete_ns,
        });
    }
    let end = 10_000 + 1000 * n as u64 + 5000;
    let mut finals = Vec::new();
    for (j, key) in all_keys.into_iter().enumerate() {
        let value = store.get(&key).cloned().unwrap_or_default();
        finals.push(history.len());
        let at = end + 10 * j as u64;
        history.push(ok(n + j, vec![MicroOp::read(key, value)], at, at + 5));
    }
    Generated {
        history,
        writer_outcome,
        finals,
    }
}

/// Removes one committed element from one final read.
fn drop_element(generated: &Generated, rng: &mut Rng) -> Option<Vec<Txn>> {
    let mut history = generated.history.clone();
    let candidates: Vec<(usize, usize)> = generated
        .finals
        .iter()
        .flat_map(|&f| match &history[f].ops[0] {
            MicroOp::Read {
                value: Some(value), ..
            } => value
                .iter()
                .enumerate()
                .filter(|(_, e)| generated.writer_outcome.get(e) == Some(&Outcome::Committed))
                .map(|(i, _)| (f, i))
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let (f, i) = candidates[rng.index(candidates.len())];
    if let MicroOp::Read {
        value: Some(value), ..
    } = &mut history[f].ops[0]
    {
        value.remove(i);
    }
    Some(history)
}

/// Swaps the (different) values of two committed transactions' external
/// reads of one key, the first transaction having completed before the
/// second was invoked.
fn swap_reads(history: &[Txn], rng: &mut Rng) -> Option<Vec<Txn>> {
    // (txn, op, key) of every external read of a committed transaction.
    let mut reads: Vec<(usize, usize, &str)> = Vec::new();
    for (t, txn) in history.iter().enumerate() {
        if txn.outcome != Outcome::Committed {
            continue;
        }
        let mut touched: Vec<&str> = Vec::new();
        for (i, op) in txn.ops.iter().enumerate() {
            match op {
                MicroOp::Read { key, .. } if !touched.contains(&key.as_str()) => {
                    touched.push(key);
                    reads.push((t, i, key));
                }
                MicroOp::Read { .. } => {}
                MicroOp::Append { key, .. } => touched.push(key),
            }
        }
    }
    let value = |(t, i): (usize, usize)| match &history[t].ops[i] {
        MicroOp::Read { value, .. } => value.clone(),
        MicroOp::Append { .. } => None,
    };
    for _ in 0..10_000 {
        let (ta, ia, ka) = reads[rng.index(reads.len())];
        let (tb, ib, kb) = reads[rng.index(reads.len())];
        let (va, vb) = (value((ta, ia)), value((tb, ib)));
        if ka != kb || va == vb || history[ta].complete_ns >= history[tb].invoke_ns {
            continue;
        }
        let mut swapped = history.to_vec();
        swapped[ta].ops[ia] = MicroOp::Read {
            key: ka.to_owned(),
            value: vb,
        };
        swapped[tb].ops[ib] = MicroOp::Read {
            key: kb.to_owned(),
            value: va,
        };
        return Some(swapped);
    }
    None
}

#[test]
fn random_serial_histories_are_valid_and_injected_faults_are_caught() {
    let mut injected = 0;
    for seed in 0..40 {
        let generated = generate(seed, 300, 4, 24);
        assert_valid(&generated.history);
        let mut rng = Rng(seed ^ 0xdead_beef);

        if let Some(faulty) = drop_element(&generated, &mut rng) {
            let report = check(&faulty, &STRICT);
            assert!(!report.is_valid(), "seed {seed}: dropped element missed");
            injected += 1;
        }
        if let Some(faulty) = swap_reads(&generated.history, &mut rng) {
            let report = check(&faulty, &STRICT);
            assert!(!report.is_valid(), "seed {seed}: swapped reads missed");
            injected += 1;
        }
    }
    assert!(injected >= 70, "only {injected} faults injected");
}

#[test]
fn twenty_thousand_transactions_check_quickly() {
    let generated = generate(7, 20_000, 8, 32);
    let started = std::time::Instant::now();
    let report = check(&generated.history, &STRICT);
    let elapsed = started.elapsed();
    eprintln!(
        "checked {} transactions in {elapsed:?}",
        generated.history.len()
    );
    assert!(report.is_valid(), "{report}");
    assert!(report.stats.graph_txns > 17_000);
    assert!(elapsed.as_secs() < 10, "took {elapsed:?}");
    let report = check(&generated.history, &SER);
    assert!(report.is_valid(), "{report}");
}

#[test]
fn large_corrupted_history_checks_quickly() {
    let generated = generate(11, 20_000, 8, 32);
    let mut rng = Rng(11);
    let mut history = generated.history;
    for _ in 0..200 {
        if let Some(swapped) = swap_reads(&history, &mut rng) {
            history = swapped;
        }
    }
    let started = std::time::Instant::now();
    let report = check(&history, &STRICT);
    let elapsed = started.elapsed();
    eprintln!(
        "checked corrupted history in {elapsed:?}: {:?}",
        report.counts()
    );
    assert!(!report.is_valid());
    assert!(elapsed.as_secs() < 10, "took {elapsed:?}");
    let _ = report.to_string();
}
