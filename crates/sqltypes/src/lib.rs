//! SQL data types and values, shared by the SQL engine (`rangedb-sql`) and the
//! wire frontend (`rangedb-pgwire`).
//!
//! Both sides must agree on what a value is, how PostgreSQL spells it in text
//! and binary, and which SQLSTATE an error carries; keeping that here lets the
//! frontend be built and tested without the storage stack underneath it.
//!
//! * [`types`]: [`DataType`], PostgreSQL type OIDs and names.
//! * [`value`]: [`Value`], SQL comparison and hashing.
//! * [`error`]: [`SqlError`] with its SQLSTATE.
//! * [`text`] / [`binary`]: PostgreSQL's text and binary I/O formats.
//! * [`cast`]: explicit and implicit casts with PostgreSQL's rules.
//! * [`ops`]: operators (arithmetic, comparison, string, date/time).
//! * [`func`]: scalar functions by name.
//! * [`session`]: the interface a wire frontend drives a SQL session through.

pub mod binary;
pub mod cast;
pub mod error;
pub mod func;
pub mod interval;
pub mod ops;
pub mod session;
pub mod text;
pub mod types;
pub mod value;

pub use error::{SqlError, SqlState};
pub use interval::Interval;
pub use types::DataType;
pub use value::{EvalContext, Row, Value};
