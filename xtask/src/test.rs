//! `cargo xtask test`: every check CI runs, in order, never skipping one.
//!
//! Each step passes or fails; a step that cannot run (its tools are
//! missing, or the build it needs failed) fails. The last line is
//! `N passed, N failed`, counting steps.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};

use crate::tools::{self, CHROMEDRIVER, CHROMIUM, WASM_TARGET};
use crate::{build, cmd, size};

/// Chromium flags for headless runs as root in a container; the wasm test
/// runner adds `headless`, `no-sandbox` and `disable-dev-shm-usage` itself.
const CHROMIUM_ARGS: &[&str] = &[
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
];

/// The outcome of one step.
struct Step {
    name: &'static str,
    outcome: Result<()>,
    seconds: f64,
}

/// Runs every step and exits with 1 when any failed.
pub fn test() -> Result<()> {
    let mut steps = Vec::new();
    let mut run = |name: &'static str, step: &dyn Fn() -> Result<()>| -> bool {
        eprintln!("\n==> {name}");
        let started = Instant::now();
        let outcome = step();
        if let Err(error) = &outcome {
            eprintln!("==> {name}: FAILED: {error:#}");
        }
        let passed = outcome.is_ok();
        steps.push(Step {
            name,
            outcome,
            seconds: started.elapsed().as_secs_f64(),
        });
        passed
    };

    run("cargo fmt --check", &|| {
        tools::ensure_components(&["rustfmt", "clippy"])?;
        cmd::run(cmd::cargo().args(["fmt", "--all", "--check"]))
    });
    run("clippy", &|| {
        cmd::run(cmd::cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    });
    run("native tests", &|| {
        tools::ensure_redis()?;
        cmd::run(cmd::cargo().args(["test", "--workspace", "--exclude", "starling-e2e"]))
    });
    run("wasm tests (headless Chromium)", &wasm_tests);
    let built = run("build", &|| {
        build::build(&build::Options::default()).map(drop)
    });
    let after_build = |step: fn() -> Result<()>| {
        move || {
            if built {
                step()
            } else {
                Err(anyhow!("not run: the build failed"))
            }
        }
    };
    run("end-to-end tests", &after_build(e2e_tests));
    run("size", &after_build(|| size::size(None)));

    let failed = steps.iter().filter(|step| step.outcome.is_err()).count();
    eprintln!("\nSummary of cargo xtask test:");
    for step in &steps {
        let verdict = match &step.outcome {
            Ok(()) => "ok".to_owned(),
            Err(error) => format!("FAILED: {}", first_line(error)),
        };
        eprintln!("  {:<32} {:>6.1}s  {verdict}", step.name, step.seconds);
    }
    println!("{} passed, {failed} failed", steps.len() - failed);
    if failed > 0 {
        std::process::exit(1);
    }
    Ok(())
}

fn first_line(error: &anyhow::Error) -> String {
    error
        .to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Runs the wasm crates' tests with wasm-bindgen-test-runner in headless
/// Chromium through chromedriver.
fn wasm_tests() -> Result<()> {
    tools::ensure_wasm_target()?;
    let bindgen = tools::ensure_wasm_bindgen()?;
    tools::ensure_chromium()?;

    let work_dir = crate::target_dir().join("starling-test");
    let profile_dir = work_dir.join("chromium-profile");
    if profile_dir.exists() {
        std::fs::remove_dir_all(&profile_dir)?;
    }
    std::fs::create_dir_all(&profile_dir)?;
    let webdriver_json = work_dir.join("webdriver.json");
    std::fs::write(&webdriver_json, webdriver_capabilities(&profile_dir))
        .with_context(|| format!("failed to write {}", webdriver_json.display()))?;

    let mut command = cmd::cargo();
    command
        .args([
            "test",
            "-p",
            "starling-core",
            "-p",
            "starling-reviews",
            "--target",
            WASM_TARGET,
        ])
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            &bindgen.test_runner,
        )
        .env("CHROMEDRIVER", CHROMEDRIVER)
        .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", &webdriver_json)
        // Tests without `wasm_bindgen_test_configure!(run_in_browser)` would
        // otherwise run in Node.
        .env("WASM_BINDGEN_USE_BROWSER", "1");
    cmd::run(&mut command)
}

/// Builds the capabilities wasm-bindgen-test-runner merges into its
/// session: Debian's Chromium binary, our flags and a fresh profile.
fn webdriver_capabilities(profile_dir: &Path) -> String {
    let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|arg| (*arg).to_owned()).collect();
    args.push(format!("--user-data-dir={}", profile_dir.display()));
    let capabilities = serde_json::json!({
        "goog:chromeOptions": { "binary": CHROMIUM, "args": args }
    });
    capabilities.to_string()
}

/// Runs the end-to-end suite against the built dist/ and the debug server.
fn e2e_tests() -> Result<()> {
    tools::ensure_chromium()?;
    let bin: PathBuf = crate::server_bin(false);
    let mut command: Command = cmd::cargo();
    command
        .args(["test", "-p", "starling-e2e", "--no-fail-fast"])
        .env("STARLING_BIN", &bin)
        .env("STARLING_DIST", crate::dist_dir())
        .env("CHROMEDRIVER", CHROMEDRIVER)
        .env("CHROMIUM", CHROMIUM);
    cmd::run(&mut command)
}
