//! The planner's physical decisions: which WHERE conjuncts move down to the
//! scans (next to the data), how each scan finds its rows (point gets on the
//! primary key, a bounded range of it, a secondary index, or everything), and
//! whether a join hashes or loops.
//!
//! Filters always keep every conjunct: the access path narrows what is
//! fetched, the filter decides what qualifies, so a looser access path can
//! never produce wrong rows.

use std::sync::Arc;

use rangedb_sqltypes::ops::BinaryOp;
use rangedb_sqltypes::DataType;

use super::{Access, Expr, JoinKind, JoinMethod, KeyRange, Plan, Slot};
use crate::catalog::{IndexDesc, TableDesc};

fn has_slots(e: &Expr) -> bool {
    let mut found = false;
    e.walk(&mut |x| {
        if matches!(
            x,
            Expr::Slot(_) | Expr::InSlot { .. } | Expr::Quantified { .. }
        ) {
            found = true;
        }
    });
    found
}

/// Applies a WHERE predicate to `plan`: slot-free conjuncts sink into scans
/// and join conditions where that keeps the semantics; the rest filter above.
pub fn push_down_filter(plan: Plan, predicate: Expr, slots: Vec<Slot>) -> Plan {
    let mut plan = plan;
    let mut kept = Vec::new();
    for c in predicate.conjuncts() {
        if has_slots(&c) {
            kept.push(c);
            continue;
        }
        match push(plan, c) {
            Ok(p) => plan = p,
            Err((p, c)) => {
                plan = p;
                kept.push(c);
            }
        }
    }
    match Expr::and_all(kept) {
        Some(predicate) => Plan::Filter {
            input: Box::new(plan),
            predicate,
            slots,
        },
        None => plan,
    }
}

// The error hands the plan and the conjunct back (nothing is lost); it is
// moved once per conjunct, so its size does not matter.
#[allow(clippy::result_large_err)]
fn push(plan: Plan, c: Expr) -> Result<Plan, (Plan, Expr)> {
    match plan {
        Plan::Scan {
            table,
            filter,
            slots,
            ..
        } if slots.is_empty() => {
            let filter = Expr::and_all(
                filter
                    .into_iter()
                    .flat_map(Expr::conjuncts)
                    .chain([c])
                    .collect(),
            );
            let access = choose_access(&table, filter.as_ref());
            Ok(Plan::Scan {
                table,
                access,
                filter,
                slots,
            })
        }
        Plan::Join {
            left,
            right,
            kind,
            condition,
            left_width,
            right_width,
            slots,
            method,
        } => {
            let cols = c.columns_used();
            let all_left = cols.iter().all(|i| *i < left_width);
            let all_right = cols.iter().all(|i| *i >= left_width);
            let rebuild = |left: Box<Plan>,
                           right: Box<Plan>,
                           condition: Option<Expr>,
                           method: JoinMethod| Plan::Join {
                left,
                right,
                kind,
                method,
                condition,
                left_width,
                right_width,
                slots: slots.clone(),
            };
            if all_left && matches!(kind, JoinKind::Inner | JoinKind::Left) && !cols.is_empty() {
                return match push(*left, c) {
                    Ok(l) => Ok(rebuild(Box::new(l), right, condition, method)),
                    Err((l, c)) => Err((rebuild(Box::new(l), right, condition, method), c)),
                };
            }
            if all_right && matches!(kind, JoinKind::Inner | JoinKind::Right) && !cols.is_empty() {
                let mut moved = c.clone();
                moved.remap_columns(&|i| i - left_width);
                return match push(*right, moved) {
                    Ok(r) => Ok(rebuild(left, Box::new(r), condition, method)),
                    Err((r, _)) => Err((rebuild(left, Box::new(r), condition, method), c)),
                };
            }
            if kind == JoinKind::Inner {
                let condition = Some(match condition {
                    Some(existing) => Expr::And(Box::new(existing), Box::new(c)),
                    None => c,
                });
                let method = choose_join_method(condition.as_ref(), left_width, &slots);
                return Ok(rebuild(left, right, condition, method));
            }
            Err((rebuild(left, right, condition, method), c))
        }
        other => Err((other, c)),
    }
}

