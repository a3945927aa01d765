//! SQL sessions: statement dispatch, transaction blocks, session settings,
//! COPY, and the `SqlSession` / `SqlService` interface for the wire
//! frontend.

mod copy;
mod cursor;
mod settings;

use std::sync::Arc;

use async_trait::async_trait;
use rangedb_sqltypes::session::{
    CancelToken, Column, PreparedInfo, SqlService, SqlSession, StatementOutput, TransactionStatus,
};
use rangedb_sqltypes::{DataType, EvalContext, Row, SqlError, SqlState, Value};
use rangedb_txn::{Isolation, StatementEnd, Transaction, TxnClient};
use sqlparser::ast::{self, Statement};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};

use crate::catalog::cache::CatalogCache;
use crate::catalog::Catalog;
use crate::ddl;
use crate::dml;
use crate::error::txn_error;
use crate::exec::{build, run_plan, ExecCtx, SequenceState};
use crate::plan::binder::{Binder, SessionFacts};
use crate::plan::explain::explain;
use crate::plan::scope::Scope;
pub use settings::Settings;

/// The server version reported to clients: PostgreSQL 15 compatible.
pub const SERVER_VERSION: &str = "15.0";

/// `version()`.
pub fn version_string() -> String {
    format!(
        "PostgreSQL {SERVER_VERSION} (rangedb {}) on x86_64-pc-linux-gnu",
        env!("CARGO_PKG_VERSION")
    )
}

/// How many times an implicit (autocommit) statement is retried after a
/// serialization conflict before the client sees 40001.
const AUTOCOMMIT_RETRIES: usize = 10;

/// How many times a statement of an explicit transaction runs again after
/// its read refresh before the transaction gives up with 40001.
const STATEMENT_RESTARTS: usize = 20;

