//! Date/time functions: `now`, `date_trunc`, `date_part`/`extract`, `age`,
//! `make_*`, `justify_*`, `to_timestamp`, ... (`to_char` and the format
//! parsers live in `to_char`).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::{arg_f64, arg_i64, arg_str, invalid_param, FunctionSignature};
use crate::cast::{time_micros, ts_to_tstz, tstz_to_ts};
use crate::error::{SqlError, SqlState};
use crate::interval::{Interval, MICROS_PER_DAY};
use crate::ops::time::{
    days_in_month, justify_days, justify_hours, justify_interval, timestamp_out_of_range,
};
use crate::text::datetime::{
    from_local, timestamp_is_infinite, timestamptz_is_infinite, to_local, to_local_checked,
};
use crate::types::DataType;
use crate::value::{EvalContext, Value};

/// A field name as `date_trunc`/`date_part` accept it, normalised.
pub fn normalize_unit(s: &str) -> String {
    let l = s.trim().to_ascii_lowercase();
    match l.as_str() {
        "microsecond" | "microseconds" | "us" | "usec" | "usecs" | "useconds" => "microseconds",
        "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "mseconds" => "milliseconds",
        "second" | "seconds" | "s" | "sec" | "secs" => "second",
        "minute" | "minutes" | "m" | "min" | "mins" => "minute",
        "hour" | "hours" | "h" | "hr" | "hrs" => "hour",
        "day" | "days" | "d" => "day",
        "week" | "weeks" | "w" => "week",
        "month" | "months" | "mon" | "mons" => "month",
        "quarter" | "qtr" => "quarter",
        "year" | "years" | "y" | "yr" | "yrs" => "year",
        "decade" | "decades" | "dec" | "decs" => "decade",
        "century" | "centuries" | "c" | "cent" => "century",
        "millennium" | "millennia" | "mil" | "mils" => "millennium",
        other => return other.to_string(),
    }
    .to_string()
}

fn unit_not_recognized(unit: &str, ty: &DataType) -> SqlError {
    invalid_param(format!(
        "unit \"{unit}\" not recognized for type {}",
        ty.sql_name()
    ))
}

fn unit_not_supported(unit: &str, ty: &DataType) -> SqlError {
    SqlError::new(
        SqlState::FEATURE_NOT_SUPPORTED,
        format!("unit \"{unit}\" not supported for type {}", ty.sql_name()),
    )
}

/// The year as PostgreSQL counts it (1 BC is -1).
fn pg_year(y: i32) -> i64 {
    if y > 0 {
        y as i64
    } else {
        y as i64 - 1
    }
}

/// `date_trunc` on a wall-clock timestamp.
pub fn trunc_timestamp(
    unit: &str,
    ts: NaiveDateTime,
    ty: &DataType,
) -> Result<NaiveDateTime, SqlError> {
    if timestamp_is_infinite(&ts) {
        return Ok(ts);
    }
    let u = normalize_unit(unit);
    let d = ts.date();
    let micros = ts.nanosecond() / 1000;
    let ymd = |y: i32, m: u32| -> Result<NaiveDateTime, SqlError> {
        NaiveDate::from_ymd_opt(y, m, 1)
            .map(|d| d.and_time(NaiveTime::MIN))
            .ok_or_else(timestamp_out_of_range)
    };
    let year = d.year();
    Ok(match u.as_str() {
        "microseconds" => ts,
        "milliseconds" => ts.with_nanosecond(micros / 1000 * 1_000_000).unwrap_or(ts),
        "second" => ts.with_nanosecond(0).unwrap_or(ts),
        "minute" => d.and_hms_opt(ts.hour(), ts.minute(), 0).unwrap_or(ts),
        "hour" => d.and_hms_opt(ts.hour(), 0, 0).unwrap_or(ts),
        "day" => d.and_time(NaiveTime::MIN),
        "week" => {
            (d - Duration::days(d.weekday().num_days_from_monday() as i64)).and_time(NaiveTime::MIN)
        }
        "month" => ymd(year, d.month())?,
        "quarter" => ymd(year, (d.month() - 1) / 3 * 3 + 1)?,
        "year" => ymd(year, 1)?,
        "decade" => ymd(year.div_euclid(10) * 10, 1)?,
        "century" => {
            let y = pg_year(year);
            let c = if y > 0 {
                (y + 99) / 100
            } else {
                -((99 - (y + 1)) / 100)
            };
            let start = if c > 0 {
                (c - 1) * 100 + 1
            } else {
                c * 100 + 1
            };
            ymd(start as i32, 1)?
        }
        "millennium" => {
            let y = pg_year(year);
            let m = if y > 0 {
                (y + 999) / 1000
            } else {
                -((999 - (y + 1)) / 1000)
            };
            let start = if m > 0 {
                (m - 1) * 1000 + 1
            } else {
                m * 1000 + 1
            };
            ymd(start as i32, 1)?
        }
        _ => return Err(unit_not_recognized(unit, ty)),
    })
}

