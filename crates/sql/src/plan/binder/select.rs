//! Binding queries: FROM and joins, WHERE, grouping and aggregates,
//! projections, DISTINCT, ORDER BY, LIMIT, set operations, VALUES, CTEs.

use std::sync::Arc;

use rangedb_sqltypes::cast::CastContext;
use rangedb_sqltypes::{DataType, SqlError, SqlState, Value};
use sqlparser::ast::{
    self, JoinConstraint, JoinOperator, SelectItem, SetExpr, SetOperator, SetQuantifier,
    TableFactor,
};

use super::expr::{function_args, function_name, undefined_function, Typed};
use super::types::common_type;
use super::{ident_name, object_name, undefined_table, Binder, CteDef, SelectListSrf};
use crate::catalog::TableDesc;
use crate::plan::scope::{Scope, ScopeColumn};
use crate::plan::{access, AggCall, AggFunc, Expr, JoinKind, Plan, SetOpKind, SortKey};

/// Internal marker: an aggregate call was met while binding without an
/// aggregation context; the SELECT is rebound as an aggregation.
pub(crate) const AGGREGATE_FOUND: SqlState = SqlState("XXAGG");

/// State while binding the parts of an aggregating SELECT that run after
/// grouping.
#[derive(Debug, Clone)]
pub struct AggContext {
    pub group_asts: Vec<ast::Expr>,
    pub group_exprs: Vec<Expr>,
    pub group_types: Vec<DataType>,
    pub input_scope: Scope,
    pub aggregates: Vec<AggCall>,
    agg_asts: Vec<ast::Function>,
}

/// A bound query: its plan and output columns.
pub type BoundQuery = (Plan, Scope);

fn output_name(e: &ast::Expr) -> String {
    match e {
        ast::Expr::Identifier(id) => ident_name(id),
        ast::Expr::CompoundIdentifier(parts) => parts.last().map(ident_name).unwrap_or_default(),
        ast::Expr::Function(f) => function_name(f),
        // A cast is named after its type unless its operand has a name of
        // its own (a column, a function); a name that came from an inner
        // cast's type is weaker than the outer type (`'5'::int::bigint` is
        // int8), as in PostgreSQL.
        ast::Expr::Cast {
            expr, data_type, ..
        } => match output_name(expr).as_str() {
            _ if named_by_type(expr) => super::types::convert(data_type)
                .map(|t| t.type_name())
                .unwrap_or_else(|_| "?column?".into()),
            "?column?" => super::types::convert(data_type)
                .map(|t| t.type_name())
                .unwrap_or_else(|_| "?column?".into()),
            other => other.to_string(),
        },
        ast::Expr::Nested(inner) => output_name(inner),
        ast::Expr::Case { .. } => "case".into(),
        ast::Expr::Exists { negated: false, .. } => "exists".into(),
        ast::Expr::Extract { .. } => "extract".into(),
        ast::Expr::Substring { .. } => "substring".into(),
        ast::Expr::Position { .. } => "position".into(),
        ast::Expr::Trim { .. } => "btrim".into(),
        ast::Expr::Ceil { .. } => "ceil".into(),
        ast::Expr::Floor { .. } => "floor".into(),
        ast::Expr::TypedString(ts) => super::types::convert(&ts.data_type)
            .map(|t| t.type_name())
            .unwrap_or_else(|_| "?column?".into()),
        ast::Expr::Interval(_) => "interval".into(),
        ast::Expr::Array(_) => "array".into(),
        ast::Expr::Subquery(q) => match q.body.as_ref() {
            SetExpr::Select(s) => match s.projection.first() {
                Some(SelectItem::UnnamedExpr(e)) => output_name(e),
                Some(SelectItem::ExprWithAlias { alias, .. }) => ident_name(alias),
                _ => "?column?".into(),
            },
            _ => "?column?".into(),
        },
        _ => "?column?".into(),
    }
}

/// Whether `e`'s output name is a type's name (a cast or a typed literal).
fn named_by_type(e: &ast::Expr) -> bool {
    match e {
        ast::Expr::Nested(inner) => named_by_type(inner),
        ast::Expr::Cast { expr, .. } => named_by_type(expr) || output_name(expr) == "?column?",
        ast::Expr::TypedString(_) => true,
        _ => false,
    }
}

