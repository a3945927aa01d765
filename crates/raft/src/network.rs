//! Raft transport: every range's messages to a peer travel over the node's
//! one gRPC channel to that peer ([`ConnPool`]), tagged with the range id.
//!
//! Transport failures map to `Unreachable` (openraft backs off) and errors
//! returned by the remote Raft to `RemoteError`.

use crate::types::TypeConfig;
use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::BasicNode;
use rangedb_common::RangeId;
use rangedb_rpc::{raft_kind, ConnPool, RaftMessage};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// Creates per-peer clients for one range.
pub struct RangeNetworkFactory {
    range_id: RangeId,
    pool: Arc<ConnPool>,
}

impl RangeNetworkFactory {
    /// A factory for `range_id` over the node's shared connection pool.
    pub fn new(range_id: RangeId, pool: Arc<ConnPool>) -> Self {
        Self { range_id, pool }
    }
}

impl RaftNetworkFactory<TypeConfig> for RangeNetworkFactory {
    type Network = RangeNetwork;

    async fn new_client(&mut self, target: u64, node: &BasicNode) -> Self::Network {
        RangeNetwork {
            range_id: self.range_id,
            target,
            addr: node.addr.clone(),
            pool: self.pool.clone(),
        }
    }
}

/// Sends one range's Raft messages to one peer.
pub struct RangeNetwork {
    range_id: RangeId,
    target: u64,
    addr: String,
    pool: Arc<ConnPool>,
}

/// Why a send failed before a Raft answer came back.
#[derive(Debug, thiserror::Error)]
enum SendError {
    #[error("peer unreachable: {0}")]
    Unreachable(String),
    #[error("bad message: {0}")]
    Codec(String),
}

impl RangeNetwork {
    async fn send<Req, Resp, E>(
        &self,
        kind: u32,
        req: &Req,
        option: &RPCOption,
    ) -> Result<Result<Resp, RaftError<u64, E>>, SendError>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        E: DeserializeOwned + std::error::Error,
    {
        let payload = bincode::serialize(req).map_err(|e| SendError::Codec(e.to_string()))?;
        // openraft's deadline is the heartbeat interval, sized for empty
        // heartbeats. A payload carrying entries (a bulk write) needs time to
        // cross the wire and be fsynced: allow it about 10 ms per 100 KiB on
        // top, so big appends do not time out, back off and cost elections.
        let ttl =
            option.hard_ttl() + Duration::from_millis((payload.len() / (100 * 1024)) as u64 * 10);
        let mut client = self
            .pool
            .client(&self.addr)
            .map_err(|e| SendError::Unreachable(e.to_string()))?;
        let msg = RaftMessage {
            range_id: self.range_id,
            kind,
            payload,
        };
        let call = client.raft(msg);
        let reply = match tokio::time::timeout(ttl, call).await {
            Ok(Ok(r)) => r.into_inner(),
            Ok(Err(status)) => {
                metrics::counter!("rangedb_rpc_errors_total", "kind" => "raft").increment(1);
                return Err(SendError::Unreachable(format!(
                    "{}: {}",
                    status.code(),
                    status.message()
                )));
            }
            Err(_) => {
                metrics::counter!("rangedb_rpc_errors_total", "kind" => "raft_timeout")
                    .increment(1);
                return Err(SendError::Unreachable(format!("timed out after {:?}", ttl)));
            }
        };
        bincode::deserialize(&reply.data).map_err(|e| SendError::Codec(e.to_string()))
    }

    fn map<Resp, E: std::error::Error>(
        &self,
        r: Result<Result<Resp, RaftError<u64, E>>, SendError>,
    ) -> Result<Resp, RPCError<u64, BasicNode, RaftError<u64, E>>> {
        match r {
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(remote)) => Err(RPCError::RemoteError(RemoteError::new(self.target, remote))),
            Err(e @ SendError::Unreachable(_)) => Err(RPCError::Unreachable(Unreachable::new(&e))),
            Err(e @ SendError::Codec(_)) => Err(RPCError::Network(NetworkError::new(&e))),
        }
    }
}

impl RaftNetwork<TypeConfig> for RangeNetwork {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<u64>, RPCError<u64, BasicNode, RaftError<u64>>> {
        let r = self.send(raft_kind::APPEND_ENTRIES, &rpc, &option).await;
        self.map(r)
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<u64>,
        RPCError<u64, BasicNode, RaftError<u64, InstallSnapshotError>>,
    > {
        let r = self.send(raft_kind::INSTALL_SNAPSHOT, &rpc, &option).await;
        self.map(r)
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<u64>,
        option: RPCOption,
    ) -> Result<VoteResponse<u64>, RPCError<u64, BasicNode, RaftError<u64>>> {
        let r = self.send(raft_kind::VOTE, &rpc, &option).await;
        self.map(r)
    }
}
