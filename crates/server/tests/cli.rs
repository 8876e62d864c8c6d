//! The `starling` binary itself: `import` output and exit codes, and
//! `serve` on a free loopback port with a start line and a graceful stop.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::cases_csv;

fn starling() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_starling"));
    command
        .env("RUST_LOG", "info")
        .env_remove("STARLING_LISTEN");
    command
}

#[test]
fn import_prints_counts_and_rejections() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        starling()
            .args([
                "import",
                "--shop",
                "cases.myshopify.com",
                "--format",
                "judgeme",
            ])
            .arg("--data-dir")
            .arg(dir.path())
            .arg(cases_csv())
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let stdout = String::from_utf8(first.stdout).unwrap();
    assert_eq!(
        stdout,
        "shop cases.myshopify.com: 10 records read\n\
         records imported: 7 (6 published, 1 unpublished; 7 new, 0 already present)\n\
         records rejected: 3\n\
         \x20 line 9: rating 6 is out of range 1..5\n\
         \x20 line 10: rating is missing\n\
         \x20 line 11: neither product_id nor product_handle is set\n"
    );
    let second = run();
    assert!(second.status.success());
    assert!(
        String::from_utf8(second.stdout)
            .unwrap()
            .contains("0 new, 7 already present")
    );
}

#[test]
fn import_of_a_malformed_file_fails_and_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.csv");
    std::fs::write(
        &file,
        "title,body,rating,review_date,reviewer_name,reviewer_email,product_id,product_handle,reply,picture_urls\n\
         Fine,ok,5,2025-01-10,Ann,,1,,,\n\
         Bad,\"never closed,5,2025-01-10,Bo,,1,,,\n",
    )
    .unwrap();
    let output = starling()
        .args(["import", "--shop", "x.myshopify.com", "--format", "judgeme"])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("line 3: unbalanced double quote"),
        "{stderr}"
    );

    let missing = starling()
        .args(["import", "--shop", "x.myshopify.com", "--format", "judgeme"])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg(dir.path().join("nope.csv"))
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nope.csv"));
}

fn http_get(address: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn serve_logs_one_start_line_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = starling()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("STARLING_DATA_DIR", dir.path().join("data"))
        .env("STARLING_DIST", dir.path().join("dist"))
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(child.stderr.take().unwrap());
    let started = Instant::now();
    let mut lines = Vec::new();
    let address = loop {
        let mut line = String::new();
        if log.read_line(&mut line).unwrap() == 0 || started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("no start line: {lines:?}");
        }
        if let Some(rest) = line.split("address=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
        lines.push(line);
    };
    let warning = lines.join("");
    assert!(warning.contains("cargo xtask build"), "{warning}");
    assert!(warning.contains("dist/manifest.json"), "{warning}");

    let health = http_get(&address, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let badges = http_get(
        &address,
        "/v1/shops/demo.myshopify.com/badges?ids=7000000000001",
    );
    assert!(badges.starts_with("HTTP/1.1 200"), "{badges}");
    let loader = http_get(&address, "/v1/loader.js");
    assert!(loader.starts_with("HTTP/1.1 503"), "{loader}");

    let terminated = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    let mut rest = String::new();
    log.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("SIGTERM received"), "{rest}");
    assert!(rest.contains("starling stopped"), "{rest}");
}
