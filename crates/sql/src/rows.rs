//! Table rows in the keyspace: a row's primary key, its stored value, and
//! its index entries.

use rangedb_sqltypes::{Row, SqlError, Value};

use crate::catalog::{IndexDesc, TableDesc};
use crate::keys::{encode_key_value, index_prefix, PRIMARY_INDEX_ID};
use crate::rowcodec::{decode_row, encode_row};

/// The encoded primary-key columns of `row` (the part after the index
/// prefix); index entries store this to find the row.
pub fn primary_key_suffix(table: &TableDesc, row: &[Value]) -> Result<Vec<u8>, SqlError> {
    let mut out = Vec::new();
    for id in &table.primary_key {
        let pos = table
            .position_of(*id)
            .ok_or_else(|| SqlError::internal("primary key column missing from table"))?;
        encode_key_value(&mut out, &row[pos], false)?;
    }
    Ok(out)
}

/// The key a row is stored under.
pub fn row_key(table: &TableDesc, row: &[Value]) -> Result<Vec<u8>, SqlError> {
    let mut key = index_prefix(table.id, PRIMARY_INDEX_ID);
    key.extend(primary_key_suffix(table, row)?);
    Ok(key)
}

/// The row key for a stored primary-key suffix.
pub fn row_key_from_suffix(table: &TableDesc, suffix: &[u8]) -> Vec<u8> {
    let mut key = index_prefix(table.id, PRIMARY_INDEX_ID);
    key.extend_from_slice(suffix);
    key
}

/// The stored value of a row.
pub fn encode_table_row(table: &TableDesc, row: &[Value]) -> Vec<u8> {
    encode_row(table.columns.iter().zip(row).map(|(c, v)| (c.id, v)))
}

/// Decodes a stored row into descriptor column order; columns the row
/// predates read as their ADD COLUMN default (or NULL).
pub fn decode_table_row(table: &TableDesc, bytes: &[u8]) -> Result<Row, SqlError> {
    let mut row: Row = table
        .columns
        .iter()
        .map(|c| c.missing.clone().unwrap_or(Value::Null))
        .collect();
    for (id, v) in decode_row(bytes)? {
        if let Some(pos) = table.position_of(id) {
            row[pos] = v;
        }
    }
    Ok(row)
}

/// An index entry for `row`: `(key, value)`. Unique indexes key by the
/// indexed columns alone (so a second row with the same values collides)
/// unless one is NULL (NULLs are distinct); the value is the primary-key
/// suffix.
pub fn index_entry(
    table: &TableDesc,
    index: &IndexDesc,
    row: &[Value],
) -> Result<(Vec<u8>, Vec<u8>, bool), SqlError> {
    let mut key = index_prefix(table.id, index.id);
    let mut has_null = false;
    for (i, id) in index.columns.iter().enumerate() {
        let pos = table
            .position_of(*id)
            .ok_or_else(|| SqlError::internal("index column missing from table"))?;
        has_null |= row[pos].is_null();
        encode_key_value(
            &mut key,
            &row[pos],
            index.descending.get(i).copied().unwrap_or(false),
        )?;
    }
    let suffix = primary_key_suffix(table, row)?;
    let unique_key = index.unique && !has_null;
    if !unique_key {
        key.extend_from_slice(&suffix);
    }
    Ok((key, suffix, unique_key))
}
