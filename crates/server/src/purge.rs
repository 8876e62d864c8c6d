//! `POST /v1/admin/purge`: drops cached responses by shop, by product or by
//! surrogate key, on this replica and, with Redis, on every replica.
//!
//! The endpoint exists only when the server has a purge token; the token is
//! compared in constant time.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use starling_model::ProductId;

use crate::app::AppState;
use crate::error::Failure;
use crate::responses::{product_tag, shop_tag};

/// Maximum number of surrogate keys (or product ids) in one purge.
const MAX_KEYS: usize = 1_000;

/// The purge route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/admin/purge", post(purge))
}

/// What to drop: a shop, some of its products, or surrogate keys.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurgeRequest {
    pub shop: Option<String>,
    pub product_ids: Option<Vec<String>>,
    pub surrogate_keys: Option<Vec<String>>,
}

impl PurgeRequest {
    /// The surrogate keys this request names.
    pub fn surrogate_keys(&self) -> Result<Vec<String>, Failure> {
        if let Some(keys) = &self.surrogate_keys {
            if self.shop.is_some() || self.product_ids.is_some() {
                return Err(Failure::invalid_body(
                    "name either surrogate_keys or shop (with optional product_ids), not both",
                ));
            }
            if keys.is_empty() || keys.len() > MAX_KEYS {
                return Err(Failure::invalid_body(format!(
                    "surrogate_keys must list 1 to {MAX_KEYS} keys, got {}",
                    keys.len()
                )));
            }
            if let Some(bad) = keys
                .iter()
                .find(|key| key.is_empty() || key.len() > 300 || key.contains(char::is_whitespace))
            {
                return Err(Failure::invalid_body(format!(
                    "surrogate key {bad:?} is empty, longer than 300 bytes or contains whitespace"
                )));
            }
            return Ok(keys.clone());
        }

        let Some(shop) = self
            .shop
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        else {
            return Err(Failure::invalid_body(
                "the body must name \"shop\", \"shop\" with \"product_ids\", or \"surrogate_keys\", \
                 such as {\"shop\": \"example.myshopify.com\"}",
            ));
        };
        let shop = shop.to_ascii_lowercase();
        match &self.product_ids {
            None => Ok(vec![shop_tag(&shop)]),
            Some(ids) if ids.is_empty() || ids.len() > MAX_KEYS => {
                Err(Failure::invalid_body(format!(
                    "product_ids must list 1 to {MAX_KEYS} ids, got {}",
                    ids.len()
                )))
            }
            Some(ids) => ids
                .iter()
                .map(|raw| {
                    ProductId::parse(raw)
                        .map(|id| product_tag(&shop, &id))
                        .map_err(|error| {
                            Failure::invalid_parameter("product_ids", error.to_string())
                        })
                })
                .collect(),
        }
    }
}

async fn purge(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let Some(token) = state.purge_token.as_deref() else {
        return Err(Failure::not_found(uri.path()));
    };
    if !authorized(&headers, token) {
        tracing::warn!("purge rejected: missing or wrong bearer token");
        return Err(Failure::unauthorized());
    }

    let body = body.map_err(|rejection| {
        Failure::invalid_body(format!(
            "the purge body could not be read ({}); send at most 2 MB of JSON",
            rejection.body_text()
        ))
    })?;
    let request: PurgeRequest = serde_json::from_slice(&body).map_err(|error| {
        Failure::invalid_body(format!(
            "the purge body is not valid JSON of the expected shape: {error}"
        ))
    })?;
    let keys = request.surrogate_keys()?;
    state.responses.purge(&keys).await?;
    tracing::info!(?keys, "purged");
    Ok(Json(json!({ "purged": keys })).into_response())
}

/// Whether `Authorization: Bearer …` carries `token`. Both sides are
/// hashed first, so the comparison takes the same time whatever the
/// length or content of the offered token.
fn authorized(headers: &HeaderMap, token: &str) -> bool {
    let offered = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map_or("", |(_, token)| token.trim());
    let offered = Sha256::digest(offered.as_bytes());
    let expected = Sha256::digest(token.as_bytes());
    let difference = offered
        .iter()
        .zip(expected.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    difference == 0 && !token.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn bearer(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn token_must_match_exactly() {
        assert!(authorized(&bearer("Bearer s3cret"), "s3cret"));
        assert!(authorized(&bearer("bearer s3cret"), "s3cret"));
        assert!(!authorized(&bearer("Bearer s3cre"), "s3cret"));
        assert!(!authorized(&bearer("s3cret"), "s3cret"));
        assert!(!authorized(&HeaderMap::new(), "s3cret"));
    }

    #[test]
    fn product_purge_names_product_keys() {
        let request: PurgeRequest = serde_json::from_str(
            r#"{"shop": "Demo.myshopify.com", "product_ids": ["1", "gid://shopify/Product/2"]}"#,
        )
        .expect("valid body");
        assert_eq!(
            request.surrogate_keys().expect("valid"),
            [
                "product-demo.myshopify.com-1",
                "product-demo.myshopify.com-2"
            ]
        );
    }

    #[test]
    fn shop_purge_names_the_shop_key() {
        let request: PurgeRequest =
            serde_json::from_str(r#"{"shop": "demo.myshopify.com"}"#).expect("valid body");
        assert_eq!(
            request.surrogate_keys().expect("valid"),
            ["shop-demo.myshopify.com"]
        );
    }

    #[test]
    fn bad_purge_bodies_are_rejected() {
        for body in [
            r#"{}"#,
            r#"{"shop": "a", "product_ids": ["x"]}"#,
            r#"{"shop": "a", "product_ids": []}"#,
            r#"{"surrogate_keys": []}"#,
            r#"{"surrogate_keys": ["a b"]}"#,
            r#"{"surrogate_keys": ["a"], "shop": "b"}"#,
        ] {
            let request: PurgeRequest = serde_json::from_str(body).expect("parses");
            assert!(request.surrogate_keys().is_err(), "{body}");
        }
        assert!(serde_json::from_str::<PurgeRequest>(r#"{"shops": "a"}"#).is_err());
    }
}
