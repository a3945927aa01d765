//! Functions of the system catalogs that psql and drivers call
//! (`format_type`, `pg_get_indexdef`, `pg_get_userbyid`, ...) and the
//! `regclass` / `regtype` conversions, bound against the statement's
//! catalog snapshot: what depends on the catalog becomes a
//! [`CatalogFn::Lookup`] table built here.

use std::sync::Arc;

use rangedb_sqltypes::cast::CastContext;
use rangedb_sqltypes::{DataType, SqlError, SqlState, Value};

use super::deparse;
use super::eval::CatalogFn;
use super::rows::{check_oid, indexes, roles};
use super::tables::ALL;
use crate::catalog::Catalog;
use crate::plan::binder::expr::Typed;
use crate::plan::binder::Binder;
use crate::plan::Expr;

fn catalog_call(func: CatalogFn, args: Vec<Expr>, ty: DataType) -> Typed {
    (Expr::Catalog { func, args }, ty)
}

fn lookup(
    name: &'static str,
    table: Vec<(Vec<Value>, Value)>,
    default: Option<Value>,
) -> CatalogFn {
    CatalogFn::Lookup {
        name,
        table: Arc::new(table),
        default,
    }
}

/// Splits a possibly qualified, possibly quoted name (`public."T"`) into
/// its parts, folding unquoted parts to lower case.
fn name_parts(s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = s.trim().chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut cur)),
            c if quoted => cur.push(c),
            c => cur.extend(c.to_lowercase()),
        }
    }
    parts.push(cur);
    parts
}

/// Every relation's (oid, name as `regclass` prints it).
pub fn relation_names(catalog: &Catalog) -> Vec<(u32, String, &'static str)> {
    let mut out = Vec::new();
    for t in catalog.tables.values() {
        out.push((t.id, deparse::quote_ident(&t.name), "public"));
        for i in indexes(t) {
            out.push((i.oid, deparse::quote_ident(&i.name), "public"));
        }
    }
    for s in catalog.sequences.values() {
        out.push((s.id, deparse::quote_ident(&s.name), "public"));
    }
    for (_, schema, name, oid) in ALL {
        let shown = if *schema == "pg_catalog" {
            name.to_string()
        } else {
            format!("{schema}.{name}")
        };
        out.push((*oid, shown, schema));
    }
    out
}

/// The OID of the relation `name` (`t`, `public.t`, `pg_catalog.pg_class`).
pub fn relation_oid(catalog: &Catalog, name: &str) -> Option<u32> {
    let parts = name_parts(name);
    let (schema, rel) = match parts.as_slice() {
        [r] => (None, r.as_str()),
        [s, r] => (Some(s.as_str()), r.as_str()),
        [_, s, r] => (Some(s.as_str()), r.as_str()),
        _ => return None,
    };
    if matches!(schema, None | Some("public")) {
        if let Some(t) = catalog.table(rel) {
            return Some(t.id);
        }
        if let Some(s) = catalog.sequences.get(rel) {
            return Some(s.id);
        }
        for t in catalog.tables.values() {
            if let Some(i) = indexes(t).into_iter().find(|i| i.name == rel) {
                return Some(i.oid);
            }
        }
    }
    ALL.iter()
        .find(|(_, s, n, _)| {
            *n == rel && schema.is_none_or(|x| x == *s) && (schema.is_some() || *s == "pg_catalog")
        })
        .map(|(_, _, _, o)| *o)
}

/// The OID of the type called `name` (`int4`, `integer`, `text[]`,
/// `character varying`).
pub fn type_oid(name: &str) -> Option<u32> {
    let n = name.trim().to_lowercase();
    let n = n
        .strip_prefix("pg_catalog.")
        .unwrap_or(&n)
        .trim_matches('"')
        .to_string();
    if let Some(elem) = n.strip_suffix("[]") {
        return type_oid(elem)
            .and_then(DataType::from_oid)
            .map(|t| t.array_oid())
            .filter(|o| *o != 0);
    }
    if let Some(elem) = n.strip_prefix('_') {
        if let Some(t) = DataType::scalar_types()
            .into_iter()
            .find(|t| t.type_name() == elem)
        {
            return Some(t.array_oid());
        }
    }
    let alias = match n.as_str() {
        "int" => "int4",
        "smallint" => "int2",
        "bigint" => "int8",
        "real" => "float4",
        "double precision" | "float" => "float8",
        "boolean" => "bool",
        "character varying" => "varchar",
        "character" | "char" => "bpchar",
        "decimal" => "numeric",
        "timestamp without time zone" => "timestamp",
        "timestamp with time zone" => "timestamptz",
        "time without time zone" => "time",
        "unknown" => return Some(705),
        other => other,
    };
    DataType::scalar_types()
        .into_iter()
        .find(|t| t.type_name() == alias || t.without_modifier().sql_name() == alias)
        .map(|t| t.oid())
}

