//! Row shapes of every system table against its column spec, and the
//! catalog functions over a small catalog.

use std::collections::HashMap;
use std::sync::Arc;

use rangedb_sqltypes::{DataType, EvalContext, Value};

use super::eval::{call, CatalogFn};
use super::tables::{SysTable, ALL};
use super::*;
use crate::catalog::{Catalog, CheckDesc, ColumnDesc, IndexDesc, SequenceDesc, TableDesc};
use crate::plan::binder::{Binder, SessionFacts};

fn col(
    id: u32,
    name: &str,
    ty: DataType,
    nullable: bool,
    default: Option<&str>,
    hidden: bool,
) -> ColumnDesc {
    ColumnDesc {
        id,
        name: name.into(),
        ty,
        nullable,
        default: default.map(str::to_string),
        hidden,
        missing: None,
    }
}

fn sample_catalog() -> Catalog {
    let t = TableDesc {
        id: 100,
        name: "t".into(),
        columns: vec![
            col(
                1,
                "id",
                DataType::Int4,
                false,
                Some("nextval('t_id_seq')"),
                false,
            ),
            col(2, "name", DataType::Varchar(Some(20)), false, None, false),
            col(
                3,
                "price",
                DataType::Numeric(Some((10, 2))),
                true,
                Some("0"),
                false,
            ),
        ],
        primary_key: vec![1],
        primary_key_name: "t_pkey".into(),
        primary_key_oid: 101,
        indexes: vec![IndexDesc {
            id: 2,
            oid: 102,
            name: "t_price_key".into(),
            columns: vec![3],
            descending: vec![true],
            unique: true,
            constraint: false,
        }],
        checks: vec![CheckDesc {
            name: "price_pos".into(),
            expr: "price >= 0".into(),
        }],
        next_column_id: 4,
        next_index_id: 3,
    };
    let u = TableDesc {
        id: 110,
        name: "u".into(),
        columns: vec![
            col(1, "rowid", DataType::Int8, false, None, true),
            col(2, "b", DataType::Text, true, None, false),
        ],
        primary_key: vec![1],
        primary_key_name: String::new(),
        primary_key_oid: 0,
        indexes: vec![IndexDesc {
            id: 2,
            oid: 111,
            name: "u_b_key".into(),
            columns: vec![2],
            descending: vec![false],
            unique: true,
            constraint: true,
        }],
        checks: vec![],
        next_column_id: 3,
        next_index_id: 3,
    };
    let s = SequenceDesc {
        id: 103,
        name: "t_id_seq".into(),
        start: 1,
        increment: 1,
        min_value: 1,
        max_value: i32::MAX as i64,
        cycle: false,
        owned_by: Some((100, 1)),
    };
    let mut c = Catalog::default();
    c.tables.insert("t".into(), Arc::new(t));
    c.tables.insert("u".into(), Arc::new(u));
    c.sequences.insert("t_id_seq".into(), Arc::new(s));
    c
}

fn facts() -> SessionFacts {
    SessionFacts {
        user: "root".into(),
        database: "postgres".into(),
        settings: HashMap::from([("server_version".to_string(), "15.0".to_string())]),
    }
}

fn fits(v: &Value, t: &DataType) -> bool {
    match (v, t) {
        (Value::Null, _) => true,
        (Value::Text(_), t) => t.is_string(),
        (Value::Oid(_), DataType::Oid | DataType::RegClass | DataType::RegType) => true,
        (Value::Bool(_), DataType::Bool) => true,
        (Value::Int2(_), DataType::Int2) => true,
        (Value::Int4(_), DataType::Int4) => true,
        (Value::Int8(_), DataType::Int8) => true,
        (Value::Float4(_), DataType::Float4) => true,
        (Value::Array(items), DataType::Array(elem)) => items.iter().all(|i| fits(i, elem)),
        _ => false,
    }
}

