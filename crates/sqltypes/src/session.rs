//! The interface between the wire frontend and the SQL engine.
//!
//! The frontend (`rangedb-pgwire`) owns sockets, message framing, formats and
//! portals; the engine (`rangedb-sql`) owns parsing, planning, transactions
//! and session settings. They meet here so that the frontend can be tested
//! against a scripted engine and the engine against no network at all.
//!
//! One [`SqlSession`] exists per client connection and is driven by one task,
//! so its methods take `&mut self`; only the [`CancelToken`] crosses tasks.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;

use crate::error::SqlError;
use crate::types::DataType;
use crate::value::{EvalContext, Row};

/// A result column as RowDescription reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: DataType,
    /// OID of the table the column comes from, 0 for expressions.
    pub table_oid: u32,
    /// Attribute number in that table, 0 for expressions.
    pub column_id: i16,
}

impl Column {
    /// A computed column (no source table).
    pub fn new(name: impl Into<String>, ty: DataType) -> Column {
        Column {
            name: name.into(),
            ty,
            table_oid: 0,
            column_id: 0,
        }
    }
}

/// The text formats of COPY.
#[derive(Debug, Clone, PartialEq)]
pub enum CopyFormat {
    /// PostgreSQL's default tab-separated format with `\N` for NULL;
    /// `header`: a first line of column names (skipped on input).
    Text {
        delimiter: char,
        null: String,
        header: bool,
    },
    /// CSV: `quote` for quoting, empty unquoted field for NULL by default.
    Csv {
        delimiter: char,
        null: String,
        quote: char,
        escape: char,
        header: bool,
    },
}

/// What one statement produced.
#[derive(Debug, Clone)]
pub enum StatementOutput {
    /// Rows (SELECT, SHOW, or DML with RETURNING) and the command tag
    /// (`SELECT 3`, `INSERT 0 3`).
    Rows {
        columns: Vec<Column>,
        rows: Vec<Row>,
        tag: String,
    },
    /// Rows still being produced (a large SELECT): `first` now, the rest
    /// from [`SqlSession::fetch`] until it returns the command tag, so the
    /// result never sits in memory whole. The frontend must drain it before
    /// it sends the session anything else.
    Streaming {
        columns: Vec<Column>,
        first: Vec<Row>,
    },
    /// A statement without rows: its command tag (`CREATE TABLE`, `BEGIN`,
    /// `UPDATE 7`).
    Command { tag: String },
    /// `COPY ... FROM STDIN`: the frontend answers CopyInResponse with this
    /// many columns, feeds CopyData to [`SqlSession::copy_in_data`] and ends
    /// with [`SqlSession::copy_in_done`] or [`SqlSession::copy_in_fail`].
    CopyIn { columns: usize, format: CopyFormat },
    /// `COPY ... TO STDOUT`: the rows already encoded in `format`, one
    /// CopyData message per element of `data`, then CopyDone and the tag.
    CopyOut {
        columns: usize,
        format: CopyFormat,
        data: Vec<Vec<u8>>,
        tag: String,
    },
    /// An empty query string (EmptyQueryResponse).
    Empty,
    /// `DEALLOCATE name` / `DEALLOCATE ALL`: prepared statements belong to
    /// the frontend, which drops the named one (every one for `None`) and
    /// answers `DEALLOCATE` / `DEALLOCATE ALL`, or 26000 for an unknown name
    /// (then telling the session with [`SqlSession::fail_transaction`]).
    Deallocate { name: Option<String> },
}

/// The transaction state reported in ReadyForQuery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionStatus {
    /// `I`: not in a transaction block.
    Idle,
    /// `T`: inside BEGIN ... COMMIT.
    InBlock,
    /// `E`: a statement failed inside a block; only ROLLBACK is accepted.
    Failed,
}

/// A statement parsed and typed by [`SqlSession::prepare`].
#[derive(Debug, Clone)]
pub struct PreparedInfo<S> {
    /// The engine's own form of the statement, handed back on execute.
    pub statement: S,
    /// One type per `$n` parameter: the client's declared type where it gave
    /// one, otherwise what the engine inferred (ParameterDescription).
    pub param_types: Vec<DataType>,
    /// Result columns (RowDescription), `None` for statements without rows
    /// (NoData).
    pub columns: Option<Vec<Column>>,
}

