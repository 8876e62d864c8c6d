//! The built front end: `dist/manifest.json` and the content-hashed files
//! beside it, written by `cargo xtask build`. The manifest's files are read
//! into memory at start, with their brotli and gzip twins, and served at
//! `/v1/b/{hash}/{name}` (immutable) and, for the loader, at `/v1/loader.js`
//! and `/widget.min.js` (short-lived, revalidated by ETag). Files of older
//! builds still in `dist/` are read from disk on demand, so a page that holds
//! a loader from a few minutes ago still gets its modules.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::error::Failure;
use crate::http::{Encoding, accepted_encodings, holds_any_representation, representation_etag};

/// Cache-Control of content-hashed files.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache-Control of the loader.
const LOADER_CACHE: &str = "public, max-age=300";
/// Logical name of the loader in the manifest.
const LOADER: &str = "loader.js";

#[derive(Debug, Deserialize)]
struct Manifest {
    assets: HashMap<String, ManifestEntry>,
}

#[derive(Debug, Deserialize)]
struct ManifestEntry {
    path: String,
    hash: String,
}

/// One file with its precompressed twins.
#[derive(Debug, Clone)]
struct Asset {
    hash: String,
    content_type: &'static str,
    identity: Vec<u8>,
    brotli: Option<Vec<u8>>,
    gzip: Option<Vec<u8>>,
}

impl Asset {
    fn body(&self, encoding: Encoding) -> Option<&[u8]> {
        match encoding {
            Encoding::Brotli => self.brotli.as_deref(),
            Encoding::Gzip => self.gzip.as_deref(),
            Encoding::Identity => Some(&self.identity),
        }
    }
}

/// The bundles, or why there are none.
#[derive(Debug)]
pub struct Bundles {
    dist: PathBuf,
    state: Result<Loaded, String>,
}

#[derive(Debug)]
struct Loaded {
    loader: Asset,
    /// By `(hash, name)`.
    assets: HashMap<(String, String), Asset>,
}

impl Bundles {
    /// Reads `dist/manifest.json` and its files. A missing or broken build is
    /// not fatal: it is logged and reported by [`Bundles::missing_reason`].
    pub fn load(dist: &Path) -> Bundles {
        let state = load_manifest(dist);
        if let Err(reason) = &state {
            tracing::warn!(dist = %dist.display(), "{reason}");
        }
        Bundles {
            dist: dist.to_owned(),
            state,
        }
    }

    /// The dist dir.
    pub fn dist(&self) -> &Path {
        &self.dist
    }

    /// Why the bundles are not available, or `None` when they are.
    pub fn missing_reason(&self) -> Option<&str> {
        self.state.as_ref().err().map(String::as_str)
    }

    /// Number of files in the manifest.
    pub fn len(&self) -> usize {
        self.state.as_ref().map_or(0, |loaded| loaded.assets.len())
    }

    /// Whether no files are loaded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn load_manifest(dist: &Path) -> Result<Loaded, String> {
    let manifest_path = dist.join("manifest.json");
    let text = std::fs::read_to_string(&manifest_path).map_err(|error| {
        format!(
            "no bundles: cannot read {} ({error}); run `cargo xtask build` and restart starling",
            manifest_path.display()
        )
    })?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|error| {
        format!(
            "no bundles: {} is not a valid manifest ({error}); run `cargo xtask build` again",
            manifest_path.display()
        )
    })?;

    let mut assets = HashMap::new();
    for (name, entry) in &manifest.assets {
        let file = dist.join(&entry.path);
        let asset = read_asset(&file, name, &entry.hash).ok_or_else(|| {
            format!(
                "no bundles: {} names {}, which cannot be read; run `cargo xtask build` again",
                manifest_path.display(),
                file.display()
            )
        })?;
        let actual = short_hash(&asset.identity);
        if actual != entry.hash {
            tracing::warn!(
                file = %file.display(),
                manifest = entry.hash,
                actual,
                "bundle file does not match its manifest hash; was dist/ edited by hand?"
            );
        }
        assets.insert((entry.hash.clone(), name.clone()), asset);
    }
    let loader = assets
        .iter()
        .find(|((_, name), _)| name == LOADER)
        .map(|(_, asset)| asset.clone())
        .ok_or_else(|| {
            format!(
                "no bundles: {} has no {LOADER}; run `cargo xtask build` again",
                manifest_path.display()
            )
        })?;
    Ok(Loaded { loader, assets })
}

