//! `to_char`, `to_timestamp(text, text)`, `to_date` and `to_number` with the
//! common PostgreSQL template patterns (`YYYY MM DD HH24 MI SS MS US AM Mon
//! Month Dy Day DDD D WW IW Q J TZ OF`, `FM`/`TH` modifiers, quoted text;
//! numbers with `9 0 . D , G S MI FM`).

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::{SqlError, SqlState};
use crate::text::{self, datetime};
use crate::types::DataType;
use crate::value::{EvalContext, Value};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Template patterns, longest first so that `HH24` wins over `HH`.
const PATTERNS: [&str; 50] = [
    "HH24", "HH12", "HH", "MI", "SSSSS", "SSSS", "SS", "MS", "US", "A.M.", "P.M.", "a.m.", "p.m.",
    "AM", "PM", "am", "pm", "Y,YYY", "YYYY", "YYY", "YY", "Y", "IYYY", "IW", "B.C.", "A.D.", "BC",
    "AD", "MONTH", "Month", "month", "MON", "Mon", "mon", "MM", "DAY", "Day", "day", "DY", "Dy",
    "dy", "DDD", "DD", "D", "WW", "Q", "J", "TZ", "OF", "CC",
];

/// The broken-down fields a template prints.
struct Fields {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    minute: u32,
    second: u32,
    micros: u32,
    doy: u32,
    dow: u32,
    iso_week: u32,
    iso_year: i64,
    julian: i64,
    offset: Option<i32>,
    tz_abbrev: String,
}

fn fields_of_ts(ts: &NaiveDateTime, offset: Option<i32>, tz_abbrev: String) -> Fields {
    let d = ts.date();
    Fields {
        year: d.year() as i64,
        month: d.month(),
        day: d.day(),
        hour: ts.hour() as i64,
        minute: ts.minute(),
        second: ts.second(),
        micros: ts.nanosecond() / 1000,
        doy: d.ordinal(),
        dow: d.weekday().num_days_from_sunday(),
        iso_week: d.iso_week().week(),
        iso_year: d.iso_week().year() as i64,
        julian: d.num_days_from_ce() as i64 + 1_721_425,
        offset,
        tz_abbrev,
    }
}

fn ordinal_suffix(n: i64, upper: bool) -> &'static str {
    let s = match (n % 100, n % 10) {
        (11..=13, _) => "th",
        (_, 1) => "st",
        (_, 2) => "nd",
        (_, 3) => "rd",
        _ => "th",
    };
    if upper {
        match s {
            "st" => "ST",
            "nd" => "ND",
            "rd" => "RD",
            _ => "TH",
        }
    } else {
        s
    }
}

fn case_like(pattern: &str, word: &str) -> String {
    if pattern.chars().all(|c| c.is_ascii_uppercase()) {
        word.to_uppercase()
    } else if pattern
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_uppercase())
    {
        word.to_string()
    } else {
        word.to_lowercase()
    }
}

