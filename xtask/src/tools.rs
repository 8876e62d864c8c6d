//! Finding and installing the tools the build and the tests need.
//!
//! Everything comes from a package registry by name: the wasm target from
//! rustup, the wasm-bindgen CLI from crates.io, wasm-opt, terser and csso
//! from npm, Chromium and its driver from Debian. Each install prints what it
//! installs and why. Nothing is downloaded from anywhere else.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::cmd;

/// The wasm target the browser modules compile to.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// npm packages installed into `.tools/`, pinned to exact versions.
const NPM_TOOLS: &[(&str, &str, &str)] = &[
    (
        "binaryen",
        "132.0.0",
        "wasm-opt, to shrink the wasm modules",
    ),
    ("terser", "5.51.4", "to minify loader.js"),
    ("csso", "5.0.5", "to minify widget.css"),
];

/// Chromium as Debian installs it; the tests drive it through chromedriver.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// The WebDriver server matching [`CHROMIUM`].
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The wasm-bindgen CLI tools, at the version the workspace links against.
#[derive(Debug)]
pub struct WasmBindgen {
    pub bindgen: PathBuf,
    pub test_runner: PathBuf,
}

/// The npm tools of the build.
#[derive(Debug)]
pub struct NpmTools {
    pub wasm_opt: PathBuf,
    pub terser: PathBuf,
    /// csso's package directory, loaded with `node -e`: it ships no CLI.
    pub csso: PathBuf,
}

/// Adds the wasm target with rustup unless it is installed.
pub fn ensure_wasm_target() -> Result<()> {
    let installed = cmd::read(&mut cmd::new("rustup", &["target", "list", "--installed"]))
        .context("rustup is needed to add the wasm target; install it from your package manager")?;
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        return Ok(());
    }
    eprintln!("Installing the Rust target {WASM_TARGET}: the browser modules compile to it.");
    cmd::run(&mut cmd::new("rustup", &["target", "add", WASM_TARGET]))
}

/// Adds the rustup components `test` runs (rustfmt, clippy) unless they
/// are installed.
pub fn ensure_components(components: &[&str]) -> Result<()> {
    let installed = cmd::read(&mut cmd::new(
        "rustup",
        &["component", "list", "--installed"],
    ))?;
    for component in components {
        let present = installed
            .lines()
            .any(|line| line.trim() == *component || line.starts_with(&format!("{component}-")));
        if !present {
            eprintln!("Installing the rustup component {component}: `cargo xtask test` runs it.");
            cmd::run(&mut cmd::new("rustup", &["component", "add", component]))?;
        }
    }
    Ok(())
}

/// Installs the wasm-bindgen CLI matching Cargo.lock into
/// `~/.cache/starling/wasm-bindgen-cli-X` unless it is there, and checks
/// that both tools report that version.
pub fn ensure_wasm_bindgen() -> Result<WasmBindgen> {
    let version = wasm_bindgen_version()?;
    let home = std::env::var_os("HOME").context("HOME is not set; it locates ~/.cache")?;
    let install_root = PathBuf::from(home)
        .join(".cache/starling")
        .join(format!("wasm-bindgen-cli-{version}"));
    let tools = WasmBindgen {
        bindgen: install_root.join("bin/wasm-bindgen"),
        test_runner: install_root.join("bin/wasm-bindgen-test-runner"),
    };

    if !tools.bindgen.exists() || !tools.test_runner.exists() {
        eprintln!(
            "Installing wasm-bindgen-cli {version} into {}: the glue generator must match \
             the wasm-bindgen crate in Cargo.lock exactly.",
            install_root.display()
        );
        let root = install_root.to_string_lossy();
        cmd::run(&mut cmd::new(
            "cargo",
            &[
                "install",
                "wasm-bindgen-cli",
                "--version",
                &version,
                "--root",
                &root,
            ],
        ))?;
    }

    for tool in [&tools.bindgen, &tools.test_runner] {
        let reported = cmd::read(&mut cmd::new(tool, &["--version"]))?;
        let reported_version = reported.split_whitespace().nth(1).unwrap_or_default();
        if reported_version != version {
            bail!(
                "{} reports version {reported_version:?}, but Cargo.lock pins wasm-bindgen \
                 {version}; remove {} and run the task again to reinstall it",
                tool.display(),
                install_root.display()
            );
        }
    }
    Ok(tools)
}

