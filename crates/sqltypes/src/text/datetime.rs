//! `date`, `time`, `timestamp` and `timestamptz` text I/O (ISO `DateStyle`,
//! MDY field order, as PostgreSQL's defaults), plus the time-zone helpers the
//! operators and functions share.
//!
//! `infinity`/`-infinity` are carried as chrono's minimum and maximum values.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

use crate::error::{SqlError, SqlState};
use crate::value::EvalContext;

/// PostgreSQL's epoch for dates and timestamps in the binary format.
pub fn pg_epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2000, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
}

const fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(d) => d,
        None => NaiveDate::MIN,
    }
}

/// The first valid date and timestamp: 4714-11-24 BC (Julian day 0), as in
/// PostgreSQL.
pub const MIN_DATE: NaiveDate = ymd(-4713, 11, 24);

/// The last valid date. PostgreSQL goes on to 5874897 AD (dates) and
/// 294276 AD (timestamps); chrono stops at 262142 AD, and its last year is
/// kept free so that `±infinity` (chrono's minimum and maximum) never equal
/// a real value and a time-zone shift of a valid instant never overflows.
pub const MAX_DATE: NaiveDate = ymd(262141, 12, 31);

/// The first valid timestamp (4714-11-24 00:00:00 BC).
pub const MIN_TIMESTAMP: NaiveDateTime = MIN_DATE.and_time(NaiveTime::MIN);

/// The last valid timestamp (262141-12-31 23:59:59.999999).
pub const MAX_TIMESTAMP: NaiveDateTime =
    MAX_DATE.and_time(match NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999) {
        Some(t) => t,
        None => NaiveTime::MIN,
    });

/// Microseconds in a day: also the `time` value 24:00:00.
const DAY_US: i64 = 86_400_000_000;

/// Whether a date is one of the `±infinity` sentinels.
pub fn date_is_infinite(d: &NaiveDate) -> bool {
    *d == NaiveDate::MAX || *d == NaiveDate::MIN
}

/// Whether a timestamp is one of the `±infinity` sentinels.
pub fn timestamp_is_infinite(t: &NaiveDateTime) -> bool {
    *t == NaiveDateTime::MAX || *t == NaiveDateTime::MIN
}

/// Whether a timestamptz is one of the `±infinity` sentinels.
pub fn timestamptz_is_infinite(t: &DateTime<Utc>) -> bool {
    *t == DateTime::<Utc>::MAX_UTC || *t == DateTime::<Utc>::MIN_UTC
}

/// 22008 `date out of range`.
pub fn date_out_of_range() -> SqlError {
    SqlError::new(SqlState::DATETIME_FIELD_OVERFLOW, "date out of range")
}

/// 22008 `timestamp out of range`.
pub fn timestamp_out_of_range() -> SqlError {
    SqlError::new(SqlState::DATETIME_FIELD_OVERFLOW, "timestamp out of range")
}

/// Whether a finite date is in the supported range.
pub fn date_in_range(d: &NaiveDate) -> bool {
    (MIN_DATE..=MAX_DATE).contains(d)
}

/// Whether a finite timestamp is in the supported range.
pub fn timestamp_in_range(t: &NaiveDateTime) -> bool {
    (MIN_TIMESTAMP..=MAX_TIMESTAMP).contains(t)
}

/// A date result: `±infinity` or a date in range, else 22008.
pub fn check_date(d: NaiveDate) -> Result<NaiveDate, SqlError> {
    if date_is_infinite(&d) || date_in_range(&d) {
        Ok(d)
    } else {
        Err(date_out_of_range())
    }
}

/// A timestamp result: `±infinity` or a timestamp in range, else 22008.
pub fn check_timestamp(t: NaiveDateTime) -> Result<NaiveDateTime, SqlError> {
    if timestamp_is_infinite(&t) || timestamp_in_range(&t) {
        Ok(t)
    } else {
        Err(timestamp_out_of_range())
    }
}

/// A timestamptz result: `±infinity` or an instant in range, else 22008.
pub fn check_timestamptz(t: DateTime<Utc>) -> Result<DateTime<Utc>, SqlError> {
    if timestamptz_is_infinite(&t) || timestamp_in_range(&t.naive_utc()) {
        Ok(t)
    } else {
        Err(timestamp_out_of_range())
    }
}

