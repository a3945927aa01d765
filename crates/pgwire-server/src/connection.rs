//! One authenticated client connection: its message loop, prepared
//! statements and portals, and the helpers the protocol modules share.

use std::collections::HashMap;
use std::sync::Arc;

use pgwire::messages::response::{CommandComplete, ReadyForQuery};
use pgwire::messages::startup::ParameterStatus;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use rangedb_sqltypes::session::{SqlSession, TransactionStatus};
use rangedb_sqltypes::{SqlError, SqlState};
use tokio::sync::watch;

use crate::encode::{error_response, protocol_violation, wire_status, Severity};
use crate::error::{ConnectionError, StepError};
use crate::extended::{self, Portal, Prepared};
use crate::simple;
use crate::wire::Wire;

/// The per-connection state the protocol handlers work on.
pub(crate) struct Connection<S: SqlSession> {
    pub(crate) wire: Wire,
    pub(crate) session: S,
    /// Prepared statements by name; `""` is the unnamed one.
    pub(crate) statements: HashMap<String, Arc<Prepared<S::Statement>>>,
    /// Portals by name; `""` is the unnamed one.
    pub(crate) portals: HashMap<String, Portal<S::Statement>>,
    /// An extended-protocol message failed: discard messages until Sync.
    pub(crate) skip_until_sync: bool,
    /// Becomes true when the server shuts down.
    shutdown: watch::Receiver<bool>,
}

impl<S: SqlSession> Connection<S> {
    /// A connection whose startup phase is complete.
    pub(crate) fn new(wire: Wire, session: S, shutdown: watch::Receiver<bool>) -> Self {
        Connection {
            wire,
            session,
            statements: HashMap::new(),
            portals: HashMap::new(),
            skip_until_sync: false,
            shutdown,
        }
    }

