//! Text I/O against PostgreSQL 15's actual output.

use super::*;
use crate::interval::Interval;

fn ctx() -> EvalContext {
    EvalContext::default()
}

fn p(input: &str, ty: DataType) -> Result<Value, SqlError> {
    parse(input, &ty, &ctx())
}

fn rt(input: &str, ty: DataType) -> String {
    match p(input, ty.clone()) {
        Ok(v) => format(&v, &ty, &ctx()),
        Err(e) => format!("ERROR {}: {}", e.code, e.message),
    }
}

#[test]
fn booleans() {
    assert_eq!(rt("  TRUE ", DataType::Bool), "t");
    assert_eq!(rt("of", DataType::Bool), "f");
    assert_eq!(rt("ye", DataType::Bool), "t");
    assert_eq!(rt("0", DataType::Bool), "f");
    assert_eq!(
        rt("o", DataType::Bool),
        "ERROR 22P02: invalid input syntax for type boolean: \"o\""
    );
    assert_eq!(
        rt("maybe", DataType::Bool),
        "ERROR 22P02: invalid input syntax for type boolean: \"maybe\""
    );
}

#[test]
fn integers() {
    assert_eq!(rt(" 12 ", DataType::Int4), "12");
    assert_eq!(rt("+3", DataType::Int2), "3");
    assert_eq!(
        rt("-9223372036854775808", DataType::Int8),
        "-9223372036854775808"
    );
    assert_eq!(
        rt("99999", DataType::Int2),
        "ERROR 22003: value \"99999\" is out of range for type smallint"
    );
    assert_eq!(
        rt("abc", DataType::Int4),
        "ERROR 22P02: invalid input syntax for type integer: \"abc\""
    );
    assert_eq!(
        rt("1.5", DataType::Int4),
        "ERROR 22P02: invalid input syntax for type integer: \"1.5\""
    );
    assert_eq!(
        rt("", DataType::Int4),
        "ERROR 22P02: invalid input syntax for type integer: \"\""
    );
    assert_eq!(
        rt("99999999999999999999999", DataType::Int8),
        "ERROR 22003: value \"99999999999999999999999\" is out of range for type bigint"
    );
}

#[test]
fn floats() {
    let f8 = |s: &str| rt(s, DataType::Float8);
    let f4 = |s: &str| rt(s, DataType::Float4);
    assert_eq!(f8("1.5"), "1.5");
    assert_eq!(f8("0.1"), "0.1");
    assert_eq!(f8("1e20"), "1e+20");
    assert_eq!(f8("1e15"), "1e+15");
    assert_eq!(f8("123456789012345"), "123456789012345");
    assert_eq!(f8("0.0001"), "0.0001");
    assert_eq!(f8("0.00001"), "1e-05");
    assert_eq!(f8("1.5e300"), "1.5e+300");
    assert_eq!(f8("-0"), "-0");
    assert_eq!(f8("nan"), "NaN");
    assert_eq!(f8("-inf"), "-Infinity");
    assert_eq!(f4("inf"), "Infinity");
    assert_eq!(f4("1e6"), "1e+06");
    assert_eq!(f4("123456"), "123456");
    assert_eq!(f4("1234567"), "1.234567e+06");
    assert_eq!(f4("0.1"), "0.1");
    assert_eq!(
        f8("1e400"),
        "ERROR 22003: \"1e400\" is out of range for type double precision"
    );
    assert_eq!(
        f8("1e-400"),
        "ERROR 22003: \"1e-400\" is out of range for type double precision"
    );
    assert_eq!(
        f8("x"),
        "ERROR 22P02: invalid input syntax for type double precision: \"x\""
    );
    assert_eq!(format_float8(0.1 + 0.2, 0), "0.3");
    assert_eq!(format_float8(1e14, 0), "100000000000000");
    assert_eq!(format_float8(1e15, 0), "1e+15");
    assert_eq!(format_float8(0.00001, 0), "1e-05");
    assert_eq!(format_float8(0.1 + 0.2, 1), "0.30000000000000004");
}

#[test]
fn numerics() {
    let n = |s: &str| rt(s, DataType::Numeric(None));
    assert_eq!(n("1e5"), "100000");
    assert_eq!(n(" 1.50 "), "1.50");
    assert_eq!(n(".5"), "0.5");
    assert_eq!(n("5."), "5");
    assert_eq!(n("-0.00"), "0.00");
    assert_eq!(
        n("abc"),
        "ERROR 22P02: invalid input syntax for type numeric: \"abc\""
    );
    assert_eq!(rt("12.345", DataType::Numeric(Some((4, 2)))), "12.35");
    assert_eq!(rt("1.5", DataType::Numeric(Some((4, 2)))), "1.50");
    let e = p("12345.678", DataType::Numeric(Some((4, 2)))).unwrap_err();
    assert_eq!(e.message, "numeric field overflow");
    assert_eq!(
        e.detail.as_deref(),
        Some("A field with precision 4, scale 2 must round to an absolute value less than 10^2.")
    );
    let e = p("1", DataType::Numeric(Some((2, 2)))).unwrap_err();
    assert_eq!(
        e.detail.as_deref(),
        Some("A field with precision 2, scale 2 must round to an absolute value less than 1.")
    );
}

