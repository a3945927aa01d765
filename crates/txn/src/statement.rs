//! Statement-time write locks for explicit transactions, and the read
//! refresh that lets a statement run again instead of aborting the whole
//! transaction.
//!
//! A purely optimistic transaction finds out about a write-write conflict
//! only at commit, when the client has already seen every statement's
//! result: all it can do is abort with 40001. Under contention on a few hot
//! rows (pgbench's branches) that means most transactions abort, and a
//! client's retries can keep losing. So in an explicit transaction each
//! statement's writes are prewritten when the statement ends, and the locks
//! are held until commit, as PostgreSQL holds row locks. They are
//! *pessimistic* locks: readers pass them (the owner has not taken a commit
//! timestamp yet, and will only after prewriting every key again as an
//! ordinary lock at commit, or on the range's leader under its latches in
//! a one-phase commit, which readers wait for), so a long transaction never
//! blocks readers; other writers wait for them.
//!
//! ```text
//!   begin_statement   remember where the read set ends; start an undo log
//!   (the statement reads at read_ts and buffers writes)
//!   end_statement     prewrite the buffered writes that are not locked yet
//!       locked by a live transaction   wait for it (statement_lock_wait)
//!       another commit after read_ts   the statement computed its writes
//!                                      from stale rows: take new_ts from
//!                                      the oracle, check that nothing read
//!                                      by earlier statements changed in
//!                                      (read_ts, new_ts] (the refresh), undo
//!                                      the statement, read_ts = new_ts, and
//!                                      tell the caller to run it again
//! ```
//!
//! A successful refresh makes the transaction indistinguishable from one
//! that started at `new_ts`: every earlier read is still what it would
//! read there, and the statement sees the rows as they are now (this is
//! CockroachDB's read refresh). If the refresh fails the transaction gets
//! 40001 as before. While a transaction holds locks a heartbeat keeps its
//! primary alive, so readers wait for it instead of rolling it back.
//!
//! Keys a failed attempt may have locked but that its undo removes from the
//! buffer are written back at commit with their committed value (a no-op
//! version), so every lock the transaction took is released by its commit.

use crate::error::TxnError;
use crate::transaction::Transaction;
use rangedb_common::{KvError, TxnConflict};
use rangedb_kv::{KvClient, RangeRequest, TxnCommand};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// How a statement ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementEnd {
    /// Its writes are locked; its result stands.
    Done,
    /// It read rows another transaction has since changed: its effects are
    /// undone and the read timestamp moved forward; run it again.
    Restart,
}

/// Where the running statement began: enough to undo it.
#[derive(Debug, Default)]
pub(crate) struct StatementMark {
    read_keys: usize,
    read_spans: usize,
    /// Each key the statement wrote, with its buffered state before the
    /// statement (`None`: not in the buffer).
    undo: BTreeMap<Vec<u8>, Option<Option<Vec<u8>>>>,
}

impl StatementMark {
    /// Records `key`'s state before its first write in this statement.
    pub(crate) fn record(&mut self, key: &[u8], previous: Option<Option<Vec<u8>>>) {
        self.undo.entry(key.to_vec()).or_insert(previous);
    }
}

impl Transaction {
    /// Opens a statement whose writes [`Self::end_statement`] will lock.
    /// Statements outside such a bracket (autocommit, COPY) keep their
    /// writes buffered until commit.
    pub fn begin_statement(&mut self) {
        self.statement = Some(StatementMark {
            read_keys: self.reads.keys.len(),
            read_spans: self.reads.spans.len(),
            undo: BTreeMap::new(),
        });
    }

