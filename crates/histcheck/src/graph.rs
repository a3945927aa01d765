//! The dependency graph over committed transactions: ww, wr and rw edges
//! inferred from the version orders (and from committed appends that no read
//! contains), plus (optionally) real-time order encoded with O(n) auxiliary
//! event nodes.

use crate::history::Index;
use crate::order::KeyOrder;

/// Edge kind bits; an arc may carry several.
pub(crate) const WW: u8 = 1;
pub(crate) const WR: u8 = 2;
pub(crate) const RW: u8 = 4;
pub(crate) const RT: u8 = 8;
/// Every kind.
pub(crate) const ALL: u8 = WW | WR | RW | RT;

/// The dependency kinds that carry a justification, in priority order (the
/// strongest explanation first), with their slot in [`Arc::why`].
pub(crate) const JUSTIFIED: [u8; 3] = [WW, WR, RW];

/// The justification of a ww, wr or rw arc, with the key interned.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Why {
    /// The `to` transaction appended `next` after `from`'s `prev`
    /// (immediately after, unless no read contains `next`).
    Ww { key: usize, prev: u64, next: u64 },
    /// The `to` transaction read the key ending at `from`'s `element`.
    Wr { key: usize, element: u64 },
    /// `from` read the key ending at `read_last` and `to` appended `next`.
    Rw {
        key: usize,
        read_last: Option<u64>,
        next: u64,
    },
}

impl Why {
    /// The kind bit and its slot in [`Arc::why`].
    fn kind(&self) -> (u8, usize) {
        match self {
            Why::Ww { .. } => (WW, 0),
            Why::Wr { .. } => (WR, 1),
            Why::Rw { .. } => (RW, 2),
        }
    }
}

/// A directed arc with every kind that justifies it.
#[derive(Clone, Debug)]
pub(crate) struct Arc {
    /// Target node.
    pub to: usize,
    /// Kind bits.
    pub mask: u8,
    /// First justification found for ww, wr and rw (indexed like
    /// [`JUSTIFIED`]).
    pub why: [Option<Why>; 3],
}

/// Nodes `0..txn_nodes` are transactions; the rest are real-time events.
pub(crate) struct Graph {
    /// Number of transaction nodes.
    pub txn_nodes: usize,
    /// History position of each transaction node.
    pub node_txn: Vec<usize>,
    /// Outgoing arcs of every node.
    pub adj: Vec<Vec<Arc>>,
    /// Number of transaction pairs related by ww, wr and rw.
    pub counts: [usize; 3],
}

impl Graph {
    /// Builds the graph over committed transactions and those `Unknown`
    /// transactions whose appends were `observed`.
    pub fn build(
        index: &Index<'_>,
        orders: &[KeyOrder],
        observed: &[bool],
        realtime: bool,
    ) -> Graph {
        let mut txn_node = vec![None; index.history.len()];
        let mut node_txn = Vec::new();
        for (t, txn) in index.history.iter().enumerate() {
            let unknown_seen =
                txn.outcome == crate::Outcome::Unknown && observed.get(t).copied().unwrap_or(false);
            if txn.committed() || unknown_seen {
                txn_node[t] = Some(node_txn.len());
                node_txn.push(t);
            }
        }
        let node_of =
            |element: u64, key: usize| index.writer(element, key).and_then(|w| txn_node[w.txn]);

        let mut raw: Vec<(usize, usize, Why)> = Vec::new();
        // ww: consecutive elements of a version order.
        for (key, order) in orders.iter().enumerate() {
            for pair in order.elements.windows(2) {
                let (prev, next) = (pair[0], pair[1]);
                if let (Some(a), Some(b)) = (node_of(prev, key), node_of(next, key)) {
                    if a != b {
                        raw.push((a, b, Why::Ww { key, prev, next }));
                    }
                }
            }
        }
        // wr and rw: from each external read.
        for read in &index.reads {
            let Some(reader) = txn_node[read.txn] else {
                continue;
            };
            if !read.external || !read.distinct {
                continue;
            }
            let last = read.value.last().copied();
            if let Some(element) = last {
                match node_of(element, read.key) {
                    Some(writer) if writer != reader => {
                        let key = read.key;
                        raw.push((writer, reader, Why::Wr { key, element }));
                    }
                    _ => {}
                }
            }
            if !read.prefix {
                continue;
            }
            let next = orders
                .get(read.key)
                .and_then(|o| o.next_after(read.value.len()));
            if let Some(next) = next {
                match node_of(next, read.key) {
                    Some(writer) if writer != reader => {
                        let why = Why::Rw {
                            key: read.key,
                            read_last: last,
                            next,
                        };
                        raw.push((reader, writer, why));
                    }
                    _ => {}
                }
            }
        }

        unplaced_edges(index, orders, &txn_node, &mut raw);

        let txn_nodes = node_txn.len();
        let mut adj: Vec<Vec<Arc>> = vec![Vec::new(); txn_nodes];
        let mut counts = [0; 3];
        raw.sort_by_key(|&(from, to, _)| (from, to));
        for (from, to, why) in raw {
            let (kind, slot) = why.kind();
            let arcs = &mut adj[from];
            let arc = match arcs.last_mut() {
                Some(arc) if arc.to == to => arc,
                _ => {
                    arcs.push(Arc {
                        to,
                        mask: 0,
                        why: [None; 3],
                    });
                    let last = arcs.len() - 1;
                    &mut arcs[last]
                }
            };
            if arc.mask & kind == 0 {
                counts[slot] += 1;
            }
            arc.mask |= kind;
            arc.why[slot].get_or_insert(why);
        }

        let mut graph = Graph {
            txn_nodes,
            node_txn,
            adj,
            counts,
        };
        if realtime {
            graph.add_realtime(index);
        }
        graph
    }

