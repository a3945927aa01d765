//! Plan execution: a pull-based (Volcano) operator tree. Scans fetch in
//! bounded chunks and filter next to the fetch, so rows flow through
//! filters, projections and limits without the table being held in memory;
//! only operators that must see every input row (sort, aggregate, the build
//! side of a join, set differences) materialise.
//!
//! * [`scan`]: table access (point gets, ranges, indexes, full scans).
//! * [`relational`]: filter, project, limit, distinct, sort, values, set ops.
//! * [`aggregate`]: grouping and aggregate functions.
//! * [`join`]: hash and nested-loop joins.
//! * [`slots`]: subqueries and sequence calls computed before evaluation.

pub mod aggregate;
pub mod join;
pub mod pushdown;
pub mod relational;
pub mod scan;
pub mod slots;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use futures::future::BoxFuture;
use rangedb_sqltypes::session::CancelToken;
use rangedb_sqltypes::{EvalContext, Row, SqlError, SqlState, Value};
use rangedb_txn::{Transaction, TxnClient};

use crate::catalog::Catalog;
use crate::plan::binder::SessionFacts;
use crate::plan::{Env, Plan};

/// Session state sequences need: `currval` remembers per session.
#[derive(Default)]
pub struct SequenceState {
    pub currval: HashMap<String, i64>,
    /// The statement runs in a READ ONLY block: nextval and setval,
    /// which write outside the block's transaction, are refused.
    pub read_only: bool,
}

/// Everything an executing plan may touch.
pub struct ExecCtx<'a> {
    pub txn: &'a mut Transaction,
    pub client: &'a Arc<TxnClient>,
    pub catalog: &'a Arc<Catalog>,
    pub facts: &'a SessionFacts,
    pub params: &'a [Value],
    pub eval: &'a EvalContext,
    /// Rows of enclosing queries (correlated subqueries), innermost last.
    pub outer: Vec<Row>,
    pub cancel: &'a CancelToken,
    pub sequences: &'a mut SequenceState,
}

impl ExecCtx<'_> {
    /// Fails with 57014 if the client asked to cancel.
    pub fn check_cancel(&self) -> Result<(), SqlError> {
        if self.cancel.is_cancelled() {
            return Err(SqlError::new(
                SqlState::QUERY_CANCELED,
                "canceling statement due to user request",
            ));
        }
        Ok(())
    }

    /// An evaluation environment over these slots.
    pub fn env<'s>(&'s self, slots: &'s [crate::plan::SlotValue]) -> Env<'s> {
        Env {
            params: self.params,
            outer: &self.outer,
            slots,
            ctx: self.eval,
        }
    }
}

/// A running operator.
#[async_trait]
pub trait Operator: Send {
    /// The next row, or `None` when exhausted.
    async fn next(&mut self, cx: &mut ExecCtx<'_>) -> Result<Option<Row>, SqlError>;
}

/// An operator behind a box (operator trees are built at run time).
pub type BoxOp = Box<dyn Operator>;

/// Builds `input` of `parent`; a scan learns which columns the parent reads.
fn build_input(parent: &Plan, input: &Plan) -> BoxOp {
    match parent.scan_columns_read() {
        Some(columns) => build_scan(input, Some(columns)),
        None => build(input),
    }
}

/// A scan operator reading `columns` of the table (`None`: all).
fn build_scan(plan: &Plan, columns: Option<std::collections::BTreeSet<usize>>) -> BoxOp {
    match plan {
        Plan::Scan {
            table,
            access,
            filter,
            slots,
        } => Box::new(
            scan::ScanOp::new(table.clone(), access.clone(), filter.clone(), slots.clone())
                .reading(columns),
        ),
        other => build(other),
    }
}

/// Builds the operator tree for `plan`.
pub fn build(plan: &Plan) -> BoxOp {
    match plan {
        Plan::Values { rows, slots, .. } => {
            Box::new(relational::ValuesOp::new(rows.clone(), slots.clone()))
        }
        Plan::Scan { .. } => build_scan(plan, None),
        Plan::Virtual { table } => Box::new(relational::VirtualOp::new(table.clone())),
        Plan::Filter {
            input,
            predicate,
            slots,
        } => Box::new(relational::FilterOp::new(
            build(input),
            predicate.clone(),
            slots.clone(),
        )),
        Plan::Project {
            input,
            exprs,
            slots,
        } => Box::new(relational::ProjectOp::new(
            build_input(plan, input),
            exprs.clone(),
            slots.clone(),
        )),
        Plan::Aggregate {
            input,
            group_by,
            aggregates,
        } => Box::new(aggregate::AggregateOp::new(
            build_input(plan, input),
            group_by.clone(),
            aggregates.clone(),
        )),
        Plan::Sort { input, keys } => Box::new(relational::SortOp::new(build(input), keys.clone())),
        Plan::Limit {
            input,
            limit,
            offset,
            slots,
        } => Box::new(relational::LimitOp::new(
            build(input),
            limit.clone(),
            offset.clone(),
            slots.clone(),
        )),
        Plan::ProjectSet {
            input,
            func,
            args,
            target,
            ty,
        } => Box::new(relational::ProjectSetOp::new(
            build(input),
            *func,
            args.clone(),
            *target,
            ty.clone(),
        )),
        Plan::Distinct { input, on } => {
            Box::new(relational::DistinctOp::new(build(input), on.clone()))
        }
        Plan::Join {
            left,
            right,
            kind,
            method,
            condition,
            left_width,
            right_width,
            slots,
        } => Box::new(join::JoinOp::new(
            build(left),
            build(right),
            *kind,
            method.clone(),
            condition.clone(),
            *left_width,
            *right_width,
            slots.clone(),
        )),
        Plan::SetOp {
            left,
            right,
            op,
            all,
        } => Box::new(relational::SetOpOp::new(
            build(left),
            build(right),
            *op,
            *all,
        )),
    }
}

/// Runs `plan` to completion (subqueries, INSERT sources, results).
pub fn run_plan<'a, 'b>(
    plan: &'a Plan,
    cx: &'a mut ExecCtx<'b>,
) -> BoxFuture<'a, Result<Vec<Row>, SqlError>>
where
    'b: 'a,
{
    Box::pin(async move {
        let mut op = build(plan);
        let mut rows = Vec::new();
        while let Some(row) = op.next(cx).await? {
            rows.push(row);
        }
        Ok(rows)
    })
}
