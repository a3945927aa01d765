//! Casts between types with PostgreSQL's rules.
//!
//! Which casts exist, and in which context, follows `pg_cast` plus
//! PostgreSQL's automatic I/O conversion casts (anything to a string type on
//! assignment, a string to anything explicitly).

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::{SqlError, SqlState};
use crate::interval::{Interval, MICROS_PER_DAY};
use crate::text::{self, datetime, numeric};
use crate::types::DataType;
use crate::value::{EvalContext, Value};

/// How a cast was asked for; PostgreSQL allows more casts explicitly than
/// implicitly, and assignment (INSERT/UPDATE) sits between the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CastContext {
    /// Chosen by the planner to make an expression type-check.
    Implicit,
    /// Storing into a column: `varchar(n)` raises 22001 when too long,
    /// `numeric(p,s)` rounds and raises 22003 when it overflows.
    Assignment,
    /// `CAST(x AS t)` or `x::t`: `varchar(n)` truncates silently.
    Explicit,
}

impl CastContext {
    fn rank(self) -> u8 {
        match self {
            CastContext::Implicit => 0,
            CastContext::Assignment => 1,
            CastContext::Explicit => 2,
        }
    }
}

/// Casts a value (NULL stays NULL). Errors carry PostgreSQL's SQLSTATEs:
/// 22P02 for unparsable text, 22003 for out-of-range numbers, 42846 when no
/// cast exists.
pub fn cast(
    value: Value,
    from: &DataType,
    to: &DataType,
    context: CastContext,
    ctx: &EvalContext,
) -> Result<Value, SqlError> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let truncate = context == CastContext::Explicit;
    // Strings (and unknown literals) go through the target's input function.
    if let Value::Text(s) = &value {
        if from.is_string() || *from == DataType::Unknown || from == &DataType::Text {
            return cast_from_string(s, from, to, truncate, ctx);
        }
    }
    if to.is_string() {
        let s = match &value {
            Value::Bool(b) => if *b { "true" } else { "false" }.to_string(),
            v => text::format(v, from, ctx),
        };
        return string_to_string(&s, to, truncate).map(Value::Text);
    }
    if *to == DataType::Unknown {
        return Ok(value);
    }
    let no_cast = || cannot_cast(from, to);
    match (value, to) {
        (Value::Array(items), DataType::Array(elem)) => {
            let from_elem = match from {
                DataType::Array(e) => (**e).clone(),
                _ => DataType::Unknown,
            };
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(cast_array_item(item, &from_elem, elem, context, ctx)?);
            }
            Ok(Value::Array(out))
        }
        (Value::Bool(b), DataType::Int4) => Ok(Value::Int4(b as i32)),
        (v @ (Value::Int2(_) | Value::Int4(_) | Value::Int8(_)), DataType::Bool) => {
            Ok(Value::Bool(v.as_i64() != Some(0)))
        }
        (v @ (Value::Int2(_) | Value::Int4(_) | Value::Int8(_) | Value::Oid(_)), _)
            if to.is_numeric() || is_oid(to) =>
        {
            let i = v.as_i64().ok_or_else(no_cast)?;
            let i = match (&v, to) {
                // OIDs read back as signed int4 bit patterns.
                (Value::Oid(o), DataType::Int4) => *o as i32 as i64,
                _ => i,
            };
            from_i64(i, to)
        }
        (Value::Float4(f), _) if to.is_numeric() => from_float(f as f64, true, to),
        (Value::Float8(f), _) if to.is_numeric() => from_float(f, false, to),
        (Value::Numeric(d), _) if to.is_numeric() => from_numeric(d, to),
        (Value::Date(d), DataType::Timestamp) => Ok(Value::Timestamp(date_to_ts(&d))),
        (Value::Date(d), DataType::TimestampTz) => {
            Ok(Value::TimestampTz(ts_to_tstz(&date_to_ts(&d), ctx)?))
        }
        (Value::Timestamp(t), DataType::Date) => Ok(Value::Date(ts_to_date(&t))),
        // The time of an infinite timestamp is NULL, as in PostgreSQL.
        (Value::Timestamp(t), DataType::Time) if datetime::timestamp_is_infinite(&t) => {
            Ok(Value::Null)
        }
        (Value::Timestamp(t), DataType::Time) => Ok(Value::Time(t.time())),
        (Value::Timestamp(t), DataType::TimestampTz) => {
            Ok(Value::TimestampTz(ts_to_tstz(&t, ctx)?))
        }
        (Value::TimestampTz(t), DataType::Timestamp) => Ok(Value::Timestamp(tstz_to_ts(&t, ctx)?)),
        (Value::TimestampTz(t), DataType::Date) => {
            // Only the date is kept, so a wall-clock time just past the
            // timestamp range still has one.
            Ok(Value::Date(ts_to_date(
                &datetime::to_local(&t, &ctx.timezone).0,
            )))
        }
        (Value::TimestampTz(t), DataType::Time) if datetime::timestamptz_is_infinite(&t) => {
            Ok(Value::Null)
        }
        (Value::TimestampTz(t), DataType::Time) => {
            Ok(Value::Time(datetime::to_local(&t, &ctx.timezone).0.time()))
        }
        (Value::Time(t), DataType::Interval) => Ok(Value::Interval(Interval {
            months: 0,
            days: 0,
            micros: time_micros(&t),
        })),
        (Value::Interval(iv), DataType::Time) => Ok(Value::Time(micros_to_time(
            iv.micros.rem_euclid(MICROS_PER_DAY),
        ))),
        (Value::Json(s), DataType::Jsonb) => text::json::parse_jsonb(&s).map(Value::Jsonb),
        (Value::Jsonb(j), DataType::Json) => Ok(Value::Json(text::json::format_jsonb(&j))),
        (Value::Jsonb(j), _) if to.is_numeric() || *to == DataType::Bool => jsonb_scalar(&j, to),
        (
            v @ (Value::Date(_) | Value::Time(_) | Value::Timestamp(_) | Value::TimestampTz(_)),
            _,
        ) if matches!(
            to,
            DataType::Date | DataType::Time | DataType::Timestamp | DataType::TimestampTz
        ) && same_kind(&v, to) =>
        {
            Ok(v)
        }
        (Value::Numeric(d), DataType::Numeric(_)) => from_numeric(d, to),
        (v, _) if same_kind(&v, to) => Ok(v),
        _ => Err(no_cast()),
    }
}

