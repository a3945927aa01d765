//! pg_catalog and information_schema as virtual tables built from the
//! catalog on each scan, so psql's meta-commands and drivers' type lookups
//! work without system tables in the keyspace; and set-returning functions
//! in FROM (`generate_series`, `unnest`), which are scanned the same way.
//!
//! * [`tables`]: the system tables' names, OIDs and columns.
//! * `rows`: their rows.
//! * [`functions`]: catalog functions (`format_type`, `pg_get_indexdef`,
//!   ...) and `::regclass` / `::regtype` casts, bound against the catalog.
//! * [`eval`]: run-time support (regular expressions, `ANY (array)`, array
//!   subscripts, lookups).
//! * `binder`: the binder's entry points for the SQL forms catalog queries
//!   use (`OPERATOR(pg_catalog.~)`, `COLLATE`, `ARRAY(subquery)`, ...).

mod binder;
pub mod deparse;
pub mod eval;
pub mod functions;
mod rows;
pub mod tables;
#[cfg(test)]
mod tests;

use rangedb_sqltypes::{DataType, Row, SqlError, Value};

use crate::exec::ExecCtx;
use crate::plan::Expr;
pub use tables::SysTable;

/// A set-returning function scanned in FROM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFn {
    /// `generate_series(start, stop [, step])` over integers.
    GenerateSeries,
    /// `unnest(array)`.
    Unnest,
}

/// A relation the binder finds outside the keyspace.
#[derive(Debug, Clone)]
pub enum VirtualTable {
    System(SysTable),
    Function {
        func: TableFn,
        args: Vec<Expr>,
        ty: DataType,
    },
}

/// The system table `schema.name` (`schema` None: pg_catalog is searched
/// implicitly, as PostgreSQL's search_path does).
pub fn lookup(schema: Option<&str>, name: &str) -> Option<VirtualTable> {
    let table = match schema {
        None => SysTable::find("pg_catalog", name),
        Some(s) => SysTable::find(s, name),
    };
    table.map(VirtualTable::System)
}

impl VirtualTable {
    /// The qualified name (EXPLAIN).
    pub fn name(&self) -> String {
        match self {
            VirtualTable::System(t) => format!("{}.{}", t.schema(), t.table_name()),
            VirtualTable::Function {
                func: TableFn::GenerateSeries,
                ..
            } => "generate_series".into(),
            VirtualTable::Function {
                func: TableFn::Unnest,
                ..
            } => "unnest".into(),
        }
    }

    /// Column names and types.
    pub fn columns(&self) -> Vec<(String, DataType)> {
        match self {
            VirtualTable::System(t) => t
                .spec()
                .iter()
                .map(|(n, t)| (n.to_string(), t.clone()))
                .collect(),
            VirtualTable::Function { .. } => vec![(self.name(), self.function_type())],
        }
    }

    fn function_type(&self) -> DataType {
        match self {
            VirtualTable::Function { ty, .. } => ty.clone(),
            VirtualTable::System(_) => DataType::Unknown,
        }
    }

    /// The rows, generated from the statement's catalog snapshot (system
    /// tables) or the arguments (functions).
    pub fn rows(&self, cx: &ExecCtx<'_>) -> Result<Vec<Row>, SqlError> {
        match self {
            VirtualTable::System(t) => Ok(t.generate(cx.catalog, cx.facts)),
            VirtualTable::Function { func, args, ty } => {
                let env = cx.env(&[]);
                let values = args
                    .iter()
                    .map(|a| a.eval(&[], &env))
                    .collect::<Result<Vec<_>, _>>()?;
                function_rows(*func, &values, ty)
            }
        }
    }
}

/// Rows of a set-returning function.
pub fn function_rows(func: TableFn, args: &[Value], ty: &DataType) -> Result<Vec<Row>, SqlError> {
    if args.iter().any(Value::is_null) {
        return Ok(Vec::new());
    }
    match func {
        TableFn::Unnest => match args.first() {
            Some(Value::Array(items)) => Ok(items.iter().map(|v| vec![v.clone()]).collect()),
            _ => Ok(Vec::new()),
        },
        TableFn::GenerateSeries => {
            let int = |i: usize| args.get(i).and_then(Value::as_i64);
            let (Some(start), Some(stop)) = (int(0), int(1)) else {
                return Ok(Vec::new());
            };
            let step = int(2).unwrap_or(1);
            if step == 0 {
                return Err(SqlError::new(
                    rangedb_sqltypes::SqlState::INVALID_PARAMETER_VALUE,
                    "step size cannot equal zero",
                ));
            }
            let mut rows = Vec::new();
            let mut i = start;
            while (step > 0 && i <= stop) || (step < 0 && i >= stop) {
                rows.push(vec![match ty {
                    DataType::Int8 => Value::Int8(i),
                    _ => Value::Int4(i as i32),
                }]);
                if rows.len() > 10_000_000 {
                    return Err(SqlError::unsupported(
                        "generate_series is limited to 10000000 rows",
                    ));
                }
                match i.checked_add(step) {
                    Some(n) => i = n,
                    None => break,
                }
            }
            Ok(rows)
        }
    }
}