/// A timestamp from microseconds since 1970 as stored: values past the
/// supported range are the `±infinity` sentinels (whose nanoseconds the
/// microsecond encoding drops).
pub fn timestamp_from_unix_micros(us: i64) -> NaiveDateTime {
    let max = MAX_TIMESTAMP.and_utc().timestamp_micros();
    let min = MIN_TIMESTAMP.and_utc().timestamp_micros();
    if us > max {
        return NaiveDateTime::MAX;
    }
    if us < min {
        return NaiveDateTime::MIN;
    }
    DateTime::from_timestamp_micros(us)
        .map(|t| t.naive_utc())
        .unwrap_or(NaiveDateTime::MAX)
}

/// A time of day from microseconds since midnight, 00:00:00 to 24:00:00.
/// 24:00:00 is chrono's leap-second form of 23:59:59 (a fraction of one
/// whole second), which sorts after every other time of day; all time
/// arithmetic goes through microseconds, never through chrono.
pub fn time_from_micros(us: i64) -> Option<NaiveTime> {
    if us == DAY_US {
        return NaiveTime::from_hms_nano_opt(23, 59, 59, 1_000_000_000);
    }
    if !(0..DAY_US).contains(&us) {
        return None;
    }
    NaiveTime::from_num_seconds_from_midnight_opt(
        (us / 1_000_000) as u32,
        (us % 1_000_000) as u32 * 1000,
    )
}

/// Microseconds since midnight of a time of day (86_400_000_000 for
/// 24:00:00).
pub fn time_to_micros(t: &NaiveTime) -> i64 {
    t.num_seconds_from_midnight() as i64 * 1_000_000 + (t.nanosecond() / 1000) as i64
}

/// A date as the timestamp of its midnight (`±infinity` stays infinite).
pub fn date_to_timestamp(d: &NaiveDate) -> NaiveDateTime {
    if *d == NaiveDate::MAX {
        NaiveDateTime::MAX
    } else if *d == NaiveDate::MIN {
        NaiveDateTime::MIN
    } else {
        d.and_time(NaiveTime::MIN)
    }
}

/// A date plus a time of day (24:00:00 is the next midnight), unchecked
/// against the supported range.
pub fn date_and_time(d: NaiveDate, t: &NaiveTime) -> Option<NaiveDateTime> {
    d.and_time(NaiveTime::MIN)
        .checked_add_signed(Duration::microseconds(time_to_micros(t)))
}

fn year_str(year: i32) -> (String, bool) {
    if year <= 0 {
        (format!("{:04}", 1 - year), true)
    } else {
        (format!("{year:04}"), false)
    }
}

/// `date` output: `2024-01-02`, `0044-03-15 BC`, `infinity`.
pub fn format_date(d: &NaiveDate) -> String {
    if *d == NaiveDate::MAX {
        return "infinity".into();
    }
    if *d == NaiveDate::MIN {
        return "-infinity".into();
    }
    let (y, bc) = year_str(d.year());
    format!(
        "{y}-{:02}-{:02}{}",
        d.month(),
        d.day(),
        if bc { " BC" } else { "" }
    )
}

/// `time` output: `03:04:05`, `03:04:05.25` (trailing fraction zeros
/// dropped), `24:00:00`.
pub fn format_time(t: &NaiveTime) -> String {
    let us = time_to_micros(t);
    let secs = us / 1_000_000;
    let mut s = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    push_fraction(&mut s, (us % 1_000_000) as u32);
    s
}

/// Appends `.ffffff` without trailing zeros (nothing for whole seconds).
pub fn push_fraction(s: &mut String, micros: u32) {
    if micros > 0 {
        let f = format!("{micros:06}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
}

/// `timestamp` output: `2024-01-02 03:04:05.123456`.
pub fn format_timestamp(ts: &NaiveDateTime) -> String {
    if *ts == NaiveDateTime::MAX {
        return "infinity".into();
    }
    if *ts == NaiveDateTime::MIN {
        return "-infinity".into();
    }
    let (y, bc) = year_str(ts.year());
    format!(
        "{y}-{:02}-{:02} {}{}",
        ts.month(),
        ts.day(),
        format_time(&ts.time()),
        if bc { " BC" } else { "" }
    )
}

/// A UTC offset as PostgreSQL prints it: `+00`, `+05:30`, `-03:00:15`.
pub fn format_offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
    if s != 0 {
        format!("{sign}{h:02}:{m:02}:{s:02}")
    } else if m != 0 {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}")
    }
}

