//! What the checker reports: the anomaly taxonomy and the explanations that go
//! with it. Transactions are named by their [`Txn::id`](crate::Txn::id).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::history::Key;

/// One violation found in a history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Anomaly {
    /// An element was appended by more than one operation. Appends must be
    /// unique, so the history itself is malformed; reads of such an element
    /// take part in no inference.
    DuplicateAppend {
        /// The key of the first such append.
        key: Key,
        /// The repeated element.
        element: u64,
        /// Every transaction that appended it.
        writers: Vec<usize>,
    },
    /// A read returned a list in which some element occurs twice.
    DuplicateElements {
        /// The key read.
        key: Key,
        /// The reading transaction.
        reader: usize,
        /// The first element that occurs twice.
        element: u64,
        /// The list as read.
        value: Vec<u64>,
    },
    /// Two reads of one key are not prefixes of one another, so no single
    /// version order explains both.
    IncompatibleOrder {
        /// The key read.
        key: Key,
        /// The longest read of the key (used as its version order).
        a: Vec<u64>,
        /// The transaction that read `a`.
        a_reader: usize,
        /// A read that is not a prefix of `a`.
        b: Vec<u64>,
        /// The transaction that read `b`.
        b_reader: usize,
    },
    /// A read contains an element that no transaction appended to that key.
    GarbageRead {
        /// The key read.
        key: Key,
        /// The element nobody appended.
        element: u64,
        /// The first committed transaction that read it.
        reader: usize,
    },
    /// G1a: a committed transaction read an element appended by an aborted
    /// transaction.
    AbortedRead {
        /// The key read.
        key: Key,
        /// The aborted element.
        element: u64,
        /// The aborted transaction that appended it.
        writer: usize,
        /// The first committed transaction that read it.
        reader: usize,
    },
    /// G1b: a read ends at an element that its writer followed with more
    /// appends to the same key, i.e. it saw an intermediate state of another
    /// transaction.
    IntermediateRead {
        /// The key read.
        key: Key,
        /// The last element of the read: a non-final append of `writer`.
        element: u64,
        /// The transaction that appended `element` and more after it.
        writer: usize,
        /// The first transaction that read that intermediate state.
        reader: usize,
    },
    /// A transaction's read disagrees with its own earlier operations on the
    /// same key.
    InternalInconsistency {
        /// The transaction.
        txn: usize,
        /// The key read.
        key: Key,
        /// What its own operations imply.
        problem: InternalProblem,
        /// The list as read.
        actual: Vec<u64>,
    },
    /// A committed append is missing from the key's final version order
    /// although a committed transaction read the key after the append
    /// completed. Checked only with [`CheckOptions::realtime`](crate::CheckOptions::realtime),
    /// since a stale read is no violation of plain serializability.
    LostAppend {
        /// The key appended to.
        key: Key,
        /// The element that vanished.
        element: u64,
        /// The committed transaction that appended it.
        writer: usize,
        /// The last-invoked committed reader of the key, which began after
        /// `writer` completed.
        reader: usize,
    },
    /// P4: several committed transactions read the same version of a key and
    /// then appended to it. In any serial order the later one would have read
    /// the earlier one's append, so at most one of them may commit.
    LostUpdate {
        /// The key.
        key: Key,
        /// The last element of the version they all read (`None`: the empty
        /// list).
        read_last: Option<u64>,
        /// The transactions, in history order.
        txns: Vec<usize>,
    },
    /// A cycle in the dependency graph: no serial order (or, for the
    /// `-realtime` kinds, no order compatible with real time) exists. Each
    /// strongly connected component of the graph yields one cycle per class
    /// it contains (see [`Stats::cyclic_components`](crate::Stats::cyclic_components)).
    Cycle(Cycle),
}

/// How a transaction's read contradicts its own operations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InternalProblem {
    /// The transaction had read the key before: the read must equal that
    /// earlier value followed by the transaction's appends since.
    Expected(Vec<u64>),
    /// The transaction had appended these elements (in order) without reading
    /// the key first: the read must end with them.
    MissingOwnAppends(Vec<u64>),
    /// The read contains an element the transaction only appends later.
    FutureAppend(u64),
}

/// A dependency cycle with a concrete justification for every edge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cycle {
    /// The cycle's class.
    pub kind: CycleKind,
    /// The edges, each `to` being the next step's `from`; the last step leads
    /// back to the first step's `from`.
    pub steps: Vec<Step>,
}

/// One edge of a cycle: `from` must precede `to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The earlier transaction.
    pub from: usize,
    /// The later transaction.
    pub to: usize,
    /// Why `from` precedes `to`.
    pub edge: Edge,
}

