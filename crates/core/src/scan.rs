//! The start sequence and every scan after it: badge batches, the
//! `MutationObserver` that notices placeholders added later, and the
//! import of the reviews module when the main widget is on the page.
//!
//! All state lives in [`STATE`], in `Cell`s: a value is taken out, used
//! and put back, never while page JavaScript (which may call back into
//! the core) runs.

use std::cell::Cell;

use js_sys::{Array, Function};
use starling_model::{Badge, ProductId};
use wasm_bindgen::prelude::*;
use web_sys::{
    Element, IntersectionObserver, IntersectionObserverEntry, IntersectionObserverInit,
    MutationObserver, MutationObserverInit, MutationRecord,
};

use crate::badges::{self, Mode};
use crate::page;
use crate::route::{Tag, callback};

/// Id of the main reviews widget placeholder.
const WIDGET_ID: &str = "stamped-main-widget";
/// What the `MutationObserver` looks for in added nodes.
const WATCHED: &str = ".stamped-product-reviews-badge[data-id],#stamped-main-widget";
/// How far above or below the viewport the main widget may be when its
/// module is imported.
const WIDGET_MARGIN: &str = "800px 0px";
/// Milliseconds an automatic scan waits, so that nodes a theme adds over a
/// few tasks go out in one badge request.
const BATCH_DELAY_MS: i32 = 30;

/// Where the reviews module stands.
#[derive(Debug, Default)]
enum Reviews {
    /// Not requested.
    #[default]
    Idle,
    /// Waiting for the widget to come near the viewport.
    Watching(IntersectionObserver),
    /// Import in flight.
    Loading,
    /// Imported; its `start` export.
    Ready(Function),
}

/// A badge request in flight.
#[derive(Debug)]
struct Batch {
    number: u32,
    url: String,
    badges: Vec<(ProductId, Element)>,
}

/// The core's page-wide state.
pub(crate) struct State {
    /// `start()` has run.
    pub started: Cell<bool>,
    /// The loader's queue has been replayed.
    pub ready: Cell<bool>,
    /// A shop is known and the start sequence has begun.
    begun: Cell<bool>,
    /// The first scan has run (`stamped:init:starting` dispatched).
    scanned: Cell<bool>,
    /// An automatic scan is scheduled.
    scan_queued: Cell<bool>,
    warned_id: Cell<bool>,
    warned_fetch: Cell<bool>,
    warned_module: Cell<bool>,
    /// Badge data already received, by product, for the shop in force.
    cache: Cell<Vec<Badge>>,
    /// Badge requests in flight, and the number of the next one.
    batches: Cell<Vec<Batch>>,
    next_batch: Cell<u32>,
    reviews: Cell<Reviews>,
    /// Kept so the observer lives as long as the page.
    observer: Cell<Option<MutationObserver>>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State").finish_non_exhaustive()
    }
}

thread_local! {
    pub(crate) static STATE: State = const {
        State {
            started: Cell::new(false),
            ready: Cell::new(false),
            begun: Cell::new(false),
            scanned: Cell::new(false),
            scan_queued: Cell::new(false),
            warned_id: Cell::new(false),
            warned_fetch: Cell::new(false),
            warned_module: Cell::new(false),
            cache: Cell::new(Vec::new()),
            batches: Cell::new(Vec::new()),
            next_batch: Cell::new(0),
            reviews: Cell::new(Reviews::Idle),
            observer: Cell::new(None),
        }
    };
}

/// Begins the start sequence once a shop is known: marks the page
/// initialised and scans at DOM ready.
pub(crate) fn begin_when_shop_known() {
    let go = STATE.with(|s| s.ready.get() && !s.begun.get());
    if !go || page::shop().is_none() {
        return;
    }
    STATE.with(|s| s.begun.set(true));
    if let Some(window) = page::window() {
        page::set(&window, "isInitializedStamped", &JsValue::TRUE);
    }
    let Some(document) = page::document() else {
        return;
    };
    if document.ready_state() == "loading" {
        let on_ready = callback(Tag::DomReady, &JsValue::UNDEFINED);
        let _ = document.add_event_listener_with_callback("DOMContentLoaded", &on_ready);
    } else {
        first_scan();
    }
}

/// The first scan: `stamped:init:starting`, the observer, then every
/// placeholder on the page.
pub(crate) fn first_scan() {
    if STATE.with(|s| s.scanned.replace(true)) {
        return;
    }
    page::dispatch("stamped:init:starting");
    observe();
    scan(Mode::New, false);
}

/// A scan asked for by theme code (`reloadUGC`, `loadBadges`,
/// `loadWidget`, a later `init`): retries failed badges, and with
/// `widget_now` imports the reviews module without waiting for the widget
/// to come into view.
pub(crate) fn explicit(widget_now: bool) {
    if STATE.with(|s| s.scanned.get()) {
        scan(Mode::Retry, widget_now);
    } else {
        begin_when_shop_known();
    }
}

