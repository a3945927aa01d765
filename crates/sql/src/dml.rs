//! INSERT, UPDATE and DELETE: constraint checks, index maintenance and
//! RETURNING, all inside the statement's transaction.

use std::collections::HashSet;
use std::sync::Arc;

use rangedb_sqltypes::cast::CastContext;
use rangedb_sqltypes::{DataType, Row, SqlError, SqlState, Value};
use sqlparser::ast::{self, SelectItem};

use crate::catalog::TableDesc;
use crate::error::txn_error;
use crate::exec::slots::SlotRunner;
use crate::exec::{run_plan, ExecCtx};
use crate::plan::access;
use crate::plan::binder::select::table_scope;
use crate::plan::binder::{ident_name, object_name, undefined_column, undefined_table, Binder};
use crate::plan::scope::{Scope, ScopeColumn};
use crate::plan::{Expr, Plan, Slot};
use crate::rows::{decode_table_row, encode_table_row, index_entry, row_key};

/// A bound DML statement.
#[derive(Debug, Clone)]
pub enum Dml {
    Insert(InsertPlan),
    Update(UpdatePlan),
    Delete(DeletePlan),
}

/// RETURNING: expressions over the table row and their columns.
#[derive(Debug, Clone)]
pub struct Returning {
    pub exprs: Vec<Expr>,
    pub scope: Scope,
    pub slots: Vec<Slot>,
}

#[derive(Debug, Clone)]
pub enum OnConflict {
    Error,
    /// Skip rows that conflict on `arbiter` (a unique constraint's name;
    /// `None`: on any unique constraint). Conflicts on other constraints
    /// are still errors, as in PostgreSQL.
    DoNothing {
        arbiter: Option<String>,
    },
    /// SET assignments evaluated over (existing row ++ excluded row), for
    /// rows that conflict on the `arbiter` constraint.
    DoUpdate {
        arbiter: String,
        assignments: Vec<(usize, Expr)>,
        condition: Option<Expr>,
        slots: Vec<Slot>,
    },
}

#[derive(Debug, Clone)]
pub struct InsertPlan {
    pub table: Arc<TableDesc>,
    /// Each source yields full table rows (defaults applied, types cast).
    pub sources: Vec<Plan>,
    pub on_conflict: OnConflict,
    pub returning: Option<Returning>,
}

#[derive(Debug, Clone)]
pub struct UpdatePlan {
    pub table: Arc<TableDesc>,
    pub scan: Plan,
    pub assignments: Vec<(usize, Expr)>,
    pub slots: Vec<Slot>,
    pub returning: Option<Returning>,
}

#[derive(Debug, Clone)]
pub struct DeletePlan {
    pub table: Arc<TableDesc>,
    pub scan: Plan,
    pub returning: Option<Returning>,
}

fn is_default_keyword(e: &ast::Expr) -> bool {
    matches!(e, ast::Expr::Identifier(id) if id.quote_style.is_none() && id.value.eq_ignore_ascii_case("default"))
}

/// The default value expression of column `pos` (NULL when none).
pub fn default_expr(
    binder: &mut Binder<'_>,
    table: &TableDesc,
    pos: usize,
) -> Result<Expr, SqlError> {
    let col = &table.columns[pos];
    if col.hidden {
        // Filled with a fresh random id when the row is inserted.
        return Ok(Expr::Const(Value::Null));
    }
    let Some(text) = &col.default else {
        return Ok(Expr::Const(Value::Null));
    };
    let parsed = crate::session::parse_expr(text)?;
    let (x, t) = binder.bind_expr(&parsed, &Scope::default())?;
    binder.coerce(x, &t, &col.ty, CastContext::Assignment)
}

