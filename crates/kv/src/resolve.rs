//! Resolving another transaction's lock from its primary, as a KV-level
//! primitive: the transaction layer's readers and writers use it for locks in
//! their way, and garbage collection uses it to clear every lock below its
//! safe point before it deletes any version (a primary's commit record is
//! what decides its secondaries; it must not be collected while a secondary
//! lock still depends on it).

use crate::api::{RangeRequest, RangeResponse};
use crate::client::KvClient;
use rangedb_common::{KvError, LockInfo, Timestamp, TxnStatus};
use rangedb_raft::TxnCommand;

/// Asks the primary of `lock`'s transaction for its status at oracle time
/// `now`, rolling the transaction back if it is past its TTL (or if its
/// primary was never written and this lock has expired).
pub async fn check_status(
    client: &KvClient,
    lock: &LockInfo,
    now: Timestamp,
) -> Result<TxnStatus, KvError> {
    let cmd = TxnCommand::CheckStatus {
        primary: lock.primary.clone(),
        start_ts: lock.start_ts,
        now,
        rollback_if_missing: lock.expired_at(now),
    };
    match client
        .route(&lock.primary, |_| RangeRequest::Txn(cmd.clone()))
        .await?
        .1
    {
        RangeResponse::TxnStatus(s) => Ok(s),
        other => Err(KvError::Internal(format!(
            "unexpected answer to a status check: {other:?}"
        ))),
    }
}

/// Resolves `lock`: commits it if its transaction committed, rolls it back
/// if it was (or now is) rolled back. Returns `false` when the owner is
/// alive and the lock stays.
pub async fn resolve_lock(
    client: &KvClient,
    lock: &LockInfo,
    now: Timestamp,
) -> Result<bool, KvError> {
    let cmd = match check_status(client, lock, now).await? {
        TxnStatus::Locked { .. } => return Ok(false),
        TxnStatus::Committed { commit_ts } => TxnCommand::Commit {
            keys: vec![lock.key.clone()],
            start_ts: lock.start_ts,
            commit_ts,
        },
        TxnStatus::RolledBack => TxnCommand::Rollback {
            keys: vec![lock.key.clone()],
            start_ts: lock.start_ts,
        },
    };
    tracing::debug!(start_ts = %lock.start_ts, ?cmd, "resolving lock");
    client
        .route(&lock.key, |_| RangeRequest::Txn(cmd.clone()))
        .await?;
    Ok(true)
}

/// Waits, at most `wait`, for `lock` to leave its key (its owner committed
/// or rolled back), asking the key's range leader to answer as soon as it
/// applies the release. Returns whether the lock is gone.
pub async fn wait_for_release(
    client: &KvClient,
    lock: &LockInfo,
    wait: std::time::Duration,
) -> Result<bool, KvError> {
    let wait_ms = u32::try_from(wait.as_millis()).unwrap_or(u32::MAX);
    let req = RangeRequest::WaitForLockRelease {
        key: lock.key.clone(),
        owner: lock.start_ts,
        wait_ms,
    };
    match client.route(&lock.key, |_| req.clone()).await?.1 {
        RangeResponse::LockWaitEnded { released } => Ok(released),
        other => Err(KvError::Internal(format!(
            "unexpected answer to a lock wait: {other:?}"
        ))),
    }
}
