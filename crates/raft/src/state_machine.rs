//! A range's state machine: applies replicated commands to the node's MVCC
//! column families, and builds/installs snapshots of the range's key span.
//!
//! Applied log id, membership and descriptor are written in the same batch as
//! the data they describe, so after a crash the range resumes from a
//! consistent point and replays the rest of the log. Applying never needs an
//! fsync: the log it replays from is already durable.

use crate::command::{Command, CommandResponse, Rejection, WriteOp};
use crate::error::sto_err;
use crate::types::{initial_log_id, LogId, StorageError, StoredMembership, TypeConfig};
use openraft::storage::{RaftStateMachine, Snapshot};
use openraft::{
    BasicNode, Entry, EntryPayload, ErrorSubject, ErrorVerb, Membership, RaftSnapshotBuilder,
    SnapshotMeta,
};
use rangedb_common::keys::{meta_key_for_end, MAX_KEY_LEN, RANGE_ID_KEY, TSO_KEY};
use rangedb_common::{RangeDescriptor, RangeId, Timestamp, META_RANGE_ID};
use rangedb_storage::raft_keys::{state_key, StateTag};
use rangedb_storage::{mvcc, Batch, Cf, Engine};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::mpsc::UnboundedSender;

/// What a range's state machine has applied; cached in memory for readers.
#[derive(Debug, Clone, Default)]
pub struct RangeState {
    pub applied: Option<LogId>,
    pub membership: StoredMembership,
    /// `None` until the replica is initialised (by bootstrap, split or snapshot).
    pub descriptor: Option<RangeDescriptor>,
    /// Reads below this timestamp are refused: garbage collection may have
    /// removed the versions they need.
    pub gc_threshold: Timestamp,
}

/// Something the host must act on after an apply.
#[derive(Debug, Clone)]
pub enum HostEvent {
    /// A split created `range_id` on this node; start its Raft group.
    RangeCreated { range_id: RangeId, parent: RangeId },
}

#[derive(Clone)]
struct StoredSnapshot {
    meta: SnapshotMeta<u64, BasicNode>,
    data: Vec<u8>,
}

/// State shared between the state machine, its snapshot builder and readers.
pub struct SmShared {
    range_id: RangeId,
    state: RwLock<RangeState>,
    /// Held while applying and while reading a snapshot, so a snapshot sees
    /// exactly the state at its log id.
    apply_lock: Mutex<()>,
    /// The meta of the latest snapshot built or installed; its data is read
    /// from the engine on demand.
    current_snapshot: Mutex<Option<SnapshotMeta<u64, BasicNode>>>,
    /// Bumped after every apply or snapshot install, so that a waiter (a
    /// transaction waiting for a lock to go) re-checks the range's state as
    /// soon as it may have changed instead of polling on a timer.
    changes: tokio::sync::watch::Sender<u64>,
}