/// `date_trunc` on a timestamptz in `tz`: the wall-clock time is truncated;
/// units of a day and above find the zone's offset at the result again,
/// smaller units keep the input's offset (PostgreSQL's rule, so truncating
/// within a DST fall-back hour never moves forward in time).
pub fn trunc_timestamptz(
    unit: &str,
    ts: &DateTime<Utc>,
    tz: &Tz,
) -> Result<DateTime<Utc>, SqlError> {
    if timestamptz_is_infinite(ts) {
        return Ok(*ts);
    }
    let (local, off) = to_local(ts, tz);
    let t = trunc_timestamp(unit, local, &DataType::TimestampTz)?;
    let below_day = matches!(
        normalize_unit(unit).as_str(),
        "microseconds" | "milliseconds" | "second" | "minute" | "hour"
    );
    if below_day {
        crate::text::datetime::from_offset(&t, off)
    } else {
        from_local(&t, tz)
    }
}

fn trunc_interval(unit: &str, iv: &Interval) -> Result<Interval, SqlError> {
    let u = normalize_unit(unit);
    let years = iv.months / 12;
    let mons = iv.months % 12;
    let hour_us = 3_600_000_000i64;
    let t = iv.micros;
    let keep = |m: i32, d: i32, us: i64| Interval {
        months: m,
        days: d,
        micros: us,
    };
    Ok(match u.as_str() {
        "millennium" => keep(years / 1000 * 1000 * 12, 0, 0),
        "century" => keep(years / 100 * 100 * 12, 0, 0),
        "decade" => keep(years / 10 * 10 * 12, 0, 0),
        "year" => keep(years * 12, 0, 0),
        "quarter" => keep(years * 12 + mons / 3 * 3, 0, 0),
        "month" => keep(iv.months, 0, 0),
        "day" => keep(iv.months, iv.days, 0),
        "hour" => keep(iv.months, iv.days, t / hour_us * hour_us),
        "minute" => keep(iv.months, iv.days, t / 60_000_000 * 60_000_000),
        "second" => keep(iv.months, iv.days, t / 1_000_000 * 1_000_000),
        "milliseconds" => keep(iv.months, iv.days, t / 1000 * 1000),
        "microseconds" => *iv,
        "week" => return Err(SqlError::new(
            SqlState::FEATURE_NOT_SUPPORTED,
            "interval units \"week\" not supported because months usually have fractional weeks",
        )),
        _ => return Err(unit_not_recognized(unit, &DataType::Interval)),
    })
}

fn dec(v: i64) -> Decimal {
    Decimal::from(v)
}

fn scaled(v: i64, scale: u32) -> Decimal {
    Decimal::from_i128_with_scale(v as i128, scale)
}

