//! Functions against PostgreSQL 15's actual results.

use super::*;
use crate::cast::cast;
use crate::text;

fn ctx() -> EvalContext {
    EvalContext {
        transaction_start: chrono::DateTime::parse_from_rfc3339("2024-01-02T03:04:05Z")
            .map(|d| d.with_timezone(&chrono::Utc))
            .unwrap_or_default(),
        ..EvalContext::default()
    }
}

/// Calls `name` with literal arguments given as (text, type) the way the
/// planner would: resolve, cast, call, print.
fn f(name: &str, args: &[(&str, DataType)]) -> String {
    let c = ctx();
    let run = || -> Result<String, SqlError> {
        let types: Vec<DataType> = args.iter().map(|(_, t)| t.clone()).collect();
        let sig = resolve(name, &types)?;
        let mut vals = Vec::new();
        for ((s, t), target) in args.iter().zip(sig.args.iter()) {
            let v = if *s == "NULL" {
                Value::Null
            } else {
                text::parse(
                    s,
                    &if *t == DataType::Unknown {
                        DataType::Text
                    } else {
                        t.clone()
                    },
                    &c,
                )?
            };
            vals.push(cast(v, t, target, CastContext::Implicit, &c)?);
        }
        let r = call(&sig, &vals, &c)?;
        if r.is_null() {
            return Ok("NULL".into());
        }
        Ok(text::format(&r, &sig.result, &c))
    };
    run().unwrap_or_else(|e| format!("ERROR {}: {}", e.code, e.message))
}

use DataType as T;

fn u(s: &str) -> (&str, DataType) {
    (s, T::Unknown)
}
fn i(s: &str) -> (&str, DataType) {
    (s, T::Int4)
}
fn n(s: &str) -> (&str, DataType) {
    (s, T::Numeric(None))
}
fn d(s: &str) -> (&str, DataType) {
    (s, T::Float8)
}

#[test]
fn resolution() {
    assert_eq!(
        resolve("round", &[T::Int4]).map(|s| s.result),
        Ok(T::Float8)
    );
    assert_eq!(resolve("abs", &[T::Int2]).map(|s| s.result), Ok(T::Int2));
    assert_eq!(
        resolve("length", &[T::Unknown]).map(|s| s.result),
        Ok(T::Int4)
    );
    assert_eq!(
        resolve("round", &[T::Int8, T::Int4]).map(|s| s.result),
        Ok(T::Numeric(None))
    );
    assert_eq!(
        f("foo", &[i("1"), u("a")]),
        "ERROR 42883: function foo(integer, unknown) does not exist"
    );
    assert_eq!(
        f("length", &[i("1")]),
        "ERROR 42883: function length(integer) does not exist"
    );
}

