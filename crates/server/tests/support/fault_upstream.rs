//! A stand-in for an origin Starling that the tests can make misbehave the
//! way a real origin does: slow, failing with 500, sending invalid JSON,
//! closing the connection, or hanging. It counts every request it receives.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// How the fake origin responds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    /// Valid JSON at once.
    Healthy = 0,
    /// Valid JSON after 300 ms.
    Slow = 1,
    /// HTTP 500 with a JSON error body.
    ServerError = 2,
    /// HTTP 200 with a body that is not JSON.
    Garbage = 3,
    /// Accepts the connection, then closes it without a response.
    Close = 4,
    /// Accepts the connection and never responds.
    Hang = 5,
}

#[derive(Debug, Default)]
struct Shared {
    mode: AtomicU8,
    /// Added to every review count, so that a test can tell fresh data
    /// from cached data.
    generation: AtomicU64,
    requests: AtomicU64,
    by_path: Mutex<BTreeMap<String, u64>>,
    queries: Mutex<Vec<String>>,
}

/// Handle to a running fake origin.
#[derive(Debug, Clone)]
pub struct FaultUpstream {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl FaultUpstream {
    /// Starts the fake origin on a free loopback port.
    pub async fn start() -> FaultUpstream {
        let shared = Arc::new(Shared::default());
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::clone(&shared);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = Arc::clone(&state);
                tokio::spawn(async move { serve_connection(stream, state).await });
            }
        });
        FaultUpstream { addr, shared }
    }

    /// Base address for `--upstream`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_mode(&self, mode: Mode) {
        self.shared.mode.store(mode as u8, Ordering::SeqCst);
    }

    /// Changes the data served from now on.
    pub fn bump_generation(&self) {
        self.shared.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Requests received so far, whatever the mode.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Query strings of the badge requests received so far, in order.
    pub fn badge_queries(&self) -> Vec<String> {
        self.shared.queries.lock().expect("query lock").clone()
    }

    /// Requests received so far for one path (without the query).
    pub fn requests_for(&self, path: &str) -> u64 {
        self.shared
            .by_path
            .lock()
            .expect("counter lock")
            .get(path)
            .copied()
            .unwrap_or(0)
    }
}

fn mode_of(shared: &Shared) -> Mode {
    match shared.mode.load(Ordering::SeqCst) {
        1 => Mode::Slow,
        2 => Mode::ServerError,
        3 => Mode::Garbage,
        4 => Mode::Close,
        5 => Mode::Hang,
        _ => Mode::Healthy,
    }
}

/// Reads the request head itself for the modes that must misbehave below
/// HTTP, and hands the rest to an axum router over hyper.
async fn serve_connection(stream: tokio::net::TcpStream, shared: Arc<Shared>) {
    let mut stream = stream;
    match mode_of(&shared) {
        Mode::Close => {
            count(&shared, "(closed)");
            let mut buffer = [0u8; 1024];
            let _ = tokio::time::timeout(Duration::from_millis(200), async {
                use tokio::io::AsyncReadExt;
                stream.read(&mut buffer).await
            })
            .await;
            let _ = stream.shutdown().await;
        }
        Mode::Hang => {
            count(&shared, "(hung)");
            tokio::time::sleep(Duration::from_secs(120)).await;
        }
        _ => {
            let router = router(Arc::clone(&shared));
            let service = hyper_util::service::TowerToHyperService::new(router);
            // One request per connection, so that every request meets the
            // mode in force when it arrives, even over a pooled client.
            let mut builder =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            builder.http1().keep_alive(false);
            let _ = builder
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        }
    }
}

fn count(shared: &Shared, path: &str) {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    *shared
        .by_path
        .lock()
        .expect("counter lock")
        .entry(path.to_owned())
        .or_insert(0) += 1;
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/shops/{shop}/badges", get(badges))
        .route("/v1/shops/{shop}/products/{id}/reviews", get(reviews))
        .with_state(shared)
}

async fn misbehave(shared: &Shared, path: &str) -> Option<Response> {
    count(shared, path);
    match mode_of(shared) {
        Mode::Slow => {
            tokio::time::sleep(Duration::from_millis(300)).await;
            None
        }
        Mode::ServerError => Some(
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [("content-type", "application/json")],
                r#"{"error":{"code":"internal","message":"database is locked"}}"#,
            )
                .into_response(),
        ),
        Mode::Garbage => Some(
            (
                StatusCode::OK,
                [("content-type", "application/json")],
                "<html><body>502 Bad Gateway from a proxy</body></html>",
            )
                .into_response(),
        ),
        _ => None,
    }
}

async fn badges(
    State(shared): State<Arc<Shared>>,
    Path(shop): Path<String>,
    Query(params): Query<BTreeMap<String, String>>,
) -> Response {
    let path = format!("/v1/shops/{shop}/badges");
    let ids = params.get("ids").cloned().unwrap_or_default();
    shared
        .queries
        .lock()
        .expect("query lock")
        .push(format!("ids={ids}"));
    if let Some(response) = misbehave(&shared, &path).await {
        return response;
    }
    if shop != "edge.myshopify.com" {
        return not_found(&shop);
    }
    let generation = shared.generation.load(Ordering::SeqCst);
    let badges: Vec<String> = ids
        .split(',')
        .filter(|id| !id.is_empty())
        .map(|id| {
            let count = fake_count(id) + generation;
            format!(r#"{{"product_id":"{id}","average":4.5,"count":{count},"questions":0}}"#)
        })
        .collect();
    json(format!(r#"{{"badges":[{}]}}"#, badges.join(",")))
}

async fn reviews(
    State(shared): State<Arc<Shared>>,
    Path((shop, id)): Path<(String, String)>,
) -> Response {
    let path = format!("/v1/shops/{shop}/products/{id}/reviews");
    if let Some(response) = misbehave(&shared, &path).await {
        return response;
    }
    if shop != "edge.myshopify.com" {
        return not_found(&shop);
    }
    let count = fake_count(&id) + shared.generation.load(Ordering::SeqCst);
    json(format!(
        r#"{{"product_id":"{id}","summary":{{"average":5.0,"count":{count},"histogram":{{"5":{count},"4":0,"3":0,"2":0,"1":0}}}},"page":1,"per_page":5,"pages":0,"reviews":[]}}"#
    ))
}

/// Derives a review count from the id, so that every product differs.
pub fn fake_count(id: &str) -> u64 {
    id.bytes().map(u64::from).sum::<u64>() % 97
}

fn json(body: String) -> Response {
    (StatusCode::OK, [("content-type", "application/json")], body).into_response()
}

fn not_found(shop: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        [("content-type", "application/json")],
        format!(r#"{{"error":{{"code":"shop_not_found","message":"shop {shop} is not known"}}}}"#),
    )
        .into_response()
}