/// `extract(field from timestamp)` on a wall-clock time; `offset` is the
/// UTC offset for timestamptz (also deciding the epoch), `date_only`
/// rejects time fields as `extract(... from date)` does.
fn extract_ts(
    unit: &str,
    ts: NaiveDateTime,
    offset: Option<i32>,
    ty: &DataType,
) -> Result<Decimal, SqlError> {
    let u = normalize_unit(unit);
    let date_only = *ty == DataType::Date;
    let d = ts.date();
    let sec_us = ts.second() as i64 * 1_000_000 + (ts.nanosecond() / 1000) as i64;
    let year = pg_year(d.year());
    if date_only
        && matches!(
            u.as_str(),
            "microseconds"
                | "milliseconds"
                | "second"
                | "minute"
                | "hour"
                | "timezone"
                | "timezone_hour"
                | "timezone_minute"
        )
    {
        return Err(unit_not_supported(unit, ty));
    }
    if offset.is_none() && matches!(u.as_str(), "timezone" | "timezone_hour" | "timezone_minute") {
        return Err(unit_not_supported(unit, ty));
    }
    Ok(match u.as_str() {
        "microseconds" => dec(sec_us),
        "milliseconds" => scaled(sec_us, 3),
        "second" => scaled(sec_us, 6),
        "minute" => dec(ts.minute() as i64),
        "hour" => dec(ts.hour() as i64),
        "day" => dec(d.day() as i64),
        "month" => dec(d.month() as i64),
        "quarter" => dec((d.month() as i64 - 1) / 3 + 1),
        "year" => dec(year),
        "week" => dec(d.iso_week().week() as i64),
        "isoyear" => dec(pg_year(d.iso_week().year())),
        "dow" => dec(d.weekday().num_days_from_sunday() as i64),
        "isodow" => dec(d.weekday().number_from_monday() as i64),
        "doy" => dec(d.ordinal() as i64),
        "decade" => dec(if year >= 0 {
            year / 10
        } else {
            -((8 - (year - 1)) / 10)
        }),
        "century" => dec(if year > 0 {
            (year + 99) / 100
        } else {
            -((99 - (year - 1)) / 100)
        }),
        "millennium" => dec(if year > 0 {
            (year + 999) / 1000
        } else {
            -((999 - (year - 1)) / 1000)
        }),
        "julian" => {
            let jd = d.num_days_from_ce() as i64 + 1_721_425;
            if date_only {
                dec(jd)
            } else {
                let secs = time_micros(&ts.time());
                let frac = Decimal::from(secs) / Decimal::from(MICROS_PER_DAY);
                dec(jd) + frac
            }
        }
        "epoch" => {
            let local_us = (ts - DateTime::<Utc>::UNIX_EPOCH.naive_utc())
                .num_microseconds()
                .unwrap_or(0);
            let us = local_us - offset.unwrap_or(0) as i64 * 1_000_000;
            if date_only {
                dec(us / 1_000_000)
            } else {
                scaled(us, 6)
            }
        }
        "timezone" => dec(offset.unwrap_or(0) as i64),
        "timezone_hour" => dec(offset.unwrap_or(0) as i64 / 3600),
        "timezone_minute" => dec(offset.unwrap_or(0) as i64 / 60 % 60),
        _ => return Err(unit_not_recognized(unit, ty)),
    })
}

fn extract_interval(unit: &str, iv: &Interval) -> Result<Decimal, SqlError> {
    let u = normalize_unit(unit);
    let years = (iv.months / 12) as i64;
    let sec_us = iv.micros % 60_000_000;
    Ok(match u.as_str() {
        "microseconds" => dec(sec_us),
        "milliseconds" => scaled(sec_us, 3),
        "second" => scaled(sec_us, 6),
        "minute" => dec(iv.micros / 60_000_000 % 60),
        "hour" => dec(iv.micros / 3_600_000_000),
        "day" => dec(iv.days as i64),
        "month" => dec((iv.months % 12) as i64),
        "quarter" => dec((iv.months % 12) as i64 / 3 + 1),
        "year" => dec(years),
        "decade" => dec(years / 10),
        "century" => dec(years / 100),
        "millennium" => dec(years / 1000),
        "epoch" => {
            // Years count 365.25 days, months 30 days.
            let secs_us = years as i128 * 36_525 * 86_400 * 10_000
                + (iv.months % 12) as i128 * 30 * 86_400 * 1_000_000
                + iv.days as i128 * 86_400 * 1_000_000
                + iv.micros as i128;
            Decimal::try_from_i128_with_scale(secs_us, 6).unwrap_or_default()
        }
        "week" | "dow" | "doy" | "isodow" | "isoyear" | "julian" | "timezone" | "timezone_hour"
        | "timezone_minute" => return Err(unit_not_supported(unit, &DataType::Interval)),
        _ => return Err(unit_not_recognized(unit, &DataType::Interval)),
    })
}