#[test]
fn math() {
    assert_eq!(f("round", &[i("5")]), "5");
    assert_eq!(f("round", &[n("2.5")]), "3");
    assert_eq!(f("round", &[d("2.5")]), "2");
    assert_eq!(f("round", &[n("-2.5")]), "-3");
    assert_eq!(f("round", &[n("1234.5"), i("-2")]), "1200");
    assert_eq!(f("round", &[n("2.5"), i("2")]), "2.50");
    assert_eq!(f("trunc", &[n("-2.7")]), "-2");
    assert_eq!(f("trunc", &[n("1.2345"), i("2")]), "1.23");
    assert_eq!(f("ceil", &[n("1.2")]), "2");
    assert_eq!(f("floor", &[n("-1.2")]), "-2");
    assert_eq!(f("ceil", &[d("1.2")]), "2");
    assert_eq!(f("abs", &[n("-1.50")]), "1.50");
    assert_eq!(
        f("abs", &[("-2147483648", T::Int4)]),
        "ERROR 22003: integer out of range"
    );
    assert_eq!(f("sqrt", &[n("2")]), "1.414213562373095");
    assert_eq!(f("sqrt", &[n("100")]), "10.000000000000000");
    assert_eq!(f("exp", &[n("1")]), "2.7182818284590452");
    assert_eq!(f("ln", &[n("10")]), "2.3025850929940457");
    assert_eq!(f("log", &[n("100")]), "2.0000000000000000");
    assert_eq!(f("log", &[n("2"), n("8")]), "3.0000000000000000");
    assert_eq!(f("log", &[i("1000")]), "3");
    assert_eq!(f("ln", &[n("2.0")]), "0.6931471805599453");
    assert_eq!(f("exp", &[n("2.5")]), "12.182493960703473");
    assert_eq!(f("power", &[n("2"), i("10")]), "1024.0000000000000000");
    assert_eq!(f("power", &[i("2"), i("10")]), "1024");
    assert_eq!(f("mod", &[i("7"), i("3")]), "1");
    assert_eq!(f("mod", &[n("7.5"), i("2")]), "1.5");
    assert_eq!(f("div", &[n("7.5"), i("2")]), "3");
    assert_eq!(f("sign", &[n("-2.5")]), "-1");
    assert_eq!(f("gcd", &[i("12"), i("18")]), "6");
    assert_eq!(f("lcm", &[i("4"), i("6")]), "12");
    assert_eq!(f("degrees", &[d("3.141592653589793")]), "180");
    assert_eq!(f("pi", &[]), "3.141592653589793");
    assert_eq!(
        f("sqrt", &[i("-1")]),
        "ERROR 2201F: cannot take square root of a negative number"
    );
    assert_eq!(
        f("ln", &[i("0")]),
        "ERROR 2201E: cannot take logarithm of zero"
    );
    assert_eq!(
        f("ln", &[i("-1")]),
        "ERROR 2201E: cannot take logarithm of a negative number"
    );
    assert_eq!(
        f("log", &[n("0")]),
        "ERROR 2201E: cannot take logarithm of zero"
    );
    let r = f("random", &[]);
    let v: f64 = r.parse().unwrap_or(-1.0);
    assert!((0.0..1.0).contains(&v), "{r}");
}

#[test]
fn strings() {
    assert_eq!(f("length", &[("abc  ", T::Char(Some(5)))]), "3");
    assert_eq!(f("length", &[u("abc")]), "3");
    assert_eq!(f("substr", &[u("hello"), i("2")]), "ello");
    assert_eq!(f("substr", &[u("hello"), i("0"), i("3")]), "he");
    assert_eq!(f("substr", &[u("hello"), i("-1"), i("3")]), "h");
    assert_eq!(
        f("substr", &[u("hello"), i("1"), i("-1")]),
        "ERROR 22011: negative substring length not allowed"
    );
    assert_eq!(f("left", &[u("hello"), i("-2")]), "hel");
    assert_eq!(f("right", &[u("hello"), i("-2")]), "llo");
    assert_eq!(f("lpad", &[u("hi"), i("5"), u("xy")]), "xyxhi");
    assert_eq!(f("lpad", &[u("hello"), i("3")]), "hel");
    assert_eq!(f("rpad", &[u("hi"), i("5")]), "hi   ");
    assert_eq!(f("split_part", &[u("a,b,c"), u(","), i("-1")]), "c");
    assert_eq!(
        f("initcap", &[u("hELLO wORLD-foo bar_baz")]),
        "Hello World-Foo Bar_Baz"
    );
    assert_eq!(f("repeat", &[u("ab"), i("-1")]), "");
    assert_eq!(f("to_hex", &[i("-1")]), "ffffffff");
    assert_eq!(f("to_hex", &[("255", T::Int8)]), "ff");
    assert_eq!(f("chr", &[i("65")]), "A");
    assert_eq!(f("ascii", &[u("A")]), "65");
    assert_eq!(f("md5", &[u("a")]), "0cc175b9c0f1b6a831c399e269772661");
    assert_eq!(
        f(
            "format",
            &[u("%s|%I|%L|%L"), u("x"), u("A b"), u("it's"), u("NULL")]
        ),
        "x|\"A b\"|'it''s'|NULL"
    );
    assert_eq!(
        f("concat", &[u("a"), u("NULL"), i("1"), ("t", T::Bool)]),
        "a1t"
    );
    assert_eq!(f("concat_ws", &[u(","), u("a"), u("NULL"), u("b")]), "a,b");
    assert_eq!(f("strpos", &[u("hello"), u("l")]), "3");
    assert_eq!(f("position", &[u("hello"), u("z")]), "0");
    assert_eq!(f("btrim", &[u("xxhixx"), u("x")]), "hi");
    assert_eq!(f("ltrim", &[u("  hi ")]), "hi ");
    assert_eq!(f("replace", &[u("abcabc"), u("b"), u("X")]), "aXcaXc");
    assert_eq!(f("reverse", &[u("abc")]), "cba");
    assert_eq!(f("starts_with", &[u("abc"), u("ab")]), "t");
    // One character to one, as PostgreSQL maps (even under a UTF-8 locale).
    assert_eq!(f("upper", &[u("straße")]), "STRAßE");
    assert_eq!(f("encode", &[("\\x0102ff", T::Bytea), u("base64")]), "AQL/");
    assert_eq!(f("decode", &[u("AQL/"), u("base64")]), "\\x0102ff");
    assert_eq!(f("translate", &[u("12345"), u("143"), u("ax")]), "a2x5");
    assert_eq!(f("length", &[u("NULL")]), "NULL");
}