/// Binds RETURNING over the target table, named by `alias` if it has one.
fn bind_returning(
    binder: &mut Binder<'_>,
    items: &Option<Vec<SelectItem>>,
    table: &TableDesc,
    alias: &Option<String>,
) -> Result<Option<Returning>, SqlError> {
    let Some(items) = items else { return Ok(None) };
    let scope = aliased(table_scope(table), alias);
    let qualifier = alias.clone().unwrap_or_else(|| table.name.clone());
    let mut exprs = Vec::new();
    let mut out = Scope::default();
    for item in items {
        if let SelectItem::QualifiedWildcard(
            ast::SelectItemQualifiedWildcardKind::ObjectName(q),
            _,
        ) = item
        {
            let (_, q) = object_name(q)?;
            if q != qualifier {
                return Err(SqlError::new(
                    SqlState::UNDEFINED_TABLE,
                    format!("missing FROM-clause entry for table \"{q}\""),
                ));
            }
        }
        match item {
            SelectItem::Wildcard(_)
            | SelectItem::QualifiedWildcard(
                ast::SelectItemQualifiedWildcardKind::ObjectName(_),
                _,
            ) => {
                for (i, c) in table.visible_columns() {
                    exprs.push(Expr::column(i, c.name.clone()));
                    out.columns.push(ScopeColumn {
                        table_oid: table.id,
                        column_id: (i + 1) as i16,
                        ..ScopeColumn::computed(c.name.clone(), c.ty.clone())
                    });
                }
            }
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                let (x, t) = binder.bind_expr(e, &scope)?;
                let name = match item {
                    SelectItem::ExprWithAlias { alias, .. } => ident_name(alias),
                    _ => match e {
                        ast::Expr::Identifier(id) => ident_name(id),
                        ast::Expr::CompoundIdentifier(p) => {
                            p.last().map(ident_name).unwrap_or_default()
                        }
                        ast::Expr::Function(f) => crate::plan::binder::expr::function_name(f),
                        _ => "?column?".into(),
                    },
                };
                let t = if t == DataType::Unknown {
                    DataType::Text
                } else {
                    t
                };
                exprs.push(x);
                out.columns.push(ScopeColumn::computed(name, t));
            }
            _ => {
                return Err(SqlError::unsupported(
                    "this RETURNING item is not supported",
                ))
            }
        }
    }
    let slots = binder.take_slots();
    Ok(Some(Returning {
        exprs,
        scope: out,
        slots,
    }))
}

fn table_of(binder: &Binder<'_>, name: &ast::ObjectName) -> Result<Arc<TableDesc>, SqlError> {
    let (schema, table) = object_name(name)?;
    if let Some(s) = schema.as_deref() {
        if s != "public" {
            return Err(SqlError::new(
                SqlState::UNDEFINED_TABLE,
                format!("relation \"{s}.{table}\" does not exist"),
            ));
        }
    }
    binder
        .catalog
        .table(&table)
        .cloned()
        .ok_or_else(|| undefined_table(&table))
}

