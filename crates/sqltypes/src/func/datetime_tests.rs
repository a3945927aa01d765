//! Date/time edge cases against PostgreSQL 15's actual results: infinities
//! through zone conversions and arithmetic, the edges of the supported
//! range, 24:00:00, and the SQLSTATEs of bad input.

use chrono_tz::Tz;

use crate::cast::{cast, CastContext};
use crate::error::SqlError;
use crate::func::{call, resolve};
use crate::ops::{binary_op, binary_op_type, BinaryOp};
use crate::text;
use crate::types::DataType as T;
use crate::value::{EvalContext, Value};

fn ctx(tz: Tz) -> EvalContext {
    EvalContext {
        timezone: tz,
        transaction_start: chrono::DateTime::parse_from_rfc3339("2024-01-02T03:04:05Z")
            .map(|d| d.with_timezone(&chrono::Utc))
            .unwrap_or_default(),
        ..EvalContext::default()
    }
}

fn show(r: Result<String, SqlError>) -> String {
    r.unwrap_or_else(|e| format!("ERROR {}: {}", e.code, e.message))
}

fn lit(s: &str, ty: &T, c: &EvalContext) -> Result<Value, SqlError> {
    if s == "NULL" {
        return Ok(Value::Null);
    }
    let parse_ty = if *ty == T::Unknown {
        T::Text
    } else {
        ty.clone()
    };
    text::parse(s, &parse_ty, c)
}

/// `name(args...)` with literal arguments, in time zone `tz`.
fn f_in(tz: Tz, name: &str, args: &[(&str, T)]) -> String {
    let c = ctx(tz);
    show((|| {
        let types: Vec<T> = args.iter().map(|(_, t)| t.clone()).collect();
        let sig = resolve(name, &types)?;
        let mut vals = Vec::new();
        for ((s, t), target) in args.iter().zip(sig.args.iter()) {
            vals.push(cast(lit(s, t, &c)?, t, target, CastContext::Implicit, &c)?);
        }
        let r = call(&sig, &vals, &c)?;
        if r.is_null() {
            return Ok("NULL".into());
        }
        Ok(text::format(&r, &sig.result, &c))
    })())
}

fn f(name: &str, args: &[(&str, T)]) -> String {
    f_in(Tz::UTC, name, args)
}

/// `a op b` with literal operands, in time zone `tz`.
fn op_in(tz: Tz, a: (&str, T), op: BinaryOp, b: (&str, T)) -> String {
    let c = ctx(tz);
    show((|| {
        let s = binary_op_type(op, &a.1, &b.1)?;
        let av = cast(
            lit(a.0, &a.1, &c)?,
            &a.1,
            &s.left,
            CastContext::Implicit,
            &c,
        )?;
        let bv = cast(
            lit(b.0, &b.1, &c)?,
            &b.1,
            &s.right,
            CastContext::Implicit,
            &c,
        )?;
        let r = binary_op(op, &av, &bv, &s, &c)?;
        if r.is_null() {
            return Ok("NULL".into());
        }
        Ok(text::format(&r, &s.result, &c))
    })())
}

fn op(a: (&str, T), o: BinaryOp, b: (&str, T)) -> String {
    op_in(Tz::UTC, a, o, b)
}

/// `'s'::from::to` in time zone `tz`.
fn cast_in(tz: Tz, s: &str, from: T, to: T) -> String {
    let c = ctx(tz);
    show((|| {
        let v = cast(lit(s, &from, &c)?, &from, &to, CastContext::Explicit, &c)?;
        if v.is_null() {
            return Ok("NULL".into());
        }
        Ok(text::format(&v, &to, &c))
    })())
}

fn parse_in(tz: Tz, s: &str, ty: T) -> String {
    let c = ctx(tz);
    show(lit(s, &ty, &c).map(|v| text::format(&v, &ty, &c)))
}

