//! Table scans. Point gets fetch rows by primary key; range and full scans
//! walk the primary index in bounded chunks; index scans walk a secondary
//! index and fetch each row by the primary key it stores. The scan's filter
//! runs on each chunk as it arrives.

use std::collections::VecDeque;
use std::sync::Arc;

use async_trait::async_trait;
use rangedb_sqltypes::{Row, SqlError, Value};

use super::relational::passes;
use super::slots::SlotRunner;
use super::{ExecCtx, Operator};
use crate::catalog::TableDesc;
use crate::error::txn_error;
use crate::keys::{encode_key_value, index_prefix, prefix_end, PRIMARY_INDEX_ID};
use crate::plan::{Access, Expr, KeyRange, Slot};
use crate::rows::{decode_table_row, row_key_from_suffix};

/// A `[start, end)` span of keys.
type KeySpan = (Vec<u8>, Vec<u8>);

/// An encoded bound on a key and whether it is inclusive; `None` inside
/// means unbounded, an outer `None` that the bound is NULL (nothing matches).
type KeyBound = Option<Option<(Vec<u8>, bool)>>;

/// Rows fetched per request.
pub const SCAN_CHUNK: usize = 512;

enum State {
    Start,
    /// Walking `[cursor, end)` of the primary index (`index` = None) or of a
    /// secondary index.
    Span {
        cursor: Vec<u8>,
        end: Vec<u8>,
        secondary: bool,
    },
    Done,
}

/// A scan of one table.
pub struct ScanOp {
    table: Arc<TableDesc>,
    access: Access,
    filter: Option<Expr>,
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
            slots: SlotRunner::new(slots),
            state: State::Start,
            buffer: VecDeque::new(),
        }
    }

    fn eval_keys(exprs: &[Expr], cx: &ExecCtx<'_>) -> Result<Option<Vec<Value>>, SqlError> {
        let env = cx.env(&[]);
        let mut out = Vec::with_capacity(exprs.len());
        for e in exprs {
            let v = e.eval(&[], &env)?;
            if v.is_null() {
                // `col = NULL` matches nothing.
                return Ok(None);
            }
            out.push(v);
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
        let Some(prefix_values) = Self::eval_keys(&range.prefix, cx)? else {
            return Ok(None);
        };
        let mut prefix = index_prefix(self.table.id, index_id);
        for (i, v) in prefix_values.iter().enumerate() {
            encode_key_value(&mut prefix, v, descending.get(i).copied().unwrap_or(false))?;
        }
        let mut start = prefix.clone();
        let mut end = prefix_end(&prefix);
        let env = cx.env(&[]);
        let bound = |b: &Option<(Expr, bool)>| -> Result<KeyBound, SqlError> {
            match b {
                None => Ok(Some(None)),
                Some((e, inclusive)) => {
                    let v = e.eval(&[], &env)?;
                    if v.is_null() {
                        return Ok(None);
                    }
                    let mut k = prefix.clone();
                    encode_key_value(&mut k, &v, range.next_descending)?;
                    Ok(Some(Some((k, *inclusive))))
                }
            }
        };
        let (Some(lower), Some(upper)) = (bound(&range.lower)?, bound(&range.upper)?) else {
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
                self.state = State::Span {
                    end: prefix_end(&prefix),
                    cursor: prefix,
                    secondary: false,
                };
            }
            Access::PointGets(keys) => {
                let mut row_keys = Vec::new();
                for k in &keys {
                    if let Some(values) = Self::eval_keys(k, cx)? {
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
                self.accept(rows, cx).await?;
                self.state = State::Done;
            }
            Access::Range(range) => {
                let desc = vec![false; self.table.primary_key.len()];
                self.state = match self.span(PRIMARY_INDEX_ID, &desc, &range, cx)? {
                    Some((cursor, end)) => State::Span {
                        cursor,
                        end,
                        secondary: false,
                    },
                    None => State::Done,
                };
            }
            Access::Index { index, range } => {
                self.state = match self.span(index.id, &index.descending, &range, cx)? {
                    Some((cursor, end)) => State::Span {
                        cursor,
                        end,
                        secondary: true,
                    },
                    None => State::Done,
                };
            }
        }
        Ok(())
    }

    /// Filters fetched rows into the buffer.
    async fn accept(&mut self, rows: Vec<Row>, cx: &mut ExecCtx<'_>) -> Result<(), SqlError> {
        for row in rows {
            let keep = match &self.filter {
                Some(f) => {
                    let slot_values = if self.slots.is_empty() {
                        Vec::new()
                    } else {
                        self.slots.compute(&row, cx).await?
                    };
                    let env = cx.env(&slot_values);
                    passes(&f.eval(&row, &env)?)?
                }
                None => true,
            };
            if keep {
                self.buffer.push_back(row);
            }
        }
        Ok(())
    }

    async fn fetch_chunk(&mut self, cx: &mut ExecCtx<'_>) -> Result<(), SqlError> {
        let State::Span {
            cursor,
            end,
            secondary,
        } = &self.state
        else {
            return Ok(());
        };
        let (cursor, end, secondary) = (cursor.clone(), end.clone(), *secondary);
        cx.check_cancel()?;
        let chunk = cx
            .txn
            .scan(&cursor, Some(&end), SCAN_CHUNK)
            .await
            .map_err(txn_error)?;
        let full = chunk.len() == SCAN_CHUNK;
        self.state = match chunk.last() {
            Some((k, _)) if full => {
                let mut next = k.clone();
                next.push(0);
                State::Span {
                    cursor: next,
                    end,
                    secondary,
                }
            }
            _ => State::Done,
        };
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
            for (_, v) in &chunk {
                rows.push(decode_table_row(&self.table, v)?);
            }
        }
        self.accept(rows, cx).await
    }
}

#[async_trait]
impl Operator for ScanOp {
    async fn next(&mut self, cx: &mut ExecCtx<'_>) -> Result<Option<Row>, SqlError> {
        if matches!(self.state, State::Start) {
            self.start(cx).await?;
        }
        loop {
            if let Some(r) = self.buffer.pop_front() {
                return Ok(Some(r));
            }
            if matches!(self.state, State::Done) {
                return Ok(None);
            }
            self.fetch_chunk(cx).await?;
        }
    }
}
