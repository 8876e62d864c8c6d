//! Star badges: what the page shows, the badge requests it sent, and what
//! it must show according to the API's numbers and the rating rules (stars
//! to the nearest half with ties up, one-decimal text rounded half up, the
//! accessible name).

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde_json::Value;

use crate::{Browser, Env, SHOP, Server};

/// A badge as the API describes it, with everything derived from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedBadge {
    pub product_id: String,
    /// The average in hundredths of a star.
    pub hundredths: u32,
    pub count: u64,
}

impl ExpectedBadge {
    /// Reads one entry of the badges response.
    pub fn from_json(badge: &Value) -> Result<ExpectedBadge> {
        let product_id = badge["product_id"]
            .as_str()
            .with_context(|| format!("badge without a string product_id: {badge}"))?
            .to_owned();
        let average = badge["average"]
            .as_f64()
            .with_context(|| format!("badge without a numeric average: {badge}"))?;
        let count = badge["count"]
            .as_u64()
            .with_context(|| format!("badge without a count: {badge}"))?;
        Ok(ExpectedBadge {
            product_id,
            hundredths: (average * 100.0).round() as u32,
            count,
        })
    }

    /// Half stars to fill: `(hundredths + 25) / 50`, none without reviews.
    pub fn half_stars(&self) -> u32 {
        if self.count == 0 {
            0
        } else {
            (self.hundredths + 25) / 50
        }
    }

    /// Full, half and empty star glyphs, in that order.
    pub fn stars(&self) -> (u32, u32, u32) {
        let half_stars = self.half_stars();
        let full = half_stars / 2;
        let half = half_stars % 2;
        (full, half, 5 - full - half)
    }

    /// Formats the average rounded half up to one decimal, e.g. `4.7`.
    pub fn rating_text(&self) -> String {
        let tenths = if self.count == 0 {
            0
        } else {
            (self.hundredths + 5) / 10
        };
        format!("{}.{}", tenths / 10, tenths % 10)
    }

    /// Returns the accessible name of the badge.
    pub fn label(&self) -> String {
        expected_label(&self.rating_text(), self.count)
    }
}

/// "Rated 4.5 out of 5 stars, 20 reviews", "..., 1 review", or "No reviews
/// yet" for a product without reviews.
pub fn expected_label(rating_text: &str, count: u64) -> String {
    match count {
        0 => "No reviews yet".to_owned(),
        1 => format!("Rated {rating_text} out of 5 stars, 1 review"),
        n => format!("Rated {rating_text} out of 5 stars, {n} reviews"),
    }
}

impl Server {
    /// Fetches the API's badges for `ids`, by product id.
    pub async fn badges(&self, ids: &[String]) -> Result<HashMap<String, ExpectedBadge>> {
        let path = format!("/v1/shops/{SHOP}/badges?ids={}", ids.join(","));
        let response = self.json(&path).await?;
        let badges = response["badges"]
            .as_array()
            .with_context(|| format!("no badges array in {response}"))?;
        let mut by_id = HashMap::new();
        for badge in badges {
            let badge = ExpectedBadge::from_json(badge)?;
            by_id.insert(badge.product_id.clone(), badge);
        }
        Ok(by_id)
    }
}

/// A `.stamped-product-reviews-badge` placeholder as rendered on the page.
#[derive(Debug, Clone)]
pub struct PageBadge {
    /// The placeholder's `data-id`, as written in the page.
    pub data_id: String,
    /// How many `.stamped-badge` it contains.
    pub rendered: u64,
    pub label: String,
    pub rating_attr: String,
    pub reviews_attr: String,
    pub text: String,
    pub full: u32,
    pub half: u32,
    pub empty: u32,
    /// The placeholder's whole inner HTML length, to tell empty ones.
    pub inner_html_len: u64,
}

