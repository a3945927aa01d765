//! Bound scalar expressions and their evaluation.
//!
//! The binder resolves names to column positions and decides every operand's
//! type (inserting casts), so evaluation is a plain tree walk over rows. Parts
//! that need I/O (subqueries, `nextval`) are computed by the owning operator
//! before evaluation and read here from [`Env::slots`].

use std::fmt;

use rangedb_sqltypes::cast::{cast, CastContext};
use rangedb_sqltypes::func::{self, FunctionSignature};
use rangedb_sqltypes::ops::{self, BinaryOp, BinaryOpSignature, UnaryOp};
use rangedb_sqltypes::{DataType, EvalContext, Row, SqlError, SqlState, Value};

/// Generates a pre-order walk of an expression tree. `walk` and `walk_mut`
/// differ only in the kind of reference (`$m` is empty or `mut`, `$iter` is
/// `iter` or `iter_mut`), so one list of variants serves both.
macro_rules! expr_walk {
    ($(#[$doc:meta])* $vis:vis fn $name:ident($($m:tt)?), $iter:ident) => {
        $(#[$doc])*
        $vis fn $name(&$($m)? self, f: &mut dyn FnMut(&$($m)? Expr)) {
            f(self);
            match self {
                Expr::Const(_)
                | Expr::Column { .. }
                | Expr::Outer { .. }
                | Expr::Param(_)
                | Expr::Slot(_) => {}
                Expr::Cast { expr, .. }
                | Expr::Not(expr)
                | Expr::IsNull { expr, .. }
                | Expr::IsBool { expr, .. }
                | Expr::InSlot { expr, .. }
                | Expr::Quantified { expr, .. } => expr.$name(f),
                Expr::Unary { operand, .. } => operand.$name(f),
                Expr::Binary { left, right, .. } | Expr::IsDistinct { left, right, .. } => {
                    left.$name(f);
                    right.$name(f);
                }
                Expr::And(a, b) | Expr::Or(a, b) | Expr::NullIf(a, b) => {
                    a.$name(f);
                    b.$name(f);
                }
                Expr::Like { expr, pattern, .. } => {
                    expr.$name(f);
                    pattern.$name(f);
                }
                Expr::InList { expr, list, .. } => {
                    expr.$name(f);
                    list.$iter().for_each(|e| e.$name(f));
                }
                Expr::Case {
                    operand,
                    whens,
                    otherwise,
                } => {
                    if let Some(o) = operand {
                        o.$name(f);
                    }
                    for (w, t) in whens.$iter() {
                        w.$name(f);
                        t.$name(f);
                    }
                    if let Some(o) = otherwise {
                        o.$name(f);
                    }
                }
                Expr::Coalesce(items)
                | Expr::Greatest(items)
                | Expr::Least(items)
                | Expr::Function { args: items, .. }
                | Expr::Catalog { args: items, .. } => items.$iter().for_each(|e| e.$name(f)),
            }
        }
    };
}

/// A bound expression. Serializable so that a scan's filter can run in
/// the ranges (see [`crate::exec::pushdown`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Expr {
    Const(Value),
    /// A column of the operator's input row.
    Column {
        index: usize,
        name: String,
    },
    /// A column of an enclosing query's current row (correlated subquery);
    /// depth 0 is the nearest enclosing query.
    Outer {
        depth: usize,
        index: usize,
        name: String,
    },
    /// `$n` (0-based here).
    Param(usize),
    Cast {
        expr: Box<Expr>,
        from: DataType,
        to: DataType,
        context: CastContext,
    },
    Binary {
        op: BinaryOp,
        signature: BinaryOpSignature,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    /// `IS [NOT] TRUE/FALSE/UNKNOWN`: never NULL.
    IsBool {
        expr: Box<Expr>,
        value: Option<bool>,
        negated: bool,
    },
    IsDistinct {
        left: Box<Expr>,
        right: Box<Expr>,
        negated: bool,
    },
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        case_insensitive: bool,
        negated: bool,
    },
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    /// `expr [NOT] IN (subquery)`: the subquery's values are slot `slot`.
    InSlot {
        expr: Box<Expr>,
        slot: usize,
        negated: bool,
    },
    /// `expr op ANY|ALL (subquery)` over the values in slot `slot`.
    Quantified {
        expr: Box<Expr>,
        op: BinaryOp,
        signature: BinaryOpSignature,
        slot: usize,
        all: bool,
    },
    Case {
        operand: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
    Coalesce(Vec<Expr>),
    NullIf(Box<Expr>, Box<Expr>),
    Greatest(Vec<Expr>),
    Least(Vec<Expr>),
    Function {
        signature: FunctionSignature,
        args: Vec<Expr>,
    },
    /// A function of the system catalogs' queries (regular expressions,
    /// `ANY (array)`, subscripts, catalog lookups): see
    /// [`crate::virtual_tables::eval`]. Never sent to a range.
    #[serde(skip)]
    Catalog {
        func: crate::virtual_tables::eval::CatalogFn,
        args: Vec<Expr>,
    },
    /// A value computed by the owning operator before evaluation.
    Slot(usize),
}

/// A value computed before evaluation: a scalar (scalar subquery, EXISTS,
/// nextval) or a set of values (IN subquery).
#[derive(Debug, Clone)]
pub enum SlotValue {
    Scalar(Value),
    /// The non-NULL values of an IN / ANY subquery. Shared, since an
    /// uncorrelated subquery's result is handed to every row; `lookup`
    /// answers `x IN (...)` without a scan (Value's Eq and Hash are SQL
    /// equality, numbers of different types included).
    Set {
        values: std::sync::Arc<Vec<Value>>,
        lookup: std::sync::Arc<std::collections::HashSet<Value>>,
        has_null: bool,
    },
}

/// What an expression is evaluated against besides its row.
pub struct Env<'a> {
    pub params: &'a [Value],
    /// Rows of enclosing queries, innermost last.
    pub outer: &'a [Row],
    pub slots: &'a [SlotValue],
    pub ctx: &'a EvalContext,
}

fn truth(v: &Value) -> Result<Option<bool>, SqlError> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        other => Err(SqlError::datatype_mismatch(format!(
            "argument of boolean expression must be type boolean, not {}",
            other.natural_type().sql_name()
        ))),
    }
}

