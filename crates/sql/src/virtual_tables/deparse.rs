//! SQL text PostgreSQL's `pg_get_indexdef`, `pg_get_constraintdef` and
//! `pg_get_expr` print for rangedb's catalog objects.

use crate::catalog::{ColumnDesc, TableDesc};

/// Keywords that must be quoted as column names (PostgreSQL's reserved
/// keywords, the common part of them).
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "constraint",
    "create",
    "current_catalog",
    "current_date",
    "current_role",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "from",
    "grant",
    "group",
    "having",
    "in",
    "initially",
    "intersect",
    "into",
    "lateral",
    "leading",
    "limit",
    "localtime",
    "localtimestamp",
    "not",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "placing",
    "primary",
    "references",
    "returning",
    "select",
    "session_user",
    "some",
    "symmetric",
    "table",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "when",
    "where",
    "window",
    "with",
];

/// PostgreSQL's `quote_ident`: the name bare when it can be, else quoted.
pub fn quote_ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if plain && !RESERVED.contains(&name) {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// The table's column with id `id`.
pub fn column_by_id(t: &TableDesc, id: u32) -> Option<&ColumnDesc> {
    t.columns.iter().find(|c| c.id == id)
}

/// pg_attribute.attnum of column `id`: its position among the columns
/// clients see (the hidden row id has none).
pub fn attnum(t: &TableDesc, id: u32) -> Option<i16> {
    t.columns
        .iter()
        .filter(|c| !c.hidden)
        .position(|c| c.id == id)
        .map(|p| p as i16 + 1)
}

fn column_list(t: &TableDesc, cols: &[(u32, bool)], with_order: bool) -> String {
    cols.iter()
        .map(|(id, desc)| {
            let name = column_by_id(t, *id)
                .map(|c| quote_ident(&c.name))
                .unwrap_or_else(|| "?".into());
            if *desc && with_order {
                format!("{name} DESC")
            } else {
                name
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `pg_get_indexdef(index)`.
pub fn index_def(t: &TableDesc, name: &str, unique: bool, cols: &[(u32, bool)]) -> String {
    format!(
        "CREATE {}INDEX {} ON public.{} USING btree ({})",
        if unique { "UNIQUE " } else { "" },
        quote_ident(name),
        quote_ident(&t.name),
        column_list(t, cols, true)
    )
}

/// `pg_get_constraintdef` of a primary key or unique constraint.
pub fn key_constraint_def(t: &TableDesc, primary: bool, cols: &[(u32, bool)]) -> String {
    format!(
        "{} ({})",
        if primary { "PRIMARY KEY" } else { "UNIQUE" },
        column_list(t, cols, false)
    )
}

/// `pg_get_constraintdef` of a CHECK constraint.
pub fn check_def(expr: &str) -> String {
    format!("CHECK ({expr})")
}

/// `pg_get_expr(adbin)` of a column default, in PostgreSQL's spelling:
/// `nextval('s'::regclass)`, string literals with their type.
pub fn default_expr(c: &ColumnDesc) -> String {
    let d = c.default.clone().unwrap_or_default();
    if let Some(rest) = d.strip_prefix("nextval('") {
        if let Some(seq) = rest.strip_suffix("')") {
            if !seq.contains('\'') {
                return format!("nextval('{seq}'::regclass)");
            }
        }
    }
    let quoted_literal = d.len() >= 2
        && d.starts_with('\'')
        && d.ends_with('\'')
        && !d[1..d.len() - 1].replace("''", "").contains('\'');
    if quoted_literal {
        return format!("{d}::{}", c.ty.without_modifier().sql_name());
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use rangedb_sqltypes::DataType;

    fn col(id: u32, name: &str, ty: DataType, default: Option<&str>) -> ColumnDesc {
        ColumnDesc {
            id,
            name: name.into(),
            ty,
            nullable: true,
            default: default.map(str::to_string),
            hidden: false,
            missing: None,
        }
    }

    #[test]
    fn identifiers_are_quoted_like_postgres() {
        assert_eq!(quote_ident("price"), "price");
        assert_eq!(quote_ident("Price"), "\"Price\"");
        assert_eq!(quote_ident("user"), "\"user\"");
        assert_eq!(quote_ident("a b"), "\"a b\"");
    }

    #[test]
    fn defaults_are_spelled_like_postgres() {
        let c = col(1, "id", DataType::Int4, Some("nextval('t_id_seq')"));
        assert_eq!(default_expr(&c), "nextval('t_id_seq'::regclass)");
        let c = col(2, "s", DataType::Varchar(Some(3)), Some("'ab'"));
        assert_eq!(default_expr(&c), "'ab'::character varying");
        let c = col(3, "n", DataType::Int4, Some("0"));
        assert_eq!(default_expr(&c), "0");
    }

    #[test]
    fn index_definitions() {
        let t = TableDesc {
            id: 100,
            name: "t".into(),
            columns: vec![
                col(1, "id", DataType::Int4, None),
                col(2, "price", DataType::Numeric(None), None),
            ],
            primary_key: vec![1],
            primary_key_name: "t_pkey".into(),
            primary_key_oid: 101,
            indexes: vec![],
            checks: vec![],
            next_column_id: 3,
            next_index_id: 2,
        };
        assert_eq!(
            index_def(&t, "t_price_key", true, &[(2, true)]),
            "CREATE UNIQUE INDEX t_price_key ON public.t USING btree (price DESC)"
        );
        assert_eq!(
            key_constraint_def(&t, true, &[(1, false)]),
            "PRIMARY KEY (id)"
        );
        assert_eq!(attnum(&t, 2), Some(2));
    }
}
