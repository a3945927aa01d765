//! One lazily-dialled HTTP/2 channel per peer address, shared by every range
//! and every request to that peer.

use crate::pb::node_client::NodeClient;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tonic::transport::{Channel, Endpoint};

/// The largest gRPC message accepted or sent (Raft batches, snapshot chunks).
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024 * 1024;

/// Cache of gRPC clients keyed by peer address. Creating a client never
/// dials; the channel connects on first use and redials after failures.
#[derive(Default)]
pub struct ConnPool {
    clients: Mutex<HashMap<String, NodeClient<Channel>>>,
}

impl ConnPool {
    /// An empty pool.
    pub fn new() -> Self {
        Self::default()
    }

    /// The client for `addr` (`host:port`), created on first use.
    pub fn client(&self, addr: &str) -> Result<NodeClient<Channel>, tonic::transport::Error> {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = clients.get(addr) {
            return Ok(c.clone());
        }
        let channel = Endpoint::from_shared(format!("http://{addr}"))?
            .connect_timeout(Duration::from_secs(2))
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(5))
            .keep_alive_timeout(Duration::from_secs(5))
            .keep_alive_while_idle(true)
            .connect_lazy();
        let client = NodeClient::new(channel)
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES);
        clients.insert(addr.to_string(), client.clone());
        Ok(client)
    }
}