fn u(s: &str) -> (&str, T) {
    (s, T::Unknown)
}
fn ts(s: &str) -> (&str, T) {
    (s, T::Timestamp)
}
fn tstz(s: &str) -> (&str, T) {
    (s, T::TimestampTz)
}
fn date(s: &str) -> (&str, T) {
    (s, T::Date)
}
fn time(s: &str) -> (&str, T) {
    (s, T::Time)
}
fn iv(s: &str) -> (&str, T) {
    (s, T::Interval)
}
fn int(s: &str) -> (&str, T) {
    (s, T::Int4)
}
fn fl(s: &str) -> (&str, T) {
    (s, T::Float8)
}

const NY: Tz = chrono_tz::America::New_York;
const TOKYO: Tz = chrono_tz::Asia::Tokyo;

#[test]
fn infinity_through_zone_conversions_never_panics() {
    for zone in [
        "America/New_York",
        "Asia/Tokyo",
        "UTC",
        "Pacific/Kiritimati",
    ] {
        for v in ["infinity", "-infinity"] {
            assert_eq!(f("timezone", &[u(zone), ts(v)]), v, "{zone} {v}");
            assert_eq!(f("timezone", &[u(zone), tstz(v)]), v, "{zone} {v}");
            assert_eq!(f("date_trunc", &[u("day"), tstz(v), u(zone)]), v);
        }
    }
    for tz in [NY, TOKYO] {
        assert_eq!(parse_in(tz, "infinity", T::TimestampTz), "infinity");
        assert_eq!(
            cast_in(tz, "-infinity", T::Timestamp, T::TimestampTz),
            "-infinity"
        );
        assert_eq!(
            cast_in(tz, "infinity", T::TimestampTz, T::Timestamp),
            "infinity"
        );
        assert_eq!(
            cast_in(tz, "-infinity", T::TimestampTz, T::Date),
            "-infinity"
        );
        assert_eq!(cast_in(tz, "infinity", T::Date, T::TimestampTz), "infinity");
        assert_eq!(
            f_in(tz, "date_trunc", &[u("hour"), tstz("infinity")]),
            "infinity"
        );
        assert_eq!(
            op_in(tz, tstz("-infinity"), BinaryOp::Sub, iv("1 day")),
            "-infinity"
        );
        assert_eq!(
            op_in(tz, tstz("infinity"), BinaryOp::Add, iv("1 mon")),
            "infinity"
        );
    }
    assert_eq!(op(ts("infinity"), BinaryOp::Add, iv("1 day")), "infinity");
    assert_eq!(
        op(date("infinity"), BinaryOp::Add, time("00:00")),
        "infinity"
    );
    assert_eq!(op(date("-infinity"), BinaryOp::Sub, int("1")), "-infinity");
}

