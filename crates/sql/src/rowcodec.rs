//! The value stored under a row's primary key: every non-NULL column tagged
//! with its column id, so that ADD COLUMN / DROP COLUMN never rewrite rows
//! (a missing id reads as NULL, or the column's default when it was added
//! with one; a dropped id is ignored).

#[cfg(test)]
use chrono::NaiveDateTime;
use chrono::{NaiveDate, NaiveTime};
use rangedb_sqltypes::text::datetime;
use rangedb_sqltypes::{Interval, SqlError, Value};
use rust_decimal::Decimal;

const FORMAT_VERSION: u8 = 1;

/// Encodes `(column id, value)` pairs; NULLs are left out.
pub fn encode_row<'a>(columns: impl IntoIterator<Item = (u32, &'a Value)>) -> Vec<u8> {
    let mut out = vec![FORMAT_VERSION];
    for (id, value) in columns {
        if value.is_null() {
            continue;
        }
        put_varint(&mut out, id as u64);
        encode_value(&mut out, value);
    }
    out
}

/// Decodes a row value into `(column id, value)` pairs.
pub fn decode_row(bytes: &[u8]) -> Result<Vec<(u32, Value)>, SqlError> {
    let mut r = Reader { bytes, pos: 0 };
    if r.u8()? != FORMAT_VERSION {
        return Err(corrupt("unknown row format version"));
    }
    let mut out = Vec::new();
    while r.pos < r.bytes.len() {
        let id = r.varint()? as u32;
        out.push((id, decode_value(&mut r)?));
    }
    Ok(out)
}

fn corrupt(what: &str) -> SqlError {
    SqlError::internal(format!("corrupt row value: {what}"))
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn encode_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.push(0),
        Value::Bool(b) => {
            out.push(1);
            out.push(*b as u8);
        }
        Value::Int2(v) => {
            out.push(2);
            out.extend_from_slice(&v.to_le_bytes());
        }
        Value::Int4(v) => {
            out.push(3);
            out.extend_from_slice(&v.to_le_bytes());
        }
        Value::Int8(v) => {
            out.push(4);
            out.extend_from_slice(&v.to_le_bytes());
        }
        Value::Float4(v) => {
            out.push(5);
            out.extend_from_slice(&v.to_le_bytes());
        }
        Value::Float8(v) => {
            out.push(6);
            out.extend_from_slice(&v.to_le_bytes());
        }
        Value::Numeric(d) => {
            out.push(7);
            out.extend_from_slice(&d.serialize());
        }
        Value::Text(s) => {
            out.push(8);
            put_bytes(out, s.as_bytes());
        }
        Value::Bytea(b) => {
            out.push(9);
            put_bytes(out, b);
        }
        Value::Date(d) => {
            out.push(10);
            let days = d.signed_duration_since(NaiveDate::default()).num_days();
            out.extend_from_slice(&days.to_le_bytes());
        }
        Value::Time(t) => {
            out.push(11);
            let micros = (*t - NaiveTime::MIN).num_microseconds().unwrap_or_default();
            out.extend_from_slice(&micros.to_le_bytes());
        }
        Value::Timestamp(t) => {
            out.push(12);
            out.extend_from_slice(&t.and_utc().timestamp_micros().to_le_bytes());
        }
        Value::TimestampTz(t) => {
            out.push(13);
            out.extend_from_slice(&t.timestamp_micros().to_le_bytes());
        }
        Value::Interval(i) => {
            out.push(14);
            out.extend_from_slice(&i.months.to_le_bytes());
            out.extend_from_slice(&i.days.to_le_bytes());
            out.extend_from_slice(&i.micros.to_le_bytes());
        }
        Value::Uuid(u) => {
            out.push(15);
            out.extend_from_slice(u.as_bytes());
        }
        Value::Json(s) => {
            out.push(16);
            put_bytes(out, s.as_bytes());
        }
        Value::Jsonb(j) => {
            out.push(17);
            put_bytes(out, j.to_string().as_bytes());
        }
        Value::Oid(v) => {
            out.push(18);
            out.extend_from_slice(&v.to_le_bytes());
        }
        Value::Array(items) => {
            out.push(19);
            put_varint(out, items.len() as u64);
            for item in items {
                encode_value(out, item);
            }
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SqlError> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.bytes.len());
        let end = end.ok_or_else(|| corrupt("truncated"))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], SqlError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, SqlError> {
        Ok(self.take(1)?[0])
    }

    fn varint(&mut self) -> Result<u64, SqlError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= ((b & 0x7f) as u64) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(corrupt("varint too long"))
    }

    fn bytes(&mut self) -> Result<&'a [u8], SqlError> {
        let n = self.varint()? as usize;
        self.take(n)
    }

    fn string(&mut self) -> Result<String, SqlError> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| corrupt("invalid UTF-8"))
    }

    fn i64(&mut self) -> Result<i64, SqlError> {
        Ok(i64::from_le_bytes(self.array()?))
    }
}

