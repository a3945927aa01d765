//! A scripted SQL "engine" for driving the frontend: a key/value map and a
//! handful of fixed statements, enough to exercise every protocol path.
//!
//! Statements (words separated by spaces; `$n` refers to a parameter):
//! `begin`, `commit`, `rollback`, `insert K V`, `select kv`, `series N`,
//! `echo X` (one column of the parameter's type), `fail`, `panic`, `sleep MS`
//! (polls the cancel token), `copy in`, `copy out`, `set tz NAME`.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rangedb_sqltypes::session::{
    CancelToken, Column, CopyFormat, PreparedInfo, SqlService, SqlSession, StatementOutput,
    TransactionStatus,
};
use rangedb_sqltypes::{DataType, EvalContext, SqlError, SqlState, Value};

/// Shared state of all sessions.
#[derive(Default)]
pub struct MockService {
    pub store: Arc<Mutex<BTreeMap<i32, String>>>,
    pub closed: Arc<AtomicUsize>,
}

pub struct MockSession {
    store: Arc<Mutex<BTreeMap<i32, String>>>,
    closed: Arc<AtomicUsize>,
    status: TransactionStatus,
    cancel: CancelToken,
    changes: Vec<(String, String)>,
    copy: Option<Vec<u8>>,
}

#[derive(Clone, Debug)]
pub struct MockStatement {
    words: Vec<String>,
    param_types: Vec<DataType>,
}

impl SqlService for MockService {
    type Session = MockSession;

    fn connect(
        &self,
        _user: &str,
        database: &str,
        _startup_params: &[(String, String)],
    ) -> Result<MockSession, SqlError> {
        if database != "postgres" {
            return Err(SqlError::new(
                SqlState::INVALID_CATALOG_NAME,
                format!("database \"{database}\" does not exist"),
            ));
        }
        Ok(MockSession {
            store: Arc::clone(&self.store),
            closed: Arc::clone(&self.closed),
            status: TransactionStatus::Idle,
            cancel: CancelToken::default(),
            changes: Vec::new(),
            copy: None,
        })
    }

    fn startup_parameters(&self, _session: &MockSession) -> Vec<(String, String)> {
        vec![("server_version".into(), "15.0".into())]
    }
}

fn int(v: &Value) -> Result<i64, SqlError> {
    v.as_i64().ok_or_else(|| {
        SqlError::new(
            SqlState::DATATYPE_MISMATCH,
            format!("not an integer: {v:?}"),
        )
    })
}