fn extract_time(unit: &str, t: &NaiveTime) -> Result<Decimal, SqlError> {
    let u = normalize_unit(unit);
    // Through microseconds: 24:00:00 has hour 24.
    let us = time_micros(t);
    let sec_us = us % 60_000_000;
    Ok(match u.as_str() {
        "microseconds" => dec(sec_us),
        "milliseconds" => scaled(sec_us, 3),
        "second" => scaled(sec_us, 6),
        "minute" => dec(us / 60_000_000 % 60),
        "hour" => dec(us / 3_600_000_000),
        "epoch" => scaled(us, 6),
        "day" | "month" | "year" | "quarter" | "decade" | "century" | "millennium" | "week"
        | "dow" | "doy" | "isodow" | "isoyear" | "julian" => {
            return Err(unit_not_supported(unit, &DataType::Time))
        }
        _ => return Err(unit_not_recognized(unit, &DataType::Time)),
    })
}

/// `extract`/`date_part` of `±infinity`: PostgreSQL 15 returns ±Infinity
/// for the fields that only grow (`year`, `epoch`, ...) and NULL for the
/// others. numeric has no infinity here, so `extract`'s ±Infinity is
/// carried as a float8 value, which prints and sends as numeric's.
fn infinite_extract(unit: &str, positive: bool) -> Value {
    let u = normalize_unit(unit);
    if matches!(
        u.as_str(),
        "year" | "decade" | "century" | "millennium" | "julian" | "isoyear" | "epoch"
    ) {
        Value::Float8(if positive {
            f64::INFINITY
        } else {
            f64::NEG_INFINITY
        })
    } else {
        Value::Null
    }
}

fn extract_value(unit: &str, v: &Value, ctx: &EvalContext, float: bool) -> Result<Value, SqlError> {
    let epoch = DateTime::<Utc>::UNIX_EPOCH.naive_utc();
    let d = match v {
        Value::Timestamp(ts) => {
            if timestamp_is_infinite(ts) {
                // The unit is checked as for a finite value first.
                extract_ts(unit, epoch, None, &DataType::Timestamp)?;
                return Ok(infinite_extract(unit, *ts == NaiveDateTime::MAX));
            }
            extract_ts(unit, *ts, None, &DataType::Timestamp)?
        }
        Value::TimestampTz(ts) => {
            if timestamptz_is_infinite(ts) {
                extract_ts(unit, epoch, Some(0), &DataType::TimestampTz)?;
                return Ok(infinite_extract(unit, *ts == DateTime::<Utc>::MAX_UTC));
            }
            let (local, off) = to_local(ts, &ctx.timezone);
            extract_ts(unit, local, Some(off), &DataType::TimestampTz)?
        }
        Value::Date(d) => {
            let ty = if float {
                DataType::Timestamp
            } else {
                DataType::Date
            };
            if crate::text::datetime::date_is_infinite(d) {
                extract_ts(unit, epoch, None, &ty)?;
                return Ok(infinite_extract(unit, *d == NaiveDate::MAX));
            }
            extract_ts(unit, d.and_time(NaiveTime::MIN), None, &ty)?
        }
        Value::Time(t) => extract_time(unit, t)?,
        Value::Interval(iv) => extract_interval(unit, iv)?,
        _ => return Ok(Value::Null),
    };
    Ok(if float {
        Value::Float8(d.to_f64().unwrap_or(f64::NAN))
    } else {
        Value::Numeric(d)
    })
}