fn cast_array_item(
    item: Value,
    from_elem: &DataType,
    elem: &DataType,
    context: CastContext,
    ctx: &EvalContext,
) -> Result<Value, SqlError> {
    match item {
        Value::Array(inner) => {
            let mut out = Vec::with_capacity(inner.len());
            for v in inner {
                out.push(cast_array_item(v, from_elem, elem, context, ctx)?);
            }
            Ok(Value::Array(out))
        }
        v => {
            let from = if *from_elem == DataType::Unknown {
                v.natural_type()
            } else {
                from_elem.clone()
            };
            cast(v, &from, elem, context, ctx)
        }
    }
}

/// Whether a value already has the representation of `to`.
fn same_kind(v: &Value, to: &DataType) -> bool {
    matches!(
        (v, to),
        (Value::Bool(_), DataType::Bool)
            | (Value::Int2(_), DataType::Int2)
            | (Value::Int4(_), DataType::Int4)
            | (Value::Int8(_), DataType::Int8)
            | (Value::Float4(_), DataType::Float4)
            | (Value::Float8(_), DataType::Float8)
            | (Value::Bytea(_), DataType::Bytea)
            | (Value::Date(_), DataType::Date)
            | (Value::Time(_), DataType::Time)
            | (Value::Timestamp(_), DataType::Timestamp)
            | (Value::TimestampTz(_), DataType::TimestampTz)
            | (Value::Interval(_), DataType::Interval)
            | (Value::Uuid(_), DataType::Uuid)
            | (Value::Json(_), DataType::Json)
            | (Value::Jsonb(_), DataType::Jsonb)
            | (
                Value::Oid(_),
                DataType::Oid | DataType::RegClass | DataType::RegType
            )
    )
}

fn is_oid(t: &DataType) -> bool {
    matches!(t, DataType::Oid | DataType::RegClass | DataType::RegType)
}

fn cannot_cast(from: &DataType, to: &DataType) -> SqlError {
    SqlError::new(
        SqlState::CANNOT_COERCE,
        format!("cannot cast type {} to {}", from.sql_name(), to.sql_name()),
    )
}