/// sqlparser reads COPY's boolean options only as TRUE/FALSE, while
/// PostgreSQL (and pgbench's `copy ... with (freeze on)`) also writes ON/OFF:
/// spell those the way the parser accepts. Only a COPY whose option list
/// fails to parse is touched.
fn normalize_copy_options(sql: &str) -> Option<String> {
    let trimmed = sql.trim_start();
    // PostgreSQL's `VACUUM [ANALYZE|VERBOSE|FULL|(...)] [table]` (pgbench -i
    // runs it) is a no-op here; sqlparser knows only Redshift's VACUUM form.
    let starts_with = |word: &str| {
        trimmed
            .get(..word.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(word))
    };
    if starts_with("vacuum") && !trimmed.contains(';') {
        return Some("VACUUM".into());
    }
    if !starts_with("copy") {
        return None;
    }
    let open = sql.rfind('(')?;
    let (head, options) = sql.split_at(open);
    let fixed: String = options
        .split(',')
        .map(|part| {
            let lower = part.to_ascii_lowercase();
            let t = lower.trim_end_matches([')', ' ', ';', '\n']);
            if t.ends_with(" on") || t.ends_with(" off") {
                let cut = part
                    .to_ascii_lowercase()
                    .rfind(if t.ends_with(" on") { " on" } else { " off" })
                    .unwrap_or(part.len());
                let value = if t.ends_with(" on") {
                    " true"
                } else {
                    " false"
                };
                format!(
                    "{}{}{}",
                    &part[..cut],
                    value,
                    &part[cut + if t.ends_with(" on") { 3 } else { 4 }..]
                )
            } else {
                part.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    Some(format!("{head}{fixed}"))
}

/// How deep the parser may recurse (parentheses, subqueries, prefix
/// operators) before a statement is refused with 54001; as deep as the
/// binder goes ([`crate::plan::binder`]'s expression limit).
const MAX_PARSE_DEPTH: usize = 1000;
/// The stack a deep statement is parsed on: sqlparser's frames take a few
/// KiB per nesting level, far more than a tokio worker's 2 MiB allow for
/// [`MAX_PARSE_DEPTH`] levels.
const DEEP_PARSE_STACK: usize = 256 * 1024 * 1024;

/// Parses with sqlparser's default depth limit (50) on the current stack
/// and, for the rare statement that nests deeper, again on a large stack
/// of its own with [`MAX_PARSE_DEPTH`]: the big stack is only mapped (and
/// only touched as deep as needed) when a statement needs it.
fn parse_statements(sql: &str) -> Result<Vec<Statement>, ParserError> {
    match Parser::parse_sql(&PostgreSqlDialect {}, sql) {
        Err(ParserError::RecursionLimitExceeded) => stacker::grow(DEEP_PARSE_STACK, || {
            Parser::new(&PostgreSqlDialect {})
                .with_recursion_limit(MAX_PARSE_DEPTH)
                .try_with_sql(sql)
                .and_then(|mut p| p.parse_statements())
        }),
        other => other,
    }
}

/// Parses SQL with the PostgreSQL dialect; errors are 42601, nesting
/// beyond [`MAX_PARSE_DEPTH`] is 54001.
pub fn parse(sql: &str) -> Result<Vec<Statement>, SqlError> {
    let first = parse_statements(sql);
    let result = match (first, normalize_copy_options(sql)) {
        (Err(e), Some(fixed)) => parse_statements(&fixed).map_err(|_| e),
        (r, _) => r,
    };
    result.map_err(|e| {
        if let ParserError::RecursionLimitExceeded = e {
            return SqlError::new(
                SqlState::STATEMENT_TOO_COMPLEX,
                format!("statement nests deeper than {MAX_PARSE_DEPTH} levels"),
            );
        }
        let msg = e.to_string();
        let msg = msg
            .strip_prefix("sql parser error: ")
            .unwrap_or(&msg)
            .to_string();
        SqlError::syntax(format!("syntax error: {msg}"))
    })
}

/// Parses one stored expression (DEFAULT, CHECK).
pub fn parse_expr(sql: &str) -> Result<ast::Expr, SqlError> {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| SqlError::internal(format!("stored expression {sql:?} does not parse: {e}")))
}

/// What every session of a node shares: the transaction client and the
/// catalog cache.
struct Shared {
    client: Arc<TxnClient>,
    catalog: CatalogCache,
}

/// One node's SQL engine; creates sessions for the wire frontend.
pub struct Engine {
    shared: Arc<Shared>,
}

impl Engine {
    /// An engine over the node's transaction client.
    pub fn new(client: Arc<TxnClient>) -> Arc<Engine> {
        Arc::new(Engine {
            shared: Arc::new(Shared {
                client,
                catalog: CatalogCache::default(),
            }),
        })
    }

    /// Opens a session directly (tests, embedded use).
    pub fn session(&self, user: &str) -> Result<Session, SqlError> {
        self.connect(user, "postgres", &[])
    }
}

/// A statement prepared by the extended protocol.
#[derive(Debug, Clone)]
pub struct Prepared {
    statement: Option<Statement>,
    param_types: Vec<DataType>,
}

enum TxnState {
    Idle,
    /// A transaction block. `implicit` when no BEGIN opened it: the
    /// statements of one multi-statement Query, or the Executes before a
    /// Sync, run as one transaction that ends with the Query or at the
    /// Sync (a BEGIN inside makes it explicit, as in PostgreSQL).
    Block {
        txn: Box<Transaction>,
        ddl: bool,
        implicit: bool,
    },
    /// A statement of the block failed: everything but ROLLBACK (or COMMIT,
    /// which rolls back) is 25P02; an implicit block ends with its Query or
    /// at the Sync.
    Failed {
        implicit: bool,
    },
}

/// One client connection.
pub struct Session {
    engine: Arc<Shared>,
    facts: SessionFacts,
    settings: Settings,
    state: TxnState,
    next_isolation: Option<Isolation>,
    block_isolation: Isolation,
    /// The open block was begun (or set) READ ONLY: writes are 25006.
    block_read_only: bool,
    cancel: CancelToken,
    sequences: SequenceState,
    copy: Option<copy::CopyIn>,
    /// A SELECT whose result is being streamed.
    cursor: Option<cursor::Cursor>,
    /// The catalog the transaction with this start timestamp read.
    txn_catalog: Option<(rangedb_common::Timestamp, Arc<Catalog>)>,
    /// A SELECT `run_in_txn` left running, for its caller to make a cursor.
    open_query: Option<cursor::OpenQuery>,
    /// Whether the statement being run may stream its result (the only or
    /// last thing the frontend sends before draining it).
    stream_ok: bool,
    transaction_start: chrono::DateTime<chrono::Utc>,
    /// The settings when the open block began: a rollback restores them,
    /// since SET is transactional in PostgreSQL.
    block_settings: Option<Settings>,
    /// Values to restore when the block ends, for parameters set with SET
    /// LOCAL.
    local_restore: std::collections::BTreeMap<String, String>,
    /// The frontend said more Executes follow before the next Sync: the
    /// next statement opens an implicit block instead of committing alone.
    more_before_sync: bool,
    /// When the running statement must give up (statement_timeout).
    statement_deadline: Option<tokio::time::Instant>,
}

impl SqlService for Engine {
    type Session = Session;

    fn connect(
        &self,
        user: &str,
        database: &str,
        startup: &[(String, String)],
    ) -> Result<Session, SqlError> {
        if database != "postgres" {
            return Err(SqlError::new(
                SqlState::INVALID_CATALOG_NAME,
                format!("database \"{database}\" does not exist"),
            ));
        }
        let mut settings = Settings::default();
        for (k, v) in startup {
            let _ = settings.set(k, v);
        }
        Ok(Session {
            engine: self.shared.clone(),
            facts: SessionFacts {
                user: user.to_string(),
                database: database.to_string(),
                settings: settings.values(),
            },
            settings,
            state: TxnState::Idle,
            next_isolation: None,
            block_isolation: Isolation::Serializable,
            block_read_only: false,
            cancel: CancelToken::default(),
            sequences: SequenceState::default(),
            copy: None,
            cursor: None,
            txn_catalog: None,
            open_query: None,
            stream_ok: false,
            transaction_start: chrono::Utc::now(),
            block_settings: None,
            local_restore: std::collections::BTreeMap::new(),
            more_before_sync: false,
            statement_deadline: None,
        })
    }

    fn startup_parameters(&self, session: &Session) -> Vec<(String, String)> {
        session.settings.reported()
    }
}

fn is_transaction_control(s: &Statement) -> bool {
    matches!(
        s,
        Statement::StartTransaction { .. }
            | Statement::Commit { .. }
            | Statement::Rollback { .. }
            | Statement::Savepoint { .. }
            | Statement::ReleaseSavepoint { .. }
    )
}

/// READ ONLY / READ WRITE among a BEGIN's or SET TRANSACTION's modes.
fn read_only_of(modes: &[ast::TransactionMode]) -> Option<bool> {
    modes.iter().find_map(|m| match m {
        ast::TransactionMode::AccessMode(mode) => {
            Some(matches!(mode, ast::TransactionAccessMode::ReadOnly))
        }
        _ => None,
    })
}

/// The command tag PostgreSQL names in "cannot execute ... in a read-only
/// transaction", for statements that write; `None` for those that do not.
fn write_command(stmt: &Statement) -> Option<&'static str> {
    Some(match stmt {
        Statement::Insert(_) => "INSERT",
        Statement::Update(_) => "UPDATE",
        Statement::Delete(_) => "DELETE",
        Statement::Truncate(_) => "TRUNCATE TABLE",
        Statement::CreateTable(_) => "CREATE TABLE",
        Statement::CreateIndex(_) => "CREATE INDEX",
        Statement::CreateSequence { .. } => "CREATE SEQUENCE",
        Statement::AlterTable(_) => "ALTER TABLE",
        Statement::Drop { .. } => "DROP",
        Statement::Copy { to: false, .. } => "COPY FROM",
        // WITH ... INSERT/UPDATE/DELETE
        Statement::Query(q) => match q.body.as_ref() {
            ast::SetExpr::Insert(_) => "INSERT",
            ast::SetExpr::Update(_) => "UPDATE",
            ast::SetExpr::Delete(_) => "DELETE",
            _ => return None,
        },
        _ => return None,
    })
}

fn isolation_of(modes: &[ast::TransactionMode]) -> Option<Isolation> {
    modes.iter().find_map(|m| match m {
        ast::TransactionMode::IsolationLevel(level) => Some(match level {
            ast::TransactionIsolationLevel::Serializable => Isolation::Serializable,
            // READ COMMITTED and READ UNCOMMITTED are upgraded to snapshot
            // isolation (PostgreSQL may run any level stronger than asked).
            _ => Isolation::RepeatableRead,
        }),
        _ => None,
    })
}

impl Session {
    fn eval_ctx(&self) -> EvalContext {
        EvalContext {
            timezone: self.settings.timezone(),
            transaction_start: self.transaction_start,
            extra_float_digits: self.settings.extra_float_digits(),
        }
    }

    /// SHOW of the running transaction's characteristics (the open
    /// block's, else the defaults the next transaction gets).
    fn show_transaction_state(&self, name: &str) -> Option<(&'static str, String)> {
        let in_block = matches!(self.state, TxnState::Block { .. });
        match name {
            "transaction_isolation" => {
                let iso = if in_block {
                    self.block_isolation
                } else {
                    self.next_isolation
                        .unwrap_or_else(|| self.default_isolation())
                };
                let text = match iso {
                    Isolation::Serializable => "serializable",
                    Isolation::RepeatableRead => "repeatable read",
                };
                Some(("transaction_isolation", text.to_string()))
            }
            "transaction_read_only" => {
                let on = in_block && self.block_read_only;
                Some((
                    "transaction_read_only",
                    if on { "on" } else { "off" }.into(),
                ))
            }
            _ => None,
        }
    }

    fn default_isolation(&self) -> Isolation {
        self.settings.default_isolation()
    }

    async fn begin(&mut self, isolation: Isolation) -> Result<Transaction, SqlError> {
        self.transaction_start = chrono::Utc::now();
        self.engine.client.begin(isolation).await.map_err(txn_error)
    }

    /// Runs one statement (simple protocol or Execute).
    async fn run(
        &mut self,
        stmt: &Statement,
        params: &[Value],
        param_types: &[DataType],
    ) -> Result<StatementOutput, SqlError> {
        self.cancel.reset();
        self.close_cursor().await;
        self.open_query = None;
        self.statement_deadline = self
            .settings
            .statement_timeout()
            .map(|limit| tokio::time::Instant::now() + limit);
        match stmt {
            Statement::StartTransaction { modes, begin, .. } => {
                let tag = if *begin { "BEGIN" } else { "START TRANSACTION" };
                match &mut self.state {
                    TxnState::Idle => {
                        let iso = isolation_of(modes)
                            .or(self.next_isolation.take())
                            .unwrap_or_else(|| self.default_isolation());
                        let txn = self.begin(iso).await?;
                        self.block_isolation = iso;
                        self.block_read_only = read_only_of(modes).unwrap_or(false);
                        self.enter_block(txn, false);
                    }
                    // BEGIN inside an implicit transaction makes it the
                    // explicit block: the statements before it are part of
                    // it, as in PostgreSQL.
                    TxnState::Block { implicit, .. } if *implicit => {
                        *implicit = false;
                        if isolation_of(modes).is_some_and(|iso| iso != self.block_isolation) {
                            let err = SqlError::new(
                                SqlState::ACTIVE_SQL_TRANSACTION,
                                "SET TRANSACTION ISOLATION LEVEL must be called before any query",
                            );
                            return Err(self.fail_block(err).await);
                        }
                        if let Some(read_only) = read_only_of(modes) {
                            self.block_read_only = read_only;
                        }
                    }
                    // Already in a block: PostgreSQL warns and goes on.
                    TxnState::Block { .. } => {}
                    TxnState::Failed { .. } => return Err(in_failed_block()),
                }
                return Ok(StatementOutput::Command { tag: tag.into() });
            }
            Statement::Commit { .. } => {
                return match std::mem::replace(&mut self.state, TxnState::Idle) {
                    TxnState::Block { txn, .. } => {
                        let committed = txn.commit().await.map_err(txn_error);
                        self.end_block_settings(committed.is_ok());
                        committed?;
                        Ok(StatementOutput::Command {
                            tag: "COMMIT".into(),
                        })
                    }
                    TxnState::Failed { .. } => {
                        self.end_block_settings(false);
                        Ok(StatementOutput::Command {
                            tag: "ROLLBACK".into(),
                        })
                    }
                    TxnState::Idle => Ok(StatementOutput::Command {
                        tag: "COMMIT".into(),
                    }),
                };
            }
            Statement::Rollback {
                savepoint: None, ..
            } => {
                match std::mem::replace(&mut self.state, TxnState::Idle) {
                    TxnState::Block { txn, .. } => {
                        txn.rollback().await;
                        self.end_block_settings(false);
                    }
                    TxnState::Failed { .. } => self.end_block_settings(false),
                    TxnState::Idle => {}
                }
                return Ok(StatementOutput::Command {
                    tag: "ROLLBACK".into(),
                });
            }
            Statement::Rollback {
                savepoint: Some(_), ..
            }
            | Statement::Savepoint { .. }
            | Statement::ReleaseSavepoint { .. } => {
                let err = SqlError::unsupported("savepoints are not supported");
                return Err(self.fail_block(err).await);
            }
            _ => {}
        }
        if matches!(self.state, TxnState::Failed { .. }) {
            return Err(in_failed_block());
        }
        if let Some(out) = self.run_session_statement(stmt).await? {
            return Ok(out);
        }
        let read_only = self.block_read_only && matches!(self.state, TxnState::Block { .. });
        self.sequences.read_only = read_only;
        if let (true, Some(tag)) = (read_only, write_command(stmt)) {
            let err = SqlError::new(
                SqlState::READ_ONLY_SQL_TRANSACTION,
                format!("cannot execute {tag} in a read-only transaction"),
            );
            return Err(self.fail_block(err).await);
        }
        match std::mem::replace(&mut self.state, TxnState::Idle) {
            TxnState::Block {
                mut txn,
                mut ddl,
                implicit,
            } => {
                let limit = self.statement_limit();
                let result = within(
                    limit,
                    self.run_locking_statement(stmt, params, param_types, &mut txn, &mut ddl),
                )
                .await;
                let open_query = self.open_query.take();
                match result {
                    Ok(out) => {
                        self.state = TxnState::Block { txn, ddl, implicit };
                        if let (StatementOutput::Streaming { .. }, Some(query)) = (&out, open_query)
                        {
                            self.cursor = Some(cursor::Cursor { query, txn: None });
                        }
                        Ok(out)
                    }
                    Err(e) => {
                        txn.rollback().await;
                        self.copy = None;
                        self.state = TxnState::Failed { implicit };
                        Err(e)
                    }
                }
            }
            _ => {
                let mut attempt = 0;
                loop {
                    let mut txn = self.begin(self.default_isolation()).await?;
                    let mut ddl = false;
                    let limit = self.statement_limit();
                    let result = within(
                        limit,
                        self.run_in_txn(stmt, params, param_types, &mut txn, &mut ddl),
                    )
                    .await
                    .map_err(crate::plan::binder::misplaced_aggregate);
                    let open_query = self.open_query.take();
                    let result = match (result, open_query) {
                        // A streaming SELECT keeps its transaction to the last row.
                        (Ok(out @ StatementOutput::Streaming { .. }), Some(query)) => {
                            self.cursor = Some(cursor::Cursor {
                                query,
                                txn: Some(Box::new(txn)),
                            });
                            return Ok(out);
                        }
                        (result, _) => result,
                    };
                    let result = match result {
                        Ok(out) => txn.commit().await.map_err(txn_error).map(|_| out),
                        Err(e) => {
                            txn.rollback().await;
                            Err(e)
                        }
                    };
                    match result {
                        Err(e)
                            if (e.code == SqlState::SERIALIZATION_FAILURE
                                || e.code == SqlState::DEADLOCK_DETECTED)
                                && attempt < AUTOCOMMIT_RETRIES
                                && self.copy.is_none() =>
                        {
                            attempt += 1;
                            let ms = rand::random_range(1..=(5u64 << attempt.min(6)));
                            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                        }
                        other => return other,
                    }
                }
            }
        }
    }

    /// Runs one statement of an explicit transaction: its writes are locked
    /// when it ends, and if another transaction changed the rows it read
    /// since the transaction's snapshot, it runs again on a refreshed
    /// snapshot (see `rangedb_txn::statement`) rather than failing the
    /// transaction at commit.
    async fn run_locking_statement(
        &mut self,
        stmt: &Statement,
        params: &[Value],
        param_types: &[DataType],
        txn: &mut Transaction,
        ddl: &mut bool,
    ) -> Result<StatementOutput, SqlError> {
        let mut restarts = 0;
        loop {
            txn.begin_statement();
            let out = self
                .run_in_txn(stmt, params, param_types, txn, ddl)
                .await
                .map_err(crate::plan::binder::misplaced_aggregate)?;
            match txn.end_statement().await.map_err(txn_error)? {
                StatementEnd::Done => return Ok(out),
                StatementEnd::Restart if restarts < STATEMENT_RESTARTS => {
                    // The statement's reads are forgotten, a catalog read
                    // among them too: read it again.
                    self.txn_catalog = None;
                    restarts += 1;
                }
                StatementEnd::Restart => {
                    return Err(SqlError::new(
                        SqlState::SERIALIZATION_FAILURE,
                        "could not serialize access due to concurrent update \
                         (the statement kept meeting newer writes)",
                    )
                    .with_hint("The transaction might succeed if retried."))
                }
            }
        }
    }

    /// Fails the open block (explicit or implicit) after `err`; no-op
    /// outside a block or when it already failed.
    async fn fail_block(&mut self, err: SqlError) -> SqlError {
        match std::mem::replace(&mut self.state, TxnState::Idle) {
            TxnState::Block { txn, implicit, .. } => {
                txn.rollback().await;
                self.copy = None;
                self.state = TxnState::Failed { implicit };
            }
            other => self.state = other,
        }
        err
    }

    /// Makes `txn` the open block, remembering the settings so that a
    /// rollback can restore them.
    fn enter_block(&mut self, txn: Transaction, implicit: bool) {
        self.block_settings = Some(self.settings.clone());
        self.local_restore.clear();
        self.state = TxnState::Block {
            txn: Box::new(txn),
            ddl: false,
            implicit,
        };
    }

    /// Opens an implicit block (several statements of one Query, or
    /// Executes before a Sync) with the default isolation.
    async fn open_implicit(&mut self) -> Result<(), SqlError> {
        let iso = self.default_isolation();
        let txn = self.begin(iso).await?;
        self.block_isolation = iso;
        self.block_read_only = false;
        self.enter_block(txn, true);
        Ok(())
    }

    /// Ends an implicit block: commits it, or forgets it after a failure.
    /// An explicit block stays open.
    async fn end_implicit(&mut self) -> Result<(), SqlError> {
        match std::mem::replace(&mut self.state, TxnState::Idle) {
            TxnState::Block {
                txn,
                implicit: true,
                ..
            } => {
                let committed = txn.commit().await.map_err(txn_error);
                self.end_block_settings(committed.is_ok());
                committed.map(|_| ())
            }
            TxnState::Failed { implicit: true } => {
                self.end_block_settings(false);
                Ok(())
            }
            other => {
                self.state = other;
                Ok(())
            }
        }
    }

    /// The settings side of a block's end: after a commit only SET LOCAL
    /// values revert; after a rollback everything the block set does.
    fn end_block_settings(&mut self, committed: bool) {
        let before = self.block_settings.take();
        let local = std::mem::take(&mut self.local_restore);
        if committed {
            for (name, value) in local {
                // The value was valid when it was saved.
                let _ = self.settings.set(&name, &value);
            }
        } else if let Some(before) = before {
            self.settings.restore(&before);
        }
        self.facts.settings = self.settings.values();
    }

    /// Sets a parameter for the session (`local`: until the block ends).
    fn set_parameter(&mut self, name: &str, value: &str, local: bool) -> Result<(), SqlError> {
        let in_block = matches!(self.state, TxnState::Block { .. });
        if local && !in_block {
            // PostgreSQL warns that SET LOCAL outside a block has no effect.
            return Ok(());
        }
        let previous = self.settings.show(name).ok().map(|(_, v)| v);
        self.settings.set(name, value)?;
        let key = settings::canonical_name(name);
        if local {
            if let Some(previous) = previous {
                self.local_restore.entry(key).or_insert(previous);
            }
        } else {
            self.local_restore.remove(&key);
        }
        self.facts.settings = self.settings.values();
        Ok(())
    }

    /// statement_timeout, when one is set, from when the statement began.
    fn statement_limit(&self) -> Option<tokio::time::Instant> {
        self.statement_deadline
    }

    /// SET / SHOW / RESET and other statements that touch no data.
    async fn run_session_statement(
        &mut self,
        stmt: &Statement,
    ) -> Result<Option<StatementOutput>, SqlError> {
        let out = match stmt {
            Statement::Set(set) => match set {
                ast::Set::SetTransaction {
                    modes,
                    session: true,
                    ..
                } => {
                    // SET SESSION CHARACTERISTICS AS TRANSACTION ...
                    if read_only_of(modes) == Some(true) {
                        return Err(SqlError::unsupported(
                            "read-only session characteristics are not supported",
                        ));
                    }
                    if let Some(iso) = isolation_of(modes) {
                        let name = match iso {
                            Isolation::Serializable => "serializable",
                            Isolation::RepeatableRead => "repeatable read",
                        };
                        self.set_parameter("default_transaction_isolation", name, false)?;
                    }
                    StatementOutput::Command { tag: "SET".into() }
                }
                ast::Set::SetTransaction { modes, .. } => {
                    if let Some(iso) = isolation_of(modes) {
                        if !matches!(self.state, TxnState::Block { .. }) {
                            self.next_isolation = Some(iso);
                        }
                    }
                    if let (Some(read_only), TxnState::Block { .. }) =
                        (read_only_of(modes), &self.state)
                    {
                        self.block_read_only = read_only;
                    }
                    StatementOutput::Command { tag: "SET".into() }
                }
                ast::Set::SingleAssignment {
                    scope,
                    variable,
                    values,
                    ..
                } => {
                    let name = variable.to_string().to_lowercase();
                    let value = settings::value_text(values)?;
                    let local = matches!(scope, Some(ast::ContextModifier::Local));
                    self.set_parameter(&name, &value, local)?;
                    StatementOutput::Command { tag: "SET".into() }
                }
                ast::Set::SetTimeZone { value, local } => {
                    let value = settings::value_text(std::slice::from_ref(value))?;
                    self.set_parameter("timezone", &value, *local)?;
                    StatementOutput::Command { tag: "SET".into() }
                }
                ast::Set::SetNames { charset_name, .. } => {
                    self.set_parameter("client_encoding", &charset_name.value, false)?;
                    StatementOutput::Command { tag: "SET".into() }
                }
                other => return Err(SqlError::unsupported(format!("{other} is not supported"))),
            },
            Statement::ShowVariable { variable } => {
                let mut name = variable
                    .iter()
                    .map(|i| i.value.to_lowercase())
                    .collect::<Vec<_>>()
                    .join(" ");
                if name == "transaction isolation level" {
                    name = "transaction_isolation".into();
                }
                if let Some((display, value)) = self.show_transaction_state(&name) {
                    return Ok(Some(StatementOutput::Rows {
                        columns: vec![Column::new(display, DataType::Text)],
                        rows: vec![vec![Value::Text(value)]],
                        tag: "SHOW".into(),
                    }));
                }
                if name == "ranges" {
                    return self.show_ranges().await.map(Some);
                }
                if name == "all" {
                    let rows: Vec<Row> = self
                        .settings
                        .values()
                        .into_iter()
                        .map(|(k, v)| vec![Value::Text(k), Value::Text(v)])
                        .collect();
                    let n = rows.len();
                    return Ok(Some(StatementOutput::Rows {
                        columns: vec![
                            Column::new("name", DataType::Text),
                            Column::new("setting", DataType::Text),
                        ],
                        rows,
                        tag: format!("SHOW {n}"),
                    }));
                }
                let (display, value) = self.settings.show(&name)?;
                StatementOutput::Rows {
                    columns: vec![Column::new(display, DataType::Text)],
                    rows: vec![vec![Value::Text(value)]],
                    tag: "SHOW".into(),
                }
            }
            Statement::Reset(r) => {
                match &r.reset {
                    ast::Reset::ALL => self.settings = Settings::default(),
                    ast::Reset::ConfigurationParameter(name) => {
                        self.settings.reset(&name.to_string().to_lowercase())?
                    }
                    _ => return Err(SqlError::unsupported("this RESET is not supported")),
                }
                self.facts.settings = self.settings.values();
                StatementOutput::Command {
                    tag: "RESET".into(),
                }
            }
            // Prepared statements belong to the frontend.
            Statement::Deallocate { name, .. } => {
                let all = name.quote_style.is_none() && name.value.eq_ignore_ascii_case("all");
                StatementOutput::Deallocate {
                    name: (!all).then(|| name.value.clone()),
                }
            }
            Statement::Discard { .. } => {
                self.settings = Settings::default();
                self.facts.settings = self.settings.values();
                StatementOutput::Command {
                    tag: "DISCARD ALL".into(),
                }
            }
            _ => return Ok(None),
        };
        Ok(Some(out))
    }

    async fn show_ranges(&mut self) -> Result<StatementOutput, SqlError> {
        let descs = self.engine.client.ranges().await.map_err(txn_error)?;
        let rows: Vec<Row> = descs
            .iter()
            .map(|d| {
                vec![
                    Value::Int8(d.range_id as i64),
                    Value::Text(format!("{:?}", String::from_utf8_lossy(&d.start_key))),
                    Value::Text(
                        d.end_key
                            .as_ref()
                            .map(|e| format!("{:?}", String::from_utf8_lossy(e)))
                            .unwrap_or_else(|| "/max".into()),
                    ),
                    Value::Text(
                        d.replicas
                            .iter()
                            .map(|r| r.node_id.to_string())
                            .collect::<Vec<_>>()
                            .join(","),
                    ),
                ]
            })
            .collect();
        let n = rows.len();
        Ok(StatementOutput::Rows {
            columns: vec![
                Column::new("range_id", DataType::Int8),
                Column::new("start_key", DataType::Text),
                Column::new("end_key", DataType::Text),
                Column::new("replicas", DataType::Text),
            ],
            rows,
            tag: format!("SELECT {n}"),
        })
    }

    /// The catalog as `txn` sees it. Read once per transaction and reused
    /// by its later statements until it changes the schema itself: the
    /// version key stays in the read set from the first read, so a
    /// concurrent schema change still fails this transaction's commit.
    async fn catalog(
        &mut self,
        txn: &mut Transaction,
        ddl: bool,
    ) -> Result<Arc<Catalog>, SqlError> {
        if let Some((start_ts, catalog)) = &self.txn_catalog {
            if *start_ts == txn.start_ts() {
                return Ok(catalog.clone());
            }
        }
        let catalog = self.engine.catalog.get(txn, ddl).await?;
        self.txn_catalog = Some((txn.start_ts(), catalog.clone()));
        Ok(catalog)
    }

    /// Runs a data or schema statement inside `txn`. Callers map its
    /// errors through `misplaced_aggregate`, so the binder's internal marker
    /// never reaches a client.
    async fn run_in_txn(
        &mut self,
        stmt: &Statement,
        params: &[Value],
        param_types: &[DataType],
        txn: &mut Transaction,
        ddl: &mut bool,
    ) -> Result<StatementOutput, SqlError> {
        let catalog = self.catalog(txn, *ddl).await?;
        let eval = self.eval_ctx();
        let client = self.engine.client.clone();
        let mut binder = Binder::new(&catalog, &self.facts, &eval, param_types.to_vec());
        let mut cx = ExecCtx {
            txn,
            client: &client,
            catalog: &catalog,
            facts: &self.facts,
            params,
            eval: &eval,
            outer: Vec::new(),
            cancel: &self.cancel,
            sequences: &mut self.sequences,
        };
        // `WITH ... INSERT/UPDATE/DELETE`: the CTEs, then the statement.
        let stmt = match stmt {
            Statement::Query(q) => match q.body.as_ref() {
                ast::SetExpr::Insert(inner)
                | ast::SetExpr::Update(inner)
                | ast::SetExpr::Delete(inner) => {
                    binder.push_ctes(&q.with)?;
                    inner
                }
                _ => stmt,
            },
            _ => stmt,
        };
        let is_ddl = matches!(
            stmt,
            Statement::CreateTable(_)
                | Statement::CreateIndex(_)
                | Statement::Drop { .. }
                | Statement::AlterTable(_)
                | Statement::CreateSequence { .. }
        );
        let out = match stmt {
            Statement::Query(q) if self.stream_ok => {
                let (plan, scope) = binder.bind_query(q)?;
                let mut op = build(&plan);
                let mut first = Vec::new();
                loop {
                    if first.len() >= cursor::STREAM_THRESHOLD {
                        self.open_query = Some(cursor::OpenQuery {
                            op: std::sync::Mutex::new(op),
                            catalog: catalog.clone(),
                            params: params.to_vec(),
                            eval: eval.clone(),
                            produced: first.len(),
                        });
                        break StatementOutput::Streaming {
                            columns: columns_of(&scope),
                            first,
                        };
                    }
                    match op.next(&mut cx).await? {
                        Some(row) => first.push(row),
                        None => break rows_output(&scope, first, "SELECT"),
                    }
                }
            }
            Statement::Query(q) => {
                let (plan, scope) = binder.bind_query(q)?;
                let rows = run_plan(&plan, &mut cx).await?;
                rows_output(&scope, rows, "SELECT")
            }
            Statement::Explain {
                statement, analyze, ..
            } => {
                if *analyze {
                    return Err(SqlError::unsupported("EXPLAIN ANALYZE is not supported"));
                }
                let lines = match statement.as_ref() {
                    Statement::Query(q) => explain(&binder.bind_query(q)?.0),
                    Statement::Update(u) => match dml::bind_update(&mut binder, u)? {
                        dml::Dml::Update(p) => {
                            prefixed("Update on", &p.table.name, explain(&p.scan))
                        }
                        _ => Vec::new(),
                    },
                    Statement::Delete(d) => match dml::bind_delete(&mut binder, d)? {
                        dml::Dml::Delete(p) => {
                            prefixed("Delete on", &p.table.name, explain(&p.scan))
                        }
                        _ => Vec::new(),
                    },
                    Statement::Insert(i) => match dml::bind_insert(&mut binder, i)? {
                        dml::Dml::Insert(p) => {
                            let mut lines = vec![format!("Insert on {}", p.table.name)];
                            for s in &p.sources {
                                lines.extend(explain(s).into_iter().map(|l| format!("  {l}")));
                            }
                            lines
                        }
                        _ => Vec::new(),
                    },
                    _ => {
                        return Err(SqlError::unsupported(
                            "EXPLAIN of this statement is not supported",
                        ))
                    }
                };
                let rows: Vec<Row> = lines.into_iter().map(|l| vec![Value::Text(l)]).collect();
                StatementOutput::Rows {
                    columns: vec![Column::new("QUERY PLAN", DataType::Text)],
                    rows,
                    tag: "EXPLAIN".into(),
                }
            }
            Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_) => {
                let bound = match stmt {
                    Statement::Insert(i) => dml::bind_insert(&mut binder, i)?,
                    Statement::Update(u) => dml::bind_update(&mut binder, u)?,
                    Statement::Delete(d) => dml::bind_delete(&mut binder, d)?,
                    _ => unreachable_dml()?,
                };
                let table = match &bound {
                    dml::Dml::Insert(p) => p.table.clone(),
                    dml::Dml::Update(p) => p.table.clone(),
                    dml::Dml::Delete(p) => p.table.clone(),
                };
                let checks = dml::bind_checks(&mut binder, &table)?;
                let (count, rows) = dml::execute(&bound, &checks, &mut cx).await?;
                let tag = match stmt {
                    Statement::Insert(_) => format!("INSERT 0 {count}"),
                    Statement::Update(_) => format!("UPDATE {count}"),
                    _ => format!("DELETE {count}"),
                };
                match bound.columns() {
                    Some(scope) => StatementOutput::Rows {
                        columns: columns_of(scope),
                        rows,
                        tag,
                    },
                    None => StatementOutput::Command { tag },
                }
            }
            Statement::CreateTable(ct) => StatementOutput::Command {
                tag: ddl::create_table(&mut binder, ct, &mut cx).await?,
            },
            Statement::CreateIndex(ci) => StatementOutput::Command {
                tag: ddl::create_index(&mut binder, ci, &mut cx).await?,
            },
            Statement::Drop {
                object_type,
                if_exists,
                names,
                cascade,
                ..
            } => StatementOutput::Command {
                tag: ddl::drop(
                    &mut binder,
                    object_type,
                    names,
                    ddl::DropOptions {
                        if_exists: *if_exists,
                        cascade: *cascade,
                    },
                    &mut cx,
                )
                .await?,
            },
            Statement::AlterTable(at) => StatementOutput::Command {
                tag: ddl::alter_table(&mut binder, at, &mut cx).await?,
            },
            Statement::Truncate(t) => StatementOutput::Command {
                tag: ddl::truncate(
                    &mut binder,
                    &t.table_names,
                    matches!(t.identity, Some(ast::TruncateIdentityOption::Restart)),
                    &mut cx,
                )
                .await?,
            },
            Statement::CreateSequence {
                name,
                if_not_exists,
                sequence_options,
                ..
            } => StatementOutput::Command {
                tag: ddl::create_sequence(
                    &mut binder,
                    name,
                    *if_not_exists,
                    sequence_options,
                    &mut cx,
                )
                .await?,
            },
            Statement::Copy {
                source,
                to,
                target,
                options,
                legacy_options,
                ..
            } => {
                let spec = copy::CopySpec::from_ast(
                    &mut binder,
                    source,
                    *to,
                    target,
                    options,
                    legacy_options,
                )?;
                match spec {
                    copy::CopySpec::In(copy_in) => {
                        let out = StatementOutput::CopyIn {
                            columns: copy_in.width(),
                            format: copy_in.format.clone(),
                        };
                        self.copy = Some(copy_in);
                        out
                    }
                    copy::CopySpec::Out {
                        plan,
                        format,
                        names,
                    } => {
                        let rows = run_plan(&plan, &mut cx).await?;
                        let n = rows.len();
                        let mut data: Vec<Vec<u8>> =
                            copy::header_line(&names, &format).into_iter().collect();
                        data.extend(copy::encode_rows(&rows, &format, &eval)?);
                        StatementOutput::CopyOut {
                            columns: names.len(),
                            format,
                            data,
                            tag: format!("COPY {n}"),
                        }
                    }
                }
            }
            Statement::Analyze { .. } | Statement::Vacuum { .. } => StatementOutput::Command {
                tag: "VACUUM".into(),
            },
            Statement::Prepare { .. } | Statement::Execute { .. } => {
                return Err(SqlError::unsupported(
                    "SQL-level PREPARE/EXECUTE are not supported; use the extended protocol",
                ))
            }
            other => {
                return Err(SqlError::unsupported(format!(
                    "statement not supported: {other}"
                )))
            }
        };
        if is_ddl {
            *ddl = true;
            self.txn_catalog = None;
        }
        Ok(out)
    }

    /// Binds a statement to learn its parameter and result types.
    async fn describe(
        &mut self,
        stmt: &Statement,
        declared: Vec<DataType>,
    ) -> Result<(Vec<DataType>, Option<Vec<Column>>), SqlError> {
        let needs_catalog = matches!(
            stmt,
            Statement::Query(_)
                | Statement::Insert(_)
                | Statement::Update(_)
                | Statement::Delete(_)
        );
        if !needs_catalog {
            let cols = match stmt {
                Statement::ShowVariable { variable } => {
                    let name = variable
                        .iter()
                        .map(|i| i.value.to_lowercase())
                        .collect::<Vec<_>>()
                        .join(" ");
                    let name = match name.as_str() {
                        "transaction isolation level" => "transaction_isolation".to_string(),
                        _ => name,
                    };
                    Some(vec![Column::new(name, DataType::Text)])
                }
                Statement::Explain { .. } => Some(vec![Column::new("QUERY PLAN", DataType::Text)]),
                _ => None,
            };
            return Ok((declared, cols));
        }
        let (catalog, own_txn) = match &mut self.state {
            TxnState::Block { txn, ddl, .. } => (self.engine.catalog.get(txn, *ddl).await?, None),
            _ => {
                let mut txn = self.begin(Isolation::RepeatableRead).await?;
                let c = self.engine.catalog.get(&mut txn, false).await;
                (c?, Some(txn))
            }
        };
        if let Some(t) = own_txn {
            t.rollback().await;
        }
        let eval = self.eval_ctx();
        let mut binder = Binder::new(&catalog, &self.facts, &eval, declared);
        let cols = match stmt {
            Statement::Query(q) => Some(columns_of(&binder.bind_query(q)?.1)),
            Statement::Insert(i) => dml::bind_insert(&mut binder, i)?.columns().map(columns_of),
            Statement::Update(u) => dml::bind_update(&mut binder, u)?.columns().map(columns_of),
            Statement::Delete(d) => dml::bind_delete(&mut binder, d)?.columns().map(columns_of),
            _ => None,
        };
        Ok((binder.param_types(), cols))
    }
}

