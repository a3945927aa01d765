//! `rangedb init`: turns a set of started nodes into a cluster, exactly once.
//!
//! The node that receives `Init` asks every peer in its `--join` list who it
//! is, refuses if any of them (or itself) already belongs to a cluster, then
//! sends every node the same initial range descriptors (the meta range and one
//! data range, replicated on up to three nodes). Each node writes the same
//! initial state, so the replicas agree without Raft traffic and then elect.
//! The cluster id is persisted on every node: a second `init` is refused.

use crate::api::{AdminRequest, AdminResponse};
use crate::client::KvClient;
use crate::remote::RemoteNode;
use rangedb_common::keys::USER_KEY_MIN;
use rangedb_common::{KvError, NodeId, RangeDescriptor, ReplicaDescriptor, META_RANGE_ID};
use rangedb_raft::RaftHost;
use rangedb_storage::raft_keys::{state_key, StateTag};
use rangedb_storage::{Batch, Cf};
use std::sync::Arc;
use std::time::Duration;

/// Replicas per range.
pub const REPLICATION_FACTOR: usize = 3;
/// The first data range (bootstrap creates it next to the meta range).
pub const FIRST_DATA_RANGE_ID: u64 = 2;

/// Node identity and the cluster-membership step of this node.
pub struct Bootstrapper {
    host: Arc<RaftHost>,
    client: Arc<KvClient>,
    addr: String,
    join: Vec<String>,
    lock: tokio::sync::Mutex<()>,
}

fn cluster_id_key() -> Vec<u8> {
    state_key(0, StateTag::ClusterId)
}

impl Bootstrapper {
    /// The bootstrapper of the node listening on `addr` with peers `join`.
    pub fn new(
        host: Arc<RaftHost>,
        client: Arc<KvClient>,
        addr: String,
        join: Vec<String>,
    ) -> Self {
        Self {
            host,
            client,
            addr,
            join,
            lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The cluster this node belongs to, if any.
    pub fn cluster_id(&self) -> Result<Option<String>, KvError> {
        let v = self
            .host
            .engine()
            .get(Cf::RaftState, &cluster_id_key())
            .map_err(|e| KvError::Internal(e.to_string()))?;
        Ok(v.map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Answers `NodeInfo`.
    pub fn node_info(&self) -> Result<AdminResponse, KvError> {
        Ok(AdminResponse::NodeInfo {
            node_id: self.host.node_id(),
            cluster_id: self.cluster_id()?,
            addr: self.addr.clone(),
        })
    }

    /// Initialises a new cluster from this node and its `--join` peers.
    pub async fn init(&self) -> Result<String, KvError> {
        let _g = self.lock.lock().await;
        if let Some(id) = self.cluster_id()? {
            return Err(KvError::AlreadyInitialized(id));
        }
        let mut members: Vec<ReplicaDescriptor> = vec![ReplicaDescriptor {
            node_id: self.host.node_id(),
            addr: self.addr.clone(),
        }];
        for addr in self.join.iter().filter(|a| **a != self.addr) {
            let info = RemoteNode::new(addr)
                .admin_with_timeout(AdminRequest::NodeInfo, Duration::from_secs(5))
                .await
                .map_err(|e| {
                    KvError::Unavailable(format!("cannot reach --join peer {addr}: {e}"))
                })?;
            let AdminResponse::NodeInfo {
                node_id,
                cluster_id,
                ..
            } = info
            else {
                return Err(KvError::Internal(format!(
                    "peer {addr} answered NodeInfo with {info:?}"
                )));
            };
            if let Some(id) = cluster_id {
                return Err(KvError::AlreadyInitialized(id));
            }
            if members.iter().any(|m| m.node_id == node_id) {
                return Err(KvError::InvalidRequest(format!(
                    "node id {node_id} is used by two nodes (one at {addr})"
                )));
            }
            members.push(ReplicaDescriptor {
                node_id,
                addr: addr.clone(),
            });
        }
        members.sort_by_key(|m| m.node_id);
        members.truncate(REPLICATION_FACTOR);
        let descriptors = vec![
            RangeDescriptor {
                range_id: META_RANGE_ID,
                start_key: Vec::new(),
                end_key: Some(USER_KEY_MIN.to_vec()),
                generation: 0,
                replicas: members.clone(),
            },
            RangeDescriptor {
                range_id: FIRST_DATA_RANGE_ID,
                start_key: USER_KEY_MIN.to_vec(),
                end_key: None,
                generation: 0,
                replicas: members.clone(),
            },
        ];
        let cluster_id = uuid::Uuid::new_v4().to_string();
        for m in &members {
            let req = AdminRequest::Bootstrap {
                cluster_id: cluster_id.clone(),
                descriptors: descriptors.clone(),
            };
            if m.node_id == self.host.node_id() {
                self.bootstrap_locked(&cluster_id, &descriptors).await?;
            } else {
                RemoteNode::new(&m.addr)
                    .admin_with_timeout(req, Duration::from_secs(10))
                    .await
                    .map_err(|e| {
                        KvError::Unavailable(format!(
                            "bootstrapping node {} at {}: {e}",
                            m.node_id, m.addr
                        ))
                    })?;
            }
        }
        // The meta range must know the initial ranges before anyone routes.
        for d in &descriptors {
            self.client.meta_upsert(d).await?;
        }
        tracing::info!(%cluster_id, nodes = members.len(), "cluster initialised");
        Ok(cluster_id)
    }

    /// Joins the cluster `cluster_id` with its initial ranges (idempotent for
    /// the same cluster id).
    pub async fn bootstrap(
        &self,
        cluster_id: &str,
        descriptors: &[RangeDescriptor],
    ) -> Result<(), KvError> {
        let _g = self.lock.lock().await;
        self.bootstrap_locked(cluster_id, descriptors).await
    }

    async fn bootstrap_locked(
        &self,
        cluster_id: &str,
        descriptors: &[RangeDescriptor],
    ) -> Result<(), KvError> {
        match self.cluster_id()? {
            Some(id) if id != cluster_id => return Err(KvError::AlreadyInitialized(id)),
            _ => {}
        }
        let me: NodeId = self.host.node_id();
        let mine: Vec<RangeDescriptor> = descriptors
            .iter()
            .filter(|d| d.replica(me).is_some())
            .cloned()
            .collect();
        let mut b = Batch::new();
        b.put(
            Cf::RaftState,
            cluster_id_key(),
            cluster_id.as_bytes().to_vec(),
        );
        self.host
            .engine()
            .write(b, true)
            .map_err(|e| KvError::Internal(e.to_string()))?;
        self.host
            .bootstrap(&mine)
            .await
            .map_err(|e| KvError::Internal(e.to_string()))
    }
}
