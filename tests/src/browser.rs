//! Headless Chromium through chromedriver: one session per test file, with
//! page helpers for waiting on the DOM, counting requests (resource
//! timing) and reading the console log.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::server::{Server, free_port, get};

/// How long to wait for something the page should do by itself.
pub const WAIT: Duration = Duration::from_secs(10);
/// How long the network must stay idle before requests are counted.
const QUIET: Duration = Duration::from_millis(1500);

/// One entry of the browser's console log.
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// `SEVERE`, `WARNING`, `INFO`, `DEBUG`.
    pub level: String,
    pub message: String,
}

/// A chromedriver process and one browser session on it.
#[derive(Debug)]
pub struct Browser {
    client: Client,
    driver: Child,
    profile: TempDir,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless session with
    /// a fresh profile and the browser console log enabled.
    pub async fn start() -> Result<Browser> {
        let chromedriver = crate::path_from_env("CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = crate::path_from_env("CHROMIUM", "/usr/bin/chromium");
        for path in [&chromedriver, &chromium] {
            ensure!(
                path.exists(),
                "{} is missing; install it with `apt-get install -y chromium chromium-driver` \
                 (cargo xtask test does)",
                path.display()
            );
        }

        let profile = tempfile::Builder::new()
            .prefix("starling-e2e-chromium-")
            .tempdir()?;
        let port = free_port()?;
        let mut driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("failed to start {}", chromedriver.display()))?;

        let driver_url = format!("http://127.0.0.1:{port}");
        match open_session(&driver_url, &chromium, profile.path()).await {
            Ok(client) => Ok(Browser {
                client,
                driver,
                profile,
            }),
            Err(error) => {
                let _ = driver.kill();
                let _ = driver.wait();
                kill_browsers_using(profile.path());
                Err(error)
            }
        }
    }