/// Hash join when the condition has `left.x = right.y` conjuncts.
pub fn choose_join_method(
    condition: Option<&Expr>,
    left_width: usize,
    slots: &[Slot],
) -> JoinMethod {
    let Some(cond) = condition else {
        return JoinMethod::NestedLoop;
    };
    if !slots.is_empty() {
        return JoinMethod::NestedLoop;
    }
    let mut left_keys = Vec::new();
    let mut right_keys = Vec::new();
    for c in cond.clone().conjuncts() {
        if let Expr::Binary {
            op: BinaryOp::Eq,
            left,
            right,
            ..
        } = &c
        {
            let lc = left.columns_used();
            let rc = right.columns_used();
            if lc.is_empty() || rc.is_empty() {
                continue;
            }
            let (l, r) = if lc.iter().all(|i| *i < left_width)
                && rc.iter().all(|i| *i >= left_width)
            {
                ((**left).clone(), (**right).clone())
            } else if rc.iter().all(|i| *i < left_width) && lc.iter().all(|i| *i >= left_width) {
                ((**right).clone(), (**left).clone())
            } else {
                continue;
            };
            let mut r = r;
            r.remap_columns(&|i| i - left_width);
            left_keys.push(l);
            right_keys.push(r);
        }
    }
    if left_keys.is_empty() {
        JoinMethod::NestedLoop
    } else {
        JoinMethod::Hash {
            left_keys,
            right_keys,
        }
    }
}

/// What the conjuncts say about one column.
#[derive(Default, Clone)]
struct ColumnFacts {
    equal: Option<Expr>,
    any_of: Option<Vec<Expr>>,
    lower: Option<(Expr, bool)>,
    upper: Option<(Expr, bool)>,
}

/// The table column an expression reads, looking through casts that keep
/// the key encoding (integer widths, numeric, string types).
fn key_column(e: &Expr) -> Option<usize> {
    match e {
        Expr::Column { index, .. } => Some(*index),
        Expr::Cast { expr, from, to, .. } => {
            // Only widening casts keep every value distinct and in order
            // (int2 -> int4 -> int8 -> numeric); `numeric_col::int = 3`
            // also holds for 2.6, so it is no key condition. The scan fits
            // the bound to the column's own type (`keys::fit_bound`).
            let rank = |t: &DataType| match t {
                DataType::Int2 => Some(1),
                DataType::Int4 => Some(2),
                DataType::Int8 => Some(3),
                DataType::Numeric(None) => Some(4),
                _ => None,
            };
            let widening = matches!((rank(from), rank(to)), (Some(a), Some(b)) if a <= b);
            if widening || (from.is_string() && to.is_string()) {
                key_column(expr)
            } else {
                None
            }
        }
        _ => None,
    }
}

