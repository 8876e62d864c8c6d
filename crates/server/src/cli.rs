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