    /// Ends the session (Chromium quits) and stops chromedriver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
        drop(self);
    }

    /// Returns the WebDriver client, for element interactions.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `path` on `server` with a clean slate: none of the origin's
    /// cookies or storage from earlier pages, and an empty console log.
    pub async fn open(&self, server: &Server, path: &str) -> Result<()> {
        self.cdp(
            "Storage.clearDataForOrigin",
            json!({"origin": server.base, "storageTypes": "all"}),
        )
        .await?;
        self.log().await?;

        let url = server.url(path);
        self.client
            .goto(&url)
            .await
            .with_context(|| format!("failed to load {url}"))?;
        Ok(())
    }

    /// Runs `script` (a function body: use `return`) with `args`.
    pub async fn eval(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.client
            .execute(script, args)
            .await
            .with_context(|| format!("script failed: {script}"))
    }

    /// Polls the expression `condition` until it is truthy and returns its
    /// value; fails after `timeout`, naming `what` and the last value.
    pub async fn wait_until(
        &self,
        what: &str,
        condition: &str,
        timeout: Duration,
    ) -> Result<Value> {
        let script = format!("return ({condition});");
        let deadline = Instant::now() + timeout;
        loop {
            let value = self.eval(&script, vec![]).await?;
            if is_truthy(&value) {
                return Ok(value);
            }
            if Instant::now() > deadline {
                bail!("timed out after {timeout:?} waiting for {what}; last value: {value}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until no new resource request has started for a while, so
    /// that counting requests includes late ones too.
    pub async fn wait_network_quiet(&self) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        let mut count = self.resources().await?.len();
        let mut quiet_since = Instant::now();
        while quiet_since.elapsed() < QUIET {
            if Instant::now() > deadline {
                bail!("the page kept starting requests for {WAIT:?} ({count} so far)");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            let now = self.resources().await?.len();
            if now != count {
                count = now;
                quiet_since = Instant::now();
            }
        }
        Ok(())
    }

    /// Returns the URLs of every resource the page requested, in order
    /// (resource timing, which includes requests served from the HTTP cache).
    pub async fn resources(&self) -> Result<Vec<String>> {
        let script = "const entries = performance.getEntriesByType('resource'); \
                      return {full: entries.length >= 250, names: entries.map(e => e.name)};";
        let value = self.eval(script, vec![]).await?;
        ensure!(
            value["full"] != json!(true),
            "the resource timing buffer is full (250 entries), so requests cannot be counted"
        );
        Ok(value["names"]
            .as_array()
            .map(|names| {
                names
                    .iter()
                    .filter_map(|name| name.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Returns the browser console entries since the last call, because
    /// chromedriver's `se/log` endpoint empties its buffer on each read.
    pub async fn log(&self) -> Result<Vec<LogEntry>> {
        let value = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .context("failed to read the browser log")?;
        let entries = value.as_array().cloned().unwrap_or_default();
        Ok(entries
            .iter()
            .map(|entry| LogEntry {
                level: entry["level"].as_str().unwrap_or_default().to_owned(),
                message: entry["message"].as_str().unwrap_or_default().to_owned(),
            })
            .collect())
    }

    /// Checks what must hold on every page: `window.jQuery` and `window.$`
    /// are undefined, and the console has no SEVERE entry since `open`.
    pub async fn check_clean_page(&self) -> Result<()> {
        let globals = self
            .eval(
                "return {jQuery: typeof window.jQuery, dollar: typeof window.$};",
                vec![],
            )
            .await?;
        ensure!(
            globals["jQuery"] == "undefined",
            "window.jQuery is {}",
            globals["jQuery"]
        );
        ensure!(
            globals["dollar"] == "undefined",
            "window.$ is {}",
            globals["dollar"]
        );

        let severe: Vec<String> = self
            .log()
            .await?
            .into_iter()
            .filter(|entry| entry.level == "SEVERE")
            .map(|entry| entry.message)
            .collect();
        ensure!(
            severe.is_empty(),
            "the browser log has SEVERE entries:\n{}",
            severe.join("\n")
        );
        Ok(())
    }

    /// Runs `source` in every new document before its own scripts, through
    /// the DevTools protocol, so listeners see the first events too.
    pub async fn add_init_script(&self, source: &str) -> Result<()> {
        self.cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": source }),
        )
        .await
    }

    /// Sends one DevTools protocol command through chromedriver.
    async fn cdp(&self, cmd: &'static str, params: Value) -> Result<()> {
        self.client
            .issue_cmd(Cdp { cmd, params })
            .await
            .with_context(|| format!("the DevTools command {cmd} failed"))?;
        Ok(())
    }

    /// Clicks the element matching the CSS `selector`.
    pub async fn click(&self, selector: &str) -> Result<()> {
        let element = self
            .client
            .find(Locator::Css(selector))
            .await
            .with_context(|| format!("no element matches {selector}"))?;
        element
            .click()
            .await
            .with_context(|| format!("failed to click {selector}"))
    }

    /// Chooses the option with `value` in the select matching `selector`,
    /// as a person would.
    pub async fn select(&self, selector: &str, value: &str) -> Result<()> {
        let element = self
            .client
            .find(Locator::Css(selector))
            .await
            .with_context(|| format!("no element matches {selector}"))?;
        element
            .select_by_value(value)
            .await
            .with_context(|| format!("failed to choose {value:?} in {selector}"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        kill_browsers_using(self.profile.path());
    }
}

/// Waits for chromedriver at `driver_url` and opens a headless session.
async fn open_session(driver_url: &str, chromium: &Path, profile: &Path) -> Result<Client> {
    wait_for_driver(driver_url).await?;
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities(chromium, profile))
        .connect(driver_url)
        .await
        .with_context(|| format!("failed to open a Chromium session on {driver_url}"))
}

/// Kills the Chromium processes started with `profile` as user data
/// directory: they outlive chromedriver when a session was never closed.
fn kill_browsers_using(profile: &Path) {
    let needle = format!("--user-data-dir={}", profile.display());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|byte| byte.is_ascii_digit()) {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let uses_profile = cmdline
            .split(|byte| *byte == 0)
            .any(|arg| arg == needle.as_bytes());
        if uses_profile {
            let _ = Command::new("kill").args(["-9", &pid]).status();
        }
    }
}

fn capabilities(chromium: &Path, profile: &Path) -> serde_json::Map<String, Value> {
    let args = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--window-size=1280,1024",
    ]
    .iter()
    .map(|arg| (*arg).to_owned())
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect::<Vec<_>>();
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": PathBuf::from(chromium),
            "args": args,
        },
        "goog:loggingPrefs": { "browser": "ALL" },
    });
    match capabilities {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

async fn wait_for_driver(driver_url: &str) -> Result<()> {
    let status_url = format!("{driver_url}/status");
    let deadline = Instant::now() + WAIT;
    loop {
        let ready = get(&status_url).await.is_ok_and(|(status, body)| {
            status == 200
                && serde_json::from_str::<Value>(&body)
                    .is_ok_and(|value| value["value"]["ready"] == json!(true))
        });
        if ready {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("chromedriver did not report ready at {status_url} within {WAIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|n| n != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// chromedriver's `POST /session/{id}/se/log` for the browser log.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

/// chromedriver's `POST /session/{id}/goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"cmd": self.cmd, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}