fn column_facts(table: &TableDesc, filter: Option<&Expr>) -> Vec<ColumnFacts> {
    let mut facts = vec![ColumnFacts::default(); table.columns.len()];
    let Some(filter) = filter else {
        return facts;
    };
    for c in filter.clone().conjuncts() {
        match &c {
            Expr::Binary {
                op, left, right, ..
            } => {
                let (col, value, op) = match (key_column(left), key_column(right)) {
                    (Some(i), _) if right.is_row_independent() => (i, (**right).clone(), *op),
                    (_, Some(i)) if left.is_row_independent() => (i, (**left).clone(), flip(*op)),
                    _ => continue,
                };
                let Some(f) = facts.get_mut(col) else {
                    continue;
                };
                match op {
                    BinaryOp::Eq => f.equal = Some(value),
                    BinaryOp::Gt => f.lower = Some((value, false)),
                    BinaryOp::GtEq => f.lower = Some((value, true)),
                    BinaryOp::Lt => f.upper = Some((value, false)),
                    BinaryOp::LtEq => f.upper = Some((value, true)),
                    _ => {}
                }
            }
            Expr::InList {
                expr,
                list,
                negated: false,
            } => {
                if let Some(i) = key_column(expr) {
                    if list.iter().all(Expr::is_row_independent) && list.len() <= 256 {
                        if let Some(f) = facts.get_mut(i) {
                            f.any_of = Some(list.clone());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    facts
}

fn flip(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::GtEq => BinaryOp::LtEq,
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::LtEq => BinaryOp::GtEq,
        other => other,
    }
}

/// How well an index's columns are constrained: (equality prefix length,
/// whether the next column has a bound).
fn index_match(
    table: &TableDesc,
    columns: &[u32],
    descending: &[bool],
    facts: &[ColumnFacts],
) -> (Vec<Expr>, Option<KeyRange>) {
    let mut prefix = Vec::new();
    for (i, id) in columns.iter().enumerate() {
        let Some(pos) = table.position_of(*id) else {
            break;
        };
        match &facts[pos].equal {
            Some(v) => prefix.push(v.clone()),
            None => {
                let f = &facts[pos];
                if f.lower.is_some() || f.upper.is_some() {
                    let range = KeyRange {
                        prefix: prefix.clone(),
                        lower: f.lower.clone(),
                        upper: f.upper.clone(),
                        next_descending: descending.get(i).copied().unwrap_or(false),
                    };
                    return (prefix, Some(range));
                }
                break;
            }
        }
    }
    (prefix, None)
}

/// Chooses how a scan of `table` filtered by `filter` finds its rows.
pub fn choose_access(table: &Arc<TableDesc>, filter: Option<&Expr>) -> Access {
    let facts = column_facts(table, filter);
    let pk_desc = vec![false; table.primary_key.len()];
    let (pk_prefix, pk_range) = index_match(table, &table.primary_key, &pk_desc, &facts);
    if pk_prefix.len() == table.primary_key.len() && !pk_prefix.is_empty() {
        return Access::PointGets(vec![pk_prefix]);
    }
    // `pk IN (...)` on a single-column key: one point get per value.
    if table.primary_key.len() == 1 {
        if let Some(pos) = table.position_of(table.primary_key[0]) {
            if let Some(list) = &facts[pos].any_of {
                return Access::PointGets(list.iter().map(|v| vec![v.clone()]).collect());
            }
        }
    }
    let mut best_index: Option<(&IndexDesc, Vec<Expr>, Option<KeyRange>)> = None;
    for idx in &table.indexes {
        let (prefix, range) = index_match(table, &idx.columns, &idx.descending, &facts);
        if prefix.is_empty() && range.is_none() {
            continue;
        }
        let better = match &best_index {
            None => true,
            Some((b, bp, _)) => {
                let full = prefix.len() == idx.columns.len() && idx.unique;
                let bfull = bp.len() == b.columns.len() && b.unique;
                (full && !bfull) || (full == bfull && prefix.len() > bp.len())
            }
        };
        if better {
            best_index = Some((idx, prefix, range));
        }
    }
    let pk_score = pk_prefix.len() * 2 + pk_range.is_some() as usize;
    if let Some((idx, prefix, range)) = best_index {
        let full_unique = idx.unique && prefix.len() == idx.columns.len();
        let score = prefix.len() * 2 + range.is_some() as usize;
        if full_unique || score > pk_score {
            let range = range.unwrap_or(KeyRange {
                prefix,
                lower: None,
                upper: None,
                next_descending: false,
            });
            return Access::Index {
                index: idx.clone(),
                range,
            };
        }
    }
    if let Some(range) = pk_range {
        return Access::Range(range);
    }
    if !pk_prefix.is_empty() {
        return Access::Range(KeyRange {
            prefix: pk_prefix,
            lower: None,
            upper: None,
            next_descending: false,
        });
    }
    Access::Full
}
