//! `cargo xtask size`: raw, gzip and brotli bytes of every asset and of
//! every budget line of budgets.toml; fails when a line is over budget.
//!
//! Budgets apply to brotli sizes. The pseudo-asset `badges.json` is the
//! badge response for the 48 products of the demo collection page, as the
//! server sends it for each `Accept-Encoding`: it is measured on a running
//! server (`--server URL`) or on one started for the purpose.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::dist::{self, Manifest};
use crate::server::{self, Server};

/// The pseudo-asset name of the collection page's badge response.
const BADGES_JSON: &str = "badges.json";
/// The demo shop and the products of its collection page.
const DEMO_SHOP: &str = "demo.myshopify.com";
const COLLECTION_PRODUCTS: std::ops::RangeInclusive<u64> = 7_000_000_000_001..=7_000_000_000_048;

/// budgets.toml.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Budgets {
    budget: Vec<Budget>,
}

/// One line of budgets.toml.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Budget {
    name: String,
    assets: Vec<String>,
    /// The limit on the brotli size, in KB of 1024 bytes.
    max_kb: f64,
}

/// Raw, gzip and brotli bytes of one asset or one budget line.
#[derive(Debug, Default, Clone, Copy)]
struct Sizes {
    raw: u64,
    gzip: u64,
    br: u64,
}

impl std::ops::AddAssign for Sizes {
    fn add_assign(&mut self, other: Sizes) {
        self.raw += other.raw;
        self.gzip += other.gzip;
        self.br += other.br;
    }
}

/// Prints the size report; an error names every line over budget.
pub fn size(server_url: Option<&str>) -> Result<()> {
    let dist = crate::dist_dir();
    let bin = crate::server_bin(false);
    let manifest = match dist::read_manifest(&dist) {
        Ok(manifest) if bin.exists() || server_url.is_some() => manifest,
        _ => {
            eprintln!("dist/manifest.json or the server binary is missing: building first.");
            crate::build::build(&crate::build::Options::default())?
        }
    };
    let budgets = read_budgets(&crate::root().join("budgets.toml"))?;
    check_coverage(&manifest, &budgets)?;

    let mut sizes: BTreeMap<String, Sizes> = manifest
        .assets
        .iter()
        .map(|(name, entry)| {
            let sizes = Sizes {
                raw: entry.bytes,
                gzip: entry.gzip,
                br: entry.br,
            };
            (name.clone(), sizes)
        })
        .collect();
    if budgets
        .budget
        .iter()
        .any(|budget| budget.assets.iter().any(|a| a == BADGES_JSON))
    {
        let badges = match server_url {
            Some(url) => measure_badges(url.trim_end_matches('/'))?,
            None => {
                let server = Server::start(&bin, &dist)?;
                measure_badges(&server.base)?
            }
        };
        sizes.insert(BADGES_JSON.to_owned(), badges);
    }

    print_assets(&sizes);
    let over = print_budgets(&budgets, &sizes)?;
    if !over.is_empty() {
        bail!("over budget: {}", over.join("; "));
    }
    Ok(())
}

fn read_budgets(path: &Path) -> Result<Budgets> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("failed to parse {}", path.display()))
}

/// Fails when an asset of the manifest is in no budget line, so a new
/// widget module cannot ship without a budget.
fn check_coverage(manifest: &Manifest, budgets: &Budgets) -> Result<()> {
    let uncovered: Vec<&str> = manifest
        .assets
        .keys()
        .filter(|name| {
            !budgets
                .budget
                .iter()
                .any(|budget| budget.assets.contains(name))
        })
        .map(String::as_str)
        .collect();
    if !uncovered.is_empty() {
        bail!(
            "no line of budgets.toml covers {}; add one (a widget module's line names its .wasm \
             and .js)",
            uncovered.join(", ")
        );
    }
    Ok(())
}

/// Measures the badge response for the collection page's 48 products as
/// sent without compression, with gzip and with brotli.
fn measure_badges(base: &str) -> Result<Sizes> {
    let ids: Vec<String> = COLLECTION_PRODUCTS.map(|id| id.to_string()).collect();
    let url = format!("{base}/v1/shops/{DEMO_SHOP}/badges?ids={}", ids.join(","));
    let wire_size = |encoding: &str| -> Result<u64> {
        let response = server::get(&url, Some(encoding))?;
        if response.status != 200 {
            bail!(
                "GET {url} responded with {}: {}",
                response.status,
                String::from_utf8_lossy(&response.body)
            );
        }
        if encoding != "identity" && response.content_encoding.as_deref() != Some(encoding) {
            eprintln!(
                "note: the server sent the badge JSON without {encoding} for \
                 Accept-Encoding: {encoding}; counting the bytes it sent"
            );
        }
        Ok(response.body.len() as u64)
    };
    Ok(Sizes {
        raw: wire_size("identity")?,
        gzip: wire_size("gzip")?,
        br: wire_size("br")?,
    })
}

fn print_assets(sizes: &BTreeMap<String, Sizes>) {
    println!(
        "{:<28} {:>10} {:>10} {:>10}",
        "asset", "raw", "gzip", "brotli"
    );
    for (name, size) in sizes {
        println!(
            "{name:<28} {:>10} {:>10} {:>10}",
            size.raw, size.gzip, size.br
        );
    }
    println!();
}

/// Prints one row per budget line and returns a description of each line
/// over budget.
fn print_budgets(budgets: &Budgets, sizes: &BTreeMap<String, Sizes>) -> Result<Vec<String>> {
    println!(
        "{:<28} {:>10} {:>10} {:>10} {:>10} {:>6}",
        "budget (brotli)", "raw", "gzip", "brotli", "budget", "used"
    );
    let mut over = Vec::new();
    for budget in &budgets.budget {
        let mut total = Sizes::default();
        for asset in &budget.assets {
            let size = sizes.get(asset).with_context(|| {
                format!("budget {:?} names unknown asset {asset:?}", budget.name)
            })?;
            total += *size;
        }
        let limit = (budget.max_kb * 1024.0).round() as u64;
        let used = 100.0 * total.br as f64 / limit as f64;
        let verdict = if total.br > limit { "OVER" } else { "ok" };
        println!(
            "{:<28} {:>10} {:>10} {:>10} {:>10} {:>5.0}%  {verdict}",
            budget.name, total.raw, total.gzip, total.br, limit, used
        );
        if total.br > limit {
            over.push(format!(
                "{} is {} B brotli, budget {} B ({} KB)",
                budget.name, total.br, limit, budget.max_kb
            ));
        } else if (total.br as f64) < 0.8 * limit as f64 {
            let lowered = (total.br as f64 * 1.1 / 1024.0 * 10.0).ceil() / 10.0;
            println!(
                "{:<28} more than 20% under budget: lower max_kb to {lowered} in budgets.toml",
                ""
            );
        }
    }
    Ok(over)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_toml_parses_and_names_known_assets() -> Result<()> {
        let budgets = read_budgets(&crate::root().join("budgets.toml"))?;
        let known = [
            "loader.js",
            "core.js",
            "core.wasm",
            "reviews.js",
            "reviews.wasm",
            "widget.css",
            BADGES_JSON,
        ];
        for budget in &budgets.budget {
            assert!(budget.max_kb > 0.0, "{}", budget.name);
            for asset in &budget.assets {
                assert!(
                    known.contains(&asset.as_str()),
                    "{asset} in {}",
                    budget.name
                );
            }
        }
        Ok(())
    }
}
