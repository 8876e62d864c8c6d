//! `cargo xtask`: the build, test, size and development tasks of Starling.
//!
//! Every task installs what it needs from the package registries (rustup,
//! crates.io, npm, Debian) and prints what it installs and why. Nothing here
//! is needed at run time by the server or the wasm modules.

// An xtask reports to a person at a terminal: printing is its job.
#![allow(clippy::print_stdout)]

mod bench;
mod build;
mod cmd;
mod dev;
mod dist;
mod server;
mod size;
mod test;
mod tools;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Starling's build and CI tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Build the wasm modules, the loader and the CSS into dist/, and the server.
    Build {
        /// Build the server with the release profile (the wasm modules always
        /// use the size-tuned `wasm-release` profile).
        #[arg(long)]
        release: bool,
    },
    /// Build, then serve the demo storefront on http://127.0.0.1:8080/demo/.
    Dev,
    /// Print asset sizes against budgets.toml; fails when a budget is exceeded.
    Size {
        /// Measure the badge JSON on this running server (e.g.
        /// http://127.0.0.1:8080) instead of starting one.
        #[arg(long)]
        server: Option<String>,
    },
    /// Run a benchmark and write docs/BENCHMARKS.md.
    Bench {
        #[command(subcommand)]
        target: BenchTarget,
    },
    /// Run every check CI runs: fmt, clippy, native, wasm and end-to-end
    /// tests, the build and the size check.
    Test,
}

#[derive(Debug, Subcommand)]
enum BenchTarget {
    /// wrk against Starling's cache hits and against Varnish in front of the
    /// same Starling, with the memory per cached entry.
    Server,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.task {
        Task::Build { release } => build::build(&build::Options { release }).map(drop),
        Task::Dev => dev::dev(),
        Task::Size { server } => size::size(server.as_deref()),
        Task::Test => test::test(),
        Task::Bench {
            target: BenchTarget::Server,
        } => bench::bench_server(),
    }
}

/// Returns the workspace root: the parent of this crate's directory.
fn root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}

/// Returns Cargo's target directory: `CARGO_TARGET_DIR` or `<root>/target`.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

/// Returns the `dist/` directory that `build` writes and the server reads.
fn dist_dir() -> PathBuf {
    root().join("dist")
}

/// Returns the path of the server binary, debug or release.
fn server_bin(release: bool) -> PathBuf {
    let profile = if release { "release" } else { "debug" };
    target_dir().join(profile).join("starling")
}
