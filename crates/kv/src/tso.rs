//! The timestamp oracle, served by the meta range's leader.
//!
//! It hands out strictly increasing timestamps from memory, below a
//! high-water mark persisted through the meta range's Raft log a few seconds
//! ahead. A new leader first catches up with the log (read-index), then starts
//! above the persisted mark, so it never goes backwards, even after every node
//! restarts. Each allocation confirms leadership (one heartbeat round) after
//! picking its timestamps, so a deposed leader cannot hand out a timestamp
//! after its successor started; clients batch concurrent requests so this
//! round is shared. Only the first allocation of a term also catches up
//! with the log before picking.

use rangedb_common::keys::TSO_KEY;
use rangedb_common::timestamp::LOGICAL_BITS;
use rangedb_common::{KvError, Timestamp};
use rangedb_raft::{Command, CommandResponse, Replica};
use rangedb_storage::mvcc;
use tokio::sync::Mutex;

/// How far ahead of what it hands out the oracle persists its mark.
const WINDOW: u64 = 3_000 << LOGICAL_BITS;

#[derive(Default)]
struct TsoState {
    /// The Raft term in which `next` and `hwm` were loaded.
    term: Option<u64>,
    next: Timestamp,
    hwm: Timestamp,
}

/// The oracle's in-memory state on this node.
#[derive(Default)]
pub struct TsoServer {
    state: Mutex<TsoState>,
}

impl TsoServer {
    /// Allocates `count` consecutive timestamps on the meta range's leader.
    pub async fn alloc(
        &self,
        meta: &Replica,
        count: u32,
        engine: &dyn rangedb_storage::Engine,
    ) -> Result<Timestamp, KvError> {
        if count == 0 || count > 1 << 16 {
            return Err(KvError::InvalidRequest(format!(
                "timestamp count {count} out of range 1..=65536"
            )));
        }
        let mut st = self.state.lock().await;
        if st.term != Some(meta.term()) {
            // A new term here: catch up with the log (read-index confirms
            // leadership and waits until everything committed is applied),
            // then start above the persisted mark. Later allocations in the
            // same term skip this round: what they pick comes from memory,
            // and the confirmation after picking covers leadership.
            let term = meta.term();
            crate::store::ensure_leader(meta).await?;
            if meta.term() != term {
                // Leadership changed around the catch-up: what was applied
                // may predate the newer term's entries. Try again.
                return Err(term_changed(meta));
            }
            let persisted = match mvcc::get(engine, TSO_KEY, Timestamp::MAX)
                .map_err(|e| KvError::Internal(e.to_string()))?
            {
                Some(v) => {
                    Timestamp(u64::from_be_bytes(v.as_slice().try_into().map_err(
                        |_| KvError::Internal("corrupt TSO high-water mark".into()),
                    )?))
                }
                None => Timestamp::ZERO,
            };
            st.next = Timestamp(persisted.0 + 1);
            st.hwm = persisted;
            st.term = Some(term);
            tracing::info!(term, %persisted, "timestamp oracle loaded high-water mark");
        }
        let now = Timestamp::from_wall_clock();
        if st.next < now {
            st.next = now;
        }
        let last = Timestamp(st.next.0 + count as u64 - 1);
        if last >= st.hwm {
            let want = Timestamp(last.0 + WINDOW);
            let resp = meta
                .propose(Command::TsoAdvance { hwm: want })
                .await
                .map_err(|e| {
                    st.term = None;
                    crate::store::replica_error(meta.range_id, e)
                })?;
            match resp {
                CommandResponse::Tso { hwm } => st.hwm = hwm,
                other => {
                    return Err(KvError::Internal(format!(
                        "unexpected TSO answer {other:?}"
                    )))
                }
            }
        }
        let first = st.next;
        st.next = Timestamp(last.0 + 1);
        let picked_in = st.term;
        drop(st);
        // Confirm leadership *after* picking: a quorum still accepting the
        // term of the pick now means no successor was elected before the
        // pick, so no successor can have handed out a larger timestamp
        // already. The term must not have moved in between: a node that
        // lost and regained leadership would confirm its newer term, not
        // the pick's. Outside the mutex, so concurrent allocations share
        // heartbeat rounds.
        let confirmed = crate::store::ensure_leader(meta).await;
        let result = match confirmed {
            Ok(()) if Some(meta.term()) == picked_in => return Ok(first),
            Ok(()) => Err(term_changed(meta)),
            Err(e) => Err(e),
        };
        let mut st = self.state.lock().await;
        if st.term == picked_in {
            st.term = None;
        }
        result
    }
}

/// The answer when leadership moved during an allocation: the client
/// retries (at the current leader, which may be this node again).
fn term_changed(meta: &Replica) -> KvError {
    KvError::NotLeader {
        range_id: meta.range_id,
        leader: meta.leader(),
    }
}
