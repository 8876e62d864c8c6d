//! State and behaviour of the main widget: configuration from its
//! `data-*` attributes, the review requests (latest wins), rendering or
//! hydrating, and the one delegated event listener.

use std::cell::{Cell, RefCell};

use js_sys::{Array, Function};
use starling_model::{MAX_PER_PAGE, ProductId, ReviewsResponse, Sort};
use starling_render::{ReviewsView, push_u32};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Element, Event, KeyboardEvent, Response};

use crate::page;

/// Id of the widget placeholder.
pub const WIDGET_ID: &str = "stamped-main-widget";
/// Id of the element the widget is moved into, when a theme has one.
pub const PLACEHOLDER_ID: &str = "stamped-main-widget-placeholder";
/// Class the widget carries while a request is in flight.
pub const LOADING_CLASS: &str = "stamped-main-widget-loading";
/// Reviews per page without `data-take-reviews`.
pub const DEFAULT_TAKE: u32 = 5;

const ROW: &str = ".summary-rating";
const PAGE_LINK: &str = ".stamped-pagination [data-page]";
const CLEAR: &str = ".stamped-summary-actions-clear";
const SORT_SELECT: &str = ".stamped-sort-select";
const METHODS: [&str; 3] = ["pageReviews", "sortReviews", "filterClear"];

/// The bound widget and the reader's choices.
#[derive(Debug)]
struct Widget {
    element: Element,
    product_id: ProductId,
    product_title: String,
    per_page: u32,
    sort: Sort,
    rating: Option<u8>,
    page: u32,
    /// Whether the widget shows a full rendering (ours or the theme's), so
    /// later loads replace only the list.
    rendered: bool,
}

thread_local! {
    static WIDGET: RefCell<Option<Widget>> = const { RefCell::new(None) };
    /// Number of the latest request; an older response is dropped.
    static LATEST: Cell<u32> = const { Cell::new(0) };
    static METHODS_INSTALLED: Cell<bool> = const { Cell::new(false) };
    static WARNED: Cell<bool> = const { Cell::new(false) };
}

/// Settings read from the widget's attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Normalised `data-product-id`.
    pub product_id: ProductId,
    /// `data-name`, for image descriptions.
    pub product_title: String,
    /// `data-take-reviews`, clamped to 1..=50; 5 without it.
    pub per_page: u32,
    /// `data-sort` (legacy values accepted), else the hydrated
    /// `.stamped-container[data-widget-sort]`, else recent.
    pub sort: Sort,
}

/// Reads the widget's configuration; `None` when `data-product-id` is
/// missing or not a product id.
pub fn config(element: &Element) -> Option<Config> {
    let raw = element.get_attribute("data-product-id").unwrap_or_default();
    let Ok(product_id) = ProductId::parse(&raw) else {
        warn_once(
            "Main widget skipped: data-product-id is not a product id:",
            &raw,
        );
        return None;
    };
    let per_page = element
        .get_attribute("data-take-reviews")
        .and_then(|take| take.trim().parse::<u32>().ok())
        .map_or(DEFAULT_TAKE, |take| take.clamp(1, MAX_PER_PAGE));
    let container_sort = || {
        element
            .query_selector(".stamped-container[data-widget-sort]")
            .ok()
            .flatten()
            .and_then(|container| container.get_attribute("data-widget-sort"))
    };
    let sort = element
        .get_attribute("data-sort")
        .or_else(container_sort)
        .and_then(|value| Sort::parse(value.trim()))
        .unwrap_or_default();
    Some(Config {
        product_id,
        product_title: element.get_attribute("data-name").unwrap_or_default(),
        per_page,
        sort,
    })
}