/// Binds INSERT.
pub fn bind_insert(binder: &mut Binder<'_>, ins: &ast::Insert) -> Result<Dml, SqlError> {
    let name = match &ins.table {
        ast::TableObject::TableName(n) => n,
        _ => return Err(SqlError::unsupported("INSERT into a table function")),
    };
    let table = table_of(binder, name)?;
    let insert_alias = ins.table_alias.as_ref().map(|a| ident_name(&a.alias));
    let targets: Vec<usize> = if ins.columns.is_empty() {
        table.visible_columns().map(|(i, _)| i).collect()
    } else {
        let mut out = Vec::new();
        for c in &ins.columns {
            let (_, n) = object_name(c)?;
            let pos = table
                .columns
                .iter()
                .position(|col| col.name == n && !col.hidden)
                .ok_or_else(|| {
                    SqlError::new(
                        SqlState::UNDEFINED_COLUMN,
                        format!(
                            "column \"{n}\" of relation \"{}\" does not exist",
                            table.name
                        ),
                    )
                })?;
            if out.contains(&pos) {
                return Err(SqlError::new(
                    SqlState::DUPLICATE_COLUMN,
                    format!("column \"{n}\" specified more than once"),
                ));
            }
            out.push(pos);
        }
        out
    };
    // INSERT ... DEFAULT VALUES: one row of defaults, as `VALUES (DEFAULT,
    // ...)` would make.
    let default_values;
    let source = match ins.source.as_ref() {
        Some(s) => s,
        None => {
            if !ins.columns.is_empty() {
                return Err(SqlError::syntax("syntax error at or near \"DEFAULT\""));
            }
            if targets.is_empty() {
                return Err(SqlError::unsupported(
                    "INSERT ... DEFAULT VALUES into a table without columns",
                ));
            }
            let sql = format!("VALUES ({})", vec!["DEFAULT"; targets.len()].join(", "));
            default_values =
                sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
                    .try_with_sql(&sql)
                    .and_then(|mut p| p.parse_query())
                    .map_err(|e| SqlError::internal(format!("DEFAULT VALUES: {e}")))?;
            &default_values
        }
    };
    // Without a column list, fewer values than columns fill the first ones.
    let targets = if ins.columns.is_empty() {
        let width = match source.body.as_ref() {
            ast::SetExpr::Values(v) => v.rows.first().map(|r| r.len()),
            _ => None,
        };
        match width {
            Some(w) if w < targets.len() => targets[..w].to_vec(),
            _ => targets,
        }
    } else {
        targets
    };
    let mut sources = Vec::new();
    let empty = Scope::default();
    match source.body.as_ref() {
        ast::SetExpr::Values(values)
            if source.order_by.is_none() && source.limit_clause.is_none() =>
        {
            for row in &values.rows {
                if row.len() > targets.len() {
                    return Err(SqlError::syntax(
                        "INSERT has more expressions than target columns",
                    ));
                }
                if row.len() < targets.len() {
                    return Err(SqlError::syntax(
                        "INSERT has more target columns than expressions",
                    ));
                }
                let mut exprs = Vec::with_capacity(table.columns.len());
                for pos in 0..table.columns.len() {
                    let e = match targets.iter().position(|t| *t == pos) {
                        Some(j) if !is_default_keyword(&row[j]) => {
                            let (x, t) = binder.bind_expr(&row[j], &empty)?;
                            assign_cast(binder, x, &t, &table, pos)?
                        }
                        _ => default_expr(binder, &table, pos)?,
                    };
                    exprs.push(e);
                }
                let slots = binder.take_slots();
                sources.push(Plan::Values {
                    rows: vec![exprs],
                    width: table.columns.len(),
                    slots,
                });
            }
        }
        _ => {
            let (plan, scope) = binder.bind_query(source)?;
            let targets: Vec<usize> = if ins.columns.is_empty() {
                targets.iter().copied().take(scope.columns.len()).collect()
            } else {
                targets.clone()
            };
            if scope.columns.len() > targets.len() {
                return Err(SqlError::syntax(
                    "INSERT has more expressions than target columns",
                ));
            }
            let mut exprs = Vec::with_capacity(table.columns.len());
            for pos in 0..table.columns.len() {
                let e = match targets.iter().position(|t| *t == pos) {
                    Some(j) if j < scope.columns.len() => {
                        let c = &scope.columns[j];
                        let x = Expr::column(j, c.name.clone());
                        if c.untyped {
                            // An untyped literal takes the column's type.
                            binder.coerce(
                                x,
                                &c.ty.clone(),
                                &table.columns[pos].ty,
                                CastContext::Explicit,
                            )?
                        } else {
                            assign_cast(binder, x, &c.ty.clone(), &table, pos)?
                        }
                    }
                    _ => default_expr(binder, &table, pos)?,
                };
                exprs.push(e);
            }
            let slots = binder.take_slots();
            sources.push(Plan::Project {
                input: Box::new(plan),
                exprs,
                slots,
            });
        }
    }
    let on_conflict = match &ins.on {
        None => OnConflict::Error,
        Some(ast::OnInsert::OnConflict(oc)) => {
            let arbiter = conflict_arbiter(&table, oc.conflict_target.as_ref())?;
            match &oc.action {
                ast::OnConflictAction::DoNothing => OnConflict::DoNothing { arbiter },
                ast::OnConflictAction::DoUpdate(du) => {
                    let Some(arbiter) = arbiter else {
                        return Err(SqlError::syntax(
                            "ON CONFLICT DO UPDATE requires inference specification or constraint name",
                        )
                        .with_hint("For example, ON CONFLICT (column_name)."));
                    };
                    let mut scope = aliased(table_scope(&table), &insert_alias);
                    for c in table_scope(&table).columns {
                        scope.columns.push(ScopeColumn {
                            table: Some("excluded".into()),
                            ..c
                        });
                    }
                    let assignments = bind_assignments(binder, &du.assignments, &table, &scope)?;
                    let condition = match &du.selection {
                        Some(w) => {
                            let (x, t) = binder.bind_expr(w, &scope)?;
                            Some(binder.condition(x, &t, "WHERE")?)
                        }
                        None => None,
                    };
                    let slots = binder.take_slots();
                    OnConflict::DoUpdate {
                        arbiter,
                        assignments,
                        condition,
                        slots,
                    }
                }
            }
        }
        Some(_) => return Err(SqlError::unsupported("ON DUPLICATE KEY")),
    };
    let returning = bind_returning(binder, &ins.returning, &table, &insert_alias)?;
    Ok(Dml::Insert(InsertPlan {
        table,
        sources,
        on_conflict,
        returning,
    }))
}

