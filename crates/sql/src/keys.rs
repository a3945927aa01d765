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

use rangedb_sqltypes::{DataType, SqlError, Value};
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
            // Every numeric in one order-preserving encoding (integral ones
            // too: sharing the integer encoding sorted 3 before 1.5). A
            // bound of another type is first fitted to the column's type
            // (`fit_key`).
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
        Value::Jsonb(j) => encode_bytes(out, canonical_jsonb(j).to_string().as_bytes()),
        Value::Array(_) => {
            return Err(SqlError::unsupported(
                "arrays cannot be used in keys or indexes",
            ))
        }
    }
    Ok(())
}

/// A jsonb value spelled so that values jsonb equality finds equal have the
/// same text (`1.0` and `1` are equal jsonb numbers): integral floats
/// become integers; object keys are already in one order (serde_json's
/// map is sorted). Keys encode this text, so a point get or a unique index
/// agrees with `=`; ranges over jsonb keys are not used (text order is not
/// jsonb order, see [`fit_bound`]).
fn canonical_jsonb(j: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match j {
        J::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => J::from(f as i64),
            _ => j.clone(),
        },
        J::Array(items) => J::Array(items.iter().map(canonical_jsonb).collect()),
        J::Object(m) => J::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), canonical_jsonb(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Which side of a key range a bound is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundSide {
    Lower,
    Upper,
}

/// The number families whose keys are encoded differently.
#[derive(PartialEq)]
enum Family {
    Int,
    Numeric,
    Float,
    Other,
}

fn family_of_type(ty: &DataType) -> Family {
    match ty {
        DataType::Int2 | DataType::Int4 | DataType::Int8 | DataType::Oid => Family::Int,
        DataType::Numeric(_) => Family::Numeric,
        DataType::Float4 | DataType::Float8 => Family::Float,
        _ => Family::Other,
    }
}

fn family_of_value(v: &Value) -> Family {
    match v {
        Value::Int2(_) | Value::Int4(_) | Value::Int8(_) | Value::Oid(_) => Family::Int,
        Value::Numeric(_) => Family::Numeric,
        Value::Float4(_) | Value::Float8(_) => Family::Float,
        _ => Family::Other,
    }
}

/// An equality key value for a column of type `ty`: `value` in the
/// encoding of the column's number family, `None` when no value of the
/// column can equal it (`int_col = 2.5`).
pub fn fit_key(value: Value, ty: &DataType) -> Option<Value> {
    if let DataType::Char(Some(width)) = ty {
        return pad_char(value, *width);
    }
    let (want, have) = (family_of_type(ty), family_of_value(&value));
    if want == have || want == Family::Other || have == Family::Other {
        return Some(value);
    }
    match want {
        Family::Int => {
            let d = value_decimal(&value)?;
            if !d.fract().is_zero() {
                return None;
            }
            i64::try_from(d).ok().map(Value::Int8)
        }
        Family::Numeric => value_decimal(&value).map(Value::Numeric),
        Family::Float => value.as_f64().map(Value::Float8),
        Family::Other => Some(value),
    }
}

/// A text key for a `char(width)` column, padded with spaces to the width
/// as the stored values are (`k = 'ab'` must find `'ab   '`: bpchar ignores
/// trailing spaces). `None` when the value cannot fit, so no row matches.
fn pad_char(value: Value, width: u32) -> Option<Value> {
    let Value::Text(s) = value else {
        return Some(value);
    };
    let trimmed = s.trim_end_matches(' ');
    let len = trimmed.chars().count();
    let width = width as usize;
    if len > width {
        return None;
    }
    let mut padded = String::with_capacity(trimmed.len() + width - len);
    padded.push_str(trimmed);
    padded.extend(std::iter::repeat_n(' ', width - len));
    Some(Value::Text(padded))
}

/// A range bound for a column of type `ty`: `value` fitted to the
/// column's number family, loosened where the fit is inexact (`int_col >
/// 2.5` scans from 2 inclusive; the scan's filter still checks every row).
/// `None`: no bound on this side.
pub fn fit_bound(
    value: Value,
    inclusive: bool,
    ty: &DataType,
    side: BoundSide,
) -> Option<(Value, bool)> {
    if *ty == DataType::Jsonb {
        // Keys are in text order, not jsonb order: no bound, the scan's
        // filter decides.
        return None;
    }
    if let DataType::Char(Some(width)) = ty {
        return match pad_char(value.clone(), *width) {
            Some(padded) => Some((padded, inclusive)),
            // Longer than the column: every key sorts below it (trailing
            // spaces aside), so it still bounds the scan, loosely.
            None => Some((value, true)),
        };
    }
    let (want, have) = (family_of_type(ty), family_of_value(&value));
    if want == have || want == Family::Other || have == Family::Other {
        return Some((value, inclusive));
    }
    match want {
        Family::Int => {
            let d = value_decimal(&value)?;
            let edge = match side {
                BoundSide::Lower => d.floor(),
                BoundSide::Upper => d.ceil(),
            };
            i64::try_from(edge).ok().map(|i| (Value::Int8(i), true))
        }
        Family::Numeric => value_decimal(&value).map(|d| (Value::Numeric(d), true)),
        Family::Float => value.as_f64().map(|f| (Value::Float8(f), true)),
        Family::Other => Some((value, inclusive)),
    }
}

/// A number as a decimal (floats through their shortest text, which is
/// what PostgreSQL's float-to-numeric cast gives); `None` for NaN,
/// infinities and magnitudes a decimal cannot hold.
fn value_decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::Numeric(d) => Some(*d),
        Value::Float4(_) | Value::Float8(_) => {
            let f = v.as_f64()?;
            if !f.is_finite() {
                return None;
            }
            let text = f.to_string();
            Decimal::from_str_exact(&text)
                .or_else(|_| Decimal::from_scientific(&text))
                .ok()
        }
        other => other.as_i64().map(Decimal::from),
    }
}