#[test]
fn datetime_functions() {
    let ts = |s| (s, T::Timestamp);
    assert_eq!(f("now", &[]), "2024-01-02 03:04:05+00");
    assert_eq!(f("current_date", &[]), "2024-01-02");
    assert_eq!(
        f("extract", &[u("second"), ts("2024-01-02 03:04:05")]),
        "5.000000"
    );
    assert_eq!(
        f("extract", &[u("epoch"), ts("2024-01-02 03:04:05.5")]),
        "1704164645.500000"
    );
    assert_eq!(
        f("extract", &[u("milliseconds"), ts("2024-01-02 03:04:05")]),
        "5000.000"
    );
    assert_eq!(
        f("extract", &[u("microseconds"), ts("2024-01-02 03:04:05")]),
        "5000000"
    );
    assert_eq!(
        f("extract", &[u("year"), ts("2024-01-02 03:04:05")]),
        "2024"
    );
    assert_eq!(f("extract", &[u("dow"), ("2024-01-02", T::Date)]), "2");
    assert_eq!(
        f("date_part", &[u("second"), ts("2024-01-02 03:04:05.5")]),
        "5.5"
    );
    assert_eq!(
        f("extract", &[u("epoch"), ("1 year 1 day", T::Interval)]),
        "31644000.000000"
    );
    assert_eq!(
        f("extract", &[u("epoch"), ("2024-01-02", T::Date)]),
        "1704153600"
    );
    assert_eq!(
        f("extract", &[u("julian"), ("2024-01-02", T::Date)]),
        "2460312"
    );
    assert_eq!(f("extract", &[u("hour"), ("25 hours", T::Interval)]), "25");
    assert_eq!(
        f("extract", &[u("hour"), ("2024-01-01", T::Date)]),
        "ERROR 0A000: unit \"hour\" not supported for type date"
    );
    assert_eq!(
        f(
            "date_trunc",
            &[u("foo"), ("2024-01-01 00:00+00", T::TimestampTz)]
        ),
        "ERROR 22023: unit \"foo\" not recognized for type timestamp with time zone"
    );
    assert_eq!(
        f("age", &[ts("2024-03-01"), ts("2023-01-31 10:00")]),
        "1 year 1 mon 14:00:00"
    );
    assert_eq!(
        f("age", &[ts("2023-01-31"), ts("2024-03-01 10:00")]),
        "-1 years -1 mons -1 days -10:00:00"
    );
    assert_eq!(
        f("date_trunc", &[u("week"), ts("2024-01-04 10:00")]),
        "2024-01-01 00:00:00"
    );
    assert_eq!(
        f("date_trunc", &[u("quarter"), ts("2024-05-04 10:00")]),
        "2024-04-01 00:00:00"
    );
    assert_eq!(
        f("date_trunc", &[u("hour"), ("1 day 02:30:40", T::Interval)]),
        "1 day 02:00:00"
    );
    assert_eq!(
        f(
            "date_trunc",
            &[u("year"), ("1 year 2 months 3 days", T::Interval)]
        ),
        "1 year"
    );
    assert_eq!(
        f("date_trunc", &[u("century"), ts("2024-05-04")]),
        "2001-01-01 00:00:00"
    );
    assert_eq!(f("make_date", &[i("2024"), i("2"), i("29")]), "2024-02-29");
    assert_eq!(
        f("make_date", &[i("2023"), i("2"), i("29")]),
        "ERROR 22008: date field value out of range: 2023-02-29"
    );
    assert_eq!(
        f(
            "make_timestamp",
            &[i("2024"), i("1"), i("2"), i("3"), i("4"), d("5.5")]
        ),
        "2024-01-02 03:04:05.5"
    );
    assert_eq!(
        f(
            "make_interval",
            &[i("1"), i("2"), i("3"), i("4"), i("5"), i("6"), d("7.5")]
        ),
        "1 year 2 mons 25 days 05:06:07.5"
    );
    assert_eq!(
        f("justify_hours", &[("27 hours", T::Interval)]),
        "1 day 03:00:00"
    );
    assert_eq!(
        f("justify_days", &[("35 days", T::Interval)]),
        "1 mon 5 days"
    );
    assert_eq!(
        f("justify_interval", &[("1 mon -1 hour", T::Interval)]),
        "29 days 23:00:00"
    );
    assert_eq!(
        f("to_timestamp", &[d("1704164645.5")]),
        "2024-01-02 03:04:05.5+00"
    );
    assert_eq!(
        f(
            "to_timestamp",
            &[u("2024-01-02 15:04:05"), u("YYYY-MM-DD HH24:MI:SS")]
        ),
        "2024-01-02 15:04:05+00"
    );
    assert_eq!(
        f("to_date", &[u("02 Jan 2024"), u("DD Mon YYYY")]),
        "2024-01-02"
    );
    assert_eq!(f("to_date", &[u("20240102"), u("YYYYMMDD")]), "2024-01-02");
}