/// After `init(opts)` has applied its options: a changed shop drops the
/// badge data of the old one and refreshes every badge.
pub(crate) fn after_init(shop_changed: bool) {
    if !STATE.with(|s| s.ready.get()) {
        return;
    }
    if shop_changed {
        STATE.with(|s| s.cache.take());
    }
    if STATE.with(|s| s.scanned.get()) {
        scan(if shop_changed { Mode::All } else { Mode::Retry }, false);
    } else {
        begin_when_shop_known();
    }
}

/// One scan: the main widget, then every badge placeholder `mode` takes.
pub(crate) fn scan(mode: Mode, widget_now: bool) {
    reviews(widget_now);
    request_badges(mode);
}

fn request_badges(mode: Mode) {
    let (Some(document), Some(shop)) = (page::document(), page::shop()) else {
        return;
    };
    let found = badges::find(&document, mode);
    if let Some(raw) = found.invalid
        && !STATE.with(|s| s.warned_id.replace(true))
    {
        page::warn(
            "Skipped badges whose data-id is not a product id (digits, \
                 gid://shopify/Product/N or shopify-N), such as",
            &JsValue::from_str(&raw),
        );
    }
    if found.badges.is_empty() {
        return;
    }

    let cache = STATE.with(|s| s.cache.take());
    let (cached, missing): (Vec<_>, Vec<_>) = found
        .badges
        .into_iter()
        .partition(|(id, _)| cache.iter().any(|badge| &badge.product_id == id));
    let filled = badges::fill(&cached, &cache);
    STATE.with(|s| s.cache.set(cache));
    if filled > 0 {
        page::dispatch("stamped:badges:loaded");
    }

    let base = page::base();
    for ids in badges::id_batches(&missing) {
        let url = badges::url(&base, &shop, &ids);
        let batch: Vec<(ProductId, Element)> = missing
            .iter()
            .filter(|(id, _)| ids.contains(id))
            .cloned()
            .collect();
        let number = STATE.with(|s| s.next_batch.replace(s.next_batch.get() + 1));
        let context = JsValue::from(number);
        STATE.with(|s| {
            let mut batches = s.batches.take();
            batches.push(Batch {
                number,
                url: url.clone(),
                badges: batch,
            });
            s.batches.set(batches);
        });
        crate::fetch::get_json(&url, Tag::BadgesArrived, Tag::BadgesFailed, &context);
    }
}

/// Completes batch number `context` with its response `body`, or marks
/// its badges failed (content kept) when there is none or it is unreadable.
pub(crate) fn badges_arrived(context: &JsValue, body: Option<&JsValue>) {
    let number = context.as_f64().unwrap_or(-1.0) as u32;
    let batch = STATE.with(|s| {
        let mut batches = s.batches.take();
        let batch = batches
            .iter()
            .position(|batch| batch.number == number)
            .map(|index| batches.swap_remove(index));
        s.batches.set(batches);
        batch
    });
    let Some(batch) = batch else {
        return;
    };
    let Some(response) = body.and_then(badges::decode) else {
        badges::mark_failed(&batch.badges);
        if !STATE.with(|s| s.warned_fetch.replace(true)) {
            page::warn(
                "Badge request failed; the badges keep their current content. URL:",
                &JsValue::from_str(&batch.url),
            );
        }
        return;
    };
    badges::fill(&batch.badges, &response.badges);
    STATE.with(|s| {
        let mut cache = s.cache.take();
        for badge in response.badges {
            if !cache
                .iter()
                .any(|known| known.product_id == badge.product_id)
            {
                cache.push(badge);
            }
        }
        s.cache.set(cache);
    });
    page::dispatch("stamped:badges:loaded");
}

/// Watches the whole document for added badge or widget placeholders.
fn observe() {
    let Some(root) = page::document().and_then(|d| d.document_element()) else {
        return;
    };
    let Ok(observer) = MutationObserver::new(&callback(Tag::Mutation, &JsValue::UNDEFINED)) else {
        return;
    };
    let options = MutationObserverInit::new();
    options.set_child_list(true);
    options.set_subtree(true);
    if observer.observe_with_options(&root, &options).is_ok() {
        STATE.with(|s| s.observer.set(Some(observer)));
    }
}

/// `MutationObserver` callback: schedules one scan when `records` added a
/// placeholder or an element holding one.
pub(crate) fn mutated(records: &JsValue) {
    if adds_placeholder(records)
        && !STATE.with(|s| s.scan_queued.replace(true))
        && let Some(window) = page::window()
    {
        let timer = callback(Tag::Timer, &JsValue::UNDEFINED);
        let _ =
            window.set_timeout_with_callback_and_timeout_and_arguments_0(&timer, BATCH_DELAY_MS);
    }
}