#[test]
fn edges_of_the_range_are_22008_not_a_panic() {
    let oor = "ERROR 22008: timestamp out of range";
    // Just inside at the low end, then shifted out by a zone.
    assert_eq!(
        f("timezone", &[u("Asia/Tokyo"), ts("4714-11-24 00:30 BC")]),
        oor
    );
    assert_eq!(
        f(
            "timezone",
            &[u("America/New_York"), tstz("4714-11-24 00:30+00 BC")]
        ),
        oor
    );
    // The high end of rangedb's range (262141-12-31).
    assert_eq!(
        f(
            "timezone",
            &[u("America/New_York"), ts("262141-12-31 23:00")]
        ),
        oor
    );
    assert_eq!(
        f(
            "timezone",
            &[u("Asia/Tokyo"), tstz("262141-12-31 23:00+00")]
        ),
        oor
    );
    assert_eq!(
        f("timezone", &[u("Asia/Tokyo"), ts("262141-12-31 23:00")]),
        "262141-12-31 14:00:00+00"
    );
    assert_eq!(
        parse_in(Tz::UTC, "262141-12-31 23:00-15:00", T::TimestampTz),
        "ERROR 22008: timestamp out of range: \"262141-12-31 23:00-15:00\""
    );
    // Output of a valid instant in a zone east of UTC may pass the end.
    assert_eq!(
        parse_in(TOKYO, "262141-12-31 23:00+00", T::TimestampTz),
        "262142-01-01 08:00:00+09"
    );
    assert_eq!(
        f_in(
            NY,
            "make_timestamptz",
            &[
                int("262141"),
                int("12"),
                int("31"),
                int("23"),
                int("0"),
                fl("0")
            ]
        ),
        oor
    );
    assert_eq!(
        f_in(
            TOKYO,
            "date_trunc",
            &[u("day"), tstz("262141-12-31 23:00+00")]
        ),
        "262142-01-01 00:00:00+09"
    );
    assert_eq!(
        f(
            "date_trunc",
            &[u("day"), tstz("262141-12-31 23:00+00"), u("Asia/Tokyo")]
        ),
        "262141-12-31 15:00:00+00"
    );
    assert_eq!(
        f_in(
            TOKYO,
            "date_trunc",
            &[u("year"), tstz("262141-12-31 23:00+00")]
        ),
        "262142-01-01 00:00:00+09"
    );
    assert_eq!(
        f_in(
            NY,
            "date_trunc",
            &[u("month"), tstz("4714-11-24 12:00+00 BC")]
        ),
        oor
    );
    assert_eq!(op(ts("262141-12-31"), BinaryOp::Add, iv("1 day")), oor);
    assert_eq!(op(ts("2020-01-01"), BinaryOp::Add, iv("300000 years")), oor);
    assert_eq!(op(ts("4714-11-24 BC"), BinaryOp::Sub, iv("1 us")), oor);
    assert_eq!(
        op_in(
            NY,
            tstz("262141-12-31 12:00+00"),
            BinaryOp::Add,
            iv("1 day")
        ),
        oor
    );
    assert_eq!(
        op(date("262141-12-31"), BinaryOp::Add, int("1")),
        "ERROR 22008: date out of range"
    );
    assert_eq!(
        op(date("2020-05-17"), BinaryOp::Add, int("100000000")),
        "ERROR 22008: date out of range"
    );
    assert_eq!(
        op(date("4714-11-24 BC"), BinaryOp::Sub, int("1")),
        "ERROR 22008: date out of range"
    );
    assert_eq!(
        op(date("262141-12-31"), BinaryOp::Add, time("23:00")),
        "262141-12-31 23:00:00"
    );
    assert_eq!(op(date("262141-12-31"), BinaryOp::Add, time("24:00")), oor);
    assert_eq!(
        cast_in(NY, "262141-12-31 23:00", T::Timestamp, T::TimestampTz),
        oor
    );
    assert_eq!(
        cast_in(NY, "4714-11-24 01:00+00 BC", T::TimestampTz, T::Timestamp),
        oor
    );
    assert_eq!(
        cast_in(NY, "4714-11-24 01:00+00 BC", T::TimestampTz, T::Date),
        "4714-11-23 BC"
    );
}