fn decode_value(r: &mut Reader<'_>) -> Result<Value, SqlError> {
    Ok(match r.u8()? {
        0 => Value::Null,
        1 => Value::Bool(r.u8()? != 0),
        2 => Value::Int2(i16::from_le_bytes(r.array()?)),
        3 => Value::Int4(i32::from_le_bytes(r.array()?)),
        4 => Value::Int8(r.i64()?),
        5 => Value::Float4(f32::from_le_bytes(r.array()?)),
        6 => Value::Float8(f64::from_le_bytes(r.array()?)),
        7 => Value::Numeric(Decimal::deserialize(r.array()?)),
        8 => Value::Text(r.string()?),
        9 => Value::Bytea(r.bytes()?.to_vec()),
        10 => {
            let days = r.i64()?;
            Value::Date(
                NaiveDate::default()
                    .checked_add_signed(chrono::Duration::days(days))
                    .ok_or_else(|| corrupt("date"))?,
            )
        }
        11 => Value::Time(
            // 0 to 24:00:00 inclusive.
            datetime::time_from_micros(r.i64()?).ok_or_else(|| corrupt("time"))?,
        ),
        // Values past the supported range are the ±infinity sentinels,
        // whose nanoseconds the microsecond encoding drops.
        12 => Value::Timestamp(datetime::timestamp_from_unix_micros(r.i64()?)),
        13 => Value::TimestampTz(datetime::timestamp_from_unix_micros(r.i64()?).and_utc()),
        14 => Value::Interval(Interval {
            months: i32::from_le_bytes(r.array()?),
            days: i32::from_le_bytes(r.array()?),
            micros: r.i64()?,
        }),
        15 => Value::Uuid(uuid::Uuid::from_bytes(r.array()?)),
        16 => Value::Json(r.string()?),
        17 => Value::Jsonb(serde_json::from_str(&r.string()?).map_err(|_| corrupt("jsonb"))?),
        18 => Value::Oid(u32::from_le_bytes(r.array()?)),
        19 => {
            let n = r.varint()? as usize;
            let mut items = Vec::with_capacity(n.min(1024));
            for _ in 0..n {
                items.push(decode_value(r)?);
            }
            Value::Array(items)
        }
        _ => return Err(corrupt("unknown value tag")),
    })
}

/// A timestamp for tests and defaults; kept here so the codec's tests can
/// build one without repeating chrono boilerplate.
#[cfg(test)]
fn ts(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").expect("timestamp literal")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips_and_nulls_are_left_out() {
        let values = vec![
            Value::Bool(true),
            Value::Int2(-3),
            Value::Int4(7),
            Value::Int8(i64::MIN),
            Value::Float4(1.5),
            Value::Float8(-0.25),
            Value::Numeric(Decimal::new(12345, 2)),
            Value::Text("héllo".into()),
            Value::Bytea(vec![0, 1, 255]),
            Value::Date(NaiveDate::from_ymd_opt(1999, 12, 31).expect("date")),
            Value::Time(NaiveTime::from_hms_micro_opt(1, 2, 3, 4).expect("time")),
            Value::Timestamp(ts("2024-02-29 23:59:59.123456")),
            Value::TimestampTz(ts("2024-02-29 23:59:59").and_utc()),
            Value::Interval(Interval {
                months: 1,
                days: -2,
                micros: 3,
            }),
            Value::Uuid(uuid::Uuid::from_u128(42)),
            Value::Json("{\"a\": 1}".into()),
            Value::Jsonb(serde_json::json!({"a": [1, 2]})),
            Value::Oid(99),
            Value::Array(vec![Value::Int4(1), Value::Null]),
            Value::Null,
        ];
        let encoded = encode_row(values.iter().enumerate().map(|(i, v)| (i as u32 + 1, v)));
        let decoded = decode_row(&encoded).expect("decodes");
        assert_eq!(decoded.len(), values.len() - 1);
        for (id, v) in decoded {
            let orig = &values[id as usize - 1];
            assert_eq!(format!("{v:?}"), format!("{orig:?}"));
        }
    }

    #[test]
    fn infinities_and_24_00_round_trip() {
        let midnight_24 = datetime::time_from_micros(86_400_000_000).expect("24:00");
        let values = [
            Value::Timestamp(NaiveDateTime::MAX),
            Value::Timestamp(NaiveDateTime::MIN),
            Value::TimestampTz(chrono::DateTime::<chrono::Utc>::MAX_UTC),
            Value::TimestampTz(chrono::DateTime::<chrono::Utc>::MIN_UTC),
            Value::Date(NaiveDate::MAX),
            Value::Date(NaiveDate::MIN),
            Value::Time(midnight_24),
            Value::Timestamp(datetime::MAX_TIMESTAMP),
            Value::Timestamp(datetime::MIN_TIMESTAMP),
        ];
        let encoded = encode_row(values.iter().enumerate().map(|(i, v)| (i as u32 + 1, v)));
        for (id, v) in decode_row(&encoded).expect("decodes") {
            let orig = &values[id as usize - 1];
            assert_eq!(&v, orig, "column {id}");
            assert_eq!(format!("{v:?}"), format!("{orig:?}"));
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in [&[][..], &[9][..], &[1, 1, 8, 200][..], &[1, 1, 99][..]] {
            assert!(decode_row(bad).is_err());
        }
    }
}