fn bool_or_null(b: Option<bool>) -> Value {
    b.map(Value::Bool).unwrap_or(Value::Null)
}

fn sql_equal(a: &Value, b: &Value) -> Option<bool> {
    a.sql_cmp(b).map(|o| o == std::cmp::Ordering::Equal)
}

impl Expr {
    /// A column reference.
    pub fn column(index: usize, name: impl Into<String>) -> Expr {
        Expr::Column {
            index,
            name: name.into(),
        }
    }

    /// Evaluates the expression on `row`. Deep expressions (the binder
    /// allows `MAX_EXPR_DEPTH` levels) recurse on a stack that grows on the
    /// heap when needed.
    pub fn eval(&self, row: &[Value], env: &Env<'_>) -> Result<Value, SqlError> {
        stacker::maybe_grow(super::STACK_RED_ZONE, super::STACK_SEGMENT, || {
            self.eval_here(row, env)
        })
    }

    fn eval_here(&self, row: &[Value], env: &Env<'_>) -> Result<Value, SqlError> {
        Ok(match self {
            Expr::Const(v) => v.clone(),
            Expr::Column { index, .. } => row
                .get(*index)
                .cloned()
                .ok_or_else(|| SqlError::internal(format!("column {index} outside the row")))?,
            Expr::Outer { depth, index, .. } => env
                .outer
                .len()
                .checked_sub(depth + 1)
                .and_then(|i| env.outer.get(i))
                .and_then(|r| r.get(*index))
                .cloned()
                .ok_or_else(|| SqlError::internal("outer reference without an outer row"))?,
            Expr::Param(i) => env.params.get(*i).cloned().ok_or_else(|| {
                SqlError::new(
                    SqlState::UNDEFINED_PARAMETER,
                    format!("there is no parameter ${}", i + 1),
                )
            })?,
            Expr::Cast {
                expr,
                from,
                to,
                context,
            } => cast(expr.eval(row, env)?, from, to, *context, env.ctx)?,
            Expr::Binary {
                op,
                signature,
                left,
                right,
            } => {
                let l = left.eval(row, env)?;
                let r = right.eval(row, env)?;
                ops::binary_op(*op, &l, &r, signature, env.ctx)?
            }
            Expr::Unary { op, operand } => ops::unary_op(*op, &operand.eval(row, env)?)?,
            Expr::And(a, b) => {
                let l = truth(&a.eval(row, env)?)?;
                if l == Some(false) {
                    return Ok(Value::Bool(false));
                }
                let r = truth(&b.eval(row, env)?)?;
                match (l, r) {
                    (_, Some(false)) => Value::Bool(false),
                    (Some(true), Some(true)) => Value::Bool(true),
                    _ => Value::Null,
                }
            }
            Expr::Or(a, b) => {
                let l = truth(&a.eval(row, env)?)?;
                if l == Some(true) {
                    return Ok(Value::Bool(true));
                }
                let r = truth(&b.eval(row, env)?)?;
                match (l, r) {
                    (_, Some(true)) => Value::Bool(true),
                    (Some(false), Some(false)) => Value::Bool(false),
                    _ => Value::Null,
                }
            }
            Expr::Not(e) => bool_or_null(truth(&e.eval(row, env)?)?.map(|b| !b)),
            Expr::IsNull { expr, negated } => {
                Value::Bool(expr.eval(row, env)?.is_null() != *negated)
            }
            Expr::IsBool {
                expr,
                value,
                negated,
            } => {
                let v = truth(&expr.eval(row, env)?)?;
                Value::Bool((v == *value) != *negated)
            }
            Expr::IsDistinct {
                left,
                right,
                negated,
            } => {
                let l = left.eval(row, env)?;
                let r = right.eval(row, env)?;
                let distinct = match (l.is_null(), r.is_null()) {
                    (true, true) => false,
                    (true, false) | (false, true) => true,
                    _ => sql_equal(&l, &r) != Some(true),
                };
                Value::Bool(distinct != *negated)
            }
            Expr::Like {
                expr,
                pattern,
                case_insensitive,
                negated,
            } => {
                let v = expr.eval(row, env)?;
                let p = pattern.eval(row, env)?;
                match (v.as_str(), p.as_str()) {
                    (Some(s), Some(p)) => {
                        Value::Bool(ops::like(s, p, *case_insensitive)? != *negated)
                    }
                    _ => Value::Null,
                }
            }
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                let v = expr.eval(row, env)?;
                if v.is_null() {
                    return Ok(Value::Null);
                }
                let mut saw_null = false;
                for item in list {
                    let x = item.eval(row, env)?;
                    match sql_equal(&v, &x) {
                        Some(true) => return Ok(Value::Bool(!*negated)),
                        None => saw_null = true,
                        Some(false) => {}
                    }
                }
                if saw_null {
                    Value::Null
                } else {
                    Value::Bool(*negated)
                }
            }
            Expr::InSlot {
                expr,
                slot,
                negated,
            } => {
                let v = expr.eval(row, env)?;
                let Some(SlotValue::Set {
                    values,
                    lookup,
                    has_null,
                }) = env.slots.get(*slot)
                else {
                    return Err(SqlError::internal("IN subquery slot not computed"));
                };
                if values.is_empty() && !has_null {
                    return Ok(Value::Bool(*negated));
                }
                if v.is_null() {
                    return Ok(Value::Null);
                }
                if lookup.contains(&v) {
                    Value::Bool(!*negated)
                } else if *has_null {
                    Value::Null
                } else {
                    Value::Bool(*negated)
                }
            }
            Expr::Quantified {
                expr,
                op,
                signature,
                slot,
                all,
            } => {
                let v = expr.eval(row, env)?;
                let Some(SlotValue::Set {
                    values, has_null, ..
                }) = env.slots.get(*slot)
                else {
                    return Err(SqlError::internal("ANY/ALL subquery slot not computed"));
                };
                let mut saw_null = *has_null;
                for x in values.iter() {
                    match ops::binary_op(*op, &v, x, signature, env.ctx)? {
                        Value::Bool(b) if b != *all => return Ok(Value::Bool(b)),
                        Value::Null => saw_null = true,
                        _ => {}
                    }
                }
                if saw_null {
                    Value::Null
                } else {
                    Value::Bool(*all)
                }
            }
            Expr::Case {
                operand,
                whens,
                otherwise,
            } => {
                let subject = match operand {
                    Some(o) => Some(o.eval(row, env)?),
                    None => None,
                };
                for (when, then) in whens {
                    let w = when.eval(row, env)?;
                    let hit = match &subject {
                        Some(s) => sql_equal(s, &w) == Some(true),
                        None => truth(&w)? == Some(true),
                    };
                    if hit {
                        return then.eval(row, env);
                    }
                }
                match otherwise {
                    Some(e) => e.eval(row, env)?,
                    None => Value::Null,
                }
            }
            Expr::Coalesce(items) => {
                for item in items {
                    let v = item.eval(row, env)?;
                    if !v.is_null() {
                        return Ok(v);
                    }
                }
                Value::Null
            }
            Expr::NullIf(a, b) => {
                let l = a.eval(row, env)?;
                let r = b.eval(row, env)?;
                if sql_equal(&l, &r) == Some(true) {
                    Value::Null
                } else {
                    l
                }
            }
            Expr::Greatest(items) | Expr::Least(items) => {
                let greatest = matches!(self, Expr::Greatest(_));
                let mut best = Value::Null;
                for item in items {
                    let v = item.eval(row, env)?;
                    if v.is_null() {
                        continue;
                    }
                    let better = best.is_null()
                        || match v.sql_cmp(&best) {
                            Some(std::cmp::Ordering::Greater) => greatest,
                            Some(std::cmp::Ordering::Less) => !greatest,
                            _ => false,
                        };
                    if better {
                        best = v;
                    }
                }
                best
            }
            Expr::Function { signature, args } => {
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    values.push(a.eval(row, env)?);
                }
                if signature.strict && values.iter().any(Value::is_null) {
                    return Ok(Value::Null);
                }
                func::call(signature, &values, env.ctx)?
            }
            Expr::Catalog { func, args } => {
                let values = args
                    .iter()
                    .map(|a| a.eval(row, env))
                    .collect::<Result<Vec<_>, _>>()?;
                crate::virtual_tables::eval::call(func, &values, env.ctx)?
            }
            Expr::Slot(i) => match env.slots.get(*i) {
                Some(SlotValue::Scalar(v)) => v.clone(),
                _ => return Err(SqlError::internal("scalar slot not computed")),
            },
        })
    }

    /// Whether the expression is the same for every row of its operator
    /// (usable to compute a key before scanning).
    pub fn is_row_independent(&self) -> bool {
        let mut independent = true;
        self.walk(&mut |e| {
            if matches!(
                e,
                Expr::Column { .. } | Expr::Slot(_) | Expr::InSlot { .. } | Expr::Quantified { .. }
            ) {
                independent = false;
            }
            if let Expr::Function { signature, .. } = e {
                if !signature.immutable && signature.name != "now" {
                    independent = false;
                }
            }
        });
        independent
    }

    expr_walk!(
        /// Calls `f` on this expression and every sub-expression.
        pub fn walk(), iter
    );

    expr_walk!(
        /// [`Expr::walk`] with mutable access.
        fn walk_mut(mut), iter_mut
    );

    /// Rewrites column references through `map` (used when an expression
    /// moves onto a differently shaped row, e.g. the right side of a join).
    pub fn remap_columns(&mut self, map: &dyn Fn(usize) -> usize) {
        self.walk_mut(&mut |e| {
            if let Expr::Column { index, .. } = e {
                *index = map(*index);
            }
        });
    }

    /// Column positions this expression reads.
    pub fn columns_used(&self) -> Vec<usize> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let Expr::Column { index, .. } = e {
                out.push(*index);
            }
        });
        out
    }

    /// Splits a conjunction into its conjuncts.
    pub fn conjuncts(self) -> Vec<Expr> {
        match self {
            Expr::And(a, b) => {
                let mut out = a.conjuncts();
                out.extend(b.conjuncts());
                out
            }
            other => vec![other],
        }
    }

    /// Joins conjuncts back with AND (`None` for none).
    pub fn and_all(mut parts: Vec<Expr>) -> Option<Expr> {
        let first = if parts.is_empty() {
            return None;
        } else {
            parts.remove(0)
        };
        Some(
            parts
                .into_iter()
                .fold(first, |acc, e| Expr::And(Box::new(acc), Box::new(e))),
        )
    }
}

