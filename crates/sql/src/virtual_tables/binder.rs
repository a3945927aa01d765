//! The binder's entry points for SQL forms that catalog queries (psql's
//! `\d` family, drivers' type lookups) use and the core binder leaves to
//! this module: regular-expression operators and `OPERATOR(pg_catalog.op)`,
//! `COLLATE`, array subscripts, `x op ANY (array)`, `ARRAY(subquery)` and
//! set-returning functions in FROM.

use rangedb_sqltypes::cast::CastContext;
use rangedb_sqltypes::ops::{self, BinaryOp};
use rangedb_sqltypes::{DataType, SqlError, SqlState, Value};
use sqlparser::ast::{self, BinaryOperator};

use super::eval::CatalogFn;
use super::{TableFn, VirtualTable};
use crate::plan::binder::expr::Typed;
use crate::plan::binder::select::BoundQuery;
use crate::plan::binder::{ident_name, Binder};
use crate::plan::scope::{Scope, ScopeColumn};
use crate::plan::{AggCall, AggFunc, Expr, Plan, SlotKind};

fn comparison(op: &BinaryOperator) -> Option<BinaryOp> {
    Some(match op {
        BinaryOperator::Eq => BinaryOp::Eq,
        BinaryOperator::NotEq => BinaryOp::NotEq,
        BinaryOperator::Lt => BinaryOp::Lt,
        BinaryOperator::LtEq => BinaryOp::LtEq,
        BinaryOperator::Gt => BinaryOp::Gt,
        BinaryOperator::GtEq => BinaryOp::GtEq,
        _ => return None,
    })
}

/// The operator `OPERATOR(pg_catalog.op)` stands for.
fn named_operator(parts: &[String]) -> Option<BinaryOperator> {
    let op = match parts {
        [op] => op.as_str(),
        [schema, op] if schema.eq_ignore_ascii_case("pg_catalog") => op.as_str(),
        _ => return None,
    };
    Some(match op {
        "~" => BinaryOperator::PGRegexMatch,
        "~*" => BinaryOperator::PGRegexIMatch,
        "!~" => BinaryOperator::PGRegexNotMatch,
        "!~*" => BinaryOperator::PGRegexNotIMatch,
        "~~" => BinaryOperator::PGLikeMatch,
        "~~*" => BinaryOperator::PGILikeMatch,
        "!~~" => BinaryOperator::PGNotLikeMatch,
        "!~~*" => BinaryOperator::PGNotILikeMatch,
        "=" => BinaryOperator::Eq,
        "<>" | "!=" => BinaryOperator::NotEq,
        "<" => BinaryOperator::Lt,
        "<=" => BinaryOperator::LtEq,
        ">" => BinaryOperator::Gt,
        ">=" => BinaryOperator::GtEq,
        "+" => BinaryOperator::Plus,
        "-" => BinaryOperator::Minus,
        "*" => BinaryOperator::Multiply,
        "/" => BinaryOperator::Divide,
        "%" => BinaryOperator::Modulo,
        "||" => BinaryOperator::StringConcat,
        _ => return None,
    })
}