/// PostgreSQL's `age`: field-by-field difference with borrows from the
/// month lengths of the earlier operand.
pub fn age(a: NaiveDateTime, b: NaiveDateTime) -> Result<Interval, SqlError> {
    if timestamp_is_infinite(&a) || timestamp_is_infinite(&b) {
        return Err(SqlError::new(
            SqlState::DATETIME_FIELD_OVERFLOW,
            "interval out of range",
        ));
    }
    let neg = a < b;
    let f = |t: &NaiveDateTime| {
        [
            t.year() as i64,
            t.month() as i64,
            t.day() as i64,
            t.hour() as i64,
            t.minute() as i64,
            t.second() as i64,
            (t.nanosecond() / 1000) as i64,
        ]
    };
    let (x, y) = (f(&a), f(&b));
    let mut r: Vec<i64> = x.iter().zip(y.iter()).map(|(p, q)| p - q).collect();
    if neg {
        r.iter_mut().for_each(|v| *v = -*v);
    }
    let [mut year, mut mon, mut mday, mut hour, mut min, mut sec, mut fsec] =
        [r[0], r[1], r[2], r[3], r[4], r[5], r[6]];
    while fsec < 0 {
        fsec += 1_000_000;
        sec -= 1;
    }
    while sec < 0 {
        sec += 60;
        min -= 1;
    }
    while min < 0 {
        min += 60;
        hour -= 1;
    }
    while hour < 0 {
        hour += 24;
        mday -= 1;
    }
    while mday < 0 {
        let (yy, mm) = if neg { (x[0], x[1]) } else { (y[0], y[1]) };
        mday += days_in_month(yy as i32, mm as u32) as i64;
        mon -= 1;
    }
    while mon < 0 {
        mon += 12;
        year -= 1;
    }
    let s = if neg { -1 } else { 1 };
    let months = s * (year * 12 + mon);
    let days = s * mday;
    let micros = s * (((hour * 60 + min) * 60 + sec) * 1_000_000 + fsec);
    Ok(Interval {
        months: i32::try_from(months).map_err(|_| {
            SqlError::new(SqlState::DATETIME_FIELD_OVERFLOW, "interval out of range")
        })?,
        days: days as i32,
        micros,
    })
}

fn date_field_error(y: i64, m: i64, d: i64) -> SqlError {
    SqlError::new(
        SqlState::DATETIME_FIELD_OVERFLOW,
        format!("date field value out of range: {y}-{m:02}-{d:02}"),
    )
}

/// The calendar date of `make_date`/`make_timestamp` arguments (a negative
/// year is BC); out of the supported range is `None`.
fn ymd_of(y: i64, m: i64, d: i64) -> Result<Option<NaiveDate>, SqlError> {
    if y == 0 || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(date_field_error(y, m, d));
    }
    let year = if y < 0 { y + 1 } else { y };
    let lo = crate::text::datetime::MIN_DATE.year() as i64;
    let hi = crate::text::datetime::MAX_DATE.year() as i64;
    if !(lo..=hi).contains(&year) {
        return Ok(None);
    }
    let date = NaiveDate::from_ymd_opt(year as i32, m as u32, d as u32)
        .ok_or_else(|| date_field_error(y, m, d))?;
    Ok(crate::text::datetime::date_in_range(&date).then_some(date))
}

fn make_date(y: i64, m: i64, d: i64) -> Result<NaiveDate, SqlError> {
    ymd_of(y, m, d)?.ok_or_else(|| {
        SqlError::new(
            SqlState::DATETIME_FIELD_OVERFLOW,
            format!(
                "date out of range: {}-{m:02}-{d:02}",
                if y < 0 { y + 1 } else { y }
            ),
        )
    })
}

