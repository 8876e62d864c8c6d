//! `starling`: parses the command line, sets up logging and runs the
//! command. Everything else is in the library.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use starling_server::app::{self, ServeConfig};
use starling_server::cli::{Cli, Command, ImportArgs, ImportFormat};
use starling_server::import;
use starling_server::store::SqliteStore;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    let result = match Cli::parse().command {
        Command::Serve(args) => run_server(ServeConfig {
            listen: args.listen,
            data_dir: args.data_dir,
            dist: args.dist,
        }),
        Command::Import(args) => run_import(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            tracing::error!("{error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_server(config: ServeConfig) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(app::serve(config))?;
    Ok(ExitCode::SUCCESS)
}

fn run_import(args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let ImportFormat::Judgeme = args.format;
    let store = SqliteStore::open(&args.data_dir)?;
    let mut conn = store.connection()?;
    let data = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let report = import::judgeme::import(&mut conn, &args.shop, &data)
        .with_context(|| format!("{} was not imported", args.file.display()))?;

    let mut out = std::io::stdout().lock();
    write!(out, "{report}")?;
    tracing::info!(
        shop = args.shop,
        file = %args.file.display(),
        imported = report.imported,
        new = report.inserted,
        rejected = report.rejected.len(),
        "import finished"
    );
    Ok(ExitCode::SUCCESS)
}
