//! DDL: CREATE/DROP TABLE, indexes and sequences, ALTER TABLE, TRUNCATE.
//! Every change writes descriptors inside the statement's transaction, so it
//! commits or rolls back with it and every node sees it at its commit.

use std::collections::BTreeMap;

use rangedb_sqltypes::cast::CastContext;
use rangedb_sqltypes::{DataType, SqlError, SqlState, Value};
use sqlparser::ast::{self, ColumnOption, TableConstraint};

use crate::catalog::{
    store, Catalog, CheckDesc, ColumnDesc, Descriptor, IndexDesc, SequenceDesc, TableDesc,
};
use crate::error::txn_error;
use crate::exec::ExecCtx;
use crate::keys::{index_prefix, prefix_end, table_prefix, PRIMARY_INDEX_ID};
use crate::plan::binder::select::table_scope;
use crate::plan::binder::types::{convert, serial_type};
use crate::plan::binder::{ident_name, object_name, undefined_table, Binder};
use crate::plan::scope::Scope;
use crate::rows::{decode_table_row, encode_table_row, index_entry, row_key};

/// The name of the hidden primary key column of tables declared without one.
pub const ROWID_COLUMN: &str = "rowid";

fn relation_exists(name: &str) -> SqlError {
    SqlError::new(
        SqlState::DUPLICATE_TABLE,
        format!("relation \"{name}\" already exists"),
    )
}

fn public_name(name: &ast::ObjectName) -> Result<String, SqlError> {
    let (schema, n) = object_name(name)?;
    match schema.as_deref() {
        None | Some("public") => Ok(n),
        Some(s) => Err(SqlError::new(
            SqlState::INVALID_SCHEMA_NAME,
            format!("schema \"{s}\" does not exist"),
        )),
    }
}

fn index_columns(
    table: &TableDesc,
    cols: &[ast::IndexColumn],
) -> Result<(Vec<u32>, Vec<bool>), SqlError> {
    let mut ids = Vec::new();
    let mut desc = Vec::new();
    for c in cols {
        let name = match &c.column.expr {
            ast::Expr::Identifier(id) => ident_name(id),
            other => {
                return Err(SqlError::unsupported(format!(
                    "index on expression {other} is not supported"
                )))
            }
        };
        let col = table.column(&name).ok_or_else(|| {
            SqlError::new(
                SqlState::UNDEFINED_COLUMN,
                format!("column \"{name}\" does not exist"),
            )
        })?;
        ids.push(col.id);
        desc.push(matches!(
            c.column.options.sort,
            Some(ast::OrderBySort::Desc)
        ));
    }
    Ok((ids, desc))
}

fn column_names(table: &TableDesc, ids: &[u32]) -> Vec<String> {
    ids.iter()
        .filter_map(|id| table.position_of(*id))
        .map(|p| table.columns[p].name.clone())
        .collect()
}

/// A new index of `table` over `columns`: takes the table's next index id
/// and a fresh catalog oid (the caller adds it to the table, after any
/// backfill).
async fn new_index(
    table: &mut TableDesc,
    name: String,
    columns: Vec<u32>,
    descending: Vec<bool>,
    unique: bool,
    cx: &mut ExecCtx<'_>,
) -> Result<IndexDesc, SqlError> {
    let oid = store::allocate_id(cx.txn).await?;
    let id = table.next_index_id;
    table.next_index_id += 1;
    Ok(IndexDesc {
        id,
        oid,
        name,
        columns,
        descending,
        unique,
        constraint: false,
    })
}

/// The index of a UNIQUE constraint over `columns`, named `name` or, as
/// PostgreSQL does, `<table>_<columns>_key`.
async fn unique_constraint_index(
    table: &mut TableDesc,
    name: Option<String>,
    columns: Vec<u32>,
    cx: &mut ExecCtx<'_>,
) -> Result<IndexDesc, SqlError> {
    let name = name.unwrap_or_else(|| {
        format!(
            "{}_{}_key",
            table.name,
            column_names(table, &columns).join("_")
        )
    });
    let n = columns.len();
    let mut idx = new_index(table, name, columns, vec![false; n], true, cx).await?;
    idx.constraint = true;
    Ok(idx)
}

