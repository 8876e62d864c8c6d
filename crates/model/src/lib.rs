//! Types shared by the server and the wasm modules: the JSON API shapes,
//! product ids as storefronts write them, ratings in integer hundredths and
//! the validation of review-list queries.
//!
//! This crate does no I/O and formats no text for people; rendering lives in
//! `starling-render`.

mod api;
mod id;
mod query;
mod rating;

pub use api::{
    ApiError, Badge, BadgesResponse, ErrorBody, Histogram, Photo, Reply, Review, ReviewsResponse,
    Summary, Votes,
};
pub use id::{MAX_BADGE_IDS, ProductId, ProductIdError, canonical_badge_ids, parse_badge_ids};
pub use query::{DEFAULT_PER_PAGE, MAX_PER_PAGE, QueryError, ReviewsQuery, Sort};
pub use rating::Rating;