impl MockSession {
    /// The parameter types a statement takes (`$n` words), given the
    /// client's declarations.
    fn param_types(words: &[String], declared: &[Option<DataType>]) -> Vec<DataType> {
        let verb = words.first().map(String::as_str).unwrap_or("");
        let mut types = Vec::new();
        for (i, w) in words.iter().enumerate().skip(1) {
            if let Some(n) = w.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) {
                let default = match (verb, i) {
                    ("insert", 1) => DataType::Int4,
                    ("series", _) | ("sleep", _) => DataType::Int8,
                    _ => DataType::Text,
                };
                let ty = declared.get(n - 1).cloned().flatten().unwrap_or(default);
                if types.len() < n {
                    types.resize(n, DataType::Unknown);
                }
                types[n - 1] = ty;
            }
        }
        types
    }

    fn columns(words: &[String], param_types: &[DataType]) -> Option<Vec<Column>> {
        match words.first().map(String::as_str) {
            Some("select") => Some(vec![
                Column::new("k", DataType::Int4),
                Column::new("v", DataType::Text),
            ]),
            Some("series") => Some(vec![Column::new("n", DataType::Int8)]),
            Some("echo") => Some(vec![Column::new(
                "echo",
                param_types.first().cloned().unwrap_or(DataType::Text),
            )]),
            _ => None,
        }
    }

    fn arg(words: &[String], i: usize, params: &[Value]) -> Result<Value, SqlError> {
        let w = words
            .get(i)
            .ok_or_else(|| SqlError::syntax("missing argument"))?;
        if let Some(n) = w.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) {
            return params.get(n - 1).cloned().ok_or_else(|| {
                SqlError::new(SqlState::UNDEFINED_PARAMETER, format!("no parameter ${n}"))
            });
        }
        Ok(match w.parse::<i32>() {
            Ok(v) => Value::Int4(v),
            Err(_) => Value::Text(w.clone()),
        })
    }

    async fn run(
        &mut self,
        words: &[String],
        params: &[Value],
    ) -> Result<StatementOutput, SqlError> {
        let verb = words.first().map(String::as_str).unwrap_or("");
        if self.status == TransactionStatus::Failed && verb != "commit" && verb != "rollback" {
            return Err(SqlError::new(
                SqlState::IN_FAILED_SQL_TRANSACTION,
                "current transaction is aborted, commands ignored until end of transaction block",
            ));
        }
        let result = self.run_inner(verb, words, params).await;
        if result.is_err() && self.status == TransactionStatus::InBlock {
            self.status = TransactionStatus::Failed;
        }
        result
    }

    async fn run_inner(
        &mut self,
        verb: &str,
        words: &[String],
        params: &[Value],
    ) -> Result<StatementOutput, SqlError> {
        let command = |tag: &str| {
            Ok(StatementOutput::Command {
                tag: tag.to_owned(),
            })
        };
        match verb {
            "begin" => {
                self.status = TransactionStatus::InBlock;
                command("BEGIN")
            }
            "commit" => {
                let tag = if self.status == TransactionStatus::Failed {
                    "ROLLBACK"
                } else {
                    "COMMIT"
                };
                self.status = TransactionStatus::Idle;
                command(tag)
            }
            "rollback" => {
                self.status = TransactionStatus::Idle;
                command("ROLLBACK")
            }
            "insert" => {
                let k = int(&Self::arg(words, 1, params)?)? as i32;
                let v = match Self::arg(words, 2, params)? {
                    Value::Text(s) => s,
                    other => format!("{other:?}"),
                };
                self.store.lock().unwrap().insert(k, v);
                command("INSERT 0 1")
            }
            "select" => {
                let rows: Vec<Vec<Value>> = self
                    .store
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| vec![Value::Int4(*k), Value::Text(v.clone())])
                    .collect();
                Ok(StatementOutput::Rows {
                    columns: Self::columns(words, &[]).unwrap(),
                    tag: format!("SELECT {}", rows.len()),
                    rows,
                })
            }
            "series" => {
                let n = int(&Self::arg(words, 1, params)?)?;
                Ok(StatementOutput::Rows {
                    columns: Self::columns(words, &[]).unwrap(),
                    rows: (1..=n).map(|i| vec![Value::Int8(i)]).collect(),
                    tag: format!("SELECT {n}"),
                })
            }
            "echo" => {
                let v = Self::arg(words, 1, params)?;
                let ty = if v.is_null() {
                    DataType::Text
                } else {
                    v.natural_type()
                };
                Ok(StatementOutput::Rows {
                    columns: vec![Column::new("echo", ty)],
                    rows: vec![vec![v]],
                    tag: "SELECT 1".into(),
                })
            }
            "panic" => panic!("mock engine bug"),
            "fail" => Err(SqlError::new(
                SqlState::UNIQUE_VIOLATION,
                "duplicate key value violates unique constraint \"kv_pkey\"",
            )
            .with_detail("Key (k)=(1) already exists.")
            .with_hint("pick another key")),
            "sleep" => {
                let ms = int(&Self::arg(words, 1, params)?)?;
                self.cancel.reset();
                let deadline = tokio::time::Instant::now() + Duration::from_millis(ms as u64);
                while tokio::time::Instant::now() < deadline {
                    if self.cancel.is_cancelled() {
                        return Err(SqlError::new(
                            SqlState::QUERY_CANCELED,
                            "canceling statement due to user request",
                        ));
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                command("SLEEP")
            }
            "copy" if words.get(1).map(String::as_str) == Some("in") => {
                self.copy = Some(Vec::new());
                Ok(StatementOutput::CopyIn {
                    columns: 2,
                    format: CopyFormat::Text {
                        delimiter: '\t',
                        null: "\\N".into(),
                        header: false,
                    },
                })
            }
            "copy" if words.get(1).map(String::as_str) == Some("out") => {
                let data: Vec<Vec<u8>> = self
                    .store
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| format!("{k}\t{v}\n").into_bytes())
                    .collect();
                Ok(StatementOutput::CopyOut {
                    columns: 2,
                    format: CopyFormat::Text {
                        delimiter: '\t',
                        null: "\\N".into(),
                        header: false,
                    },
                    tag: format!("COPY {}", data.len()),
                    data,
                })
            }
            "set" if words.get(1).map(String::as_str) == Some("tz") => {
                let tz = Self::arg(words, 2, params)?;
                self.changes
                    .push(("TimeZone".into(), tz.as_str().unwrap_or("UTC").to_owned()));
                command("SET")
            }
            _ => Err(SqlError::syntax(format!(
                "syntax error at or near \"{verb}\""
            ))),
        }
    }
}

