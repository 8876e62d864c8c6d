//! The cache tier against separate `starling` processes reading from a
//! fault-injecting upstream: coalescing, the hit ratio in /metrics, stale
//! data while the upstream is down, recovery, purge, and two replicas
//! sharing Redis.

#![allow(clippy::unwrap_used)]

#[path = "support/fault_upstream.rs"]
mod fault_upstream;
#[path = "support/process.rs"]
mod process;

use std::time::{Duration, Instant};

use fault_upstream::{FaultUpstream, Mode, fake_count};
use process::{Redis, Replica};

const SHOP: &str = "edge.myshopify.com";
const TOKEN: &str = "purge-token-for-tests-0123456789";

fn badges_path(ids: &str) -> String {
    format!("/v1/shops/{SHOP}/badges?ids={ids}")
}

/// Returns the count the fake upstream gives product `id` in generation
/// `generation`.
fn expected_count(id: &str, generation: u64) -> u64 {
    fake_count(id) + generation
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_misses_reach_upstream_once() {
    let upstream = FaultUpstream::start().await;
    upstream.set_mode(Mode::Slow);
    let replica = Replica::start(&upstream.url(), &["--cache-ttl", "60"], None).await;
    let url = replica.url(&badges_path("7000000000001,7000000000002"));

    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let client = client.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let response = client.get(&url).send().await.unwrap();
            let status = response.status().as_u16();
            let x_cache = response.headers()["x-cache"].to_str().unwrap().to_owned();
            (status, x_cache)
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }

    assert_eq!(
        upstream.requests_for(&format!("/v1/shops/{SHOP}/badges")),
        1
    );
    assert!(
        outcomes.iter().all(|(status, _)| *status == 200),
        "{outcomes:?}"
    );
    let misses = outcomes.iter().filter(|(_, x)| x == "miss").count();
    assert_eq!(misses, 1, "{outcomes:?}");
    let others = outcomes
        .iter()
        .filter(|(_, x)| x == "coalesced" || x == "hit")
        .count();
    assert_eq!(others, 199);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hit_ratio_matches_upstream_requests() {
    let upstream = FaultUpstream::start().await;
    let replica = Replica::start(&upstream.url(), &["--cache-ttl", "120"], None).await;
    let client = reqwest::Client::new();

    let paths = [
        badges_path("7000000000001"),
        badges_path("7000000000002,7000000000003"),
        format!("/v1/shops/{SHOP}/products/7000000000001/reviews"),
        format!("/v1/shops/{SHOP}/products/7000000000001/reviews?sort=highest"),
    ];
    let mut served = 0u64;
    for round in 0..5 {
        for path in &paths[..=round.min(paths.len() - 1)] {
            let response = client.get(replica.url(path)).send().await.unwrap();
            assert_eq!(response.status(), 200);
            served += 1;
        }
    }

    let upstream_requests = upstream.requests();
    let expected = (served - upstream_requests) as f64 / served as f64;
    let metrics = replica.metrics().await;
    let ratio = metric(&metrics, "starling_cache_hit_ratio");
    assert!(
        (ratio - expected).abs() < 1e-9,
        "/metrics says {ratio}, the upstream saw {upstream_requests} requests for {served} served"
    );
    assert_eq!(upstream_requests, paths.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_down_serves_stale_then_recovers() {
    let upstream = FaultUpstream::start().await;
    let timeout_ms = 600u64;
    let replica = Replica::start(
        &upstream.url(),
        &[
            "--cache-ttl",
            "1",
            "--stale-while-revalidate",
            "0",
            "--stale-if-error",
            "3600",
            "--upstream-timeout-ms",
            "600",
            "--upstream-connect-timeout-ms",
            "300",
        ],
        None,
    )
    .await;
    let client = reqwest::Client::new();
    let cached = replica.url(&badges_path("7000000000005"));
    let first = client.get(&cached).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let first_body = first.text().await.unwrap();

    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let limit = Duration::from_millis(timeout_ms + 1_000);
    for (mode, uncached_id, expected_status) in [
        (Mode::Garbage, "7000000000010", 502),
        (Mode::Close, "7000000000011", 502),
        (Mode::Hang, "7000000000012", 504),
        (Mode::ServerError, "7000000000013", 502),
    ] {
        upstream.set_mode(mode);

        let started = Instant::now();
        let stale = client.get(&cached).send().await.unwrap();
        assert!(
            started.elapsed() < limit,
            "{mode:?}: stale took {:?}",
            started.elapsed()
        );
        assert_eq!(stale.status(), 200, "{mode:?}");
        assert_eq!(stale.headers()["x-cache"], "stale", "{mode:?}");
        assert_eq!(stale.text().await.unwrap(), first_body, "{mode:?}");

        let started = Instant::now();
        let failed = client
            .get(replica.url(&badges_path(uncached_id)))
            .send()
            .await
            .unwrap();
        let elapsed = started.elapsed();
        let status = failed.status().as_u16();
        let body: serde_json::Value = failed.json().await.unwrap();
        assert!(elapsed < limit, "{mode:?}: error took {elapsed:?}");
        assert!(
            status == expected_status || (status == 502 && expected_status == 504),
            "{mode:?}: HTTP {status}, {body}"
        );
        assert!(body["error"]["code"].is_string(), "{mode:?}: {body}");
        assert!(body["error"]["message"].is_string(), "{mode:?}: {body}");
        assert!(
            !body.to_string().contains("127.0.0.1"),
            "{mode:?}: the error shows the origin's address: {body}"
        );
    }

    upstream.set_mode(Mode::Healthy);
    upstream.bump_generation();
    wait_for_count(
        &client,
        &cached,
        expected_count("7000000000005", 1),
        Duration::from_secs(2),
        "fresh data not served within one TTL plus one second",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_by_product_refetches_only_it() {
    let upstream = FaultUpstream::start().await;
    let replica = Replica::start(
        &upstream.url(),
        &["--cache-ttl", "120", "--purge-token", TOKEN],
        None,
    )
    .await;
    let client = reqwest::Client::new();
    let batch = replica.url(&badges_path("7000000000001,7000000000002,7000000000003"));
    let reviews = replica.url(&format!("/v1/shops/{SHOP}/products/7000000000001/reviews"));
    assert_eq!(client.get(&batch).send().await.unwrap().status(), 200);
    assert_eq!(client.get(&reviews).send().await.unwrap().status(), 200);
    assert_eq!(upstream.badge_queries().len(), 1);

    let purge = client
        .post(replica.url("/v1/admin/purge"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"shop": SHOP, "product_ids": ["7000000000002"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(purge.status(), 200);

    let again = client.get(&batch).send().await.unwrap();
    assert_eq!(again.headers()["x-cache"], "miss");
    assert_eq!(
        upstream.badge_queries(),
        [
            "ids=7000000000001,7000000000002,7000000000003",
            "ids=7000000000002"
        ]
    );
    let untouched = client.get(&reviews).send().await.unwrap();
    assert_eq!(untouched.headers()["x-cache"], "hit");

    let wrong = client
        .post(replica.url("/v1/admin/purge"))
        .bearer_auth("not-the-token-at-all")
        .json(&serde_json::json!({"shop": SHOP}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_endpoint_absent_without_token() {
    let upstream = FaultUpstream::start().await;
    let replica = Replica::start(&upstream.url(), &[], None).await;
    let response = reqwest::Client::new()
        .post(replica.url("/v1/admin/purge"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"shop": SHOP}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_entries_and_purges() {
    let redis = Redis::start();
    let upstream = FaultUpstream::start().await;
    let args = ["--cache-ttl", "120", "--purge-token", TOKEN];
    let first = Replica::start(&upstream.url(), &args, Some(&redis.url())).await;
    let second = Replica::start(&upstream.url(), &args, Some(&redis.url())).await;
    let client = reqwest::Client::new();
    let path = badges_path("7000000000007");

    let filled = client.get(first.url(&path)).send().await.unwrap();
    assert_eq!(filled.headers()["x-cache"], "miss");
    let filled_body = filled.text().await.unwrap();
    // The first replica copies its entry to Redis in the background.
    let mut shared = None;
    for _ in 0..40 {
        let response = client.get(second.url(&path)).send().await.unwrap();
        if response.headers()["x-cache"] == "hit" {
            shared = Some(response.text().await.unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        shared.as_deref(),
        Some(filled_body.as_str()),
        "no hit from Redis"
    );
    assert_eq!(upstream.requests(), 1);

    upstream.bump_generation();
    let purge = client
        .post(first.url("/v1/admin/purge"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"shop": SHOP}))
        .send()
        .await
        .unwrap();
    assert_eq!(purge.status(), 200);

    // The purge reaches the second replica over pub/sub.
    let fresh_count = expected_count("7000000000007", 1);
    wait_for_count(
        &client,
        &second.url(&path),
        fresh_count,
        Duration::from_secs(3),
        "the purge did not reach the second replica",
    )
    .await;
    let body: serde_json::Value = client
        .get(first.url(&path))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["badges"][0]["count"], fresh_count);
}

/// Polls `url` until its first badge has `expected` reviews, failing with
/// `failure` and the last body once `limit` has passed.
async fn wait_for_count(
    client: &reqwest::Client,
    url: &str,
    expected: u64,
    limit: Duration,
    failure: &str,
) {
    let deadline = Instant::now() + limit;
    loop {
        let response = client.get(url).send().await.unwrap();
        let body: serde_json::Value = response.json().await.unwrap();
        if body["badges"][0]["count"] == expected {
            return;
        }
        assert!(Instant::now() < deadline, "{failure}: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} missing from /metrics:\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_while_upstream_down() {
    let upstream = FaultUpstream::start().await;
    upstream.set_mode(Mode::ServerError);
    let replica = Replica::start(&upstream.url(), &[], None).await;
    let client = reqwest::Client::new();
    for _ in 0..6 {
        let failed = client
            .get(replica.url(&badges_path("7000000000001")))
            .send()
            .await
            .unwrap();
        assert_eq!(failed.status(), 502);
    }

    let ready = client.get(replica.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let metrics = replica.metrics().await;
    assert_eq!(
        metric(&metrics, "starling_upstream_circuit_state"),
        1.0,
        "{metrics}"
    );
    assert!(metric(&metrics, "starling_upstream_errors_total") >= 5.0);
    assert!(metrics.contains(
        "starling_http_requests_total{route=\"/v1/shops/{shop}/badges\",status=\"502\"} 6"
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_requests_in_flight() {
    let upstream = FaultUpstream::start().await;
    upstream.set_mode(Mode::Slow);
    let mut replica = Replica::start(&upstream.url(), &[], None).await;
    let url = replica.url(&badges_path("7000000000001"));
    let in_flight = tokio::spawn(async move { reqwest::get(url).await.map(|r| r.status()) });
    while upstream.requests() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    replica.terminate();
    let status = in_flight
        .await
        .unwrap()
        .expect("the request in flight completes");
    assert_eq!(status, 200);
    let exit = replica
        .wait_exit(Duration::from_secs(10))
        .expect("starling exits");
    assert!(exit.success(), "{exit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_purges_what_it_imported() {
    let replica = Replica::start_with(&["--cache-ttl", "600", "--purge-token", TOKEN], None).await;
    let client = reqwest::Client::new();
    let path = "/v1/shops/demo.myshopify.com/badges?ids=7000000000001,7000000000002";
    let before: serde_json::Value = client
        .get(replica.url(path))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cached = client.get(replica.url(path)).send().await.unwrap();
    assert_eq!(cached.headers()["x-cache"], "hit");

    let csv = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        csv.path(),
        "title,body,rating,review_date,reviewer_name,reviewer_email,product_id,product_handle,reply,picture_urls\n\
         Late review,Arrived after the import test started.,5,2025-06-01,Pat,pat@example.com,7000000000001,,,\n",
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_starling"))
        .args([
            "import",
            "--shop",
            "demo.myshopify.com",
            "--format",
            "judgeme",
        ])
        .arg("--data-dir")
        .arg(replica.data_dir())
        .args(["--purge-url", &replica.url(""), "--purge-token", TOKEN])
        .arg(csv.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("purged 1 products"), "{stdout}");

    let after = client.get(replica.url(path)).send().await.unwrap();
    assert_eq!(after.headers()["x-cache"], "miss");
    let after: serde_json::Value = after.json().await.unwrap();
    let count =
        |body: &serde_json::Value, index: usize| body["badges"][index]["count"].as_u64().unwrap();
    assert_eq!(count(&after, 0), count(&before, 0) + 1);
    assert_eq!(count(&after, 1), count(&before, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_outage_costs_misses_little() {
    let redis = Redis::start();
    let upstream = FaultUpstream::start().await;
    let replica = Replica::start(&upstream.url(), &[], Some(&redis.url())).await;
    let client = reqwest::Client::new();
    let warm = client
        .get(replica.url(&badges_path("7000000000001")))
        .send()
        .await
        .unwrap();
    assert_eq!(warm.status(), 200);

    drop(redis);
    for id in ["7000000000002", "7000000000003", "7000000000004"] {
        let started = Instant::now();
        let response = client
            .get(replica.url(&badges_path(id)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{id}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "a miss took {:?} with Redis down",
            started.elapsed()
        );
    }
}