#[test]
fn real_dates_never_equal_infinity() {
    let d = |s: &str| parse_in(Tz::UTC, s, T::Date);
    assert_eq!(d("262141-12-31"), "262141-12-31");
    // Past rangedb's range (PostgreSQL's goes on to 5874897 AD).
    assert_eq!(
        d("262142-12-31"),
        "ERROR 22008: date out of range: \"262142-12-31\""
    );
    assert_eq!(
        d("5874898-01-01"),
        "ERROR 22008: date out of range: \"5874898-01-01\""
    );
    assert_eq!(
        d("99999999-01-01"),
        "ERROR 22008: date out of range: \"99999999-01-01\""
    );
    assert_eq!(d("4714-11-24 BC"), "4714-11-24 BC");
    assert_eq!(
        d("4714-11-23 BC"),
        "ERROR 22008: date out of range: \"4714-11-23 BC\""
    );
    assert_eq!(
        d("200000-01-01 BC"),
        "ERROR 22008: date out of range: \"200000-01-01 BC\""
    );
    let t = |s: &str| parse_in(Tz::UTC, s, T::Timestamp);
    assert_eq!(t("4714-11-24 00:00 BC"), "4714-11-24 00:00:00 BC");
    assert_eq!(
        t("294277-01-01"),
        "ERROR 22008: timestamp out of range: \"294277-01-01\""
    );
    assert_eq!(
        t("262141-12-31 23:59:59.999999"),
        "262141-12-31 23:59:59.999999"
    );
    let tz = |s: &str| parse_in(Tz::UTC, s, T::TimestampTz);
    assert_eq!(
        tz("5000-01-01 BC"),
        "ERROR 22008: timestamp out of range: \"5000-01-01 BC\""
    );
    assert_eq!(
        tz("4714-11-24 00:00+01 BC"),
        "ERROR 22008: timestamp out of range: \"4714-11-24 00:00+01 BC\""
    );
    assert_eq!(tz("4714-11-24 00:00 BC"), "4714-11-24 00:00:00+00 BC");
    assert_eq!(
        f("make_date", &[int("-262144"), int("1"), int("1")]),
        "ERROR 22008: date out of range: -262143-01-01"
    );
    assert_eq!(
        f("make_date", &[int("-4714"), int("11"), int("23")]),
        "ERROR 22008: date out of range: -4713-11-23"
    );
    assert_eq!(
        f("make_date", &[int("-1"), int("1"), int("1")]),
        "0001-01-01 BC"
    );
    assert_eq!(
        f("make_date", &[int("0"), int("1"), int("1")]),
        "ERROR 22008: date field value out of range: 0-01-01"
    );
    assert_eq!(
        f("to_timestamp", &[fl("-8334601228800")]),
        "ERROR 22008: timestamp out of range: \"-8.3346e+12\""
    );
    assert_eq!(
        f("to_timestamp", &[fl("-210866803201")]),
        "ERROR 22008: timestamp out of range: \"-2.10867e+11\""
    );
    assert_eq!(
        f("to_timestamp", &[fl("-210866803200")]),
        "4714-11-24 00:00:00+00 BC"
    );
    assert_eq!(f("to_timestamp", &[fl("Infinity")]), "infinity");
    // Infinity compares equal across date and timestamp.
    assert_eq!(op(date("infinity"), BinaryOp::Eq, ts("infinity")), "t");
    assert_eq!(
        op(date("-infinity"), BinaryOp::Lt, ts("4714-11-24 BC")),
        "t"
    );
    assert_eq!(
        op(date("262141-12-31"), BinaryOp::Lt, date("infinity")),
        "t"
    );
}

#[test]
fn infinite_values_in_functions() {
    assert_eq!(f("isfinite", &[tstz("infinity")]), "f");
    assert_eq!(f("isfinite", &[ts("-infinity")]), "f");
    assert_eq!(f("isfinite", &[date("2020-01-01")]), "t");
    for ty in [T::Timestamp, T::TimestampTz] {
        assert_eq!(cast_in(NY, "infinity", ty.clone(), T::Time), "NULL");
        assert_eq!(cast_in(NY, "-infinity", ty.clone(), T::Time), "NULL");
        assert_eq!(f("to_char", &[("infinity", ty.clone()), u("YYYY")]), "NULL");
    }
    assert_eq!(f("to_char", &[date("-infinity"), u("YYYY")]), "NULL");
    let ex = |unit: &str, v: (&str, T)| f("extract", &[u(unit), v]);
    assert_eq!(ex("epoch", ts("infinity")), "Infinity");
    assert_eq!(ex("year", ts("-infinity")), "-Infinity");
    assert_eq!(ex("year", tstz("-infinity")), "-Infinity");
    assert_eq!(ex("julian", date("infinity")), "Infinity");
    assert_eq!(ex("month", ts("infinity")), "NULL");
    assert_eq!(
        ex("hour", date("infinity")),
        "ERROR 0A000: unit \"hour\" not supported for type date"
    );
    assert_eq!(
        ex("foo", ts("infinity")),
        "ERROR 22023: unit \"foo\" not recognized for type timestamp without time zone"
    );
    assert_eq!(
        f("date_part", &[u("epoch"), date("-infinity")]),
        "-Infinity"
    );
    assert_eq!(f("date_part", &[u("month"), ts("infinity")]), "NULL");
    assert_eq!(f("to_jsonb", &[tstz("-infinity")]), "\"-infinity\"");
    assert_eq!(f("to_jsonb", &[ts("infinity")]), "\"infinity\"");
}

