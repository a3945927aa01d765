//! JSON functions: `to_json[b]`, `json[b]_build_object/array`,
//! `jsonb_typeof`, `jsonb_array_length`, `jsonb_pretty`, ...

use chrono::{DateTime, Utc};
use serde_json::Value as Json;

use super::{arg_str, invalid_param, FunctionSignature};
use crate::error::{SqlError, SqlState};
use crate::text::{self, json::escape_json_string, json::format_jsonb, json::sorted_keys};
use crate::types::DataType;
use crate::value::{EvalContext, Value};

fn number_from_str(s: &str) -> Json {
    serde_json::from_str::<serde_json::Number>(s)
        .map(Json::Number)
        .unwrap_or_else(|_| Json::String(s.to_string()))
}

/// A SQL value as `to_jsonb` converts it.
pub fn value_to_json(v: &Value, ty: &DataType, ctx: &EvalContext) -> Result<Json, SqlError> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int2(_) | Value::Int4(_) | Value::Int8(_) | Value::Oid(_) => {
            Json::from(v.as_i64().unwrap_or(0))
        }
        Value::Float4(_) | Value::Float8(_) => {
            let f = v.as_f64().unwrap_or(0.0);
            let s = text::format(v, ty, ctx);
            if f.is_finite() {
                number_from_str(&s)
            } else {
                Json::String(s)
            }
        }
        Value::Numeric(d) => number_from_str(&text::numeric::format_numeric(d)),
        Value::Json(s) => text::json::parse_jsonb(s)?,
        Value::Jsonb(j) => j.clone(),
        Value::Array(items) => {
            let elem = ty.array_element().unwrap_or(DataType::Unknown);
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                let t = if elem == DataType::Unknown {
                    item.natural_type()
                } else {
                    elem.clone()
                };
                out.push(value_to_json(item, &t, ctx)?);
            }
            Json::Array(out)
        }
        Value::Timestamp(ts) => {
            Json::String(text::datetime::format_timestamp(ts).replacen(' ', "T", 1))
        }
        Value::TimestampTz(ts) => Json::String(json_timestamptz(ts, ctx)),
        other => Json::String(text::format(other, ty, ctx)),
    })
}

fn json_timestamptz(ts: &DateTime<Utc>, ctx: &EvalContext) -> String {
    if text::datetime::timestamptz_is_infinite(ts) {
        return text::datetime::format_timestamptz(ts, &ctx.timezone);
    }
    let (local, off) = text::datetime::to_local(ts, &ctx.timezone);
    let base = text::datetime::format_timestamp(&local).replacen(' ', "T", 1);
    let sign = if off < 0 { '-' } else { '+' };
    let a = off.unsigned_abs();
    format!("{base}{sign}{:02}:{:02}", a / 3600, a / 60 % 60)
}

/// The `json` (not jsonb) text of a value: `json_build_object` spacing.
fn json_text(j: &Json, top_object_spacing: bool) -> String {
    match j {
        Json::Object(m) if top_object_spacing => {
            let mut out = String::from("{");
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                escape_json_string(k, &mut out);
                out.push_str(" : ");
                out.push_str(&json_text(v, false));
            }
            out.push('}');
            out
        }
        Json::Array(items) if top_object_spacing => {
            let parts: Vec<String> = items.iter().map(|v| json_text(v, false)).collect();
            format!("[{}]", parts.join(", "))
        }
        Json::Array(items) => {
            let parts: Vec<String> = items.iter().map(|v| json_text(v, false)).collect();
            format!("[{}]", parts.join(","))
        }
        Json::Object(m) => {
            let mut out = String::from("{");
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                escape_json_string(k, &mut out);
                out.push(':');
                out.push_str(&json_text(v, false));
            }
            out.push('}');
            out
        }
        Json::Number(n) => text::json::format_json_number(n),
        other => format_jsonb(other),
    }
}

fn typeof_json(j: &Json) -> &'static str {
    match j {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

fn pretty(j: &Json, indent: usize, out: &mut String) {
    let pad = "    ".repeat(indent + 1);
    let close = "    ".repeat(indent);
    match j {
        Json::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                out.push_str(&pad);
                pretty(v, indent + 1, out);
            }
            out.push('\n');
            out.push_str(&close);
            out.push(']');
        }
        Json::Object(m) if !m.is_empty() => {
            out.push_str("{\n");
            for (i, k) in sorted_keys(m).into_iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                out.push_str(&pad);
                escape_json_string(k, out);
                out.push_str(": ");
                if let Some(v) = m.get(k) {
                    pretty(v, indent + 1, out);
                }
            }
            out.push('\n');
            out.push_str(&close);
            out.push('}');
        }
        other => out.push_str(&format_jsonb(other)),
    }
}