fn format_fields(f: &Fields, fmt: &str) -> String {
    let mut out = String::new();
    let cs: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    let mut fm = false;
    while i < cs.len() {
        let rest: String = cs[i..].iter().collect();
        if rest.starts_with("FM") || rest.starts_with("fm") {
            fm = true;
            i += 2;
            continue;
        }
        if rest.starts_with("TM") || rest.starts_with("FX") {
            i += 2;
            continue;
        }
        if cs[i] == '"' {
            i += 1;
            while i < cs.len() && cs[i] != '"' {
                if cs[i] == '\\' && i + 1 < cs.len() {
                    i += 1;
                }
                out.push(cs[i]);
                i += 1;
            }
            i += 1;
            continue;
        }
        if cs[i] == '\\' && i + 1 < cs.len() {
            out.push(cs[i + 1]);
            i += 2;
            continue;
        }
        let Some(p) = PATTERNS.iter().find(|p| rest.starts_with(**p)) else {
            out.push(cs[i]);
            i += 1;
            fm = false;
            continue;
        };
        i += p.chars().count();
        let num = |v: i64, width: usize| -> String {
            if fm {
                v.to_string()
            } else if v < 0 {
                format!("-{:0width$}", -v, width = width)
            } else {
                format!("{v:0width$}")
            }
        };
        let name = |word: &str, pad: usize| -> String {
            let w = case_like(p, word);
            if fm {
                w
            } else {
                format!("{w:<pad$}")
            }
        };
        let year = if f.year > 0 { f.year } else { 1 - f.year };
        let hour12 = if f.hour % 12 == 0 { 12 } else { f.hour % 12 };
        let (piece, numeric) = match *p {
            "HH24" => (num(f.hour, 2), Some(f.hour)),
            "HH12" | "HH" => (num(hour12, 2), Some(hour12)),
            "MI" => (num(f.minute as i64, 2), Some(f.minute as i64)),
            "SS" => (num(f.second as i64, 2), Some(f.second as i64)),
            "SSSS" | "SSSSS" => {
                let v = f.hour * 3600 + f.minute as i64 * 60 + f.second as i64;
                (v.to_string(), Some(v))
            }
            "MS" => (format!("{:03}", f.micros / 1000), None),
            "US" => (format!("{:06}", f.micros), None),
            "AM" | "PM" => ((if f.hour >= 12 { "PM" } else { "AM" }).to_string(), None),
            "am" | "pm" => ((if f.hour >= 12 { "pm" } else { "am" }).to_string(), None),
            "A.M." | "P.M." => (
                (if f.hour >= 12 { "P.M." } else { "A.M." }).to_string(),
                None,
            ),
            "a.m." | "p.m." => (
                (if f.hour >= 12 { "p.m." } else { "a.m." }).to_string(),
                None,
            ),
            "Y,YYY" => (format!("{},{:03}", year / 1000, year % 1000), None),
            "YYYY" => (num(year, 4), Some(year)),
            "YYY" => (num(year % 1000, 3), Some(year % 1000)),
            "YY" => (num(year % 100, 2), Some(year % 100)),
            "Y" => (num(year % 10, 1), Some(year % 10)),
            "IYYY" => (num(f.iso_year, 4), Some(f.iso_year)),
            "IW" => (num(f.iso_week as i64, 2), Some(f.iso_week as i64)),
            "BC" | "AD" => ((if f.year > 0 { "AD" } else { "BC" }).to_string(), None),
            "B.C." | "A.D." => ((if f.year > 0 { "A.D." } else { "B.C." }).to_string(), None),
            "MONTH" | "Month" | "month" => (name(MONTHS[(f.month as usize + 11) % 12], 9), None),
            "MON" | "Mon" | "mon" => (
                case_like(p, &MONTHS[(f.month as usize + 11) % 12][..3]),
                None,
            ),
            "MM" => (num(f.month as i64, 2), Some(f.month as i64)),
            "DAY" | "Day" | "day" => (name(DAYS[f.dow as usize % 7], 9), None),
            "DY" | "Dy" | "dy" => (case_like(p, &DAYS[f.dow as usize % 7][..3]), None),
            "DDD" => (num(f.doy as i64, 3), Some(f.doy as i64)),
            "DD" => (num(f.day as i64, 2), Some(f.day as i64)),
            "D" => ((f.dow + 1).to_string(), Some(f.dow as i64 + 1)),
            "WW" => {
                let v = (f.doy as i64 - 1) / 7 + 1;
                (num(v, 2), Some(v))
            }
            "Q" => {
                let v = (f.month as i64 - 1) / 3 + 1;
                (v.to_string(), Some(v))
            }
            "J" => (f.julian.to_string(), Some(f.julian)),
            "CC" => {
                let v = (year + 99) / 100;
                (num(v, 2), Some(v))
            }
            "TZ" => (f.tz_abbrev.to_uppercase(), None),
            "OF" => (
                f.offset.map(datetime::format_offset).unwrap_or_default(),
                None,
            ),
            _ => (String::new(), None),
        };
        out.push_str(&piece);
        fm = false;
        // `th`/`TH` ordinal suffix.
        let rest: String = cs[i..].iter().collect();
        if let Some(n) = numeric {
            if rest.starts_with("th") || rest.starts_with("TH") {
                out.push_str(ordinal_suffix(n, rest.starts_with("TH")));
                i += 2;
            }
        }
    }
    out
}

