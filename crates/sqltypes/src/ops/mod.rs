//! Operators with PostgreSQL's typing and semantics.

pub mod arith;
pub mod jsonops;
pub mod time;

#[cfg(test)]
mod tests;

use std::cmp::Ordering;

use crate::error::{SqlError, SqlState};
use crate::interval::Interval;
use crate::types::DataType;
use crate::value::{EvalContext, Value};

/// A binary operator as written in SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum BinaryOp {
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
    /// `->` (jsonb field/element as jsonb)
    JsonGet,
    /// `->>` (jsonb field/element as text)
    JsonGetText,
    /// `@>` (jsonb containment)
    JsonContains,
    /// `?` (jsonb key exists)
    JsonExists,
    /// `#>` (jsonb at a path, as jsonb)
    JsonPath,
    /// `#>>` (jsonb at a path, as text)
    JsonPathText,
    /// `<@` (jsonb contained in)
    JsonContainedBy,
    /// `?|` (any of the keys exists)
    JsonExistsAny,
    /// `?&` (all of the keys exist)
    JsonExistsAll,
    /// `#-` (jsonb without the element at a path)
    JsonDeletePath,
}

impl BinaryOp {
    /// The operator as PostgreSQL spells it (for error messages).
    pub fn symbol(&self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Pow => "^",
            BinaryOp::Concat => "||",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::BitAnd => "&",
            BinaryOp::BitOr => "|",
            BinaryOp::BitXor => "#",
            BinaryOp::ShiftLeft => "<<",
            BinaryOp::ShiftRight => ">>",
            BinaryOp::JsonGet => "->",
            BinaryOp::JsonGetText => "->>",
            BinaryOp::JsonContains => "@>",
            BinaryOp::JsonExists => "?",
            BinaryOp::JsonPath => "#>",
            BinaryOp::JsonPathText => "#>>",
            BinaryOp::JsonContainedBy => "<@",
            BinaryOp::JsonExistsAny => "?|",
            BinaryOp::JsonExistsAll => "?&",
            BinaryOp::JsonDeletePath => "#-",
        }
    }

    /// Whether this is one of the six comparison operators.
    pub fn is_comparison(&self) -> bool {
        matches!(
            self,
            BinaryOp::Eq
                | BinaryOp::NotEq
                | BinaryOp::Lt
                | BinaryOp::LtEq
                | BinaryOp::Gt
                | BinaryOp::GtEq
        )
    }
}

/// A unary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum UnaryOp {
    Neg,
    Plus,
    BitNot,
}

/// The resolved operand and result types of a binary operator.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BinaryOpSignature {
    pub left: DataType,
    pub right: DataType,
    pub result: DataType,
}

fn sig(left: DataType, right: DataType, result: DataType) -> BinaryOpSignature {
    BinaryOpSignature {
        left,
        right,
        result,
    }
}

/// 42883 `operator does not exist: integer + boolean`.
pub fn no_operator(op: BinaryOp, left: &DataType, right: &DataType) -> SqlError {
    SqlError::new(
        SqlState::UNDEFINED_FUNCTION,
        format!(
            "operator does not exist: {} {} {}",
            left.sql_name(),
            op.symbol(),
            right.sql_name()
        ),
    )
    .with_hint(
        "No operator matches the given name and argument types. You might need to add explicit type casts.",
    )
}

fn int_rank(t: &DataType) -> Option<u8> {
    match t {
        DataType::Int2 => Some(0),
        DataType::Int4 => Some(1),
        DataType::Int8 => Some(2),
        _ => None,
    }
}

fn is_float(t: &DataType) -> bool {
    matches!(t, DataType::Float4 | DataType::Float8)
}

fn datetime_rank(t: &DataType) -> Option<u8> {
    match t {
        DataType::Date => Some(0),
        DataType::Timestamp => Some(1),
        DataType::TimestampTz => Some(2),
        _ => None,
    }
}

/// The type an `unknown` operand takes opposite `other` for `op`.
fn unknown_partner(op: BinaryOp, other: &DataType, unknown_on_right: bool) -> DataType {
    use DataType as T;
    match (op, other) {
        (BinaryOp::JsonGet | BinaryOp::JsonGetText | BinaryOp::JsonExists, _)
            if unknown_on_right =>
        {
            T::Text
        }
        (
            BinaryOp::JsonPath
            | BinaryOp::JsonPathText
            | BinaryOp::JsonExistsAny
            | BinaryOp::JsonExistsAll
            | BinaryOp::JsonDeletePath,
            _,
        ) if unknown_on_right => T::Array(Box::new(T::Text)),
        (BinaryOp::Sub, T::Jsonb) if unknown_on_right => T::Text,
        (BinaryOp::Concat, t) if t.is_string() => T::Text,
        (BinaryOp::Concat, T::Bytea | T::Jsonb | T::Array(_)) => other.clone(),
        (BinaryOp::Concat, _) => T::Text,
        (BinaryOp::Add | BinaryOp::Sub, T::Date | T::Timestamp | T::TimestampTz | T::Time)
            if unknown_on_right =>
        {
            T::Interval
        }
        (BinaryOp::Mul | BinaryOp::Div, T::Interval) => T::Float8,
        (BinaryOp::ShiftLeft | BinaryOp::ShiftRight, _) if unknown_on_right => T::Int4,
        (_, T::Char(_)) if op.is_comparison() => T::Char(None),
        _ => other.without_modifier(),
    }
}

