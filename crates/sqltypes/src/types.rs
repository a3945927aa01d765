//! SQL data types and their PostgreSQL identities (OIDs, names).
//!
//! Clients see types through OIDs in RowDescription and ParameterDescription
//! and through `pg_type`; the OIDs here are PostgreSQL's own so drivers pick
//! the right codecs without any knowledge of rangedb.

use serde::{Deserialize, Serialize};

/// A column, parameter or expression type.
///
/// Length and precision modifiers are kept because they are enforced on
/// write (`varchar(n)`, `numeric(p,s)`) and reported by introspection.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DataType {
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    /// `numeric(precision, scale)`; `None` means unconstrained.
    Numeric(Option<(u32, u32)>),
    Text,
    /// `varchar(n)`; `None` means unbounded.
    Varchar(Option<u32>),
    /// `char(n)` (PostgreSQL's `bpchar`): blank-padded to `n`.
    Char(Option<u32>),
    /// PostgreSQL's `name`: catalog identifiers.
    Name,
    Bytea,
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Interval,
    Uuid,
    Json,
    Jsonb,
    /// Object identifiers, as catalogs and drivers use them.
    Oid,
    /// `regclass`/`regtype`/`regproc` style OID aliases are all carried as
    /// this one type; the OID says which alias it is.
    RegClass,
    RegType,
    /// A one-dimensional array of the element type.
    Array(Box<DataType>),
    /// The type of a string literal or parameter whose type the context has
    /// not decided yet (PostgreSQL's `unknown`).
    Unknown,
}

impl DataType {
    /// PostgreSQL's OID for this type.
    pub fn oid(&self) -> u32 {
        match self {
            DataType::Bool => 16,
            DataType::Bytea => 17,
            DataType::Name => 19,
            DataType::Int8 => 20,
            DataType::Int2 => 21,
            DataType::Int4 => 23,
            DataType::Text => 25,
            DataType::Oid => 26,
            DataType::Json => 114,
            DataType::Float4 => 700,
            DataType::Float8 => 701,
            DataType::Unknown => 705,
            DataType::Char(_) => 1042,
            DataType::Varchar(_) => 1043,
            DataType::Date => 1082,
            DataType::Time => 1083,
            DataType::Timestamp => 1114,
            DataType::TimestampTz => 1184,
            DataType::Interval => 1186,
            DataType::Numeric(_) => 1700,
            DataType::RegClass => 2205,
            DataType::RegType => 2206,
            DataType::Uuid => 2950,
            DataType::Jsonb => 3802,
            DataType::Array(elem) => elem.array_oid(),
        }
    }

    /// The OID of the array type whose elements are of this type
    /// (PostgreSQL's `typarray`); 0 when there is none.
    pub fn array_oid(&self) -> u32 {
        match self {
            DataType::Bool => 1000,
            DataType::Bytea => 1001,
            DataType::Name => 1003,
            DataType::Int2 => 1005,
            DataType::Int4 => 1007,
            DataType::Text => 1009,
            DataType::Char(_) => 1014,
            DataType::Varchar(_) => 1015,
            DataType::Int8 => 1016,
            DataType::Float4 => 1021,
            DataType::Float8 => 1022,
            DataType::Oid => 1028,
            DataType::Timestamp => 1115,
            DataType::Date => 1182,
            DataType::Time => 1183,
            DataType::TimestampTz => 1185,
            DataType::Interval => 1187,
            DataType::Numeric(_) => 1231,
            DataType::Uuid => 2951,
            DataType::Json => 199,
            DataType::Jsonb => 3807,
            DataType::RegClass => 2210,
            DataType::RegType => 2211,
            DataType::Array(_) | DataType::Unknown => 0,
        }
    }

    /// Every scalar type rangedb supports, without modifiers (each also has
    /// an array type): the rows of `pg_type` and the OIDs clients may send.
    pub fn scalar_types() -> Vec<DataType> {
        vec![
            DataType::Bool,
            DataType::Bytea,
            DataType::Name,
            DataType::Int8,
            DataType::Int2,
            DataType::Int4,
            DataType::Text,
            DataType::Oid,
            DataType::Json,
            DataType::Float4,
            DataType::Float8,
            DataType::Char(None),
            DataType::Varchar(None),
            DataType::Date,
            DataType::Time,
            DataType::Timestamp,
            DataType::TimestampTz,
            DataType::Interval,
            DataType::Numeric(None),
            DataType::RegClass,
            DataType::RegType,
            DataType::Uuid,
            DataType::Jsonb,
        ]
    }

    /// The type with this OID, with no modifiers; `None` for OIDs rangedb
    /// does not support.
    pub fn from_oid(oid: u32) -> Option<DataType> {
        if oid == DataType::Unknown.oid() {
            return Some(DataType::Unknown);
        }
        let scalar = DataType::scalar_types();
        for ty in scalar {
            if ty.oid() == oid {
                return Some(ty);
            }
            if ty.array_oid() == oid {
                return Some(DataType::Array(Box::new(ty)));
            }
        }
        None
    }

