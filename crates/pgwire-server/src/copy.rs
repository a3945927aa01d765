//! The COPY sub-protocol: `COPY ... FROM STDIN` (CopyInResponse, then the
//! client's CopyData/CopyDone/CopyFail) and `COPY ... TO STDOUT`
//! (CopyOutResponse, CopyData, CopyDone).

use pgwire::messages::copy::{CopyData, CopyDone, CopyInResponse, CopyOutResponse};
use pgwire::messages::data::FORMAT_CODE_TEXT;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use rangedb_sqltypes::session::{SqlSession, StatementOutput};
use rangedb_sqltypes::SqlError;

use crate::connection::Connection;
use crate::encode::protocol_violation;
use crate::error::{ConnectionError, StepError};

/// Overall format 0: the text/CSV formats rangedb's COPY speaks.
const COPY_FORMAT_TEXT: i8 = 0;

/// Runs a `COPY FROM STDIN` whose statement has already started in the
/// session; returns the `COPY n` tag for CommandComplete.
pub(crate) async fn copy_in<S: SqlSession>(
    conn: &mut Connection<S>,
    columns: usize,
) -> Result<String, StepError> {
    let columns = column_count(columns)?;
    conn.send(PgWireBackendMessage::CopyInResponse(CopyInResponse::new(
        COPY_FORMAT_TEXT,
        columns,
        vec![FORMAT_CODE_TEXT; columns as usize],
    )))
    .await?;
    conn.wire.flush().await?;
    loop {
        let message = match conn.next_message().await {
            Ok(Some(message)) => message,
            other => {
                // Let the engine discard what it buffered before close().
                let _ = conn
                    .session
                    .copy_in_fail("client disconnected during COPY")
                    .await;
                return Err(match other {
                    Err(err) => err,
                    _ => ConnectionError::UnexpectedEof,
                }
                .into());
            }
        };
        match message {
            PgWireFrontendMessage::CopyData(data) => conn.session.copy_in_data(&data.data).await?,
            PgWireFrontendMessage::CopyDone(_) => {
                let output = conn.session.copy_in_done().await?;
                return Ok(tag_of(output));
            }
            PgWireFrontendMessage::CopyFail(fail) => {
                return Err(conn.session.copy_in_fail(&fail.message).await.into());
            }
            // Drivers pipeline a Sync behind the Execute that starts the COPY;
            // PostgreSQL ignores Flush and Sync in copy-in mode.
            PgWireFrontendMessage::Flush(_) | PgWireFrontendMessage::Sync(_) => {}
            PgWireFrontendMessage::Terminate(_) => {
                let _ = conn
                    .session
                    .copy_in_fail("client terminated during COPY")
                    .await;
                return Err(ConnectionError::UnexpectedEof.into());
            }
            _ => {
                let _ = conn
                    .session
                    .copy_in_fail("unexpected message during COPY")
                    .await;
                return Err(
                    protocol_violation("unexpected message type during COPY from stdin").into(),
                );
            }
        }
    }
}

/// Sends a `COPY TO STDOUT` result: CopyOutResponse, one CopyData per
/// chunk, CopyDone and CommandComplete.
pub(crate) async fn copy_out<S: SqlSession>(
    conn: &mut Connection<S>,
    columns: usize,
    data: Vec<Vec<u8>>,
    tag: String,
) -> Result<(), StepError> {
    let columns = column_count(columns)?;
    conn.send(PgWireBackendMessage::CopyOutResponse(CopyOutResponse::new(
        COPY_FORMAT_TEXT,
        columns,
        vec![FORMAT_CODE_TEXT; columns as usize],
    )))
    .await?;
    for chunk in data {
        conn.send(PgWireBackendMessage::CopyData(CopyData::new(chunk.into())))
            .await?;
    }
    conn.send(PgWireBackendMessage::CopyDone(CopyDone::new()))
        .await?;
    conn.command_complete(tag).await?;
    Ok(())
}

fn column_count(columns: usize) -> Result<i16, SqlError> {
    i16::try_from(columns).map_err(|_| SqlError::internal(format!("COPY with {columns} columns")))
}

/// The command tag of what `copy_in_done` returned.
fn tag_of(output: StatementOutput) -> String {
    match output {
        StatementOutput::Command { tag } | StatementOutput::Rows { tag, .. } => tag,
        StatementOutput::CopyOut { tag, .. } => tag,
        StatementOutput::CopyIn { .. }
        | StatementOutput::Streaming { .. }
        | StatementOutput::Empty
        | StatementOutput::Deallocate { .. } => "COPY 0".to_owned(),
    }
}