/// The unique constraint an ON CONFLICT clause names or infers from its
/// columns (`None` without a target: any constraint).
fn conflict_arbiter(
    table: &TableDesc,
    target: Option<&ast::ConflictTarget>,
) -> Result<Option<String>, SqlError> {
    let constraints = || {
        let primary = (!table.has_hidden_key())
            .then(|| (table.primary_key_name.clone(), table.primary_key.clone()));
        primary.into_iter().chain(
            table
                .indexes
                .iter()
                .filter(|i| i.unique)
                .map(|i| (i.name.clone(), i.columns.clone())),
        )
    };
    match target {
        None => Ok(None),
        Some(ast::ConflictTarget::Columns { columns, predicate }) => {
            if predicate.is_some() {
                return Err(SqlError::unsupported(
                    "ON CONFLICT with an index predicate (partial indexes are not supported)",
                ));
            }
            let mut ids = Vec::with_capacity(columns.len());
            for c in columns {
                let name = ident_name(c);
                match table.column(&name) {
                    Some(d) => ids.push(d.id),
                    None => return Err(undefined_column(&name)),
                }
            }
            ids.sort_unstable();
            ids.dedup();
            constraints()
                .find(|(_, cols)| {
                    let mut cols = cols.clone();
                    cols.sort_unstable();
                    cols == ids
                })
                .map(|(name, _)| Some(name))
                .ok_or_else(|| {
                    SqlError::new(
                        SqlState::INVALID_COLUMN_REFERENCE,
                        "there is no unique or exclusion constraint matching the ON CONFLICT specification",
                    )
                })
        }
        Some(ast::ConflictTarget::OnConstraint(name)) => {
            let (_, wanted) = object_name(name)?;
            constraints()
                .find(|(n, _)| *n == wanted)
                .map(|(n, _)| Some(n))
                .ok_or_else(|| {
                    SqlError::new(
                        SqlState::UNDEFINED_OBJECT,
                        format!(
                            "constraint \"{wanted}\" for table \"{}\" does not exist",
                            table.name
                        ),
                    )
                })
        }
    }
}

fn assign_cast(
    binder: &mut Binder<'_>,
    x: Expr,
    from: &DataType,
    table: &TableDesc,
    pos: usize,
) -> Result<Expr, SqlError> {
    let col = &table.columns[pos];
    match binder.coerce(x, from, &col.ty, CastContext::Assignment) {
        Err(e) if e.code == SqlState::DATATYPE_MISMATCH => {
            Err(SqlError::datatype_mismatch(format!(
                "column \"{}\" is of type {} but expression is of type {}",
                col.name,
                col.ty.sql_name(),
                from.sql_name()
            ))
            .with_hint("You will need to rewrite or cast the expression."))
        }
        other => other,
    }
}

fn bind_assignments(
    binder: &mut Binder<'_>,
    assignments: &[ast::Assignment],
    table: &TableDesc,
    scope: &Scope,
) -> Result<Vec<(usize, Expr)>, SqlError> {
    let mut out: Vec<(usize, Expr)> = Vec::new();
    for a in assignments {
        let names = match &a.target {
            ast::AssignmentTarget::ColumnName(n) => vec![object_name(n)?.1],
            ast::AssignmentTarget::Tuple(_) => {
                return Err(SqlError::unsupported("tuple assignment"))
            }
        };
        let name = &names[0];
        let pos = table
            .columns
            .iter()
            .position(|c| &c.name == name && !c.hidden)
            .ok_or_else(|| {
                SqlError::new(
                    SqlState::UNDEFINED_COLUMN,
                    format!(
                        "column \"{name}\" of relation \"{}\" does not exist",
                        table.name
                    ),
                )
            })?;
        if out.iter().any(|(p, _)| *p == pos) {
            return Err(SqlError::new(
                SqlState::DUPLICATE_COLUMN,
                format!("multiple assignments to same column \"{name}\""),
            ));
        }
        let e = if is_default_keyword(&a.value) {
            default_expr(binder, table, pos)?
        } else {
            let (x, t) = binder.bind_expr(&a.value, scope)?;
            assign_cast(binder, x, &t, table, pos)?
        };
        out.push((pos, e));
    }
    Ok(out)
}

fn aliased(mut scope: Scope, alias: &Option<String>) -> Scope {
    if let Some(a) = alias {
        for c in &mut scope.columns {
            c.table = Some(a.clone());
        }
    }
    scope
}

fn filtered_scan(
    binder: &mut Binder<'_>,
    table: &Arc<TableDesc>,
    alias: &Option<String>,
    selection: &Option<ast::Expr>,
) -> Result<Plan, SqlError> {
    let (plan, scope) = crate::plan::binder::select::table_scan(table.clone());
    let scope = aliased(scope, alias);
    Ok(match selection {
        Some(w) => {
            let (x, t) = binder.bind_expr(w, &scope)?;
            let x = binder.condition(x, &t, "WHERE")?;
            let slots = binder.take_slots();
            access::push_down_filter(plan, x, slots)
        }
        None => plan,
    })
}