impl Binder<'_> {
    /// `expr [NOT] SIMILAR TO pattern [ESCAPE e]`, all as text.
    pub fn bind_similar_to(
        &mut self,
        negated: bool,
        expr: &ast::Expr,
        pattern: &ast::Expr,
        escape: Option<&ast::Expr>,
        scope: &Scope,
    ) -> Result<Typed, SqlError> {
        let mut args = Vec::with_capacity(3);
        for e in std::iter::once(expr)
            .chain(std::iter::once(pattern))
            .chain(escape)
        {
            let (x, t) = self.bind_expr(e, scope)?;
            args.push(self.coerce(x, &t, &DataType::Text, CastContext::Implicit)?);
        }
        Ok((
            Expr::Catalog {
                func: CatalogFn::SimilarTo { negated },
                args,
            },
            DataType::Bool,
        ))
    }

    /// Binary operators the core binder does not know: regular-expression
    /// matches and `OPERATOR(schema.op)`. `None` for the others.
    pub fn bind_catalog_operator(
        &mut self,
        left: &ast::Expr,
        op: &BinaryOperator,
        right: &ast::Expr,
        scope: &Scope,
    ) -> Result<Option<Typed>, SqlError> {
        let (case_insensitive, negated) = match op {
            BinaryOperator::PGRegexMatch => (false, false),
            BinaryOperator::PGRegexIMatch => (true, false),
            BinaryOperator::PGRegexNotMatch => (false, true),
            BinaryOperator::PGRegexNotIMatch => (true, true),
            BinaryOperator::PGCustomBinaryOperator(parts) => {
                let Some(op) = named_operator(parts) else {
                    return Err(SqlError::new(
                        SqlState::UNDEFINED_FUNCTION,
                        format!("operator does not exist: {}", parts.join(".")),
                    ));
                };
                let e = ast::Expr::BinaryOp {
                    left: Box::new(left.clone()),
                    op,
                    right: Box::new(right.clone()),
                };
                return self.bind_expr(&e, scope).map(Some);
            }
            _ => return Ok(None),
        };
        let (l, lt) = self.bind_expr(left, scope)?;
        let (r, rt) = self.bind_expr(right, scope)?;
        let l = self.coerce(l, &lt, &DataType::Text, CastContext::Implicit)?;
        let r = self.coerce(r, &rt, &DataType::Text, CastContext::Implicit)?;
        let func = CatalogFn::RegexMatch {
            case_insensitive,
            negated,
        };
        Ok(Some((
            Expr::Catalog {
                func,
                args: vec![l, r],
            },
            DataType::Bool,
        )))
    }

    /// Expressions the core binder does not handle: `x COLLATE c` (the
    /// collation is ignored: rangedb compares strings bytewise) and array
    /// subscripts.
    pub fn bind_catalog_expr(&mut self, e: &ast::Expr, scope: &Scope) -> Result<Typed, SqlError> {
        match e {
            ast::Expr::Collate { expr, .. } => self.bind_expr(expr, scope),
            ast::Expr::CompoundFieldAccess { root, access_chain } => {
                let (mut x, mut t) = self.bind_expr(root, scope)?;
                for access in access_chain {
                    let ast::AccessExpr::Subscript(ast::Subscript::Index { index }) = access else {
                        return Err(SqlError::unsupported(format!(
                            "expression not supported: {e}"
                        )));
                    };
                    let DataType::Array(elem) = t.clone() else {
                        return Err(SqlError::datatype_mismatch(format!(
                            "cannot subscript type {} because it does not support subscripting",
                            t.sql_name()
                        )));
                    };
                    let (i, it) = self.bind_expr(index, scope)?;
                    let i = self.coerce(i, &it, &DataType::Int4, CastContext::Implicit)?;
                    x = Expr::Catalog {
                        func: CatalogFn::Subscript,
                        args: vec![x, i],
                    };
                    t = *elem;
                }
                Ok((x, t))
            }
            other => Err(SqlError::unsupported(format!(
                "expression not supported: {other}"
            ))),
        }
    }

    /// `left op ANY (array)` / `left op ALL (array)`.
    pub fn bind_array_quantified(
        &mut self,
        left: &ast::Expr,
        op: &BinaryOperator,
        right: &ast::Expr,
        all: bool,
        scope: &Scope,
    ) -> Result<Typed, SqlError> {
        let Some(bop) = comparison(op) else {
            return Err(SqlError::unsupported(format!(
                "{op} {} (array) is not supported",
                if all { "ALL" } else { "ANY" }
            )));
        };
        let (l, lt) = self.bind_expr(left, scope)?;
        let (r, rt) = self.bind_expr(right, scope)?;
        let (r, elem) = match rt {
            DataType::Array(elem) => (r, *elem),
            DataType::Unknown => {
                // '{a,b}': an array of the left side's type.
                let elem = if lt == DataType::Unknown {
                    DataType::Text
                } else {
                    lt.clone()
                };
                let at = DataType::Array(Box::new(elem.clone()));
                (
                    self.coerce(r, &DataType::Unknown, &at, CastContext::Implicit)?,
                    elem,
                )
            }
            other => {
                return Err(SqlError::new(
                    SqlState::WRONG_OBJECT_TYPE,
                    format!(
                        "op ANY/ALL (array) requires array on right side, not {}",
                        other.sql_name()
                    ),
                ))
            }
        };
        let signature = ops::binary_op_type(bop, &lt, &elem)?;
        let l = self.coerce(l, &lt, &signature.left, CastContext::Implicit)?;
        let r = if signature.right.without_modifier() != elem.without_modifier() {
            let want = DataType::Array(Box::new(signature.right.clone()));
            self.coerce(
                r,
                &DataType::Array(Box::new(elem)),
                &want,
                CastContext::Implicit,
            )?
        } else {
            r
        };
        let func = CatalogFn::Quantified {
            op: bop,
            signature,
            all,
        };
        Ok((
            Expr::Catalog {
                func,
                args: vec![l, r],
            },
            DataType::Bool,
        ))
    }

    /// `ARRAY(subquery)`: the subquery's first column aggregated into an
    /// array (empty, not NULL, for no rows), in the subquery's order.
    pub fn bind_array_subquery(
        &mut self,
        q: &ast::Query,
        scope: &Scope,
    ) -> Result<Typed, SqlError> {
        let (plan, sub_scope, correlated) = self.bind_subquery(q, scope)?;
        if sub_scope.columns.len() != 1 {
            return Err(SqlError::syntax("subquery must return only one column"));
        }
        let elem = match &sub_scope.columns[0].ty {
            DataType::Unknown => DataType::Text,
            t => t.clone(),
        };
        let array = DataType::Array(Box::new(elem.clone()));
        let agg = AggCall {
            func: AggFunc::ArrayAgg,
            args: vec![Expr::column(0, sub_scope.columns[0].name.clone())],
            distinct: false,
            filter: None,
            order_by: vec![],
            arg_type: elem,
            result_type: array.clone(),
        };
        let plan = Plan::Aggregate {
            input: Box::new(plan),
            group_by: vec![],
            aggregates: vec![agg],
        };
        let slot = self.push_slot(SlotKind::Scalar(Box::new(plan)), correlated);
        let x = Expr::Coalesce(vec![Expr::Slot(slot), Expr::Const(Value::Array(vec![]))]);
        Ok((x, array))
    }

    /// `UNNEST(array) [alias]` in FROM (sqlparser's own table factor).
    pub fn bind_unnest(
        &mut self,
        arrays: &[ast::Expr],
        alias: Option<&ast::TableAlias>,
    ) -> Result<BoundQuery, SqlError> {
        let plain: Vec<Option<&ast::Expr>> = arrays.iter().map(Some).collect();
        self.bind_set_function("unnest".into(), plain, alias)
    }

    /// A set-returning function in FROM (`generate_series`, `unnest`). Its
    /// arguments may refer to enclosing queries (not to other FROM items).
    pub fn bind_table_function(
        &mut self,
        name: &ast::ObjectName,
        args: &ast::TableFunctionArgs,
        alias: Option<&ast::TableAlias>,
    ) -> Result<BoundQuery, SqlError> {
        let fname = name.to_string().to_lowercase();
        let fname = fname
            .strip_prefix("pg_catalog.")
            .unwrap_or(&fname)
            .to_string();
        let plain: Vec<Option<&ast::Expr>> = args
            .args
            .iter()
            .map(|a| match a {
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Ok(Some(e)),
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard) => Ok(None),
                other => Err(SqlError::unsupported(format!("function argument {other}"))),
            })
            .collect::<Result<_, _>>()?;
        self.bind_set_function(fname, plain, alias)
    }

    fn bind_set_function(
        &mut self,
        fname: String,
        plain: Vec<Option<&ast::Expr>>,
        alias: Option<&ast::TableAlias>,
    ) -> Result<BoundQuery, SqlError> {
        let Some(func) = TableFn::from_name(&fname) else {
            return Err(SqlError::new(
                SqlState::UNDEFINED_FUNCTION,
                format!("function {fname} does not exist or is not a table function"),
            ));
        };
        let empty = Scope::default();
        let saved_slots = std::mem::take(&mut self.slots);
        let mut bound = Vec::new();
        let mut result = Ok(());
        for a in &plain {
            match a {
                Some(e) => match self.bind_expr(e, &empty) {
                    Ok(x) => bound.push(x),
                    Err(err) => {
                        result = Err(err);
                        break;
                    }
                },
                None => result = Err(SqlError::syntax(format!("{fname}(*) is not valid"))),
            }
        }
        let slots = std::mem::replace(&mut self.slots, saved_slots);
        result?;
        if !slots.is_empty() {
            return Err(SqlError::unsupported(
                "subqueries in arguments of functions in FROM are not supported",
            ));
        }
        let (exprs, ty) = self.table_function_args(func, &fname, bound)?;
        let table = VirtualTable::Function {
            func,
            args: exprs,
            ty: ty.clone(),
        };
        let outputs = func.columns(&ty);
        let single = outputs.len() == 1 && outputs[0].0 == fname;
        let qual = alias.map_or_else(|| fname.clone(), |a| ident_name(&a.name));
        let columns = outputs
            .into_iter()
            .enumerate()
            .map(|(i, (name, t))| {
                // An alias names a single-column function's column too
                // (`generate_series(1, 3) AS g`), as in PostgreSQL.
                let name = match alias {
                    Some(a) => match a.columns.get(i) {
                        Some(c) => ident_name(&c.name),
                        None if single => qual.clone(),
                        None => name,
                    },
                    None => name,
                };
                let mut column = ScopeColumn::computed(name, t);
                column.table = Some(qual.clone());
                column
            })
            .collect();
        Ok((Plan::Virtual { table }, Scope { columns }))
    }

    /// A table function's arguments coerced to what it takes, and the
    /// type of its (first) value column.
    fn table_function_args(
        &mut self,
        func: TableFn,
        fname: &str,
        bound: Vec<Typed>,
    ) -> Result<(Vec<Expr>, DataType), SqlError> {
        Ok(match func {
            TableFn::GenerateSeries => {
                if !(2..=3).contains(&bound.len()) {
                    return Err(crate::plan::binder::expr::undefined_function(fname, &[]));
                }
                let ty = if bound.iter().any(|(_, t)| *t == DataType::Int8) {
                    DataType::Int8
                } else {
                    DataType::Int4
                };
                let mut exprs = Vec::new();
                for (x, t) in bound {
                    exprs.push(self.coerce(x, &t, &ty, CastContext::Implicit)?);
                }
                (exprs, ty)
            }
            TableFn::JsonbArrayElements
            | TableFn::JsonbArrayElementsText
            | TableFn::JsonbEach
            | TableFn::JsonbEachText
            | TableFn::JsonbObjectKeys => {
                let [(x, t)] = <[Typed; 1]>::try_from(bound)
                    .map_err(|_| crate::plan::binder::expr::undefined_function(fname, &[]))?;
                let x = match t {
                    DataType::Jsonb => x,
                    DataType::Unknown => {
                        self.coerce(x, &t, &DataType::Jsonb, CastContext::Explicit)?
                    }
                    other => {
                        return Err(crate::plan::binder::expr::undefined_function(
                            fname,
                            &[other],
                        ))
                    }
                };
                (vec![x], DataType::Text)
            }
            TableFn::Unnest => {
                let [(x, t)] = <[Typed; 1]>::try_from(bound)
                    .map_err(|_| crate::plan::binder::expr::undefined_function(fname, &[]))?;
                match t {
                    DataType::Array(elem) => (vec![x], *elem),
                    other => {
                        return Err(crate::plan::binder::expr::undefined_function(
                            fname,
                            &[other],
                        ))
                    }
                }
            }
        })
    }

    /// A set-returning function call standing alone as a select-list item
    /// (`SELECT generate_series(1, 3)`, `SELECT jsonb_array_elements(j)
    /// FROM t`): `None` when `f` is not one. Its arguments may use the FROM
    /// items. Functions returning several columns are refused there.
    pub(crate) fn bind_select_list_srf(
        &mut self,
        f: &ast::Function,
        scope: &Scope,
    ) -> Result<Option<(TableFn, Vec<Expr>, DataType)>, SqlError> {
        let fname = crate::plan::binder::expr::function_name(f);
        let Some(func) = TableFn::from_name(&fname) else {
            return Ok(None);
        };
        let args: Vec<&ast::Expr> = match &f.args {
            ast::FunctionArguments::List(list) => list
                .args
                .iter()
                .map(|a| match a {
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Ok(e),
                    other => Err(SqlError::unsupported(format!("function argument {other}"))),
                })
                .collect::<Result<_, _>>()?,
            _ => return Ok(None),
        };
        if func.columns(&DataType::Unknown).len() > 1 {
            return Err(SqlError::unsupported(format!(
                "{fname} in the select list is not supported; use it in FROM"
            )));
        }
        let mut bound = Vec::with_capacity(args.len());
        for a in args {
            bound.push(self.bind_expr(a, scope)?);
        }
        let (exprs, ty) = self.table_function_args(func, &fname, bound)?;
        let ty = func.columns(&ty).into_iter().next().map_or(ty, |(_, t)| t);
        Ok(Some((func, exprs, ty)))
    }
}
