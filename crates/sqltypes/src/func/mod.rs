//! Scalar functions by name, resolved against argument types.
//!
//! Resolution follows PostgreSQL's rules in simplified form: candidates of
//! the right arity whose parameters every argument reaches exactly or by an
//! implicit cast (unknown literals reach anything); the most exact matches
//! win, then the most parameters of a category's preferred type
//! (`double precision`, `text`, ...), then declaration order.

mod datetime;
pub mod json;
mod math;
mod md5;
pub mod regex;
mod string;
mod to_char;

#[cfg(test)]
mod tests;

use crate::cast::{can_cast, CastContext};
use crate::error::{SqlError, SqlState};
use crate::types::DataType;
use crate::value::{EvalContext, Value};

/// A resolved scalar function: what to cast the arguments to and what it
/// returns.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FunctionSignature {
    /// Lower-case function name.
    pub name: String,
    pub args: Vec<DataType>,
    pub result: DataType,
    /// Whether NULL in any argument means NULL out without calling it.
    pub strict: bool,
    /// Whether the result depends only on the arguments (constant folding).
    pub immutable: bool,
}

use DataType as T;

fn num() -> T {
    T::Numeric(None)
}

fn text_array() -> T {
    T::Array(Box::new(T::Text))
}

/// The largest value PostgreSQL allocates (`MaxAllocSize`, 1 GB - 1):
/// a text or bytea result (plus its 4-byte header) must fit in it.
pub const MAX_ALLOC_SIZE: usize = 0x3fff_ffff;

/// 54000 `requested length too large` (lpad, repeat, ...).
pub(crate) fn length_too_large() -> SqlError {
    SqlError::new(
        SqlState::PROGRAM_LIMIT_EXCEEDED,
        "requested length too large",
    )
}

/// PostgreSQL's string-buffer limit: appending `more` bytes to a buffer
/// holding `have` fails with 54000 `out of memory` when the result would
/// not fit in `MAX_ALLOC_SIZE` (checked before anything is allocated).
pub(crate) fn check_buffer(have: usize, more: usize) -> Result<(), SqlError> {
    if more >= MAX_ALLOC_SIZE.saturating_sub(have) {
        return Err(
            SqlError::new(SqlState::PROGRAM_LIMIT_EXCEEDED, "out of memory").with_detail(format!(
                "Cannot enlarge string buffer containing {have} bytes by {more} more bytes."
            )),
        );
    }
    Ok(())
}

/// Functions that are called with NULL arguments (PostgreSQL's non-strict
/// functions); every other function is NULL when any argument is.
fn non_strict(name: &str) -> bool {
    matches!(name, "quote_nullable" | "string_to_array")
}

/// Functions of one argument of any type (`anyelement`).
fn any_single(name: &str) -> bool {
    matches!(name, "quote_literal" | "quote_nullable")
}

