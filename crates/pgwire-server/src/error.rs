//! Errors that end a connection, as opposed to [`SqlError`]s, which are
//! reported to the client and leave the connection usable.

use rangedb_sqltypes::SqlError;

/// Why a client connection ended abnormally. None of these reach the client
/// as a query error: they are logged and the socket is closed (after a FATAL
/// ErrorResponse where the protocol still allows one).
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// Reading from or writing to the socket failed.
    #[error("socket error: {0}")]
    Io(#[from] std::io::Error),
    /// The client sent bytes that are not a valid message in the current
    /// state; the stream can no longer be trusted to be in sync.
    #[error("protocol violation: {0}")]
    Protocol(String),
    /// A backend message could not be encoded (too large for its type).
    #[error("cannot encode {what}: {reason}")]
    Encode { what: &'static str, reason: String },
    /// The client closed the socket in the middle of an exchange that needed
    /// more messages (COPY data, startup).
    #[error("client disconnected mid-exchange")]
    UnexpectedEof,
    /// The client did not finish the startup handshake in time.
    #[error("startup handshake timed out")]
    StartupTimeout,
    /// The server is shutting down while the connection waited for the
    /// client (between queries or inside COPY FROM STDIN).
    #[error("server shutting down")]
    Shutdown,
    /// A Query or Parse whose text is not UTF-8. The frame was well formed,
    /// so the stream is in sync: the connection reports `error` (22021)
    /// like a failed statement and carries on. `kind` is the message type.
    #[error("message {kind:?} is not UTF-8")]
    InvalidText { kind: char, error: SqlError },
}

/// The outcome of one protocol step: a client-visible SQL error (the
/// connection carries on) or a connection-ending failure.
#[derive(Debug)]
pub(crate) enum StepError {
    /// Reported to the client as an ErrorResponse.
    Sql(SqlError),
    /// Ends the connection.
    Conn(ConnectionError),
}

impl From<SqlError> for StepError {
    fn from(e: SqlError) -> Self {
        StepError::Sql(e)
    }
}

impl From<ConnectionError> for StepError {
    fn from(e: ConnectionError) -> Self {
        StepError::Conn(e)
    }
}

impl From<std::io::Error> for StepError {
    fn from(e: std::io::Error) -> Self {
        StepError::Conn(ConnectionError::Io(e))
    }
}
