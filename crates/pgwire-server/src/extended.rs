//! The extended query protocol: Parse, Bind, Describe, Execute (with row
//! limits and portal suspension), Close and Sync.

use std::sync::Arc;

use pgwire::messages::data::{NoData, ParameterDescription, FORMAT_CODE_TEXT};
use pgwire::messages::extendedquery::{
    Bind, BindComplete, Close, CloseComplete, Describe, Execute, Parse, ParseComplete,
    PortalSuspended, TARGET_TYPE_BYTE_PORTAL, TARGET_TYPE_BYTE_STATEMENT,
};
use pgwire::messages::response::EmptyQueryResponse;
use pgwire::messages::PgWireBackendMessage;
use rangedb_sqltypes::session::{Column, SqlSession, StatementOutput};
use rangedb_sqltypes::{DataType, Row, SqlError, SqlState, Value};

use crate::connection::Connection;
use crate::copy;
use crate::encode::{
    data_row, decode_param, protocol_violation, resolve_formats, row_description, FormatsOf,
};
use crate::error::{ConnectionError, StepError};

/// A parsed statement (Parse), shared by the portals bound from it.
pub(crate) struct Prepared<St> {
    /// The engine's statement; `None` for an empty query string, which
    /// executes as EmptyQueryResponse without reaching the engine.
    statement: Option<St>,
    param_types: Vec<DataType>,
    columns: Option<Vec<Column>>,
}

/// A bound statement (Bind) and, once executed, its remaining rows.
pub(crate) struct Portal<St> {
    prepared: Arc<Prepared<St>>,
    /// Decoded parameters, handed to the engine on the first Execute.
    params: Vec<Value>,
    /// Bind's result format codes as sent (resolved against the columns).
    format_codes: Vec<i16>,
    state: PortalState,
}

enum PortalState {
    /// Not executed yet.
    Unstarted,
    /// Executed; rows not yet sent wait here between Executes.
    Rows {
        columns: Vec<Column>,
        formats: Vec<i16>,
        rows: std::vec::IntoIter<Row>,
        tag: String,
        suspended: bool,
    },
    /// Ran to completion; its tag, reported again with no rows if executed
    /// again.
    Done { tag: Option<String> },
}

/// Parse: prepares a statement under a name (`""` replaces the unnamed one).
pub(crate) async fn parse<S: SqlSession>(
    conn: &mut Connection<S>,
    parse: Parse,
) -> Result<(), StepError> {
    let name = parse.name.unwrap_or_default();
    if name.is_empty() {
        conn.statements.remove("");
    } else if conn.statements.contains_key(&name) {
        return Err(SqlError::new(
            SqlState::DUPLICATE_PREPARED_STATEMENT,
            format!("prepared statement \"{name}\" already exists"),
        )
        .into());
    }
    let declared = parse
        .type_oids
        .iter()
        .map(|&oid| declared_type(oid))
        .collect::<Result<Vec<_>, _>>()?;
    let prepared = if is_empty_query(&parse.query) {
        Prepared {
            statement: None,
            param_types: declared
                .into_iter()
                .map(|t| t.unwrap_or(DataType::Unknown))
                .collect(),
            columns: None,
        }
    } else {
        let info = conn.session.prepare(&parse.query, &declared).await?;
        Prepared {
            statement: Some(info.statement),
            param_types: info.param_types,
            columns: info.columns,
        }
    };
    conn.statements.insert(name, Arc::new(prepared));
    conn.send(PgWireBackendMessage::ParseComplete(ParseComplete::new()))
        .await?;
    Ok(())
}