/// The result type of `left op right`, and the types the operands must be
/// cast to first (PostgreSQL's operator resolution: `int4 + int8` runs as
/// `int8 + int8`; `'1' + 1` treats the unknown literal as integer). Errors
/// are 42883 `operator does not exist: integer + boolean`.
pub fn binary_op_type(
    op: BinaryOp,
    left: &DataType,
    right: &DataType,
) -> Result<BinaryOpSignature, SqlError> {
    use DataType as T;
    let (l, r) = match (left, right) {
        (T::Unknown, T::Unknown) => {
            if op.is_comparison() || op == BinaryOp::Concat {
                (T::Text, T::Text)
            } else {
                return Err(SqlError::new(
                    SqlState::AMBIGUOUS_FUNCTION,
                    format!("operator is not unique: unknown {} unknown", op.symbol()),
                )
                .with_hint(
                    "Could not choose a best candidate operator. You might need to add explicit type casts.",
                ));
            }
        }
        (T::Unknown, r) => (unknown_partner(op, r, false), r.without_modifier()),
        (l, T::Unknown) => (l.without_modifier(), unknown_partner(op, l, true)),
        (l, r) => (l.without_modifier(), r.without_modifier()),
    };
    let none = || Err(no_operator(op, left, right));
    let text_array = T::Array(Box::new(T::Text));
    match op {
        BinaryOp::Sub if l == T::Jsonb => {
            if r.is_string() {
                Ok(sig(T::Jsonb, T::Text, T::Jsonb))
            } else if int_rank(&r).is_some() {
                Ok(sig(T::Jsonb, T::Int4, T::Jsonb))
            } else if r == text_array {
                Ok(sig(T::Jsonb, text_array, T::Jsonb))
            } else {
                none()
            }
        }
        BinaryOp::JsonContainedBy => match (&l, &r) {
            (T::Jsonb, T::Jsonb) => Ok(sig(T::Jsonb, T::Jsonb, T::Bool)),
            _ => none(),
        },
        BinaryOp::JsonExistsAny | BinaryOp::JsonExistsAll => {
            if l == T::Jsonb && r == text_array {
                Ok(sig(T::Jsonb, text_array, T::Bool))
            } else {
                none()
            }
        }
        BinaryOp::JsonDeletePath => {
            if l == T::Jsonb && r == text_array {
                Ok(sig(T::Jsonb, text_array, T::Jsonb))
            } else {
                none()
            }
        }
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
            if l.is_numeric() && r.is_numeric() {
                return numeric_sig(op, &l, &r).map_or_else(none, Ok);
            }
            datetime_sig(op, &l, &r).map_or_else(none, Ok)
        }
        BinaryOp::Pow => {
            if !(l.is_numeric() && r.is_numeric()) {
                return none();
            }
            let numeric = matches!(l, T::Numeric(_)) || matches!(r, T::Numeric(_));
            if numeric && !is_float(&l) && !is_float(&r) {
                let n = T::Numeric(None);
                Ok(sig(n.clone(), n.clone(), n))
            } else {
                Ok(sig(T::Float8, T::Float8, T::Float8))
            }
        }
        BinaryOp::BitAnd | BinaryOp::BitOr | BinaryOp::BitXor => {
            match (int_rank(&l), int_rank(&r)) {
                (Some(a), Some(b)) => {
                    let t = if a >= b { l.clone() } else { r.clone() };
                    Ok(sig(t.clone(), t.clone(), t))
                }
                _ => none(),
            }
        }
        BinaryOp::ShiftLeft | BinaryOp::ShiftRight => match (int_rank(&l), int_rank(&r)) {
            (Some(_), Some(_)) => Ok(sig(l.clone(), T::Int4, l.clone())),
            _ => none(),
        },
        BinaryOp::Concat => match (&l, &r) {
            (T::Bytea, T::Bytea) => Ok(sig(T::Bytea, T::Bytea, T::Bytea)),
            (T::Jsonb, T::Jsonb) => Ok(sig(T::Jsonb, T::Jsonb, T::Jsonb)),
            (T::Array(a), T::Array(b)) if a.without_modifier() == b.without_modifier() => {
                Ok(sig(l.clone(), r.clone(), l.clone()))
            }
            (T::Array(a), e) if a.without_modifier() == e.without_modifier() => {
                Ok(sig(l.clone(), (**a).clone(), l.clone()))
            }
            (e, T::Array(a)) if a.without_modifier() == e.without_modifier() => {
                Ok(sig((**a).clone(), r.clone(), r.clone()))
            }
            (a, b)
                if (a.is_string() && !matches!(b, T::Array(_)))
                    || (b.is_string() && !matches!(a, T::Array(_))) =>
            {
                Ok(sig(T::Text, T::Text, T::Text))
            }
            _ => none(),
        },
        BinaryOp::Eq
        | BinaryOp::NotEq
        | BinaryOp::Lt
        | BinaryOp::LtEq
        | BinaryOp::Gt
        | BinaryOp::GtEq => comparison_sig(&l, &r).map_or_else(none, Ok),
        BinaryOp::JsonGet | BinaryOp::JsonGetText | BinaryOp::JsonPath | BinaryOp::JsonPathText => {
            let base = match l {
                T::Jsonb | T::Json => l.clone(),
                _ => return none(),
            };
            let by_path = matches!(op, BinaryOp::JsonPath | BinaryOp::JsonPathText);
            let key = if by_path {
                if r != text_array {
                    return none();
                }
                text_array
            } else if r.is_string() {
                T::Text
            } else if int_rank(&r).is_some() {
                T::Int4
            } else {
                return none();
            };
            let result = if matches!(op, BinaryOp::JsonGet | BinaryOp::JsonPath) {
                base.clone()
            } else {
                T::Text
            };
            Ok(sig(base, key, result))
        }
        BinaryOp::JsonContains => match (&l, &r) {
            (T::Jsonb, T::Jsonb) => Ok(sig(T::Jsonb, T::Jsonb, T::Bool)),
            _ => none(),
        },
        BinaryOp::JsonExists => match (&l, &r) {
            (T::Jsonb, r) if r.is_string() => Ok(sig(T::Jsonb, T::Text, T::Bool)),
            _ => none(),
        },
    }
}

