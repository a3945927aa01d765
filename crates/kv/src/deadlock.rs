//! The cluster's deadlock detector: a wait-for graph of transactions, kept
//! in memory by the meta range's leader (like TiKV's detector on the leader
//! of its first region).
//!
//! A transaction that finds a live transaction's lock in the way of its
//! writes reports the edge `waiter -> holder` before it waits, and again
//! each time it retries; when the wait ends it removes the edge. If the
//! holder already waits, directly or along a chain, for the waiter, adding
//! the edge would close a cycle: the detector refuses it and the waiter
//! aborts (SQLSTATE 40P01), which releases its locks so the others go on.
//!
//! Each transaction waits for at most one lock at a time, so the graph is a
//! set of chains and a cycle check follows one path. The graph is soft
//! state: edges expire unless renewed (a waiter that died leaves nothing
//! behind), and a new leader starts empty and is filled again by the next
//! renewals. A deadlock the detector misses (just after a leader change)
//! still ends when a wait runs out of patience, with 40001.

use rangedb_common::Timestamp;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an edge lives without being renewed. Waiters renew it at every
/// retry, which is at most a few hundred milliseconds apart.
pub const EDGE_TTL: Duration = Duration::from_secs(2);

/// The longest chain followed; longer ones are not deadlocks we report.
const MAX_CHAIN: usize = 4096;

/// What the detector answers a new edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitVerdict {
    /// The edge is recorded; waiting is safe for now.
    Wait,
    /// Waiting would close this cycle (waiter first, then whom each waits
    /// for, ending with the transaction that waits for the waiter).
    Deadlock(Vec<Timestamp>),
}

/// The wait-for graph, keyed by each transaction's start timestamp.
#[derive(Debug, Default)]
pub struct DeadlockDetector {
    edges: Mutex<HashMap<Timestamp, Edge>>,
}

#[derive(Debug, Clone, Copy)]
struct Edge {
    holder: Timestamp,
    expires: Instant,
}

impl DeadlockDetector {
    /// Records that `waiter` waits for `holder`, unless that closes a cycle.
    pub fn wait_for(&self, waiter: Timestamp, holder: Timestamp) -> WaitVerdict {
        self.wait_for_at(waiter, holder, Instant::now())
    }

    fn wait_for_at(&self, waiter: Timestamp, holder: Timestamp, now: Instant) -> WaitVerdict {
        let mut edges = self.edges.lock().unwrap_or_else(|p| p.into_inner());
        edges.retain(|_, e| e.expires > now);
        let mut cycle = vec![waiter, holder];
        let mut current = holder;
        while cycle.len() <= MAX_CHAIN {
            if current == waiter {
                cycle.pop();
                return WaitVerdict::Deadlock(cycle);
            }
            match edges.get(&current) {
                Some(edge) => {
                    current = edge.holder;
                    cycle.push(current);
                }
                None => break,
            }
        }
        edges.insert(
            waiter,
            Edge {
                holder,
                expires: now + EDGE_TTL,
            },
        );
        WaitVerdict::Wait
    }

    /// Forgets what `waiter` waited for: it got its lock or gave up.
    pub fn wait_ended(&self, waiter: Timestamp) {
        let mut edges = self.edges.lock().unwrap_or_else(|p| p.into_inner());
        edges.remove(&waiter);
    }

    /// How many waits are recorded (for tests and metrics).
    pub fn len(&self) -> usize {
        self.edges.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether nobody waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(n: u64) -> Timestamp {
        Timestamp(n)
    }

    #[test]
    fn two_transactions_waiting_for_each_other_are_a_deadlock() {
        let d = DeadlockDetector::default();
        assert_eq!(d.wait_for(ts(1), ts(2)), WaitVerdict::Wait);
        assert_eq!(
            d.wait_for(ts(2), ts(1)),
            WaitVerdict::Deadlock(vec![ts(2), ts(1)])
        );
        // The refused edge is not recorded: the victim aborts.
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn a_longer_cycle_is_found_and_a_chain_is_not_a_cycle() {
        let d = DeadlockDetector::default();
        assert_eq!(d.wait_for(ts(1), ts(2)), WaitVerdict::Wait);
        assert_eq!(d.wait_for(ts(2), ts(3)), WaitVerdict::Wait);
        // 4 waits for the chain's head: no cycle.
        assert_eq!(d.wait_for(ts(4), ts(1)), WaitVerdict::Wait);
        assert_eq!(
            d.wait_for(ts(3), ts(1)),
            WaitVerdict::Deadlock(vec![ts(3), ts(1), ts(2)])
        );
    }

    #[test]
    fn renewing_an_edge_is_not_a_deadlock_and_ended_waits_are_forgotten() {
        let d = DeadlockDetector::default();
        assert_eq!(d.wait_for(ts(1), ts(2)), WaitVerdict::Wait);
        assert_eq!(d.wait_for(ts(1), ts(2)), WaitVerdict::Wait);
        d.wait_ended(ts(1));
        assert!(d.is_empty());
        // 1 got its lock and moved on; 2 may now wait for 1.
        assert_eq!(d.wait_for(ts(2), ts(1)), WaitVerdict::Wait);
    }

    #[test]
    fn edges_that_are_not_renewed_expire() {
        let d = DeadlockDetector::default();
        let now = Instant::now();
        assert_eq!(d.wait_for_at(ts(1), ts(2), now), WaitVerdict::Wait);
        let later = now + EDGE_TTL + Duration::from_millis(1);
        assert_eq!(d.wait_for_at(ts(2), ts(1), later), WaitVerdict::Wait);
    }

    #[test]
    fn a_transaction_waiting_for_itself_is_refused() {
        let d = DeadlockDetector::default();
        assert_eq!(d.wait_for(ts(5), ts(5)), WaitVerdict::Deadlock(vec![ts(5)]));
    }
}
