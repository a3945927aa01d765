//! The gRPC service every node serves: Raft traffic for its replicas, range
//! requests for ranges it leads, key-addressed KV requests it routes, and
//! administration.
//!
//! Malformed envelopes or payloads get `INVALID_ARGUMENT`; application
//! errors travel inside the payload as `KvError` so the caller can act on them.

use crate::api::{AdminRequest, AdminResponse, KvRequest, RangeInfo, RangeRequest};
use crate::bootstrap::Bootstrapper;
use crate::client::KvClient;
use crate::gc::OldestActive;
use crate::remote::RemoteNode;
use crate::store::Store;
use rangedb_common::{KvError, NodeId};
use rangedb_raft::RaftLayerError;
use rangedb_rpc::{Node, Payload, RaftMessage, RangeMessage};
use serde::Serialize;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// Implements the `Node` gRPC service on top of the store, client and bootstrapper.
pub struct NodeService {
    store: Arc<Store>,
    client: Arc<KvClient>,
    boot: Arc<Bootstrapper>,
    /// Reports this node's oldest running transaction (set once the
    /// transaction layer above is wired in).
    oldest_active: std::sync::OnceLock<OldestActive>,
}

fn reply<T: Serialize>(v: &T) -> Result<Response<Payload>, Status> {
    bincode::serialize(v)
        .map(|data| Response::new(Payload { data }))
        .map_err(|e| Status::internal(format!("encoding reply: {e}")))
}

fn decode<T: serde::de::DeserializeOwned>(data: &[u8]) -> Result<T, Status> {
    metrics::counter!("rangedb_rpc_requests_total").increment(1);
    bincode::deserialize(data).map_err(|e| {
        metrics::counter!("rangedb_rpc_errors_total", "kind" => "malformed").increment(1);
        Status::invalid_argument(format!("malformed request: {e}"))
    })
}

impl NodeService {
    /// The service of one node.
    pub fn new(store: Arc<Store>, client: Arc<KvClient>, boot: Arc<Bootstrapper>) -> Self {
        Self {
            store,
            client,
            boot,
            oldest_active: std::sync::OnceLock::new(),
        }
    }

    /// Wires in the transaction layer's registry of running transactions.
    pub fn set_oldest_active(&self, f: OldestActive) {
        let _ = self.oldest_active.set(f);
    }