fn numeric_sig(op: BinaryOp, l: &DataType, r: &DataType) -> Option<BinaryOpSignature> {
    use DataType as T;
    if let (Some(a), Some(b)) = (int_rank(l), int_rank(r)) {
        let t = if a >= b { l.clone() } else { r.clone() };
        return Some(sig(t.clone(), t.clone(), t));
    }
    if is_float(l) || is_float(r) {
        if op == BinaryOp::Mod {
            return None;
        }
        if *l == T::Float4 && *r == T::Float4 {
            return Some(sig(T::Float4, T::Float4, T::Float4));
        }
        return Some(sig(T::Float8, T::Float8, T::Float8));
    }
    let n = T::Numeric(None);
    Some(sig(n.clone(), n.clone(), n))
}

fn datetime_sig(op: BinaryOp, l: &DataType, r: &DataType) -> Option<BinaryOpSignature> {
    use BinaryOp::*;
    use DataType as T;
    let s = |a: T, b: T, c: T| Some(sig(a, b, c));
    let int = |t: &T| int_rank(t).is_some();
    let number = |t: &T| t.is_numeric();
    match (op, l, r) {
        (Add, T::Date, t) if int(t) => s(T::Date, T::Int4, T::Date),
        (Add, t, T::Date) if int(t) => s(T::Int4, T::Date, T::Date),
        (Sub, T::Date, t) if int(t) => s(T::Date, T::Int4, T::Date),
        (Sub, T::Date, T::Date) => s(T::Date, T::Date, T::Int4),
        (Add, T::Date, T::Interval) => s(T::Timestamp, T::Interval, T::Timestamp),
        (Add, T::Interval, T::Date) => s(T::Interval, T::Timestamp, T::Timestamp),
        (Sub, T::Date, T::Interval) => s(T::Timestamp, T::Interval, T::Timestamp),
        (Add, T::Date, T::Time) => s(T::Date, T::Time, T::Timestamp),
        (Add, T::Time, T::Date) => s(T::Time, T::Date, T::Timestamp),
        (Add | Sub, T::Timestamp, T::Interval) => s(T::Timestamp, T::Interval, T::Timestamp),
        (Add, T::Interval, T::Timestamp) => s(T::Interval, T::Timestamp, T::Timestamp),
        (Add | Sub, T::TimestampTz, T::Interval) => s(T::TimestampTz, T::Interval, T::TimestampTz),
        (Add, T::Interval, T::TimestampTz) => s(T::Interval, T::TimestampTz, T::TimestampTz),
        (Add | Sub, T::Time, T::Interval) => s(T::Time, T::Interval, T::Time),
        (Add, T::Interval, T::Time) => s(T::Interval, T::Time, T::Time),
        (Sub, T::Time, T::Time) => s(T::Time, T::Time, T::Interval),
        (Sub, a, b) if datetime_rank(a).is_some() && datetime_rank(b).is_some() => {
            let t = if datetime_rank(a) >= datetime_rank(b) {
                a.clone()
            } else {
                b.clone()
            };
            s(t.clone(), t, T::Interval)
        }
        (Add | Sub, T::Interval, T::Interval) => s(T::Interval, T::Interval, T::Interval),
        (Mul, T::Interval, t) if number(t) => s(T::Interval, T::Float8, T::Interval),
        (Mul, t, T::Interval) if number(t) => s(T::Float8, T::Interval, T::Interval),
        (Div, T::Interval, t) if number(t) => s(T::Interval, T::Float8, T::Interval),
        _ => None,
    }
}