    /// Closes the statement: locks every buffered write not locked yet. On
    /// a write conflict with a transaction that committed after the read
    /// timestamp, refreshes the reads and asks for the statement to run
    /// again; `Err` (40001 when retryable) if the refresh fails.
    pub async fn end_statement(&mut self) -> Result<StatementEnd, TxnError> {
        self.check_open()?;
        if self.statement.is_none() {
            return Ok(StatementEnd::Done);
        }
        // Inside the statement, so that its undo (and a refresh) covers the
        // written-back keys and their reads as well.
        self.write_back_restored().await?;
        let Some(mark) = self.statement.take() else {
            return Ok(StatementEnd::Done);
        };
        if self.unlocked.is_empty() {
            return Ok(StatementEnd::Done);
        }
        let mutations = self.buffered_mutations(self.unlocked.iter());
        let primary = match &self.primary {
            Some(p) => p.clone(),
            None => match mutations.first() {
                Some(m) => m.key().to_vec(),
                None => return Ok(StatementEnd::Done),
            },
        };
        self.primary = Some(primary.clone());
        self.locked.extend(self.unlocked.iter().cloned());
        self.start_heartbeat(&primary);
        let patience = self.client.config.statement_lock_wait;
        match self.prewrite(&mutations, &primary, patience, true).await {
            Ok(()) => {
                self.unlocked.clear();
                Ok(StatementEnd::Done)
            }
            Err(TxnError::Retryable(TxnConflict::WriteConflict { .. })) => {
                self.refresh(mark).await?;
                metrics::counter!("rangedb_txn_statement_restarts_total").increment(1);
                Ok(StatementEnd::Restart)
            }
            Err(e) => Err(e),
        }
    }

    /// Undoes the statement of `mark` and moves the read timestamp to a new
    /// oracle timestamp, if nothing read before the statement changed.
    async fn refresh(&mut self, mark: StatementMark) -> Result<(), TxnError> {
        let new_ts = self.client.kv.timestamp().await?;
        // The statement's own reads saw stale rows; it runs again.
        self.reads.keys.truncate(mark.read_keys);
        self.reads.spans.truncate(mark.read_spans);
        self.validate_window(self.read_ts, new_ts).await?;
        for (key, previous) in mark.undo {
            match previous {
                Some(value) => {
                    self.writes.insert(key.clone(), value);
                    self.unlocked.insert(key);
                }
                None => {
                    self.writes.remove(&key);
                    self.unlocked.remove(&key);
                    if self.locked.contains(&key) {
                        self.restore.insert(key);
                    }
                }
            }
        }
        self.read_ts = new_ts;
        Ok(())
    }

    /// Puts keys a restarted statement may have locked, and that nothing
    /// wrote since, back into the buffer with their committed value, so
    /// that the commit (or the next statement's locking) covers them.
    pub(crate) async fn write_back_restored(&mut self) -> Result<(), TxnError> {
        if self.restore.is_empty() {
            return Ok(());
        }
        let keys: Vec<Vec<u8>> = std::mem::take(&mut self.restore).into_iter().collect();
        // Not in the buffer, so these are reads of the cluster's state
        // (around our own locks); they join the read set like any read.
        let values = self.get_batch(&keys).await?;
        for (key, value) in keys.into_iter().zip(values) {
            let previous = self.writes.insert(key.clone(), value);
            if let Some(mark) = &mut self.statement {
                mark.record(&key, previous);
            }
            self.unlocked.insert(key);
        }
        Ok(())
    }

    /// Starts the background task that keeps the primary lock alive, once.
    fn start_heartbeat(&mut self, primary: &[u8]) {
        if self.heartbeat.is_some() {
            return;
        }
        let kv = self.client.kv.clone();
        let ttl = self.client.config.lock_ttl;
        let task = tokio::spawn(heartbeat_loop(kv, primary.to_vec(), self.start_ts, ttl));
        self.heartbeat = Some(task.abort_handle());
    }
}

/// Every third of the TTL, raises the primary lock's TTL to cover the next
/// period. Runs until its transaction (commit, rollback or drop) aborts it.
async fn heartbeat_loop(
    kv: Arc<KvClient>,
    primary: Vec<u8>,
    start_ts: rangedb_common::Timestamp,
    ttl: Duration,
) {
    let period = (ttl / 3).max(Duration::from_millis(10));
    loop {
        tokio::time::sleep(period).await;
        let cmd = TxnCommand::Heartbeat {
            primary: primary.clone(),
            start_ts,
            ttl_ms: crate::transaction::lock_ttl_ms(start_ts, ttl),
        };
        match kv.route(&primary, |_| RangeRequest::Txn(cmd.clone())).await {
            Ok(_) => {}
            // The primary is not locked (yet, if its statement restarted;
            // or any more): try again next period, the transaction ends it.
            Err(KvError::Txn(TxnConflict::Aborted { .. })) => {}
            Err(e) => tracing::debug!("heartbeat of {start_ts}: {e}"),
        }
    }
}
