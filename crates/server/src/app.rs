//! Wiring: the shared state, the router with every route, health and
//! readiness, and `starling serve` itself (bind, log one start line, stop
//! gracefully on SIGTERM or Ctrl-C).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderName, Method, StatusCode, Uri, header};
use axum::middleware;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde_json::json;
use tower_http::cors::{Any, CorsLayer};

use crate::bundles::Bundles;
use crate::cache::CachePolicy;
use crate::cache::shared::SharedCache;
use crate::error::Failure;
use crate::metrics::RequestCounters;
use crate::responses::ResponseCache;
use crate::store::{Source, SqliteStore};
use crate::upstream::{Upstream, UpstreamConfig, UpstreamSource};
use crate::{api, demo, metrics, purge};

/// Cache settings of `starling serve` when no flag changes them.
pub const DEFAULT_CACHE_POLICY: CachePolicy = CachePolicy {
    ttl: std::time::Duration::from_secs(30),
    stale_while_revalidate: std::time::Duration::from_secs(60),
    stale_if_error: std::time::Duration::from_secs(86_400),
    max_bytes: 64 * 1024 * 1024,
};

/// What every handler can reach: one shared [`AppParts`], so the clone that
/// axum makes for each request is a single reference count.
#[derive(Clone, Debug)]
pub struct AppState(Arc<AppParts>);

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

impl From<AppParts> for AppState {
    fn from(parts: AppParts) -> AppState {
        AppState(Arc::new(parts))
    }
}

/// The handlers' shared state.
pub struct AppParts {
    /// Source of the API data behind the cache: the SQLite store or the
    /// upstream.
    pub source: Arc<dyn Source>,
    /// The embedded store, for the demo storefront's catalogue.
    pub catalog: SqliteStore,
    /// The built front end.
    pub bundles: Arc<Bundles>,
    /// The cache tier that API responses go through.
    pub responses: ResponseCache,
    /// The upstream client, when the source is an origin server.
    pub upstream: Option<Arc<Upstream>>,
    /// Requests by route and status, for `/metrics`.
    pub requests: Arc<RequestCounters>,
    /// Token that the purge endpoint requires; `None` disables it.
    pub purge_token: Option<Arc<str>>,
}

impl std::fmt::Debug for AppParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppParts")
            .field("catalog", &self.catalog.path())
            .field("bundles", &self.bundles.dist())
            .field("responses", &self.responses)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over the SQLite store with the default cache and no purge
    /// token.
    pub fn new(store: SqliteStore, bundles: Bundles) -> AppState {
        AppParts::new(store, bundles).into()
    }
}

impl AppParts {
    /// Parts over the SQLite store with the default cache and no purge
    /// token.
    pub fn new(store: SqliteStore, bundles: Bundles) -> AppParts {
        let source: Arc<dyn Source> = Arc::new(store.clone());
        AppParts {
            responses: ResponseCache::new(Arc::clone(&source), DEFAULT_CACHE_POLICY, None),
            source,
            catalog: store,
            bundles: Arc::new(bundles),
            upstream: None,
            requests: Arc::new(RequestCounters::default()),
            purge_token: None,
        }
    }
}

/// Every route of the server.
pub fn router(state: AppState) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::POST, Method::OPTIONS])
        .allow_headers([
            header::CONTENT_TYPE,
            HeaderName::from_static("starling-key"),
        ])
        .expose_headers([header::ETAG]);

    Router::new()
        .merge(api::routes())
        .merge(crate::bundles::routes())
        .merge(demo::routes())
        .route("/", get(|| async { Redirect::to("/demo/") }))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::handler))
        .merge(purge::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(|| async { Failure::method_not_allowed() })
        .layer(cors)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state.requests),
            metrics::count_requests,
        ))
        .layer(middleware::from_fn(crate::error::log_failures))
        .with_state(state)
}

