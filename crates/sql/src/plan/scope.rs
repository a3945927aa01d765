//! Name resolution: the columns visible at one level of a query.

use rangedb_sqltypes::{DataType, SqlError, SqlState};

/// One column visible in a FROM clause (or an operator's output).
#[derive(Debug, Clone)]
pub struct ScopeColumn {
    /// The table name or alias that qualifies it.
    pub table: Option<String>,
    pub name: String,
    pub ty: DataType,
    /// Left out of `*` and of `t.*` (hidden row ids).
    pub hidden: bool,
    /// A side's own copy of a column a USING join merged: left out of `*`
    /// and of unqualified lookup (which find the merged column), but named
    /// by `t.col` and included in `t.*`, as in PostgreSQL.
    pub merged: bool,
    /// Source table OID and attribute number, for RowDescription.
    pub table_oid: u32,
    pub column_id: i16,
    /// An untyped literal (`'2024-01-02'`, `NULL`) in a SELECT list: typed
    /// text here, but a UNION branch or an INSERT target of another type
    /// reads it as that type, as PostgreSQL resolves unknown literals.
    pub untyped: bool,
}

impl ScopeColumn {
    /// A column with no source table.
    pub fn computed(name: impl Into<String>, ty: DataType) -> ScopeColumn {
        ScopeColumn {
            table: None,
            name: name.into(),
            ty,
            hidden: false,
            merged: false,
            table_oid: 0,
            column_id: 0,
            untyped: false,
        }
    }
}

/// The columns of one query level, in row order.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub columns: Vec<ScopeColumn>,
}

impl Scope {
    /// Finds `qualifier.name` (or `name`): `Ok(None)` when absent, 42702 when
    /// an unqualified name matches columns of several tables.
    pub fn resolve(&self, qualifier: Option<&str>, name: &str) -> Result<Option<usize>, SqlError> {
        let mut found: Option<usize> = None;
        for (i, c) in self.columns.iter().enumerate() {
            if c.name != name {
                continue;
            }
            match qualifier {
                Some(q) => {
                    if c.table.as_deref() == Some(q) {
                        if found.is_some() {
                            return Err(ambiguous(name));
                        }
                        found = Some(i);
                    }
                }
                None => {
                    if (c.hidden || c.merged) && found.is_some() {
                        continue;
                    }
                    if let Some(prev) = found {
                        if self.columns[prev].hidden || self.columns[prev].merged {
                            found = Some(i);
                            continue;
                        }
                        if c.hidden || c.merged {
                            continue;
                        }
                        return Err(ambiguous(name));
                    }
                    found = Some(i);
                }
            }
        }
        Ok(found)
    }

    /// Whether some column is qualified by `table`.
    pub fn has_table(&self, table: &str) -> bool {
        self.columns
            .iter()
            .any(|c| c.table.as_deref() == Some(table))
    }

    /// Appends another scope's columns (a join's right side).
    pub fn concat(mut self, other: Scope) -> Scope {
        self.columns.extend(other.columns);
        self
    }
}

fn ambiguous(name: &str) -> SqlError {
    SqlError::new(
        SqlState::AMBIGUOUS_COLUMN,
        format!("column reference \"{name}\" is ambiguous"),
    )
}
