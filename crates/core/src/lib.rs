//! Starling's wasm core: the part of the storefront code that every page
//! loads after `loader.js`.
//!
//! It takes over `window.StampedFn` from the loader's queueing stubs and
//! replays the queued calls, waits until a shop is known, then scans the
//! page once: every `.stamped-product-reviews-badge[data-id]` is filled
//! from one batched badge request, and the reviews module is imported when
//! `#stamped-main-widget` is on the page. A `MutationObserver` does the
//! same for placeholders that themes add later. The legacy `stamped:*`
//! events are dispatched on `document`.
//!
//! It does not render the main widget (that is `starling-reviews`) and
//! never reads or writes `window.jQuery` or `window.$`. On the happy path
//! it logs nothing; each distinct problem gets at most one
//! `console.warn` per page.

use wasm_bindgen::prelude::*;

pub mod badges;
mod fetch;
pub mod page;
mod route;
mod scan;
mod stamped;

pub use badges::Mode;

/// A free-list allocator a tenth the size of the default one; the core
/// allocates little and briefly.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

/// Entry point, called by the loader once the module is instantiated.
/// Installs the real `StampedFn` methods, replays the queued calls and
/// starts scanning as soon as a shop is known. Later calls do nothing.
#[wasm_bindgen]
pub fn start() {
    if scan::STATE.with(|state| state.started.replace(true)) {
        return;
    }
    let Some(starling) = page::starling() else {
        return;
    };
    stamped::install(&starling);
    stamped::drain_queue(&starling);
    scan::STATE.with(|state| state.ready.set(true));
    scan::begin_when_shop_known();
}
