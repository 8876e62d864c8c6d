//! HTTP client for an origin Starling that speaks the same v1 API: connect
//! and total timeouts, one retry with jittered backoff, and a circuit
//! breaker that stops calling a failing origin for a cool-down.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use starling_model::{Badge, BadgesResponse, ErrorBody, ProductId, ReviewsQuery, ReviewsResponse};
use thiserror::Error;

use crate::store::{Source, SourceError};

/// Consecutive failures that open the circuit.
const FAILURES_TO_OPEN: u32 = 5;
/// The largest response body accepted from the upstream; a badge batch of
/// the maximum 250 products is about 20 KB and a page of 50 reviews rarely
/// passes 100 KB, so anything near this is a broken origin.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Backoff before the one retry: a base plus up to as much again at random,
/// so that replicas do not retry in step.
const RETRY_BACKOFF: Duration = Duration::from_millis(100);

/// Upstream settings.
#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    /// Origin base address, such as `http://127.0.0.1:9000`, without a
    /// trailing slash.
    pub base_url: String,
    /// Time allowed to open a TCP connection.
    pub connect_timeout: Duration,
    /// Time allowed for one attempt, from sending to the last body byte.
    pub request_timeout: Duration,
    /// How long an open circuit rejects calls before one trial request.
    pub cool_down: Duration,
}

/// An upstream call failure.
#[derive(Debug, Error)]
pub enum UpstreamError {
    /// The origin did not respond within the timeout.
    #[error("upstream {url} timed out after {timeout_ms} ms")]
    Timeout { url: String, timeout_ms: u128 },
    /// The connection could not be opened or broke before a full response.
    #[error("upstream {url} connection failed: {reason}")]
    Connect { url: String, reason: String },
    /// The origin responded with a status that is not a success.
    #[error("upstream {url} returned HTTP {status}")]
    Status {
        url: String,
        status: u16,
        body: Bytes,
    },
    /// The body was larger than the limit.
    #[error("upstream {url} sent a body over {limit} bytes")]
    TooLarge { url: String, limit: usize },
    /// The circuit is open after repeated failures.
    #[error(
        "upstream circuit is open after {failures} consecutive failures; next trial in {retry_in_ms} ms"
    )]
    CircuitOpen { failures: u32, retry_in_ms: u128 },
}

impl UpstreamError {
    /// Whether a second attempt may succeed: connection failures and the
    /// gateway statuses 502, 503 and 504. Timeouts are not retried, because
    /// a retry would double the time a client waits.
    fn is_retryable(&self) -> bool {
        match self {
            UpstreamError::Connect { .. } => true,
            UpstreamError::Status { status, .. } => matches!(status, 502..=504),
            _ => false,
        }
    }

    /// Whether the failure counts against the circuit: the origin is down,
    /// slow or broken, as opposed to returning a client error such as 404.
    fn counts_as_failure(&self) -> bool {
        match self {
            UpstreamError::Status { status, .. } => *status >= 500,
            UpstreamError::CircuitOpen { .. } => false,
            _ => true,
        }
    }
}

/// State of the circuit breaker, as `/metrics` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitState {
    /// Calls go through.
    Closed,
    /// Calls are rejected until the cool-down ends.
    Open,
    /// One trial call is out; others are rejected until it returns.
    HalfOpen,
}

impl CircuitState {
    /// 0 closed, 1 open, 2 half-open.
    pub fn as_gauge(self) -> u8 {
        match self {
            CircuitState::Closed => 0,
            CircuitState::Open => 1,
            CircuitState::HalfOpen => 2,
        }
    }
}

#[derive(Debug)]
struct Breaker {
    state: CircuitState,
    consecutive_failures: u32,
    opened_at: Option<Instant>,
}

/// Counters and a latency histogram of upstream calls.
#[derive(Debug, Default)]
pub struct UpstreamCounters {
    /// Attempts sent, retries included.
    pub requests: AtomicU64,
    /// Attempts that failed.
    pub errors: AtomicU64,
    /// Calls rejected by the open circuit.
    pub rejected: AtomicU64,
    /// Attempt latency: cumulative counts per bucket of
    /// [`LATENCY_BUCKETS_MS`], then the count over the last bucket.
    pub latency_buckets: [AtomicU64; LATENCY_BUCKETS_MS.len() + 1],
    /// Sum of attempt latencies in microseconds.
    pub latency_sum_us: AtomicU64,
}

