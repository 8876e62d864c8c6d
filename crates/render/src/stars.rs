//! Star glyph markup, the one-decimal rating text and the accessible name
//! of a rating, all derived from a [`Rating`] in hundredths.

use starling_model::Rating;

use crate::html::push_u32;

const FULL: &str = "stamped-fa-star";
const HALF: &str = "stamped-fa-star-half-o";
const EMPTY: &str = "stamped-fa-star-o";

/// Classes of the five star glyphs for `half_stars` filled halves (0 to
/// 10), first star first: `stamped-fa-star`, `stamped-fa-star-half-o` or
/// `stamped-fa-star-o`.
pub fn star_classes(half_stars: u8) -> [&'static str; 5] {
    let mut classes = [EMPTY; 5];
    for (i, class) in classes.iter_mut().enumerate() {
        *class = match half_stars.saturating_sub(2 * i as u8) {
            0 => EMPTY,
            1 => HALF,
            _ => FULL,
        };
    }
    classes
}

/// Appends five `<i class="stamped-fa stamped-fa-star…">` glyphs for
/// `half_stars` filled halves. The glyphs are `aria-hidden`; the container
/// carries the accessible name.
pub(crate) fn push_glyphs(out: &mut String, half_stars: u8) {
    for class in star_classes(half_stars) {
        out.push_str("<i class=\"stamped-fa ");
        out.push_str(class);
        out.push_str("\" aria-hidden=\"true\"></i>");
    }
}

/// `span.stamped-starrating` with five glyphs for `half_stars` halves.
pub fn stars(half_stars: u8) -> String {
    let mut out = String::new();
    out.push_str("<span class=\"stamped-starrating\" aria-hidden=\"true\">");
    push_glyphs(&mut out, half_stars);
    out.push_str("</span>");
    out
}

/// Appends the rating rounded half up to one decimal: 4.25 gives `4.3`,
/// zero gives `0.0`.
pub(crate) fn push_rating_text(out: &mut String, rating: Rating) {
    let tenths = rating.tenths();
    push_u32(out, u32::from(tenths / 10));
    out.push('.');
    push_u32(out, u32::from(tenths % 10));
}

/// The rating rounded half up to one decimal, e.g. `4.7`.
pub fn rating_text(rating: Rating) -> String {
    let mut out = String::new();
    push_rating_text(&mut out, rating);
    out
}

/// Appends `N review` or `N reviews`.
pub(crate) fn push_review_count(out: &mut String, count: u32) {
    push_u32(out, count);
    out.push_str(if count == 1 { " review" } else { " reviews" });
}

/// Appends the accessible name of an average over `count` reviews.
pub(crate) fn push_rating_label(out: &mut String, rating: Rating, count: u32) {
    if count == 0 {
        out.push_str("No reviews yet");
        return;
    }
    out.push_str("Rated ");
    push_rating_text(out, rating);
    out.push_str(" out of 5 stars, ");
    push_review_count(out, count);
}

/// The accessible name of an average over `count` reviews: `Rated 4.5 out
/// of 5 stars, 20 reviews`, `… 1 review`, or `No reviews yet` when `count`
/// is zero.
// TODO: English only; translate once the API carries a widget language.
pub fn rating_label(rating: Rating, count: u32) -> String {
    let mut out = String::new();
    push_rating_label(&mut out, rating, count);
    out
}

/// Half stars to draw for an average over `count` reviews: none when there
/// are no reviews.
pub(crate) fn half_stars(rating: Rating, count: u32) -> u8 {
    if count == 0 { 0 } else { rating.half_stars() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_classes_for_every_half() {
        assert_eq!(star_classes(0), [EMPTY; 5]);
        assert_eq!(star_classes(1), [HALF, EMPTY, EMPTY, EMPTY, EMPTY]);
        assert_eq!(star_classes(9), [FULL, FULL, FULL, FULL, HALF]);
        assert_eq!(star_classes(10), [FULL; 5]);
        assert_eq!(star_classes(200), [FULL; 5]);
    }

    #[test]
    fn rating_text_has_one_decimal() {
        let text = |h| rating_text(Rating::from_hundredths(h));
        assert_eq!(text(0), "0.0");
        assert_eq!(text(100), "1.0");
        assert_eq!(text(467), "4.7");
        assert_eq!(text(425), "4.3");
        assert_eq!(text(424), "4.2");
        assert_eq!(text(500), "5.0");
    }
}
