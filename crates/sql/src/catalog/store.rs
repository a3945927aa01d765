//! Catalog persistence: descriptors are JSON values under the catalog prefix,
//! read and written in the caller's transaction.
//!
//! ```text
//!   0x01 'c' 'v'            schema version (u64 BE), bumped by every DDL
//!   0x01 'c' 'n'            next object id (u32 BE)
//!   0x01 'c' 'd' <id u32>   descriptor
//!   0x01 'c' 's' <id u32>   sequence value (i64 BE), outside DDL transactions
//! ```
//!
//! Every transaction that plans against the catalog reads the version key;
//! under SERIALIZABLE that read conflicts with a concurrent DDL's write of it,
//! so no transaction commits having used a schema that changed underneath.

use rangedb_sqltypes::SqlError;
use rangedb_txn::Transaction;

use super::{Catalog, Descriptor};
use crate::error::txn_error;
use crate::keys::{prefix_end, CATALOG_PREFIX};

/// Object ids start where PostgreSQL's user objects do, so OIDs look familiar.
pub const FIRST_OBJECT_ID: u32 = 16384;

fn key(tag: u8, id: Option<u32>) -> Vec<u8> {
    let mut k = CATALOG_PREFIX.to_vec();
    k.push(tag);
    if let Some(id) = id {
        k.extend_from_slice(&id.to_be_bytes());
    }
    k
}

/// The key of a sequence's current value.
pub fn sequence_key(id: u32) -> Vec<u8> {
    key(b's', Some(id))
}

/// Reads the schema version (0 for a fresh cluster).
pub async fn read_version(txn: &mut Transaction) -> Result<u64, SqlError> {
    let raw = txn.get(&key(b'v', None)).await.map_err(txn_error)?;
    Ok(raw
        .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0))
}

/// Loads every descriptor.
pub async fn load(txn: &mut Transaction, version: u64) -> Result<Catalog, SqlError> {
    let start = key(b'd', None);
    let mut descriptors = Vec::new();
    crate::span::for_each_chunk(txn, &start, &prefix_end(&start), |_, chunk| {
        for (k, v) in &chunk {
            let d: Descriptor = serde_json::from_slice(v).map_err(|e| {
                SqlError::internal(format!("corrupt catalog descriptor at {k:?}: {e}"))
            })?;
            descriptors.push(d);
        }
        Ok(())
    })
    .await?;
    Ok(Catalog::from_descriptors(version, descriptors))
}

/// Allocates a fresh object id.
pub async fn allocate_id(txn: &mut Transaction) -> Result<u32, SqlError> {
    let k = key(b'n', None);
    let raw = txn.get(&k).await.map_err(txn_error)?;
    let next = raw
        .and_then(|b| <[u8; 4]>::try_from(b.as_slice()).ok())
        .map(u32::from_be_bytes)
        .unwrap_or(FIRST_OBJECT_ID);
    txn.put(&k, &(next + 1).to_be_bytes()).map_err(txn_error)?;
    Ok(next)
}

/// Writes (creates or replaces) a descriptor and bumps the schema version.
pub async fn write(txn: &mut Transaction, d: &Descriptor) -> Result<(), SqlError> {
    let value =
        serde_json::to_vec(d).map_err(|e| SqlError::internal(format!("encode descriptor: {e}")))?;
    txn.put(&key(b'd', Some(d.id())), &value)
        .map_err(txn_error)?;
    bump_version(txn).await
}

/// Deletes a descriptor and bumps the schema version.
pub async fn delete(txn: &mut Transaction, id: u32) -> Result<(), SqlError> {
    txn.delete(&key(b'd', Some(id))).map_err(txn_error)?;
    bump_version(txn).await
}

async fn bump_version(txn: &mut Transaction) -> Result<(), SqlError> {
    let v = read_version(txn).await?;
    txn.put(&key(b'v', None), &(v + 1).to_be_bytes())
        .map_err(txn_error)
}
