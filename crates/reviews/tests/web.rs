//! Browser tests of the reviews module in headless Chromium, against a
//! stubbed `fetch`: first render, the star filter, paging, sorting, the
//! StampedFn methods, latest-request-wins, the placeholder and hydration.

#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::Element;

wasm_bindgen_test_configure!(run_in_browser);

fn window() -> web_sys::Window {
    web_sys::window().expect("window")
}

fn document() -> web_sys::Document {
    window().document().expect("document")
}

fn run(body: &str) -> JsValue {
    Function::new_no_args(body)
        .call0(&JsValue::NULL)
        .expect(body)
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

async fn until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..150 {
        if done() {
            return;
        }
        sleep(10).await;
    }
    panic!("{what}: not within 1.5 s");
}

fn requests() -> Vec<String> {
    Array::from(&global("__requests"))
        .iter()
        .filter_map(|url| url.as_string())
        .collect()
}

fn loaded() -> u32 {
    global("__loaded").as_f64().unwrap_or(0.0) as u32
}

fn select(selector: &str) -> Option<Element> {
    document().query_selector(selector).expect(selector)
}

fn count(selector: &str) -> u32 {
    document()
        .query_selector_all(selector)
        .expect(selector)
        .length()
}

/// A `fetch` that answers review requests from the URL: 7 reviews
/// (ratings 5,5,4,4,3,2,1), sorted and filtered as asked; requests for
/// page 2 wait 150 ms so a later request can overtake them.
fn stub_fetch() {
    run(r#"
        window.__requests = []; window.__loaded = 0;
        if (!window.__listening) {
          window.__listening = true;
          document.addEventListener('stamped:reviews:loaded', function () { __loaded++; });
        }
        var ratings = [5, 5, 4, 4, 3, 2, 1];
        window.fetch = function (url) {
          __requests.push(url);
          var q = {}; url.split('?')[1].split('&').forEach(function (kv) {
            var p = kv.split('='); q[p[0]] = p[1]; });
          var page = +q.page, per = +q.per_page, rating = q.rating ? +q.rating : 0;
          var all = ratings.map(function (r, i) { return {id: 'r_' + (i + 1), rating: r,
            title: 'Title ' + (i + 1), body: 'Body', author: 'Author ' + (i + 1),
            location: '', created_at: '2025-03-0' + (i + 1) + 'T10:00:00Z', verified: i == 0,
            reply: null, photos: [], votes: {up: 0, down: 0}}; });
          if (q.sort == 'lowest') all.reverse();
          var list = all.filter(function (r) { return !rating || r.rating == rating; });
          var body = {product_id: '7000000000001',
            summary: {average: 3.43, count: 7, histogram: {'5': 2, '4': 2, '3': 1, '2': 1, '1': 1}},
            page: page, per_page: per, pages: Math.ceil(list.length / per),
            reviews: list.slice((page - 1) * per, page * per)};
          var response = new Response(JSON.stringify(body));
          var delay = page == 2 ? 150 : 0;
          return new Promise(function (resolve) { setTimeout(function () { resolve(response); }, delay); });
        };
        window.__starling = {v: 1, base: 'https://starling.test', shop: 'demo.myshopify.com', q: []};
    "#);
}

fn click(element: &Element) {
    element.unchecked_ref::<web_sys::HtmlElement>().click();
}

fn press_enter(element: &Element) {
    let dispatch = Function::new_with_args(
        "el",
        "el.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true, cancelable: true}))",
    );
    dispatch.call1(&JsValue::NULL, element).expect("keydown");
}

fn call_stamped(method: &str, args: &[JsValue]) {
    let stamped = global("StampedFn");
    let f: Function = Reflect::get(&stamped, &method.into()).expect(method).into();
    let args: Array = args.iter().collect();
    f.apply(&stamped, &args).expect(method);
}

#[wasm_bindgen_test]
async fn widget_renders_filters_pages_and_sorts() {
    stub_fetch();
    let body = document().body().expect("body");
    body.insert_adjacent_html(
        "beforeend",
        r#"<div id="stamped-main-widget-placeholder"></div>
           <div id="stamped-main-widget" class="stamped-main-widget"
                data-product-id="gid://shopify/Product/7000000000001" data-name="Linen &quot;Shirt&quot;"
                data-take-reviews="2" data-sort="highest-rating"></div>"#,
    )
    .expect("markup");
    // Called before the module ran: queued by the loader.
    run("window.StampedFn = {}; __starling.q.push(['pageReviews', [1]]);");

    starling_reviews::start();
    until("first render", || loaded() >= 1).await;
    let widget = select("#stamped-main-widget").expect("widget");
    assert_eq!(
        widget.parent_element().map(|p| p.id()).as_deref(),
        Some("stamped-main-widget-placeholder"),
        "moved into the placeholder"
    );
    assert!(requests()[0].starts_with(
        "https://starling.test/v1/shops/demo.myshopify.com/products/7000000000001/reviews?page=1&per_page=2&sort=highest"
    ));
    assert_eq!(count(".stamped-review"), 2);
    assert_eq!(count(".summary-rating"), 5);
    let container = select(".stamped-container").expect("container");
    assert_eq!(container.get_attribute("data-count").as_deref(), Some("7"));
    assert_eq!(
        container.get_attribute("data-widget-style").as_deref(),
        Some("standard")
    );
    let sort = select("select#stamped-sort-select.stamped-sort-select").expect("select");
    assert_eq!(
        Reflect::get(&sort, &"value".into()).expect("value"),
        "highest"
    );
    assert!(select(".stamped-pagination li.page.active").is_some());
    assert!(!widget.class_list().contains("stamped-main-widget-loading"));
    sleep(30).await;
    let settled = loaded();

    // Star filter: click a histogram row, again to clear, Enter works too.
    let summary = select(".stamped-summary").expect("summary");
    let row = select(".summary-rating[data-rating=\"4\"]").expect("row");
    click(&row);
    until("filtered render", || loaded() > settled).await;
    let last = requests().last().cloned().unwrap_or_default();
    assert!(
        last.contains("page=1&") && last.ends_with("&rating=4"),
        "{last}"
    );
    assert!(row.class_list().contains("selected"));
    assert_eq!(row.get_attribute("aria-pressed").as_deref(), Some("true"));
    assert!(select(".stamped-summary-ratings.selected").is_some());
    assert_eq!(count(".stamped-review"), 2);
    assert!(
        select(".stamped-summary")
            .expect("summary still there")
            .is_same_node(Some(&summary)),
        "later loads keep the summary element"
    );
    let filtered = loaded();
    click(&row);
    until("cleared render", || loaded() > filtered).await;
    assert!(
        !requests()
            .last()
            .cloned()
            .unwrap_or_default()
            .contains("rating=")
    );
    assert!(!row.class_list().contains("selected"));
    let cleared = loaded();
    press_enter(&select(".summary-rating[data-rating=\"5\"]").expect("row 5"));
    until("keyboard filter", || loaded() > cleared).await;
    assert!(
        requests()
            .last()
            .cloned()
            .unwrap_or_default()
            .ends_with("&rating=5")
    );
    call_stamped("filterClear", &[]);
    let before_page = loaded();
    until("filter cleared", || loaded() > before_page).await;

    // Paging keeps sort and filter state; the newest request wins even when
    // an older one answers last.
    let next = select(".stamped-pagination .next a").expect("next link");
    click(&next); // page 2, answered after 150 ms
    call_stamped("pageReviews", &[JsValue::from(3)]);
    sleep(250).await;
    let active = select(".stamped-pagination li.page.active a").expect("active");
    assert_eq!(
        active.text_content().as_deref(),
        Some("3"),
        "page 3 stays on screen"
    );
    assert!(requests().iter().any(|url| url.contains("page=2&")));
    assert!(
        requests()
            .last()
            .cloned()
            .unwrap_or_default()
            .contains("page=3&per_page=2&sort=highest")
    );

    // Sorting reloads page 1 and the select keeps the choice.
    let sort = select("#stamped-sort-select").expect("select");
    Reflect::set(&sort, &"value".into(), &"lowest".into()).expect("set");
    let before_sort = loaded();
    Function::new_with_args(
        "el",
        "el.dispatchEvent(new Event('change', {bubbles: true}))",
    )
    .call1(&JsValue::NULL, &sort)
    .expect("change");
    until("sorted render", || loaded() > before_sort).await;
    assert!(
        requests()
            .last()
            .cloned()
            .unwrap_or_default()
            .contains("page=1&per_page=2&sort=lowest")
    );
    let first_title = select(".stamped-review h3").expect("title");
    assert_eq!(first_title.text_content().as_deref(), Some("Title 7"));
    assert_eq!(
        Reflect::get(
            &select("#stamped-sort-select").expect("select"),
            &"value".into()
        )
        .expect("v"),
        "lowest"
    );
    assert_eq!(
        select(".stamped-container")
            .and_then(|c| c.get_attribute("data-widget-sort"))
            .as_deref(),
        Some("lowest")
    );

    // A second start binds nothing twice: one click, one request.
    starling_reviews::start();
    let before = requests().len();
    click(&select(".summary-rating[data-rating=\"2\"]").expect("row 2"));
    sleep(60).await;
    assert_eq!(requests().len(), before + 1);
}

#[wasm_bindgen_test]
async fn server_rendered_widget_is_hydrated_not_refetched() {
    stub_fetch();
    // Replace any widget of another test (a theme re-rendering a section).
    if let Some(old) = select("#stamped-main-widget") {
        old.remove();
    }
    if let Some(old) = select("#stamped-main-widget-placeholder") {
        old.remove();
    }
    let body = document().body().expect("body");
    body.insert_adjacent_html(
        "beforeend",
        r#"<div id="stamped-main-widget" data-product-id="7000000000001">
             <div class="stamped-container" data-widget-sort="lowest-rating">
               <div class="stamped-summary-ratings">
                 <div class="summary-rating"><div class="summary-rating-bar" data-rating="3"></div></div>
               </div>
               <div class="stamped-reviews"><div class="stamped-review">server review</div></div>
             </div>
           </div>"#,
    )
    .expect("markup");

    starling_reviews::start();
    until("hydrated event", || loaded() >= 1).await;
    assert!(requests().is_empty(), "hydration fetches nothing");
    assert_eq!(
        select(".stamped-review")
            .and_then(|r| r.text_content())
            .as_deref(),
        Some("server review")
    );

    // Legacy rows (rating on the bar) filter, replacing only the list.
    click(&select(".summary-rating").expect("legacy row"));
    until("filtered", || loaded() >= 2).await;
    let last = requests().last().cloned().unwrap_or_default();
    assert!(
        last.contains("sort=lowest") && last.ends_with("rating=3"),
        "{last}"
    );
    assert_eq!(
        count(".stamped-summary-ratings"),
        1,
        "summary not re-rendered"
    );
    assert_eq!(count(".stamped-review"), 1);
}