async fn readyz(State(state): State<AppState>) -> Response {
    let mut reasons = Vec::new();
    // The embedded store must respond; an upstream that is down does not
    // make the server unready, because serving stale data is its job then.
    if let Err(error) = state.catalog.check().await {
        reasons.push(format!("store: {error}"));
    }
    if let Some(reason) = state.bundles.missing_reason() {
        reasons.push(reason.to_owned());
    }
    if reasons.is_empty() {
        (StatusCode::OK, axum::Json(json!({"status": "ready"}))).into_response()
    } else {
        tracing::warn!(?reasons, "not ready");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "not_ready", "reasons": reasons})),
        )
            .into_response()
    }
}

async fn not_found(uri: Uri) -> Response {
    if uri.path() == "/v1" || uri.path().starts_with("/v1/") {
        Failure::not_found(uri.path()).into_response()
    } else {
        tracing::debug!(path = uri.path(), "no such page");
        (StatusCode::NOT_FOUND, "not found\n").into_response()
    }
}

/// Settings of `starling serve`.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub dist: PathBuf,
    pub cache: CachePolicy,
    /// Origin to read the API from in place of the embedded store.
    pub upstream: Option<UpstreamConfig>,
    /// Redis address for the shared cache level and purge channel.
    pub redis: Option<String>,
    pub purge_token: Option<String>,
}

/// Opens the store and the bundles, binds, and serves until SIGTERM or
/// Ctrl-C, letting requests in flight finish.
pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let store_dir = config.data_dir.clone();
    let store = tokio::task::spawn_blocking(move || SqliteStore::open(&store_dir))
        .await
        .context("opening the store was cancelled")??;
    let stats = store.stats().await?;
    let bundles = Bundles::load(&config.dist);
    let bundle_count = bundles.len();
    // Redis and the upstream client are set up before binding, so a bad
    // setting stops the server before it announces itself.
    let state = state(&config, store, bundles).await?;

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}; is another server using it? pick another with --listen",
                config.listen
            )
        })?;
    let address = listener.local_addr()?;
    tracing::info!(
        %address,
        data_dir = %config.data_dir.display(),
        dist = %config.dist.display(),
        source = config.upstream.as_ref().map_or("sqlite", |upstream| upstream.base_url.as_str()),
        redis = config.redis.as_deref().unwrap_or("none"),
        cache_ttl_s = config.cache.ttl.as_secs(),
        stale_while_revalidate_s = config.cache.stale_while_revalidate.as_secs(),
        stale_if_error_s = config.cache.stale_if_error.as_secs(),
        cache_max_bytes = config.cache.max_bytes,
        purge = config.purge_token.is_some(),
        bundles = bundle_count,
        shops = stats.shops,
        products = stats.products,
        reviews = stats.reviews,
        "starling listening on http://{address}/ (demo at http://{address}/demo/)"
    );

    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the server stopped with an error")?;
    tracing::info!("starling stopped");
    Ok(())
}

/// Builds the handlers' state: the source (store or upstream), the cache
/// in front of it and the Redis level when configured.
async fn state(
    config: &ServeConfig,
    store: SqliteStore,
    bundles: Bundles,
) -> anyhow::Result<AppState> {
    let mut state = AppParts::new(store, bundles);
    if let Some(upstream) = &config.upstream {
        let client = Arc::new(Upstream::new(upstream.clone()).with_context(|| {
            format!(
                "cannot set up the HTTP client for upstream {}",
                upstream.base_url
            )
        })?);
        state.source = Arc::new(UpstreamSource::new(Arc::clone(&client)));
        state.upstream = Some(client);
    }
    let shared = match &config.redis {
        Some(url) => {
            let shared = SharedCache::connect(url).await.with_context(|| {
                format!("cannot connect to redis at {url}; check --redis and that the server runs")
            })?;
            Some(shared)
        }
        None => None,
    };
    state.responses = ResponseCache::new(Arc::clone(&state.source), config.cache, shared.clone());
    if let Some(shared) = shared {
        let responses = state.responses.clone();
        shared.listen(Arc::new(move |tags: Vec<String>| {
            tracing::info!(?tags, "purge received from another replica");
            for tag in &tags {
                responses.cache().purge_tag(tag);
            }
        }));
    }
    state.purge_token = config.purge_token.as_deref().map(Arc::from);
    Ok(state.into())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received; finishing requests in flight"),
        () = terminate => tracing::info!("SIGTERM received; finishing requests in flight"),
    }
}
