//! rangedb's SQL engine.
//!
//! SQL text is parsed by sqlparser (PostgreSQL dialect), bound against the
//! catalog into plans ([`plan`]), and executed over a distributed
//! transaction ([`exec`]). [`session`] ties it together behind the
//! `SqlSession` interface the wire frontend drives.

pub mod catalog;
pub mod ddl;
pub mod dml;
pub mod error;
pub mod exec;
pub mod keys;
pub mod plan;
pub mod rowcodec;
pub mod rows;
pub mod sequences;
pub mod session;
pub mod span;
pub mod virtual_tables;

pub use session::{Engine, Session};