fn cast_from_string(
    s: &str,
    from: &DataType,
    to: &DataType,
    truncate: bool,
    ctx: &EvalContext,
) -> Result<Value, SqlError> {
    if to.is_string() || *to == DataType::Unknown {
        // bpchar loses its padding when it becomes another string type.
        let s = if matches!(from, DataType::Char(_)) && !matches!(to, DataType::Char(_)) {
            s.trim_end_matches(' ')
        } else {
            s
        };
        if *to == DataType::Unknown {
            return Ok(Value::Text(s.to_string()));
        }
        return string_to_string(s, to, truncate).map(Value::Text);
    }
    text::parse(s, to, ctx)
}

fn string_to_string(s: &str, to: &DataType, truncate: bool) -> Result<String, SqlError> {
    match to {
        DataType::Varchar(n) => text::apply_string_typmod(s, to, *n, false, truncate),
        DataType::Char(n) => text::apply_string_typmod(s, to, *n, true, truncate),
        DataType::Name => text::parse(s, to, &EvalContext::default()).map(|v| match v {
            Value::Text(t) => t,
            _ => String::new(),
        }),
        _ => Ok(s.to_string()),
    }
}

fn int_out_of_range(to: &DataType) -> SqlError {
    SqlError::out_of_range(match to {
        DataType::Int2 => "smallint out of range",
        DataType::Int8 => "bigint out of range",
        _ => "integer out of range",
    })
}

/// Converts an integer to any numeric or OID type.
pub fn from_i64(i: i64, to: &DataType) -> Result<Value, SqlError> {
    match to {
        DataType::Int2 => i16::try_from(i)
            .map(Value::Int2)
            .map_err(|_| int_out_of_range(to)),
        DataType::Int4 => i32::try_from(i)
            .map(Value::Int4)
            .map_err(|_| int_out_of_range(to)),
        DataType::Int8 => Ok(Value::Int8(i)),
        DataType::Float4 => Ok(Value::Float4(i as f32)),
        DataType::Float8 => Ok(Value::Float8(i as f64)),
        DataType::Numeric(m) => numeric::apply_typmod(Decimal::from(i), *m).map(Value::Numeric),
        DataType::Oid | DataType::RegClass | DataType::RegType => {
            if (i32::MIN as i64..=u32::MAX as i64).contains(&i) {
                Ok(Value::Oid(i as u32))
            } else {
                Err(SqlError::out_of_range("OID out of range"))
            }
        }
        other => Err(cannot_cast(&DataType::Int8, other)),
    }
}

fn from_float(f: f64, single: bool, to: &DataType) -> Result<Value, SqlError> {
    let int = |min: f64, max: f64| -> Result<i64, SqlError> {
        let r = f.round_ties_even();
        if f.is_nan() || r < min || r >= max {
            return Err(int_out_of_range(to));
        }
        Ok(r as i64)
    };
    match to {
        DataType::Int2 => int(-32768.0, 32768.0).map(|v| Value::Int2(v as i16)),
        DataType::Int4 => int(-2147483648.0, 2147483648.0).map(|v| Value::Int4(v as i32)),
        DataType::Int8 => int(-9.223_372_036_854_776e18, 9.223_372_036_854_776e18).map(Value::Int8),
        DataType::Float4 => {
            let r = f as f32;
            if r.is_infinite() && f.is_finite() {
                return Err(SqlError::out_of_range("value out of range: overflow"));
            }
            if r == 0.0 && f != 0.0 {
                return Err(SqlError::out_of_range("value out of range: underflow"));
            }
            Ok(Value::Float4(r))
        }
        DataType::Float8 => Ok(Value::Float8(f)),
        DataType::Numeric(m) => {
            if f.is_nan() || f.is_infinite() {
                return Err(SqlError::unsupported(
                    "numeric NaN and infinity are not supported",
                ));
            }
            // PostgreSQL converts with FLT_DIG/DBL_DIG significant digits.
            let s = if single {
                text::format_float4(f as f32, 0)
            } else {
                text::format_float8(f, 0)
            };
            let d = numeric::parse_numeric(&s)?;
            numeric::apply_typmod(d, *m).map(Value::Numeric)
        }
        other => Err(cannot_cast(&DataType::Float8, other)),
    }
}

