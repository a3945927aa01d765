//! `interval` text I/O: PostgreSQL's default `postgres` IntervalStyle output
//! (`1 year 2 mons 3 days 04:05:06`, `-1 days +02:00:00`) and its input
//! forms (`1 day 2 hours`, `01:02:03`, `3 days 04:00`, `1.5 days`, `-1 hour`,
//! `2 weeks ago`, ISO 8601 `P1Y2M3DT4H`).

use crate::error::{SqlError, SqlState};
use crate::interval::Interval;
use crate::text::datetime::push_fraction;

const USECS_PER_SEC: i64 = 1_000_000;
const USECS_PER_HOUR: i64 = 3_600_000_000;
const USECS_PER_DAY: i64 = 86_400_000_000;

fn int_part(out: &mut String, value: i64, unit: &str, is_zero: &mut bool, is_before: &mut bool) {
    if value == 0 {
        return;
    }
    out.push_str(&format!(
        "{}{}{} {}{}",
        if *is_zero { "" } else { " " },
        if *is_before && value > 0 { "+" } else { "" },
        value,
        unit,
        if value != 1 { "s" } else { "" }
    ));
    *is_before = value < 0;
    *is_zero = false;
}

/// `interval` output in the `postgres` style.
pub fn format_interval(iv: &Interval) -> String {
    let mut out = String::new();
    let years = iv.months / 12;
    let mons = iv.months % 12;
    let mut is_zero = true;
    let mut is_before = false;
    int_part(&mut out, years as i64, "year", &mut is_zero, &mut is_before);
    int_part(&mut out, mons as i64, "mon", &mut is_zero, &mut is_before);
    int_part(
        &mut out,
        iv.days as i64,
        "day",
        &mut is_zero,
        &mut is_before,
    );
    if is_zero || iv.micros != 0 {
        let minus = iv.micros < 0;
        let a = iv.micros.unsigned_abs();
        let hours = a / USECS_PER_HOUR as u64;
        let mins = a / 60_000_000 % 60;
        let secs = a / 1_000_000 % 60;
        let frac = (a % 1_000_000) as u32;
        out.push_str(&format!(
            "{}{}{:02}:{:02}:{:02}",
            if is_zero { "" } else { " " },
            if minus {
                "-"
            } else if is_before {
                "+"
            } else {
                ""
            },
            hours,
            mins,
            secs
        ));
        push_fraction(&mut out, frac);
    }
    out
}

fn syntax(input: &str) -> SqlError {
    SqlError::new(
        SqlState::INVALID_DATETIME_FORMAT,
        format!("invalid input syntax for type interval: \"{input}\""),
    )
}

fn field_overflow(input: &str) -> SqlError {
    SqlError::new(
        SqlState::INTERVAL_FIELD_OVERFLOW,
        format!("interval field value out of range: \"{input}\""),
    )
}

/// Why a field could not be added: a field overflowed (22015) or the input
/// is malformed (22007).
enum Bad {
    Overflow,
    Syntax,
}

/// Accumulates fields like PostgreSQL's `pg_itm_in` (microseconds, days,
/// months and years kept apart, each overflow-checked) and folds years into
/// months at the end.
#[derive(Default)]
struct Acc {
    usec: i64,
    days: i32,
    months: i32,
    years: i32,
}

fn ck<T>(v: Option<T>) -> Result<T, Bad> {
    v.ok_or(Bad::Overflow)
}

impl Acc {
    /// `frac * scale` microseconds, the fraction of a microsecond rounded
    /// half to even (`AdjustFractMicroseconds`).
    fn fract_micros(&mut self, frac: f64, scale: i64) -> Result<(), Bad> {
        if frac == 0.0 {
            return Ok(());
        }
        let f = frac * scale as f64;
        if !f.is_finite() || f.abs() >= 9.2e18 {
            return Err(Bad::Overflow);
        }
        let whole = f as i64;
        let us = whole + (f - whole as f64).round_ties_even() as i64;
        self.usec = ck(self.usec.checked_add(us))?;
        Ok(())
    }

    /// `frac * scale` days, the rest as microseconds (`AdjustFractDays`).
    fn fract_days(&mut self, frac: f64, scale: i32) -> Result<(), Bad> {
        if frac == 0.0 {
            return Ok(());
        }
        let f = frac * scale as f64;
        let whole = f as i32;
        self.days = ck(self.days.checked_add(whole))?;
        self.fract_micros(f - whole as f64, USECS_PER_DAY)
    }

    fn add_days(&mut self, val: i64, scale: i32) -> Result<(), Bad> {
        let d = ck(i32::try_from(val).ok().and_then(|v| v.checked_mul(scale)))?;
        self.days = ck(self.days.checked_add(d))?;
        Ok(())
    }

