//! SQL errors as clients see them: a SQLSTATE, a message and optional detail.
//!
//! Every layer below SQL has its own error enum; they are converted into
//! [`SqlError`] at the SQL boundary so that the wire frontend only ever has to
//! copy these fields into an ErrorResponse. Drivers and applications branch on
//! the SQLSTATE (retry on 40001, report 23505 as a duplicate, ...), so the code
//! must be PostgreSQL's own for the same condition.

use std::fmt;

/// A five-character SQLSTATE code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SqlState(pub &'static str);

impl SqlState {
    pub const SUCCESSFUL_COMPLETION: SqlState = SqlState("00000");
    pub const WARNING: SqlState = SqlState("01000");
    pub const FEATURE_NOT_SUPPORTED: SqlState = SqlState("0A000");
    pub const CARDINALITY_VIOLATION: SqlState = SqlState("21000");
    pub const DATA_EXCEPTION: SqlState = SqlState("22000");
    pub const STRING_DATA_RIGHT_TRUNCATION: SqlState = SqlState("22001");
    pub const NUMERIC_VALUE_OUT_OF_RANGE: SqlState = SqlState("22003");
    pub const NULL_VALUE_NOT_ALLOWED: SqlState = SqlState("22004");
    pub const DATETIME_FIELD_OVERFLOW: SqlState = SqlState("22008");
    pub const INVALID_TIME_ZONE_DISPLACEMENT: SqlState = SqlState("22009");
    pub const INTERVAL_FIELD_OVERFLOW: SqlState = SqlState("22015");
    pub const INVALID_PARAMETER_VALUE: SqlState = SqlState("22023");
    pub const DIVISION_BY_ZERO: SqlState = SqlState("22012");
    pub const INVALID_ESCAPE_SEQUENCE: SqlState = SqlState("22025");
    pub const INVALID_TEXT_REPRESENTATION: SqlState = SqlState("22P02");
    pub const INVALID_BINARY_REPRESENTATION: SqlState = SqlState("22P03");
    pub const BAD_COPY_FILE_FORMAT: SqlState = SqlState("22P04");
    pub const INVALID_DATETIME_FORMAT: SqlState = SqlState("22007");
    pub const ARRAY_SUBSCRIPT_ERROR: SqlState = SqlState("2202E");
    pub const SUBSTRING_ERROR: SqlState = SqlState("22011");
    pub const INTEGRITY_CONSTRAINT_VIOLATION: SqlState = SqlState("23000");
    pub const NOT_NULL_VIOLATION: SqlState = SqlState("23502");
    pub const FOREIGN_KEY_VIOLATION: SqlState = SqlState("23503");
    pub const UNIQUE_VIOLATION: SqlState = SqlState("23505");
    pub const CHECK_VIOLATION: SqlState = SqlState("23514");
    pub const INVALID_CURSOR_STATE: SqlState = SqlState("24000");
    pub const INVALID_TRANSACTION_STATE: SqlState = SqlState("25000");
    pub const ACTIVE_SQL_TRANSACTION: SqlState = SqlState("25001");
    pub const NO_ACTIVE_SQL_TRANSACTION: SqlState = SqlState("25P01");
    pub const IN_FAILED_SQL_TRANSACTION: SqlState = SqlState("25P02");
    pub const READ_ONLY_SQL_TRANSACTION: SqlState = SqlState("25006");
    pub const INVALID_SQL_STATEMENT_NAME: SqlState = SqlState("26000");
    pub const INVALID_AUTHORIZATION: SqlState = SqlState("28000");
    pub const INVALID_CATALOG_NAME: SqlState = SqlState("3D000");
    pub const INVALID_CURSOR_NAME: SqlState = SqlState("34000");
    pub const INVALID_SCHEMA_NAME: SqlState = SqlState("3F000");
    pub const TRANSACTION_ROLLBACK: SqlState = SqlState("40000");
    pub const SERIALIZATION_FAILURE: SqlState = SqlState("40001");
    pub const STATEMENT_COMPLETION_UNKNOWN: SqlState = SqlState("40003");
    pub const DEADLOCK_DETECTED: SqlState = SqlState("40P01");
    pub const SYNTAX_ERROR: SqlState = SqlState("42601");
    pub const INSUFFICIENT_PRIVILEGE: SqlState = SqlState("42501");
    pub const GROUPING_ERROR: SqlState = SqlState("42803");
    pub const WINDOWING_ERROR: SqlState = SqlState("42P20");
    pub const INVALID_FOREIGN_KEY: SqlState = SqlState("42830");
    pub const NAME_TOO_LONG: SqlState = SqlState("42622");
    pub const DATATYPE_MISMATCH: SqlState = SqlState("42804");
    pub const WRONG_OBJECT_TYPE: SqlState = SqlState("42809");
    pub const UNDEFINED_COLUMN: SqlState = SqlState("42703");
    pub const UNDEFINED_FUNCTION: SqlState = SqlState("42883");
    pub const UNDEFINED_TABLE: SqlState = SqlState("42P01");
    pub const UNDEFINED_PARAMETER: SqlState = SqlState("42P02");
    pub const UNDEFINED_OBJECT: SqlState = SqlState("42704");
    pub const DUPLICATE_COLUMN: SqlState = SqlState("42701");
    pub const DUPLICATE_DATABASE: SqlState = SqlState("42P04");
    pub const DUPLICATE_OBJECT: SqlState = SqlState("42710");
    pub const DUPLICATE_PREPARED_STATEMENT: SqlState = SqlState("42P05");
    pub const DUPLICATE_TABLE: SqlState = SqlState("42P07");
    pub const DUPLICATE_ALIAS: SqlState = SqlState("42712");
    pub const AMBIGUOUS_COLUMN: SqlState = SqlState("42702");
    pub const AMBIGUOUS_FUNCTION: SqlState = SqlState("42725");
    pub const AMBIGUOUS_PARAMETER: SqlState = SqlState("42P08");
    pub const INVALID_COLUMN_DEFINITION: SqlState = SqlState("42611");
    pub const INVALID_TABLE_DEFINITION: SqlState = SqlState("42P16");
    pub const INDETERMINATE_DATATYPE: SqlState = SqlState("42P18");
    pub const INVALID_COLUMN_REFERENCE: SqlState = SqlState("42P10");
    pub const CANNOT_COERCE: SqlState = SqlState("42846");
    pub const OBJECT_NOT_IN_PREREQUISITE_STATE: SqlState = SqlState("55000");
    pub const OBJECT_IN_USE: SqlState = SqlState("55006");
    pub const QUERY_CANCELED: SqlState = SqlState("57014");
    pub const ADMIN_SHUTDOWN: SqlState = SqlState("57P01");
    pub const CANNOT_CONNECT_NOW: SqlState = SqlState("57P03");
    pub const SYSTEM_ERROR: SqlState = SqlState("58000");
    pub const PROGRAM_LIMIT_EXCEEDED: SqlState = SqlState("54000");
    pub const STATEMENT_TOO_COMPLEX: SqlState = SqlState("54001");
    pub const CONFIGURATION_LIMIT_EXCEEDED: SqlState = SqlState("53400");
    pub const PROTOCOL_VIOLATION: SqlState = SqlState("08P01");
    pub const CONNECTION_FAILURE: SqlState = SqlState("08006");
    pub const INTERNAL_ERROR: SqlState = SqlState("XX000");

