//! Starting a throwaway `starling` server for measurements: a free loopback
//! port, a fresh data directory, killed when dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// A running server, killed on drop.
#[derive(Debug)]
pub struct Server {
    child: Child,
    data_dir: PathBuf,
    /// `http://127.0.0.1:PORT`
    pub base: String,
}

impl Server {
    /// Starts `bin serve` on a free port with `dist` and a new temporary
    /// data directory, and waits until `/healthz` responds with 200.
    pub fn start(bin: &Path, dist: &Path) -> Result<Server> {
        Server::start_with(bin, dist, &[])
    }

    /// As [`Server::start`], with more `serve` flags.
    pub fn start_with(bin: &Path, dist: &Path, extra_args: &[String]) -> Result<Server> {
        let port = free_port()?;
        let listen = format!("127.0.0.1:{port}");
        let data_dir =
            std::env::temp_dir().join(format!("starling-xtask-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&data_dir)?;

        let log = std::fs::File::create(data_dir.join("server.log"))?;
        let child = Command::new(bin)
            .args(["serve", "--listen", &listen, "--data-dir"])
            .arg(data_dir.join("data"))
            .arg("--dist")
            .arg(dist)
            .args(extra_args)
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
        server.wait_healthy(Duration::from_secs(30))?;
        Ok(server)
    }

    fn wait_healthy(&mut self, timeout: Duration) -> Result<()> {
        let url = format!("{}/healthz", self.base);
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the server exited ({status}) before {url} responded; its log:\n{}",
                    self.log()
                );
            }
            if get(&url, None).is_ok_and(|response| response.status == 200) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "{url} did not respond with 200 within {timeout:?}; server log:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Returns the server's resident set size from /proc, in bytes.
    pub fn rss_bytes(&self) -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .context("cannot read the server's /proc status")?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().strip_suffix("kB"))
            .and_then(|kb| kb.trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .context("no VmRSS line in the server's /proc status")
    }

    /// Returns the server's stdout and stderr so far.
    fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Returns a port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("failed to bind 127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// GETs `url` and returns the value of one response header.
pub fn get_header(url: &str, name: &str) -> Result<Option<String>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .build()
        .into();
    let response = agent
        .get(url)
        .call()
        .with_context(|| format!("GET {url} failed"))?;
    Ok(response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned))
}

/// An HTTP response with the body exactly as sent (not decoded).
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub content_encoding: Option<String>,
    pub body: Vec<u8>,
}

/// GETs `url`, sending `accept_encoding` when given; the body is returned
/// as transferred, still compressed.
pub fn get(url: &str, accept_encoding: Option<&str>) -> Result<Response> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut request = agent.get(url);
    if let Some(encoding) = accept_encoding {
        request = request.header("Accept-Encoding", encoding);
    }
    let mut response = request
        .call()
        .with_context(|| format!("GET {url} failed"))?;
    let content_encoding = response
        .headers()
        .get("content-encoding")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_vec()
        .with_context(|| format!("reading the body of {url} failed"))?;
    Ok(Response {
        status: response.status().as_u16(),
        content_encoding,
        body,
    })
}
