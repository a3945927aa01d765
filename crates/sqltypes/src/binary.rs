//! PostgreSQL's binary format (the `send`/`recv` functions) for every
//! supported type, used by drivers that ask for binary parameters or results.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};

use crate::error::{SqlError, SqlState};
use crate::interval::Interval;
use crate::text::{self, datetime, numeric};
use crate::types::DataType;
use crate::value::{EvalContext, Value};

fn bad(msg: &str) -> SqlError {
    SqlError::new(SqlState::INVALID_BINARY_REPRESENTATION, msg)
}

fn short() -> SqlError {
    bad("insufficient data left in message")
}

fn mismatch(value: &Value, ty: &DataType) -> SqlError {
    SqlError::internal(format!(
        "cannot send a {} value as {}",
        value.natural_type().sql_name(),
        ty.sql_name()
    ))
}

fn pg_epoch_date() -> NaiveDate {
    datetime::pg_epoch().date()
}

/// Encodes a non-NULL value of type `ty` in PostgreSQL's binary format.
pub fn encode(value: &Value, ty: &DataType) -> Result<Vec<u8>, SqlError> {
    let mut out = Vec::new();
    encode_into(value, ty, &mut out)?;
    Ok(out)
}

fn encode_into(value: &Value, ty: &DataType, out: &mut Vec<u8>) -> Result<(), SqlError> {
    match (ty, value) {
        (DataType::Array(elem), Value::Array(items)) => return encode_array(items, elem, out),
        (DataType::Bool, Value::Bool(b)) => out.push(*b as u8),
        (DataType::Int2, v) | (DataType::Int4, v) | (DataType::Int8, v) if v.as_i64().is_some() => {
            let i = v.as_i64().unwrap_or(0);
            match ty {
                DataType::Int2 => out.extend_from_slice(
                    &i16::try_from(i)
                        .map_err(|_| mismatch(value, ty))?
                        .to_be_bytes(),
                ),
                DataType::Int4 => out.extend_from_slice(
                    &i32::try_from(i)
                        .map_err(|_| mismatch(value, ty))?
                        .to_be_bytes(),
                ),
                _ => out.extend_from_slice(&i.to_be_bytes()),
            }
        }
        (DataType::Float4, v) if v.as_f64().is_some() => {
            out.extend_from_slice(&(v.as_f64().unwrap_or(0.0) as f32).to_be_bytes())
        }
        (DataType::Float8, v) if v.as_f64().is_some() => {
            out.extend_from_slice(&v.as_f64().unwrap_or(0.0).to_be_bytes())
        }
        // extract()'s ±Infinity (numeric's special values, PostgreSQL 14+).
        (DataType::Numeric(_), Value::Float8(f)) if f.is_infinite() => {
            out.extend_from_slice(&0i16.to_be_bytes());
            out.extend_from_slice(&0i16.to_be_bytes());
            out.extend_from_slice(&(if *f > 0.0 { 0xD000u16 } else { 0xF000 }).to_be_bytes());
            out.extend_from_slice(&0u16.to_be_bytes());
        }
        (DataType::Numeric(_), v) if v.as_decimal().is_some() => {
            let n = numeric::to_base10000(&v.as_decimal().unwrap_or_default());
            out.extend_from_slice(&(n.digits.len() as i16).to_be_bytes());
            out.extend_from_slice(&n.weight.to_be_bytes());
            out.extend_from_slice(&(if n.negative { 0x4000u16 } else { 0 }).to_be_bytes());
            out.extend_from_slice(&n.dscale.to_be_bytes());
            for d in &n.digits {
                out.extend_from_slice(&d.to_be_bytes());
            }
        }
        (DataType::Jsonb, Value::Jsonb(j)) => {
            out.push(1);
            out.extend_from_slice(text::json::format_jsonb(j).as_bytes());
        }
        (DataType::Jsonb, Value::Json(s)) | (DataType::Jsonb, Value::Text(s)) => {
            out.push(1);
            out.extend_from_slice(s.as_bytes());
        }
        (DataType::Json, Value::Jsonb(j)) => {
            out.extend_from_slice(text::json::format_jsonb(j).as_bytes())
        }
        (_, Value::Text(s)) | (_, Value::Json(s))
            if ty.is_string() || matches!(ty, DataType::Json | DataType::Unknown) =>
        {
            out.extend_from_slice(s.as_bytes())
        }
        (DataType::Bytea, Value::Bytea(b)) => out.extend_from_slice(b),
        (DataType::Date, Value::Date(d)) => {
            let days = if *d == NaiveDate::MAX {
                i32::MAX
            } else if *d == NaiveDate::MIN {
                i32::MIN
            } else {
                (*d - pg_epoch_date()).num_days() as i32
            };
            out.extend_from_slice(&days.to_be_bytes());
        }
        (DataType::Time, Value::Time(t)) => {
            out.extend_from_slice(&crate::cast::time_micros(t).to_be_bytes())
        }
        (DataType::Timestamp, Value::Timestamp(ts)) => {
            out.extend_from_slice(&ts_micros(ts).to_be_bytes())
        }
        (DataType::TimestampTz, Value::TimestampTz(ts)) => {
            let micros = if *ts == DateTime::<Utc>::MAX_UTC {
                i64::MAX
            } else if *ts == DateTime::<Utc>::MIN_UTC {
                i64::MIN
            } else {
                ts_micros(&ts.naive_utc())
            };
            out.extend_from_slice(&micros.to_be_bytes());
        }
        (DataType::Interval, Value::Interval(iv)) => {
            out.extend_from_slice(&iv.micros.to_be_bytes());
            out.extend_from_slice(&iv.days.to_be_bytes());
            out.extend_from_slice(&iv.months.to_be_bytes());
        }
        (DataType::Uuid, Value::Uuid(u)) => out.extend_from_slice(u.as_bytes()),
        (DataType::Oid | DataType::RegClass | DataType::RegType, v) if v.as_i64().is_some() => {
            out.extend_from_slice(&(v.as_i64().unwrap_or(0) as u32).to_be_bytes())
        }
        // Anything else goes through text (e.g. a timestamp sent as text).
        (t, v) if t.is_string() || *t == DataType::Unknown => out.extend_from_slice(
            text::format(v, &v.natural_type(), &EvalContext::default()).as_bytes(),
        ),
        _ => return Err(mismatch(value, ty)),
    }
    Ok(())
}