/// Validates a DEFAULT or CHECK expression by binding it, and returns its
/// SQL text.
fn validated_expr(
    binder: &mut Binder<'_>,
    e: &ast::Expr,
    scope: &Scope,
    ty: Option<&DataType>,
) -> Result<String, SqlError> {
    let (x, t) = binder.bind_expr(e, scope)?;
    if let Some(ty) = ty {
        binder.coerce(x, &t, ty, CastContext::Assignment)?;
    } else if t != DataType::Bool && t != DataType::Unknown {
        return Err(SqlError::datatype_mismatch(format!(
            "argument of CHECK must be type boolean, not type {}",
            t.sql_name()
        )));
    }
    binder.take_slots();
    Ok(e.to_string())
}

/// CREATE TABLE.
pub async fn create_table(
    binder: &mut Binder<'_>,
    ct: &ast::CreateTable,
    cx: &mut ExecCtx<'_>,
) -> Result<String, SqlError> {
    let name = public_name(&ct.name)?;
    if ct.query.is_some() {
        return Err(SqlError::unsupported("CREATE TABLE AS is not supported"));
    }
    // Refused rather than quietly made into something else (a permanent
    // table, an empty one).
    if ct.temporary {
        return Err(SqlError::unsupported("temporary tables are not supported"));
    }
    if ct.like.is_some() || ct.inherits.is_some() || ct.partition_of.is_some() {
        return Err(SqlError::unsupported(
            "CREATE TABLE ... LIKE, INHERITS and PARTITION OF are not supported",
        ));
    }
    if binder.catalog.relation_exists(&name) {
        if ct.if_not_exists {
            return Ok("CREATE TABLE".into());
        }
        return Err(relation_exists(&name));
    }
    let id = store::allocate_id(cx.txn).await?;
    let mut table = TableDesc {
        id,
        name: name.clone(),
        columns: Vec::new(),
        primary_key: Vec::new(),
        primary_key_name: String::new(),
        primary_key_oid: 0,
        indexes: Vec::new(),
        checks: Vec::new(),
        next_column_id: 1,
        next_index_id: PRIMARY_INDEX_ID + 1,
    };
    let mut sequences = Vec::new();
    let mut pk: Option<Vec<u32>> = None;
    let mut pk_name: Option<String> = None;
    let mut uniques: Vec<(Option<String>, Vec<u32>)> = Vec::new();
    let mut checks: Vec<(Option<String>, ast::Expr, Option<String>)> = Vec::new();
    for c in &ct.columns {
        let cname = ident_name(&c.name);
        if table.column(&cname).is_some() {
            return Err(SqlError::new(
                SqlState::DUPLICATE_COLUMN,
                format!("column \"{cname}\" specified more than once"),
            ));
        }
        let serial = serial_type(&c.data_type);
        let ty = match &serial {
            Some(t) => t.clone(),
            None => convert(&c.data_type)?,
        };
        let col_id = table.next_column_id;
        table.next_column_id += 1;
        let mut col = ColumnDesc {
            id: col_id,
            name: cname.clone(),
            ty: ty.clone(),
            nullable: true,
            default: None,
            hidden: false,
            missing: None,
        };
        if serial.is_some() {
            let seq_name = format!("{name}_{cname}_seq");
            let seq_id = store::allocate_id(cx.txn).await?;
            let max = match ty {
                DataType::Int2 => i16::MAX as i64,
                DataType::Int4 => i32::MAX as i64,
                _ => i64::MAX,
            };
            sequences.push(SequenceDesc {
                id: seq_id,
                name: seq_name.clone(),
                start: 1,
                increment: 1,
                min_value: 1,
                max_value: max,
                cycle: false,
                owned_by: Some((id, col_id)),
            });
            col.default = Some(format!("nextval('{seq_name}')"));
            col.nullable = false;
        }
        for opt in &c.options {
            match &opt.option {
                ColumnOption::Null => col.nullable = true,
                ColumnOption::NotNull => col.nullable = false,
                ColumnOption::Default(e) => {
                    col.default = Some(validated_expr(binder, e, &Scope::default(), Some(&ty))?)
                }
                ColumnOption::PrimaryKey(p) => {
                    if pk.is_some() {
                        return Err(SqlError::new(
                            SqlState::INVALID_TABLE_DEFINITION,
                            format!("multiple primary keys for table \"{name}\" are not allowed"),
                        ));
                    }
                    pk = Some(vec![col_id]);
                    pk_name = p.name.as_ref().or(opt.name.as_ref()).map(ident_name);
                    col.nullable = false;
                }
                ColumnOption::Unique(u) => uniques.push((
                    u.name
                        .as_ref()
                        .map(ident_name)
                        .or(opt.name.as_ref().map(ident_name)),
                    vec![col_id],
                )),
                ColumnOption::Check(chk) => checks.push((
                    chk.name
                        .as_ref()
                        .map(ident_name)
                        .or(opt.name.as_ref().map(ident_name)),
                    (*chk.expr).clone(),
                    Some(cname.clone()),
                )),
                ColumnOption::ForeignKey(_) => {
                    return Err(SqlError::unsupported("foreign keys are not supported"))
                }
                other => {
                    return Err(SqlError::unsupported(format!(
                        "column option {other} is not supported"
                    )))
                }
            }
        }
        table.columns.push(col);
    }
    for tc in &ct.constraints {
        match tc {
            TableConstraint::PrimaryKey(p) => {
                if pk.is_some() {
                    return Err(SqlError::new(
                        SqlState::INVALID_TABLE_DEFINITION,
                        format!("multiple primary keys for table \"{name}\" are not allowed"),
                    ));
                }
                let (ids, _) = index_columns(&table, &p.columns)?;
                for idc in &ids {
                    if let Some(pos) = table.position_of(*idc) {
                        table.columns[pos].nullable = false;
                    }
                }
                pk = Some(ids);
                pk_name = p.name.as_ref().map(ident_name);
            }
            TableConstraint::Unique(u) => {
                let (ids, _) = index_columns(&table, &u.columns)?;
                uniques.push((u.name.as_ref().map(ident_name), ids));
            }
            TableConstraint::Check(c) => {
                checks.push((c.name.as_ref().map(ident_name), (*c.expr).clone(), None))
            }
            TableConstraint::ForeignKey(_) => {
                return Err(SqlError::unsupported("foreign keys are not supported"))
            }
            other => {
                return Err(SqlError::unsupported(format!(
                    "constraint {other} is not supported"
                )))
            }
        }
    }
    match pk {
        Some(ids) => {
            table.primary_key = ids;
            table.primary_key_name = pk_name.unwrap_or_else(|| format!("{name}_pkey"));
            table.primary_key_oid = store::allocate_id(cx.txn).await?;
        }
        None => add_hidden_key(&mut table),
    }
    for (uname, ids) in uniques {
        let idx = unique_constraint_index(&mut table, uname, ids, cx).await?;
        table.indexes.push(idx);
    }
    let scope = table_scope(&table);
    for (cname, e, col) in checks {
        let text = validated_expr(binder, &e, &scope, None)?;
        // Unnamed, a check on exactly one column is named after it, as
        // PostgreSQL names it (table-level checks too).
        let col = match col {
            Some(c) => Some(c),
            None => {
                let (x, _) = binder.bind_expr(&e, &scope)?;
                let mut used = x.columns_used();
                used.sort_unstable();
                used.dedup();
                match used.as_slice() {
                    [one] => scope.columns.get(*one).map(|c| c.name.clone()),
                    _ => None,
                }
            }
        };
        let cname = cname.unwrap_or_else(|| match &col {
            Some(c) => format!("{name}_{c}_check"),
            None => format!("{name}_check"),
        });
        table.checks.push(CheckDesc {
            name: cname,
            expr: text,
        });
    }
    for s in sequences {
        if binder.catalog.relation_exists(&s.name) {
            return Err(relation_exists(&s.name));
        }
        store::write(cx.txn, &Descriptor::Sequence(s)).await?;
    }
    store::write(cx.txn, &Descriptor::Table(table)).await?;
    Ok("CREATE TABLE".into())
}