impl SmShared {
    /// A copy of the applied state.
    pub fn state(&self) -> RangeState {
        self.state.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// A receiver that sees a change each time this replica applies log
    /// entries or installs a snapshot (subscribe before checking the state,
    /// then wait on `changed()`: nothing applied in between is missed).
    pub fn subscribe_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn note_change(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The range this state machine belongs to.
    pub fn range_id(&self) -> RangeId {
        self.range_id
    }
}

/// The contents of a snapshot: the range's descriptor and every entry of its
/// span in the MVCC column families.
#[derive(Serialize, Deserialize)]
struct SnapshotPayload {
    descriptor: Option<RangeDescriptor>,
    gc_threshold: Timestamp,
    entries: Vec<(Cf, Vec<u8>, Vec<u8>)>,
}

/// The engine-key span of a range's MVCC data: `[start, end)`.
fn engine_span(desc: &RangeDescriptor) -> (Vec<u8>, Vec<u8>) {
    let (start, end) = mvcc::mvcc_span(&desc.start_key, desc.end_key.as_deref());
    // Keys are at most MAX_KEY_LEN bytes, so their encodings sort below this.
    (
        start,
        end.unwrap_or_else(|| vec![0xFF; 2 * MAX_KEY_LEN + 16]),
    )
}

fn ser<T: Serialize>(v: &T) -> Result<Vec<u8>, StorageError> {
    bincode::serialize(v).map_err(|e| sto_err(ErrorSubject::StateMachine, ErrorVerb::Write, e))
}

/// Writes a range's persistent state (applied, membership, descriptor) into `b`.
fn persist_state(b: &mut Batch, range_id: RangeId, st: &RangeState) -> Result<(), StorageError> {
    b.put(
        Cf::RaftState,
        state_key(range_id, StateTag::Applied),
        ser(&st.applied)?,
    );
    b.put(
        Cf::RaftState,
        state_key(range_id, StateTag::Membership),
        ser(&st.membership)?,
    );
    b.put(
        Cf::RaftState,
        state_key(range_id, StateTag::Descriptor),
        ser(&st.descriptor)?,
    );
    b.put(
        Cf::RaftState,
        state_key(range_id, StateTag::Replica),
        Vec::new(),
    );
    b.put(
        Cf::RaftState,
        state_key(range_id, StateTag::GcThreshold),
        ser(&st.gc_threshold)?,
    );
    Ok(())
}

/// The openraft membership of a descriptor's replica set.
pub fn membership_of(desc: &RangeDescriptor) -> Membership<u64, BasicNode> {
    let voters: BTreeSet<u64> = desc.replicas.iter().map(|r| r.node_id).collect();
    let nodes: BTreeMap<u64, BasicNode> = desc
        .replicas
        .iter()
        .map(|r| {
            (
                r.node_id,
                BasicNode {
                    addr: r.addr.clone(),
                },
            )
        })
        .collect();
    Membership::new(vec![voters], nodes)
}

/// The state of a range created by bootstrap or split: applied and purged up
/// to [`initial_log_id`], with `membership`. Identical on every replica.
pub fn initial_state_batch(
    desc: &RangeDescriptor,
    membership: Membership<u64, BasicNode>,
    gc_threshold: Timestamp,
) -> Result<Batch, StorageError> {
    let mut b = Batch::new();
    let st = RangeState {
        applied: Some(initial_log_id()),
        membership: StoredMembership::new(Some(initial_log_id()), membership),
        descriptor: Some(desc.clone()),
        gc_threshold,
    };
    persist_state(&mut b, desc.range_id, &st)?;
    b.put(
        Cf::RaftState,
        state_key(desc.range_id, StateTag::Purged),
        ser(&initial_log_id())?,
    );
    Ok(b)
}

/// Loads a range's persisted state (default if never initialised).
pub fn load_state(engine: &dyn Engine, range_id: RangeId) -> Result<RangeState, StorageError> {
    let get = |tag| {
        engine
            .get(Cf::RaftState, &state_key(range_id, tag))
            .map_err(|e| sto_err(ErrorSubject::StateMachine, ErrorVerb::Read, e))
    };
    let de = |v: Vec<u8>| {
        sto_err(
            ErrorSubject::StateMachine,
            ErrorVerb::Read,
            bincode::ErrorKind::Custom(format!("{} bytes", v.len())),
        )
    };
    let mut st = RangeState::default();
    if let Some(v) = get(StateTag::Applied)? {
        st.applied = bincode::deserialize(&v).map_err(|_| de(v))?;
    }
    if let Some(v) = get(StateTag::Membership)? {
        st.membership = bincode::deserialize(&v).map_err(|_| de(v))?;
    }
    if let Some(v) = get(StateTag::Descriptor)? {
        st.descriptor = bincode::deserialize(&v).map_err(|_| de(v))?;
    }
    if let Some(v) = get(StateTag::GcThreshold)? {
        st.gc_threshold = bincode::deserialize(&v).map_err(|_| de(v))?;
    }
    Ok(st)
}

/// The state machine of one range.
pub struct RangeStateMachine {
    engine: Arc<dyn Engine>,
    shared: Arc<SmShared>,
    events: UnboundedSender<HostEvent>,
}

impl RangeStateMachine {
    /// Opens the state machine of `range_id` from the engine.
    pub fn open(
        range_id: RangeId,
        engine: Arc<dyn Engine>,
        events: UnboundedSender<HostEvent>,
    ) -> Result<Self, StorageError> {
        let state = load_state(engine.as_ref(), range_id)?;
        let shared = Arc::new(SmShared {
            range_id,
            state: RwLock::new(state),
            apply_lock: Mutex::new(()),
            current_snapshot: Mutex::new(None),
            changes: tokio::sync::watch::Sender::new(0),
        });
        Ok(Self {
            engine,
            shared,
            events,
        })
    }

    /// The state shared with readers.
    pub fn shared(&self) -> Arc<SmShared> {
        self.shared.clone()
    }

    fn read_system(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        mvcc::get(self.engine.as_ref(), key, Timestamp::MAX)
            .map_err(|e| sto_err(ErrorSubject::StateMachine, ErrorVerb::Read, e))
    }

    fn flush(&self, batch: &mut Batch) -> Result<(), StorageError> {
        if !batch.is_empty() {
            let b = std::mem::take(batch);
            self.engine
                .write(b, false)
                .map_err(|e| sto_err(ErrorSubject::StateMachine, ErrorVerb::Write, e))?;
        }
        Ok(())
    }

    fn put_system(batch: &mut Batch, key: &[u8], value: Vec<u8>) -> Result<(), StorageError> {
        mvcc::put_version(batch, key, Timestamp::ZERO, value)
            .map_err(|e| sto_err(ErrorSubject::StateMachine, ErrorVerb::Write, e))
    }

    /// Applies one command to `st`/`batch`. Business outcomes are responses;
    /// only storage failures are errors.
    fn apply_command(
        &self,
        st: &mut RangeState,
        batch: &mut Batch,
        cmd: Command,
        created: &mut Vec<RangeId>,
    ) -> Result<CommandResponse, StorageError> {
        let range_id = self.shared.range_id;
        let Some(desc) = st.descriptor.clone() else {
            return Ok(CommandResponse::Rejected(Rejection::Uninitialized));
        };
        let is_meta = range_id == META_RANGE_ID;
        let werr = |e| sto_err(ErrorSubject::StateMachine, ErrorVerb::Write, e);
        match cmd {
            Command::Write { ops } => {
                if let Some(op) = ops.iter().find(|op| !desc.contains(op.key())) {
                    return Ok(CommandResponse::Rejected(Rejection::KeyOutsideRange {
                        key: op.key().to_vec(),
                    }));
                }
                for op in ops {
                    match op {
                        WriteOp::Put { key, value, ts } => {
                            mvcc::put_version(batch, &key, ts, value).map_err(werr)?
                        }
                        WriteOp::Delete { key, ts } => {
                            mvcc::delete_version(batch, &key, ts).map_err(werr)?
                        }
                    }
                }
                Ok(CommandResponse::Applied)
            }
            Command::Split {
                split_key,
                new_range_id,
            } => {
                if !desc.can_split_at(&split_key) || new_range_id == range_id {
                    return Ok(CommandResponse::Rejected(Rejection::BadSplitKey {
                        key: split_key,
                    }));
                }
                let mut left = desc.clone();
                left.end_key = Some(split_key.clone());
                left.generation += 1;
                let right = RangeDescriptor {
                    range_id: new_range_id,
                    start_key: split_key,
                    end_key: desc.end_key.clone(),
                    generation: desc.generation + 1,
                    replicas: desc.replicas.clone(),
                };
                st.descriptor = Some(left.clone());
                // A replica of the child may already exist here (created by an
                // early Raft message, then filled by snapshot): keep it.
                let exists = self
                    .engine
                    .get(Cf::RaftState, &state_key(new_range_id, StateTag::Replica))
                    .map_err(|e| sto_err(ErrorSubject::StateMachine, ErrorVerb::Read, e))?
                    .is_some();
                if !exists {
                    let mut child = initial_state_batch(
                        &right,
                        st.membership.membership().clone(),
                        st.gc_threshold,
                    )?;
                    batch.append(&mut child);
                    created.push(new_range_id);
                }
                Ok(CommandResponse::Split { left, right })
            }
            Command::TsoAdvance { hwm } if is_meta => {
                self.flush(batch)?;
                let current = match self.read_system(TSO_KEY)? {
                    Some(v) => Timestamp(u64::from_be_bytes(
                        v.as_slice().try_into().unwrap_or([0; 8]),
                    )),
                    None => Timestamp::ZERO,
                };
                let hwm = hwm.max(current);
                Self::put_system(batch, TSO_KEY, hwm.0.to_be_bytes().to_vec())?;
                Ok(CommandResponse::Tso { hwm })
            }
            Command::MetaUpsert { desc: new } if is_meta => {
                self.flush(batch)?;
                let key = meta_key_for_end(new.end_key.as_deref());
                let stale = match self.read_system(&key)? {
                    Some(v) => bincode::deserialize::<RangeDescriptor>(&v)
                        .is_ok_and(|old| old.generation > new.generation || old == new),
                    None => false,
                };
                if stale {
                    return Ok(CommandResponse::MetaUpserted { written: false });
                }
                Self::put_system(batch, &key, ser(&new)?)?;
                Ok(CommandResponse::MetaUpserted { written: true })
            }
            Command::AllocRangeId if is_meta => {
                self.flush(batch)?;
                let next = match self.read_system(RANGE_ID_KEY)? {
                    Some(v) => u64::from_be_bytes(v.as_slice().try_into().unwrap_or([0; 8])),
                    None => 0,
                };
                // Ids below the bootstrap ranges' are never handed out.
                let id = next.max(crate::host::FIRST_SPLIT_RANGE_ID);
                Self::put_system(batch, RANGE_ID_KEY, (id + 1).to_be_bytes().to_vec())?;
                Ok(CommandResponse::RangeId(id))
            }
            Command::TsoAdvance { .. } | Command::MetaUpsert { .. } | Command::AllocRangeId => {
                Ok(CommandResponse::Rejected(Rejection::NotMetaRange))
            }
            Command::Txn(cmd) => {
                if let Some(key) = cmd.keys().into_iter().find(|k| !desc.contains(k)) {
                    return Ok(CommandResponse::Rejected(Rejection::KeyOutsideRange {
                        key: key.to_vec(),
                    }));
                }
                // Readers must see a raised GC threshold before any of the
                // deletions it allows reach the engine.
                if let crate::command::TxnCommand::Gc { safe_point, .. } = &cmd {
                    let mut shared = self.shared.state.write().unwrap_or_else(|p| p.into_inner());
                    shared.gc_threshold = shared.gc_threshold.max(*safe_point);
                }
                // Transactional steps read what earlier commands wrote.
                self.flush(batch)?;
                crate::txn_apply::apply(self.engine.as_ref(), batch, st, &desc, cmd)
            }
        }
    }
}

impl SmShared {
    /// Records a snapshot of the current applied state (meta only; the
    /// data stays in the engine, see [`SmShared::materialize`]) and makes it
    /// the current snapshot.
    fn record_snapshot(&self) -> SnapshotMeta<u64, BasicNode> {
        let st = self.state();
        let meta = snapshot_meta(self.range_id, &st);
        *self
            .current_snapshot
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(meta.clone());
        meta
    }

    /// The current snapshot with its data, read from the engine now: the
    /// range's entries in every MVCC column family and its descriptor,
    /// taken under the apply lock so that they match the applied log id
    /// exactly. If entries were applied since the recorded snapshot, this
    /// is a newer one (a new id at the applied log id), which becomes the
    /// current snapshot. `None` until a snapshot was built or installed.
    ///
    /// Openraft builds snapshots only to purge the log (it keeps just the
    /// meta of what it built) and asks for the data only when a follower
    /// needs it. The data is the engine's, already durable, so building is
    /// free and the full copy is made only for a follower that needs one,
    /// rather than every few thousand entries while the range is written.
    fn materialize(&self, engine: &dyn Engine) -> Result<Option<StoredSnapshot>, StorageError> {
        let snap_err = |e| sto_err(ErrorSubject::Snapshot(None), ErrorVerb::Read, e);
        let _guard = self.apply_lock.lock().unwrap_or_else(|p| p.into_inner());
        let recorded = self
            .current_snapshot
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let Some(recorded) = recorded else {
            return Ok(None);
        };
        let st = self.state();
        let meta =
            if recorded.last_log_id == st.applied && recorded.last_membership == st.membership {
                recorded
            } else {
                snapshot_meta(self.range_id, &st)
            };
        let mut entries = Vec::new();
        if let Some(descriptor) = &st.descriptor {
            let (start, end) = engine_span(descriptor);
            for cf in Cf::MVCC {
                engine
                    .visit(cf, &start, Some(&end), &mut |k, v| {
                        entries.push((cf, k.to_vec(), v.to_vec()));
                        true
                    })
                    .map_err(snap_err)?;
            }
        }
        let data = ser(&SnapshotPayload {
            descriptor: st.descriptor.clone(),
            gc_threshold: st.gc_threshold,
            entries,
        })?;
        metrics::counter!("rangedb_raft_snapshots_built_total").increment(1);
        // Applies are still held off, so a snapshot recorded meanwhile is of
        // this same state.
        *self
            .current_snapshot
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(meta.clone());
        Ok(Some(StoredSnapshot { meta, data }))
    }
}

/// The meta of a snapshot of `st`, with a fresh id.
fn snapshot_meta(range_id: RangeId, st: &RangeState) -> SnapshotMeta<u64, BasicNode> {
    let index = st.applied.map(|l| l.index).unwrap_or(0);
    SnapshotMeta {
        last_log_id: st.applied,
        last_membership: st.membership.clone(),
        snapshot_id: format!("r{range_id}-i{index}-{}", uuid_like()),
    }
}

impl RaftSnapshotBuilder<TypeConfig> for Arc<SmSnapshotSource> {
    /// Records the snapshot's meta only: openraft keeps nothing else of a
    /// built snapshot, and the data is read when a follower needs it
    /// ([`RaftStateMachine::get_current_snapshot`]).
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError> {
        let meta = self.shared.record_snapshot();
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(Vec::new())),
        })
    }
}