fn read_asset(file: &Path, name: &str, hash: &str) -> Option<Asset> {
    let identity = std::fs::read(file).ok()?;
    let twin = |suffix: &str| {
        let mut path = file.as_os_str().to_owned();
        path.push(suffix);
        std::fs::read(PathBuf::from(path)).ok()
    };
    Some(Asset {
        hash: hash.to_owned(),
        content_type: content_type(name),
        brotli: twin(".br"),
        gzip: twin(".gz"),
        identity,
    })
}

/// First 16 hex digits of the SHA-256, as the build names files.
fn short_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("map") => "application/json",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// Routes for the loader and the hashed files.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/loader.js", get(loader))
        .route("/widget.min.js", get(loader))
        .route("/v1/b/{hash}/{name}", get(bundle_file))
}

async fn loader(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match &state.bundles.state {
        Ok(loaded) => serve(&loaded.loader, &headers, LOADER_CACHE),
        // The reason names the server's dist path, which is logged at start
        // and shown on /readyz; visitors get the fix without the path.
        Err(_) => Failure::bundles_unavailable(
            "the bundles are not built on this server; run `cargo xtask build` and restart starling",
        )
        .into_response(),
    }
}

async fn bundle_file(
    State(state): State<AppState>,
    UrlPath((hash, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/v1/b/{hash}/{name}");
    let not_found = || Failure::not_found(&path).into_response();
    if !is_hash(&hash) || !is_file_name(&name) {
        return not_found();
    }
    if let Ok(loaded) = &state.bundles.state
        && let Some(asset) = loaded.assets.get(&(hash.clone(), name.clone()))
    {
        return serve(asset, &headers, IMMUTABLE);
    }

    let file = state.bundles.dist.join(&hash).join(&name);
    let older = tokio::task::spawn_blocking(move || read_asset(&file, &name, &hash)).await;
    match older {
        Ok(Some(asset)) => serve(&asset, &headers, IMMUTABLE),
        Ok(None) => not_found(),
        Err(error) => Failure::source_unavailable(format!("reading a bundle file failed: {error}"))
            .into_response(),
    }
}

/// 16 lower-case hex digits.
fn is_hash(value: &str) -> bool {
    value.len() == 16
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A plain file name: letters, digits, `.`, `_` and `-`, not starting with a
/// dot, so it never leaves its folder.
fn is_file_name(value: &str) -> bool {
    !value.is_empty()
        && !value.starts_with('.')
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn serve(asset: &Asset, request: &HeaderMap, cache_control: &'static str) -> Response {
    let (encoding, bytes) = accepted_encodings(request)
        .into_iter()
        .find_map(|encoding| asset.body(encoding).map(|bytes| (encoding, bytes)))
        .unwrap_or((Encoding::Identity, &asset.identity));
    let etag = representation_etag(&asset.hash, encoding);

    let mut response = if holds_any_representation(request, &asset.hash) {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
    } else {
        let mut response = Response::new(Body::from(bytes.to_vec()));
        if let Some(token) = encoding.token() {
            response
                .headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static(token));
        }
        response
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_cannot_leave_their_folder() {
        assert!(is_file_name("core.wasm"));
        assert!(!is_file_name(".."));
        assert!(!is_file_name("../x"));
        assert!(!is_file_name("a/b"));
        assert!(!is_file_name(""));
    }

    #[test]
    fn hashes_are_sixteen_lower_hex_digits() {
        assert!(is_hash("0123456789abcdef"));
        assert!(!is_hash("0123456789ABCDEF"));
        assert!(!is_hash("0123"));
    }

    #[test]
    fn missing_dist_names_the_path_and_the_build_command() {
        let bundles = Bundles::load(Path::new("/nonexistent/dist"));
        let reason = bundles.missing_reason().expect("missing");
        assert!(
            reason.contains("/nonexistent/dist/manifest.json"),
            "{reason}"
        );
        assert!(reason.contains("cargo xtask build"), "{reason}");
    }
}
