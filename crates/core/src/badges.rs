//! Star badge placeholders: finding the ones to fill, building the one
//! batched request, and writing the rendered badges.
//!
//! Each placeholder's progress is kept in its `data-starling` attribute so
//! that a re-scan never requests it twice: `pending` while its request is
//! in flight, `filled` once rendered, `error` after a failed request (its
//! content left as it was), `invalid` when its `data-id` is no product id.

use js_sys::Array;
use starling_model::{Badge, BadgesResponse, MAX_BADGE_IDS, ProductId, Rating};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element};

use crate::page;

/// CSS selector of badge placeholders.
pub const SELECTOR: &str = ".stamped-product-reviews-badge[data-id]";
/// Attribute holding a placeholder's progress.
pub const MARK: &str = "data-starling";

/// Which placeholders a scan takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Only placeholders never seen before (automatic scans).
    New,
    /// Also those whose request failed (explicit calls such as
    /// `StampedFn.loadBadges()`).
    Retry,
    /// Every placeholder with a valid id (after the shop changed).
    All,
}

/// Placeholders found by [`find`].
#[derive(Debug, Default)]
pub struct Found {
    /// Placeholders to fill, with their normalised product ids, in page
    /// order; now marked `pending`.
    pub badges: Vec<(ProductId, Element)>,
    /// The first `data-id` that is not a product id (an unrendered Liquid
    /// expression, usually); such placeholders are marked `invalid`.
    pub invalid: Option<String>,
}

/// Finds the placeholders `mode` takes under `document`, marks them
/// `pending` (or `invalid`) and returns them.
pub fn find(document: &Document, mode: Mode) -> Found {
    let mut found = Found::default();
    let Ok(list) = document.query_selector_all(SELECTOR) else {
        return found;
    };
    for index in 0..list.length() {
        let Some(element) = list
            .item(index)
            .and_then(|node| node.dyn_into::<Element>().ok())
        else {
            continue;
        };
        let wanted = match element.get_attribute(MARK).as_deref() {
            None => true,
            Some("error") => mode != Mode::New,
            Some("filled") => mode == Mode::All,
            Some(_) => false,
        };
        if !wanted {
            continue;
        }
        let raw = element.get_attribute("data-id").unwrap_or_default();
        match ProductId::parse(&raw) {
            Ok(id) => {
                let _ = element.set_attribute(MARK, "pending");
                found.badges.push((id, element));
            }
            Err(_) => {
                let _ = element.set_attribute(MARK, "invalid");
                found.invalid.get_or_insert(raw);
            }
        }
    }
    found
}

/// Renders `data` into every placeholder of its product and marks it
/// `filled`; returns how many were filled. Placeholders without data keep
/// their content and are marked `error`.
pub fn fill(badges: &[(ProductId, Element)], data: &[Badge]) -> usize {
    let mut filled = 0;
    for (id, element) in badges {
        match data.iter().find(|badge| &badge.product_id == id) {
            Some(badge) => {
                let html = if element.get_attribute("data-type").as_deref() == Some("qna") {
                    starling_render::qna_badge(badge)
                } else {
                    starling_render::badge(badge)
                };
                element.set_inner_html(&html);
                let _ = element.set_attribute(MARK, "filled");
                filled += 1;
            }
            None => mark_failed(std::slice::from_ref(&(id.clone(), element.clone()))),
        }
    }
    filled
}

/// Marks placeholders whose request failed, leaving their content alone.
pub fn mark_failed(badges: &[(ProductId, Element)]) {
    for (_, element) in badges {
        let _ = element.set_attribute(MARK, "error");
    }
}

/// Distinct ids of `badges` in ascending numeric order, split into
/// requests of at most [`MAX_BADGE_IDS`] ids. Sorted ids make the same
/// set of products one URL whatever the page order, which is the form
/// the server and CDNs cache without normalizing.
pub fn id_batches(badges: &[(ProductId, Element)]) -> Vec<Vec<ProductId>> {
    // Insertion into a sorted list: a page has at most a few hundred
    // badges, and the standard sort costs about 2.5 KB of wasm.
    let mut distinct: Vec<ProductId> = Vec::new();
    for (id, _) in badges {
        let mut index = 0;
        while index < distinct.len() && precedes(&distinct[index], id) {
            index += 1;
        }
        if distinct.get(index) != Some(id) {
            distinct.insert(index, id.clone());
        }
    }
    distinct
        .chunks(MAX_BADGE_IDS)
        .map(<[ProductId]>::to_vec)
        .collect()
}

/// Whether id `a` is numerically smaller than `b`: ids are digits without
/// signs, so a shorter one is smaller.
fn precedes(a: &ProductId, b: &ProductId) -> bool {
    let (a, b) = (a.as_str(), b.as_str());
    a.len() < b.len() || (a.len() == b.len() && a < b)
}

/// `{base}/v1/shops/{shop}/badges?ids=1,2,3`; `shop` is a host name
/// (see [`crate::page::shop_domain`]) and needs no encoding.
pub fn url(base: &str, shop: &str, ids: &[ProductId]) -> String {
    let mut url = String::with_capacity(base.len() + shop.len() + 32 + 16 * ids.len());
    url.push_str(base);
    url.push_str("/v1/shops/");
    url.push_str(shop);
    url.push_str("/badges?ids=");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            url.push(',');
        }
        url.push_str(id.as_str());
    }
    url
}

/// Reads a badges response. Decoded by hand rather than through serde:
/// serde's error messages would bring float formatting into the wasm.
pub fn decode(body: &JsValue) -> Option<BadgesResponse> {
    let list = page::get(body, "badges").dyn_into::<Array>().ok()?;
    let badges = list
        .iter()
        .map(|item| {
            let number = |name| page::get(&item, name).as_f64();
            Some(Badge {
                product_id: ProductId::parse(&page::get(&item, "product_id").as_string()?).ok()?,
                average: Rating::from_f64(number("average")?),
                count: number("count")? as u32,
                questions: number("questions").unwrap_or(0.0) as u32,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(BadgesResponse { badges })
}