/// The local wall-clock time and UTC offset (seconds) of an instant in `tz`.
/// `±infinity` stays infinite (offset 0). Valid instants never overflow
/// (the supported range leaves a year of room); anything else saturates to
/// an infinity rather than panicking.
pub fn to_local(ts: &DateTime<Utc>, tz: &Tz) -> (NaiveDateTime, i32) {
    if timestamptz_is_infinite(ts) {
        return (infinite_naive(ts), 0);
    }
    let off = tz
        .offset_from_utc_datetime(&ts.naive_utc())
        .fix()
        .local_minus_utc();
    match ts
        .naive_utc()
        .checked_add_signed(Duration::seconds(off as i64))
    {
        Some(local) => (local, off),
        None => (saturate(&ts.naive_utc()), 0),
    }
}

fn infinite_naive(ts: &DateTime<Utc>) -> NaiveDateTime {
    if *ts == DateTime::<Utc>::MAX_UTC {
        NaiveDateTime::MAX
    } else {
        NaiveDateTime::MIN
    }
}

fn saturate(t: &NaiveDateTime) -> NaiveDateTime {
    if t.year() > 0 {
        NaiveDateTime::MAX
    } else {
        NaiveDateTime::MIN
    }
}

/// `timestamptz` → `timestamp` in `tz` (`AT TIME ZONE`, casts): infinity
/// stays infinite, a wall-clock time outside the supported range is 22008.
pub fn to_local_checked(ts: &DateTime<Utc>, tz: &Tz) -> Result<NaiveDateTime, SqlError> {
    if timestamptz_is_infinite(ts) {
        return Ok(infinite_naive(ts));
    }
    let (local, _) = to_local(ts, tz);
    if timestamp_in_range(&local) {
        Ok(local)
    } else {
        Err(timestamp_out_of_range())
    }
}

/// The instant of a wall-clock time in `tz`, resolving DST like PostgreSQL:
/// an ambiguous time takes the later instant (standard time), a time in a
/// spring-forward gap uses the offset from before the gap. `None` when the
/// instant is not representable.
fn from_local_opt(local: &NaiveDateTime, tz: &Tz) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(_, later) => Some(later.with_timezone(&Utc)),
        LocalResult::None => {
            let before = local.checked_sub_signed(Duration::hours(12))?;
            let off = match tz.from_local_datetime(&before) {
                LocalResult::Single(t) | LocalResult::Ambiguous(_, t) => {
                    t.offset().fix().local_minus_utc()
                }
                LocalResult::None => 0,
            };
            local
                .checked_sub_signed(Duration::seconds(off as i64))
                .map(|t| t.and_utc())
        }
    }
}

/// `timestamp` → `timestamptz` in `tz` (`AT TIME ZONE`, casts, `+
/// interval`): infinity stays infinite, an instant outside the supported
/// range is 22008.
pub fn from_local(local: &NaiveDateTime, tz: &Tz) -> Result<DateTime<Utc>, SqlError> {
    if timestamp_is_infinite(local) {
        return Ok(if *local == NaiveDateTime::MAX {
            DateTime::<Utc>::MAX_UTC
        } else {
            DateTime::<Utc>::MIN_UTC
        });
    }
    from_local_opt(local, tz)
        .filter(|t| timestamp_in_range(&t.naive_utc()))
        .ok_or_else(timestamp_out_of_range)
}

/// A wall-clock time at a fixed UTC offset as an instant (range-checked).
pub fn from_offset(local: &NaiveDateTime, offset_secs: i32) -> Result<DateTime<Utc>, SqlError> {
    local
        .checked_sub_signed(Duration::seconds(offset_secs as i64))
        .filter(timestamp_in_range)
        .map(|t| t.and_utc())
        .ok_or_else(timestamp_out_of_range)
}

