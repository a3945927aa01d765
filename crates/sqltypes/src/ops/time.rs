//! Date/time arithmetic with PostgreSQL's calendar rules: months are added
//! to the calendar (clamping the day to the month's end), days in local time
//! for `timestamptz`, and differences of timestamps are justified into days
//! and hours.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;

use crate::error::{SqlError, SqlState};
use crate::interval::{Interval, MICROS_PER_DAY};
use crate::text::datetime::{from_local, timestamp_is_infinite, timestamptz_is_infinite, to_local};

/// 22008 `timestamp out of range`.
pub fn timestamp_out_of_range() -> SqlError {
    SqlError::new(SqlState::DATETIME_FIELD_OVERFLOW, "timestamp out of range")
}

/// 22008 `date out of range`.
pub fn date_out_of_range() -> SqlError {
    SqlError::new(SqlState::DATETIME_FIELD_OVERFLOW, "date out of range")
}

/// 22008 `interval out of range`.
pub fn interval_out_of_range() -> SqlError {
    SqlError::new(SqlState::DATETIME_FIELD_OVERFLOW, "interval out of range")
}

/// Adds calendar months, clamping the day to the end of the target month.
pub fn add_months(d: NaiveDate, months: i32) -> Option<NaiveDate> {
    let total = d.year() as i64 * 12 + d.month0() as i64 + months as i64;
    let year = i32::try_from(total.div_euclid(12)).ok()?;
    let month0 = total.rem_euclid(12) as u32;
    let last = days_in_month(year, month0 + 1);
    NaiveDate::from_ymd_opt(year, month0 + 1, d.day().min(last))
}

/// Days in a month of the proleptic Gregorian calendar.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    match (next, NaiveDate::from_ymd_opt(year, month, 1)) {
        (Some(n), Some(f)) => (n - f).num_days() as u32,
        _ => 31,
    }
}

/// `timestamp + interval`.
pub fn ts_add(ts: NaiveDateTime, iv: &Interval) -> Result<NaiveDateTime, SqlError> {
    if timestamp_is_infinite(&ts) {
        return Ok(ts);
    }
    let date = add_months(ts.date(), iv.months).ok_or_else(timestamp_out_of_range)?;
    let t = date
        .and_time(ts.time())
        .checked_add_signed(Duration::days(iv.days as i64))
        .and_then(|t| t.checked_add_signed(Duration::microseconds(iv.micros)))
        .ok_or_else(timestamp_out_of_range)?;
    if timestamp_is_infinite(&t) {
        return Err(timestamp_out_of_range());
    }
    Ok(t)
}

/// `timestamptz + interval`: months and days move the wall clock in `tz`
/// (so `+ 1 day` across a DST change keeps the time of day), the rest is
/// absolute time.
pub fn tstz_add(ts: DateTime<Utc>, iv: &Interval, tz: &Tz) -> Result<DateTime<Utc>, SqlError> {
    if timestamptz_is_infinite(&ts) {
        return Ok(ts);
    }
    let mut t = ts;
    if iv.months != 0 || iv.days != 0 {
        let (local, _) = to_local(&ts, tz);
        let date = add_months(local.date(), iv.months).ok_or_else(timestamp_out_of_range)?;
        let local = date
            .and_time(local.time())
            .checked_add_signed(Duration::days(iv.days as i64))
            .ok_or_else(timestamp_out_of_range)?;
        t = from_local(&local, tz);
    }
    let t = t
        .checked_add_signed(Duration::microseconds(iv.micros))
        .ok_or_else(timestamp_out_of_range)?;
    if timestamptz_is_infinite(&t) {
        return Err(timestamp_out_of_range());
    }
    Ok(t)
}

/// The negation of an interval (22008 on overflow).
pub fn interval_neg(iv: &Interval) -> Result<Interval, SqlError> {
    Ok(Interval {
        months: iv.months.checked_neg().ok_or_else(interval_out_of_range)?,
        days: iv.days.checked_neg().ok_or_else(interval_out_of_range)?,
        micros: iv.micros.checked_neg().ok_or_else(interval_out_of_range)?,
    })
}

/// `interval + interval`, field by field.
pub fn interval_add(a: &Interval, b: &Interval) -> Result<Interval, SqlError> {
    Ok(Interval {
        months: a
            .months
            .checked_add(b.months)
            .ok_or_else(interval_out_of_range)?,
        days: a
            .days
            .checked_add(b.days)
            .ok_or_else(interval_out_of_range)?,
        micros: a
            .micros
            .checked_add(b.micros)
            .ok_or_else(interval_out_of_range)?,
    })
}

/// PostgreSQL's `justify_hours`: whole days out of the time part, with the
/// signs of days and time made to agree.
pub fn justify_hours(iv: &Interval) -> Interval {
    let mut days = iv.days as i64 + iv.micros / MICROS_PER_DAY;
    let mut micros = iv.micros % MICROS_PER_DAY;
    if days > 0 && micros < 0 {
        micros += MICROS_PER_DAY;
        days -= 1;
    } else if days < 0 && micros > 0 {
        micros -= MICROS_PER_DAY;
        days += 1;
    }
    Interval {
        months: iv.months,
        days: days.clamp(i32::MIN as i64, i32::MAX as i64) as i32,
        micros,
    }
}

