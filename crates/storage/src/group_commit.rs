//! Group commit: many ranges' log appends share one fsync.
//!
//! A Raft log append must be readable as soon as it is issued but may only be
//! acknowledged once durable. So appends are written to the engine without
//! sync, and then ask the committer for durability: one writer thread takes
//! every request queued while the previous fsync ran, syncs the write-ahead
//! log once (which covers every write issued before it), and completes all of
//! their callbacks. Under load one fsync serves many ranges' appends.

use crate::engine::Engine;
use crate::error::{Result, StorageError};
use std::sync::mpsc;
use std::sync::Arc;

/// Completion callback of a durability request.
pub type Done = Box<dyn FnOnce(Result<()>) + Send>;

/// Handle to the syncing thread; clones share the same thread.
#[derive(Clone)]
pub struct GroupCommitter {
    inner: Arc<Inner>,
}

/// The channel to the thread and the thread itself. Dropping the last handle
/// closes the channel and joins the thread, so the engine the thread holds is
/// released before the owner goes on (RocksDB must not be closed by a
/// detached thread racing process exit).
struct Inner {
    tx: Option<mpsc::Sender<Done>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            if t.join().is_err() {
                tracing::error!("group-commit thread panicked");
            }
        }
    }
}

impl GroupCommitter {
    /// Starts the syncing thread for `engine`. It stops when every handle is dropped.
    pub fn start(engine: Arc<dyn Engine>) -> Self {
        let (tx, rx) = mpsc::channel::<Done>();
        let thread = match std::thread::Builder::new()
            .name("group-commit".into())
            .spawn(move || run(engine, rx))
        {
            Ok(t) => Some(t),
            Err(e) => {
                // Without the thread every request fails with `Closed`: loud, not silent.
                tracing::error!("cannot start group-commit thread: {e}");
                None
            }
        };
        Self {
            inner: Arc::new(Inner {
                tx: Some(tx),
                thread,
            }),
        }
    }

    /// Calls `done` once every write issued before this call is durable.
    pub fn sync(&self, done: Done) {
        match &self.inner.tx {
            Some(tx) => {
                if let Err(mpsc::SendError(done)) = tx.send(done) {
                    done(Err(StorageError::Closed));
                }
            }
            None => done(Err(StorageError::Closed)),
        }
    }

    /// Waits until every write issued before this call is durable.
    pub async fn sync_async(&self) -> Result<()> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.sync(Box::new(move |r| {
            let _ = tx.send(r);
        }));
        rx.await.unwrap_or(Err(StorageError::Closed))
    }
}

fn run(engine: Arc<dyn Engine>, rx: mpsc::Receiver<Done>) {
    while let Ok(first) = rx.recv() {
        let mut waiters = vec![first];
        waiters.extend(rx.try_iter());
        metrics::histogram!("rangedb_group_commit_waiters").record(waiters.len() as f64);
        let result = engine.sync_wal();
        if let Err(e) = &result {
            tracing::error!("WAL sync failed: {e}");
        }
        for done in waiters {
            done(result.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Batch, Cf, MemEngine};

    #[test]
    fn every_sync_request_completes_after_its_write() {
        let engine = Arc::new(MemEngine::new());
        let gc = GroupCommitter::start(engine.clone());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut waits = Vec::new();
            for i in 0..100u32 {
                let mut b = Batch::new();
                b.put(Cf::RaftLog, i.to_be_bytes().to_vec(), b"x".to_vec());
                engine.write(b, false).unwrap();
                let gc = gc.clone();
                waits.push(tokio::spawn(async move { gc.sync_async().await }));
            }
            for w in waits {
                w.await.unwrap().unwrap();
            }
        });
        assert_eq!(
            engine.scan(Cf::RaftLog, b"", None, 1000).unwrap().len(),
            100
        );
    }
}
