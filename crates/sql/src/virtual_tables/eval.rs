//! Run-time functions the catalog queries of psql and drivers need and the
//! scalar function library does not have: regular-expression matches,
//! `x op ANY (array)`, array subscripts and `array_to_string`, and lookups
//! in tables the binder built from the catalog snapshot
//! (`pg_get_indexdef(oid)`, `oid::regclass::text`, ...).
//!
//! They are bound as [`Expr::Catalog`](crate::plan::Expr::Catalog) nodes.

use std::sync::Arc;

use rangedb_sqltypes::ops::{self, BinaryOp, BinaryOpSignature};
use rangedb_sqltypes::{text, DataType, EvalContext, SqlError, SqlState, Value};

/// A function evaluated by [`call`].
#[derive(Debug, Clone, PartialEq)]
pub enum CatalogFn {
    /// `text ~ pattern` (POSIX regular expression; `~*` ignores case).
    RegexMatch {
        case_insensitive: bool,
        negated: bool,
    },
    /// `s [NOT] SIMILAR TO pattern [ESCAPE e]`: args are s, pattern and,
    /// when written, the escape.
    SimilarTo { negated: bool },
    /// `x op ANY (array)` / `x op ALL (array)`.
    Quantified {
        op: BinaryOp,
        signature: BinaryOpSignature,
        all: bool,
    },
    /// `ARRAY[a, b, ...]`.
    MakeArray,
    /// `array[i]` (1-based; NULL outside the array).
    Subscript,
    /// `array_to_string(array, sep [, null_string])`.
    ArrayToString { elem: DataType },
    /// `array_upper(array, dim)` / `array_length(array, dim)`.
    ArrayUpper,
    /// `array_lower(array, dim)`.
    ArrayLower,
    /// `cardinality(array)`.
    Cardinality,
    /// `format_type(type_oid, typmod)`.
    FormatType,
    /// `pg_size_pretty(bigint)`.
    SizePretty,
    /// The value whose key equals the arguments, from a table built at bind
    /// time; `default` when none does (`None`: fail like PostgreSQL does for
    /// an unknown name).
    Lookup {
        name: &'static str,
        table: Arc<Vec<(Vec<Value>, Value)>>,
        default: Option<Value>,
    },
}

impl CatalogFn {
    /// The name EXPLAIN prints.
    pub fn name(&self) -> &'static str {
        match self {
            CatalogFn::RegexMatch {
                case_insensitive: false,
                negated: false,
            } => "textregexeq",
            CatalogFn::RegexMatch {
                case_insensitive: false,
                negated: true,
            } => "textregexne",
            CatalogFn::RegexMatch {
                case_insensitive: true,
                negated: false,
            } => "texticregexeq",
            CatalogFn::RegexMatch {
                case_insensitive: true,
                negated: true,
            } => "texticregexne",
            CatalogFn::SimilarTo { negated: false } => "similar_to",
            CatalogFn::SimilarTo { negated: true } => "not_similar_to",
            CatalogFn::Quantified { all: false, .. } => "any",
            CatalogFn::Quantified { all: true, .. } => "all",
            CatalogFn::MakeArray => "array",
            CatalogFn::Subscript => "subscript",
            CatalogFn::ArrayToString { .. } => "array_to_string",
            CatalogFn::ArrayUpper => "array_upper",
            CatalogFn::ArrayLower => "array_lower",
            CatalogFn::Cardinality => "cardinality",
            CatalogFn::FormatType => "format_type",
            CatalogFn::SizePretty => "pg_size_pretty",
            CatalogFn::Lookup { name, .. } => name,
        }
    }
}

/// Whether two lookup keys are equal: integers and OIDs by value, strings
/// by text.
fn key_eq(a: &Value, b: &Value) -> bool {
    match (a.as_i64(), b.as_i64()) {
        (Some(x), Some(y)) => x == y,
        _ => match (a.as_str(), b.as_str()) {
            (Some(x), Some(y)) => x == y,
            _ => a.sql_cmp(b) == Some(std::cmp::Ordering::Equal),
        },
    }
}