/// A float as C's `%g` prints it (in error messages).
fn fmt_g(v: f64) -> String {
    let s = fmt_g2(v);
    match s.strip_prefix('0') {
        Some(rest) if !rest.is_empty() && !rest.starts_with('.') => rest.to_string(),
        _ => s,
    }
}

/// A float as C's `%02g` prints it (in error messages).
fn fmt_g2(v: f64) -> String {
    let s = if v.is_nan() {
        "NaN".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.to_string()
    } else if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-4) {
        let e = format!("{v:.5e}");
        let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
        let mant = if mant.contains('.') {
            mant.trim_end_matches('0').trim_end_matches('.')
        } else {
            mant
        };
        let exp: i32 = exp.parse().unwrap_or(0);
        format!("{mant}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    } else {
        let digits = 5 - v.abs().log10().floor().max(-5.0) as i32;
        let f = format!("{v:.*}", digits.max(0) as usize);
        if f.contains('.') {
            f.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            f
        }
    };
    if s.len() < 2 {
        format!("0{s}")
    } else {
        s
    }
}

/// Microseconds of `h:mi:sec` with PostgreSQL's `float_time_overflows`
/// checks: up to 24:00:00, a second of up to 60.
fn time_of_day_micros(h: i64, mi: i64, sec: f64) -> Option<i64> {
    if !(0..=24).contains(&h) || !(0..60).contains(&mi) || sec.is_nan() {
        return None;
    }
    let us = (sec * 1e6).round_ties_even();
    if !(0.0..=60e6).contains(&us) {
        return None;
    }
    let total = (h * 3600 + mi * 60) * 1_000_000 + us as i64;
    (total <= MICROS_PER_DAY).then_some(total)
}

fn time_field_error(h: i64, mi: i64, sec: f64) -> SqlError {
    SqlError::new(
        SqlState::DATETIME_FIELD_OVERFLOW,
        format!("time field value out of range: {h}:{mi:02}:{}", fmt_g2(sec)),
    )
}

fn make_time(h: i64, mi: i64, sec: f64) -> Result<NaiveTime, SqlError> {
    time_of_day_micros(h, mi, sec)
        .and_then(crate::text::datetime::time_from_micros)
        .ok_or_else(|| time_field_error(h, mi, sec))
}

fn make_timestamp(args: &[Value]) -> Result<NaiveDateTime, SqlError> {
    let (y, m, d) = (arg_i64(args, 0), arg_i64(args, 1), arg_i64(args, 2));
    let (h, mi, sec) = (arg_i64(args, 3), arg_i64(args, 4), arg_f64(args, 5));
    let date = ymd_of(y, m, d)?;
    let us = time_of_day_micros(h, mi, sec).ok_or_else(|| time_field_error(h, mi, sec))?;
    date.and_then(|date| {
        date.and_time(NaiveTime::MIN)
            .checked_add_signed(Duration::microseconds(us))
    })
    .filter(crate::text::datetime::timestamp_in_range)
    .ok_or_else(|| {
        SqlError::new(
            SqlState::DATETIME_FIELD_OVERFLOW,
            format!(
                "timestamp out of range: {y}-{m:02}-{d:02} {h}:{mi:02}:{}",
                fmt_g2(sec)
            ),
        )
    })
}

fn tz_of(name: &str) -> Result<Tz, SqlError> {
    name.parse::<Tz>()
        .map_err(|_| invalid_param(format!("time zone \"{name}\" not recognized")))
}