#[test]
fn to_char_patterns() {
    assert_eq!(
        f(
            "to_char",
            &[
                ("2024-01-02 15:04:05.123456", T::Timestamp),
                u("YYYY-MM-DD HH24:MI:SS.MS US HH12 AM am Mon MON Month| Day Dy DDD D WW IW Q J FMMonth FMDD YY \"lit\"")
            ]
        ),
        "2024-01-02 15:04:05.123 123456 03 PM pm Jan JAN January  | Tuesday   Tue 002 3 01 01 1 2460312 January 2 24 lit"
    );
    assert_eq!(
        f(
            "to_char",
            &[
                ("2024-01-02 03:04:05", T::Timestamp),
                u("FMHH12:MI am FMDay FMMonth DDth")
            ]
        ),
        "3:04 am Tuesday January 02nd"
    );
    assert_eq!(
        f(
            "to_char",
            &[
                ("1 year 2 months 3 days 04:05:06", T::Interval),
                u("YYYY MM DD HH24 MI SS")
            ]
        ),
        "0001 02 03 04 05 06"
    );
    assert_eq!(
        f(
            "to_char",
            &[("2024-01-02 15:04:05+00", T::TimestampTz), u("TZ OF")]
        ),
        "UTC +00"
    );
    let num = |v: &str, fmt: &str| f("to_char", &[n(v), u(fmt)]);
    assert_eq!(num("1234.5", "9,999.99"), " 1,234.50");
    assert_eq!(num("-1234.5", "FM9,999.00"), "-1,234.50");
    assert_eq!(num("5", "000"), " 005");
    assert_eq!(num("12.345", "99D9"), " 12.3");
    assert_eq!(num("123456", "999"), " ###");
    assert_eq!(num("-5", "S99"), " -5");
    assert_eq!(num("0.5", "0.99"), " 0.50");
    assert_eq!(num("0.5", "9.99"), "  .50");
    assert_eq!(num("0", "999"), "   0");
    assert_eq!(num("0", "990.99"), "   0.00");
    assert_eq!(num("0.5", "FM9.99"), ".5");
    assert_eq!(num("1.5", "FM999.999"), "1.5");
    assert_eq!(num("-12", "999"), " -12");
    assert_eq!(num("12", "9999MI"), "  12 ");
    assert_eq!(num("-12", "9999MI"), "  12-");
    assert_eq!(num("12", "S9999"), "  +12");
    assert_eq!(num("1234567", "9G999G999"), " 1,234,567");
    assert_eq!(num("12.5", "99"), " 13");
    assert_eq!(num("-0.5", "9.9"), " -.5");
    assert_eq!(num("5", "FM00"), "05");
    assert_eq!(f("to_char", &[d("3.14159"), u("9.99")]), " 3.14");
}

