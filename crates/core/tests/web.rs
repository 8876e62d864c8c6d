//! Browser tests of the core in headless Chromium: badge scanning and
//! normalisation, rendering into real elements, and the whole start
//! sequence against a stubbed `fetch` (one request per scan, events,
//! observer, re-scans that fetch nothing, failures that blank nothing).
//!
//! Run with `wasm-bindgen-test-runner` as the wasm32 runner; Chrome's
//! flags come from `webdriver.json` beside this crate's manifest.

#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Function, Promise, Reflect};
use starling_core::{Mode, badges};
use starling_model::{Badge, ProductId, Rating};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{Document, Element};

wasm_bindgen_test_configure!(run_in_browser);

fn window() -> web_sys::Window {
    web_sys::window().expect("window")
}

/// A fresh document, so these tests do not see each other's badges.
fn detached_document(body: &str) -> Document {
    let document = window()
        .document()
        .expect("document")
        .implementation()
        .expect("implementation")
        .create_html_document_with_title("test")
        .expect("new document");
    document.body().expect("body").set_inner_html(body);
    document
}

fn by_id(document: &Document, id: &str) -> Element {
    document.get_element_by_id(id).expect(id)
}

fn js(args: &str, body: &str) -> Function {
    Function::new_with_args(args, body)
}

fn global(name: &str) -> JsValue {
    Reflect::get(&window(), &name.into()).expect(name)
}

async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .expect("timeout");
    });
    JsFuture::from(promise).await.expect("sleep");
}

/// Waits up to a second for `done`.
async fn until(done: impl Fn() -> bool) {
    for _ in 0..100 {
        if done() {
            return;
        }
        sleep(10).await;
    }
    panic!("condition not met within a second");
}

fn badge(id: &str, hundredths: u16, count: u32, questions: u32) -> Badge {
    Badge {
        product_id: ProductId::parse(id).expect("id"),
        average: Rating::from_hundredths(hundredths),
        count,
        questions,
    }
}

#[wasm_bindgen_test]
fn find_normalises_ids_and_marks_what_it_takes() {
    let document = detached_document(
        r#"<span id="plain" class="stamped-product-reviews-badge" data-id="123"></span>
           <span id="gid" class="stamped-product-reviews-badge" data-id="gid://shopify/Product/456"></span>
           <span id="prefixed" class="stamped-product-reviews-badge" data-id=" shopify-789 "></span>
           <span id="liquid" class="stamped-product-reviews-badge" data-id="{{ product.id }}"></span>
           <span id="again" class="stamped-product-reviews-badge" data-id="123"></span>
           <span id="done" class="stamped-product-reviews-badge" data-id="5" data-starling="filled"></span>
           <span class="stamped-product-reviews-badge"></span>"#,
    );

    let found = badges::find(&document, Mode::New);
    let ids: Vec<&str> = found.badges.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["123", "456", "789", "123"]);
    assert_eq!(found.invalid.as_deref(), Some("{{ product.id }}"));
    for id in ["plain", "gid", "prefixed", "again"] {
        assert_eq!(
            by_id(&document, id)
                .get_attribute("data-starling")
                .as_deref(),
            Some("pending")
        );
    }
    assert_eq!(
        by_id(&document, "liquid")
            .get_attribute("data-starling")
            .as_deref(),
        Some("invalid")
    );

    let again = badges::find(&document, Mode::New);
    assert!(again.badges.is_empty(), "a second scan finds nothing new");
    assert!(again.invalid.is_none(), "an invalid id is reported once");
}

