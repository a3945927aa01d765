//! Streaming a large SELECT to the client instead of collecting it.
//!
//! A SELECT runs into a buffer of [`STREAM_THRESHOLD`] rows. If it finishes
//! there, its result is an ordinary one (and an autocommit statement can
//! still be retried invisibly on 40001, since nothing was sent). If not,
//! the session keeps the running operator tree as a [`Cursor`] and answers
//! `StatementOutput::Streaming` with the buffered rows; the frontend then
//! pulls the rest with `fetch`, batch by batch, so the result never sits in
//! memory whole (the scans underneath read in bounded chunks too). An
//! autocommit SELECT keeps its transaction open until its last row is out,
//! then commits (it wrote nothing, so that cannot fail); past the buffer
//! an error reaches the client after the rows already sent, as in
//! PostgreSQL.

use std::sync::Arc;

use rangedb_sqltypes::{EvalContext, Row, SqlError, SqlState, Value};
use rangedb_txn::Transaction;

use super::{Session, TxnState};
use crate::catalog::Catalog;
use crate::error::txn_error;
use crate::exec::{BoxOp, ExecCtx};

/// Rows a SELECT produces before its result is streamed.
pub const STREAM_THRESHOLD: usize = 1024;

/// A running SELECT whose operator tree has not been drained yet, as it
/// leaves `run_in_txn` (the transaction is attached by the caller).
pub(super) struct OpenQuery {
    /// The operator tree. Only ever used through `&mut` (`Mutex::get_mut`,
    /// no locking); the mutex makes the session `Sync`, which its `&self`
    /// methods held across awaits need.
    pub op: std::sync::Mutex<BoxOp>,
    pub catalog: Arc<Catalog>,
    pub params: Vec<Value>,
    pub eval: EvalContext,
    /// Rows produced so far.
    pub produced: usize,
}

/// A SELECT being streamed.
pub(super) struct Cursor {
    pub query: OpenQuery,
    /// The autocommit transaction it runs in; `None` inside BEGIN, where it
    /// uses the block's transaction.
    pub txn: Option<Box<Transaction>>,
}

impl Session {
    /// The next rows of the streaming SELECT (see the module docs).
    pub(super) async fn fetch_rows(
        &mut self,
        max: usize,
    ) -> Result<(Vec<Row>, Option<String>), SqlError> {
        let Some(mut cursor) = self.cursor.take() else {
            return Err(SqlError::new(
                SqlState::PROTOCOL_VIOLATION,
                "no result rows are pending",
            ));
        };
        match self.pull(&mut cursor, max).await {
            Ok((rows, false)) => {
                self.cursor = Some(cursor);
                Ok((rows, None))
            }
            Ok((rows, true)) => {
                let tag = format!("SELECT {}", cursor.query.produced);
                if let Some(txn) = cursor.txn {
                    txn.commit().await.map_err(txn_error)?;
                }
                Ok((rows, Some(tag)))
            }
            Err(e) => Err(match cursor.txn {
                Some(txn) => {
                    txn.rollback().await;
                    e
                }
                None => self.fail_block(e).await,
            }),
        }
    }

    /// Up to `max` rows from `cursor`, and whether it is exhausted.
    async fn pull(
        &mut self,
        cursor: &mut Cursor,
        max: usize,
    ) -> Result<(Vec<Row>, bool), SqlError> {
        let client = self.engine.client.clone();
        let txn: &mut Transaction = match &mut cursor.txn {
            Some(t) => t,
            None => match &mut self.state {
                TxnState::Block { txn, .. } => txn,
                _ => {
                    return Err(SqlError::internal(
                        "the transaction of a streaming result is gone",
                    ))
                }
            },
        };
        let query = &mut cursor.query;
        let op = query
            .op
            .get_mut()
            .map_err(|_| SqlError::internal("a streaming result's operator panicked"))?;
        let mut cx = ExecCtx {
            txn,
            client: &client,
            catalog: &query.catalog,
            facts: &self.facts,
            params: &query.params,
            eval: &query.eval,
            outer: Vec::new(),
            cancel: &self.cancel,
            sequences: &mut self.sequences,
        };
        let mut rows = Vec::with_capacity(max.min(STREAM_THRESHOLD));
        while rows.len() < max.max(1) {
            match op.next(&mut cx).await? {
                Some(row) => rows.push(row),
                None => {
                    query.produced += rows.len();
                    return Ok((rows, true));
                }
            }
        }
        query.produced += rows.len();
        Ok((rows, false))
    }

    /// Drops a streaming SELECT the frontend could not deliver (it told the
    /// client `error`): an explicit block fails, as after any error.
    pub(super) async fn abandon_cursor(&mut self, error: &SqlError) {
        if let Some(cursor) = self.cursor.take() {
            match cursor.txn {
                Some(txn) => txn.rollback().await,
                None => {
                    self.fail_block(error.clone()).await;
                }
            }
        }
    }

    /// Ends a streaming SELECT the frontend left undrained (it never should;
    /// this keeps the session consistent if it does).
    pub(super) async fn close_cursor(&mut self) {
        if let Some(cursor) = self.cursor.take() {
            if let Some(txn) = cursor.txn {
                txn.rollback().await;
            }
        }
    }
}