#[test]
fn every_row_matches_its_column_spec() {
    let catalog = sample_catalog();
    for (table, schema, name, _) in ALL {
        let spec = table.spec();
        let rows = table.generate(&catalog, &facts());
        for row in &rows {
            assert_eq!(row.len(), spec.len(), "{schema}.{name}: row {row:?}");
            for (v, (col, ty)) in row.iter().zip(&spec) {
                assert!(fits(v, ty), "{schema}.{name}.{col}: {v:?} is not a {ty:?}");
            }
        }
        let mut names: Vec<_> = spec.iter().map(|(n, _)| *n).collect();
        names.sort();
        names.dedup();
        assert_eq!(
            names.len(),
            spec.len(),
            "{schema}.{name} has duplicate columns"
        );
    }
}

#[test]
fn lookup_finds_system_tables_by_schema() {
    assert!(matches!(
        lookup(None, "pg_class"),
        Some(VirtualTable::System(SysTable::PgClass))
    ));
    assert!(matches!(
        lookup(Some("pg_catalog"), "pg_index"),
        Some(VirtualTable::System(SysTable::PgIndex))
    ));
    assert!(matches!(
        lookup(Some("information_schema"), "tables"),
        Some(VirtualTable::System(SysTable::InfoTables))
    ));
    assert!(lookup(None, "tables").is_none());
    assert!(lookup(Some("public"), "pg_class").is_none());
    let mut oids: Vec<u32> = ALL.iter().map(|(.., o)| *o).collect();
    oids.sort();
    oids.dedup();
    assert_eq!(oids.len(), ALL.len());
}

#[test]
fn pg_class_lists_tables_indexes_and_sequences() {
    let catalog = sample_catalog();
    let rows = SysTable::PgClass.generate(&catalog, &facts());
    let kind = |name: &str| {
        rows.iter()
            .find(|r| r[1] == Value::Text(name.into()))
            .map(|r| r[16].clone())
    };
    assert_eq!(kind("t"), Some(Value::Text("r".into())));
    assert_eq!(kind("t_pkey"), Some(Value::Text("i".into())));
    assert_eq!(kind("u_b_key"), Some(Value::Text("i".into())));
    assert_eq!(kind("t_id_seq"), Some(Value::Text("S".into())));
    assert_eq!(kind("pg_class"), Some(Value::Text("r".into())));
    // The hidden row id key of u has no index.
    assert!(kind("u_pkey").is_none());
}

#[test]
fn attributes_number_visible_columns() {
    let catalog = sample_catalog();
    let rows = SysTable::PgAttribute.generate(&catalog, &facts());
    let u: Vec<_> = rows.iter().filter(|r| r[0] == Value::Oid(110)).collect();
    assert_eq!(u.len(), 1);
    assert_eq!(u[0][1], Value::Text("b".into()));
    assert_eq!(u[0][5], Value::Int2(1));
    let name = rows
        .iter()
        .find(|r| r[0] == Value::Oid(100) && r[1] == Value::Text("name".into()))
        .unwrap();
    assert_eq!(name[8], Value::Int4(24));
}

#[test]
fn catalog_functions_bind_against_the_catalog() {
    let catalog = sample_catalog();
    let facts = facts();
    let ctx = EvalContext::default();
    let mut binder = Binder::new(&catalog, &facts, &ctx, vec![]);
    let oid = |o: u32| (Expr::Const(Value::Oid(o)), DataType::Oid);
    let eval = |e: &Expr| {
        let env = crate::plan::Env {
            params: &[],
            outer: &[],
            slots: &[],
            ctx: &ctx,
        };
        e.eval(&[], &env).unwrap()
    };
    let (e, _) = functions::bind(
        &mut binder,
        "pg_get_indexdef",
        &[oid(102), (Expr::Const(Value::Int4(0)), DataType::Int4)],
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        eval(&e),
        Value::Text("CREATE UNIQUE INDEX t_price_key ON public.t USING btree (price DESC)".into())
    );
    let (e, _) = functions::bind(
        &mut binder,
        "pg_get_indexdef",
        &[oid(101), (Expr::Const(Value::Int4(1)), DataType::Int4)],
    )
    .unwrap()
    .unwrap();
    assert_eq!(eval(&e), Value::Text("id".into()));
    let (e, _) = functions::bind(&mut binder, "pg_get_constraintdef", &[oid(111)])
        .unwrap()
        .unwrap();
    assert_eq!(eval(&e), Value::Text("UNIQUE (b)".into()));
    let (e, _) = functions::bind(&mut binder, "pg_get_userbyid", &[oid(6171)])
        .unwrap()
        .unwrap();
    assert_eq!(eval(&e), Value::Text("pg_database_owner".into()));
    let (e, _) = functions::bind(
        &mut binder,
        "format_type",
        &[oid(1043), (Expr::Const(Value::Int4(24)), DataType::Int4)],
    )
    .unwrap()
    .unwrap();
    assert_eq!(eval(&e), Value::Text("character varying(20)".into()));
    assert!(functions::bind(&mut binder, "lower", &[])
        .unwrap()
        .is_none());
}

