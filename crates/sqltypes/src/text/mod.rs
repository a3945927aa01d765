//! PostgreSQL's text format for every supported type: how values are
//! printed in query results (text format), COPY and casts to text, and how
//! strings are parsed as input (literals, text-format parameters, COPY).

mod array;
pub mod datetime;
mod float;
pub mod interval;
pub mod json;
pub mod numeric;

#[cfg(test)]
mod tests;

use crate::error::{SqlError, SqlState};
use crate::types::DataType;
use crate::value::{EvalContext, Value};

pub use float::{format_float4, format_float8};

/// Formats a non-NULL value exactly as PostgreSQL's output function for `ty`
/// does (`t`/`f`, `1.50`, `Infinity`, `2024-01-02 03:04:05+00`,
/// `1 day 02:00:00`, `\x0102`, `{1,2,NULL}`).
pub fn format(value: &Value, ty: &DataType, ctx: &EvalContext) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(b) => if *b { "t" } else { "f" }.to_string(),
        Value::Int2(v) => v.to_string(),
        Value::Int4(v) => v.to_string(),
        Value::Int8(v) => v.to_string(),
        Value::Float4(v) => match ty {
            DataType::Float8 => format_float8(*v as f64, ctx.extra_float_digits),
            _ => format_float4(*v, ctx.extra_float_digits),
        },
        Value::Float8(v) => match ty {
            DataType::Float4 => format_float4(*v as f32, ctx.extra_float_digits),
            _ => format_float8(*v, ctx.extra_float_digits),
        },
        Value::Numeric(d) => numeric::format_numeric(d),
        Value::Text(s) => s.clone(),
        Value::Bytea(b) => format_bytea(b),
        Value::Date(d) => datetime::format_date(d),
        Value::Time(t) => datetime::format_time(t),
        Value::Timestamp(ts) => datetime::format_timestamp(ts),
        Value::TimestampTz(ts) => datetime::format_timestamptz(ts, &ctx.timezone),
        Value::Interval(iv) => interval::format_interval(iv),
        Value::Uuid(u) => u.hyphenated().to_string(),
        Value::Json(s) => s.clone(),
        Value::Jsonb(j) => json::format_jsonb(j),
        Value::Oid(o) => o.to_string(),
        Value::Array(items) => {
            let elem = match ty {
                DataType::Array(e) => (**e).clone(),
                _ => value
                    .natural_type()
                    .array_element()
                    .unwrap_or(DataType::Text),
            };
            array::format_array(items, &elem, ctx)
        }
    }
}

/// Parses `input` as a value of `ty` with PostgreSQL's input rules, e.g.
/// `' 12 '` is a valid integer, `'yes'` a boolean; errors are 22P02 (bad
/// syntax), 22003 (out of range), 22008 (datetime field overflow).
/// Applies `ty`'s modifier (`varchar(n)` length check, `numeric(p,s)`
/// rounding) like an assignment cast.
pub fn parse(input: &str, ty: &DataType, ctx: &EvalContext) -> Result<Value, SqlError> {
    match ty {
        DataType::Bool => parse_bool(input).map(Value::Bool),
        DataType::Int2 => parse_int(input, "smallint", i16::MIN as i64, i16::MAX as i64)
            .map(|v| Value::Int2(v as i16)),
        DataType::Int4 => parse_int(input, "integer", i32::MIN as i64, i32::MAX as i64)
            .map(|v| Value::Int4(v as i32)),
        DataType::Int8 => parse_int(input, "bigint", i64::MIN, i64::MAX).map(Value::Int8),
        DataType::Float4 => float::parse_float4(input).map(Value::Float4),
        DataType::Float8 => float::parse_float8(input).map(Value::Float8),
        DataType::Numeric(typmod) => {
            let d = numeric::parse_numeric(input)?;
            numeric::apply_typmod(d, *typmod).map(Value::Numeric)
        }
        DataType::Text | DataType::Unknown => Ok(Value::Text(input.to_string())),
        DataType::Varchar(n) => apply_string_typmod(input, ty, *n, false, false).map(Value::Text),
        DataType::Char(n) => apply_string_typmod(input, ty, *n, true, false).map(Value::Text),
        DataType::Name => Ok(Value::Text(truncate_name(input))),
        DataType::Bytea => parse_bytea(input).map(Value::Bytea),
        DataType::Date => datetime::parse_date(input, ctx).map(Value::Date),
        DataType::Time => datetime::parse_time(input).map(Value::Time),
        DataType::Timestamp => datetime::parse_timestamp(input, ctx).map(Value::Timestamp),
        DataType::TimestampTz => datetime::parse_timestamptz(input, ctx).map(Value::TimestampTz),
        DataType::Interval => interval::parse_interval(input).map(Value::Interval),
        DataType::Uuid => parse_uuid(input).map(Value::Uuid),
        DataType::Json => {
            json::validate_json(input)?;
            Ok(Value::Json(input.to_string()))
        }
        DataType::Jsonb => json::parse_jsonb(input).map(Value::Jsonb),
        DataType::Oid | DataType::RegClass | DataType::RegType => {
            parse_oid(input, ty).map(Value::Oid)
        }
        DataType::Array(elem) => array::parse_array(input, elem, ctx).map(Value::Array),
    }
}