fn single_table(
    from: &[ast::TableWithJoins],
) -> Result<(&ast::ObjectName, Option<String>), SqlError> {
    match from {
        [twj] if twj.joins.is_empty() => match &twj.relation {
            ast::TableFactor::Table { name, alias, .. } => {
                Ok((name, alias.as_ref().map(|a| ident_name(&a.name))))
            }
            _ => Err(SqlError::unsupported("UPDATE/DELETE of this relation")),
        },
        _ => Err(SqlError::unsupported(
            "UPDATE ... FROM / DELETE ... USING are not supported",
        )),
    }
}

/// PostgreSQL has no `LIMIT` or `ORDER BY` on UPDATE and DELETE (MySQL
/// does, and sqlparser accepts it). Ignoring them would change every
/// matching row where the user meant one, so they are syntax errors, as in
/// PostgreSQL.
fn refuse_limit_and_order(
    limit: &Option<ast::Expr>,
    order_by: &[ast::OrderByExpr],
) -> Result<(), SqlError> {
    if limit.is_some() {
        return Err(SqlError::syntax("syntax error at or near \"LIMIT\""));
    }
    if !order_by.is_empty() {
        return Err(SqlError::syntax("syntax error at or near \"ORDER\""));
    }
    Ok(())
}

/// Binds UPDATE.
pub fn bind_update(binder: &mut Binder<'_>, up: &ast::Update) -> Result<Dml, SqlError> {
    refuse_limit_and_order(&up.limit, &up.order_by)?;
    if up.or.is_some() || up.output.is_some() || up.settings.is_some() {
        return Err(SqlError::syntax("syntax error in UPDATE"));
    }
    if up.from.is_some() {
        return Err(SqlError::unsupported("UPDATE ... FROM is not supported"));
    }
    let (name, alias) = single_table(std::slice::from_ref(&up.table))?;
    let table = table_of(binder, name)?;
    let scope = aliased(table_scope(&table), &alias);
    let assignments = bind_assignments(binder, &up.assignments, &table, &scope)?;
    let slots = binder.take_slots();
    let scan = filtered_scan(binder, &table, &alias, &up.selection)?;
    let returning = bind_returning(binder, &up.returning, &table, &alias)?;
    Ok(Dml::Update(UpdatePlan {
        table,
        scan,
        assignments,
        slots,
        returning,
    }))
}

/// Binds DELETE.
pub fn bind_delete(binder: &mut Binder<'_>, del: &ast::Delete) -> Result<Dml, SqlError> {
    refuse_limit_and_order(&del.limit, &del.order_by)?;
    if !del.tables.is_empty() || del.output.is_some() || del.settings.is_some() {
        return Err(SqlError::syntax("syntax error in DELETE"));
    }
    if del.using.is_some() {
        return Err(SqlError::unsupported("DELETE ... USING is not supported"));
    }
    let from = match &del.from {
        ast::FromTable::WithFromKeyword(f) | ast::FromTable::WithoutKeyword(f) => f,
    };
    let (name, alias) = single_table(from)?;
    let table = table_of(binder, name)?;
    let scan = filtered_scan(binder, &table, &alias, &del.selection)?;
    let returning = bind_returning(binder, &del.returning, &table, &alias)?;
    Ok(Dml::Delete(DeletePlan {
        table,
        scan,
        returning,
    }))
}

impl Dml {
    /// Result columns (RETURNING), if any.
    pub fn columns(&self) -> Option<&Scope> {
        let r = match self {
            Dml::Insert(p) => &p.returning,
            Dml::Update(p) => &p.returning,
            Dml::Delete(p) => &p.returning,
        };
        r.as_ref().map(|r| &r.scope)
    }
}

/// Checks NOT NULL and CHECK constraints of a row about to be written.
pub fn check_row(
    table: &TableDesc,
    row: &[Value],
    checks: &[(String, Expr)],
    cx: &ExecCtx<'_>,
) -> Result<(), SqlError> {
    for (i, c) in table.columns.iter().enumerate() {
        if !c.nullable && row[i].is_null() {
            return Err(SqlError::new(
                SqlState::NOT_NULL_VIOLATION,
                format!(
                    "null value in column \"{}\" of relation \"{}\" violates not-null constraint",
                    c.name, table.name
                ),
            )
            .with_detail(failing_row(table, row, cx.eval))
            .with_table(&table.name)
            .with_column(&c.name));
        }
    }
    let env = cx.env(&[]);
    for (name, e) in checks {
        if e.eval(row, &env)? == Value::Bool(false) {
            return Err(SqlError::new(
                SqlState::CHECK_VIOLATION,
                format!(
                    "new row for relation \"{}\" violates check constraint \"{name}\"",
                    table.name
                ),
            )
            .with_detail(failing_row(table, row, cx.eval))
            .with_table(&table.name)
            .with_constraint(name));
        }
    }
    Ok(())
}