fn ts_micros(ts: &NaiveDateTime) -> i64 {
    if *ts == NaiveDateTime::MAX {
        return i64::MAX;
    }
    if *ts == NaiveDateTime::MIN {
        return i64::MIN;
    }
    (*ts - datetime::pg_epoch())
        .num_microseconds()
        .unwrap_or(i64::MAX)
}

fn micros_ts(m: i64) -> Result<NaiveDateTime, SqlError> {
    if m == i64::MAX {
        return Ok(NaiveDateTime::MAX);
    }
    if m == i64::MIN {
        return Ok(NaiveDateTime::MIN);
    }
    datetime::pg_epoch()
        .checked_add_signed(Duration::microseconds(m))
        .filter(datetime::timestamp_in_range)
        .ok_or_else(|| SqlError::new(SqlState::DATETIME_FIELD_OVERFLOW, "timestamp out of range"))
}

/// Dimensions of a (rectangular) nested array value.
fn dims(items: &[Value]) -> Vec<usize> {
    let mut d = vec![items.len()];
    if let Some(Value::Array(inner)) = items.first() {
        d.extend(dims(inner));
    }
    d
}

fn flatten<'a>(items: &'a [Value], out: &mut Vec<&'a Value>) {
    for v in items {
        match v {
            Value::Array(inner) => flatten(inner, out),
            other => out.push(other),
        }
    }
}

fn encode_array(items: &[Value], elem: &DataType, out: &mut Vec<u8>) -> Result<(), SqlError> {
    let mut flat = Vec::new();
    flatten(items, &mut flat);
    let d = if items.is_empty() {
        vec![]
    } else {
        dims(items)
    };
    if !d.is_empty() && d.iter().product::<usize>() != flat.len() {
        return Err(SqlError::new(
            SqlState::INVALID_TEXT_REPRESENTATION,
            "multidimensional arrays must have array expressions with matching dimensions",
        ));
    }
    out.extend_from_slice(&(d.len() as i32).to_be_bytes());
    out.extend_from_slice(&(flat.iter().any(|v| v.is_null()) as i32).to_be_bytes());
    out.extend_from_slice(&elem.oid().to_be_bytes());
    for n in &d {
        out.extend_from_slice(&(*n as i32).to_be_bytes());
        out.extend_from_slice(&1i32.to_be_bytes());
    }
    for v in flat {
        if v.is_null() {
            out.extend_from_slice(&(-1i32).to_be_bytes());
        } else {
            let bytes = encode(v, elem)?;
            out.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
            out.extend_from_slice(&bytes);
        }
    }
    Ok(())
}

