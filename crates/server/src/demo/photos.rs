//! Images for the demo shop, drawn as SVG from the file name so nothing is
//! downloaded or stored: `product-{id}.svg` for product pictures,
//! `review-{n}-{k}.svg` for review photos and `thumb/…` for their
//! thumbnails. The same name always gives the same picture.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `GET /demo/photos/{*file}`.
pub async fn photo(Path(file): Path<String>) -> Response {
    let (thumb, name) = match file.strip_prefix("thumb/") {
        Some(name) => (true, name),
        None => (false, file.as_str()),
    };
    let Some(stem) = name.strip_suffix(".svg").filter(|stem| is_plain(stem)) else {
        return (StatusCode::NOT_FOUND, "no such demo photo\n").into_response();
    };
    let svg = if stem.starts_with("product-") {
        product_svg(stem)
    } else {
        photo_svg(stem, if thumb { 160 } else { 800 })
    };
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
        ],
        svg,
    )
        .into_response()
}

fn is_plain(stem: &str) -> bool {
    !stem.is_empty()
        && stem.len() <= 64
        && stem
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// FNV-1a with a final mix, so a name always maps to the same colours and
/// neighbouring names to different ones.
fn hash(text: &str) -> u64 {
    let h = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let h = (h ^ (h >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// A soft product shot: a pastel backdrop, a floor shadow and one object.
fn product_svg(stem: &str) -> String {
    let h = hash(stem);
    let hue = h % 360;
    let accent = (hue + 150 + (h >> 9) % 60) % 360;
    let shape = match (h >> 17) % 4 {
        0 => format!(r#"<circle cx="300" cy="280" r="150" fill="hsl({accent},45%,55%)"/>"#),
        1 => format!(
            r#"<rect x="170" y="140" width="260" height="290" rx="36" fill="hsl({accent},45%,55%)"/>"#
        ),
        2 => format!(r#"<path d="M300 110 L450 420 L150 420 Z" fill="hsl({accent},45%,55%)"/>"#),
        _ => format!(
            r#"<rect x="150" y="200" width="300" height="200" rx="100" fill="hsl({accent},45%,55%)"/><circle cx="300" cy="180" r="70" fill="hsl({accent},40%,65%)"/>"#
        ),
    };
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="600" height="600" viewBox="0 0 600 600"><defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="hsl({hue},40%,94%)"/><stop offset="1" stop-color="hsl({hue},35%,84%)"/></linearGradient></defs><rect width="600" height="600" fill="url(#g)"/><ellipse cx="300" cy="470" rx="190" ry="26" fill="hsl({hue},25%,70%)" opacity=".6"/>{shape}</svg>"#
    )
}

/// A customer photo: sky, sun and two hills in colours from the name.
fn photo_svg(stem: &str, size: u32) -> String {
    let h = hash(stem);
    let sky = h % 360;
    let land = (sky + 90 + (h >> 11) % 90) % 360;
    let sun_x = 80 + (h >> 23) % 240;
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 400 400"><rect width="400" height="400" fill="hsl({sky},55%,80%)"/><circle cx="{sun_x}" cy="110" r="46" fill="hsl(45,90%,70%)"/><path d="M0 290 Q100 200 210 280 T400 250 V400 H0Z" fill="hsl({land},35%,50%)"/><path d="M0 330 Q140 280 260 330 T400 320 V400 H0Z" fill="hsl({land},40%,38%)"/></svg>"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_outside_the_pattern_are_refused() {
        assert!(is_plain("review-12-1"));
        assert!(!is_plain("../etc"));
        assert!(!is_plain("A"));
        assert!(!is_plain(""));
    }

    #[test]
    fn pictures_are_stable_per_name() {
        assert_eq!(product_svg("product-1"), product_svg("product-1"));
        assert_ne!(photo_svg("review-1-1", 800), photo_svg("review-2-1", 800));
    }
}