impl DataType {
    /// The element type if this is an array type.
    pub fn array_element(&self) -> Option<DataType> {
        match self {
            DataType::Array(e) => Some((**e).clone()),
            _ => None,
        }
    }
}

/// PostgreSQL's `boolin`: `t`/`true`/`yes`/`on`/`1` and their negations,
/// any unambiguous prefix, case-insensitive, surrounding blanks ignored.
pub fn parse_bool(input: &str) -> Result<bool, SqlError> {
    let s = input.trim().to_ascii_lowercase();
    let err = || SqlError::invalid_text("boolean", input);
    if s.is_empty() {
        return Err(err());
    }
    let prefix_of = |word: &str, min: usize| s.len() >= min && word.starts_with(s.as_str());
    if prefix_of("true", 1) || prefix_of("yes", 1) || prefix_of("on", 2) || s == "1" {
        Ok(true)
    } else if prefix_of("false", 1) || prefix_of("no", 1) || prefix_of("off", 2) || s == "0" {
        Ok(false)
    } else {
        Err(err())
    }
}

/// PostgreSQL's integer input: optional blanks and sign around decimal
/// digits, range-checked against `[min, max]`.
pub fn parse_int(input: &str, type_name: &str, min: i64, max: i64) -> Result<i64, SqlError> {
    let s = input.trim_matches(|c: char| c.is_ascii_whitespace());
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SqlError::invalid_text(type_name, input));
    }
    let out_of_range = || {
        SqlError::out_of_range(format!(
            "value \"{input}\" is out of range for type {type_name}"
        ))
    };
    let mut acc: i128 = 0;
    for b in digits.bytes() {
        acc = acc * 10 + (b - b'0') as i128;
        if acc > (i64::MAX as i128) + 1 {
            return Err(out_of_range());
        }
    }
    let v = if neg { -acc } else { acc };
    if v < min as i128 || v > max as i128 {
        return Err(out_of_range());
    }
    Ok(v as i64)
}

fn parse_oid(input: &str, ty: &DataType) -> Result<u32, SqlError> {
    let name = ty.sql_name();
    let v = parse_int(input, &name, i32::MIN as i64, u32::MAX as i64).map_err(|e| {
        if e.code == SqlState::NUMERIC_VALUE_OUT_OF_RANGE {
            SqlError::out_of_range(format!("value \"{input}\" is out of range for type {name}"))
        } else {
            e
        }
    })?;
    Ok(v as u32)
}

/// Applies a `varchar(n)`/`char(n)` length limit. With `truncate` (explicit
/// casts) excess characters are dropped; otherwise excess blanks are dropped
/// and anything else is 22001, as on assignment. `pad` blank-pads `char(n)`.
pub fn apply_string_typmod(
    input: &str,
    ty: &DataType,
    limit: Option<u32>,
    pad: bool,
    truncate: bool,
) -> Result<String, SqlError> {
    let Some(n) = limit else {
        return Ok(input.to_string());
    };
    let n = n as usize;
    let len = input.chars().count();
    if len > n {
        let cut = input
            .char_indices()
            .nth(n)
            .map(|(i, _)| i)
            .unwrap_or(input.len());
        let (keep, rest) = input.split_at(cut);
        if !truncate && !rest.chars().all(|c| c == ' ') {
            return Err(SqlError::new(
                SqlState::STRING_DATA_RIGHT_TRUNCATION,
                format!("value too long for type {}", ty.sql_name()),
            ));
        }
        return Ok(keep.to_string());
    }
    let mut out = input.to_string();
    if pad {
        out.extend(std::iter::repeat_n(' ', n - len));
    }
    Ok(out)
}

