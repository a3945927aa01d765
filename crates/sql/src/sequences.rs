//! Sequences. `nextval` runs in its own small transaction, as in
//! PostgreSQL, so values are never handed out twice and are not given back
//! when the caller's transaction rolls back.

use std::sync::Arc;

use rangedb_sqltypes::{SqlError, SqlState};
use rangedb_txn::Isolation;

use crate::catalog::{store, SequenceDesc};
use crate::error::txn_error;
use crate::exec::ExecCtx;

fn find(cx: &ExecCtx<'_>, name: &str) -> Result<Arc<SequenceDesc>, SqlError> {
    let bare = name.trim_start_matches("public.").trim_matches('"');
    cx.catalog.sequences.get(bare).cloned().ok_or_else(|| {
        SqlError::new(
            SqlState::UNDEFINED_TABLE,
            format!("relation \"{bare}\" does not exist"),
        )
    })
}

/// Decodes a stored sequence state: (last value, whether it was used).
fn decode(raw: Option<Vec<u8>>, seq: &SequenceDesc) -> (i64, bool) {
    match raw {
        Some(b) if b.len() == 9 => {
            let mut v = [0u8; 8];
            v.copy_from_slice(&b[..8]);
            (i64::from_be_bytes(v), b[8] != 0)
        }
        _ => (seq.start, false),
    }
}

fn encode(last: i64, called: bool) -> Vec<u8> {
    let mut b = last.to_be_bytes().to_vec();
    b.push(called as u8);
    b
}

/// Advances the sequence and returns its new value.
/// 25006 for a sequence change inside a READ ONLY transaction.
fn refuse_in_read_only(cx: &ExecCtx<'_>, function: &str) -> Result<(), SqlError> {
    if cx.sequences.read_only {
        return Err(SqlError::new(
            SqlState::READ_ONLY_SQL_TRANSACTION,
            format!("cannot execute {function}() in a read-only transaction"),
        ));
    }
    Ok(())
}

pub async fn nextval(cx: &mut ExecCtx<'_>, name: &str) -> Result<i64, SqlError> {
    refuse_in_read_only(cx, "nextval")?;
    let seq = find(cx, name)?;
    let key = store::sequence_key(seq.id);
    let seq_for_txn = seq.clone();
    let value = cx
        .client
        .run(Isolation::Serializable, move |t| {
            let key = key.clone();
            let seq = seq_for_txn.clone();
            Box::pin(async move {
                let (last, called) = decode(t.get(&key).await?, &seq);
                let next = if called {
                    last.checked_add(seq.increment)
                } else {
                    Some(last)
                };
                let next = match next {
                    Some(n) if n >= seq.min_value && n <= seq.max_value => n,
                    _ if seq.cycle => {
                        if seq.increment > 0 {
                            seq.min_value
                        } else {
                            seq.max_value
                        }
                    }
                    // Signalled as an out-of-range value below.
                    _ => return Ok(None),
                };
                t.put(&key, &encode(next, true))?;
                Ok(Some(next))
            })
        })
        .await
        .map_err(txn_error)?;
    let Some(value) = value else {
        let limit = if seq.increment > 0 {
            ("maximum", seq.max_value)
        } else {
            ("minimum", seq.min_value)
        };
        return Err(SqlError::new(
            SqlState("2200H"),
            format!(
                "nextval: reached {} value of sequence \"{}\" ({})",
                limit.0, seq.name, limit.1
            ),
        ));
    };
    cx.sequences.currval.insert(seq.name.clone(), value);
    Ok(value)
}

/// The value `nextval` last returned in this session.
pub fn currval(cx: &ExecCtx<'_>, name: &str) -> Result<i64, SqlError> {
    let seq = find(cx, name)?;
    cx.sequences.currval.get(&seq.name).copied().ok_or_else(|| {
        SqlError::new(
            SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!(
                "currval of sequence \"{}\" is not yet defined in this session",
                seq.name
            ),
        )
    })
}

/// Sets the sequence's current value.
pub async fn setval(
    cx: &mut ExecCtx<'_>,
    name: &str,
    value: i64,
    is_called: bool,
) -> Result<(), SqlError> {
    refuse_in_read_only(cx, "setval")?;
    let seq = find(cx, name)?;
    if value < seq.min_value || value > seq.max_value {
        return Err(SqlError::out_of_range(format!(
            "setval: value {value} is out of bounds for sequence \"{}\" ({}..{})",
            seq.name, seq.min_value, seq.max_value
        )));
    }
    let key = store::sequence_key(seq.id);
    cx.client
        .run(Isolation::Serializable, move |t| {
            let key = key.clone();
            Box::pin(async move {
                t.put(&key, &encode(value, is_called))?;
                Ok(())
            })
        })
        .await
        .map_err(txn_error)?;
    if is_called {
        cx.sequences.currval.insert(seq.name.clone(), value);
    }
    Ok(())
}