/// Binds a table's CHECK constraints over its row.
pub fn bind_checks(
    binder: &mut Binder<'_>,
    table: &TableDesc,
) -> Result<Vec<(String, Expr)>, SqlError> {
    let scope = table_scope(table);
    let mut out = Vec::new();
    for c in &table.checks {
        let parsed = crate::session::parse_expr(&c.expr)?;
        let (x, _) = binder.bind_expr(&parsed, &scope)?;
        out.push((c.name.clone(), x));
    }
    Ok(out)
}

fn key_detail(
    table: &TableDesc,
    columns: &[u32],
    row: &[Value],
    ctx: &rangedb_sqltypes::EvalContext,
) -> String {
    let names: Vec<String> = columns
        .iter()
        .filter_map(|id| table.position_of(*id))
        .map(|p| table.columns[p].name.clone())
        .collect();
    let values: Vec<String> = columns
        .iter()
        .filter_map(|id| table.position_of(*id))
        .map(|p| match &row[p] {
            Value::Null => "null".to_string(),
            v => rangedb_sqltypes::text::format(v, &table.columns[p].ty, ctx),
        })
        .collect();
    format!(
        "Key ({})=({}) already exists.",
        names.join(", "),
        values.join(", ")
    )
}

fn unique_violation(table: &TableDesc, constraint: &str, detail: String) -> SqlError {
    SqlError::new(
        SqlState::UNIQUE_VIOLATION,
        format!("duplicate key value violates unique constraint \"{constraint}\""),
    )
    .with_detail(detail)
    .with_table(&table.name)
    .with_constraint(constraint)
}

/// PostgreSQL's "Failing row contains (...)." detail of 23502 and 23514.
fn failing_row(table: &TableDesc, row: &[Value], ctx: &rangedb_sqltypes::EvalContext) -> String {
    let values: Vec<String> = table
        .columns
        .iter()
        .zip(row)
        .filter(|(c, _)| !c.hidden)
        .map(|(c, v)| match v {
            Value::Null => "null".to_string(),
            v => rangedb_sqltypes::text::format(v, &c.ty, ctx),
        })
        .collect();
    format!("Failing row contains ({}).", values.join(", "))
}

/// The row a conflicting key belongs to, if `row` conflicts with a stored
/// row on the primary key or a unique index: (constraint name, key columns,
/// the existing row).
async fn find_conflict(
    table: &TableDesc,
    row: &[Value],
    cx: &mut ExecCtx<'_>,
    on: impl Fn(&str) -> bool,
) -> Result<Option<(String, Vec<u32>, Row)>, SqlError> {
    if !table.has_hidden_key() && on(&table.primary_key_name) {
        let key = row_key(table, row)?;
        if let Some(v) = cx.txn.get(&key).await.map_err(txn_error)? {
            return Ok(Some((
                table.primary_key_name.clone(),
                table.primary_key.clone(),
                decode_table_row(table, &v)?,
            )));
        }
    }
    for idx in table.indexes.iter().filter(|i| i.unique && on(&i.name)) {
        let (key, _, unique_key) = index_entry(table, idx, row)?;
        if !unique_key {
            continue;
        }
        if let Some(suffix) = cx.txn.get(&key).await.map_err(txn_error)? {
            let existing_key = crate::rows::row_key_from_suffix(table, &suffix);
            if let Some(v) = cx.txn.get(&existing_key).await.map_err(txn_error)? {
                return Ok(Some((
                    idx.name.clone(),
                    idx.columns.clone(),
                    decode_table_row(table, &v)?,
                )));
            }
        }
    }
    Ok(None)
}

/// Writes a new row and its index entries (no conflict checks).
pub fn write_row(table: &TableDesc, row: &[Value], cx: &mut ExecCtx<'_>) -> Result<(), SqlError> {
    cx.txn
        .put(&row_key(table, row)?, &encode_table_row(table, row))
        .map_err(txn_error)?;
    for idx in &table.indexes {
        let (key, suffix, _) = index_entry(table, idx, row)?;
        cx.txn.put(&key, &suffix).map_err(txn_error)?;
    }
    Ok(())
}

