//! The v1 read API against a seeded SQLite store, checked against SQL
//! written here rather than the server's own query code.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;

use common::{DEMO, app, assert_error, get, seeded_store, send};
use rusqlite::Connection;
use serde_json::Value;

const BEST_SELLER: &str = "7000000000001";

fn demo_shop_id(conn: &Connection) -> i64 {
    conn.query_row("SELECT id FROM shops WHERE domain = ?1", [DEMO], |row| {
        row.get(0)
    })
    .unwrap()
}

/// Ids of a product's published reviews in the order `order` gives.
fn expected_order(
    conn: &Connection,
    product: &str,
    rating: Option<u8>,
    order: &str,
) -> Vec<String> {
    let sql = format!(
        "SELECT id FROM reviews
          WHERE shop_id = ?1 AND product_id = ?2 AND published = 1
            AND (?3 IS NULL OR rating = ?3)
          ORDER BY {order}"
    );
    let mut statement = conn.prepare(&sql).unwrap();
    statement
        .query_map(
            rusqlite::params![demo_shop_id(conn), product, rating],
            |row| row.get::<_, i64>(0),
        )
        .unwrap()
        .map(|id| format!("r_{}", id.unwrap()))
        .collect()
}

/// Every review id the API lists for a query, page after page.
async fn listed_ids(app: &axum::Router, product: &str, query: &str) -> (Vec<String>, Value) {
    let mut ids = Vec::new();
    let mut page = 1;
    loop {
        let reply = get(
            app,
            &format!("/v1/shops/{DEMO}/products/{product}/reviews?per_page=50&page={page}&{query}"),
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let json = reply.json();
        let reviews = json["reviews"].as_array().unwrap();
        ids.extend(reviews.iter().map(|r| r["id"].as_str().unwrap().to_owned()));
        if page >= json["pages"].as_u64().unwrap() {
            return (ids, json);
        }
        page += 1;
    }
}

#[tokio::test]
async fn badges_equal_an_sql_aggregate() {
    let (_dir, store) = seeded_store();
    let conn = store.connection().unwrap();
    let shop = demo_shop_id(&conn);

    let mut statement = conn
        .prepare(
            "SELECT product_id, COUNT(*), SUM(rating) FROM reviews
              WHERE shop_id = ?1 AND published = 1 GROUP BY product_id",
        )
        .unwrap();
    let mut expected: HashMap<String, (i64, i64, i64)> = HashMap::new();
    for row in statement
        .query_map([shop], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
    {
        let (id, count, sum): (String, i64, i64) = row.unwrap();
        expected.insert(id, (count, sum, 0));
    }
    let mut questions = conn
        .prepare(
            "SELECT product_id, COUNT(*) FROM questions
              WHERE shop_id = ?1 AND published = 1 GROUP BY product_id",
        )
        .unwrap();
    for row in questions
        .query_map([shop], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
    {
        let (id, n): (String, i64) = row.unwrap();
        expected.entry(id).or_default().2 = n;
    }

    let ids: Vec<String> = (1..=72)
        .map(|n| (7_000_000_000_000_u64 + n).to_string())
        .collect();
    let first_48 = ids[..48].join(",");
    let app = app(&store);
    for list in [first_48, ids.join(",") + ",9999999999999"] {
        let reply = get(&app, &format!("/v1/shops/{DEMO}/badges?ids={list}")).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let json = reply.json();
        let badges = json["badges"].as_array().unwrap();
        assert_eq!(badges.len(), list.split(',').count());
        for badge in badges {
            let id = badge["product_id"].as_str().unwrap();
            let (count, sum, questions) = expected.get(id).copied().unwrap_or((0, 0, 0));
            // Half up to hundredths, in integers.
            let hundredths = if count == 0 {
                0
            } else {
                (200 * sum + count) / (2 * count)
            };
            let average = badge["average"].as_f64().unwrap();
            assert_eq!((average * 100.0).round() as i64, hundredths, "{badge}");
            assert_eq!(badge["count"].as_i64().unwrap(), count, "{badge}");
            assert_eq!(badge["questions"].as_i64().unwrap(), questions, "{badge}");
        }
    }
    assert!(
        expected.values().any(|(_, _, q)| *q > 0),
        "some products have questions"
    );
}

#[tokio::test]
async fn badge_ids_accept_every_form_and_come_back_normalised() {
    let (_dir, store) = seeded_store();
    let app = app(&store);
    let reply = get(
        &app,
        &format!(
            "/v1/shops/{DEMO}/badges?ids=gid://shopify/Product/7000000000003,shopify-7000000000004,7000000000003,,7000000000010"
        ),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let ids: Vec<String> = reply.json()["badges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["product_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["7000000000003", "7000000000004", "7000000000010"]);
}

#[tokio::test]
async fn every_sort_and_alias_matches_sql_order() {
    let (_dir, store) = seeded_store();
    let conn = store.connection().unwrap();
    let app = app(&store);
    let cases = [
        ("recent", "created_at DESC, id DESC"),
        ("", "created_at DESC, id DESC"),
        ("highest", "rating DESC, created_at DESC, id DESC"),
        ("highest-rating", "rating DESC, created_at DESC, id DESC"),
        ("lowest", "rating ASC, created_at DESC, id DESC"),
        ("lowest-rating", "rating ASC, created_at DESC, id DESC"),
        (
            "helpful",
            "votes_up - votes_down DESC, created_at DESC, id DESC",
        ),
        (
            "most-votes",
            "votes_up - votes_down DESC, created_at DESC, id DESC",
        ),
        (
            "least-votes",
            "votes_up - votes_down ASC, created_at DESC, id DESC",
        ),
        (
            "least_helpful",
            "votes_up - votes_down ASC, created_at DESC, id DESC",
        ),
        (
            "with_photos",
            "CASE WHEN photo_count > 0 THEN 0 ELSE 1 END, created_at DESC, id DESC",
        ),
        (
            "with-photos",
            "CASE WHEN photo_count > 0 THEN 0 ELSE 1 END, created_at DESC, id DESC",
        ),
    ];
    for (sort, order) in cases {
        let (ids, json) = listed_ids(&app, BEST_SELLER, &format!("sort={sort}")).await;
        let expected = expected_order(&conn, BEST_SELLER, None, order);
        assert!(expected.len() > 200);
        assert_eq!(ids, expected, "sort={sort}");
        assert_eq!(
            json["summary"]["count"].as_u64().unwrap() as usize,
            expected.len()
        );
    }
}

#[tokio::test]
async fn rating_filter_selects_one_star_value_and_keeps_the_summary() {
    let (_dir, store) = seeded_store();
    let conn = store.connection().unwrap();
    let app = app(&store);
    let unfiltered = get(
        &app,
        &format!("/v1/shops/{DEMO}/products/{BEST_SELLER}/reviews"),
    )
    .await
    .json();
    for stars in 1..=5_u8 {
        for (sort, order) in [
            ("recent", "created_at DESC, id DESC"),
            (
                "helpful",
                "votes_up - votes_down DESC, created_at DESC, id DESC",
            ),
        ] {
            let (ids, json) =
                listed_ids(&app, BEST_SELLER, &format!("rating={stars}&sort={sort}")).await;
            let expected = expected_order(&conn, BEST_SELLER, Some(stars), order);
            assert_eq!(ids, expected, "rating={stars} sort={sort}");
            assert_eq!(
                json["summary"], unfiltered["summary"],
                "summary ignores the filter"
            );
            let matching = json["summary"]["histogram"][stars.to_string()]
                .as_u64()
                .unwrap();
            assert_eq!(matching as usize, expected.len());
            assert_eq!(json["pages"].as_u64().unwrap(), matching.div_ceil(50));
        }
    }
}

#[tokio::test]
async fn summary_and_pages_follow_the_published_reviews() {
    let (_dir, store) = seeded_store();
    let conn = store.connection().unwrap();
    let (count, sum): (i64, i64) = conn
        .query_row(
            "SELECT COUNT(*), SUM(rating) FROM reviews
              WHERE product_id = ?1 AND published = 1",
            [BEST_SELLER],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    let app = app(&store);
    let json = get(
        &app,
        &format!("/v1/shops/{DEMO}/products/{BEST_SELLER}/reviews?per_page=7&page=2"),
    )
    .await
    .json();
    assert_eq!(json["product_id"], BEST_SELLER);
    assert_eq!(json["page"], 2);
    assert_eq!(json["per_page"], 7);
    assert_eq!(json["pages"].as_i64().unwrap(), (count + 6) / 7);
    assert_eq!(json["reviews"].as_array().unwrap().len(), 7);
    assert_eq!(json["summary"]["count"].as_i64().unwrap(), count);
    let histogram_total: u64 = (1..=5)
        .map(|s| {
            json["summary"]["histogram"][s.to_string()]
                .as_u64()
                .unwrap()
        })
        .sum();
    assert_eq!(histogram_total as i64, count);
    let hundredths = (200 * sum + count) / (2 * count);
    assert_eq!(
        (json["summary"]["average"].as_f64().unwrap() * 100.0).round() as i64,
        hundredths
    );

    let beyond = get(
        &app,
        &format!("/v1/shops/{DEMO}/products/{BEST_SELLER}/reviews?page=999"),
    )
    .await
    .json();
    assert_eq!(beyond["reviews"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn unknown_product_of_a_known_shop_is_empty_not_an_error() {
    let (_dir, store) = seeded_store();
    let app = app(&store);
    for product in ["7000000000008", "123"] {
        let reply = get(
            &app,
            &format!("/v1/shops/{DEMO}/products/{product}/reviews"),
        )
        .await;
        assert_eq!(reply.status, 200);
        let json = reply.json();
        assert_eq!(json["summary"]["count"], 0);
        assert_eq!(json["summary"]["average"].as_f64(), Some(0.0));
        assert_eq!(json["pages"], 0);
        assert_eq!(json["reviews"], Value::Array(Vec::new()));
    }
}

#[tokio::test]
async fn per_page_fifty_is_accepted_and_fifty_one_is_not() {
    let (_dir, store) = seeded_store();
    let app = app(&store);
    let base = format!("/v1/shops/{DEMO}/products/{BEST_SELLER}/reviews");
    let ok = get(&app, &format!("{base}?per_page=50")).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json()["reviews"].as_array().unwrap().len(), 50);
    let too_many = get(&app, &format!("{base}?per_page=51")).await;
    assert_error(&too_many, 400, "invalid_parameter", Some("per_page"));
    assert_eq!(
        too_many.json()["error"]["message"],
        "per_page must be between 1 and 50, got 51"
    );
}

#[tokio::test]
async fn error_bodies_have_the_documented_shape() {
    let (_dir, store) = seeded_store();
    let app = app(&store);
    let reviews = format!("/v1/shops/{DEMO}/products/{BEST_SELLER}/reviews");

    let reply = get(&app, &format!("{reviews}?per_page=500")).await;
    assert_eq!(
        reply.json(),
        serde_json::json!({"error": {"code": "invalid_parameter", "parameter": "per_page",
            "message": "per_page must be between 1 and 50, got 500"}})
    );

    for (uri, parameter) in [
        (format!("{reviews}?sort=newest"), "sort"),
        (format!("{reviews}?rating=6"), "rating"),
        (format!("{reviews}?rating=four"), "rating"),
        (format!("{reviews}?page=0"), "page"),
        (format!("{reviews}?q=shrink"), "q"),
        ("/v1/shops//badges?ids=1".to_owned(), "shop"),
        (
            format!("/v1/shops/{DEMO}/products/abc/reviews"),
            "product_id",
        ),
        (
            format!("/v1/shops/{DEMO}/products/%7B%7B%20product.id%20%7D%7D/reviews"),
            "product_id",
        ),
        (format!("/v1/shops/{DEMO}/badges?ids=1,abc"), "ids"),
        (format!("/v1/shops/{DEMO}/badges"), "ids"),
    ] {
        assert_error(
            &get(&app, &uri).await,
            400,
            "invalid_parameter",
            Some(parameter),
        );
    }

    let too_many: Vec<String> = (1..=251).map(|n| n.to_string()).collect();
    let reply = get(
        &app,
        &format!("/v1/shops/{DEMO}/badges?ids={}", too_many.join(",")),
    )
    .await;
    assert_error(&reply, 400, "invalid_parameter", Some("ids"));

    for uri in [
        "/v1/shops/nope.myshopify.com/badges?ids=1".to_owned(),
        "/v1/shops/nope.myshopify.com/products/1/reviews".to_owned(),
    ] {
        assert_error(&get(&app, &uri).await, 404, "shop_not_found", None);
    }

    for uri in ["/v1/nothing", "/v1", &format!("/v1/shops/{DEMO}/unknown")] {
        assert_error(&get(&app, uri).await, 404, "not_found", None);
    }
    let reply = send(
        &app,
        "DELETE",
        &format!("/v1/shops/{DEMO}/badges?ids=1"),
        &[],
    )
    .await;
    assert_error(&reply, 405, "method_not_allowed", None);
}

#[tokio::test]
async fn shop_domain_is_matched_case_insensitively() {
    let (_dir, store) = seeded_store();
    let app = app(&store);
    let reply = get(
        &app,
        "/v1/shops/Demo.MyShopify.com/badges?ids=7000000000001",
    )
    .await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn no_email_or_address_appears_in_any_response() {
    let (_dir, store) = seeded_store();
    let conn = store.connection().unwrap();
    let secrets: Vec<(String, String)> = conn
        .prepare("SELECT email, ip_address FROM reviews WHERE product_id = ?1")
        .unwrap()
        .query_map([BEST_SELLER], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        secrets
            .iter()
            .all(|(email, ip)| !email.is_empty() && !ip.is_empty())
    );

    let app = app(&store);
    let mut bodies = Vec::new();
    for sort in ["recent", "helpful", "with_photos"] {
        for page in 1..=5 {
            let uri = format!(
                "/v1/shops/{DEMO}/products/{BEST_SELLER}/reviews?per_page=50&page={page}&sort={sort}"
            );
            bodies.push(get(&app, &uri).await.text());
        }
    }
    bodies.push(
        get(&app, &format!("/v1/shops/{DEMO}/badges?ids={BEST_SELLER}"))
            .await
            .text(),
    );
    for body in &bodies {
        assert!(!body.contains("@example.com"), "an email leaked");
        assert!(!body.contains("203.0.113."), "an address leaked");
        assert!(!body.contains("email") && !body.contains("ip_address"));
    }
}

#[tokio::test]
async fn responses_carry_etag_cache_control_and_cors() {
    let (_dir, store) = seeded_store();
    let app = app(&store);
    let uri = format!("/v1/shops/{DEMO}/badges?ids=7000000000001,7000000000002");
    let first = send(&app, "GET", &uri, &[("origin", "https://shop.example")]).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("content-type"), Some("application/json"));
    assert_eq!(
        first.header("cache-control"),
        Some("public, max-age=30, s-maxage=30, stale-while-revalidate=60, stale-if-error=86400")
    );
    assert_eq!(first.header("vary"), Some("Accept-Encoding"));
    assert_eq!(first.header("x-cache"), Some("miss"));
    assert_eq!(
        first.header("surrogate-key"),
        Some(
            "shop-demo.myshopify.com product-demo.myshopify.com-7000000000001 \
             product-demo.myshopify.com-7000000000002"
        )
    );
    assert_eq!(
        first.header("cache-tag"),
        Some(
            "shop-demo.myshopify.com,product-demo.myshopify.com-7000000000001,\
             product-demo.myshopify.com-7000000000002"
        )
    );
    assert_eq!(first.header("access-control-allow-origin"), Some("*"));
    assert!(first.header("access-control-allow-credentials").is_none());
    let etag = first.header("etag").unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"') && !etag.starts_with("W/"));

    let again = send(&app, "GET", &uri, &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, 304);
    assert_eq!(again.header("x-cache"), Some("hit"));
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));

    let other = send(&app, "GET", &uri, &[("if-none-match", "\"stale\"")]).await;
    assert_eq!(other.status, 200);
    assert_eq!(other.body, first.body, "same query, same body");

    let reviews = get(
        &app,
        &format!("/v1/shops/{DEMO}/products/{BEST_SELLER}/reviews"),
    )
    .await;
    let tag = reviews.header("etag").unwrap().to_owned();
    let cached = send(
        &app,
        "GET",
        &format!("/v1/shops/{DEMO}/products/{BEST_SELLER}/reviews"),
        &[("if-none-match", &tag)],
    )
    .await;
    assert_eq!(cached.status, 304);

    let preflight = send(
        &app,
        "OPTIONS",
        &uri,
        &[
            ("origin", "https://shop.example"),
            ("access-control-request-method", "GET"),
        ],
    )
    .await;
    assert!(preflight.status.is_success(), "{}", preflight.status);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
}

#[tokio::test]
async fn review_fields_follow_the_design_shape() {
    let (_dir, store) = seeded_store();
    let app = app(&store);
    let json = get(
        &app,
        &format!("/v1/shops/{DEMO}/products/{BEST_SELLER}/reviews?per_page=50&sort=with_photos"),
    )
    .await
    .json();
    let review = &json["reviews"][0];
    let mut keys: Vec<&str> = review
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "author",
            "body",
            "created_at",
            "id",
            "location",
            "photos",
            "rating",
            "reply",
            "title",
            "verified",
            "votes"
        ]
    );
    assert!(review["id"].as_str().unwrap().starts_with("r_"));
    assert!(review["created_at"].as_str().unwrap().ends_with('Z'));
    let photo = &review["photos"][0];
    assert!(photo["url"].as_str().unwrap().starts_with("/demo/photos/"));
    assert!(
        photo["thumb_url"]
            .as_str()
            .unwrap()
            .starts_with("/demo/photos/thumb/")
    );
}

#[tokio::test]
async fn json_is_compressed_by_accept_encoding_with_its_own_etag() {
    use std::io::Read;

    let (_dir, store) = seeded_store();
    let app = app(&store);
    let ids: Vec<String> = (1..=48)
        .map(|n| (7_000_000_000_000_u64 + n).to_string())
        .collect();
    let uri = format!("/v1/shops/{DEMO}/badges?ids={}", ids.join(","));
    let plain = get(&app, &uri).await;
    assert!(plain.header("content-encoding").is_none());
    assert_eq!(plain.header("vary"), Some("Accept-Encoding"));
    let plain_tag = plain.header("etag").unwrap().to_owned();

    let br = send(
        &app,
        "GET",
        &uri,
        &[("accept-encoding", "gzip, deflate, br")],
    )
    .await;
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert_eq!(br.header("vary"), Some("Accept-Encoding"));
    let mut decoded = Vec::new();
    brotli::Decompressor::new(br.body.as_slice(), 4096)
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(decoded, plain.body);
    assert!(
        br.body.len() * 3 < plain.body.len(),
        "{} vs {}",
        br.body.len(),
        plain.body.len()
    );
    let br_tag = br.header("etag").unwrap().to_owned();
    assert_eq!(br_tag, format!("\"{}-br\"", plain_tag.trim_matches('"')));

    let gz = send(&app, "GET", &uri, &[("accept-encoding", "gzip")]).await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(gz.body.as_slice())
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(decoded, plain.body);

    // A validator of any coding of the same body gives 304.
    for (accept, tag) in [("br", &plain_tag), ("identity", &br_tag), ("gzip", &br_tag)] {
        let reply = send(
            &app,
            "GET",
            &uri,
            &[("accept-encoding", accept), ("if-none-match", tag)],
        )
        .await;
        assert_eq!(reply.status, 304, "{accept} {tag}");
    }

    // Short bodies are sent as they are.
    let small = send(
        &app,
        "GET",
        &format!("/v1/shops/{DEMO}/badges?ids=7000000000001"),
        &[("accept-encoding", "br")],
    )
    .await;
    assert!(small.header("content-encoding").is_none());
}

#[tokio::test]
async fn id_orders_and_forms_share_one_cache_entry() {
    let (_dir, store) = seeded_store();
    let app = app(&store);
    let canonical = get(
        &app,
        &format!("/v1/shops/{DEMO}/badges?ids=7000000000001,7000000000002"),
    )
    .await;
    assert_eq!(canonical.header("x-cache"), Some("miss"));

    for query in [
        "ids=7000000000002,7000000000001",
        "ids=gid%3A%2F%2Fshopify%2FProduct%2F7000000000002%2C7000000000001",
        "ids=shopify-7000000000001,7000000000002,7000000000001&x=1",
    ] {
        let other = get(&app, &format!("/v1/shops/{DEMO}/badges?{query}")).await;
        assert_eq!(other.status, 200, "{query}");
        assert_eq!(other.header("x-cache"), Some("hit"), "{query}");
        assert_eq!(other.body, canonical.body, "{query}");
    }

    let empty = get(&app, &format!("/v1/shops/{DEMO}/badges?ids=")).await;
    assert_eq!(empty.status, 400);
    assert_eq!(empty.json()["error"]["parameter"], "ids");
}