/// Why one transaction must precede another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Edge {
    /// Write-write: `to` appended `next` after `from`'s `prev` in the key's
    /// version order (immediately after, unless no read contains `next`:
    /// then `prev` is the last element any read shows).
    Ww {
        /// The key.
        key: Key,
        /// `from`'s element.
        prev: u64,
        /// `to`'s element, next in the version order.
        next: u64,
    },
    /// Write-read: `to` read the key ending at `element`, which `from`
    /// appended.
    Wr {
        /// The key.
        key: Key,
        /// The element `from` appended and `to` read last.
        element: u64,
    },
    /// Read-write (anti-dependency): `from` read the key ending at
    /// `read_last` (`None`: empty) and `to` appended `next`, which comes
    /// after it in the version order (the very next element, or one that no
    /// read contains), so `from` did not see `to`.
    Rw {
        /// The key.
        key: Key,
        /// The last element `from` read, `None` for the empty list.
        read_last: Option<u64>,
        /// The element `to` appended right after it.
        next: u64,
    },
    /// Real time: `from` completed before `to` was invoked.
    Realtime {
        /// When `from` completed.
        completed_ns: u64,
        /// When `to` was invoked.
        invoked_ns: u64,
    },
}

impl Edge {
    /// A short name: `ww`, `wr`, `rw` or `rt`.
    pub fn name(&self) -> &'static str {
        match self {
            Edge::Ww { .. } => "ww",
            Edge::Wr { .. } => "wr",
            Edge::Rw { .. } => "rw",
            Edge::Realtime { .. } => "rt",
        }
    }
}

/// Elle's cycle classes, ordered from the weakest isolation level that
/// forbids them (G0 is forbidden even under read uncommitted) to the
/// strongest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CycleKind {
    /// Write cycle: ww edges only (dirty write).
    G0,
    /// Circular information flow: ww and wr edges, at least one wr.
    G1c,
    /// Exactly one rw edge (read skew, lost update): forbidden by snapshot
    /// isolation.
    GSingle,
    /// Two or more rw edges (write skew): forbidden by serializability.
    G2Item,
    /// G0 that needs a real-time edge: forbidden by strict serializability.
    G0Realtime,
    /// G1c that needs a real-time edge.
    G1cRealtime,
    /// G-single that needs a real-time edge (e.g. a stale read).
    GSingleRealtime,
    /// G2-item that needs a real-time edge.
    G2ItemRealtime,
}

impl CycleKind {
    /// Elle's name for the class, e.g. `G-single-realtime`.
    pub fn name(self) -> &'static str {
        match self {
            CycleKind::G0 => "G0",
            CycleKind::G1c => "G1c",
            CycleKind::GSingle => "G-single",
            CycleKind::G2Item => "G2-item",
            CycleKind::G0Realtime => "G0-realtime",
            CycleKind::G1cRealtime => "G1c-realtime",
            CycleKind::GSingleRealtime => "G-single-realtime",
            CycleKind::G2ItemRealtime => "G2-item-realtime",
        }
    }

    /// Classifies a cycle from its edges: the number of rw edges decides
    /// between G0/G1c, G-single and G2-item; any real-time edge adds
    /// `-realtime`.
    pub fn classify(steps: &[Step]) -> CycleKind {
        let rw = steps
            .iter()
            .filter(|s| matches!(s.edge, Edge::Rw { .. }))
            .count();
        let wr = steps.iter().any(|s| matches!(s.edge, Edge::Wr { .. }));
        let rt = steps
            .iter()
            .any(|s| matches!(s.edge, Edge::Realtime { .. }));
        match (rw, wr, rt) {
            (0, false, false) => CycleKind::G0,
            (0, true, false) => CycleKind::G1c,
            (1, _, false) => CycleKind::GSingle,
            (_, _, false) => CycleKind::G2Item,
            (0, false, true) => CycleKind::G0Realtime,
            (0, true, true) => CycleKind::G1cRealtime,
            (1, _, true) => CycleKind::GSingleRealtime,
            (_, _, true) => CycleKind::G2ItemRealtime,
        }
    }
}

impl Anomaly {
    /// The anomaly's short name, e.g. `G1a` or `G-single-realtime`.
    pub fn name(&self) -> &'static str {
        match self {
            Anomaly::DuplicateAppend { .. } => "duplicate-append",
            Anomaly::DuplicateElements { .. } => "duplicate-elements",
            Anomaly::IncompatibleOrder { .. } => "incompatible-order",
            Anomaly::GarbageRead { .. } => "garbage-read",
            Anomaly::AbortedRead { .. } => "G1a",
            Anomaly::IntermediateRead { .. } => "G1b",
            Anomaly::InternalInconsistency { .. } => "internal",
            Anomaly::LostAppend { .. } => "lost-append",
            Anomaly::LostUpdate { .. } => "lost-update",
            Anomaly::Cycle(cycle) => cycle.kind.name(),
        }
    }
}

/// Formats a list as `[1, 2, 3]`, eliding the middle of long lists.
pub(crate) struct ListFmt<'a>(pub &'a [u64]);