/// `timestamptz` output in the session time zone.
pub fn format_timestamptz(ts: &DateTime<Utc>, tz: &Tz) -> String {
    if *ts == DateTime::<Utc>::MAX_UTC {
        return "infinity".into();
    }
    if *ts == DateTime::<Utc>::MIN_UTC {
        return "-infinity".into();
    }
    let (local, off) = to_local(ts, tz);
    let mut s = format_timestamp(&local);
    let bc = s.ends_with(" BC");
    if bc {
        s.truncate(s.len() - 3);
    }
    s.push_str(&format_offset(off));
    if bc {
        s.push_str(" BC");
    }
    s
}

/// A time zone given in the input.
#[derive(Debug, Clone, Copy)]
enum Zone {
    Fixed(i32),
    Named(Tz),
}

#[derive(Debug, Default)]
struct Fields {
    year: Option<i32>,
    month: Option<u32>,
    day: Option<u32>,
    time: Option<(u32, u32, u32, u32)>,
    zone: Option<Zone>,
    bc: bool,
    pm: Option<bool>,
    special: Option<Special>,
    /// Numbers seen beside a textual month (`Jan 2 2024`).
    loose: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Special {
    Epoch,
    Infinity,
    NegInfinity,
    Now,
    Today,
    Tomorrow,
    Yesterday,
}

/// Why input was rejected: bad syntax (22007), a field out of range
/// (22008), a zone offset out of range (22009), or a date or timestamp
/// outside the supported range (22008).
enum Bad {
    Syntax,
    Range,
    TzRange,
    DateRange,
    TimestampRange,
}

fn month_number(word: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if word.len() < 3 {
        return None;
    }
    let w = if word == "sept" { "sep" } else { word };
    MONTHS
        .iter()
        .position(|m| m.starts_with(w))
        .map(|i| i as u32 + 1)
}

fn is_weekday(word: &str) -> bool {
    const DAYS: [&str; 7] = [
        "sunday",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
    ];
    word.len() >= 3 && DAYS.iter().any(|d| d.starts_with(word))
}

fn abbreviation_offset(word: &str) -> Option<i32> {
    let h = 3600;
    Some(match word {
        "utc" | "gmt" | "z" | "zulu" | "ut" => 0,
        "est" => -5 * h,
        "edt" => -4 * h,
        "cst" => -6 * h,
        "cdt" => -5 * h,
        "mst" => -7 * h,
        "mdt" => -6 * h,
        "pst" => -8 * h,
        "pdt" => -7 * h,
        "akst" => -9 * h,
        "akdt" => -8 * h,
        "hst" => -10 * h,
        "cet" => h,
        "cest" => 2 * h,
        "eet" => 2 * h,
        "eest" => 3 * h,
        "wet" => 0,
        "west" => h,
        "bst" => h,
        "msk" => 3 * h,
        "ist" => 2 * h,
        "jst" => 9 * h,
        "kst" => 9 * h,
        "aest" => 10 * h,
        "aedt" => 11 * h,
        "nzst" => 12 * h,
        "nzdt" => 13 * h,
        _ => return None,
    })
}

/// Parses `+05`, `-0530`, `+05:30`, `+05:30:15` (after the sign); an
/// offset beyond 15:59:59 is 22009 as in PostgreSQL.
fn parse_offset(sign: i32, body: &str) -> Result<i32, Bad> {
    let parts: Vec<&str> = body.split(':').collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || p.len() > 6 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(Bad::Syntax);
    }
    let num = |s: &str| s.parse::<i32>().map_err(|_| Bad::Syntax);
    let (h, m, s) = match parts.as_slice() {
        [one] if one.len() <= 2 => (num(one)?, 0, 0),
        [one] if one.len() == 4 => (num(&one[..2])?, num(&one[2..])?, 0),
        [one] if one.len() == 6 => (num(&one[..2])?, num(&one[2..4])?, num(&one[4..])?),
        [h, m] => (num(h)?, num(m)?, 0),
        [h, m, s] => (num(h)?, num(m)?, num(s)?),
        _ => return Err(Bad::Syntax),
    };
    if h > 15 || m > 59 || s > 59 {
        return Err(Bad::TzRange);
    }
    Ok(sign * (h * 3600 + m * 60 + s))
}