/// Removes a row and its index entries.
pub fn delete_row(table: &TableDesc, row: &[Value], cx: &mut ExecCtx<'_>) -> Result<(), SqlError> {
    cx.txn.delete(&row_key(table, row)?).map_err(txn_error)?;
    for idx in &table.indexes {
        let (key, _, _) = index_entry(table, idx, row)?;
        cx.txn.delete(&key).map_err(txn_error)?;
    }
    Ok(())
}

/// Inserts rows: checks constraints, unique keys (against stored rows and
/// earlier rows of the same statement) and writes. Returns the rows written
/// (for RETURNING) and the count.
pub async fn insert_rows(
    table: &TableDesc,
    rows: Vec<Row>,
    checks: &[(String, Expr)],
    on_conflict: &OnConflict,
    cx: &mut ExecCtx<'_>,
) -> Result<Vec<Row>, SqlError> {
    let mut written = Vec::new();
    let mut statement_keys: HashSet<Vec<u8>> = HashSet::new();
    // Batch the existence checks of primary keys: one round of reads per
    // batch instead of one per row.
    let check_pk = !table.has_hidden_key();
    let mut pk_exists: Vec<bool> = vec![false; rows.len()];
    if check_pk
        && matches!(on_conflict, OnConflict::Error)
        && table.indexes.iter().all(|i| !i.unique)
    {
        let keys = rows
            .iter()
            .map(|r| row_key(table, r))
            .collect::<Result<Vec<_>, _>>()?;
        for (i, chunk) in keys.chunks(512).enumerate() {
            let found = cx.txn.get_batch(chunk).await.map_err(txn_error)?;
            for (j, f) in found.into_iter().enumerate() {
                pk_exists[i * 512 + j] = f.is_some();
            }
        }
    }
    let hidden_key = if table.has_hidden_key() {
        table.position_of(table.primary_key[0])
    } else {
        None
    };
    let batched = check_pk
        && matches!(on_conflict, OnConflict::Error)
        && table.indexes.iter().all(|i| !i.unique);
    for (n, mut row) in rows.into_iter().enumerate() {
        if let Some(pos) = hidden_key {
            row[pos] = Value::Int8(rand::random::<i64>() & i64::MAX);
        }
        if n % 1024 == 0 {
            cx.check_cancel()?;
        }
        check_row(table, &row, checks, cx)?;
        let key = row_key(table, &row)?;
        let mut conflict = None;
        if batched {
            if pk_exists[n] || statement_keys.contains(&key) {
                return Err(unique_violation(
                    table,
                    &table.primary_key_name,
                    key_detail(table, &table.primary_key, &row, cx.eval),
                ));
            }
        } else {
            // The arbiter's conflict decides the action; a conflict on any
            // other unique constraint is an error, as in PostgreSQL.
            let arbiter = match on_conflict {
                OnConflict::Error | OnConflict::DoNothing { arbiter: None } => None,
                OnConflict::DoNothing {
                    arbiter: Some(name),
                }
                | OnConflict::DoUpdate { arbiter: name, .. } => Some(name.as_str()),
            };
            conflict = match arbiter {
                None => find_conflict(table, &row, cx, |_| true).await?,
                Some(arbiter) => match find_conflict(table, &row, cx, |c| c == arbiter).await? {
                    Some(found) => Some(found),
                    None => {
                        if let Some((name, cols, _)) =
                            find_conflict(table, &row, cx, |c| c != arbiter).await?
                        {
                            return Err(unique_violation(
                                table,
                                &name,
                                key_detail(table, &cols, &row, cx.eval),
                            ));
                        }
                        None
                    }
                },
            };
        }
        match (conflict, on_conflict) {
            (None, _) => {
                write_row(table, &row, cx)?;
                statement_keys.insert(key);
                written.push(row);
            }
            (Some(_), OnConflict::DoNothing { .. }) => {}
            (Some((name, cols, _)), OnConflict::Error) => {
                return Err(unique_violation(
                    table,
                    &name,
                    key_detail(table, &cols, &row, cx.eval),
                ));
            }
            (
                Some((_, _, existing)),
                OnConflict::DoUpdate {
                    assignments,
                    condition,
                    slots,
                    ..
                },
            ) => {
                let existing_key = row_key(table, &existing)?;
                if statement_keys.contains(&existing_key) {
                    return Err(SqlError::new(
                        SqlState::CARDINALITY_VIOLATION,
                        "ON CONFLICT DO UPDATE command cannot affect row a second time",
                    )
                    .with_hint("Ensure that no rows proposed for insertion within the same command have duplicate constrained values."));
                }
                let mut combined = existing.clone();
                combined.extend(row.iter().cloned());
                let mut runner = SlotRunner::new(slots.clone());
                let slot_values = runner.compute(&combined, cx).await?;
                let env = cx.env(&slot_values);
                if let Some(c) = condition {
                    if c.eval(&combined, &env)? != Value::Bool(true) {
                        continue;
                    }
                }
                let mut updated = existing.clone();
                for (pos, e) in assignments {
                    updated[*pos] = e.eval(&combined, &env)?;
                }
                check_row(table, &updated, checks, cx)?;
                replace_row(table, &existing, &updated, cx).await?;
                statement_keys.insert(row_key(table, &updated)?);
                written.push(updated);
            }
        }
    }
    Ok(written)
}