fn strip_nulls(j: &Json) -> Json {
    match j {
        Json::Object(m) => Json::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

fn as_json(v: Option<&Value>) -> Result<Json, SqlError> {
    match v {
        Some(Value::Jsonb(j)) => Ok(j.clone()),
        Some(Value::Json(s)) => text::json::parse_jsonb(s),
        _ => Ok(Json::Null),
    }
}

fn cannot_length(kind: &str) -> SqlError {
    invalid_param(format!("cannot get array length of a {kind}"))
}

/// What `set_path` does at the end of the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PathOp {
    /// `jsonb_set(..., create_if_missing => false)`.
    Replace,
    /// `jsonb_set`: replace, or add a missing key / array element.
    Create,
    /// `jsonb_insert(..., insert_after => false)`.
    InsertBefore,
    /// `jsonb_insert(..., insert_after => true)`.
    InsertAfter,
}

/// PostgreSQL's `setPath`: follows `path` from `level` into `j` and
/// replaces or inserts `new` at its end. A missing step or a scalar on the
/// way leaves `j` as it is.
fn set_path(
    j: &mut Json,
    path: &[Option<&str>],
    level: usize,
    new: &Json,
    op: PathOp,
) -> Result<(), SqlError> {
    let Some(elem) = path[level] else {
        return Err(SqlError::new(
            SqlState::NULL_VALUE_NOT_ALLOWED,
            format!("path element at position {} is null", level + 1),
        ));
    };
    let last = level + 1 == path.len();
    let create_or_insert = op != PathOp::Replace;
    let inserting = matches!(op, PathOp::InsertBefore | PathOp::InsertAfter);
    match j {
        Json::Object(m) => match m.get_mut(elem) {
            Some(v) if last => {
                if inserting {
                    return Err(invalid_param("cannot replace existing key")
                        .with_hint("Try using the function jsonb_set to replace key value."));
                }
                *v = new.clone();
            }
            Some(v) => set_path(v, path, level + 1, new, op)?,
            None if last && create_or_insert => {
                m.insert(elem.to_string(), new.clone());
            }
            None => {}
        },
        Json::Array(items) => {
            let n = items.len() as i64;
            let idx = elem.trim_start().parse::<i32>().map_err(|_| {
                SqlError::new(
                    SqlState::INVALID_TEXT_REPRESENTATION,
                    format!(
                        "path element at position {} is not an integer: \"{elem}\"",
                        level + 1
                    ),
                )
            })? as i64;
            // `None`: before the first element (a negative index past it).
            let idx = if idx < 0 {
                (-idx <= n).then_some(n + idx)
            } else {
                Some(idx.min(n))
            };
            if (idx.is_none() || n == 0) && last && create_or_insert {
                items.insert(0, new.clone());
                return Ok(());
            }
            match idx {
                Some(i) if i < n => {
                    let i = i as usize;
                    if !last {
                        return set_path(&mut items[i], path, level + 1, new, op);
                    }
                    match op {
                        PathOp::Replace | PathOp::Create => items[i] = new.clone(),
                        PathOp::InsertBefore => items.insert(i, new.clone()),
                        PathOp::InsertAfter => items.insert(i + 1, new.clone()),
                    }
                }
                Some(_) if last && create_or_insert => items.push(new.clone()),
                _ => {}
            }
        }
        _ => {}
    }
    Ok(())
}

/// `jsonb_set(target, path, new [, create_if_missing])` and
/// `jsonb_insert(target, path, new [, insert_after])`.
fn jsonb_set(name: &str, args: &[Value]) -> Result<Value, SqlError> {
    let mut target = as_json(args.first())?;
    let path: Vec<Option<&str>> = match args.get(1) {
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::Text(s) => Some(s.as_str()),
                _ => None,
            })
            .collect(),
        _ => vec![],
    };
    let new = as_json(args.get(2))?;
    let flag = match args.get(3) {
        Some(Value::Bool(b)) => Some(*b),
        _ => None,
    };
    let op = if name == "jsonb_set" {
        if flag.unwrap_or(true) {
            PathOp::Create
        } else {
            PathOp::Replace
        }
    } else if flag.unwrap_or(false) {
        PathOp::InsertAfter
    } else {
        PathOp::InsertBefore
    };
    let empty = match &target {
        Json::Object(m) => m.is_empty(),
        Json::Array(a) => a.is_empty(),
        _ => {
            return Err(invalid_param("cannot set path in scalar"));
        }
    };
    if path.is_empty() || (empty && op == PathOp::Replace) {
        return Ok(Value::Jsonb(target));
    }
    set_path(&mut target, &path, 0, &new, op)?;
    Ok(Value::Jsonb(target))
}