fn comparison_sig(l: &DataType, r: &DataType) -> Option<BinaryOpSignature> {
    use DataType as T;
    let b = |t: T| Some(sig(t.clone(), t, T::Bool));
    if l.is_numeric() && r.is_numeric() {
        return Some(sig(l.clone(), r.clone(), T::Bool));
    }
    if l.is_string() && r.is_string() {
        return match (l, r) {
            (T::Char(_), T::Char(_)) => b(T::Char(None)),
            (T::Name, T::Name) => b(T::Name),
            _ => b(T::Text),
        };
    }
    if let (Some(a), Some(c)) = (datetime_rank(l), datetime_rank(r)) {
        return b(if a >= c { l.clone() } else { r.clone() });
    }
    let oidish = |t: &T| matches!(t, T::Oid | T::RegClass | T::RegType);
    if (oidish(l) && (oidish(r) || int_rank(r).is_some())) || (oidish(r) && int_rank(l).is_some()) {
        return b(T::Oid);
    }
    match (l, r) {
        (T::Json, T::Json) => None,
        (T::Array(a), T::Array(c)) => {
            comparison_sig(a, c)?;
            Some(sig(l.clone(), r.clone(), T::Bool))
        }
        (T::Time, T::Interval) | (T::Interval, T::Time) => None,
        (a, c) if a == c => b(a.clone()),
        _ => None,
    }
}

