//! Row-at-a-time relational operators.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet, VecDeque};

use async_trait::async_trait;
use rangedb_sqltypes::{DataType, Row, SqlError, SqlState, Value};

use super::slots::SlotRunner;
use super::{BoxOp, ExecCtx, Operator};
use crate::plan::{Expr, SetOpKind, Slot, SlotValue, SortKey};
use crate::virtual_tables::{function_rows, TableFn, VirtualTable};

/// Whether a predicate value lets the row through (NULL does not).
pub fn passes(v: &Value) -> Result<bool, SqlError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Null => Ok(false),
        other => Err(SqlError::datatype_mismatch(format!(
            "argument of WHERE must be type boolean, not type {}",
            other.natural_type().sql_name()
        ))),
    }
}

/// Literal rows.
pub struct ValuesOp {
    rows: VecDeque<Vec<Expr>>,
    slots: SlotRunner,
}

impl ValuesOp {
    pub fn new(rows: Vec<Vec<Expr>>, slots: Vec<Slot>) -> ValuesOp {
        ValuesOp {
            rows: rows.into(),
            slots: SlotRunner::new(slots),
        }
    }
}

#[async_trait]
impl Operator for ValuesOp {
    async fn next(&mut self, cx: &mut ExecCtx<'_>) -> Result<Option<Row>, SqlError> {
        let Some(exprs) = self.rows.pop_front() else {
            return Ok(None);
        };
        let slot_values = self.slots.compute(&[], cx).await?;
        let env = cx.env(&slot_values);
        let row = exprs
            .iter()
            .map(|e| e.eval(&[], &env))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(row))
    }
}

/// A virtual catalog table.
pub struct VirtualOp {
    table: VirtualTable,
    rows: Option<VecDeque<Row>>,
}

impl VirtualOp {
    pub fn new(table: VirtualTable) -> VirtualOp {
        VirtualOp { table, rows: None }
    }
}

#[async_trait]
impl Operator for VirtualOp {
    async fn next(&mut self, cx: &mut ExecCtx<'_>) -> Result<Option<Row>, SqlError> {
        if self.rows.is_none() {
            self.rows = Some(self.table.rows(cx)?.into());
        }
        Ok(self.rows.as_mut().and_then(|r| r.pop_front()))
    }
}

/// WHERE / HAVING above other operators.
pub struct FilterOp {
    input: BoxOp,
    predicate: Expr,
    slots: SlotRunner,
}

impl FilterOp {
    pub fn new(input: BoxOp, predicate: Expr, slots: Vec<Slot>) -> FilterOp {
        FilterOp {
            input,
            predicate,
            slots: SlotRunner::new(slots),
        }
    }
}

#[async_trait]
impl Operator for FilterOp {
    async fn next(&mut self, cx: &mut ExecCtx<'_>) -> Result<Option<Row>, SqlError> {
        while let Some(row) = self.input.next(cx).await? {
            let slot_values = self.slots.compute(&row, cx).await?;
            let env = cx.env(&slot_values);
            if passes(&self.predicate.eval(&row, &env)?)? {
                return Ok(Some(row));
            }
        }
        Ok(None)
    }
}

/// The select list.
pub struct ProjectOp {
    input: BoxOp,
    exprs: Vec<Expr>,
    slots: SlotRunner,
}

impl ProjectOp {
    pub fn new(input: BoxOp, exprs: Vec<Expr>, slots: Vec<Slot>) -> ProjectOp {
        ProjectOp {
            input,
            exprs,
            slots: SlotRunner::new(slots),
        }
    }
}

#[async_trait]
impl Operator for ProjectOp {
    async fn next(&mut self, cx: &mut ExecCtx<'_>) -> Result<Option<Row>, SqlError> {
        let Some(row) = self.input.next(cx).await? else {
            return Ok(None);
        };
        let slot_values = self.slots.compute(&row, cx).await?;
        let env = cx.env(&slot_values);
        let out = self
            .exprs
            .iter()
            .map(|e| e.eval(&row, &env))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(out))
    }
}