#[wasm_bindgen_test]
fn fill_renders_every_badge_of_a_product_and_marks_it() {
    let document = detached_document(
        r#"<span id="a" class="stamped-product-reviews-badge" data-id="1"></span>
           <span id="b" class="stamped-product-reviews-badge" data-id="shopify-1"></span>
           <span id="q" class="stamped-product-reviews-badge" data-id="1" data-type="qna"></span>
           <span id="none" class="stamped-product-reviews-badge" data-id="2">kept</span>"#,
    );
    let found = badges::find(&document, Mode::New);
    let filled = badges::fill(&found.badges, &[badge("1", 467, 3, 2)]);
    assert_eq!(filled, 3);

    for id in ["a", "b"] {
        let element = by_id(&document, id);
        assert_eq!(
            element.get_attribute("data-starling").as_deref(),
            Some("filled")
        );
        let inner = element.first_element_child().expect("badge");
        assert_eq!(inner.class_name(), "stamped-badge");
        assert_eq!(
            inner.get_attribute("aria-label").as_deref(),
            Some("Rated 4.7 out of 5 stars, 3 reviews")
        );
        let stars = element
            .query_selector_all(".stamped-starrating i")
            .expect("stars");
        assert_eq!(stars.length(), 5);
        let last: Element = stars.item(4).expect("fifth").dyn_into().expect("element");
        assert_eq!(last.class_name(), "stamped-fa stamped-fa-star-half-o");
    }
    assert_eq!(
        by_id(&document, "q").text_content().as_deref(),
        Some("2 questions")
    );

    let missing = by_id(&document, "none");
    assert_eq!(missing.inner_html(), "kept", "no data: content stays");
    assert_eq!(
        missing.get_attribute("data-starling").as_deref(),
        Some("error")
    );

    assert!(badges::find(&document, Mode::New).badges.is_empty());
    let retried = badges::find(&document, Mode::Retry);
    assert_eq!(
        retried.badges.len(),
        1,
        "an explicit re-scan retries failures"
    );
    assert_eq!(badges::find(&document, Mode::All).badges.len(), 3);
}

#[wasm_bindgen_test]
fn failed_badges_keep_prefilled_content() {
    let document = detached_document(
        r#"<span id="x" class="stamped-product-reviews-badge" data-id="9"><b>4.9 stars</b></span>"#,
    );
    let found = badges::find(&document, Mode::New);
    badges::mark_failed(&found.badges);
    let element = by_id(&document, "x");
    assert_eq!(element.inner_html(), "<b>4.9 stars</b>");
    assert_eq!(
        element.get_attribute("data-starling").as_deref(),
        Some("error")
    );
}

#[wasm_bindgen_test]
fn batches_are_distinct_sorted_and_listed() {
    let document = detached_document(
        r#"<i class="stamped-product-reviews-badge" data-id="30"></i>
           <i class="stamped-product-reviews-badge" data-id="4"></i>
           <i class="stamped-product-reviews-badge" data-id="gid://shopify/Product/30"></i>"#,
    );
    let found = badges::find(&document, Mode::New);
    let batches = badges::id_batches(&found.badges);
    assert_eq!(batches.len(), 1);
    assert_eq!(
        badges::url("https://starling.test", "demo.myshopify.com", &batches[0]),
        "https://starling.test/v1/shops/demo.myshopify.com/badges?ids=4,30"
    );
}

#[wasm_bindgen_test]
fn decode_reads_the_badges_response() {
    let body = js_sys::JSON::parse(
        r#"{"badges":[{"product_id":"1","average":4.67,"count":3,"questions":0},
                      {"product_id":"2","average":0,"count":0,"questions":5}]}"#,
    )
    .expect("json");
    let response = badges::decode(&body).expect("valid response");
    assert_eq!(
        response.badges,
        [badge("1", 467, 3, 0), badge("2", 0, 0, 5)]
    );
    let wrong = js_sys::JSON::parse(r#"{"badges":[{"product_id":"x"}]}"#).expect("json");
    assert!(badges::decode(&wrong).is_none());
}

#[wasm_bindgen_test]
fn shop_domains_are_plain_hosts() {
    use starling_core::page::shop_domain;
    assert_eq!(
        shop_domain("demo.myshopify.com").as_deref(),
        Some("demo.myshopify.com")
    );
    assert_eq!(
        shop_domain("https://Demo.myshopify.com/").as_deref(),
        Some("demo.myshopify.com")
    );
    assert_eq!(shop_domain("evil.com/../x?y"), Some("evil.com".to_owned()));
    assert_eq!(shop_domain("a b"), None);
    assert_eq!(shop_domain(""), None);
}

