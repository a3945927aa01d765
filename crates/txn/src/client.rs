//! The entry point of the transaction layer: starts transactions, tracks
//! which are running (garbage collection must not remove versions they may
//! read), and retries implicit transactions on conflicts.

use crate::error::TxnError;
use crate::transaction::Transaction;
use rangedb_common::Timestamp;
use rangedb_kv::KvClient;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The body of a transaction run by [`TxnClient::run`].
pub type TxnBody<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, TxnError>> + Send + 'a>>;

/// Isolation level of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Isolation {
    /// Every read and scanned span is validated before the commit point:
    /// the transaction appears to run atomically at its commit timestamp.
    #[default]
    Serializable,
    /// Snapshot isolation: reads see the snapshot at the start timestamp and
    /// only write-write conflicts abort. Allows write skew.
    RepeatableRead,
}

/// Tunables of the protocol.
#[derive(Debug, Clone)]
pub struct TxnConfig {
    /// How long after its last sign of life (the prewrite) a lock's owner is
    /// presumed dead, so that others may roll it back.
    pub lock_ttl: Duration,
    /// How long a writer waits for a live lock before giving up (the
    /// transaction then restarts: waiting longer risks deadlock cycles).
    pub writer_lock_wait: Duration,
    /// How long a reader waits for a live lock before failing.
    pub reader_lock_wait: Duration,
    /// How long a statement of an explicit transaction waits to lock the
    /// rows it writes while another live transaction holds them (and how
    /// long a one-phase commit waits). Those locks are held until commit,
    /// so this is the wait PostgreSQL spends on a row lock; a deadlock the
    /// detector misses ends with 40001 after this long.
    pub statement_lock_wait: Duration,
    /// How many times [`TxnClient::run`] restarts a transaction on conflict.
    pub max_retries: u32,
}

impl Default for TxnConfig {
    fn default() -> Self {
        Self {
            lock_ttl: Duration::from_secs(3),
            writer_lock_wait: Duration::from_millis(500),
            reader_lock_wait: Duration::from_secs(20),
            statement_lock_wait: Duration::from_secs(5),
            max_retries: 10,
        }
    }
}

/// Starts and runs transactions against the cluster. Share it (`Arc`).
pub struct TxnClient {
    pub(crate) kv: Arc<KvClient>,
    pub(crate) config: TxnConfig,
    /// Start timestamps of running transactions (with a count, since a
    /// batch of timestamps may repeat none but tests may construct equal ones).
    active: Mutex<BTreeMap<Timestamp, usize>>,
}

impl TxnClient {
    /// A transaction client over `kv`.
    pub fn new(kv: Arc<KvClient>, config: TxnConfig) -> Arc<Self> {
        Arc::new(Self {
            kv,
            config,
            active: Mutex::new(BTreeMap::new()),
        })
    }

    /// Every range of the cluster as the meta range records it, in key
    /// order (for `SHOW RANGES`: the SQL layer sees ranges only through
    /// this layer).
    pub async fn ranges(&self) -> Result<Vec<rangedb_common::RangeDescriptor>, TxnError> {
        Ok(self.kv.all_descriptors().await?)
    }

    /// The protocol's tunables.
    pub fn config(&self) -> &TxnConfig {
        &self.config
    }

    /// Starts a transaction at a fresh timestamp from the oracle.
    pub async fn begin(self: &Arc<Self>, isolation: Isolation) -> Result<Transaction, TxnError> {
        let start_ts = self.kv.timestamp().await?;
        Ok(Transaction::new(self.clone(), start_ts, isolation))
    }

    /// Runs `body` in a transaction and commits it, restarting the whole
    /// transaction (new start timestamp) on retryable conflicts up to
    /// `max_retries` times with a jittered backoff. This is what a
    /// single-statement (implicit) transaction uses.
    ///
    /// `body` returns a boxed future (`|t| Box::pin(async move { .. })`) so
    /// that the whole call stays `Send` and can run in a spawned task.
    pub async fn run<T, F>(
        self: &Arc<Self>,
        isolation: Isolation,
        mut body: F,
    ) -> Result<T, TxnError>
    where
        F: for<'a> FnMut(&'a mut Transaction) -> TxnBody<'a, T>,
    {
        let mut attempt = 0;
        loop {
            let mut txn = self.begin(isolation).await?;
            let result = match body(&mut txn).await {
                Ok(v) => txn.commit().await.map(|_| v),
                Err(e) => {
                    txn.rollback().await;
                    Err(e)
                }
            };
            match result {
                Err(e) if e.is_retryable() && attempt < self.config.max_retries => {
                    attempt += 1;
                    metrics::counter!("rangedb_txn_retries_total").increment(1);
                    let cap = 5u64 << attempt.min(6);
                    let ms = rand::random_range(1..=cap);
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
                other => return other,
            }
        }
    }

    /// The start timestamp of the oldest running transaction of this client.
    pub fn oldest_active(&self) -> Option<Timestamp> {
        self.active
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .next()
            .copied()
    }

    pub(crate) fn register(&self, ts: Timestamp) {
        *self
            .active
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(ts)
            .or_default() += 1;
    }

    pub(crate) fn unregister(&self, ts: Timestamp) {
        let mut active = self.active.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = active.get_mut(&ts) {
            *n -= 1;
            if *n == 0 {
                active.remove(&ts);
            }
        }
    }
}