#[test]
fn infinite_numeric_extract_is_sent_as_numeric_infinity() {
    let bytes = crate::binary::encode(&Value::Float8(f64::INFINITY), &T::Numeric(None));
    assert_eq!(bytes.ok(), Some(vec![0, 0, 0, 0, 0xD0, 0, 0, 0]));
}

#[test]
fn twenty_four_hundred() {
    let t = |s: &str| parse_in(Tz::UTC, s, T::Time);
    assert_eq!(t("24:00"), "24:00:00");
    assert_eq!(t("23:59:59.9999999"), "24:00:00");
    assert_eq!(t("23:59:60"), "24:00:00");
    assert_eq!(t("12:34:60"), "12:35:00");
    assert_eq!(t("12:34:60.5"), "12:35:00.5");
    assert_eq!(t("12:34:59.9999999"), "12:35:00");
    for bad in ["24:00:00.1", "23:59:60.5", "25:00", "12:60:00"] {
        assert_eq!(
            t(bad),
            format!("ERROR 22008: date/time field value out of range: \"{bad}\"")
        );
    }
    let ts_ = |s: &str| parse_in(Tz::UTC, s, T::Timestamp);
    assert_eq!(ts_("2020-01-01 24:00"), "2020-01-02 00:00:00");
    assert_eq!(ts_("2020-01-01 23:59:60"), "2020-01-02 00:00:00");
    assert_eq!(ts_("2020-01-01 23:59:59.9999999"), "2020-01-02 00:00:00");
    assert_eq!(
        ts_("2020-01-01 23:59:60.5"),
        "ERROR 22008: date/time field value out of range: \"2020-01-01 23:59:60.5\""
    );
    assert_eq!(
        parse_in(Tz::UTC, "2020-01-01 24:00:00+02", T::TimestampTz),
        "2020-01-01 22:00:00+00"
    );
    assert_eq!(
        op(time("24:00"), BinaryOp::Gt, time("23:59:59.999999")),
        "t"
    );
    assert_eq!(op(time("24:00"), BinaryOp::Add, iv("1 min")), "00:01:00");
    assert_eq!(op(time("24:00"), BinaryOp::Sub, iv("1 min")), "23:59:00");
    assert_eq!(op(time("24:00"), BinaryOp::Sub, time("00:00")), "24:00:00");
    assert_eq!(
        op(date("2020-01-01"), BinaryOp::Add, time("24:00")),
        "2020-01-02 00:00:00"
    );
    assert_eq!(f("extract", &[u("hour"), time("24:00")]), "24");
    assert_eq!(f("extract", &[u("minute"), time("24:00")]), "0");
    assert_eq!(f("extract", &[u("epoch"), time("24:00")]), "86400.000000");
    assert_eq!(f("date_part", &[u("hour"), time("24:00")]), "24");
    assert_eq!(cast_in(Tz::UTC, "24:00", T::Time, T::Interval), "24:00:00");
    let mt = |h: &str, m: &str, s: &str| f("make_time", &[int(h), int(m), fl(s)]);
    assert_eq!(mt("23", "59", "60"), "24:00:00");
    assert_eq!(mt("23", "59", "59.9999999"), "24:00:00");
    assert_eq!(mt("24", "0", "0"), "24:00:00");
    assert_eq!(mt("1", "2", "5.5"), "01:02:05.5");
    assert_eq!(
        mt("24", "0", "0.1"),
        "ERROR 22008: time field value out of range: 24:00:0.1"
    );
    assert_eq!(
        mt("1", "2", "-1"),
        "ERROR 22008: time field value out of range: 1:02:-1"
    );
    assert_eq!(
        mt("25", "2", "5"),
        "ERROR 22008: time field value out of range: 25:02:05"
    );
    assert_eq!(
        mt("1", "2", "NaN"),
        "ERROR 22008: time field value out of range: 1:02:NaN"
    );
    let mts = |h: &str, s: &str| {
        f(
            "make_timestamp",
            &[int("2020"), int("2"), int("29"), int(h), int("0"), fl(s)],
        )
    };
    assert_eq!(mts("24", "0"), "2020-03-01 00:00:00");
    assert_eq!(
        mts("24", "0.5"),
        "ERROR 22008: time field value out of range: 24:00:0.5"
    );
    assert_eq!(
        f(
            "make_timestamp",
            &[
                int("2020"),
                int("2"),
                int("29"),
                int("23"),
                int("59"),
                fl("60")
            ]
        ),
        "2020-03-01 00:00:00"
    );
    assert_eq!(
        f(
            "make_timestamp",
            &[
                int("-4714"),
                int("11"),
                int("23"),
                int("0"),
                int("0"),
                fl("0")
            ]
        ),
        "ERROR 22008: timestamp out of range: -4714-11-23 0:00:00"
    );
    assert_eq!(
        f(
            "make_timestamp",
            &[int("-1"), int("1"), int("1"), int("0"), int("0"), fl("0")]
        ),
        "0001-01-01 00:00:00 BC"
    );
    // 24:00:00 through the binary format.
    let c = ctx(Tz::UTC);
    let v = lit("24:00", &T::Time, &c).unwrap_or(Value::Null);
    let bytes = crate::binary::encode(&v, &T::Time).unwrap_or_default();
    assert_eq!(bytes, 86_400_000_000i64.to_be_bytes());
    let back = crate::binary::decode(&bytes, &T::Time).unwrap_or(Value::Null);
    assert_eq!(text::format(&back, &T::Time, &c), "24:00:00");
}