/// Overloads of a fixed-signature function: `(parameters, result)`.
fn candidates(name: &str) -> Option<Vec<(Vec<T>, T)>> {
    let c = |args: &[T], r: T| (args.to_vec(), r);
    let same_unary = |types: &[T]| {
        types
            .iter()
            .map(|t| c(std::slice::from_ref(t), t.clone()))
            .collect()
    };
    let all_num = [T::Int2, T::Int4, T::Int8, T::Float4, T::Float8, num()];
    let f8n = [T::Float8, num()];
    Some(match name {
        // Strings.
        "length" | "char_length" | "character_length" => vec![
            c(&[T::Text], T::Int4),
            c(&[T::Char(None)], T::Int4),
            c(&[T::Bytea], T::Int4),
        ],
        // char(n) first: its padding counts, and a cast to text drops it.
        "octet_length" => vec![
            c(&[T::Char(None)], T::Int4),
            c(&[T::Text], T::Int4),
            c(&[T::Bytea], T::Int4),
        ],
        // `ts AT TIME ZONE zone`.
        "timezone" => vec![
            c(&[T::Text, T::TimestampTz], T::Timestamp),
            c(&[T::Text, T::Timestamp], T::TimestampTz),
        ],
        "bit_length" => vec![c(&[T::Text], T::Int4), c(&[T::Bytea], T::Int4)],
        "lower" | "upper" | "initcap" | "reverse" | "md5" | "quote_ident" | "quote_literal" => {
            let mut v = vec![c(&[T::Text], T::Text)];
            if name == "md5" {
                v.push(c(&[T::Bytea], T::Text));
            }
            v
        }
        "quote_nullable" => vec![c(&[T::Text], T::Text)],
        "substr" | "substring" => {
            let mut v = vec![
                c(&[T::Text, T::Int4], T::Text),
                c(&[T::Text, T::Int4, T::Int4], T::Text),
                c(&[T::Bytea, T::Int4], T::Bytea),
                c(&[T::Bytea, T::Int4, T::Int4], T::Bytea),
            ];
            if name == "substring" {
                // `substring(s FROM pattern)`: the POSIX regular-expression form.
                v.push(c(&[T::Text, T::Text], T::Text));
            }
            v
        }
        "overlay" => vec![
            c(&[T::Text, T::Text, T::Int4], T::Text),
            c(&[T::Text, T::Text, T::Int4, T::Int4], T::Text),
            c(&[T::Bytea, T::Bytea, T::Int4], T::Bytea),
            c(&[T::Bytea, T::Bytea, T::Int4, T::Int4], T::Bytea),
        ],
        "regexp_replace" => vec![
            c(&[T::Text, T::Text, T::Text], T::Text),
            c(&[T::Text, T::Text, T::Text, T::Text], T::Text),
            c(&[T::Text, T::Text, T::Text, T::Int4], T::Text),
            c(&[T::Text, T::Text, T::Text, T::Int4, T::Int4], T::Text),
            c(
                &[T::Text, T::Text, T::Text, T::Int4, T::Int4, T::Text],
                T::Text,
            ),
        ],
        "regexp_match" | "regexp_split_to_array" => vec![
            c(&[T::Text, T::Text], text_array()),
            c(&[T::Text, T::Text, T::Text], text_array()),
        ],
        "regexp_like" => vec![
            c(&[T::Text, T::Text], T::Bool),
            c(&[T::Text, T::Text, T::Text], T::Bool),
        ],
        "regexp_count" => vec![
            c(&[T::Text, T::Text], T::Int4),
            c(&[T::Text, T::Text, T::Int4], T::Int4),
            c(&[T::Text, T::Text, T::Int4, T::Text], T::Int4),
        ],
        "sha224" | "sha256" | "sha384" | "sha512" => vec![c(&[T::Bytea], T::Bytea)],
        "get_byte" => vec![c(&[T::Bytea, T::Int4], T::Int4)],
        "get_bit" => vec![c(&[T::Bytea, T::Int8], T::Int4)],
        "set_byte" => vec![c(&[T::Bytea, T::Int4, T::Int4], T::Bytea)],
        "set_bit" => vec![c(&[T::Bytea, T::Int8, T::Int4], T::Bytea)],
        "strpos" | "position" => vec![c(&[T::Text, T::Text], T::Int4)],
        "replace" | "translate" => vec![c(&[T::Text, T::Text, T::Text], T::Text)],
        "btrim" | "trim" | "ltrim" | "rtrim" => {
            vec![c(&[T::Text], T::Text), c(&[T::Text, T::Text], T::Text)]
        }
        "lpad" | "rpad" => vec![
            c(&[T::Text, T::Int4], T::Text),
            c(&[T::Text, T::Int4, T::Text], T::Text),
        ],
        "left" | "right" | "repeat" => vec![c(&[T::Text, T::Int4], T::Text)],
        "split_part" => vec![c(&[T::Text, T::Text, T::Int4], T::Text)],
        "ascii" => vec![c(&[T::Text], T::Int4)],
        "chr" => vec![c(&[T::Int4], T::Text)],
        "starts_with" => vec![c(&[T::Text, T::Text], T::Bool)],
        "to_hex" => vec![c(&[T::Int4], T::Text), c(&[T::Int8], T::Text)],
        "encode" => vec![c(&[T::Bytea, T::Text], T::Text)],
        "decode" => vec![c(&[T::Text, T::Text], T::Bytea)],
        "string_to_array" => vec![
            c(&[T::Text, T::Text], text_array()),
            c(&[T::Text, T::Text, T::Text], text_array()),
        ],
        // Math.
        "abs" => same_unary(&all_num),
        "ceil" | "ceiling" | "floor" | "sign" => same_unary(&f8n),
        "round" | "trunc" => vec![
            c(&[T::Float8], T::Float8),
            c(&[num()], num()),
            c(&[num(), T::Int4], num()),
        ],
        "sqrt" | "exp" | "ln" | "log10" => same_unary(&f8n),
        "log" => vec![
            c(&[T::Float8], T::Float8),
            c(&[num()], num()),
            c(&[num(), num()], num()),
        ],
        "cbrt" | "degrees" | "radians" | "sin" | "cos" | "tan" | "cot" | "asin" | "acos"
        | "atan" | "sinh" | "cosh" | "tanh" | "asinh" | "acosh" | "atanh" | "sind" | "cosd"
        | "tand" | "asind" | "acosd" | "atand" => same_unary(&[T::Float8]),
        "atan2" | "atan2d" => vec![c(&[T::Float8, T::Float8], T::Float8)],
        "power" | "pow" => vec![
            c(&[T::Float8, T::Float8], T::Float8),
            c(&[num(), num()], num()),
        ],
        "mod" => vec![
            c(&[T::Int2, T::Int2], T::Int2),
            c(&[T::Int4, T::Int4], T::Int4),
            c(&[T::Int8, T::Int8], T::Int8),
            c(&[num(), num()], num()),
        ],
        "div" => vec![c(&[num(), num()], num())],
        "gcd" | "lcm" => vec![
            c(&[T::Int4, T::Int4], T::Int4),
            c(&[T::Int8, T::Int8], T::Int8),
            c(&[num(), num()], num()),
        ],
        "pi" => vec![c(&[], T::Float8)],
        "random" => vec![c(&[], T::Float8)],
        "width_bucket" => vec![c(&[T::Float8, T::Float8, T::Float8, T::Int4], T::Int4)],
        // Date/time.
        "now"
        | "current_timestamp"
        | "transaction_timestamp"
        | "statement_timestamp"
        | "clock_timestamp" => vec![c(&[], T::TimestampTz)],
        "current_date" => vec![c(&[], T::Date)],
        "localtimestamp" => vec![c(&[], T::Timestamp)],
        "localtime" | "current_time" => vec![c(&[], T::Time)],
        "timeofday" => vec![c(&[], T::Text)],
        "date_trunc" => vec![
            c(&[T::Text, T::Timestamp], T::Timestamp),
            c(&[T::Text, T::TimestampTz], T::TimestampTz),
            c(&[T::Text, T::Interval], T::Interval),
            c(&[T::Text, T::TimestampTz, T::Text], T::TimestampTz),
        ],
        "date_part" => vec![
            c(&[T::Text, T::Timestamp], T::Float8),
            c(&[T::Text, T::TimestampTz], T::Float8),
            c(&[T::Text, T::Interval], T::Float8),
            c(&[T::Text, T::Time], T::Float8),
            c(&[T::Text, T::Date], T::Float8),
        ],
        "extract" => vec![
            c(&[T::Text, T::Timestamp], num()),
            c(&[T::Text, T::TimestampTz], num()),
            c(&[T::Text, T::Interval], num()),
            c(&[T::Text, T::Time], num()),
            c(&[T::Text, T::Date], num()),
        ],
        "age" => vec![
            c(&[T::Timestamp, T::Timestamp], T::Interval),
            c(&[T::TimestampTz, T::TimestampTz], T::Interval),
            c(&[T::Timestamp], T::Interval),
            c(&[T::TimestampTz], T::Interval),
        ],
        "make_date" => vec![c(&[T::Int4, T::Int4, T::Int4], T::Date)],
        "make_time" => vec![c(&[T::Int4, T::Int4, T::Float8], T::Time)],
        "make_timestamp" => vec![c(
            &[T::Int4, T::Int4, T::Int4, T::Int4, T::Int4, T::Float8],
            T::Timestamp,
        )],
        "make_timestamptz" => vec![c(
            &[T::Int4, T::Int4, T::Int4, T::Int4, T::Int4, T::Float8],
            T::TimestampTz,
        )],
        "make_interval" => (0..=7)
            .map(|n| {
                let all = [
                    T::Int4,
                    T::Int4,
                    T::Int4,
                    T::Int4,
                    T::Int4,
                    T::Int4,
                    T::Float8,
                ];
                c(&all[..n], T::Interval)
            })
            .collect(),
        "justify_days" | "justify_hours" | "justify_interval" => {
            vec![c(&[T::Interval], T::Interval)]
        }
        "isfinite" => vec![
            c(&[T::Date], T::Bool),
            c(&[T::Timestamp], T::Bool),
            c(&[T::TimestampTz], T::Bool),
            c(&[T::Interval], T::Bool),
        ],
        "to_char" => vec![
            c(&[T::Timestamp, T::Text], T::Text),
            c(&[T::TimestampTz, T::Text], T::Text),
            c(&[T::Interval, T::Text], T::Text),
            c(&[T::Int4, T::Text], T::Text),
            c(&[T::Int8, T::Text], T::Text),
            c(&[T::Float8, T::Text], T::Text),
            c(&[num(), T::Text], T::Text),
        ],
        "to_date" => vec![c(&[T::Text, T::Text], T::Date)],
        "to_timestamp" => vec![
            c(&[T::Float8], T::TimestampTz),
            c(&[T::Text, T::Text], T::TimestampTz),
        ],
        "to_number" => vec![c(&[T::Text, T::Text], num())],
        // Misc.
        "gen_random_uuid" | "uuid_generate_v4" => vec![c(&[], T::Uuid)],
        "jsonb_typeof" => vec![c(&[T::Jsonb], T::Text)],
        "json_typeof" => vec![c(&[T::Json], T::Text)],
        "jsonb_array_length" => vec![c(&[T::Jsonb], T::Int4)],
        "json_array_length" => vec![c(&[T::Json], T::Int4)],
        "jsonb_pretty" => vec![c(&[T::Jsonb], T::Text)],
        "jsonb_strip_nulls" => vec![c(&[T::Jsonb], T::Jsonb)],
        "jsonb_set" | "jsonb_insert" => vec![
            c(&[T::Jsonb, text_array(), T::Jsonb], T::Jsonb),
            c(&[T::Jsonb, text_array(), T::Jsonb, T::Bool], T::Jsonb),
        ],
        "cardinality" => vec![c(&[T::Array(Box::new(T::Unknown))], T::Int4)],
        _ => return None,
    })
}

