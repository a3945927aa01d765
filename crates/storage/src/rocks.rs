//! The RocksDB engine: the only module that touches the `rocksdb` crate.

use crate::engine::{Batch, BatchOp, Cf, Engine};
use crate::error::{Result, StorageError};
use rocksdb::{
    BlockBasedOptions, ColumnFamilyDescriptor, Direction, IteratorMode, Options, ReadOptions,
    WriteOptions, DB,
};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// One RocksDB instance holding every range of a node.
pub struct RocksEngine {
    db: Arc<DB>,
}

impl From<rocksdb::Error> for StorageError {
    fn from(e: rocksdb::Error) -> Self {
        StorageError::Rocks(e.to_string())
    }
}

impl RocksEngine {
    /// Opens (creating if needed) the database under `path` with all column families.
    pub fn open(path: &Path) -> Result<Self> {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        opts.set_max_background_jobs(2);
        // Synced writes from many ranges are already grouped by the
        // GroupCommitter; let RocksDB pipeline the rest.
        opts.set_enable_pipelined_write(true);
        let cfs = Cf::ALL.iter().map(|cf| {
            let mut o = Options::default();
            if matches!(cf, Cf::Write | Cf::Lock | Cf::Data) {
                let mut block = BlockBasedOptions::default();
                block.set_bloom_filter(10.0, false);
                o.set_block_based_table_factory(&block);
            }
            ColumnFamilyDescriptor::new(cf.name(), o)
        });
        let db = DB::open_cf_descriptors(&opts, path, cfs)?;
        Ok(Self { db: Arc::new(db) })
    }

    fn handle(&self, cf: Cf) -> Result<&rocksdb::ColumnFamily> {
        self.db.cf_handle(cf.name()).ok_or(StorageError::Corrupt {
            what: "column family",
            detail: format!("{} missing", cf.name()),
        })
    }
}

impl Engine for RocksEngine {
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.db.get_cf(self.handle(cf)?, key)?)
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
        let mut ro = ReadOptions::default();
        if let Some(end) = end {
            ro.set_iterate_upper_bound(end.to_vec());
        }
        let iter = self.db.iterator_cf_opt(
            self.handle(cf)?,
            ro,
            IteratorMode::From(start, Direction::Forward),
        );
        for item in iter {
            let (k, v) = item?;
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
        let mut ro = ReadOptions::default();
        ro.set_iterate_lower_bound(start.to_vec());
        ro.set_iterate_upper_bound(end.to_vec());
        let mut iter = self
            .db
            .iterator_cf_opt(self.handle(cf)?, ro, IteratorMode::End);
        match iter.next() {
            Some(item) => {
                let (k, v) = item?;
                Ok(Some((k.to_vec(), v.to_vec())))
            }
            None => Ok(None),
        }
    }

    fn sync_wal(&self) -> Result<()> {
        let started = Instant::now();
        self.db.flush_wal(true)?;
        metrics::histogram!("rangedb_rocksdb_fsync_seconds")
            .record(started.elapsed().as_secs_f64());
        Ok(())
    }

    fn write(&self, batch: Batch, sync: bool) -> Result<()> {
        let mut wb = rocksdb::WriteBatch::default();
        for op in batch.ops {
            match op {
                BatchOp::Put { cf, key, value } => wb.put_cf(self.handle(cf)?, key, value),
                BatchOp::Delete { cf, key } => wb.delete_cf(self.handle(cf)?, key),
                BatchOp::DeleteRange { cf, start, end } => {
                    wb.delete_range_cf(self.handle(cf)?, start, end)
                }
            }
        }
        let mut wo = WriteOptions::default();
        wo.set_sync(sync);
        let started = Instant::now();
        self.db.write_opt(wb, &wo)?;
        let secs = started.elapsed().as_secs_f64();
        if sync {
            metrics::histogram!("rangedb_rocksdb_fsync_seconds").record(secs);
        } else {
            metrics::histogram!("rangedb_rocksdb_write_seconds").record(secs);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rocks_engine_meets_the_contract_and_persists() {
        let dir = tempfile::tempdir().unwrap();
        {
            let e = RocksEngine::open(dir.path()).unwrap();
            crate::mem::tests::engine_contract(&e);
        }
        let e = RocksEngine::open(dir.path()).unwrap();
        assert_eq!(e.get(Cf::Write, b"a").unwrap(), Some(b"va".to_vec()));
    }
}
