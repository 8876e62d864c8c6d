//! Reads a reviews response from the parsed JSON value, by hand: serde's
//! error paths would bring float formatting and its tables (over 20 KB)
//! into the wasm.

use js_sys::Array;
use starling_model::{
    Histogram, Photo, ProductId, Rating, Reply, Review, ReviewsResponse, Summary, Votes,
};
use wasm_bindgen::{JsCast, JsValue};

use crate::page::get;

/// `ReviewsResponse` from the body of `GET …/products/{id}/reviews`;
/// `None` when a required field is missing or of another type. Optional
/// texts default to empty.
pub fn reviews_response(body: &JsValue) -> Option<ReviewsResponse> {
    let summary = get(body, "summary");
    let histogram = get(&summary, "histogram");
    let reviews = get(body, "reviews")
        .dyn_into::<Array>()
        .ok()?
        .iter()
        .map(|item| review(&item))
        .collect::<Option<Vec<_>>>()?;
    Some(ReviewsResponse {
        product_id: ProductId::parse(&get(body, "product_id").as_string()?).ok()?,
        summary: Summary {
            average: Rating::from_f64(number(&summary, "average")?),
            count: count(&summary, "count")?,
            histogram: Histogram {
                five: count(&histogram, "5").unwrap_or(0),
                four: count(&histogram, "4").unwrap_or(0),
                three: count(&histogram, "3").unwrap_or(0),
                two: count(&histogram, "2").unwrap_or(0),
                one: count(&histogram, "1").unwrap_or(0),
            },
        },
        page: count(body, "page")?,
        per_page: count(body, "per_page")?,
        pages: count(body, "pages")?,
        reviews,
    })
}

fn review(item: &JsValue) -> Option<Review> {
    let reply = get(item, "reply");
    let votes = get(item, "votes");
    let photos = get(item, "photos")
        .dyn_into::<Array>()
        .map(|list| {
            list.iter()
                .filter_map(|photo| {
                    Some(Photo {
                        url: get(&photo, "url").as_string()?,
                        thumb_url: get(&photo, "thumb_url").as_string()?,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Review {
        id: get(item, "id").as_string()?,
        rating: count(item, "rating")?.clamp(1, 5) as u8,
        title: text(item, "title"),
        body: text(item, "body"),
        author: text(item, "author"),
        location: text(item, "location"),
        created_at: text(item, "created_at"),
        verified: get(item, "verified").as_bool().unwrap_or(false),
        reply: reply.is_object().then(|| Reply {
            body: text(&reply, "body"),
            created_at: text(&reply, "created_at"),
        }),
        photos,
        votes: Votes {
            up: count(&votes, "up").unwrap_or(0),
            down: count(&votes, "down").unwrap_or(0),
        },
    })
}

fn number(target: &JsValue, name: &str) -> Option<f64> {
    get(target, name).as_f64()
}

fn count(target: &JsValue, name: &str) -> Option<u32> {
    number(target, name)
        .filter(|n| *n >= 0.0)
        .map(|n| n.min(f64::from(u32::MAX)) as u32)
}

fn text(target: &JsValue, name: &str) -> String {
    get(target, name).as_string().unwrap_or_default()
}