/// The text PostgreSQL's `format_type` prints for a type OID and modifier.
pub fn format_type(oid: u32, typmod: i32) -> String {
    let Some(ty) = DataType::from_oid(oid) else {
        return if oid == 0 { "-".into() } else { "???".into() };
    };
    let m = typmod - 4;
    let with_mod = |t: &DataType| -> DataType {
        if typmod < 0 {
            return t.clone();
        }
        match t {
            DataType::Varchar(_) => DataType::Varchar(Some(m as u32)),
            DataType::Char(_) => DataType::Char(Some(m as u32)),
            DataType::Numeric(_) => {
                DataType::Numeric(Some(((m >> 16) as u32, (m & 0xffff) as u32)))
            }
            other => other.clone(),
        }
    };
    match &ty {
        DataType::Array(elem) => format!("{}[]", with_mod(elem).sql_name()),
        DataType::Char(_) if typmod < 0 => "bpchar".into(),
        other => with_mod(other).sql_name(),
    }
}

/// PostgreSQL's `pg_size_pretty(bigint)`.
pub fn size_pretty(size: i64) -> String {
    let limit = 10 * 1024;
    let limit2 = limit * 2 - 1;
    if size.abs() < limit {
        return format!("{size} bytes");
    }
    let half_rounded = |x: i64| (x + if x < 0 { -1 } else { 1 }) / 2;
    // One extra bit is kept for rounding.
    let mut s = size >> 9;
    for unit in ["kB", "MB", "GB", "TB"] {
        if s.abs() < limit2 || unit == "TB" {
            return format!("{} {unit}", half_rounded(s));
        }
        s >>= 10;
    }
    unreachable!("the loop returns at TB")
}

fn array_of(v: &Value) -> Option<&[Value]> {
    match v {
        Value::Array(items) => Some(items),
        _ => None,
    }
}

