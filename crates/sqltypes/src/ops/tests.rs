//! Operators against PostgreSQL 15's actual results.

use super::*;
use crate::cast::{cast, CastContext};
use crate::text;

fn ctx() -> EvalContext {
    EvalContext::default()
}

/// Evaluates `a op b` where both sides are literals of the given types, the
/// way the planner would: resolve, cast, evaluate, print.
fn ev(a: &str, at: DataType, op: BinaryOp, b: &str, bt: DataType) -> String {
    let c = ctx();
    let run = || -> Result<String, SqlError> {
        let s = binary_op_type(op, &at, &bt)?;
        let av = text::parse(
            a,
            &if at == DataType::Unknown {
                DataType::Text
            } else {
                at.clone()
            },
            &c,
        )?;
        let bv = text::parse(
            b,
            &if bt == DataType::Unknown {
                DataType::Text
            } else {
                bt.clone()
            },
            &c,
        )?;
        let av = cast(av, &at, &s.left, CastContext::Implicit, &c)?;
        let bv = cast(bv, &bt, &s.right, CastContext::Implicit, &c)?;
        let r = binary_op(op, &av, &bv, &s, &c)?;
        Ok(text::format(&r, &s.result, &c))
    };
    run().unwrap_or_else(|e| format!("ERROR {}: {}", e.code, e.message))
}

use BinaryOp::*;
use DataType as T;

#[test]
fn integer_arithmetic() {
    assert_eq!(ev("7", T::Int2, Div, "2", T::Int2), "3");
    assert_eq!(ev("5", T::Int4, Mod, "-3", T::Int4), "2");
    assert_eq!(ev("-5", T::Int4, Mod, "3", T::Int4), "-2");
    assert_eq!(
        ev("2147483647", T::Int4, Add, "1", T::Int4),
        "ERROR 22003: integer out of range"
    );
    assert_eq!(
        ev("32767", T::Int2, Add, "1", T::Int2),
        "ERROR 22003: smallint out of range"
    );
    assert_eq!(
        ev("-2147483648", T::Int4, Div, "-1", T::Int4),
        "ERROR 22003: integer out of range"
    );
    assert_eq!(
        ev("1", T::Int4, Div, "0", T::Int4),
        "ERROR 22012: division by zero"
    );
    assert_eq!(
        ev("1", T::Int4, Mod, "0", T::Int4),
        "ERROR 22012: division by zero"
    );
    assert_eq!(ev("1", T::Int4, ShiftLeft, "33", T::Int4), "2");
    assert_eq!(ev("1", T::Int8, ShiftLeft, "65", T::Int4), "2");
    assert_eq!(ev("-7", T::Int4, ShiftRight, "1", T::Int4), "-4");
    assert_eq!(ev("5", T::Int4, BitXor, "3", T::Int4), "6");
    assert_eq!(ev("2", T::Int4, Pow, "3", T::Int4), "8");
    assert_eq!(ev("1", T::Unknown, Add, "1", T::Int4), "2");
    assert_eq!(
        ev("1", T::Int4, Add, "true", T::Bool),
        "ERROR 42883: operator does not exist: integer + boolean"
    );
    assert_eq!(
        ev("1", T::Unknown, Add, "2", T::Unknown),
        "ERROR 42725: operator is not unique: unknown + unknown"
    );
    assert_eq!(
        ev("7.5", T::Float8, Mod, "2", T::Int4),
        "ERROR 42883: operator does not exist: double precision % integer"
    );
    assert_eq!(
        binary_op_type(Add, &T::Int2, &T::Int8).map(|s| s.result),
        Ok(T::Int8)
    );
    assert_eq!(
        binary_op_type(Add, &T::Float4, &T::Int4).map(|s| s.result),
        Ok(T::Float8)
    );
    assert_eq!(
        binary_op_type(Add, &T::Float4, &T::Numeric(None)).map(|s| s.result),
        Ok(T::Float8)
    );
    assert_eq!(
        binary_op_type(Add, &T::Int2, &T::Int2).map(|s| s.result),
        Ok(T::Int2)
    );
    assert_eq!(
        binary_op_type(BitAnd, &T::Int2, &T::Int4).map(|s| s.result),
        Ok(T::Int4)
    );
    assert_eq!(
        binary_op_type(Pow, &T::Int4, &T::Int4).map(|s| s.result),
        Ok(T::Float8)
    );
}

