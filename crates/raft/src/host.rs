//! The multi-raft host: every range replica on this node, one openraft
//! instance each, sharing one engine, one group committer and one connection
//! pool.
//!
//! Replicas come into being three ways: bootstrap (`init` writes the initial
//! ranges' state on every node), split (applying a split creates the child's
//! initial state), and an incoming Raft message for a range this node does not
//! host yet (an empty replica that the leader fills with a snapshot).

use crate::command::{Command, CommandResponse};
use crate::error::RaftLayerError;
use crate::log_store::RangeLogStore;
use crate::network::RangeNetworkFactory;
use crate::read_index::ReadIndexBatcher;
use crate::state_machine::{
    initial_state_batch, membership_of, HostEvent, RangeState, RangeStateMachine, SmShared,
};
use crate::types::{Raft, TypeConfig};
use openraft::error::{InstallSnapshotError, RaftError};
use openraft::raft::{AppendEntriesRequest, InstallSnapshotRequest, VoteRequest};
use rangedb_common::{NodeId, RangeDescriptor, RangeId, Timestamp};
use rangedb_rpc::{raft_kind, ConnPool};
use rangedb_storage::raft_keys::{parse_state_key, state_key, StateTag};
use rangedb_storage::{Batch, Cf, Engine, GroupCommitter};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tokio::sync::mpsc;

/// Range ids handed out by splits start here (bootstrap uses 1 and 2).
pub const FIRST_SPLIT_RANGE_ID: RangeId = 3;

/// Settings of the host and of every Raft group it runs.
#[derive(Debug, Clone)]
pub struct HostConfig {
    pub node_id: NodeId,
    pub heartbeat_ms: u64,
    pub election_timeout_min_ms: u64,
    pub election_timeout_max_ms: u64,
    /// Build a snapshot after this many applied entries.
    pub snapshot_every_logs: u64,
    /// Entries kept in the log behind a snapshot (for slightly lagging followers).
    pub logs_to_keep_after_snapshot: u64,
}

impl HostConfig {
    /// Defaults tuned for a loopback or LAN cluster.
    pub fn new(node_id: NodeId) -> Self {
        Self {
            node_id,
            heartbeat_ms: 200,
            election_timeout_min_ms: 1000,
            election_timeout_max_ms: 2000,
            snapshot_every_logs: 10_000,
            logs_to_keep_after_snapshot: 1_000,
        }
    }

    fn raft_config(&self) -> Result<Arc<openraft::Config>, RaftLayerError> {
        let c = openraft::Config {
            cluster_name: "rangedb".into(),
            heartbeat_interval: self.heartbeat_ms,
            election_timeout_min: self.election_timeout_min_ms,
            election_timeout_max: self.election_timeout_max_ms,
            install_snapshot_timeout: 10_000,
            snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(self.snapshot_every_logs),
            max_in_snapshot_log_to_keep: self.logs_to_keep_after_snapshot,
            purge_batch_size: 256,
            // Entries can be large (a transaction's batch of up to 512
            // mutations): bound what one AppendEntries carries.
            max_payload_entries: 64,
            ..Default::default()
        };
        Ok(Arc::new(
            c.validate()
                .map_err(|e| RaftLayerError::Raft(e.to_string()))?,
        ))
    }
}

/// One range replica on this node.
pub struct Replica {
    pub range_id: RangeId,
    pub raft: Raft,
    shared: Arc<SmShared>,
    /// Concurrent reads share heartbeat rounds.
    reads: ReadIndexBatcher<ReplicaError>,
}

impl Replica {
    /// The replica's applied state (descriptor, applied index, membership).
    pub fn state(&self) -> RangeState {
        self.shared.state()
    }

    /// A receiver that changes whenever this replica applies entries or
    /// installs a snapshot (see [`SmShared::subscribe_changes`]).
    pub fn subscribe_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.shared.subscribe_changes()
    }

    /// This replica's view of the current leader.
    pub fn leader(&self) -> Option<NodeId> {
        self.raft.metrics().borrow().current_leader
    }

    /// The current Raft term as seen by this replica.
    pub fn term(&self) -> u64 {
        self.raft.metrics().borrow().current_term
    }

    /// Read-index: confirms with a quorum that this replica leads, then waits
    /// until everything committed before the call has been applied here.
    /// Concurrent calls share rounds (see [`crate::read_index`]).
    pub async fn read_index(&self) -> Result<(), ReplicaError> {
        let lost = ReplicaError::Unavailable("read-index round abandoned".into());
        self.reads.read_index(lost).await
    }

    /// One read-index round of openraft's.
    async fn ensure_linearizable(raft: Raft) -> Result<(), ReplicaError> {
        use openraft::error::CheckIsLeaderError;
        match raft.ensure_linearizable().await {
            Ok(_) => Ok(()),
            Err(RaftError::APIError(CheckIsLeaderError::ForwardToLeader(f))) => {
                Err(ReplicaError::NotLeader(f.leader_id))
            }
            Err(RaftError::APIError(CheckIsLeaderError::QuorumNotEnough(q))) => {
                Err(ReplicaError::Unavailable(q.to_string()))
            }
            Err(RaftError::Fatal(f)) => Err(ReplicaError::Unavailable(f.to_string())),
        }
    }

    /// Replicates `cmd` and returns what applying it answered.
    pub async fn propose(&self, cmd: Command) -> Result<CommandResponse, ReplicaError> {
        use openraft::error::ClientWriteError;
        metrics::counter!("rangedb_raft_proposals_total").increment(1);
        match self.raft.client_write(cmd).await {
            Ok(resp) => Ok(resp.data),
            Err(RaftError::APIError(ClientWriteError::ForwardToLeader(f))) => {
                Err(ReplicaError::NotLeader(f.leader_id))
            }
            Err(RaftError::APIError(ClientWriteError::ChangeMembershipError(c))) => {
                Err(ReplicaError::Unavailable(c.to_string()))
            }
            Err(RaftError::Fatal(f)) => Err(ReplicaError::Unavailable(f.to_string())),
        }
    }
}

