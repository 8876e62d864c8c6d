//! `cargo xtask bench server`: wrk against Starling serving cache hits, and
//! against Varnish configured in front of the same Starling with the same
//! TTL, alternating in one run; the medians and ratios go to
//! docs/BENCHMARKS.md together with the server's memory per cached entry.

use std::fmt::Write as _;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::{build, cmd, server, tools};

/// Seconds of load per wrk round.
const ROUND_SECONDS: u32 = 8;
/// Rounds per target; the report takes the median.
const ROUNDS: usize = 3;
/// wrk connections and threads: two threads for the machine's two cores.
const CONNECTIONS: u32 = 32;
const THREADS: u32 = 2;
/// Fresh TTL used by both Starling and Varnish, in seconds.
const TTL_SECONDS: u32 = 300;
/// Distinct keys filled to measure memory per entry.
const MEMORY_KEYS: u32 = 20_000;

/// One wrk run's numbers.
#[derive(Debug, Clone, Copy)]
struct Run {
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Runs the server benchmark and writes docs/BENCHMARKS.md.
pub fn bench_server() -> Result<()> {
    tools::ensure_debian(
        "the benchmark drives both servers with wrk and runs Varnish as the reference",
        &[("/usr/bin/wrk", "wrk"), ("/usr/sbin/varnishd", "varnish")],
    )?;
    build::build(&build::Options { release: true })?;
    let dist = crate::root().join("dist");
    let bin = crate::target_dir().join("release/starling");

    let starling = server::Server::start_with(
        &bin,
        &dist,
        &[
            "--cache-ttl".to_owned(),
            TTL_SECONDS.to_string(),
            "--cache-max-bytes".to_owned(),
            "268435456".to_owned(),
        ],
    )?;
    let starling_port = port_of(&starling.base)?;
    let varnish = Varnish::start(starling_port)?;

    let path = badge_path();
    let starling_url = format!("{}{path}", starling.base);
    let varnish_url = format!("http://127.0.0.1:{}{path}", varnish.port);
    warm(&starling_url)?;
    warm(&varnish_url)?;
    let x_cache = server::get_header(&starling_url, "x-cache")?;
    if x_cache.as_deref() != Some("hit") {
        bail!(
            "Starling did not serve {starling_url} from its cache after warming (X-Cache: {x_cache:?})"
        );
    }

    let mut starling_runs = Vec::new();
    let mut varnish_runs = Vec::new();
    for round in 1..=ROUNDS {
        eprintln!("round {round}/{ROUNDS}: Starling");
        starling_runs.push(wrk(&starling_url)?);
        eprintln!("round {round}/{ROUNDS}: Varnish");
        varnish_runs.push(wrk(&varnish_url)?);
    }
    drop(varnish);
    drop(starling);

    let memory = memory_per_entry(&bin, &dist)?;
    let report = report(&starling_runs, &varnish_runs, &memory);
    let path = crate::root().join("docs/BENCHMARKS.md");
    std::fs::create_dir_all(crate::root().join("docs"))?;
    std::fs::write(&path, &report)
        .with_context(|| format!("failed to write {}", path.display()))?;
    println!("{report}");
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// Returns the badge request of a 48-card collection page of the demo shop.
fn badge_path() -> String {
    let ids: Vec<String> = (1..=48)
        .map(|n| format!("{}", 7_000_000_000_000u64 + n))
        .collect();
    format!("/v1/shops/demo.myshopify.com/badges?ids={}", ids.join(","))
}

fn port_of(base: &str) -> Result<u16> {
    base.rsplit(':')
        .next()
        .and_then(|port| port.parse().ok())
        .with_context(|| format!("no port in {base}"))
}

fn warm(url: &str) -> Result<()> {
    for _ in 0..3 {
        let response = server::get(url, Some("gzip"))?;
        if response.status != 200 {
            bail!("warming {url} returned HTTP {}", response.status);
        }
    }
    Ok(())
}

fn wrk(url: &str) -> Result<Run> {
    let output = cmd::read(&mut cmd::new(
        "wrk",
        &[
            format!("-t{THREADS}"),
            format!("-c{CONNECTIONS}"),
            format!("-d{ROUND_SECONDS}s"),
            "--latency".to_owned(),
            "-H".to_owned(),
            "Accept-Encoding: gzip".to_owned(),
            url.to_owned(),
        ],
    ))?;
    parse_wrk(&output).with_context(|| format!("could not read wrk's output:\n{output}"))
}

/// Reads `Requests/sec:` and the 50% and 99% lines of `--latency`.
fn parse_wrk(output: &str) -> Option<Run> {
    let mut requests_per_second = None;
    let mut p50_ms = None;
    let mut p99_ms = None;
    for line in output.lines() {
        let mut fields = line.split_whitespace();
        match fields.next() {
            Some("Requests/sec:") => requests_per_second = fields.next()?.parse().ok(),
            Some("50%") => p50_ms = parse_duration_ms(fields.next()?),
            Some("99%") => p99_ms = parse_duration_ms(fields.next()?),
            _ => {}
        }
    }
    Some(Run {
        requests_per_second: requests_per_second?,
        p50_ms: p50_ms?,
        p99_ms: p99_ms?,
    })
}

/// Parses wrk's `412.00us`, `1.25ms` or `2.01s`.
fn parse_duration_ms(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().ok()?;
    match unit {
        "us" => Some(value / 1000.0),
        "ms" => Some(value),
        "s" => Some(value * 1000.0),
        "m" => Some(value * 60_000.0),
        _ => None,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Memory the server uses per cached entry: resident set growth and the
/// cache's own byte count, after filling [`MEMORY_KEYS`] distinct badge
/// keys.
#[derive(Debug)]
struct Memory {
    entries: u64,
    rss_growth_bytes: u64,
    cache_bytes: u64,
}

fn memory_per_entry(bin: &Path, dist: &Path) -> Result<Memory> {
    let starling = server::Server::start_with(
        bin,
        dist,
        &["--cache-max-bytes".to_owned(), "1073741824".to_owned()],
    )?;
    let before = starling.rss_bytes()?;
    for n in 0..MEMORY_KEYS {
        let url = format!(
            "{}/v1/shops/demo.myshopify.com/badges?ids={}",
            starling.base,
            7_000_000_000_001u64 + u64::from(n % 72) + 1_000_000 * u64::from(n / 72)
        );
        let response = server::get(&url, None)?;
        if response.status != 200 {
            bail!("filling the cache: {url} returned HTTP {}", response.status);
        }
    }
    let after = starling.rss_bytes()?;
    let metrics =
        String::from_utf8_lossy(&server::get(&format!("{}/metrics", starling.base), None)?.body)
            .into_owned();
    let gauge = |name: &str| -> Option<u64> {
        metrics
            .lines()
            .find_map(|line| {
                line.strip_prefix(name)?
                    .strip_prefix(' ')?
                    .parse::<f64>()
                    .ok()
            })
            .map(|value| value as u64)
    };
    Ok(Memory {
        entries: gauge("starling_cache_entries")
            .context("no starling_cache_entries in /metrics")?,
        rss_growth_bytes: after.saturating_sub(before),
        cache_bytes: gauge("starling_cache_bytes")
            .context("no starling_cache_bytes in /metrics")?,
    })
}

fn report(starling: &[Run], varnish: &[Run], memory: &Memory) -> String {
    let pick = |runs: &[Run], field: fn(&Run) -> f64| median(runs.iter().map(field).collect());
    let s_rps = pick(starling, |r| r.requests_per_second);
    let v_rps = pick(varnish, |r| r.requests_per_second);
    let s_p50 = pick(starling, |r| r.p50_ms);
    let v_p50 = pick(varnish, |r| r.p50_ms);
    let s_p99 = pick(starling, |r| r.p99_ms);
    let v_p99 = pick(varnish, |r| r.p99_ms);

    let mut out = String::new();
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "Written by `cargo xtask bench server`; rerun it to refresh this page.\n"
    );
    let _ = writeln!(out, "## Cache hits: Starling against Varnish\n");
    let _ = writeln!(
        out,
        "wrk ({THREADS} threads, {CONNECTIONS} connections, {ROUND_SECONDS} s per round, \
         {ROUNDS} rounds alternating between the two, medians shown) requests the badge \
         JSON of a 48-card collection page with `Accept-Encoding: gzip`. Starling serves \
         it from its cache (TTL {TTL_SECONDS} s). Varnish runs in front of the same \
         Starling with the same TTL and serves it from its own cache. wrk, both servers \
         and Varnish share this machine's {} cores, so the numbers are for comparison \
         within this run, not absolute capacity.\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let _ = writeln!(out, "| | Starling | Varnish | Starling / Varnish |");
    let _ = writeln!(out, "|---|---:|---:|---:|");
    let _ = writeln!(
        out,
        "| requests per second | {s_rps:.0} | {v_rps:.0} | {:.2} |",
        s_rps / v_rps
    );
    let _ = writeln!(
        out,
        "| p50 latency (ms) | {s_p50:.3} | {v_p50:.3} | {:.2} |",
        s_p50 / v_p50
    );
    let _ = writeln!(
        out,
        "| p99 latency (ms) | {s_p99:.3} | {v_p99:.3} | {:.2} |",
        s_p99 / v_p99
    );
    let _ = writeln!(out, "\nEvery round:\n");
    let _ = writeln!(
        out,
        "| round | Starling req/s | Varnish req/s | Starling p99 (ms) | Varnish p99 (ms) |"
    );
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|");
    for (index, (s, v)) in starling.iter().zip(varnish).enumerate() {
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.0} | {:.3} | {:.3} |",
            index + 1,
            s.requests_per_second,
            v.requests_per_second,
            s.p99_ms,
            v.p99_ms
        );
    }
    let entries = memory.entries.max(1);
    let _ = writeln!(out, "\n## Memory per cached entry\n");
    let _ = writeln!(
        out,
        "After filling {} distinct one-product badge keys in a fresh server: the cache \
         counts {} bytes for {} entries ({} bytes per entry: body, brotli and gzip \
         encodings, key, surrogate keys and entry header), and the process's resident \
         set grew by {} bytes ({} bytes per entry, allocator and index overhead \
         included).",
        MEMORY_KEYS,
        memory.cache_bytes,
        memory.entries,
        memory.cache_bytes / entries,
        memory.rss_growth_bytes,
        memory.rss_growth_bytes / entries
    );
    out
}

/// A throwaway varnishd in the foreground, killed on drop.
struct Varnish {
    child: Child,
    work_dir: PathBuf,
    port: u16,
}

impl Varnish {
    fn start(backend_port: u16) -> Result<Varnish> {
        let port = server::free_port()?;
        let work_dir =
            std::env::temp_dir().join(format!("starling-varnish-{}", std::process::id()));
        std::fs::create_dir_all(&work_dir)?;
        let vcl = work_dir.join("starling.vcl");
        std::fs::write(&vcl, vcl_text(backend_port))?;
        let child = Command::new("/usr/sbin/varnishd")
            .arg("-F")
            .args(["-a", &format!("127.0.0.1:{port}")])
            .arg("-f")
            .arg(&vcl)
            .arg("-n")
            .arg(work_dir.join("instance"))
            .args(["-s", "malloc,256m"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("failed to start varnishd")?;
        let varnish = Varnish {
            child,
            work_dir,
            port,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("varnishd did not listen on 127.0.0.1:{port} within 20 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(varnish)
    }
}

impl Drop for Varnish {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.work_dir);
    }
}

/// Returns the VCL for Varnish in front of Starling: the same TTL, and
/// hits served from Varnish's own storage.
fn vcl_text(backend_port: u16) -> String {
    format!(
        "vcl 4.1;\n\
         backend starling {{ .host = \"127.0.0.1\"; .port = \"{backend_port}\"; }}\n\
         sub vcl_backend_response {{\n  set beresp.ttl = {TTL_SECONDS}s;\n  set beresp.grace = 60s;\n}}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_output_is_parsed() {
        let output = "  Latency Distribution\n     50%  412.00us\n     75%    1.10ms\n     90%    2.00ms\n     99%    5.25ms\n  100 requests in 1.00s, 1.00MB read\nRequests/sec:  12345.67\nTransfer/sec:      1.00MB\n";
        let run = parse_wrk(output).expect("parsed");
        assert!((run.requests_per_second - 12345.67).abs() < 1e-6);
        assert!((run.p50_ms - 0.412).abs() < 1e-9);
        assert!((run.p99_ms - 5.25).abs() < 1e-9);
    }

    #[test]
    fn wrk_durations_convert_to_milliseconds() {
        assert_eq!(parse_duration_ms("2.00s"), Some(2000.0));
        assert_eq!(parse_duration_ms("1.5ms"), Some(1.5));
        assert_eq!(parse_duration_ms("abc"), None);
    }
}
