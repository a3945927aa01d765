//! The listener: accepts sockets, runs one task per connection, routes
//! CancelRequests and drains connections on shutdown.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use pgwire::messages::startup::{BackendKeyData, SecretKey};
use pgwire::messages::PgWireBackendMessage;
use rangedb_sqltypes::session::{SqlService, SqlSession};
use rangedb_sqltypes::SqlError;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::cancel::CancelRegistry;
use crate::connection::Connection;
use crate::encode::{error_response, Severity};
use crate::error::ConnectionError;
use crate::startup::{handshake, Handshake};
use crate::wire::Wire;

/// How long a client may take to finish the startup handshake.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// Pause after a failed accept (e.g. out of file descriptors) so the loop
/// does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// A PostgreSQL wire-protocol server for one [`SqlService`].
///
/// Holds the cancel-key registry shared by the server's connections, so it
/// must outlive them; [`PgServer::serve`] returns only after every
/// connection has ended.
pub struct PgServer<S: SqlService> {
    service: Arc<S>,
    cancels: Arc<CancelRegistry>,
}

impl<S: SqlService> PgServer<S> {
    /// A server that opens sessions on `service`.
    pub fn new(service: Arc<S>) -> Self {
        PgServer {
            service,
            cancels: CancelRegistry::new(),
        }
    }

    /// The cancel keys of this server's live sessions (exposed for
    /// observability and tests).
    pub fn cancel_registry(&self) -> &Arc<CancelRegistry> {
        &self.cancels
    }

    /// Accepts connections on `listener` until `shutdown` resolves, then
    /// stops accepting, cancels running statements, tells idle clients
    /// (FATAL 57P01) and waits for every connection to close its session.
    pub async fn serve(&self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut connections = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        tracing::debug!(%peer, "pgwire connection accepted");
                        connections.spawn(serve_connection(
                            stream,
                            Arc::clone(&self.service),
                            Arc::clone(&self.cancels),
                            stop_rx.clone(),
                        ));
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "pgwire accept failed");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                    }
                },
                Some(joined) = connections.join_next(), if !connections.is_empty() => {
                    log_join(joined);
                }
            }
        }
        drop(listener);
        let _ = stop_tx.send(true);
        self.cancels.cancel_all();
        while let Some(joined) = connections.join_next().await {
            log_join(joined);
        }
    }
}

/// Serves `service` on `listener` until `shutdown` resolves; see
/// [`PgServer::serve`]. The entry point a node binary calls.
pub async fn serve<S: SqlService>(
    listener: TcpListener,
    service: Arc<S>,
    shutdown: impl Future<Output = ()>,
) {
    PgServer::new(service).serve(listener, shutdown).await
}

fn log_join(joined: Result<(), tokio::task::JoinError>) {
    if let Err(err) = joined {
        tracing::error!(error = %err, "pgwire connection task failed");
    }
}

/// One connection from accept to close.
async fn serve_connection<S: SqlService>(
    stream: TcpStream,
    service: Arc<S>,
    cancels: Arc<CancelRegistry>,
    shutdown: watch::Receiver<bool>,
) {
    // Small request/response messages must not wait for Nagle's algorithm.
    if let Err(err) = stream.set_nodelay(true) {
        tracing::debug!(error = %err, "cannot set TCP_NODELAY");
    }
    let peer = stream.peer_addr().ok();
    let mut wire = Wire::new(stream);
    let outcome = match tokio::time::timeout(STARTUP_TIMEOUT, handshake(&mut wire, &*service)).await
    {
        Ok(outcome) => outcome,
        Err(_) => Err(ConnectionError::StartupTimeout),
    };
    let session = match outcome {
        Ok(Handshake::Session(session)) => session,
        Ok(Handshake::Cancel { pid, secret }) => {
            let found = cancels.cancel(pid, secret);
            tracing::debug!(pid, found, "pgwire cancel request");
            wire.close().await;
            return;
        }
        Ok(Handshake::Closed) => {
            wire.close().await;
            return;
        }
        Err(err) => {
            tracing::debug!(?peer, error = %err, "pgwire startup failed");
            wire.close().await;
            return;
        }
    };

    let registration = cancels.register(session.cancel_token());
    let mut conn = Connection::new(wire, session, shutdown);
    let served = AssertUnwindSafe(async {
        start(&mut conn, registration.pid, registration.secret).await?;
        conn.run().await
    })
    .catch_unwind()
    .await;
    match served {
        Ok(Ok(())) => {}
        Ok(Err(err)) => {
            tracing::debug!(?peer, error = %err, "pgwire connection ended with an error");
        }
        Err(_) => {
            // An engine bug panicked mid-statement. The client gets a FATAL
            // error instead of a silent close, and the session is still
            // closed so that its transaction does not linger.
            tracing::error!(?peer, "pgwire connection panicked; closing it");
            let err = SqlError::internal("internal error; the connection will be closed");
            let _ = conn.send(error_response(&err, Severity::Fatal)).await;
        }
    }
    conn.session.close().await;
    drop(registration);
    conn.wire.close().await;
}

/// BackendKeyData and the first ReadyForQuery.
async fn start<S: SqlSession>(
    conn: &mut Connection<S>,
    pid: i32,
    secret: i32,
) -> Result<(), ConnectionError> {
    conn.send(PgWireBackendMessage::BackendKeyData(BackendKeyData::new(
        pid,
        SecretKey::I32(secret),
    )))
    .await?;
    conn.ready_for_query().await
}