fn parse_time_token(tok: &str, f: &mut Fields) -> Result<(), Bad> {
    let parts: Vec<&str> = tok.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return Err(Bad::Syntax);
    }
    let int = |s: &str| -> Result<u32, Bad> {
        if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Bad::Syntax);
        }
        s.parse().map_err(|_| Bad::Syntax)
    };
    let h = int(parts[0])?;
    let mut m_str = parts[1];
    let mut frac_str = "";
    let mut sec = 0;
    if parts.len() == 3 {
        let (s, fr) = parts[2].split_once('.').unwrap_or((parts[2], ""));
        sec = int(s)?;
        frac_str = fr;
        if parts[2].contains('.') && fr.is_empty() {
            frac_str = "0";
        }
    } else if let Some((m, fr)) = m_str.split_once('.') {
        // `mm.fff` with no seconds field is minutes:seconds in PostgreSQL;
        // treat it as minutes with a fraction of seconds is rare: reject.
        let _ = (m, fr);
        return Err(Bad::Syntax);
    }
    if m_str.is_empty() {
        m_str = "0";
    }
    let m = int(m_str)?;
    let mut micros = 0u64;
    if !frac_str.is_empty() {
        if !frac_str.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Bad::Syntax);
        }
        // Round to microseconds, half up, like PostgreSQL.
        let mut digits: Vec<u64> = frac_str
            .bytes()
            .take(7)
            .map(|b| (b - b'0') as u64)
            .collect();
        digits.resize(7, 0);
        let mut v = 0u64;
        for d in &digits[..6] {
            v = v * 10 + d;
        }
        if digits[6] >= 5 {
            v += 1;
        }
        micros = v;
    }
    f.time = Some((h, m, sec, micros as u32));
    Ok(())
}

fn parse_date_token(tok: &str, f: &mut Fields) -> Result<(), Bad> {
    let sep = if tok.contains('-') {
        '-'
    } else if tok.contains('/') {
        '/'
    } else {
        '.'
    };
    let parts: Vec<&str> = tok.split(sep).collect();
    if parts.len() != 3 {
        // `2024-Jan-02` and friends are not supported; `Jan-02-2024` neither.
        return Err(Bad::Syntax);
    }
    let num = |s: &str| -> Result<u32, Bad> {
        if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Bad::Syntax);
        }
        s.parse().map_err(|_| Bad::Syntax)
    };
    if let Some(m) = month_number(parts[1]) {
        // 02-Jan-2024
        f.day = Some(num(parts[0])?);
        f.month = Some(m);
        f.year = Some(two_digit_year(parts[2], num(parts[2])?));
        return Ok(());
    }
    if let Some(m) = month_number(parts[0]) {
        f.month = Some(m);
        f.day = Some(num(parts[1])?);
        f.year = Some(two_digit_year(parts[2], num(parts[2])?));
        return Ok(());
    }
    let (a, b, c) = (num(parts[0])?, num(parts[1])?, num(parts[2])?);
    if parts[0].len() >= 3 {
        f.year = Some(a as i32);
        f.month = Some(b);
        f.day = Some(c);
    } else {
        // DateStyle MDY.
        f.month = Some(a);
        f.day = Some(b);
        f.year = Some(two_digit_year(parts[2], c));
    }
    Ok(())
}

fn two_digit_year(text: &str, v: u32) -> i32 {
    if text.len() <= 2 {
        if v < 70 {
            2000 + v as i32
        } else {
            1900 + v as i32
        }
    } else {
        v as i32
    }
}

fn tokenize(input: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in input.split(|c: char| c.is_whitespace() || c == ',') {
        if raw.is_empty() {
            continue;
        }
        // ISO 8601 `T` between date and time.
        if let Some(pos) = raw.find(['T', 't']) {
            let (d, rest) = raw.split_at(pos);
            let t = &rest[1..];
            if !d.is_empty()
                && d.bytes().all(|b| b.is_ascii_digit() || b == b'-')
                && t.bytes().next().is_some_and(|b| b.is_ascii_digit())
            {
                out.push(d.to_string());
                out.push(t.to_string());
                continue;
            }
        }
        out.push(raw.to_string());
    }
    out
}