/// 25P02: a statement in a failed block.
fn in_failed_block() -> SqlError {
    SqlError::new(
        SqlState::IN_FAILED_SQL_TRANSACTION,
        "current transaction is aborted, commands ignored until end of transaction block",
    )
}

/// Runs a statement's work until `deadline` (statement_timeout); 57014
/// after it. The work is dropped where it stands: the caller rolls its
/// transaction back (locks a dropped request may still leave expire with
/// the transaction's TTL).
async fn within<T>(
    deadline: Option<tokio::time::Instant>,
    work: impl std::future::Future<Output = Result<T, SqlError>>,
) -> Result<T, SqlError> {
    match deadline {
        None => work.await,
        Some(deadline) => match tokio::time::timeout_at(deadline, work).await {
            Ok(result) => result,
            Err(_) => Err(SqlError::new(
                SqlState::QUERY_CANCELED,
                "canceling statement due to statement timeout",
            )),
        },
    }
}

fn unreachable_dml() -> Result<dml::Dml, SqlError> {
    Err(SqlError::internal("not a DML statement"))
}

fn prefixed(what: &str, table: &str, lines: Vec<String>) -> Vec<String> {
    let mut out = vec![format!("{what} {table}")];
    out.extend(lines.into_iter().map(|l| format!("  {l}")));
    out
}

