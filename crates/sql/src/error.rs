//! Conversions from lower layers' errors into [`SqlError`], the only error
//! type above this crate.

use rangedb_common::KvError;
use rangedb_sqltypes::{SqlError, SqlState};
use rangedb_txn::TxnError;

/// A transaction-layer error as the client should see it: conflicts are
/// 40001 so that clients retry (40P01 for a deadlock), an unknown commit
/// outcome is 40003.
pub fn txn_error(e: TxnError) -> SqlError {
    match e {
        TxnError::Retryable(conflict) => SqlError::new(
            SqlState::SERIALIZATION_FAILURE,
            format!("could not serialize access due to concurrent update ({conflict})"),
        )
        .with_hint("The transaction might succeed if retried."),
        TxnError::Deadlock { cycle } => {
            SqlError::new(SqlState::DEADLOCK_DETECTED, "deadlock detected")
                .with_detail(format!("{}.", rangedb_txn::describe_cycle(&cycle)))
                .with_hint("The transaction might succeed if retried.")
        }
        TxnError::CommitUnknown(msg) => SqlError::new(
            SqlState::STATEMENT_COMPLETION_UNKNOWN,
            format!("the outcome of the commit is unknown: {msg}"),
        ),
        TxnError::Finished => SqlError::new(
            SqlState::INVALID_TRANSACTION_STATE,
            "the transaction is already finished",
        ),
        TxnError::Kv(e) => kv_error(e),
    }
}

/// A KV-layer error outside a transaction's control.
fn kv_error(e: KvError) -> SqlError {
    match e {
        KvError::Txn(conflict) => SqlError::new(
            SqlState::SERIALIZATION_FAILURE,
            format!("could not serialize access due to concurrent update ({conflict})"),
        ),
        other => SqlError::new(
            SqlState::CONNECTION_FAILURE,
            format!("storage cluster error: {other}"),
        ),
    }
}