    /// Encodes "T1 completed before T2 was invoked" with O(n) arcs: every
    /// invocation and completion becomes an event node; events are sorted by
    /// time (invocations before completions at equal times, as the order is
    /// strict) and chained; a transaction points to its completion event and
    /// its invocation event points to it. T1 reaches T2 through the chain
    /// exactly when T1's completion event precedes T2's invocation event,
    /// i.e. when `T1.complete_ns < T2.invoke_ns`. `Unknown` transactions have
    /// no completion event: they may have committed at any later time.
    fn add_realtime(&mut self, index: &Index<'_>) {
        let mut events: Vec<(u64, u8, usize)> = Vec::with_capacity(2 * self.txn_nodes);
        for (node, &t) in self.node_txn.iter().enumerate() {
            let txn = &index.history[t];
            events.push((txn.invoke_ns, 0, node));
            if txn.committed() {
                events.push((txn.completed_at(), 1, node));
            }
        }
        events.sort_unstable();
        let base = self.adj.len();
        let last = events.len().saturating_sub(1);
        self.adj.resize(base + events.len(), Vec::new());
        let rt = |to| Arc {
            to,
            mask: RT,
            why: [None; 3],
        };
        for (j, &(_, completion, node)) in events.iter().enumerate() {
            let event = base + j;
            if completion == 1 {
                self.adj[node].push(rt(event));
            } else {
                self.adj[event].push(rt(node));
            }
            if j < last {
                self.adj[event].push(rt(event + 1));
            }
        }
    }

    /// Total number of nodes (transactions and events).
    pub fn len(&self) -> usize {
        self.adj.len()
    }

    /// True for transaction nodes, false for real-time event nodes.
    pub fn is_txn(&self, node: usize) -> bool {
        node < self.txn_nodes
    }

    /// The arc from `from` to `to`, if any.
    pub fn arc(&self, from: usize, to: usize) -> Option<&Arc> {
        self.adj.get(from)?.iter().find(|a| a.to == to)
    }
}

/// Bound on the rw edges added per key for appends missing from every read.
const UNPLACED_EDGES_PER_KEY: usize = 1 << 16;

/// Edges for committed appends that no read observed. Such an element `e`
/// is missing from the longest read `L` of its key, and every read is a
/// prefix of the version order, so `e` was installed after all of `L`: the
/// writer of `L`'s last element precedes `e`'s writer (ww), and every
/// transaction whose external read returned exactly `L` did not see `e`
/// (rw). Shorter reads reach `e`'s writer through their own rw edge and the
/// ww chain. The rw edges number readers x missing elements; beyond a bound
/// per key only the latest-invoked readers get them (dropping edges can only
/// hide anomalies, never invent one).
fn unplaced_edges(
    index: &Index<'_>,
    orders: &[KeyOrder],
    txn_node: &[Option<usize>],
    raw: &mut Vec<(usize, usize, Why)>,
) {
    let node_of = |element: u64, key: usize| {
        index
            .writer(element, key)
            .and_then(|w| txn_node.get(w.txn).copied().flatten())
    };
    let mut missing: Vec<Vec<(usize, u64)>> = vec![Vec::new(); orders.len()];
    for &(_, key, element) in &index.appends {
        let Some(order) = orders.get(key) else {
            continue;
        };
        if order.position.contains_key(&element) {
            continue;
        }
        if let Some(writer) = node_of(element, key) {
            missing[key].push((writer, element));
        }
    }
    if missing.iter().all(Vec::is_empty) {
        return;
    }
    // Readers of each key's full version order: (invoke_ns, node).
    let mut full: Vec<Vec<(u64, usize)>> = vec![Vec::new(); orders.len()];
    for read in &index.reads {
        let Some(order) = orders.get(read.key) else {
            continue;
        };
        if !read.external || !read.prefix || read.value.len() != order.elements.len() {
            continue;
        }
        if let Some(node) = txn_node.get(read.txn).copied().flatten() {
            full[read.key].push((index.history[read.txn].invoke_ns, node));
        }
    }
    for (key, missing) in missing.iter().enumerate() {
        if missing.is_empty() {
            continue;
        }
        let last = orders[key].elements.last().copied();
        if let Some(prev) = last {
            if let Some(prev_writer) = node_of(prev, key) {
                for &(writer, next) in missing {
                    if writer != prev_writer {
                        raw.push((prev_writer, writer, Why::Ww { key, prev, next }));
                    }
                }
            }
        }
        let readers = &mut full[key];
        readers.sort_by_key(|&(invoke, _)| std::cmp::Reverse(invoke));
        let take = (UNPLACED_EDGES_PER_KEY / missing.len()).max(1);
        for &(_, reader) in readers.iter().take(take) {
            for &(writer, next) in missing {
                if writer != reader {
                    let why = Why::Rw {
                        key,
                        read_last: last,
                        next,
                    };
                    raw.push((reader, writer, why));
                }
            }
        }
    }
}
