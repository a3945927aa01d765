//! The rangedb node: configuration, wiring of the layers, the HTTP endpoint
//! (metrics, debug views) and the command-line interface.
//!
//! Everything a node does lives in the crates under `crates/`; this crate
//! only assembles them, so integration tests and benchmarks can start a real
//! node in-process with [`node::Node::start`].

pub mod cli;
pub mod config;
pub mod http;
pub mod local_cluster;
pub mod node;
pub mod ports;