/// Date/time functions; `None` when `name` is not one of them.
pub fn call(
    name: &str,
    sig: &FunctionSignature,
    args: &[Value],
    ctx: &EvalContext,
) -> Result<Option<Value>, SqlError> {
    let local_now = || to_local(&ctx.transaction_start, &ctx.timezone).0;
    Ok(Some(match name {
        "timezone" => {
            let zone_name = match &args[0] {
                Value::Text(s) => s.clone(),
                _ => return Ok(Some(Value::Null)),
            };
            let zone: chrono_tz::Tz =
                if zone_name.eq_ignore_ascii_case("utc") || zone_name.eq_ignore_ascii_case("gmt") {
                    chrono_tz::Tz::UTC
                } else {
                    zone_name.parse().map_err(|_| {
                        SqlError::new(
                            SqlState::INVALID_PARAMETER_VALUE,
                            format!("time zone \"{zone_name}\" not recognized"),
                        )
                    })?
                };
            match &args[1] {
                Value::TimestampTz(t) => Value::Timestamp(to_local_checked(t, &zone)?),
                Value::Timestamp(t) => Value::TimestampTz(from_local(t, &zone)?),
                _ => Value::Null,
            }
        }
        "now" | "current_timestamp" | "transaction_timestamp" | "statement_timestamp" => {
            Value::TimestampTz(ctx.transaction_start)
        }
        "clock_timestamp" => Value::TimestampTz(Utc::now()),
        "timeofday" => Value::Text(crate::text::datetime::format_timestamptz(
            &Utc::now(),
            &ctx.timezone,
        )),
        "current_date" => Value::Date(local_now().date()),
        "localtimestamp" => Value::Timestamp(local_now()),
        "localtime" | "current_time" => Value::Time(local_now().time()),
        "date_trunc" => {
            let unit = arg_str(args, 0);
            match args.get(1) {
                Some(Value::Timestamp(ts)) => {
                    Value::Timestamp(trunc_timestamp(unit, *ts, &DataType::Timestamp)?)
                }
                Some(Value::TimestampTz(ts)) => {
                    let tz = if args.len() > 2 {
                        tz_of(arg_str(args, 2))?
                    } else {
                        ctx.timezone
                    };
                    Value::TimestampTz(trunc_timestamptz(unit, ts, &tz)?)
                }
                Some(Value::Interval(iv)) => Value::Interval(trunc_interval(unit, iv)?),
                _ => Value::Null,
            }
        }
        "date_part" | "extract" => {
            let v = args.get(1).cloned().unwrap_or(Value::Null);
            extract_value(arg_str(args, 0), &v, ctx, name == "date_part")?
        }
        "age" => {
            let (a, b) = match (args.first(), args.get(1)) {
                (Some(Value::Timestamp(a)), Some(Value::Timestamp(b))) => (*a, *b),
                (Some(Value::TimestampTz(a)), Some(Value::TimestampTz(b))) => {
                    (tstz_to_ts(a, ctx)?, tstz_to_ts(b, ctx)?)
                }
                (Some(Value::Timestamp(b)), None) => {
                    (local_now().date().and_time(NaiveTime::MIN), *b)
                }
                (Some(Value::TimestampTz(b)), None) => (
                    local_now().date().and_time(NaiveTime::MIN),
                    tstz_to_ts(b, ctx)?,
                ),
                _ => return Ok(Some(Value::Null)),
            };
            Value::Interval(age(a, b)?)
        }
        "make_date" => Value::Date(make_date(
            arg_i64(args, 0),
            arg_i64(args, 1),
            arg_i64(args, 2),
        )?),
        "make_time" => Value::Time(make_time(
            arg_i64(args, 0),
            arg_i64(args, 1),
            arg_f64(args, 2),
        )?),
        "make_timestamp" => Value::Timestamp(make_timestamp(args)?),
        "make_timestamptz" => Value::TimestampTz(ts_to_tstz(&make_timestamp(args)?, ctx)?),
        "make_interval" => {
            let g = |i: usize| if args.len() > i { arg_i64(args, i) } else { 0 };
            let secs = if args.len() > 6 {
                arg_f64(args, 6)
            } else {
                0.0
            };
            let months = g(0) * 12 + g(1);
            let days = g(2) * 7 + g(3);
            let micros = (g(4) as f64 * 3600.0 + g(5) as f64 * 60.0 + secs) * 1e6;
            if i32::try_from(months).is_err()
                || i32::try_from(days).is_err()
                || !micros.is_finite()
                || micros.abs() > 9.2e18
            {
                return Err(SqlError::new(
                    SqlState::DATETIME_FIELD_OVERFLOW,
                    "interval out of range",
                ));
            }
            Value::Interval(Interval {
                months: months as i32,
                days: days as i32,
                micros: micros.round() as i64,
            })
        }
        "justify_days" | "justify_hours" | "justify_interval" => match args.first() {
            Some(Value::Interval(iv)) => Value::Interval(match name {
                "justify_days" => justify_days(iv)?,
                "justify_hours" => justify_hours(iv)?,
                _ => justify_interval(iv)?,
            }),
            _ => Value::Null,
        },
        "isfinite" => Value::Bool(match args.first() {
            Some(Value::Date(d)) => !crate::text::datetime::date_is_infinite(d),
            Some(Value::Timestamp(t)) => !timestamp_is_infinite(t),
            Some(Value::TimestampTz(t)) => !timestamptz_is_infinite(t),
            _ => true,
        }),
        "to_timestamp" if args.len() == 1 => {
            let f = arg_f64(args, 0);
            if f.is_nan() {
                return Err(SqlError::new(
                    SqlState::DATETIME_FIELD_OVERFLOW,
                    "timestamp cannot be NaN",
                ));
            }
            if f.is_infinite() {
                return Ok(Some(Value::TimestampTz(if f > 0.0 {
                    DateTime::<Utc>::MAX_UTC
                } else {
                    DateTime::<Utc>::MIN_UTC
                })));
            }
            // PostgreSQL checks the seconds against the range first, then
            // the rounded microseconds.
            let out_of_range = || {
                SqlError::new(
                    SqlState::DATETIME_FIELD_OVERFLOW,
                    format!("timestamp out of range: \"{}\"", fmt_g(f)),
                )
            };
            let epoch = DateTime::<Utc>::UNIX_EPOCH.naive_utc();
            let lo = (crate::text::datetime::MIN_TIMESTAMP - epoch).num_seconds() as f64;
            let hi = (crate::text::datetime::MAX_TIMESTAMP - epoch).num_seconds() as f64 + 1.0;
            if f < lo || f >= hi {
                return Err(out_of_range());
            }
            let t = DateTime::<Utc>::UNIX_EPOCH
                .checked_add_signed(Duration::microseconds((f * 1e6).round() as i64))
                .filter(|t| crate::text::datetime::timestamp_in_range(&t.naive_utc()))
                .ok_or_else(out_of_range)?;
            Value::TimestampTz(t)
        }
        "to_char" => {
            let fmt = arg_str(args, 1);
            let v = args.first().cloned().unwrap_or(Value::Null);
            // An infinite date/time has no fields to print: NULL.
            let infinite = match &v {
                Value::Date(d) => crate::text::datetime::date_is_infinite(d),
                Value::Timestamp(t) => timestamp_is_infinite(t),
                Value::TimestampTz(t) => timestamptz_is_infinite(t),
                _ => false,
            };
            if infinite {
                return Ok(Some(Value::Null));
            }
            Value::Text(super::to_char::to_char(&v, sig.args.first(), fmt, ctx)?)
        }
        "to_timestamp" | "to_date" => {
            let (ts, offset) =
                super::to_char::parse_with_format(arg_str(args, 0), arg_str(args, 1))?;
            if name == "to_date" {
                Value::Date(crate::text::datetime::check_date(ts.date())?)
            } else {
                match offset {
                    Some(off) => Value::TimestampTz(crate::text::datetime::from_offset(&ts, off)?),
                    None => Value::TimestampTz(ts_to_tstz(&ts, ctx)?),
                }
            }
        }
        "to_number" => Value::Numeric(super::to_char::to_number(
            arg_str(args, 0),
            arg_str(args, 1),
        )?),
        _ => return Ok(None),
    }))
}

#[cfg(test)]
#[path = "datetime_tests.rs"]
mod tests;
