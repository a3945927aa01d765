//! EXPLAIN: the plan as indented text, naming every decision the planner
//! made (access path per scan, join method, where filters run).

use super::{Access, AggFunc, Expr, JoinKind, JoinMethod, KeyRange, Plan, SetOpKind, SlotKind};
use crate::catalog::TableDesc;

/// One line per operator, children indented by two spaces.
pub fn explain(plan: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    render(plan, 0, &mut out);
    out
}

fn join_exprs(items: &[Expr]) -> String {
    items
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn key_names(table: &TableDesc, ids: &[u32]) -> Vec<String> {
    ids.iter()
        .map(|id| {
            table
                .position_of(*id)
                .map(|p| table.columns[p].name.clone())
                .unwrap_or_default()
        })
        .collect()
}

fn range_text(names: &[String], range: &KeyRange) -> String {
    let mut parts: Vec<String> = names
        .iter()
        .zip(&range.prefix)
        .map(|(n, v)| format!("{n} = {v}"))
        .collect();
    if let Some(next) = names.get(range.prefix.len()) {
        if let Some((v, inclusive)) = &range.lower {
            parts.push(format!(
                "{next} {} {v}",
                if *inclusive { ">=" } else { ">" }
            ));
        }
        if let Some((v, inclusive)) = &range.upper {
            parts.push(format!(
                "{next} {} {v}",
                if *inclusive { "<=" } else { "<" }
            ));
        }
    }
    parts.join(" AND ")
}

fn pk_name(table: &TableDesc) -> String {
    if table.primary_key_name.is_empty() {
        format!("{} (row id)", table.name)
    } else {
        table.primary_key_name.clone()
    }
}

fn subplans(slots: &[super::Slot], depth: usize, out: &mut Vec<String>) {
    for (i, s) in slots.iter().enumerate() {
        let pad = "  ".repeat(depth + 1);
        let plan = match &s.kind {
            SlotKind::Scalar(p) | SlotKind::Exists(p) | SlotKind::Set(p) => p,
            SlotKind::Nextval(_) | SlotKind::Currval(_) | SlotKind::Setval(_) => continue,
        };
        out.push(format!(
            "{pad}SubPlan {}{}",
            i + 1,
            if s.correlated { " (correlated)" } else { "" }
        ));
        render(plan, depth + 2, out);
    }
}

fn render(plan: &Plan, depth: usize, out: &mut Vec<String>) {
    let pad = "  ".repeat(depth);
    match plan {
        Plan::Values { rows, slots, .. } => {
            if rows.len() == 1 && rows[0].is_empty() {
                out.push(format!("{pad}Result"));
            } else {
                out.push(format!("{pad}Values ({} rows)", rows.len()));
            }
            subplans(slots, depth, out);
        }
        Plan::Scan { .. } => render_scan(plan, depth, out, None),
        Plan::Virtual { table } => out.push(format!("{pad}Virtual Scan on {}", table.name())),
        Plan::Filter {
            input,
            predicate,
            slots,
        } => {
            out.push(format!("{pad}Filter: {predicate}"));
            subplans(slots, depth, out);
            render(input, depth + 1, out);
        }
        Plan::Project {
            input,
            exprs,
            slots,
        } => {
            out.push(format!("{pad}Project: {}", join_exprs(exprs)));
            subplans(slots, depth, out);
            render_input(plan, input, depth + 1, out);
        }
        Plan::Aggregate {
            input,
            group_by,
            aggregates,
        } => {
            let aggs: Vec<String> = aggregates
                .iter()
                .map(|a| {
                    let name = match a.func {
                        AggFunc::CountStar => return "count(*)".to_string(),
                        AggFunc::Count => "count",
                        AggFunc::Sum => "sum",
                        AggFunc::Avg => "avg",
                        AggFunc::Min => "min",
                        AggFunc::Max => "max",
                        AggFunc::BoolAnd => "bool_and",
                        AggFunc::BoolOr => "bool_or",
                        AggFunc::StringAgg => "string_agg",
                        AggFunc::ArrayAgg => "array_agg",
                        AggFunc::JsonbAgg => "jsonb_agg",
                        AggFunc::JsonAgg => "json_agg",
                        AggFunc::JsonbObjectAgg => "jsonb_object_agg",
                    };
                    format!(
                        "{name}({}{})",
                        if a.distinct { "DISTINCT " } else { "" },
                        join_exprs(&a.args)
                    )
                })
                .collect();
            if group_by.is_empty() {
                out.push(format!("{pad}Aggregate: {}", aggs.join(", ")));
            } else {
                out.push(format!(
                    "{pad}Hash Aggregate: group by {}; {}",
                    join_exprs(group_by),
                    aggs.join(", ")
                ));
            }
            render_input(plan, input, depth + 1, out);
        }
        Plan::Sort { input, keys } => {
            let keys: Vec<String> = keys
                .iter()
                .map(|k| {
                    format!(
                        "{}{}{}",
                        k.expr,
                        if k.descending { " DESC" } else { "" },
                        match (k.descending, k.nulls_first) {
                            (false, true) => " NULLS FIRST",
                            (true, false) => " NULLS LAST",
                            _ => "",
                        }
                    )
                })
                .collect();
            out.push(format!("{pad}Sort: {}", keys.join(", ")));
            render(input, depth + 1, out);
        }
        Plan::Limit {
            input,
            limit,
            offset,
            slots,
        } => {
            let mut parts = Vec::new();
            if let Some(l) = limit {
                parts.push(format!("limit {l}"));
            }
            if let Some(o) = offset {
                parts.push(format!("offset {o}"));
            }
            out.push(format!("{pad}Limit: {}", parts.join(", ")));
            subplans(slots, depth, out);
            render(input, depth + 1, out);
        }
        Plan::ProjectSet {
            input, func, args, ..
        } => {
            let args: Vec<String> = args.iter().map(|c| format!("col{}", c + 1)).collect();
            out.push(format!(
                "{pad}ProjectSet: {}({})",
                func.name(),
                args.join(", ")
            ));
            render(input, depth + 1, out);
        }
        Plan::Distinct { input, on } => {
            match on {
                None => out.push(format!("{pad}Distinct (hash)")),
                Some(cols) => {
                    let cols: Vec<String> = cols.iter().map(|c| format!("col{}", c + 1)).collect();
                    out.push(format!(
                        "{pad}Distinct On: {} (first of each)",
                        cols.join(", ")
                    ))
                }
            }
            render(input, depth + 1, out);
        }
        Plan::Join {
            left,
            right,
            kind,
            method,
            condition,
            slots,
            ..
        } => {
            let kind = match kind {
                JoinKind::Inner => "inner",
                JoinKind::Left => "left",
                JoinKind::Right => "right",
                JoinKind::Full => "full",
            };
            match method {
                JoinMethod::Hash {
                    left_keys,
                    right_keys,
                } => out.push(format!(
                    "{pad}Hash Join ({kind}): hash on ({}) = ({})",
                    join_exprs(left_keys),
                    join_exprs(right_keys)
                )),
                JoinMethod::NestedLoop => out.push(format!("{pad}Nested Loop Join ({kind})")),
            }
            if let Some(c) = condition {
                out.push(format!("{pad}  Join Filter: {c}"));
            }
            subplans(slots, depth, out);
            render(left, depth + 1, out);
            render(right, depth + 1, out);
        }
        Plan::SetOp {
            left,
            right,
            op,
            all,
        } => {
            let name = match op {
                SetOpKind::Union => "Union",
                SetOpKind::Intersect => "Intersect",
                SetOpKind::Except => "Except",
            };
            out.push(format!("{pad}{name}{}", if *all { " All" } else { "" }));
            render(left, depth + 1, out);
            render(right, depth + 1, out);
        }
    }
}

/// A scan, with the columns its consumer reads when the ranges return only
/// those.
fn render_scan(
    plan: &Plan,
    depth: usize,
    out: &mut Vec<String>,
    columns: Option<std::collections::BTreeSet<usize>>,
) {
    let Plan::Scan {
        table,
        access,
        filter,
        slots,
    } = plan
    else {
        return render(plan, depth, out);
    };
    let pad = "  ".repeat(depth);
    let pk = key_names(table, &table.primary_key);
    let how = match access {
        Access::Full => "full scan".to_string(),
        Access::PointGets(keys) if keys.len() == 1 => format!(
            "point get on {}: {}",
            pk_name(table),
            pk.iter()
                .zip(&keys[0])
                .map(|(n, v)| format!("{n} = {v}"))
                .collect::<Vec<_>>()
                .join(" AND ")
        ),
        Access::PointGets(keys) => {
            format!("{} point gets on {}", keys.len(), pk_name(table))
        }
        Access::Range(r) => {
            format!("range scan on {}: {}", pk_name(table), range_text(&pk, r))
        }
        Access::Index { index, range } => {
            let names = key_names(table, &index.columns);
            let text = range_text(&names, range);
            if text.is_empty() {
                format!("index scan on {}", index.name)
            } else {
                format!("index scan on {}: {}", index.name, text)
            }
        }
    };
    out.push(format!("{pad}Scan on {} ({how})", table.name));
    if let Some(f) = filter {
        // Full and range scans send the filter to the ranges.
        let in_ranges =
            matches!(access, Access::Full | Access::Range(_)) && crate::exec::pushdown::pushable(f);
        let label = if in_ranges {
            "Filter (in ranges)"
        } else {
            "Filter"
        };
        out.push(format!("{pad}  {label}: {f}"));
    }
    subplans(slots, depth, out);
    if let Some(mut columns) = columns {
        // The filter's columns travel too: the scan evaluates it again.
        columns.extend(filter.iter().flat_map(|f| f.columns_used()));
        let names: Vec<&str> = columns
            .iter()
            .filter_map(|&i| table.columns.get(i).map(|c| c.name.as_str()))
            .collect();
        let text = if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        };
        out.push(format!("{pad}  Columns (in ranges): {text}"));
    }
}

/// Renders `input` of `parent`, telling a scan which columns `parent` reads.
fn render_input(parent: &Plan, input: &Plan, depth: usize, out: &mut Vec<String>) {
    match parent.scan_columns_read() {
        Some(columns) => render_scan(input, depth, out, Some(columns)),
        None => render(input, depth, out),
    }
}
