//! Every JavaScript callback of the core (the `StampedFn` methods, the
//! observers, the timer, promise handlers) is one Rust closure bound to a
//! [`Tag`] and a context value with `Function.prototype.bind`. One closure
//! instead of twenty keeps the wasm and its glue small: each closure type
//! costs an adapter on both sides.

use std::cell::Cell;

use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::{scan, stamped};

/// What a bound callback does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// `StampedFn.init(opts)`.
    Init,
    /// `reloadUGC()`, `loadBadges()`, `loadDisplayWidgets()`.
    Rescan,
    /// `loadWidget(force)`: re-scan and import the reviews module now.
    RescanWidget,
    /// `initRewards()`: kept for theme code, does nothing.
    Nothing,
    /// `StampedFn.on(name, fn)`.
    On,
    /// `StampedFn.triggerEvent(name, init)`.
    Trigger,
    /// `StampedFn.getOptions()`.
    GetOptions,
    /// `StampedFn.setOptions(o)`.
    SetOptions,
    /// `DOMContentLoaded`.
    DomReady,
    /// `MutationObserver` records.
    Mutation,
    /// The scheduled automatic scan.
    Timer,
    /// `IntersectionObserver` entries for the main widget.
    Intersection,
    /// The reviews module's namespace arrived.
    ModuleLoaded,
    /// Importing the reviews module failed.
    ModuleFailed,
    /// A fetch `Response`: parse its JSON body when it is a 2xx.
    Parse,
    /// A badge batch's JSON body; the context is the batch number.
    BadgesArrived,
    /// A badge batch's request failed; the context is the batch number.
    BadgesFailed,
}

const TAGS: [Tag; 17] = [
    Tag::Init,
    Tag::Rescan,
    Tag::RescanWidget,
    Tag::Nothing,
    Tag::On,
    Tag::Trigger,
    Tag::GetOptions,
    Tag::SetOptions,
    Tag::DomReady,
    Tag::Mutation,
    Tag::Timer,
    Tag::Intersection,
    Tag::ModuleLoaded,
    Tag::ModuleFailed,
    Tag::Parse,
    Tag::BadgesArrived,
    Tag::BadgesFailed,
];

thread_local! {
    static ROUTER: Cell<Option<Function>> = const { Cell::new(None) };
}

/// A JS function that calls the core with `tag`, `context` and its first
/// two arguments. Lives as long as the page.
pub fn callback(tag: Tag, context: &JsValue) -> Function {
    let router = ROUTER.with(|cell| {
        let router: Function = cell.take().unwrap_or_else(|| {
            Closure::<dyn Fn(JsValue, JsValue, JsValue, JsValue) -> JsValue>::new(route)
                .into_js_value()
                .unchecked_into()
        });
        cell.set(Some(router.clone()));
        router
    });
    let bound: JsValue = router
        .bind2(&JsValue::NULL, &JsValue::from(tag as u32), context)
        .into();
    bound.unchecked_into()
}

fn route(tag: JsValue, context: JsValue, a: JsValue, b: JsValue) -> JsValue {
    let index = tag.as_f64().unwrap_or(-1.0) as usize;
    let Some(&tag) = TAGS.get(index) else {
        return JsValue::UNDEFINED;
    };
    match tag {
        Tag::Init => stamped::init(a),
        Tag::Rescan => scan::explicit(false),
        Tag::RescanWidget => scan::explicit(true),
        Tag::Nothing => {}
        Tag::On => stamped::on(a, b),
        Tag::Trigger => stamped::trigger_event(a, b),
        Tag::GetOptions => return stamped::options().into(),
        Tag::SetOptions => stamped::set_options(a),
        Tag::DomReady => scan::first_scan(),
        Tag::Mutation => scan::mutated(&a),
        Tag::Timer => scan::timer_fired(),
        Tag::Intersection => scan::intersected(&a),
        Tag::ModuleLoaded => scan::reviews_loaded(&a),
        Tag::ModuleFailed => scan::reviews_failed(),
        Tag::Parse => return crate::fetch::parse(&a),
        Tag::BadgesArrived => scan::badges_arrived(&context, Some(&a)),
        Tag::BadgesFailed => scan::badges_arrived(&context, None),
    }
    JsValue::UNDEFINED
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_listed_in_declaration_order() {
        for (index, tag) in TAGS.iter().enumerate() {
            assert_eq!(*tag as usize, index);
        }
    }
}
