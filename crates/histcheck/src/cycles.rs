//! Cycle search: Tarjan's algorithm finds the strongly connected components
//! of the dependency graph; each non-trivial component holds at least one
//! cycle, and a breadth-first search extracts a short concrete one. As in
//! Elle, each component is searched for each class in turn, most severe
//! first: a cycle of ww edges only (G0), ww+wr (G1c), exactly one rw edge
//! (G-single), any (G2-item), then the same ladder with real-time edges
//! allowed. One cycle is reported per class found in a component (a G0
//! cycle is also a G2-item one, so a class is only reported once).

use std::collections::{HashMap, VecDeque};

use crate::anomaly::{Cycle, CycleKind, Edge, Step};
use crate::graph::{Graph, Why, ALL, JUSTIFIED, RT, RW, WR, WW};
use crate::history::Index;

const UNSET: usize = usize::MAX;
/// Start nodes tried per component when looking for a short cycle.
const START_TRIES: usize = 8;
/// Distinct rw targets tried per component when looking for a G-single.
const SINGLE_TRIES: usize = 32;

/// A cycle as hops between nodes, each with the edge kinds it may use.
type Hops = Vec<(usize, usize, u8)>;

enum Level {
    /// Any cycle whose arcs all carry one of these kinds.
    Plain(u8),
    /// One rw arc closed by a path whose arcs carry one of these kinds.
    SingleRw(u8),
}

/// Per-node working arrays, reset after each use so that many small
/// components cost no more than their size.
struct Scratch {
    order: Vec<usize>,
    low: Vec<usize>,
    on_stack: Vec<bool>,
    member: Vec<bool>,
    dist: Vec<usize>,
    parent: Vec<usize>,
}

