//! GROUP BY and aggregate functions (hash aggregation).

use std::collections::{HashMap, HashSet, VecDeque};

use async_trait::async_trait;
use rangedb_sqltypes::ops::{binary_op, binary_op_type, BinaryOp};
use rangedb_sqltypes::{func, text};
use rangedb_sqltypes::{DataType, EvalContext, Interval, Row, SqlError, SqlState, Value};
use rust_decimal::Decimal;

use super::relational::{compare_keys, passes};
use super::{BoxOp, ExecCtx, Operator};
use crate::plan::{AggCall, AggFunc, Expr};

/// The running state of one aggregate in one group.
#[derive(Debug, Clone)]
struct AggState {
    count: i64,
    int_sum: i128,
    dec_sum: Decimal,
    float_sum: f64,
    interval_sum: Interval,
    best: Value,
    all: Option<bool>,
    any: Option<bool>,
    items: Vec<(Vec<Value>, Value, Value)>,
    seen: HashSet<Vec<Value>>,
}

impl AggState {
    fn new() -> AggState {
        AggState {
            count: 0,
            int_sum: 0,
            dec_sum: Decimal::ZERO,
            float_sum: 0.0,
            interval_sum: Interval::default(),
            best: Value::Null,
            all: None,
            any: None,
            items: Vec::new(),
            seen: HashSet::new(),
        }
    }
}

fn add(
    state: &mut AggState,
    call: &AggCall,
    args: Vec<Value>,
    sort_key: Vec<Value>,
) -> Result<(), SqlError> {
    if call.func == AggFunc::CountStar {
        state.count += 1;
        return Ok(());
    }
    let v = args.first().cloned().unwrap_or(Value::Null);
    // array_agg and the JSON aggregates keep NULLs (as NULL elements, JSON
    // nulls, or an object key's NULL value).
    let keeps_nulls = matches!(
        call.func,
        AggFunc::ArrayAgg | AggFunc::JsonbAgg | AggFunc::JsonAgg | AggFunc::JsonbObjectAgg
    );
    if v.is_null() && !keeps_nulls {
        return Ok(());
    }
    if call.distinct && !state.seen.insert(args.clone()) {
        return Ok(());
    }
    state.count += 1;
    match call.func {
        AggFunc::CountStar | AggFunc::Count => {}
        AggFunc::Sum | AggFunc::Avg => match &v {
            Value::Int2(_) | Value::Int4(_) | Value::Int8(_) => {
                state.int_sum += v.as_i64().unwrap_or(0) as i128
            }
            Value::Numeric(d) => {
                state.dec_sum = state
                    .dec_sum
                    .checked_add(*d)
                    .ok_or_else(|| SqlError::out_of_range("value overflows numeric format"))?
            }
            Value::Float4(_) | Value::Float8(_) => state.float_sum += v.as_f64().unwrap_or(0.0),
            Value::Interval(i) => {
                state.interval_sum = Interval {
                    months: state.interval_sum.months.saturating_add(i.months),
                    days: state.interval_sum.days.saturating_add(i.days),
                    micros: state.interval_sum.micros.saturating_add(i.micros),
                }
            }
            _ => {}
        },
        AggFunc::Min | AggFunc::Max => {
            let better = state.best.is_null()
                || match v.sql_cmp(&state.best) {
                    Some(std::cmp::Ordering::Less) => call.func == AggFunc::Min,
                    Some(std::cmp::Ordering::Greater) => call.func == AggFunc::Max,
                    _ => false,
                };
            if better {
                state.best = v;
            }
        }
        AggFunc::BoolAnd | AggFunc::BoolOr => {
            let b = matches!(v, Value::Bool(true));
            state.all = Some(state.all.unwrap_or(true) && b);
            state.any = Some(state.any.unwrap_or(false) || b);
        }
        AggFunc::StringAgg | AggFunc::ArrayAgg | AggFunc::JsonbAgg | AggFunc::JsonAgg => {
            let delim = args.get(1).cloned().unwrap_or(Value::Null);
            state.items.push((sort_key, v, delim));
        }
        AggFunc::JsonbObjectAgg => {
            if v.is_null() {
                return Err(SqlError::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    "field name must not be null",
                ));
            }
            let value = args.get(1).cloned().unwrap_or(Value::Null);
            state.items.push((sort_key, v, value));
        }
    }
    Ok(())
}

