//! `cargo xtask build`: the wasm modules, the loader and the CSS into
//! `dist/`, then the server binary.
//!
//! Pipeline per wasm crate: cargo (`wasm-release` profile) → wasm-bindgen
//! (`--target web`) → `wasm-opt -Oz`. The loader gets the hashed asset URLs
//! substituted for `__STARLING_ASSETS__` before terser minifies it, so it is
//! built last.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::dist::{self, Asset, Manifest};
use crate::tools::{self, NpmTools, WASM_TARGET, WasmBindgen};
use crate::{cmd, root, target_dir};

/// Options of `cargo xtask build`.
#[derive(Debug, Default)]
pub struct Options {
    /// Build the server with `--release`.
    pub release: bool,
}

/// A wasm crate and the logical name of its `.js` and `.wasm` assets.
struct WasmModule {
    package: &'static str,
    name: &'static str,
}

const WASM_MODULES: &[WasmModule] = &[
    WasmModule {
        package: "starling-core",
        name: "core",
    },
    WasmModule {
        package: "starling-reviews",
        name: "reviews",
    },
];

/// The cargo profile of the wasm crates (root Cargo.toml).
const WASM_PROFILE: &str = "wasm-release";

/// The token of www/loader.js replaced by the asset URL map.
const ASSETS_TOKEN: &str = "__STARLING_ASSETS__";

/// The wasm features in the `target_features` section of rustc 1.95's
/// default wasm32-unknown-unknown output. wasm-opt rejects a module that
/// uses a feature missing from its command line.
const WASM_OPT_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-bulk-memory-opt",
    "--enable-call-indirect-overlong",
    "--enable-sign-ext",
    "--enable-nontrapping-float-to-int",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// Builds everything and returns the manifest written to `dist/`.
pub fn build(options: &Options) -> Result<Manifest> {
    tools::ensure_wasm_target()?;
    let bindgen = tools::ensure_wasm_bindgen()?;
    let npm = tools::ensure_npm_tools()?;

    let stage = target_dir().join("starling-dist");
    recreate_dir(&stage)?;

    compile_wasm()?;
    let mut assets = Vec::new();
    for module in WASM_MODULES {
        assets.extend(bind_and_optimize(module, &bindgen, &npm, &stage)?);
    }
    assets.push(widget_css(&npm, &stage)?);
    let loader = loader_js(&npm, &stage, &assets)?;
    assets.insert(0, loader);

    let dist = crate::dist_dir();
    let manifest = dist::write(&dist, &assets)?;
    for (name, entry) in &manifest.assets {
        eprintln!(
            "dist/{:<36} {:>8} B  br {:>7} B  ({name})",
            entry.path, entry.bytes, entry.br
        );
    }

    build_server(options.release)?;
    Ok(manifest)
}

/// Builds the server binary `starling`.
pub fn build_server(release: bool) -> Result<()> {
    let mut command = cmd::cargo();
    command.args(["build", "-p", "starling-server"]);
    if release {
        command.arg("--release");
    }
    cmd::run(&mut command)
}

fn compile_wasm() -> Result<()> {
    let mut command = cmd::cargo();
    command.args(["build", "--target", WASM_TARGET, "--profile", WASM_PROFILE]);
    for module in WASM_MODULES {
        command.args(["-p", module.package]);
    }
    cmd::run(&mut command)
}

/// Runs wasm-bindgen and wasm-opt on one compiled crate; returns its
/// `<name>.js` and `<name>.wasm` assets.
fn bind_and_optimize(
    module: &WasmModule,
    bindgen: &WasmBindgen,
    npm: &NpmTools,
    stage: &Path,
) -> Result<Vec<Asset>> {
    let compiled = target_dir()
        .join(WASM_TARGET)
        .join(WASM_PROFILE)
        .join(format!("{}.wasm", module.package.replace('-', "_")));
    if !compiled.exists() {
        bail!(
            "{} was not produced; {} must have crate-type = [\"cdylib\", \"rlib\"]",
            compiled.display(),
            module.package
        );
    }

    let out_dir = stage.join(module.name);
    let out_dir_arg = out_dir.to_string_lossy();
    let compiled_arg = compiled.to_string_lossy();
    cmd::run(&mut cmd::new(
        &bindgen.bindgen,
        &[
            "--target",
            "web",
            "--no-typescript",
            "--out-dir",
            &out_dir_arg,
            "--out-name",
            module.name,
            &compiled_arg,
        ],
    ))?;
    if out_dir.join("snippets").exists() {
        bail!(
            "{} uses JS snippets (inline_js or module = \"...\"); the dist layout serves one \
             .js per module, so move that JS into loader.js or use js-sys/web-sys instead",
            module.package
        );
    }

    let bound = out_dir.join(format!("{}_bg.wasm", module.name));
    let optimized = out_dir.join(format!("{}.wasm", module.name));
    let mut args: Vec<String> = [
        "-Oz",
        "--strip-debug",
        "--strip-producers",
        "--strip-target-features",
    ]
    .map(str::to_owned)
    .to_vec();
    args.extend(
        WASM_OPT_FEATURES
            .iter()
            .map(|feature| (*feature).to_owned()),
    );
    args.extend([
        bound.to_string_lossy().into_owned(),
        "-o".to_owned(),
        optimized.to_string_lossy().into_owned(),
    ]);
    cmd::run(&mut cmd::new(&npm.wasm_opt, &args))?;

    let js_name = format!("{}.js", module.name);
    let wasm_name = format!("{}.wasm", module.name);
    let glue = out_dir.join(&js_name);
    let minified_glue = out_dir.join(format!("{}.min.js", module.name));
    terser(npm, &glue, &minified_glue, true)?;
    Ok(vec![
        Asset {
            bytes: read(&minified_glue)?,
            name: js_name,
        },
        Asset {
            bytes: read(&optimized)?,
            name: wasm_name,
        },
    ])
}

