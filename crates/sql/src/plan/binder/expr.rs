//! Binding scalar expressions.

use rangedb_sqltypes::cast::CastContext;
use rangedb_sqltypes::ops::{self, BinaryOp, UnaryOp};
use rangedb_sqltypes::{func, DataType, Interval, SqlError, SqlState, Value};
use rust_decimal::Decimal;
use sqlparser::ast::{
    self, BinaryOperator, FunctionArg, FunctionArgExpr, FunctionArguments, UnaryOperator,
};

use super::types::{common_type, convert};
use super::{ident_name, undefined_column, Binder};
use crate::plan::scope::Scope;
use crate::plan::{Expr, Slot, SlotKind};
use crate::plan::{STACK_RED_ZONE, STACK_SEGMENT};

/// A bound expression and its type.
pub type Typed = (Expr, DataType);

fn binary_op(op: &BinaryOperator) -> Option<BinaryOp> {
    Some(match op {
        BinaryOperator::Plus => BinaryOp::Add,
        BinaryOperator::Minus => BinaryOp::Sub,
        BinaryOperator::Multiply => BinaryOp::Mul,
        BinaryOperator::Divide => BinaryOp::Div,
        BinaryOperator::Modulo => BinaryOp::Mod,
        BinaryOperator::PGExp => BinaryOp::Pow,
        BinaryOperator::StringConcat => BinaryOp::Concat,
        BinaryOperator::Eq => BinaryOp::Eq,
        BinaryOperator::NotEq => BinaryOp::NotEq,
        BinaryOperator::Lt => BinaryOp::Lt,
        BinaryOperator::LtEq => BinaryOp::LtEq,
        BinaryOperator::Gt => BinaryOp::Gt,
        BinaryOperator::GtEq => BinaryOp::GtEq,
        BinaryOperator::BitwiseAnd => BinaryOp::BitAnd,
        BinaryOperator::BitwiseOr => BinaryOp::BitOr,
        BinaryOperator::PGBitwiseXor => BinaryOp::BitXor,
        BinaryOperator::PGBitwiseShiftLeft => BinaryOp::ShiftLeft,
        BinaryOperator::PGBitwiseShiftRight => BinaryOp::ShiftRight,
        BinaryOperator::Arrow => BinaryOp::JsonGet,
        BinaryOperator::LongArrow => BinaryOp::JsonGetText,
        BinaryOperator::AtArrow => BinaryOp::JsonContains,
        BinaryOperator::Question => BinaryOp::JsonExists,
        BinaryOperator::HashArrow => BinaryOp::JsonPath,
        BinaryOperator::HashLongArrow => BinaryOp::JsonPathText,
        BinaryOperator::ArrowAt => BinaryOp::JsonContainedBy,
        BinaryOperator::QuestionPipe => BinaryOp::JsonExistsAny,
        BinaryOperator::QuestionAnd => BinaryOp::JsonExistsAll,
        BinaryOperator::HashMinus => BinaryOp::JsonDeletePath,
        _ => return None,
    })
}

/// Names that are aggregate functions.
pub fn is_aggregate(name: &str) -> bool {
    matches!(
        name,
        "count"
            | "sum"
            | "avg"
            | "min"
            | "max"
            | "bool_and"
            | "bool_or"
            | "every"
            | "string_agg"
            | "array_agg"
            | "jsonb_agg"
            | "json_agg"
            | "jsonb_object_agg"
    )
}

/// The lower-case function name without a `pg_catalog.` qualifier.
pub fn function_name(f: &ast::Function) -> String {
    let name = f.name.to_string().to_lowercase();
    name.strip_prefix("pg_catalog.")
        .map(str::to_string)
        .unwrap_or(name)
}

/// Plain positional arguments of a call (`*` is returned as `None`).
pub fn function_args(f: &ast::Function) -> Result<Vec<Option<&ast::Expr>>, SqlError> {
    match &f.args {
        FunctionArguments::None => Ok(Vec::new()),
        FunctionArguments::Subquery(_) => {
            Err(SqlError::unsupported("subquery as function argument"))
        }
        FunctionArguments::List(list) => list
            .args
            .iter()
            .map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Ok(Some(e)),
                FunctionArg::Unnamed(FunctionArgExpr::Wildcard) => Ok(None),
                other => Err(SqlError::unsupported(format!("function argument {other}"))),
            })
            .collect(),
    }
}

fn parse_number(s: &str) -> Result<Typed, SqlError> {
    let plain = s.replace('_', "");
    let digits = plain.strip_prefix('-').unwrap_or(&plain);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(v) = plain.parse::<i32>() {
            return Ok((Expr::Const(Value::Int4(v)), DataType::Int4));
        }
        if let Ok(v) = plain.parse::<i64>() {
            return Ok((Expr::Const(Value::Int8(v)), DataType::Int8));
        }
    }
    match Decimal::from_str_exact(&plain).or_else(|_| Decimal::from_scientific(&plain)) {
        Ok(d) => Ok((Expr::Const(Value::Numeric(d)), DataType::Numeric(None))),
        // An exponent beyond numeric's range (`1e100`, `1.5e-300`): a
        // float8, so that casts to float (and float arithmetic) still work.
        // Too many digits without an exponent stays an error rather than
        // silently losing them.
        Err(_) if plain.contains(['e', 'E']) => match plain.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok((Expr::Const(Value::Float8(f)), DataType::Float8)),
            _ => Err(SqlError::out_of_range(format!(
                "numeric literal {s} is out of range"
            ))),
        },
        Err(_) => Err(SqlError::out_of_range(format!(
            "numeric literal {s} is out of range"
        ))),
    }
}

/// The deepest expression nesting bound. A flat chain such as
/// `a OR b OR ...` nests one level per operator; past this the statement
/// fails with 54001 rather than exhausting the thread's stack.
pub const MAX_EXPR_DEPTH: usize = 1000;