    /// The store this service evaluates range requests with.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    fn initialized(&self) -> Result<(), KvError> {
        if self.store.host().is_bootstrapped() {
            Ok(())
        } else {
            Err(KvError::NotInitialized)
        }
    }

    /// This node's replicas as it sees them.
    pub fn local_ranges(&self) -> Vec<RangeInfo> {
        self.store
            .host()
            .replicas()
            .into_iter()
            .filter_map(|r| {
                let st = r.state();
                Some(RangeInfo {
                    descriptor: st.descriptor?,
                    leader: r.leader(),
                    applied_index: st.applied.map_or(0, |l| l.index),
                })
            })
            .collect()
    }

    /// Every range in the meta range, with leader and applied index taken from
    /// a replica (this node's own if it has one).
    pub async fn debug_ranges(&self) -> Result<Vec<RangeInfo>, KvError> {
        self.initialized()?;
        let local: HashMap<_, _> = self
            .local_ranges()
            .into_iter()
            .map(|i| (i.descriptor.range_id, i))
            .collect();
        let mut remote_views: HashMap<NodeId, HashMap<u64, RangeInfo>> = HashMap::new();
        let mut out = Vec::new();
        for desc in self.client.all_descriptors().await? {
            let mut info = RangeInfo {
                descriptor: desc.clone(),
                leader: None,
                applied_index: 0,
            };
            if let Some(l) = local.get(&desc.range_id) {
                info.leader = l.leader;
                info.applied_index = l.applied_index;
            } else {
                for r in &desc.replicas {
                    if let Entry::Vacant(slot) = remote_views.entry(r.node_id) {
                        let view = match RemoteNode::new(&r.addr)
                            .admin(AdminRequest::LocalRanges)
                            .await
                        {
                            Ok(AdminResponse::Ranges(v)) => {
                                v.into_iter().map(|i| (i.descriptor.range_id, i)).collect()
                            }
                            _ => HashMap::new(),
                        };
                        slot.insert(view);
                    }
                    if let Some(l) = remote_views
                        .get(&r.node_id)
                        .and_then(|v| v.get(&desc.range_id))
                    {
                        info.leader = l.leader;
                        info.applied_index = l.applied_index;
                        break;
                    }
                }
            }
            out.push(info);
        }
        Ok(out)
    }

    async fn admin_request(&self, req: AdminRequest) -> Result<AdminResponse, KvError> {
        match req {
            AdminRequest::Init => Ok(AdminResponse::Initialized {
                cluster_id: self.boot.init().await?,
            }),
            AdminRequest::Bootstrap {
                cluster_id,
                descriptors,
            } => {
                self.boot.bootstrap(&cluster_id, &descriptors).await?;
                Ok(AdminResponse::Bootstrapped)
            }
            AdminRequest::NodeInfo => self.boot.node_info(),
            AdminRequest::DebugRanges => Ok(AdminResponse::Ranges(self.debug_ranges().await?)),
            AdminRequest::LocalRanges => Ok(AdminResponse::Ranges(self.local_ranges())),
            AdminRequest::LocalScan {
                range_id,
                start,
                end,
                ts,
                limit,
            } => {
                if self.store.host().replica(range_id).is_none() {
                    return Err(KvError::RangeNotFound { range_id });
                }
                let rows = rangedb_storage::mvcc::scan(
                    self.store.host().engine().as_ref(),
                    &start,
                    end.as_deref(),
                    ts,
                    limit.min(crate::store::MAX_SCAN_LIMIT) as usize,
                )
                .map_err(|e| KvError::Internal(e.to_string()))?;
                Ok(AdminResponse::Rows(rows))
            }
            AdminRequest::OldestActiveTxn => Ok(AdminResponse::OldestActiveTxn(
                self.oldest_active.get().and_then(|f| f()),
            )),
        }
    }
}

#[tonic::async_trait]
impl Node for NodeService {
    async fn raft(&self, request: Request<RaftMessage>) -> Result<Response<Payload>, Status> {
        let m = request.into_inner();
        match self
            .store
            .host()
            .handle_raft(m.range_id, m.kind, &m.payload)
            .await
        {
            Ok(data) => Ok(Response::new(Payload { data })),
            Err(RaftLayerError::RangeNotFound(id)) => {
                Err(Status::not_found(format!("range {id} is not hosted here")))
            }
            Err(e @ RaftLayerError::Malformed(_)) => {
                metrics::counter!("rangedb_rpc_errors_total", "kind" => "malformed").increment(1);
                Err(Status::invalid_argument(e.to_string()))
            }
            Err(e) => Err(Status::internal(e.to_string())),
        }
    }

    async fn range(&self, request: Request<RangeMessage>) -> Result<Response<Payload>, Status> {
        let m = request.into_inner();
        let req: RangeRequest = decode(&m.payload)?;
        let result = match self.initialized() {
            Ok(()) => self.store.handle(m.range_id, req).await,
            Err(e) => Err(e),
        };
        reply(&result)
    }

    async fn kv(&self, request: Request<Payload>) -> Result<Response<Payload>, Status> {
        let req: KvRequest = decode(&request.into_inner().data)?;
        let result = match self.initialized() {
            Ok(()) => self.client.execute(req).await,
            Err(e) => Err(e),
        };
        reply(&result)
    }

    async fn admin(&self, request: Request<Payload>) -> Result<Response<Payload>, Status> {
        let req: AdminRequest = decode(&request.into_inner().data)?;
        reply(&self.admin_request(req).await)
    }
}
