//! Separate `starling` and `redis-server` processes on free loopback ports,
//! killed when dropped.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

/// Writes a dist/ with only a loader, which is enough for the server to
/// count its bundles as loaded.
fn write_minimal_dist(dist: &std::path::Path) {
    let folder = dist.join("0000000000000000");
    std::fs::create_dir_all(&folder).expect("dist folder");
    std::fs::write(folder.join("loader.js"), "window.__starling_test = 1;\n").expect("loader");
    std::fs::write(
        dist.join("manifest.json"),
        r#"{"assets": {"loader.js": {"path": "0000000000000000/loader.js", "hash": "0000000000000000"}}}"#,
    )
    .expect("manifest");
}

/// A `starling serve` process reading from an upstream.
pub struct Replica {
    child: Child,
    base: String,
    dir: TempDir,
}

impl Replica {
    /// Starts `starling serve --upstream UPSTREAM` with `args` and waits for
    /// `/healthz`.
    pub async fn start(upstream: &str, args: &[&str], redis: Option<&str>) -> Replica {
        let mut all = vec!["--upstream", upstream];
        all.extend_from_slice(args);
        Replica::start_with(&all, redis).await
    }

    /// Starts `starling serve` on its own seeded store with `args`.
    pub async fn start_with(args: &[&str], redis: Option<&str>) -> Replica {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        let dist = dir.path().join("dist");
        write_minimal_dist(&dist);
        let mut command = Command::new(env!("CARGO_BIN_EXE_starling"));
        command
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .arg("--dist")
            .arg(&dist)
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log);
        if let Some(url) = redis {
            command.args(["--redis", url]);
        }
        let child = command.spawn().expect("starling starts");
        let mut replica = Replica {
            child,
            base: format!("http://127.0.0.1:{port}"),
            dir,
        };
        replica.wait_healthy().await;
        replica
    }

    async fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let client = reqwest::Client::new();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("starling exited ({status}):\n{}", self.log());
            }
            if let Ok(response) = client.get(self.url("/healthz")).send().await
                && response.status() == 200
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "starling did not start:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The data directory, for `starling import --data-dir`.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The address of `path` on this replica.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The `/metrics` text.
    pub async fn metrics(&self) -> String {
        reqwest::get(self.url("/metrics"))
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("metrics body")
    }

    /// Sends SIGTERM, as a process manager stops a server.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits up to `limit` for the process to exit; returns its status.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A throwaway `redis-server` without persistence.
pub struct Redis {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Redis {
    /// Starts Debian's `redis-server` on a free port; panics with the
    /// install command when it is missing.
    pub fn start() -> Redis {
        let binary = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
            .into_iter()
            .map(PathBuf::from)
            .find(|path| path.exists())
            .unwrap_or_else(|| {
                panic!(
                    "redis-server is not installed; `cargo xtask test` installs it, or run \
                     `apt-get install -y redis-server`"
                )
            });
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let child = Command::new(binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Redis {
            child,
            port,
            _dir: dir,
        }
    }

    /// The address for `--redis`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