/// The statement's words; the verb is case-insensitive and drivers'
/// `START TRANSACTION` is `begin`.
fn words(sql: &str) -> Vec<String> {
    let mut words: Vec<String> = sql.split_whitespace().map(str::to_owned).collect();
    if let Some(verb) = words.first_mut() {
        *verb = verb.to_lowercase();
        if verb == "start" {
            *verb = "begin".into();
        }
    }
    words
}

#[async_trait]
impl SqlSession for MockSession {
    type Statement = MockStatement;

    async fn simple_query(&mut self, sql: &str) -> Vec<Result<StatementOutput, SqlError>> {
        let mut results = Vec::new();
        for stmt in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let result = self.run(&words(stmt), &[]).await;
            let stop = result.is_err() || matches!(result, Ok(StatementOutput::CopyIn { .. }));
            results.push(result);
            if stop {
                break;
            }
        }
        results
    }

    async fn prepare(
        &mut self,
        sql: &str,
        param_types: &[Option<DataType>],
    ) -> Result<PreparedInfo<MockStatement>, SqlError> {
        let words = words(sql.trim().trim_end_matches(';'));
        let known = [
            "begin", "commit", "rollback", "insert", "select", "series", "echo", "fail", "sleep",
            "copy", "set", "panic",
        ];
        if !known.contains(&words[0].as_str()) {
            return Err(SqlError::syntax(format!(
                "syntax error at or near \"{}\"",
                words[0]
            )));
        }
        let types = Self::param_types(&words, param_types);
        Ok(PreparedInfo {
            columns: Self::columns(&words, &types),
            statement: MockStatement {
                words,
                param_types: types.clone(),
            },
            param_types: types,
        })
    }

    async fn execute(
        &mut self,
        statement: &MockStatement,
        params: Vec<Value>,
    ) -> Result<StatementOutput, SqlError> {
        let _ = &statement.param_types;
        self.run(&statement.words, &params).await
    }

    async fn copy_in_data(&mut self, data: &[u8]) -> Result<(), SqlError> {
        match &mut self.copy {
            Some(buf) => {
                buf.extend_from_slice(data);
                Ok(())
            }
            None => Err(SqlError::internal("no COPY in progress")),
        }
    }

    async fn copy_in_done(&mut self) -> Result<StatementOutput, SqlError> {
        let buf = self
            .copy
            .take()
            .ok_or_else(|| SqlError::internal("no COPY in progress"))?;
        let text = String::from_utf8(buf)
            .map_err(|_| SqlError::new(SqlState::BAD_COPY_FILE_FORMAT, "bad utf8"))?;
        let mut n = 0;
        for line in text.lines() {
            let (k, v) = line.split_once('\t').ok_or_else(|| {
                SqlError::new(
                    SqlState::BAD_COPY_FILE_FORMAT,
                    "missing data for column \"v\"",
                )
            })?;
            let k: i32 = k
                .parse()
                .map_err(|_| SqlError::invalid_text("integer", k))?;
            self.store.lock().unwrap().insert(k, v.to_owned());
            n += 1;
        }
        Ok(StatementOutput::Command {
            tag: format!("COPY {n}"),
        })
    }

    async fn copy_in_fail(&mut self, message: &str) -> SqlError {
        self.copy = None;
        SqlError::new(
            SqlState::QUERY_CANCELED,
            format!("COPY from stdin failed: {message}"),
        )
    }

    fn transaction_status(&self) -> TransactionStatus {
        self.status
    }

    async fn sync(&mut self) -> Result<(), SqlError> {
        Ok(())
    }

    fn take_parameter_changes(&mut self) -> Vec<(String, String)> {
        std::mem::take(&mut self.changes)
    }

    fn cancel_token(&self) -> CancelToken {
        self.cancel.clone()
    }

    fn eval_context(&self) -> EvalContext {
        EvalContext::default()
    }

    async fn close(&mut self) {
        self.status = TransactionStatus::Idle;
        self.closed.fetch_add(1, Ordering::SeqCst);
    }
}
