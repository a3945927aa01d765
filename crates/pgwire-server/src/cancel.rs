//! The server's registry of cancel keys: which (pid, secret) pair belongs to
//! which session's [`CancelToken`].
//!
//! A CancelRequest arrives on a fresh connection of its own, so the only link
//! to the running statement is the BackendKeyData the client was given. The
//! registry lives in the server (not a global) so that several servers in one
//! process (tests, multi-tenant nodes) never see each other's keys.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rangedb_sqltypes::session::CancelToken;

/// Maps BackendKeyData pairs to cancel tokens.
#[derive(Debug)]
pub struct CancelRegistry {
    sessions: Mutex<HashMap<i32, (i32, CancelToken)>>,
    next_pid: AtomicI32,
    counter: AtomicU64,
    /// Keyed SipHash with a per-process random key: the secrets it derives
    /// from a counter cannot be predicted by another client.
    keys: RandomState,
}

impl Default for CancelRegistry {
    fn default() -> Self {
        CancelRegistry {
            sessions: Mutex::new(HashMap::new()),
            next_pid: AtomicI32::new(10_000),
            counter: AtomicU64::new(0),
            keys: RandomState::new(),
        }
    }
}

/// A registered session: removes its key when the connection ends.
#[derive(Debug)]
pub struct CancelRegistration {
    registry: Arc<CancelRegistry>,
    /// The process id reported in BackendKeyData.
    pub pid: i32,
    /// The secret key reported in BackendKeyData.
    pub secret: i32,
}

impl CancelRegistry {
    /// An empty registry.
    pub fn new() -> Arc<CancelRegistry> {
        Arc::new(CancelRegistry::default())
    }

    /// Assigns a fresh (pid, secret) to `token`.
    pub fn register(self: &Arc<Self>, token: CancelToken) -> CancelRegistration {
        let mut sessions = self.lock();
        let pid = loop {
            let pid = self.next_pid.fetch_add(1, Ordering::Relaxed);
            if pid <= 0 {
                // Wrapped around: PIDs are reported as positive numbers.
                self.next_pid.store(10_000, Ordering::Relaxed);
                continue;
            }
            if !sessions.contains_key(&pid) {
                break pid;
            }
        };
        let mut hasher = self.keys.build_hasher();
        hasher.write_i32(pid);
        hasher.write_u64(self.counter.fetch_add(1, Ordering::Relaxed));
        let secret = hasher.finish() as i32;
        sessions.insert(pid, (secret, token));
        CancelRegistration {
            registry: Arc::clone(self),
            pid,
            secret,
        }
    }

    /// Cancels the statement of the session with this key pair; false when
    /// no session matches (unknown pid or wrong secret), which the protocol
    /// does not report to the requester.
    pub fn cancel(&self, pid: i32, secret: i32) -> bool {
        match self.lock().get(&pid) {
            Some((expected, token)) if *expected == secret => {
                token.cancel();
                true
            }
            _ => false,
        }
    }

    /// Cancels every registered session's statement (server shutdown).
    pub fn cancel_all(&self) {
        for (_, token) in self.lock().values() {
            token.cancel();
        }
    }

    /// Number of registered sessions.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no session is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i32, (i32, CancelToken)>> {
        // A poisoned map is still a valid map: entries are inserted and
        // removed whole.
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for CancelRegistration {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.pid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_needs_the_matching_secret_and_ends_with_the_registration() {
        let registry = CancelRegistry::new();
        let token = CancelToken::default();
        let reg = registry.register(token.clone());
        assert!(!registry.cancel(reg.pid, reg.secret.wrapping_add(1)));
        assert!(!token.is_cancelled());
        assert!(registry.cancel(reg.pid, reg.secret));
        assert!(token.is_cancelled());
        let (pid, secret) = (reg.pid, reg.secret);
        drop(reg);
        assert!(registry.is_empty());
        assert!(!registry.cancel(pid, secret));
    }

    #[test]
    fn pids_and_secrets_differ_between_sessions() {
        let registry = CancelRegistry::new();
        let a = registry.register(CancelToken::default());
        let b = registry.register(CancelToken::default());
        assert_ne!(a.pid, b.pid);
        assert_ne!(a.secret, b.secret);
        assert_eq!(registry.len(), 2);
    }
}
