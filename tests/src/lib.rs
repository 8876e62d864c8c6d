//! End-to-end test support: the real `starling` binary on a free loopback
//! port, headless Chromium driven through chromedriver, and the page
//! helpers the tests share (waiting, request counting, the console log,
//! expected badges from the API).
//!
//! Environment: `STARLING_BIN` (default `target/debug/starling`),
//! `STARLING_DIST` (default `dist/`), `CHROMEDRIVER` (default
//! `/usr/bin/chromedriver`), `CHROMIUM` (default `/usr/bin/chromium`).
//! `cargo xtask test` sets them after building.

mod badges;
mod browser;
mod server;

use std::future::Future;
use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};

pub use badges::{
    ExpectedBadge, PageBadge, badge_request_ids, check_badge, check_page_badges, expected_label,
    normalize_id, page_badges, wait_for_badges,
};
pub use browser::{Browser, LogEntry, WAIT};
pub use server::Server;

/// The demo shop every demo page uses.
pub const SHOP: &str = "demo.myshopify.com";
/// The first demo product; products run up from here.
pub const FIRST_PRODUCT: u64 = 7_000_000_000_001;

/// A server and a browser for one test file, torn down together.
#[derive(Debug)]
pub struct Env {
    pub server: Server,
    pub browser: Browser,
}

/// Starts a server and a browser, runs `test` with them, and closes both
/// whatever the outcome. A failure carries the tail of the server log.
pub async fn with_env(test: impl AsyncFnOnce(&Env) -> Result<()>) -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    let env = Env { server, browser };

    let result = test(&env).await;

    let Env { server, browser } = env;
    browser.close().await;
    result.map_err(|error| anyhow!("{error:#}\n\nserver log (tail):\n{}", server.log_tail(30)))
}

/// Named checks that all run even when one fails; [`Checks::finish`]
/// reports every failure.
#[derive(Debug, Default)]
pub struct Checks {
    failures: Vec<String>,
}

impl Checks {
    /// Runs one named check and records its failure.
    pub async fn run(&mut self, name: &str, check: impl Future<Output = Result<()>>) {
        match check.await {
            Ok(()) => eprintln!("ok: {name}"),
            Err(error) => {
                eprintln!("FAILED: {name}: {error:#}");
                self.failures.push(format!("{name}: {error:#}"));
            }
        }
    }

    /// Fails with every recorded failure, if any.
    pub fn finish(self) -> Result<()> {
        if self.failures.is_empty() {
            return Ok(());
        }
        bail!(
            "{} check(s) failed:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        )
    }
}

/// Returns the workspace root (this crate lives in `<root>/tests`).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}

/// Returns the path in the environment variable `var`, or `default`.
/// Relative paths start at the workspace root, since tests run in `tests/`.
pub(crate) fn path_from_env(var: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from);
    workspace_root().join(path)
}

/// Returns the paths of `resources` (URLs) that end with `suffix`.
pub fn paths_ending_with(resources: &[String], suffix: &str) -> Vec<String> {
    resources
        .iter()
        .filter_map(|resource| url::Url::parse(resource).ok())
        .filter(|url| url.path().ends_with(suffix))
        .map(|url| url.path().to_owned())
        .collect()
}

/// Returns the product ids of the first `n` demo products.
pub fn demo_products(n: u64) -> Vec<String> {
    (FIRST_PRODUCT..FIRST_PRODUCT + n)
        .map(|id| id.to_string())
        .collect()
}
