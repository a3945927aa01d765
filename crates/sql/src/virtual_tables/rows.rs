//! The rows of the system tables, built from a catalog snapshot.

use rangedb_sqltypes::{DataType, Row, Value};

use super::deparse::{self, attnum};
use super::tables::*;
use crate::catalog::{Catalog, SequenceDesc, TableDesc};
use crate::plan::binder::SessionFacts;

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn oid(o: u32) -> Value {
    Value::Oid(o)
}

fn b(x: bool) -> Value {
    Value::Bool(x)
}

const NULL: Value = Value::Null;

/// A role: (oid, name, [super, inherit, createrole, createdb, login,
/// replication, bypassrls]).
pub(crate) type Role = (u32, String, [bool; 7]);

/// The OID of the session user's role, which owns every user object
/// (rangedb does not record owners).
pub(crate) fn user_oid(facts: &SessionFacts) -> u32 {
    if facts.user.is_empty() || facts.user == "postgres" {
        SUPERUSER_OID
    } else {
        USER_OID
    }
}

/// The roles: PostgreSQL's bootstrap superuser `postgres`, the owner role
/// of schema public and the session's user (a superuser that can log in).
pub(crate) fn roles(facts: &SessionFacts) -> Vec<Role> {
    let mut out = vec![
        (
            SUPERUSER_OID,
            "postgres".to_string(),
            [true, true, true, true, true, true, true],
        ),
        (
            DATABASE_OWNER_OID,
            "pg_database_owner".to_string(),
            [false, true, false, false, false, false, false],
        ),
    ];
    if user_oid(facts) == USER_OID {
        out.push((
            USER_OID,
            facts.user.clone(),
            [true, true, false, false, true, false, false],
        ));
    }
    out
}

fn byval(t: &DataType) -> bool {
    matches!(t.type_len(), 1 | 2 | 4 | 8)
}

fn align(t: &DataType) -> &'static str {
    match t.type_len() {
        1 | 64 => "c",
        2 => "s",
        8 => "d",
        16 if *t == DataType::Uuid => "c",
        16 => "d",
        _ => "i",
    }
}

fn storage(t: &DataType) -> &'static str {
    match t {
        DataType::Numeric(_) => "m",
        t if t.type_len() > 0 => "p",
        _ => "x",
    }
}

fn collation(t: &DataType) -> u32 {
    if t.is_string() {
        DEFAULT_COLLATION_OID
    } else {
        0
    }
}

/// A user table's primary key index columns (none for a hidden row id key).
pub(crate) fn primary_key_columns(t: &TableDesc) -> Option<Vec<(u32, bool)>> {
    if t.primary_key_name.is_empty() || t.has_hidden_key() {
        return None;
    }
    Some(t.primary_key.iter().map(|id| (*id, false)).collect())
}

/// Every index of a table: (oid, name, unique, primary, constraint, columns).
pub(crate) struct IndexInfo {
    pub oid: u32,
    pub name: String,
    pub unique: bool,
    pub primary: bool,
    pub constraint: bool,
    pub columns: Vec<(u32, bool)>,
}

pub(crate) fn indexes(t: &TableDesc) -> Vec<IndexInfo> {
    let mut out = Vec::new();
    if let Some(columns) = primary_key_columns(t) {
        out.push(IndexInfo {
            oid: t.primary_key_oid,
            name: t.primary_key_name.clone(),
            unique: true,
            primary: true,
            constraint: true,
            columns,
        });
    }
    for i in &t.indexes {
        out.push(IndexInfo {
            oid: i.oid,
            name: i.name.clone(),
            unique: i.unique,
            primary: false,
            constraint: i.constraint,
            columns: i
                .columns
                .iter()
                .copied()
                .zip(i.descending.iter().copied().chain(std::iter::repeat(false)))
                .collect(),
        });
    }
    out
}

/// The OID of a table's `k`-th CHECK constraint (constraints have no OID
/// in the descriptor; this one is stable while the table's checks are).
pub(crate) fn check_oid(t: &TableDesc, k: usize) -> u32 {
    3_000_000_000u32
        .wrapping_add(t.id.wrapping_mul(64))
        .wrapping_add(k as u32)
}

/// The OID of a column default's pg_attrdef row.
fn attrdef_oid(t: &TableDesc, attnum: i16) -> u32 {
    2_000_000_000u32
        .wrapping_add(t.id.wrapping_mul(1024))
        .wrapping_add(attnum as u32)
}