/// Bind: decodes the parameters and creates a portal.
pub(crate) async fn bind<S: SqlSession>(
    conn: &mut Connection<S>,
    bind: Bind,
) -> Result<(), StepError> {
    let statement_name = bind.statement_name.unwrap_or_default();
    let portal_name = bind.portal_name.unwrap_or_default();
    let prepared = lookup_statement(conn, &statement_name)?;
    if !portal_name.is_empty() && conn.portals.contains_key(&portal_name) {
        return Err(SqlError::new(
            SqlState("42P03"),
            format!("cursor \"{portal_name}\" already exists"),
        )
        .into());
    }
    let expected = prepared.param_types.len();
    if bind.parameters.len() != expected {
        return Err(protocol_violation(format!(
            "bind message supplies {} parameters, but prepared statement \"{statement_name}\" requires {expected}",
            bind.parameters.len()
        ))
        .into());
    }
    let formats = resolve_formats(
        &bind.parameter_format_codes,
        expected,
        FormatsOf::Parameters,
    )?;
    let ctx = conn.session.eval_context();
    let params = bind
        .parameters
        .iter()
        .zip(&prepared.param_types)
        .zip(&formats)
        .map(|((bytes, ty), format)| decode_param(bytes.as_deref(), ty, *format, &ctx))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(columns) = &prepared.columns {
        resolve_formats(
            &bind.result_column_format_codes,
            columns.len(),
            FormatsOf::Results,
        )?;
    }
    conn.portals.insert(
        portal_name,
        Portal {
            prepared,
            params,
            format_codes: bind.result_column_format_codes,
            state: PortalState::Unstarted,
        },
    );
    conn.send(PgWireBackendMessage::BindComplete(BindComplete::new()))
        .await?;
    Ok(())
}

/// Describe: ParameterDescription and RowDescription/NoData for a
/// statement, RowDescription/NoData (in the bound formats) for a portal.
pub(crate) async fn describe<S: SqlSession>(
    conn: &mut Connection<S>,
    describe: Describe,
) -> Result<(), StepError> {
    let name = describe.name.unwrap_or_default();
    let (columns, formats) = match describe.target_type {
        TARGET_TYPE_BYTE_STATEMENT => {
            let prepared = lookup_statement(conn, &name)?;
            let types = prepared.param_types.iter().map(DataType::oid).collect();
            conn.send(PgWireBackendMessage::ParameterDescription(
                ParameterDescription::new(types),
            ))
            .await?;
            let formats = vec![FORMAT_CODE_TEXT; prepared.columns.as_ref().map_or(0, Vec::len)];
            (prepared.columns.clone(), formats)
        }
        TARGET_TYPE_BYTE_PORTAL => {
            let portal = conn.portals.get(&name).ok_or_else(|| no_portal(&name))?;
            match &portal.state {
                PortalState::Rows {
                    columns, formats, ..
                } => (Some(columns.clone()), formats.clone()),
                PortalState::Done { .. } => (None, Vec::new()),
                PortalState::Unstarted => match &portal.prepared.columns {
                    Some(columns) => {
                        let formats = resolve_formats(
                            &portal.format_codes,
                            columns.len(),
                            FormatsOf::Results,
                        )?;
                        (Some(columns.clone()), formats)
                    }
                    None => (None, Vec::new()),
                },
            }
        }
        other => {
            return Err(
                protocol_violation(format!("invalid DESCRIBE message subtype {other}")).into(),
            )
        }
    };
    match columns {
        Some(columns) => conn.send(row_description(&columns, &formats)).await?,
        None => {
            conn.send(PgWireBackendMessage::NoData(NoData::new()))
                .await?
        }
    }
    Ok(())
}

/// Execute: runs the portal on first use, then sends up to `max_rows` rows
/// (0 = all), ending with PortalSuspended if rows remain.
pub(crate) async fn execute<S: SqlSession>(
    conn: &mut Connection<S>,
    execute: Execute,
) -> Result<(), StepError> {
    let name = execute.name.unwrap_or_default();
    let mut portal = conn.portals.remove(&name).ok_or_else(|| no_portal(&name))?;
    let result = run_portal(conn, &mut portal, execute.max_rows).await;
    conn.portals.insert(name, portal);
    result
}

/// PostgreSQL's error for a prepared statement whose result columns changed
/// since it was described (a DDL in between): the client decodes rows by
/// the RowDescription it already has, so different columns would be
/// misread rather than merely surprising.
fn changed_result_type<St>(prepared: &Prepared<St>, output: &StatementOutput) -> Option<SqlError> {
    let described = prepared.columns.as_ref()?;
    let now = match output {
        StatementOutput::Rows { columns, .. } | StatementOutput::Streaming { columns, .. } => {
            columns
        }
        _ => return None,
    };
    let same = described.len() == now.len()
        && described
            .iter()
            .zip(now)
            .all(|(a, b)| a.ty.oid() == b.ty.oid());
    (!same).then(|| {
        SqlError::new(
            SqlState::FEATURE_NOT_SUPPORTED,
            "cached plan must not change result type",
        )
    })
}