#[test]
fn date_trunc_keeps_the_offset_below_a_day() {
    let tr = |unit: &str, v: &str| f_in(NY, "date_trunc", &[u(unit), tstz(v)]);
    // 01:30 EDT, the first of the two 01:30s.
    assert_eq!(
        tr("hour", "2020-11-01 05:30:00+00"),
        "2020-11-01 01:00:00-04"
    );
    assert_eq!(
        tr("day", "2020-11-01 05:30:00+00"),
        "2020-11-01 00:00:00-04"
    );
    // 01:30 EST, the second.
    assert_eq!(
        tr("hour", "2020-11-01 06:30:00+00"),
        "2020-11-01 01:00:00-05"
    );
    assert_eq!(
        tr("minute", "2020-11-01 06:30:40+00"),
        "2020-11-01 01:30:00-05"
    );
    assert_eq!(
        f(
            "date_trunc",
            &[
                u("hour"),
                tstz("2020-11-01 05:30:00+00"),
                u("America/New_York")
            ]
        ),
        "2020-11-01 05:00:00+00"
    );
}

#[test]
fn bad_input_sqlstates() {
    let p = |s: &str, ty: T| parse_in(Tz::UTC, s, ty);
    assert_eq!(
        p("2020-05-17 13:45:12+16", T::TimestampTz),
        "ERROR 22009: time zone displacement out of range: \"2020-05-17 13:45:12+16\""
    );
    assert_eq!(
        p("2020-05-17 13:45:12+15:60", T::TimestampTz),
        "ERROR 22009: time zone displacement out of range: \"2020-05-17 13:45:12+15:60\""
    );
    assert_eq!(
        p("2020-05-17 13:45:12+15:59", T::TimestampTz),
        "2020-05-16 21:46:12+00"
    );
    let i = |s: &str| p(s, T::Interval);
    for s in [
        "10:61",
        "1:60",
        "10:59:61",
        "1 day 10:61",
        "2147483648 days",
        "2147483648 months",
        "2000000000 days 2000000000 days",
        "3000000000 hours",
        "99999999999999999999 seconds",
        "P2147483648D",
    ] {
        assert_eq!(
            i(s),
            format!("ERROR 22015: interval field value out of range: \"{s}\""),
            "{s}"
        );
    }
    assert_eq!(
        i("-25:61:00"),
        "ERROR 22007: invalid input syntax for type interval: \"-25:61:00\""
    );
    assert_eq!(i("178956971 years"), "ERROR 22008: interval out of range");
    assert_eq!(i("10:59:60"), "11:00:00");
    assert_eq!(i("100:00"), "100:00:00");
    assert_eq!(i("2147483647.5 days"), "2147483647 days 12:00:00");
    assert_eq!(i("9223372036854775807 us"), "2562047788:00:54.775807");
    let oor = "ERROR 22008: interval out of range";
    assert_eq!(
        f(
            "justify_interval",
            &[iv("2147483647 months 2147483647 days")]
        ),
        oor
    );
    assert_eq!(
        f("justify_interval", &[iv("2147483647 months 30 days -1 us")]),
        oor
    );
    assert_eq!(f("justify_hours", &[iv("2147483647 days 24 hours")]), oor);
    assert_eq!(f("justify_days", &[iv("2147483647 months 30 days")]), oor);
    assert_eq!(
        f("justify_interval", &[iv("1 mon -1 hour")]),
        "29 days 23:00:00"
    );
}