/// A sequence's pg_sequence.seqtypid: integer sequences of serial columns
/// have integer bounds.
fn sequence_type(s: &SequenceDesc) -> DataType {
    if s.max_value == i16::MAX as i64 {
        DataType::Int2
    } else if s.max_value == i32::MAX as i64 {
        DataType::Int4
    } else {
        DataType::Int8
    }
}

/// Every relation pg_class lists: (oid, name, namespace, kind, access
/// method, columns, table).
struct RelRow<'a> {
    oid: u32,
    name: String,
    namespace: u32,
    kind: &'static str,
    am: u32,
    natts: i16,
    table: Option<&'a TableDesc>,
}

fn relations(catalog: &Catalog) -> Vec<RelRow<'_>> {
    let mut rows = Vec::new();
    for t in catalog.tables.values() {
        rows.push(RelRow {
            oid: t.id,
            name: t.name.clone(),
            namespace: PUBLIC_OID,
            kind: "r",
            am: HEAP_AM_OID,
            natts: t.visible_columns().count() as i16,
            table: Some(t.as_ref()),
        });
        for i in indexes(t) {
            rows.push(RelRow {
                oid: i.oid,
                name: i.name.clone(),
                namespace: PUBLIC_OID,
                kind: "i",
                am: BTREE_AM_OID,
                natts: i.columns.len() as i16,
                table: None,
            });
        }
    }
    for s in catalog.sequences.values() {
        rows.push(RelRow {
            oid: s.id,
            name: s.name.clone(),
            namespace: PUBLIC_OID,
            kind: "S",
            am: 0,
            natts: 3,
            table: None,
        });
    }
    for (st, schema, name, o) in ALL {
        rows.push(RelRow {
            oid: *o,
            name: name.to_string(),
            namespace: if *schema == "pg_catalog" {
                PG_CATALOG_OID
            } else {
                INFORMATION_SCHEMA_OID
            },
            kind: if st.is_view() { "v" } else { "r" },
            am: if st.is_view() { 0 } else { HEAP_AM_OID },
            natts: st.spec().len() as i16,
            table: None,
        });
    }
    rows
}

fn attribute_row(
    relid: u32,
    name: &str,
    ty: &DataType,
    num: i16,
    notnull: bool,
    hasdef: bool,
) -> Row {
    let (type_oid, typmod, ndims) = match ty {
        DataType::Array(e) => (ty.oid(), e.type_modifier(), 1),
        t => (t.oid(), t.type_modifier(), 0),
    };
    vec![
        oid(relid),
        text(name),
        oid(type_oid),
        Value::Int4(-1),
        Value::Int2(ty.type_len()),
        Value::Int2(num),
        Value::Int4(ndims),
        Value::Int4(-1),
        Value::Int4(typmod),
        b(byval(ty)),
        text(align(ty)),
        text(storage(ty)),
        text(""),
        b(notnull),
        b(hasdef),
        b(false),
        text(""),
        text(""),
        b(false),
        b(true),
        Value::Int4(0),
        oid(collation(ty)),
        NULL,
        NULL,
        NULL,
        NULL,
    ]
}

fn type_row(t: &DataType) -> Row {
    let (typtype, category, elem, array) = match t {
        DataType::Array(e) => ("b", "A", e.oid(), 0),
        DataType::Unknown => ("p", "X", 0, 0),
        other => {
            let cat = match other {
                DataType::Bool => "B",
                DataType::Int2
                | DataType::Int4
                | DataType::Int8
                | DataType::Float4
                | DataType::Float8 => "N",
                DataType::Numeric(_) | DataType::Oid | DataType::RegClass | DataType::RegType => {
                    "N"
                }
                DataType::Text | DataType::Varchar(_) | DataType::Char(_) | DataType::Name => "S",
                DataType::Date | DataType::Time | DataType::Timestamp | DataType::TimestampTz => {
                    "D"
                }
                DataType::Interval => "T",
                _ => "U",
            };
            ("b", cat, 0, other.array_oid())
        }
    };
    let preferred = matches!(
        t,
        DataType::Bool
            | DataType::Text
            | DataType::Float8
            | DataType::Oid
            | DataType::TimestampTz
            | DataType::Interval
    );
    let len = if matches!(t, DataType::Array(_)) {
        -1
    } else {
        t.type_len()
    };
    let coll = match t {
        DataType::Array(e) => collation(e),
        other => collation(other),
    };
    vec![
        oid(t.oid()),
        text(&t.type_name()),
        oid(PG_CATALOG_OID),
        oid(SUPERUSER_OID),
        Value::Int2(len),
        b(matches!(len, 1 | 2 | 4 | 8)),
        text(typtype),
        text(category),
        b(preferred),
        b(true),
        text(","),
        oid(0),
        oid(0),
        oid(elem),
        oid(array),
        oid(0),
        oid(0),
        oid(0),
        oid(0),
        oid(0),
        oid(0),
        oid(0),
        text(if matches!(t, DataType::Array(_)) {
            "i"
        } else {
            align(t)
        }),
        text(if matches!(t, DataType::Array(_)) {
            "x"
        } else {
            storage(t)
        }),
        b(false),
        oid(0),
        Value::Int4(-1),
        Value::Int4(0),
        oid(coll),
        NULL,
        NULL,
        NULL,
    ]
}

