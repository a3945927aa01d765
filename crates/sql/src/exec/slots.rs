//! Computing an operator's slots (subqueries, sequence calls) for a row.

use rangedb_sqltypes::{SqlError, SqlState, Value};

use super::{run_plan, ExecCtx};
use crate::plan::{Slot, SlotKind, SlotValue};
use crate::sequences;

/// An operator's slots, with uncorrelated results cached for the run.
pub struct SlotRunner {
    slots: Vec<Slot>,
    cached: Vec<Option<SlotValue>>,
}

impl SlotRunner {
    /// Slots of one operator.
    pub fn new(slots: Vec<Slot>) -> SlotRunner {
        let cached = vec![None; slots.len()];
        SlotRunner { slots, cached }
    }

    /// Whether there is nothing to compute.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The slot values for `row`.
    pub async fn compute(
        &mut self,
        row: &[Value],
        cx: &mut ExecCtx<'_>,
    ) -> Result<Vec<SlotValue>, SqlError> {
        let mut out = Vec::with_capacity(self.slots.len());
        for i in 0..self.slots.len() {
            if let Some(v) = &self.cached[i] {
                out.push(v.clone());
                continue;
            }
            let slot = self.slots[i].clone();
            let v = compute_one(&slot, row, &out, cx).await?;
            if !slot.correlated {
                self.cached[i] = Some(v.clone());
            }
            out.push(v);
        }
        Ok(out)
    }
}

async fn compute_one(
    slot: &Slot,
    row: &[Value],
    earlier: &[SlotValue],
    cx: &mut ExecCtx<'_>,
) -> Result<SlotValue, SqlError> {
    match &slot.kind {
        SlotKind::Scalar(plan) | SlotKind::Exists(plan) | SlotKind::Set(plan) => {
            cx.outer.push(row.to_vec());
            let result = run_plan(plan, cx).await;
            cx.outer.pop();
            let rows = result?;
            Ok(match &slot.kind {
                SlotKind::Scalar(_) => {
                    if rows.len() > 1 {
                        return Err(SqlError::new(
                            SqlState::CARDINALITY_VIOLATION,
                            "more than one row returned by a subquery used as an expression",
                        ));
                    }
                    SlotValue::Scalar(
                        rows.into_iter()
                            .next()
                            .and_then(|r| r.into_iter().next())
                            .unwrap_or(Value::Null),
                    )
                }
                SlotKind::Exists(_) => SlotValue::Scalar(Value::Bool(!rows.is_empty())),
                _ => {
                    let mut has_null = false;
                    let mut values = Vec::with_capacity(rows.len());
                    for r in rows {
                        match r.into_iter().next() {
                            Some(Value::Null) | None => has_null = true,
                            Some(v) => values.push(v),
                        }
                    }
                    let lookup = values.iter().cloned().collect();
                    SlotValue::Set {
                        values: std::sync::Arc::new(values),
                        lookup: std::sync::Arc::new(lookup),
                        has_null,
                    }
                }
            })
        }
        SlotKind::Nextval(name) | SlotKind::Currval(name) => {
            let n = {
                let env = cx.env(earlier);
                name.eval(row, &env)?
            };
            let Value::Text(name_text) = n else {
                return Ok(SlotValue::Scalar(Value::Null));
            };
            let v = if matches!(slot.kind, SlotKind::Nextval(_)) {
                sequences::nextval(cx, &name_text).await?
            } else {
                sequences::currval(cx, &name_text)?
            };
            Ok(SlotValue::Scalar(Value::Int8(v)))
        }
        SlotKind::Setval(args) => {
            let values = {
                let env = cx.env(earlier);
                args.iter()
                    .map(|a| a.eval(row, &env))
                    .collect::<Result<Vec<_>, _>>()?
            };
            let (Some(Value::Text(name)), Some(value)) =
                (values.first(), values.get(1).and_then(Value::as_i64))
            else {
                return Ok(SlotValue::Scalar(Value::Null));
            };
            let is_called = !matches!(values.get(2), Some(Value::Bool(false)));
            sequences::setval(cx, name, value, is_called).await?;
            Ok(SlotValue::Scalar(Value::Int8(value)))
        }
    }
}
