//! Conversions between rangedb's SQL values/errors and wire messages:
//! RowDescription, DataRow in text or binary format, parameter decoding,
//! ErrorResponse and ReadyForQuery status.

use bytes::{BufMut, BytesMut};
use pgwire::messages::data::{
    DataRow, FieldDescription, RowDescription, FORMAT_CODE_BINARY, FORMAT_CODE_TEXT,
};
use pgwire::messages::response::{ErrorResponse, TransactionStatus as WireStatus};
use pgwire::messages::PgWireBackendMessage;
use rangedb_sqltypes::session::{Column, TransactionStatus};
use rangedb_sqltypes::{binary, text, DataType, EvalContext, SqlError, SqlState, Value};

/// Severity of an ErrorResponse: `ERROR` keeps the connection, `FATAL`
/// precedes closing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Severity {
    Error,
    Fatal,
}

/// 08P01 errors for messages that are well-formed but make no sense.
pub(crate) fn protocol_violation(message: impl Into<String>) -> SqlError {
    SqlError::new(SqlState::PROTOCOL_VIOLATION, message)
}

/// An ErrorResponse carrying every field of `err`.
pub(crate) fn error_response(err: &SqlError, severity: Severity) -> PgWireBackendMessage {
    let severity = match severity {
        Severity::Error => "ERROR",
        Severity::Fatal => "FATAL",
    };
    let mut fields = vec![
        (b'S', severity.to_owned()),
        (b'V', severity.to_owned()),
        (b'C', err.code.code().to_owned()),
        (b'M', err.message.clone()),
    ];
    if let Some(detail) = &err.detail {
        fields.push((b'D', detail.clone()));
    }
    if let Some(hint) = &err.hint {
        fields.push((b'H', hint.clone()));
    }
    if let Some(object) = &err.object {
        let named = [
            (b's', &object.schema),
            (b't', &object.table),
            (b'c', &object.column),
            (b'n', &object.constraint),
        ];
        for (code, value) in named {
            if let Some(v) = value {
                fields.push((code, v.clone()));
            }
        }
    }
    PgWireBackendMessage::ErrorResponse(ErrorResponse::new(fields))
}

/// The ReadyForQuery status byte for a session status.
pub(crate) fn wire_status(status: TransactionStatus) -> WireStatus {
    match status {
        TransactionStatus::Idle => WireStatus::Idle,
        TransactionStatus::InBlock => WireStatus::Transaction,
        TransactionStatus::Failed => WireStatus::Error,
    }
}

/// Which of Bind's two format-code lists is being expanded (for messages).
#[derive(Debug, Clone, Copy)]
pub(crate) enum FormatsOf {
    Parameters,
    Results,
}

/// Expands Bind's format codes to one per item: none means all text, one
/// applies to all, otherwise exactly one per item.
pub(crate) fn resolve_formats(
    codes: &[i16],
    count: usize,
    what: FormatsOf,
) -> Result<Vec<i16>, SqlError> {
    let formats = match codes.len() {
        0 => vec![FORMAT_CODE_TEXT; count],
        1 => vec![codes[0]; count],
        n if n == count => codes.to_vec(),
        n => {
            return Err(protocol_violation(match what {
                FormatsOf::Parameters => {
                    format!("bind message has {n} parameter formats but {count} parameters")
                }
                FormatsOf::Results => {
                    format!("bind message has {n} result formats but query has {count} columns")
                }
            }))
        }
    };
    if let Some(bad) = formats
        .iter()
        .find(|f| **f != FORMAT_CODE_TEXT && **f != FORMAT_CODE_BINARY)
    {
        return Err(SqlError::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("unsupported format code: {bad}"),
        ));
    }
    Ok(formats)
}

/// RowDescription for `columns`, with `formats` (one per column) saying how
/// the DataRows that follow are encoded.
pub(crate) fn row_description(columns: &[Column], formats: &[i16]) -> PgWireBackendMessage {
    let fields = columns
        .iter()
        .zip(
            formats
                .iter()
                .copied()
                .chain(std::iter::repeat(FORMAT_CODE_TEXT)),
        )
        .map(|(col, format)| {
            FieldDescription::new(
                col.name.clone(),
                col.table_oid as i32,
                col.column_id,
                col.ty.oid(),
                col.ty.type_len(),
                col.ty.type_modifier(),
                format,
            )
        })
        .collect();
    PgWireBackendMessage::RowDescription(RowDescription::new(fields))
}