async fn run_portal<S: SqlSession>(
    conn: &mut Connection<S>,
    portal: &mut Portal<S::Statement>,
    max_rows: i32,
) -> Result<(), StepError> {
    if let PortalState::Unstarted = portal.state {
        portal.state = PortalState::Done { tag: None };
        let Some(statement) = &portal.prepared.statement else {
            conn.send(PgWireBackendMessage::EmptyQueryResponse(
                EmptyQueryResponse::new(),
            ))
            .await?;
            return Ok(());
        };
        let params = std::mem::take(&mut portal.params);
        let more = conn.wire.execute_before_sync().unwrap_or(true);
        conn.session.more_before_sync(more);
        let output = conn.session.execute(statement, params).await;
        conn.send_parameter_changes().await?;
        let output = output?;
        if let Some(err) = changed_result_type(&portal.prepared, &output) {
            if let StatementOutput::Streaming { .. } = output {
                conn.session.abandon_stream(&err).await;
            }
            return Err(err.into());
        }
        match output {
            StatementOutput::Rows { columns, rows, tag } => {
                let formats =
                    resolve_formats(&portal.format_codes, columns.len(), FormatsOf::Results)?;
                portal.state = PortalState::Rows {
                    columns,
                    formats,
                    rows: rows.into_iter(),
                    tag,
                    suspended: false,
                };
            }
            StatementOutput::Streaming { columns, first } => {
                let formats = match resolve_formats(
                    &portal.format_codes,
                    columns.len(),
                    FormatsOf::Results,
                ) {
                    Ok(f) => f,
                    Err(e) => {
                        conn.session.abandon_stream(&e).await;
                        return Err(e.into());
                    }
                };
                if max_rows <= 0 {
                    // Everything goes out now: stream it.
                    let tag = crate::simple::stream_rows(conn, &columns, &formats, first).await?;
                    portal.state = PortalState::Done {
                        tag: Some(with_row_count(&tag, 0)),
                    };
                    conn.command_complete(tag).await?;
                    return Ok(());
                }
                // A paged portal outlives this message: collect the rest so
                // the session is free for other statements meanwhile.
                let mut rows = first;
                let tag = loop {
                    // A session error ends the stream on its side too.
                    let (more, tag) = conn.session.fetch(crate::simple::STREAM_BATCH).await?;
                    rows.extend(more);
                    if let Some(tag) = tag {
                        break tag;
                    }
                };
                portal.state = PortalState::Rows {
                    columns,
                    formats,
                    rows: rows.into_iter(),
                    tag,
                    suspended: false,
                };
            }
            StatementOutput::Command { tag } => {
                portal.state = PortalState::Done {
                    tag: Some(tag.clone()),
                };
                conn.command_complete(tag).await?;
                return Ok(());
            }
            StatementOutput::Empty => {
                conn.send(PgWireBackendMessage::EmptyQueryResponse(
                    EmptyQueryResponse::new(),
                ))
                .await?;
                return Ok(());
            }
            StatementOutput::Deallocate { name } => {
                let tag = conn.deallocate(name)?;
                portal.state = PortalState::Done {
                    tag: Some(tag.clone()),
                };
                conn.command_complete(tag).await?;
                return Ok(());
            }
            StatementOutput::CopyIn { columns, .. } => {
                let tag = copy::copy_in(conn, columns).await?;
                conn.command_complete(tag).await?;
                return Ok(());
            }
            StatementOutput::CopyOut {
                columns, data, tag, ..
            } => {
                copy::copy_out(conn, columns, data, tag).await?;
                return Ok(());
            }
        }
    }
    match &mut portal.state {
        PortalState::Rows {
            columns,
            formats,
            rows,
            tag,
            suspended,
        } => {
            let limit = if max_rows > 0 {
                max_rows as usize
            } else {
                usize::MAX
            };
            let ctx = conn.session.eval_context();
            let mut sent = 0usize;
            while sent < limit {
                let Some(row) = rows.next() else { break };
                conn.send(data_row(&row, columns, formats, &ctx)?).await?;
                sent += 1;
            }
            if rows.len() > 0 {
                *suspended = true;
                conn.send(PgWireBackendMessage::PortalSuspended(PortalSuspended::new()))
                    .await?;
            } else {
                let done_tag = if *suspended {
                    with_row_count(tag, sent)
                } else {
                    tag.clone()
                };
                portal.state = PortalState::Done {
                    tag: Some(with_row_count(&done_tag, 0)),
                };
                conn.command_complete(done_tag).await?;
            }
        }
        PortalState::Done { tag } => {
            // Executing a finished portal fetches nothing more.
            match tag.clone() {
                Some(tag) => conn.command_complete(with_row_count(&tag, 0)).await?,
                None => {
                    conn.send(PgWireBackendMessage::EmptyQueryResponse(
                        EmptyQueryResponse::new(),
                    ))
                    .await?
                }
            }
        }
        PortalState::Unstarted => {}
    }
    Ok(())
}

