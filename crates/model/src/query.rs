//! Validation of the review-list query (`page`, `per_page`, `sort`,
//! `rating`), shared by the server and the reviews module.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Reviews per page when the request names none.
pub const DEFAULT_PER_PAGE: u32 = 5;
/// The most reviews one page may hold.
pub const MAX_PER_PAGE: u32 = 50;

/// Order of a review list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Newest first.
    #[default]
    Recent,
    /// Most stars first, then newest.
    Highest,
    /// Fewest stars first, then newest.
    Lowest,
    /// Most helpful votes (up minus down) first, then newest.
    Helpful,
    /// Reviews with photos first, then newest.
    WithPhotos,
    /// Fewest helpful votes first, then newest (legacy `least-votes`).
    LeastHelpful,
}

impl Sort {
    /// Parses a `sort` value, including the legacy aliases `highest-rating`,
    /// `lowest-rating`, `most-votes`, `least-votes` and `with-photos`.
    pub fn parse(value: &str) -> Option<Sort> {
        Some(match value {
            "recent" | "" => Sort::Recent,
            "highest" | "highest-rating" => Sort::Highest,
            "lowest" | "lowest-rating" => Sort::Lowest,
            "helpful" | "most-votes" => Sort::Helpful,
            "with_photos" | "with-photos" => Sort::WithPhotos,
            "least-votes" | "least_helpful" => Sort::LeastHelpful,
            _ => return None,
        })
    }

    /// The canonical name used in URLs and cache keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Recent => "recent",
            Sort::Highest => "highest",
            Sort::Lowest => "lowest",
            Sort::Helpful => "helpful",
            Sort::WithPhotos => "with_photos",
            Sort::LeastHelpful => "least-votes",
        }
    }
}

/// A validated review-list query with defaults filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReviewsQuery {
    /// Page number, from 1.
    pub page: u32,
    /// Reviews per page, 1 to [`MAX_PER_PAGE`].
    pub per_page: u32,
    /// Order.
    pub sort: Sort,
    /// Only reviews with exactly this many stars, 1 to 5.
    pub rating: Option<u8>,
}

impl Default for ReviewsQuery {
    fn default() -> Self {
        ReviewsQuery {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
            sort: Sort::Recent,
            rating: None,
        }
    }
}

/// A query parameter that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct QueryError {
    /// The parameter's name, such as `per_page`.
    pub parameter: &'static str,
    /// What is wrong with the value and which values are accepted.
    pub message: String,
}

impl ReviewsQuery {
    /// Validates raw parameter values; `None` or an empty string takes the
    /// default.
    pub fn parse(
        page: Option<&str>,
        per_page: Option<&str>,
        sort: Option<&str>,
        rating: Option<&str>,
    ) -> Result<ReviewsQuery, QueryError> {
        let mut query = ReviewsQuery::default();
        if let Some(raw) = non_empty(page) {
            query.page = parse_in_range("page", raw, 1, 100_000)?;
        }
        if let Some(raw) = non_empty(per_page) {
            query.per_page = parse_in_range("per_page", raw, 1, MAX_PER_PAGE)?;
        }
        if let Some(raw) = non_empty(sort) {
            query.sort = Sort::parse(raw).ok_or_else(|| QueryError {
                parameter: "sort",
                message: format!(
                    "sort must be one of recent, highest, lowest, helpful, with_photos \
                     (or highest-rating, lowest-rating, most-votes, least-votes), got {:?}",
                    shorten(raw)
                ),
            })?;
        }
        if let Some(raw) = non_empty(rating) {
            query.rating = Some(parse_in_range("rating", raw, 1, 5)? as u8);
        }
        Ok(query)
    }
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn parse_in_range(
    parameter: &'static str,
    raw: &str,
    min: u32,
    max: u32,
) -> Result<u32, QueryError> {
    match raw.parse::<u32>() {
        Ok(value) if (min..=max).contains(&value) => Ok(value),
        _ => Err(QueryError {
            parameter,
            message: format!(
                "{parameter} must be between {min} and {max}, got {}",
                shorten(raw)
            ),
        }),
    }
}

fn shorten(value: &str) -> String {
    value.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_missing_values() {
        let query = ReviewsQuery::parse(None, Some(""), None, None).expect("valid");
        assert_eq!(query, ReviewsQuery::default());
    }

    #[test]
    fn legacy_sort_aliases_map_to_canonical_sorts() {
        assert_eq!(Sort::parse("highest-rating"), Some(Sort::Highest));
        assert_eq!(Sort::parse("lowest-rating"), Some(Sort::Lowest));
        assert_eq!(Sort::parse("most-votes"), Some(Sort::Helpful));
        assert_eq!(Sort::parse("least-votes"), Some(Sort::LeastHelpful));
        assert_eq!(Sort::parse("with_photos"), Some(Sort::WithPhotos));
        assert_eq!(Sort::parse("newest-first"), None);
    }

    #[test]
    fn per_page_over_limit_names_parameter_and_value() {
        let error = ReviewsQuery::parse(None, Some("500"), None, None).expect_err("too large");
        assert_eq!(error.parameter, "per_page");
        assert_eq!(error.message, "per_page must be between 1 and 50, got 500");
    }

    #[test]
    fn rating_filter_accepts_one_to_five() {
        let query = ReviewsQuery::parse(None, None, None, Some("3")).expect("valid");
        assert_eq!(query.rating, Some(3));
        let error = ReviewsQuery::parse(None, None, None, Some("0")).expect_err("out of range");
        assert_eq!(error.parameter, "rating");
    }
}
