//! In-memory latches on a range leader for one-phase commits.
//!
//! A one-phase commit writes versions without ever holding a lock, and its
//! commit timestamp comes from the oracle before the Raft write applies. In
//! that window a reader with a later snapshot must not read the keys, or it
//! would miss a version that lands below its timestamp afterwards; a
//! serializable validation must not check them either. So the leader latches
//! the keys *before* taking the commit timestamp and releases them once the
//! write has applied, and transactional reads, scans and validations of
//! latched keys wait. A reader's timestamp was taken before its request
//! arrived; if it finds no latch, any later one-phase commit gets a larger
//! commit timestamp. (On a new leader there are no latches, but an older
//! leader's in-flight write is either in the new leader's log, and applied
//! before it serves reads, or lost.)

use rangedb_common::RangeId;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// What a latch holds or a reader touches in one range: keys and spans.
#[derive(Debug, Clone, Default)]
pub struct Footprint {
    pub keys: Vec<Vec<u8>>,
    /// `[start, end)`; `None` is unbounded.
    pub spans: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl Footprint {
    /// Whether any latched key of `self` lies in `other`'s keys or spans.
    fn touches(&self, other: &Footprint) -> bool {
        self.keys.iter().any(|k| {
            other.keys.iter().any(|o| o == k)
                || other
                    .spans
                    .iter()
                    .any(|(s, e)| k >= s && e.as_ref().is_none_or(|e| k < e))
        })
    }
}

struct Held {
    id: u64,
    range_id: RangeId,
    keys: Footprint,
}

#[derive(Default)]
struct State {
    next_id: u64,
    held: Vec<Held>,
}

/// The latches of one node's leaders.
#[derive(Default)]
pub struct Latches {
    state: Mutex<State>,
    released: Notify,
}

/// A held latch; released on drop.
pub struct LatchGuard {
    latches: Arc<Latches>,
    id: u64,
}

impl Drop for LatchGuard {
    fn drop(&mut self) {
        self.latches
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .held
            .retain(|h| h.id != self.id);
        self.latches.released.notify_waiters();
    }
}

impl Latches {
    /// Waits until no latch of `range_id` touches `footprint`.
    pub async fn wait_clear(&self, range_id: RangeId, footprint: &Footprint) {
        loop {
            let released = self.released.notified();
            tokio::pin!(released);
            // Register before checking, so a release in between is not missed.
            released.as_mut().enable();
            if !self.blocked(range_id, footprint) {
                return;
            }
            released.await;
        }
    }

    fn blocked(&self, range_id: RangeId, footprint: &Footprint) -> bool {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .held
            .iter()
            .any(|h| h.range_id == range_id && h.keys.touches(footprint))
    }

    /// Latches `keys` of `range_id` once no other latch touches `keys` or
    /// `reads` (a one-phase commit must see earlier ones applied before it
    /// validates its reads).
    pub async fn acquire(
        self: &Arc<Self>,
        range_id: RangeId,
        keys: Vec<Vec<u8>>,
        reads: &Footprint,
    ) -> LatchGuard {
        let mut wanted = reads.clone();
        wanted.keys.extend(keys.iter().cloned());
        loop {
            let released = self.released.notified();
            tokio::pin!(released);
            released.as_mut().enable();
            {
                let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
                // Held footprints are keys only, so this covers both a held
                // key among ours and a held key among what we read.
                let blocked = st
                    .held
                    .iter()
                    .any(|h| h.range_id == range_id && h.keys.touches(&wanted));
                if !blocked {
                    st.next_id += 1;
                    let id = st.next_id;
                    st.held.push(Held {
                        id,
                        range_id,
                        keys: Footprint {
                            keys,
                            spans: Vec::new(),
                        },
                    });
                    return LatchGuard {
                        latches: self.clone(),
                        id,
                    };
                }
            }
            released.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn fp(keys: &[&str], spans: &[(&str, Option<&str>)]) -> Footprint {
        Footprint {
            keys: keys.iter().map(|k| k.as_bytes().to_vec()).collect(),
            spans: spans
                .iter()
                .map(|(s, e)| (s.as_bytes().to_vec(), e.map(|e| e.as_bytes().to_vec())))
                .collect(),
        }
    }

    #[tokio::test]
    async fn readers_of_latched_keys_wait_until_release() {
        let latches = Arc::new(Latches::default());
        let guard = latches
            .acquire(7, vec![b"k".to_vec()], &Footprint::default())
            .await;
        // Other ranges, other keys and spans that miss the key are not blocked.
        latches.wait_clear(8, &fp(&["k"], &[])).await;
        latches.wait_clear(7, &fp(&["j"], &[("l", None)])).await;
        let l = latches.clone();
        let waiter =
            tokio::spawn(async move { l.wait_clear(7, &fp(&[], &[("a", Some("z"))])).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiter.is_finished(), "a span over a latched key must wait");
        drop(guard);
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("released waiter finishes")
            .unwrap();
    }

    #[tokio::test]
    async fn a_commit_waits_for_latches_on_what_it_read() {
        let latches = Arc::new(Latches::default());
        let first = latches
            .acquire(1, vec![b"x".to_vec()], &Footprint::default())
            .await;
        let l = latches.clone();
        let second = tokio::spawn(async move {
            let _g = l.acquire(1, vec![b"y".to_vec()], &fp(&["x"], &[])).await;
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!second.is_finished());
        drop(first);
        tokio::time::timeout(Duration::from_secs(5), second)
            .await
            .expect("second commit proceeds")
            .unwrap();
    }
}
