//! A thin client for one node: sends key-addressed KV requests and admin
//! requests to it. Used by the CLI, by `init` and by tests; the node it talks
//! to does the routing.

use crate::api::{AdminRequest, AdminResponse, KvRequest, KvResponse};
use rangedb_common::KvError;
use rangedb_rpc::{ConnPool, Payload};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;

/// A connection to one node's RPC address.
pub struct RemoteNode {
    addr: String,
    pool: ConnPool,
}

/// Why a call to a node failed: the node answered with an error, or the
/// transport failed.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error(transparent)]
    Kv(#[from] KvError),
    #[error("rpc to {addr} failed: {message}")]
    Transport { addr: String, message: String },
}

impl RemoteNode {
    /// A client for the node at `addr` (`host:port`); connects on first use.
    pub fn new(addr: &str) -> Self {
        Self {
            addr: addr.to_string(),
            pool: ConnPool::new(),
        }
    }

    async fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        admin: bool,
        req: &Req,
        timeout: Duration,
    ) -> Result<Resp, RemoteError> {
        let transport = |message: String| RemoteError::Transport {
            addr: self.addr.clone(),
            message,
        };
        let data = bincode::serialize(req).map_err(|e| transport(e.to_string()))?;
        let mut client = self
            .pool
            .client(&self.addr)
            .map_err(|e| transport(e.to_string()))?;
        let fut = async {
            if admin {
                client.admin(Payload { data }).await
            } else {
                client.kv(Payload { data }).await
            }
        };
        let reply = tokio::time::timeout(timeout, fut)
            .await
            .map_err(|_| transport(format!("no answer within {timeout:?}")))?
            .map_err(|s| transport(format!("{}: {}", s.code(), s.message())))?
            .into_inner();
        let result: Result<Resp, KvError> =
            bincode::deserialize(&reply.data).map_err(|e| transport(e.to_string()))?;
        Ok(result?)
    }

    /// Sends a KV request (the node routes it).
    pub async fn kv(&self, req: KvRequest) -> Result<KvResponse, RemoteError> {
        self.call(false, &req, Duration::from_secs(30)).await
    }

    /// Sends an admin request.
    pub async fn admin(&self, req: AdminRequest) -> Result<AdminResponse, RemoteError> {
        self.call(true, &req, Duration::from_secs(30)).await
    }

    /// Sends an admin request with a custom timeout.
    pub async fn admin_with_timeout(
        &self,
        req: AdminRequest,
        timeout: Duration,
    ) -> Result<AdminResponse, RemoteError> {
        self.call(true, &req, timeout).await
    }
}
