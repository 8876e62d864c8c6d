//! JSON shapes of the v1 API. Field names are snake_case and stable.

use serde::{Deserialize, Serialize};

use crate::{ProductId, Rating};

/// `GET /v1/shops/{shop}/badges` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BadgesResponse {
    /// One entry per requested id, in request order; unknown products have
    /// zero counts.
    pub badges: Vec<Badge>,
}

/// Aggregate numbers shown by one product's star badge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Badge {
    /// Product the numbers belong to.
    pub product_id: ProductId,
    /// Average of the published reviews; zero when there are none.
    pub average: Rating,
    /// Number of published reviews.
    pub count: u32,
    /// Number of published questions.
    pub questions: u32,
}

/// `GET /v1/shops/{shop}/products/{id}/reviews` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewsResponse {
    /// Product the reviews belong to.
    pub product_id: ProductId,
    /// Aggregate over every published review, whatever the filter.
    pub summary: Summary,
    /// Page number, from 1.
    pub page: u32,
    /// Reviews per page, 1 to 50.
    pub per_page: u32,
    /// Number of pages for the current filter; 0 when nothing matches.
    pub pages: u32,
    /// Reviews on this page.
    pub reviews: Vec<Review>,
}

/// Average, count and histogram of a product's published reviews.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Average rating, rounded half up to hundredths.
    pub average: Rating,
    /// Number of published reviews.
    pub count: u32,
    /// Number of published reviews per star value.
    pub histogram: Histogram,
}

/// Reviews per star value; serialized with the keys `"5"` to `"1"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Histogram {
    #[serde(rename = "5")]
    pub five: u32,
    #[serde(rename = "4")]
    pub four: u32,
    #[serde(rename = "3")]
    pub three: u32,
    #[serde(rename = "2")]
    pub two: u32,
    #[serde(rename = "1")]
    pub one: u32,
}

impl Histogram {
    /// Count for a star value from 1 to 5; zero for other values.
    pub fn get(&self, stars: u8) -> u32 {
        match stars {
            5 => self.five,
            4 => self.four,
            3 => self.three,
            2 => self.two,
            1 => self.one,
            _ => 0,
        }
    }

    /// Adds `count` reviews with `stars` stars; other star values are ignored.
    pub fn add(&mut self, stars: u8, count: u32) {
        match stars {
            5 => self.five += count,
            4 => self.four += count,
            3 => self.three += count,
            2 => self.two += count,
            1 => self.one += count,
            _ => {}
        }
    }
}

/// One published review as the storefront may show it. Emails and client
/// addresses are not part of this type, so they cannot leak into a response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// Review id, `r_` followed by digits.
    pub id: String,
    /// Stars from 1 to 5.
    pub rating: u8,
    /// Title; may be empty.
    pub title: String,
    /// Body as the reviewer wrote it, plain text with line breaks.
    pub body: String,
    /// Display name.
    pub author: String,
    /// Free-text location; may be empty.
    pub location: String,
    /// Creation time, RFC 3339 in UTC.
    pub created_at: String,
    /// Whether the reviewer is a verified buyer.
    pub verified: bool,
    /// Merchant reply, if any.
    pub reply: Option<Reply>,
    /// Photos attached to the review.
    pub photos: Vec<Photo>,
    /// Helpful votes.
    pub votes: Votes,
}

/// A merchant's public reply to a review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// Reply text.
    pub body: String,
    /// Reply time, RFC 3339 in UTC.
    pub created_at: String,
}

/// A review photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Photo {
    /// Full-size image address.
    pub url: String,
    /// Thumbnail address.
    pub thumb_url: String,
}

/// Helpful and unhelpful vote counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Votes {
    pub up: u32,
    pub down: u32,
}

/// Error response body: `{"error": {"code", "message", "parameter"?}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ApiError,
}

/// The error object inside [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable machine-readable code such as `invalid_parameter`.
    pub code: String,
    /// What failed, on which value, and what to do.
    pub message: String,
    /// The query or path parameter at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub parameter: Option<String>,
}