fn add_hidden_key(table: &mut TableDesc) {
    let id = table.next_column_id;
    table.next_column_id += 1;
    table.columns.push(ColumnDesc {
        id,
        name: ROWID_COLUMN.into(),
        ty: DataType::Int8,
        nullable: false,
        default: None,
        hidden: true,
        missing: None,
    });
    table.primary_key = vec![id];
    table.primary_key_name = String::new();
    table.primary_key_oid = 0;
}

/// Deletes every key with `prefix` in the transaction, in chunks.
async fn delete_span(prefix: &[u8], cx: &mut ExecCtx<'_>) -> Result<(), SqlError> {
    crate::span::for_each_chunk(cx.txn, prefix, &prefix_end(prefix), |txn, chunk| {
        for (k, _) in &chunk {
            txn.delete(k).map_err(txn_error)?;
        }
        Ok(())
    })
    .await
}

/// All rows of a table, read in chunks.
async fn all_rows(table: &TableDesc, cx: &mut ExecCtx<'_>) -> Result<Vec<Vec<Value>>, SqlError> {
    let prefix = index_prefix(table.id, PRIMARY_INDEX_ID);
    let cancel = cx.cancel.clone();
    let mut rows = Vec::new();
    crate::span::for_each_chunk(cx.txn, &prefix, &prefix_end(&prefix), |_, chunk| {
        if cancel.is_cancelled() {
            return Err(SqlError::new(
                SqlState::QUERY_CANCELED,
                "canceling statement due to user request",
            ));
        }
        for (_, v) in &chunk {
            rows.push(decode_table_row(table, v)?);
        }
        Ok(())
    })
    .await?;
    Ok(rows)
}