/// Numerics: sign class, decimal exponent, digits.
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
    fn equal_numbers_encode_equal_within_a_family() {
        assert_eq!(enc(&Value::Int4(3), false), enc(&Value::Int8(3), false));
        let num = |s: &str| Value::Numeric(Decimal::from_str(s).expect("decimal"));
        assert_eq!(enc(&num("3"), false), enc(&num("3.00"), false));
    }

    #[test]
    fn integral_and_fractional_numerics_sort_together() {
        let num = |s: &str| Value::Numeric(Decimal::from_str(s).expect("decimal"));
        let ordered = ["-100", "-1.5", "0.0", "1.5", "3", "4.50", "12.0", "100"];
        for pair in ordered.windows(2) {
            assert!(
                enc(&num(pair[0]), false) < enc(&num(pair[1]), false),
                "{} < {}",
                pair[0],
                pair[1]
            );
        }
    }

    #[test]
    fn bounds_of_another_number_type_fit_the_column() {
        let num = |s: &str| Value::Numeric(Decimal::from_str(s).expect("decimal"));
        // int_col > 2.5 scans from 2 (inclusive); the filter drops 2.
        assert_eq!(
            fit_bound(num("2.5"), false, &DataType::Int4, BoundSide::Lower),
            Some((Value::Int8(2), true))
        );
        assert_eq!(
            fit_bound(num("2.5"), false, &DataType::Int4, BoundSide::Upper),
            Some((Value::Int8(3), true))
        );
        assert_eq!(
            fit_bound(Value::Int4(0), false, &DataType::Float8, BoundSide::Upper),
            Some((Value::Float8(0.0), true))
        );
        assert_eq!(
            fit_bound(Value::Int4(7), false, &DataType::Int8, BoundSide::Lower),
            Some((Value::Int4(7), false))
        );
        // No int equals 2.5; 3.0 is 3.
        assert_eq!(fit_key(num("2.5"), &DataType::Int4), None);
        assert_eq!(fit_key(num("3.0"), &DataType::Int4), Some(Value::Int8(3)));
        assert_eq!(
            fit_key(Value::Int4(1), &DataType::Float8),
            Some(Value::Float8(1.0))
        );
        // Beyond what the column's keys can hold: no bound on that side.
        assert_eq!(
            fit_bound(
                Value::Float8(1e300),
                true,
                &DataType::Int8,
                BoundSide::Lower
            ),
            None
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
