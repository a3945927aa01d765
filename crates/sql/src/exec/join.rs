//! Joins: hash join on equality keys (the right input is the build side),
//! nested loops otherwise. Outer joins pad the missing side with NULLs.

use std::collections::{HashMap, VecDeque};

use async_trait::async_trait;
use rangedb_sqltypes::{Row, SqlError, Value};

use super::relational::passes;
use super::slots::SlotRunner;
use super::{BoxOp, ExecCtx, Operator};
use crate::plan::{Expr, JoinKind, JoinMethod, Slot};

/// A join of two inputs.
pub struct JoinOp {
    left: BoxOp,
    right: BoxOp,
    kind: JoinKind,
    method: JoinMethod,
    condition: Option<Expr>,
    left_width: usize,
    right_width: usize,
    slots: SlotRunner,
    built: bool,
    right_rows: Vec<Row>,
    matched: Vec<bool>,
    table: HashMap<Vec<Value>, Vec<usize>>,
    out: VecDeque<Row>,
    left_done: bool,
}

impl JoinOp {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        left: BoxOp,
        right: BoxOp,
        kind: JoinKind,
        method: JoinMethod,
        condition: Option<Expr>,
        left_width: usize,
        right_width: usize,
        slots: Vec<Slot>,
    ) -> JoinOp {
        JoinOp {
            left,
            right,
            kind,
            method,
            condition,
            left_width,
            right_width,
            slots: SlotRunner::new(slots),
            built: false,
            right_rows: Vec::new(),
            matched: Vec::new(),
            table: HashMap::new(),
            out: VecDeque::new(),
            left_done: false,
        }
    }

    async fn build(&mut self, cx: &mut ExecCtx<'_>) -> Result<(), SqlError> {
        while let Some(r) = self.right.next(cx).await? {
            if let JoinMethod::Hash { right_keys, .. } = &self.method {
                let env = cx.env(&[]);
                let key = right_keys
                    .iter()
                    .map(|k| k.eval(&r, &env))
                    .collect::<Result<Vec<_>, _>>()?;
                if !key.iter().any(Value::is_null) {
                    self.table
                        .entry(key)
                        .or_default()
                        .push(self.right_rows.len());
                }
            }
            self.right_rows.push(r);
        }
        self.matched = vec![false; self.right_rows.len()];
        self.built = true;
        Ok(())
    }

    async fn probe(&mut self, left: Row, cx: &mut ExecCtx<'_>) -> Result<(), SqlError> {
        let candidates: Vec<usize> = match &self.method {
            JoinMethod::Hash { left_keys, .. } => {
                let env = cx.env(&[]);
                let key = left_keys
                    .iter()
                    .map(|k| k.eval(&left, &env))
                    .collect::<Result<Vec<_>, _>>()?;
                if key.iter().any(Value::is_null) {
                    Vec::new()
                } else {
                    self.table.get(&key).cloned().unwrap_or_default()
                }
            }
            JoinMethod::NestedLoop => (0..self.right_rows.len()).collect(),
        };
        let mut any = false;
        for i in candidates {
            let mut row = left.clone();
            row.extend(self.right_rows[i].iter().cloned());
            let ok = match &self.condition {
                Some(c) => {
                    let slot_values = self.slots.compute(&row, cx).await?;
                    let env = cx.env(&slot_values);
                    passes(&c.eval(&row, &env)?)?
                }
                None => true,
            };
            if ok {
                any = true;
                self.matched[i] = true;
                self.out.push_back(row);
            }
        }
        if !any && matches!(self.kind, JoinKind::Left | JoinKind::Full) {
            let mut row = left;
            row.extend(std::iter::repeat_n(Value::Null, self.right_width));
            self.out.push_back(row);
        }
        Ok(())
    }
}

#[async_trait]
impl Operator for JoinOp {
    async fn next(&mut self, cx: &mut ExecCtx<'_>) -> Result<Option<Row>, SqlError> {
        if !self.built {
            self.build(cx).await?;
        }
        loop {
            if let Some(r) = self.out.pop_front() {
                return Ok(Some(r));
            }
            if self.left_done {
                return Ok(None);
            }
            match self.left.next(cx).await? {
                Some(l) => self.probe(l, cx).await?,
                None => {
                    self.left_done = true;
                    if matches!(self.kind, JoinKind::Right | JoinKind::Full) {
                        for (i, r) in self.right_rows.iter().enumerate() {
                            if !self.matched[i] {
                                let mut row: Row =
                                    std::iter::repeat_n(Value::Null, self.left_width).collect();
                                row.extend(r.iter().cloned());
                                self.out.push_back(row);
                            }
                        }
                    }
                }
            }
        }
    }
}
