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

fn range(input: &str) -> SqlError {
    SqlError::new(
        SqlState::DATETIME_FIELD_OVERFLOW,
        format!("interval field value out of range: \"{input}\""),
    )
}

/// Accumulates fields in wide types; checked into an [`Interval`] at the end.
#[derive(Default)]
struct Acc {
    months: f64,
    days: f64,
    micros: f64,
}

impl Acc {
    /// Adds `v` units, spilling fractions to smaller units like PostgreSQL
    /// (fractional months become 30-day days, fractional days 24 hours).
    fn add(&mut self, v: f64, unit: Unit) {
        match unit {
            Unit::Micros(m) => self.micros += v * m as f64,
            Unit::Days(d) => {
                let total = v * d as f64;
                let whole = total.trunc();
                self.days += whole;
                self.micros += ((total - whole) * USECS_PER_DAY as f64).round();
            }
            Unit::Months(m) => {
                let total = v * m as f64;
                if m >= 12 {
                    // Years: fractions become whole months.
                    self.months += total.round();
                    return;
                }
                let whole = total.trunc();
                self.months += whole;
                let days = (total - whole) * 30.0;
                let dwhole = days.trunc();
                self.days += dwhole;
                self.micros += ((days - dwhole) * USECS_PER_DAY as f64).round();
            }
        }
    }

    fn finish(self, negate: bool, input: &str) -> Result<Interval, SqlError> {
        let s = if negate { -1.0 } else { 1.0 };
        let months = (self.months * s).round();
        let days = (self.days * s).round();
        let micros = (self.micros * s).round();
        if months.abs() > i32::MAX as f64
            || days.abs() > i32::MAX as f64
            || micros.abs() >= 9.2e18
            || micros.is_nan()
        {
            return Err(range(input));
        }
        Ok(Interval {
            months: months as i32,
            days: days as i32,
            micros: micros as i64,
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

fn parse_number(s: &str) -> Option<f64> {
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+')
    {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    v.is_finite().then_some(v)
}

/// `[-+]hh:mm[:ss[.ffffff]]` as signed microseconds.
fn parse_clock(tok: &str) -> Option<f64> {
    let (neg, body) = match tok.as_bytes().first()? {
        b'-' => (true, &tok[1..]),
        b'+' => (false, &tok[1..]),
        _ => (false, tok),
    };
    let parts: Vec<&str> = body.split(':').collect();
    let num = |s: &str| -> Option<f64> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return None;
        }
        s.parse::<f64>().ok()
    };
    let v = match parts.as_slice() {
        [h, m] if !h.contains('.') => {
            num(h)? * USECS_PER_HOUR as f64 + num(m)? * 60.0 * USECS_PER_SEC as f64
        }
        [h, m, s] if !h.contains('.') && !m.contains('.') => {
            num(h)? * USECS_PER_HOUR as f64
                + num(m)? * 60.0 * USECS_PER_SEC as f64
                + (num(s)? * USECS_PER_SEC as f64).round()
        }
        _ => return None,
    };
    Some(if neg { -v } else { v })
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
            acc.micros += parse_clock(tok).ok_or_else(|| syntax(input))?;
            i += 1;
            continue;
        }
        let v = parse_number(tok).ok_or_else(|| syntax(input))?;
        match tokens.get(i + 1) {
            Some(next) if next.contains(':') => {
                // `3 04:05` is days then a time.
                acc.add(v, Unit::Days(1));
                i += 1;
            }
            Some(next) => {
                let u = unit(next).ok_or_else(|| syntax(input))?;
                acc.add(v, u);
                i += 2;
            }
            None => {
                // A bare trailing number counts seconds.
                acc.add(v, Unit::Micros(USECS_PER_SEC));
                i += 1;
            }
        }
    }
    acc.finish(negate, input)
}

/// ISO 8601 durations: `P1Y2M3W4DT5H6M7.5S` (after the `P`).
fn parse_iso(s: &str, input: &str) -> Result<Interval, SqlError> {
    let mut acc = Acc::default();
    let mut in_time = false;
    let mut num = String::new();
    let mut any = false;
    for c in s.chars() {
        match c {
            't' if num.is_empty() => in_time = true,
            '0'..='9' | '.' | '-' | '+' => num.push(c),
            _ => {
                let v = parse_number(&num).ok_or_else(|| syntax(input))?;
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
                acc.add(v, u);
            }
        }
    }
    if !num.is_empty() || !any {
        return Err(syntax(input));
    }
    acc.finish(false, input)
}