/// PostgreSQL's `justify_days`: whole 30-day months out of the days.
pub fn justify_days(iv: &Interval) -> Interval {
    let mut months = iv.months as i64 + (iv.days / 30) as i64;
    let mut days = iv.days % 30;
    if months > 0 && days < 0 {
        days += 30;
        months -= 1;
    } else if months < 0 && days > 0 {
        days -= 30;
        months += 1;
    }
    Interval {
        months: months.clamp(i32::MIN as i64, i32::MAX as i64) as i32,
        days,
        micros: iv.micros,
    }
}

/// PostgreSQL's `justify_interval`.
pub fn justify_interval(iv: &Interval) -> Interval {
    let mut months = iv.months as i64;
    let mut days = iv.days as i64;
    let mut micros = iv.micros;
    days += micros / MICROS_PER_DAY;
    micros %= MICROS_PER_DAY;
    months += days / 30;
    days %= 30;
    if months > 0 && (days < 0 || (days == 0 && micros < 0)) {
        days += 30;
        months -= 1;
    } else if months < 0 && (days > 0 || (days == 0 && micros > 0)) {
        days -= 30;
        months += 1;
    }
    if days > 0 && micros < 0 {
        micros += MICROS_PER_DAY;
        days -= 1;
    } else if days < 0 && micros > 0 {
        micros -= MICROS_PER_DAY;
        days += 1;
    }
    Interval {
        months: months.clamp(i32::MIN as i64, i32::MAX as i64) as i32,
        days: days.clamp(i32::MIN as i64, i32::MAX as i64) as i32,
        micros,
    }
}

/// Microseconds between two instants as a checked i64.
pub fn micros_between(a: NaiveDateTime, b: NaiveDateTime) -> Result<i64, SqlError> {
    (a - b).num_microseconds().ok_or_else(interval_out_of_range)
}

/// `timestamp - timestamp`: an interval justified into days and hours.
pub fn ts_diff(a: NaiveDateTime, b: NaiveDateTime) -> Result<Interval, SqlError> {
    if timestamp_is_infinite(&a) || timestamp_is_infinite(&b) {
        return Err(SqlError::new(
            SqlState::DATETIME_FIELD_OVERFLOW,
            "cannot subtract infinite timestamps",
        ));
    }
    let micros = micros_between(a, b)?;
    Ok(justify_hours(&Interval {
        months: 0,
        days: 0,
        micros,
    }))
}

/// `interval * float8` with PostgreSQL's spilling of fractional months into
/// days and fractional days into time.
pub fn interval_mul(iv: &Interval, factor: f64) -> Result<Interval, SqlError> {
    interval_scale(iv, |x| x * factor)
}

/// `interval / float8`.
pub fn interval_div(iv: &Interval, divisor: f64) -> Result<Interval, SqlError> {
    if divisor == 0.0 {
        return Err(SqlError::division_by_zero());
    }
    interval_scale(iv, |x| x / divisor)
}

/// PostgreSQL's `interval_mul`/`interval_div` with the scaling given as a
/// function (division divides directly, which is exact where it matters).
fn interval_scale(iv: &Interval, scale: impl Fn(f64) -> f64) -> Result<Interval, SqlError> {
    let month_f = scale(iv.months as f64);
    let day_f = scale(iv.days as f64);
    if month_f.is_nan() || month_f.abs() > i32::MAX as f64 || day_f.abs() > i32::MAX as f64 {
        return Err(interval_out_of_range());
    }
    let months = month_f.trunc();
    let mut days = day_f.trunc();
    let month_remainder_days = (month_f - months) * 30.0;
    let mut sec_remainder =
        ((day_f - days) + (month_remainder_days - month_remainder_days.trunc())) * 86_400.0;
    sec_remainder = (sec_remainder * 1e6).round() / 1e6;
    if sec_remainder.abs() >= 86_400.0 {
        days += (sec_remainder / 86_400.0).trunc();
        sec_remainder -= (sec_remainder / 86_400.0).trunc() * 86_400.0;
    }
    days += month_remainder_days.trunc();
    let micros = (scale(iv.micros as f64) + sec_remainder * 1e6).round_ties_even();
    if !micros.is_finite() || micros.abs() >= 9.2e18 || days.abs() > i32::MAX as f64 {
        return Err(interval_out_of_range());
    }
    Ok(Interval {
        months: months as i32,
        days: days as i32,
        micros: micros as i64,
    })
}

/// `date + integer`.
pub fn date_add_days(d: NaiveDate, days: i64) -> Result<NaiveDate, SqlError> {
    if crate::text::datetime::date_is_infinite(&d) {
        return Ok(d);
    }
    d.checked_add_signed(Duration::days(days))
        .filter(|r| !crate::text::datetime::date_is_infinite(r))
        .ok_or_else(date_out_of_range)
}
