//! A node's cached catalog snapshot, reused while the schema version that
//! a transaction reads matches it.

use std::sync::{Arc, Mutex};

use rangedb_sqltypes::SqlError;
use rangedb_txn::Transaction;

use super::{store, Catalog};

/// Shared by all sessions of a node.
#[derive(Default)]
pub struct CatalogCache {
    current: Mutex<Option<Arc<Catalog>>>,
}

impl CatalogCache {
    /// The catalog as `txn` sees it: the cached snapshot if its version is
    /// the one `txn` reads, else loaded (and cached when newer).
    ///
    /// A transaction that changed the catalog itself (`own_ddl`) neither
    /// uses nor fills the cache: its version number is not yet committed and
    /// may be reused by another transaction's different change.
    pub async fn get(
        &self,
        txn: &mut Transaction,
        own_ddl: bool,
    ) -> Result<Arc<Catalog>, SqlError> {
        let version = store::read_version(txn).await?;
        if own_ddl {
            return Ok(Arc::new(store::load(txn, version).await?));
        }
        if let Some(c) = self.cached() {
            if c.version == version {
                return Ok(c);
            }
        }
        let loaded = Arc::new(store::load(txn, version).await?);
        if let Ok(mut slot) = self.current.lock() {
            let newer = slot.as_ref().is_none_or(|c| c.version < version);
            if newer {
                *slot = Some(loaded.clone());
            }
        }
        Ok(loaded)
    }

    fn cached(&self) -> Option<Arc<Catalog>> {
        self.current.lock().ok().and_then(|c| c.clone())
    }
}
