//! Access to the page: `window`, `document`, the loader's `__starling`
//! object, and dispatch of the legacy `stamped:*` events.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{CustomEvent, Document, Window};

#[wasm_bindgen]
extern "C" {
    // Read as plain globals: cheaper than `web_sys::window()`, which probes
    // four global objects and checks the type.
    #[wasm_bindgen(thread_local_v2, js_name = window)]
    static WINDOW: Window;
    #[wasm_bindgen(thread_local_v2, js_name = document)]
    static DOCUMENT: Document;
}

/// The global `window`. Kept an `Option` so callers read as if it could be
/// missing, which it cannot on a page.
pub fn window() -> Option<Window> {
    Some(WINDOW.with(Clone::clone))
}

/// The page's `document`.
pub fn document() -> Option<Document> {
    Some(DOCUMENT.with(Clone::clone))
}

/// Property `name` of `target`; `undefined` when it cannot be read.
pub fn get(target: &JsValue, name: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// Sets property `name` of `target`, ignoring frozen objects.
pub fn set(target: &JsValue, name: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(name), value);
}

/// Property `name` of `target` as a non-empty, trimmed string.
pub fn get_string(target: &JsValue, name: &str) -> Option<String> {
    get(target, name)
        .as_string()
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// `window[name]` as an object, created as `{}` when missing or not an
/// object.
pub fn global_object(name: &str) -> Option<Object> {
    let window = window()?;
    let value = get(&window, name);
    if value.is_object() {
        return value.dyn_into().ok();
    }
    let object = Object::new();
    set(&window, name, &object);
    Some(object)
}

/// `window.__starling`, the loader's shared state (`base`, `shop`, `key`,
/// `assets`, `q`, `load`). A bare one with the page's origin as base is
/// made when the core runs without the loader (tests, custom embeds).
pub fn starling() -> Option<Object> {
    let starling = global_object("__starling")?;
    if get_string(&starling, "base").is_none() {
        let location = get(window()?.as_ref(), "location");
        set(&starling, "base", &get(&location, "origin"));
    }
    if !js_sys::Array::is_array(&get(&starling, "q")) {
        set(&starling, "q", &js_sys::Array::new());
    }
    Some(starling)
}

/// Origin the API and bundles are served from, without a trailing slash.
pub fn base() -> String {
    starling()
        .and_then(|s| get_string(&s, "base"))
        .map(|base| base.trim_end_matches('/').to_owned())
        .unwrap_or_default()
}

/// The shop domain in force, e.g. `demo.myshopify.com`; `None` until a
/// valid one is known.
pub fn shop() -> Option<String> {
    shop_domain(&get_string(starling()?.as_ref(), "shop")?)
}

/// Reduces a `storeUrl` such as `https://demo.myshopify.com/` to the
/// shop domain `demo.myshopify.com`; `None` unless that is a host name
/// (ASCII letters, digits, `.` and `-`), so it can go into a URL path as
/// it is.
pub fn shop_domain(store_url: &str) -> Option<String> {
    let trimmed = store_url.trim();
    let without_scheme = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .unwrap_or(trimmed);
    let host = without_scheme.split('/').next().unwrap_or_default();
    let valid = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    valid.then(|| host.to_ascii_lowercase())
}

/// Dispatches `CustomEvent(name)` on `document`: no `detail`, `bubbles`
/// false, as the legacy script did.
pub fn dispatch(name: &str) {
    if let (Some(document), Ok(event)) = (document(), CustomEvent::new(name)) {
        let _ = document.dispatch_event(&event);
    }
}

/// `console.warn("[Starling] " + message, detail)`.
pub fn warn(message: &str, detail: &JsValue) {
    let mut text = String::with_capacity(12 + message.len());
    text.push_str("[Starling] ");
    text.push_str(message);
    web_sys::console::warn_2(&JsValue::from_str(&text), detail);
}