#[test]
fn json_functions() {
    assert_eq!(
        f("jsonb_build_object", &[u("b"), i("1"), u("a"), u("x")]),
        r#"{"a": "x", "b": 1}"#
    );
    assert_eq!(
        f("json_build_object", &[u("b"), i("1"), u("a"), u("x")]),
        r#"{"b" : 1, "a" : "x"}"#
    );
    assert_eq!(
        f("jsonb_build_array", &[i("1"), u("a"), u("NULL")]),
        r#"[1, "a", null]"#
    );
    assert_eq!(f("json_build_array", &[i("1"), u("a")]), r#"[1, "a"]"#);
    assert_eq!(
        f("to_jsonb", &[("2024-01-02 03:04:05", T::Timestamp)]),
        r#""2024-01-02T03:04:05""#
    );
    assert_eq!(
        f("to_json", &[("{1,2}", T::Array(Box::new(T::Int4)))]),
        "[1,2]"
    );
    assert_eq!(f("jsonb_typeof", &[("[1]", T::Jsonb)]), "array");
    assert_eq!(f("jsonb_array_length", &[("[1,2,3]", T::Jsonb)]), "3");
    assert_eq!(
        f("jsonb_array_length", &[("{}", T::Jsonb)]),
        "ERROR 22023: cannot get array length of a non-array"
    );
    assert_eq!(
        f("jsonb_build_object", &[u("a")]),
        "ERROR 22023: argument list must have even number of elements"
    );
    assert_eq!(
        f("jsonb_pretty", &[(r#"{"a":[1]}"#, T::Jsonb)]),
        "{\n    \"a\": [\n        1\n    ]\n}"
    );
    assert_eq!(
        f(
            "jsonb_extract_path_text",
            &[(r#"{"a":{"b":[1,"x"]}}"#, T::Jsonb), u("a"), u("b"), u("1")]
        ),
        "x"
    );
}

#[test]
fn misc() {
    assert_eq!(f("greatest", &[i("1"), n("2.5"), u("NULL")]), "2.5");
    assert_eq!(f("least", &[i("3"), i("2")]), "2");
    assert_eq!(f("coalesce", &[u("NULL"), i("2")]), "2");
    assert_eq!(f("nullif", &[i("2"), i("2")]), "NULL");
    assert_eq!(f("num_nulls", &[u("NULL"), i("2")]), "1");
    assert_eq!(f("gen_random_uuid", &[]).len(), 36);
}

#[test]
fn extreme_arguments_never_panic() {
    let values = [
        "0",
        "-0.0000000000000000000000000001",
        "79228162514264337593543950335",
        "-79228162514264337593543950335",
        "0.5",
        "-1",
        "1",
        "1e-28",
        "12345678901234567890.12345678",
    ];
    for name in [
        "sqrt", "exp", "ln", "log", "round", "trunc", "ceil", "floor", "abs", "sign",
    ] {
        for v in values {
            let _ = f(name, &[n(v)]);
        }
    }
    for name in ["power", "log", "mod", "div", "gcd", "lcm", "round", "trunc"] {
        for a in values {
            for b in values {
                let t = if matches!(name, "round" | "trunc") {
                    T::Int4
                } else {
                    T::Numeric(None)
                };
                let b = if t == T::Int4 { "-30" } else { b };
                let _ = f(name, &[n(a), (b, t)]);
            }
        }
    }
    for v in ["1e308", "-1e308", "NaN", "Infinity", "-Infinity", "0", "-0"] {
        for name in [
            "sqrt",
            "exp",
            "ln",
            "cbrt",
            "round",
            "asin",
            "acosh",
            "to_timestamp",
        ] {
            let _ = f(name, &[d(v)]);
        }
        let _ = f("power", &[d(v), d(v)]);
        let _ = f("to_char", &[d(v), u("999.99")]);
    }
    for fmt in [
        "", "FM", "9.9.9", "S", "MI", "SSSSS", "\"", "\\", "Y,YYY", "TH", "thth",
    ] {
        let _ = f("to_char", &[n("-12.5"), u(fmt)]);
        let _ = f("to_char", &[("2024-01-02 03:04:05", T::Timestamp), u(fmt)]);
        let _ = f("to_timestamp", &[u("2024 01 02"), u(fmt)]);
        let _ = f("to_date", &[u(fmt), u("YYYY-MM-DD")]);
    }
    let _ = f("repeat", &[u("abc"), i("2147483647")]);
    let _ = f("chr", &[i("-1")]);
    let _ = f("chr", &[i("1114112")]);
    let _ = f("make_date", &[i("-2147483648"), i("1"), i("1")]);
    let _ = f("make_interval", &[i("2147483647"), i("2147483647")]);
    let _ = f("date_trunc", &[u("millennium"), ("infinity", T::Timestamp)]);
    let _ = f(
        "age",
        &[("infinity", T::Timestamp), ("2024-01-01", T::Timestamp)],
    );
}

#[test]
fn jsonb_set_and_insert() {
    let set = |target: &str, path: &str, new: &str| f("jsonb_set", &[u(target), u(path), u(new)]);
    assert_eq!(
        set(r#"{"a":1,"b":[1,2]}"#, "{b,0}", "9"),
        r#"{"a": 1, "b": [9, 2]}"#
    );
    assert_eq!(set(r#"{"a":1}"#, "{c}", "2"), r#"{"a": 1, "c": 2}"#);
    assert_eq!(set(r#"{"a":1}"#, "{x,y}", "2"), r#"{"a": 1}"#);
    assert_eq!(set("[1,2,3]", "{-1}", "0"), "[1, 2, 0]");
    assert_eq!(set("[1,2,3]", "{10}", "0"), "[1, 2, 3, 0]");
    assert_eq!(set("[1,2,3]", "{-10}", "0"), "[0, 1, 2, 3]");
    assert_eq!(set("[1]", "{ 0}", "0"), "[0]");
    assert!(set("1", "{a}", "2").starts_with("ERROR 22023"));
    assert!(set("[1]", "{x}", "2").starts_with("ERROR 22P02"));
    assert!(set(r#"{"a":1}"#, "{a,NULL}", "2").starts_with("ERROR 22004"));
    assert_eq!(
        f(
            "jsonb_set",
            &[u(r#"{"a":1}"#), u("{c}"), u("2"), u("false")]
        ),
        r#"{"a": 1}"#
    );
    let insert = |target: &str, path: &str, after: &str| {
        f("jsonb_insert", &[u(target), u(path), u("9"), u(after)])
    };
    assert_eq!(insert("[1,2,3]", "{1}", "false"), "[1, 9, 2, 3]");
    assert_eq!(insert("[1,2,3]", "{1}", "true"), "[1, 2, 9, 3]");
    assert_eq!(insert("[1]", "{-5}", "true"), "[9, 1]");
    assert_eq!(insert(r#"{"a":1}"#, "{b}", "false"), r#"{"a": 1, "b": 9}"#);
    assert!(insert(r#"{"a":1}"#, "{a}", "false").starts_with("ERROR 22023"));
}

#[test]
fn quote_literal_of_any_type() {
    assert_eq!(f("quote_literal", &[i("42")]), "'42'");
    assert_eq!(f("quote_literal", &[("true", T::Bool)]), "'true'");
    assert_eq!(f("quote_literal", &[u("it's")]), "'it''s'");
    assert_eq!(f("quote_nullable", &[u("NULL")]), "NULL");
}