/// Lets another task ask a running statement to stop (CancelRequest). The
/// engine checks it between batches and fails the statement with 57014.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// Requests cancellation of whatever the session runs now.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether cancellation was requested since the last [`Self::reset`].
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// Clears a request; the engine calls this when a statement starts so
    /// that a late cancel does not hit the next one.
    pub fn reset(&self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// One client connection's SQL session.
#[async_trait]
pub trait SqlSession: Send {
    /// The engine's prepared-statement form.
    type Statement: Clone + Send + Sync + 'static;

    /// Runs a simple-protocol query string, which may hold several
    /// statements. Returns one result per statement executed; execution stops
    /// after the first error, which is the last element. Statements of one
    /// string without an explicit BEGIN run as one implicit transaction, as
    /// in PostgreSQL.
    async fn simple_query(&mut self, sql: &str) -> Vec<Result<StatementOutput, SqlError>>;

    /// Parses and types one statement for the extended protocol. `param_types`
    /// has the client's declared types (`None` = let the engine infer).
    async fn prepare(
        &mut self,
        sql: &str,
        param_types: &[Option<DataType>],
    ) -> Result<PreparedInfo<Self::Statement>, SqlError>;

    /// Tells the session, before an Execute, whether the client sent more
    /// Executes before the next Sync (`true` also when the frontend cannot
    /// tell yet). Everything up to a Sync is one implicit transaction, as in
    /// PostgreSQL; a lone Execute before its Sync may run as an autocommit
    /// statement (which the engine can retry invisibly on a conflict).
    fn more_before_sync(&mut self, _more: bool) {}

    /// Executes a prepared statement with decoded parameters.
    async fn execute(
        &mut self,
        statement: &Self::Statement,
        params: Vec<crate::value::Value>,
    ) -> Result<StatementOutput, SqlError>;

    /// The next rows (at most `max`) of a [`StatementOutput::Streaming`]
    /// result, with the command tag once the last row is out. An error ends
    /// the statement (the rows sent so far stand, as in PostgreSQL).
    async fn fetch(&mut self, _max: usize) -> Result<(Vec<Row>, Option<String>), SqlError> {
        Err(SqlError::new(
            crate::SqlState::PROTOCOL_VIOLATION,
            "no result rows are pending",
        ))
    }

    /// The frontend could not deliver a [`StatementOutput::Streaming`]
    /// result to its end (a row failed to encode, the client asked for
    /// impossible formats) and told the client `error`: the session drops
    /// the result, ends the autocommit transaction it ran in, and fails an
    /// explicit block.
    async fn abandon_stream(&mut self, _error: &SqlError) {}

    /// A message failed in the frontend rather than in the session (a Bind
    /// with bad parameters, a missing portal, a DEALLOCATE of an unknown
    /// statement, a row that cannot be sent): the session fails the current
    /// transaction block, explicit or implicit, as any error does in
    /// PostgreSQL. Harmless when there is no block or it already failed.
    async fn fail_transaction(&mut self) {}

    /// Receives one CopyData payload of a running `COPY FROM STDIN`.
    async fn copy_in_data(&mut self, data: &[u8]) -> Result<(), SqlError>;

    /// Ends a `COPY FROM STDIN` (CopyDone): returns the `COPY n` tag.
    async fn copy_in_done(&mut self) -> Result<StatementOutput, SqlError>;

    /// Aborts a `COPY FROM STDIN` (CopyFail) with the client's message; the
    /// returned error is what the client is told.
    async fn copy_in_fail(&mut self, message: &str) -> SqlError;

    /// The status for the next ReadyForQuery.
    fn transaction_status(&self) -> TransactionStatus;

    /// Marks the end of an extended-protocol message sequence (Sync): an
    /// implicit transaction opened by Execute commits (or, after an error,
    /// rolls back) here.
    async fn sync(&mut self) -> Result<(), SqlError>;

    /// Server parameters whose value changed since the last call (SET
    /// TimeZone, ...), to report as ParameterStatus messages.
    fn take_parameter_changes(&mut self) -> Vec<(String, String)>;

    /// The token that cancels this session's running statement.
    fn cancel_token(&self) -> CancelToken;

    /// Formatting context (time zone, float digits) for encoding values.
    fn eval_context(&self) -> EvalContext;

    /// Called when the connection closes: rolls back an open transaction.
    async fn close(&mut self);
}

/// Creates sessions for new connections.
pub trait SqlService: Send + Sync + 'static {
    /// The session type this service creates.
    type Session: SqlSession + 'static;

    /// Opens a session for `user` on `database` with the startup packet's
    /// other parameters (application_name, client_encoding, options, ...).
    /// Fails with 3D000 for an unknown database.
    fn connect(
        &self,
        user: &str,
        database: &str,
        startup_params: &[(String, String)],
    ) -> Result<Self::Session, SqlError>;

    /// ParameterStatus messages sent after authentication (server_version,
    /// server_encoding, client_encoding, DateStyle, TimeZone,
    /// integer_datetimes, standard_conforming_strings, ...).
    fn startup_parameters(&self, session: &Self::Session) -> Vec<(String, String)>;
}
