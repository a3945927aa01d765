//! SQL values and the comparisons every operator relies on.
//!
//! One variant per storage representation: `text`, `varchar(n)`, `char(n)`
//! and `name` are all [`Value::Text`] (the [`DataType`](crate::DataType)
//! carried beside a value says which), because they compare, hash and encode
//! alike.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::interval::Interval;
use crate::text::datetime::date_to_timestamp;
use crate::types::DataType;

/// One SQL value.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Value {
    Null,
    Bool(bool),
    Int2(i16),
    Int4(i32),
    Int8(i64),
    Float4(f32),
    Float8(f64),
    Numeric(Decimal),
    Text(String),
    Bytea(Vec<u8>),
    Date(NaiveDate),
    Time(NaiveTime),
    Timestamp(NaiveDateTime),
    TimestampTz(DateTime<Utc>),
    Interval(Interval),
    Uuid(uuid::Uuid),
    /// `json` keeps its text as written; `jsonb` is parsed (and normalised).
    Json(String),
    Jsonb(serde_json::Value),
    Oid(u32),
    Array(Vec<Value>),
}

/// A row of values, in the order of the producing operator's columns.
pub type Row = Vec<Value>;

/// What evaluating expressions and formatting values depends on from the
/// session: the time zone (`timestamptz` output and arithmetic), the
/// statement's timestamp (`now()` is stable within a transaction) and float
/// output precision.
#[derive(Debug, Clone)]
pub struct EvalContext {
    /// The session's `TimeZone`.
    pub timezone: chrono_tz::Tz,
    /// `now()` / `current_timestamp`: the start of the current transaction.
    pub transaction_start: DateTime<Utc>,
    /// `extra_float_digits`: PostgreSQL 12+ prints the shortest exact
    /// representation when this is > 0 (the default, 1).
    pub extra_float_digits: i32,
}

impl Default for EvalContext {
    fn default() -> Self {
        EvalContext {
            timezone: chrono_tz::Tz::UTC,
            transaction_start: Utc::now(),
            extra_float_digits: 1,
        }
    }
}

impl Value {
    /// Whether this is SQL NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The natural type of the value when nothing else says (literals,
    /// results of functions). NULL is `Unknown`.
    pub fn natural_type(&self) -> DataType {
        match self {
            Value::Null => DataType::Unknown,
            Value::Bool(_) => DataType::Bool,
            Value::Int2(_) => DataType::Int2,
            Value::Int4(_) => DataType::Int4,
            Value::Int8(_) => DataType::Int8,
            Value::Float4(_) => DataType::Float4,
            Value::Float8(_) => DataType::Float8,
            Value::Numeric(_) => DataType::Numeric(None),
            Value::Text(_) => DataType::Text,
            Value::Bytea(_) => DataType::Bytea,
            Value::Date(_) => DataType::Date,
            Value::Time(_) => DataType::Time,
            Value::Timestamp(_) => DataType::Timestamp,
            Value::TimestampTz(_) => DataType::TimestampTz,
            Value::Interval(_) => DataType::Interval,
            Value::Uuid(_) => DataType::Uuid,
            Value::Json(_) => DataType::Json,
            Value::Jsonb(_) => DataType::Jsonb,
            Value::Oid(_) => DataType::Oid,
            Value::Array(items) => DataType::Array(Box::new(
                items
                    .iter()
                    .find(|v| !v.is_null())
                    .map(Value::natural_type)
                    .unwrap_or(DataType::Text),
            )),
        }
    }