#[test]
fn float_and_numeric_arithmetic() {
    let n = T::Numeric(None);
    assert_eq!(
        ev("1", T::Float8, Div, "0", T::Float8),
        "ERROR 22012: division by zero"
    );
    assert_eq!(
        ev("1e300", T::Float8, Mul, "1e300", T::Float8),
        "ERROR 22003: value out of range: overflow"
    );
    assert_eq!(
        ev("0.1", T::Float8, Add, "0.2", T::Float8),
        "0.30000000000000004"
    );
    assert_eq!(
        ev("1e38", T::Float4, Mul, "10", T::Int4),
        "9.999999680285692e+38"
    );
    assert_eq!(
        ev("7.0", n.clone(), Div, "2", T::Int4),
        "3.5000000000000000"
    );
    assert_eq!(
        ev("1", T::Int4, Div, "3", n.clone()),
        "0.33333333333333333333"
    );
    assert_eq!(ev("10", n.clone(), Div, "4", T::Int4), "2.5000000000000000");
    assert_eq!(
        ev("2", T::Int4, Div, "3.0", n.clone()),
        "0.66666666666666666667"
    );
    assert_eq!(
        ev("1.0", n.clone(), Div, "7000000", T::Int4),
        "0.000000142857142857142857"
    );
    assert_eq!(
        ev("123456789.0", n.clone(), Div, "0.001", n.clone()),
        "123456789000.00000000"
    );
    assert_eq!(ev("5.5", n.clone(), Mod, "2", T::Int4), "1.5");
    assert_eq!(
        ev("5.0", n.clone(), Mod, "0", T::Int4),
        "ERROR 22012: division by zero"
    );
    assert_eq!(ev("2", n.clone(), Pow, "3", T::Int4), "8.0000000000000000");
    assert_eq!(
        ev("2.5", n.clone(), Pow, "2", T::Int4),
        "6.2500000000000000"
    );
    assert_eq!(
        ev("2", n.clone(), Pow, "0.5", n.clone()),
        "1.4142135623730950"
    );
    assert_eq!(
        ev("1.1", n.clone(), Pow, "10", T::Int4),
        "2.5937424601000000"
    );
    assert_eq!(
        ev("0", n.clone(), Pow, "-1", T::Int4),
        "ERROR 2201F: zero raised to a negative power is undefined"
    );
    assert_eq!(
        ev("-8", n.clone(), Pow, "0.5", n.clone()),
        "ERROR 2201F: a negative number raised to a non-integer power yields a complex result"
    );
    assert_eq!(
        ev("0", T::Int4, Pow, "-1", T::Int4),
        "ERROR 2201F: zero raised to a negative power is undefined"
    );
    assert_eq!(ev("1.50", n.clone(), Mul, "2", T::Int4), "3.00");
    assert_eq!(ev("1.5", n, Add, "1", T::Float8), "2.5");
}

#[test]
fn datetime_arithmetic() {
    assert_eq!(
        ev("2024-01-31", T::Date, Add, "1 month", T::Interval),
        "2024-02-29 00:00:00"
    );
    assert_eq!(
        ev(
            "2024-01-02 03:00",
            T::Timestamp,
            Sub,
            "2024-01-01 01:00",
            T::Timestamp
        ),
        "1 day 02:00:00"
    );
    assert_eq!(
        ev(
            "2024-01-02",
            T::Timestamp,
            Sub,
            "2024-03-01 05:00",
            T::Timestamp
        ),
        "-59 days -05:00:00"
    );
    assert_eq!(
        ev("1 mon", T::Interval, Mul, "1.5", T::Float8),
        "1 mon 15 days"
    );
    assert_eq!(ev("1 day", T::Interval, Div, "3", T::Int4), "08:00:00");
    assert_eq!(
        ev("1 hour", T::Interval, Mul, "0.3333", T::Float8),
        "00:19:59.88"
    );
    assert_eq!(ev("2024-01-03", T::Date, Sub, "2024-01-01", T::Date), "2");
    assert_eq!(ev("2024-01-01", T::Date, Add, "5", T::Int4), "2024-01-06");
    assert_eq!(
        ev("2024-01-01", T::Date, Sub, "1 hour", T::Interval),
        "2023-12-31 23:00:00"
    );
    assert_eq!(
        ev("23:00", T::Time, Add, "2 hours", T::Interval),
        "01:00:00"
    );
    assert_eq!(ev("01:00", T::Time, Sub, "03:00", T::Time), "-02:00:00");
    assert_eq!(
        ev(
            "2024-01-01 00:00+00",
            T::TimestampTz,
            Add,
            "1 day",
            T::Unknown
        ),
        "2024-01-02 00:00:00+00"
    );
    assert_eq!(
        ev("1 day", T::Interval, Sub, "1 hour", T::Interval),
        "1 day -01:00:00"
    );
    assert_eq!(
        ev(
            "2024-01-02",
            T::Date,
            Lt,
            "2024-01-02 00:00:01",
            T::Timestamp
        ),
        "t"
    );
}

