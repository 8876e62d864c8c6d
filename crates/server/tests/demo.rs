//! The demo storefront pages: the placeholders and embed forms the widgets
//! are tested against.

#![allow(clippy::unwrap_used)]

mod common;

use common::{app, get, seeded_store};

const LOADER_TAG: &str = r#"<script async src="/v1/loader.js" data-shop="demo.myshopify.com" data-key="pubkey-demo"></script>"#;
const WIDGET_MIN: &str = r#"<script src="/widget.min.js?shop=demo.myshopify.com"></script>"#;

async fn page(uri: &str) -> String {
    let (_dir, store) = seeded_store();
    let reply = get(&app(&store), uri).await;
    assert_eq!(reply.status, 200, "{uri}");
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = reply.text();
    assert!(
        !html.contains("jQuery") && !html.contains("window.$"),
        "{uri}"
    );
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "{uri}: another host"
    );
    assert!(!html.contains("<Bear>"), "{uri}: unescaped title");
    html
}

#[tokio::test]
async fn index_links_every_page() {
    let html = page("/demo/").await;
    for link in [
        "/demo/collection",
        "/demo/product/7000000000001",
        "/demo/double",
        "/demo/ajax",
        "/demo/ids",
        "/demo/embed/widget-min",
        "/demo/embed/script-widget",
        "/demo/embed/init-early",
    ] {
        assert!(html.contains(&format!("href=\"{link}\"")), "{link}");
    }
}

#[tokio::test]
async fn collection_has_48_badges_and_one_loader_tag() {
    let html = page("/demo/collection").await;
    assert_eq!(
        html.matches("class=\"stamped-product-reviews-badge\"")
            .count(),
        48
    );
    assert_eq!(html.matches("<script").count(), 1);
    assert_eq!(html.matches(LOADER_TAG).count(), 1);
    assert!(html.contains(
        r#"<span class="stamped-product-reviews-badge" data-id="7000000000001" data-product-sku="linen-shirt" data-product-title="Linen Shirt""#
    ));
    assert!(html.contains("data-id=\"7000000000048\""));
    assert!(!html.contains("data-id=\"7000000000049\""));
    assert!(html.contains("Teddy &lt;Bear&gt; &amp; Friends Plush"));
    assert!(html.contains("data-product-title=\"Tea Sampler &quot;Five Mornings&quot;\""));
}

#[tokio::test]
async fn double_page_loads_three_ways() {
    let html = page("/demo/double").await;
    assert_eq!(html.matches(LOADER_TAG).count(), 2);
    assert_eq!(html.matches(WIDGET_MIN).count(), 1);
    assert!(html.contains(
        "window.addEventListener('load', () => StampedFn.init({apiKey: 'pubkey-demo', storeUrl: 'demo.myshopify.com'}))"
    ));
    assert_eq!(
        html.matches("class=\"stamped-product-reviews-badge\"")
            .count(),
        48
    );
}

#[tokio::test]
async fn ajax_page_carries_products_49_to_72() {
    let html = page("/demo/ajax").await;
    assert_eq!(html.matches(LOADER_TAG).count(), 1);
    assert_eq!(
        html.matches("class=\"stamped-product-reviews-badge\"")
            .count(),
        48
    );
    let start = html
        .find("<script type=\"application/json\" id=\"more-products\">")
        .unwrap();
    let json_start = html[start..].find('>').unwrap() + start + 1;
    let json_end = html[json_start..].find("</script>").unwrap() + json_start;
    let products: Vec<serde_json::Value> =
        serde_json::from_str(&html[json_start..json_end]).unwrap();
    let ids: Vec<&str> = products.iter().map(|p| p["id"].as_str().unwrap()).collect();
    let expected: Vec<String> = (49..=72)
        .map(|n| (7_000_000_000_000_u64 + n).to_string())
        .collect();
    assert_eq!(ids, expected);
    assert!(html.contains("setTimeout"));
    assert!(html.contains("'stamped-product-reviews-badge'"));
}

