//! Product ids as storefront markup writes them.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The most ids one badge request may carry.
pub const MAX_BADGE_IDS: usize = 250;

/// A Shopify product id: ASCII digits only, 1 to 20 of them, no sign.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProductId(String);

/// Why a product id was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProductIdError {
    /// The value is empty after trimming.
    #[error("product id is empty; expected digits such as 7000000000001")]
    Empty,
    /// The value is not digits, `gid://shopify/Product/N` or `shopify-N`.
    #[error(
        "product id {0:?} is not a number; expected digits, gid://shopify/Product/N or shopify-N"
    )]
    NotNumeric(String),
    /// More than 20 digits.
    #[error("product id {0:?} is longer than 20 digits")]
    TooLong(String),
}

impl ProductId {
    /// Normalises `123`, `gid://shopify/Product/123` and `shopify-123` to
    /// `123`. Anything else, such as an unrendered Liquid expression, is an
    /// error.
    pub fn parse(raw: &str) -> Result<ProductId, ProductIdError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ProductIdError::Empty);
        }
        let digits = trimmed
            .strip_prefix("gid://shopify/Product/")
            .or_else(|| trimmed.strip_prefix("shopify-"))
            .unwrap_or(trimmed);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ProductIdError::NotNumeric(truncate(trimmed)));
        }
        if digits.len() > 20 {
            return Err(ProductIdError::TooLong(truncate(trimmed)));
        }
        Ok(ProductId(digits.to_owned()))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProductId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses a comma-separated `ids` parameter into sorted, deduplicated ids.
/// Empty items (`1,,2`, a trailing comma) are skipped.
pub fn parse_badge_ids(raw: &str) -> Result<Vec<ProductId>, ProductIdError> {
    let mut ids = raw
        .split(',')
        .filter(|item| !item.trim().is_empty())
        .map(ProductId::parse)
        .collect::<Result<Vec<_>, _>>()?;
    ids.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then_with(|| a.0.cmp(&b.0)));
    ids.dedup();
    Ok(ids)
}

/// Returns how many ids a comma-separated `ids` value names when it is
/// already in the form [`parse_badge_ids`] produces: plain digits without
/// leading zeros, at most 20 each, strictly ascending, no empty items.
/// Such a value can serve as a cache key as it is, without parsing.
pub fn canonical_badge_ids(raw: &str) -> Option<usize> {
    let mut previous: Option<&str> = None;
    let mut count = 0;
    for item in raw.split(',') {
        let canonical = !item.is_empty()
            && item.len() <= 20
            && !item.starts_with('0')
            && item.bytes().all(|b| b.is_ascii_digit());
        if !canonical {
            return None;
        }
        if let Some(previous) = previous
            && (previous.len(), previous) >= (item.len(), item)
        {
            return None;
        }
        previous = Some(item);
        count += 1;
    }
    Some(count)
}

/// Keeps error messages short when the input is long.
fn truncate(value: &str) -> String {
    value.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_the_three_forms() {
        for raw in ["123", "gid://shopify/Product/123", "shopify-123", " 123 "] {
            assert_eq!(ProductId::parse(raw).expect(raw).as_str(), "123", "{raw}");
        }
    }

    #[test]
    fn parse_rejects_liquid_and_junk() {
        for raw in [
            "{{ product.id }}",
            "12a",
            "-1",
            "gid://shopify/Product/",
            "shopify-x",
        ] {
            assert!(
                matches!(ProductId::parse(raw), Err(ProductIdError::NotNumeric(_))),
                "{raw}"
            );
        }
        assert_eq!(ProductId::parse("  "), Err(ProductIdError::Empty));
        assert!(matches!(
            ProductId::parse(&"9".repeat(21)),
            Err(ProductIdError::TooLong(_))
        ));
    }

    #[test]
    fn canonical_ids_are_recognised() {
        assert_eq!(canonical_badge_ids("4,30,100"), Some(3));
        assert_eq!(canonical_badge_ids("7000000000001"), Some(1));
        for raw in ["30,4", "4,4", "4,,30", "", "04,30", "4,shopify-30", "4,30,"] {
            assert_eq!(canonical_badge_ids(raw), None, "{raw}");
        }
        let parsed = parse_badge_ids("30,4,100").expect("valid");
        let joined: Vec<&str> = parsed.iter().map(ProductId::as_str).collect();
        assert_eq!(canonical_badge_ids(&joined.join(",")), Some(3));
    }

    #[test]
    fn badge_ids_are_sorted_numerically_and_deduplicated() {
        let ids = parse_badge_ids("30,4,shopify-30,,100,").expect("valid ids");
        let digits: Vec<&str> = ids.iter().map(ProductId::as_str).collect();
        assert_eq!(digits, ["4", "30", "100"]);
    }
}
