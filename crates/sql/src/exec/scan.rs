//! Table scans. Point gets fetch rows by primary key; range and full scans
//! walk the primary index in bounded chunks; index scans walk a secondary
//! index and fetch each row by the primary key it stores.
//!
//! A span is cut where ranges begin. The first chunk comes from the first
//! range alone (a `LIMIT` query may need no more); after that, up to
//! [`PARALLEL_RANGES`] ranges are fetched at once, each into its own buffer
//! of at most one chunk, and rows are still returned in key order. Full and
//! range scans send their filter with each request, so the ranges drop
//! rows that do not match (see [`super::pushdown`]); the filter runs again
//! here, row by row as the consumer pulls (a row past a LIMIT is never
//! evaluated, as in PostgreSQL).

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

use async_trait::async_trait;
use rangedb_sqltypes::{DataType, Row, SqlError, Value};

use super::pushdown;
use super::relational::passes;
use super::slots::SlotRunner;
use super::{ExecCtx, Operator};
use crate::catalog::TableDesc;
use crate::error::txn_error;
use crate::keys::{
    encode_key_value, fit_bound, fit_key, index_prefix, prefix_end, BoundSide, PRIMARY_INDEX_ID,
};
use crate::plan::{Access, Expr, KeyRange, Slot};
use crate::rows::{decode_table_row, row_key_from_suffix};

/// A `[start, end)` span of keys.
type KeySpan = (Vec<u8>, Vec<u8>);

/// An encoded bound on a key and whether it is inclusive; `None` inside
/// means unbounded, an outer `None` that the bound is NULL (nothing matches).
type KeyBound = Option<Option<(Vec<u8>, bool)>>;

/// Rows examined per request.
pub const SCAN_CHUNK: usize = 512;

/// How many ranges one scan reads from at once.
pub const PARALLEL_RANGES: usize = 4;

/// The part of a scanned span inside one range.
struct Piece {
    /// Where the next chunk starts.
    cursor: Vec<u8>,
    end: Vec<u8>,
    /// Rows fetched but not returned yet (filtered on this node as they are
    /// pulled).
    rows: VecDeque<Row>,
    done: bool,
}

enum State {
    Start,
    /// Walking a span of the primary index or of a secondary index, cut
    /// into per-range pieces in key order.
    Pieces {
        pieces: VecDeque<Piece>,
        secondary: bool,
        /// The filter program sent with each request, if it can run there.
        program: Option<Vec<u8>>,
        /// Fetch rounds so far (the first reads one range only).
        rounds: usize,
    },
    Done,
}

/// A scan of one table.
pub struct ScanOp {
    table: Arc<TableDesc>,
    access: Access,
    filter: Option<Expr>,
    /// The column positions the consumer reads (`None`: all).
    columns: Option<BTreeSet<usize>>,
    slots: SlotRunner,
    state: State,
    buffer: VecDeque<Row>,
}

impl ScanOp {
    pub fn new(
        table: Arc<TableDesc>,
        access: Access,
        filter: Option<Expr>,
        slots: Vec<Slot>,
    ) -> ScanOp {
        ScanOp {
            table,
            access,
            filter,
            columns: None,
            slots: SlotRunner::new(slots),
            state: State::Start,
            buffer: VecDeque::new(),
        }
    }

    /// Limits the columns the ranges return to `columns` (positions in the
    /// table; the others arrive as NULL).
    pub fn reading(mut self, columns: Option<BTreeSet<usize>>) -> ScanOp {
        self.columns = columns;
        self
    }

    /// The types of an index's key columns, in key order.
    fn key_types(&self, index_id: u32) -> Vec<DataType> {
        let ids: &[u32] = if index_id == PRIMARY_INDEX_ID {
            &self.table.primary_key
        } else {
            match self.table.indexes.iter().find(|i| i.id == index_id) {
                Some(i) => &i.columns,
                None => &[],
            }
        };
        ids.iter()
            .map(|id| match self.table.position_of(*id) {
                Some(p) => self.table.columns[p].ty.clone(),
                None => DataType::Unknown,
            })
            .collect()
    }

    /// Evaluates equality key values, each fitted to its column's type;
    /// `None` when no row can match (a NULL, or `int_col = 2.5`).
    fn eval_keys(
        exprs: &[Expr],
        types: &[DataType],
        cx: &ExecCtx<'_>,
    ) -> Result<Option<Vec<Value>>, SqlError> {
        let env = cx.env(&[]);
        let mut out = Vec::with_capacity(exprs.len());
        for (i, e) in exprs.iter().enumerate() {
            let v = e.eval(&[], &env)?;
            if v.is_null() {
                // `col = NULL` matches nothing.
                return Ok(None);
            }
            match fit_key(v, types.get(i).unwrap_or(&DataType::Unknown)) {
                Some(v) => out.push(v),
                None => return Ok(None),
            }
        }
        Ok(Some(out))
    }