/// How a DROP treats missing objects and dependents.
#[derive(Debug, Clone, Copy)]
pub struct DropOptions {
    /// IF EXISTS: a missing object is skipped, not an error.
    pub if_exists: bool,
    /// CASCADE: dependents (a column DEFAULT using a sequence) go too.
    pub cascade: bool,
}

/// Columns whose DEFAULT calls `nextval` on sequence `name`, as
/// `(table, column)`.
fn sequence_users<'c>(catalog: &'c Catalog, name: &str) -> Vec<(&'c TableDesc, &'c str)> {
    let quoted = [
        format!("nextval('{name}'"),
        format!("nextval('public.{name}'"),
    ];
    catalog
        .tables
        .values()
        .flat_map(|t| t.columns.iter().map(move |c| (t.as_ref(), c)))
        .filter(|(_, c)| {
            c.default
                .as_deref()
                .is_some_and(|d| quoted.iter().any(|q| d.contains(q.as_str())))
        })
        .map(|(t, c)| (t, c.name.as_str()))
        .collect()
}

/// DROP TABLE / INDEX / SEQUENCE.
pub async fn drop(
    binder: &mut Binder<'_>,
    object_type: &ast::ObjectType,
    names: &[ast::ObjectName],
    options: DropOptions,
    cx: &mut ExecCtx<'_>,
) -> Result<String, SqlError> {
    let catalog = binder.catalog;
    let if_exists = options.if_exists;
    match object_type {
        ast::ObjectType::Table => {
            for n in names {
                let name = public_name(n)?;
                let Some(table) = catalog.table(&name).cloned() else {
                    if if_exists {
                        continue;
                    }
                    return Err(SqlError::new(
                        SqlState::UNDEFINED_TABLE,
                        format!("table \"{name}\" does not exist"),
                    ));
                };
                delete_span(&table_prefix(table.id), cx).await?;
                for s in catalog
                    .sequences
                    .values()
                    .filter(|s| s.owned_by.map(|o| o.0) == Some(table.id))
                {
                    store::delete(cx.txn, s.id).await?;
                    cx.txn
                        .delete(&store::sequence_key(s.id))
                        .map_err(txn_error)?;
                }
                store::delete(cx.txn, table.id).await?;
            }
            Ok("DROP TABLE".into())
        }
        ast::ObjectType::Index => {
            for n in names {
                let name = public_name(n)?;
                let Some((table, idx)) = catalog.index(&name) else {
                    if if_exists {
                        continue;
                    }
                    return Err(SqlError::new(
                        SqlState::UNDEFINED_OBJECT,
                        format!("index \"{name}\" does not exist"),
                    ));
                };
                if idx.constraint {
                    return Err(SqlError::new(
                        SqlState("2BP01"),
                        format!("cannot drop index {name} because constraint {name} on table {} requires it", table.name),
                    ));
                }
                delete_span(&index_prefix(table.id, idx.id), cx).await?;
                let mut t = (**table).clone();
                t.indexes.retain(|i| i.name != name);
                store::write(cx.txn, &Descriptor::Table(t)).await?;
            }
            Ok("DROP INDEX".into())
        }
        ast::ObjectType::Sequence => {
            for n in names {
                let name = public_name(n)?;
                let Some(seq) = catalog.sequences.get(&name) else {
                    if if_exists {
                        continue;
                    }
                    return Err(undefined_table(&name));
                };
                let users = sequence_users(catalog, &name);
                if let Some((table, column)) = users.first() {
                    if !options.cascade {
                        return Err(SqlError::new(
                            SqlState("2BP01"),
                            format!(
                                "cannot drop sequence {name} because other objects depend on it"
                            ),
                        )
                        .with_detail(format!(
                            "default value for column {column} of table {} depends on sequence {name}",
                            table.name
                        ))
                        .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
                    }
                }
                let mut changed: BTreeMap<u32, TableDesc> = BTreeMap::new();
                for (table, column) in users {
                    let t = changed.entry(table.id).or_insert_with(|| table.clone());
                    for c in t.columns.iter_mut().filter(|c| c.name == column) {
                        c.default = None;
                    }
                }
                for t in changed.into_values() {
                    store::write(cx.txn, &Descriptor::Table(t)).await?;
                }
                store::delete(cx.txn, seq.id).await?;
                cx.txn
                    .delete(&store::sequence_key(seq.id))
                    .map_err(txn_error)?;
            }
            Ok("DROP SEQUENCE".into())
        }
        other => Err(SqlError::unsupported(format!(
            "DROP {other} is not supported"
        ))),
    }
}

/// CREATE [UNIQUE] INDEX, backfilled from the existing rows.
pub async fn create_index(
    binder: &mut Binder<'_>,
    ci: &ast::CreateIndex,
    cx: &mut ExecCtx<'_>,
) -> Result<String, SqlError> {
    let table_name = public_name(&ci.table_name)?;
    let table = binder
        .catalog
        .table(&table_name)
        .cloned()
        .ok_or_else(|| undefined_table(&table_name))?;
    if ci.predicate.is_some() {
        return Err(SqlError::unsupported("partial indexes are not supported"));
    }
    let (ids, desc) = index_columns(&table, &ci.columns)?;
    let name = match &ci.name {
        Some(n) => public_name(n)?,
        None => format!("{table_name}_{}_idx", column_names(&table, &ids).join("_")),
    };
    if binder.catalog.relation_exists(&name) {
        if ci.if_not_exists {
            return Ok("CREATE INDEX".into());
        }
        return Err(relation_exists(&name));
    }
    let mut t = (*table).clone();
    let idx = new_index(&mut t, name.clone(), ids, desc, ci.unique, cx).await?;
    backfill(&t, &idx, cx).await?;
    t.indexes.push(idx);
    store::write(cx.txn, &Descriptor::Table(t)).await?;
    Ok("CREATE INDEX".into())
}

async fn backfill(
    table: &TableDesc,
    idx: &IndexDesc,
    cx: &mut ExecCtx<'_>,
) -> Result<(), SqlError> {
    let rows = all_rows(table, cx).await?;
    let mut seen = std::collections::HashSet::new();
    for row in rows {
        let (key, suffix, unique_key) = index_entry(table, idx, &row)?;
        if unique_key && !seen.insert(key.clone()) {
            let values: Vec<String> = idx
                .columns
                .iter()
                .filter_map(|id| table.position_of(*id))
                .map(|p| rangedb_sqltypes::text::format(&row[p], &table.columns[p].ty, cx.eval))
                .collect();
            return Err(SqlError::new(
                SqlState::UNIQUE_VIOLATION,
                format!("could not create unique index \"{}\"", idx.name),
            )
            .with_detail(format!(
                "Key ({})=({}) is duplicated.",
                column_names(table, &idx.columns).join(", "),
                values.join(", ")
            )));
        }
        cx.txn.put(&key, &suffix).map_err(txn_error)?;
    }
    Ok(())
}

/// CREATE SEQUENCE.
pub async fn create_sequence(
    binder: &mut Binder<'_>,
    name: &ast::ObjectName,
    if_not_exists: bool,
    options: &[ast::SequenceOptions],
    cx: &mut ExecCtx<'_>,
) -> Result<String, SqlError> {
    let name = public_name(name)?;
    if binder.catalog.relation_exists(&name) {
        if if_not_exists {
            return Ok("CREATE SEQUENCE".into());
        }
        return Err(relation_exists(&name));
    }
    let mut increment = 1i64;
    let mut start = None;
    let mut min = None;
    let mut max = None;
    let mut cycle = false;
    let number = |b: &mut Binder<'_>, e: &ast::Expr| -> Result<i64, SqlError> {
        let (x, t) = b.bind_expr(e, &Scope::default())?;
        let x = b.coerce(x, &t, &DataType::Int8, CastContext::Implicit)?;
        b.constant_value(&x, &[])?
            .as_i64()
            .ok_or_else(|| SqlError::syntax("sequence option must be a number"))
    };
    for o in options {
        match o {
            ast::SequenceOptions::IncrementBy(e, _) => increment = number(binder, e)?,
            ast::SequenceOptions::StartWith(e, _) => start = Some(number(binder, e)?),
            ast::SequenceOptions::MinValue(Some(e)) => min = Some(number(binder, e)?),
            ast::SequenceOptions::MaxValue(Some(e)) => max = Some(number(binder, e)?),
            ast::SequenceOptions::Cycle(c) => cycle = !*c,
            _ => {}
        }
    }
    if increment == 0 {
        return Err(SqlError::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "INCREMENT must not be zero",
        ));
    }
    let min = min.unwrap_or(if increment > 0 { 1 } else { i64::MIN });
    let max = max.unwrap_or(if increment > 0 { i64::MAX } else { -1 });
    let start = start.unwrap_or(if increment > 0 { min } else { max });
    let id = store::allocate_id(cx.txn).await?;
    store::write(
        cx.txn,
        &Descriptor::Sequence(SequenceDesc {
            id,
            name,
            start,
            increment,
            min_value: min,
            max_value: max,
            cycle,
            owned_by: None,
        }),
    )
    .await?;
    Ok("CREATE SEQUENCE".into())
}

