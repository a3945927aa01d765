//! A checker for list-append transaction histories, after Jepsen's
//! [Elle](https://github.com/jepsen-io/elle) (Kingsbury & Alvaro, "Elle:
//! Inferring Isolation Anomalies from Experimental Observations", VLDB 2021).
//!
//! # The workload
//!
//! Concurrent clients run transactions against keys that each hold a list of
//! `u64`. A transaction is a sequence of micro-operations: *read* a key's whole
//! list, or *append* an element to it. Every appended element is unique across
//! the history. The client records each transaction's operations, the values
//! its reads returned, whether it committed, aborted or ended in an unknown
//! state, and when it was invoked and completed (see [`Txn`]).
//!
//! Lists make the history unusually informative: a read of `[1, 2, 3]` reveals
//! not only the current version of the key but the whole order in which its
//! versions were installed. That is what lets the checker *infer* the
//! dependencies between transactions instead of guessing them.
//!
//! # The algorithm
//!
//! 1. **Version orders.** A key's list only grows, so every committed read of
//!    it must be a prefix of the longest one, which then gives the key's
//!    version order (`[1, 2, 3]`: 1 was installed first, then 2, then 3). A
//!    read with a repeated element reports [`Anomaly::DuplicateElements`]; a
//!    read that is not a prefix reports [`Anomaly::IncompatibleOrder`]; both
//!    are kept out of further inference.
//! 2. **Read checks.** Every element read must have been appended to that key
//!    ([`Anomaly::GarbageRead`]), not by an aborted transaction
//!    ([`Anomaly::AbortedRead`], G1a), and a read must not end at an element
//!    its writer followed with another append to the same key
//!    ([`Anomaly::IntermediateRead`], G1b: it saw the writer's intermediate
//!    state). Within one transaction, reads must reflect its own earlier
//!    reads and appends ([`Anomaly::InternalInconsistency`]).
//! 3. **Lost writes.** Two committed transactions whose first reads of a key
//!    return the same version and which both append to it cannot both
//!    commit in any serial order ([`Anomaly::LostUpdate`], P4: the later one
//!    would have seen the earlier one's append). With real time enabled, a
//!    committed append must appear in its key's version order if a committed
//!    transaction began reading the key after the append completed
//!    ([`Anomaly::LostAppend`]).
//! 4. **Dependency graph.** Nodes are the committed transactions, plus the
//!    `Unknown` ones one of whose appends was read (such a transaction must
//!    have committed); unobserved `Unknown` transactions are dropped, as if
//!    they had aborted. Only a transaction's *external* read of a key (its
//!    first, made before it appended to that key) yields edges, since later
//!    reads also show its own writes. Edges mean "must come before":
//!    * **ww** `T1 → T2`: in a key's version order, T2's element immediately
//!      follows T1's, so T2's append was installed over T1's.
//!    * **wr** `T1 → T2`: T2 read a list whose last element T1 appended, so T2
//!      observed T1's write.
//!    * **rw** (anti-dependency) `T1 → T2`: T1 read a list ending at `e` (or
//!      the empty list) and T2 appended the element that follows `e` (or the
//!      first element), so T1 did not see T2's write and must precede it.
//!    * A committed append that no read contains was installed after every
//!      observed element (each read is a prefix of the version order), so
//!      the writer of the longest read's last element precedes its writer
//!      (ww) and so does every transaction that read exactly that longest
//!      list (rw). This is what exposes a stale read of a never-read append.
//!    * **rt** (with [`CheckOptions::realtime`]) `T1 → T2`: T1 completed
//!      before T2 was invoked. Strict serializability requires the serial
//!      order to respect this. Instead of the O(n²) pairs, every invocation
//!      and completion becomes an event node, events are sorted by time and
//!      chained, a transaction points to its completion event and its
//!      invocation event points to it: T1 reaches T2 through the chain
//!      exactly when T1's completion precedes T2's invocation. That is O(n)
//!      arcs; cycles are reported with the chain collapsed to one rt edge.
//! 5. **Cycles.** Serializability means the edges have a topological order;
//!    a cycle proves there is none. Tarjan's algorithm finds the strongly
//!    connected components; in each non-trivial one a breadth-first search
//!    extracts a short concrete cycle, trying the most severe explanation
//!    first, as Elle does:
//!    * **G0**: ww edges only (dirty writes; forbidden by read uncommitted);
//!    * **G1c**: ww and wr edges (circular information flow; forbidden by
//!      read committed);
//!    * **G-single**: exactly one rw edge (read skew, lost update; forbidden
//!      by snapshot isolation);
//!    * **G2-item**: two or more rw edges (write skew; forbidden by
//!      serializability);
//!    * the **`-realtime`** variants of each: the cycle needs an rt edge, so
//!      only strict serializability forbids it (e.g. a stale read).
//!
//!    Each reported [`Cycle`] lists its transactions and, for every edge, the
//!    key and elements that justify it, so a failure explains itself.
//!
//! Every input is accepted: malformed histories produce anomalies, never
//! panics. The work is linear in the size of the history plus
//! O(n log n) sorting, so tens of thousands of transactions check in
//! milliseconds.
//!
//! # Example
//!
//! ```
//! use rangedb_histcheck::{check, CheckOptions, MicroOp, Outcome, Txn};
//!
//! let txn = |id, ops, invoke_ns, complete_ns| Txn {
//!     id,
//!     process: id,
//!     ops,
//!     outcome: Outcome::Committed,
//!     invoke_ns,
//!     complete_ns,
//! };
//! // Write skew: each reads both keys empty and appends to a different one.
//! let history = vec![
//!     txn(1, vec![MicroOp::read("x", vec![]), MicroOp::read("y", vec![]), MicroOp::append("x", 1)], 0, 10),
//!     txn(2, vec![MicroOp::read("x", vec![]), MicroOp::read("y", vec![]), MicroOp::append("y", 2)], 0, 10),
//!     txn(3, vec![MicroOp::read("x", vec![1]), MicroOp::read("y", vec![2])], 20, 30),
//! ];
//! let report = check(&history, &CheckOptions::default());
//! assert!(!report.is_valid());
//! assert_eq!(report.anomalies[0].name(), "G2-item");
//! println!("{report}");
//! ```

