//! Each range's Raft log, vote and log pointers, kept in the node's shared
//! engine under keys prefixed by the range id (see `storage::raft_keys`).
//!
//! Appends are written unsynced (readable at once) and made durable through
//! the node's [`GroupCommitter`], so one fsync acknowledges many ranges'
//! appends. Votes are written synced: a vote must never be forgotten.

use crate::error::sto_err;
use crate::types::{LogId, StorageError, TypeConfig};
use openraft::storage::{LogFlushed, RaftLogStorage};
use openraft::{Entry, ErrorSubject, ErrorVerb, LogState, RaftLogReader, Vote};
use rangedb_common::RangeId;
use rangedb_storage::raft_keys::{log_key, log_span, state_key, StateTag};
use rangedb_storage::{Batch, Cf, Engine, GroupCommitter};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

/// The Raft log of one range.
#[derive(Clone)]
pub struct RangeLogStore {
    range_id: RangeId,
    engine: Arc<dyn Engine>,
    committer: GroupCommitter,
}

impl RangeLogStore {
    /// A log store for `range_id` on the shared engine.
    pub fn new(range_id: RangeId, engine: Arc<dyn Engine>, committer: GroupCommitter) -> Self {
        Self {
            range_id,
            engine,
            committer,
        }
    }

    fn read_state<T: DeserializeOwned>(&self, tag: StateTag) -> Result<Option<T>, StorageError> {
        let raw = self
            .engine
            .get(Cf::RaftState, &state_key(self.range_id, tag))
            .map_err(|e| sto_err(ErrorSubject::Store, ErrorVerb::Read, e))?;
        raw.map(|v| bincode::deserialize(&v))
            .transpose()
            .map_err(|e| sto_err(ErrorSubject::Store, ErrorVerb::Read, e))
    }

    fn write_state<T: Serialize>(
        &self,
        tag: StateTag,
        value: &T,
        sync: bool,
    ) -> Result<(), StorageError> {
        let mut b = Batch::new();
        let v = bincode::serialize(value)
            .map_err(|e| sto_err(ErrorSubject::Store, ErrorVerb::Write, e))?;
        b.put(Cf::RaftState, state_key(self.range_id, tag), v);
        self.engine
            .write(b, sync)
            .map_err(|e| sto_err(ErrorSubject::Store, ErrorVerb::Write, e))
    }

    fn last_log_id(&self) -> Result<Option<LogId>, StorageError> {
        let (start, end) = log_span(self.range_id);
        let last = self
            .engine
            .last_in(Cf::RaftLog, &start, &end)
            .map_err(|e| sto_err(ErrorSubject::Logs, ErrorVerb::Read, e))?;
        match last {
            Some((_, v)) => {
                let entry: Entry<TypeConfig> = bincode::deserialize(&v)
                    .map_err(|e| sto_err(ErrorSubject::Logs, ErrorVerb::Read, e))?;
                Ok(Some(entry.log_id))
            }
            None => Ok(None),
        }
    }
}

fn bound_start(b: Bound<&u64>) -> u64 {
    match b {
        Bound::Included(&x) => x,
        Bound::Excluded(&x) => x.saturating_add(1),
        Bound::Unbounded => 0,
    }
}

fn bound_end(b: Bound<&u64>) -> Option<u64> {
    match b {
        Bound::Included(&x) => x.checked_add(1),
        Bound::Excluded(&x) => Some(x),
        Bound::Unbounded => None,
    }
}

impl RaftLogReader<TypeConfig> for RangeLogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + Send>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry<TypeConfig>>, StorageError> {
        let start = log_key(self.range_id, bound_start(range.start_bound()));
        let end = match bound_end(range.end_bound()) {
            Some(e) => log_key(self.range_id, e),
            None => log_span(self.range_id).1,
        };
        let mut out = Vec::new();
        let mut err = None;
        self.engine
            .visit(
                Cf::RaftLog,
                &start,
                Some(&end),
                &mut |_, v| match bincode::deserialize(v) {
                    Ok(e) => {
                        out.push(e);
                        true
                    }
                    Err(e) => {
                        err = Some(e);
                        false
                    }
                },
            )
            .map_err(|e| sto_err(ErrorSubject::Logs, ErrorVerb::Read, e))?;
        if let Some(e) = err {
            return Err(sto_err(ErrorSubject::Logs, ErrorVerb::Read, e));
        }
        Ok(out)
    }
}

impl RaftLogStorage<TypeConfig> for RangeLogStore {
    type LogReader = Self;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError> {
        let last_purged_log_id: Option<LogId> = self.read_state(StateTag::Purged)?;
        let last_log_id = self.last_log_id()?.or(last_purged_log_id);
        Ok(LogState {
            last_purged_log_id,
            last_log_id,
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<u64>) -> Result<(), StorageError> {
        self.write_state(StateTag::Vote, vote, true)
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<u64>>, StorageError> {
        self.read_state(StateTag::Vote)
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        self.write_state(StateTag::Committed, &committed, false)
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, StorageError> {
        Ok(self
            .read_state::<Option<LogId>>(StateTag::Committed)?
            .flatten())
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + Send,
        I::IntoIter: Send,
    {
        let mut b = Batch::new();
        let mut count = 0u64;
        for entry in entries {
            let v = bincode::serialize(&entry)
                .map_err(|e| sto_err(ErrorSubject::Logs, ErrorVerb::Write, e))?;
            b.put(Cf::RaftLog, log_key(self.range_id, entry.log_id.index), v);
            count += 1;
        }
        self.engine
            .write(b, false)
            .map_err(|e| sto_err(ErrorSubject::Logs, ErrorVerb::Write, e))?;
        metrics::counter!("rangedb_raft_log_appended_entries_total").increment(count);
        self.committer.sync(Box::new(move |r| {
            callback.log_io_completed(r.map_err(std::io::Error::other));
        }));
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let mut b = Batch::new();
        b.delete_range(
            Cf::RaftLog,
            log_key(self.range_id, log_id.index),
            log_span(self.range_id).1,
        );
        self.engine
            .write(b, false)
            .map_err(|e| sto_err(ErrorSubject::Logs, ErrorVerb::Write, e))
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let mut b = Batch::new();
        let v = bincode::serialize(&log_id)
            .map_err(|e| sto_err(ErrorSubject::Logs, ErrorVerb::Write, e))?;
        b.put(Cf::RaftState, state_key(self.range_id, StateTag::Purged), v);
        b.delete_range(
            Cf::RaftLog,
            log_span(self.range_id).0,
            log_key(self.range_id, log_id.index + 1),
        );
        self.engine
            .write(b, false)
            .map_err(|e| sto_err(ErrorSubject::Logs, ErrorVerb::Write, e))
    }
}