/// Functions taking any number of arguments of any type.
fn variadic_any(name: &str) -> Option<(T, bool)> {
    // (result, strict)
    Some(match name {
        "concat" | "concat_ws" | "format" => (T::Text, false),
        "json_build_object" | "json_build_array" => (T::Json, false),
        "jsonb_build_object" | "jsonb_build_array" => (T::Jsonb, false),
        "num_nulls" | "num_nonnulls" => (T::Int4, false),
        "to_json" | "to_jsonb" | "jsonb_extract_path" | "jsonb_extract_path_text" => (
            match name {
                "to_json" => T::Json,
                "jsonb_extract_path_text" => T::Text,
                _ => T::Jsonb,
            },
            true,
        ),
        _ => return None,
    })
}

fn is_preferred(t: &T) -> bool {
    matches!(
        t,
        T::Float8 | T::Text | T::TimestampTz | T::Interval | T::Bool | T::Oid
    )
}

fn volatile(name: &str) -> bool {
    matches!(
        name,
        "random" | "clock_timestamp" | "timeofday" | "gen_random_uuid" | "uuid_generate_v4"
    )
}

fn stable(name: &str) -> bool {
    matches!(
        name,
        "now"
            | "current_timestamp"
            | "transaction_timestamp"
            | "statement_timestamp"
            | "current_date"
            | "localtimestamp"
            | "localtime"
            | "current_time"
    )
}

