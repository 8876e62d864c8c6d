//! Pure HTML rendering of Starling's storefront markup: star badges, the
//! question badge and the main reviews widget, shared by the wasm modules
//! and the server so that one function decides how each thing looks.
//!
//! Every function returns or appends a `String`; nothing here touches the
//! DOM or does I/O. Every text that comes from a shopper or a merchant is
//! escaped, and every number derived from an average comes from
//! [`Rating`](starling_model::Rating)'s integer hundredths, so the stars,
//! the one-decimal text and the accessible name cannot disagree.
//!
//! Output keeps the legacy class names and data attributes (LEGACY.md 3.2,
//! 3.3, 3.5) that merchant CSS and theme scripts target. The code avoids
//! `format!` and float formatting so that it stays small in wasm.

mod badge;
mod html;
mod stars;
mod widget;

pub use badge::{badge, qna_badge, question_count_text};
pub use html::{escape, escape_into, is_rtl, push_u32, push_uint};
pub use stars::{rating_label, rating_text, star_classes, stars};
pub use widget::{
    ReviewsView, histogram, pagination, review, reviews_list, sort_select, summary, widget,
};