/// Upper bounds of the latency histogram buckets, in milliseconds.
pub const LATENCY_BUCKETS_MS: [u64; 10] = [1, 2, 5, 10, 25, 50, 100, 250, 1000, 5000];

impl UpstreamCounters {
    fn observe(&self, elapsed: Duration) {
        let ms = elapsed.as_millis() as u64;
        let bucket = LATENCY_BUCKETS_MS
            .iter()
            .position(|bound| ms <= *bound)
            .unwrap_or(LATENCY_BUCKETS_MS.len());
        self.latency_buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }
}

/// The upstream client.
#[derive(Debug)]
pub struct Upstream {
    client: reqwest::Client,
    config: UpstreamConfig,
    breaker: Mutex<Breaker>,
    counters: UpstreamCounters,
}

impl Upstream {
    /// Builds the client; fails only when the HTTP client cannot be set up.
    pub fn new(config: UpstreamConfig) -> Result<Upstream, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .build()?;
        Ok(Upstream {
            client,
            config,
            breaker: Mutex::new(Breaker {
                state: CircuitState::Closed,
                consecutive_failures: 0,
                opened_at: None,
            }),
            counters: UpstreamCounters::default(),
        })
    }

    /// Counters for `/metrics`.
    pub fn counters(&self) -> &UpstreamCounters {
        &self.counters
    }

    /// Returns the circuit state now.
    pub fn circuit_state(&self) -> CircuitState {
        self.lock_breaker().state
    }

    /// GETs `path_and_query` (starting with `/`) from the origin and returns
    /// the body of a 2xx response.
    pub async fn get(&self, path_and_query: &str) -> Result<Bytes, UpstreamError> {
        self.admit()?;
        let url = format!("{}{}", self.config.base_url, path_and_query);

        let mut result = self.attempt(&url).await;
        if let Err(error) = &result
            && error.is_retryable()
        {
            tracing::warn!(%url, %error, "upstream request failed; retrying once");
            let jitter = RETRY_BACKOFF.mul_f64(fastrand::f64());
            tokio::time::sleep(RETRY_BACKOFF + jitter).await;
            result = self.attempt(&url).await;
        }

        self.record(&result);
        result
    }

    async fn attempt(&self, url: &str) -> Result<Bytes, UpstreamError> {
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let result = self.send(url).await;
        self.counters.observe(started.elapsed());
        if matches!(&result, Err(error) if error.counts_as_failure()) {
            self.counters.errors.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    async fn send(&self, url: &str) -> Result<Bytes, UpstreamError> {
        let response = self
            .client
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|error| self.classify(url, &error))?;
        let status = response.status();
        let mut response = response;
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| self.classify(url, &error))?
        {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(UpstreamError::TooLarge {
                    url: url.to_owned(),
                    limit: MAX_BODY_BYTES,
                });
            }
            body.extend_from_slice(&chunk);
        }
        let body = Bytes::from(body);
        if !status.is_success() {
            return Err(UpstreamError::Status {
                url: url.to_owned(),
                status: status.as_u16(),
                body,
            });
        }
        Ok(body)
    }

    fn classify(&self, url: &str, error: &reqwest::Error) -> UpstreamError {
        if error.is_timeout() {
            UpstreamError::Timeout {
                url: url.to_owned(),
                timeout_ms: self.config.request_timeout.as_millis(),
            }
        } else {
            let mut reason = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                reason.push_str(": ");
                reason.push_str(&cause.to_string());
                source = cause.source();
            }
            UpstreamError::Connect {
                url: url.to_owned(),
                reason,
            }
        }
    }

    fn lock_breaker(&self) -> std::sync::MutexGuard<'_, Breaker> {
        self.breaker
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Lets a call through unless the circuit is open; after the cool-down
    /// one trial call goes through in the half-open state.
    fn admit(&self) -> Result<(), UpstreamError> {
        let mut breaker = self.lock_breaker();
        match breaker.state {
            CircuitState::Closed => Ok(()),
            CircuitState::Open => {
                let elapsed = breaker.opened_at.map_or(Duration::MAX, |at| at.elapsed());
                if elapsed >= self.config.cool_down {
                    breaker.state = CircuitState::HalfOpen;
                    tracing::info!("upstream circuit half-open; sending one trial request");
                    Ok(())
                } else {
                    self.counters.rejected.fetch_add(1, Ordering::Relaxed);
                    Err(UpstreamError::CircuitOpen {
                        failures: breaker.consecutive_failures,
                        retry_in_ms: (self.config.cool_down - elapsed).as_millis(),
                    })
                }
            }
            CircuitState::HalfOpen => {
                self.counters.rejected.fetch_add(1, Ordering::Relaxed);
                Err(UpstreamError::CircuitOpen {
                    failures: breaker.consecutive_failures,
                    retry_in_ms: 0,
                })
            }
        }
    }

    fn record(&self, result: &Result<Bytes, UpstreamError>) {
        let mut breaker = self.lock_breaker();
        let failed = matches!(result, Err(error) if error.counts_as_failure());
        if !failed {
            if breaker.state != CircuitState::Closed {
                tracing::info!("upstream recovered; circuit closed");
            }
            breaker.state = CircuitState::Closed;
            breaker.consecutive_failures = 0;
            breaker.opened_at = None;
            return;
        }
        breaker.consecutive_failures += 1;
        let trip = breaker.state == CircuitState::HalfOpen
            || breaker.consecutive_failures >= FAILURES_TO_OPEN;
        if trip && breaker.state != CircuitState::Open {
            tracing::warn!(
                failures = breaker.consecutive_failures,
                cool_down_ms = self.config.cool_down.as_millis() as u64,
                "upstream circuit opened"
            );
            breaker.state = CircuitState::Open;
            breaker.opened_at = Some(Instant::now());
        }
    }
}