/// www/widget.css, minified by csso without restructuring (rules keep
/// their order, so the cascade is unchanged) and made ASCII-only.
fn widget_css(npm: &NpmTools, stage: &Path) -> Result<Asset> {
    let source = www_file("widget.css")?;
    let minified = stage.join("widget.css");
    let script = "const [csso, from, to] = process.argv.slice(1); \
                  const fs = require('fs'); \
                  const css = fs.readFileSync(from, 'utf8'); \
                  fs.writeFileSync(to, require(csso).minify(css, {restructure: false}).css);";
    cmd::run(&mut cmd::new(
        "node",
        &[
            "-e",
            script,
            &npm.csso.to_string_lossy(),
            &source.to_string_lossy(),
            &minified.to_string_lossy(),
        ],
    ))?;
    let css = String::from_utf8(read(&minified)?).context("csso wrote invalid UTF-8")?;
    Ok(Asset {
        name: "widget.css".to_owned(),
        bytes: ascii_css(&css).into_bytes(),
    })
}

/// www/loader.js with the asset URLs substituted, minified by terser.
fn loader_js(npm: &NpmTools, stage: &Path, assets: &[Asset]) -> Result<Asset> {
    let source_path = www_file("loader.js")?;
    let source = std::fs::read_to_string(&source_path)
        .with_context(|| format!("failed to read {}", source_path.display()))?;
    let urls: serde_json::Map<String, serde_json::Value> = assets
        .iter()
        .map(|asset| (asset.name.clone(), asset.url().into()))
        .collect();
    let substituted = substitute_assets(&source, &serde_json::to_string(&urls)?)
        .with_context(|| format!("in {}", source_path.display()))?;

    let input = stage.join("loader.src.js");
    let output = stage.join("loader.js");
    std::fs::write(&input, substituted)?;
    terser(npm, &input, &output, false)?;
    Ok(Asset {
        name: "loader.js".to_owned(),
        bytes: read(&output)?,
    })
}

/// Minifies `input` into `output` with terser: an ES module (the
/// wasm-bindgen glue, whose exports keep their names) or a classic script
/// (the loader, whose top-level names are left alone).
fn terser(npm: &NpmTools, input: &Path, output: &Path, module: bool) -> Result<()> {
    let mut args = vec![
        input.to_string_lossy().into_owned(),
        "--compress".to_owned(),
        "passes=2".to_owned(),
        "--mangle".to_owned(),
        "--output".to_owned(),
        output.to_string_lossy().into_owned(),
    ];
    if module {
        args.push("--module".to_owned());
    }
    cmd::run(&mut cmd::new(&npm.terser, &args))
}

/// Rewrites every non-ASCII character as a CSS escape (`\2605 `), so the
/// stylesheet reads the same whatever encoding the page assumes for it.
fn ascii_css(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    for c in css.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\{:x} ", u32::from(c)));
        }
    }
    out
}

/// Replaces every `__STARLING_ASSETS__` of the loader by the JSON object
/// `assets`; fails when the token is absent.
fn substitute_assets(source: &str, assets: &str) -> Result<String> {
    if !source.contains(ASSETS_TOKEN) {
        bail!("{ASSETS_TOKEN} does not occur, so the loader would not know the asset URLs");
    }
    Ok(source.replace(ASSETS_TOKEN, assets))
}

fn www_file(name: &str) -> Result<PathBuf> {
    let path = root().join("www").join(name);
    if !path.exists() {
        bail!("{} is missing; the build needs it", path.display());
    }
    Ok(path)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("failed to read {}", path.display()))
}

fn recreate_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("failed to remove {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitute_assets_replaces_the_bare_token() {
        let loader = "var a=__STARLING_ASSETS__;load(a)";
        let out = substitute_assets(loader, r#"{"core.js":"/v1/b/x/core.js"}"#);
        assert_eq!(
            out.ok().as_deref(),
            Some(r#"var a={"core.js":"/v1/b/x/core.js"};load(a)"#)
        );
    }

    #[test]
    fn ascii_css_escapes_non_ascii() {
        assert_eq!(
            ascii_css(".a::before{content:\"\u{2605}\"}"),
            ".a::before{content:\"\\2605 \"}"
        );
        assert_eq!(ascii_css("a{b:c}"), "a{b:c}");
    }

    #[test]
    fn substitute_assets_requires_the_token() {
        assert!(substitute_assets("var a={}", "{}").is_err());
    }
}