/// TRUNCATE.
pub async fn truncate(
    binder: &mut Binder<'_>,
    names: &[ast::TruncateTableTarget],
    restart_identity: bool,
    cx: &mut ExecCtx<'_>,
) -> Result<String, SqlError> {
    let mut tables = Vec::new();
    for n in names {
        let name = public_name(&n.name)?;
        tables.push(
            binder
                .catalog
                .table(&name)
                .cloned()
                .ok_or_else(|| undefined_table(&name))?,
        );
    }
    for t in &tables {
        delete_span(&table_prefix(t.id), cx).await?;
    }
    if restart_identity {
        // The tables' own sequences (serial columns) start over. As with
        // setval, the reset is not undone if the transaction rolls back
        // (PostgreSQL's is transactional): nextval runs outside the
        // statement's transaction, so a reset inside it would not be seen.
        let owned: Vec<(String, i64)> = binder
            .catalog
            .sequences
            .values()
            .filter(|s| {
                s.owned_by
                    .is_some_and(|(table, _)| tables.iter().any(|t| t.id == table))
            })
            .map(|s| (s.name.clone(), s.start))
            .collect();
        for (name, start) in owned {
            crate::sequences::setval(cx, &name, start, false).await?;
        }
    }
    Ok("TRUNCATE TABLE".into())
}