#[test]
fn dst_aware_timestamptz_arithmetic() {
    let mut c = ctx();
    c.timezone = chrono_tz::America::New_York;
    let ts = text::parse("2024-03-09 12:00", &T::TimestampTz, &c).unwrap();
    let iv = text::parse("1 day", &T::Interval, &c).unwrap();
    let s = binary_op_type(Add, &T::TimestampTz, &T::Interval).unwrap();
    let r = binary_op(Add, &ts, &iv, &s, &c).unwrap();
    assert_eq!(
        text::format(&r, &T::TimestampTz, &c),
        "2024-03-10 12:00:00-04"
    );
    let iv = text::parse("24 hours", &T::Interval, &c).unwrap();
    let r = binary_op(Add, &ts, &iv, &s, &c).unwrap();
    assert_eq!(
        text::format(&r, &T::TimestampTz, &c),
        "2024-03-10 13:00:00-04"
    );
}

#[test]
fn strings_and_comparisons() {
    assert_eq!(ev("a", T::Unknown, Concat, "1", T::Int4), "a1");
    assert_eq!(ev("1", T::Int4, Concat, "a", T::Unknown), "1a");
    assert_eq!(ev("a", T::Text, Concat, "t", T::Bool), "atrue");
    assert_eq!(
        ev("1", T::Int4, Concat, "1", T::Int4),
        "ERROR 42883: operator does not exist: integer || integer"
    );
    assert_eq!(ev("\\x01", T::Bytea, Concat, "\\x02", T::Bytea), "\\x0102");
    assert_eq!(ev("a  ", T::Char(Some(3)), Eq, "a", T::Unknown), "t");
    assert_eq!(ev("a  ", T::Char(Some(3)), Eq, "a", T::Text), "t");
    assert_eq!(ev("a", T::Text, Lt, "b", T::Varchar(None)), "t");
    assert_eq!(ev("1", T::Int4, Eq, "1.0", T::Numeric(None)), "t");
    assert_eq!(ev("NaN", T::Float8, Gt, "1e300", T::Float8), "t");
    assert_eq!(
        ev(
            "{1,2}",
            T::Array(Box::new(T::Int4)),
            Lt,
            "{1,3}",
            T::Array(Box::new(T::Int4))
        ),
        "t"
    );
    assert_eq!(
        ev("1", T::Int4, Eq, "t", T::Bool),
        "ERROR 42883: operator does not exist: integer = boolean"
    );
    let s = binary_op_type(Eq, &T::Int4, &T::Int4).unwrap();
    assert_eq!(
        binary_op(Eq, &Value::Null, &Value::Int4(1), &s, &ctx()),
        Ok(Value::Null)
    );
}

