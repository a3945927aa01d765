//! Lock resolution: what a reader or writer does when it meets another
//! transaction's lock.
//!
//! The owner's fate is decided by its primary key alone. The resolver asks
//! the primary's range (a replicated `CheckStatus`, so concurrent resolvers
//! all get the same answer): committed → commit this lock at the same commit
//! timestamp; rolled back, or alive past its TTL → roll it back; alive →
//! the caller waits and retries. Every step is idempotent, so any number of
//! readers may resolve the same lock at once.

use crate::client::TxnClient;
use crate::error::TxnError;
use rangedb_common::{LockInfo, TxnStatus};
use rangedb_kv::resolve;

/// What resolving a lock achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// The lock is gone (rolled forward or back): retry the operation now.
    Cleared,
    /// The owner is alive: wait before retrying.
    OwnerAlive,
}

impl TxnClient {
    /// Asks the primary of `lock`'s transaction for its status, rolling the
    /// transaction back if it is past its TTL (or if its primary was never
    /// written and this lock expired).
    pub async fn check_status(&self, lock: &LockInfo) -> Result<TxnStatus, TxnError> {
        let now = self.kv.timestamp().await?;
        Ok(resolve::check_status(&self.kv, lock, now).await?)
    }

    /// Resolves one lock found in the way.
    pub async fn resolve(&self, lock: &LockInfo) -> Result<Resolution, TxnError> {
        metrics::counter!("rangedb_txn_lock_resolutions_total").increment(1);
        let now = self.kv.timestamp().await?;
        Ok(if resolve::resolve_lock(&self.kv, lock, now).await? {
            Resolution::Cleared
        } else {
            Resolution::OwnerAlive
        })
    }
}
