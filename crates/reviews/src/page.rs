//! Access to the page for the reviews module: globals, the loader's
//! `__starling` object, property access and event dispatch.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use web_sys::{CustomEvent, Document, Window};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(thread_local_v2, js_name = window)]
    static WINDOW: Window;
    #[wasm_bindgen(thread_local_v2, js_name = document)]
    static DOCUMENT: Document;
}

/// The global `window`.
pub fn window() -> Window {
    WINDOW.with(Clone::clone)
}

/// The page's `document`.
pub fn document() -> Document {
    DOCUMENT.with(Clone::clone)
}

/// Property `name` of `target`; `undefined` when it cannot be read.
pub fn get(target: &JsValue, name: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// Sets property `name` of `target`, ignoring frozen objects.
pub fn set(target: &JsValue, name: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(name), value);
}

/// `window.__starling`, the loader's shared state.
pub fn starling() -> JsValue {
    get(&window(), "__starling")
}

/// Origin of the API, without a trailing slash: `__starling.base`, or the
/// page's origin when the loader is absent.
pub fn base() -> String {
    let base = get(&starling(), "base").as_string().unwrap_or_else(|| {
        get(&get(&window(), "location"), "origin")
            .as_string()
            .unwrap_or_default()
    });
    base.trim_end_matches('/').to_owned()
}

/// The shop domain in force, when it is a plain host name.
pub fn shop() -> Option<String> {
    let shop = get(&starling(), "shop").as_string()?;
    let valid = !shop.is_empty()
        && shop
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    valid.then_some(shop)
}

/// Dispatches `CustomEvent(name)` on `document` (no detail, not bubbling).
pub fn dispatch(name: &str) {
    if let Ok(event) = CustomEvent::new(name) {
        let _ = document().dispatch_event(&event);
    }
}

/// `console.warn("[Starling] " + message, detail)`.
pub fn warn(message: &str, detail: &JsValue) {
    let mut text = String::from("[Starling] ");
    text.push_str(message);
    web_sys::console::warn_2(&JsValue::from_str(&text), detail);
}