/// `to_char(value, template)`.
pub fn to_char(
    v: &Value,
    ty: Option<&DataType>,
    fmt: &str,
    ctx: &EvalContext,
) -> Result<String, SqlError> {
    Ok(match v {
        Value::Timestamp(ts) => format_fields(&fields_of_ts(ts, None, String::new()), fmt),
        Value::TimestampTz(ts) => {
            let (local, off) = datetime::to_local(ts, &ctx.timezone);
            let abbrev = {
                use chrono::{Offset, TimeZone};
                let o = ctx.timezone.offset_from_utc_datetime(&ts.naive_utc());
                let s = format!("{o}");
                if s.is_empty() || s.starts_with(['+', '-']) {
                    let fixed = o.fix().local_minus_utc();
                    datetime::format_offset(fixed)
                } else {
                    s
                }
            };
            format_fields(&fields_of_ts(&local, Some(off), abbrev), fmt)
        }
        Value::Date(d) => format_fields(
            &fields_of_ts(&d.and_time(NaiveTime::MIN), None, String::new()),
            fmt,
        ),
        Value::Interval(iv) => {
            let f = Fields {
                year: (iv.months / 12) as i64,
                month: (iv.months % 12).unsigned_abs(),
                day: iv.days.unsigned_abs(),
                hour: iv.micros / 3_600_000_000,
                minute: (iv.micros / 60_000_000 % 60).unsigned_abs() as u32,
                second: (iv.micros / 1_000_000 % 60).unsigned_abs() as u32,
                micros: (iv.micros % 1_000_000).unsigned_abs() as u32,
                doy: iv.days.unsigned_abs(),
                dow: 0,
                iso_week: 0,
                iso_year: 0,
                julian: 0,
                offset: None,
                tz_abbrev: String::new(),
            };
            format_fields(&f, fmt)
        }
        Value::Null => String::new(),
        other => {
            let d = match other {
                Value::Float4(_) | Value::Float8(_) => {
                    let f = other.as_f64().unwrap_or(0.0);
                    if !f.is_finite() {
                        return Ok(format_number_overflow(fmt));
                    }
                    text::numeric::parse_numeric(&text::format_float8(f, 0))?
                }
                v => v.as_decimal().ok_or_else(|| {
                    SqlError::internal(format!(
                        "to_char on {}",
                        ty.map(|t| t.sql_name()).unwrap_or_default()
                    ))
                })?,
            };
            to_char_number(d, fmt)
        }
    })
}

#[derive(PartialEq)]
enum SignMode {
    Default,
    LeadingS,
    TrailingS,
    Mi,
}

fn format_number_overflow(fmt: &str) -> String {
    let slots = fmt.chars().filter(|c| matches!(c, '9' | '0')).count();
    let has_point = fmt.contains(['.', 'D']);
    let mut s = " ".to_string() + &"#".repeat(slots);
    if has_point {
        s.insert(
            s.len()
                - fmt
                    .split(['.', 'D'])
                    .nth(1)
                    .map_or(0, |f| f.matches(['9', '0']).count()),
            '.',
        );
    }
    s
}

