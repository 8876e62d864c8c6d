//! API responses served through the cache: cache keys from normalized
//! parameters, surrogate keys, badge batches assembled from per-product
//! entries, the optional Redis level, purge, and the HTTP headers that let
//! browsers and CDNs cache the same bytes.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::{BufMut, Bytes, BytesMut};
use starling_model::{ProductId, ReviewsQuery, parse_badge_ids};

use crate::cache::shared::SharedCache;
use crate::cache::{Cache, CacheError, CachePolicy, CacheStatus, Entry, now_ms};
use crate::error::Failure;
use crate::http::{Encoding, accepted_encodings, holds_any_representation};
use crate::store::{Source, SourceError};

/// Browsers keep API responses at most this long; shared caches follow
/// `s-maxage`, which is the server's own TTL.
const BROWSER_MAX_AGE: Duration = Duration::from_secs(60);

/// A response body from the cache and how it was served.
#[derive(Debug, Clone)]
pub struct Served {
    pub entry: Arc<Entry>,
    pub status: CacheStatus,
}

/// The cache tier in front of a [`Source`].
#[derive(Clone)]
pub struct ResponseCache {
    cache: Arc<Cache<SourceError>>,
    shared: Option<SharedCache>,
    source: Arc<dyn Source>,
    cache_control: HeaderValue,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache")
            .field("cache", &self.cache)
            .field("shared", &self.shared.is_some())
            .finish_non_exhaustive()
    }
}

/// Returns the surrogate key of everything a shop serves.
pub fn shop_tag(shop: &str) -> String {
    format!("shop-{shop}")
}

/// Returns the surrogate key of everything that shows one product's
/// reviews.
pub fn product_tag(shop: &str, product: &ProductId) -> String {
    format!("product-{shop}-{product}")
}

impl ResponseCache {
    /// Puts a cache with `policy` in front of `source`, with `shared` as
    /// the second level when given. Entries stored from the source are
    /// copied to the second level in the background.
    pub fn new(
        source: Arc<dyn Source>,
        policy: CachePolicy,
        shared: Option<SharedCache>,
    ) -> ResponseCache {
        let mut cache = Cache::new(policy);
        if let Some(shared) = shared.clone() {
            let lifetime = policy.max_age();
            cache = cache.with_store_hook(Arc::new(move |key: &str, entry: &Arc<Entry>| {
                let shared = shared.clone();
                let key = key.to_owned();
                let entry = Arc::clone(entry);
                tokio::spawn(async move {
                    if let Err(error) = shared.put(&key, &entry, lifetime).await {
                        tracing::warn!(%error, %key, "copying a cache entry to redis failed");
                    }
                });
            }));
        }
        let cache_control = HeaderValue::from_str(&format!(
            "public, max-age={}, s-maxage={}, stale-while-revalidate={}, stale-if-error={}",
            BROWSER_MAX_AGE.min(policy.ttl).as_secs(),
            policy.ttl.as_secs(),
            policy.stale_while_revalidate.as_secs(),
            policy.stale_if_error.as_secs()
        ))
        .unwrap_or(HeaderValue::from_static("no-cache"));
        ResponseCache {
            cache: Arc::new(cache),
            shared,
            source,
            cache_control,
        }
    }

    /// The local cache, for `/metrics`.
    pub fn cache(&self) -> &Cache<SourceError> {
        &self.cache
    }

    /// The shared level, when configured.
    pub fn shared(&self) -> Option<&SharedCache> {
        self.shared.as_ref()
    }

    /// One page of a product's reviews.
    pub async fn reviews(
        &self,
        shop: &str,
        product: &ProductId,
        query: &ReviewsQuery,
    ) -> Result<Served, Failure> {
        let shop = shop.to_ascii_lowercase();
        let key = format!(
            "reviews|{shop}|{product}|{}|{}|{}|{}",
            query.page,
            query.per_page,
            query.sort.as_str(),
            query.rating.unwrap_or(0)
        );
        let query = *query;
        self.lookup(&key, || {
            let tags = vec![shop_tag(&shop), product_tag(&shop, product)];
            let source = Arc::clone(&self.source);
            let product = product.clone();
            async move {
                let page = source.reviews(&shop, &product, &query).await?;
                Ok((to_json(&page)?, tags))
            }
        })
        .await
    }

    /// The badges of `ids`, comma-joined, sorted and deduplicated as
    /// [`parse_badge_ids`] leaves them. The batch
    /// body is cached under the whole id list and tagged with every
    /// product, so purging one product drops every batch that shows it;
    /// a batch miss asks the source only for products without a fresh
    /// per-product entry.
    pub async fn badges(&self, shop: &str, ids: &str) -> Result<Served, Failure> {
        let shop = shop.to_ascii_lowercase();
        let key = format!("badges|{shop}|{ids}");
        self.lookup(&key, || {
            let this = self.clone();
            let ids = ids.to_owned();
            async move {
                let ids = parse_badge_ids(&ids).map_err(|error| {
                    SourceError::Unavailable(format!("normalized ids failed to parse: {error}"))
                })?;
                this.assemble_badges(&shop, &ids).await
            }
        })
        .await
    }