/// Binds `#stamped-main-widget` unless it is bound already: moves it into
/// the placeholder, adds the delegated listener, then loads the first page
/// or hydrates what the theme printed.
pub fn bind() {
    let document = page::document();
    let Some(element) = document.get_element_by_id(WIDGET_ID) else {
        return;
    };
    if element.has_attribute("data-starling") {
        return;
    }
    let Some(config) = config(&element) else {
        return;
    };
    if let Some(placeholder) = document.get_element_by_id(PLACEHOLDER_ID)
        && !placeholder.contains(Some(&element))
    {
        let _ = placeholder.append_child(&element);
    }
    let _ = element.set_attribute("data-starling", "bound");

    let listener = Closure::<dyn Fn(Event)>::new(handle_event).into_js_value();
    for kind in ["click", "keydown", "change"] {
        let _ = element.add_event_listener_with_callback(kind, listener.unchecked_ref());
    }

    let hydrated = element.child_element_count() > 0;
    WIDGET.with(|widget| {
        *widget.borrow_mut() = Some(Widget {
            element,
            product_id: config.product_id,
            product_title: config.product_title,
            per_page: config.per_page,
            sort: config.sort,
            rating: None,
            page: 1,
            rendered: hydrated,
        })
    });
    if hydrated {
        page::dispatch("stamped:reviews:loaded");
    } else {
        load(1);
    }
}

/// Sets `StampedFn.pageReviews`, `sortReviews` and `filterClear`, once.
pub fn install_methods() {
    if METHODS_INSTALLED.with(|done| done.replace(true)) {
        return;
    }
    let window = page::window();
    let mut stamped = page::get(&window, "StampedFn");
    if !stamped.is_object() {
        stamped = js_sys::Object::new().into();
        page::set(&window, "StampedFn", &stamped);
    }
    let page_reviews = Closure::<dyn Fn(JsValue, JsValue)>::new(|page_number, rating| {
        page_reviews(&page_number, &rating)
    });
    let sort_reviews = Closure::<dyn Fn(JsValue)>::new(|select| sort_reviews(&select));
    let filter_clear = Closure::<dyn Fn()>::new(filter_clear);
    page::set(&stamped, METHODS[0], &page_reviews.into_js_value());
    page::set(&stamped, METHODS[1], &sort_reviews.into_js_value());
    page::set(&stamped, METHODS[2], &filter_clear.into_js_value());
}

/// Replays calls to this module's methods that the loader queued in
/// `__starling.q` before the module ran; other calls stay queued.
pub fn drain_queue() {
    let Ok(queue) = page::get(&page::starling(), "q").dyn_into::<Array>() else {
        return;
    };
    let stamped = page::get(&page::window(), "StampedFn");
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

/// `StampedFn.pageReviews(page, rating?)`: loads `page`, keeping the sort
/// and, unless `rating` (1 to 5) is given, the star filter.
pub fn page_reviews(page_number: &JsValue, rating: &JsValue) {
    let number = as_number(page_number).unwrap_or(1).max(1);
    if let Some(stars) = as_number(rating).filter(|stars| (1..=5).contains(stars)) {
        set_rating(Some(stars as u8));
    }
    load(number);
}

/// `StampedFn.sortReviews(select)`: reloads page 1 in the order named by
/// the select's value (or a string), legacy values included.
pub fn sort_reviews(select: &JsValue) {
    let value = select
        .as_string()
        .or_else(|| page::get(select, "value").as_string())
        .unwrap_or_default();
    let Some(sort) = Sort::parse(value.trim()) else {
        return;
    };
    let element = with_widget(|widget| {
        widget.sort = sort;
        widget.element.clone()
    });
    if let Some(element) = element {
        sync_select(&element, sort);
        load(1);
    }
}

/// `StampedFn.filterClear()`: drops the star filter and reloads page 1.
pub fn filter_clear() {
    set_rating(None);
    load(1);
}

/// A page or star number given as a JS number or a string of digits.
fn as_number(value: &JsValue) -> Option<u32> {
    let number = match value.as_f64() {
        Some(number) if (1.0..100_000.0).contains(&number) => number as u32,
        Some(_) => return None,
        None => value.as_string()?.trim().parse::<u32>().ok()?,
    };
    (1..100_000).contains(&number).then_some(number)
}

fn with_widget<T>(f: impl FnOnce(&mut Widget) -> T) -> Option<T> {
    WIDGET.with(|widget| widget.borrow_mut().as_mut().map(f))
}

/// The one delegated listener: histogram rows (click, Enter, Space),
/// pagination links, the clear link and the sort select. Elements with a
/// legacy inline handler (`onclick`, `onchange`) are left to it.
fn handle_event(event: Event) {
    let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return;
    };
    let kind = event.type_();
    if kind == "change" {
        if target.matches(SORT_SELECT).unwrap_or(false) && !target.has_attribute("onchange") {
            sort_reviews(&target);
        }
        return;
    }
    let activates = kind == "click"
        || event
            .dyn_ref::<KeyboardEvent>()
            .is_some_and(|key| key.key() == "Enter" || key.key() == " ");
    if !activates {
        return;
    }
    let closest = |selector| target.closest(selector).ok().flatten();

    if let Some(row) = closest(ROW) {
        if row.has_attribute("onclick") {
            return;
        }
        event.prevent_default();
        if let Some(stars) = row_rating(&row) {
            let current = with_widget(|widget| widget.rating).flatten();
            set_rating(if current == Some(stars) {
                None
            } else {
                Some(stars)
            });
            load(1);
        }
    } else if kind == "click" {
        if let Some(link) = closest(PAGE_LINK) {
            if link.has_attribute("onclick") {
                return;
            }
            event.prevent_default();
            if let Some(number) = link
                .get_attribute("data-page")
                .and_then(|n| n.trim().parse::<u32>().ok())
            {
                load(number.max(1));
                scroll_to_top();
            }
        } else if let Some(clear) = closest(CLEAR)
            && !clear.has_attribute("onclick")
        {
            event.prevent_default();
            filter_clear();
        }
    }
}

