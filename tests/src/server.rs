//! The real `starling` binary, started on a free loopback port with a fresh
//! data directory and the built dist/, and killed on drop.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;
use tempfile::TempDir;

/// How long a fresh server may take to seed its store and serve /healthz.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running server; dropping it kills the process.
#[derive(Debug)]
pub struct Server {
    child: Child,
    data_dir: TempDir,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base: String,
}

impl Server {
    /// Starts `$STARLING_BIN serve` and waits for `/healthz` to respond with 200.
    pub async fn start() -> Result<Server> {
        let bin = crate::path_from_env("STARLING_BIN", "target/debug/starling");
        let dist = crate::path_from_env("STARLING_DIST", "dist");
        ensure!(
            bin.exists(),
            "{} does not exist; run `cargo xtask build` or set STARLING_BIN",
            bin.display()
        );
        ensure!(
            dist.join("manifest.json").exists(),
            "{} has no manifest.json; run `cargo xtask build` or set STARLING_DIST",
            dist.display()
        );

        let port = free_port()?;
        let listen = format!("127.0.0.1:{port}");
        let data_dir = tempfile::Builder::new().prefix("starling-e2e-").tempdir()?;
        let log = std::fs::File::create(data_dir.path().join("server.log"))?;
        let child = Command::new(&bin)
            .args(["serve", "--listen", &listen, "--data-dir"])
            .arg(data_dir.path().join("data"))
            .arg("--dist")
            .arg(&dist)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("failed to start {}", bin.display()))?;
        let mut server = Server {
            child,
            data_dir,
            base: format!("http://{listen}"),
        };
        server.wait_healthy().await?;
        Ok(server)
    }

    async fn wait_healthy(&mut self) -> Result<()> {
        let url = self.url("/healthz");
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the server exited ({status}) before responding to {url}; its log:\n{}",
                    self.log_tail(40)
                );
            }
            if get(&url).await.is_ok_and(|(status, _)| status == 200) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "{url} did not respond with 200 within {START_TIMEOUT:?}; server log:\n{}",
                    self.log_tail(40)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Returns the absolute URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GETs `path` and parses the JSON body; fails unless the status is 200.
    pub async fn json(&self, path: &str) -> Result<Value> {
        let url = self.url(path);
        let (status, body) = get(&url).await?;
        ensure!(status == 200, "GET {url} answered {status}: {body}");
        serde_json::from_str(&body).with_context(|| format!("GET {url} returned invalid JSON"))
    }

    /// Returns the last `lines` lines of the server's stdout and stderr.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    fn log_path(&self) -> PathBuf {
        self.data_dir.path().join("server.log")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Returns a port on 127.0.0.1 that was free a moment ago.
pub(crate) fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("failed to bind 127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// GETs `url` on a blocking thread; returns the status and the body.
pub(crate) async fn get(url: &str) -> Result<(u16, String)> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || -> Result<(u16, String)> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(10)))
            .http_status_as_error(false)
            .build()
            .into();
        let mut response = agent
            .get(&url)
            .call()
            .with_context(|| format!("GET {url} failed"))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .read_to_string()
            .with_context(|| format!("reading the body of {url} failed"))?;
        Ok((status, body))
    })
    .await?
}