#![warn(missing_docs)]

mod anomaly;
mod checks;
mod cycles;
mod graph;
mod history;
mod order;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

pub use anomaly::{Anomaly, Cycle, CycleKind, Edge, InternalProblem, Step};
pub use history::{Key, MicroOp, Outcome, Txn};

/// How strict the check is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckOptions {
    /// Check strict serializability: add real-time edges (a transaction that
    /// completed before another was invoked must precede it) and report
    /// [`Anomaly::LostAppend`]. Without it, the check is for serializability.
    pub realtime: bool,
}

/// Figures about the history and the inferred graph.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Transactions in the history.
    pub txns: usize,
    /// Transactions with outcome `Committed`.
    pub committed: usize,
    /// Transactions with outcome `Aborted`.
    pub aborted: usize,
    /// Transactions with outcome `Unknown`.
    pub unknown: usize,
    /// `Unknown` transactions one of whose appends was read, hence committed.
    pub unknown_observed: usize,
    /// Distinct keys.
    pub keys: usize,
    /// Completed reads of committed transactions that were checked.
    pub reads: usize,
    /// Transactions in the dependency graph.
    pub graph_txns: usize,
    /// Transaction pairs related by a ww edge.
    pub ww_edges: usize,
    /// Transaction pairs related by a wr edge.
    pub wr_edges: usize,
    /// Transaction pairs related by an rw edge.
    pub rw_edges: usize,
    /// Non-trivial strongly connected components (each holds a cycle).
    pub cyclic_components: usize,
}