fn from_numeric(d: Decimal, to: &DataType) -> Result<Value, SqlError> {
    let int = || -> Result<i64, SqlError> {
        d.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
            .to_i64()
            .ok_or_else(|| int_out_of_range(to))
    };
    match to {
        DataType::Int2 | DataType::Int4 | DataType::Int8 => from_i64(int()?, to),
        DataType::Float4 | DataType::Float8 => {
            let f: f64 = numeric::format_numeric(&d).parse().unwrap_or(f64::NAN);
            if matches!(to, DataType::Float4) {
                Ok(Value::Float4(f as f32))
            } else {
                Ok(Value::Float8(f))
            }
        }
        DataType::Numeric(m) => numeric::apply_typmod(d, *m).map(Value::Numeric),
        other => Err(cannot_cast(&DataType::Numeric(None), other)),
    }
}

fn jsonb_scalar(j: &serde_json::Value, to: &DataType) -> Result<Value, SqlError> {
    let kind = match j {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "numeric",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    };
    let err = || {
        SqlError::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("cannot cast jsonb {kind} to type {}", to.sql_name()),
        )
    };
    match (j, to) {
        (serde_json::Value::Bool(b), DataType::Bool) => Ok(Value::Bool(*b)),
        (serde_json::Value::Number(n), _) if to.is_numeric() => {
            let d = numeric::parse_numeric(&text::json::format_json_number(n))?;
            from_numeric(d, to)
        }
        _ => Err(err()),
    }
}

fn date_to_ts(d: &NaiveDate) -> NaiveDateTime {
    datetime::date_to_timestamp(d)
}

fn ts_to_date(t: &NaiveDateTime) -> NaiveDate {
    if *t == NaiveDateTime::MAX {
        return NaiveDate::MAX;
    }
    if *t == NaiveDateTime::MIN {
        return NaiveDate::MIN;
    }
    t.date()
}

/// `timestamp` → `timestamptz`: the wall-clock time in the session zone
/// (infinity stays infinite; 22008 past the supported range).
pub fn ts_to_tstz(t: &NaiveDateTime, ctx: &EvalContext) -> Result<DateTime<Utc>, SqlError> {
    datetime::from_local(t, &ctx.timezone)
}

/// `timestamptz` → `timestamp`: the wall-clock time in the session zone
/// (infinity stays infinite; 22008 past the supported range).
pub fn tstz_to_ts(t: &DateTime<Utc>, ctx: &EvalContext) -> Result<NaiveDateTime, SqlError> {
    datetime::to_local_checked(t, &ctx.timezone)
}

/// Microseconds since midnight (24:00:00 is a whole day).
pub fn time_micros(t: &NaiveTime) -> i64 {
    datetime::time_to_micros(t)
}

/// The time of day `micros` after midnight (taken modulo a day, so never
/// 24:00:00).
pub fn micros_to_time(micros: i64) -> NaiveTime {
    datetime::time_from_micros(micros.rem_euclid(MICROS_PER_DAY)).unwrap_or(NaiveTime::MIN)
}