    /// The value as an i64 if it is any integer type (or an OID).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int2(v) => Some(*v as i64),
            Value::Int4(v) => Some(*v as i64),
            Value::Int8(v) => Some(*v),
            Value::Oid(v) => Some(*v as i64),
            _ => None,
        }
    }

    /// The value as an f64 if it is any numeric type.
    pub fn as_f64(&self) -> Option<f64> {
        use rust_decimal::prelude::ToPrimitive;
        match self {
            Value::Float4(v) => Some(*v as f64),
            Value::Float8(v) => Some(*v),
            Value::Numeric(d) => d.to_f64(),
            other => other.as_i64().map(|v| v as f64),
        }
    }

    /// The value as a decimal if it is an integer or numeric.
    pub fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Value::Numeric(d) => Some(*d),
            other => other.as_i64().map(Decimal::from),
        }
    }

    /// The string if this is a character value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) | Value::Json(s) => Some(s),
            _ => None,
        }
    }

    /// SQL comparison of two non-NULL values: `None` when either is NULL or
    /// the two cannot be compared. Numbers of different types compare by
    /// value; `char(n)` trailing blanks are the caller's concern (values are
    /// stored padded).
    pub fn sql_cmp(&self, other: &Value) -> Option<Ordering> {
        use Value::*;
        match (self, other) {
            (Null, _) | (_, Null) => None,
            (Bool(a), Bool(b)) => Some(a.cmp(b)),
            (Text(a), Text(b)) => Some(a.cmp(b)),
            (Bytea(a), Bytea(b)) => Some(a.cmp(b)),
            (Date(a), Date(b)) => Some(a.cmp(b)),
            (Time(a), Time(b)) => Some(a.cmp(b)),
            (Timestamp(a), Timestamp(b)) => Some(a.cmp(b)),
            (TimestampTz(a), TimestampTz(b)) => Some(a.cmp(b)),
            (Date(a), Timestamp(b)) => Some(date_to_timestamp(a).cmp(b)),
            (Timestamp(a), Date(b)) => Some(a.cmp(&date_to_timestamp(b))),
            (Interval(a), Interval(b)) => Some(a.comparable_micros().cmp(&b.comparable_micros())),
            (Uuid(a), Uuid(b)) => Some(a.cmp(b)),
            (Json(a), Json(b)) => Some(a.cmp(b)),
            (Jsonb(a), Jsonb(b)) => Some(jsonb_cmp(a, b)),
            (Array(a), Array(b)) => {
                for (x, y) in a.iter().zip(b.iter()) {
                    match x.total_cmp(y) {
                        Ordering::Equal => continue,
                        other => return Some(other),
                    }
                }
                Some(a.len().cmp(&b.len()))
            }
            (a, b) => {
                if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
                    return Some(x.cmp(&y));
                }
                let float =
                    matches!(a, Float4(_) | Float8(_)) || matches!(b, Float4(_) | Float8(_));
                if !float {
                    if let (Some(x), Some(y)) = (a.as_decimal(), b.as_decimal()) {
                        return Some(x.cmp(&y));
                    }
                }
                let (x, y) = (a.as_f64()?, b.as_f64()?);
                // PostgreSQL orders NaN above every other float and equal to itself.
                Some(match (x.is_nan(), y.is_nan()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    _ => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
                })
            }
        }
    }

    /// A total order for sorting and grouping: NULL sorts after every value
    /// (PostgreSQL's default `NULLS LAST` for ascending order) and values that
    /// cannot be compared order by their type.
    pub fn total_cmp(&self, other: &Value) -> Ordering {
        match (self.is_null(), other.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ => self
                .sql_cmp(other)
                .unwrap_or_else(|| self.type_rank().cmp(&other.type_rank())),
        }
    }

    fn type_rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Int2(_)
            | Value::Int4(_)
            | Value::Int8(_)
            | Value::Float4(_)
            | Value::Float8(_)
            | Value::Numeric(_)
            | Value::Oid(_) => 2,
            Value::Text(_) => 3,
            Value::Bytea(_) => 4,
            Value::Date(_) | Value::Timestamp(_) => 5,
            Value::Time(_) => 6,
            Value::TimestampTz(_) => 7,
            Value::Interval(_) => 8,
            Value::Uuid(_) => 9,
            Value::Json(_) => 10,
            Value::Jsonb(_) => 11,
            Value::Array(_) => 12,
        }
    }
}

/// PostgreSQL's jsonb btree order: object > array > boolean > number >
/// string > null; objects by pair count, then key/value pairs in storage
/// order (shorter keys first); arrays by length, then element by element;
/// numbers by value. A top-level empty array sorts below everything, a
/// quirk PostgreSQL documents and keeps.
fn jsonb_cmp(a: &serde_json::Value, b: &serde_json::Value) -> Ordering {
    let empty_array = |v: &serde_json::Value| v.as_array().is_some_and(|a| a.is_empty());
    match (empty_array(a), empty_array(b)) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => jsonb_cmp_inner(a, b),
    }
}

fn jsonb_rank(v: &serde_json::Value) -> u8 {
    match v {
        serde_json::Value::Null => 0,
        serde_json::Value::String(_) => 1,
        serde_json::Value::Number(_) => 2,
        serde_json::Value::Bool(_) => 3,
        serde_json::Value::Array(_) => 4,
        serde_json::Value::Object(_) => 5,
    }
}

/// Object keys in jsonb's storage order: by length, then bytes.
fn jsonb_keys(map: &serde_json::Map<String, serde_json::Value>) -> Vec<&String> {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort_by(|x, y| x.len().cmp(&y.len()).then_with(|| x.cmp(y)));
    keys
}

fn jsonb_number_cmp(a: &serde_json::Number, b: &serde_json::Number) -> Ordering {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return x.cmp(&y);
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return x.cmp(&y);
    }
    let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
    x.total_cmp(&y)
}

fn jsonb_cmp_inner(a: &serde_json::Value, b: &serde_json::Value) -> Ordering {
    use serde_json::Value as J;
    match (a, b) {
        (J::Null, J::Null) => Ordering::Equal,
        (J::String(x), J::String(y)) => x.cmp(y),
        (J::Number(x), J::Number(y)) => jsonb_number_cmp(x, y),
        (J::Bool(x), J::Bool(y)) => x.cmp(y),
        (J::Array(x), J::Array(y)) => x.len().cmp(&y.len()).then_with(|| {
            x.iter()
                .zip(y)
                .map(|(p, q)| jsonb_cmp_inner(p, q))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        }),
        (J::Object(x), J::Object(y)) => x.len().cmp(&y.len()).then_with(|| {
            for (kx, ky) in jsonb_keys(x).into_iter().zip(jsonb_keys(y)) {
                let keys = kx.len().cmp(&ky.len()).then_with(|| kx.cmp(ky));
                if keys.is_ne() {
                    return keys;
                }
                let values = jsonb_cmp_inner(&x[kx.as_str()], &y[ky.as_str()]);
                if values.is_ne() {
                    return values;
                }
            }
            Ordering::Equal
        }),
        _ => jsonb_rank(a).cmp(&jsonb_rank(b)),
    }
}