#[test]
fn zone_conversions_at_the_edges_never_panic_in_any_zone() {
    use crate::text::datetime::{self as dt, MAX_TIMESTAMP, MIN_TIMESTAMP};
    use chrono::{DateTime, NaiveDateTime, Utc};
    let naive = [
        NaiveDateTime::MAX,
        NaiveDateTime::MIN,
        MAX_TIMESTAMP,
        MIN_TIMESTAMP,
    ];
    let instants = [
        DateTime::<Utc>::MAX_UTC,
        DateTime::<Utc>::MIN_UTC,
        MAX_TIMESTAMP.and_utc(),
        MIN_TIMESTAMP.and_utc(),
    ];
    let ivs = [
        crate::Interval {
            months: i32::MAX,
            days: i32::MAX,
            micros: i64::MAX,
        },
        crate::Interval {
            months: i32::MIN,
            days: i32::MIN,
            micros: i64::MIN,
        },
        crate::Interval {
            months: 0,
            days: 1,
            micros: 0,
        },
    ];
    for tz in chrono_tz::TZ_VARIANTS {
        let c = EvalContext {
            timezone: tz,
            ..EvalContext::default()
        };
        for n in &naive {
            let _ = dt::from_local(n, &tz);
            let _ = crate::ops::time::ts_add(*n, &ivs[0]);
            let _ = super::trunc_timestamp("week", *n, &T::Timestamp);
        }
        for t in &instants {
            let _ = dt::to_local(t, &tz);
            let _ = dt::to_local_checked(t, &tz);
            let _ = dt::format_timestamptz(t, &tz);
            let _ = super::trunc_timestamptz("day", t, &tz);
            let _ = super::trunc_timestamptz("hour", t, &tz);
            let _ = crate::func::to_char::to_char(&Value::TimestampTz(*t), None, "YYYY TZ OF", &c);
            for iv in &ivs {
                let _ = crate::ops::time::tstz_add(*t, iv, &tz);
            }
        }
    }
}