#[test]
fn strings() {
    assert_eq!(rt("ab  ", DataType::Varchar(Some(3))), "ab ");
    assert_eq!(
        rt("abcd", DataType::Varchar(Some(3))),
        "ERROR 22001: value too long for type character varying(3)"
    );
    assert_eq!(rt("a", DataType::Char(Some(3))), "a  ");
    assert_eq!(
        rt("abc", DataType::Char(Some(2))),
        "ERROR 22001: value too long for type character(2)"
    );
    assert_eq!(rt(&"x".repeat(70), DataType::Name).len(), 63);
}

#[test]
fn bytea() {
    assert_eq!(rt("\\x0102", DataType::Bytea), "\\x0102");
    assert_eq!(rt("a\\\\b\\001", DataType::Bytea), "\\x615c6201");
    assert_eq!(
        rt("\\x01zz", DataType::Bytea),
        "ERROR 22023: invalid hexadecimal digit: \"z\""
    );
    assert_eq!(
        rt("\\x012", DataType::Bytea),
        "ERROR 22023: invalid hexadecimal data: odd number of digits"
    );
    assert_eq!(
        rt("a\\b", DataType::Bytea),
        "ERROR 22P02: invalid input syntax for type bytea"
    );
}

#[test]
fn uuids() {
    assert_eq!(
        rt("{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}", DataType::Uuid),
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    );
    assert_eq!(
        rt("A0EEBC999C0B4EF8BB6D6BB9BD380A11", DataType::Uuid),
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    );
    assert_eq!(
        rt("x", DataType::Uuid),
        "ERROR 22P02: invalid input syntax for type uuid: \"x\""
    );
}

#[test]
fn dates_and_times() {
    let d = |s: &str| rt(s, DataType::Date);
    for s in [
        "Jan 2 2024",
        "2 January 2024",
        "January 2, 2024",
        "01/02/2024",
        "20240102",
        "2024/1/2",
        "01/02/24",
        "2024-01-02 03:04",
    ] {
        assert_eq!(d(s), "2024-01-02", "{s}");
    }
    assert_eq!(d("0001-01-01 BC"), "0001-01-01 BC");
    assert_eq!(d("epoch"), "1970-01-01");
    assert_eq!(d("infinity"), "infinity");
    assert_eq!(
        d("2024-13-01"),
        "ERROR 22008: date/time field value out of range: \"2024-13-01\""
    );
    assert_eq!(
        d("2024-02-30"),
        "ERROR 22008: date/time field value out of range: \"2024-02-30\""
    );
    assert_eq!(
        d("x"),
        "ERROR 22007: invalid input syntax for type date: \"x\""
    );
    assert_eq!(
        d("2024-01-02 x"),
        "ERROR 22007: invalid input syntax for type date: \"2024-01-02 x\""
    );
    let ts = |s: &str| rt(s, DataType::Timestamp);
    assert_eq!(ts("2024-01-02T03:04:05Z"), "2024-01-02 03:04:05");
    assert_eq!(ts("2024-01-02 3:4:5 pm"), "2024-01-02 15:04:05");
    assert_eq!(ts("2024-01-02 03:04:05.9999995"), "2024-01-02 03:04:06");
    assert_eq!(ts("2024-01-02 03:04:05.123400"), "2024-01-02 03:04:05.1234");
    assert_eq!(
        ts("x"),
        "ERROR 22007: invalid input syntax for type timestamp: \"x\""
    );
    assert_eq!(
        ts("03:04:05"),
        "ERROR 22007: invalid input syntax for type timestamp: \"03:04:05\""
    );
    let t = |s: &str| rt(s, DataType::Time);
    assert_eq!(t("12:30 am"), "00:30:00");
    assert_eq!(t("allballs"), "00:00:00");
    assert_eq!(t("10:00:00.1234567"), "10:00:00.123457");
    assert_eq!(
        t("25:00:00"),
        "ERROR 22008: date/time field value out of range: \"25:00:00\""
    );
}

#[test]
fn timestamptz_in_zones() {
    let mut c = ctx();
    c.timezone = chrono_tz::America::New_York;
    let tz = |s: &str| {
        let v = parse(s, &DataType::TimestampTz, &c).unwrap();
        format(&v, &DataType::TimestampTz, &c)
    };
    assert_eq!(tz("2024-11-03 01:30"), "2024-11-03 01:30:00-05");
    assert_eq!(tz("2024-03-10 02:30"), "2024-03-10 03:30:00-04");
    assert_eq!(
        tz("2024-01-02 03:04:05.5 +05:30"),
        "2024-01-01 16:34:05.5-05"
    );
    assert_eq!(
        tz("2024-01-02 03:04:05 Europe/Paris"),
        "2024-01-01 21:04:05-05"
    );
    assert_eq!(tz("1900-01-01"), "1900-01-01 00:00:00-05");
    c.timezone = chrono_tz::Asia::Kolkata;
    let v = parse("2024-01-02 03:04:05.123", &DataType::TimestampTz, &c).unwrap();
    assert_eq!(
        format(&v, &DataType::TimestampTz, &c),
        "2024-01-02 03:04:05.123+05:30"
    );
    assert_eq!(
        rt("2024-01-02 03:04:05+00", DataType::TimestampTz),
        "2024-01-02 03:04:05+00"
    );
}