fn undefined_relation(name: &str) -> SqlError {
    SqlError::new(
        SqlState::UNDEFINED_TABLE,
        format!("relation \"{name}\" does not exist"),
    )
}

fn undefined_type(name: &str) -> SqlError {
    SqlError::new(
        SqlState::UNDEFINED_OBJECT,
        format!("type \"{name}\" does not exist"),
    )
}

/// A cast that needs the catalog: names to `regclass` / `regtype` and
/// back. `None` when the cast is an ordinary one.
pub fn bind_cast(
    binder: &mut Binder<'_>,
    expr: &Expr,
    from: &DataType,
    to: &DataType,
) -> Result<Option<Expr>, SqlError> {
    let catalog = binder.catalog;
    let stringish = |t: &DataType| t.is_string() || *t == DataType::Unknown;
    match (from, to) {
        (f, DataType::RegClass) if stringish(f) => {
            if let Expr::Const(Value::Text(s)) = expr {
                if s.trim().bytes().all(|c| c.is_ascii_digit()) && !s.trim().is_empty() {
                    return Ok(None);
                }
                let o = relation_oid(catalog, s).ok_or_else(|| undefined_relation(s))?;
                return Ok(Some(Expr::Const(Value::Oid(o))));
            }
            let x = binder.coerce(expr.clone(), from, &DataType::Text, CastContext::Explicit)?;
            let table = relation_names(catalog)
                .into_iter()
                .flat_map(|(o, name, schema)| {
                    let bare = name_parts(&name).pop().unwrap_or_default();
                    [
                        (vec![Value::Text(name.clone())], Value::Oid(o)),
                        (vec![Value::Text(format!("{schema}.{bare}"))], Value::Oid(o)),
                    ]
                })
                .collect();
            Ok(Some(Expr::Catalog {
                func: lookup("regclassin", table, None),
                args: vec![x],
            }))
        }
        (f, DataType::RegType) if stringish(f) => {
            if let Expr::Const(Value::Text(s)) = expr {
                if s.trim().bytes().all(|c| c.is_ascii_digit()) && !s.trim().is_empty() {
                    return Ok(None);
                }
                let o = type_oid(s).ok_or_else(|| undefined_type(s))?;
                return Ok(Some(Expr::Const(Value::Oid(o))));
            }
            let x = binder.coerce(expr.clone(), from, &DataType::Text, CastContext::Explicit)?;
            let mut table = Vec::new();
            for t in DataType::scalar_types() {
                for ty in [t.clone(), DataType::Array(Box::new(t))] {
                    table.push((vec![Value::Text(ty.type_name())], Value::Oid(ty.oid())));
                    table.push((
                        vec![Value::Text(ty.without_modifier().sql_name())],
                        Value::Oid(ty.oid()),
                    ));
                }
            }
            Ok(Some(Expr::Catalog {
                func: lookup("regtypein", table, None),
                args: vec![x],
            }))
        }
        (DataType::RegClass, t) if t.is_string() => {
            let table = relation_names(catalog)
                .into_iter()
                .map(|(o, name, _)| (vec![Value::Oid(o)], Value::Text(name)))
                .collect();
            Ok(Some(Expr::Catalog {
                func: lookup("regclassout", table, Some(Value::Null)),
                args: vec![expr.clone()],
            }))
        }
        (DataType::RegType, t) if t.is_string() => Ok(Some(Expr::Catalog {
            func: CatalogFn::FormatType,
            args: vec![expr.clone()],
        })),
        _ => Ok(None),
    }
}