fn list(f: &mut fmt::Formatter<'_>, items: &[Expr]) -> fmt::Result {
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{e}")?;
    }
    Ok(())
}

/// EXPLAIN's rendering of expressions: close to SQL, with column names.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Const(Value::Null) => f.write_str("NULL"),
            Expr::Const(Value::Text(s)) => write!(f, "'{}'", s.replace('\'', "''")),
            Expr::Const(v) => match v {
                Value::Bool(b) => write!(f, "{b}"),
                Value::Int2(i) => write!(f, "{i}"),
                Value::Int4(i) => write!(f, "{i}"),
                Value::Int8(i) => write!(f, "{i}"),
                Value::Numeric(d) => write!(f, "{d}"),
                Value::Float8(x) => write!(f, "{x}"),
                other => write!(f, "{other:?}"),
            },
            Expr::Column { name, .. } => f.write_str(name),
            Expr::Outer { name, .. } => write!(f, "outer.{name}"),
            Expr::Param(i) => write!(f, "${}", i + 1),
            Expr::Cast { expr, to, .. } => write!(f, "{expr}::{}", to.sql_name()),
            Expr::Binary {
                op, left, right, ..
            } => write!(f, "({left} {} {right})", op.symbol()),
            Expr::Unary { op, operand } => match op {
                UnaryOp::Neg => write!(f, "(-{operand})"),
                UnaryOp::Plus => write!(f, "(+{operand})"),
                UnaryOp::BitNot => write!(f, "(~{operand})"),
            },
            Expr::And(a, b) => write!(f, "({a} AND {b})"),
            Expr::Or(a, b) => write!(f, "({a} OR {b})"),
            Expr::Not(e) => write!(f, "(NOT {e})"),
            Expr::IsNull { expr, negated } => {
                write!(f, "({expr} IS {}NULL)", if *negated { "NOT " } else { "" })
            }
            Expr::IsBool {
                expr,
                value,
                negated,
            } => write!(
                f,
                "({expr} IS {}{})",
                if *negated { "NOT " } else { "" },
                match value {
                    Some(true) => "TRUE",
                    Some(false) => "FALSE",
                    None => "UNKNOWN",
                }
            ),
            Expr::IsDistinct {
                left,
                right,
                negated,
            } => write!(
                f,
                "({left} IS {}DISTINCT FROM {right})",
                if *negated { "NOT " } else { "" }
            ),
            Expr::Like {
                expr,
                pattern,
                case_insensitive,
                negated,
            } => write!(
                f,
                "({expr} {}{} {pattern})",
                if *negated { "NOT " } else { "" },
                if *case_insensitive { "ILIKE" } else { "LIKE" }
            ),
            Expr::InList {
                expr,
                list: items,
                negated,
            } => {
                write!(f, "({expr} {}IN (", if *negated { "NOT " } else { "" })?;
                list(f, items)?;
                f.write_str("))")
            }
            Expr::InSlot {
                expr,
                slot,
                negated,
            } => {
                write!(
                    f,
                    "({expr} {}IN (SubPlan {}))",
                    if *negated { "NOT " } else { "" },
                    slot + 1
                )
            }
            Expr::Quantified {
                expr,
                op,
                slot,
                all,
                ..
            } => {
                write!(
                    f,
                    "({expr} {} {}(SubPlan {}))",
                    op.symbol(),
                    if *all { "ALL " } else { "ANY " },
                    slot + 1
                )
            }
            Expr::Case {
                operand,
                whens,
                otherwise,
            } => {
                f.write_str("CASE")?;
                if let Some(o) = operand {
                    write!(f, " {o}")?;
                }
                for (w, t) in whens {
                    write!(f, " WHEN {w} THEN {t}")?;
                }
                if let Some(o) = otherwise {
                    write!(f, " ELSE {o}")?;
                }
                f.write_str(" END")
            }
            Expr::Coalesce(items) => {
                f.write_str("COALESCE(")?;
                list(f, items)?;
                f.write_str(")")
            }
            Expr::NullIf(a, b) => write!(f, "NULLIF({a}, {b})"),
            Expr::Greatest(items) => {
                f.write_str("GREATEST(")?;
                list(f, items)?;
                f.write_str(")")
            }
            Expr::Least(items) => {
                f.write_str("LEAST(")?;
                list(f, items)?;
                f.write_str(")")
            }
            Expr::Function { signature, args } => {
                write!(f, "{}(", signature.name)?;
                list(f, args)?;
                f.write_str(")")
            }
            Expr::Catalog { func, args } => {
                write!(f, "{}(", func.name())?;
                list(f, args)?;
                f.write_str(")")
            }
            Expr::Slot(i) => write!(f, "(SubPlan {})", i + 1),
        }
    }
}