    async fn assemble_badges(
        &self,
        shop: &str,
        ids: &[ProductId],
    ) -> Result<(Bytes, Vec<String>), SourceError> {
        let badge_key = |id: &ProductId| format!("badge|{shop}|{id}");
        let mut pieces: Vec<Option<Bytes>> = ids
            .iter()
            .map(|id| {
                self.cache
                    .fresh(&badge_key(id))
                    .map(|entry| entry.body.clone())
            })
            .collect();

        let missing: Vec<ProductId> = ids
            .iter()
            .zip(&pieces)
            .filter(|(_, piece)| piece.is_none())
            .map(|(id, _)| id.clone())
            .collect();
        if !missing.is_empty() {
            let badges = self.source.badges(shop, &missing).await?;
            for badge in badges {
                let Some(index) = ids.iter().position(|id| *id == badge.product_id) else {
                    continue;
                };
                let body = to_json(&badge)?;
                let tags = vec![shop_tag(shop), product_tag(shop, &badge.product_id)];
                self.cache.insert(
                    badge_key(&badge.product_id),
                    Arc::new(Entry::new(body.clone(), tags)),
                );
                pieces[index] = Some(body);
            }
        }

        let mut body = BytesMut::with_capacity(
            16 + pieces.iter().flatten().map(Bytes::len).sum::<usize>() + ids.len(),
        );
        body.put_slice(b"{\"badges\":[");
        for (index, (id, piece)) in ids.iter().zip(pieces).enumerate() {
            let Some(piece) = piece else {
                return Err(SourceError::BadGateway(format!(
                    "the source sent no badge for product {id} of shop {shop}"
                )));
            };
            if index > 0 {
                body.put_u8(b',');
            }
            body.put_slice(&piece);
        }
        body.put_slice(b"]}");

        let mut tags = Vec::with_capacity(ids.len() + 1);
        tags.push(shop_tag(shop));
        tags.extend(ids.iter().map(|id| product_tag(shop, id)));
        Ok((body.freeze(), tags))
    }

    /// Looks in the local cache, then in the shared level, then calls the
    /// source through `fetch`.
    async fn lookup<F, Fut>(&self, key: &str, fetch: F) -> Result<Served, Failure>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(Bytes, Vec<String>), SourceError>> + Send + 'static,
    {
        if let Some(shared) = &self.shared
            && self.cache.peek(key).is_none()
        {
            match shared.get(key).await {
                Ok(Some(entry)) => {
                    let age = Duration::from_millis(now_ms().saturating_sub(entry.stored_at_ms));
                    if age < self.cache.policy().max_age() {
                        self.cache.insert(key.to_owned(), Arc::new(entry));
                    }
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(%error, %key, "reading redis failed; asking the source")
                }
            }
        }
        match self.cache.get(key, fetch).await {
            Ok((entry, status)) => Ok(Served { entry, status }),
            Err(CacheError::Source(error)) => Err(Failure::from((*error).clone())),
            Err(CacheError::Aborted) => Err(Failure::source_unavailable(
                "the source request was cancelled because the server is stopping; retry",
            )),
        }
    }

    /// Drops every entry carrying one of `tags` here and, with Redis, in
    /// the shared level and on every replica.
    pub async fn purge(&self, tags: &[String]) -> Result<(), Failure> {
        for tag in tags {
            self.cache.purge_tag(tag);
        }
        if let Some(shared) = &self.shared {
            shared.purge(tags).await.map_err(|error| {
                Failure::upstream_failed(format!(
                    "purged this replica, but not the others: {error}; retry the purge"
                ))
            })?;
        }
        Ok(())
    }

    /// Builds the HTTP response for a served entry: the encoding the client
    /// prefers, a 304 when it holds this body already, and the caching
    /// headers.
    pub fn respond(&self, request: &HeaderMap, served: &Served) -> Response {
        let entry = &served.entry;
        let (encoding, body) = accepted_encodings(request)
            .into_iter()
            .find_map(|encoding| match encoding {
                Encoding::Brotli => entry.brotli.clone().map(|body| (encoding, body)),
                Encoding::Gzip => entry.gzip.clone().map(|body| (encoding, body)),
                Encoding::Identity => Some((encoding, entry.body.clone())),
            })
            .unwrap_or((Encoding::Identity, entry.body.clone()));
        let hash = entry.etag.trim_matches('"');
        let etag = match encoding {
            Encoding::Brotli => &entry.headers.etag_brotli,
            Encoding::Gzip => &entry.headers.etag_gzip,
            Encoding::Identity => &entry.headers.etag,
        };

        let mut response = if holds_any_representation(request, hash) {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            response
        } else {
            let mut response = Response::new(Body::from(body));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            if let Some(token) = encoding.token() {
                response
                    .headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static(token));
            }
            response
        };

        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, self.cache_control.clone());
        headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        if let Some(value) = etag {
            headers.insert(header::ETAG, value.clone());
        }
        headers.insert(
            HeaderName::from_static("x-cache"),
            HeaderValue::from_static(served.status.as_str()),
        );
        if let Some(value) = &entry.headers.surrogate_key {
            headers.insert(HeaderName::from_static("surrogate-key"), value.clone());
        }
        if let Some(value) = &entry.headers.cache_tag {
            headers.insert(HeaderName::from_static("cache-tag"), value.clone());
        }
        response
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Bytes, SourceError> {
    serde_json::to_vec(value).map(Bytes::from).map_err(|error| {
        SourceError::Unavailable(format!("serializing a response failed: {error}"))
    })
}