fn parse_fields(input: &str) -> Result<Fields, Bad> {
    let mut f = Fields::default();
    let tokens = tokenize(input.trim());
    if tokens.is_empty() {
        return Err(Bad::Syntax);
    }
    let mut i = 0;
    while i < tokens.len() {
        let orig = &tokens[i];
        let tok = orig.to_ascii_lowercase();
        i += 1;
        let first = tok.as_bytes()[0];
        if tok.contains(':') && first.is_ascii_digit() {
            // A time, maybe with a zone glued on: 03:04:05+05:30, 03:04z.
            let cut = tok.find(['+', '-', 'z']).unwrap_or(tok.len());
            let (t, z) = tok.split_at(cut);
            if f.time.is_some() {
                return Err(Bad::Syntax);
            }
            parse_time_token(t, &mut f)?;
            if !z.is_empty() {
                f.zone = Some(parse_zone_token(z, &orig[cut..])?);
            }
        } else if first.is_ascii_digit() {
            if tok.contains(['-', '/', '.']) {
                if f.year.is_some() || f.month.is_some() {
                    return Err(Bad::Syntax);
                }
                parse_date_token(&tok, &mut f)?;
            } else if !tok.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Bad::Syntax);
            } else if tok.len() == 8 && f.year.is_none() && f.month.is_none() {
                f.year = tok[..4].parse().ok();
                f.month = tok[4..6].parse().ok();
                f.day = tok[6..].parse().ok();
            } else if tok.len() == 6 && f.year.is_some() && f.time.is_none() {
                let n = |r: std::ops::Range<usize>| tok[r].parse::<u32>().unwrap_or(99);
                f.time = Some((n(0..2), n(2..4), n(4..6), 0));
            } else {
                f.loose.push(tok.clone());
            }
        } else if first == b'+' || first == b'-' {
            if tok == "-infinity" {
                f.special = Some(Special::NegInfinity);
            } else {
                f.zone = Some(parse_zone_token(&tok, orig)?);
            }
        } else if tok.contains(['-', '/'])
            && tok
                .split(['-', '/'])
                .next()
                .and_then(month_number)
                .is_some()
        {
            // `Jan-02-2024`.
            if f.year.is_some() || f.month.is_some() {
                return Err(Bad::Syntax);
            }
            parse_date_token(&tok, &mut f)?;
        } else if let Some(m) = month_number(&tok) {
            if f.month.is_some() {
                return Err(Bad::Syntax);
            }
            f.month = Some(m);
        } else {
            match tok.as_str() {
                "am" | "a.m." => f.pm = Some(false),
                "pm" | "p.m." => f.pm = Some(true),
                "bc" => f.bc = true,
                "ad" => {}
                "epoch" => f.special = Some(Special::Epoch),
                "infinity" | "+infinity" => f.special = Some(Special::Infinity),
                "now" => f.special = Some(Special::Now),
                "today" => f.special = Some(Special::Today),
                "tomorrow" => f.special = Some(Special::Tomorrow),
                "yesterday" => f.special = Some(Special::Yesterday),
                "allballs" => f.time = Some((0, 0, 0, 0)),
                w if is_weekday(w) => {}
                _ => {
                    f.zone = Some(parse_zone_token(&tok, orig)?);
                }
            }
        }
    }
    // Numbers beside a textual month: day and year.
    if !f.loose.is_empty() {
        if f.month.is_none() || f.year.is_some() || f.loose.len() > 2 {
            return Err(Bad::Syntax);
        }
        let nums: Vec<(String, u32)> = f
            .loose
            .iter()
            .map(|s| (s.clone(), s.parse::<u32>().unwrap_or(u32::MAX)))
            .collect();
        match nums.as_slice() {
            [(_, d)] => {
                f.day = Some(*d);
            }
            [(ta, a), (tb, b)] => {
                if ta.len() >= 3 || *a > 31 {
                    f.year = Some(*a as i32);
                    f.day = Some(*b);
                } else {
                    f.day = Some(*a);
                    f.year = Some(two_digit_year(tb, *b));
                }
            }
            _ => return Err(Bad::Syntax),
        }
    }
    if let (Some(pm), Some((h, m, s, us))) = (f.pm, f.time) {
        if h == 0 || h > 12 {
            return Err(Bad::Range);
        }
        let h = match (pm, h) {
            (false, 12) => 0,
            (true, 12) => 12,
            (true, h) => h + 12,
            (false, h) => h,
        };
        f.time = Some((h, m, s, us));
    } else if f.pm.is_some() {
        return Err(Bad::Syntax);
    }
    Ok(f)
}