/// Hashes a jsonb value so that values [`jsonb_cmp`] finds equal hash
/// alike (`1` and `1.0`; objects whatever their key order).
fn jsonb_hash<H: Hasher>(v: &serde_json::Value, state: &mut H) {
    use serde_json::Value as J;
    jsonb_rank(v).hash(state);
    match v {
        J::Null => {}
        J::String(s) => s.hash(state),
        J::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => (i as f64).to_bits().hash(state),
            (None, Some(0.0)) => 0f64.to_bits().hash(state),
            (None, Some(f)) => f.to_bits().hash(state),
            (None, None) => n.to_string().hash(state),
        },
        J::Bool(b) => b.hash(state),
        J::Array(items) => {
            items.len().hash(state);
            for item in items {
                jsonb_hash(item, state);
            }
        }
        J::Object(map) => {
            map.len().hash(state);
            for k in jsonb_keys(map) {
                k.hash(state);
                jsonb_hash(&map[k.as_str()], state);
            }
        }
    }
}

/// Equality as GROUP BY, DISTINCT, UNION and hash joins see it: NULLs are
/// equal to each other (not distinct) and numbers compare by value.
impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        self.total_cmp(other) == Ordering::Equal
    }
}

impl Eq for Value {}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Value::Null => 0u8.hash(state),
            Value::Bool(b) => b.hash(state),
            // Equal numbers of different types must hash alike.
            Value::Int2(_)
            | Value::Int4(_)
            | Value::Int8(_)
            | Value::Oid(_)
            | Value::Numeric(_) => match self.as_decimal() {
                Some(d) => d.normalize().hash(state),
                None => 0u8.hash(state),
            },
            Value::Float4(_) | Value::Float8(_) => {
                let f = self.as_f64().unwrap_or(0.0);
                if f.fract() == 0.0 && f.abs() < 1e15 {
                    Decimal::from(f as i64).hash(state)
                } else {
                    f.to_bits().hash(state)
                }
            }
            Value::Text(s) | Value::Json(s) => s.hash(state),
            Value::Bytea(b) => b.hash(state),
            Value::Date(d) => Some(date_to_timestamp(d)).hash(state),
            Value::Time(t) => t.hash(state),
            Value::Timestamp(t) => Some(*t).hash(state),
            Value::TimestampTz(t) => t.hash(state),
            Value::Interval(i) => i.comparable_micros().hash(state),
            Value::Uuid(u) => u.hash(state),
            Value::Jsonb(j) => jsonb_hash(j, state),
            Value::Array(items) => items.hash(state),
        }
    }
}

#[cfg(test)]
mod tests {

    fn jsonb(text: &str) -> Value {
        Value::Jsonb(serde_json::from_str(text).expect("json"))
    }

    #[test]
    fn jsonb_orders_like_postgres_btree() {
        let ascending = [
            "[]",
            "null",
            "\"a\"",
            "\"b\"",
            "-1",
            "2",
            "10",
            "false",
            "true",
            "[0]",
            "[1]",
            "[0, 0]",
            "{}",
            "{\"b\": 1}",
            "{\"a\": 1, \"b\": 1}",
            "{\"aa\": 0, \"b\": 1}",
        ];
        for pair in ascending.windows(2) {
            let (a, b) = (jsonb(pair[0]), jsonb(pair[1]));
            assert_eq!(a.total_cmp(&b), Ordering::Less, "{} < {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn equal_jsonb_hashes_alike() {
        let (a, b) = (
            jsonb("{\"x\": 1, \"y\": [2]}"),
            jsonb("{\"y\": [2.0], \"x\": 1.0}"),
        );
        assert_eq!(a, b);
        assert_eq!(hash_of(&a), hash_of(&b));
    }
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    fn hash_of(v: &Value) -> u64 {
        let mut h = DefaultHasher::new();
        v.hash(&mut h);
        h.finish()
    }

    #[test]
    fn numbers_of_different_types_are_equal_and_hash_alike() {
        let a = Value::Int4(3);
        let b = Value::Int8(3);
        let c = Value::Numeric(Decimal::new(300, 2));
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(hash_of(&a), hash_of(&b));
        assert_eq!(hash_of(&a), hash_of(&c));
        assert_eq!(hash_of(&a), hash_of(&Value::Float8(3.0)));
    }

    #[test]
    fn nulls_sort_last_and_are_not_comparable() {
        assert_eq!(Value::Null.sql_cmp(&Value::Int4(1)), None);
        assert_eq!(Value::Null.total_cmp(&Value::Int4(1)), Ordering::Greater);
        assert_eq!(
            Value::Float8(f64::NAN).total_cmp(&Value::Float8(1e300)),
            Ordering::Greater
        );
    }
}
