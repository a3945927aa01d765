//! Where SQL data lives in the keyspace, and the order-preserving key
//! encoding of SQL values.
//!
//! ```text
//!   0x01 'c' <name>                       catalog entries (see catalog::store)
//!   0x01 't' <table u32> <index u32> ...  rows (index 1 = primary key) and index entries
//! ```
//!
//! Key columns are encoded so that comparing encoded bytes gives SQL order
//! (ascending with NULLs last, as PostgreSQL's default); descending columns
//! invert the bytes. Keys are never decoded: a row's value holds every
//! column, and an index entry's value holds the primary key suffix.

use rangedb_sqltypes::{SqlError, Value};
use rust_decimal::Decimal;

/// Prefix of every catalog key.
pub const CATALOG_PREFIX: &[u8] = &[0x01, b'c'];
/// Prefix of every table and index key.
pub const TABLE_PREFIX: &[u8] = &[0x01, b't'];
/// Index id of every table's primary index.
pub const PRIMARY_INDEX_ID: u32 = 1;

const NULL_MARKER: u8 = 0x05;
const VALUE_MARKER: u8 = 0x02;

/// The prefix of all keys of one index of one table.
pub fn index_prefix(table_id: u32, index_id: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(10);
    k.extend_from_slice(TABLE_PREFIX);
    k.extend_from_slice(&table_id.to_be_bytes());
    k.extend_from_slice(&index_id.to_be_bytes());
    k
}

/// The prefix of all keys of one table (every index).
pub fn table_prefix(table_id: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(6);
    k.extend_from_slice(TABLE_PREFIX);
    k.extend_from_slice(&table_id.to_be_bytes());
    k
}

/// The first key after every key that starts with `prefix`.
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.last_mut() {
        if *last < 0xff {
            *last += 1;
            return end;
        }
        end.pop();
    }
    vec![0xff; 1]
}

/// Appends the order-preserving encoding of `value` to `out`.
pub fn encode_key_value(
    out: &mut Vec<u8>,
    value: &Value,
    descending: bool,
) -> Result<(), SqlError> {
    let start = out.len();
    match value {
        Value::Null => out.push(NULL_MARKER),
        v => {
            out.push(VALUE_MARKER);
            encode_non_null(out, v)?;
        }
    }
    if descending {
        for b in &mut out[start..] {
            *b = !*b;
        }
    }
    Ok(())
}

fn encode_i64(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(&((v as u64) ^ (1 << 63)).to_be_bytes());
}

fn encode_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xff);
        }
    }
    out.extend_from_slice(&[0x00, 0x01]);
}

fn encode_non_null(out: &mut Vec<u8>, value: &Value) -> Result<(), SqlError> {
    match value {
        Value::Null => out.push(NULL_MARKER),
        Value::Bool(b) => out.push(*b as u8),
        Value::Int2(_) | Value::Int4(_) | Value::Int8(_) | Value::Oid(_) => {
            out.push(0x10);
            encode_i64(out, value.as_i64().unwrap_or_default());
        }
        Value::Numeric(d) => {
            // Integral numerics share the integer encoding so that a numeric
            // key and an integer key of equal value are equal.
            if d.fract().is_zero() {
                if let Ok(i) = i64::try_from(d.trunc()) {
                    out.push(0x10);
                    encode_i64(out, i);
                    return Ok(());
                }
            }
            out.push(0x11);
            encode_decimal(out, *d);
        }
        Value::Float4(_) | Value::Float8(_) => {
            let f = value.as_f64().unwrap_or_default();
            let f = if f.is_nan() {
                f64::NAN
            } else if f == 0.0 {
                0.0
            } else {
                f
            };
            let bits = f.to_bits();
            let ordered = if bits >> 63 == 1 {
                !bits
            } else {
                bits ^ (1 << 63)
            };
            out.push(0x12);
            out.extend_from_slice(&ordered.to_be_bytes());
        }
        Value::Text(s) | Value::Json(s) => encode_bytes(out, s.as_bytes()),
        Value::Bytea(b) => encode_bytes(out, b),
        Value::Date(d) => {
            let days = d
                .signed_duration_since(chrono::NaiveDate::default())
                .num_days();
            encode_i64(out, days * 86_400_000_000);
        }
        Value::Timestamp(t) => encode_i64(out, t.and_utc().timestamp_micros()),
        Value::TimestampTz(t) => encode_i64(out, t.timestamp_micros()),
        Value::Time(t) => {
            use chrono::Timelike;
            encode_i64(
                out,
                t.num_seconds_from_midnight() as i64 * 1_000_000 + (t.nanosecond() / 1000) as i64,
            )
        }
        Value::Interval(i) => {
            let m = i.comparable_micros();
            out.extend_from_slice(&((m as u128) ^ (1 << 127)).to_be_bytes());
        }
        Value::Uuid(u) => out.extend_from_slice(u.as_bytes()),
        Value::Jsonb(j) => encode_bytes(out, j.to_string().as_bytes()),
        Value::Array(_) => {
            return Err(SqlError::unsupported(
                "arrays cannot be used in keys or indexes",
            ))
        }
    }
    Ok(())
}

