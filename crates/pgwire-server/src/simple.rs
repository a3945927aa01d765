//! The simple query protocol: one Query message, any number of statements,
//! all results in text format, one ReadyForQuery at the end.

use pgwire::messages::data::FORMAT_CODE_TEXT;
use pgwire::messages::response::EmptyQueryResponse;
use pgwire::messages::PgWireBackendMessage;
use rangedb_sqltypes::session::{SqlSession, StatementOutput};

use crate::connection::Connection;
use crate::copy;
use crate::encode::{data_row, row_description};
use crate::error::{ConnectionError, StepError};

/// Runs a Query message and answers it through ReadyForQuery.
pub(crate) async fn query<S: SqlSession>(
    conn: &mut Connection<S>,
    sql: &str,
) -> Result<(), ConnectionError> {
    // A simple query destroys the unnamed portal, as in PostgreSQL.
    conn.portals.remove("");
    let results = conn.session.simple_query(sql).await;
    if results.is_empty() {
        conn.send(PgWireBackendMessage::EmptyQueryResponse(
            EmptyQueryResponse::new(),
        ))
        .await?;
    }
    for result in results {
        let sent = match result {
            Ok(output) => send_output(conn, output).await,
            Err(err) => Err(StepError::Sql(err)),
        };
        conn.send_parameter_changes().await?;
        match sent {
            Ok(()) => {}
            Err(StepError::Sql(err)) => {
                // The engine stops at the first error of its own; an error
                // here (a row that cannot be sent, an unknown DEALLOCATE)
                // fails the transaction too.
                conn.session.fail_transaction().await;
                conn.send_error(&err).await?;
                break;
            }
            Err(StepError::Conn(err)) => return Err(err),
        }
    }
    conn.ready_for_query().await
}

/// Sends one statement's result: RowDescription and DataRows in text, or
/// the COPY sub-protocol, then its CommandComplete.
async fn send_output<S: SqlSession>(
    conn: &mut Connection<S>,
    output: StatementOutput,
) -> Result<(), StepError> {
    match output {
        StatementOutput::Rows { columns, rows, tag } => {
            let formats = vec![FORMAT_CODE_TEXT; columns.len()];
            conn.send(row_description(&columns, &formats)).await?;
            let ctx = conn.session.eval_context();
            for row in &rows {
                conn.send(data_row(row, &columns, &formats, &ctx)?).await?;
            }
            conn.command_complete(tag).await?;
        }
        StatementOutput::Streaming { columns, first } => {
            let formats = vec![FORMAT_CODE_TEXT; columns.len()];
            conn.send(row_description(&columns, &formats)).await?;
            let tag = stream_rows(conn, &columns, &formats, first).await?;
            conn.command_complete(tag).await?;
        }
        StatementOutput::Command { tag } => conn.command_complete(tag).await?,
        StatementOutput::Empty => {
            conn.send(PgWireBackendMessage::EmptyQueryResponse(
                EmptyQueryResponse::new(),
            ))
            .await?
        }
        StatementOutput::CopyIn { columns, .. } => {
            let tag = copy::copy_in(conn, columns).await?;
            conn.command_complete(tag).await?;
        }
        StatementOutput::CopyOut {
            columns, data, tag, ..
        } => copy::copy_out(conn, columns, data, tag).await?,
        StatementOutput::Deallocate { name } => {
            let tag = conn.deallocate(name)?;
            conn.command_complete(tag).await?;
        }
    }
    Ok(())
}

/// Rows asked of the session per [`SqlSession::fetch`] while streaming.
pub(crate) const STREAM_BATCH: usize = 1024;

/// Sends `first` and then every row the session still has for a streaming
/// result, in `formats`; returns the command tag.
pub(crate) async fn stream_rows<S: SqlSession>(
    conn: &mut Connection<S>,
    columns: &[rangedb_sqltypes::session::Column],
    formats: &[i16],
    first: Vec<rangedb_sqltypes::Row>,
) -> Result<String, StepError> {
    let result = send_stream(conn, columns, formats, first).await;
    if let Err(StepError::Sql(e)) = &result {
        // A row the session produced could not be sent (the session's own
        // errors have ended the stream already): drop what is left.
        conn.session.abandon_stream(e).await;
    }
    result
}

async fn send_stream<S: SqlSession>(
    conn: &mut Connection<S>,
    columns: &[rangedb_sqltypes::session::Column],
    formats: &[i16],
    first: Vec<rangedb_sqltypes::Row>,
) -> Result<String, StepError> {
    let ctx = conn.session.eval_context();
    for row in &first {
        conn.send(data_row(row, columns, formats, &ctx)?).await?;
    }
    loop {
        let (rows, tag) = conn.session.fetch(STREAM_BATCH).await?;
        for row in &rows {
            conn.send(data_row(row, columns, formats, &ctx)?).await?;
        }
        if let Some(tag) = tag {
            return Ok(tag);
        }
    }
}