impl Binder<'_> {
    /// Binds a whole query (WITH, body, ORDER BY, LIMIT).
    pub fn bind_query(&mut self, q: &ast::Query) -> Result<BoundQuery, SqlError> {
        let saved_ctes = self.ctes.len();
        self.push_ctes(&q.with)?;
        let order_by: Vec<ast::OrderByExpr> = match &q.order_by {
            Some(ob) => match &ob.kind {
                ast::OrderByKind::Expressions(items) => items.clone(),
                ast::OrderByKind::All(_) => return Err(SqlError::unsupported("ORDER BY ALL")),
            },
            None => Vec::new(),
        };
        let result = match q.body.as_ref() {
            SetExpr::Select(select) => self.bind_select(select, &order_by),
            other => {
                let (plan, scope) = self.bind_set_expr(other)?;
                self.order_outputs(plan, scope, &order_by)
            }
        };
        let (mut plan, scope) = result?;
        let (limit, offset) = match &q.limit_clause {
            Some(ast::LimitClause::LimitOffset { limit, offset, .. }) => {
                (limit.clone(), offset.as_ref().map(|o| o.value.clone()))
            }
            Some(ast::LimitClause::OffsetCommaLimit { offset, limit }) => {
                (Some(limit.clone()), Some(offset.clone()))
            }
            None => (None, None),
        };
        let limit = match q.fetch.as_ref().and_then(|f| f.quantity.clone()) {
            Some(quantity) => Some(quantity),
            None => limit,
        };
        if limit.is_some() || offset.is_some() {
            let outer_slots = std::mem::take(&mut self.slots);
            let empty = Scope::default();
            let bind_count = |b: &mut Self, e: &ast::Expr| -> Result<Expr, SqlError> {
                let (x, t) = b.bind_expr(e, &empty)?;
                b.coerce(x, &t, &DataType::Int8, CastContext::Implicit)
            };
            let limit = match &limit {
                Some(ast::Expr::Value(v)) if matches!(v.value, ast::Value::Null) => None,
                Some(e) => Some(bind_count(self, e)?),
                None => None,
            };
            let offset = match &offset {
                Some(e) => Some(bind_count(self, e)?),
                None => None,
            };
            let slots = std::mem::replace(&mut self.slots, outer_slots);
            plan = Plan::Limit {
                input: Box::new(plan),
                limit,
                offset,
                slots,
            };
        }
        self.ctes.truncate(saved_ctes);
        Ok((plan, scope))
    }

    /// Makes a WITH clause's CTEs visible to what is bound next.
    pub fn push_ctes(&mut self, with: &Option<ast::With>) -> Result<(), SqlError> {
        if let Some(with) = with {
            if with.recursive {
                return Err(SqlError::unsupported("WITH RECURSIVE is not supported"));
            }
            for cte in &with.cte_tables {
                let (plan, mut scope) = self.bind_query(&cte.query)?;
                let name = ident_name(&cte.alias.name);
                for (c, alias) in scope.columns.iter_mut().zip(&cte.alias.columns) {
                    c.name = ident_name(&alias.name);
                }
                for c in &mut scope.columns {
                    c.table = Some(name.clone());
                }
                self.ctes.push(CteDef { name, plan, scope });
            }
        }
        Ok(())
    }

    /// Binds a subquery in an expression: `(plan, scope, correlated)`.
    pub fn bind_subquery(
        &mut self,
        q: &ast::Query,
        scope: &Scope,
    ) -> Result<(Plan, Scope, bool), SqlError> {
        let saved_agg = self.agg.take();
        let saved_slots = std::mem::take(&mut self.slots);
        let outer_scope = match &saved_agg {
            Some(a) => a.input_scope.clone(),
            None => scope.clone(),
        };
        self.outer.push(outer_scope);
        self.outer_used.push(false);
        let result = self.bind_query(q);
        self.outer.pop();
        let used = self.outer_used.pop().unwrap_or(false);
        self.slots = saved_slots;
        self.agg = saved_agg;
        let (plan, sub_scope) = result?;
        if used && self.agg.is_some() {
            return Err(SqlError::unsupported(
                "correlated subqueries over grouped rows are not supported",
            ));
        }
        Ok((plan, sub_scope, used))
    }

    fn bind_set_expr(&mut self, body: &SetExpr) -> Result<BoundQuery, SqlError> {
        match body {
            SetExpr::Select(s) => self.bind_select(s, &[]),
            SetExpr::Query(q) => self.bind_query(q),
            SetExpr::Values(values) => self.bind_values(values),
            SetExpr::SetOperation {
                left,
                op,
                set_quantifier,
                right,
            } => {
                let (lp, ls) = self.bind_set_expr(left)?;
                let (rp, rs) = self.bind_set_expr(right)?;
                let name = match op {
                    SetOperator::Union => "UNION",
                    SetOperator::Intersect => "INTERSECT",
                    _ => "EXCEPT",
                };
                if ls.columns.len() != rs.columns.len() {
                    return Err(SqlError::syntax(format!(
                        "each {name} query must have the same number of columns"
                    )));
                }
                let mut types = Vec::new();
                let as_resolved = |c: &ScopeColumn| {
                    if c.untyped {
                        DataType::Unknown
                    } else {
                        c.ty.clone()
                    }
                };
                for (l, r) in ls.columns.iter().zip(&rs.columns) {
                    types.push(common_type(&[as_resolved(l), as_resolved(r)], name)?);
                }
                let lp = self.cast_columns(lp, &ls, &types)?;
                let rp = self.cast_columns(rp, &rs, &types)?;
                let kind = match op {
                    SetOperator::Union => SetOpKind::Union,
                    SetOperator::Intersect => SetOpKind::Intersect,
                    SetOperator::Except | SetOperator::Minus => SetOpKind::Except,
                };
                let all = matches!(set_quantifier, SetQuantifier::All);
                let mut scope = ls.clone();
                for (c, t) in scope.columns.iter_mut().zip(types) {
                    c.ty = t;
                    c.table = None;
                    c.table_oid = 0;
                    c.column_id = 0;
                    // A set operation's output is typed (text if both
                    // branches were untyped), as in PostgreSQL.
                    c.untyped = false;
                }
                Ok((
                    Plan::SetOp {
                        left: Box::new(lp),
                        right: Box::new(rp),
                        op: kind,
                        all,
                    },
                    scope,
                ))
            }
            _ => Err(SqlError::unsupported(format!(
                "query form not supported: {body}"
            ))),
        }
    }

    fn cast_columns(
        &mut self,
        plan: Plan,
        scope: &Scope,
        types: &[DataType],
    ) -> Result<Plan, SqlError> {
        if scope.columns.iter().zip(types).all(|(c, t)| c.ty == *t) {
            return Ok(plan);
        }
        let mut exprs = Vec::new();
        for (i, (c, t)) in scope.columns.iter().zip(types).enumerate() {
            // An untyped literal is read as the other branch's type (its
            // text through that type's input function).
            let context = if c.untyped {
                CastContext::Explicit
            } else {
                CastContext::Implicit
            };
            exprs.push(self.coerce(Expr::column(i, c.name.clone()), &c.ty, t, context)?);
        }
        Ok(Plan::Project {
            input: Box::new(plan),
            exprs,
            slots: vec![],
        })
    }

    /// Binds VALUES lists: one plan row per list, a common type per column.
    pub fn bind_values(&mut self, values: &ast::Values) -> Result<BoundQuery, SqlError> {
        let width = values.rows.first().map(|r| r.len()).unwrap_or(0);
        let empty = Scope::default();
        let mut rows: Vec<Vec<(Expr, DataType)>> = Vec::new();
        for row in &values.rows {
            if row.len() != width {
                return Err(SqlError::syntax("VALUES lists must all be the same length"));
            }
            let mut bound = Vec::new();
            for e in row.iter() {
                bound.push(self.bind_expr(e, &empty)?);
            }
            rows.push(bound);
        }
        let mut types = Vec::new();
        for c in 0..width {
            let col: Vec<DataType> = rows.iter().map(|r| r[c].1.clone()).collect();
            types.push(common_type(&col, "VALUES")?);
        }
        let mut out = Vec::new();
        for row in rows {
            let mut r = Vec::new();
            for (c, (x, t)) in row.into_iter().enumerate() {
                r.push(self.coerce(x, &t, &types[c], CastContext::Implicit)?);
            }
            out.push(r);
        }
        let scope = Scope {
            columns: types
                .iter()
                .enumerate()
                .map(|(i, t)| ScopeColumn::computed(format!("column{}", i + 1), t.clone()))
                .collect(),
        };
        let slots = self.take_slots();
        Ok((
            Plan::Values {
                rows: out,
                width,
                slots,
            },
            scope,
        ))
    }

    fn bind_select(
        &mut self,
        select: &ast::Select,
        order_by: &[ast::OrderByExpr],
    ) -> Result<BoundQuery, SqlError> {
        // A subquery in the select list has a select list of its own.
        let enclosing_srf = self.select_list_srf.take();
        let bound = self.bind_select_here(select, order_by);
        self.select_list_srf = enclosing_srf;
        bound
    }

    fn bind_select_here(
        &mut self,
        select: &ast::Select,
        order_by: &[ast::OrderByExpr],
    ) -> Result<BoundQuery, SqlError> {
        if select.into.is_some() {
            return Err(SqlError::unsupported("SELECT INTO is not supported"));
        }
        let (mut plan, scope) = self.bind_from(&select.from)?;
        if let Some(w) = &select.selection {
            let (pred, ty) = self.bind_expr_no_agg(w, &scope, "WHERE")?;
            let pred = self.condition(pred, &ty, "WHERE")?;
            let slots = self.take_slots();
            plan = access::push_down_filter(plan, pred, slots);
        }
        let group_asts: Vec<ast::Expr> = match &select.group_by {
            ast::GroupByExpr::Expressions(exprs, _) => exprs.clone(),
            ast::GroupByExpr::All(_) => return Err(SqlError::unsupported("GROUP BY ALL")),
        };
        let mut aggregated = !group_asts.is_empty() || select.having.is_some();
        if !aggregated {
            match self.bind_projection(&select.projection, &scope) {
                Err(e) if e.code == AGGREGATE_FOUND => aggregated = true,
                Err(e) => return Err(e),
                Ok((exprs, out_scope)) => {
                    let slots = self.take_slots();
                    return self
                        .finish_select(plan, scope, exprs, out_scope, slots, select, order_by);
                }
            }
            self.slots.clear();
            self.select_list_srf = None;
        }
        debug_assert!(aggregated);
        // Grouping: bind GROUP BY items (names of output columns and
        // positions are allowed too, as in PostgreSQL).
        let mut group_exprs = Vec::new();
        let mut group_types = Vec::new();
        let mut resolved_asts = Vec::new();
        for g in &group_asts {
            let g = self.resolve_group_item(g, &select.projection, &scope)?;
            let (x, t) = self.bind_expr_no_agg(&g, &scope, "GROUP BY")?;
            group_exprs.push(x);
            group_types.push(t);
            resolved_asts.push(g);
        }
        self.slots.clear();
        self.agg = Some(AggContext {
            group_asts: resolved_asts,
            group_exprs: group_exprs.clone(),
            group_types,
            input_scope: scope.clone(),
            aggregates: Vec::new(),
            agg_asts: Vec::new(),
        });
        let result = (|| -> Result<_, SqlError> {
            let (exprs, out_scope) = self.bind_projection(&select.projection, &scope)?;
            let having = match &select.having {
                Some(h) => {
                    let (x, t) = self.bind_expr(h, &scope)?;
                    Some(self.condition(x, &t, "HAVING")?)
                }
                None => None,
            };
            Ok((exprs, out_scope, having))
        })();
        let (exprs, out_scope, having) = match result {
            Ok(r) => r,
            Err(e) => {
                self.agg = None;
                return Err(e);
            }
        };
        let slots = self.take_slots();
        let ctx = self
            .agg
            .take()
            .ok_or_else(|| SqlError::internal("aggregation context lost"))?;
        let mut agg_scope = Scope::default();
        for (i, t) in ctx.group_types.iter().enumerate() {
            agg_scope
                .columns
                .push(ScopeColumn::computed(format!("group{i}"), t.clone()));
        }
        for a in &ctx.aggregates {
            agg_scope
                .columns
                .push(ScopeColumn::computed("agg", a.result_type.clone()));
        }
        plan = Plan::Aggregate {
            input: Box::new(plan),
            group_by: ctx.group_exprs.clone(),
            aggregates: ctx.aggregates.clone(),
        };
        if let Some(h) = having {
            plan = Plan::Filter {
                input: Box::new(plan),
                predicate: h,
                slots: slots.clone(),
            };
        }
        // ORDER BY after aggregation binds in the aggregation context too.
        self.agg = Some(AggContext {
            aggregates: ctx.aggregates.clone(),
            ..ctx.clone()
        });
        let r = self.finish_select(plan, scope, exprs, out_scope, slots, select, order_by);
        let ctx_after = self.agg.take();
        let (plan, scope) = r?;
        // ORDER BY may have added aggregates: rebuild the Aggregate node.
        let plan = match ctx_after {
            Some(after) if after.aggregates.len() != ctx.aggregates.len() => {
                replace_aggregates(plan, &after.aggregates)
            }
            _ => plan,
        };
        Ok((plan, scope))
    }

    fn resolve_group_item(
        &self,
        g: &ast::Expr,
        projection: &[SelectItem],
        scope: &Scope,
    ) -> Result<ast::Expr, SqlError> {
        if let ast::Expr::Value(v) = g {
            if let ast::Value::Number(n, _) = &v.value {
                let i: usize = n
                    .to_string()
                    .parse()
                    .map_err(|_| SqlError::syntax("bad GROUP BY position"))?;
                return match projection.get(i.wrapping_sub(1)) {
                    Some(SelectItem::UnnamedExpr(e))
                    | Some(SelectItem::ExprWithAlias { expr: e, .. }) => Ok(e.clone()),
                    _ => Err(SqlError::new(
                        SqlState::INVALID_COLUMN_REFERENCE,
                        format!("GROUP BY position {i} is not in select list"),
                    )),
                };
            }
        }
        if let ast::Expr::Identifier(id) = g {
            let name = ident_name(id);
            if scope.resolve(None, &name)?.is_none() {
                for item in projection {
                    if let SelectItem::ExprWithAlias { expr, alias } = item {
                        if ident_name(alias) == name {
                            return Ok(expr.clone());
                        }
                    }
                }
            }
        }
        Ok(g.clone())
    }

    fn bind_expr_no_agg(
        &mut self,
        e: &ast::Expr,
        scope: &Scope,
        clause: &str,
    ) -> Result<(Expr, DataType), SqlError> {
        let saved = self.agg.take();
        let r = self.bind_expr(e, scope);
        self.agg = saved;
        match r {
            Err(err) if err.code == AGGREGATE_FOUND => Err(SqlError::new(
                SqlState::GROUPING_ERROR,
                format!("aggregate functions are not allowed in {clause}"),
            )),
            other => other,
        }
    }

    /// Binds the select list; `*` expands to the visible columns.
    fn bind_projection(
        &mut self,
        items: &[SelectItem],
        scope: &Scope,
    ) -> Result<(Vec<Expr>, Scope), SqlError> {
        let mut exprs = Vec::new();
        let mut out = Scope::default();
        for item in items {
            match item {
                SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..) => {
                    let qualifier = match item {
                        SelectItem::QualifiedWildcard(
                            ast::SelectItemQualifiedWildcardKind::ObjectName(n),
                            _,
                        ) => Some(object_name(n)?.1),
                        SelectItem::QualifiedWildcard(..) => {
                            return Err(SqlError::unsupported("this wildcard form"))
                        }
                        _ => None,
                    };
                    if let Some(q) = &qualifier {
                        if !scope.has_table(q) {
                            return Err(SqlError::new(
                                SqlState::UNDEFINED_TABLE,
                                format!("missing FROM-clause entry for table \"{q}\""),
                            ));
                        }
                    } else if scope.columns.is_empty() {
                        return Err(SqlError::syntax(
                            "SELECT * with no tables specified is not valid",
                        ));
                    }
                    for (i, c) in scope.columns.iter().enumerate() {
                        if c.hidden
                            || (c.merged && qualifier.is_none())
                            || qualifier
                                .as_ref()
                                .is_some_and(|q| c.table.as_deref() != Some(q.as_str()))
                        {
                            continue;
                        }
                        let (x, t) = match &self.agg {
                            Some(_) => self.bind_expr(
                                &match &c.table {
                                    Some(t) => ast::Expr::CompoundIdentifier(vec![
                                        ast::Ident::with_quote('"', t.clone()),
                                        ast::Ident::with_quote('"', c.name.clone()),
                                    ]),
                                    None => ast::Expr::Identifier(ast::Ident::with_quote(
                                        '"',
                                        c.name.clone(),
                                    )),
                                },
                                scope,
                            )?,
                            None => (Expr::column(i, c.name.clone()), c.ty.clone()),
                        };
                        exprs.push(x);
                        // A FROM item's columns are typed (a subquery's
                        // untyped literal became text at its boundary).
                        out.columns.push(ScopeColumn {
                            ty: t,
                            untyped: false,
                            ..c.clone()
                        });
                    }
                }
                SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                    let (x, t) = match self.select_list_srf_item(e, exprs.len(), scope)? {
                        Some(placeholder) => placeholder,
                        None => self.bind_expr(e, scope)?,
                    };
                    let name = match item {
                        SelectItem::ExprWithAlias { alias, .. } => ident_name(alias),
                        _ => output_name(e),
                    };
                    let mut col = ScopeColumn::computed(
                        name,
                        if t == DataType::Unknown {
                            DataType::Text
                        } else {
                            t.clone()
                        },
                    );
                    if let Expr::Column { index, .. } = &x {
                        if self.agg.is_none() {
                            if let Some(src) = scope.columns.get(*index) {
                                col.table = src.table.clone();
                                col.table_oid = src.table_oid;
                                col.column_id = src.column_id;
                            }
                        }
                    }
                    col.untyped = t == DataType::Unknown && matches!(x, Expr::Const(_));
                    let x = if t == DataType::Unknown {
                        self.coerce(x, &t, &DataType::Text, CastContext::Implicit)?
                    } else {
                        x
                    };
                    exprs.push(x);
                    out.columns.push(col);
                }
                SelectItem::ExprWithAliases { .. } => {
                    return Err(SqlError::unsupported("multiple aliases"))
                }
            }
        }
        Ok((exprs, out))
    }

    /// A set-returning function standing alone at `position` of a select
    /// list: recorded in `select_list_srf` for `finish_select`, a typed NULL
    /// placeholder in the projection. `None` for any other item.
    fn select_list_srf_item(
        &mut self,
        e: &ast::Expr,
        position: usize,
        scope: &Scope,
    ) -> Result<Option<Typed>, SqlError> {
        let ast::Expr::Function(f) = e else {
            return Ok(None);
        };
        let Some((func, args, ty)) = self.bind_select_list_srf(f, scope)? else {
            return Ok(None);
        };
        if self.agg.is_some() {
            return Err(SqlError::unsupported(
                "set-returning functions in a select list with aggregates or GROUP BY are not supported",
            ));
        }
        if self.select_list_srf.is_some() {
            return Err(SqlError::unsupported(
                "more than one set-returning function in a select list is not supported",
            ));
        }
        self.select_list_srf = Some(SelectListSrf {
            position,
            func,
            args,
            ty: ty.clone(),
        });
        Ok(Some((Expr::Const(Value::Null), ty)))
    }

    /// Projection, DISTINCT and ORDER BY of a SELECT.
    #[allow(clippy::too_many_arguments)]
    fn finish_select(
        &mut self,
        plan: Plan,
        input_scope: Scope,
        mut exprs: Vec<Expr>,
        out_scope: Scope,
        slots: Vec<crate::plan::Slot>,
        select: &ast::Select,
        order_by: &[ast::OrderByExpr],
    ) -> Result<BoundQuery, SqlError> {
        let distinct = matches!(select.distinct, Some(ast::Distinct::Distinct));
        let width = exprs.len();
        let srf = self.select_list_srf.take();
        let mut keys = Vec::new();
        let mut slots = slots;
        // DISTINCT ON's expressions become (possibly hidden) output columns,
        // found like ORDER BY items.
        let mut distinct_on: Option<Vec<usize>> = None;
        if let Some(ast::Distinct::On(on)) = &select.distinct {
            let mut cols = Vec::with_capacity(on.len());
            for e in on {
                let index = match self.output_reference(e, &select.projection, &out_scope)? {
                    Some(i) => i,
                    None => {
                        let (x, _) = self.bind_expr(e, &input_scope)?;
                        slots.extend(self.take_slots());
                        match exprs.iter().position(|have| *have == x) {
                            Some(i) => i,
                            None => {
                                exprs.push(x);
                                exprs.len() - 1
                            }
                        }
                    }
                };
                cols.push(index);
            }
            distinct_on = Some(cols);
        }
        for ob in order_by {
            let descending = matches!(ob.options.sort, Some(ast::OrderBySort::Desc));
            let nulls_first = ob.options.nulls_first.unwrap_or(descending);
            let index = match self.output_reference(&ob.expr, &select.projection, &out_scope)? {
                Some(i) => i,
                None => {
                    if distinct {
                        return Err(SqlError::new(
                            SqlState::INVALID_COLUMN_REFERENCE,
                            "for SELECT DISTINCT, ORDER BY expressions must appear in select list",
                        ));
                    }
                    let (x, _) = self.bind_expr(&ob.expr, &input_scope)?;
                    slots.extend(self.take_slots());
                    match exprs.iter().position(|e| *e == x) {
                        Some(i) => i,
                        None => {
                            exprs.push(x);
                            exprs.len() - 1
                        }
                    }
                }
            };
            keys.push(SortKey {
                expr: Expr::column(index, format!("col{}", index + 1)),
                descending,
                nulls_first,
            });
        }
        let names: Vec<String> = out_scope.columns.iter().map(|c| c.name.clone()).collect();
        // The set-returning function's arguments are hidden columns of the
        // projection; ProjectSet expands each row into one per value.
        let srf = srf.map(|srf| {
            let args: Vec<usize> = srf
                .args
                .into_iter()
                .map(|a| {
                    exprs.push(a);
                    exprs.len() - 1
                })
                .collect();
            (srf.position, srf.func, args, srf.ty)
        });
        let hidden_columns = exprs.len() > width;
        let mut plan = Plan::Project {
            input: Box::new(plan),
            exprs,
            slots,
        };
        if let Some((target, func, args, ty)) = srf {
            plan = Plan::ProjectSet {
                input: Box::new(plan),
                func,
                args,
                target,
                ty,
            };
        }
        for k in &mut keys {
            if let Expr::Column { index, name } = &mut k.expr {
                if let Some(n) = names.get(*index) {
                    *name = n.clone();
                }
            }
        }
        if let Some(on) = &distinct_on {
            check_distinct_on_prefix(on, &keys)?;
        }
        if distinct {
            // Hidden columns (a set-returning function's arguments) must
            // not make equal output rows distinct.
            plan = Plan::Distinct {
                input: Box::new(plan),
                on: hidden_columns.then(|| (0..width).collect()),
            };
        }
        if !keys.is_empty() {
            plan = Plan::Sort {
                input: Box::new(plan),
                keys,
            };
        }
        if let Some(on) = distinct_on {
            plan = Plan::Distinct {
                input: Box::new(plan),
                on: Some(on),
            };
        }
        if hidden_columns {
            let trim = (0..width)
                .map(|i| Expr::column(i, names[i].clone()))
                .collect();
            plan = Plan::Project {
                input: Box::new(plan),
                exprs: trim,
                slots: vec![],
            };
        }
        Ok((plan, out_scope))
    }

    /// An ORDER BY item naming an output column (position or alias).
    fn output_reference(
        &self,
        e: &ast::Expr,
        projection: &[SelectItem],
        out: &Scope,
    ) -> Result<Option<usize>, SqlError> {
        if let ast::Expr::Value(v) = e {
            if let ast::Value::Number(n, _) = &v.value {
                let i: usize = n.to_string().parse().unwrap_or(0);
                if i == 0 || i > out.columns.len() {
                    return Err(SqlError::new(
                        SqlState::INVALID_COLUMN_REFERENCE,
                        format!("ORDER BY position {n} is not in select list"),
                    ));
                }
                return Ok(Some(i - 1));
            }
        }
        if let ast::Expr::Identifier(id) = e {
            let name = ident_name(id);
            let hits: Vec<usize> = out
                .columns
                .iter()
                .enumerate()
                .filter(|(_, c)| c.name == name)
                .map(|(i, _)| i)
                .collect();
            if hits.len() == 1 {
                // An alias or a plain column of the select list.
                let is_alias = projection.iter().any(|p| matches!(p, SelectItem::ExprWithAlias { alias, .. } if ident_name(alias) == name));
                if is_alias
                    || projection
                        .iter()
                        .any(|p| matches!(p, SelectItem::UnnamedExpr(x) if x == e))
                {
                    return Ok(Some(hits[0]));
                }
            }
        }
        for (i, p) in projection.iter().enumerate() {
            if let SelectItem::UnnamedExpr(x) | SelectItem::ExprWithAlias { expr: x, .. } = p {
                if x == e
                    && !projection.iter().any(|p| {
                        matches!(
                            p,
                            SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)
                        )
                    })
                {
                    return Ok(Some(i));
                }
            }
        }
        Ok(None)
    }

    /// ORDER BY over the output of a set operation or VALUES.
    fn order_outputs(
        &mut self,
        plan: Plan,
        scope: Scope,
        order_by: &[ast::OrderByExpr],
    ) -> Result<BoundQuery, SqlError> {
        if order_by.is_empty() {
            return Ok((plan, scope));
        }
        let mut keys = Vec::new();
        for ob in order_by {
            let descending = matches!(ob.options.sort, Some(ast::OrderBySort::Desc));
            let nulls_first = ob.options.nulls_first.unwrap_or(descending);
            let (x, _) = match self.output_reference(&ob.expr, &[], &scope)? {
                Some(i) => (
                    Expr::column(i, scope.columns[i].name.clone()),
                    DataType::Unknown,
                ),
                None => self.bind_expr(&ob.expr, &scope)?,
            };
            keys.push(SortKey {
                expr: x,
                descending,
                nulls_first,
            });
        }
        Ok((
            Plan::Sort {
                input: Box::new(plan),
                keys,
            },
            scope,
        ))
    }

    /// An aggregate call inside an aggregation context.
    pub(crate) fn bind_aggregate_call(
        &mut self,
        f: &ast::Function,
        name: &str,
        _scope: &Scope,
    ) -> Result<(Expr, DataType), SqlError> {
        let Some(ctx) = &self.agg else {
            return Err(SqlError::new(AGGREGATE_FOUND, "aggregate found"));
        };
        let ngroups = ctx.group_exprs.len();
        if let Some(i) = ctx.agg_asts.iter().position(|a| a == f) {
            let ty = ctx.aggregates[i].result_type.clone();
            return Ok((Expr::column(ngroups + i, name), ty));
        }
        let input_scope = ctx.input_scope.clone();
        let saved = self.agg.take();
        let result = self.bind_aggregate_args(f, name, &input_scope);
        self.agg = saved;
        let call = result?;
        let ty = call.result_type.clone();
        let ctx = self
            .agg
            .as_mut()
            .ok_or_else(|| SqlError::internal("aggregation context lost"))?;
        ctx.aggregates.push(call);
        ctx.agg_asts.push(f.clone());
        Ok((Expr::column(ngroups + ctx.aggregates.len() - 1, name), ty))
    }

    fn bind_aggregate_args(
        &mut self,
        f: &ast::Function,
        name: &str,
        scope: &Scope,
    ) -> Result<AggCall, SqlError> {
        let args = function_args(f)?;
        let (distinct, order_clauses) = match &f.args {
            ast::FunctionArguments::List(list) => (
                matches!(
                    list.duplicate_treatment,
                    Some(ast::DuplicateTreatment::Distinct)
                ),
                list.clauses.clone(),
            ),
            _ => (false, Vec::new()),
        };
        let mut bound = Vec::new();
        for e in args.iter().flatten() {
            match self.bind_expr(e, scope) {
                Err(err) if err.code == AGGREGATE_FOUND => {
                    return Err(SqlError::new(
                        SqlState::GROUPING_ERROR,
                        "aggregate function calls cannot be nested",
                    ))
                }
                other => bound.push(other?),
            }
        }
        let star = args.len() == 1 && args[0].is_none();
        let filter = match &f.filter {
            Some(flt) => {
                let (x, t) = self.bind_expr(flt, scope)?;
                Some(self.condition(x, &t, "FILTER")?)
            }
            None => None,
        };
        let mut order_by = Vec::new();
        for clause in &order_clauses {
            if let ast::FunctionArgumentClause::OrderBy(items) = clause {
                for ob in items {
                    let (x, _) = self.bind_expr(&ob.expr, scope)?;
                    let descending = matches!(ob.options.sort, Some(ast::OrderBySort::Desc));
                    order_by.push(SortKey {
                        expr: x,
                        descending,
                        nulls_first: ob.options.nulls_first.unwrap_or(descending),
                    });
                }
            }
        }
        let types: Vec<DataType> = bound.iter().map(|(_, t)| t.clone()).collect();
        let (func, arg_type, result_type, want): (AggFunc, DataType, DataType, Vec<DataType>) =
            match (name, types.as_slice()) {
                ("count", []) if star => {
                    (AggFunc::CountStar, DataType::Int8, DataType::Int8, vec![])
                }
                ("count", [t]) => (AggFunc::Count, t.clone(), DataType::Int8, vec![t.clone()]),
                ("sum", [t]) => {
                    let r = match t {
                        DataType::Int2 | DataType::Int4 => DataType::Int8,
                        DataType::Int8 | DataType::Numeric(_) => DataType::Numeric(None),
                        DataType::Float4 => DataType::Float4,
                        DataType::Float8 | DataType::Unknown => DataType::Float8,
                        DataType::Interval => DataType::Interval,
                        _ => return Err(undefined_function("sum", &types)),
                    };
                    let t = if *t == DataType::Unknown {
                        DataType::Float8
                    } else {
                        t.clone()
                    };
                    (AggFunc::Sum, t.clone(), r, vec![t])
                }
                ("avg", [t]) => {
                    let r = match t {
                        DataType::Int2 | DataType::Int4 | DataType::Int8 | DataType::Numeric(_) => {
                            DataType::Numeric(None)
                        }
                        DataType::Float4 | DataType::Float8 | DataType::Unknown => DataType::Float8,
                        DataType::Interval => DataType::Interval,
                        _ => return Err(undefined_function("avg", &types)),
                    };
                    let t = if *t == DataType::Unknown {
                        DataType::Float8
                    } else {
                        t.clone()
                    };
                    (AggFunc::Avg, t.clone(), r, vec![t])
                }
                ("min" | "max", [t]) => {
                    if matches!(t, DataType::Bool | DataType::Json | DataType::Jsonb) {
                        return Err(undefined_function(name, &types));
                    }
                    let t = if *t == DataType::Unknown {
                        DataType::Text
                    } else {
                        t.without_modifier()
                    };
                    (
                        if name == "min" {
                            AggFunc::Min
                        } else {
                            AggFunc::Max
                        },
                        t.clone(),
                        t.clone(),
                        vec![t],
                    )
                }
                ("bool_and" | "every" | "bool_or", [DataType::Bool | DataType::Unknown]) => (
                    if name == "bool_or" {
                        AggFunc::BoolOr
                    } else {
                        AggFunc::BoolAnd
                    },
                    DataType::Bool,
                    DataType::Bool,
                    vec![DataType::Bool],
                ),
                ("string_agg", [a, b]) => {
                    let t = if *a == DataType::Bytea {
                        DataType::Bytea
                    } else {
                        DataType::Text
                    };
                    let _ = b;
                    (AggFunc::StringAgg, t.clone(), t.clone(), vec![t.clone(), t])
                }
                ("array_agg", [t]) => {
                    let t = if *t == DataType::Unknown {
                        DataType::Text
                    } else {
                        t.without_modifier()
                    };
                    (
                        AggFunc::ArrayAgg,
                        t.clone(),
                        DataType::Array(Box::new(t.clone())),
                        vec![t],
                    )
                }
                ("jsonb_agg" | "json_agg", [t]) => {
                    let t = text_if_unknown(t);
                    let (func, result) = if name == "jsonb_agg" {
                        (AggFunc::JsonbAgg, DataType::Jsonb)
                    } else {
                        (AggFunc::JsonAgg, DataType::Json)
                    };
                    (func, t.clone(), result, vec![t])
                }
                ("jsonb_object_agg", [k, v]) => {
                    let (k, v) = (text_if_unknown(k), text_if_unknown(v));
                    (
                        AggFunc::JsonbObjectAgg,
                        v.clone(),
                        DataType::Jsonb,
                        vec![k, v],
                    )
                }
                _ => return Err(undefined_function(name, &types)),
            };
        let mut exprs = Vec::new();
        for ((x, t), w) in bound.into_iter().zip(want) {
            exprs.push(self.coerce(x, &t, &w, CastContext::Implicit)?);
        }
        Ok(AggCall {
            func,
            args: exprs,
            distinct,
            filter,
            order_by,
            arg_type,
            result_type,
        })
    }

    /// Binds a FROM list (comma-separated items are cross joins).
    pub fn bind_from(&mut self, from: &[ast::TableWithJoins]) -> Result<BoundQuery, SqlError> {
        let mut result: Option<BoundQuery> = None;
        for twj in from {
            let item = self.bind_table_with_joins(twj)?;
            result = Some(match result {
                None => item,
                Some(left) => self.make_join(left, item, JoinKind::Inner, None)?,
            });
        }
        Ok(result.unwrap_or_else(|| {
            (
                Plan::Values {
                    rows: vec![vec![]],
                    width: 0,
                    slots: vec![],
                },
                Scope::default(),
            )
        }))
    }

    fn bind_table_with_joins(&mut self, twj: &ast::TableWithJoins) -> Result<BoundQuery, SqlError> {
        let mut left = self.bind_table_factor(&twj.relation)?;
        for join in &twj.joins {
            let right = self.bind_table_factor(&join.relation)?;
            let (kind, constraint) = match &join.join_operator {
                JoinOperator::Join(c) | JoinOperator::Inner(c) => (JoinKind::Inner, Some(c)),
                JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => (JoinKind::Left, Some(c)),
                JoinOperator::Right(c) | JoinOperator::RightOuter(c) => (JoinKind::Right, Some(c)),
                JoinOperator::FullOuter(c) => (JoinKind::Full, Some(c)),
                JoinOperator::CrossJoin(_) => (JoinKind::Inner, None),
                other => {
                    return Err(SqlError::unsupported(format!(
                        "join type not supported: {other:?}"
                    )))
                }
            };
            left = self.make_join(left, right, kind, constraint)?;
        }
        Ok(left)
    }

    fn make_join(
        &mut self,
        left: BoundQuery,
        right: BoundQuery,
        kind: JoinKind,
        constraint: Option<&JoinConstraint>,
    ) -> Result<BoundQuery, SqlError> {
        let (lp, ls) = left;
        let (rp, mut rs) = right;
        let left_width = ls.columns.len();
        let right_width = rs.columns.len();
        let mut using_pairs: Vec<(usize, usize)> = Vec::new();
        let using_names: Vec<String> = match constraint {
            Some(JoinConstraint::Using(names)) => names
                .iter()
                .map(|n| object_name(n).map(|(_, n)| n))
                .collect::<Result<_, _>>()?,
            Some(JoinConstraint::Natural) => ls
                .columns
                .iter()
                .filter(|c| {
                    !c.hidden
                        && !c.merged
                        && rs
                            .columns
                            .iter()
                            .any(|r| r.name == c.name && !r.hidden && !r.merged)
                })
                .map(|c| c.name.clone())
                .collect(),
            _ => Vec::new(),
        };
        for name in &using_names {
            let l = ls.resolve(None, name)?.ok_or_else(|| {
                SqlError::new(
                    SqlState::UNDEFINED_COLUMN,
                    format!(
                        "column \"{name}\" specified in USING clause does not exist in left table"
                    ),
                )
            })?;
            let r = rs.resolve(None, name)?.ok_or_else(|| {
                SqlError::new(
                    SqlState::UNDEFINED_COLUMN,
                    format!(
                        "column \"{name}\" specified in USING clause does not exist in right table"
                    ),
                )
            })?;
            using_pairs.push((l, r));
        }
        for (_, r) in &using_pairs {
            rs.columns[*r].merged = true;
        }
        let scope = ls.concat(rs);
        let mut condition = match constraint {
            Some(JoinConstraint::On(e)) => {
                let (x, t) = self.bind_expr_no_agg(e, &scope, "JOIN conditions")?;
                Some(self.condition(x, &t, "JOIN/ON")?)
            }
            _ => None,
        };
        // For RIGHT and FULL joins the merged column is COALESCE(left,
        // right): a row only the right side has carries its value there.
        let mut merged: Vec<(ScopeColumn, Expr)> = Vec::new();
        for (l, r) in &using_pairs {
            let lc = &scope.columns[*l];
            let rc = &scope.columns[left_width + *r];
            let ty = common_type(&[lc.ty.clone(), rc.ty.clone()], "JOIN/USING")?;
            let a = self.coerce(
                Expr::column(*l, lc.name.clone()),
                &lc.ty.clone(),
                &ty,
                CastContext::Implicit,
            )?;
            let b = self.coerce(
                Expr::column(left_width + *r, rc.name.clone()),
                &rc.ty.clone(),
                &ty,
                CastContext::Implicit,
            )?;
            if matches!(kind, JoinKind::Right | JoinKind::Full) {
                merged.push((
                    ScopeColumn::computed(lc.name.clone(), ty.clone()),
                    Expr::Coalesce(vec![a.clone(), b.clone()]),
                ));
            }
            let sig = rangedb_sqltypes::ops::binary_op_type(
                rangedb_sqltypes::ops::BinaryOp::Eq,
                &ty,
                &ty,
            )?;
            let eq = Expr::Binary {
                op: rangedb_sqltypes::ops::BinaryOp::Eq,
                signature: sig,
                left: Box::new(a),
                right: Box::new(b),
            };
            condition = Some(match condition {
                Some(c) => Expr::And(Box::new(c), Box::new(eq)),
                None => eq,
            });
        }
        let slots = self.take_slots();
        let method = access::choose_join_method(condition.as_ref(), left_width, &slots);
        let join = Plan::Join {
            left: Box::new(lp),
            right: Box::new(rp),
            kind,
            method,
            condition,
            left_width,
            right_width,
            slots,
        };
        if merged.is_empty() {
            return Ok((join, scope));
        }
        // Merged columns first (as PostgreSQL's `*` lists them), then both
        // sides with their USING columns reachable only by qualified name.
        let mut scope = scope;
        for (l, _) in &using_pairs {
            scope.columns[*l].merged = true;
        }
        let mut exprs: Vec<Expr> = merged.iter().map(|(_, e)| e.clone()).collect();
        exprs.extend(
            scope
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| Expr::column(i, c.name.clone())),
        );
        let mut columns: Vec<ScopeColumn> = merged.into_iter().map(|(c, _)| c).collect();
        columns.extend(scope.columns);
        scope.columns = columns;
        Ok((
            Plan::Project {
                input: Box::new(join),
                exprs,
                slots: Vec::new(),
            },
            scope,
        ))
    }

    fn bind_table_factor(&mut self, tf: &TableFactor) -> Result<BoundQuery, SqlError> {
        match tf {
            TableFactor::Table {
                name, alias, args, ..
            } => {
                if let Some(args) = args {
                    return self.bind_table_function(name, args, alias.as_ref());
                }
                let (schema, table) = object_name(name)?;
                let alias_name = alias.as_ref().map(|a| ident_name(&a.name));
                let (plan, mut scope) = self.bind_relation(schema.as_deref(), &table)?;
                let qual = alias_name.unwrap_or(table);
                for c in &mut scope.columns {
                    c.table = Some(qual.clone());
                }
                if let Some(a) = alias {
                    for (c, alias_col) in scope
                        .columns
                        .iter_mut()
                        .filter(|c| !c.hidden)
                        .zip(&a.columns)
                    {
                        c.name = ident_name(&alias_col.name);
                    }
                }
                Ok((plan, scope))
            }
            TableFactor::Derived {
                subquery,
                alias,
                lateral,
                ..
            } => {
                if *lateral {
                    return Err(SqlError::unsupported("LATERAL is not supported"));
                }
                let Some(alias) = alias else {
                    return Err(SqlError::syntax("subquery in FROM must have an alias"));
                };
                let saved_slots = std::mem::take(&mut self.slots);
                let r = self.bind_query(subquery);
                self.slots = saved_slots;
                let (plan, mut scope) = r?;
                let qual = ident_name(&alias.name);
                for c in &mut scope.columns {
                    c.table = Some(qual.clone());
                    c.table_oid = 0;
                    c.column_id = 0;
                }
                for (c, alias_col) in scope.columns.iter_mut().zip(&alias.columns) {
                    c.name = ident_name(&alias_col.name);
                }
                Ok((plan, scope))
            }
            TableFactor::NestedJoin {
                table_with_joins,
                alias,
            } => {
                let (plan, mut scope) = self.bind_table_with_joins(table_with_joins)?;
                if let Some(a) = alias {
                    let qual = ident_name(&a.name);
                    for c in &mut scope.columns {
                        c.table = Some(qual.clone());
                    }
                }
                Ok((plan, scope))
            }
            TableFactor::UNNEST {
                alias,
                array_exprs,
                with_offset: false,
                with_ordinality: false,
                ..
            } => self.bind_unnest(array_exprs, alias.as_ref()),
            other => Err(SqlError::unsupported(format!(
                "FROM item not supported: {other}"
            ))),
        }
    }

    /// A named relation: CTE, virtual catalog table or user table.
    pub fn bind_relation(
        &mut self,
        schema: Option<&str>,
        name: &str,
    ) -> Result<BoundQuery, SqlError> {
        if schema.is_none() {
            if let Some(cte) = self.ctes.iter().rev().find(|c| c.name == name) {
                return Ok((cte.plan.clone(), cte.scope.clone()));
            }
        }
        if let Some(vt) = crate::virtual_tables::lookup(schema, name) {
            let scope = Scope {
                columns: vt
                    .columns()
                    .into_iter()
                    .map(|(n, t)| ScopeColumn::computed(n, t))
                    .collect(),
            };
            return Ok((Plan::Virtual { table: vt }, scope));
        }
        match schema {
            None | Some("public") => {}
            Some(s) => {
                return Err(SqlError::new(
                    SqlState::UNDEFINED_TABLE,
                    format!("relation \"{s}.{name}\" does not exist"),
                ));
            }
        }
        let table = self
            .catalog
            .table(name)
            .cloned()
            .ok_or_else(|| undefined_table(name))?;
        Ok(table_scan(table))
    }
}

