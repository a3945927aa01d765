//! The PostgreSQL wire-protocol frontend of rangedb.
//!
//! It owns sockets, message framing, value formats, prepared statements and
//! portals, and drives any [`SqlService`](rangedb_sqltypes::session::SqlService)
//! (the SQL engine, or a scripted one in tests) through the
//! `rangedb_sqltypes::session` interface. Message types come from `pgwire`;
//! the connection state machine is ours, so that portal suspension, COPY and
//! error recovery follow PostgreSQL exactly.
//!
//! Serving SQL on a node:
//!
//! ```ignore
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:5432").await?;
//! rangedb_pgwire::serve(listener, Arc::new(engine), shutdown_signal).await;
//! ```
//!
//! Modules, one job each:
//! * `server`: accept loop, per-connection tasks, shutdown.
//! * `startup`: SSL refusal, version negotiation, trust auth, ParameterStatus.
//! * `connection`: the message loop and per-connection state.
//! * `simple` / `extended`: the two query protocols.
//! * `copy`: COPY FROM STDIN / TO STDOUT.
//! * [`cancel`]: the (pid, secret) → cancel token registry.
//! * `encode`: values, rows and errors to wire messages and back.
//! * `wire`: framing and buffering on the socket.

pub mod cancel;
mod connection;
mod copy;
mod encode;
pub mod error;
mod extended;
mod server;
mod simple;
mod startup;
mod wire;

pub use cancel::CancelRegistry;
pub use error::ConnectionError;
pub use server::{serve, PgServer};
