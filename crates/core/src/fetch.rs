//! JSON GET requests through the page's `fetch`, chained with plain
//! promise callbacks: no futures executor and no JSON parser in the wasm
//! (the browser parses the body).

use js_sys::Function;
use wasm_bindgen::{JsCast, JsValue};

use crate::page;
use crate::route::{Tag, callback};

/// `promise.then(on_fulfilled, on_rejected)`; returns the new promise.
pub fn then(promise: &JsValue, on_fulfilled: &Function, on_rejected: &JsValue) -> JsValue {
    call(promise, "then", on_fulfilled, on_rejected)
}

/// `target[name](a, b)`; `undefined` when that is not a function or throws.
fn call(target: &JsValue, name: &str, a: &JsValue, b: &JsValue) -> JsValue {
    page::get(target, name)
        .dyn_into::<Function>()
        .ok()
        .and_then(|method| method.call2(target, a, b).ok())
        .unwrap_or(JsValue::UNDEFINED)
}

/// Fetches `url`; the parsed JSON body goes to the `on_body` callback, a
/// network error, a non-2xx status or an unparsable body to `on_error`,
/// both with `context`.
pub fn get_json(url: &str, on_body: Tag, on_error: Tag, context: &JsValue) {
    let Some(window) = page::window() else {
        return;
    };
    let response = window.fetch_with_str(url);
    let body = then(
        &response,
        &callback(Tag::Parse, context),
        &JsValue::UNDEFINED,
    );
    then(
        &body,
        &callback(on_body, context),
        &callback(on_error, context),
    );
}

/// The `then` step after `fetch`: `response.json()` for a 2xx, otherwise
/// a rejected promise.
pub fn parse(response: &JsValue) -> JsValue {
    if page::get(response, "ok").as_bool() == Some(true) {
        call(response, "json", &JsValue::UNDEFINED, &JsValue::UNDEFINED)
    } else {
        js_sys::Promise::reject(response).into()
    }
}