impl fmt::Display for ListFmt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const EDGE: usize = 4;
        let list = self.0;
        write!(f, "[")?;
        for (i, e) in list.iter().enumerate() {
            if list.len() > 3 * EDGE && i >= EDGE && i < list.len() - EDGE {
                if i == EDGE {
                    write!(f, ", ... {} more", list.len() - 2 * EDGE)?;
                }
                continue;
            }
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{e}")?;
        }
        write!(f, "]")
    }
}

fn ending(last: Option<u64>) -> String {
    match last {
        Some(e) => format!("ending at {e}"),
        None => "as empty".to_owned(),
    }
}

fn txn_list(txns: &[usize]) -> String {
    txns.iter()
        .map(|t| format!("T{t}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.name();
        match self {
            Anomaly::DuplicateAppend {
                key,
                element,
                writers,
            } => write!(
                f,
                "{name}: element {element} (key {key:?}) was appended more than once, by {}; \
                 appended elements must be unique, so reads of it are not interpreted",
                txn_list(writers)
            ),
            Anomaly::DuplicateElements {
                key,
                reader,
                element,
                value,
            } => write!(
                f,
                "{name}: T{reader} read {key:?} = {} in which {element} occurs more than once",
                ListFmt(value)
            ),
            Anomaly::IncompatibleOrder {
                key,
                a,
                a_reader,
                b,
                b_reader,
            } => write!(
                f,
                "{name}: T{a_reader} read {key:?} = {} and T{b_reader} read {}; neither is a \
                 prefix of the other, so no single version order of {key:?} explains both",
                ListFmt(a),
                ListFmt(b)
            ),
            Anomaly::GarbageRead {
                key,
                element,
                reader,
            } => write!(
                f,
                "{name}: T{reader} read {key:?} containing {element}, which no transaction \
                 appended to {key:?}"
            ),
            Anomaly::AbortedRead {
                key,
                element,
                writer,
                reader,
            } => write!(
                f,
                "{name} (aborted read): T{reader} committed after reading {key:?} containing \
                 {element}, appended by T{writer} which aborted"
            ),
            Anomaly::IntermediateRead {
                key,
                element,
                writer,
                reader,
            } => write!(
                f,
                "{name} (intermediate read): T{reader} read {key:?} ending at {element}, but \
                 T{writer} appended {element} and then more elements to {key:?}; T{reader} saw \
                 T{writer}'s uncommitted intermediate state"
            ),
            Anomaly::InternalInconsistency {
                txn,
                key,
                problem,
                actual,
            } => {
                write!(f, "{name}: T{txn} read {key:?} = {} but ", ListFmt(actual))?;
                match problem {
                    InternalProblem::Expected(expected) => write!(
                        f,
                        "its own earlier read and appends imply {}",
                        ListFmt(expected)
                    ),
                    InternalProblem::MissingOwnAppends(own) => write!(
                        f,
                        "it had itself appended {} to it, so the read must end with those",
                        ListFmt(own)
                    ),
                    InternalProblem::FutureAppend(element) => {
                        write!(f, "{element} is only appended later by T{txn} itself")
                    }
                }
            }
            Anomaly::LostAppend {
                key,
                element,
                writer,
                reader,
            } => write!(
                f,
                "{name}: T{writer} committed appending {element} to {key:?}, yet no read of \
                 {key:?} contains it, although T{reader} read {key:?} after T{writer} had \
                 completed"
            ),
            Anomaly::LostUpdate {
                key,
                read_last,
                txns,
            } => write!(
                f,
                "{name}: {} all read {key:?} {} and then appended to it, and all committed; \
                 in any serial order the later ones would have seen the earlier one's append",
                txn_list(txns),
                ending(*read_last)
            ),
            Anomaly::Cycle(cycle) => write!(f, "{cycle}"),
        }
    }
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path: Vec<String> = self
            .steps
            .iter()
            .map(|s| format!("T{} -{}->", s.from, s.edge.name()))
            .collect();
        let back = self.steps.first().map(|s| s.from).unwrap_or_default();
        write!(
            f,
            "{} cycle: {} T{back}; no order of these transactions satisfies every edge:",
            self.kind.name(),
            path.join(" ")
        )?;
        for step in &self.steps {
            write!(f, "\n    {step}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (from, to) = (self.from, self.to);
        match &self.edge {
            Edge::Ww { key, prev, next } => write!(
                f,
                "T{from} -ww-> T{to}: T{to} appended {next} to {key:?} after T{from}'s {prev}"
            ),
            Edge::Wr { key, element } => write!(
                f,
                "T{from} -wr-> T{to}: T{to} read {key:?} ending at {element}, appended by T{from}"
            ),
            Edge::Rw {
                key,
                read_last,
                next,
            } => write!(
                f,
                "T{from} -rw-> T{to}: T{from} read {key:?} {}, missing the later {next} that T{to} appended",
                ending(*read_last)
            ),
            Edge::Realtime {
                completed_ns,
                invoked_ns,
            } => write!(
                f,
                "T{from} -rt-> T{to}: T{from} completed (at {completed_ns} ns) before T{to} was \
                 invoked (at {invoked_ns} ns)"
            ),
        }
    }
}