#[test]
fn regclass_and_regtype_casts() {
    let catalog = sample_catalog();
    let facts = facts();
    let ctx = EvalContext::default();
    let mut binder = Binder::new(&catalog, &facts, &ctx, vec![]);
    let text = |s: &str| Expr::Const(Value::Text(s.into()));
    let cast = |b: &mut Binder<'_>, e: Expr, from: DataType, to: DataType| {
        functions::bind_cast(b, &e, &from, &to).unwrap()
    };
    assert_eq!(
        cast(
            &mut binder,
            text("t"),
            DataType::Unknown,
            DataType::RegClass
        ),
        Some(Expr::Const(Value::Oid(100)))
    );
    assert_eq!(
        cast(
            &mut binder,
            text("pg_catalog.pg_class"),
            DataType::Unknown,
            DataType::RegClass
        ),
        Some(Expr::Const(Value::Oid(1259)))
    );
    assert!(functions::bind_cast(
        &mut binder,
        &text("nope"),
        &DataType::Unknown,
        &DataType::RegClass
    )
    .is_err());
    assert_eq!(
        cast(
            &mut binder,
            text("int4"),
            DataType::Unknown,
            DataType::RegType
        ),
        Some(Expr::Const(Value::Oid(23)))
    );
    assert_eq!(
        cast(
            &mut binder,
            text("text[]"),
            DataType::Unknown,
            DataType::RegType
        ),
        Some(Expr::Const(Value::Oid(1009)))
    );
    assert_eq!(
        cast(
            &mut binder,
            text("character varying"),
            DataType::Unknown,
            DataType::RegType
        ),
        Some(Expr::Const(Value::Oid(1043)))
    );
    let out = cast(
        &mut binder,
        Expr::Const(Value::Oid(100)),
        DataType::RegClass,
        DataType::Text,
    )
    .unwrap();
    let env = crate::plan::Env {
        params: &[],
        outer: &[],
        slots: &[],
        ctx: &ctx,
    };
    assert_eq!(out.eval(&[], &env).unwrap(), Value::Text("t".into()));
}

#[test]
fn set_returning_functions() {
    let rows = function_rows(
        TableFn::GenerateSeries,
        &[Value::Int4(0), Value::Int4(2)],
        &DataType::Int4,
    )
    .unwrap();
    assert_eq!(
        rows,
        vec![
            vec![Value::Int4(0)],
            vec![Value::Int4(1)],
            vec![Value::Int4(2)]
        ]
    );
    let rows = function_rows(
        TableFn::GenerateSeries,
        &[Value::Int4(0), Value::Null],
        &DataType::Int4,
    )
    .unwrap();
    assert!(rows.is_empty());
    let arr = Value::Array(vec![Value::Text("a".into()), Value::Text("b".into())]);
    let rows = function_rows(TableFn::Unnest, &[arr], &DataType::Text).unwrap();
    assert_eq!(rows.len(), 2);
    let lookup_fn = CatalogFn::Lookup {
        name: "x",
        table: Arc::new(vec![]),
        default: None,
    };
    assert!(call(&lookup_fn, &[Value::Int4(1)], &EvalContext::default()).is_err());
}