fn uuid_like() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// What the snapshot builder needs: the shared state (building records
/// the applied state; the data is read from the engine when it is sent).
pub struct SmSnapshotSource {
    shared: Arc<SmShared>,
}

impl RaftStateMachine<TypeConfig> for RangeStateMachine {
    type SnapshotBuilder = Arc<SmSnapshotSource>;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, StoredMembership), StorageError> {
        let st = self.shared.state();
        Ok((st.applied, st.membership))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<CommandResponse>, StorageError>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + Send,
        I::IntoIter: Send,
    {
        let range_id = self.shared.range_id;
        let mut created = Vec::new();
        let responses = {
            let _guard = self
                .shared
                .apply_lock
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let mut st = self.shared.state();
            let mut batch = Batch::new();
            let mut responses = Vec::new();
            for entry in entries {
                st.applied = Some(entry.log_id);
                let resp = match entry.payload {
                    EntryPayload::Blank => CommandResponse::Applied,
                    EntryPayload::Membership(m) => {
                        st.membership = StoredMembership::new(Some(entry.log_id), m);
                        CommandResponse::Applied
                    }
                    EntryPayload::Normal(cmd) => {
                        self.apply_command(&mut st, &mut batch, cmd, &mut created)?
                    }
                };
                responses.push(resp);
            }
            persist_state(&mut batch, range_id, &st)?;
            self.flush(&mut batch)?;
            if let Some(applied) = st.applied {
                metrics::gauge!("rangedb_raft_applied_index", "range" => range_id.to_string())
                    .set(applied.index as f64);
            }
            *self.shared.state.write().unwrap_or_else(|p| p.into_inner()) = st;
            responses
        };
        self.shared.note_change();
        for id in created {
            // The host outlives its state machines; a closed channel means shutdown.
            let _ = self.events.send(HostEvent::RangeCreated {
                range_id: id,
                parent: range_id,
            });
        }
        Ok(responses)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        Arc::new(SmSnapshotSource {
            shared: self.shared.clone(),
        })
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<u64, BasicNode>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError> {
        let data = snapshot.into_inner();
        let payload: SnapshotPayload = bincode::deserialize(&data).map_err(|e| {
            sto_err(
                ErrorSubject::Snapshot(Some(meta.signature())),
                ErrorVerb::Read,
                e,
            )
        })?;
        let range_id = self.shared.range_id;
        {
            let _guard = self
                .shared
                .apply_lock
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let mut b = Batch::new();
            if let Some(desc) = &payload.descriptor {
                let (start, end) = engine_span(desc);
                for cf in Cf::MVCC {
                    b.delete_range(cf, start.clone(), end.clone());
                }
            }
            for (cf, k, v) in payload.entries {
                b.put(cf, k, v);
            }
            let st = RangeState {
                applied: meta.last_log_id,
                membership: meta.last_membership.clone(),
                descriptor: payload.descriptor,
                gc_threshold: payload.gc_threshold,
            };
            persist_state(&mut b, range_id, &st)?;
            self.engine.write(b, true).map_err(|e| {
                sto_err(
                    ErrorSubject::Snapshot(Some(meta.signature())),
                    ErrorVerb::Write,
                    e,
                )
            })?;
            *self.shared.state.write().unwrap_or_else(|p| p.into_inner()) = st;
        }
        self.shared.note_change();
        metrics::counter!("rangedb_raft_snapshots_installed_total").increment(1);
        tracing::info!(range_id, snapshot = %meta.snapshot_id, "installed snapshot");
        *self
            .shared
            .current_snapshot
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(meta.clone());
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<TypeConfig>>, StorageError> {
        // Nothing survives a restart: openraft then builds one itself
        // (every initialised range has a purged log prefix,
        // INITIAL_LOG_INDEX), which costs nothing until a follower needs it.
        // A whole range is read and encoded: keep it off the async workers.
        let (shared, engine) = (self.shared.clone(), self.engine.clone());
        let stored = tokio::task::spawn_blocking(move || shared.materialize(engine.as_ref()))
            .await
            .map_err(|e| sto_err(ErrorSubject::Snapshot(None), ErrorVerb::Read, e))??;
        Ok(stored.map(|s| Snapshot {
            meta: s.meta,
            snapshot: Box::new(Cursor::new(s.data)),
        }))
    }
}