/// RowDescription columns of a scope.
pub fn columns_of(scope: &Scope) -> Vec<Column> {
    scope
        .columns
        .iter()
        .map(|c| Column {
            name: c.name.clone(),
            ty: c.ty.clone(),
            table_oid: c.table_oid,
            column_id: c.column_id,
        })
        .collect()
}

fn rows_output(scope: &Scope, rows: Vec<Row>, verb: &str) -> StatementOutput {
    let n = rows.len();
    StatementOutput::Rows {
        columns: columns_of(scope),
        rows,
        tag: format!("{verb} {n}"),
    }
}

#[async_trait]
impl SqlSession for Session {
    type Statement = Prepared;

    async fn simple_query(&mut self, sql: &str) -> Vec<Result<StatementOutput, SqlError>> {
        let statements = match parse(sql) {
            Ok(s) => s,
            Err(e) => {
                if !matches!(self.state, TxnState::Idle) {
                    let e = self.fail_block(e).await;
                    return vec![Err(e)];
                }
                return vec![Err(e)];
            }
        };
        if statements.is_empty() {
            return vec![Ok(StatementOutput::Empty)];
        }
        // Several statements outside a block run as one implicit
        // transaction, as in PostgreSQL: it opens at the first statement
        // (again after a COMMIT or ROLLBACK among them), a BEGIN makes it
        // explicit, and what is still implicit commits at the end.
        let several = statements.len() > 1;
        let mut out = Vec::new();
        // Only a lone statement streams: the frontend drains it before
        // anything else runs, and an implicit transaction ends here.
        self.stream_ok = !several;
        let mut copy_started = false;
        for stmt in &statements {
            if several && matches!(self.state, TxnState::Idle) && !is_transaction_control(stmt) {
                if let Err(e) = self.open_implicit().await {
                    out.push(Err(e));
                    break;
                }
            }
            let r = self.run(stmt, &[], &[]).await;
            let failed = r.is_err();
            copy_started = matches!(r, Ok(StatementOutput::CopyIn { .. }));
            out.push(r);
            if failed || copy_started {
                break;
            }
        }
        self.stream_ok = false;
        // A COPY's implicit transaction ends when its data is in.
        if !copy_started {
            if let Err(e) = self.end_implicit().await {
                out.push(Err(e));
            }
        }
        out
    }