/// Star value of a histogram row: its `data-rating`, or its bar's.
fn row_rating(row: &Element) -> Option<u8> {
    row.get_attribute("data-rating")
        .or_else(|| {
            row.query_selector(".summary-rating-bar[data-rating]")
                .ok()
                .flatten()?
                .get_attribute("data-rating")
        })
        .and_then(|value| value.trim().parse::<u8>().ok())
        .filter(|stars| (1..=5).contains(stars))
}

/// Records the star filter and marks the histogram: `selected` on the
/// chosen row, its bar and `.stamped-summary-ratings`, `aria-pressed` on
/// every row.
fn set_rating(rating: Option<u8>) {
    let Some(element) = with_widget(|widget| {
        widget.rating = rating;
        widget.element.clone()
    }) else {
        return;
    };
    if let Ok(rows) = element.query_selector_all(ROW) {
        for index in 0..rows.length() {
            let Some(row) = rows.item(index).and_then(|n| n.dyn_into::<Element>().ok()) else {
                continue;
            };
            let selected = rating.is_some() && row_rating(&row) == rating;
            let _ = row.class_list().toggle_with_force("selected", selected);
            let _ = row.set_attribute("aria-pressed", if selected { "true" } else { "false" });
            if let Ok(Some(bar)) = row.query_selector(".summary-rating-bar") {
                let _ = bar.class_list().toggle_with_force("selected", selected);
            }
        }
    }
    if let Ok(Some(ratings)) = element.query_selector(".stamped-summary-ratings") {
        let _ = ratings
            .class_list()
            .toggle_with_force("selected", rating.is_some());
    }
}

fn sync_select(element: &Element, sort: Sort) {
    if let Ok(Some(select)) = element.query_selector(SORT_SELECT) {
        page::set(&select, "value", &JsValue::from_str(sort.as_str()));
    }
}

/// Scrolls the widget's top into view when it is above the viewport, so a
/// new page starts at its first review.
fn scroll_to_top() {
    if let Some(element) = with_widget(|widget| widget.element.clone())
        && element.get_bounding_client_rect().top() < 0.0
    {
        element.scroll_into_view();
    }
}

/// `{base}/v1/shops/{shop}/products/{id}/reviews?page&per_page&sort[&rating]`.
pub fn reviews_url(
    base: &str,
    shop: &str,
    product_id: &ProductId,
    page: u32,
    per_page: u32,
    sort: Sort,
    rating: Option<u8>,
) -> String {
    let mut url = String::with_capacity(base.len() + shop.len() + 96);
    url.push_str(base);
    url.push_str("/v1/shops/");
    url.push_str(shop);
    url.push_str("/products/");
    url.push_str(product_id.as_str());
    url.push_str("/reviews?page=");
    push_u32(&mut url, page);
    url.push_str("&per_page=");
    push_u32(&mut url, per_page);
    url.push_str("&sort=");
    url.push_str(sort.as_str());
    if let Some(stars) = rating {
        url.push_str("&rating=");
        push_u32(&mut url, u32::from(stars));
    }
    url
}

