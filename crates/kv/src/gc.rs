//! Background garbage collection of old MVCC versions.
//!
//! Every `interval`, each node computes a safe point: `gc_ttl` behind a
//! fresh oracle timestamp, and never above the start timestamp of any
//! transaction still running on any node (each node reports its oldest;
//! if one cannot be asked, the round is skipped rather than guessed). It then
//! resolves every lock below the safe point in every range (so no secondary
//! still depends on a primary's commit record that could be collected), and
//! only then collects the ranges it leads: `Store::gc_range` plans deletions from the
//! leader's engine and replicates them through Raft in bounded chunks, so
//! followers delete exactly the same versions and foreground requests
//! interleave with the chunks. Each range remembers the highest safe point
//! applied (its GC threshold) and refuses transactional reads below it.

use crate::api::{AdminRequest, AdminResponse, RangeRequest, RangeResponse};
use crate::client::KvClient;
use crate::remote::RemoteNode;
use crate::store::Store;
use rangedb_common::{KvError, Timestamp};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

/// The oldest running transaction's start timestamp on this node.
pub type OldestActive = Arc<dyn Fn() -> Option<Timestamp> + Send + Sync>;

/// Garbage collection settings.
#[derive(Debug, Clone)]
pub struct GcConfig {
    /// How far behind the oracle versions are kept (default one hour).
    pub ttl: Duration,
    /// How often a node collects the ranges it leads.
    pub interval: Duration,
    /// Deletions per replicated GC command.
    pub chunk: usize,
}

impl Default for GcConfig {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(3600),
            interval: Duration::from_secs(60),
            chunk: 1_000,
        }
    }
}

/// Runs garbage collection rounds until the store goes away.
pub fn spawn(
    store: std::sync::Weak<Store>,
    client: Arc<KvClient>,
    config: GcConfig,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(config.interval).await;
            let Some(store) = store.upgrade() else {
                return;
            };
            if !store.host().is_bootstrapped() {
                continue;
            }
            match run_round(&store, &client, &config).await {
                Ok(deleted) if deleted > 0 => {
                    tracing::info!(deleted, "garbage collection round done")
                }
                Ok(_) => {}
                Err(e) => tracing::debug!("garbage collection round skipped: {e}"),
            }
        }
    })
}

/// The cluster-wide safe point: `ttl` behind `now`, capped by the oldest
/// running transaction that any node reports.
pub async fn safe_point(client: &KvClient, ttl: Duration) -> Result<Timestamp, KvError> {
    let now = client.timestamp().await?;
    let ttl_ms = ttl.as_millis().min(u64::MAX as u128) as u64;
    let mut sp = Timestamp::new(now.physical_ms().saturating_sub(ttl_ms), 0);
    let addrs: BTreeSet<String> = client
        .all_descriptors()
        .await?
        .into_iter()
        .flat_map(|d| d.replicas.into_iter().map(|r| r.addr))
        .collect();
    for addr in addrs {
        // This node is asked like the others: one code path.
        let oldest = match RemoteNode::new(&addr)
            .admin_with_timeout(AdminRequest::OldestActiveTxn, Duration::from_secs(5))
            .await
        {
            Ok(AdminResponse::OldestActiveTxn(ts)) => ts,
            Ok(other) => {
                return Err(KvError::Internal(format!(
                    "unexpected answer from {addr}: {other:?}"
                )))
            }
            Err(e) => return Err(KvError::Unavailable(format!("{addr}: {e}"))),
        };
        if let Some(o) = oldest {
            sp = sp.min(Timestamp(o.0.saturating_sub(1)));
        }
    }
    Ok(sp)
}

/// The first phase of a round: every lock of a transaction that started at
/// or below `sp`, in every range of the cluster, is resolved (its owner is
/// not running: `sp` is below every running transaction). Only then may
/// versions go: a secondary lock's fate is read from its primary's commit
/// record, which GC could otherwise delete (when a newer version shadows it)
/// and the lock would then be rolled back although its transaction
/// committed. Fails (and the round is skipped) if any range cannot be
/// cleared.
pub async fn resolve_locks_below(client: &KvClient, sp: Timestamp) -> Result<(), KvError> {
    for desc in client.all_descriptors().await? {
        if desc.range_id == rangedb_common::META_RANGE_ID {
            continue;
        }
        let (_, resp) = client
            .route(&desc.start_key, |_| RangeRequest::ResolveLocksBelow {
                ts: sp,
            })
            .await?;
        match resp {
            RangeResponse::LocksRemaining(0) => {}
            RangeResponse::LocksRemaining(n) => {
                return Err(KvError::Unavailable(format!(
                    "range {}: {n} lock(s) below the safe point are still held",
                    desc.range_id
                )))
            }
            other => {
                return Err(KvError::Internal(format!(
                    "unexpected answer to ResolveLocksBelow: {other:?}"
                )))
            }
        }
    }
    Ok(())
}

/// One round: collect every range this node leads below the safe point.
/// Returns the number of engine entries deleted.
pub async fn run_round(
    store: &Store,
    client: &KvClient,
    config: &GcConfig,
) -> Result<usize, KvError> {
    let sp = safe_point(client, config.ttl).await?;
    resolve_locks_below(client, sp).await?;
    let mut deleted = 0;
    for replica in store.host().replicas() {
        if replica.leader() != Some(store.node_id())
            || replica.range_id == rangedb_common::META_RANGE_ID
        {
            continue;
        }
        match store.gc_range(replica.range_id, sp, config.chunk).await {
            Ok(n) => deleted += n,
            Err(e) => tracing::debug!(range_id = replica.range_id, "gc: {e}"),
        }
    }
    metrics::counter!("rangedb_gc_deleted_total").increment(deleted as u64);
    Ok(deleted)
}