/// The wasm-bindgen version of Cargo.lock, or of the workspace pin in
/// Cargo.toml while no crate depends on wasm-bindgen yet.
pub fn wasm_bindgen_version() -> Result<String> {
    let lock_path = crate::root().join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path)
        .with_context(|| format!("failed to read {}", lock_path.display()))?;
    if let Some(version) = locked_version(&lock, "wasm-bindgen")
        .with_context(|| format!("failed to parse {}", lock_path.display()))?
    {
        return Ok(version);
    }

    let manifest_path = crate::root().join("Cargo.toml");
    let manifest = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("failed to read {}", manifest_path.display()))?;
    pinned_version(&manifest, "wasm-bindgen")
        .with_context(|| format!("failed to parse {}", manifest_path.display()))?
        .with_context(|| {
            format!(
                "no wasm-bindgen version in Cargo.lock nor in [workspace.dependencies] of {}",
                manifest_path.display()
            )
        })
}

/// The version of package `name` in a Cargo.lock; an error when the lock
/// holds several versions of it.
fn locked_version(lock: &str, name: &str) -> Result<Option<String>> {
    #[derive(serde::Deserialize)]
    struct Lock {
        #[serde(default)]
        package: Vec<Package>,
    }
    #[derive(serde::Deserialize)]
    struct Package {
        name: String,
        version: String,
    }

    let lock: Lock = toml::from_str(lock)?;
    let mut versions = lock
        .package
        .into_iter()
        .filter(|package| package.name == name)
        .map(|package| package.version);
    let first = versions.next();
    if let Some(other) = versions.next() {
        bail!("Cargo.lock contains two versions of {name} ({first:?} and {other}); keep one");
    }
    Ok(first)
}

/// The exact version (`"=X"`) of `name` in `[workspace.dependencies]`.
fn pinned_version(manifest: &str, name: &str) -> Result<Option<String>> {
    let manifest: toml::Table = toml::from_str(manifest)?;
    let spec = manifest
        .get("workspace")
        .and_then(|workspace| workspace.get("dependencies"))
        .and_then(|dependencies| dependencies.get(name));
    let requirement = match spec {
        Some(toml::Value::String(requirement)) => requirement.as_str(),
        Some(toml::Value::Table(table)) => match table.get("version") {
            Some(toml::Value::String(requirement)) => requirement.as_str(),
            _ => return Ok(None),
        },
        _ => return Ok(None),
    };
    match requirement.strip_prefix('=') {
        Some(version) => Ok(Some(version.trim().to_owned())),
        None => bail!("{name} = {requirement:?} is not an exact pin (\"=X.Y.Z\")"),
    }
}

/// Installs the pinned npm tools into `<root>/.tools` unless each is there
/// at its pinned version.
pub fn ensure_npm_tools() -> Result<NpmTools> {
    let prefix = crate::root().join(".tools");
    let modules = prefix.join("node_modules");
    let missing: Vec<String> = NPM_TOOLS
        .iter()
        .filter(|(name, version, _)| {
            installed_npm_version(&modules, name).as_deref() != Some(*version)
        })
        .map(|(name, version, _)| format!("{name}@{version}"))
        .collect();

    if !missing.is_empty() {
        for (name, version, why) in NPM_TOOLS {
            eprintln!("Installing npm package {name}@{version} into .tools: {why}.");
        }
        let mut args = vec![
            "install".to_owned(),
            "--prefix".to_owned(),
            prefix.to_string_lossy().into_owned(),
            "--no-audit".to_owned(),
            "--no-fund".to_owned(),
            "--save-exact".to_owned(),
        ];
        args.extend(
            NPM_TOOLS
                .iter()
                .map(|(name, version, _)| format!("{name}@{version}")),
        );
        cmd::run(&mut cmd::new("npm", &args)).context(
            "npm is needed for wasm-opt and terser; install Node.js and npm \
             (apt-get install -y nodejs npm)",
        )?;
    }

    let tools = NpmTools {
        wasm_opt: modules.join(".bin/wasm-opt"),
        terser: modules.join(".bin/terser"),
        csso: modules.join("csso"),
    };
    for path in [&tools.wasm_opt, &tools.terser, &tools.csso] {
        if !path.exists() {
            bail!(
                "{} is missing after `npm install`; remove {} and run the task again",
                path.display(),
                prefix.display()
            );
        }
    }
    Ok(tools)
}

