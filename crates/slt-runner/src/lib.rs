//! A sqllogictest runner for rangedb's SQL corpus (`sql/*.slt`).
//!
//! The runner talks to any PostgreSQL-protocol server through `tokio-postgres`'s
//! simple-query protocol, so the same files run unchanged against rangedb and
//! against PostgreSQL itself (whose output is the reference).
//!
//! * Values are rendered as the text the server sends: SQL NULL as `NULL`, the
//!   empty string as `(empty)`, booleans as `t`/`f`.
//! * A database error is rendered as `db error: ERROR: <SQLSTATE>: <message>`,
//!   so `statement error 23505` and `statement error duplicate key` both match
//!   (the expected error is a regex searched in that string). The sqllogictest
//!   form `statement error (23505)` matches the SQLSTATE exactly.
//! * The runner sets the label (and engine name) `rangedb` or `postgres`, for
//!   `onlyif rangedb` / `skipif postgres` records.
//! * Each file runs on its own fresh connection(s); all failures of all files
//!   are collected rather than stopping at the first.
//!
//! ```no_run
//! # async fn demo() -> Result<(), rangedb_slt::Error> {
//! use rangedb_slt::{run_files, slt_files, Engine};
//! let files = slt_files("sql")?;
//! let report = run_files("host=127.0.0.1 port=5432 user=root", Engine::Rangedb, &files).await?;
//! assert!(report.is_success(), "{report}");
//! # Ok(()) }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType, Record, RecordOutput, Runner};
use tokio_postgres::{NoTls, SimpleQueryMessage};

/// How long a single statement may run before the runner gives up on it.
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(60);

/// Which server the files run against; decides the sqllogictest label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Engine {
    /// rangedb: label `rangedb`.
    Rangedb,
    /// PostgreSQL (the reference): label `postgres`.
    Postgres,
}

impl Engine {
    /// The label (and sqllogictest engine name) for `onlyif` / `skipif`.
    pub fn label(self) -> &'static str {
        match self {
            Engine::Rangedb => "rangedb",
            Engine::Postgres => "postgres",
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Errors that prevent a run from happening at all (as opposed to test failures,
/// which are collected in the [`Report`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server could not be reached or refused the connection.
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The connection URL / string used.
        url: String,
        /// The underlying error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// Listing or reading test files failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

/// One failed record (or an unparsable file).
#[derive(Debug, Clone)]
pub struct Failure {
    /// The `.slt` file the failure belongs to.
    pub file: PathBuf,
    /// The sqllogictest failure message, including the SQL and `at file:line`.
    pub message: String,
}

/// The outcome of running a set of files.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Number of files run.
    pub files: usize,
    /// Number of `statement` / `query` records executed (skipped ones excluded).
    pub records: usize,
    /// Every failure, in file and record order.
    pub failures: Vec<Failure>,
}

impl Report {
    /// Whether every record of every file passed.
    pub fn is_success(&self) -> bool {
        self.failures.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for failure in &self.failures {
            writeln!(
                f,
                "FAILED {}:\n{}\n",
                failure.file.display(),
                failure.message
            )?;
        }
        write!(
            f,
            "{} files, {} records run, {} failures",
            self.files,
            self.records,
            self.failures.len()
        )
    }
}

/// An error returned by the database connection, rendered for error matching.
#[derive(Debug)]
pub enum DbError {
    /// An error reported by the server (has a SQLSTATE).
    Server {
        /// Severity, e.g. `ERROR`.
        severity: String,
        /// The five-character SQLSTATE code.
        code: String,
        /// The primary message.
        message: String,
    },
    /// A client-side or connection error.
    Client(tokio_postgres::Error),
    /// The statement ran longer than the statement timeout.
    Timeout(Duration),
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbError::Server {
                severity,
                code,
                message,
            } => write!(f, "db error: {severity}: {code}: {message}"),
            DbError::Client(e) => write!(f, "client error: {e}"),
            DbError::Timeout(d) => write!(f, "statement timed out after {d:?}"),
        }
    }
}

impl std::error::Error for DbError {}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.as_db_error() {
            Some(db) => DbError::Server {
                severity: db.severity().to_string(),
                code: db.code().code().to_string(),
                message: db.message().to_string(),
            },
            None => DbError::Client(e),
        }
    }
}

/// One connection to the server under test; implements sqllogictest's [`AsyncDB`].
pub struct PgConnection {
    client: tokio_postgres::Client,
    driver: tokio::task::JoinHandle<()>,
    engine: Engine,
    timeout: Duration,
}

impl PgConnection {
    /// Connects to `url` (a libpq-style `key=value` string or a `postgresql://` URL).
    pub async fn connect(url: &str, engine: Engine) -> Result<Self, tokio_postgres::Error> {
        let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
        let driver = tokio::spawn(async move {
            // Errors surface on the client side as closed-connection errors.
            let _ = connection.await;
        });
        Ok(PgConnection {
            client,
            driver,
            engine,
            timeout: DEFAULT_STATEMENT_TIMEOUT,
        })
    }

    /// Sets the per-statement timeout (default [`DEFAULT_STATEMENT_TIMEOUT`]).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }
}