/// Binds a catalog function call, or `None` if `name` is not one.
pub fn bind(
    binder: &mut Binder<'_>,
    name: &str,
    args: &[Typed],
) -> Result<Option<Typed>, SqlError> {
    let catalog = binder.catalog;
    let constant = |v: Value, t: DataType| Ok(Some((Expr::Const(v), t)));
    let exprs: Vec<Expr> = args.iter().map(|(e, _)| e.clone()).collect();
    let arg_type = |i: usize| {
        args.get(i)
            .map(|(_, t)| t.clone())
            .unwrap_or(DataType::Unknown)
    };
    Ok(Some(match name {
        "pg_table_is_visible"
        | "pg_type_is_visible"
        | "pg_function_is_visible"
        | "has_table_privilege"
        | "has_schema_privilege"
        | "has_database_privilege"
        | "has_column_privilege"
        | "has_sequence_privilege"
        | "pg_has_role" => return constant(Value::Bool(true), DataType::Bool),
        "pg_relation_is_publishable" | "pg_is_in_recovery" | "pg_is_other_temp_schema" => {
            return constant(Value::Bool(false), DataType::Bool)
        }
        "obj_description" if args.len() == 2 => {
            let key = vec![
                Value::Oid(super::tables::PUBLIC_OID),
                Value::Text("pg_namespace".into()),
            ];
            let table = vec![(key, Value::Text("standard public schema".into()))];
            let mut exprs = exprs;
            exprs[1] = binder.coerce(
                exprs[1].clone(),
                &arg_type(1),
                &DataType::Text,
                CastContext::Implicit,
            )?;
            catalog_call(
                lookup("obj_description", table, Some(Value::Null)),
                exprs,
                DataType::Text,
            )
        }
        "obj_description"
        | "col_description"
        | "shobj_description"
        | "pg_get_statisticsobjdef_columns"
        | "pg_get_triggerdef"
        | "pg_get_viewdef"
        | "pg_get_partkeydef"
        | "pg_get_ruledef"
        | "pg_get_functiondef"
        | "pg_get_function_arguments"
        | "pg_get_function_result" => return constant(Value::Null, DataType::Text),
        "pg_table_size"
        | "pg_relation_size"
        | "pg_total_relation_size"
        | "pg_indexes_size"
        | "pg_database_size" => return constant(Value::Int8(0), DataType::Int8),
        "pg_encoding_to_char" => return constant(Value::Text("UTF8".into()), DataType::Name),
        "pg_get_expr" => {
            let Some((x, t)) = args.first() else {
                return Ok(None);
            };
            let x = binder.coerce(x.clone(), t, &DataType::Text, CastContext::Explicit)?;
            (x, DataType::Text)
        }
        "pg_get_userbyid" => {
            let table = roles(binder.facts)
                .into_iter()
                .map(|(o, name, _)| (vec![Value::Oid(o)], Value::Text(name)))
                .collect();
            catalog_call(
                lookup(
                    "pg_get_userbyid",
                    table,
                    Some(Value::Text("unknown".into())),
                ),
                exprs,
                DataType::Name,
            )
        }
        "format_type" => catalog_call(CatalogFn::FormatType, exprs, DataType::Text),
        "pg_size_pretty" => catalog_call(CatalogFn::SizePretty, exprs, DataType::Text),
        "array_to_string" if (2..=3).contains(&args.len()) => {
            let elem = match arg_type(0) {
                DataType::Array(e) => *e,
                _ => DataType::Text,
            };
            let mut exprs = exprs;
            for (i, e) in exprs.iter_mut().enumerate().skip(1) {
                *e = binder.coerce(
                    e.clone(),
                    &arg_type(i),
                    &DataType::Text,
                    CastContext::Implicit,
                )?;
            }
            catalog_call(CatalogFn::ArrayToString { elem }, exprs, DataType::Text)
        }
        "array_upper" | "array_length" if args.len() == 2 => {
            catalog_call(CatalogFn::ArrayUpper, exprs, DataType::Int4)
        }
        "array_lower" if args.len() == 2 => {
            catalog_call(CatalogFn::ArrayLower, exprs, DataType::Int4)
        }
        "cardinality" if args.len() == 1 => {
            catalog_call(CatalogFn::Cardinality, exprs, DataType::Int4)
        }
        "current_schemas" => {
            let schemas = vec![
                Value::Text("pg_catalog".into()),
                Value::Text("public".into()),
            ];
            return constant(
                Value::Array(schemas),
                DataType::Array(Box::new(DataType::Name)),
            );
        }
        "pg_get_indexdef" => {
            let mut table = Vec::new();
            for t in catalog.tables.values() {
                for i in indexes(t) {
                    let def = deparse::index_def(t, &i.name, i.unique, &i.columns);
                    table.push((vec![Value::Oid(i.oid), Value::Int4(0)], Value::Text(def)));
                    for (k, (id, _)) in i.columns.iter().enumerate() {
                        if let Some(c) = deparse::column_by_id(t, *id) {
                            let key = vec![Value::Oid(i.oid), Value::Int4(k as i32 + 1)];
                            table.push((key, Value::Text(deparse::quote_ident(&c.name))));
                        }
                    }
                }
            }
            let mut exprs = exprs;
            exprs.truncate(2);
            if exprs.len() == 1 {
                exprs.push(Expr::Const(Value::Int4(0)));
            }
            catalog_call(
                lookup("pg_get_indexdef", table, Some(Value::Null)),
                exprs,
                DataType::Text,
            )
        }
        "pg_get_constraintdef" => {
            let mut table = Vec::new();
            for t in catalog.tables.values() {
                for i in indexes(t).into_iter().filter(|i| i.constraint) {
                    let def = deparse::key_constraint_def(t, i.primary, &i.columns);
                    table.push((vec![Value::Oid(i.oid)], Value::Text(def)));
                }
                for (k, c) in t.checks.iter().enumerate() {
                    table.push((
                        vec![Value::Oid(check_oid(t, k))],
                        Value::Text(deparse::check_def(&c.expr)),
                    ));
                }
            }
            let mut exprs = exprs;
            exprs.truncate(1);
            catalog_call(
                lookup("pg_get_constraintdef", table, Some(Value::Null)),
                exprs,
                DataType::Text,
            )
        }
        "pg_get_serial_sequence" if args.len() == 2 => {
            let mut table = Vec::new();
            for s in catalog.sequences.values() {
                let Some((tid, cid)) = s.owned_by else {
                    continue;
                };
                let Some(t) = catalog.tables.values().find(|t| t.id == tid) else {
                    continue;
                };
                let Some(c) = deparse::column_by_id(t, cid) else {
                    continue;
                };
                let seq = Value::Text(format!("public.{}", deparse::quote_ident(&s.name)));
                for tname in [t.name.clone(), format!("public.{}", t.name)] {
                    table.push((
                        vec![Value::Text(tname), Value::Text(c.name.clone())],
                        seq.clone(),
                    ));
                }
            }
            let mut exprs = exprs;
            for (i, e) in exprs.iter_mut().enumerate() {
                *e = binder.coerce(
                    e.clone(),
                    &arg_type(i),
                    &DataType::Text,
                    CastContext::Implicit,
                )?;
            }
            catalog_call(
                lookup("pg_get_serial_sequence", table, Some(Value::Null)),
                exprs,
                DataType::Text,
            )
        }
        "to_regclass" | "to_regtype" if args.len() == 1 => {
            let to = if name == "to_regclass" {
                DataType::RegClass
            } else {
                DataType::RegType
            };
            let x = binder.coerce(
                exprs[0].clone(),
                &arg_type(0),
                &DataType::Text,
                CastContext::Implicit,
            )?;
            match bind_cast(binder, &Expr::Param(usize::MAX), &DataType::Text, &to)? {
                Some(Expr::Catalog {
                    func: CatalogFn::Lookup { name, table, .. },
                    ..
                }) => {
                    let func = CatalogFn::Lookup {
                        name,
                        table,
                        default: Some(Value::Null),
                    };
                    (
                        Expr::Catalog {
                            func,
                            args: vec![x],
                        },
                        to,
                    )
                }
                _ => return Ok(None),
            }
        }
        _ => return Ok(None),
    }))
}
