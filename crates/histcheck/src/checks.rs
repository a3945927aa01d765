//! Anomalies visible without the dependency graph: internal inconsistencies,
//! garbage, aborted (G1a) and intermediate (G1b) reads, lost appends and lost
//! updates.

use std::collections::{HashMap, HashSet};

use crate::anomaly::{Anomaly, InternalProblem};
use crate::history::{Index, MicroOp, Outcome};
use crate::order::KeyOrder;

/// What a transaction knows about a key from its own operations.
enum Knowledge {
    /// Never read: only its own appends so far.
    Appended(Vec<u64>),
    /// Read before: the full expected value.
    Known(Vec<u64>),
}

/// Every read of a committed transaction must agree with the transaction's
/// own earlier reads and appends of the same key, and must not contain an
/// element the transaction appends only later.
pub(crate) fn internal(index: &Index<'_>, out: &mut Vec<Anomaly>) {
    let mut state: HashMap<&str, Knowledge> = HashMap::new();
    for (t, txn) in index.history.iter().enumerate() {
        if !txn.committed() {
            continue;
        }
        state.clear();
        for (i, op) in txn.ops.iter().enumerate() {
            match op {
                MicroOp::Append { key, element } => {
                    match state
                        .entry(key.as_str())
                        .or_insert_with(|| Knowledge::Appended(Vec::new()))
                    {
                        Knowledge::Appended(list) | Knowledge::Known(list) => list.push(*element),
                    }
                }
                MicroOp::Read {
                    key,
                    value: Some(value),
                } => {
                    let mut report = |problem| {
                        out.push(Anomaly::InternalInconsistency {
                            txn: txn.id,
                            key: key.clone(),
                            problem,
                            actual: value.clone(),
                        })
                    };
                    match state.get(key.as_str()) {
                        Some(Knowledge::Known(expected)) if expected != value => {
                            report(InternalProblem::Expected(expected.clone()))
                        }
                        Some(Knowledge::Appended(own)) if !value.ends_with(own) => {
                            report(InternalProblem::MissingOwnAppends(own.clone()))
                        }
                        _ => {}
                    }
                    let future = value.iter().copied().find(|&e| {
                        index
                            .writer_any_key(e)
                            .is_some_and(|w| w.txn == t && w.op > i && index.keys[w.key] == key)
                    });
                    if let Some(element) = future {
                        report(InternalProblem::FutureAppend(element));
                    }
                    state.insert(key.as_str(), Knowledge::Known(value.clone()));
                }
                MicroOp::Read { value: None, .. } => {}
            }
        }
    }
}

/// What committed reads observed.
pub(crate) struct Observed {
    /// Per transaction position: one of its appends was read (which
    /// promotes an `Unknown` transaction to committed).
    pub txns: Vec<bool>,
    /// Elements that some read of the key they were appended to contains.
    pub elements: HashSet<u64>,
}

/// Checks every element of every committed read: it must have been appended
/// to that key (garbage read), not by an aborted transaction (G1a), and a
/// read must not end at another transaction's non-final append (G1b).
/// Returns what committed reads observed.
pub(crate) fn reads(index: &Index<'_>, out: &mut Vec<Anomaly>) -> Observed {
    let mut observed = Observed {
        txns: vec![false; index.history.len()],
        elements: HashSet::new(),
    };
    let mut reported: HashSet<(usize, u64)> = HashSet::new();
    for read in &index.reads {
        let reader = index.id(read.txn);
        for &element in read.value {
            if index.is_ambiguous(element) {
                continue;
            }
            let Some(writer) = index.writer(element, read.key) else {
                if reported.insert((read.key, element)) {
                    out.push(Anomaly::GarbageRead {
                        key: index.key(read.key),
                        element,
                        reader,
                    });
                }
                continue;
            };
            observed.txns[writer.txn] = true;
            observed.elements.insert(element);
            if index.history[writer.txn].outcome == Outcome::Aborted
                && reported.insert((read.key, element))
            {
                out.push(Anomaly::AbortedRead {
                    key: index.key(read.key),
                    element,
                    writer: index.id(writer.txn),
                    reader,
                });
            }
        }
        let Some(&last) = read.value.last() else {
            continue;
        };
        if let Some(writer) = index.writer(last, read.key) {
            if writer.txn != read.txn
                && !writer.is_final
                && index.history[writer.txn].outcome != Outcome::Aborted
                && reported.insert((read.key, last))
            {
                out.push(Anomaly::IntermediateRead {
                    key: index.key(read.key),
                    element: last,
                    writer: index.id(writer.txn),
                    reader,
                });
            }
        }
    }
    observed
}

/// Real-time completeness: an append acknowledged as committed must be in
/// the key's version order if some committed transaction began reading the
/// key after the append completed. An element that some (ill-formed) read
/// contains is not reported: it was not lost, the read is already reported.
pub(crate) fn lost_appends(
    index: &Index<'_>,
    orders: &[KeyOrder],
    observed: &Observed,
    out: &mut Vec<Anomaly>,
) {
    // The last-invoked committed read of each key: (invoke_ns, txn position).
    let mut last_read: Vec<Option<(u64, usize)>> = vec![None; index.keys.len()];
    for read in &index.reads {
        let invoke = index.history[read.txn].invoke_ns;
        if let Some(slot) = last_read.get_mut(read.key) {
            if slot.is_none_or(|(t, _)| invoke > t) {
                *slot = Some((invoke, read.txn));
            }
        }
    }
    for &(t, key, element) in &index.appends {
        let writer = &index.history[t];
        if !writer.committed() || index.writer(element, key).is_none() {
            continue;
        }
        let Some(Some((invoke, reader))) = last_read.get(key).copied() else {
            continue;
        };
        let present = orders
            .get(key)
            .is_some_and(|o| o.position.contains_key(&element));
        if !present && !observed.elements.contains(&element) && invoke > writer.completed_at() {
            out.push(Anomaly::LostAppend {
                key: index.key(key),
                element,
                writer: writer.id,
                reader: index.id(reader),
            });
        }
    }
}

/// P4: committed transactions that read the same version of a key (their
/// external read ends at the same element, or is empty) and then append to
/// it. A serial execution would have shown the later one the earlier one's
/// append.
pub(crate) fn lost_updates(index: &Index<'_>, out: &mut Vec<Anomaly>) {
    let committed_appends: HashSet<(usize, usize)> = index
        .appends
        .iter()
        .filter(|(t, _, _)| index.history[*t].committed())
        .map(|&(t, k, _)| (t, k))
        .collect();
    let mut groups: HashMap<(usize, Option<u64>), usize> = HashMap::new();
    let mut found: Vec<(usize, Option<u64>, Vec<usize>)> = Vec::new();
    for read in &index.reads {
        if !read.external || !read.distinct || !committed_appends.contains(&(read.txn, read.key)) {
            continue;
        }
        let last = read.value.last().copied();
        let slot = *groups.entry((read.key, last)).or_insert_with(|| {
            found.push((read.key, last, Vec::new()));
            found.len() - 1
        });
        if let Some((_, _, txns)) = found.get_mut(slot) {
            txns.push(read.txn);
        }
    }
    for (key, read_last, txns) in found {
        if txns.len() > 1 {
            out.push(Anomaly::LostUpdate {
                key: index.key(key),
                read_last,
                txns: txns.iter().map(|&t| index.id(t)).collect(),
            });
        }
    }
}