fn not_found(name: &str, args: &[T]) -> SqlError {
    let list: Vec<String> = args.iter().map(|a| a.sql_name()).collect();
    SqlError::new(
        SqlState::UNDEFINED_FUNCTION,
        format!("function {name}({}) does not exist", list.join(", ")),
    )
    .with_hint(
        "No function matches the given name and argument types. You might need to add explicit type casts.",
    )
}

/// The common type of `greatest`/`least`/`coalesce`-style arguments
/// (PostgreSQL's UNION/CASE type resolution, simplified).
pub fn common_type(args: &[T]) -> Option<T> {
    let mut best: Option<T> = None;
    for a in args {
        if *a == T::Unknown {
            continue;
        }
        best = Some(match best {
            None => a.without_modifier(),
            Some(b) if b == a.without_modifier() => b,
            Some(b) if can_cast(&b, a, CastContext::Implicit) => a.without_modifier(),
            Some(b) if can_cast(a, &b, CastContext::Implicit) => b,
            Some(_) => return None,
        });
    }
    Some(best.unwrap_or(T::Text))
}

/// Resolves `name(args...)` (lower-case name, no schema) to a signature;
/// 42883 `function foo(integer) does not exist` when nothing matches.
pub fn resolve(name: &str, args: &[DataType]) -> Result<FunctionSignature, SqlError> {
    let immutable = !volatile(name) && !stable(name);
    if let Some((result, strict)) = variadic_any(name) {
        let ok = match name {
            "to_json" | "to_jsonb" => args.len() == 1,
            "concat_ws" | "format" | "jsonb_extract_path" | "jsonb_extract_path_text" => {
                !args.is_empty()
            }
            _ => true,
        };
        if !ok {
            return Err(not_found(name, args));
        }
        let mut resolved: Vec<T> = args
            .iter()
            .map(|a| if *a == T::Unknown { T::Text } else { a.clone() })
            .collect();
        if matches!(name, "concat_ws" | "format") {
            resolved[0] = T::Text;
        }
        if matches!(name, "jsonb_extract_path" | "jsonb_extract_path_text") {
            resolved[0] = T::Jsonb;
            for r in resolved.iter_mut().skip(1) {
                *r = T::Text;
            }
        }
        return Ok(FunctionSignature {
            name: name.to_string(),
            args: resolved,
            result,
            strict,
            immutable: immutable && !matches!(name, "format" | "concat" | "concat_ws"),
        });
    }
    if matches!(name, "greatest" | "least" | "coalesce" | "nullif") {
        if args.is_empty() || (name == "nullif" && args.len() != 2) {
            return Err(not_found(name, args));
        }
        let t = common_type(args).ok_or_else(|| not_found(name, args))?;
        let result = if name == "nullif" {
            args[0].without_modifier()
        } else {
            t.clone()
        };
        let result = if result == T::Unknown {
            T::Text
        } else {
            result
        };
        return Ok(FunctionSignature {
            name: name.to_string(),
            args: vec![t; args.len()],
            result,
            strict: false,
            immutable: true,
        });
    }
    if any_single(name) && args.len() == 1 && !args[0].is_string() && args[0] != T::Unknown {
        // quote_literal(anyelement): the value's text form, quoted.
        return Ok(FunctionSignature {
            name: name.to_string(),
            args: vec![args[0].clone()],
            result: T::Text,
            strict: !non_strict(name),
            immutable: false,
        });
    }
    if name == "regexp_matches" {
        // A set-returning function: zero rows without a match, one per
        // match with "g". Not a scalar.
        return Err(SqlError::unsupported(
            "regexp_matches() returns a set of rows, which is not supported; use regexp_match()",
        ));
    }
    let cands = candidates(name).ok_or_else(|| not_found(name, args))?;
    type Scored<'a> = ((usize, usize), &'a (Vec<T>, T));
    let mut best: Option<Scored> = None;
    for cand in &cands {
        if cand.0.len() != args.len() {
            continue;
        }
        let mut exact = 0;
        let mut preferred = 0;
        let mut ok = true;
        for (a, p) in args.iter().zip(cand.0.iter()) {
            let matches_array_any =
                matches!((a, p), (T::Array(_), T::Array(e)) if **e == T::Unknown);
            if a.without_modifier() == p.without_modifier() || matches_array_any {
                exact += 1;
            } else if *a == T::Unknown || can_cast(a, p, CastContext::Implicit) {
                if is_preferred(p) {
                    preferred += 1;
                }
            } else {
                ok = false;
                break;
            }
        }
        if !ok {
            continue;
        }
        let score = (exact, preferred);
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, cand));
        }
    }
    let (_, (params, result)) = best.ok_or_else(|| not_found(name, args))?;
    let params = params
        .iter()
        .zip(args)
        .map(|(p, a)| match p {
            T::Array(e) if **e == T::Unknown => a.clone(),
            _ => p.clone(),
        })
        .collect();
    Ok(FunctionSignature {
        name: name.to_string(),
        args: params,
        result: result.clone(),
        strict: !non_strict(name),
        immutable,
    })
}

