//! The command line: `starling serve` and `starling import`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Starling: star badges and product reviews for Shopify storefronts.
#[derive(Debug, Parser)]
#[command(name = "starling", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API, the bundles and the demo storefront.
    Serve(ServeArgs),
    /// Import a review export into the store.
    Import(ImportArgs),
}

/// Options of `starling serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "STARLING_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Folder of the SQLite store (starling.db); created and seeded with the
    /// demo shop when empty.
    #[arg(long, env = "STARLING_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Folder written by `cargo xtask build` (manifest.json and hashed files).
    #[arg(long, env = "STARLING_DIST", default_value = "./dist")]
    pub dist: PathBuf,
    /// Seconds an API response stays fresh in the cache; also sent to CDNs
    /// as `s-maxage`.
    #[arg(
        long,
        env = "STARLING_CACHE_TTL",
        default_value_t = 30,
        value_name = "SECONDS"
    )]
    pub cache_ttl: u64,
    /// Seconds after the TTL during which a stale response is served at once
    /// while one background request refreshes it.
    #[arg(
        long,
        env = "STARLING_STALE_WHILE_REVALIDATE",
        default_value_t = 60,
        value_name = "SECONDS"
    )]
    pub stale_while_revalidate: u64,
    /// Seconds after the TTL during which a stale response is served when
    /// the source fails or times out.
    #[arg(
        long,
        env = "STARLING_STALE_IF_ERROR",
        default_value_t = 86_400,
        value_name = "SECONDS"
    )]
    pub stale_if_error: u64,
    /// Upper bound of the response cache in bytes (bodies, their brotli and
    /// gzip encodings, keys and tags); least valuable entries are evicted.
    #[arg(
        long,
        env = "STARLING_CACHE_MAX_BYTES",
        default_value_t = 64 * 1024 * 1024,
        value_name = "BYTES"
    )]
    pub cache_max_bytes: u64,
    /// Origin Starling to read the v1 API from, such as
    /// http://origin.internal:8080, in place of the embedded store.
    #[arg(long, env = "STARLING_UPSTREAM", value_name = "URL")]
    pub upstream: Option<String>,
    /// Milliseconds allowed to open a connection to the upstream.
    #[arg(
        long,
        env = "STARLING_UPSTREAM_CONNECT_TIMEOUT_MS",
        default_value_t = 500,
        value_name = "MILLISECONDS"
    )]
    pub upstream_connect_timeout_ms: u64,
    /// Milliseconds allowed for one upstream request, from sending it to the
    /// last body byte; a failed attempt may be retried once.
    #[arg(
        long,
        env = "STARLING_UPSTREAM_TIMEOUT_MS",
        default_value_t = 2_000,
        value_name = "MILLISECONDS"
    )]
    pub upstream_timeout_ms: u64,
    /// Milliseconds the circuit breaker stops calling a failing upstream;
    /// must be shorter than the TTL. Default: half the TTL, at most 10,000.
    #[arg(
        long,
        env = "STARLING_CIRCUIT_COOL_DOWN_MS",
        value_name = "MILLISECONDS"
    )]
    pub circuit_cool_down_ms: Option<u64>,
    /// Redis to share cached responses and purges with other replicas, such
    /// as redis://127.0.0.1:6379/.
    #[arg(long, env = "STARLING_REDIS", value_name = "URL")]
    pub redis: Option<String>,
    /// Bearer token that `POST /v1/admin/purge` requires; without one the
    /// endpoint does not exist.
    #[arg(
        long,
        env = "STARLING_PURGE_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub purge_token: Option<String>,
}

/// Options of `starling import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Shop domain the reviews belong to, such as example.myshopify.com;
    /// created when new.
    #[arg(long)]
    pub shop: String,
    /// Format of the file.
    #[arg(long, value_enum)]
    pub format: ImportFormat,
    /// Folder of the SQLite store.
    #[arg(long, env = "STARLING_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// The export file.
    pub file: PathBuf,
    /// A running server (such as http://127.0.0.1:8080) whose cache should
    /// drop the imported products afterwards; needs --purge-token.
    #[arg(
        long,
        env = "STARLING_PURGE_URL",
        value_name = "URL",
        requires = "purge_token"
    )]
    pub purge_url: Option<String>,
    /// That server's purge token.
    #[arg(
        long,
        env = "STARLING_PURGE_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub purge_token: Option<String>,
}

/// Review export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// Judge.me's CSV export.
    Judgeme,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_has_documented_defaults() {
        let cli = Cli::try_parse_from(["starling", "serve"]).expect("parses");
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        assert_eq!(args.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(args.data_dir, PathBuf::from("./data"));
        assert_eq!(args.dist, PathBuf::from("./dist"));
    }

    #[test]
    fn import_takes_shop_format_and_file() {
        let cli = Cli::try_parse_from([
            "starling",
            "import",
            "--shop",
            "cases.myshopify.com",
            "--format",
            "judgeme",
            "export.csv",
        ])
        .expect("parses");
        let Command::Import(args) = cli.command else {
            panic!("not import")
        };
        assert_eq!(args.format, ImportFormat::Judgeme);
        assert_eq!(args.file, PathBuf::from("export.csv"));
    }
}