/// A [`Source`] that reads the v1 API of an origin Starling through
/// [`Upstream`]. Bodies are parsed into the API types, so an origin that
/// sends something else is an error and never reaches the cache.
#[derive(Debug, Clone)]
pub struct UpstreamSource {
    upstream: Arc<Upstream>,
}

impl UpstreamSource {
    /// Wraps a client.
    pub fn new(upstream: Arc<Upstream>) -> UpstreamSource {
        UpstreamSource { upstream }
    }

    /// GETs and parses one API response. The detailed error, with the
    /// origin's address, goes to the log; the returned error names no
    /// address, because its message reaches storefront visitors.
    async fn fetch<T: DeserializeOwned>(
        &self,
        shop: &str,
        path_and_query: &str,
    ) -> Result<T, SourceError> {
        let body = match self.upstream.get(path_and_query).await {
            Ok(body) => body,
            Err(UpstreamError::Status {
                status: 404, body, ..
            }) if is_shop_not_found(&body) => {
                return Err(SourceError::ShopNotFound(shop.to_owned()));
            }
            Err(error) => {
                tracing::warn!(%error, shop, "upstream request failed");
                return Err(match error {
                    UpstreamError::Timeout { timeout_ms, .. } => SourceError::Timeout(format!(
                        "the upstream origin did not respond within {timeout_ms} ms"
                    )),
                    UpstreamError::Connect { .. } => SourceError::BadGateway(
                        "the upstream origin could not be reached".to_owned(),
                    ),
                    UpstreamError::Status { status, .. } => SourceError::BadGateway(format!(
                        "the upstream origin returned HTTP {status}"
                    )),
                    UpstreamError::TooLarge { limit, .. } => SourceError::BadGateway(format!(
                        "the upstream origin sent a response over {limit} bytes"
                    )),
                    UpstreamError::CircuitOpen { retry_in_ms, .. } => {
                        SourceError::BadGateway(format!(
                            "the upstream origin is failing; requests to it resume in \
                             {retry_in_ms} ms"
                        ))
                    }
                });
            }
        };
        serde_json::from_slice(&body).map_err(|error| {
            tracing::warn!(
                %error,
                url = %format!("{}{path_and_query}", self.upstream.config.base_url),
                "upstream sent a body that is not the expected JSON"
            );
            SourceError::BadGateway(
                "the upstream origin sent a body that is not the expected JSON".to_owned(),
            )
        })
    }
}

fn is_shop_not_found(body: &[u8]) -> bool {
    serde_json::from_slice::<ErrorBody>(body)
        .is_ok_and(|error| error.error.code == "shop_not_found")
}

