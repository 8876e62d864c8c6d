//! The response cache in front of a source: fresh TTL, stale-while-revalidate,
//! stale-if-error, request coalescing, a byte bound with TinyLFU eviction,
//! and purge by surrogate key.
//!
//! Entries hold the JSON body together with its brotli and gzip encodings and
//! a strong ETag, all computed once when the entry is stored, so a hit costs
//! no compression and every replica serves the same bytes for the same data.
//! This module knows nothing about HTTP routes; callers build the keys and
//! the surrogate keys.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::HeaderValue;
use bytes::Bytes;
use futures::future::{BoxFuture, FutureExt, Shared};
use moka::notification::RemovalCause;

use crate::http::{Encoding, compress, etag_of, representation_etag};

pub mod shared;

/// Bodies shorter than this are stored and sent uncompressed, because
/// compression would save next to nothing on them.
pub const MIN_COMPRESSED_LEN: usize = 256;

/// How long entries stay fresh and how long they may be served stale.
#[derive(Debug, Clone, Copy)]
pub struct CachePolicy {
    /// Age below which an entry is served without asking the source.
    pub ttl: Duration,
    /// Time after `ttl` during which a stale entry is served at once while
    /// one background request refreshes it.
    pub stale_while_revalidate: Duration,
    /// Time after `ttl` during which a stale entry is served when the source
    /// fails or times out.
    pub stale_if_error: Duration,
    /// Upper bound on the bytes held: bodies, encodings, key and tags.
    pub max_bytes: u64,
}

impl CachePolicy {
    /// Age past which an entry is of no use at all.
    pub fn max_age(&self) -> Duration {
        self.ttl + self.stale_while_revalidate.max(self.stale_if_error)
    }
}

/// How a response was served; sent to clients as `X-Cache`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    /// Fresh entry, no source request.
    Hit,
    /// This request asked the source.
    Miss,
    /// A stale entry, while revalidating or because the source failed.
    Stale,
    /// Waited for another request's source call on the same key.
    Coalesced,
}

impl CacheStatus {
    /// The `X-Cache` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Hit => "hit",
            CacheStatus::Miss => "miss",
            CacheStatus::Stale => "stale",
            CacheStatus::Coalesced => "coalesced",
        }
    }
}

/// A cached response body with its encodings.
#[derive(Debug)]
pub struct Entry {
    /// The identity-encoded body.
    pub body: Bytes,
    /// The body compressed with brotli; `None` when compression failed.
    pub brotli: Option<Bytes>,
    /// The body compressed with gzip; `None` when compression failed.
    pub gzip: Option<Bytes>,
    /// Strong ETag, quoted, derived from the body alone.
    pub etag: String,
    /// Surrogate keys that purge this entry, such as `product-SHOP-ID`.
    pub tags: Vec<String>,
    /// Response header values computed once, so that a hit allocates
    /// nothing for them.
    pub headers: EntryHeaders,
    /// When the source produced the body, in milliseconds since the Unix
    /// epoch; wall-clock time so that replicas sharing entries agree on age.
    pub stored_at_ms: u64,
}

/// Header values of an entry: the ETag of each encoding (`"HASH"`,
/// `"HASH-br"`, `"HASH-gz"`), and the surrogate keys space-separated for
/// `Surrogate-Key` and comma-separated for `Cache-Tag`. A value that is not
/// a valid header (a tag with a control character) is `None`.
#[derive(Debug, Clone)]
pub struct EntryHeaders {
    pub etag: Option<HeaderValue>,
    pub etag_brotli: Option<HeaderValue>,
    pub etag_gzip: Option<HeaderValue>,
    pub surrogate_key: Option<HeaderValue>,
    pub cache_tag: Option<HeaderValue>,
}

impl EntryHeaders {
    fn new(etag: &str, tags: &[String]) -> EntryHeaders {
        let hash = etag.trim_matches('"');
        let value = |text: String| HeaderValue::try_from(text).ok();
        EntryHeaders {
            etag: value(representation_etag(hash, Encoding::Identity)),
            etag_brotli: value(representation_etag(hash, Encoding::Brotli)),
            etag_gzip: value(representation_etag(hash, Encoding::Gzip)),
            surrogate_key: value(tags.join(" ")),
            cache_tag: value(tags.join(",")),
        }
    }
}

