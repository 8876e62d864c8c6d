//! Wiring: the shared state, the router with every route, health and
//! readiness, and `starling serve` itself (bind, log one start line, stop
//! gracefully on SIGTERM or Ctrl-C).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderName, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde_json::json;
use tower_http::cors::{Any, CorsLayer};
use tracing::Instrument;

use crate::bundles::Bundles;
use crate::error::Failure;
use crate::http::CachePolicy;
use crate::store::{Source, SqliteStore};
use crate::{api, demo};

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Answers the API; the SQLite store, or later a cache in front of it.
    pub source: Arc<dyn Source>,
    /// The embedded store, for the demo storefront's catalogue.
    pub catalog: SqliteStore,
    /// The built front end.
    pub bundles: Arc<Bundles>,
    /// Freshness of API responses.
    pub cache: CachePolicy,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("catalog", &self.catalog.path())
            .field("bundles", &self.bundles.dist())
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over the SQLite store alone, as `starling serve` runs it.
    pub fn new(store: SqliteStore, bundles: Bundles) -> AppState {
        AppState {
            source: Arc::new(store.clone()),
            catalog: store,
            bundles: Arc::new(bundles),
            cache: CachePolicy::default(),
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
        .fallback(not_found)
        .method_not_allowed_fallback(|| async { Failure::method_not_allowed() })
        .layer(cors)
        .layer(middleware::from_fn(request_span))
        .with_state(state)
}

/// Puts each request's method and path on every log line it causes.
async fn request_span(request: Request, next: Next) -> Response {
    let span =
        tracing::info_span!("request", method = %request.method(), path = %request.uri().path());
    next.run(request).instrument(span).await
}

async fn readyz(State(state): State<AppState>) -> Response {
    let mut reasons = Vec::new();
    if let Err(error) = state.source.check().await {
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
        bundles = bundle_count,
        shops = stats.shops,
        products = stats.products,
        reviews = stats.reviews,
        "starling listening on http://{address}/ (demo at http://{address}/demo/)"
    );

    axum::serve(listener, router(AppState::new(store, bundles)))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the server stopped with an error")?;
    tracing::info!("starling stopped");
    Ok(())
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