#[test]
fn intervals() {
    let i = |s: &str| rt(s, DataType::Interval);
    assert_eq!(
        i("1 year 2 mons 3 days 04:05:06"),
        "1 year 2 mons 3 days 04:05:06"
    );
    assert_eq!(i("-1 days +2 hours"), "-1 days +02:00:00");
    assert_eq!(i("0"), "00:00:00");
    assert_eq!(i("1.5 days"), "1 day 12:00:00");
    assert_eq!(i("-1 hour"), "-01:00:00");
    assert_eq!(i("P1D"), "1 day");
    assert_eq!(i("1.5 months"), "1 mon 15 days");
    assert_eq!(i("3 days 04:00"), "3 days 04:00:00");
    assert_eq!(i("1 day -1 second"), "1 day -00:00:01");
    assert_eq!(i("2 weeks ago"), "-14 days");
    assert_eq!(
        i("x"),
        "ERROR 22007: invalid input syntax for type interval: \"x\""
    );
    assert_eq!(
        format_interval_of(Interval {
            months: -14,
            days: 3,
            micros: -1
        }),
        "-1 years -2 mons +3 days -00:00:00.000001"
    );
}

fn format_interval_of(iv: Interval) -> String {
    format(&Value::Interval(iv), &DataType::Interval, &ctx())
}

#[test]
fn json_values() {
    assert_eq!(
        rt(r#"{"b":1,"aa":2,"a":[1,2,{"c":1.5}]}"#, DataType::Jsonb),
        r#"{"a": [1, 2, {"c": 1.5}], "b": 1, "aa": 2}"#
    );
    assert_eq!(rt(r#"{"a":1,"a":2}"#, DataType::Jsonb), r#"{"a": 2}"#);
    assert_eq!(rt(r#"{"a" : 1}"#, DataType::Json), r#"{"a" : 1}"#);
    assert_eq!(
        rt(r#"{"a":}"#, DataType::Json),
        "ERROR 22P02: invalid input syntax for type json"
    );
}

#[test]
fn arrays() {
    let ints = DataType::Array(Box::new(DataType::Int4));
    let texts = DataType::Array(Box::new(DataType::Text));
    assert_eq!(rt("{1, 2 ,NULL}", ints.clone()), "{1,2,NULL}");
    assert_eq!(rt("{}", ints.clone()), "{}");
    assert_eq!(rt("{{1,2},{3,4}}", ints.clone()), "{{1,2},{3,4}}");
    assert_eq!(
        rt(r#"{"a b","x,y",c,"",null,"NULL","q\"t"}"#, texts),
        r#"{"a b","x,y",c,"",NULL,"NULL","q\"t"}"#
    );
    assert_eq!(
        rt("{1,x}", ints.clone()),
        "ERROR 22P02: invalid input syntax for type integer: \"x\""
    );
    assert_eq!(
        rt("{1", ints),
        "ERROR 22P02: malformed array literal: \"{1\""
    );
}

#[test]
fn garbage_never_panics() {
    let types = [
        DataType::Bool,
        DataType::Int2,
        DataType::Int8,
        DataType::Float4,
        DataType::Float8,
        DataType::Numeric(Some((5, 2))),
        DataType::Varchar(Some(2)),
        DataType::Char(Some(2)),
        DataType::Bytea,
        DataType::Date,
        DataType::Time,
        DataType::Timestamp,
        DataType::TimestampTz,
        DataType::Interval,
        DataType::Uuid,
        DataType::Json,
        DataType::Jsonb,
        DataType::Oid,
        DataType::Array(Box::new(DataType::Int4)),
    ];
    let inputs = [
        "",
        " ",
        "-",
        "+",
        ".",
        "e",
        "1e",
        "é",
        "\\",
        "\\x",
        "{",
        "}",
        "{{",
        "[1:2]",
        ":",
        "::",
        "99999999999999999999999999999999999999",
        "-0",
        "1e-99999999",
        "1e99999999",
        "T",
        "12:",
        "2024--01",
        "9999999-01-01",
        "0-0-0",
        "p",
        "pt",
        "@",
        "ago",
        "1 ago ago",
        "24:00:00",
        "2024-01-01 24:00:00",
        "23:59:60",
        "+99:99",
        "1.2.3",
        "jan",
        "feb 30 2024",
        "\u{0}",
        "99999999 years",
        "-99999999999999999 hours",
        "{\"a\":",
        "\"",
    ];
    for ty in &types {
        for input in inputs {
            if let Ok(v) = parse(input, ty, &ctx()) {
                let _ = format(&v, ty, &ctx());
            }
        }
    }
}