/// ALTER TABLE.
pub async fn alter_table(
    binder: &mut Binder<'_>,
    at: &ast::AlterTable,
    cx: &mut ExecCtx<'_>,
) -> Result<String, SqlError> {
    let name = public_name(&at.name)?;
    let Some(table) = binder.catalog.table(&name).cloned() else {
        if at.if_exists {
            return Ok("ALTER TABLE".into());
        }
        return Err(undefined_table(&name));
    };
    let mut t: TableDesc = (*table).clone();
    for op in &at.operations {
        match op {
            ast::AlterTableOperation::AddColumn {
                if_not_exists,
                column_def,
                ..
            } => {
                add_column(binder, &mut t, *if_not_exists, column_def, cx).await?;
            }
            ast::AlterTableOperation::DropColumn {
                column_names: cols,
                if_exists,
                ..
            } => {
                for c in cols {
                    let cname = ident_name(c);
                    let Some(col) = t.column(&cname).filter(|c| !c.hidden).cloned() else {
                        if *if_exists {
                            continue;
                        }
                        return Err(SqlError::new(
                            SqlState::UNDEFINED_COLUMN,
                            format!("column \"{cname}\" of relation \"{name}\" does not exist"),
                        ));
                    };
                    if t.primary_key.contains(&col.id) {
                        return Err(SqlError::unsupported(format!(
                            "cannot drop column \"{cname}\": it is part of the primary key"
                        )));
                    }
                    let dropped: Vec<IndexDesc> = t
                        .indexes
                        .iter()
                        .filter(|i| i.columns.contains(&col.id))
                        .cloned()
                        .collect();
                    for idx in &dropped {
                        delete_span(&index_prefix(t.id, idx.id), cx).await?;
                    }
                    t.indexes.retain(|i| !i.columns.contains(&col.id));
                    t.columns.retain(|c| c.id != col.id);
                    let needle = cname.clone();
                    t.checks.retain(|c| !c.expr.contains(&needle));
                }
            }
            ast::AlterTableOperation::AddConstraint { constraint, .. } => match constraint {
                TableConstraint::PrimaryKey(p) => add_primary_key(&mut t, &p.columns, cx).await?,
                TableConstraint::Unique(u) => {
                    let (ids, _) = index_columns(&t, &u.columns)?;
                    let iname = u.name.as_ref().map(ident_name);
                    let idx = unique_constraint_index(&mut t, iname, ids, cx).await?;
                    backfill(&t, &idx, cx).await?;
                    t.indexes.push(idx);
                }
                other => {
                    return Err(SqlError::unsupported(format!(
                        "ADD {other} is not supported"
                    )))
                }
            },
            other => {
                return Err(SqlError::unsupported(format!(
                    "ALTER TABLE {other} is not supported"
                )))
            }
        }
    }
    store::write(cx.txn, &Descriptor::Table(t)).await?;
    Ok("ALTER TABLE".into())
}

