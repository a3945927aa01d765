//! Query plans: what the binder produces and the executor runs.
//!
//! * [`expr`]: bound scalar expressions.
//! * [`binder`]: SQL AST -> [`Plan`], resolving names and types.
//! * [`access`]: choosing point gets, range scans and index scans from
//!   predicates (the planner's main decision, visible in EXPLAIN).
//! * [`explain`]: EXPLAIN's text.

pub mod access;
pub mod binder;
pub mod explain;
pub mod expr;
pub mod scope;

use std::sync::Arc;

use rangedb_sqltypes::DataType;

use crate::catalog::{IndexDesc, TableDesc};
use crate::virtual_tables::VirtualTable;
pub use expr::{Env, Expr, SlotValue};

/// Stack left when recursion over an expression (binding, evaluation)
/// moves to a fresh segment: a few levels of the largest frames (unoptimised
/// builds use tens of KiB per level).
pub(crate) const STACK_RED_ZONE: usize = 256 * 1024;
/// Size of each stack segment recursion grows onto.
pub(crate) const STACK_SEGMENT: usize = 4 * 1024 * 1024;

/// A relational operator tree. Built once per statement, so the size
/// difference between variants costs nothing worth boxing for.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Plan {
    /// Literal rows (VALUES, or one empty row for SELECT without FROM).
    Values {
        rows: Vec<Vec<Expr>>,
        width: usize,
        slots: Vec<Slot>,
    },
    /// Rows of a table, fetched by `access`, filtered by `filter` next to the
    /// fetch (before rows travel further up).
    Scan {
        table: Arc<TableDesc>,
        access: Access,
        filter: Option<Expr>,
        slots: Vec<Slot>,
    },
    /// A pg_catalog / information_schema table built from the catalog.
    Virtual { table: VirtualTable },
    Filter {
        input: Box<Plan>,
        predicate: Expr,
        slots: Vec<Slot>,
    },
    Project {
        input: Box<Plan>,
        exprs: Vec<Expr>,
        slots: Vec<Slot>,
    },
    /// Output: group keys, then one column per aggregate.
    Aggregate {
        input: Box<Plan>,
        group_by: Vec<Expr>,
        aggregates: Vec<AggCall>,
    },
    Sort {
        input: Box<Plan>,
        keys: Vec<SortKey>,
    },
    Limit {
        input: Box<Plan>,
        limit: Option<Expr>,
        offset: Option<Expr>,
        /// Subqueries in the counts (`LIMIT (SELECT n FROM ...)`).
        slots: Vec<Slot>,
    },
    /// A set-returning function in the select list: each input row is
    /// repeated once per value `func` returns for the arguments in columns
    /// `args`, with the value in column `target` (no value, no row).
    ProjectSet {
        input: Box<Plan>,
        func: crate::virtual_tables::TableFn,
        args: Vec<usize>,
        target: usize,
        ty: DataType,
    },
    /// DISTINCT (whole rows) or DISTINCT ON (`on`: the columns that
    /// decide; the first row of each value is kept, so the input is sorted
    /// first).
    Distinct {
        input: Box<Plan>,
        on: Option<Vec<usize>>,
    },
    Join {
        left: Box<Plan>,
        right: Box<Plan>,
        kind: JoinKind,
        method: JoinMethod,
        /// Evaluated on the concatenated row (left columns, then right).
        condition: Option<Expr>,
        left_width: usize,
        right_width: usize,
        slots: Vec<Slot>,
    },
    SetOp {
        left: Box<Plan>,
        right: Box<Plan>,
        op: SetOpKind,
        all: bool,
    },
}

/// How a scan finds its rows.
#[derive(Debug, Clone)]
pub enum Access {
    /// Every row of the primary index.
    Full,
    /// The rows whose primary key equals these values (one list per key:
    /// several for `pk IN (...)`).
    PointGets(Vec<Vec<Expr>>),
    /// Primary-index rows with this key prefix and bounds on the next column.
    Range(KeyRange),
    /// Entries of a secondary index, then each row by its primary key.
    Index { index: IndexDesc, range: KeyRange },
}

