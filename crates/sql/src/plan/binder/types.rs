//! SQL type names (sqlparser's `DataType`) to rangedb's [`DataType`], and
//! choosing a common type for CASE, COALESCE, UNION and VALUES columns.

use rangedb_sqltypes::cast::{can_cast, CastContext};
use rangedb_sqltypes::{DataType, SqlError, SqlState};
use sqlparser::ast::{self, CharacterLength, ExactNumberInfo, TimezoneInfo};

fn length(len: &Option<CharacterLength>) -> Option<u32> {
    match len {
        Some(CharacterLength::IntegerLength { length, .. }) => Some(*length as u32),
        _ => None,
    }
}

fn unsupported(ty: &ast::DataType) -> SqlError {
    SqlError::new(
        SqlState::UNDEFINED_OBJECT,
        format!("type \"{}\" does not exist", ty.to_string().to_lowercase()),
    )
}

/// Converts a type name as written in SQL.
pub fn convert(ty: &ast::DataType) -> Result<DataType, SqlError> {
    use ast::DataType as A;
    Ok(match ty {
        A::SmallInt(_) | A::Int2(_) => DataType::Int2,
        A::Int(_) | A::Integer(_) | A::Int4(_) => DataType::Int4,
        A::BigInt(_) | A::Int8(_) => DataType::Int8,
        A::Real | A::Float4 => DataType::Float4,
        A::DoublePrecision | A::Float8 | A::Double(ExactNumberInfo::None) => DataType::Float8,
        A::Float(info) => match info {
            ExactNumberInfo::Precision(p) if *p <= 24 => DataType::Float4,
            _ => DataType::Float8,
        },
        A::Numeric(info) | A::Decimal(info) | A::Dec(info) => match info {
            ExactNumberInfo::None => DataType::Numeric(None),
            ExactNumberInfo::Precision(p) => numeric(*p, 0)?,
            ExactNumberInfo::PrecisionAndScale(p, s) => numeric(*p, *s)?,
        },
        A::Text | A::String(None) => DataType::Text,
        A::Varchar(l) | A::CharacterVarying(l) | A::CharVarying(l) => DataType::Varchar(length(l)),
        A::Char(l) | A::Character(l) => DataType::Char(Some(length(l).unwrap_or(1))),
        A::Bool | A::Boolean => DataType::Bool,
        A::Bytea => DataType::Bytea,
        A::Date => DataType::Date,
        A::Time(_, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => DataType::Time,
        A::Timestamp(_, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => DataType::Timestamp,
        A::Timestamp(_, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => DataType::TimestampTz,
        A::Interval { .. } => DataType::Interval,
        A::Uuid => DataType::Uuid,
        A::JSON => DataType::Json,
        A::JSONB => DataType::Jsonb,
        A::Regclass => DataType::RegClass,
        A::Array(
            ast::ArrayElemTypeDef::SquareBracket(inner, _)
            | ast::ArrayElemTypeDef::AngleBracket(inner)
            | ast::ArrayElemTypeDef::Parenthesis(inner),
        ) => DataType::Array(Box::new(convert(inner)?)),
        A::Custom(name, modifiers) => {
            let n = name.to_string().to_lowercase();
            let n = n.trim_start_matches("pg_catalog.");
            match n {
                "int2" | "smallint" => DataType::Int2,
                "int4" | "int" | "integer" => DataType::Int4,
                "int8" | "bigint" => DataType::Int8,
                "serial" | "serial4" => DataType::Int4,
                "bigserial" | "serial8" => DataType::Int8,
                "smallserial" | "serial2" => DataType::Int2,
                "float4" => DataType::Float4,
                "float8" => DataType::Float8,
                "bool" => DataType::Bool,
                "bpchar" => {
                    DataType::Char(modifiers.first().and_then(|m| m.to_string().parse().ok()))
                }
                "varchar" => {
                    DataType::Varchar(modifiers.first().and_then(|m| m.to_string().parse().ok()))
                }
                "name" => DataType::Name,
                "oid" => DataType::Oid,
                "regtype" => DataType::RegType,
                "regclass" => DataType::RegClass,
                "regnamespace" | "regproc" | "regprocedure" | "regrole" | "regoper" => {
                    DataType::Oid
                }
                "\"char\"" => DataType::Char(Some(1)),
                "timestamptz" => DataType::TimestampTz,
                "timetz" => {
                    return Err(SqlError::unsupported(
                        "type time with time zone is not supported",
                    ))
                }
                "json" => DataType::Json,
                "jsonb" => DataType::Jsonb,
                "text" => DataType::Text,
                "numeric" | "decimal" => DataType::Numeric(None),
                _ => return Err(unsupported(ty)),
            }
        }
        _ => return Err(unsupported(ty)),
    })
}

fn numeric(p: u64, s: i64) -> Result<DataType, SqlError> {
    if p == 0 || p > 1000 {
        return Err(SqlError::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("NUMERIC precision {p} must be between 1 and 1000"),
        ));
    }
    if s < 0 || s as u64 > p {
        return Err(SqlError::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("NUMERIC scale {s} must be between 0 and precision {p}"),
        ));
    }
    Ok(DataType::Numeric(Some((p as u32, s as u32))))
}

/// Whether a type name is one of the serial pseudo-types, and the integer
/// type it stands for.
pub fn serial_type(ty: &ast::DataType) -> Option<DataType> {
    if let ast::DataType::Custom(name, _) = ty {
        return match name.to_string().to_lowercase().as_str() {
            "serial" | "serial4" => Some(DataType::Int4),
            "bigserial" | "serial8" => Some(DataType::Int8),
            "smallserial" | "serial2" => Some(DataType::Int2),
            _ => None,
        };
    }
    None
}

fn numeric_rank(ty: &DataType) -> Option<u8> {
    Some(match ty {
        DataType::Int2 => 1,
        DataType::Int4 => 2,
        DataType::Int8 => 3,
        DataType::Numeric(_) => 4,
        DataType::Float4 => 5,
        DataType::Float8 => 6,
        _ => return None,
    })
}

fn datetime_rank(ty: &DataType) -> Option<u8> {
    Some(match ty {
        DataType::Date => 1,
        DataType::Timestamp => 2,
        DataType::TimestampTz => 3,
        _ => return None,
    })
}

/// PostgreSQL's choice of one type for values from several branches
/// (`construct` names the construct in the error: "CASE", "UNION", ...).
pub fn common_type(types: &[DataType], construct: &str) -> Result<DataType, SqlError> {
    let known: Vec<&DataType> = types.iter().filter(|t| **t != DataType::Unknown).collect();
    let Some(first) = known.first() else {
        return Ok(DataType::Text);
    };
    if known.iter().all(|t| t == first) {
        return Ok((*first).clone());
    }
    if known
        .iter()
        .all(|t| t.without_modifier() == first.without_modifier())
    {
        return Ok(first.without_modifier());
    }
    if known.iter().all(|t| numeric_rank(t).is_some()) {
        let best = known
            .iter()
            .max_by_key(|t| numeric_rank(t))
            .map(|t| t.without_modifier())
            .unwrap_or(DataType::Numeric(None));
        return Ok(best);
    }
    if known.iter().all(|t| t.is_string()) {
        return Ok(DataType::Text);
    }
    if known.iter().all(|t| datetime_rank(t).is_some()) {
        let best = known
            .iter()
            .max_by_key(|t| datetime_rank(t))
            .map(|t| (*t).clone());
        return Ok(best.unwrap_or(DataType::Timestamp));
    }
    for candidate in &known {
        if known
            .iter()
            .all(|t| t == candidate || can_cast(t, candidate, CastContext::Implicit))
        {
            return Ok((*candidate).clone());
        }
    }
    let other = known
        .iter()
        .find(|t| t.without_modifier() != first.without_modifier())
        .map(|t| t.sql_name())
        .unwrap_or_default();
    Err(SqlError::datatype_mismatch(format!(
        "{construct} types {} and {other} cannot be matched",
        first.sql_name()
    )))
}