/// Why a replica could not serve a read or a proposal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplicaError {
    #[error("not the leader (leader hint: {0:?})")]
    NotLeader(Option<NodeId>),
    #[error("replica unavailable: {0}")]
    Unavailable(String),
}

/// Hosts every range replica of a node.
pub struct RaftHost {
    config: HostConfig,
    raft_config: Arc<openraft::Config>,
    engine: Arc<dyn Engine>,
    committer: GroupCommitter,
    pool: Arc<ConnPool>,
    replicas: RwLock<HashMap<RangeId, Arc<Replica>>>,
    /// Serialises replica creation so a range is never started twice.
    starting: tokio::sync::Mutex<()>,
    events: mpsc::UnboundedSender<HostEvent>,
}

impl RaftHost {
    /// Opens the host and starts every replica persisted on this node.
    pub async fn open(
        config: HostConfig,
        engine: Arc<dyn Engine>,
        pool: Arc<ConnPool>,
    ) -> Result<Arc<Self>, RaftLayerError> {
        let committer = GroupCommitter::start(engine.clone());
        let (events, mut rx) = mpsc::unbounded_channel();
        let host = Arc::new(Self {
            raft_config: config.raft_config()?,
            config,
            engine,
            committer,
            pool,
            replicas: RwLock::new(HashMap::new()),
            starting: tokio::sync::Mutex::new(()),
            events,
        });
        for range_id in host.persisted_ranges()? {
            host.start_replica(range_id).await?;
        }
        let weak = Arc::downgrade(&host);
        tokio::spawn(async move {
            while let Some(ev) = rx.recv().await {
                let Some(host) = weak.upgrade() else { break };
                host.on_event(ev).await;
            }
        });
        Ok(host)
    }

    /// This node's id.
    pub fn node_id(&self) -> NodeId {
        self.config.node_id
    }

    /// The engine shared by all replicas (for reads of applied data).
    pub fn engine(&self) -> &Arc<dyn Engine> {
        &self.engine
    }

    /// The connection pool shared with the KV layer.
    pub fn pool(&self) -> &Arc<ConnPool> {
        &self.pool
    }

    fn persisted_ranges(&self) -> Result<Vec<RangeId>, RaftLayerError> {
        let mut ids = Vec::new();
        self.engine.visit(Cf::RaftState, &[], None, &mut |k, _| {
            if let Some((id, tag)) = parse_state_key(k) {
                if tag == StateTag::Replica as u8 {
                    ids.push(id);
                }
            }
            true
        })?;
        Ok(ids)
    }

    /// Whether this node has been bootstrapped (hosts any range).
    pub fn is_bootstrapped(&self) -> bool {
        !self
            .replicas
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty()
    }

