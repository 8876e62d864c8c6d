//! Where reviews come from. The API handlers see only the [`Source`] trait,
//! so a cache layer or an HTTP upstream can stand in front of, or instead
//! of, the embedded SQLite store ([`sqlite`]), which the demo seed
//! ([`seed`]) fills on first start.

pub mod seed;
pub mod sqlite;

use async_trait::async_trait;
use starling_model::{Badge, ProductId, ReviewsQuery, ReviewsResponse};
use thiserror::Error;

pub use sqlite::SqliteStore;

/// Why a source could not answer.
#[derive(Debug, Clone, Error)]
pub enum SourceError {
    /// No shop with this domain is known to the source.
    #[error("shop {0:?} is not known to this server")]
    ShopNotFound(String),
    /// The source failed; the message says what and where.
    #[error("{0}")]
    Unavailable(String),
    /// An upstream server did not answer within its timeout.
    #[error("{0}")]
    Timeout(String),
    /// An upstream server failed, refused the connection or sent a body
    /// that is not the expected JSON.
    #[error("{0}")]
    BadGateway(String),
}

impl crate::cache::SourceFailure for SourceError {
    fn is_outage(&self) -> bool {
        !matches!(self, SourceError::ShopNotFound(_))
    }
}

/// Read access to shops, badges and reviews, whatever stores them.
///
/// Shop domains are passed as the request gave them; implementations compare
/// them case-insensitively. Only published reviews and questions count.
#[async_trait]
pub trait Source: Send + Sync + 'static {
    /// Whether the shop exists.
    async fn shop_exists(&self, shop: &str) -> Result<bool, SourceError>;

    /// One badge per id, in the order of `ids`; products without reviews get
    /// zeros. Errors with [`SourceError::ShopNotFound`] for an unknown shop.
    async fn badges(&self, shop: &str, ids: &[ProductId]) -> Result<Vec<Badge>, SourceError>;

    /// The summary over every published review of the product and the page
    /// of reviews that `query` selects. An unknown product gives a zero
    /// summary and no reviews.
    async fn reviews(
        &self,
        shop: &str,
        product: &ProductId,
        query: &ReviewsQuery,
    ) -> Result<ReviewsResponse, SourceError>;

    /// Checks that the source can answer at all; the error says why not.
    async fn check(&self) -> Result<(), SourceError>;
}

/// A catalogue product as the demo storefront shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// Shopify product id.
    pub id: ProductId,
    /// URL handle, such as `linen-shirt`; may be empty for imported products.
    pub handle: String,
    /// Title; may be empty for imported products.
    pub title: String,
    /// Plain-text description.
    pub description: String,
    /// Image address, root-relative for the demo shop.
    pub image_url: String,
    /// Price in cents.
    pub price_cents: i64,
}

/// Row counts shown in the start-up log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoreStats {
    pub shops: u64,
    pub products: u64,
    pub reviews: u64,
}
