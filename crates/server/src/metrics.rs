//! Prometheus text exposition of the server's counters: requests by route
//! and status, cache outcomes, upstream calls and the circuit state.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::cache::CacheCounters;
use crate::upstream::{LATENCY_BUCKETS_MS, Upstream};

/// Requests served, by matched route pattern and status code.
#[derive(Debug, Default)]
pub struct RequestCounters {
    counts: Mutex<HashMap<String, HashMap<u16, u64>>>,
}

impl RequestCounters {
    /// Counts one request. `route` is the route pattern, such as
    /// `/v1/shops/{shop}/badges`, never the raw path, so the number of
    /// series stays bounded.
    pub fn record(&self, route: &str, status: u16) {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Looking up by &str first allocates only for a route's first request.
        match counts.get_mut(route) {
            Some(by_status) => *by_status.entry(status).or_insert(0) += 1,
            None => {
                counts.insert(route.to_owned(), HashMap::from([(status, 1)]));
            }
        }
    }

    fn snapshot(&self) -> BTreeMap<(String, u16), u64> {
        let counts = self
            .counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        counts
            .iter()
            .flat_map(|(route, by_status)| {
                by_status
                    .iter()
                    .map(|(status, count)| ((route.clone(), *status), *count))
            })
            .collect()
    }
}

/// What the cache reports besides its counters.
#[derive(Debug, Clone, Copy)]
pub struct CacheGauges {
    pub bytes: u64,
    pub entries: u64,
    pub max_bytes: u64,
}

/// Renders every metric in the Prometheus text format, version 0.0.4.
pub fn render(
    requests: &RequestCounters,
    cache: &CacheCounters,
    gauges: CacheGauges,
    upstream: Option<&Upstream>,
) -> String {
    let mut out = String::with_capacity(4096);

    header(
        &mut out,
        "starling_http_requests_total",
        "counter",
        "HTTP requests served, by route pattern and status.",
    );
    for ((route, status), count) in requests.snapshot() {
        let _ = writeln!(
            out,
            "starling_http_requests_total{{route=\"{}\",status=\"{status}\"}} {count}",
            escape_label(&route)
        );
    }

    let load = |counter: &std::sync::atomic::AtomicU64| counter.load(Ordering::Relaxed);
    header(
        &mut out,
        "starling_cache_requests_total",
        "counter",
        "Cache lookups by outcome; hit and stale count as hits in the hit ratio.",
    );
    for (outcome, value) in [
        ("hit", load(&cache.hits)),
        ("miss", load(&cache.misses)),
        (
            "stale_while_revalidate",
            load(&cache.stale_while_revalidate),
        ),
        ("stale_if_error", load(&cache.stale_if_error)),
        ("coalesced", load(&cache.coalesced)),
    ] {
        let _ = writeln!(
            out,
            "starling_cache_requests_total{{outcome=\"{outcome}\"}} {value}"
        );
    }
    let hits =
        load(&cache.hits) + load(&cache.stale_while_revalidate) + load(&cache.stale_if_error);
    let lookups = hits + load(&cache.misses) + load(&cache.coalesced);
    header(
        &mut out,
        "starling_cache_hit_ratio",
        "gauge",
        "Share of lookups served without waiting for the source: (hit + stale) / all lookups.",
    );
    let ratio = if lookups == 0 {
        0.0
    } else {
        hits as f64 / lookups as f64
    };
    let _ = writeln!(out, "starling_cache_hit_ratio {ratio}");
    header(
        &mut out,
        "starling_cache_source_requests_total",
        "counter",
        "Requests the cache sent to its source.",
    );
    let _ = writeln!(
        out,
        "starling_cache_source_requests_total {}",
        load(&cache.misses)
    );
    header(
        &mut out,
        "starling_cache_source_errors_total",
        "counter",
        "Source requests that failed.",
    );
    let _ = writeln!(
        out,
        "starling_cache_source_errors_total {}",
        load(&cache.source_errors)
    );
    header(
        &mut out,
        "starling_cache_evictions_total",
        "counter",
        "Entries evicted to stay within the byte bound.",
    );
    let _ = writeln!(
        out,
        "starling_cache_evictions_total {}",
        load(&cache.evictions)
    );
    header(
        &mut out,
        "starling_cache_bytes",
        "gauge",
        "Bytes held by the cache: bodies, encodings, keys and tags.",
    );
    let _ = writeln!(out, "starling_cache_bytes {}", gauges.bytes);
    header(
        &mut out,
        "starling_cache_max_bytes",
        "gauge",
        "Configured byte bound of the cache.",
    );
    let _ = writeln!(out, "starling_cache_max_bytes {}", gauges.max_bytes);
    header(
        &mut out,
        "starling_cache_entries",
        "gauge",
        "Entries held by the cache.",
    );
    let _ = writeln!(out, "starling_cache_entries {}", gauges.entries);

    if let Some(upstream) = upstream {
        let counters = upstream.counters();
        header(
            &mut out,
            "starling_upstream_requests_total",
            "counter",
            "Attempts sent to the upstream, retries included.",
        );
        let _ = writeln!(
            out,
            "starling_upstream_requests_total {}",
            load(&counters.requests)
        );
        header(
            &mut out,
            "starling_upstream_errors_total",
            "counter",
            "Upstream attempts that failed.",
        );
        let _ = writeln!(
            out,
            "starling_upstream_errors_total {}",
            load(&counters.errors)
        );
        header(
            &mut out,
            "starling_upstream_rejected_total",
            "counter",
            "Calls rejected while the circuit was open.",
        );
        let _ = writeln!(
            out,
            "starling_upstream_rejected_total {}",
            load(&counters.rejected)
        );
        header(
            &mut out,
            "starling_upstream_latency_seconds",
            "histogram",
            "Upstream attempt latency.",
        );
        let mut cumulative = 0;
        for (index, bound) in LATENCY_BUCKETS_MS.iter().enumerate() {
            cumulative += load(&counters.latency_buckets[index]);
            let _ = writeln!(
                out,
                "starling_upstream_latency_seconds_bucket{{le=\"{}\"}} {cumulative}",
                *bound as f64 / 1000.0
            );
        }
        cumulative += load(&counters.latency_buckets[LATENCY_BUCKETS_MS.len()]);
        let _ = writeln!(
            out,
            "starling_upstream_latency_seconds_bucket{{le=\"+Inf\"}} {cumulative}"
        );
        let _ = writeln!(
            out,
            "starling_upstream_latency_seconds_sum {}",
            load(&counters.latency_sum_us) as f64 / 1e6
        );
        let _ = writeln!(out, "starling_upstream_latency_seconds_count {cumulative}");
        header(
            &mut out,
            "starling_upstream_circuit_state",
            "gauge",
            "Circuit breaker state: 0 closed, 1 open, 2 half-open.",
        );
        let _ = writeln!(
            out,
            "starling_upstream_circuit_state {}",
            upstream.circuit_state().as_gauge()
        );
    }
    out
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `GET /metrics`.
pub async fn handler(State(state): State<AppState>) -> Response {
    let cache = state.responses.cache();
    let gauges = CacheGauges {
        bytes: cache.bytes_held(),
        entries: cache.entry_count(),
        max_bytes: cache.policy().max_bytes,
    };
    let body = render(
        &state.requests,
        cache.counters(),
        gauges,
        state.upstream.as_deref(),
    );
    (
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// Middleware that counts each request under its route pattern.
pub async fn count_requests(
    State(requests): State<Arc<RequestCounters>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    let route = route.as_ref().map_or("(unmatched)", MatchedPath::as_str);
    requests.record(route, response.status().as_u16());
    response
}
