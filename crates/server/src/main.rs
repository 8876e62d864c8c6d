//! `starling`: parses the command line, sets up logging and runs the
//! command. Everything else is in the library.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use std::time::Duration;

use starling_server::app::{self, ServeConfig};
use starling_server::cache::CachePolicy;
use starling_server::cli::{Cli, Command, ImportArgs, ImportFormat, ServeArgs};
use starling_server::import;
use starling_server::store::SqliteStore;
use starling_server::upstream::UpstreamConfig;
use tracing_subscriber::EnvFilter;

/// mimalloc in place of glibc's malloc: the request path allocates many
/// small short-lived buffers, and with glibc's allocator malloc and free
/// were about 15% of the CPU profile of serving cache hits.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    let result = match Cli::parse().command {
        Command::Serve(args) => serve_config(args).and_then(run_server),
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

/// Checks the flags of `starling serve` against each other.
fn serve_config(args: ServeArgs) -> anyhow::Result<ServeConfig> {
    if args.cache_ttl == 0 {
        anyhow::bail!("--cache-ttl must be at least 1 second, got 0");
    }
    let cache = CachePolicy {
        ttl: Duration::from_secs(args.cache_ttl),
        stale_while_revalidate: Duration::from_secs(args.stale_while_revalidate),
        stale_if_error: Duration::from_secs(args.stale_if_error),
        max_bytes: args.cache_max_bytes,
    };
    let cool_down = Duration::from_millis(
        args.circuit_cool_down_ms
            .unwrap_or_else(|| (args.cache_ttl * 500).min(10_000)),
    );
    if cool_down >= cache.ttl {
        anyhow::bail!(
            "--circuit-cool-down-ms {} must be shorter than --cache-ttl ({} s), so that a \
             recovered upstream is tried again before cached data expires",
            cool_down.as_millis(),
            args.cache_ttl
        );
    }
    let upstream = match args.upstream {
        Some(url) => {
            let base_url = url.trim_end_matches('/').to_owned();
            // NOTE: the client is built without TLS, so only plain HTTP
            // origins (on a private network) work.
            if !base_url.starts_with("http://") {
                anyhow::bail!(
                    "--upstream {url:?} is not an http:// address; the upstream client speaks \
                     plain HTTP only, so put the origin on a private network address"
                );
            }
            Some(UpstreamConfig {
                base_url,
                connect_timeout: Duration::from_millis(args.upstream_connect_timeout_ms),
                request_timeout: Duration::from_millis(args.upstream_timeout_ms),
                cool_down,
            })
        }
        None => None,
    };
    if args
        .purge_token
        .as_deref()
        .is_some_and(|token| token.len() < 16)
    {
        anyhow::bail!("--purge-token must be at least 16 characters long");
    }
    Ok(ServeConfig {
        listen: args.listen,
        data_dir: args.data_dir,
        dist: args.dist,
        cache,
        upstream,
        redis: args.redis,
        purge_token: args.purge_token,
    })
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
    if let (Some(url), Some(token)) = (&args.purge_url, &args.purge_token) {
        purge_imported(url, token, &report)?;
        writeln!(
            out,
            "purged {} products from the cache of {url}",
            report.products.len()
        )?;
    }
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

/// Asks a running server to drop the imported products from its cache.
fn purge_imported(url: &str, token: &str, report: &import::ImportReport) -> anyhow::Result<()> {
    if report.products.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = report.products.iter().map(|id| id.as_str()).collect();
    let body = serde_json::json!({"shop": report.shop, "product_ids": ids});
    let endpoint = format!("{}/v1/admin/purge", url.trim_end_matches('/'));
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(&endpoint)
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .with_context(|| {
                format!("the import is stored, but POST {endpoint} failed; purge by hand")
            })?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            anyhow::bail!(
                "the import is stored, but POST {endpoint} returned HTTP {status}: {text}; \
                 check --purge-token and purge by hand"
            );
        }
        Ok(())
    })
}