/// The version in `node_modules/<name>/package.json`, if installed.
fn installed_npm_version(modules: &Path, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(modules.join(name).join("package.json")).ok()?;
    let package: serde_json::Value = serde_json::from_str(&text).ok()?;
    package.get("version")?.as_str().map(str::to_owned)
}

/// Installs Debian's `chromium` and `chromium-driver` when either binary is
/// missing: as root with apt-get, otherwise it stops with the command to run.
pub fn ensure_chromium() -> Result<()> {
    ensure_debian(
        "the wasm and end-to-end tests run in headless Chromium",
        &[(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")],
    )
}

/// Installs Debian's `redis-server`, which the cache tests start as the
/// replicas' shared level.
pub fn ensure_redis() -> Result<()> {
    ensure_debian(
        "the cache tests start a real Redis shared by two replicas",
        &[("/usr/bin/redis-server", "redis-server")],
    )
}

/// Installs the Debian packages whose binaries are missing, each given as
/// (binary path, package): as root with apt-get, otherwise it stops with
/// the command to run. `purpose` says why they are needed.
pub fn ensure_debian(purpose: &str, needs: &[(&str, &str)]) -> Result<()> {
    let missing: Vec<&str> = needs
        .iter()
        .filter(|(binary, _)| !Path::new(binary).exists())
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let packages = missing.join(" ");
    if !is_root()? {
        bail!(
            "the Debian packages {packages} are missing; {purpose}. Install them as root with:\n    \
             apt-get update && apt-get install -y {packages}"
        );
    }
    eprintln!("Installing the Debian packages {packages}: {purpose}.");
    cmd::run(&mut cmd::new("apt-get", &["update"]))?;
    let mut args = vec!["install", "-y"];
    args.extend(&missing);
    cmd::run(cmd::new("apt-get", &args).env("DEBIAN_FRONTEND", "noninteractive"))?;
    for (binary, package) in needs {
        if !Path::new(binary).exists() {
            bail!("{binary} is still missing after installing {package}");
        }
    }
    Ok(())
}

fn is_root() -> Result<bool> {
    let uid = cmd::read(&mut cmd::new("id", &["-u"]))?;
    Ok(uid.trim() == "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_version_finds_the_package() {
        let lock = r#"
version = 4

[[package]]
name = "wasm-bindgen"
version = "0.2.130"

[[package]]
name = "wasm-bindgen-shared"
version = "0.2.130"
"#;
        assert_eq!(
            locked_version(lock, "wasm-bindgen")
                .ok()
                .flatten()
                .as_deref(),
            Some("0.2.130")
        );
        assert_eq!(locked_version(lock, "serde").ok().flatten(), None);
    }

    #[test]
    fn locked_version_rejects_two_versions() {
        let lock = r#"
[[package]]
name = "wasm-bindgen"
version = "0.2.130"

[[package]]
name = "wasm-bindgen"
version = "0.2.100"
"#;
        assert!(locked_version(lock, "wasm-bindgen").is_err());
    }

    #[test]
    fn pinned_version_reads_workspace_dependencies() {
        let manifest = r#"
[workspace.dependencies]
wasm-bindgen = "=0.2.130"
serde = { version = "1" }
"#;
        assert_eq!(
            pinned_version(manifest, "wasm-bindgen")
                .ok()
                .flatten()
                .as_deref(),
            Some("0.2.130")
        );
        assert!(pinned_version(manifest, "serde").is_err());
        assert_eq!(pinned_version(manifest, "tokio").ok().flatten(), None);
    }
}