/// `a OR b OR ...` as a balanced tree (None for no items).
fn balanced_or(mut items: Vec<ast::Expr>) -> Option<ast::Expr> {
    if items.len() <= 1 {
        return items.pop();
    }
    let right = items.split_off(items.len() / 2);
    let (l, r) = (balanced_or(items)?, balanced_or(right)?);
    Some(ast::Expr::BinaryOp {
        left: Box::new(ast::Expr::Nested(Box::new(l))),
        op: BinaryOperator::Or,
        right: Box::new(ast::Expr::Nested(Box::new(r))),
    })
}

/// The items of a row value `(a, b, ...)`.
fn row_items(e: &ast::Expr) -> Option<&[ast::Expr]> {
    match e {
        ast::Expr::Tuple(items) => Some(items),
        ast::Expr::Nested(inner) => row_items(inner),
        _ => None,
    }
}

impl Binder<'_> {
    /// Binds `e` against `scope` (and enclosing scopes). Recursion runs on
    /// a stack that grows on the heap when needed (stacker), up to
    /// [`MAX_EXPR_DEPTH`] levels.
    pub fn bind_expr(&mut self, e: &ast::Expr, scope: &Scope) -> Result<Typed, SqlError> {
        if self.expr_depth >= MAX_EXPR_DEPTH {
            return Err(SqlError::new(
                SqlState::STATEMENT_TOO_COMPLEX,
                format!("expression nests deeper than {MAX_EXPR_DEPTH} levels"),
            )
            .with_hint("Use IN (...) or = ANY (...) instead of a long chain of OR or AND."));
        }
        self.expr_depth += 1;
        let bound = stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, || {
            self.bind_expr_here(e, scope)
        });
        self.expr_depth -= 1;
        bound
    }

    fn bind_expr_here(&mut self, e: &ast::Expr, scope: &Scope) -> Result<Typed, SqlError> {
        if let Some(agg) = &self.agg {
            if let Some(i) = agg.group_asts.iter().position(|g| g == e) {
                return Ok((Expr::column(i, e.to_string()), agg.group_types[i].clone()));
            }
        }
        match e {
            ast::Expr::Identifier(id) => self.bind_column(None, &ident_name(id), scope),
            ast::Expr::CompoundIdentifier(parts) => {
                let names: Vec<String> = parts.iter().map(ident_name).collect();
                match names.as_slice() {
                    [t, c] => self.bind_column(Some(t), c, scope),
                    [_, t, c] => self.bind_column(Some(t), c, scope),
                    _ => Err(SqlError::syntax(format!("improper column reference {e}"))),
                }
            }
            ast::Expr::Value(v) => self.bind_value(&v.value),
            ast::Expr::TypedString(ts) => {
                let ty = convert(&ts.data_type)?;
                let text = match &ts.value.value {
                    ast::Value::SingleQuotedString(s) | ast::Value::EscapedStringLiteral(s) => {
                        s.clone()
                    }
                    other => other.to_string(),
                };
                let expr =
                    self.explicit_cast(Expr::Const(Value::Text(text)), &DataType::Unknown, &ty)?;
                Ok((expr, ty))
            }
            ast::Expr::Interval(iv) => self.bind_interval(iv, scope),
            ast::Expr::Nested(inner) => self.bind_expr(inner, scope),
            ast::Expr::SimilarTo {
                negated,
                expr,
                pattern,
                escape_char,
            } => self.bind_similar_to(*negated, expr, pattern, escape_char.as_deref(), scope),
            ast::Expr::BinaryOp { left, op, right } => self.bind_binary(left, op, right, scope),
            ast::Expr::UnaryOp { op, expr } => match op {
                UnaryOperator::Not => {
                    let (x, t) = self.bind_expr(expr, scope)?;
                    let x = self.condition(x, &t, "NOT")?;
                    Ok((Expr::Not(Box::new(x)), DataType::Bool))
                }
                UnaryOperator::Minus | UnaryOperator::Plus | UnaryOperator::BitwiseNot => {
                    if let Some(regrouped) = sign_binds_before_power(op, expr) {
                        return self.bind_expr(&regrouped, scope);
                    }
                    if let (UnaryOperator::Minus, ast::Expr::Value(v)) = (op, expr.as_ref()) {
                        if let ast::Value::Number(n, _) = &v.value {
                            return parse_number(&format!("-{n}"));
                        }
                    }
                    let (x, t) = self.bind_expr(expr, scope)?;
                    let uop = match op {
                        UnaryOperator::Minus => UnaryOp::Neg,
                        UnaryOperator::Plus => UnaryOp::Plus,
                        _ => UnaryOp::BitNot,
                    };
                    let t = if t == DataType::Unknown {
                        DataType::Float8
                    } else {
                        t
                    };
                    let x = self.coerce(x, &DataType::Unknown, &t, CastContext::Implicit)?;
                    let rt = ops::unary_op_type(uop, &t)?;
                    Ok((
                        Expr::Unary {
                            op: uop,
                            operand: Box::new(x),
                        },
                        rt,
                    ))
                }
                other => Err(SqlError::unsupported(format!(
                    "operator {other} is not supported"
                ))),
            },
            ast::Expr::IsNull(x) | ast::Expr::IsNotNull(x) => {
                let (x, _) = self.bind_expr(x, scope)?;
                Ok((
                    Expr::IsNull {
                        expr: Box::new(x),
                        negated: matches!(e, ast::Expr::IsNotNull(_)),
                    },
                    DataType::Bool,
                ))
            }
            ast::Expr::IsTrue(x)
            | ast::Expr::IsNotTrue(x)
            | ast::Expr::IsFalse(x)
            | ast::Expr::IsNotFalse(x)
            | ast::Expr::IsUnknown(x)
            | ast::Expr::IsNotUnknown(x) => {
                let (value, negated) = match e {
                    ast::Expr::IsTrue(_) => (Some(true), false),
                    ast::Expr::IsNotTrue(_) => (Some(true), true),
                    ast::Expr::IsFalse(_) => (Some(false), false),
                    ast::Expr::IsNotFalse(_) => (Some(false), true),
                    ast::Expr::IsUnknown(_) => (None, false),
                    _ => (None, true),
                };
                let (x, t) = self.bind_expr(x, scope)?;
                let x = self.condition(x, &t, "IS TRUE")?;
                Ok((
                    Expr::IsBool {
                        expr: Box::new(x),
                        value,
                        negated,
                    },
                    DataType::Bool,
                ))
            }
            ast::Expr::IsDistinctFrom(a, b) | ast::Expr::IsNotDistinctFrom(a, b) => {
                let ((l, r), _) = self.bind_comparable(a, b, scope)?;
                Ok((
                    Expr::IsDistinct {
                        left: Box::new(l),
                        right: Box::new(r),
                        negated: matches!(e, ast::Expr::IsNotDistinctFrom(..)),
                    },
                    DataType::Bool,
                ))
            }
            ast::Expr::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let ge = ast::Expr::BinaryOp {
                    left: expr.clone(),
                    op: BinaryOperator::GtEq,
                    right: low.clone(),
                };
                let le = ast::Expr::BinaryOp {
                    left: expr.clone(),
                    op: BinaryOperator::LtEq,
                    right: high.clone(),
                };
                let (a, _) = self.bind_expr(&ge, scope)?;
                let (b, _) = self.bind_expr(&le, scope)?;
                let both = Expr::And(Box::new(a), Box::new(b));
                Ok((
                    if *negated {
                        Expr::Not(Box::new(both))
                    } else {
                        both
                    },
                    DataType::Bool,
                ))
            }
            ast::Expr::Like {
                negated,
                expr,
                pattern,
                escape_char,
                any: false,
            }
            | ast::Expr::ILike {
                negated,
                expr,
                pattern,
                escape_char,
                any: false,
            } => {
                let (x, xt) = self.bind_expr(expr, scope)?;
                let (p, pt) = self.bind_expr(pattern, scope)?;
                let x = self.coerce(x, &xt, &DataType::Text, CastContext::Implicit)?;
                let mut p = self.coerce(p, &pt, &DataType::Text, CastContext::Implicit)?;
                if let Some(escape) = escape_char {
                    let (esc, et) = self.bind_expr(escape, scope)?;
                    let esc = self.coerce(esc, &et, &DataType::Text, CastContext::Implicit)?;
                    p = match (&p, &esc) {
                        (Expr::Const(Value::Text(pat)), Expr::Const(Value::Text(esc))) => {
                            Expr::Const(Value::Text(ops::like_with_escape(pat, esc)?))
                        }
                        (Expr::Const(Value::Null), _) | (_, Expr::Const(Value::Null)) => {
                            Expr::Const(Value::Null)
                        }
                        _ => {
                            return Err(SqlError::unsupported(
                                "LIKE ... ESCAPE needs a constant pattern and escape",
                            ))
                        }
                    };
                }
                Ok((
                    Expr::Like {
                        expr: Box::new(x),
                        pattern: Box::new(p),
                        case_insensitive: matches!(e, ast::Expr::ILike { .. }),
                        negated: *negated,
                    },
                    DataType::Bool,
                ))
            }
            ast::Expr::In {
                expr,
                target,
                negated,
                ..
            } => self.bind_in(expr, target, *negated, scope),
            ast::Expr::Exists { subquery, negated } => {
                let (plan, _, correlated) = self.bind_subquery(subquery, scope)?;
                let slot = self.push_slot(SlotKind::Exists(Box::new(plan)), correlated);
                let x = Expr::Slot(slot);
                Ok((
                    if *negated { Expr::Not(Box::new(x)) } else { x },
                    DataType::Bool,
                ))
            }
            ast::Expr::Subquery(q) => {
                let (plan, sub_scope, correlated) = self.bind_subquery(q, scope)?;
                if sub_scope.columns.len() != 1 {
                    return Err(SqlError::syntax("subquery must return only one column"));
                }
                let ty = sub_scope.columns[0].ty.clone();
                let slot = self.push_slot(SlotKind::Scalar(Box::new(plan)), correlated);
                Ok((Expr::Slot(slot), ty))
            }
            ast::Expr::Cast {
                expr, data_type, ..
            } => {
                let to = convert(data_type)?;
                let (x, from) = self.bind_expr(expr, scope)?;
                let x = self.explicit_cast(x, &from, &to)?;
                Ok((x, to))
            }
            ast::Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => self.bind_case(
                operand.as_deref(),
                conditions,
                else_result.as_deref(),
                scope,
            ),
            ast::Expr::Function(f) => self.bind_function(f, scope),
            ast::Expr::Extract { field, expr, .. } => {
                let (x, t) = self.bind_expr(expr, scope)?;
                let field_name = Expr::Const(Value::Text(field.to_string().to_lowercase()));
                self.call_function("extract", vec![(field_name, DataType::Text), (x, t)])
            }
            ast::Expr::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                let mut args = vec![self.bind_expr(expr, scope)?];
                match substring_from {
                    Some(f) => args.push(self.bind_expr(f, scope)?),
                    None => args.push((Expr::Const(Value::Int4(1)), DataType::Int4)),
                }
                if let Some(f) = substring_for {
                    args.push(self.bind_expr(f, scope)?);
                }
                self.call_function("substring", args)
            }
            ast::Expr::Overlay {
                expr,
                overlay_what,
                overlay_from,
                overlay_for,
            } => {
                let mut args = vec![
                    self.bind_expr(expr, scope)?,
                    self.bind_expr(overlay_what, scope)?,
                    self.bind_expr(overlay_from, scope)?,
                ];
                if let Some(f) = overlay_for {
                    args.push(self.bind_expr(f, scope)?);
                }
                self.call_function("overlay", args)
            }
            ast::Expr::Position { expr, r#in } => {
                let needle = self.bind_expr(expr, scope)?;
                let hay = self.bind_expr(r#in, scope)?;
                self.call_function("strpos", vec![hay, needle])
            }
            ast::Expr::Trim {
                expr,
                trim_where,
                trim_what,
                trim_characters,
            } => {
                let name = match trim_where {
                    Some(ast::TrimWhereField::Leading) => "ltrim",
                    Some(ast::TrimWhereField::Trailing) => "rtrim",
                    _ => "btrim",
                };
                let mut args = vec![self.bind_expr(expr, scope)?];
                if let Some(w) = trim_what {
                    args.push(self.bind_expr(w, scope)?);
                } else if let Some(chars) = trim_characters.as_ref().and_then(|c| c.first()) {
                    args.push(self.bind_expr(chars, scope)?);
                }
                self.call_function(name, args)
            }
            ast::Expr::Ceil { expr, .. } => {
                let x = self.bind_expr(expr, scope)?;
                self.call_function("ceil", vec![x])
            }
            ast::Expr::Floor { expr, .. } => {
                let x = self.bind_expr(expr, scope)?;
                self.call_function("floor", vec![x])
            }
            ast::Expr::AtTimeZone {
                timestamp,
                time_zone,
            } => {
                let ts = self.bind_expr(timestamp, scope)?;
                let tz = self.bind_expr(time_zone, scope)?;
                self.call_function("timezone", vec![tz, ts])
            }
            ast::Expr::AnyOp {
                left,
                compare_op,
                right,
                ..
            }
            | ast::Expr::AllOp {
                left,
                compare_op,
                right,
            } => {
                let all = matches!(e, ast::Expr::AllOp { .. });
                self.bind_quantified(left, compare_op, right, all, scope)
            }
            ast::Expr::Array(arr) => {
                let mut items = Vec::new();
                for x in &arr.elem {
                    items.push(self.bind_expr(x, scope)?);
                }
                let types: Vec<DataType> = items.iter().map(|(_, t)| t.clone()).collect();
                let elem = common_type(&types, "ARRAY")?;
                let mut exprs = Vec::new();
                for (x, t) in items {
                    exprs.push(self.coerce(x, &t, &elem, CastContext::Implicit)?);
                }
                let func = crate::virtual_tables::eval::CatalogFn::MakeArray;
                Ok((
                    Expr::Catalog { func, args: exprs },
                    DataType::Array(Box::new(elem)),
                ))
            }
            other => self.bind_catalog_expr(other, scope),
        }
    }

    fn bind_column(
        &mut self,
        table: Option<&str>,
        name: &str,
        scope: &Scope,
    ) -> Result<Typed, SqlError> {
        if let Some(i) = scope.resolve(table, name)? {
            let c = &scope.columns[i];
            if let Some(agg) = &self.agg {
                // Outside aggregates only grouped columns may be used.
                if let Some(g) = agg
                    .group_exprs
                    .iter()
                    .position(|g| matches!(g, Expr::Column { index, .. } if *index == i))
                {
                    return Ok((Expr::column(g, name), c.ty.clone()));
                }
                let qualified = match &c.table {
                    Some(t) => format!("{t}.{name}"),
                    None => name.to_string(),
                };
                return Err(SqlError::new(
                    SqlState::GROUPING_ERROR,
                    format!("column \"{qualified}\" must appear in the GROUP BY clause or be used in an aggregate function"),
                ));
            }
            return Ok((Expr::column(i, name), c.ty.clone()));
        }
        for depth in 0..self.outer.len() {
            let level = self.outer.len() - 1 - depth;
            if let Some(i) = self.outer[level].resolve(table, name)? {
                self.outer_used[level] = true;
                let ty = self.outer[level].columns[i].ty.clone();
                return Ok((
                    Expr::Outer {
                        depth,
                        index: i,
                        name: name.to_string(),
                    },
                    ty,
                ));
            }
        }
        if table.is_none() {
            // current_user and friends parse as identifiers.
            if let Some(v) = self.session_identifier(name) {
                return Ok(v);
            }
        }
        match table {
            Some(t) if !scope.has_table(t) && !self.outer.iter().any(|s| s.has_table(t)) => {
                Err(SqlError::new(
                    SqlState::UNDEFINED_TABLE,
                    format!("missing FROM-clause entry for table \"{t}\""),
                ))
            }
            Some(t) => Err(undefined_column(&format!("{t}.{name}"))),
            None => Err(undefined_column(name)),
        }
    }

    fn session_identifier(&self, name: &str) -> Option<Typed> {
        let text = |s: &str| (Expr::Const(Value::Text(s.to_string())), DataType::Name);
        match name {
            "current_user" | "session_user" | "user" | "current_role" => {
                Some(text(&self.facts.user))
            }
            "current_catalog" => Some(text(&self.facts.database)),
            "current_schema" => Some(text("public")),
            "current_date" | "current_timestamp" | "localtimestamp" => None,
            _ => None,
        }
    }

    fn bind_value(&mut self, v: &ast::Value) -> Result<Typed, SqlError> {
        Ok(match v {
            ast::Value::Number(n, _) => return parse_number(&n.to_string()),
            ast::Value::SingleQuotedString(s)
            | ast::Value::EscapedStringLiteral(s)
            | ast::Value::DoubleQuotedString(s)
            | ast::Value::NationalStringLiteral(s) => {
                (Expr::Const(Value::Text(s.clone())), DataType::Unknown)
            }
            ast::Value::DollarQuotedString(s) => {
                (Expr::Const(Value::Text(s.value.clone())), DataType::Unknown)
            }
            ast::Value::HexStringLiteral(s) => (
                Expr::Const(Value::Text(format!("\\x{s}"))),
                DataType::Unknown,
            ),
            ast::Value::Boolean(b) => (Expr::Const(Value::Bool(*b)), DataType::Bool),
            ast::Value::Null => (Expr::Const(Value::Null), DataType::Unknown),
            ast::Value::Placeholder(p) => {
                let n: usize = p
                    .trim_start_matches('$')
                    .parse()
                    .map_err(|_| SqlError::syntax(format!("invalid parameter reference {p}")))?;
                if n == 0 || n > 65535 {
                    return Err(SqlError::new(
                        SqlState::UNDEFINED_PARAMETER,
                        format!("there is no parameter ${n}"),
                    ));
                }
                if self.params.len() < n {
                    self.params.resize(n, DataType::Unknown);
                }
                (Expr::Param(n - 1), self.params[n - 1].clone())
            }
            other => {
                return Err(SqlError::unsupported(format!(
                    "literal {other} is not supported"
                )))
            }
        })
    }

    fn bind_interval(&mut self, iv: &ast::Interval, scope: &Scope) -> Result<Typed, SqlError> {
        let (x, t) = self.bind_expr(&iv.value, scope)?;
        let x = match (x, &iv.leading_field) {
            (Expr::Const(Value::Text(s)), Some(field))
                if iv.last_field.is_none() && !s.trim().contains(' ') =>
            {
                Expr::Const(Value::Text(format!("{s} {field}")))
            }
            (x, _) => x,
        };
        let x = self.explicit_cast(x, &t, &DataType::Interval)?;
        if let Expr::Const(Value::Interval(i)) = &x {
            return Ok((
                Expr::Const(Value::Interval(Interval { ..*i })),
                DataType::Interval,
            ));
        }
        Ok((x, DataType::Interval))
    }

    /// Binds both sides of a comparison and casts them to a common type.
    fn bind_comparable(
        &mut self,
        a: &ast::Expr,
        b: &ast::Expr,
        scope: &Scope,
    ) -> Result<((Expr, Expr), DataType), SqlError> {
        let (l, lt) = self.bind_expr(a, scope)?;
        let (r, rt) = self.bind_expr(b, scope)?;
        let sig = ops::binary_op_type(BinaryOp::Eq, &lt, &rt)?;
        let l = self.coerce(l, &lt, &sig.left, CastContext::Implicit)?;
        let r = self.coerce(r, &rt, &sig.right, CastContext::Implicit)?;
        Ok(((l, r), sig.left))
    }

    fn bind_binary(
        &mut self,
        left: &ast::Expr,
        op: &BinaryOperator,
        right: &ast::Expr,
        scope: &Scope,
    ) -> Result<Typed, SqlError> {
        match op {
            BinaryOperator::And | BinaryOperator::Or => {
                let (l, lt) = self.bind_expr(left, scope)?;
                let (r, rt) = self.bind_expr(right, scope)?;
                let name = if *op == BinaryOperator::And {
                    "AND"
                } else {
                    "OR"
                };
                let l = self.condition(l, &lt, name)?;
                let r = self.condition(r, &rt, name)?;
                let e = if *op == BinaryOperator::And {
                    Expr::And(Box::new(l), Box::new(r))
                } else {
                    Expr::Or(Box::new(l), Box::new(r))
                };
                return Ok((e, DataType::Bool));
            }
            BinaryOperator::PGLikeMatch
            | BinaryOperator::PGILikeMatch
            | BinaryOperator::PGNotLikeMatch
            | BinaryOperator::PGNotILikeMatch => {
                let like = ast::Expr::Like {
                    negated: matches!(
                        op,
                        BinaryOperator::PGNotLikeMatch | BinaryOperator::PGNotILikeMatch
                    ),
                    any: false,
                    expr: Box::new(left.clone()),
                    pattern: Box::new(right.clone()),
                    escape_char: None,
                };
                let like = if matches!(
                    op,
                    BinaryOperator::PGILikeMatch | BinaryOperator::PGNotILikeMatch
                ) {
                    match like {
                        ast::Expr::Like {
                            negated,
                            any,
                            expr,
                            pattern,
                            escape_char,
                        } => ast::Expr::ILike {
                            negated,
                            any,
                            expr,
                            pattern,
                            escape_char,
                        },
                        other => other,
                    }
                } else {
                    like
                };
                return self.bind_expr(&like, scope);
            }
            _ => {}
        }
        if let (Some(l), Some(r)) = (row_items(left), row_items(right)) {
            return self.bind_row_comparison(l, op, r, scope);
        }
        if let Some(bound) = self.bind_catalog_operator(left, op, right, scope)? {
            return Ok(bound);
        }
        let Some(bop) = binary_op(op) else {
            return Err(SqlError::new(
                SqlState::UNDEFINED_FUNCTION,
                format!("operator does not exist: {op}"),
            ));
        };
        let (l, lt) = self.bind_expr(left, scope)?;
        let (r, rt) = self.bind_expr(right, scope)?;
        // An untyped literal on one side is first taken to be of the other
        // side's type, as PostgreSQL resolves operators (`date - '2024-01-01'`
        // is date - date); only if no such operator exists do the other
        // candidates count.
        let same_type = match (&lt, &rt) {
            (DataType::Unknown, t) | (t, DataType::Unknown) if *t != DataType::Unknown => {
                ops::binary_op_type(bop, t, t).ok()
            }
            _ => None,
        };
        // Untyped parameters compared with each other default to text.
        let sig = match same_type {
            Some(sig) => sig,
            None => ops::binary_op_type(bop, &lt, &rt)?,
        };
        // `text || anything` converts the other side with its output
        // function (PostgreSQL's anytextcat), which no implicit cast allows.
        let context = if bop == BinaryOp::Concat {
            CastContext::Explicit
        } else {
            CastContext::Implicit
        };
        let l = self.coerce(l, &lt, &sig.left, context)?;
        let r = self.coerce(r, &rt, &sig.right, context)?;
        let result = sig.result.clone();
        Ok((
            Expr::Binary {
                op: bop,
                signature: sig,
                left: Box::new(l),
                right: Box::new(r),
            },
            result,
        ))
    }

    /// `(a, b) op (c, d)`: pairwise, as PostgreSQL compares rows. `=` holds
    /// when every pair is equal, `<>` when some pair differs, and the
    /// ordering operators compare lexicographically: `(a, b) < (c, d)` is
    /// `a < c OR (a = c AND b < d)`, which gives the same NULLs as
    /// PostgreSQL's pair-by-pair rule.
    fn bind_row_comparison(
        &mut self,
        left: &[ast::Expr],
        op: &BinaryOperator,
        right: &[ast::Expr],
        scope: &Scope,
    ) -> Result<Typed, SqlError> {
        if left.len() != right.len() {
            return Err(SqlError::syntax(
                "unequal number of entries in row expressions",
            ));
        }
        let pair = |l: &ast::Expr, op: BinaryOperator, r: &ast::Expr| ast::Expr::BinaryOp {
            left: Box::new(l.clone()),
            op,
            right: Box::new(r.clone()),
        };
        let join = |a: ast::Expr, op: BinaryOperator, b: ast::Expr| ast::Expr::BinaryOp {
            left: Box::new(ast::Expr::Nested(Box::new(a))),
            op,
            right: Box::new(ast::Expr::Nested(Box::new(b))),
        };
        let expanded = match op {
            BinaryOperator::Eq | BinaryOperator::NotEq => {
                let link = if *op == BinaryOperator::Eq {
                    BinaryOperator::And
                } else {
                    BinaryOperator::Or
                };
                left.iter()
                    .zip(right)
                    .map(|(l, r)| pair(l, op.clone(), r))
                    .reduce(|a, b| join(a, link.clone(), b))
            }
            BinaryOperator::Lt
            | BinaryOperator::LtEq
            | BinaryOperator::Gt
            | BinaryOperator::GtEq => {
                let strict = match op {
                    BinaryOperator::Lt | BinaryOperator::LtEq => BinaryOperator::Lt,
                    _ => BinaryOperator::Gt,
                };
                // Built from the last pair outwards.
                let mut pairs = left.iter().zip(right).rev();
                let last = pairs.next().map(|(l, r)| pair(l, op.clone(), r));
                pairs.fold(last, |inner, (l, r)| {
                    inner.map(|inner| {
                        join(
                            pair(l, strict.clone(), r),
                            BinaryOperator::Or,
                            join(pair(l, BinaryOperator::Eq, r), BinaryOperator::And, inner),
                        )
                    })
                })
            }
            other => {
                return Err(SqlError::unsupported(format!(
                    "operator {other} on row values is not supported"
                )))
            }
        };
        match expanded {
            Some(e) => self.bind_expr(&e, scope),
            None => Err(SqlError::syntax("row expressions must not be empty")),
        }
    }

    fn bind_in(
        &mut self,
        expr: &ast::Expr,
        target: &ast::InTarget,
        negated: bool,
        scope: &Scope,
    ) -> Result<Typed, SqlError> {
        // (a, b) IN ((1, 2), (3, 4)): one row comparison per list item.
        if let (Some(_), ast::InTarget::List(list)) = (row_items(expr), target) {
            let items: Vec<ast::Expr> = list
                .iter()
                .map(|item| ast::Expr::BinaryOp {
                    left: Box::new(expr.clone()),
                    op: BinaryOperator::Eq,
                    right: Box::new(item.clone()),
                })
                .collect();
            // A balanced OR tree: a long list nests log2(n) levels, not n.
            let any = balanced_or(items);
            let Some(any) = any else {
                return Err(SqlError::syntax("IN list must not be empty"));
            };
            let e = if negated {
                ast::Expr::UnaryOp {
                    op: ast::UnaryOperator::Not,
                    expr: Box::new(ast::Expr::Nested(Box::new(any))),
                }
            } else {
                any
            };
            return self.bind_expr(&e, scope);
        }
        match target {
            ast::InTarget::List(list) => {
                let mut items = vec![self.bind_expr(expr, scope)?];
                for x in list {
                    items.push(self.bind_expr(x, scope)?);
                }
                let types: Vec<DataType> = items.iter().map(|(_, t)| t.clone()).collect();
                let ty = common_type(&types, "IN")?;
                let mut bound = Vec::new();
                for (x, t) in items {
                    bound.push(self.coerce(x, &t, &ty, CastContext::Implicit)?);
                }
                let first = bound.remove(0);
                Ok((
                    Expr::InList {
                        expr: Box::new(first),
                        list: bound,
                        negated,
                    },
                    DataType::Bool,
                ))
            }
            ast::InTarget::Subquery(q) => {
                let (x, xt) = self.bind_expr(expr, scope)?;
                let (plan, sub_scope, correlated) = self.bind_subquery(q, scope)?;
                if sub_scope.columns.len() != 1 {
                    return Err(SqlError::syntax("subquery has too many columns"));
                }
                let st = sub_scope.columns[0].ty.clone();
                let ty = common_type(&[xt.clone(), st.clone()], "IN")?;
                let x = self.coerce(x, &xt, &ty, CastContext::Implicit)?;
                let plan =
                    if st.without_modifier() != ty.without_modifier() && st != DataType::Unknown {
                        let col = self.coerce(
                            Expr::column(0, sub_scope.columns[0].name.clone()),
                            &st,
                            &ty,
                            CastContext::Implicit,
                        )?;
                        crate::plan::Plan::Project {
                            input: Box::new(plan),
                            exprs: vec![col],
                            slots: vec![],
                        }
                    } else {
                        plan
                    };
                let slot = self.push_slot(SlotKind::Set(Box::new(plan)), correlated);
                Ok((
                    Expr::InSlot {
                        expr: Box::new(x),
                        slot,
                        negated,
                    },
                    DataType::Bool,
                ))
            }
            _ => Err(SqlError::unsupported("this form of IN is not supported")),
        }
    }

    fn bind_quantified(
        &mut self,
        left: &ast::Expr,
        op: &BinaryOperator,
        right: &ast::Expr,
        all: bool,
        scope: &Scope,
    ) -> Result<Typed, SqlError> {
        // x = ANY (subquery) is IN; x <> ALL (subquery) is NOT IN.
        let sub = match right {
            ast::Expr::Subquery(q) => q,
            ast::Expr::Nested(inner) => match inner.as_ref() {
                ast::Expr::Subquery(q) => q,
                _ => return self.bind_array_quantified(left, op, right, all, scope),
            },
            _ => return self.bind_array_quantified(left, op, right, all, scope),
        };
        match (op, all) {
            (BinaryOperator::Eq, false) => {
                self.bind_in(left, &ast::InTarget::Subquery(sub.clone()), false, scope)
            }
            (BinaryOperator::NotEq, true) => {
                self.bind_in(left, &ast::InTarget::Subquery(sub.clone()), true, scope)
            }
            _ => {
                // x op ANY (q): the set of q's values holds one v with x op v;
                // x op ALL (q): none with NOT (x op v). Computed over the
                // subquery's values like IN, with SQL's NULL rules.
                let (x, xt) = self.bind_expr(left, scope)?;
                let (plan, sub_scope, correlated) = self.bind_subquery(sub, scope)?;
                if sub_scope.columns.len() != 1 {
                    return Err(SqlError::syntax("subquery has too many columns"));
                }
                let Some(bop) = binary_op(op) else {
                    return Err(SqlError::unsupported(format!("operator {op} with ANY/ALL")));
                };
                let st = sub_scope.columns[0].ty.clone();
                let sig = ops::binary_op_type(bop, &xt, &st)?;
                let x = self.coerce(x, &xt, &sig.left, CastContext::Implicit)?;
                let slot = self.push_slot(SlotKind::Set(Box::new(plan)), correlated);
                Ok((
                    Expr::Quantified {
                        expr: Box::new(x),
                        op: bop,
                        signature: sig,
                        slot,
                        all,
                    },
                    DataType::Bool,
                ))
            }
        }
    }

    fn bind_case(
        &mut self,
        operand: Option<&ast::Expr>,
        conditions: &[ast::CaseWhen],
        else_result: Option<&ast::Expr>,
        scope: &Scope,
    ) -> Result<Typed, SqlError> {
        let mut subject = match operand {
            Some(o) => Some(self.bind_expr(o, scope)?),
            None => None,
        };
        let mut whens = Vec::new();
        let mut results = Vec::new();
        for cw in conditions {
            let (w, wt) = self.bind_expr(&cw.condition, scope)?;
            let w = match &mut subject {
                Some((s, st)) => {
                    let ty = common_type(&[st.clone(), wt.clone()], "CASE")?;
                    let cast_subject = self.coerce(s.clone(), st, &ty, CastContext::Implicit)?;
                    *s = cast_subject;
                    *st = ty.clone();
                    self.coerce(w, &wt, &ty, CastContext::Implicit)?
                }
                None => self.condition(w, &wt, "CASE/WHEN")?,
            };
            whens.push(w);
            results.push(self.bind_expr(&cw.result, scope)?);
        }
        let otherwise = match else_result {
            Some(e) => Some(self.bind_expr(e, scope)?),
            None => None,
        };
        let mut types: Vec<DataType> = results.iter().map(|(_, t)| t.clone()).collect();
        if let Some((_, t)) = &otherwise {
            types.push(t.clone());
        }
        let ty = common_type(&types, "CASE")?;
        let mut pairs = Vec::new();
        for (w, (r, rt)) in whens.into_iter().zip(results) {
            pairs.push((w, self.coerce(r, &rt, &ty, CastContext::Implicit)?));
        }
        let otherwise = match otherwise {
            Some((e, t)) => Some(Box::new(self.coerce(e, &t, &ty, CastContext::Implicit)?)),
            None => None,
        };
        Ok((
            Expr::Case {
                operand: subject.map(|(s, _)| Box::new(s)),
                whens: pairs,
                otherwise,
            },
            ty,
        ))
    }

    /// Binds a list of expressions and casts them to their common type.
    pub fn bind_common(
        &mut self,
        items: &[&ast::Expr],
        construct: &str,
        scope: &Scope,
    ) -> Result<(Vec<Expr>, DataType), SqlError> {
        let mut bound = Vec::new();
        for x in items {
            bound.push(self.bind_expr(x, scope)?);
        }
        let types: Vec<DataType> = bound.iter().map(|(_, t)| t.clone()).collect();
        let ty = common_type(&types, construct)?;
        let mut out = Vec::new();
        for (x, t) in bound {
            out.push(self.coerce(x, &t, &ty, CastContext::Implicit)?);
        }
        Ok((out, ty))
    }

    fn bind_function(&mut self, f: &ast::Function, scope: &Scope) -> Result<Typed, SqlError> {
        let name = function_name(f);
        if f.over.is_some() {
            return Err(SqlError::unsupported("window functions are not supported"));
        }
        if is_aggregate(&name) {
            return self.bind_aggregate_call(f, &name, scope);
        }
        if let (FunctionArguments::Subquery(q), "array") = (&f.args, name.as_str()) {
            return self.bind_array_subquery(q, scope);
        }
        if crate::virtual_tables::TableFn::from_name(&name).is_some() {
            // Set-returning functions are bound in FROM or as whole
            // select-list items; anywhere else they would need rows.
            return Err(SqlError::unsupported(format!(
                "set-returning function {name} is only supported in FROM or as a whole select-list item"
            )));
        }
        let args = function_args(f)?;
        let plain: Vec<&ast::Expr> = args.iter().filter_map(|a| *a).collect();
        if plain.len() != args.len() {
            return Err(SqlError::syntax(format!("{name}(*) is not an aggregate")));
        }
        match name.as_str() {
            "coalesce" | "greatest" | "least" => {
                if plain.is_empty() {
                    return Err(SqlError::syntax(format!("{name} requires arguments")));
                }
                let construct = name.to_uppercase();
                let (exprs, ty) = self.bind_common(&plain, &construct, scope)?;
                let e = match name.as_str() {
                    "coalesce" => Expr::Coalesce(exprs),
                    "greatest" => Expr::Greatest(exprs),
                    _ => Expr::Least(exprs),
                };
                return Ok((e, ty));
            }
            "nullif" => {
                if plain.len() != 2 {
                    return Err(undefined_function(&name, &[]));
                }
                let ((a, b), ty) = self.bind_comparable(plain[0], plain[1], scope)?;
                return Ok((Expr::NullIf(Box::new(a), Box::new(b)), ty));
            }
            "nextval" | "currval" | "setval" => {
                let mut bound = Vec::new();
                for a in &plain {
                    let (x, t) = self.bind_expr(a, scope)?;
                    bound.push((x, t));
                }
                if bound.is_empty() {
                    return Err(undefined_function(&name, &[]));
                }
                let (seq, st) = bound.remove(0);
                let seq = self.coerce(seq, &st, &DataType::Text, CastContext::Implicit)?;
                let correlated = !seq.is_row_independent();
                let kind = match name.as_str() {
                    "nextval" => SlotKind::Nextval(Box::new(seq)),
                    "currval" => SlotKind::Currval(Box::new(seq)),
                    _ => {
                        let mut args = vec![seq];
                        for (i, (x, t)) in bound.into_iter().enumerate() {
                            let to = if i == 0 {
                                DataType::Int8
                            } else {
                                DataType::Bool
                            };
                            args.push(self.coerce(x, &t, &to, CastContext::Implicit)?);
                        }
                        SlotKind::Setval(args)
                    }
                };
                // Every row draws its own value.
                let _ = correlated;
                let slot = self.push_slot(kind, true);
                return Ok((Expr::Slot(slot), DataType::Int8));
            }
            "version" => {
                return Ok((
                    Expr::Const(Value::Text(crate::session::version_string())),
                    DataType::Text,
                ))
            }
            "current_database" | "current_catalog" => {
                return Ok((
                    Expr::Const(Value::Text(self.facts.database.clone())),
                    DataType::Name,
                ))
            }
            "current_schema" => {
                return Ok((Expr::Const(Value::Text("public".into())), DataType::Name))
            }
            "current_user" | "session_user" | "user" | "current_role" => {
                return Ok((
                    Expr::Const(Value::Text(self.facts.user.clone())),
                    DataType::Name,
                ))
            }
            "pg_backend_pid" => {
                return Ok((
                    Expr::Const(Value::Int4(std::process::id() as i32)),
                    DataType::Int4,
                ))
            }
            "current_setting" => {
                if let Some(ast::Expr::Value(v)) = plain.first() {
                    if let ast::Value::SingleQuotedString(s) = &v.value {
                        let key = s.to_lowercase();
                        // current_setting(name, true): NULL when missing.
                        let missing_ok = matches!(
                            plain.get(1),
                            Some(ast::Expr::Value(v))
                                if matches!(v.value, ast::Value::Boolean(true))
                        );
                        return match self.facts.settings.get(&key) {
                            Some(val) => {
                                Ok((Expr::Const(Value::Text(val.clone())), DataType::Text))
                            }
                            None if missing_ok => Ok((Expr::Const(Value::Null), DataType::Text)),
                            None => Err(SqlError::new(
                                SqlState::UNDEFINED_OBJECT,
                                format!("unrecognized configuration parameter \"{s}\""),
                            )),
                        };
                    }
                }
                return Err(SqlError::unsupported(
                    "current_setting needs a constant name",
                ));
            }
            "pg_typeof" => {
                if plain.len() != 1 {
                    return Err(undefined_function(&name, &[]));
                }
                let (_, t) = self.bind_expr(plain[0], scope)?;
                let t = if t == DataType::Unknown {
                    DataType::Unknown
                } else {
                    t
                };
                return Ok((Expr::Const(Value::Text(t.sql_name())), DataType::RegType));
            }
            _ => {}
        }
        let mut bound = Vec::new();
        for a in &plain {
            bound.push(self.bind_expr(a, scope)?);
        }
        if let Some(special) = crate::virtual_tables::functions::bind(self, &name, &bound)? {
            return Ok(special);
        }
        self.call_function(&name, bound)
    }

    /// Resolves and binds a call of a scalar function from `func`.
    pub fn call_function(&mut self, name: &str, args: Vec<Typed>) -> Result<Typed, SqlError> {
        let types: Vec<DataType> = args.iter().map(|(_, t)| t.clone()).collect();
        let signature = func::resolve(name, &types)?;
        let mut exprs = Vec::new();
        for ((x, t), want) in args.into_iter().zip(signature.args.iter()) {
            exprs.push(self.coerce(x, &t, want, CastContext::Implicit)?);
        }
        let result = signature.result.clone();
        Ok((
            Expr::Function {
                signature,
                args: exprs,
            },
            result,
        ))
    }

    /// Registers a slot for the clause being bound.
    pub(crate) fn push_slot(&mut self, kind: SlotKind, correlated: bool) -> usize {
        self.slots.push(Slot { kind, correlated });
        self.slots.len() - 1
    }
}

