//! Keeps the meta range in step with every range's descriptor.
//!
//! A split changes two descriptors in two different Raft groups (the parent
//! and the meta range), which cannot be one atomic write before transactions
//! exist. So each range's leader publishes its own descriptor to the meta
//! range, right after a split and again every half second until the meta
//! range has it. The meta range keeps the highest generation for each end key
//! (see `Command::MetaUpsert`), so publishing is idempotent and a stale
//! leader cannot roll the meta range back. Until it catches up, a client that
//! follows stale meta data gets `KeyOutsideRange` and retries.

use crate::client::KvClient;
use rangedb_common::{RangeDescriptor, RangeId};
use rangedb_raft::RaftHost;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Remembers what this node has published, to publish only changes.
#[derive(Default)]
pub struct MetaPublisher {
    published: Mutex<HashMap<RangeId, RangeDescriptor>>,
}

impl MetaPublisher {
    /// Records `desc` in the meta range; remembers success.
    pub async fn publish(&self, client: &KvClient, desc: &RangeDescriptor) {
        match client.meta_upsert(desc).await {
            Ok(()) => {
                self.published
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(desc.range_id, desc.clone());
            }
            Err(e) => tracing::debug!(
                range_id = desc.range_id,
                "meta publish failed, will retry: {e}"
            ),
        }
    }

    /// Publishes, every `period`, the descriptors of the ranges this node leads
    /// that the meta range may not have yet.
    pub fn spawn(self: &Arc<Self>, host: Arc<RaftHost>, client: Arc<KvClient>, period: Duration) {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tick.tick().await;
                for replica in host.replicas() {
                    if replica.leader() != Some(host.node_id()) {
                        continue;
                    }
                    let Some(desc) = replica.state().descriptor else {
                        continue;
                    };
                    let known = this
                        .published
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get(&desc.range_id)
                        == Some(&desc);
                    if !known {
                        this.publish(&client, &desc).await;
                    }
                }
            }
        });
    }
}