    /// `[start, end)` of a key range over `index_id`'s keys.
    fn span(
        &self,
        index_id: u32,
        descending: &[bool],
        range: &KeyRange,
        cx: &ExecCtx<'_>,
    ) -> Result<Option<KeySpan>, SqlError> {
        let types = self.key_types(index_id);
        let Some(prefix_values) = Self::eval_keys(&range.prefix, &types, cx)? else {
            return Ok(None);
        };
        let next_type = types
            .get(range.prefix.len())
            .cloned()
            .unwrap_or(DataType::Unknown);
        let mut prefix = index_prefix(self.table.id, index_id);
        for (i, v) in prefix_values.iter().enumerate() {
            encode_key_value(&mut prefix, v, descending.get(i).copied().unwrap_or(false))?;
        }
        let mut start = prefix.clone();
        let mut end = prefix_end(&prefix);
        let env = cx.env(&[]);
        let bound = |b: &Option<(Expr, bool)>, side: BoundSide| -> Result<KeyBound, SqlError> {
            match b {
                None => Ok(Some(None)),
                Some((e, inclusive)) => {
                    let v = e.eval(&[], &env)?;
                    if v.is_null() {
                        return Ok(None);
                    }
                    // A bound of another number type is fitted (and if
                    // need be loosened) to the column's key encoding.
                    let Some((v, inclusive)) = fit_bound(v, *inclusive, &next_type, side) else {
                        return Ok(Some(None));
                    };
                    let mut k = prefix.clone();
                    encode_key_value(&mut k, &v, range.next_descending)?;
                    Ok(Some(Some((k, inclusive))))
                }
            }
        };
        let (Some(lower), Some(upper)) = (
            bound(&range.lower, BoundSide::Lower)?,
            bound(&range.upper, BoundSide::Upper)?,
        ) else {
            return Ok(None);
        };
        let (key_low, key_high) = if range.next_descending {
            (upper, lower)
        } else {
            (lower, upper)
        };
        if let Some((k, inclusive)) = key_low {
            start = if inclusive { k } else { prefix_end(&k) };
        }
        if let Some((k, inclusive)) = key_high {
            end = if inclusive { prefix_end(&k) } else { k };
        }
        Ok(Some((start, end)))
    }

    async fn start(&mut self, cx: &mut ExecCtx<'_>) -> Result<(), SqlError> {
        match self.access.clone() {
            Access::Full => {
                let prefix = index_prefix(self.table.id, PRIMARY_INDEX_ID);
                let end = prefix_end(&prefix);
                self.state = self.pieces(prefix, end, false, cx).await?;
            }
            Access::PointGets(keys) => {
                let mut row_keys = Vec::new();
                let types = self.key_types(PRIMARY_INDEX_ID);
                for k in &keys {
                    if let Some(values) = Self::eval_keys(k, &types, cx)? {
                        let mut key = index_prefix(self.table.id, PRIMARY_INDEX_ID);
                        for v in &values {
                            encode_key_value(&mut key, v, false)?;
                        }
                        row_keys.push(key);
                    }
                }
                row_keys.sort();
                row_keys.dedup();
                let found = cx.txn.get_batch(&row_keys).await.map_err(txn_error)?;
                let mut rows = Vec::new();
                for v in found.into_iter().flatten() {
                    rows.push(decode_table_row(&self.table, &v)?);
                }
                self.buffer.extend(rows);
                self.state = State::Done;
            }
            Access::Range(range) => {
                let desc = vec![false; self.table.primary_key.len()];
                self.state = match self.span(PRIMARY_INDEX_ID, &desc, &range, cx)? {
                    Some((cursor, end)) => self.pieces(cursor, end, false, cx).await?,
                    None => State::Done,
                };
            }
            Access::Index { index, range } => {
                self.state = match self.span(index.id, &index.descending, &range, cx)? {
                    Some((cursor, end)) => self.pieces(cursor, end, true, cx).await?,
                    None => State::Done,
                };
            }
        }
        Ok(())
    }

    /// The state that walks `[start, end)`, cut at range boundaries.
    async fn pieces(
        &self,
        start: Vec<u8>,
        end: Vec<u8>,
        secondary: bool,
        cx: &mut ExecCtx<'_>,
    ) -> Result<State, SqlError> {
        if start >= end {
            return Ok(State::Done);
        }
        let pieces = cx
            .txn
            .split_by_range(&start, &end)
            .await
            .map_err(txn_error)?
            .into_iter()
            .map(|(cursor, end)| Piece {
                cursor,
                end,
                rows: VecDeque::new(),
                done: false,
            })
            .collect();
        // Index entries are not rows: the filter runs after the row fetch.
        let program = if secondary {
            None
        } else {
            pushdown::encode(
                &self.table,
                self.filter.as_ref(),
                self.columns.as_ref(),
                cx.params,
                cx.eval,
            )
        };
        Ok(State::Pieces {
            pieces,
            secondary,
            program,
            rounds: 0,
        })
    }