/// Whether mutation `records` added a placeholder or an element holding
/// one.
fn adds_placeholder(records: &JsValue) -> bool {
    let Some(records) = records.dyn_ref::<Array>() else {
        return false;
    };
    records.iter().any(|record| {
        let added = record.unchecked_into::<MutationRecord>().added_nodes();
        (0..added.length()).any(|i| {
            added
                .item(i)
                .and_then(|node| node.dyn_into::<Element>().ok())
                .is_some_and(|element| {
                    element.matches(WATCHED).unwrap_or(false)
                        || element.query_selector(WATCHED).ok().flatten().is_some()
                })
        })
    })
}

/// The scheduled automatic scan.
pub(crate) fn timer_fired() {
    STATE.with(|s| s.scan_queued.set(false));
    scan(Mode::New, false);
}

/// What to do about the main widget on this scan.
enum Step {
    Nothing,
    Load,
    Start(Function),
}

/// Starts the reviews module for `#stamped-main-widget`: imports it when
/// the widget nears the viewport (at once with `now`), or calls its
/// `start` again when it is already loaded so a replaced widget is bound.
fn reviews(now: bool) {
    let Some(widget) = page::document().and_then(|d| d.get_element_by_id(WIDGET_ID)) else {
        return;
    };
    let mut reviews = STATE.with(|s| s.reviews.take());
    let step = match &reviews {
        Reviews::Ready(start) => Step::Start(start.clone()),
        Reviews::Loading => Step::Nothing,
        Reviews::Watching(observer) if !now => {
            observer.observe(&widget);
            Step::Nothing
        }
        Reviews::Watching(_) => Step::Load,
        Reviews::Idle if now => Step::Load,
        Reviews::Idle => match watch(&widget) {
            Some(observer) => {
                reviews = Reviews::Watching(observer);
                Step::Nothing
            }
            None => Step::Load,
        },
    };
    STATE.with(|s| s.reviews.set(reviews));
    match step {
        Step::Nothing => {}
        Step::Load => load_reviews(),
        Step::Start(start) => {
            let _ = start.call0(&JsValue::NULL);
        }
    }
}

fn watch(widget: &Element) -> Option<IntersectionObserver> {
    let options = IntersectionObserverInit::new();
    options.set_root_margin(WIDGET_MARGIN);
    let observer = IntersectionObserver::new_with_options(
        &callback(Tag::Intersection, &JsValue::UNDEFINED),
        &options,
    )
    .ok()?;
    observer.observe(widget);
    Some(observer)
}

/// `IntersectionObserver` callback: imports the module once the widget is
/// within the margin.
pub(crate) fn intersected(entries: &JsValue) {
    let near = entries.dyn_ref::<Array>().is_some_and(|entries| {
        entries.iter().any(|entry| {
            entry
                .unchecked_into::<IntersectionObserverEntry>()
                .is_intersecting()
        })
    });
    if near {
        load_reviews();
    }
}

/// Imports the reviews module through the loader's `__starling.load`, at
/// most once per page; [`reviews_loaded`] then calls its `start`.
fn load_reviews() {
    let previous = STATE.with(|s| s.reviews.replace(Reviews::Loading));
    match previous {
        Reviews::Loading | Reviews::Ready(_) => {
            STATE.with(|s| s.reviews.set(previous));
            return;
        }
        Reviews::Watching(observer) => observer.disconnect(),
        Reviews::Idle => {}
    }

    let promise = page::starling().and_then(|starling| {
        let load = page::get(&starling, "load").dyn_into::<Function>().ok()?;
        load.call1(&starling, &JsValue::from_str("reviews")).ok()
    });
    match promise {
        Some(promise) => {
            crate::fetch::then(
                &promise,
                &callback(Tag::ModuleLoaded, &JsValue::UNDEFINED),
                &callback(Tag::ModuleFailed, &JsValue::UNDEFINED),
            );
        }
        None => reviews_failed(),
    }
}

/// The reviews module's namespace arrived: keep its `start` and call it.
pub(crate) fn reviews_loaded(module: &JsValue) {
    let Ok(start) = page::get(module, "start").dyn_into::<Function>() else {
        return reviews_failed();
    };
    STATE.with(|s| s.reviews.set(Reviews::Ready(start.clone())));
    let _ = start.call0(&JsValue::NULL);
}

/// The reviews module could not be imported: warn once; a later scan may
/// try again.
pub(crate) fn reviews_failed() {
    STATE.with(|s| s.reviews.set(Reviews::Idle));
    if !STATE.with(|s| s.warned_module.replace(true)) {
        page::warn("Could not load the reviews module", &JsValue::UNDEFINED);
    }
}