/// Numerics that are not integral: sign class, decimal exponent, digits.
fn encode_decimal(out: &mut Vec<u8>, d: Decimal) {
    let d = d.normalize();
    if d.is_zero() {
        out.push(0x80);
        return;
    }
    let negative = d.is_sign_negative();
    let abs = d.abs();
    let digits = abs.mantissa().to_string();
    // value = 0.digits * 10^exponent
    let exponent = digits.len() as i32 - abs.scale() as i32;
    let digits = digits.trim_end_matches('0');
    let mut body = Vec::with_capacity(digits.len() + 5);
    body.extend_from_slice(&((exponent as u32) ^ (1 << 31)).to_be_bytes());
    body.extend_from_slice(digits.as_bytes());
    body.push(0x00);
    if negative {
        out.push(0x40);
        out.extend(body.iter().map(|b| !b));
    } else {
        out.push(0xc0);
        out.extend(body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn enc(v: &Value, desc: bool) -> Vec<u8> {
        let mut out = Vec::new();
        encode_key_value(&mut out, v, desc).expect("encodable");
        out
    }

    #[test]
    fn byte_order_matches_sql_order() {
        let num = |s: &str| Value::Numeric(Decimal::from_str(s).expect("decimal"));
        let ordered = [
            vec![
                Value::Int8(i64::MIN),
                Value::Int4(-5),
                Value::Int2(0),
                Value::Int8(7),
                Value::Null,
            ],
            vec![
                num("-12.5"),
                num("-1.25"),
                num("-0.5"),
                num("0.001"),
                num("0.5"),
                num("1.25"),
                num("12.5"),
            ],
            vec![
                Value::Float8(f64::NEG_INFINITY),
                Value::Float8(-1.5),
                Value::Float8(0.0),
                Value::Float8(2.0),
                Value::Float8(f64::NAN),
            ],
            vec![
                Value::Text("".into()),
                Value::Text("a".into()),
                Value::Text("a\0".into()),
                Value::Text("ab".into()),
                Value::Text("b".into()),
            ],
        ];
        for seq in ordered {
            for pair in seq.windows(2) {
                assert!(
                    enc(&pair[0], false) < enc(&pair[1], false),
                    "{:?} < {:?}",
                    pair[0],
                    pair[1]
                );
                assert!(
                    enc(&pair[0], true) > enc(&pair[1], true),
                    "desc {:?} > {:?}",
                    pair[0],
                    pair[1]
                );
            }
        }
    }

    #[test]
    fn equal_numbers_encode_equal_across_types() {
        assert_eq!(enc(&Value::Int4(3), false), enc(&Value::Int8(3), false));
        assert_eq!(
            enc(&Value::Int4(3), false),
            enc(&Value::Numeric(Decimal::new(300, 2)), false)
        );
    }

    #[test]
    fn composite_keys_compare_column_by_column() {
        let key = |a: &str, b: i64| {
            let mut out = Vec::new();
            encode_key_value(&mut out, &Value::Text(a.into()), false).expect("text");
            encode_key_value(&mut out, &Value::Int8(b), false).expect("int");
            out
        };
        assert!(key("a", 9) < key("ab", 1));
        assert!(key("a", 1) < key("a", 2));
    }
}