    /// Serves messages until the client terminates, the socket fails or the
    /// server shuts down. The caller closes the session afterwards.
    pub(crate) async fn run(&mut self) -> Result<(), ConnectionError> {
        loop {
            match self.step().await {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(ConnectionError::Shutdown) => {
                    let err = SqlError::new(
                        SqlState::ADMIN_SHUTDOWN,
                        "terminating connection due to administrator command",
                    );
                    self.wire
                        .send(error_response(&err, Severity::Fatal))
                        .await?;
                    self.wire.flush().await?;
                    return Ok(());
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// The next client message, or [`ConnectionError::Shutdown`] if the
    /// server stops first; `None` when the client closed the socket.
    pub(crate) async fn next_message(
        &mut self,
    ) -> Result<Option<PgWireFrontendMessage>, ConnectionError> {
        tokio::select! {
            biased;
            _ = shutdown_requested(&mut self.shutdown) => Err(ConnectionError::Shutdown),
            message = self.wire.read() => message,
        }
    }

    /// Handles one message; false once the client is done.
    async fn step(&mut self) -> Result<bool, ConnectionError> {
        let message = match self.next_message().await {
            Ok(Some(message)) => message,
            Ok(None) => return Ok(false),
            Err(ConnectionError::InvalidText { kind, error }) => {
                self.reject_text(kind, error).await?;
                return Ok(true);
            }
            Err(err) => return Err(err),
        };
        if self.skip_until_sync
            && !matches!(
                message,
                PgWireFrontendMessage::Sync(_) | PgWireFrontendMessage::Terminate(_)
            )
        {
            return Ok(true);
        }
        match message {
            PgWireFrontendMessage::Query(query) => simple::query(self, &query.query).await?,
            PgWireFrontendMessage::Parse(parse) => {
                let result = extended::parse(self, parse).await;
                self.finish_extended_step(result).await?
            }
            PgWireFrontendMessage::Bind(bind) => {
                let result = extended::bind(self, bind).await;
                self.finish_extended_step(result).await?
            }
            PgWireFrontendMessage::Describe(describe) => {
                let result = extended::describe(self, describe).await;
                self.finish_extended_step(result).await?
            }
            PgWireFrontendMessage::Execute(execute) => {
                let result = extended::execute(self, execute).await;
                self.finish_extended_step(result).await?
            }
            PgWireFrontendMessage::Close(close) => {
                let result = extended::close(self, close).await;
                self.finish_extended_step(result).await?
            }
            PgWireFrontendMessage::Sync(_) => extended::sync(self).await?,
            PgWireFrontendMessage::Flush(_) => self.wire.flush().await?,
            PgWireFrontendMessage::Terminate(_) => return Ok(false),
            // Leftovers of a COPY that already failed; PostgreSQL ignores
            // them too so the client can finish sending.
            PgWireFrontendMessage::CopyData(_)
            | PgWireFrontendMessage::CopyDone(_)
            | PgWireFrontendMessage::CopyFail(_) => {}
            other => {
                let err = protocol_violation(format!(
                    "unexpected message {} after startup",
                    frontend_name(&other)
                ));
                self.wire
                    .send(error_response(&err, Severity::Fatal))
                    .await?;
                self.wire.flush().await?;
                return Err(ConnectionError::Protocol(err.message));
            }
        }
        Ok(true)
    }

    /// Reports an extended-protocol step's SQL error and starts discarding
    /// messages until Sync; connection errors pass through.
    async fn finish_extended_step(
        &mut self,
        result: Result<(), StepError>,
    ) -> Result<(), ConnectionError> {
        match result {
            Ok(()) => Ok(()),
            Err(StepError::Sql(err)) => {
                // Any error fails the transaction, also one raised here
                // rather than in the session (a bad Bind, a missing portal).
                self.session.fail_transaction().await;
                self.skip_until_sync = true;
                self.send_error(&err).await
            }
            Err(StepError::Conn(err)) => Err(err),
        }
    }

    /// Answers a Query or Parse whose text is not UTF-8 as PostgreSQL
    /// does: an error that fails the transaction; a Query then gets its
    /// ReadyForQuery, a Parse skips to the next Sync like any failed step.
    async fn reject_text(&mut self, kind: char, error: SqlError) -> Result<(), ConnectionError> {
        if self.skip_until_sync {
            return Ok(());
        }
        if kind == 'Q' {
            self.session.fail_transaction().await;
            self.send_error(&error).await?;
            self.ready_for_query().await
        } else {
            self.finish_extended_step(Err(StepError::Sql(error))).await
        }
    }

    /// Carries out `DEALLOCATE`: prepared statements live here, not in the
    /// session. Returns the command tag.
    pub(crate) fn deallocate(&mut self, name: Option<String>) -> Result<String, SqlError> {
        match name {
            None => {
                self.statements.clear();
                Ok("DEALLOCATE ALL".into())
            }
            Some(name) => match self.statements.remove(&name) {
                Some(_) => Ok("DEALLOCATE".into()),
                None => Err(SqlError::new(
                    SqlState::INVALID_SQL_STATEMENT_NAME,
                    format!("prepared statement \"{name}\" does not exist"),
                )),
            },
        }
    }

    /// Queues a backend message.
    pub(crate) async fn send(
        &mut self,
        message: PgWireBackendMessage,
    ) -> Result<(), ConnectionError> {
        self.wire.send(message).await
    }

    /// Queues CommandComplete with `tag`.
    pub(crate) async fn command_complete(&mut self, tag: String) -> Result<(), ConnectionError> {
        self.send(PgWireBackendMessage::CommandComplete(CommandComplete::new(
            tag,
        )))
        .await
    }

    /// Queues an ERROR-level ErrorResponse.
    pub(crate) async fn send_error(&mut self, err: &SqlError) -> Result<(), ConnectionError> {
        self.send(error_response(err, Severity::Error)).await
    }

    /// Reports settings the last statement changed (SET TimeZone, ...).
    pub(crate) async fn send_parameter_changes(&mut self) -> Result<(), ConnectionError> {
        for (name, value) in self.session.take_parameter_changes() {
            self.send(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(
                name, value,
            )))
            .await?;
        }
        Ok(())
    }

    /// Ends a query cycle: portals die with their transaction, and the client
    /// learns the transaction status.
    pub(crate) async fn ready_for_query(&mut self) -> Result<(), ConnectionError> {
        let status = self.session.transaction_status();
        if status == TransactionStatus::Idle {
            self.portals.clear();
        }
        self.send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(
            wire_status(status),
        )))
        .await?;
        self.wire.flush().await
    }
}

/// Resolves once the server asks connections to stop; never if the server
/// dropped the sender without asking.
async fn shutdown_requested(shutdown: &mut watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow_and_update() {
            return;
        }
        if shutdown.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

fn frontend_name(message: &PgWireFrontendMessage) -> &'static str {
    match message {
        PgWireFrontendMessage::SslNegotiation(_) => "SSLRequest",
        PgWireFrontendMessage::Startup(_) => "StartupMessage",
        PgWireFrontendMessage::CancelRequest(_) => "CancelRequest",
        PgWireFrontendMessage::PasswordMessageFamily(_) => "PasswordMessage",
        PgWireFrontendMessage::PortalSuspended(_) => "PortalSuspended",
        _ => "message",
    }
}