impl Entry {
    /// Builds an entry, compressing the body both ways unless it is shorter
    /// than [`MIN_COMPRESSED_LEN`].
    pub fn new(body: Bytes, tags: Vec<String>) -> Entry {
        let compress = body.len() >= MIN_COMPRESSED_LEN;
        let brotli = compress.then(|| encoded(Encoding::Brotli, &body)).flatten();
        let gzip = compress.then(|| encoded(Encoding::Gzip, &body)).flatten();
        let etag = etag_of(&body);
        let headers = EntryHeaders::new(&etag, &tags);
        Entry {
            body,
            brotli,
            gzip,
            etag,
            tags,
            headers,
            stored_at_ms: now_ms(),
        }
    }

    /// Bytes this entry accounts for in the cache bound.
    pub fn weight(&self, key: &str) -> u32 {
        let tags: usize = self.tags.iter().map(String::len).sum();
        let total = key.len()
            + self.body.len()
            + self.brotli.as_ref().map_or(0, Bytes::len)
            + self.gzip.as_ref().map_or(0, Bytes::len)
            + self.etag.len()
            + tags
            + size_of::<Entry>();
        u32::try_from(total).unwrap_or(u32::MAX)
    }

    fn age(&self, now_ms: u64) -> Duration {
        Duration::from_millis(now_ms.saturating_sub(self.stored_at_ms))
    }
}

fn encoded(encoding: Encoding, body: &[u8]) -> Option<Bytes> {
    match compress(encoding, body) {
        Ok(compressed) => compressed.map(Bytes::from),
        Err(error) => {
            tracing::error!(%error, ?encoding, "compressing a cache entry failed; it will be sent uncompressed");
            None
        }
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Counters of cache outcomes, read by `/metrics`.
#[derive(Debug, Default)]
pub struct CacheCounters {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub stale_while_revalidate: AtomicU64,
    pub stale_if_error: AtomicU64,
    pub coalesced: AtomicU64,
    pub evictions: AtomicU64,
    pub source_errors: AtomicU64,
}

/// A source error that tells an outage (the source failed) from a report
/// that something does not exist, so only outages count as source errors
/// in the metrics.
pub trait SourceFailure {
    /// Whether the source failed, as opposed to reporting a missing item.
    fn is_outage(&self) -> bool;
}

/// Why the cache could not serve a key.
#[derive(Debug)]
pub enum CacheError<E> {
    /// The source failed and no usable stale entry exists. Shared because
    /// one failure reaches every coalesced waiter.
    Source(Arc<E>),
    /// The source request's task ended without a result, which happens when
    /// the runtime shuts down.
    Aborted,
}

impl<E> Clone for CacheError<E> {
    fn clone(&self) -> Self {
        match self {
            CacheError::Source(error) => CacheError::Source(Arc::clone(error)),
            CacheError::Aborted => CacheError::Aborted,
        }
    }
}

type Flight<E> = Shared<BoxFuture<'static, Result<Arc<Entry>, CacheError<E>>>>;

/// The cache. `E` is the source's error type.
pub struct Cache<E> {
    policy: CachePolicy,
    entries: moka::sync::Cache<String, Arc<Entry>>,
    in_flight: Mutex<HashMap<String, Flight<E>>>,
    generation: AtomicU64,
    counters: Arc<CacheCounters>,
    on_store: Option<StoreHook>,
}

/// Called with each entry that a source request stored, such as to copy
/// it to a shared second level.
pub type StoreHook = Arc<dyn Fn(&str, &Arc<Entry>) + Send + Sync>;

impl<E> std::fmt::Debug for Cache<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("policy", &self.policy)
            .field("entries", &self.entries.entry_count())
            .finish()
    }
}