/// Compares two rows' sort keys.
pub fn compare_keys(a: &[Value], b: &[Value], keys: &[SortKey]) -> Ordering {
    for (i, k) in keys.iter().enumerate() {
        let (x, y) = (&a[i], &b[i]);
        let ord = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => {
                if k.nulls_first {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (false, true) => {
                if k.nulls_first {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            _ => {
                let o = x.total_cmp(y);
                if k.descending {
                    o.reverse()
                } else {
                    o
                }
            }
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// ORDER BY: materialises its input.
pub struct SortOp {
    input: BoxOp,
    keys: Vec<SortKey>,
    sorted: Option<VecDeque<Row>>,
}

impl SortOp {
    pub fn new(input: BoxOp, keys: Vec<SortKey>) -> SortOp {
        SortOp {
            input,
            keys,
            sorted: None,
        }
    }
}

#[async_trait]
impl Operator for SortOp {
    async fn next(&mut self, cx: &mut ExecCtx<'_>) -> Result<Option<Row>, SqlError> {
        if self.sorted.is_none() {
            let mut keyed: Vec<(Vec<Value>, Row)> = Vec::new();
            while let Some(row) = self.input.next(cx).await? {
                let env = cx.env(&[]);
                let k = self
                    .keys
                    .iter()
                    .map(|k| k.expr.eval(&row, &env))
                    .collect::<Result<Vec<_>, _>>()?;
                keyed.push((k, row));
                if keyed.len().is_multiple_of(4096) {
                    cx.check_cancel()?;
                }
            }
            let keys = self.keys.clone();
            keyed.sort_by(|a, b| compare_keys(&a.0, &b.0, &keys));
            self.sorted = Some(keyed.into_iter().map(|(_, r)| r).collect());
        }
        Ok(self.sorted.as_mut().and_then(|s| s.pop_front()))
    }
}

/// LIMIT / OFFSET.
pub struct LimitOp {
    input: BoxOp,
    limit_expr: Option<Expr>,
    offset_expr: Option<Expr>,
    slots: SlotRunner,
    remaining: Option<Option<u64>>,
    skipped: bool,
    offset: u64,
}

impl LimitOp {
    pub fn new(
        input: BoxOp,
        limit: Option<Expr>,
        offset: Option<Expr>,
        slots: Vec<Slot>,
    ) -> LimitOp {
        LimitOp {
            input,
            limit_expr: limit,
            offset_expr: offset,
            slots: SlotRunner::new(slots),
            remaining: None,
            skipped: false,
            offset: 0,
        }
    }
}

fn count_value(
    e: &Option<Expr>,
    slots: &[SlotValue],
    cx: &ExecCtx<'_>,
    what: &str,
) -> Result<Option<u64>, SqlError> {
    let Some(e) = e else { return Ok(None) };
    let env = cx.env(slots);
    match e.eval(&[], &env)? {
        Value::Null => Ok(None),
        v => {
            let n = v.as_i64().unwrap_or(0);
            if n < 0 {
                let code = if what == "OFFSET" {
                    SqlState("2201X")
                } else {
                    SqlState("2201W")
                };
                return Err(SqlError::new(code, format!("{what} must not be negative")));
            }
            Ok(Some(n as u64))
        }
    }
}

#[async_trait]
impl Operator for LimitOp {
    async fn next(&mut self, cx: &mut ExecCtx<'_>) -> Result<Option<Row>, SqlError> {
        if self.remaining.is_none() {
            let slots = self.slots.compute(&[], cx).await?;
            self.remaining = Some(count_value(&self.limit_expr, &slots, cx, "LIMIT")?);
            self.offset = count_value(&self.offset_expr, &slots, cx, "OFFSET")?.unwrap_or(0);
        }
        if let Some(Some(0)) = self.remaining {
            return Ok(None);
        }
        if !self.skipped {
            self.skipped = true;
            for _ in 0..self.offset {
                if self.input.next(cx).await?.is_none() {
                    return Ok(None);
                }
            }
        }
        let row = self.input.next(cx).await?;
        if row.is_some() {
            if let Some(Some(n)) = &mut self.remaining {
                *n -= 1;
            }
        }
        Ok(row)
    }
}

/// A set-returning function in the select list (see `Plan::ProjectSet`).
pub struct ProjectSetOp {
    input: BoxOp,
    func: TableFn,
    args: Vec<usize>,
    target: usize,
    ty: DataType,
    /// Rows made from the current input row, not yet returned.
    pending: VecDeque<Row>,
}

impl ProjectSetOp {
    pub fn new(
        input: BoxOp,
        func: TableFn,
        args: Vec<usize>,
        target: usize,
        ty: DataType,
    ) -> ProjectSetOp {
        ProjectSetOp {
            input,
            func,
            args,
            target,
            ty,
            pending: VecDeque::new(),
        }
    }
}

#[async_trait]
impl Operator for ProjectSetOp {
    async fn next(&mut self, cx: &mut ExecCtx<'_>) -> Result<Option<Row>, SqlError> {
        loop {
            if let Some(row) = self.pending.pop_front() {
                return Ok(Some(row));
            }
            let Some(row) = self.input.next(cx).await? else {
                return Ok(None);
            };
            let args: Vec<Value> = self
                .args
                .iter()
                .map(|&i| row.get(i).cloned().unwrap_or(Value::Null))
                .collect();
            for produced in function_rows(self.func, &args, &self.ty)? {
                let mut out = row.clone();
                if let (Some(slot), Some(v)) =
                    (out.get_mut(self.target), produced.into_iter().next())
                {
                    *slot = v;
                }
                self.pending.push_back(out);
            }
        }
    }
}

/// SELECT DISTINCT.
pub struct DistinctOp {
    input: BoxOp,
    /// DISTINCT ON's columns; `None` compares whole rows.
    on: Option<Vec<usize>>,
    seen: HashSet<Row>,
}

impl DistinctOp {
    pub fn new(input: BoxOp, on: Option<Vec<usize>>) -> DistinctOp {
        DistinctOp {
            input,
            on,
            seen: HashSet::new(),
        }
    }
}

#[async_trait]
impl Operator for DistinctOp {
    async fn next(&mut self, cx: &mut ExecCtx<'_>) -> Result<Option<Row>, SqlError> {
        while let Some(row) = self.input.next(cx).await? {
            let key = match &self.on {
                None => row.clone(),
                Some(cols) => cols
                    .iter()
                    .map(|&i| row.get(i).cloned().unwrap_or(Value::Null))
                    .collect(),
            };
            if self.seen.insert(key) {
                return Ok(Some(row));
            }
        }
        Ok(None)
    }
}

/// UNION / INTERSECT / EXCEPT [ALL].
pub struct SetOpOp {
    left: BoxOp,
    right: BoxOp,
    op: SetOpKind,
    all: bool,
    left_done: bool,
    seen: HashSet<Row>,
    right_counts: Option<HashMap<Row, usize>>,
}

impl SetOpOp {
    pub fn new(left: BoxOp, right: BoxOp, op: SetOpKind, all: bool) -> SetOpOp {
        SetOpOp {
            left,
            right,
            op,
            all,
            left_done: false,
            seen: HashSet::new(),
            right_counts: None,
        }
    }
}

#[async_trait]
impl Operator for SetOpOp {
    async fn next(&mut self, cx: &mut ExecCtx<'_>) -> Result<Option<Row>, SqlError> {
        if self.op == SetOpKind::Union {
            loop {
                let row = if !self.left_done {
                    match self.left.next(cx).await? {
                        Some(r) => r,
                        None => {
                            self.left_done = true;
                            continue;
                        }
                    }
                } else {
                    match self.right.next(cx).await? {
                        Some(r) => r,
                        None => return Ok(None),
                    }
                };
                if self.all || self.seen.insert(row.clone()) {
                    return Ok(Some(row));
                }
            }
        }
        if self.right_counts.is_none() {
            let mut counts = HashMap::new();
            while let Some(r) = self.right.next(cx).await? {
                *counts.entry(r).or_insert(0usize) += 1;
            }
            self.right_counts = Some(counts);
        }
        let counts = self
            .right_counts
            .as_mut()
            .ok_or_else(|| SqlError::internal("set operation state"))?;
        while let Some(row) = self.left.next(cx).await? {
            let in_right = counts.get(&row).copied().unwrap_or(0);
            let emit = match (self.op, self.all) {
                (SetOpKind::Intersect, true) => {
                    if in_right > 0 {
                        counts.insert(row.clone(), in_right - 1);
                        true
                    } else {
                        false
                    }
                }
                (SetOpKind::Intersect, false) => in_right > 0 && self.seen.insert(row.clone()),
                (SetOpKind::Except, true) => {
                    if in_right > 0 {
                        counts.insert(row.clone(), in_right - 1);
                        false
                    } else {
                        true
                    }
                }
                (SetOpKind::Except, false) => in_right == 0 && self.seen.insert(row.clone()),
                (SetOpKind::Union, _) => true,
            };
            if emit {
                return Ok(Some(row));
            }
        }
        Ok(None)
    }
}