    /// The replica of `range_id`, if hosted here.
    pub fn replica(&self, range_id: RangeId) -> Option<Arc<Replica>> {
        self.replicas
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&range_id)
            .cloned()
    }

    /// Every replica on this node, ordered by range id.
    pub fn replicas(&self) -> Vec<Arc<Replica>> {
        let mut v: Vec<_> = self
            .replicas
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        v.sort_by_key(|r| r.range_id);
        v
    }

    /// Number of ranges this node currently leads.
    pub fn leader_count(&self) -> usize {
        let me = self.config.node_id;
        self.replicas()
            .iter()
            .filter(|r| r.leader() == Some(me))
            .count()
    }

    /// Starts the Raft group of a range persisted on this node (idempotent).
    pub async fn start_replica(&self, range_id: RangeId) -> Result<Arc<Replica>, RaftLayerError> {
        let _guard = self.starting.lock().await;
        if let Some(r) = self.replica(range_id) {
            return Ok(r);
        }
        let log = RangeLogStore::new(range_id, self.engine.clone(), self.committer.clone());
        let sm = RangeStateMachine::open(range_id, self.engine.clone(), self.events.clone())
            .map_err(|e| RaftLayerError::Raft(e.to_string()))?;
        let shared = sm.shared();
        let network = RangeNetworkFactory::new(range_id, self.pool.clone());
        let raft = Raft::new(
            self.config.node_id,
            self.raft_config.clone(),
            network,
            log,
            sm,
        )
        .await
        .map_err(|e| RaftLayerError::Raft(e.to_string()))?;
        let round_raft = raft.clone();
        let reads = ReadIndexBatcher::new(Arc::new(move || {
            Box::pin(Replica::ensure_linearizable(round_raft.clone()))
                as futures::future::BoxFuture<'static, _>
        }));
        let replica = Arc::new(Replica {
            range_id,
            raft,
            shared,
            reads,
        });
        self.replicas
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(range_id, replica.clone());
        tracing::info!(
            range_id,
            node = self.config.node_id,
            "started range replica"
        );
        Ok(replica)
    }

    /// Creates ranges from their initial descriptors (cluster bootstrap). The
    /// state written is identical on every node, so the replicas agree without
    /// any Raft traffic; then they elect leaders.
    pub async fn bootstrap(&self, descriptors: &[RangeDescriptor]) -> Result<(), RaftLayerError> {
        let mut b = Batch::new();
        for d in descriptors {
            if self
                .engine
                .get(Cf::RaftState, &state_key(d.range_id, StateTag::Replica))?
                .is_some()
            {
                continue;
            }
            let mut s = initial_state_batch(d, membership_of(d), Timestamp::ZERO)
                .map_err(|e| RaftLayerError::Raft(e.to_string()))?;
            b.append(&mut s);
        }
        self.engine.write(b, true)?;
        for d in descriptors {
            self.start_replica(d.range_id).await?;
        }
        Ok(())
    }

    async fn on_event(&self, ev: HostEvent) {
        match ev {
            HostEvent::RangeCreated { range_id, parent } => {
                match self.start_replica(range_id).await {
                    Ok(child) => {
                        // The parent's leader campaigns first so the child is
                        // available without waiting out an election timeout.
                        let parent_leader = self.replica(parent).and_then(|p| p.leader());
                        if parent_leader == Some(self.config.node_id) {
                            let _ = child.raft.trigger().elect().await;
                        }
                    }
                    Err(e) => tracing::error!(range_id, "cannot start split child: {e}"),
                }
            }
        }
    }

    /// Handles one incoming Raft message and returns the encoded answer.
    pub async fn handle_raft(
        &self,
        range_id: RangeId,
        kind: u32,
        payload: &[u8],
    ) -> Result<Vec<u8>, RaftLayerError> {
        let malformed = |e: bincode::Error| RaftLayerError::Malformed(e.to_string());
        match kind {
            raft_kind::APPEND_ENTRIES => {
                let req: AppendEntriesRequest<TypeConfig> =
                    bincode::deserialize(payload).map_err(malformed)?;
                let replica = self.replica_for_leader_message(range_id).await?;
                encode(&replica.raft.append_entries(req).await)
            }
            raft_kind::VOTE => {
                let req: VoteRequest<u64> = bincode::deserialize(payload).map_err(malformed)?;
                let replica = self
                    .replica(range_id)
                    .ok_or(RaftLayerError::RangeNotFound(range_id))?;
                encode(&replica.raft.vote(req).await)
            }
            raft_kind::INSTALL_SNAPSHOT => {
                let req: InstallSnapshotRequest<TypeConfig> =
                    bincode::deserialize(payload).map_err(malformed)?;
                let replica = self.replica_for_leader_message(range_id).await?;
                let r: Result<_, RaftError<u64, InstallSnapshotError>> =
                    replica.raft.install_snapshot(req).await;
                encode(&r)
            }
            other => Err(RaftLayerError::Malformed(format!(
                "unknown raft message kind {other}"
            ))),
        }
    }

    /// The replica a leader's message is for; an unknown range on a
    /// bootstrapped node gets an empty replica that will receive a snapshot.
    async fn replica_for_leader_message(
        &self,
        range_id: RangeId,
    ) -> Result<Arc<Replica>, RaftLayerError> {
        if let Some(r) = self.replica(range_id) {
            return Ok(r);
        }
        if !self.is_bootstrapped() || range_id == 0 {
            return Err(RaftLayerError::RangeNotFound(range_id));
        }
        let mut b = Batch::new();
        b.put(
            Cf::RaftState,
            state_key(range_id, StateTag::Replica),
            Vec::new(),
        );
        self.engine.write(b, true)?;
        tracing::info!(range_id, "creating empty replica for incoming Raft traffic");
        self.start_replica(range_id).await
    }

    /// Stops every Raft group.
    pub async fn shutdown(&self) {
        for r in self.replicas() {
            let _ = r.raft.shutdown().await;
        }
    }
}

fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, RaftLayerError> {
    bincode::serialize(v).map_err(|e| RaftLayerError::Malformed(e.to_string()))
}