/// Replaces `old` by `new`, maintaining indexes and checking unique keys
/// that changed.
pub async fn replace_row(
    table: &TableDesc,
    old: &[Value],
    new: &[Value],
    cx: &mut ExecCtx<'_>,
) -> Result<(), SqlError> {
    let old_key = row_key(table, old)?;
    let new_key = row_key(table, new)?;
    if old_key != new_key {
        if cx.txn.get(&new_key).await.map_err(txn_error)?.is_some() {
            return Err(unique_violation(
                table,
                &table.primary_key_name,
                key_detail(table, &table.primary_key, new, cx.eval),
            ));
        }
        cx.txn.delete(&old_key).map_err(txn_error)?;
    }
    cx.txn
        .put(&new_key, &encode_table_row(table, new))
        .map_err(txn_error)?;
    for idx in &table.indexes {
        let (ok, _, _) = index_entry(table, idx, old)?;
        let (nk, suffix, unique_key) = index_entry(table, idx, new)?;
        if ok != nk {
            if unique_key && cx.txn.get(&nk).await.map_err(txn_error)?.is_some() {
                return Err(unique_violation(
                    table,
                    &idx.name,
                    key_detail(table, &idx.columns, new, cx.eval),
                ));
            }
            cx.txn.delete(&ok).map_err(txn_error)?;
        }
        cx.txn.put(&nk, &suffix).map_err(txn_error)?;
    }
    Ok(())
}

/// Evaluates RETURNING over written rows.
pub async fn returning_rows(
    r: &Returning,
    rows: &[Row],
    cx: &mut ExecCtx<'_>,
) -> Result<Vec<Row>, SqlError> {
    let mut runner = SlotRunner::new(r.slots.clone());
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let slot_values = runner.compute(row, cx).await?;
        let env = cx.env(&slot_values);
        out.push(
            r.exprs
                .iter()
                .map(|e| e.eval(row, &env))
                .collect::<Result<Vec<_>, _>>()?,
        );
    }
    Ok(out)
}

/// Runs a bound DML statement: (affected count, RETURNING rows).
pub async fn execute(
    dml: &Dml,
    checks: &[(String, Expr)],
    cx: &mut ExecCtx<'_>,
) -> Result<(u64, Vec<Row>), SqlError> {
    let (count, written, returning) = match dml {
        Dml::Insert(p) => {
            let mut rows = Vec::new();
            for source in &p.sources {
                rows.extend(run_plan(source, cx).await?);
            }
            let written = insert_rows(&p.table, rows, checks, &p.on_conflict, cx).await?;
            (written.len() as u64, written, &p.returning)
        }
        Dml::Update(p) => {
            let targets = run_plan(&p.scan, cx).await?;
            let mut runner = SlotRunner::new(p.slots.clone());
            let mut written = Vec::with_capacity(targets.len());
            for old in targets {
                let slot_values = runner.compute(&old, cx).await?;
                let env = cx.env(&slot_values);
                let mut new = old.clone();
                for (pos, e) in &p.assignments {
                    new[*pos] = e.eval(&old, &env)?;
                }
                check_row(&p.table, &new, checks, cx)?;
                replace_row(&p.table, &old, &new, cx).await?;
                written.push(new);
            }
            (written.len() as u64, written, &p.returning)
        }
        Dml::Delete(p) => {
            let targets = run_plan(&p.scan, cx).await?;
            for row in &targets {
                delete_row(&p.table, row, cx)?;
            }
            (targets.len() as u64, targets, &p.returning)
        }
    };
    let rows = match returning {
        Some(r) => returning_rows(r, &written, cx).await?,
        None => Vec::new(),
    };
    Ok((count, rows))
}