    async fn prepare(
        &mut self,
        sql: &str,
        param_types: &[Option<DataType>],
    ) -> Result<PreparedInfo<Prepared>, SqlError> {
        let mut statements = parse(sql)?;
        if statements.len() > 1 {
            return Err(SqlError::syntax(
                "cannot insert multiple commands into a prepared statement",
            ));
        }
        let declared: Vec<DataType> = param_types
            .iter()
            .map(|t| t.clone().unwrap_or(DataType::Unknown))
            .collect();
        let Some(stmt) = statements.pop() else {
            return Ok(PreparedInfo {
                statement: Prepared {
                    statement: None,
                    param_types: declared.clone(),
                },
                param_types: declared,
                columns: None,
            });
        };
        let (types, columns) = self
            .describe(&stmt, declared)
            .await
            .map_err(crate::plan::binder::misplaced_aggregate)?;
        Ok(PreparedInfo {
            statement: Prepared {
                statement: Some(stmt),
                param_types: types.clone(),
            },
            param_types: types,
            columns,
        })
    }

    async fn execute(
        &mut self,
        prepared: &Prepared,
        params: Vec<Value>,
    ) -> Result<StatementOutput, SqlError> {
        match &prepared.statement {
            None => Ok(StatementOutput::Empty),
            Some(stmt) => {
                // Executes up to a Sync are one implicit transaction; a
                // lone one runs (and may be retried) on its own.
                if std::mem::take(&mut self.more_before_sync)
                    && matches!(self.state, TxnState::Idle)
                    && !is_transaction_control(stmt)
                {
                    self.open_implicit().await?;
                }
                self.stream_ok = true;
                let out = self.run(stmt, &params, &prepared.param_types).await;
                self.stream_ok = false;
                out
            }
        }
    }

