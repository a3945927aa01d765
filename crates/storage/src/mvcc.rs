//! Multi-version reads and writes, laid out for a Percolator-style
//! transaction layer:
//!
//! ```text
//!   write CF  enc(key) ++ !commit_ts  ->  WriteRecord { kind, start_ts, value }
//!   lock  CF  enc(key)                ->  a transaction's lock (transaction layer)
//!   data  CF  enc(key) ++ !start_ts   ->  large values of prewritten versions
//! ```
//!
//! `enc` is the memcomparable encoding of `common::keys`, so versions of one
//! key are contiguous and never interleave with another key's; the inverted
//! timestamp puts the newest version first, so a read at `ts` is one seek.
//! Non-transactional writes (this layer's KV API) store the value inline in the
//! write record with `start_ts == commit_ts`; the transaction layer will add
//! locks and the data CF without changing this layout.

use crate::engine::{try_visit, Batch, Cf, Engine};
use crate::error::{Result, StorageError};
use rangedb_common::keys::{decode_bytes, encode_bytes};
use rangedb_common::Timestamp;
use serde::{Deserialize, Serialize};

/// What a record in the write column family says about its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WriteKind {
    /// The key holds `value` from this version on (non-transactional writes
    /// keep the value inline).
    Put(Vec<u8>),
    /// The key is absent from this version on (a tombstone).
    Delete,
    /// A committed transactional put: the value was prewritten into the data
    /// column family under `key ++ !start_ts`.
    PutData,
    /// Not a version: marks that the transaction started at `start_ts` was
    /// rolled back on this key, so a late prewrite of it is refused. Stored
    /// at `key ++ !start_ts`; readers skip it.
    Rollback,
}

impl WriteKind {
    /// Whether this record is a version of the key (not a rollback marker).
    pub fn is_version(&self) -> bool {
        !matches!(self, WriteKind::Rollback)
    }
}

/// A record in the write column family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteRecord {
    pub kind: WriteKind,
    /// Start timestamp of the writing transaction (equals the commit
    /// timestamp for non-transactional writes).
    pub start_ts: Timestamp,
}

/// The engine key of `key` at `ts`.
pub fn mvcc_key(key: &[u8], ts: Timestamp) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 10);
    encode_bytes(&mut k, key);
    k.extend_from_slice(&(!ts.0).to_be_bytes());
    k
}

/// The engine key below which every version of every key `< key` sorts.
pub fn mvcc_key_prefix(key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 2);
    encode_bytes(&mut k, key);
    k
}

/// The engine-key span holding all versions of user keys in `[start, end)`.
pub fn mvcc_span(start: &[u8], end: Option<&[u8]>) -> (Vec<u8>, Option<Vec<u8>>) {
    (mvcc_key_prefix(start), end.map(mvcc_key_prefix))
}

/// Splits an engine key back into user key and timestamp.
pub fn decode_mvcc_key(k: &[u8]) -> Result<(Vec<u8>, Timestamp)> {
    let corrupt = |detail: String| StorageError::Corrupt {
        what: "mvcc key",
        detail,
    };
    let (key, n) = decode_bytes(k).map_err(|e| corrupt(e.to_string()))?;
    let ts: [u8; 8] = k[n..]
        .try_into()
        .map_err(|_| corrupt(format!("timestamp suffix of {} bytes", k.len() - n)))?;
    Ok((key, Timestamp(!u64::from_be_bytes(ts))))
}

/// The smallest key greater than every key that starts with `prefix`.
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return end;
        }
    }
    vec![0xFF; prefix.len() + 1]
}

/// Adds a version of `key` with `value` at `ts` to `batch`.
pub fn put_version(batch: &mut Batch, key: &[u8], ts: Timestamp, value: Vec<u8>) -> Result<()> {
    let rec = WriteRecord {
        kind: WriteKind::Put(value),
        start_ts: ts,
    };
    batch.put(Cf::Write, mvcc_key(key, ts), bincode::serialize(&rec)?);
    Ok(())
}

/// Adds a tombstone for `key` at `ts` to `batch`.
pub fn delete_version(batch: &mut Batch, key: &[u8], ts: Timestamp) -> Result<()> {
    let rec = WriteRecord {
        kind: WriteKind::Delete,
        start_ts: ts,
    };
    batch.put(Cf::Write, mvcc_key(key, ts), bincode::serialize(&rec)?);
    Ok(())
}

/// Decodes a write-CF record.
pub fn decode_record(v: &[u8]) -> Result<WriteRecord> {
    bincode::deserialize(v).map_err(|e| StorageError::Corrupt {
        what: "write record",
        detail: e.to_string(),
    })
}

/// The newest version of `key` with timestamp `<= ts`, with that timestamp
/// (rollback markers are skipped).
pub fn get_version(
    engine: &dyn Engine,
    key: &[u8],
    ts: Timestamp,
) -> Result<Option<(Timestamp, WriteRecord)>> {
    let start = mvcc_key(key, ts);
    let end = prefix_end(&mvcc_key_prefix(key));
    let mut found = None;
    try_visit(engine, Cf::Write, &start, Some(&end), &mut |k, v| {
        let (_, commit_ts) = decode_mvcc_key(k)?;
        let rec = decode_record(v)?;
        if !rec.kind.is_version() {
            return Ok(true);
        }
        found = Some((commit_ts, rec));
        Ok(false)
    })?;
    Ok(found)
}

