//! Helpers shared by the integration tests: a seeded store in a temp dir,
//! the router over it, and in-process requests.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use starling_server::app::{AppState, router};
use starling_server::bundles::Bundles;
use starling_server::store::SqliteStore;
use tempfile::TempDir;
use tower::ServiceExt;

/// The demo shop's domain.
pub const DEMO: &str = "demo.myshopify.com";

/// The cases file, as copied from `shared/cases/` into the crate.
pub fn cases_csv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/judgeme-export.csv")
}

/// `shared/cases/judgeme-export.csv` beside the checkout, when it is there.
pub fn shared_cases_csv() -> Option<PathBuf> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/cases/judgeme-export.csv");
    path.exists().then_some(path)
}

/// A freshly created and seeded store; keep the `TempDir` alive.
pub fn seeded_store() -> (TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path()).expect("store opens");
    (dir, store)
}

/// The router over `store`, with bundles from `dist` (which may not exist).
pub fn app_with_dist(store: &SqliteStore, dist: &Path) -> Router {
    router(AppState::new(store.clone(), Bundles::load(dist)))
}

/// The router over `store`, without bundles.
pub fn app(store: &SqliteStore) -> Router {
    app_with_dist(store, Path::new("/nonexistent/starling-dist"))
}

/// A response read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends one request through the router.
pub async fn send(app: &Router, method: &str, uri: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// `GET uri`.
pub async fn get(app: &Router, uri: &str) -> Reply {
    send(app, "GET", uri, &[]).await
}

/// Asserts the error body shape and returns it.
pub fn assert_error(reply: &Reply, status: u16, code: &str, parameter: Option<&str>) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.text());
    let json = reply.json();
    let error = json.get("error").expect("error object");
    assert_eq!(error["code"], code, "{json}");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{json}"
    );
    match parameter {
        Some(name) => assert_eq!(error["parameter"], name, "{json}"),
        None => assert!(error.get("parameter").is_none(), "{json}"),
    }
    assert_eq!(json.as_object().map(|o| o.len()), Some(1), "{json}");
    assert_eq!(reply.header("cache-control"), Some("no-store"));
}
