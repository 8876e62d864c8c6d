//! Serving `dist/`: the loader, hashed files, content coding, caching, and
//! a missing build.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{app, app_with_dist, assert_error, get, seeded_store, send};
use sha2::{Digest, Sha256};

fn short_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes a dist dir the way `cargo xtask build` does, with fake
/// compressed twins whose contents say which one was sent.
fn write_dist(dist: &Path) -> (String, String) {
    let files: [(&str, &[u8]); 3] = [
        (
            "loader.js",
            b"(function(){window.__starling||(window.__starling={v:1})})();",
        ),
        ("core.wasm", b"\0asm\x01\0\0\0"),
        ("widget.css", b".stamped-badge{display:inline-block}"),
    ];
    let mut assets = serde_json::Map::new();
    let mut hashes = Vec::new();
    for (name, bytes) in files {
        let hash = short_hash(bytes);
        let dir = dist.join(&hash);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
        std::fs::write(dir.join(format!("{name}.br")), b"BROTLI").unwrap();
        if name != "core.wasm" {
            std::fs::write(dir.join(format!("{name}.gz")), b"GZIP").unwrap();
        }
        assets.insert(
            name.to_owned(),
            serde_json::json!({"path": format!("{hash}/{name}"), "hash": hash,
                               "bytes": bytes.len(), "gzip": 4, "br": 6}),
        );
        hashes.push(hash);
    }
    std::fs::write(
        dist.join("manifest.json"),
        serde_json::json!({"assets": assets}).to_string(),
    )
    .unwrap();
    (hashes[0].clone(), hashes[1].clone())
}

#[tokio::test]
async fn loader_is_served_short_lived_with_etag_and_coding() {
    let (dir, store) = seeded_store();
    let dist = dir.path().join("dist");
    let (loader_hash, _) = write_dist(&dist);
    let app = app_with_dist(&store, &dist);

    for path in ["/v1/loader.js", "/widget.min.js?shop=demo.myshopify.com"] {
        let plain = get(&app, path).await;
        assert_eq!(plain.status, 200, "{path}");
        assert!(plain.text().starts_with("(function(){"));
        assert_eq!(
            plain.header("content-type"),
            Some("text/javascript; charset=utf-8")
        );
        assert_eq!(plain.header("cache-control"), Some("public, max-age=300"));
        assert_eq!(
            plain.header("etag"),
            Some(format!("\"{loader_hash}\"").as_str())
        );
        assert_eq!(plain.header("vary"), Some("Accept-Encoding"));
        assert!(plain.header("content-encoding").is_none());

        let br = send(
            &app,
            "GET",
            path,
            &[("accept-encoding", "gzip, deflate, br")],
        )
        .await;
        assert_eq!(br.text(), "BROTLI");
        assert_eq!(br.header("content-encoding"), Some("br"));
        let br_etag = format!("\"{loader_hash}-br\"");
        assert_eq!(br.header("etag"), Some(br_etag.as_str()));

        let gz = send(&app, "GET", path, &[("accept-encoding", "gzip")]).await;
        assert_eq!(gz.text(), "GZIP");
        assert_eq!(gz.header("content-encoding"), Some("gzip"));
        let gz_etag = format!("\"{loader_hash}-gz\"");
        assert_eq!(gz.header("etag"), Some(gz_etag.as_str()));
        let held = send(&app, "GET", path, &[("if-none-match", &gz_etag)]).await;
        assert_eq!(held.status, 304);

        let etag = format!("\"{loader_hash}\"");
        let cached = send(&app, "GET", path, &[("if-none-match", &etag)]).await;
        assert_eq!(cached.status, 304);
        assert!(cached.body.is_empty());
    }

    let ready = get(&app, "/readyz").await;
    assert_eq!(ready.status, 200, "{}", ready.text());
}

#[tokio::test]
async fn hashed_files_are_immutable_and_typed() {
    let (dir, store) = seeded_store();
    let dist = dir.path().join("dist");
    let (_, wasm_hash) = write_dist(&dist);
    let app = app_with_dist(&store, &dist);

    let uri = format!("/v1/b/{wasm_hash}/core.wasm");
    let plain = send(&app, "GET", &uri, &[("origin", "https://shop.example")]).await;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.body, b"\0asm\x01\0\0\0");
    assert_eq!(plain.header("content-type"), Some("application/wasm"));
    assert_eq!(
        plain.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(plain.header("vary"), Some("Accept-Encoding"));
    assert_eq!(plain.header("access-control-allow-origin"), Some("*"));

    // No gzip twin for core.wasm: gzip-only clients get the plain file.
    let gz = send(&app, "GET", &uri, &[("accept-encoding", "gzip")]).await;
    assert!(gz.header("content-encoding").is_none());
    assert_eq!(gz.body, b"\0asm\x01\0\0\0");
    let br = send(
        &app,
        "GET",
        &uri,
        &[("accept-encoding", "br;q=1, gzip;q=0.5")],
    )
    .await;
    assert_eq!(br.header("content-encoding"), Some("br"));

    let css_hash = short_hash(b".stamped-badge{display:inline-block}");
    let css = get(&app, &format!("/v1/b/{css_hash}/widget.css")).await;
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));

    for missing in [
        format!("/v1/b/{wasm_hash}/other.wasm"),
        "/v1/b/0000000000000000/core.wasm".to_owned(),
        format!("/v1/b/{wasm_hash}/..%2Fmanifest.json"),
        "/v1/b/not-a-hash/core.wasm".to_owned(),
    ] {
        assert_error(&get(&app, &missing).await, 404, "not_found", None);
    }
}

#[tokio::test]
async fn files_of_an_older_build_are_still_served() {
    let (dir, store) = seeded_store();
    let dist = dir.path().join("dist");
    write_dist(&dist);
    let old = b"old core";
    let old_hash = short_hash(old);
    std::fs::create_dir_all(dist.join(&old_hash)).unwrap();
    std::fs::write(dist.join(&old_hash).join("core.js"), old).unwrap();
    let app = app_with_dist(&store, &dist);
    let reply = get(&app, &format!("/v1/b/{old_hash}/core.js")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, old);
    assert_eq!(
        reply.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
}

#[tokio::test]
async fn missing_build_gives_503_naming_the_fix() {
    let (_dir, store) = seeded_store();
    let app = app(&store);
    for path in ["/v1/loader.js", "/widget.min.js"] {
        let reply = get(&app, path).await;
        assert_error(&reply, 503, "bundles_unavailable", None);
        let message = reply.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            !message.contains("/nonexistent/starling-dist"),
            "a public response shows the server's dist path: {message}"
        );
        assert!(message.contains("cargo xtask build"), "{message}");
    }
    let ready = get(&app, "/readyz").await;
    assert_eq!(ready.status, 503);
    assert!(
        ready
            .text()
            .contains("/nonexistent/starling-dist/manifest.json"),
        "{}",
        ready.text()
    );
    assert!(
        ready.text().contains("cargo xtask build"),
        "{}",
        ready.text()
    );
    assert_eq!(get(&app, "/healthz").await.status, 200);
    // The API works without bundles.
    let badges = get(
        &app,
        "/v1/shops/demo.myshopify.com/badges?ids=7000000000001",
    )
    .await;
    assert_eq!(badges.status, 200);
}