/// Requests `page` with the current sort and filter. The widget carries
/// the loading class meanwhile; only the latest request's answer is shown.
fn load(page_number: u32) {
    let Some(shop) = page::shop() else {
        warn_once_value(
            "Reviews not loaded: no shop is known yet",
            &JsValue::UNDEFINED,
        );
        return;
    };
    let Some((url, element)) = with_widget(|widget| {
        widget.page = page_number;
        let url = reviews_url(
            &page::base(),
            &shop,
            &widget.product_id,
            page_number,
            widget.per_page,
            widget.sort,
            widget.rating,
        );
        (url, widget.element.clone())
    }) else {
        return;
    };
    let request = LATEST.with(|latest| latest.get().wrapping_add(1));
    LATEST.with(|latest| latest.set(request));
    let _ = element.class_list().add_1(LOADING_CLASS);
    let _ = element.set_attribute("aria-busy", "true");

    wasm_bindgen_futures::spawn_local(async move {
        let response = fetch_reviews(&url).await;
        if LATEST.with(Cell::get) != request {
            return;
        }
        let _ = element.class_list().remove_1(LOADING_CLASS);
        let _ = element.remove_attribute("aria-busy");
        match response {
            Some(response) => render(&response),
            None => warn_once(
                "Reviews request failed; the widget keeps its content. URL:",
                &url,
            ),
        }
    });
}

async fn fetch_reviews(url: &str) -> Option<ReviewsResponse> {
    let response: Response = JsFuture::from(page::window().fetch_with_str(url))
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    if !response.ok() {
        return None;
    }
    let body = JsFuture::from(response.json().ok()?).await.ok()?;
    crate::decode::reviews_response(&body)
}

/// Shows `response`: the whole widget the first time, afterwards only the
/// list in `.stamped-reviews` so the summary, the select and the focus
/// stay. Then `stamped:reviews:loaded`.
fn render(response: &ReviewsResponse) {
    let Some((element, view_sort, rating, title, rendered)) = with_widget(|widget| {
        let first = !widget.rendered;
        widget.rendered = true;
        widget.page = response.page;
        (
            widget.element.clone(),
            widget.sort,
            widget.rating,
            widget.product_title.clone(),
            !first,
        )
    }) else {
        return;
    };
    let view = ReviewsView {
        sort: view_sort,
        rating,
        product_title: &title,
    };
    let list = if rendered {
        element.query_selector(".stamped-reviews").ok().flatten()
    } else {
        None
    };
    match list {
        Some(list) => {
            list.set_inner_html(&starling_render::reviews_list(response, view));
            let _ = list.set_attribute(
                "data-filtered",
                if rating.is_some() { "true" } else { "false" },
            );
            if let Ok(Some(container)) = element.query_selector(".stamped-container") {
                let _ = container.set_attribute("data-widget-sort", view_sort.as_str());
            }
            keep_focus_in(&list);
        }
        None => element.set_inner_html(&starling_render::widget(response, view)),
    }
    page::dispatch("stamped:reviews:loaded");
}

/// Moves the focus to the review list when the element that had it (a page
/// link inside the list) was replaced, so keyboard users stay in the widget
/// instead of starting over at the top of the page.
fn keep_focus_in(list: &Element) {
    let document = page::document();
    let lost = match document.active_element() {
        None => true,
        Some(active) => document.body().is_some_and(|body| active == *body.as_ref()),
    };
    if lost && let Ok(list) = list.clone().dyn_into::<web_sys::HtmlElement>() {
        let _ = list.set_attribute("tabindex", "-1");
        let _ = list.focus();
    }
}

fn warn_once(message: &str, detail: &str) {
    warn_once_value(message, &JsValue::from_str(detail));
}

fn warn_once_value(message: &str, detail: &JsValue) {
    if !WARNED.with(|warned| warned.replace(true)) {
        page::warn(message, detail);
    }
}
