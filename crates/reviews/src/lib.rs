//! Starling's reviews module: the main product reviews widget in
//! `#stamped-main-widget[data-product-id]`.
//!
//! The core imports this module through the loader when the widget is on
//! the page and calls [`start`]. It renders the summary, the histogram
//! (whose rows filter by star value), one page of reviews, pagination and
//! the sort select with `starling-render`, or hydrates markup that the
//! theme printed already; it keeps the reader's sort, filter and page
//! across renders and dispatches `stamped:reviews:loaded` after each.
//!
//! It does not fill star badges (the core does) and has no forms, votes or
//! questions yet.

use wasm_bindgen::prelude::*;

mod decode;
mod page;
pub mod widget;

/// The same small allocator as the core.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

/// Entry point, called by the core once the module is loaded and again on
/// each later scan. Binds `#stamped-main-widget` if it is not bound yet
/// (a theme may have replaced it), installs `StampedFn.pageReviews`,
/// `sortReviews` and `filterClear`, and replays their queued calls.
#[wasm_bindgen]
pub fn start() {
    widget::install_methods();
    widget::bind();
    widget::drain_queue();
}
