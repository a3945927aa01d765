//! Shared read-index rounds: concurrent linearizable reads of one range
//! wait for one heartbeat round instead of sending one each.
//!
//! openraft's `ensure_linearizable` sends its own heartbeat round per call.
//! Under load most of a read's cost (and the followers' CPU) is those
//! rounds. A read may only be served by a round that *started after the
//! read arrived*: a round already under way might have been answered by a
//! quorum before a newer leader took over and accepted a write this read
//! must see. So reads that arrive while a round is in flight queue for the
//! next one; when a round ends, one round starts for everything queued
//! meanwhile. Under a steady stream of reads that is one round per round
//! trip, however many reads there are; a lone read still costs one round.

use futures::future::BoxFuture;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Starts one read-index round: confirms leadership with a quorum and waits
/// until everything committed when it started is applied, as openraft's
/// `ensure_linearizable` does.
pub type Round<E> = Arc<dyn Fn() -> BoxFuture<'static, Result<(), E>> + Send + Sync>;

/// Queued reads of one replica.
pub struct ReadIndexBatcher<E> {
    round: Round<E>,
    state: Arc<Mutex<BatchState<E>>>,
}

struct BatchState<E> {
    /// A task is running rounds.
    running: bool,
    /// Reads that arrived after the running round started.
    waiting: Vec<oneshot::Sender<Result<(), E>>>,
}

impl<E: Clone + Send + 'static> ReadIndexBatcher<E> {
    /// A batcher whose rounds are `round`.
    pub fn new(round: Round<E>) -> Self {
        ReadIndexBatcher {
            round,
            state: Arc::new(Mutex::new(BatchState {
                running: false,
                waiting: Vec::new(),
            })),
        }
    }

    /// Waits for a round that starts after this call. `lost` is the answer
    /// if the task running the rounds went away without answering.
    pub async fn read_index(&self, lost: E) -> Result<(), E> {
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            st.waiting.push(tx);
            !std::mem::replace(&mut st.running, true)
        };
        if start {
            tokio::spawn(run_rounds(self.state.clone(), self.round.clone()));
        }
        rx.await.unwrap_or(Err(lost))
    }
}

/// Runs rounds until nobody is waiting, each for the reads queued before
/// it started.
async fn run_rounds<E: Clone>(state: Arc<Mutex<BatchState<E>>>, round: Round<E>) {
    // Should a round panic (or the task be cancelled), no later read may
    // wait for a task that is gone: the guard lets the next read start a
    // new one and fails the reads queued meanwhile (their senders drop).
    let mut guard = StopGuard {
        state: state.clone(),
        armed: true,
    };
    loop {
        let batch = {
            let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
            if st.waiting.is_empty() {
                st.running = false;
                guard.armed = false;
                return;
            }
            std::mem::take(&mut st.waiting)
        };
        metrics::counter!("rangedb_raft_read_index_rounds_total").increment(1);
        let result = round().await;
        for waiter in batch {
            // A reader that gave up dropped its receiver; nothing to tell.
            let _ = waiter.send(result.clone());
        }
    }
}

/// Marks the batcher idle if the task running its rounds ends other than
/// by running out of reads.
struct StopGuard<E> {
    state: Arc<Mutex<BatchState<E>>>,
    armed: bool,
}

impl<E> Drop for StopGuard<E> {
    fn drop(&mut self) {
        if self.armed {
            let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            st.running = false;
            st.waiting.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// A batcher whose rounds take 20 ms and count themselves.
    fn counting(rounds: Arc<AtomicUsize>) -> Arc<ReadIndexBatcher<String>> {
        Arc::new(ReadIndexBatcher::new(Arc::new(move || {
            let rounds = rounds.clone();
            Box::pin(async move {
                rounds.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                Ok(())
            })
        })))
    }

    #[tokio::test]
    async fn concurrent_reads_share_rounds() {
        let rounds = Arc::new(AtomicUsize::new(0));
        let batcher = counting(rounds.clone());
        let reads: Vec<_> = (0..50)
            .map(|_| {
                let b = batcher.clone();
                tokio::spawn(async move { b.read_index("lost".into()).await })
            })
            .collect();
        for r in reads {
            assert_eq!(r.await.expect("read task"), Ok(()));
        }
        let n = rounds.load(Ordering::SeqCst);
        assert!((1..=2).contains(&n), "50 concurrent reads took {n} rounds");
    }

    #[tokio::test]
    async fn a_read_arriving_mid_round_waits_for_the_next_round() {
        let rounds = Arc::new(AtomicUsize::new(0));
        let batcher = counting(rounds.clone());
        let first = {
            let b = batcher.clone();
            tokio::spawn(async move { b.read_index("lost".into()).await })
        };
        // Wait until the first round is under way (it lasts 20 ms).
        while rounds.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        batcher
            .read_index("lost".into())
            .await
            .expect("second read");
        assert_eq!(
            rounds.load(Ordering::SeqCst),
            2,
            "the second read was served by a round that started after it"
        );
        first.await.expect("first task").expect("first read");
    }

    #[tokio::test]
    async fn a_failed_round_fails_its_reads_and_the_next_read_tries_again() {
        let fail = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let f = fail.clone();
        let batcher = ReadIndexBatcher::<String>::new(Arc::new(move || {
            let failing = f.load(Ordering::SeqCst);
            Box::pin(async move {
                if failing {
                    Err("not leader".to_string())
                } else {
                    Ok(())
                }
            })
        }));
        assert_eq!(
            batcher.read_index("lost".into()).await,
            Err("not leader".to_string())
        );
        fail.store(false, Ordering::SeqCst);
        assert_eq!(batcher.read_index("lost".into()).await, Ok(()));
    }
}
