//! Date/time arithmetic with PostgreSQL's calendar rules: months are added
//! to the calendar (clamping the day to the month's end), days in local time
//! for `timestamptz`, and differences of timestamps are justified into days
//! and hours.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;

use crate::error::{SqlError, SqlState};
use crate::interval::{Interval, MICROS_PER_DAY};
use crate::text::datetime::{
    date_in_range, date_is_infinite, from_local, timestamp_in_range, timestamp_is_infinite,
    timestamptz_is_infinite, to_local,
};
pub use crate::text::datetime::{date_out_of_range, timestamp_out_of_range};

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

/// `timestamp + interval` (infinity stays infinite; a result outside the
/// supported range is 22008).
pub fn ts_add(ts: NaiveDateTime, iv: &Interval) -> Result<NaiveDateTime, SqlError> {
    if timestamp_is_infinite(&ts) {
        return Ok(ts);
    }
    let date = add_months(ts.date(), iv.months).ok_or_else(timestamp_out_of_range)?;
    date.and_time(ts.time())
        .checked_add_signed(Duration::days(iv.days as i64))
        .and_then(|t| t.checked_add_signed(Duration::microseconds(iv.micros)))
        .filter(timestamp_in_range)
        .ok_or_else(timestamp_out_of_range)
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
        if timestamp_is_infinite(&local) {
            return Err(timestamp_out_of_range());
        }
        t = from_local(&local, tz)?;
    }
    t.checked_add_signed(Duration::microseconds(iv.micros))
        .filter(|t| timestamp_in_range(&t.naive_utc()))
        .ok_or_else(timestamp_out_of_range)
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

fn add_i32(a: i32, b: i64) -> Result<i32, SqlError> {
    i32::try_from(a as i64 + b).map_err(|_| interval_out_of_range())
}

/// PostgreSQL's `justify_hours`: whole days out of the time part, with the
/// signs of days and time made to agree (22008 when the days overflow).
pub fn justify_hours(iv: &Interval) -> Result<Interval, SqlError> {
    let mut micros = iv.micros % MICROS_PER_DAY;
    let mut days = add_i32(iv.days, iv.micros / MICROS_PER_DAY)?;
    if days > 0 && micros < 0 {
        micros += MICROS_PER_DAY;
        days -= 1;
    } else if days < 0 && micros > 0 {
        micros -= MICROS_PER_DAY;
        days += 1;
    }
    Ok(Interval {
        months: iv.months,
        days,
        micros,
    })
}

/// PostgreSQL's `justify_days`: whole 30-day months out of the days (22008
/// when the months overflow).
pub fn justify_days(iv: &Interval) -> Result<Interval, SqlError> {
    let mut months = add_i32(iv.months, (iv.days / 30) as i64)?;
    let mut days = iv.days % 30;
    if months > 0 && days < 0 {
        days += 30;
        months -= 1;
    } else if months < 0 && days > 0 {
        days -= 30;
        months += 1;
    }
    Ok(Interval {
        months,
        days,
        micros: iv.micros,
    })
}

/// PostgreSQL's `justify_interval`, overflow checks in the same steps (22008).
pub fn justify_interval(iv: &Interval) -> Result<Interval, SqlError> {
    let (mut months, mut days, mut micros) = (iv.months, iv.days, iv.micros);
    // Pre-justify days when that might prevent an overflow.
    if (days > 0 && micros > 0) || (days < 0 && micros < 0) {
        months = add_i32(months, (days / 30) as i64)?;
        days %= 30;
    }
    days = add_i32(days, micros / MICROS_PER_DAY)?;
    micros %= MICROS_PER_DAY;
    months = add_i32(months, (days / 30) as i64)?;
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
    Ok(Interval {
        months,
        days,
        micros,
    })
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
    justify_hours(&Interval {
        months: 0,
        days: 0,
        micros,
    })
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

/// `date + integer` (infinity stays infinite; 22008 outside the supported
/// range).
pub fn date_add_days(d: NaiveDate, days: i64) -> Result<NaiveDate, SqlError> {
    if date_is_infinite(&d) {
        return Ok(d);
    }
    Duration::try_days(days)
        .and_then(|n| d.checked_add_signed(n))
        .filter(date_in_range)
        .ok_or_else(date_out_of_range)
}
