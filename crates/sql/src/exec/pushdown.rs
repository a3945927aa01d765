//! Scan filters and projections evaluated in the ranges, next to the data.
//!
//! A full or range scan of a table's rows sends its WHERE predicate, and
//! the columns the query above it uses, with each chunk request as a
//! [`FilterProgram`]: the table's descriptor (to decode rows), the bound
//! expression, the statement's parameters, the session facts evaluation
//! depends on, and the column ids to keep. The KV layer treats it as opaque
//! bytes and hands it to the [`SqlRowFilter`] the node registered, which
//! drops the rows that certainly do not match, and the columns nobody
//! reads, before they cross the network (a dropped column decodes as NULL
//! on the SQL node, where nothing reads it). The scan evaluates the predicate again on what it receives
//! (the transaction's own uncommitted writes are merged in on the SQL node,
//! unfiltered), so a program that fails to run in a range, or a row whose
//! evaluation errs there, is simply kept: errors surface on the SQL node,
//! exactly as without pushdown.
//!
//! Only predicates that depend on nothing but the row go: no correlated
//! columns, subquery results, catalog functions, or functions that are not
//! immutable (`now()`, `random()`).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use rangedb_common::{RowFilter, RowPredicate};
use rangedb_sqltypes::{EvalContext, Value};
use serde::{Deserialize, Serialize};

use crate::catalog::TableDesc;
use crate::plan::{Env, Expr};
use crate::rowcodec::{decode_row, encode_row};
use crate::rows::decode_table_row;

/// What a range needs to evaluate a scan's filter.
#[derive(Debug, Serialize, Deserialize)]
struct FilterProgram {
    table: TableDesc,
    filter: Option<Expr>,
    /// Column ids to return (`None`: the whole row).
    columns: Option<BTreeSet<u32>>,
    params: Vec<Value>,
    timezone: String,
    transaction_start: DateTime<Utc>,
    extra_float_digits: i32,
}

/// Whether `expr` depends on nothing but the row, the parameters and the
/// session's settings, so a range can evaluate it.
pub fn pushable(expr: &Expr) -> bool {
    let mut ok = true;
    expr.walk(&mut |e| {
        ok &= match e {
            Expr::Outer { .. }
            | Expr::Slot(_)
            | Expr::InSlot { .. }
            | Expr::Quantified { .. }
            | Expr::Catalog { .. } => false,
            Expr::Function { signature, .. } => signature.immutable,
            _ => true,
        };
    });
    ok
}

/// The program for a scan of `table`'s rows: `filter` if a range can
/// evaluate it, and the projection onto `columns` (positions in the table's
/// columns; the filter's own columns are kept too, since the scan evaluates
/// it again). `None` when there is nothing to send.
pub fn encode(
    table: &TableDesc,
    filter: Option<&Expr>,
    columns: Option<&BTreeSet<usize>>,
    params: &[Value],
    ctx: &EvalContext,
) -> Option<Vec<u8>> {
    let columns = columns.map(|c| {
        let mut c = c.clone();
        c.extend(filter.iter().flat_map(|f| f.columns_used()));
        c.iter()
            .filter_map(|&i| table.columns.get(i).map(|col| col.id))
            .collect::<BTreeSet<u32>>()
    });
    let filter = filter.filter(|f| pushable(f)).cloned();
    if filter.is_none() && columns.is_none() {
        return None;
    }
    let program = FilterProgram {
        table: table.clone(),
        filter,
        columns,
        params: params.to_vec(),
        timezone: ctx.timezone.name().to_string(),
        transaction_start: ctx.transaction_start,
        extra_float_digits: ctx.extra_float_digits,
    };
    serde_json::to_vec(&program).ok()
}

/// The SQL layer's evaluator of filter programs, registered with the KV
/// store by the node.
#[derive(Debug, Default)]
pub struct SqlRowFilter;

impl RowFilter for SqlRowFilter {
    fn prepare(&self, program: &[u8]) -> Option<Box<dyn RowPredicate>> {
        let p: FilterProgram = serde_json::from_slice(program).ok()?;
        let timezone = p.timezone.parse().ok()?;
        Some(Box::new(PreparedFilter {
            table: p.table,
            filter: p.filter,
            columns: p.columns,
            params: p.params,
            ctx: EvalContext {
                timezone,
                transaction_start: p.transaction_start,
                extra_float_digits: p.extra_float_digits,
            },
        }))
    }
}

struct PreparedFilter {
    table: TableDesc,
    filter: Option<Expr>,
    columns: Option<BTreeSet<u32>>,
    params: Vec<Value>,
    ctx: EvalContext,
}

impl PreparedFilter {
    /// Whether the row may match (errors and non-booleans keep it: the SQL
    /// node reports them).
    fn matches(&self, value: &[u8]) -> bool {
        let Some(filter) = &self.filter else {
            return true;
        };
        let Ok(row) = decode_table_row(&self.table, value) else {
            return true;
        };
        let env = Env {
            params: &self.params,
            outer: &[],
            slots: &[],
            ctx: &self.ctx,
        };
        // A panic in evaluation (an engine bug) must not take down the
        // range's RPC and leave the scan waiting for a timeout: the row is
        // kept, and the SQL node's own evaluation reports the failure.
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| filter.eval(&row, &env)));
        match result {
            Ok(Ok(Value::Bool(b))) => b,
            Ok(Ok(Value::Null)) => false,
            _ => true,
        }
    }
}

impl RowPredicate for PreparedFilter {
    fn process(&mut self, _key: &[u8], value: Vec<u8>) -> Option<Vec<u8>> {
        if !self.matches(&value) {
            return None;
        }
        let Some(keep) = &self.columns else {
            return Some(value);
        };
        match decode_row(&value) {
            Ok(pairs) => {
                metrics::counter!("rangedb_sql_scan_rows_projected_in_ranges_total").increment(1);
                Some(encode_row(
                    pairs
                        .iter()
                        .filter(|(id, _)| keep.contains(id))
                        .map(|(id, v)| (*id, v)),
                ))
            }
            Err(_) => Some(value),
        }
    }
}