/// A full scan of `table` and its scope.
pub fn table_scan(table: Arc<TableDesc>) -> BoundQuery {
    let scope = table_scope(&table);
    (
        Plan::Scan {
            table,
            access: crate::plan::Access::Full,
            filter: None,
            slots: vec![],
        },
        scope,
    )
}

/// The scope of a table's rows (all columns, in descriptor order).
pub fn table_scope(table: &TableDesc) -> Scope {
    Scope {
        columns: table
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| ScopeColumn {
                table: Some(table.name.clone()),
                name: c.name.clone(),
                ty: c.ty.clone(),
                hidden: c.hidden,
                merged: false,
                table_oid: table.id,
                column_id: (i + 1) as i16,
                untyped: false,
            })
            .collect(),
    }
}

fn replace_aggregates(plan: Plan, aggs: &[AggCall]) -> Plan {
    match plan {
        Plan::Aggregate {
            input, group_by, ..
        } => Plan::Aggregate {
            input,
            group_by,
            aggregates: aggs.to_vec(),
        },
        Plan::Filter {
            input,
            predicate,
            slots,
        } => Plan::Filter {
            input: Box::new(replace_aggregates(*input, aggs)),
            predicate,
            slots,
        },
        Plan::Project {
            input,
            exprs,
            slots,
        } => Plan::Project {
            input: Box::new(replace_aggregates(*input, aggs)),
            exprs,
            slots,
        },
        Plan::Sort { input, keys } => Plan::Sort {
            input: Box::new(replace_aggregates(*input, aggs)),
            keys,
        },
        Plan::Distinct { input, on } => Plan::Distinct {
            input: Box::new(replace_aggregates(*input, aggs)),
            on,
        },
        other => other,
    }
}

/// PostgreSQL's rule that the leading ORDER BY items be the DISTINCT ON
/// expressions (in any order), so "the first row of each group" is
/// defined by the rest of the ORDER BY: 42P10 otherwise.
fn check_distinct_on_prefix(on: &[usize], order: &[SortKey]) -> Result<(), SqlError> {
    let mut pending: Vec<usize> = on.to_vec();
    for key in order {
        if pending.is_empty() {
            break;
        }
        let Expr::Column { index, .. } = &key.expr else {
            break;
        };
        match pending.iter().position(|p| p == index) {
            Some(at) => {
                pending.swap_remove(at);
            }
            None if on.contains(index) => {}
            None => {
                return Err(SqlError::new(
                    SqlState::INVALID_COLUMN_REFERENCE,
                    "SELECT DISTINCT ON expressions must match initial ORDER BY expressions",
                ))
            }
        }
    }
    Ok(())
}

/// An aggregate argument's type, an untyped literal read as text (as
/// PostgreSQL resolves `unknown` for these aggregates).
fn text_if_unknown(t: &DataType) -> DataType {
    if *t == DataType::Unknown {
        DataType::Text
    } else {
        t.clone()
    }
}