/// Percent-encodes everything in a path segment but letters, digits, `.`,
/// `-` and `_`.
fn path_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[async_trait]
impl Source for UpstreamSource {
    async fn shop_exists(&self, shop: &str) -> Result<bool, SourceError> {
        let path = format!("/v1/shops/{}/badges?ids=1", path_segment(shop));
        match self.fetch::<BadgesResponse>(shop, &path).await {
            Ok(_) => Ok(true),
            Err(SourceError::ShopNotFound(_)) => Ok(false),
            Err(error) => Err(error),
        }
    }

    async fn badges(&self, shop: &str, ids: &[ProductId]) -> Result<Vec<Badge>, SourceError> {
        let joined: Vec<&str> = ids.iter().map(ProductId::as_str).collect();
        let path = format!(
            "/v1/shops/{}/badges?ids={}",
            path_segment(shop),
            joined.join(",")
        );
        let response: BadgesResponse = self.fetch(shop, &path).await?;
        Ok(response.badges)
    }

    async fn reviews(
        &self,
        shop: &str,
        product: &ProductId,
        query: &ReviewsQuery,
    ) -> Result<ReviewsResponse, SourceError> {
        let mut path = format!(
            "/v1/shops/{}/products/{}/reviews?page={}&per_page={}&sort={}",
            path_segment(shop),
            product.as_str(),
            query.page,
            query.per_page,
            query.sort.as_str()
        );
        if let Some(rating) = query.rating {
            path.push_str(&format!("&rating={rating}"));
        }
        self.fetch(shop, &path).await
    }

    /// Always ready: while the origin is down the server serves stale
    /// entries, which is what it is for; `/metrics` shows the circuit.
    async fn check(&self) -> Result<(), SourceError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A loopback address on which nothing listens: a port that was free a
    /// moment ago, so connections are refused at once.
    fn refused_url() -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("address").port();
        drop(listener);
        format!("http://127.0.0.1:{port}")
    }

    fn upstream(cool_down_ms: u64) -> Upstream {
        Upstream::new(UpstreamConfig {
            base_url: refused_url(),
            connect_timeout: Duration::from_millis(200),
            request_timeout: Duration::from_millis(500),
            cool_down: Duration::from_millis(cool_down_ms),
        })
        .expect("client builds")
    }

    #[tokio::test]
    async fn connection_errors_are_retried_once() {
        let upstream = upstream(60_000);
        let error = upstream.get("/v1/x").await.expect_err("nothing listens");
        assert!(matches!(error, UpstreamError::Connect { .. }), "{error}");
        assert_eq!(upstream.counters().requests.load(Ordering::Relaxed), 2);
        assert_eq!(upstream.counters().errors.load(Ordering::Relaxed), 2);
    }

    #[tokio::test]
    async fn circuit_opens_after_repeated_failures() {
        let upstream = upstream(60_000);
        for _ in 0..FAILURES_TO_OPEN {
            assert!(upstream.get("/v1/x").await.is_err());
        }
        assert_eq!(upstream.circuit_state(), CircuitState::Open);

        let sent = upstream.counters().requests.load(Ordering::Relaxed);
        let error = upstream.get("/v1/x").await.expect_err("circuit open");
        assert!(
            matches!(error, UpstreamError::CircuitOpen { .. }),
            "{error}"
        );
        assert_eq!(upstream.counters().requests.load(Ordering::Relaxed), sent);
        assert_eq!(upstream.counters().rejected.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn failed_trial_after_cool_down_reopens() {
        let upstream = upstream(50);
        for _ in 0..FAILURES_TO_OPEN {
            assert!(upstream.get("/v1/x").await.is_err());
        }
        tokio::time::sleep(Duration::from_millis(80)).await;

        let sent = upstream.counters().requests.load(Ordering::Relaxed);
        let error = upstream.get("/v1/x").await.expect_err("trial fails");
        assert!(matches!(error, UpstreamError::Connect { .. }), "{error}");
        assert!(upstream.counters().requests.load(Ordering::Relaxed) > sent);
        assert_eq!(upstream.circuit_state(), CircuitState::Open);
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(path_segment("demo.myshopify.com"), "demo.myshopify.com");
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
    }
}