fn parse_zone_token(lower: &str, orig: &str) -> Result<Zone, Bad> {
    if let Some(rest) = lower.strip_prefix('+') {
        return parse_offset(1, rest).map(Zone::Fixed);
    }
    if let Some(rest) = lower.strip_prefix('-') {
        return parse_offset(-1, rest).map(Zone::Fixed);
    }
    if let Some(off) = abbreviation_offset(lower) {
        return Ok(Zone::Fixed(off));
    }
    orig.parse::<Tz>()
        .ok()
        .or_else(|| orig.to_ascii_uppercase().parse::<Tz>().ok())
        .map(Zone::Named)
        .ok_or(Bad::Syntax)
}

/// The date of the fields, checked as a calendar date (22008 for a bad
/// month or day) and against the supported range of years (the caller
/// checks the exact range).
fn build_date(f: &Fields) -> Result<NaiveDate, Bad> {
    let (Some(y), Some(m), Some(d)) = (f.year, f.month, f.day) else {
        return Err(Bad::Syntax);
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(Bad::Range);
    }
    if f.bc && y <= 0 {
        return Err(Bad::Range);
    }
    let y = if f.bc { 1 - y } else { y };
    if !(MIN_DATE.year()..=MAX_DATE.year()).contains(&y) {
        return Err(Bad::DateRange);
    }
    NaiveDate::from_ymd_opt(y, m, d).ok_or(Bad::Range)
}

/// The time of day of the fields as microseconds (0 to 24:00:00; a second
/// of 60 runs into the next minute, as in PostgreSQL).
fn time_of_day(f: &Fields) -> Result<i64, Bad> {
    let (h, m, s, us) = f.time.unwrap_or((0, 0, 0, 0));
    if h > 24 || m > 59 || s > 60 {
        return Err(Bad::Range);
    }
    let total = ((h as i64 * 60 + m as i64) * 60 + s as i64) * 1_000_000 + us as i64;
    if total > DAY_US {
        return Err(Bad::Range);
    }
    Ok(total)
}

fn build_time(f: &Fields) -> Result<NaiveTime, Bad> {
    time_from_micros(time_of_day(f)?).ok_or(Bad::Range)
}

fn datetime_error(bad: Bad, type_name: &str, input: &str) -> SqlError {
    match bad {
        Bad::Syntax => SqlError::new(
            SqlState::INVALID_DATETIME_FORMAT,
            format!("invalid input syntax for type {type_name}: \"{input}\""),
        ),
        Bad::Range => SqlError::new(
            SqlState::DATETIME_FIELD_OVERFLOW,
            format!("date/time field value out of range: \"{input}\""),
        ),
        Bad::TzRange => SqlError::new(
            SqlState::INVALID_TIME_ZONE_DISPLACEMENT,
            format!("time zone displacement out of range: \"{input}\""),
        ),
        Bad::DateRange if type_name == "date" => SqlError::new(
            SqlState::DATETIME_FIELD_OVERFLOW,
            format!("date out of range: \"{input}\""),
        ),
        Bad::DateRange | Bad::TimestampRange => SqlError::new(
            SqlState::DATETIME_FIELD_OVERFLOW,
            format!("timestamp out of range: \"{input}\""),
        ),
    }
}

fn local_now(ctx: &EvalContext) -> NaiveDateTime {
    to_local(&ctx.transaction_start, &ctx.timezone).0
}