/// The outcome of [`check`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Every anomaly found, in a deterministic order: history-level ones
    /// first, cycles last.
    pub anomalies: Vec<Anomaly>,
    /// Figures about the history and the graph.
    pub stats: Stats,
    /// Whether real-time edges were considered.
    pub realtime: bool,
}

impl Report {
    /// True when no anomaly was found.
    pub fn is_valid(&self) -> bool {
        self.anomalies.is_empty()
    }

    /// How many anomalies of each [`Anomaly::name`] were found.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for anomaly in &self.anomalies {
            *counts.entry(anomaly.name()).or_insert(0) += 1;
        }
        counts
    }
}

/// Anomalies printed in full by `Display`; the rest are only counted.
const DISPLAY_LIMIT: usize = 25;

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.stats;
        let level = if self.realtime {
            "strict serializability"
        } else {
            "serializability"
        };
        let verdict = if self.is_valid() { "valid" } else { "INVALID" };
        write!(
            f,
            "{verdict} under {level}: {} transactions ({} committed, {} aborted, {} unknown of \
             which {} observed), {} keys, {} reads; graph of {} transactions with {} ww, {} wr, \
             {} rw edges",
            s.txns,
            s.committed,
            s.aborted,
            s.unknown,
            s.unknown_observed,
            s.keys,
            s.reads,
            s.graph_txns,
            s.ww_edges,
            s.wr_edges,
            s.rw_edges
        )?;
        if self.is_valid() {
            return Ok(());
        }
        let counts: Vec<String> = self
            .counts()
            .iter()
            .map(|(name, n)| format!("{name} x{n}"))
            .collect();
        write!(
            f,
            "\n{} anomalies: {}",
            self.anomalies.len(),
            counts.join(", ")
        )?;
        for (i, anomaly) in self.anomalies.iter().take(DISPLAY_LIMIT).enumerate() {
            write!(f, "\n{}. {anomaly}", i + 1)?;
        }
        if self.anomalies.len() > DISPLAY_LIMIT {
            write!(f, "\n... and {} more", self.anomalies.len() - DISPLAY_LIMIT)?;
        }
        Ok(())
    }
}

/// Checks a list-append history; see the [crate documentation](crate) for
/// the algorithm. Never panics, whatever the input.
pub fn check(history: &[Txn], opts: &CheckOptions) -> Report {
    let mut anomalies = Vec::new();
    let mut index = history::Index::build(history);
    index.duplicate_appends(&mut anomalies);
    checks::internal(&index, &mut anomalies);
    let orders = order::infer(&mut index, &mut anomalies);
    let observed = checks::reads(&index, &mut anomalies);
    checks::lost_updates(&index, &mut anomalies);
    if opts.realtime {
        checks::lost_appends(&index, &orders, &observed, &mut anomalies);
    }
    let graph = graph::Graph::build(&index, &orders, &observed.txns, opts.realtime);
    let (cycles, cyclic_components) = cycles::find(&graph, &index, opts.realtime);
    anomalies.extend(cycles.into_iter().map(Anomaly::Cycle));

    let count = |outcome| history.iter().filter(|t| t.outcome == outcome).count();
    let stats = Stats {
        txns: history.len(),
        committed: count(Outcome::Committed),
        aborted: count(Outcome::Aborted),
        unknown: count(Outcome::Unknown),
        unknown_observed: history
            .iter()
            .zip(&observed.txns)
            .filter(|(t, seen)| t.outcome == Outcome::Unknown && **seen)
            .count(),
        keys: index.keys.len(),
        reads: index.reads.len(),
        graph_txns: graph.txn_nodes,
        ww_edges: graph.counts[0],
        wr_edges: graph.counts[1],
        rw_edges: graph.counts[2],
        cyclic_components,
    };
    Report {
        anomalies,
        stats,
        realtime: opts.realtime,
    }
}