    /// Adds `val + frac` units of `unit` (PostgreSQL's `DecodeInterval`).
    fn add(&mut self, val: i64, frac: f64, unit: Unit) -> Result<(), Bad> {
        match unit {
            Unit::Micros(scale) => {
                self.usec = ck(val
                    .checked_mul(scale)
                    .and_then(|v| self.usec.checked_add(v)))?;
                self.fract_micros(frac, scale)
            }
            Unit::Days(1) => {
                self.add_days(val, 1)?;
                self.fract_micros(frac, USECS_PER_DAY)
            }
            Unit::Days(n) => {
                self.add_days(val, n as i32)?;
                self.fract_days(frac, n as i32)
            }
            Unit::Months(1) => {
                let m = ck(i32::try_from(val).ok())?;
                self.months = ck(self.months.checked_add(m))?;
                self.fract_days(frac, 30)
            }
            Unit::Months(m) => {
                let scale = (m / 12) as i32;
                let y = ck(i32::try_from(val).ok().and_then(|v| v.checked_mul(scale)))?;
                self.years = ck(self.years.checked_add(y))?;
                let extra = (frac * scale as f64 * 12.0).round_ties_even();
                self.months = ck(self.months.checked_add(extra as i32))?;
                Ok(())
            }
        }
    }

    fn finish(self, negate: bool, input: &str) -> Result<Interval, SqlError> {
        let (mut usec, mut days, mut months, mut years) =
            (self.usec, self.days, self.months, self.years);
        if negate {
            let over = || field_overflow(input);
            usec = usec.checked_neg().ok_or_else(over)?;
            days = days.checked_neg().ok_or_else(over)?;
            months = months.checked_neg().ok_or_else(over)?;
            years = years.checked_neg().ok_or_else(over)?;
        }
        let months = years
            .checked_mul(12)
            .and_then(|y| y.checked_add(months))
            .ok_or_else(|| {
                SqlError::new(SqlState::DATETIME_FIELD_OVERFLOW, "interval out of range")
            })?;
        Ok(Interval {
            months,
            days,
            micros: usec,
        })
    }
}

#[derive(Clone, Copy)]
enum Unit {
    Micros(i64),
    Days(i64),
    Months(i64),
}

fn unit(word: &str) -> Option<Unit> {
    Some(match word {
        "microsecond" | "microseconds" | "us" | "usec" | "usecs" | "useconds" => Unit::Micros(1),
        "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "mseconds" => Unit::Micros(1000),
        "second" | "seconds" | "s" | "sec" | "secs" => Unit::Micros(USECS_PER_SEC),
        "minute" | "minutes" | "m" | "min" | "mins" => Unit::Micros(60 * USECS_PER_SEC),
        "hour" | "hours" | "h" | "hr" | "hrs" => Unit::Micros(USECS_PER_HOUR),
        "day" | "days" | "d" => Unit::Days(1),
        "week" | "weeks" | "w" => Unit::Days(7),
        "month" | "months" | "mon" | "mons" => Unit::Months(1),
        "year" | "years" | "y" | "yr" | "yrs" => Unit::Months(12),
        "decade" | "decades" | "dec" | "decs" => Unit::Months(120),
        "century" | "centuries" | "c" | "cent" => Unit::Months(1200),
        "millennium" | "millennia" | "mil" | "mils" => Unit::Months(12000),
        _ => return None,
    })
}

/// A number as PostgreSQL's `DecodeInterval` reads it: the integer part
/// exactly (beyond int64 is a field overflow), the fraction as a float
/// carrying the number's sign.
fn parse_number(s: &str) -> Result<(i64, f64), Bad> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(Bad::Syntax);
    }
    let mut val: i64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| Bad::Overflow)?
    };
    let mut f: f64 = if frac.is_empty() {
        0.0
    } else {
        format!("0.{frac}").parse().map_err(|_| Bad::Syntax)?
    };
    if neg {
        val = -val;
        f = -f;
    }
    Ok((val, f))
}

/// `hh:mm[:ss[.ffffff]]` or `mm:ss.fff` as microseconds (unsigned; the
/// caller applies a sign). Minutes above 59 or seconds above 60 overflow.
fn parse_clock(body: &str) -> Result<i64, Bad> {
    let parts: Vec<&str> = body.split(':').collect();
    let int = |s: &str| -> Result<i64, Bad> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Bad::Syntax);
        }
        s.parse().map_err(|_| Bad::Overflow)
    };
    let secs = |s: &str| -> Result<(i64, i64), Bad> {
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        let w = int(whole)?;
        let mut us = 0;
        if s.contains('.') {
            if !frac.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Bad::Syntax);
            }
            let f: f64 = format!("0.{frac}").parse().map_err(|_| Bad::Syntax)?;
            us = (f * 1e6).round_ties_even() as i64;
        }
        Ok((w, us))
    };
    let (h, m, s, us) = match parts.as_slice() {
        // `mm:ss.fff` is minutes and seconds.
        [m, s] if s.contains('.') => {
            let (sec, us) = secs(s)?;
            (0, int(m)?, sec, us)
        }
        [h, m] => (int(h)?, int(m)?, 0, 0),
        [h, m, s] => {
            let (sec, us) = secs(s)?;
            (int(h)?, int(m)?, sec, us)
        }
        _ => return Err(Bad::Syntax),
    };
    if m > 59 || s > 60 || us > 1_000_000 {
        return Err(Bad::Overflow);
    }
    ck(h.checked_mul(USECS_PER_HOUR)
        .and_then(|v| v.checked_add(m * 60 * USECS_PER_SEC + s * USECS_PER_SEC + us)))
}

