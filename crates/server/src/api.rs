//! The v1 JSON API read endpoints: badges for a page of products and one
//! page of a product's reviews. Handlers only validate parameters and ask
//! the [`ResponseCache`](crate::responses::ResponseCache), which serves
//! from its cache or the source; errors are [`Failure`]s.

use std::collections::HashMap;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use starling_model::{
    MAX_BADGE_IDS, ProductId, ReviewsQuery, canonical_badge_ids, parse_badge_ids,
};

use crate::app::AppState;
use crate::error::Failure;

/// Routes under `/v1/shops/{shop}/`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/shops/{shop}/badges", get(badges))
        .route(
            "/v1/shops/{shop}/products/{product_id}/reviews",
            get(reviews),
        )
}

async fn badges(
    State(state): State<AppState>,
    shop: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let Path(shop) =
        shop.map_err(|rejection| Failure::invalid_parameter("shop", rejection.body_text()))?;
    check_shop(&shop)?;
    let query = query.as_deref().unwrap_or("");

    // Fast path: the core sends `ids=` alone, sorted and deduplicated, which
    // is already the cache key; anything else is decoded and normalized.
    let plain_ids = query
        .strip_prefix("ids=")
        .filter(|rest| !rest.contains(['&', '%', '+']))
        .filter(|rest| canonical_badge_ids(rest).is_some_and(|n| n <= MAX_BADGE_IDS));
    let normalized;
    let ids = match plain_ids {
        Some(ids) => ids,
        None => {
            normalized = normalize_ids(query)?;
            normalized.as_str()
        }
    };

    let served = state.responses.badges(&shop, ids).await?;
    Ok(state.responses.respond(&headers, &served))
}

async fn reviews(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let Path((shop, raw_product)) =
        path.map_err(|rejection| Failure::invalid_parameter("product_id", rejection.body_text()))?;
    check_shop(&shop)?;
    let product = ProductId::parse(&raw_product)
        .map_err(|error| Failure::invalid_parameter("product_id", error.to_string()))?;
    let params = query_params(query.as_deref());
    // NOTE: review search is not implemented; a `q` that was silently
    // ignored would show unfiltered reviews as if they matched.
    if params.get("q").is_some_and(|q| !q.trim().is_empty()) {
        return Err(Failure::invalid_parameter(
            "q",
            "searching reviews (q) is not supported by this server yet; leave q out",
        ));
    }
    let query = ReviewsQuery::parse(
        params.get("page").map(String::as_str),
        params.get("per_page").map(String::as_str),
        params.get("sort").map(String::as_str),
        params.get("rating").map(String::as_str),
    )?;

    let served = state.responses.reviews(&shop, &product, &query).await?;
    Ok(state.responses.respond(&headers, &served))
}

/// Reads the `ids` parameter of any query string and returns the ids
/// sorted, deduplicated and comma-joined, or the 400 that names `ids`.
fn normalize_ids(query: &str) -> Result<String, Failure> {
    let params = query_params(Some(query));
    let raw_ids = params.get("ids").ok_or_else(|| {
        Failure::invalid_parameter(
            "ids",
            "ids is required: a comma-separated list of product ids such as \
             ids=7000000000001,7000000000002",
        )
    })?;
    let ids = parse_badge_ids(raw_ids)
        .map_err(|error| Failure::invalid_parameter("ids", error.to_string()))?;
    if ids.len() > MAX_BADGE_IDS {
        return Err(Failure::invalid_parameter(
            "ids",
            format!(
                "ids may name at most {MAX_BADGE_IDS} products, got {}; split the request",
                ids.len()
            ),
        ));
    }
    if ids.is_empty() {
        return Err(Failure::invalid_parameter(
            "ids",
            "ids names no product; list at least one id, such as ids=7000000000001",
        ));
    }
    let joined: Vec<&str> = ids.iter().map(ProductId::as_str).collect();
    Ok(joined.join(","))
}

/// Rejects an empty shop segment, as in `/v1/shops//badges`.
fn check_shop(shop: &str) -> Result<(), Failure> {
    if shop.trim().is_empty() {
        return Err(Failure::invalid_parameter(
            "shop",
            "the shop is empty; put the shop domain in the path, such as \
             /v1/shops/example.myshopify.com/badges",
        ));
    }
    Ok(())
}

/// Decodes a query string; when a name repeats, the first value wins.
fn query_params(raw: Option<&str>) -> HashMap<String, String> {
    let mut params = HashMap::new();
    for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        params
            .entry(name.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params_decode_and_keep_the_first_value() {
        let params = query_params(Some("ids=1%2C2&ids=3&sort=most-votes"));
        assert_eq!(params.get("ids").map(String::as_str), Some("1,2"));
        assert_eq!(params.get("sort").map(String::as_str), Some("most-votes"));
        assert!(query_params(None).is_empty());
    }
}