const READ_BADGES: &str = r#"
return [...document.querySelectorAll('.stamped-product-reviews-badge[data-id]')]
  .filter(el => (el.getAttribute('data-type') || 'review') !== 'qna')
  .map(el => {
    const badge = el.querySelector('.stamped-badge');
    const caption = badge && badge.querySelector('.stamped-badge-caption');
    const count = cls => badge ? badge.querySelectorAll('i.' + cls).length : 0;
    return {
      data_id: el.getAttribute('data-id'),
      rendered: el.querySelectorAll('.stamped-badge').length,
      label: badge ? (badge.getAttribute('aria-label') || '') : '',
      rating_attr: badge ? (badge.getAttribute('data-rating') || '') : '',
      reviews_attr: caption ? (caption.getAttribute('data-reviews') || '') : '',
      text: badge ? badge.textContent.trim() : '',
      full: count('stamped-fa-star'),
      half: count('stamped-fa-star-half-o'),
      empty: count('stamped-fa-star-o'),
      inner_html_len: el.innerHTML.trim().length,
    };
  });
"#;

/// Reads every review badge placeholder of the page, in document order.
pub async fn page_badges(browser: &Browser) -> Result<Vec<PageBadge>> {
    let value = browser.eval(READ_BADGES, vec![]).await?;
    let rows = value.as_array().context("badge list is not an array")?;
    let text = |row: &Value, key: &str| row[key].as_str().unwrap_or_default().to_owned();
    let number = |row: &Value, key: &str| row[key].as_u64().unwrap_or_default();
    Ok(rows
        .iter()
        .map(|row| PageBadge {
            data_id: text(row, "data_id"),
            rendered: number(row, "rendered"),
            label: text(row, "label"),
            rating_attr: text(row, "rating_attr"),
            reviews_attr: text(row, "reviews_attr"),
            text: text(row, "text"),
            full: number(row, "full") as u32,
            half: number(row, "half") as u32,
            empty: number(row, "empty") as u32,
            inner_html_len: number(row, "inner_html_len"),
        })
        .collect())
}

/// Checks that `shown` is one rendered badge with `expected`'s numbers:
/// accessible name, one-decimal rating, review count, visible text and the
/// star glyphs.
pub fn check_badge(shown: &PageBadge, expected: &ExpectedBadge) -> Result<()> {
    let id = &shown.data_id;
    ensure!(
        shown.rendered == 1,
        "badge {id} contains {} .stamped-badge elements, expected 1",
        shown.rendered
    );
    ensure!(
        shown.label == expected.label(),
        "badge {id}: aria-label {:?}, expected {:?}",
        shown.label,
        expected.label()
    );
    ensure!(
        shown.rating_attr == expected.rating_text(),
        "badge {id}: data-rating {:?}, expected {:?}",
        shown.rating_attr,
        expected.rating_text()
    );
    ensure!(
        shown.reviews_attr == expected.count.to_string(),
        "badge {id}: caption data-reviews {:?}, expected {}",
        shown.reviews_attr,
        expected.count
    );
    if expected.count > 0 {
        ensure!(
            shown.text.contains(&expected.rating_text())
                && shown.text.contains(&expected.count.to_string()),
            "badge {id}: text {:?} does not show {} and {}",
            shown.text,
            expected.rating_text(),
            expected.count
        );
    }
    let (full, half, empty) = expected.stars();
    ensure!(
        (shown.full, shown.half, shown.empty) == (full, half, empty),
        "badge {id} ({} hundredths): stars full/half/empty {}/{}/{}, expected {full}/{half}/{empty}",
        expected.hundredths,
        shown.full,
        shown.half,
        shown.empty
    );
    Ok(())
}

