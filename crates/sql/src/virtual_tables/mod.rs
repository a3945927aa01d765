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
    /// `jsonb_array_elements(j)`: `value jsonb` per element.
    JsonbArrayElements,
    /// `jsonb_array_elements_text(j)`: `value text` per element.
    JsonbArrayElementsText,
    /// `jsonb_each(j)`: `key text, value jsonb` per object member.
    JsonbEach,
    /// `jsonb_each_text(j)`: `key text, value text` per object member.
    JsonbEachText,
    /// `jsonb_object_keys(j)`: one text row per key.
    JsonbObjectKeys,
}

impl TableFn {
    /// The function's name as SQL spells it.
    pub fn name(self) -> &'static str {
        match self {
            TableFn::GenerateSeries => "generate_series",
            TableFn::Unnest => "unnest",
            TableFn::JsonbArrayElements => "jsonb_array_elements",
            TableFn::JsonbArrayElementsText => "jsonb_array_elements_text",
            TableFn::JsonbEach => "jsonb_each",
            TableFn::JsonbEachText => "jsonb_each_text",
            TableFn::JsonbObjectKeys => "jsonb_object_keys",
        }
    }

    /// The function from its name, if it is a table function.
    pub fn from_name(name: &str) -> Option<TableFn> {
        Some(match name {
            "generate_series" => TableFn::GenerateSeries,
            "unnest" => TableFn::Unnest,
            "jsonb_array_elements" => TableFn::JsonbArrayElements,
            "jsonb_array_elements_text" => TableFn::JsonbArrayElementsText,
            "jsonb_each" => TableFn::JsonbEach,
            "jsonb_each_text" => TableFn::JsonbEachText,
            "jsonb_object_keys" => TableFn::JsonbObjectKeys,
            _ => return None,
        })
    }

    /// Output columns for a function whose (first) value column has type
    /// `ty`: PostgreSQL's column names (`value`, `key`), or the function's
    /// own name for single-column functions without OUT parameters.
    pub fn columns(self, ty: &DataType) -> Vec<(String, DataType)> {
        match self {
            TableFn::GenerateSeries | TableFn::Unnest | TableFn::JsonbObjectKeys => {
                vec![(self.name().to_string(), ty.clone())]
            }
            TableFn::JsonbArrayElements => vec![("value".into(), DataType::Jsonb)],
            TableFn::JsonbArrayElementsText => vec![("value".into(), DataType::Text)],
            TableFn::JsonbEach => vec![
                ("key".into(), DataType::Text),
                ("value".into(), DataType::Jsonb),
            ],
            TableFn::JsonbEachText => vec![
                ("key".into(), DataType::Text),
                ("value".into(), DataType::Text),
            ],
        }
    }
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
            VirtualTable::Function { func, .. } => func.name().into(),
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
            VirtualTable::Function { func, ty, .. } => func.columns(ty),
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
        TableFn::JsonbArrayElements
        | TableFn::JsonbArrayElementsText
        | TableFn::JsonbEach
        | TableFn::JsonbEachText
        | TableFn::JsonbObjectKeys => json_rows(func, args.first()),
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

/// The jsonb table functions' rows, with PostgreSQL's errors for a value of
/// the wrong kind.
fn json_rows(func: TableFn, arg: Option<&Value>) -> Result<Vec<Row>, SqlError> {
    use serde_json::Value as J;
    let Some(Value::Jsonb(j)) = arg else {
        return Ok(Vec::new());
    };
    let kind = |j: &J| match j {
        J::Object(_) => "an object",
        J::Array(_) => "an array",
        _ => "a scalar",
    };
    let invalid = |message: String| {
        SqlError::new(rangedb_sqltypes::SqlState::INVALID_PARAMETER_VALUE, message)
    };
    // jsonb keeps object keys shortest first, then bytewise.
    let members = |m: &serde_json::Map<String, J>| {
        let mut pairs: Vec<(String, J)> = m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        pairs.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then_with(|| a.0.cmp(&b.0)));
        pairs
    };
    let as_text = |v: &J| match v {
        J::Null => Value::Null,
        J::String(s) => Value::Text(s.clone()),
        other => Value::Text(rangedb_sqltypes::text::json::format_jsonb(other)),
    };
    match func {
        TableFn::JsonbArrayElements | TableFn::JsonbArrayElementsText => {
            let J::Array(items) = j else {
                return Err(invalid(format!("cannot extract elements from {}", kind(j))));
            };
            Ok(items
                .iter()
                .map(|v| match func {
                    TableFn::JsonbArrayElements => vec![Value::Jsonb(v.clone())],
                    _ => vec![as_text(v)],
                })
                .collect())
        }
        TableFn::JsonbEach | TableFn::JsonbEachText => {
            let J::Object(m) = j else {
                return Err(invalid(format!(
                    "cannot call {} on a non-object",
                    func.name()
                )));
            };
            Ok(members(m)
                .into_iter()
                .map(|(k, v)| {
                    let value = match func {
                        TableFn::JsonbEach => Value::Jsonb(v),
                        _ => as_text(&v),
                    };
                    vec![Value::Text(k), value]
                })
                .collect())
        }
        _ => {
            let J::Object(m) = j else {
                return Err(invalid(format!(
                    "cannot call jsonb_object_keys on {}",
                    kind(j)
                )));
            };
            Ok(members(m)
                .into_iter()
                .map(|(k, _)| vec![Value::Text(k)])
                .collect())
        }
    }
}