/// Installs a `fetch` that records URLs and answers badge requests for
/// every id asked (4.67 from 3 reviews), or 500 while `__fail` is set.
fn stub_fetch() {
    js(
        "",
        r#"window.__requests = []; window.__fail = false;
           window.fetch = function (url) {
             __requests.push(url);
             if (__fail) return Promise.resolve(new Response('{"error":{}}', {status: 500}));
             var ids = /ids=([^&]*)/.exec(url)[1].split(',');
             var body = {badges: ids.map(function (id) {
               return {product_id: id, average: 4.67, count: 3, questions: 1}; })};
             return Promise.resolve(new Response(JSON.stringify(body),
               {headers: {'content-type': 'application/json'}}));
           };
           window.__warnings = 0;
           var warn = console.warn;
           console.warn = function () { __warnings++; return warn.apply(console, arguments); };"#,
    )
    .call0(&JsValue::NULL)
    .expect("stub");
}

fn requests() -> Vec<String> {
    Array::from(&global("__requests"))
        .iter()
        .filter_map(|url| url.as_string())
        .collect()
}

fn count(name: &str) -> u32 {
    global(name).as_f64().unwrap_or(0.0) as u32
}

fn body() -> Element {
    window()
        .document()
        .expect("document")
        .body()
        .expect("body")
        .into()
}

fn add_badge(id: &str, data_id: &str, content: &str) -> Element {
    let document = window().document().expect("document");
    let element = document.create_element("span").expect("span");
    element.set_id(id);
    element.set_class_name("stamped-product-reviews-badge");
    element
        .set_attribute("data-id", data_id)
        .expect("attribute");
    element.set_inner_html(content);
    body().append_child(&element).expect("append");
    element
}

fn state(element: &Element) -> Option<String> {
    element.get_attribute("data-starling")
}