/// One DataRow, each value in its column's format.
pub(crate) fn data_row(
    row: &[Value],
    columns: &[Column],
    formats: &[i16],
    ctx: &EvalContext,
) -> Result<PgWireBackendMessage, SqlError> {
    if row.len() != columns.len() {
        return Err(SqlError::internal(format!(
            "row has {} values for {} columns",
            row.len(),
            columns.len()
        )));
    }
    let field_count = i16::try_from(row.len())
        .map_err(|_| SqlError::new(SqlState::PROGRAM_LIMIT_EXCEEDED, "too many columns"))?;
    let mut data = BytesMut::new();
    for (i, (value, col)) in row.iter().zip(columns).enumerate() {
        if value.is_null() {
            data.put_i32(-1);
            continue;
        }
        let format = formats.get(i).copied().unwrap_or(FORMAT_CODE_TEXT);
        let bytes = if format == FORMAT_CODE_BINARY {
            binary::encode(value, &col.ty)?
        } else {
            text::format(value, &col.ty, ctx).into_bytes()
        };
        let len = i32::try_from(bytes.len()).map_err(|_| {
            SqlError::new(SqlState::PROGRAM_LIMIT_EXCEEDED, "value too large to send")
        })?;
        data.put_i32(len);
        data.put_slice(&bytes);
    }
    Ok(PgWireBackendMessage::DataRow(DataRow::new(
        data,
        field_count,
    )))
}

/// Decodes one Bind parameter of type `ty` sent in `format`.
pub(crate) fn decode_param(
    bytes: Option<&[u8]>,
    ty: &DataType,
    format: i16,
    ctx: &EvalContext,
) -> Result<Value, SqlError> {
    let Some(bytes) = bytes else {
        return Ok(Value::Null);
    };
    if format == FORMAT_CODE_BINARY {
        return binary::decode(bytes, ty);
    }
    let input = std::str::from_utf8(bytes).map_err(|_| {
        SqlError::new(
            SqlState("22021"),
            "invalid byte sequence for encoding \"UTF8\"",
        )
    })?;
    match ty {
        // A parameter nobody typed stays a string; the engine coerces it.
        DataType::Unknown => Ok(Value::Text(input.to_owned())),
        _ => text::parse(input, ty, ctx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_expand_like_postgres() {
        assert_eq!(
            resolve_formats(&[], 3, FormatsOf::Parameters).unwrap(),
            vec![0, 0, 0]
        );
        assert_eq!(
            resolve_formats(&[1], 2, FormatsOf::Parameters).unwrap(),
            vec![1, 1]
        );
        assert_eq!(
            resolve_formats(&[0, 1], 2, FormatsOf::Parameters).unwrap(),
            vec![0, 1]
        );
        let err = resolve_formats(&[0, 1], 3, FormatsOf::Parameters).unwrap_err();
        assert_eq!(err.code, SqlState::PROTOCOL_VIOLATION);
        let err = resolve_formats(&[7], 1, FormatsOf::Results).unwrap_err();
        assert_eq!(err.code, SqlState::INVALID_PARAMETER_VALUE);
    }

    #[test]
    fn nulls_and_unknown_text_params_need_no_codec() {
        let ctx = EvalContext::default();
        assert!(decode_param(None, &DataType::Int4, 1, &ctx)
            .unwrap()
            .is_null());
        let v = decode_param(Some(b"abc"), &DataType::Unknown, 0, &ctx).unwrap();
        assert_eq!(v.as_str(), Some("abc"));
        let err = decode_param(Some(&[0xff]), &DataType::Unknown, 0, &ctx).unwrap_err();
        assert_eq!(err.code.code(), "22021");
    }

    #[test]
    fn error_response_carries_all_fields() {
        let err = SqlError::new(SqlState::UNIQUE_VIOLATION, "dup")
            .with_detail("d")
            .with_hint("h");
        let PgWireBackendMessage::ErrorResponse(resp) = error_response(&err, Severity::Error)
        else {
            panic!("not an ErrorResponse");
        };
        assert!(resp.fields.contains(&(b'C', "23505".to_owned())));
        assert!(resp.fields.contains(&(b'D', "d".to_owned())));
        assert!(resp.fields.contains(&(b'H', "h".to_owned())));
        assert!(resp.fields.contains(&(b'S', "ERROR".to_owned())));
    }
}