async fn add_column(
    binder: &mut Binder<'_>,
    t: &mut TableDesc,
    if_not_exists: bool,
    def: &ast::ColumnDef,
    cx: &mut ExecCtx<'_>,
) -> Result<(), SqlError> {
    let cname = ident_name(&def.name);
    if t.column(&cname).is_some() {
        if if_not_exists {
            return Ok(());
        }
        return Err(SqlError::new(
            SqlState::DUPLICATE_COLUMN,
            format!(
                "column \"{cname}\" of relation \"{}\" already exists",
                t.name
            ),
        ));
    }
    if serial_type(&def.data_type).is_some() {
        return Err(SqlError::unsupported(
            "adding a serial column is not supported",
        ));
    }
    let ty = convert(&def.data_type)?;
    let mut col = ColumnDesc {
        id: t.next_column_id,
        name: cname.clone(),
        ty: ty.clone(),
        nullable: true,
        default: None,
        hidden: false,
        missing: None,
    };
    let mut unique = false;
    let mut checks = Vec::new();
    for opt in &def.options {
        match &opt.option {
            ColumnOption::Unique(_) => unique = true,
            ColumnOption::Check(c) => checks.push((
                c.name.as_ref().or(opt.name.as_ref()).map(ident_name),
                (*c.expr).clone(),
            )),
            ColumnOption::Null => col.nullable = true,
            ColumnOption::NotNull => col.nullable = false,
            ColumnOption::Default(e) => {
                let (x, xt) = binder.bind_expr(e, &Scope::default())?;
                let x = binder.coerce(x, &xt, &ty, CastContext::Assignment)?;
                if !binder.take_slots().is_empty() || !x.is_row_independent() {
                    return Err(SqlError::unsupported(
                        "ADD COLUMN with a volatile default is not supported",
                    ));
                }
                let v = binder.constant_value(&x, &[])?;
                col.missing = if v.is_null() { None } else { Some(v) };
                col.default = Some(e.to_string());
            }
            other => {
                return Err(SqlError::unsupported(format!(
                    "column option {other} in ADD COLUMN is not supported"
                )))
            }
        }
    }
    if !col.nullable && col.missing.is_none() {
        let prefix = index_prefix(t.id, PRIMARY_INDEX_ID);
        let any = cx
            .txn
            .scan(&prefix, Some(&prefix_end(&prefix)), 1)
            .await
            .map_err(txn_error)?;
        if !any.is_empty() {
            return Err(SqlError::new(
                SqlState::NOT_NULL_VIOLATION,
                format!(
                    "column \"{cname}\" of relation \"{}\" contains null values",
                    t.name
                ),
            ));
        }
    }
    let col_id = col.id;
    t.next_column_id += 1;
    t.columns.push(col);
    let scope = table_scope(t);
    for (name, e) in checks {
        let text = validated_expr(binder, &e, &scope, None)?;
        let name = name.unwrap_or_else(|| format!("{}_{cname}_check", t.name));
        t.checks.push(CheckDesc { name, expr: text });
    }
    if unique {
        let idx = unique_constraint_index(t, None, vec![col_id], cx).await?;
        backfill(t, &idx, cx).await?;
        t.indexes.push(idx);
    }
    Ok(())
}

