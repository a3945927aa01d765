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
//! The wait only reads this node's applied state and decides nothing: a
//! stale "still locked" costs the waiter another round (see
//! [`crate::precheck`] for the status checks it makes in between).

use crate::precheck::{check_serves, storage_error};
use rangedb_common::{KvError, NodeId, Timestamp};
use rangedb_raft::Replica;
use rangedb_storage::{txn, Engine};
use std::time::Duration;

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
    check_serves(replica, me, [key])?;
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
        if check_serves(replica, me, [key]).is_err() {
            return Ok(false);
        }
    }
}