/// 42883 for a function that does not exist with these argument types.
pub fn undefined_function(name: &str, args: &[DataType]) -> SqlError {
    let list: Vec<String> = args.iter().map(|t| t.sql_name()).collect();
    SqlError::new(
        SqlState::UNDEFINED_FUNCTION,
        format!("function {name}({}) does not exist", list.join(", ")),
    )
    .with_hint("No function matches the given name and argument types. You might need to add explicit type casts.")
}

/// PostgreSQL binds a unary sign tighter than `^` (`-2^2` is 4), sqlparser
/// looser (`-(2^2)`). A sign whose operand is an unparenthesised power
/// chain is moved onto the chain's first operand; written parentheses stay
/// `Nested` and are left alone.
fn sign_binds_before_power(op: &UnaryOperator, operand: &ast::Expr) -> Option<ast::Expr> {
    if !matches!(op, UnaryOperator::Minus | UnaryOperator::Plus) {
        return None;
    }
    let ast::Expr::BinaryOp {
        left,
        op: ast::BinaryOperator::PGExp,
        right,
    } = operand
    else {
        return None;
    };
    let signed_left = sign_binds_before_power(op, left).unwrap_or_else(|| ast::Expr::UnaryOp {
        op: *op,
        expr: left.clone(),
    });
    Some(ast::Expr::BinaryOp {
        left: Box::new(signed_left),
        op: ast::BinaryOperator::PGExp,
        right: right.clone(),
    })
}