/// ADD PRIMARY KEY: only a table keyed by its hidden row id may get one;
/// existing rows move to their new keys in this transaction.
async fn add_primary_key(
    t: &mut TableDesc,
    cols: &[ast::IndexColumn],
    cx: &mut ExecCtx<'_>,
) -> Result<(), SqlError> {
    if !t.has_hidden_key() {
        return Err(SqlError::new(
            SqlState::INVALID_TABLE_DEFINITION,
            format!(
                "multiple primary keys for table \"{}\" are not allowed",
                t.name
            ),
        ));
    }
    let (ids, _) = index_columns(t, cols)?;
    let old = t.clone();
    let rows = all_rows(&old, cx).await?;
    let hidden_id = old.primary_key[0];
    let mut new = old.clone();
    new.primary_key = ids.clone();
    new.primary_key_name = format!("{}_pkey", t.name);
    new.primary_key_oid = store::allocate_id(cx.txn).await?;
    for id in &ids {
        if let Some(p) = new.position_of(*id) {
            new.columns[p].nullable = false;
        }
    }
    let mut seen = std::collections::HashSet::new();
    for row in rows {
        for id in &ids {
            if let Some(p) = new.position_of(*id) {
                if row[p].is_null() {
                    return Err(SqlError::new(
                        SqlState::NOT_NULL_VIOLATION,
                        format!(
                            "column \"{}\" of relation \"{}\" contains null values",
                            new.columns[p].name, t.name
                        ),
                    ));
                }
            }
        }
        crate::dml::delete_row(&old, &row, cx)?;
        let key = row_key(&new, &row)?;
        if !seen.insert(key.clone()) {
            return Err(SqlError::new(
                SqlState::UNIQUE_VIOLATION,
                format!("could not create unique index \"{}\"", new.primary_key_name),
            ));
        }
        cx.txn
            .put(&key, &encode_table_row(&new, &row))
            .map_err(txn_error)?;
        for idx in &new.indexes {
            let (k, suffix, _) = index_entry(&new, idx, &row)?;
            cx.txn.put(&k, &suffix).map_err(txn_error)?;
        }
    }
    // The hidden column stays in old rows' values but is no longer read.
    new.columns.retain(|c| c.id != hidden_id);
    *t = new;
    Ok(())
}