/// `to_char(number, template)`.
pub fn to_char_number(d: Decimal, fmt: &str) -> String {
    let mut fm = false;
    let mut int_slots: Vec<char> = Vec::new();
    let mut frac_slots: Vec<char> = Vec::new();
    let mut point = false;
    let mut sign = SignMode::Default;
    let up = fmt.to_ascii_uppercase();
    let cs: Vec<char> = up.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let rest: String = cs[i..].iter().collect();
        if rest.starts_with("FM") {
            fm = true;
            i += 2;
            continue;
        }
        if rest.starts_with("MI") {
            sign = SignMode::Mi;
            i += 2;
            continue;
        }
        match cs[i] {
            '9' | '0' => {
                if point {
                    frac_slots.push(cs[i]);
                } else {
                    int_slots.push(cs[i]);
                }
            }
            '.' | 'D' => point = true,
            ',' | 'G' if !point => int_slots.push(','),
            'S' => {
                sign = if int_slots.is_empty() {
                    SignMode::LeadingS
                } else {
                    SignMode::TrailingS
                };
            }
            _ => {}
        }
        i += 1;
    }
    let frac_n = frac_slots.len() as u32;
    let r = d.round_dp_with_strategy(frac_n.min(28), RoundingStrategy::MidpointAwayFromZero);
    let neg = r.is_sign_negative() && !r.is_zero();
    let abs = r.abs().to_string();
    let (int_part, frac_part) = abs.split_once('.').unwrap_or((&abs, ""));
    let mut int_digits: Vec<char> = int_part.chars().collect();
    if int_part == "0" && frac_n > 0 {
        int_digits.clear();
    }
    let digit_slots = int_slots.iter().filter(|c| **c != ',').count();
    if int_digits.len() > digit_slots {
        let mut s = " ".to_string() + &"#".repeat(digit_slots);
        if point && frac_n > 0 {
            s.push('.');
            s.push_str(&"#".repeat(frac_n as usize));
        }
        return s;
    }
    let first_zero = int_slots.iter().position(|c| *c == '0');
    let mut rendered: Vec<char> = vec![' '; int_slots.len()];
    let mut di = int_digits.len();
    let mut any_left: Vec<bool> = vec![false; int_slots.len()];
    for (k, slot) in int_slots.iter().enumerate().rev() {
        if *slot == ',' {
            continue;
        }
        if di > 0 {
            di -= 1;
            rendered[k] = int_digits[di];
            any_left[k] = true;
        } else if first_zero.is_some_and(|z| k >= z) {
            rendered[k] = '0';
            any_left[k] = true;
        }
    }
    // Group separators only print between printed digits.
    for k in 0..int_slots.len() {
        if int_slots[k] == ',' && any_left[..k].iter().any(|b| *b) {
            rendered[k] = ',';
        }
    }
    let mut int_str: String = rendered.into_iter().collect();
    let sign_char = match (&sign, neg) {
        (SignMode::Default, true) | (SignMode::LeadingS, true) => Some('-'),
        (SignMode::Default, false) => Some(' '),
        (SignMode::LeadingS, false) => Some('+'),
        _ => None,
    };
    if let Some(sc) = sign_char {
        let pos = int_str.find(|c: char| c != ' ').unwrap_or(int_str.len());
        int_str.insert(pos, sc);
    }
    let mut out = int_str;
    if point && frac_n > 0 {
        out.push('.');
        let fd: Vec<char> = frac_part.chars().collect();
        let mut frac = String::new();
        for k in 0..frac_n as usize {
            frac.push(*fd.get(k).unwrap_or(&'0'));
        }
        if fm {
            // Trailing zeros in `9` positions are dropped.
            let mut keep = frac.len();
            while keep > 0 && frac_slots[keep - 1] == '9' && frac.as_bytes()[keep - 1] == b'0' {
                keep -= 1;
            }
            frac.truncate(keep);
        }
        out.push_str(&frac);
    }
    match sign {
        SignMode::TrailingS => out.push(if neg { '-' } else { '+' }),
        SignMode::Mi => out.push(if neg { '-' } else { ' ' }),
        _ => {}
    }
    if fm {
        out = out.trim_start().to_string();
        if sign == SignMode::Mi {
            out = out.trim_end().to_string();
        }
    }
    out
}

fn bad_format(input: &str) -> SqlError {
    SqlError::new(
        SqlState::INVALID_DATETIME_FORMAT,
        format!("invalid value \"{input}\" for the given format"),
    )
}