fn info_type_facts(t: &DataType) -> [Value; 6] {
    // character_maximum_length, character_octet_length, numeric_precision,
    // numeric_precision_radix, numeric_scale, datetime_precision
    let i = Value::Int4;
    match t {
        DataType::Varchar(n) | DataType::Char(n) => [
            n.map(|n| i(n as i32)).unwrap_or(NULL),
            n.map(|n| i(n as i32 * 4)).unwrap_or(i(1_073_741_824)),
            NULL,
            NULL,
            NULL,
            NULL,
        ],
        DataType::Text => [NULL, i(1_073_741_824), NULL, NULL, NULL, NULL],
        DataType::Int2 => [NULL, NULL, i(16), i(2), i(0), NULL],
        DataType::Int4 => [NULL, NULL, i(32), i(2), i(0), NULL],
        DataType::Int8 => [NULL, NULL, i(64), i(2), i(0), NULL],
        DataType::Float4 => [NULL, NULL, i(24), i(2), NULL, NULL],
        DataType::Float8 => [NULL, NULL, i(53), i(2), NULL, NULL],
        DataType::Numeric(m) => [
            NULL,
            NULL,
            m.map(|(p, _)| i(p as i32)).unwrap_or(NULL),
            i(10),
            m.map(|(_, s)| i(s as i32)).unwrap_or(NULL),
            NULL,
        ],
        DataType::Date => [NULL, NULL, NULL, NULL, NULL, i(0)],
        DataType::Time | DataType::Timestamp | DataType::TimestampTz | DataType::Interval => {
            [NULL, NULL, NULL, NULL, NULL, i(6)]
        }
        _ => [NULL, NULL, NULL, NULL, NULL, NULL],
    }
}

/// information_schema's `data_type`: the SQL name without modifiers, arrays
/// as `ARRAY`.
fn info_data_type(t: &DataType) -> String {
    match t {
        DataType::Array(_) => "ARRAY".into(),
        other => other.without_modifier().sql_name(),
    }
}