/// Evaluates `left op right` on operands already cast to the signature's
/// types. NULL in, NULL out (comparisons included: three-valued logic is the
/// caller's AND/OR). Errors: 22012 division by zero, 22003 integer overflow.
pub fn binary_op(
    op: BinaryOp,
    left: &Value,
    right: &Value,
    signature: &BinaryOpSignature,
    ctx: &EvalContext,
) -> Result<Value, SqlError> {
    if left.is_null() || right.is_null() {
        return Ok(Value::Null);
    }
    if op.is_comparison() {
        return compare(op, left, right, signature).map(|b| b.map_or(Value::Null, Value::Bool));
    }
    let mismatch = || {
        SqlError::internal(format!(
            "operator {} applied to {:?} and {:?}",
            op.symbol(),
            left.natural_type(),
            right.natural_type()
        ))
    };
    let text_items = |v: &Value| -> Option<Vec<Option<String>>> {
        match v {
            Value::Array(items) => Some(
                items
                    .iter()
                    .map(|i| match i {
                        Value::Text(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => None,
        }
    };
    match op {
        BinaryOp::Sub if signature.left == DataType::Jsonb => {
            let Value::Jsonb(j) = left else {
                return Err(mismatch());
            };
            let out = match right {
                Value::Text(k) => jsonops::delete_key(j, k)?,
                Value::Array(_) => {
                    let mut out = j.clone();
                    for k in text_items(right).unwrap_or_default().into_iter().flatten() {
                        out = jsonops::delete_key(&out, &k)?;
                    }
                    out
                }
                v => jsonops::delete_index(j, v.as_i64().ok_or_else(mismatch)?)?,
            };
            Ok(Value::Jsonb(out))
        }
        BinaryOp::JsonPath | BinaryOp::JsonPathText => {
            let json = match left {
                Value::Jsonb(j) => j.clone(),
                Value::Json(s) => crate::text::json::parse_jsonb(s)?,
                _ => return Err(mismatch()),
            };
            let path = text_items(right).ok_or_else(mismatch)?;
            Ok(extracted_json(
                jsonops::get_path(&json, &path),
                op == BinaryOp::JsonPathText,
                left,
            ))
        }
        BinaryOp::JsonContainedBy => match (left, right) {
            (Value::Jsonb(a), Value::Jsonb(b)) => Ok(Value::Bool(jsonops::contains(b, a, true))),
            _ => Err(mismatch()),
        },
        BinaryOp::JsonExistsAny | BinaryOp::JsonExistsAll => {
            let Value::Jsonb(j) = left else {
                return Err(mismatch());
            };
            let keys = text_items(right).ok_or_else(mismatch)?;
            let mut found = keys.iter().flatten().map(|k| jsonops::exists(j, k));
            Ok(Value::Bool(if op == BinaryOp::JsonExistsAny {
                found.any(|f| f)
            } else {
                found.all(|f| f)
            }))
        }
        BinaryOp::JsonDeletePath => {
            let Value::Jsonb(j) = left else {
                return Err(mismatch());
            };
            let path = text_items(right).ok_or_else(mismatch)?;
            Ok(Value::Jsonb(jsonops::delete_path(j, &path)?))
        }
        BinaryOp::Add
        | BinaryOp::Sub
        | BinaryOp::Mul
        | BinaryOp::Div
        | BinaryOp::Mod
        | BinaryOp::Pow => {
            if let Some(v) = numeric_arith(op, left, right, &signature.result)? {
                return Ok(v);
            }
            datetime_arith(op, left, right, ctx)?.ok_or_else(mismatch)
        }
        BinaryOp::BitAnd
        | BinaryOp::BitOr
        | BinaryOp::BitXor
        | BinaryOp::ShiftLeft
        | BinaryOp::ShiftRight => match (left.as_i64(), right.as_i64()) {
            (Some(a), Some(b)) => arith::int_op(op, a, b, &signature.result),
            _ => Err(mismatch()),
        },
        BinaryOp::Concat => match (left, right) {
            (Value::Bytea(a), Value::Bytea(b)) => {
                let mut out = a.clone();
                out.extend_from_slice(b);
                Ok(Value::Bytea(out))
            }
            (Value::Jsonb(a), Value::Jsonb(b)) => Ok(Value::Jsonb(jsonops::concat(a, b))),
            (Value::Array(a), Value::Array(b)) => {
                let mut out = a.clone();
                out.extend(b.iter().cloned());
                Ok(Value::Array(out))
            }
            (Value::Array(a), v) if matches!(signature.left, DataType::Array(_)) => {
                let mut out = a.clone();
                out.push(v.clone());
                Ok(Value::Array(out))
            }
            (v, Value::Array(b)) if matches!(signature.right, DataType::Array(_)) => {
                let mut out = vec![v.clone()];
                out.extend(b.iter().cloned());
                Ok(Value::Array(out))
            }
            (a, b) => {
                let sa = concat_text(a, &signature.left, ctx);
                let sb = concat_text(b, &signature.right, ctx);
                Ok(Value::Text(sa + &sb))
            }
        },
        BinaryOp::JsonGet | BinaryOp::JsonGetText => {
            let json = match left {
                Value::Jsonb(j) => j.clone(),
                Value::Json(s) => crate::text::json::parse_jsonb(s)?,
                _ => return Err(mismatch()),
            };
            let got = match right {
                Value::Text(k) => jsonops::get_key(&json, k),
                v => match v.as_i64() {
                    Some(i) => jsonops::get_index(&json, i),
                    None => return Err(mismatch()),
                },
            };
            Ok(extracted_json(got, op == BinaryOp::JsonGetText, left))
        }
        BinaryOp::JsonContains => match (left, right) {
            (Value::Jsonb(a), Value::Jsonb(b)) => Ok(Value::Bool(jsonops::contains(a, b, true))),
            _ => Err(mismatch()),
        },
        BinaryOp::JsonExists => match (left, right) {
            (Value::Jsonb(a), Value::Text(k)) => Ok(Value::Bool(jsonops::exists(a, k))),
            _ => Err(mismatch()),
        },
        _ => Err(mismatch()),
    }
}

/// What `->`/`#>` (`as_text`: `->>`/`#>>`) give for the part `got` of
/// `source`: NULL when missing, the source's own JSON type, or text (a JSON
/// null is SQL NULL there, a string loses its quotes).
fn extracted_json(got: Option<serde_json::Value>, as_text: bool, source: &Value) -> Value {
    match got {
        None => Value::Null,
        Some(j) if as_text => match j {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::String(s) => Value::Text(s),
            other => Value::Text(crate::text::json::format_jsonb(&other)),
        },
        Some(j) if matches!(source, Value::Json(_)) => Value::Json(j.to_string()),
        Some(j) => Value::Jsonb(j),
    }
}

fn concat_text(v: &Value, ty: &DataType, ctx: &EvalContext) -> String {
    match v {
        Value::Text(s) => s.clone(),
        Value::Bool(b) => if *b { "true" } else { "false" }.to_string(),
        other => {
            let t = if ty.is_string() || *ty == DataType::Unknown {
                other.natural_type()
            } else {
                ty.clone()
            };
            crate::text::format(other, &t, ctx)
        }
    }
}

fn numeric_arith(
    op: BinaryOp,
    left: &Value,
    right: &Value,
    result: &DataType,
) -> Result<Option<Value>, SqlError> {
    use Value as V;
    Ok(Some(match (left, right) {
        (V::Int2(_) | V::Int4(_) | V::Int8(_), V::Int2(_) | V::Int4(_) | V::Int8(_))
            if op != BinaryOp::Pow =>
        {
            let (a, b) = (left.as_i64().unwrap_or(0), right.as_i64().unwrap_or(0));
            arith::int_op(op, a, b, result)?
        }
        (V::Float4(a), V::Float4(b)) if *result == DataType::Float4 => {
            V::Float4(arith::float4_op(op, *a, *b)?)
        }
        (V::Float4(_) | V::Float8(_), _) | (_, V::Float4(_) | V::Float8(_)) => {
            let (Some(a), Some(b)) = (left.as_f64(), right.as_f64()) else {
                return Ok(None);
            };
            if op == BinaryOp::Mod {
                return Err(no_operator(op, &left.natural_type(), &right.natural_type()));
            }
            let r = arith::float_op(op, a, b)?;
            if *result == DataType::Float4 {
                V::Float4(r as f32)
            } else {
                V::Float8(r)
            }
        }
        (V::Int2(_) | V::Int4(_) | V::Int8(_), V::Int2(_) | V::Int4(_) | V::Int8(_)) => {
            let (a, b) = (left.as_i64().unwrap_or(0), right.as_i64().unwrap_or(0));
            V::Float8(arith::float_pow(a as f64, b as f64)?)
        }
        (
            V::Numeric(_) | V::Int2(_) | V::Int4(_) | V::Int8(_),
            V::Numeric(_) | V::Int2(_) | V::Int4(_) | V::Int8(_),
        ) => {
            let (Some(a), Some(b)) = (left.as_decimal(), right.as_decimal()) else {
                return Ok(None);
            };
            V::Numeric(arith::numeric_op(op, a, b)?)
        }
        _ => return Ok(None),
    }))
}

fn datetime_arith(
    op: BinaryOp,
    left: &Value,
    right: &Value,
    ctx: &EvalContext,
) -> Result<Option<Value>, SqlError> {
    use crate::cast::{micros_to_time, time_micros};
    use Value as V;
    let neg = |iv: &Interval| time::interval_neg(iv);
    Ok(Some(match (op, left, right) {
        (BinaryOp::Add, V::Date(d), n) | (BinaryOp::Add, n, V::Date(d)) if n.as_i64().is_some() => {
            V::Date(time::date_add_days(*d, n.as_i64().unwrap_or(0))?)
        }
        (BinaryOp::Sub, V::Date(d), n) if n.as_i64().is_some() => V::Date(time::date_add_days(
            *d,
            n.as_i64().unwrap_or(0).saturating_neg(),
        )?),
        (BinaryOp::Sub, V::Date(a), V::Date(b)) => {
            if crate::text::datetime::date_is_infinite(a)
                || crate::text::datetime::date_is_infinite(b)
            {
                return Err(SqlError::new(
                    SqlState::DATETIME_FIELD_OVERFLOW,
                    "cannot subtract infinite dates",
                ));
            }
            let days = (*a - *b).num_days();
            V::Int4(i32::try_from(days).map_err(|_| arith::int_overflow(&DataType::Int4))?)
        }
        (BinaryOp::Add, V::Date(d), V::Time(t)) | (BinaryOp::Add, V::Time(t), V::Date(d)) => {
            if crate::text::datetime::date_is_infinite(d) {
                V::Timestamp(if *d == chrono::NaiveDate::MAX {
                    chrono::NaiveDateTime::MAX
                } else {
                    chrono::NaiveDateTime::MIN
                })
            } else {
                V::Timestamp(
                    crate::text::datetime::date_and_time(*d, t)
                        .filter(crate::text::datetime::timestamp_in_range)
                        .ok_or_else(time::timestamp_out_of_range)?,
                )
            }
        }
        (BinaryOp::Add, V::Timestamp(ts), V::Interval(iv))
        | (BinaryOp::Add, V::Interval(iv), V::Timestamp(ts)) => {
            V::Timestamp(time::ts_add(*ts, iv)?)
        }
        (BinaryOp::Sub, V::Timestamp(ts), V::Interval(iv)) => {
            V::Timestamp(time::ts_add(*ts, &neg(iv)?)?)
        }
        (BinaryOp::Add, V::TimestampTz(ts), V::Interval(iv))
        | (BinaryOp::Add, V::Interval(iv), V::TimestampTz(ts)) => {
            V::TimestampTz(time::tstz_add(*ts, iv, &ctx.timezone)?)
        }
        (BinaryOp::Sub, V::TimestampTz(ts), V::Interval(iv)) => {
            V::TimestampTz(time::tstz_add(*ts, &neg(iv)?, &ctx.timezone)?)
        }
        (BinaryOp::Sub, V::Timestamp(a), V::Timestamp(b)) => V::Interval(time::ts_diff(*a, *b)?),
        (BinaryOp::Sub, V::TimestampTz(a), V::TimestampTz(b)) => {
            V::Interval(time::ts_diff(a.naive_utc(), b.naive_utc())?)
        }
        (BinaryOp::Add, V::Time(t), V::Interval(iv))
        | (BinaryOp::Add, V::Interval(iv), V::Time(t)) => {
            V::Time(micros_to_time(time_micros(t).wrapping_add(iv.micros)))
        }
        (BinaryOp::Sub, V::Time(t), V::Interval(iv)) => {
            V::Time(micros_to_time(time_micros(t).wrapping_sub(iv.micros)))
        }
        (BinaryOp::Sub, V::Time(a), V::Time(b)) => V::Interval(Interval {
            months: 0,
            days: 0,
            micros: time_micros(a) - time_micros(b),
        }),
        (BinaryOp::Add, V::Interval(a), V::Interval(b)) => V::Interval(time::interval_add(a, b)?),
        (BinaryOp::Sub, V::Interval(a), V::Interval(b)) => {
            V::Interval(time::interval_add(a, &neg(b)?)?)
        }
        (BinaryOp::Mul, V::Interval(iv), n) | (BinaryOp::Mul, n, V::Interval(iv))
            if n.as_f64().is_some() =>
        {
            V::Interval(time::interval_mul(iv, n.as_f64().unwrap_or(0.0))?)
        }
        (BinaryOp::Div, V::Interval(iv), n) if n.as_f64().is_some() => {
            V::Interval(time::interval_div(iv, n.as_f64().unwrap_or(0.0))?)
        }
        _ => return Ok(None),
    }))
}

fn compare(
    op: BinaryOp,
    left: &Value,
    right: &Value,
    signature: &BinaryOpSignature,
) -> Result<Option<bool>, SqlError> {
    let ord = match (left, right) {
        (Value::Text(a), Value::Text(b))
            if matches!(signature.left, DataType::Char(_))
                || matches!(signature.right, DataType::Char(_)) =>
        {
            Some(a.trim_end_matches(' ').cmp(b.trim_end_matches(' ')))
        }
        (Value::Array(a), Value::Array(b)) => array_cmp(a, b),
        _ => left.sql_cmp(right),
    };
    let Some(ord) = ord else {
        return Ok(None);
    };
    Ok(Some(match op {
        BinaryOp::Eq => ord == Ordering::Equal,
        BinaryOp::NotEq => ord != Ordering::Equal,
        BinaryOp::Lt => ord == Ordering::Less,
        BinaryOp::LtEq => ord != Ordering::Greater,
        BinaryOp::Gt => ord == Ordering::Greater,
        _ => ord != Ordering::Less,
    }))
}

/// Array comparison: element by element, NULL elements sorting last and
/// equal to each other (PostgreSQL's array btree semantics).
fn array_cmp(a: &[Value], b: &[Value]) -> Option<Ordering> {
    for (x, y) in a.iter().zip(b.iter()) {
        let o = match (x, y) {
            (Value::Array(xa), Value::Array(ya)) => array_cmp(xa, ya)?,
            _ => x.total_cmp(y),
        };
        if o != Ordering::Equal {
            return Some(o);
        }
    }
    Some(a.len().cmp(&b.len()))
}

/// The result type of a unary operator.
pub fn unary_op_type(op: UnaryOp, operand: &DataType) -> Result<DataType, SqlError> {
    let t = operand.without_modifier();
    let ok = match op {
        UnaryOp::Neg | UnaryOp::Plus => t.is_numeric() || t == DataType::Interval,
        UnaryOp::BitNot => int_rank(&t).is_some(),
    };
    if ok {
        return Ok(t);
    }
    let sym = match op {
        UnaryOp::Neg => "-",
        UnaryOp::Plus => "+",
        UnaryOp::BitNot => "~",
    };
    if t == DataType::Unknown {
        return Err(SqlError::new(
            SqlState::AMBIGUOUS_FUNCTION,
            format!("operator is not unique: {sym} unknown"),
        ));
    }
    Err(SqlError::new(
        SqlState::UNDEFINED_FUNCTION,
        format!("operator does not exist: {sym} {}", operand.sql_name()),
    )
    .with_hint(
        "No operator matches the given name and argument type. You might need to add an explicit type cast.",
    ))
}

/// Evaluates a unary operator (22003 on `-(-2147483648)::int4`).
pub fn unary_op(op: UnaryOp, operand: &Value) -> Result<Value, SqlError> {
    use Value as V;
    if operand.is_null() {
        return Ok(V::Null);
    }
    match op {
        UnaryOp::Plus => Ok(operand.clone()),
        UnaryOp::Neg => Ok(match operand {
            V::Int2(v) => V::Int2(
                v.checked_neg()
                    .ok_or_else(|| arith::int_overflow(&DataType::Int2))?,
            ),
            V::Int4(v) => V::Int4(
                v.checked_neg()
                    .ok_or_else(|| arith::int_overflow(&DataType::Int4))?,
            ),
            V::Int8(v) => V::Int8(
                v.checked_neg()
                    .ok_or_else(|| arith::int_overflow(&DataType::Int8))?,
            ),
            V::Float4(v) => V::Float4(-v),
            V::Float8(v) => V::Float8(-v),
            V::Numeric(d) => {
                let mut n = -*d;
                if n.is_zero() {
                    n.set_sign_positive(true);
                }
                V::Numeric(n)
            }
            V::Interval(iv) => V::Interval(time::interval_neg(iv)?),
            other => {
                return Err(unary_op_type(op, &other.natural_type())
                    .err()
                    .unwrap_or_else(|| SqlError::internal("unary minus on a non-numeric value")))
            }
        }),
        UnaryOp::BitNot => Ok(match operand {
            V::Int2(v) => V::Int2(!v),
            V::Int4(v) => V::Int4(!v),
            V::Int8(v) => V::Int8(!v),
            other => {
                return Err(unary_op_type(op, &other.natural_type())
                    .err()
                    .unwrap_or_else(|| SqlError::internal("~ on a non-integer value")))
            }
        }),
    }
}

/// Rewrites a LIKE pattern written with `ESCAPE escape` into the
/// backslash-escaped form [`like`] reads (`ESCAPE ''` turns escaping off).
pub fn like_with_escape(pattern: &str, escape: &str) -> Result<String, SqlError> {
    let mut esc = escape.chars();
    let esc = match (esc.next(), esc.next()) {
        (None, _) => None,
        (Some(c), None) => Some(c),
        _ => {
            return Err(
                SqlError::new(SqlState::INVALID_ESCAPE_SEQUENCE, "invalid escape string")
                    .with_hint("Escape string must be empty or one character."),
            )
        }
    };
    if esc == Some('\\') {
        return Ok(pattern.to_string());
    }
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if Some(c) == esc {
            match chars.next() {
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => {
                    return Err(SqlError::new(
                        SqlState::INVALID_ESCAPE_SEQUENCE,
                        "LIKE pattern must not end with escape character",
                    ))
                }
            }
        } else if c == '\\' {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

fn like_trailing_escape() -> SqlError {
    SqlError::new(
        SqlState::INVALID_ESCAPE_SEQUENCE,
        "LIKE pattern must not end with escape character",
    )
}

/// `LIKE` / `ILIKE` with `%`, `_` and backslash escapes: PostgreSQL's
/// `MatchText`, without recursion. A `%` only ever backtracks to the most
/// recent `%` (PostgreSQL's "abort" rule), and a pattern ending in the
/// escape character is 22025 when matching reaches it.
pub fn like(text: &str, pattern: &str, case_insensitive: bool) -> Result<bool, SqlError> {
    let fold = |s: &str| -> Vec<char> {
        if case_insensitive {
            s.chars().flat_map(char::to_lowercase).collect()
        } else {
            s.chars().collect()
        }
    };
    let t = fold(text);
    let p = fold(pattern);
    if p.len() == 1 && p[0] == '%' {
        return Ok(true);
    }
    let (mut ti, mut pi) = (0usize, 0usize);
    // After a `%`: the pattern position of the literal that follows it, and
    // the next text position to try it at.
    let mut back: Option<(usize, usize)> = None;
    // The next text position at or after `from` where the literal at
    // pattern position `at` could start a match.
    let first_literal = |at: usize| if p[at] == '\\' { p[at + 1] } else { p[at] };
    let scan = |from: usize, lit: char| (from..t.len()).find(|&k| t[k] == lit);
    loop {
        let failed = if ti < t.len() && pi < p.len() {
            match p[pi] {
                '\\' => {
                    if pi + 1 >= p.len() {
                        return Err(like_trailing_escape());
                    }
                    if p[pi + 1] == t[ti] {
                        ti += 1;
                        pi += 2;
                        continue;
                    }
                    true
                }
                '%' => {
                    pi += 1;
                    while pi < p.len() {
                        match p[pi] {
                            '%' => pi += 1,
                            '_' => {
                                if ti >= t.len() {
                                    return Ok(false);
                                }
                                ti += 1;
                                pi += 1;
                            }
                            _ => break,
                        }
                    }
                    if pi >= p.len() {
                        return Ok(true);
                    }
                    if p[pi] == '\\' && pi + 1 >= p.len() {
                        return Err(like_trailing_escape());
                    }
                    match scan(ti, first_literal(pi)) {
                        Some(k) => {
                            back = Some((pi, k + 1));
                            ti = k;
                            continue;
                        }
                        None => return Ok(false),
                    }
                }
                '_' => {
                    ti += 1;
                    pi += 1;
                    continue;
                }
                c => {
                    if c == t[ti] {
                        ti += 1;
                        pi += 1;
                        continue;
                    }
                    true
                }
            }
        } else if ti < t.len() {
            // End of pattern, not of text.
            true
        } else {
            // End of text: only `%`s may remain.
            while pi < p.len() && p[pi] == '%' {
                pi += 1;
            }
            return Ok(pi >= p.len());
        };
        debug_assert!(failed);
        // This attempt failed: try the last `%`'s literal further on.
        let Some((bp, from)) = back else {
            return Ok(false);
        };
        match scan(from, first_literal(bp)) {
            Some(k) => {
                back = Some((bp, k + 1));
                pi = bp;
                ti = k;
            }
            None => return Ok(false),
        }
    }
}