#[tokio::test]
async fn product_page_has_the_main_badge_and_widget() {
    let html = page("/demo/product/7000000000032").await;
    assert!(html.contains(
        r#"<span class="stamped-product-reviews-badge stamped-main-badge" data-id="7000000000032" data-product-sku="teddy-bear-friends-plush" data-product-title="Teddy &lt;Bear&gt; &amp; Friends Plush""#
    ));
    assert!(html.contains(r#"<div id="stamped-main-widget" class="stamped-main-widget" data-widget-style="standard" data-product-id="7000000000032" data-name="Teddy &lt;Bear&gt; &amp; Friends Plush" data-url="/demo/product/7000000000032" data-image-url="/demo/photos/product-7000000000032.svg""#));
    assert!(html.contains("data-product-sku=\"teddy-bear-friends-plush\""));
    assert_eq!(html.matches(LOADER_TAG).count(), 1);
    assert_eq!(html.matches("id=\"stamped-main-widget\"").count(), 1);

    let (_dir, store) = seeded_store();
    let app = app(&store);
    for missing in ["/demo/product/7999999999999", "/demo/product/abc"] {
        let reply = get(&app, missing).await;
        assert_eq!(reply.status, 404, "{missing}");
        assert!(reply.text().contains("Not found"));
    }
}

#[tokio::test]
async fn id_forms_page_has_the_three_forms() {
    let html = page("/demo/ids").await;
    for id in [
        "gid://shopify/Product/7000000000003",
        "shopify-7000000000004",
        "{{ product.id }}",
    ] {
        assert!(
            html.contains(&format!(
                "class=\"stamped-product-reviews-badge\" data-id=\"{id}\""
            )),
            "{id}"
        );
    }
    assert_eq!(html.matches(LOADER_TAG).count(), 1);
}

#[tokio::test]
async fn embed_pages_use_only_their_form() {
    let widget_min = page("/demo/embed/widget-min").await;
    assert_eq!(widget_min.matches("<script").count(), 1);
    assert!(widget_min.contains(WIDGET_MIN));

    let script_widget = page("/demo/embed/script-widget").await;
    assert_eq!(script_widget.matches("<script").count(), 2);
    let shopify = script_widget
        .find("window.Shopify = {shop: \"demo.myshopify.com\"}")
        .unwrap();
    let tag = script_widget
        .find(r#"<script id="stamped-script-widget" data-api-key="pubkey-demo" src="/widget.min.js"></script>"#)
        .unwrap();
    assert!(shopify < tag, "Shopify.shop is set before the tag");

    let early = page("/demo/embed/init-early").await;
    let stub = early
        .find(r#"window.StampedFn=window.StampedFn||{q:[],init:function(){StampedFn.q.push(["init",[].slice.call(arguments)])}};StampedFn.init({storeUrl:"demo.myshopify.com",apiKey:"pubkey-demo"})"#)
        .unwrap();
    let loader = early
        .find(r#"<script async src="/v1/loader.js"></script>"#)
        .unwrap();
    assert!(stub < loader, "init is queued before the loader tag");
    assert_eq!(early.matches("/v1/loader.js").count(), 1);

    for html in [&widget_min, &script_widget, &early] {
        assert!(
            html.matches("class=\"stamped-product-reviews-badge\"")
                .count()
                >= 12
        );
    }
}

#[tokio::test]
async fn photos_and_stylesheet_are_served_locally() {
    let (_dir, store) = seeded_store();
    let app = app(&store);
    for uri in [
        "/demo/photos/product-7000000000001.svg",
        "/demo/photos/review-75-1.svg",
        "/demo/photos/thumb/review-75-1.svg",
    ] {
        let reply = get(&app, uri).await;
        assert_eq!(reply.status, 200, "{uri}");
        assert_eq!(reply.header("content-type"), Some("image/svg+xml"));
        assert!(reply.text().starts_with("<svg"));
    }
    assert_eq!(get(&app, "/demo/photos/../x.svg").await.status, 404);
    assert_eq!(get(&app, "/demo/photos/x.png").await.status, 404);
    let css = get(&app, "/demo/store.css").await;
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert!(!css.text().contains("http"));
    assert_eq!(get(&app, "/").await.status, 303);
}