impl SysTable {
    /// The rows, generated from `catalog`.
    pub fn generate(&self, catalog: &Catalog, facts: &SessionFacts) -> Vec<Row> {
        let user = facts.user.clone();
        let db = facts.database.clone();
        match self {
            SysTable::PgNamespace => vec![
                vec![
                    oid(PG_CATALOG_OID),
                    text("pg_catalog"),
                    oid(SUPERUSER_OID),
                    NULL,
                ],
                vec![
                    oid(PUBLIC_OID),
                    text("public"),
                    oid(DATABASE_OWNER_OID),
                    Value::Array(vec![
                        text("pg_database_owner=UC/pg_database_owner"),
                        text("=U/pg_database_owner"),
                    ]),
                ],
                vec![
                    oid(INFORMATION_SCHEMA_OID),
                    text("information_schema"),
                    oid(SUPERUSER_OID),
                    NULL,
                ],
            ],
            SysTable::PgClass => relations(catalog)
                .into_iter()
                .map(|r| {
                    let has_index = r.table.is_some_and(|t| !indexes(t).is_empty());
                    let checks = r.table.map(|t| t.checks.len()).unwrap_or(0);
                    vec![
                        oid(r.oid),
                        text(&r.name),
                        oid(r.namespace),
                        oid(0),
                        oid(0),
                        oid(if r.namespace == PUBLIC_OID {
                            user_oid(facts)
                        } else {
                            SUPERUSER_OID
                        }),
                        oid(r.am),
                        oid(r.oid),
                        oid(0),
                        Value::Int4(0),
                        Value::Float4(-1.0),
                        Value::Int4(0),
                        oid(0),
                        b(has_index),
                        b(false),
                        text("p"),
                        text(r.kind),
                        Value::Int2(r.natts),
                        Value::Int2(checks as i16),
                        b(false),
                        b(false),
                        b(false),
                        b(false),
                        b(false),
                        b(true),
                        text(if r.kind == "r" { "d" } else { "n" }),
                        b(false),
                        oid(0),
                        oid(0),
                        oid(0),
                        NULL,
                        NULL,
                        NULL,
                    ]
                })
                .collect(),
            SysTable::PgAttribute => {
                let mut rows = Vec::new();
                for t in catalog.tables.values() {
                    for (_, c) in t.visible_columns() {
                        let n = attnum(t, c.id).unwrap_or(0);
                        rows.push(attribute_row(
                            t.id,
                            &c.name,
                            &c.ty,
                            n,
                            !c.nullable,
                            c.default.is_some(),
                        ));
                    }
                    for i in indexes(t) {
                        for (k, (id, _)) in i.columns.iter().enumerate() {
                            if let Some(c) = deparse::column_by_id(t, *id) {
                                rows.push(attribute_row(
                                    i.oid,
                                    &c.name,
                                    &c.ty,
                                    k as i16 + 1,
                                    false,
                                    false,
                                ));
                            }
                        }
                    }
                }
                for s in catalog.sequences.values() {
                    rows.push(attribute_row(
                        s.id,
                        "last_value",
                        &DataType::Int8,
                        1,
                        true,
                        false,
                    ));
                    rows.push(attribute_row(
                        s.id,
                        "log_cnt",
                        &DataType::Int8,
                        2,
                        true,
                        false,
                    ));
                    rows.push(attribute_row(
                        s.id,
                        "is_called",
                        &DataType::Bool,
                        3,
                        true,
                        false,
                    ));
                }
                for (st, _, _, o) in ALL {
                    for (k, (name, ty)) in st.spec().iter().enumerate() {
                        rows.push(attribute_row(*o, name, ty, k as i16 + 1, false, false));
                    }
                }
                rows
            }
            SysTable::PgAttrdef => {
                let mut rows = Vec::new();
                for t in catalog.tables.values() {
                    for (_, c) in t.visible_columns() {
                        if c.default.is_some() {
                            let n = attnum(t, c.id).unwrap_or(0);
                            rows.push(vec![
                                oid(attrdef_oid(t, n)),
                                oid(t.id),
                                Value::Int2(n),
                                text(&deparse::default_expr(c)),
                            ]);
                        }
                    }
                }
                rows
            }
            SysTable::PgIndex => {
                let mut rows = Vec::new();
                for t in catalog.tables.values() {
                    for i in indexes(t) {
                        let n = i.columns.len() as i16;
                        let keys = i
                            .columns
                            .iter()
                            .map(|(id, _)| Value::Int2(attnum(t, *id).unwrap_or(0)))
                            .collect();
                        let options = i
                            .columns
                            .iter()
                            .map(|(_, d)| Value::Int2(if *d { 3 } else { 0 }))
                            .collect();
                        let colls = i
                            .columns
                            .iter()
                            .map(|(id, _)| {
                                oid(deparse::column_by_id(t, *id)
                                    .map(|c| collation(&c.ty))
                                    .unwrap_or(0))
                            })
                            .collect();
                        rows.push(vec![
                            oid(i.oid),
                            oid(t.id),
                            Value::Int2(n),
                            Value::Int2(n),
                            b(i.unique),
                            b(false),
                            b(i.primary),
                            b(false),
                            b(true),
                            b(false),
                            b(true),
                            b(false),
                            b(true),
                            b(true),
                            b(false),
                            Value::Array(keys),
                            Value::Array(colls),
                            Value::Array(vec![oid(0); n as usize]),
                            Value::Array(options),
                            NULL,
                            NULL,
                        ]);
                    }
                }
                rows
            }
            SysTable::PgConstraint => {
                let mut rows = Vec::new();
                let con = |o: u32,
                           name: &str,
                           kind: &str,
                           t: &TableDesc,
                           index: u32,
                           keys: Vec<Value>,
                           bin: Value| {
                    vec![
                        oid(o),
                        text(name),
                        oid(PUBLIC_OID),
                        text(kind),
                        b(false),
                        b(false),
                        b(true),
                        oid(t.id),
                        oid(0),
                        oid(index),
                        oid(0),
                        oid(0),
                        text(" "),
                        text(" "),
                        text(" "),
                        b(true),
                        Value::Int4(0),
                        b(false),
                        if keys.is_empty() {
                            NULL
                        } else {
                            Value::Array(keys)
                        },
                        NULL,
                        NULL,
                        NULL,
                        NULL,
                        NULL,
                        NULL,
                        bin,
                    ]
                };
                for t in catalog.tables.values() {
                    for i in indexes(t).into_iter().filter(|i| i.constraint) {
                        let keys = i
                            .columns
                            .iter()
                            .map(|(id, _)| Value::Int2(attnum(t, *id).unwrap_or(0)))
                            .collect();
                        rows.push(con(
                            i.oid,
                            &i.name,
                            if i.primary { "p" } else { "u" },
                            t.as_ref(),
                            i.oid,
                            keys,
                            NULL,
                        ));
                    }
                    for (k, c) in t.checks.iter().enumerate() {
                        rows.push(con(
                            check_oid(t, k),
                            &c.name,
                            "c",
                            t.as_ref(),
                            0,
                            vec![],
                            text(&c.expr),
                        ));
                    }
                }
                rows
            }
            SysTable::PgAm => vec![
                vec![oid(HEAP_AM_OID), text("heap"), oid(3), text("t")],
                vec![oid(BTREE_AM_OID), text("btree"), oid(330), text("i")],
            ],
            SysTable::PgType => {
                let mut rows = Vec::new();
                for t in DataType::scalar_types() {
                    rows.push(type_row(&t));
                    rows.push(type_row(&DataType::Array(Box::new(t))));
                }
                rows.push(type_row(&DataType::Unknown));
                rows
            }
            SysTable::PgDatabase => vec![vec![
                oid(5),
                text(&db),
                oid(SUPERUSER_OID),
                Value::Int4(6),
                text("c"),
                b(false),
                b(true),
                Value::Int4(-1),
                oid(0),
                oid(0),
                oid(1663),
                text("C"),
                text("C"),
                NULL,
                NULL,
                NULL,
            ]],
            SysTable::PgTablespace => vec![
                vec![
                    oid(1663),
                    text("pg_default"),
                    oid(SUPERUSER_OID),
                    NULL,
                    NULL,
                ],
                vec![oid(1664), text("pg_global"), oid(SUPERUSER_OID), NULL, NULL],
            ],
            SysTable::PgRoles => roles(facts)
                .into_iter()
                .map(|(o, name, f)| {
                    vec![
                        text(&name),
                        b(f[0]),
                        b(f[1]),
                        b(f[2]),
                        b(f[3]),
                        b(f[4]),
                        b(f[5]),
                        Value::Int4(-1),
                        text("********"),
                        NULL,
                        b(f[6]),
                        NULL,
                        oid(o),
                    ]
                })
                .collect(),
            SysTable::PgUser => roles(facts)
                .into_iter()
                .filter(|(_, _, f)| f[4])
                .map(|(o, name, f)| {
                    vec![
                        text(&name),
                        oid(o),
                        b(f[3]),
                        b(f[0]),
                        b(f[5]),
                        b(f[6]),
                        text("********"),
                        NULL,
                        NULL,
                    ]
                })
                .collect(),
            SysTable::PgAuthid => roles(facts)
                .into_iter()
                .map(|(o, name, f)| {
                    vec![
                        oid(o),
                        text(&name),
                        b(f[0]),
                        b(f[1]),
                        b(f[2]),
                        b(f[3]),
                        b(f[4]),
                        b(f[5]),
                        b(f[6]),
                        Value::Int4(-1),
                        NULL,
                        NULL,
                    ]
                })
                .collect(),
            SysTable::PgSequence => catalog
                .sequences
                .values()
                .map(|s| {
                    vec![
                        oid(s.id),
                        oid(sequence_type(s).oid()),
                        Value::Int8(s.start),
                        Value::Int8(s.increment),
                        Value::Int8(s.max_value),
                        Value::Int8(s.min_value),
                        Value::Int8(1),
                        b(s.cycle),
                    ]
                })
                .collect(),
            SysTable::PgSequences => catalog
                .sequences
                .values()
                .map(|s| {
                    vec![
                        text("public"),
                        text(&s.name),
                        text(&user),
                        oid(sequence_type(s).oid()),
                        Value::Int8(s.start),
                        Value::Int8(s.min_value),
                        Value::Int8(s.max_value),
                        Value::Int8(s.increment),
                        b(s.cycle),
                        Value::Int8(1),
                        NULL,
                    ]
                })
                .collect(),
            SysTable::PgDepend => {
                let mut rows = Vec::new();
                for s in catalog.sequences.values() {
                    let Some((table_id, column_id)) = s.owned_by else {
                        continue;
                    };
                    let Some(t) = catalog.tables.values().find(|t| t.id == table_id) else {
                        continue;
                    };
                    let n = attnum(t, column_id).unwrap_or(0);
                    rows.push(vec![
                        oid(1259),
                        oid(s.id),
                        Value::Int4(0),
                        oid(1259),
                        oid(t.id),
                        Value::Int4(n as i32),
                        text("a"),
                    ]);
                }
                for t in catalog.tables.values() {
                    for i in indexes(t) {
                        let kind = if i.constraint { "i" } else { "a" };
                        let (refclass, refobj) = if i.constraint {
                            (2606, i.oid)
                        } else {
                            (1259, t.id)
                        };
                        rows.push(vec![
                            oid(1259),
                            oid(i.oid),
                            Value::Int4(0),
                            oid(refclass),
                            oid(refobj),
                            Value::Int4(0),
                            text(kind),
                        ]);
                    }
                }
                rows
            }
            SysTable::PgSettings => {
                let mut rows: Vec<Row> = facts
                    .settings
                    .iter()
                    .map(|(k, v)| {
                        vec![
                            text(k),
                            text(v),
                            NULL,
                            NULL,
                            NULL,
                            NULL,
                            text("user"),
                            text("string"),
                            text("default"),
                            NULL,
                            NULL,
                            NULL,
                            text(v),
                            text(v),
                            NULL,
                            NULL,
                            b(false),
                        ]
                    })
                    .collect();
                rows.sort_by(|a, b| a[0].total_cmp(&b[0]));
                rows
            }
            SysTable::PgTables => catalog
                .tables
                .values()
                .map(|t| {
                    vec![
                        text("public"),
                        text(&t.name),
                        text(&user),
                        NULL,
                        b(!indexes(t).is_empty()),
                        b(false),
                        b(false),
                        b(false),
                    ]
                })
                .collect(),
            SysTable::PgIndexes => {
                let mut rows = Vec::new();
                for t in catalog.tables.values() {
                    for i in indexes(t) {
                        rows.push(vec![
                            text("public"),
                            text(&t.name),
                            text(&i.name),
                            NULL,
                            text(&deparse::index_def(t, &i.name, i.unique, &i.columns)),
                        ]);
                    }
                }
                rows
            }
            SysTable::InfoTables => {
                let mut rows: Vec<Row> = catalog
                    .tables
                    .values()
                    .map(|t| (t.name.as_str(), "public", "BASE TABLE"))
                    .chain(ALL.iter().map(|(st, s, n, _)| {
                        (*n, *s, if st.is_view() { "VIEW" } else { "BASE TABLE" })
                    }))
                    .map(|(name, schema, kind)| {
                        vec![
                            text(&db),
                            text(schema),
                            text(name),
                            text(kind),
                            NULL,
                            NULL,
                            NULL,
                            NULL,
                            NULL,
                            text(if kind == "VIEW" { "NO" } else { "YES" }),
                            text("NO"),
                            NULL,
                        ]
                    })
                    .collect();
                rows.sort_by(|a, b| a[1].total_cmp(&b[1]).then(a[2].total_cmp(&b[2])));
                rows
            }
            SysTable::InfoColumns => {
                let mut rows = Vec::new();
                for t in catalog.tables.values() {
                    for (_, c) in t.visible_columns() {
                        let n = attnum(t, c.id).unwrap_or(0);
                        let facts = info_type_facts(&c.ty);
                        let udt = match &c.ty {
                            DataType::Array(e) => format!("_{}", e.type_name()),
                            other => other.type_name(),
                        };
                        let mut row = vec![
                            text(&db),
                            text("public"),
                            text(&t.name),
                            text(&c.name),
                            Value::Int4(n as i32),
                            c.default
                                .as_ref()
                                .map(|_| text(&deparse::default_expr(c)))
                                .unwrap_or(NULL),
                            text(if c.nullable { "YES" } else { "NO" }),
                            text(&info_data_type(&c.ty)),
                        ];
                        row.extend(facts);
                        row.extend([NULL, NULL]); // interval_type, interval_precision
                        row.extend([NULL, NULL, NULL]); // character set
                        row.extend([NULL, NULL, NULL]); // collation
                        row.extend([NULL, NULL, NULL]); // domain
                        row.extend([text(&db), text("pg_catalog"), text(&udt)]);
                        row.extend([NULL, NULL, NULL, NULL]); // scope, maximum_cardinality
                        row.push(text(&n.to_string()));
                        row.push(text("NO"));
                        row.push(text("NO"));
                        row.extend([NULL, NULL, NULL, NULL, NULL, text("NO")]);
                        row.push(text("NEVER"));
                        row.push(NULL);
                        row.push(text("YES"));
                        rows.push(row);
                    }
                }
                rows
            }
            SysTable::InfoSchemata => ["information_schema", "pg_catalog", "public"]
                .iter()
                .map(|s| {
                    let owner = if *s == "public" {
                        "pg_database_owner".to_string()
                    } else {
                        user.clone()
                    };
                    vec![text(&db), text(s), text(&owner), NULL, NULL, NULL, NULL]
                })
                .collect(),
            SysTable::InfoSequences => catalog
                .sequences
                .values()
                .map(|s| {
                    let ty = sequence_type(s);
                    let bits = match ty {
                        DataType::Int2 => 16,
                        DataType::Int4 => 32,
                        _ => 64,
                    };
                    vec![
                        text(&db),
                        text("public"),
                        text(&s.name),
                        text(&ty.sql_name()),
                        Value::Int4(bits),
                        Value::Int4(2),
                        Value::Int4(0),
                        text(&s.start.to_string()),
                        text(&s.min_value.to_string()),
                        text(&s.max_value.to_string()),
                        text(&s.increment.to_string()),
                        text(if s.cycle { "YES" } else { "NO" }),
                    ]
                })
                .collect(),
            SysTable::InfoTableConstraints => {
                let mut rows = Vec::new();
                for t in catalog.tables.values() {
                    let mut push = |name: &str, kind: &str| {
                        rows.push(vec![
                            text(&db),
                            text("public"),
                            text(name),
                            text(&db),
                            text("public"),
                            text(&t.name),
                            text(kind),
                            text("NO"),
                            text("NO"),
                            text("YES"),
                            if kind == "UNIQUE" || kind == "PRIMARY KEY" {
                                text("YES")
                            } else {
                                NULL
                            },
                        ])
                    };
                    for i in indexes(t).into_iter().filter(|i| i.constraint) {
                        push(&i.name, if i.primary { "PRIMARY KEY" } else { "UNIQUE" });
                    }
                    for c in &t.checks {
                        push(&c.name, "CHECK");
                    }
                }
                rows
            }
            SysTable::InfoKeyColumnUsage => {
                let mut rows = Vec::new();
                for t in catalog.tables.values() {
                    for i in indexes(t).into_iter().filter(|i| i.constraint) {
                        for (k, (id, _)) in i.columns.iter().enumerate() {
                            let Some(c) = deparse::column_by_id(t, *id) else {
                                continue;
                            };
                            rows.push(vec![
                                text(&db),
                                text("public"),
                                text(&i.name),
                                text(&db),
                                text("public"),
                                text(&t.name),
                                text(&c.name),
                                Value::Int4(k as i32 + 1),
                                NULL,
                            ]);
                        }
                    }
                }
                rows
            }
            SysTable::PgRange
            | SysTable::PgProc
            | SysTable::PgAuthMembers
            | SysTable::PgDescription
            | SysTable::PgShdescription
            | SysTable::PgInherits
            | SysTable::PgCollation
            | SysTable::PgPolicy
            | SysTable::PgTrigger
            | SysTable::PgRewrite
            | SysTable::PgStatisticExt
            | SysTable::PgPublication
            | SysTable::PgPublicationRel
            | SysTable::PgPublicationNamespace
            | SysTable::PgExtension
            | SysTable::PgEnum => Vec::new(),
        }
    }
}
