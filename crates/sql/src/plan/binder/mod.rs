//! The binder: turns sqlparser's AST into [`Plan`]s and [`Expr`]s, resolving
//! names against the catalog and deciding types (PostgreSQL's rules: string
//! literals and untyped parameters take the type their context asks for).
//!
//! * [`expr`](self::expr): scalar expressions, functions, subqueries.
//! * [`select`]: SELECT (FROM, joins, WHERE, GROUP BY, ORDER BY, set ops).
//! * [`types`]: type names and common types.

pub mod expr;
pub mod select;
pub mod types;

use std::collections::HashMap;

use rangedb_sqltypes::cast::{can_cast, cast, CastContext};
use rangedb_sqltypes::{DataType, EvalContext, SqlError, SqlState, Value};

use super::scope::Scope;
use super::{Expr, Plan, Slot};
use crate::catalog::Catalog;

/// Session facts expressions may ask about (current_user, settings).
#[derive(Debug, Clone, Default)]
pub struct SessionFacts {
    pub user: String,
    pub database: String,
    /// Current values of SET-able parameters, lower-case names.
    pub settings: HashMap<String, String>,
}

/// A CTE visible to the query being bound.
#[derive(Debug, Clone)]
pub struct CteDef {
    pub name: String,
    pub plan: Plan,
    pub scope: Scope,
}

/// Binding state for one statement.
pub struct Binder<'a> {
    pub catalog: &'a Catalog,
    pub facts: &'a SessionFacts,
    pub eval_ctx: &'a EvalContext,
    /// Types of `$n` parameters; `Unknown` until a context decides.
    pub params: Vec<DataType>,
    /// Scopes of enclosing queries, innermost last.
    pub(crate) outer: Vec<Scope>,
    /// Set when a column of `outer[i]` was referenced.
    pub(crate) outer_used: Vec<bool>,
    /// Slots collected for the clause being bound.
    pub(crate) slots: Vec<Slot>,
    pub(crate) ctes: Vec<CteDef>,
    pub(crate) agg: Option<select::AggContext>,
    /// How deeply the expression being bound nests (see `bind_expr`).
    pub(crate) expr_depth: usize,
    /// A set-returning function found in the select list being bound.
    pub(crate) select_list_srf: Option<SelectListSrf>,
}

/// A set-returning function call in a select list, bound: the projection
/// holds a placeholder at `position`; `args` are evaluated per input row.
#[derive(Debug, Clone)]
pub(crate) struct SelectListSrf {
    pub position: usize,
    pub func: crate::virtual_tables::TableFn,
    pub args: Vec<Expr>,
    pub ty: DataType,
}