/// Waits until the page has `n` review badge placeholders and every one
/// of them contains a rendered `.stamped-badge`.
pub async fn wait_for_badges(browser: &Browser, n: usize, timeout: Duration) -> Result<()> {
    const COUNTS: &str = "const all = [...document.querySelectorAll('.stamped-product-reviews-badge[data-id]')]; \
         const filled = all.filter(el => el.querySelector('.stamped-badge')).length;";
    let done = format!("(() => {{ {COUNTS} return all.length === {n} && filled === {n}; }})()");
    let waited = browser
        .wait_until(&format!("{n} filled badges"), &done, timeout)
        .await;
    if let Err(error) = waited {
        let progress = browser
            .eval(
                &format!("{COUNTS} return `${{filled}} of ${{all.length}} filled`;"),
                vec![],
            )
            .await
            .unwrap_or_default();
        return Err(error.context(format!("badges: {progress}")));
    }
    Ok(())
}

/// Returns the `ids` parameter of every badges request among `resources`,
/// split at commas.
pub fn badge_request_ids(resources: &[String]) -> Vec<Vec<String>> {
    resources
        .iter()
        .filter_map(|resource| url::Url::parse(resource).ok())
        .filter(|url| url.path().ends_with("/badges"))
        .map(|url| {
            url.query_pairs()
                .filter(|(key, _)| key == "ids")
                .flat_map(|(_, ids)| ids.split(',').map(str::to_owned).collect::<Vec<_>>())
                .collect()
        })
        .collect()
}

/// Returns the product id a badge's `data-id` names: digits as they are,
/// `gid://shopify/Product/N` and `shopify-N` as `N`; `None` for anything
/// else (an unrendered Liquid expression).
pub fn normalize_id(data_id: &str) -> Option<String> {
    let digits = data_id
        .strip_prefix("gid://shopify/Product/")
        .or_else(|| data_id.strip_prefix("shopify-"))
        .unwrap_or(data_id);
    let valid = !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit());
    valid.then(|| digits.to_owned())
}

/// Checks every rendered review badge of the page against the API's
/// numbers for its (normalised) product id; returns how many were checked.
pub async fn check_page_badges(env: &Env) -> Result<usize> {
    let shown = page_badges(&env.browser).await?;
    let ids: Vec<String> = shown
        .iter()
        .filter_map(|badge| normalize_id(&badge.data_id))
        .collect();
    ensure!(!ids.is_empty(), "the page has no badge with a product id");
    let expected = env.server.badges(&ids).await?;
    let mut checked = 0;
    for badge in &shown {
        let Some(id) = normalize_id(&badge.data_id) else {
            continue;
        };
        let api = expected
            .get(&id)
            .with_context(|| format!("the API returned no badge for product {id}"))?;
        check_badge(badge, api)?;
        checked += 1;
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn badge(hundredths: u32, count: u64) -> ExpectedBadge {
        ExpectedBadge {
            product_id: "1".to_owned(),
            hundredths,
            count,
        }
    }

    #[test]
    fn stars_round_to_nearest_half_ties_up() {
        assert_eq!(badge(424, 3).stars(), (4, 0, 1));
        assert_eq!(badge(425, 3).stars(), (4, 1, 0));
        assert_eq!(badge(474, 3).stars(), (4, 1, 0));
        assert_eq!(badge(475, 3).stars(), (5, 0, 0));
        assert_eq!(badge(0, 0).stars(), (0, 0, 5));
    }

    #[test]
    fn labels_follow_the_design() {
        assert_eq!(
            badge(450, 20).label(),
            "Rated 4.5 out of 5 stars, 20 reviews"
        );
        assert_eq!(badge(467, 3).label(), "Rated 4.7 out of 5 stars, 3 reviews");
        assert_eq!(badge(500, 1).label(), "Rated 5.0 out of 5 stars, 1 review");
        assert_eq!(badge(0, 0).label(), "No reviews yet");
    }

    #[test]
    fn hundredths_come_from_the_json_number() -> Result<()> {
        let json = serde_json::json!({"product_id": "7", "average": 4.67, "count": 3});
        assert_eq!(ExpectedBadge::from_json(&json)?.hundredths, 467);
        let json = serde_json::json!({"product_id": "7", "average": 4.35, "count": 3});
        assert_eq!(ExpectedBadge::from_json(&json)?.hundredths, 435);
        Ok(())
    }
}