impl Drop for PgConnection {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// Renders one value as the slt text form.
fn render(value: Option<&str>) -> String {
    match value {
        None => "NULL".to_string(),
        Some("") => "(empty)".to_string(),
        Some(s) => s.to_string(),
    }
}

#[async_trait::async_trait]
impl AsyncDB for PgConnection {
    type Error = DbError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<Self::ColumnType>, Self::Error> {
        let messages = tokio::time::timeout(self.timeout, self.client.simple_query(sql))
            .await
            .map_err(|_| DbError::Timeout(self.timeout))??;
        let mut rows = Vec::new();
        let mut width = None;
        let mut count = 0;
        for message in messages {
            match message {
                SimpleQueryMessage::RowDescription(columns) => width = Some(columns.len()),
                SimpleQueryMessage::Row(row) => {
                    width = Some(row.len());
                    rows.push((0..row.len()).map(|i| render(row.get(i))).collect());
                }
                SimpleQueryMessage::CommandComplete(n) => count = n,
                _ => {}
            }
        }
        match width {
            Some(width) => Ok(DBOutput::Rows {
                types: vec![DefaultColumnType::Any; width],
                rows,
            }),
            None => Ok(DBOutput::StatementComplete(count)),
        }
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        self.engine.label()
    }

    async fn sleep(dur: Duration) {
        tokio::time::sleep(dur).await
    }

    fn error_sql_state(err: &Self::Error) -> Option<String> {
        match err {
            DbError::Server { code, .. } => Some(code.clone()),
            _ => None,
        }
    }
}

/// Lists the `*.slt` files directly under `dir`, sorted by name.
pub fn slt_files(dir: impl AsRef<Path>) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "slt") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Runs one file on fresh connection(s), appending its failures to `report`.
async fn run_one(url: &str, engine: Engine, file: &Path, report: &mut Report) {
    report.files += 1;
    let records = match sqllogictest::parse_file::<DefaultColumnType>(file) {
        Ok(records) => records,
        Err(e) => {
            report.failures.push(Failure {
                file: file.to_path_buf(),
                message: format!("parse error: {e}"),
            });
            return;
        }
    };
    let url = url.to_string();
    let mut runner = Runner::new(move || {
        let url = url.clone();
        async move {
            PgConnection::connect(&url, engine)
                .await
                .map_err(DbError::from)
        }
    });
    runner.add_label(engine.label());
    for record in records {
        let counts = matches!(record, Record::Statement { .. } | Record::Query { .. });
        match runner.run_async(record).await {
            Ok(RecordOutput::Statement { .. } | RecordOutput::Query { .. }) if counts => {
                report.records += 1
            }
            Ok(_) => {}
            Err(e) => {
                report.records += usize::from(counts);
                report.failures.push(Failure {
                    file: file.to_path_buf(),
                    message: e.display(false).to_string(),
                });
            }
        }
    }
    runner.shutdown_async().await;
}

/// Rewrites the expected output of every record in `files` with what the server at
/// `url` actually returns (sqllogictest's "override" mode). Meant for generating
/// expectations from PostgreSQL; review the diff before committing.
pub async fn update_files(url: &str, engine: Engine, files: &[PathBuf]) -> Result<(), Error> {
    for file in files {
        let owned = url.to_string();
        let mut runner = Runner::new(move || {
            let url = owned.clone();
            async move {
                PgConnection::connect(&url, engine)
                    .await
                    .map_err(DbError::from)
            }
        });
        runner.add_label(engine.label());
        runner
            .update_test_file(
                file,
                " ",
                sqllogictest::default_validator,
                sqllogictest::default_normalizer,
                sqllogictest::default_column_validator,
            )
            .await
            .map_err(|e| std::io::Error::other(format!("{}: {e}", file.display())))?;
        runner.shutdown_async().await;
    }
    Ok(())
}

/// Runs every file in `files` (in order, each on its own fresh connection) against
/// the server at `url`, labelled for `engine`, and returns all failures.
///
/// Returns `Err` only if the server cannot be reached at all; failing records and
/// unparsable files are reported in [`Report::failures`].
pub async fn run_files(url: &str, engine: Engine, files: &[PathBuf]) -> Result<Report, Error> {
    // Fail fast with a clear error if the server is not there.
    PgConnection::connect(url, engine)
        .await
        .map_err(|source| Error::Connect {
            url: url.to_string(),
            source,
        })?;
    let mut report = Report::default();
    for file in files {
        run_one(url, engine, file, &mut report).await;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_values_like_slt() {
        assert_eq!(render(None), "NULL");
        assert_eq!(render(Some("")), "(empty)");
        assert_eq!(render(Some("t")), "t");
    }

    #[test]
    fn server_errors_carry_sqlstate_and_message() {
        let err = DbError::Server {
            severity: "ERROR".into(),
            code: "23505".into(),
            message: "duplicate key value violates unique constraint \"t_pkey\"".into(),
        };
        let text = err.to_string();
        assert!(text.starts_with("db error: ERROR: 23505: duplicate key"));
        assert_eq!(
            PgConnection::error_sql_state(&err).as_deref(),
            Some("23505")
        );
    }

    #[test]
    fn run_files_is_send() {
        fn assert_send<T: Send>(_: &T) {}
        let files = Vec::new();
        let fut = run_files("host=127.0.0.1", Engine::Rangedb, &files);
        assert_send(&fut);
    }

    #[test]
    fn lists_slt_files_sorted() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sql");
        let files = slt_files(dir).unwrap();
        assert!(files.len() > 1);
        assert!(files.windows(2).all(|w| w[0] < w[1]));
        assert!(files.iter().all(|f| f.extension().unwrap() == "slt"));
    }
}
