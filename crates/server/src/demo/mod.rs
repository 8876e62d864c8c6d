//! The demo storefront: plain HTML pages in the shape of a Shopify theme,
//! with the legacy placeholders and each legacy embed form, so the widgets
//! can be seen and tested against the seeded demo shop. Pages load nothing
//! from other hosts and never define `window.jQuery` or `window.$`.

mod pages;
mod photos;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use starling_model::ProductId;

use crate::app::AppState;
use crate::store::Product;
use crate::store::seed::DEMO_SHOP;

/// Products on a collection page.
const COLLECTION_SIZE: u32 = 48;
/// Products the ajax page ends with.
const AJAX_SIZE: u32 = 72;

/// Routes under `/demo/`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/demo",
            get(|| async { axum::response::Redirect::to("/demo/") }),
        )
        .route("/demo/", get(index))
        .route("/demo/store.css", get(stylesheet))
        .route("/demo/collection", get(collection))
        .route("/demo/double", get(double))
        .route("/demo/ajax", get(ajax))
        .route("/demo/ids", get(ids))
        .route("/demo/product/{id}", get(product))
        .route("/demo/embed/widget-min", get(embed_widget_min))
        .route("/demo/embed/script-widget", get(embed_script_widget))
        .route("/demo/embed/init-early", get(embed_init_early))
        .route("/demo/photos/{*file}", get(photos::photo))
}

async fn index() -> Html<String> {
    Html(pages::index())
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        pages::STYLESHEET,
    )
        .into_response()
}

async fn collection(State(state): State<AppState>) -> Response {
    with_products(&state, COLLECTION_SIZE, pages::collection).await
}

async fn double(State(state): State<AppState>) -> Response {
    with_products(&state, COLLECTION_SIZE, pages::double).await
}

async fn ajax(State(state): State<AppState>) -> Response {
    with_products(&state, AJAX_SIZE, |products| {
        let split = products.len().min(COLLECTION_SIZE as usize);
        let (first, later) = products.split_at(split);
        pages::ajax(first, later)
    })
    .await
}

async fn ids() -> Html<String> {
    Html(pages::ids())
}

async fn embed_widget_min(State(state): State<AppState>) -> Response {
    with_products(&state, 12, pages::embed_widget_min).await
}

async fn embed_script_widget(State(state): State<AppState>) -> Response {
    with_products(&state, 12, pages::embed_script_widget).await
}

async fn embed_init_early(State(state): State<AppState>) -> Response {
    with_products(&state, 12, pages::embed_init_early).await
}

async fn product(State(state): State<AppState>, Path(raw): Path<String>) -> Response {
    let Ok(id) = ProductId::parse(&raw) else {
        return not_found(&format!("{raw:?} is not a product id"));
    };
    let found = state.catalog.product(DEMO_SHOP, &id).await;
    let related = state.catalog.products(DEMO_SHOP, AJAX_SIZE).await;
    match (found, related) {
        (Ok(Some(product)), Ok(all)) => {
            let position = all.iter().position(|p| p.id == product.id).unwrap_or(0);
            let related: Vec<Product> = all
                .iter()
                .cycle()
                .skip(position + 1)
                .take(4.min(all.len().saturating_sub(1)))
                .cloned()
                .collect();
            Html(pages::product(&product, &related)).into_response()
        }
        (Ok(None), _) => not_found(&format!("the demo shop has no product {id}")),
        (Err(error), _) | (_, Err(error)) => store_failed(&error),
    }
}

async fn with_products(
    state: &AppState,
    limit: u32,
    page: impl FnOnce(&[Product]) -> String,
) -> Response {
    match state.catalog.products(DEMO_SHOP, limit).await {
        Ok(products) => Html(page(&products)).into_response(),
        Err(error) => store_failed(&error),
    }
}

fn not_found(message: &str) -> Response {
    let mut response = (StatusCode::NOT_FOUND, Html(pages::not_found(message))).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn store_failed(error: &crate::store::sqlite::StoreError) -> Response {
    tracing::error!(%error, "demo page could not read the catalogue");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(pages::not_found(
            "the demo catalogue could not be read; see the server log",
        )),
    )
        .into_response()
}