impl<'a> Binder<'a> {
    /// A binder; `params` holds the client's declared parameter types
    /// (`Unknown` where it declared none).
    pub fn new(
        catalog: &'a Catalog,
        facts: &'a SessionFacts,
        eval_ctx: &'a EvalContext,
        params: Vec<DataType>,
    ) -> Binder<'a> {
        Binder {
            catalog,
            facts,
            eval_ctx,
            params,
            outer: Vec::new(),
            outer_used: Vec::new(),
            slots: Vec::new(),
            ctes: Vec::new(),
            agg: None,
            expr_depth: 0,
            select_list_srf: None,
        }
    }

    /// Parameter types after binding: still-undecided ones become text.
    pub fn param_types(&self) -> Vec<DataType> {
        self.params
            .iter()
            .map(|t| {
                if *t == DataType::Unknown {
                    DataType::Text
                } else {
                    t.clone()
                }
            })
            .collect()
    }

    /// Takes the slots collected since the last call.
    pub(crate) fn take_slots(&mut self) -> Vec<Slot> {
        std::mem::take(&mut self.slots)
    }

    /// Makes `expr` (of type `from`) a value of type `to`: decides untyped
    /// parameters, folds literal casts, or inserts a cast node. Errors with
    /// 42804 when no cast exists in `context`.
    pub fn coerce(
        &mut self,
        expr: Expr,
        from: &DataType,
        to: &DataType,
        context: CastContext,
    ) -> Result<Expr, SqlError> {
        if from == to || *to == DataType::Unknown {
            return Ok(expr);
        }
        if let Expr::Param(i) = &expr {
            if self.params.get(*i) == Some(&DataType::Unknown) {
                self.params[*i] = to.clone();
                return Ok(expr);
            }
        }
        if from.without_modifier() == to.without_modifier() && context == CastContext::Implicit {
            return Ok(expr);
        }
        if let Expr::Const(v) = &expr {
            if *from == DataType::Unknown || v.is_null() {
                return cast(v.clone(), from, to, context, self.eval_ctx).map(Expr::Const);
            }
        }
        if *from != DataType::Unknown && !can_cast(from, to, context) {
            return Err(SqlError::datatype_mismatch(format!(
                "cannot cast type {} to {}",
                from.sql_name(),
                to.sql_name()
            )));
        }
        Ok(Expr::Cast {
            expr: Box::new(expr),
            from: from.clone(),
            to: to.clone(),
            context,
        })
    }

    /// Like [`Self::coerce`] for an explicit `CAST`.
    pub fn explicit_cast(
        &mut self,
        expr: Expr,
        from: &DataType,
        to: &DataType,
    ) -> Result<Expr, SqlError> {
        if from == to {
            return Ok(expr);
        }
        if let Some(e) = crate::virtual_tables::functions::bind_cast(self, &expr, from, to)? {
            return Ok(e);
        }
        if let Expr::Param(i) = &expr {
            if self.params.get(*i) == Some(&DataType::Unknown) {
                self.params[*i] = to.clone();
                return Ok(expr);
            }
        }
        if let Expr::Const(v) = &expr {
            return cast(v.clone(), from, to, CastContext::Explicit, self.eval_ctx)
                .map(Expr::Const);
        }
        if *from != DataType::Unknown && !can_cast(from, to, CastContext::Explicit) {
            return Err(SqlError::new(
                SqlState::CANNOT_COERCE,
                format!("cannot cast type {} to {}", from.sql_name(), to.sql_name()),
            ));
        }
        Ok(Expr::Cast {
            expr: Box::new(expr),
            from: from.clone(),
            to: to.clone(),
            context: CastContext::Explicit,
        })
    }

    /// Requires a boolean condition (WHERE, HAVING, ON, CHECK).
    pub fn condition(&mut self, expr: Expr, ty: &DataType, clause: &str) -> Result<Expr, SqlError> {
        match ty {
            DataType::Bool => Ok(expr),
            DataType::Unknown => self.coerce(expr, ty, &DataType::Bool, CastContext::Implicit),
            other => Err(SqlError::datatype_mismatch(format!(
                "argument of {clause} must be type boolean, not type {}",
                other.sql_name()
            ))),
        }
    }

    /// Evaluates a row-independent expression now (LIMIT values, defaults).
    pub fn constant_value(&self, expr: &Expr, params: &[Value]) -> Result<Value, SqlError> {
        let env = super::Env {
            params,
            outer: &[],
            slots: &[],
            ctx: self.eval_ctx,
        };
        expr.eval(&[], &env)
    }
}

/// 42P01 for a missing relation.
pub fn undefined_table(name: &str) -> SqlError {
    SqlError::new(
        SqlState::UNDEFINED_TABLE,
        format!("relation \"{name}\" does not exist"),
    )
}

/// An aggregate met where none may be (RETURNING, SET, a DML WHERE, ...):
/// the binder's internal "aggregate found" marker becomes PostgreSQL's
/// 42803 at the statement's boundary instead of leaking out.
pub fn misplaced_aggregate(e: SqlError) -> SqlError {
    if e.code == select::AGGREGATE_FOUND {
        SqlError::new(
            SqlState::GROUPING_ERROR,
            "aggregate functions are not allowed here",
        )
    } else {
        e
    }
}

/// 42703 for a missing column.
pub fn undefined_column(name: &str) -> SqlError {
    SqlError::new(
        SqlState::UNDEFINED_COLUMN,
        format!("column \"{name}\" does not exist"),
    )
}

/// Normalises an identifier: unquoted names fold to lower case.
pub fn ident_name(ident: &sqlparser::ast::Ident) -> String {
    if ident.quote_style.is_some() {
        ident.value.clone()
    } else {
        ident.value.to_lowercase()
    }
}

/// A relation name (`t`, `public.t`, `pg_catalog.pg_class`) split into an
/// optional schema and the name.
pub fn object_name(
    name: &sqlparser::ast::ObjectName,
) -> Result<(Option<String>, String), SqlError> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| match p {
            sqlparser::ast::ObjectNamePart::Identifier(i) => Ok(ident_name(i)),
            other => Err(SqlError::syntax(format!("unsupported name part {other}"))),
        })
        .collect::<Result<_, _>>()?;
    match parts.as_slice() {
        [n] => Ok((None, n.clone())),
        [s, n] => Ok((Some(s.clone()), n.clone())),
        [_db, s, n] => Ok((Some(s.clone()), n.clone())),
        _ => Err(SqlError::syntax(format!("improper qualified name: {name}"))),
    }
}