    /// The five characters of the code.
    pub fn code(&self) -> &'static str {
        self.0
    }
}

impl fmt::Display for SqlState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// An error reported to the client as an ErrorResponse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SqlError {
    /// The SQLSTATE clients branch on.
    pub code: SqlState,
    /// The primary message, lower case and without a trailing period, as
    /// PostgreSQL writes them.
    pub message: String,
    /// Optional `DETAIL:` line.
    pub detail: Option<String>,
    /// Optional `HINT:` line.
    pub hint: Option<String>,
    /// The schema object the error is about, for clients (ORMs) that map
    /// a violated constraint or column to a field by name.
    pub object: Option<Box<ErrorObject>>,
}

/// The ErrorResponse fields naming what an error is about (`s`, `t`, `c`,
/// `n` in the protocol).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorObject {
    pub schema: Option<String>,
    pub table: Option<String>,
    pub column: Option<String>,
    pub constraint: Option<String>,
}

impl SqlError {
    /// An error with this code and message.
    pub fn new(code: SqlState, message: impl Into<String>) -> SqlError {
        SqlError {
            code,
            message: message.into(),
            detail: None,
            hint: None,
            object: None,
        }
    }

    /// Adds a `DETAIL:` line.
    pub fn with_detail(mut self, detail: impl Into<String>) -> SqlError {
        self.detail = Some(detail.into());
        self
    }

    /// Adds a `HINT:` line.
    pub fn with_hint(mut self, hint: impl Into<String>) -> SqlError {
        self.hint = Some(hint.into());
        self
    }

    /// Names the table (in schema `public`) the error is about.
    pub fn with_table(mut self, table: impl Into<String>) -> SqlError {
        let o = self.object.get_or_insert_with(Default::default);
        o.schema = Some("public".into());
        o.table = Some(table.into());
        self
    }

    /// Names the column the error is about.
    pub fn with_column(mut self, column: impl Into<String>) -> SqlError {
        self.object.get_or_insert_with(Default::default).column = Some(column.into());
        self
    }

    /// Names the constraint the error is about.
    pub fn with_constraint(mut self, constraint: impl Into<String>) -> SqlError {
        self.object.get_or_insert_with(Default::default).constraint = Some(constraint.into());
        self
    }

    /// 42601: the statement does not parse.
    pub fn syntax(message: impl Into<String>) -> SqlError {
        SqlError::new(SqlState::SYNTAX_ERROR, message)
    }

    /// 0A000: valid SQL that rangedb does not implement.
    pub fn unsupported(message: impl Into<String>) -> SqlError {
        SqlError::new(SqlState::FEATURE_NOT_SUPPORTED, message)
    }

    /// 22P02: a string that is not a valid value of the type, worded as
    /// PostgreSQL words it: `invalid input syntax for type integer: "x"`.
    pub fn invalid_text(type_name: &str, input: &str) -> SqlError {
        SqlError::new(
            SqlState::INVALID_TEXT_REPRESENTATION,
            format!("invalid input syntax for type {type_name}: \"{input}\""),
        )
    }

    /// 22003: a value outside the range of its type.
    pub fn out_of_range(message: impl Into<String>) -> SqlError {
        SqlError::new(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, message)
    }

    /// 22012: division by zero.
    pub fn division_by_zero() -> SqlError {
        SqlError::new(SqlState::DIVISION_BY_ZERO, "division by zero")
    }

    /// 42804/42883 style type errors: `operator does not exist: integer + text`
    /// and the like are built by callers; this is the plain mismatch.
    pub fn datatype_mismatch(message: impl Into<String>) -> SqlError {
        SqlError::new(SqlState::DATATYPE_MISMATCH, message)
    }

    /// XX000: a bug or an unexpected lower-layer failure.
    pub fn internal(message: impl Into<String>) -> SqlError {
        SqlError::new(SqlState::INTERNAL_ERROR, message)
    }
}

/// Results of SQL-level operations.
pub type SqlResult<T> = Result<T, SqlError>;
