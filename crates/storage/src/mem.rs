//! In-memory engine: the same contract as RocksDB, for tests of the layers
//! above that should not pay for disk I/O.

use crate::engine::{Batch, BatchOp, Cf, Engine};
use crate::error::Result;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::RwLock;

type Table = BTreeMap<Vec<u8>, Vec<u8>>;

/// An engine that keeps every column family in a `BTreeMap`. Nothing is
/// durable; `sync` is accepted and ignored.
#[derive(Default)]
pub struct MemEngine {
    cfs: RwLock<HashMap<Cf, Table>>,
}

impl MemEngine {
    /// An empty engine.
    pub fn new() -> Self {
        Self::default()
    }

    fn read<T>(&self, f: impl FnOnce(&HashMap<Cf, Table>) -> T) -> T {
        // A poisoned lock only means another thread panicked mid-test; the map
        // itself is still consistent because every mutation is a single call.
        let guard = self.cfs.read().unwrap_or_else(|p| p.into_inner());
        f(&guard)
    }
}

fn upper(end: Option<&[u8]>) -> Bound<&[u8]> {
    end.map_or(Bound::Unbounded, Bound::Excluded)
}

impl Engine for MemEngine {
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.read(|m| m.get(&cf).and_then(|t| t.get(key).cloned())))
    }

    fn visit(
        &self,
        cf: Cf,
        start: &[u8],
        end: Option<&[u8]>,
        f: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<()> {
        if end.is_some_and(|e| e <= start) {
            return Ok(());
        }
        // Copy out the matching entries so the callback can run without the lock.
        let entries: Vec<(Vec<u8>, Vec<u8>)> = self.read(|m| {
            m.get(&cf)
                .map(|t| {
                    t.range::<[u8], _>((Bound::Included(start), upper(end)))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default()
        });
        for (k, v) in entries {
            if !f(&k, &v) {
                break;
            }
        }
        Ok(())
    }

    fn last_in(&self, cf: Cf, start: &[u8], end: &[u8]) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        if end <= start {
            return Ok(None);
        }
        Ok(self.read(|m| {
            m.get(&cf).and_then(|t| {
                t.range::<[u8], _>((Bound::Included(start), Bound::Excluded(end)))
                    .next_back()
                    .map(|(k, v)| (k.clone(), v.clone()))
            })
        }))
    }

    fn sync_wal(&self) -> Result<()> {
        Ok(())
    }

    fn write(&self, batch: Batch, _sync: bool) -> Result<()> {
        let mut m = self.cfs.write().unwrap_or_else(|p| p.into_inner());
        for op in batch.ops {
            match op {
                BatchOp::Put { cf, key, value } => {
                    m.entry(cf).or_default().insert(key, value);
                }
                BatchOp::Delete { cf, key } => {
                    m.entry(cf).or_default().remove(&key);
                }
                BatchOp::DeleteRange { cf, start, end } => {
                    let t = m.entry(cf).or_default();
                    let doomed: Vec<Vec<u8>> = t
                        .range::<[u8], _>((
                            Bound::Included(start.as_slice()),
                            Bound::Excluded(end.as_slice()),
                        ))
                        .map(|(k, _)| k.clone())
                        .collect();
                    for k in doomed {
                        t.remove(&k);
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Behaviour every engine must share; run against both implementations.
    pub(crate) fn engine_contract(e: &dyn Engine) {
        let mut b = Batch::new();
        for k in ["a", "b", "c", "d"] {
            b.put(Cf::Write, k, format!("v{k}"));
        }
        b.put(Cf::Lock, "a", "lock");
        e.write(b, true).unwrap();
        assert_eq!(e.get(Cf::Write, b"b").unwrap(), Some(b"vb".to_vec()));
        assert_eq!(e.get(Cf::Data, b"b").unwrap(), None);
        let keys = |v: Vec<(Vec<u8>, Vec<u8>)>| v.into_iter().map(|(k, _)| k).collect::<Vec<_>>();
        assert_eq!(
            keys(e.scan(Cf::Write, b"b", Some(b"d"), 10).unwrap()),
            vec![b"b".to_vec(), b"c".to_vec()]
        );
        assert_eq!(
            keys(e.scan(Cf::Write, b"", None, 2).unwrap()),
            vec![b"a".to_vec(), b"b".to_vec()]
        );
        assert_eq!(
            e.last_in(Cf::Write, b"a", b"d").unwrap().map(|(k, _)| k),
            Some(b"c".to_vec())
        );
        assert_eq!(e.last_in(Cf::Write, b"x", b"z").unwrap(), None);
        let mut b = Batch::new();
        b.delete_range(Cf::Write, "b", "d");
        b.delete(Cf::Lock, "a");
        e.write(b, false).unwrap();
        assert_eq!(
            keys(e.scan(Cf::Write, b"", None, 10).unwrap()),
            vec![b"a".to_vec(), b"d".to_vec()]
        );
        assert_eq!(e.get(Cf::Lock, b"a").unwrap(), None);
    }

    #[test]
    fn mem_engine_meets_the_contract() {
        engine_contract(&MemEngine::new());
    }
}
