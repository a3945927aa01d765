//! Scan filters evaluated in the ranges, next to the data.
//!
//! A full or range scan of a table's rows sends its WHERE predicate with
//! each chunk request as a [`FilterProgram`]: the table's descriptor (to
//! decode rows), the bound expression, the statement's parameters and the
//! session facts evaluation depends on. The KV layer treats it as opaque
//! bytes and hands it to the [`SqlRowFilter`] the node registered, which
//! drops the rows that certainly do not match before they cross the
//! network. The scan evaluates the predicate again on what it receives
//! (the transaction's own uncommitted writes are merged in on the SQL node,
//! unfiltered), so a program that fails to run in a range, or a row whose
//! evaluation errs there, is simply kept: errors surface on the SQL node,
//! exactly as without pushdown.
//!
//! Only predicates that depend on nothing but the row go: no correlated
//! columns, subquery results, catalog functions, or functions that are not
//! immutable (`now()`, `random()`).

use chrono::{DateTime, Utc};
use rangedb_common::{RowFilter, RowPredicate};
use rangedb_sqltypes::{EvalContext, Value};
use serde::{Deserialize, Serialize};

use crate::catalog::TableDesc;
use crate::plan::{Env, Expr};
use crate::rows::decode_table_row;

/// What a range needs to evaluate a scan's filter.
#[derive(Debug, Serialize, Deserialize)]
struct FilterProgram {
    table: TableDesc,
    filter: Expr,
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

/// The program for `filter` over `table`'s rows, or `None` when the filter
/// cannot run in a range.
pub fn encode(
    table: &TableDesc,
    filter: &Expr,
    params: &[Value],
    ctx: &EvalContext,
) -> Option<Vec<u8>> {
    if !pushable(filter) {
        return None;
    }
    let program = FilterProgram {
        table: table.clone(),
        filter: filter.clone(),
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
    filter: Expr,
    params: Vec<Value>,
    ctx: EvalContext,
}

impl RowPredicate for PreparedFilter {
    fn keep(&mut self, _key: &[u8], value: &[u8]) -> bool {
        let Ok(row) = decode_table_row(&self.table, value) else {
            return true;
        };
        let env = Env {
            params: &self.params,
            outer: &[],
            slots: &[],
            ctx: &self.ctx,
        };
        match self.filter.eval(&row, &env) {
            Ok(Value::Bool(b)) => b,
            Ok(Value::Null) => false,
            // Not boolean, or an error: the SQL node reports it.
            _ => true,
        }
    }
}