fn numeric_div(sum: Value, count: i64, ctx: &EvalContext) -> Result<Value, SqlError> {
    let n = DataType::Numeric(None);
    let sig = binary_op_type(BinaryOp::Div, &n, &n)?;
    binary_op(
        BinaryOp::Div,
        &sum,
        &Value::Numeric(Decimal::from(count)),
        &sig,
        ctx,
    )
}

fn finish(state: &mut AggState, call: &AggCall, ctx: &EvalContext) -> Result<Value, SqlError> {
    Ok(match call.func {
        AggFunc::CountStar | AggFunc::Count => Value::Int8(state.count),
        _ if state.count == 0 => Value::Null,
        AggFunc::Sum => match &call.result_type {
            DataType::Int8 => Value::Int8(
                i64::try_from(state.int_sum)
                    .map_err(|_| SqlError::out_of_range("bigint out of range"))?,
            ),
            DataType::Numeric(_) => {
                let ints = Decimal::try_from_i128_with_scale(state.int_sum, 0)
                    .map_err(|_| SqlError::out_of_range("value overflows numeric format"))?;
                Value::Numeric(
                    ints.checked_add(state.dec_sum)
                        .ok_or_else(|| SqlError::out_of_range("value overflows numeric format"))?,
                )
            }
            DataType::Float4 => Value::Float4(state.float_sum as f32),
            DataType::Interval => Value::Interval(state.interval_sum),
            _ => Value::Float8(state.float_sum),
        },
        AggFunc::Avg => match &call.arg_type {
            DataType::Float4 | DataType::Float8 => {
                Value::Float8(state.float_sum / state.count as f64)
            }
            // PostgreSQL divides the sum field by field (months, days,
            // time, remainders cascading down): avg of 1 and 3 days is
            // `2 days`, not `48:00:00`.
            DataType::Interval => Value::Interval(rangedb_sqltypes::ops::time::interval_div(
                &state.interval_sum,
                state.count as f64,
            )?),
            _ => {
                let ints = Decimal::try_from_i128_with_scale(state.int_sum, 0)
                    .map_err(|_| SqlError::out_of_range("value overflows numeric format"))?;
                let sum = ints
                    .checked_add(state.dec_sum)
                    .ok_or_else(|| SqlError::out_of_range("value overflows numeric format"))?;
                numeric_div(Value::Numeric(sum), state.count, ctx)?
            }
        },
        AggFunc::Min | AggFunc::Max => state.best.clone(),
        AggFunc::BoolAnd => state.all.map(Value::Bool).unwrap_or(Value::Null),
        AggFunc::BoolOr => state.any.map(Value::Bool).unwrap_or(Value::Null),
        AggFunc::JsonbAgg | AggFunc::JsonAgg | AggFunc::JsonbObjectAgg => {
            if !call.order_by.is_empty() {
                let keys = call.order_by.clone();
                state.items.sort_by(|a, b| compare_keys(&a.0, &b.0, &keys));
            }
            json_aggregate(state, call, ctx)?
        }
        AggFunc::StringAgg | AggFunc::ArrayAgg => {
            if !call.order_by.is_empty() {
                let keys = call.order_by.clone();
                state.items.sort_by(|a, b| compare_keys(&a.0, &b.0, &keys));
            }
            if call.func == AggFunc::ArrayAgg {
                Value::Array(state.items.iter().map(|(_, v, _)| v.clone()).collect())
            } else if call.arg_type == DataType::Bytea {
                let mut out = Vec::new();
                for (i, (_, v, d)) in state.items.iter().enumerate() {
                    if i > 0 {
                        if let Value::Bytea(d) = d {
                            out.extend_from_slice(d);
                        }
                    }
                    if let Value::Bytea(b) = v {
                        out.extend_from_slice(b);
                    }
                }
                Value::Bytea(out)
            } else {
                let mut out = String::new();
                for (i, (_, v, d)) in state.items.iter().enumerate() {
                    if i > 0 {
                        if let Value::Text(d) = d {
                            out.push_str(d);
                        }
                    }
                    if let Value::Text(s) = v {
                        out.push_str(s);
                    }
                }
                Value::Text(out)
            }
        }
    })
}