/// `name` holds at most 63 bytes; longer input is cut at a character
/// boundary, as PostgreSQL does.
fn truncate_name(input: &str) -> String {
    if input.len() <= 63 {
        return input.to_string();
    }
    let mut end = 63;
    while !input.is_char_boundary(end) {
        end -= 1;
    }
    input[..end].to_string()
}

/// `bytea` output in the default `hex` format.
pub fn format_bytea(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 + bytes.len() * 2);
    out.push_str("\\x");
    for b in bytes {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
    out
}

/// `bytea` input: `\x` hex (blanks between byte pairs allowed) or the
/// traditional escape format (`\\`, `\ooo` octal, other bytes as-is).
pub fn parse_bytea(input: &str) -> Result<Vec<u8>, SqlError> {
    let bytes = input.as_bytes();
    if bytes.len() >= 2 && bytes[0] == b'\\' && (bytes[1] == b'x' || bytes[1] == b'X') {
        let hex_err = |c: u8| {
            let ch = String::from_utf8_lossy(&[c]).into_owned();
            SqlError::new(
                SqlState::INVALID_PARAMETER_VALUE,
                format!("invalid hexadecimal digit: \"{ch}\""),
            )
        };
        let mut out = Vec::with_capacity(bytes.len() / 2);
        let mut i = 2;
        while i < bytes.len() {
            let c = bytes[i];
            if c.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            let hi = hex_val(c).ok_or_else(|| hex_err(c))?;
            let Some(&c2) = bytes.get(i + 1) else {
                return Err(SqlError::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    "invalid hexadecimal data: odd number of digits",
                ));
            };
            let lo = hex_val(c2).ok_or_else(|| {
                if c2.is_ascii_whitespace() {
                    SqlError::new(
                        SqlState::INVALID_PARAMETER_VALUE,
                        "invalid hexadecimal data: odd number of digits",
                    )
                } else {
                    hex_err(c2)
                }
            })?;
            out.push(hi << 4 | lo);
            i += 2;
        }
        return Ok(out);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        if bytes.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
            continue;
        }
        let oct = |k: usize| bytes.get(i + k).filter(|b| (b'0'..=b'7').contains(b));
        match (oct(1), oct(2), oct(3)) {
            (Some(a), Some(b), Some(c)) if *a <= b'3' => {
                out.push((a - b'0') << 6 | (b - b'0') << 3 | (c - b'0'));
                i += 4;
            }
            _ => {
                return Err(SqlError::new(
                    SqlState::INVALID_TEXT_REPRESENTATION,
                    "invalid input syntax for type bytea",
                ))
            }
        }
    }
    Ok(out)
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// `uuid` input as PostgreSQL accepts it: optional braces, 32 hex digits,
/// optionally a hyphen after any group of four digits.
pub fn parse_uuid(input: &str) -> Result<uuid::Uuid, SqlError> {
    let err = || SqlError::invalid_text("uuid", input);
    let b = input.as_bytes();
    let mut i = 0;
    let braces = b.first() == Some(&b'{');
    if braces {
        i = 1;
    }
    let mut out = [0u8; 16];
    for (k, slot) in out.iter_mut().enumerate() {
        let hi = b.get(i).copied().and_then(hex_val).ok_or_else(err)?;
        let lo = b.get(i + 1).copied().and_then(hex_val).ok_or_else(err)?;
        *slot = hi << 4 | lo;
        i += 2;
        if k % 2 == 1 && k < 15 && b.get(i) == Some(&b'-') {
            i += 1;
        }
    }
    if braces {
        if b.get(i) != Some(&b'}') {
            return Err(err());
        }
        i += 1;
    }
    if i != b.len() {
        return Err(err());
    }
    Ok(uuid::Uuid::from_bytes(out))
}