/// Resolves a date+time (no special word) to a naive timestamp, rolling
/// 24:00:00, second 60 and microsecond rounding (`23:59:59.9999995`) over
/// into the next day; not yet checked against the supported range.
fn build_timestamp(f: &Fields) -> Result<NaiveDateTime, Bad> {
    let date = build_date(f)?;
    let us = time_of_day(f)?;
    date.and_time(NaiveTime::MIN)
        .checked_add_signed(Duration::microseconds(us))
        .ok_or(Bad::DateRange)
}

fn special_timestamp(sp: Special, ctx: &EvalContext) -> NaiveDateTime {
    let today = local_now(ctx).date();
    let midnight = |d: Option<NaiveDate>| {
        d.and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or(NaiveDateTime::MAX)
    };
    match sp {
        Special::Epoch => midnight(NaiveDate::from_ymd_opt(1970, 1, 1)),
        Special::Infinity => NaiveDateTime::MAX,
        Special::NegInfinity => NaiveDateTime::MIN,
        Special::Now => local_now(ctx),
        Special::Today => midnight(Some(today)),
        Special::Tomorrow => midnight(today.succ_opt()),
        Special::Yesterday => midnight(today.pred_opt()),
    }
}

/// `date` input.
pub fn parse_date(input: &str, ctx: &EvalContext) -> Result<NaiveDate, SqlError> {
    let err = |b| datetime_error(b, "date", input);
    let f = parse_fields(input).map_err(err)?;
    if let Some(sp) = f.special {
        return Ok(match sp {
            Special::Infinity => NaiveDate::MAX,
            Special::NegInfinity => NaiveDate::MIN,
            other => special_timestamp(other, ctx).date(),
        });
    }
    if f.time.is_some() {
        build_time(&f).map_err(err)?;
    }
    let d = build_date(&f).map_err(err)?;
    if !date_in_range(&d) {
        return Err(err(Bad::DateRange));
    }
    Ok(d)
}

/// `time` input (a date or zone in the input is accepted and ignored).
pub fn parse_time(input: &str) -> Result<NaiveTime, SqlError> {
    let err = |b| datetime_error(b, "time", input);
    let f = parse_fields(input).map_err(err)?;
    if f.special.is_some() && f.special != Some(Special::Now) {
        return Err(err(Bad::Syntax));
    }
    if f.time.is_none() {
        return Err(err(Bad::Syntax));
    }
    build_time(&f).map_err(err)
}

/// `timestamp` input (a zone in the input is ignored, as in PostgreSQL).
pub fn parse_timestamp(input: &str, ctx: &EvalContext) -> Result<NaiveDateTime, SqlError> {
    let err = |b| datetime_error(b, "timestamp", input);
    let f = parse_fields(input).map_err(err)?;
    if let Some(sp) = f.special {
        return Ok(special_timestamp(sp, ctx));
    }
    let ts = build_timestamp(&f).map_err(err)?;
    if !timestamp_in_range(&ts) {
        return Err(err(Bad::TimestampRange));
    }
    Ok(ts)
}

/// `timestamptz` input: a zone in the input wins, else the session's.
pub fn parse_timestamptz(input: &str, ctx: &EvalContext) -> Result<DateTime<Utc>, SqlError> {
    let err = |b| datetime_error(b, "timestamp with time zone", input);
    let f = parse_fields(input).map_err(err)?;
    if let Some(sp) = f.special {
        return Ok(match sp {
            Special::Infinity => DateTime::<Utc>::MAX_UTC,
            Special::NegInfinity => DateTime::<Utc>::MIN_UTC,
            Special::Now => ctx.transaction_start,
            Special::Epoch => DateTime::<Utc>::UNIX_EPOCH,
            other => from_local(&special_timestamp(other, ctx), &ctx.timezone)?,
        });
    }
    let local = build_timestamp(&f).map_err(err)?;
    let utc = match f.zone {
        Some(Zone::Fixed(off)) => local
            .checked_sub_signed(Duration::seconds(off as i64))
            .map(|t| t.and_utc()),
        Some(Zone::Named(tz)) => from_local_opt(&local, &tz),
        None => from_local_opt(&local, &ctx.timezone),
    };
    utc.filter(|t| timestamp_in_range(&t.naive_utc()))
        .ok_or_else(|| err(Bad::TimestampRange))
}