/// Parses `input` with a `to_timestamp`/`to_date` template: the wall-clock
/// time and, when the input had `TZH`/`OF`-style offset, that offset.
pub fn parse_with_format(input: &str, fmt: &str) -> Result<(NaiveDateTime, Option<i32>), SqlError> {
    let inp: Vec<char> = input.chars().collect();
    let fc: Vec<char> = fmt.chars().collect();
    let (mut ii, mut fi) = (0usize, 0usize);
    let mut year: Option<i64> = None;
    let (mut month, mut day, mut hour, mut minute, mut second, mut micros) =
        (1u32, 1u32, 0i64, 0u32, 0u32, 0u32);
    let mut pm: Option<bool> = None;
    let mut bc = false;
    let mut doy: Option<u32> = None;
    let skip_ws = |ii: &mut usize| {
        while *ii < inp.len() && inp[*ii].is_whitespace() {
            *ii += 1;
        }
    };
    let read_num = |ii: &mut usize, max: usize| -> Result<i64, SqlError> {
        let start = *ii;
        let mut neg = false;
        if *ii < inp.len() && inp[*ii] == '-' {
            neg = true;
            *ii += 1;
        }
        let dstart = *ii;
        while *ii < inp.len() && inp[*ii].is_ascii_digit() && *ii - dstart < max {
            *ii += 1;
        }
        if *ii == dstart {
            return Err(bad_format(&inp[start..].iter().collect::<String>()));
        }
        let s: String = inp[dstart..*ii].iter().collect();
        let v: i64 = s.parse().map_err(|_| bad_format(&s))?;
        Ok(if neg { -v } else { v })
    };
    let read_word = |ii: &mut usize, words: &[&str], min: usize| -> Result<usize, SqlError> {
        let rest: String = inp[*ii..].iter().collect::<String>().to_lowercase();
        for (k, w) in words.iter().enumerate() {
            let wl = w.to_lowercase();
            if rest.starts_with(&wl) {
                *ii += wl.chars().count();
                return Ok(k);
            }
        }
        for (k, w) in words.iter().enumerate() {
            let wl: String = w.to_lowercase().chars().take(min).collect();
            if rest.starts_with(&wl) {
                *ii += min;
                return Ok(k);
            }
        }
        Err(bad_format(&rest))
    };
    while fi < fc.len() {
        let rest: String = fc[fi..].iter().collect();
        if rest.starts_with("FM") || rest.starts_with("FX") || rest.starts_with("TM") {
            fi += 2;
            continue;
        }
        if fc[fi] == '"' {
            fi += 1;
            while fi < fc.len() && fc[fi] != '"' {
                fi += 1;
                if ii < inp.len() {
                    ii += 1;
                }
            }
            fi += 1;
            continue;
        }
        let Some(p) = PATTERNS.iter().find(|p| rest.starts_with(**p)) else {
            // A separator: skip matching non-alphanumerics (PostgreSQL is lax).
            fi += 1;
            if ii < inp.len() && !inp[ii].is_alphanumeric() {
                ii += 1;
            } else if fc[fi - 1].is_whitespace() {
                skip_ws(&mut ii);
            }
            continue;
        };
        fi += p.chars().count();
        skip_ws(&mut ii);
        match *p {
            "HH24" | "HH12" | "HH" => hour = read_num(&mut ii, 2)?,
            "MI" => minute = read_num(&mut ii, 2)? as u32,
            "SS" => second = read_num(&mut ii, 2)? as u32,
            "MS" => micros = read_num(&mut ii, 3)? as u32 * 1000,
            "US" => micros = read_num(&mut ii, 6)? as u32,
            "AM" | "PM" | "am" | "pm" | "A.M." | "P.M." | "a.m." | "p.m." => {
                pm = Some(read_word(&mut ii, &["am", "pm", "a.m.", "p.m."], 2)? % 2 == 1);
            }
            "YYYY" | "IYYY" => year = Some(read_num(&mut ii, 4)?),
            "Y,YYY" => {
                let a = read_num(&mut ii, 1)?;
                if ii < inp.len() && inp[ii] == ',' {
                    ii += 1;
                }
                year = Some(a * 1000 + read_num(&mut ii, 3)?);
            }
            "YYY" | "YY" | "Y" => {
                let v = read_num(&mut ii, p.len())?;
                year = Some(match p.len() {
                    2 => {
                        if v < 70 {
                            2000 + v
                        } else {
                            1900 + v
                        }
                    }
                    3 => {
                        if v < 100 {
                            2000 + v
                        } else {
                            1000 + v
                        }
                    }
                    _ => 2000 + v,
                });
            }
            "BC" | "AD" | "B.C." | "A.D." => {
                bc = read_word(&mut ii, &["bc", "ad", "b.c.", "a.d."], 2)? % 2 == 0;
            }
            "MONTH" | "Month" | "month" | "MON" | "Mon" | "mon" => {
                month = read_word(&mut ii, &MONTHS, 3)? as u32 + 1;
            }
            "MM" => month = read_num(&mut ii, 2)? as u32,
            "DAY" | "Day" | "day" | "DY" | "Dy" | "dy" => {
                read_word(&mut ii, &DAYS, 3)?;
            }
            "DDD" => doy = Some(read_num(&mut ii, 3)? as u32),
            "DD" => day = read_num(&mut ii, 2)? as u32,
            "D" | "Q" | "WW" | "IW" | "CC" => {
                read_num(&mut ii, 2)?;
            }
            "J" => {
                let j = read_num(&mut ii, 8)?;
                let d = NaiveDate::from_num_days_from_ce_opt((j - 1_721_425) as i32)
                    .ok_or_else(|| bad_format(input))?;
                year = Some(d.year() as i64);
                month = d.month();
                day = d.day();
            }
            "SSSS" | "SSSSS" => {
                let s = read_num(&mut ii, 5)?;
                hour = s / 3600;
                minute = (s / 60 % 60) as u32;
                second = (s % 60) as u32;
            }
            _ => {}
        }
    }
    if let Some(p) = pm {
        if !(1..=12).contains(&hour) {
            return Err(SqlError::new(
                SqlState::INVALID_DATETIME_FORMAT,
                format!("hour \"{hour}\" is invalid for the 12-hour clock"),
            ));
        }
        hour = match (p, hour) {
            (false, 12) => 0,
            (true, 12) => 12,
            (true, h) => h + 12,
            (false, h) => h,
        };
    }
    let mut y = year.unwrap_or(1);
    if bc {
        y = 1 - y;
    }
    let y32 = i32::try_from(y).map_err(|_| bad_format(input))?;
    let date = match doy {
        Some(o) => NaiveDate::from_yo_opt(y32, o),
        None => NaiveDate::from_ymd_opt(y32, month, day),
    }
    .ok_or_else(|| {
        SqlError::new(
            SqlState::DATETIME_FIELD_OVERFLOW,
            format!("date/time field value out of range: \"{input}\""),
        )
    })?;
    if !(0..=24).contains(&hour) || minute > 59 || second > 60 {
        return Err(SqlError::new(
            SqlState::DATETIME_FIELD_OVERFLOW,
            format!("date/time field value out of range: \"{input}\""),
        ));
    }
    let total = (hour * 3600 + minute as i64 * 60 + second as i64) * 1_000_000 + micros as i64;
    let ts = date.and_time(NaiveTime::MIN) + chrono::Duration::microseconds(total);
    Ok((ts, None))
}

/// `to_number(text, template)`: keeps digits, sign and the decimal point.
pub fn to_number(input: &str, fmt: &str) -> Result<Decimal, SqlError> {
    let has_point = fmt.contains(['.', 'D']);
    let mut s = String::new();
    let mut seen_point = false;
    let mut neg = false;
    for c in input.chars() {
        match c {
            '0'..='9' => s.push(c),
            '.' if has_point && !seen_point => {
                seen_point = true;
                s.push('.');
            }
            '-' | '(' => neg = true,
            _ => {}
        }
    }
    if s.is_empty() || s == "." {
        return Err(SqlError::invalid_text("numeric", " "));
    }
    let d = text::numeric::parse_numeric(&s)?;
    Ok(if neg { -d } else { d })
}
