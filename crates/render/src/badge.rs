//! Star badge and questions badge markup (LEGACY.md 3.5).

use starling_model::Badge;

use crate::html::push_u32;
use crate::stars::{half_stars, push_glyphs, push_rating_label, push_rating_text};

/// Inner HTML of a `.stamped-product-reviews-badge` placeholder: a
/// `span.stamped-badge[role=img][data-rating][aria-label]` with five stars
/// and a caption reading `4.7 (20)`, or `No reviews yet` when the product
/// has none.
pub fn badge(badge: &Badge) -> String {
    let mut out = String::with_capacity(640);
    let count = badge.count;
    let rating = if count == 0 {
        Default::default()
    } else {
        badge.average
    };

    out.push_str("<span class=\"stamped-badge\" role=\"img\" data-rating=\"");
    push_rating_text(&mut out, rating);
    out.push_str("\" data-lang=\"\" aria-label=\"");
    push_rating_label(&mut out, rating, count);
    out.push_str(
        "\"><span class=\"stamped-starrating stamped-badge-starrating\" aria-hidden=\"true\">",
    );
    push_glyphs(&mut out, half_stars(rating, count));

    out.push_str("</span><span class=\"stamped-badge-caption\" data-reviews=\"");
    push_u32(&mut out, count);
    out.push_str("\" data-rating=\"");
    push_rating_text(&mut out, rating);
    out.push_str("\" data-label=\"");
    out.push_str(if count == 1 { "review" } else { "reviews" });
    out.push_str("\" data-version=\"2\" aria-hidden=\"true\">");
    if count == 0 {
        out.push_str("No reviews yet");
    } else {
        push_rating_text(&mut out, rating);
        out.push_str(" (");
        push_u32(&mut out, count);
        out.push(')');
    }
    out.push_str("</span></span>");
    out
}

/// `3 questions`, `1 question` or `No questions yet`.
pub fn question_count_text(questions: u32) -> String {
    let mut out = String::new();
    match questions {
        0 => out.push_str("No questions yet"),
        n => {
            push_u32(&mut out, n);
            out.push_str(if n == 1 { " question" } else { " questions" });
        }
    }
    out
}

/// Inner HTML of a `data-type="qna"` badge: the question count, with the
/// legacy caption attributes (`data-questions`).
pub fn qna_badge(badge: &Badge) -> String {
    let mut out = String::with_capacity(200);
    out.push_str(
        "<span class=\"stamped-badge stamped-badge-qna\" data-type=\"qna\">\
         <span class=\"stamped-badge-caption\" data-questions=\"",
    );
    push_u32(&mut out, badge.questions);
    out.push_str("\" data-label=\"");
    out.push_str(if badge.questions == 1 {
        "question"
    } else {
        "questions"
    });
    out.push_str("\" data-version=\"2\">");
    out.push_str(&question_count_text(badge.questions));
    out.push_str("</span></span>");
    out
}