/// The least context in which `pg_cast` (or an I/O conversion) allows
/// `from` → `to`; `None` when there is no cast.
fn cast_context_needed(from: &DataType, to: &DataType) -> Option<CastContext> {
    use CastContext::*;
    use DataType as T;
    if from.without_modifier() == to.without_modifier() {
        return Some(Implicit);
    }
    if *from == T::Unknown {
        return Some(Implicit);
    }
    if let (T::Array(a), T::Array(b)) = (from, to) {
        return cast_context_needed(a, b);
    }
    if from.is_string() && to.is_string() {
        return Some(match (from, to) {
            (T::Name, T::Varchar(_) | T::Char(_)) => Assignment,
            _ => Implicit,
        });
    }
    let num_rank = |t: &T| match t {
        T::Int2 => Some(0),
        T::Int4 => Some(1),
        T::Int8 => Some(2),
        T::Numeric(_) => Some(3),
        T::Float4 => Some(4),
        T::Float8 => Some(5),
        _ => None,
    };
    if let (Some(a), Some(b)) = (num_rank(from), num_rank(to)) {
        return Some(if a < b { Implicit } else { Assignment });
    }
    let ctx = match (from, to) {
        (T::Bool, T::Int4) | (T::Int4, T::Bool) => Explicit,
        (T::Int2 | T::Int4 | T::Int8, T::Oid | T::RegClass | T::RegType) => Implicit,
        (T::Oid | T::RegClass | T::RegType, T::Int4 | T::Int8) => Assignment,
        (T::Oid, T::RegClass | T::RegType) | (T::RegClass | T::RegType, T::Oid) => Implicit,
        (T::Text | T::Varchar(_), T::RegClass) => Implicit,
        (T::Date, T::Timestamp | T::TimestampTz) => Implicit,
        (T::Timestamp, T::TimestampTz) => Implicit,
        (T::Timestamp | T::TimestampTz, T::Date | T::Time) => Assignment,
        (T::TimestampTz, T::Timestamp) => Assignment,
        (T::Time, T::Interval) => Implicit,
        (T::Interval, T::Time) => Assignment,
        (T::Json, T::Jsonb) | (T::Jsonb, T::Json) => Assignment,
        (
            T::Jsonb,
            T::Bool | T::Int2 | T::Int4 | T::Int8 | T::Float4 | T::Float8 | T::Numeric(_),
        ) => Explicit,
        // Automatic I/O conversion casts.
        (_, t) if t.is_string() => Assignment,
        (f, _) if f.is_string() => Explicit,
        _ => return None,
    };
    Some(ctx)
}

