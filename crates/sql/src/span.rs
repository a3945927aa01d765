//! Visiting every entry of a key span inside a transaction, in bounded
//! chunks: DDL that must touch a whole table (DROP, TRUNCATE, index
//! backfill, ADD PRIMARY KEY) and loading the catalog.

use rangedb_sqltypes::SqlError;
use rangedb_txn::Transaction;

use crate::error::txn_error;

/// Entries fetched per request.
const CHUNK: usize = 1024;

/// One fetched chunk of `(key, value)` pairs.
pub type Chunk = Vec<(Vec<u8>, Vec<u8>)>;

/// Calls `visit` with each chunk of `[start, end)` in key order; `visit` also
/// gets the transaction, so it may buffer writes (deletes) as it goes.
pub async fn for_each_chunk(
    txn: &mut Transaction,
    start: &[u8],
    end: &[u8],
    mut visit: impl FnMut(&mut Transaction, Chunk) -> Result<(), SqlError>,
) -> Result<(), SqlError> {
    let mut cursor = start.to_vec();
    loop {
        let chunk = txn
            .scan(&cursor, Some(end), CHUNK)
            .await
            .map_err(txn_error)?;
        let next = match chunk.last() {
            Some((k, _)) if chunk.len() == CHUNK => {
                let mut n = k.clone();
                n.push(0);
                Some(n)
            }
            _ => None,
        };
        visit(txn, chunk)?;
        match next {
            Some(n) => cursor = n,
            None => return Ok(()),
        }
    }
}
