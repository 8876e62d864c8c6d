//! The real `window.StampedFn` methods that replace the loader's queueing
//! stubs, and the replay of the calls queued before the core ran.
//!
//! Methods of other modules (`pageReviews`, `sortReviews`, ...) stay
//! queued in `__starling.q` for their module to replay.

use js_sys::{Array, Function, Object};
use wasm_bindgen::prelude::*;
use web_sys::{CustomEvent, CustomEventInit};

use crate::page;
use crate::route::{Tag, callback};
use crate::scan;

/// `StampedFn` methods the core implements.
const METHODS: [&str; 10] = [
    "init",
    "reloadUGC",
    "loadBadges",
    "loadWidget",
    "loadDisplayWidgets",
    "initRewards",
    "on",
    "triggerEvent",
    "getOptions",
    "setOptions",
];

/// Replaces the core's methods on `window.StampedFn` (created if
/// missing), keeping the object itself and its other members.
pub fn install(starling: &Object) {
    let Some(stamped) = page::global_object("StampedFn") else {
        return;
    };
    // TODO: display widgets (carousel module) are not scanned yet;
    // `loadDisplayWidgets` re-scans badges and the main widget.
    let tags = [
        Tag::Init,
        Tag::Rescan,
        Tag::Rescan,
        Tag::RescanWidget,
        Tag::Rescan,
        Tag::Nothing,
        Tag::On,
        Tag::Trigger,
        Tag::GetOptions,
        Tag::SetOptions,
    ];
    for (name, tag) in METHODS.iter().zip(tags) {
        page::set(&stamped, name, &callback(tag, &JsValue::UNDEFINED));
    }
    page::set(starling, "core", &JsValue::TRUE);
}

/// Replays the queued calls to the core's methods in order; calls to other
/// modules' methods stay in the queue.
pub fn drain_queue(starling: &Object) {
    let Ok(queue) = page::get(starling, "q").dyn_into::<Array>() else {
        return;
    };
    let Some(window) = page::window() else {
        return;
    };
    let stamped = page::get(&window, "StampedFn");
    let entries = queue.slice(0, queue.length());
    queue.set_length(0);
    for entry in entries.iter() {
        let name = js_sys::Reflect::get_u32(&entry, 0)
            .ok()
            .and_then(|name| name.as_string())
            .unwrap_or_default();
        if !METHODS.contains(&name.as_str()) {
            queue.push(&entry);
            continue;
        }
        let args = js_sys::Reflect::get_u32(&entry, 1)
            .ok()
            .and_then(|args| args.dyn_into::<Array>().ok())
            .unwrap_or_default();
        if let Ok(method) = page::get(&stamped, &name).dyn_into::<Function>() {
            let _ = method.apply(&stamped, &args);
        }
    }
}

/// `StampedFn.init(opts?)`: merges `opts` into `StampedGlobalOptions`
/// (without an argument the object already there is used), records the
/// key, applies a new shop, and starts or re-scans.
pub(crate) fn init(opts: JsValue) {
    let (Some(global), Some(starling)) = (
        page::global_object("StampedGlobalOptions"),
        page::starling(),
    ) else {
        return;
    };
    if opts.is_object() {
        Object::assign(&global, opts.unchecked_ref());
    }
    if let Some(window) = page::window() {
        page::set(&window, "isInitializedStamped", &JsValue::TRUE);
    }
    if let Some(key) = page::get_string(&global, "apiKey") {
        page::set(&starling, "key", &JsValue::from_str(&key));
    }

    let mut changed = false;
    if let Some(store_url) = page::get_string(&global, "storeUrl") {
        let shop = page::shop_domain(&store_url).unwrap_or_default();
        if !shop.is_empty() && page::shop().as_deref() != Some(shop.as_str()) {
            page::set(&starling, "shop", &JsValue::from_str(&shop));
            changed = true;
        }
    }
    scan::after_init(changed);
}

/// `StampedFn.on(name, fn)`: `document.addEventListener(name, fn)`.
pub(crate) fn on(name: JsValue, listener: JsValue) {
    if let (Some(name), Some(listener), Some(document)) = (
        name.as_string(),
        listener.dyn_ref::<Function>(),
        page::document(),
    ) {
        let _ = document.add_event_listener_with_callback(&name, listener);
    }
}

/// `StampedFn.triggerEvent(name, init)`: dispatches
/// `new CustomEvent(name, init)` on `document`.
pub(crate) fn trigger_event(name: JsValue, init: JsValue) {
    let Some(name) = name.as_string() else {
        return;
    };
    let event = if init.is_object() {
        CustomEvent::new_with_event_init_dict(&name, init.unchecked_ref::<CustomEventInit>())
    } else {
        CustomEvent::new(&name)
    };
    if let (Ok(event), Some(document)) = (event, page::document()) {
        let _ = document.dispatch_event(&event);
    }
}

/// `StampedFn.setOptions(o)`: merges `o` into the behaviour flags.
pub(crate) fn set_options(update: JsValue) {
    if update.is_object() {
        Object::assign(&options(), update.unchecked_ref());
    }
}

/// The behaviour flags of `getOptions`/`setOptions`, kept as
/// `__starling.o` so the loader's stubs and the core share them.
pub(crate) fn options() -> Object {
    let Some(starling) = page::starling() else {
        return Object::new();
    };
    let current = page::get(&starling, "o");
    if let Ok(object) = current.dyn_into::<Object>() {
        return object;
    }
    let object = Object::new();
    page::set(&starling, "o", &object);
    object
}