/// Close: drops a statement or portal; closing a missing one is not an error.
pub(crate) async fn close<S: SqlSession>(
    conn: &mut Connection<S>,
    close: Close,
) -> Result<(), StepError> {
    let name = close.name.unwrap_or_default();
    match close.target_type {
        TARGET_TYPE_BYTE_STATEMENT => {
            conn.statements.remove(&name);
        }
        TARGET_TYPE_BYTE_PORTAL => {
            conn.portals.remove(&name);
        }
        other => {
            return Err(protocol_violation(format!("invalid CLOSE message subtype {other}")).into())
        }
    }
    conn.send(PgWireBackendMessage::CloseComplete(CloseComplete::new()))
        .await?;
    Ok(())
}

/// Sync: ends the message sequence (and any error skipping), lets the
/// session commit or roll back its implicit transaction, then ReadyForQuery.
pub(crate) async fn sync<S: SqlSession>(conn: &mut Connection<S>) -> Result<(), ConnectionError> {
    conn.skip_until_sync = false;
    if let Err(err) = conn.session.sync().await {
        conn.send_error(&err).await?;
    }
    conn.send_parameter_changes().await?;
    conn.ready_for_query().await
}

fn lookup_statement<S: SqlSession>(
    conn: &Connection<S>,
    name: &str,
) -> Result<Arc<Prepared<S::Statement>>, SqlError> {
    conn.statements.get(name).cloned().ok_or_else(|| {
        let message = if name.is_empty() {
            "unnamed prepared statement does not exist".to_owned()
        } else {
            format!("prepared statement \"{name}\" does not exist")
        };
        SqlError::new(SqlState::INVALID_SQL_STATEMENT_NAME, message)
    })
}

fn no_portal(name: &str) -> SqlError {
    SqlError::new(
        SqlState::INVALID_CURSOR_NAME,
        format!("portal \"{name}\" does not exist"),
    )
}

/// A client-declared parameter type: 0 leaves it to the engine.
fn declared_type(oid: u32) -> Result<Option<DataType>, SqlError> {
    if oid == 0 {
        return Ok(None);
    }
    DataType::from_oid(oid).map(Some).ok_or_else(|| {
        SqlError::unsupported(format!("parameter type with OID {oid} is not supported"))
    })
}

/// Whether a query string holds no statement at all.
fn is_empty_query(sql: &str) -> bool {
    sql.chars().all(|c| c == ';' || c.is_whitespace())
}

/// `SELECT 10` with the count replaced: a suspended portal's final
/// CommandComplete counts the rows of its last Execute, like PostgreSQL.
fn with_row_count(tag: &str, rows: usize) -> String {
    match tag.rsplit_once(' ') {
        Some((verb, count)) if count.parse::<u64>().is_ok() && verb.starts_with("SELECT") => {
            format!("{verb} {rows}")
        }
        _ => tag.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_counts_are_rewritten_only_for_select() {
        assert_eq!(with_row_count("SELECT 10", 3), "SELECT 3");
        assert_eq!(with_row_count("INSERT 0 5", 3), "INSERT 0 5");
        assert_eq!(with_row_count("CREATE TABLE", 0), "CREATE TABLE");
    }

    #[test]
    fn declared_types_map_through_oids() {
        assert_eq!(declared_type(0).unwrap(), None);
        assert_eq!(declared_type(23).unwrap(), Some(DataType::Int4));
        assert_eq!(
            declared_type(3904).unwrap_err().code,
            SqlState::FEATURE_NOT_SUPPORTED
        );
        assert!(is_empty_query(" ; ;"));
        assert!(!is_empty_query("select 1"));
    }
}