    async fn fetch(&mut self, max: usize) -> Result<(Vec<Row>, Option<String>), SqlError> {
        self.fetch_rows(max).await
    }

    async fn abandon_stream(&mut self, error: &SqlError) {
        self.abandon_cursor(error).await
    }

    async fn copy_in_data(&mut self, data: &[u8]) -> Result<(), SqlError> {
        match &mut self.copy {
            Some(c) => c.push(data),
            None => Err(SqlError::new(
                SqlState::PROTOCOL_VIOLATION,
                "no COPY in progress",
            )),
        }
    }

    async fn copy_in_done(&mut self) -> Result<StatementOutput, SqlError> {
        let Some(mut copy_in) = self.copy.take() else {
            return Err(SqlError::new(
                SqlState::PROTOCOL_VIOLATION,
                "no COPY in progress",
            ));
        };
        let result = match self.finish_copy(&mut copy_in).await {
            Ok(out) => Ok(out),
            Err(e) => Err(self.fail_block(e).await),
        };
        // The COPY was the last statement of an implicit transaction.
        let ended = self.end_implicit().await;
        match (result, ended) {
            (Ok(_), Err(e)) => Err(e),
            (result, _) => result,
        }
    }

    async fn copy_in_fail(&mut self, message: &str) -> SqlError {
        self.copy = None;
        let err = SqlError::new(
            SqlState::QUERY_CANCELED,
            format!("COPY from stdin failed: {message}"),
        );
        let err = self.fail_block(err).await;
        // Nothing to commit after a failure; this only ends the block.
        let _ = self.end_implicit().await;
        err
    }