/// Whether a cast from `from` to `to` exists in `context` (used when the
/// planner chooses operator and function overloads and coerces arguments).
pub fn can_cast(from: &DataType, to: &DataType, context: CastContext) -> bool {
    cast_context_needed(from, to).is_some_and(|needed| needed.rank() <= context.rank())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(v: Value, from: DataType, to: DataType, context: CastContext) -> String {
        let ctx = EvalContext::default();
        match cast(v, &from, &to, context, &ctx) {
            Ok(v) => text::format(&v, &to, &ctx),
            Err(e) => format!("ERROR {}: {}", e.code, e.message),
        }
    }

    fn x(v: Value, to: DataType) -> String {
        let from = v.natural_type();
        c(v, from, to, CastContext::Explicit)
    }

    #[test]
    fn numeric_casts_round_like_postgres() {
        assert_eq!(x(Value::Float8(2.5), DataType::Int4), "2");
        assert_eq!(x(Value::Float8(3.5), DataType::Int4), "4");
        assert_eq!(x(Value::Float8(-2.5), DataType::Int4), "-2");
        assert_eq!(x(Value::Numeric(Decimal::new(25, 1)), DataType::Int4), "3");
        assert_eq!(
            x(Value::Numeric(Decimal::new(-25, 1)), DataType::Int2),
            "-3"
        );
        assert_eq!(
            x(Value::Float8(1e10), DataType::Int4),
            "ERROR 22003: integer out of range"
        );
        assert_eq!(
            x(Value::Int8(1 << 40), DataType::Int2),
            "ERROR 22003: smallint out of range"
        );
        assert_eq!(
            x(
                Value::Numeric(Decimal::from(3_000_000_000i64)),
                DataType::Int4
            ),
            "ERROR 22003: integer out of range"
        );
        assert_eq!(
            x(Value::Float8(1e40), DataType::Float4),
            "ERROR 22003: value out of range: overflow"
        );
        assert_eq!(x(Value::Float8(0.1 + 0.2), DataType::Numeric(None)), "0.3");
        assert_eq!(x(Value::Float4(0.1), DataType::Numeric(None)), "0.1");
        assert_eq!(
            x(Value::Float8(1e20), DataType::Numeric(None)),
            "100000000000000000000"
        );
        assert_eq!(
            x(Value::Float4(1.234_567_9), DataType::Numeric(None)),
            "1.23457"
        );
        assert_eq!(x(Value::Int4(5), DataType::Numeric(Some((5, 2)))), "5.00");
        assert_eq!(
            x(Value::Numeric(Decimal::new(15, 1)), DataType::Float8),
            "1.5"
        );
    }

    #[test]
    fn string_casts() {
        assert_eq!(x(Value::Bool(true), DataType::Text), "true");
        assert_eq!(
            c(
                Value::Text("a  ".into()),
                DataType::Char(Some(3)),
                DataType::Varchar(None),
                CastContext::Explicit
            ),
            "a"
        );
        assert_eq!(
            x(Value::Text("abc".into()), DataType::Varchar(Some(2))),
            "ab"
        );
        assert_eq!(
            c(
                Value::Text("abc".into()),
                DataType::Text,
                DataType::Varchar(Some(2)),
                CastContext::Assignment
            ),
            "ERROR 22001: value too long for type character varying(2)"
        );
        assert_eq!(
            c(
                Value::Text("ab  ".into()),
                DataType::Text,
                DataType::Varchar(Some(2)),
                CastContext::Assignment
            ),
            "ab"
        );
        assert_eq!(x(Value::Bytea(b"a".to_vec()), DataType::Text), "\\x61");
        assert_eq!(
            c(
                Value::Text("12".into()),
                DataType::Unknown,
                DataType::Int4,
                CastContext::Implicit
            ),
            "12"
        );
        assert_eq!(x(Value::Int4(12), DataType::Char(Some(4))), "12  ");
    }

    #[test]
    fn other_casts() {
        let iv = |micros| {
            Value::Interval(Interval {
                months: 0,
                days: 0,
                micros,
            })
        };
        assert_eq!(x(iv(25 * 3_600_000_000), DataType::Time), "01:00:00");
        assert_eq!(x(iv(-3_600_000_000), DataType::Time), "23:00:00");
        assert_eq!(x(Value::Jsonb(serde_json::json!(1)), DataType::Int4), "1");
        assert_eq!(x(Value::Jsonb(serde_json::json!(1.5)), DataType::Int4), "2");
        assert_eq!(
            x(Value::Jsonb(serde_json::json!("a")), DataType::Int4),
            "ERROR 22023: cannot cast jsonb string to type integer"
        );
        assert_eq!(x(Value::Oid(4294967295), DataType::Int4), "-1");
        assert_eq!(x(Value::Int8(-1), DataType::Oid), "4294967295");
        assert_eq!(
            x(Value::Int8(1 << 32), DataType::Oid),
            "ERROR 22003: OID out of range"
        );
        assert_eq!(x(Value::Int4(1), DataType::Bool), "t");
        assert_eq!(x(Value::Bool(true), DataType::Int4), "1");
        assert_eq!(
            x(Value::Bool(true), DataType::Date),
            "ERROR 42846: cannot cast type boolean to date"
        );
        let d = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap_or_default();
        assert_eq!(
            x(Value::Date(d), DataType::TimestampTz),
            "2024-01-02 00:00:00+00"
        );
        assert_eq!(
            x(Value::Date(NaiveDate::MAX), DataType::Timestamp),
            "infinity"
        );
        let arr = Value::Array(vec![Value::Text("1".into()), Value::Null]);
        assert_eq!(
            c(
                arr,
                DataType::Array(Box::new(DataType::Text)),
                DataType::Array(Box::new(DataType::Int8)),
                CastContext::Explicit
            ),
            "{1,NULL}"
        );
    }

    #[test]
    fn cast_contexts_follow_pg_cast() {
        use CastContext::*;
        assert!(can_cast(&DataType::Int4, &DataType::Int8, Implicit));
        assert!(!can_cast(&DataType::Int8, &DataType::Int4, Implicit));
        assert!(can_cast(&DataType::Int8, &DataType::Int4, Assignment));
        assert!(can_cast(
            &DataType::Numeric(None),
            &DataType::Float8,
            Implicit
        ));
        assert!(!can_cast(
            &DataType::Float8,
            &DataType::Numeric(None),
            Implicit
        ));
        assert!(can_cast(&DataType::Unknown, &DataType::Date, Implicit));
        assert!(!can_cast(&DataType::Text, &DataType::Int4, Assignment));
        assert!(can_cast(&DataType::Text, &DataType::Int4, Explicit));
        assert!(can_cast(&DataType::Int4, &DataType::Text, Assignment));
        assert!(!can_cast(&DataType::Int4, &DataType::Text, Implicit));
        assert!(can_cast(&DataType::Date, &DataType::TimestampTz, Implicit));
        assert!(!can_cast(&DataType::Bool, &DataType::Int4, Assignment));
        assert!(can_cast(
            &DataType::Char(Some(3)),
            &DataType::Text,
            Implicit
        ));
        assert!(!can_cast(&DataType::Uuid, &DataType::Int4, Explicit));
    }
}