    /// The name PostgreSQL's `format_type` prints, modifiers included
    /// (`character varying(10)`, `numeric(10,2)`, `integer[]`).
    pub fn sql_name(&self) -> String {
        match self {
            DataType::Bool => "boolean".into(),
            DataType::Int2 => "smallint".into(),
            DataType::Int4 => "integer".into(),
            DataType::Int8 => "bigint".into(),
            DataType::Float4 => "real".into(),
            DataType::Float8 => "double precision".into(),
            DataType::Numeric(None) => "numeric".into(),
            DataType::Numeric(Some((p, s))) => format!("numeric({p},{s})"),
            DataType::Text => "text".into(),
            DataType::Varchar(None) => "character varying".into(),
            DataType::Varchar(Some(n)) => format!("character varying({n})"),
            DataType::Char(None) => "character".into(),
            DataType::Char(Some(n)) => format!("character({n})"),
            DataType::Name => "name".into(),
            DataType::Bytea => "bytea".into(),
            DataType::Date => "date".into(),
            DataType::Time => "time without time zone".into(),
            DataType::Timestamp => "timestamp without time zone".into(),
            DataType::TimestampTz => "timestamp with time zone".into(),
            DataType::Interval => "interval".into(),
            DataType::Uuid => "uuid".into(),
            DataType::Json => "json".into(),
            DataType::Jsonb => "jsonb".into(),
            DataType::Oid => "oid".into(),
            DataType::RegClass => "regclass".into(),
            DataType::RegType => "regtype".into(),
            DataType::Array(elem) => format!("{}[]", elem.sql_name()),
            DataType::Unknown => "unknown".into(),
        }
    }

    /// `pg_type.typname`: the short internal name (`int4`, `varchar`).
    pub fn type_name(&self) -> String {
        match self {
            DataType::Bool => "bool".into(),
            DataType::Int2 => "int2".into(),
            DataType::Int4 => "int4".into(),
            DataType::Int8 => "int8".into(),
            DataType::Float4 => "float4".into(),
            DataType::Float8 => "float8".into(),
            DataType::Numeric(_) => "numeric".into(),
            DataType::Text => "text".into(),
            DataType::Varchar(_) => "varchar".into(),
            DataType::Char(_) => "bpchar".into(),
            DataType::Name => "name".into(),
            DataType::Bytea => "bytea".into(),
            DataType::Date => "date".into(),
            DataType::Time => "time".into(),
            DataType::Timestamp => "timestamp".into(),
            DataType::TimestampTz => "timestamptz".into(),
            DataType::Interval => "interval".into(),
            DataType::Uuid => "uuid".into(),
            DataType::Json => "json".into(),
            DataType::Jsonb => "jsonb".into(),
            DataType::Oid => "oid".into(),
            DataType::RegClass => "regclass".into(),
            DataType::RegType => "regtype".into(),
            DataType::Array(elem) => format!("_{}", elem.type_name()),
            DataType::Unknown => "unknown".into(),
        }
    }

    /// PostgreSQL's `typlen`: the fixed size in bytes, or -1 for varlena.
    pub fn type_len(&self) -> i16 {
        match self {
            DataType::Bool => 1,
            DataType::Int2 => 2,
            DataType::Int4 | DataType::Float4 | DataType::Date | DataType::Oid => 4,
            DataType::RegClass | DataType::RegType => 4,
            DataType::Int8 | DataType::Float8 | DataType::Time => 8,
            DataType::Timestamp | DataType::TimestampTz => 8,
            DataType::Interval | DataType::Uuid => 16,
            DataType::Name => 64,
            DataType::Unknown => -2,
            _ => -1,
        }
    }

    /// PostgreSQL's `atttypmod` for this type (-1 when unconstrained).
    pub fn type_modifier(&self) -> i32 {
        match self {
            DataType::Varchar(Some(n)) | DataType::Char(Some(n)) => *n as i32 + 4,
            DataType::Numeric(Some((p, s))) => ((*p as i32) << 16 | *s as i32) + 4,
            _ => -1,
        }
    }

    /// Whether values of this type are integers, floats or numerics (the
    /// types arithmetic and numeric aggregates accept).
    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            DataType::Int2
                | DataType::Int4
                | DataType::Int8
                | DataType::Float4
                | DataType::Float8
                | DataType::Numeric(_)
        )
    }

    /// Whether values of this type are character strings.
    pub fn is_string(&self) -> bool {
        matches!(
            self,
            DataType::Text | DataType::Varchar(_) | DataType::Char(_) | DataType::Name
        )
    }

    /// The same type with its length/precision modifier dropped: what an
    /// expression over a column yields (`varchar(5) || 'x'` is unbounded).
    pub fn without_modifier(&self) -> DataType {
        match self {
            DataType::Varchar(_) => DataType::Varchar(None),
            DataType::Char(_) => DataType::Char(None),
            DataType::Numeric(_) => DataType::Numeric(None),
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_round_trip_through_from_oid() {
        for ty in [
            DataType::Int4,
            DataType::Varchar(None),
            DataType::Array(Box::new(DataType::Text)),
            DataType::TimestampTz,
            DataType::Jsonb,
        ] {
            assert_eq!(DataType::from_oid(ty.oid()), Some(ty));
        }
        assert_eq!(DataType::from_oid(999_999), None);
    }

    #[test]
    fn modifiers_follow_postgres_typmod_encoding() {
        assert_eq!(DataType::Varchar(Some(10)).type_modifier(), 14);
        assert_eq!(
            DataType::Numeric(Some((10, 2))).type_modifier(),
            (10 << 16 | 2) + 4
        );
        assert_eq!(DataType::Text.type_modifier(), -1);
    }
}