    async fn fail_transaction(&mut self) {
        let _ = self
            .fail_block(SqlError::internal("failed in the frontend"))
            .await;
    }

    fn more_before_sync(&mut self, more: bool) {
        self.more_before_sync = more;
    }

    fn transaction_status(&self) -> TransactionStatus {
        match self.state {
            TxnState::Idle => TransactionStatus::Idle,
            TxnState::Block { .. } => TransactionStatus::InBlock,
            TxnState::Failed { .. } => TransactionStatus::Failed,
        }
    }

    async fn sync(&mut self) -> Result<(), SqlError> {
        self.more_before_sync = false;
        self.end_implicit().await
    }

    fn take_parameter_changes(&mut self) -> Vec<(String, String)> {
        self.settings.take_changes()
    }

    fn cancel_token(&self) -> CancelToken {
        self.cancel.clone()
    }

    fn eval_context(&self) -> EvalContext {
        self.eval_ctx()
    }

    async fn close(&mut self) {
        self.close_cursor().await;
        if let TxnState::Block { txn, .. } = std::mem::replace(&mut self.state, TxnState::Idle) {
            txn.rollback().await;
        }
    }
}

impl Session {
    async fn finish_copy(
        &mut self,
        copy_in: &mut copy::CopyIn,
    ) -> Result<StatementOutput, SqlError> {
        let rows = copy_in.finish()?;
        let table_name = copy_in.table.clone();
        let columns = copy_in.columns.clone();
        let block = match std::mem::replace(&mut self.state, TxnState::Idle) {
            TxnState::Block { txn, ddl, implicit } => Some((txn, ddl, implicit)),
            other => {
                self.state = other;
                None
            }
        };
        let in_block = block.is_some();
        let (mut txn, mut ddl, implicit) = match block {
            Some(b) => b,
            None => (
                Box::new(self.begin(self.default_isolation()).await?),
                false,
                false,
            ),
        };
        let result = self
            .copy_rows(&table_name, &columns, rows, &mut txn, &mut ddl)
            .await;
        match result {
            Ok(n) => {
                if in_block {
                    self.state = TxnState::Block { txn, ddl, implicit };
                } else {
                    txn.commit().await.map_err(txn_error)?;
                }
                Ok(StatementOutput::Command {
                    tag: format!("COPY {n}"),
                })
            }
            Err(e) => {
                txn.rollback().await;
                if in_block {
                    self.state = TxnState::Failed { implicit };
                }
                Err(e)
            }
        }
    }