/// A span of an index: equality on a prefix of its columns and optional
/// bounds on the column after the prefix.
#[derive(Debug, Clone)]
pub struct KeyRange {
    pub prefix: Vec<Expr>,
    /// Lower bound on the next column: (value, inclusive).
    pub lower: Option<(Expr, bool)>,
    pub upper: Option<(Expr, bool)>,
    /// Whether that next column is stored descending.
    pub next_descending: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
}

#[derive(Debug, Clone)]
pub enum JoinMethod {
    /// Build a hash table on the right input keyed by `right_keys`, probe with
    /// `left_keys` (columns of each side's own row).
    Hash {
        left_keys: Vec<Expr>,
        right_keys: Vec<Expr>,
    },
    NestedLoop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOpKind {
    Union,
    Intersect,
    Except,
}

/// Column positions `exprs` read from their input row.
fn columns_read<'a>(
    exprs: impl IntoIterator<Item = &'a Expr>,
) -> std::collections::BTreeSet<usize> {
    exprs.into_iter().flat_map(|e| e.columns_used()).collect()
}

impl Plan {
    /// For a projection or aggregation directly over a primary-key scan
    /// (full or range, no subqueries), the positions of the scanned table's
    /// columns it reads: the scan asks the ranges for those only.
    pub fn scan_columns_read(&self) -> Option<std::collections::BTreeSet<usize>> {
        let (input, used) = match self {
            Plan::Project {
                input,
                exprs,
                slots,
            } if slots.is_empty() => (input, columns_read(exprs)),
            Plan::Aggregate {
                input,
                group_by,
                aggregates,
            } => {
                let exprs = group_by.iter().chain(aggregates.iter().flat_map(|a| {
                    a.args
                        .iter()
                        .chain(a.filter.iter())
                        .chain(a.order_by.iter().map(|k| &k.expr))
                }));
                (input, columns_read(exprs))
            }
            _ => return None,
        };
        match input.as_ref() {
            Plan::Scan {
                access: Access::Full | Access::Range(_),
                slots,
                ..
            } if slots.is_empty() => Some(used),
            _ => None,
        }
    }
}

/// One ORDER BY key over the input row.
#[derive(Debug, Clone)]
pub struct SortKey {
    pub expr: Expr,
    pub descending: bool,
    pub nulls_first: bool,
}

/// The aggregate functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggFunc {
    CountStar,
    Count,
    Sum,
    Avg,
    Min,
    Max,
    BoolAnd,
    BoolOr,
    StringAgg,
    ArrayAgg,
    /// `jsonb_agg(x)`: the values (NULLs too) as a jsonb array.
    JsonbAgg,
    /// `json_agg(x)`: the same as json text.
    JsonAgg,
    /// `jsonb_object_agg(k, v)`: an object of the pairs (later keys win).
    JsonbObjectAgg,
}

/// One aggregate call.
#[derive(Debug, Clone)]
pub struct AggCall {
    pub func: AggFunc,
    pub args: Vec<Expr>,
    pub distinct: bool,
    pub filter: Option<Expr>,
    /// `string_agg(x, ',' ORDER BY y)`.
    pub order_by: Vec<SortKey>,
    pub arg_type: DataType,
    pub result_type: DataType,
}

/// A value an operator computes before evaluating its expressions.
#[derive(Debug, Clone)]
pub struct Slot {
    pub kind: SlotKind,
    /// Whether it reads the current row (recomputed per row) or not
    /// (computed once per execution).
    pub correlated: bool,
}

#[derive(Debug, Clone)]
pub enum SlotKind {
    /// A scalar subquery (first column of at most one row).
    Scalar(Box<Plan>),
    /// EXISTS (subquery).
    Exists(Box<Plan>),
    /// The first column of every row (IN (subquery)).
    Set(Box<Plan>),
    /// `nextval('seq')`: the argument is evaluated on the row.
    Nextval(Box<Expr>),
    /// `currval('seq')`.
    Currval(Box<Expr>),
    /// `setval('seq', n [, is_called])`.
    Setval(Vec<Expr>),
}