#[wasm_bindgen_test]
async fn start_runs_the_page_with_one_request_per_scan() {
    stub_fetch();
    let first = add_badge("p1", "7000000000001", "");
    let twin = add_badge("p1-twin", "gid://shopify/Product/7000000000001", "");
    let second = add_badge("p2", "shopify-7000000000002", "<em>server badge</em>");
    let liquid = add_badge("p-liquid", "{{ product.id }}", "");

    // The loader's state, with calls queued before the core arrived.
    js(
        "",
        r#"window.__events = [];
           ['stamped:init:starting', 'stamped:badges:loaded'].forEach(function (name) {
             document.addEventListener(name, function (e) {
               __events.push(name + (e.bubbles ? ':bubbles' : ''));
             });
           });
           window.__queuedListener = 0;
           window.StampedFn = {};
           window.__starling = {v: 1, base: 'https://starling.test', shop: null, key: null,
             q: [['on', ['stamped:badges:loaded', function () { __queuedListener++; }]],
                 ['init', [{storeUrl: 'demo.myshopify.com', apiKey: 'pubkey-demo'}]],
                 ['pageReviews', [2]]]};"#,
    )
    .call0(&JsValue::NULL)
    .expect("setup");

    starling_core::start();

    until(|| state(&first).as_deref() == Some("filled")).await;
    assert_eq!(
        requests(),
        [
            "https://starling.test/v1/shops/demo.myshopify.com/badges?ids=7000000000001,7000000000002"
        ]
    );
    assert_eq!(state(&twin).as_deref(), Some("filled"));
    assert_eq!(state(&second).as_deref(), Some("filled"));
    assert!(
        second.inner_html().contains("stamped-badge"),
        "server badge replaced by data"
    );
    assert_eq!(state(&liquid).as_deref(), Some("invalid"));
    assert_eq!(count("__warnings"), 1, "one warning for the Liquid id");
    let events: Vec<String> = Array::from(&global("__events"))
        .iter()
        .filter_map(|e| e.as_string())
        .collect();
    assert_eq!(events, ["stamped:init:starting", "stamped:badges:loaded"]);
    assert_eq!(
        count("__queuedListener"),
        1,
        "queued StampedFn.on was replayed"
    );
    assert_eq!(global("isInitializedStamped"), JsValue::TRUE);
    let starling = global("__starling");
    assert_eq!(
        Reflect::get(&starling, &"shop".into()).expect("shop"),
        "demo.myshopify.com"
    );
    assert_eq!(
        Reflect::get(&starling, &"key".into()).expect("key"),
        "pubkey-demo"
    );
    let left = Array::from(&Reflect::get(&starling, &"q".into()).expect("q"));
    assert_eq!(left.length(), 1, "other modules' calls stay queued");

    // Badges added later are found without any call from the page.
    let later = add_badge("p3", "7000000000003", "");
    let cached = add_badge("p1-later", "7000000000001", "");
    until(|| state(&later).as_deref() == Some("filled")).await;
    assert_eq!(requests().len(), 2);
    assert!(
        requests()[1].ends_with("badges?ids=7000000000003"),
        "{:?}",
        requests()
    );
    assert_eq!(
        state(&cached).as_deref(),
        Some("filled"),
        "known product: no request"
    );

    // Re-scans through StampedFn fetch nothing new and bind nothing twice.
    let stamped = global("StampedFn");
    for method in ["reloadUGC", "loadBadges", "loadWidget"] {
        let f: Function = Reflect::get(&stamped, &method.into()).expect(method).into();
        f.call0(&stamped).expect(method);
    }
    let init: Function = Reflect::get(&stamped, &"init".into()).expect("init").into();
    let same_shop = js_sys::JSON::parse(r#"{"storeUrl":"demo.myshopify.com"}"#).expect("json");
    init.call1(&stamped, &same_shop).expect("init");
    sleep(80).await;
    assert_eq!(requests().len(), 2, "{:?}", requests());

    // triggerEvent and on are plain document events.
    js(
        "",
        r#"window.__custom = null;
           StampedFn.on('stamped:custom', function (e) { __custom = e.detail; });
           StampedFn.triggerEvent('stamped:custom', {detail: 42});
           StampedFn.setOptions({is_ignore_submit_error: true});"#,
    )
    .call0(&JsValue::NULL)
    .expect("events");
    assert_eq!(global("__custom"), 42);
    let get_options: Function = Reflect::get(&stamped, &"getOptions".into())
        .expect("get")
        .into();
    let options = get_options.call0(&stamped).expect("options");
    assert_eq!(
        Reflect::get(&options, &"is_ignore_submit_error".into()).expect("flag"),
        JsValue::TRUE
    );

    // A failed request leaves badges as they were, with one warning.
    Reflect::set(&window(), &"__fail".into(), &JsValue::TRUE).expect("fail");
    let warnings = count("__warnings");
    let failing = add_badge("p4", "7000000000004", "<b>pre-filled</b>");
    let failing_too = add_badge("p5", "7000000000005", "");
    until(|| state(&failing).as_deref() == Some("error")).await;
    assert_eq!(failing.inner_html(), "<b>pre-filled</b>");
    assert_eq!(state(&failing_too).as_deref(), Some("error"));
    assert_eq!(count("__warnings"), warnings + 1);
    assert_eq!(requests().len(), 3);

    // An explicit call retries it once the server answers again.
    Reflect::set(&window(), &"__fail".into(), &JsValue::FALSE).expect("recover");
    let reload: Function = Reflect::get(&stamped, &"loadBadges".into())
        .expect("load")
        .into();
    reload.call0(&stamped).expect("loadBadges");
    until(|| state(&failing).as_deref() == Some("filled")).await;
    assert_eq!(requests().len(), 4);

    // A second start (a second loader) does nothing.
    starling_core::start();
    sleep(50).await;
    assert_eq!(requests().len(), 4);
}