    async fn copy_rows(
        &mut self,
        table_name: &str,
        columns: &[String],
        rows: Vec<Vec<Option<String>>>,
        txn: &mut Transaction,
        ddl: &mut bool,
    ) -> Result<u64, SqlError> {
        let catalog = self.catalog(txn, *ddl).await?;
        let table = catalog
            .table(table_name)
            .cloned()
            .ok_or_else(|| crate::plan::binder::undefined_table(table_name))?;
        let eval = self.eval_ctx();
        let positions = copy::column_positions(&table, columns)?;
        let mut binder = Binder::new(&catalog, &self.facts, &eval, Vec::new());
        let mut defaults = Vec::new();
        for pos in 0..table.columns.len() {
            defaults.push(if positions.contains(&pos) {
                None
            } else {
                Some(dml::default_expr(&mut binder, &table, pos)?)
            });
        }
        let slots = binder.take_slots();
        let checks = dml::bind_checks(&mut binder, &table)?;
        let client = self.engine.client.clone();
        let mut cx = ExecCtx {
            txn,
            client: &client,
            catalog: &catalog,
            facts: &self.facts,
            params: &[],
            eval: &eval,
            outer: Vec::new(),
            cancel: &self.cancel,
            sequences: &mut self.sequences,
        };
        let mut runner = crate::exec::slots::SlotRunner::new(slots);
        let mut full_rows = Vec::with_capacity(rows.len());
        for (line, fields) in rows.into_iter().enumerate() {
            if fields.len() != positions.len() {
                return Err(SqlError::new(
                    SqlState::BAD_COPY_FILE_FORMAT,
                    format!("wrong number of fields in COPY line {}", line + 1),
                ));
            }
            let slot_values = if runner.is_empty() {
                Vec::new()
            } else {
                runner.compute(&[], &mut cx).await?
            };
            let mut row = vec![Value::Null; table.columns.len()];
            for (pos, d) in defaults.iter().enumerate() {
                if let Some(e) = d {
                    let env = cx.env(&slot_values);
                    row[pos] = e.eval(&[], &env)?;
                }
            }
            for (field, pos) in fields.into_iter().zip(&positions) {
                row[*pos] = match field {
                    None => Value::Null,
                    Some(text) => {
                        rangedb_sqltypes::text::parse(&text, &table.columns[*pos].ty, &eval)?
                    }
                };
            }
            full_rows.push(row);
        }
        let written =
            dml::insert_rows(&table, full_rows, &checks, &dml::OnConflict::Error, &mut cx).await?;
        Ok(written.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("SELECT {}1{}", "(".repeat(depth), ")".repeat(depth))
    }

    #[test]
    fn deep_statements_parse_up_to_the_limit_then_are_54001() {
        // sqlparser's own default refuses at 50.
        assert!(parse(&nested(40)).is_ok());
        assert!(parse(&nested(400)).is_ok(), "deep nesting must parse");
        let err = parse(&nested(MAX_PARSE_DEPTH + 50)).expect_err("too deep");
        assert_eq!(err.code, SqlState::STATEMENT_TOO_COMPLEX);
        // Too deep and a plain syntax error stay distinct.
        assert_eq!(
            parse("SELECT (((1").expect_err("unbalanced").code,
            SqlState::SYNTAX_ERROR
        );
    }

    #[test]
    fn copy_options_spelled_on_off_parse() {
        assert!(parse("copy pgbench_accounts from stdin with (freeze on)").is_ok());
        assert!(parse("COPY t FROM STDIN WITH (FORMAT csv, HEADER off)").is_ok());
        assert!(parse("vacuum analyze pgbench_branches").is_ok());
        // Multi-byte characters where the keyword check slices must not panic.
        assert!(parse("vacuüm x").is_err());
        assert!(parse("cöpy x").is_err());
        assert_eq!(
            parse("copy t from stdin with (bogus on)")
                .map(|_| ())
                .map_err(|e| e.code),
            Err(SqlState::SYNTAX_ERROR)
        );
    }

    #[test]
    fn syntax_errors_are_42601() {
        let e = parse("SELEC 1").expect_err("bad SQL");
        assert_eq!(e.code, SqlState::SYNTAX_ERROR);
    }
}