/// The value a version gives its key (`None` for a tombstone), reading the
/// data column family for transactional puts.
pub fn version_value(engine: &dyn Engine, key: &[u8], rec: WriteRecord) -> Result<Option<Vec<u8>>> {
    match rec.kind {
        WriteKind::Put(v) => Ok(Some(v)),
        WriteKind::Delete | WriteKind::Rollback => Ok(None),
        WriteKind::PutData => match engine.get(Cf::Data, &mvcc_key(key, rec.start_ts))? {
            Some(v) => Ok(Some(v)),
            None => Err(StorageError::Corrupt {
                what: "data column family",
                detail: format!(
                    "committed version of start_ts {} has no value",
                    rec.start_ts
                ),
            }),
        },
    }
}

/// The value of `key` as of `ts` (`None` if absent or deleted).
pub fn get(engine: &dyn Engine, key: &[u8], ts: Timestamp) -> Result<Option<Vec<u8>>> {
    match get_version(engine, key, ts)? {
        Some((_, rec)) => version_value(engine, key, rec),
        None => Ok(None),
    }
}

/// Up to `limit` live keys of `[start, end)` as of `ts`, in key order.
pub fn scan(
    engine: &dyn Engine,
    start: &[u8],
    end: Option<&[u8]>,
    ts: Timestamp,
    limit: usize,
) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let (s, e) = mvcc_span(start, end);
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    if limit == 0 {
        return Ok(out);
    }
    // The user key whose visible version has already been decided.
    let mut decided: Option<Vec<u8>> = None;
    try_visit(engine, Cf::Write, &s, e.as_deref(), &mut |k, v| {
        let (key, commit_ts) = decode_mvcc_key(k)?;
        if commit_ts > ts || decided.as_deref() == Some(key.as_slice()) {
            return Ok(true);
        }
        let rec = decode_record(v)?;
        if !rec.kind.is_version() {
            return Ok(true);
        }
        if let Some(value) = version_value(engine, &key, rec)? {
            out.push((key.clone(), value));
        }
        decided = Some(key);
        Ok(out.len() < limit)
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemEngine;

    fn ts(n: u64) -> Timestamp {
        Timestamp(n)
    }

    fn setup() -> MemEngine {
        let e = MemEngine::new();
        let mut b = Batch::new();
        put_version(&mut b, b"a", ts(10), b"a10".to_vec()).unwrap();
        put_version(&mut b, b"a", ts(20), b"a20".to_vec()).unwrap();
        delete_version(&mut b, b"a", ts(30)).unwrap();
        put_version(&mut b, b"a\x00", ts(15), b"a0-15".to_vec()).unwrap();
        put_version(&mut b, b"b", ts(5), b"b5".to_vec()).unwrap();
        put_version(&mut b, b"c", ts(25), b"c25".to_vec()).unwrap();
        e.write(b, false).unwrap();
        e
    }

    #[test]
    fn get_sees_newest_version_at_or_below_ts() {
        let e = setup();
        assert_eq!(get(&e, b"a", ts(9)).unwrap(), None);
        assert_eq!(get(&e, b"a", ts(10)).unwrap(), Some(b"a10".to_vec()));
        assert_eq!(get(&e, b"a", ts(29)).unwrap(), Some(b"a20".to_vec()));
        assert_eq!(
            get(&e, b"a", ts(30)).unwrap(),
            None,
            "tombstone hides older versions"
        );
        assert_eq!(
            get(&e, b"a\x00", Timestamp::MAX).unwrap(),
            Some(b"a0-15".to_vec())
        );
        assert_eq!(get(&e, b"zz", Timestamp::MAX).unwrap(), None);
    }

    #[test]
    fn scan_returns_each_visible_key_once_in_order() {
        let e = setup();
        let keys = |v: Vec<(Vec<u8>, Vec<u8>)>| v;
        assert_eq!(
            keys(scan(&e, b"a", None, ts(20), 100).unwrap()),
            vec![
                (b"a".to_vec(), b"a20".to_vec()),
                (b"a\x00".to_vec(), b"a0-15".to_vec()),
                (b"b".to_vec(), b"b5".to_vec())
            ]
        );
        assert_eq!(
            keys(scan(&e, b"a", Some(b"c"), Timestamp::MAX, 100).unwrap()),
            vec![
                (b"a\x00".to_vec(), b"a0-15".to_vec()),
                (b"b".to_vec(), b"b5".to_vec())
            ]
        );
        assert_eq!(scan(&e, b"", None, ts(100), 2).unwrap().len(), 2);
        assert_eq!(scan(&e, b"b", Some(b"c"), ts(4), 10).unwrap(), vec![]);
    }

    #[test]
    fn keys_round_trip() {
        let k = mvcc_key(b"x\x00y", ts(42));
        assert_eq!(decode_mvcc_key(&k).unwrap(), (b"x\x00y".to_vec(), ts(42)));
        assert!(
            mvcc_key(b"x", ts(2)) < mvcc_key(b"x", ts(1)),
            "newer versions first"
        );
        assert!(decode_mvcc_key(b"x\x00\x01abc").is_err());
    }
}