/// Finds the non-trivial strongly connected components of the graph and,
/// in each, one cycle per class that occurs. Returns the cycles and the
/// number of components.
pub(crate) fn find(graph: &Graph, index: &Index<'_>, realtime: bool) -> (Vec<Cycle>, usize) {
    let n = graph.len();
    let mut s = Scratch {
        order: vec![UNSET; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        member: vec![true; n],
        dist: vec![UNSET; n],
        parent: vec![UNSET; n],
    };
    let all: Vec<usize> = (0..n).collect();
    let components = tarjan(graph, &all, ALL, &mut s);
    s.member.fill(false);
    let mut levels = vec![
        Level::Plain(WW),
        Level::Plain(WW | WR),
        Level::SingleRw(WW | WR),
        Level::Plain(WW | WR | RW),
    ];
    if realtime {
        levels.extend([
            Level::Plain(WW | RT),
            Level::Plain(WW | WR | RT),
            Level::SingleRw(WW | WR | RT),
            Level::Plain(ALL),
        ]);
    }
    let mut cycles = Vec::new();
    for component in &components {
        for &v in component {
            s.member[v] = true;
        }
        let mut kinds = Vec::new();
        for level in &levels {
            let hops = match *level {
                Level::Plain(allowed) => plain_cycle(graph, component, allowed, &mut s),
                Level::SingleRw(allowed) => single_rw_cycle(graph, component, allowed, &mut s),
            };
            if let Some(cycle) = hops.and_then(|h| to_cycle(graph, index, &h)) {
                if !kinds.contains(&cycle.kind) {
                    kinds.push(cycle.kind);
                    cycles.push(cycle);
                }
            }
        }
        for &v in component {
            s.member[v] = false;
        }
    }
    (cycles, components.len())
}

/// Iterative Tarjan over `nodes` (restricted to `member` nodes and arcs with
/// an `allowed` kind). Returns the components with two or more nodes (the
/// graph has no self-loops).
fn tarjan(graph: &Graph, nodes: &[usize], allowed: u8, s: &mut Scratch) -> Vec<Vec<usize>> {
    let mut result = Vec::new();
    let mut counter = 0;
    let mut stack: Vec<usize> = Vec::new();
    let mut calls: Vec<(usize, usize)> = Vec::new();
    for &root in nodes {
        if s.order[root] != UNSET {
            continue;
        }
        s.order[root] = counter;
        s.low[root] = counter;
        counter += 1;
        stack.push(root);
        s.on_stack[root] = true;
        calls.push((root, 0));
        while let Some(&mut (v, ref mut pos)) = calls.last_mut() {
            if let Some(arc) = graph.adj[v].get(*pos) {
                *pos += 1;
                let w = arc.to;
                if arc.mask & allowed == 0 || !s.member[w] {
                    continue;
                }
                if s.order[w] == UNSET {
                    s.order[w] = counter;
                    s.low[w] = counter;
                    counter += 1;
                    stack.push(w);
                    s.on_stack[w] = true;
                    calls.push((w, 0));
                } else if s.on_stack[w] {
                    s.low[v] = s.low[v].min(s.order[w]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                s.low[parent] = s.low[parent].min(s.low[v]);
            }
            if s.low[v] == s.order[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    s.on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.reverse();
                    result.push(component);
                }
            }
        }
    }
    for &v in nodes {
        s.order[v] = UNSET;
    }
    result
}

/// 0-1 breadth-first search from `src` over member nodes and allowed arcs.
/// Arcs leaving a transaction cost 1, arcs leaving an event node cost 0, so
/// distances count transactions and a real-time hop through the event chain
/// counts as one edge. Returns the nodes reached; `dist` and `parent` stay
/// set for them until [`reset`] is called.
fn bfs(graph: &Graph, src: usize, allowed: u8, s: &mut Scratch) -> Vec<usize> {
    let mut reached = vec![src];
    let mut queue = VecDeque::from([src]);
    s.dist[src] = 0;
    while let Some(u) = queue.pop_front() {
        let cost = usize::from(graph.is_txn(u));
        for arc in &graph.adj[u] {
            let v = arc.to;
            if arc.mask & allowed == 0 || !s.member[v] {
                continue;
            }
            let d = s.dist[u] + cost;
            if d < s.dist[v] {
                if s.dist[v] == UNSET {
                    reached.push(v);
                }
                s.dist[v] = d;
                s.parent[v] = u;
                if cost == 0 {
                    queue.push_front(v);
                } else {
                    queue.push_back(v);
                }
            }
        }
    }
    reached
}

fn reset(reached: &[usize], s: &mut Scratch) {
    for &v in reached {
        s.dist[v] = UNSET;
        s.parent[v] = UNSET;
    }
}

/// The BFS tree path `src ..= dst` as hops (requires a completed [`bfs`]
/// from `src` that reached `dst`).
fn path(src: usize, dst: usize, allowed: u8, s: &Scratch) -> Hops {
    let mut hops = Vec::new();
    let mut v = dst;
    while v != src && s.parent[v] != UNSET {
        hops.push((s.parent[v], v, allowed));
        v = s.parent[v];
    }
    hops.reverse();
    hops
}

/// A short cycle using only `allowed` arcs inside `component`, if any.
fn plain_cycle(graph: &Graph, component: &[usize], allowed: u8, s: &mut Scratch) -> Option<Hops> {
    let subs = tarjan(graph, component, allowed, s);
    let starts = subs
        .iter()
        .flat_map(|sub| sub.iter().copied().filter(|&v| graph.is_txn(v)))
        .take(START_TRIES);
    let mut best: Option<(usize, Hops)> = None;
    for start in starts {
        let reached = bfs(graph, start, allowed, s);
        // The cheapest member with an allowed arc back to the start.
        let closing = reached
            .iter()
            .copied()
            .filter(|&v| {
                graph.adj[v]
                    .iter()
                    .any(|a| a.to == start && a.mask & allowed != 0)
            })
            .map(|v| (s.dist[v] + usize::from(graph.is_txn(v)), v))
            .min();
        if let Some((len, last)) = closing {
            if best.as_ref().is_none_or(|(b, _)| len < *b) {
                let mut hops = path(start, last, allowed, s);
                hops.push((last, start, allowed));
                best = Some((len, hops));
            }
        }
        reset(&reached, s);
        if best.as_ref().is_some_and(|(len, _)| *len <= 2) {
            break;
        }
    }
    best.map(|(_, hops)| hops)
}

/// A short cycle made of exactly one rw arc `a -> b` and a path `b ..= a`
/// over `allowed` arcs, inside `component`, if any.
fn single_rw_cycle(
    graph: &Graph,
    component: &[usize],
    allowed: u8,
    s: &mut Scratch,
) -> Option<Hops> {
    // rw arcs grouped by target, targets in first-seen order.
    let mut targets: Vec<usize> = Vec::new();
    let mut sources: HashMap<usize, Vec<usize>> = HashMap::new();
    for &a in component {
        for arc in &graph.adj[a] {
            if arc.mask & RW != 0 && s.member[arc.to] {
                let list = sources.entry(arc.to).or_default();
                if list.is_empty() {
                    targets.push(arc.to);
                }
                list.push(a);
            }
        }
    }
    let mut best: Option<(usize, Hops)> = None;
    for &b in targets.iter().take(SINGLE_TRIES) {
        let reached = bfs(graph, b, allowed, s);
        let closing = sources
            .get(&b)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&a| s.dist[a] != UNSET)
            .map(|a| (s.dist[a] + 1, a))
            .min();
        if let Some((len, a)) = closing {
            if best.as_ref().is_none_or(|(l, _)| len < *l) {
                let mut hops = path(b, a, allowed, s);
                hops.push((a, b, RW));
                best = Some((len, hops));
            }
        }
        reset(&reached, s);
        if best.as_ref().is_some_and(|(len, _)| *len <= 2) {
            break;
        }
    }
    best.map(|(_, hops)| hops)
}

/// Turns node hops into transaction steps: each txn-to-txn hop is labelled
/// with its strongest allowed kind (ww, then wr, then rw) and its
/// justification; a run of hops through event nodes becomes one real-time
/// step. The cycle is rotated to start at its smallest transaction id.
fn to_cycle(graph: &Graph, index: &Index<'_>, hops: &[(usize, usize, u8)]) -> Option<Cycle> {
    let txn_of = |node: usize| graph.node_txn.get(node).copied();
    let mut steps = Vec::new();
    let mut rt_from: Option<usize> = None;
    for &(from, to, allowed) in hops {
        if graph.is_txn(from) && graph.is_txn(to) {
            let arc = graph.arc(from, to)?;
            let why = JUSTIFIED
                .iter()
                .zip(&arc.why)
                .find(|(kind, why)| arc.mask & allowed & **kind != 0 && why.is_some())
                .and_then(|(_, why)| *why)?;
            let edge = match why {
                Why::Ww { key, prev, next } => Edge::Ww {
                    key: index.key(key),
                    prev,
                    next,
                },
                Why::Wr { key, element } => Edge::Wr {
                    key: index.key(key),
                    element,
                },
                Why::Rw {
                    key,
                    read_last,
                    next,
                } => Edge::Rw {
                    key: index.key(key),
                    read_last,
                    next,
                },
            };
            let (from, to) = (txn_of(from)?, txn_of(to)?);
            steps.push(Step {
                from: index.id(from),
                to: index.id(to),
                edge,
            });
        } else if graph.is_txn(from) {
            rt_from = Some(from);
        } else if graph.is_txn(to) {
            let from = txn_of(rt_from.take()?)?;
            let to = txn_of(to)?;
            let (a, b) = (&index.history[from], &index.history[to]);
            steps.push(Step {
                from: a.id,
                to: b.id,
                edge: Edge::Realtime {
                    completed_ns: a.completed_at(),
                    invoked_ns: b.invoke_ns,
                },
            });
        }
    }
    let first = (0..steps.len()).min_by_key(|&i| steps[i].from)?;
    steps.rotate_left(first);
    Some(Cycle {
        kind: CycleKind::classify(&steps),
        steps,
    })
}