/// JSON functions; `None` when `name` is not one of them.
pub fn call(
    name: &str,
    sig: &FunctionSignature,
    args: &[Value],
    ctx: &EvalContext,
) -> Result<Option<Value>, SqlError> {
    Ok(Some(match name {
        "to_jsonb" | "to_json" => {
            let ty = sig.args.first().cloned().unwrap_or(DataType::Unknown);
            let v = args.first().cloned().unwrap_or(Value::Null);
            let j = value_to_json(&v, &ty, ctx)?;
            if name == "to_jsonb" {
                Value::Jsonb(j)
            } else {
                match &v {
                    Value::Json(s) => Value::Json(s.clone()),
                    _ => Value::Json(json_text(&j, false)),
                }
            }
        }
        "jsonb_build_object" | "json_build_object" => {
            if !args.len().is_multiple_of(2) {
                return Err(
                    invalid_param("argument list must have even number of elements").with_hint(
                        format!(
                            "The arguments of {name} must consist of alternating keys and values."
                        ),
                    ),
                );
            }
            let mut m = serde_json::Map::new();
            let mut order: Vec<(String, Json)> = Vec::new();
            for (i, pair) in args.chunks(2).enumerate() {
                let kt = sig.args.get(2 * i).cloned().unwrap_or(DataType::Text);
                let vt = sig.args.get(2 * i + 1).cloned().unwrap_or(DataType::Text);
                let key = match &pair[0] {
                    Value::Null => {
                        return Err(SqlError::new(
                            SqlState::NULL_VALUE_NOT_ALLOWED,
                            "null value not allowed for object key",
                        ))
                    }
                    Value::Text(s) => s.clone(),
                    other => text::format(other, &kt, ctx),
                };
                let val = value_to_json(&pair[1], &vt, ctx)?;
                order.push((key.clone(), val.clone()));
                m.insert(key, val);
            }
            if name == "jsonb_build_object" {
                Value::Jsonb(Json::Object(m))
            } else {
                // json keeps the arguments' order and duplicates.
                let mut out = String::from("{");
                for (i, (k, v)) in order.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    escape_json_string(k, &mut out);
                    out.push_str(" : ");
                    out.push_str(&json_text(v, false));
                }
                out.push('}');
                Value::Json(out)
            }
        }
        "jsonb_build_array" | "json_build_array" => {
            let mut items = Vec::with_capacity(args.len());
            for (v, t) in args.iter().zip(sig.args.iter()) {
                items.push(value_to_json(v, t, ctx)?);
            }
            let j = Json::Array(items);
            if name == "jsonb_build_array" {
                Value::Jsonb(j)
            } else {
                Value::Json(json_text(&j, true))
            }
        }
        "jsonb_typeof" | "json_typeof" => {
            Value::Text(typeof_json(&as_json(args.first())?).to_string())
        }
        "jsonb_array_length" | "json_array_length" => match as_json(args.first())? {
            Json::Array(items) => Value::Int4(items.len() as i32),
            Json::Object(_) => return Err(cannot_length("non-array")),
            _ => return Err(cannot_length("scalar")),
        },
        "jsonb_pretty" => {
            let mut out = String::new();
            pretty(&as_json(args.first())?, 0, &mut out);
            Value::Text(out)
        }
        "jsonb_strip_nulls" => Value::Jsonb(strip_nulls(&as_json(args.first())?)),
        "jsonb_set" | "jsonb_insert" => jsonb_set(name, args)?,
        "jsonb_extract_path" | "jsonb_extract_path_text" => {
            let mut cur = as_json(args.first())?;
            for i in 1..args.len() {
                let key = arg_str(args, i);
                let next = match &cur {
                    Json::Object(m) => m.get(key).cloned(),
                    Json::Array(_) => key
                        .parse::<i64>()
                        .ok()
                        .and_then(|idx| crate::ops::jsonops::get_index(&cur, idx)),
                    _ => None,
                };
                match next {
                    Some(n) => cur = n,
                    None => return Ok(Some(Value::Null)),
                }
            }
            if name == "jsonb_extract_path" {
                Value::Jsonb(cur)
            } else {
                match cur {
                    Json::Null => Value::Null,
                    Json::String(s) => Value::Text(s),
                    other => Value::Text(format_jsonb(&other)),
                }
            }
        }
        _ => return Ok(None),
    }))
}
