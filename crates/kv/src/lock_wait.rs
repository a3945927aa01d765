//! Waiting for another transaction's lock, served by the range's leader.
//!
//! A writer that meets a live lock has nothing to do until the owner commits
//! or rolls back. Sleeping on a timer makes it either poll often (every
//! status check used to be a Raft write) or notice the release late (the
//! backoff grew to 200 ms, so a hot row changed hands a few times a second).
//! Instead the waiter asks the lock's range to answer when the lock is gone:
//! the leader re-reads the lock each time its replica applies entries, so the
//! waiter learns of the release within one apply.
//!
//! Both functions here only read this node's applied state. That is safe
//! because they never decide anything: a stale "still locked" costs the
//! waiter another round, and the decisions that matter (rolling an expired
//! owner back, fencing a missing primary) still go through Raft as
//! `CheckStatus` commands.

use rangedb_common::{KvError, NodeId, Timestamp, TxnStatus};
use rangedb_raft::Replica;
use rangedb_storage::{txn, Engine};
use std::time::Duration;

/// Fails unless this node leads `replica`'s range as far as it knows and the
/// range holds `key`, so that a request routed with a stale cache is sent
/// again to the right place instead of being answered from data this range
/// does not own (all of a node's ranges share one engine).
fn check_serves(replica: &Replica, me: NodeId, key: &[u8]) -> Result<(), KvError> {
    let range_id = replica.range_id;
    let leader = replica.leader();
    if leader != Some(me) {
        return Err(KvError::NotLeader { range_id, leader });
    }
    let desc = replica
        .state()
        .descriptor
        .ok_or(KvError::RangeNotFound { range_id })?;
    if !desc.contains(key) {
        return Err(KvError::KeyOutsideRange {
            range_id,
            key: key.to_vec(),
        });
    }
    Ok(())
}

fn storage_error(e: rangedb_storage::StorageError) -> KvError {
    KvError::Internal(e.to_string())
}

/// Whether `key` is still locked by the transaction that started at `owner`.
fn held_by(engine: &dyn Engine, key: &[u8], owner: Timestamp) -> Result<bool, KvError> {
    Ok(txn::load_lock(engine, key)
        .map_err(storage_error)?
        .is_some_and(|l| l.start_ts == owner))
}

/// Waits until `owner`'s lock on `key` is gone or `wait` has passed.
/// Returns whether the lock is gone.
pub async fn wait_for_release(
    replica: &Replica,
    engine: &dyn Engine,
    me: NodeId,
    key: &[u8],
    owner: Timestamp,
    wait: Duration,
) -> Result<bool, KvError> {
    check_serves(replica, me, key)?;
    let deadline = tokio::time::Instant::now() + wait;
    // Subscribed before the first look, so an apply between the look and
    // the wait still wakes us.
    let mut changes = replica.subscribe_changes();
    loop {
        if !held_by(engine, key, owner)? {
            return Ok(true);
        }
        match tokio::time::timeout_at(deadline, changes.changed()).await {
            Err(_) => return Ok(false),
            Ok(Err(_)) => {
                return Err(KvError::Unavailable(format!(
                    "range {}: replica stopped",
                    replica.range_id
                )))
            }
            Ok(Ok(())) => {}
        }
        // A split may have moved the key to another range (whose applies
        // this replica does not see), or this node may have lost the lead:
        // end the wait and let the waiter look again.
        if check_serves(replica, me, key).is_err() {
            return Ok(false);
        }
    }
}

/// The answer to a status check that needs no Raft write: the owner's lock
/// on its primary is present and alive at `now`, so the check would decide
/// nothing. `None` when the replicated check must run (the primary is
/// committed, rolled back, expired or not written yet).
pub fn alive_status(
    replica: &Replica,
    engine: &dyn Engine,
    me: NodeId,
    primary: &[u8],
    start_ts: Timestamp,
    now: Timestamp,
) -> Result<Option<TxnStatus>, KvError> {
    if check_serves(replica, me, primary).is_err() {
        // Let the replicated path give the precise refusal.
        return Ok(None);
    }
    Ok(txn::load_lock(engine, primary)
        .map_err(storage_error)?
        .filter(|l| l.start_ts == start_ts && !l.info(primary).expired_at(now))
        .map(|l| TxnStatus::Locked { ttl_ms: l.ttl_ms }))
}