    /// Whether `row` passes the scan's filter. Evaluated row by row as the
    /// consumer pulls, as PostgreSQL does: a row past a LIMIT is never
    /// evaluated, so it cannot raise an error.
    async fn passes(&mut self, row: &Row, cx: &mut ExecCtx<'_>) -> Result<bool, SqlError> {
        let Some(f) = &self.filter else {
            return Ok(true);
        };
        let slot_values = if self.slots.is_empty() {
            Vec::new()
        } else {
            self.slots.compute(row, cx).await?
        };
        let env = cx.env(&slot_values);
        passes(&f.eval(row, &env)?)
    }

    /// Moves the front piece's rows to the output buffer, or
    /// fetches the next chunk of the front piece (and of up to
    /// `PARALLEL_RANGES - 1` pieces after it whose buffers are empty) when
    /// it has none.
    async fn fetch_round(&mut self, cx: &mut ExecCtx<'_>) -> Result<(), SqlError> {
        // Rows are filtered on this node as the consumer pulls them (see
        // `passes`), so rows fetched ahead are only decoded here.
        if let Some(rows) = self.take_front_rows() {
            self.buffer.extend(rows);
            return Ok(());
        }
        let State::Pieces {
            pieces,
            secondary,
            program,
            rounds,
        } = &mut self.state
        else {
            return Ok(());
        };
        if pieces.is_empty() {
            self.state = State::Done;
            return Ok(());
        }
        cx.check_cancel()?;
        let width = if *rounds == 0 { 1 } else { PARALLEL_RANGES };
        *rounds += 1;
        let targets: Vec<usize> = (0..pieces.len())
            .filter(|&i| !pieces[i].done && pieces[i].rows.is_empty())
            .take(width)
            .collect();
        let requests: Vec<(Vec<u8>, Vec<u8>)> = targets
            .iter()
            .map(|&i| (pieces[i].cursor.clone(), pieces[i].end.clone()))
            .collect();
        let secondary = *secondary;
        let chunks = cx
            .txn
            .scan_chunks(&requests, SCAN_CHUNK, program.as_deref())
            .await
            .map_err(txn_error)?;
        let mut fetched = Vec::with_capacity(chunks.len());
        for (&i, chunk) in targets.iter().zip(chunks) {
            let rows = self.decode_chunk(&chunk.rows, secondary, cx).await?;
            fetched.push((i, rows, chunk.next));
        }
        if let State::Pieces { pieces, .. } = &mut self.state {
            for (i, rows, next) in fetched {
                let piece = &mut pieces[i];
                piece.rows.extend(rows);
                match next {
                    Some(c) => piece.cursor = c,
                    None => piece.done = true,
                }
            }
        }
        Ok(())
    }

    /// The fetched rows of the first piece that is not finished (dropping
    /// finished pieces before it), if it has any waiting.
    fn take_front_rows(&mut self) -> Option<Vec<Row>> {
        let State::Pieces { pieces, .. } = &mut self.state else {
            return None;
        };
        while let Some(front) = pieces.front_mut() {
            if !front.rows.is_empty() {
                return Some(front.rows.drain(..).collect());
            }
            if !front.done {
                return None;
            }
            pieces.pop_front();
        }
        None
    }

    /// The table rows of a fetched chunk: decoded from the primary index,
    /// or fetched by the primary keys a secondary index's entries hold.
    async fn decode_chunk(
        &self,
        chunk: &[(Vec<u8>, Vec<u8>)],
        secondary: bool,
        cx: &mut ExecCtx<'_>,
    ) -> Result<Vec<Row>, SqlError> {
        let mut rows = Vec::with_capacity(chunk.len());
        if secondary {
            let keys: Vec<Vec<u8>> = chunk
                .iter()
                .map(|(_, suffix)| row_key_from_suffix(&self.table, suffix))
                .collect();
            let found = cx.txn.get_batch(&keys).await.map_err(txn_error)?;
            for v in found.into_iter().flatten() {
                rows.push(decode_table_row(&self.table, &v)?);
            }
        } else {
            for (_, v) in chunk {
                rows.push(decode_table_row(&self.table, v)?);
            }
        }
        Ok(rows)
    }
}

#[async_trait]
impl Operator for ScanOp {
    async fn next(&mut self, cx: &mut ExecCtx<'_>) -> Result<Option<Row>, SqlError> {
        if matches!(self.state, State::Start) {
            self.start(cx).await?;
        }
        loop {
            while let Some(r) = self.buffer.pop_front() {
                if self.passes(&r, cx).await? {
                    return Ok(Some(r));
                }
            }
            if matches!(self.state, State::Done) {
                return Ok(None);
            }
            self.fetch_round(cx).await?;
        }
    }
}