/// `interval` input.
pub fn parse_interval(input: &str) -> Result<Interval, SqlError> {
    let lower = input.trim().to_ascii_lowercase();
    let s = lower.strip_prefix('@').unwrap_or(&lower).trim();
    if s.is_empty() {
        return Err(syntax(input));
    }
    if let Some(iso) = s.strip_prefix('p') {
        return parse_iso(iso, input);
    }
    let mut tokens: Vec<String> = Vec::new();
    for t in s.split_whitespace() {
        // Split a number glued to its unit: `10min`, `1day`.
        let b = t.as_bytes();
        let split = b.iter().position(|c| c.is_ascii_alphabetic()).filter(|&p| {
            p > 0
                && b[..p]
                    .iter()
                    .all(|c| c.is_ascii_digit() || *c == b'.' || *c == b'-' || *c == b'+')
        });
        match split {
            Some(p) => {
                tokens.push(t[..p].to_string());
                tokens.push(t[p..].to_string());
            }
            None => tokens.push(t.to_string()),
        }
    }
    let mut negate = false;
    if tokens.last().map(String::as_str) == Some("ago") {
        negate = true;
        tokens.pop();
    }
    let bad = |b: Bad| match b {
        Bad::Overflow => field_overflow(input),
        Bad::Syntax => syntax(input),
    };
    let mut acc = Acc::default();
    let mut seen_clock = false;
    let mut i = 0;
    while i < tokens.len() {
        let tok = &tokens[i];
        if tok.contains(':') {
            if seen_clock {
                return Err(syntax(input));
            }
            seen_clock = true;
            let us = match tok.as_bytes()[0] {
                // A signed clock that does not parse is not a clock at all
                // (PostgreSQL then reads it as a number): 22007.
                b'-' => -parse_clock(&tok[1..]).map_err(|_| syntax(input))?,
                b'+' => parse_clock(&tok[1..]).map_err(|_| syntax(input))?,
                _ => parse_clock(tok).map_err(bad)?,
            };
            acc.usec = acc
                .usec
                .checked_add(us)
                .ok_or_else(|| field_overflow(input))?;
            i += 1;
            continue;
        }
        let (v, frac) = parse_number(tok).map_err(bad)?;
        match tokens.get(i + 1) {
            Some(next) if next.contains(':') => {
                // `3 04:05` is days then a time.
                acc.add(v, frac, Unit::Days(1)).map_err(bad)?;
                i += 1;
            }
            Some(next) => {
                let u = unit(next).ok_or_else(|| syntax(input))?;
                acc.add(v, frac, u).map_err(bad)?;
                i += 2;
            }
            None => {
                // A bare trailing number counts seconds.
                acc.add(v, frac, Unit::Micros(USECS_PER_SEC)).map_err(bad)?;
                i += 1;
            }
        }
    }
    acc.finish(negate, input)
}

/// ISO 8601 durations: `P1Y2M3W4DT5H6M7.5S` (after the `P`).
fn parse_iso(s: &str, input: &str) -> Result<Interval, SqlError> {
    let bad = |b: Bad| match b {
        Bad::Overflow => field_overflow(input),
        Bad::Syntax => syntax(input),
    };
    let mut acc = Acc::default();
    let mut in_time = false;
    let mut num = String::new();
    let mut any = false;
    for c in s.chars() {
        match c {
            't' if num.is_empty() => in_time = true,
            '0'..='9' | '.' | '-' | '+' => num.push(c),
            _ => {
                let (v, frac) = parse_number(&num).map_err(bad)?;
                num.clear();
                any = true;
                let u = match (c, in_time) {
                    ('y', false) => Unit::Months(12),
                    ('m', false) => Unit::Months(1),
                    ('w', false) => Unit::Days(7),
                    ('d', false) => Unit::Days(1),
                    ('h', true) => Unit::Micros(USECS_PER_HOUR),
                    ('m', true) => Unit::Micros(60 * USECS_PER_SEC),
                    ('s', true) => Unit::Micros(USECS_PER_SEC),
                    _ => return Err(syntax(input)),
                };
                acc.add(v, frac, u).map_err(bad)?;
            }
        }
    }
    if !num.is_empty() || !any {
        return Err(syntax(input));
    }
    acc.finish(false, input)
}