impl<E: SourceFailure + Send + Sync + 'static> Cache<E> {
    /// Creates an empty cache bounded by `policy.max_bytes`.
    pub fn new(policy: CachePolicy) -> Cache<E> {
        let counters = Arc::new(CacheCounters::default());
        let eviction_counters = Arc::clone(&counters);
        let entries = moka::sync::Cache::builder()
            .max_capacity(policy.max_bytes)
            .weigher(|key: &String, entry: &Arc<Entry>| entry.weight(key))
            .time_to_live(policy.max_age())
            .support_invalidation_closures()
            .eviction_listener(move |_key, _entry, cause| {
                if cause == RemovalCause::Size {
                    eviction_counters.evictions.fetch_add(1, Ordering::Relaxed);
                }
            })
            .build();
        Cache {
            policy,
            entries,
            in_flight: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            counters,
            on_store: None,
        }
    }

    /// Sets the hook called after a source request stores an entry.
    pub fn with_store_hook(mut self, hook: StoreHook) -> Cache<E> {
        self.on_store = Some(hook);
        self
    }

    /// The policy in force.
    pub fn policy(&self) -> CachePolicy {
        self.policy
    }

    /// Outcome counters.
    pub fn counters(&self) -> &CacheCounters {
        &self.counters
    }

    /// Bytes held now, by the weigher's count.
    pub fn bytes_held(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.weighted_size()
    }

    /// Number of entries held now.
    pub fn entry_count(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.entry_count()
    }

    /// Returns the entry for `key` if it is younger than the TTL, without
    /// counting an outcome.
    pub fn fresh(&self, key: &str) -> Option<Arc<Entry>> {
        let entry = self.entries.get(key)?;
        (entry.age(now_ms()) < self.policy.ttl).then_some(entry)
    }

    /// Returns the entry for `key` if it is still usable (fresh or stale),
    /// without asking the source and without counting an outcome.
    pub fn peek(&self, key: &str) -> Option<Arc<Entry>> {
        let entry = self.entries.get(key)?;
        (entry.age(now_ms()) < self.policy.max_age()).then_some(entry)
    }

    /// Stores an entry that was produced elsewhere (a shared second level),
    /// keeping its original `stored_at_ms`.
    pub fn insert(&self, key: String, entry: Arc<Entry>) {
        self.entries.insert(key, entry);
    }

    /// Serves `key`, calling `fetch` only when needed. `fetch` returns the
    /// body and its surrogate keys. An error from `fetch` never replaces a
    /// stored entry.
    pub async fn get<F, Fut>(
        self: &Arc<Self>,
        key: &str,
        fetch: F,
    ) -> Result<(Arc<Entry>, CacheStatus), CacheError<E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(Bytes, Vec<String>), E>> + Send + 'static,
    {
        let now = now_ms();
        let stored = self.entries.get(key);
        if let Some(entry) = &stored {
            let age = entry.age(now);
            if age < self.policy.ttl {
                self.counters.hits.fetch_add(1, Ordering::Relaxed);
                return Ok((Arc::clone(entry), CacheStatus::Hit));
            }
            if age < self.policy.ttl + self.policy.stale_while_revalidate {
                self.counters
                    .stale_while_revalidate
                    .fetch_add(1, Ordering::Relaxed);
                let (flight, _) = self.flight(key, fetch);
                tokio::spawn(flight);
                return Ok((Arc::clone(entry), CacheStatus::Stale));
            }
        }

        let (flight, leader) = self.flight(key, fetch);
        let result = flight.await;
        let outcome = match result {
            Ok(entry) => Ok((
                entry,
                if leader {
                    CacheStatus::Miss
                } else {
                    CacheStatus::Coalesced
                },
            )),
            Err(error) => {
                let usable = stored.filter(|entry| {
                    entry.age(now_ms()) < self.policy.ttl + self.policy.stale_if_error
                });
                match usable {
                    Some(entry) => Ok((entry, CacheStatus::Stale)),
                    None => Err(error),
                }
            }
        };

        // One outcome per lookup, so that the counters add up to lookups.
        let counter = match &outcome {
            Ok((_, CacheStatus::Stale)) => &self.counters.stale_if_error,
            _ if leader => &self.counters.misses,
            _ => &self.counters.coalesced,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        outcome
    }

    /// Joins the source request in flight for `key`, or starts one. The
    /// request runs as its own task, so it completes and fills the cache
    /// even when every client that waited for it has gone. Returns whether
    /// this call started it.
    fn flight<F, Fut>(self: &Arc<Self>, key: &str, fetch: F) -> (Flight<E>, bool)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(Bytes, Vec<String>), E>> + Send + 'static,
    {
        let mut in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(flight) = in_flight.get(key) {
            return (flight.clone(), false);
        }

        let cache = Arc::clone(self);
        let owned_key = key.to_owned();
        let generation = self.generation.load(Ordering::Acquire);
        let request = fetch();
        let task = tokio::spawn(async move {
            let result = match request.await {
                Ok((body, tags)) => {
                    let entry = Arc::new(Entry::new(body, tags));
                    // A purge that happened while the request was out may
                    // have dropped what this body was built from.
                    if cache.generation.load(Ordering::Acquire) == generation {
                        cache.entries.insert(owned_key.clone(), Arc::clone(&entry));
                        if let Some(hook) = &cache.on_store {
                            hook(&owned_key, &entry);
                        }
                    }
                    Ok(entry)
                }
                Err(error) => {
                    if error.is_outage() {
                        cache.counters.source_errors.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(CacheError::Source(Arc::new(error)))
                }
            };
            cache
                .in_flight
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .remove(&owned_key);
            result
        });
        let flight = task
            .map(|joined| joined.unwrap_or(Err(CacheError::Aborted)))
            .boxed()
            .shared();
        in_flight.insert(key.to_owned(), flight.clone());
        (flight, true)
    }

    /// Drops every entry carrying `tag`. Returns at once; the entries are
    /// gone for every later lookup.
    pub fn purge_tag(&self, tag: &str) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        let tag = tag.to_owned();
        // Only fails when invalidation closures are not enabled, and the
        // builder above enables them.
        let _ = self
            .entries
            .invalidate_entries_if(move |_key, entry| entry.tags.contains(&tag));
        self.entries.run_pending_tasks();
    }

    /// Drops every entry.
    pub fn purge_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries.invalidate_all();
        self.entries.run_pending_tasks();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[derive(Debug)]
    struct Down;

    impl SourceFailure for Down {
        fn is_outage(&self) -> bool {
            true
        }
    }

    fn policy(ttl_ms: u64, swr_ms: u64, sie_ms: u64) -> CachePolicy {
        CachePolicy {
            ttl: Duration::from_millis(ttl_ms),
            stale_while_revalidate: Duration::from_millis(swr_ms),
            stale_if_error: Duration::from_millis(sie_ms),
            max_bytes: 1 << 20,
        }
    }

    fn body(text: &str) -> Result<(Bytes, Vec<String>), Down> {
        Ok((Bytes::from(text.to_owned()), vec!["shop-a".to_owned()]))
    }

    #[tokio::test]
    async fn concurrent_misses_share_one_source_call() {
        let cache: Arc<Cache<Down>> = Arc::new(Cache::new(policy(60_000, 0, 0)));
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..200 {
            let cache = Arc::clone(&cache);
            let calls = Arc::clone(&calls);
            tasks.push(tokio::spawn(async move {
                cache
                    .get("k", move || async move {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        body("v")
                    })
                    .await
                    .map(|(_, status)| status)
                    .ok()
            }));
        }
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.expect("task ran"));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let misses = statuses
            .iter()
            .filter(|s| **s == Some(CacheStatus::Miss))
            .count();
        let coalesced = statuses
            .iter()
            .filter(|s| **s == Some(CacheStatus::Coalesced))
            .count();
        assert_eq!(misses, 1);
        assert_eq!(coalesced, 199);
    }

    #[tokio::test]
    async fn stale_entry_is_served_while_one_refresh_runs() {
        let cache: Arc<Cache<Down>> = Arc::new(Cache::new(policy(20, 5_000, 0)));
        cache
            .get("k", || async { body("old") })
            .await
            .expect("filled");
        tokio::time::sleep(Duration::from_millis(40)).await;

        let (entry, status) = cache
            .get("k", || async { body("new") })
            .await
            .expect("stale served");
        assert_eq!(status, CacheStatus::Stale);
        assert_eq!(&entry.body[..], b"old");

        tokio::time::sleep(Duration::from_millis(10)).await;
        let (entry, status) = cache
            .get("k", || async { body("newer") })
            .await
            .expect("refreshed");
        assert_eq!(status, CacheStatus::Hit);
        assert_eq!(&entry.body[..], b"new");
    }

    #[tokio::test]
    async fn source_error_serves_stale_and_keeps_entry() {
        let cache: Arc<Cache<Down>> = Arc::new(Cache::new(policy(20, 0, 5_000)));
        cache
            .get("k", || async { body("good") })
            .await
            .expect("filled");
        tokio::time::sleep(Duration::from_millis(40)).await;

        let (entry, status) = cache
            .get("k", || async { Err(Down) })
            .await
            .expect("stale if error");
        assert_eq!(status, CacheStatus::Stale);
        assert_eq!(&entry.body[..], b"good");
        assert_eq!(cache.counters().stale_if_error.load(Ordering::Relaxed), 1);
        assert_eq!(&cache.peek("k").expect("kept").body[..], b"good");
    }

    #[tokio::test]
    async fn source_error_without_entry_is_an_error() {
        let cache: Arc<Cache<Down>> = Arc::new(Cache::new(policy(20, 0, 5_000)));
        let result = cache.get("k", || async { Err(Down) }).await;
        assert!(matches!(result, Err(CacheError::Source(_))));
        assert!(cache.peek("k").is_none());
    }

    #[tokio::test]
    async fn purge_by_tag_drops_only_tagged_entries() {
        let cache: Arc<Cache<Down>> = Arc::new(Cache::new(policy(60_000, 0, 0)));
        let tagged = |tag: &'static str| {
            move || async move { Ok::<_, Down>((Bytes::from_static(b"x"), vec![tag.to_owned()])) }
        };
        cache.get("a", tagged("product-s-1")).await.expect("filled");
        cache.get("b", tagged("product-s-2")).await.expect("filled");
        cache.purge_tag("product-s-1");
        assert!(cache.peek("a").is_none());
        assert!(cache.peek("b").is_some());
    }

    #[tokio::test]
    async fn byte_bound_evicts() {
        let mut small = policy(60_000, 0, 0);
        small.max_bytes = 64 * 1024;
        let cache: Arc<Cache<Down>> = Arc::new(Cache::new(small));
        for i in 0..200 {
            let text: String = (0..400)
                .map(|j| char::from(b'a' + ((i * 7 + j) % 26) as u8))
                .collect();
            cache
                .get(&format!("k{i}"), move || async move { body(&text) })
                .await
                .expect("filled");
        }
        assert!(
            cache.bytes_held() <= 64 * 1024,
            "held {}",
            cache.bytes_held()
        );
        assert!(cache.counters().evictions.load(Ordering::Relaxed) > 0);
    }

    #[test]
    fn short_bodies_are_not_compressed() {
        let entry = Entry::new(Bytes::from_static(b"{\"badges\":[]}"), Vec::new());
        assert!(entry.brotli.is_none());
        assert!(entry.gzip.is_none());
    }

    #[test]
    fn encodings_decode_to_the_body() {
        let body = format!("{{\"badges\":[{}]}}", "0,".repeat(200) + "0");
        let entry = Entry::new(Bytes::from(body.clone()), Vec::new());
        let brotli = entry.brotli.as_ref().expect("brotli encoding");
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &brotli[..], &mut decoded).expect("brotli");
        assert_eq!(decoded, body.as_bytes());
        let gzip = entry.gzip.as_ref().expect("gzip encoding");
        let mut gunzip = flate2::read::GzDecoder::new(&gzip[..]);
        let mut text = String::new();
        std::io::Read::read_to_string(&mut gunzip, &mut text).expect("gzip");
        assert_eq!(text, body);
        assert_eq!(entry.etag, etag_of(body.as_bytes()));
    }
}