/// Decodes a binary-format parameter of type `ty`; malformed input is
/// 22P03 (invalid binary representation).
pub fn decode(bytes: &[u8], ty: &DataType) -> Result<Value, SqlError> {
    let fixed = |n: usize| -> Result<&[u8], SqlError> {
        match bytes.len().cmp(&n) {
            std::cmp::Ordering::Less => Err(short()),
            std::cmp::Ordering::Greater => Err(bad("incorrect binary data format")),
            std::cmp::Ordering::Equal => Ok(bytes),
        }
    };
    let utf8 = || -> Result<String, SqlError> {
        String::from_utf8(bytes.to_vec()).map_err(|_| {
            SqlError::new(
                SqlState("22021"),
                "invalid byte sequence for encoding \"UTF8\"",
            )
        })
    };
    Ok(match ty {
        DataType::Bool => Value::Bool(fixed(1)?[0] != 0),
        DataType::Int2 => Value::Int2(i16::from_be_bytes(arr(fixed(2)?))),
        DataType::Int4 => Value::Int4(i32::from_be_bytes(arr(fixed(4)?))),
        DataType::Int8 => Value::Int8(i64::from_be_bytes(arr(fixed(8)?))),
        DataType::Float4 => Value::Float4(f32::from_be_bytes(arr(fixed(4)?))),
        DataType::Float8 => Value::Float8(f64::from_be_bytes(arr(fixed(8)?))),
        DataType::Numeric(m) => {
            let mut r = Reader::new(bytes);
            let ndigits = r.i16()?;
            let weight = r.i16()?;
            let sign = r.i16()? as u16;
            let dscale = r.i16()? as u16;
            if ndigits < 0 || dscale > 0x3FFF {
                return Err(bad("invalid length in external \"numeric\" value"));
            }
            let neg = match sign {
                0x0000 => false,
                0x4000 => true,
                0xC000 | 0xD000 | 0xF000 => {
                    return Err(SqlError::unsupported(
                        "numeric NaN and infinity are not supported",
                    ))
                }
                _ => return Err(bad("invalid sign in external \"numeric\" value")),
            };
            let mut digits = Vec::with_capacity(ndigits as usize);
            for _ in 0..ndigits {
                digits.push(r.i16()?);
            }
            r.done()?;
            let d = numeric::from_base10000(&numeric::NumericDigits {
                digits,
                weight,
                negative: neg,
                dscale,
            })?;
            Value::Numeric(numeric::apply_typmod(d, *m)?)
        }
        DataType::Text | DataType::Unknown => Value::Text(utf8()?),
        DataType::Varchar(n) => {
            Value::Text(text::apply_string_typmod(&utf8()?, ty, *n, false, false)?)
        }
        DataType::Char(n) => Value::Text(text::apply_string_typmod(&utf8()?, ty, *n, true, false)?),
        DataType::Name => text::parse(&utf8()?, ty, &EvalContext::default())?,
        DataType::Json => {
            let s = utf8()?;
            text::json::validate_json(&s)?;
            Value::Json(s)
        }
        DataType::Jsonb => {
            let Some((&version, rest)) = bytes.split_first() else {
                return Err(short());
            };
            if version != 1 {
                return Err(bad(&format!("unsupported jsonb version number {version}")));
            }
            let s = std::str::from_utf8(rest).map_err(|_| {
                SqlError::new(
                    SqlState("22021"),
                    "invalid byte sequence for encoding \"UTF8\"",
                )
            })?;
            Value::Jsonb(text::json::parse_jsonb(s)?)
        }
        DataType::Bytea => Value::Bytea(bytes.to_vec()),
        DataType::Date => {
            let days = i32::from_be_bytes(arr(fixed(4)?));
            Value::Date(match days {
                i32::MAX => NaiveDate::MAX,
                i32::MIN => NaiveDate::MIN,
                d => pg_epoch_date()
                    .checked_add_signed(Duration::days(d as i64))
                    .filter(datetime::date_in_range)
                    .ok_or_else(datetime::date_out_of_range)?,
            })
        }
        DataType::Time => {
            let m = i64::from_be_bytes(arr(fixed(8)?));
            Value::Time(datetime::time_from_micros(m).ok_or_else(|| bad("time out of range"))?)
        }
        DataType::Timestamp => Value::Timestamp(micros_ts(i64::from_be_bytes(arr(fixed(8)?)))?),
        DataType::TimestampTz => {
            let m = i64::from_be_bytes(arr(fixed(8)?));
            Value::TimestampTz(match m {
                i64::MAX => DateTime::<Utc>::MAX_UTC,
                i64::MIN => DateTime::<Utc>::MIN_UTC,
                m => micros_ts(m)?.and_utc(),
            })
        }
        DataType::Interval => {
            let b = fixed(16)?;
            Value::Interval(Interval {
                micros: i64::from_be_bytes(arr(&b[..8])),
                days: i32::from_be_bytes(arr(&b[8..12])),
                months: i32::from_be_bytes(arr(&b[12..])),
            })
        }
        DataType::Uuid => Value::Uuid(uuid::Uuid::from_bytes(arr(fixed(16)?))),
        DataType::Oid | DataType::RegClass | DataType::RegType => {
            Value::Oid(u32::from_be_bytes(arr(fixed(4)?)))
        }
        DataType::Array(elem) => decode_array(bytes, elem)?,
    })
}

fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let n = b.len().min(N);
    out[..n].copy_from_slice(&b[..n]);
    out
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(b: &'a [u8]) -> Self {
        Reader { b, pos: 0 }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], SqlError> {
        let end = self.pos.checked_add(n).ok_or_else(short)?;
        let s = self.b.get(self.pos..end).ok_or_else(short)?;
        self.pos = end;
        Ok(s)
    }

    fn i16(&mut self) -> Result<i16, SqlError> {
        Ok(i16::from_be_bytes(arr(self.take(2)?)))
    }

    fn i32(&mut self) -> Result<i32, SqlError> {
        Ok(i32::from_be_bytes(arr(self.take(4)?)))
    }

    fn done(&self) -> Result<(), SqlError> {
        if self.pos == self.b.len() {
            Ok(())
        } else {
            Err(bad("incorrect binary data format"))
        }
    }
}

fn decode_array(bytes: &[u8], elem: &DataType) -> Result<Value, SqlError> {
    let mut r = Reader::new(bytes);
    let ndim = r.i32()?;
    let _flags = r.i32()?;
    let elem_oid = r.i32()? as u32;
    if !(0..=6).contains(&ndim) {
        return Err(bad(&format!("invalid number of dimensions: {ndim}")));
    }
    if elem_oid != elem.oid() {
        return Err(bad(&format!(
            "binary data has array element type {elem_oid} instead of expected {}",
            elem.oid()
        )));
    }
    let mut d = Vec::new();
    let mut total: usize = 1;
    for _ in 0..ndim {
        let n = r.i32()?;
        let _lower = r.i32()?;
        if n < 0 {
            return Err(bad("array size exceeds the maximum allowed"));
        }
        total = total
            .checked_mul(n as usize)
            .filter(|t| *t <= bytes.len())
            .ok_or_else(|| bad("array size exceeds the maximum allowed"))?;
        d.push(n as usize);
    }
    if ndim == 0 {
        r.done()?;
        return Ok(Value::Array(vec![]));
    }
    let mut flat = Vec::with_capacity(total);
    for _ in 0..total {
        let len = r.i32()?;
        if len == -1 {
            flat.push(Value::Null);
        } else if len < 0 {
            return Err(bad("insufficient data left in message"));
        } else {
            flat.push(decode(r.take(len as usize)?, elem)?);
        }
    }
    r.done()?;
    Ok(nest(&mut flat.into_iter(), &d))
}