#[test]
fn jsonb_operators() {
    let j = T::Jsonb;
    assert_eq!(
        ev(r#"{"a":{"b":1}}"#, j.clone(), JsonGet, "a", T::Unknown),
        r#"{"b": 1}"#
    );
    assert_eq!(
        ev(r#"{"a":"x"}"#, j.clone(), JsonGetText, "a", T::Unknown),
        "x"
    );
    assert_eq!(ev("[1,2,3]", j.clone(), JsonGet, "-1", T::Int4), "3");
    assert_eq!(
        ev(
            r#"{"a":1,"b":2}"#,
            j.clone(),
            JsonContains,
            r#"{"a":1}"#,
            T::Unknown
        ),
        "t"
    );
    assert_eq!(
        ev(r#"{"a":1}"#, j.clone(), JsonExists, "a", T::Unknown),
        "t"
    );
    assert_eq!(ev(r#"["a"]"#, j.clone(), JsonExists, "a", T::Unknown), "t");
    assert_eq!(ev("[1]", j.clone(), Concat, "[2]", j.clone()), "[1, 2]");
    assert_eq!(
        ev(r#"{"a":1}"#, j.clone(), Concat, r#"{"b":2}"#, j.clone()),
        r#"{"a": 1, "b": 2}"#
    );
    assert_eq!(
        ev("[1,[2,3]]", j.clone(), JsonContains, "[[3]]", j.clone()),
        "t"
    );
    assert_eq!(ev("[1,2]", j, JsonContains, "1", T::Jsonb), "t");
}

#[test]
fn unary_operators() {
    assert_eq!(
        unary_op(UnaryOp::Neg, &Value::Int4(i32::MIN)).map_err(|e| e.message),
        Err("integer out of range".to_string())
    );
    assert_eq!(
        unary_op(UnaryOp::BitNot, &Value::Int4(5)),
        Ok(Value::Int4(-6))
    );
    assert!(unary_op_type(UnaryOp::Neg, &T::Text).is_err());
    assert_eq!(unary_op_type(UnaryOp::Neg, &T::Interval), Ok(T::Interval));
}

#[test]
fn like_patterns() {
    let l = |t: &str, p: &str, ci: bool| like(t, p, ci).unwrap();
    assert!(!l("a", "A", false));
    assert!(l("a", "A", true));
    assert!(l("a_c", "a\\_c", false));
    assert!(!l("abc", "a\\_c", false));
    assert!(l("ab", "%b%", false));
    assert!(!l("a", "a\\", false));
    assert!(l("", "%", false));
    assert!(l("abcabc", "%abc", false));
    assert!(l("xaaab", "x%a%b", false));
    assert!(!l("ab", "a", false));
    assert!(l("ÄB", "äb", true));
    assert!(l("100%", "100\\%", false));
}

#[test]
fn every_operator_on_extreme_values_never_panics() {
    let vals: Vec<(&str, DataType)> = vec![
        ("-32768", T::Int2),
        ("-2147483648", T::Int4),
        ("-9223372036854775808", T::Int8),
        ("9223372036854775807", T::Int8),
        ("0", T::Int4),
        ("-1", T::Int4),
        ("1e38", T::Float4),
        ("-1e308", T::Float8),
        ("NaN", T::Float8),
        ("0", T::Float8),
        ("79228162514264337593543950335", T::Numeric(None)),
        ("0.0000000000000000000000000001", T::Numeric(None)),
        ("0", T::Numeric(None)),
        ("infinity", T::Date),
        ("5874897-12-31", T::Date),
        ("infinity", T::Timestamp),
        ("262142-12-31 23:59:59", T::Timestamp),
        ("-infinity", T::TimestampTz),
        ("23:59:59.999999", T::Time),
        ("2147483647 days 2147483647 mons", T::Interval),
        ("-2562047788 hours", T::Interval),
        ("[1]", T::Jsonb),
        ("x", T::Text),
        ("a  ", T::Char(Some(3))),
        ("\\x00", T::Bytea),
        ("{1,NULL}", T::Array(Box::new(T::Int4))),
        ("t", T::Bool),
    ];
    let ops = [
        Add,
        Sub,
        Mul,
        Div,
        Mod,
        Pow,
        Concat,
        Eq,
        NotEq,
        Lt,
        LtEq,
        Gt,
        GtEq,
        BitAnd,
        BitOr,
        BitXor,
        ShiftLeft,
        ShiftRight,
        JsonGet,
        JsonGetText,
        JsonContains,
        JsonExists,
    ];
    for (a, at) in &vals {
        for (b, bt) in &vals {
            for op in ops {
                let _ = ev(a, at.clone(), op, b, bt.clone());
            }
        }
        for (_, to) in &vals {
            for context in [
                CastContext::Implicit,
                CastContext::Assignment,
                CastContext::Explicit,
            ] {
                if let Ok(v) = text::parse(a, at, &ctx()) {
                    let _ = cast(v, at, to, context, &ctx());
                }
            }
        }
        for op in [UnaryOp::Neg, UnaryOp::Plus, UnaryOp::BitNot] {
            if let Ok(v) = text::parse(a, at, &ctx()) {
                let _ = unary_op(op, &v);
            }
        }
    }
}