/// Evaluates `func` on evaluated arguments.
pub fn call(func: &CatalogFn, args: &[Value], ctx: &EvalContext) -> Result<Value, SqlError> {
    let arg = |i: usize| args.get(i).unwrap_or(&Value::Null);
    match func {
        CatalogFn::RegexMatch {
            case_insensitive,
            negated,
        } => match (arg(0).as_str(), arg(1).as_str()) {
            (Some(s), Some(p)) => Ok(Value::Bool(
                rangedb_sqltypes::func::regex::is_match(s, p, *case_insensitive)? != *negated,
            )),
            _ => Ok(Value::Null),
        },
        CatalogFn::SimilarTo { negated } => {
            let escape = match args.get(2) {
                None => None,
                Some(Value::Null) => return Ok(Value::Null),
                Some(e) => Some(e.as_str().unwrap_or_default()),
            };
            match (arg(0).as_str(), arg(1).as_str()) {
                (Some(s), Some(p)) => Ok(Value::Bool(
                    rangedb_sqltypes::func::regex::similar_to(s, p, escape)? != *negated,
                )),
                _ => Ok(Value::Null),
            }
        }
        CatalogFn::Quantified { op, signature, all } => {
            let x = arg(0);
            let Some(items) = array_of(arg(1)) else {
                return Ok(Value::Null);
            };
            let mut saw_null = false;
            for item in items {
                if x.is_null() || item.is_null() {
                    saw_null = true;
                    continue;
                }
                match ops::binary_op(*op, x, item, signature, ctx)? {
                    Value::Bool(b) if b != *all => return Ok(Value::Bool(b)),
                    Value::Bool(_) => {}
                    _ => saw_null = true,
                }
            }
            Ok(if saw_null {
                Value::Null
            } else {
                Value::Bool(*all)
            })
        }
        CatalogFn::MakeArray => Ok(Value::Array(args.to_vec())),
        CatalogFn::Subscript => {
            let (Some(items), Some(i)) = (array_of(arg(0)), arg(1).as_i64()) else {
                return Ok(Value::Null);
            };
            Ok(usize::try_from(i - 1)
                .ok()
                .and_then(|i| items.get(i))
                .cloned()
                .unwrap_or(Value::Null))
        }
        CatalogFn::ArrayToString { elem } => {
            let (Some(items), Some(sep)) = (array_of(arg(0)), arg(1).as_str()) else {
                return Ok(Value::Null);
            };
            let null_text = arg(2).as_str();
            let parts: Vec<String> = items
                .iter()
                .filter_map(|v| match v {
                    Value::Null => null_text.map(str::to_string),
                    v => Some(text::format(v, elem, ctx)),
                })
                .collect();
            Ok(Value::Text(parts.join(sep)))
        }
        CatalogFn::ArrayUpper | CatalogFn::ArrayLower | CatalogFn::Cardinality => {
            let Some(items) = array_of(arg(0)) else {
                return Ok(Value::Null);
            };
            if items.is_empty() {
                return Ok(if matches!(func, CatalogFn::Cardinality) {
                    Value::Int4(0)
                } else {
                    Value::Null
                });
            }
            if !matches!(func, CatalogFn::Cardinality) && arg(1).as_i64() != Some(1) {
                return Ok(Value::Null);
            }
            Ok(Value::Int4(if matches!(func, CatalogFn::ArrayLower) {
                1
            } else {
                items.len() as i32
            }))
        }
        CatalogFn::FormatType => match arg(0).as_i64() {
            Some(oid) => Ok(Value::Text(format_type(
                oid as u32,
                arg(1).as_i64().unwrap_or(-1) as i32,
            ))),
            None => Ok(Value::Null),
        },
        CatalogFn::SizePretty => match arg(0).as_i64() {
            Some(n) => Ok(Value::Text(size_pretty(n))),
            None => Ok(Value::Null),
        },
        CatalogFn::Lookup {
            name,
            table,
            default,
        } => {
            if args.iter().any(Value::is_null) {
                return Ok(Value::Null);
            }
            for (key, value) in table.iter() {
                if key.len() <= args.len() && key.iter().zip(args).all(|(k, a)| key_eq(k, a)) {
                    return Ok(value.clone());
                }
            }
            match default {
                Some(d) => Ok(d.clone()),
                None => Err(SqlError::new(
                    SqlState::UNDEFINED_OBJECT,
                    format!(
                        "{name}: \"{}\" does not exist",
                        text::format(arg(0), &arg(0).natural_type(), ctx)
                    ),
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use rangedb_sqltypes::func::regex::is_match as regex_is_match;

    #[test]
    fn regex_operators_match_psql_patterns() {
        assert!(regex_is_match("t", "^(t)$", false).unwrap());
        assert!(!regex_is_match("t_pkey", "^(t)$", false).unwrap());
        assert!(regex_is_match("pg_toast", "^pg_", false).unwrap());
        assert!(regex_is_match("ABC", "^abc$", true).unwrap());
        assert!(regex_is_match("x", "(", false).is_err());
    }

    #[test]
    fn format_type_applies_modifiers() {
        assert_eq!(format_type(1043, 24), "character varying(20)");
        assert_eq!(format_type(1700, ((10 << 16) | 2) + 4), "numeric(10,2)");
        assert_eq!(format_type(23, -1), "integer");
        assert_eq!(format_type(1007, -1), "integer[]");
        assert_eq!(format_type(1042, 5), "character(1)");
    }

    #[test]
    fn size_pretty_matches_postgres() {
        assert_eq!(size_pretty(0), "0 bytes");
        assert_eq!(size_pretty(8192), "8192 bytes");
        assert_eq!(size_pretty(7_740_000), "7559 kB");
    }

    #[test]
    fn quantified_and_arrays() {
        let ctx = EvalContext::default();
        let sig = ops::binary_op_type(BinaryOp::Eq, &DataType::Int4, &DataType::Int4).unwrap();
        let any = CatalogFn::Quantified {
            op: BinaryOp::Eq,
            signature: sig,
            all: false,
        };
        let arr = Value::Array(vec![Value::Int4(1), Value::Int4(2)]);
        assert_eq!(
            call(&any, &[Value::Int4(2), arr.clone()], &ctx).unwrap(),
            Value::Bool(true)
        );
        assert_eq!(
            call(&any, &[Value::Int4(3), arr.clone()], &ctx).unwrap(),
            Value::Bool(false)
        );
        assert_eq!(
            call(&CatalogFn::Subscript, &[arr.clone(), Value::Int4(2)], &ctx).unwrap(),
            Value::Int4(2)
        );
        assert_eq!(
            call(&CatalogFn::ArrayUpper, &[arr.clone(), Value::Int4(1)], &ctx).unwrap(),
            Value::Int4(2)
        );
        let a2s = CatalogFn::ArrayToString {
            elem: DataType::Int4,
        };
        assert_eq!(
            call(&a2s, &[arr, Value::Text(",".into())], &ctx).unwrap(),
            Value::Text("1,2".into())
        );
    }
}
