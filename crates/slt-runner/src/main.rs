//! `rangedb-slt`: run sqllogictest files against a PostgreSQL-protocol server.
//!
//! ```text
//! rangedb-slt --url 'host=127.0.0.1 port=25433 user=postgres dbname=postgres' \
//!             --engine postgres sql/
//! ```
//!
//! Exits 0 if every record passed, 1 on test failures, 2 if the run could not happen.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use rangedb_slt::{run_files, slt_files, update_files, Engine};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum EngineArg {
    Rangedb,
    Postgres,
}

/// Run sqllogictest (.slt) files against a PostgreSQL-protocol server.
#[derive(Parser, Debug)]
#[command(name = "rangedb-slt")]
struct Args {
    /// Connection string: libpq `key=value` form or a `postgresql://` URL.
    #[arg(long, env = "RANGEDB_SLT_URL")]
    url: String,
    /// Which server this is; sets the `onlyif`/`skipif` label.
    #[arg(long, value_enum, default_value = "rangedb")]
    engine: EngineArg,
    /// Rewrite the files' expected results with the server's actual output
    /// (for generating expectations from PostgreSQL; review the diff).
    #[arg(long = "override")]
    override_results: bool,
    /// .slt files or directories holding them (default: `sql`).
    paths: Vec<PathBuf>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let engine = match args.engine {
        EngineArg::Rangedb => Engine::Rangedb,
        EngineArg::Postgres => Engine::Postgres,
    };
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("sql")]
    } else {
        args.paths
    };
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            match slt_files(&path) {
                Ok(found) => files.extend(found),
                Err(e) => {
                    eprintln!("cannot list {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
        } else {
            files.push(path);
        }
    }
    if args.override_results {
        return match update_files(&args.url, engine, &files).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
        };
    }
    match run_files(&args.url, engine, &files).await {
        Ok(report) => {
            println!("{report}");
            if report.is_success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