fn nest(flat: &mut impl Iterator<Item = Value>, dims: &[usize]) -> Value {
    match dims {
        [] => Value::Null,
        [n] => Value::Array(flat.take(*n).collect()),
        [n, rest @ ..] => Value::Array((0..*n).map(|_| nest(flat, rest)).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn rt(v: Value, ty: DataType) {
        let b = encode(&v, &ty).unwrap_or_else(|e| panic!("{e}"));
        let back = decode(&b, &ty).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(format!("{v:?}"), format!("{back:?}"), "{ty:?}");
    }

    #[test]
    fn round_trips() {
        let c = EvalContext::default();
        let p = |s: &str, t: DataType| text::parse(s, &t, &c).unwrap_or(Value::Null);
        rt(Value::Bool(true), DataType::Bool);
        rt(Value::Int2(-5), DataType::Int2);
        rt(Value::Int8(i64::MIN), DataType::Int8);
        rt(Value::Float8(-0.1), DataType::Float8);
        for s in [
            "0",
            "1.50",
            "-12345.678901",
            "0.0001",
            "10000",
            "123456789012345678.9",
        ] {
            rt(p(s, DataType::Numeric(None)), DataType::Numeric(None));
        }
        rt(p("{\"a\": [1]}", DataType::Jsonb), DataType::Jsonb);
        rt(p("2024-01-02", DataType::Date), DataType::Date);
        rt(p("infinity", DataType::Date), DataType::Date);
        rt(
            p("1999-12-31 23:59:59.999999", DataType::Timestamp),
            DataType::Timestamp,
        );
        rt(
            p("2024-01-02 03:04:05+02", DataType::TimestampTz),
            DataType::TimestampTz,
        );
        rt(p("13:14:15.5", DataType::Time), DataType::Time);
        rt(
            p("1 year 2 days 03:00:01", DataType::Interval),
            DataType::Interval,
        );
        rt(
            p("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", DataType::Uuid),
            DataType::Uuid,
        );
        let ints = DataType::Array(Box::new(DataType::Int4));
        rt(p("{1,NULL,3}", ints.clone()), ints.clone());
        rt(p("{{1,2},{3,4}}", ints.clone()), ints.clone());
        rt(p("{}", ints.clone()), ints);
    }

    #[test]
    fn wire_layouts_match_postgres() {
        // numeric 1.50: ndigits 2, weight 0, sign 0, dscale 2, digits [1, 5000].
        assert_eq!(
            encode(
                &Value::Numeric(Decimal::new(150, 2)),
                &DataType::Numeric(None)
            )
            .ok(),
            Some(vec![0, 2, 0, 0, 0, 0, 0, 2, 0, 1, 0x13, 0x88])
        );
        // 2000-01-02 is day 1.
        let d = NaiveDate::from_ymd_opt(2000, 1, 2).unwrap_or_default();
        assert_eq!(
            encode(&Value::Date(d), &DataType::Date).ok(),
            Some(vec![0, 0, 0, 1])
        );
        assert_eq!(
            encode(&Value::Jsonb(serde_json::json!({"a": 1})), &DataType::Jsonb).ok(),
            Some(b"\x01{\"a\": 1}".to_vec())
        );
        assert_eq!(
            decode(&[0, 1], &DataType::Int4).map_err(|e| e.code),
            Err(SqlState::INVALID_BINARY_REPRESENTATION)
        );
        assert_eq!(
            decode(&[2, b'{', b'}'], &DataType::Jsonb).map_err(|e| e.code),
            Err(SqlState::INVALID_BINARY_REPRESENTATION)
        );
    }

    #[test]
    fn garbage_never_panics() {
        let types = [
            DataType::Numeric(None),
            DataType::Array(Box::new(DataType::Int4)),
            DataType::Array(Box::new(DataType::Text)),
            DataType::Timestamp,
            DataType::Date,
            DataType::Time,
            DataType::Interval,
            DataType::Jsonb,
            DataType::Varchar(Some(1)),
        ];
        let inputs: [&[u8]; 8] = [
            &[],
            &[0xff],
            &[
                0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1,
            ],
            &[0x7f, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff],
            &[0, 3, 0x80, 0, 0, 0, 0x3f, 0xff, 0x27, 0x10, 0, 0, 0, 0],
            &[
                0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 23, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1,
            ],
            &[0x80, 0, 0, 0, 0, 0, 0, 0],
            &[1, 0xc3, 0x28],
        ];
        for ty in &types {
            for input in inputs {
                let _ = decode(input, ty);
            }
        }
    }
}