/// Hash aggregation; output rows are group keys then aggregate values.
pub struct AggregateOp {
    input: BoxOp,
    group_by: Vec<Expr>,
    aggregates: Vec<AggCall>,
    out: Option<VecDeque<Row>>,
}

impl AggregateOp {
    pub fn new(input: BoxOp, group_by: Vec<Expr>, aggregates: Vec<AggCall>) -> AggregateOp {
        AggregateOp {
            input,
            group_by,
            aggregates,
            out: None,
        }
    }

    async fn run(&mut self, cx: &mut ExecCtx<'_>) -> Result<VecDeque<Row>, SqlError> {
        let mut groups: HashMap<Vec<Value>, usize> = HashMap::new();
        let mut states: Vec<(Vec<Value>, Vec<AggState>)> = Vec::new();
        let mut n = 0u64;
        while let Some(row) = self.input.next(cx).await? {
            n += 1;
            if n.is_multiple_of(4096) {
                cx.check_cancel()?;
            }
            let env = cx.env(&[]);
            let key = self
                .group_by
                .iter()
                .map(|e| e.eval(&row, &env))
                .collect::<Result<Vec<_>, _>>()?;
            let idx = match groups.get(&key) {
                Some(i) => *i,
                None => {
                    states.push((key.clone(), vec![AggState::new(); self.aggregates.len()]));
                    groups.insert(key, states.len() - 1);
                    states.len() - 1
                }
            };
            for (call, state) in self.aggregates.iter().zip(states[idx].1.iter_mut()) {
                if let Some(f) = &call.filter {
                    if !passes(&f.eval(&row, &env)?)? {
                        continue;
                    }
                }
                let args = call
                    .args
                    .iter()
                    .map(|e| e.eval(&row, &env))
                    .collect::<Result<Vec<_>, _>>()?;
                let sort_key = call
                    .order_by
                    .iter()
                    .map(|k| k.expr.eval(&row, &env))
                    .collect::<Result<Vec<_>, _>>()?;
                add(state, call, args, sort_key)?;
            }
        }
        if states.is_empty() && self.group_by.is_empty() {
            states.push((Vec::new(), vec![AggState::new(); self.aggregates.len()]));
        }
        let mut out = VecDeque::with_capacity(states.len());
        for (key, mut st) in states {
            let mut row = key;
            for (call, s) in self.aggregates.iter().zip(st.iter_mut()) {
                row.push(finish(s, call, cx.eval)?);
            }
            out.push_back(row);
        }
        Ok(out)
    }
}

#[async_trait]
impl Operator for AggregateOp {
    async fn next(&mut self, cx: &mut ExecCtx<'_>) -> Result<Option<Row>, SqlError> {
        if self.out.is_none() {
            let rows = self.run(cx).await?;
            self.out = Some(rows);
        }
        Ok(self.out.as_mut().and_then(|o| o.pop_front()))
    }
}

/// The JSON aggregates' result from the collected items: values are turned
/// into JSON as `to_jsonb` does, keys into their text.
fn json_aggregate(state: &AggState, call: &AggCall, ctx: &EvalContext) -> Result<Value, SqlError> {
    let to_json = |v: &Value, ty: &DataType| func::json::value_to_json(v, ty, ctx);
    match call.func {
        AggFunc::JsonbObjectAgg => {
            let mut object = serde_json::Map::new();
            for (_, key, value) in &state.items {
                let key = match key {
                    Value::Text(s) => s.clone(),
                    other => text::format(other, &other.natural_type(), ctx),
                };
                object.insert(key, to_json(value, &call.arg_type)?);
            }
            Ok(Value::Jsonb(serde_json::Value::Object(object)))
        }
        _ => {
            let items = state
                .items
                .iter()
                .map(|(_, v, _)| to_json(v, &call.arg_type))
                .collect::<Result<Vec<_>, _>>()?;
            if call.func == AggFunc::JsonbAgg {
                return Ok(Value::Jsonb(serde_json::Value::Array(items)));
            }
            let parts: Vec<String> = items.iter().map(text::json::format_jsonb).collect();
            Ok(Value::Json(format!("[{}]", parts.join(", "))))
        }
    }
}