/// 22023-style errors for bad arguments.
pub(crate) fn invalid_param(msg: impl Into<String>) -> SqlError {
    SqlError::new(SqlState::INVALID_PARAMETER_VALUE, msg)
}

/// Calls a resolved function on arguments already cast to its signature.
pub fn call(
    signature: &FunctionSignature,
    args: &[Value],
    ctx: &EvalContext,
) -> Result<Value, SqlError> {
    if signature.strict && args.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    let name = signature.name.as_str();
    if let Some(v) = string::call(name, signature, args, ctx)? {
        return Ok(v);
    }
    if let Some(v) = math::call(name, signature, args)? {
        return Ok(v);
    }
    if let Some(v) = datetime::call(name, signature, args, ctx)? {
        return Ok(v);
    }
    if let Some(v) = json::call(name, signature, args, ctx)? {
        return Ok(v);
    }
    if let Some(v) = regex::call(name, args)? {
        return Ok(v);
    }
    match name {
        "greatest" | "least" => {
            let mut best: Option<&Value> = None;
            for a in args.iter().filter(|a| !a.is_null()) {
                best = Some(match best {
                    None => a,
                    Some(b) => {
                        let o = a.total_cmp(b);
                        if (name == "greatest" && o.is_gt()) || (name == "least" && o.is_lt()) {
                            a
                        } else {
                            b
                        }
                    }
                });
            }
            Ok(best.cloned().unwrap_or(Value::Null))
        }
        "coalesce" => Ok(args
            .iter()
            .find(|a| !a.is_null())
            .cloned()
            .unwrap_or(Value::Null)),
        "nullif" => match (args.first(), args.get(1)) {
            (Some(a), Some(b))
                if !a.is_null() && a.sql_cmp(b) == Some(std::cmp::Ordering::Equal) =>
            {
                Ok(Value::Null)
            }
            (Some(a), _) => Ok(a.clone()),
            _ => Ok(Value::Null),
        },
        "num_nulls" => Ok(Value::Int4(
            args.iter().filter(|a| a.is_null()).count() as i32
        )),
        "num_nonnulls" => Ok(Value::Int4(
            args.iter().filter(|a| !a.is_null()).count() as i32
        )),
        "gen_random_uuid" | "uuid_generate_v4" => Ok(Value::Uuid(uuid::Uuid::new_v4())),
        "cardinality" => match args.first() {
            Some(Value::Array(items)) => Ok(Value::Int4(count_elements(items) as i32)),
            _ => Ok(Value::Null),
        },
        _ => Err(not_found(name, &signature.args)),
    }
}

fn count_elements(items: &[Value]) -> usize {
    items
        .iter()
        .map(|v| match v {
            Value::Array(inner) => count_elements(inner),
            _ => 1,
        })
        .sum()
}

/// Extracts the `i`th argument as text (callers have cast it already).
pub(crate) fn arg_str(args: &[Value], i: usize) -> &str {
    match args.get(i) {
        Some(Value::Text(s)) | Some(Value::Json(s)) => s,
        _ => "",
    }
}

/// Extracts the `i`th argument as an integer.
pub(crate) fn arg_i64(args: &[Value], i: usize) -> i64 {
    args.get(i).and_then(Value::as_i64).unwrap_or(0)
}

/// Extracts the `i`th argument as a float.
pub(crate) fn arg_f64(args: &[Value], i: usize) -> f64 {
    args.get(i).and_then(Value::as_f64).unwrap_or(0.0)
}
