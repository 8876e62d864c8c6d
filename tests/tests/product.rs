//! The product page's main reviews widget: summary, first page, sorting,
//! paging and the star filter each show exactly the reviews the API returns
//! for the same query, and `stamped:reviews:loaded` follows every render.

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};
use starling_e2e::{Env, SHOP, WAIT, demo_products, expected_label, with_env};

/// Records, for every `stamped:reviews:loaded`, the review ids on screen
/// at that moment. Installed before the page's own scripts run.
const RECORD_LOADS: &str = "window.__e2eLoads = []; \
    document.addEventListener('stamped:reviews:loaded', () => { \
      window.__e2eLoads.push([...document.querySelectorAll('#stamped-main-widget .stamped-review')] \
        .map(el => el.id)); });";

const SHOWN_IDS: &str = "return [...document.querySelectorAll('#stamped-main-widget .stamped-review')] \
    .map(el => el.id);";

/// One review list query: what the widget should be showing.
#[derive(Debug, Clone)]
struct Query {
    product: String,
    per_page: u64,
    page: u64,
    sort: String,
    rating: Option<u64>,
}

impl Query {
    /// The `#stamped-review-<id>` element ids the API returns for the query.
    async fn expected_ids(&self, env: &Env) -> Result<Vec<String>> {
        let mut path = format!(
            "/v1/shops/{SHOP}/products/{}/reviews?page={}&per_page={}&sort={}",
            self.product, self.page, self.per_page, self.sort
        );
        if let Some(rating) = self.rating {
            path.push_str(&format!("&rating={rating}"));
        }
        let response = env.server.json(&path).await?;
        let reviews = response["reviews"]
            .as_array()
            .with_context(|| format!("no reviews array from {path}"))?;
        reviews
            .iter()
            .map(|review| {
                review["id"]
                    .as_str()
                    .map(|id| format!("stamped-review-{id}"))
                    .with_context(|| format!("review without a string id: {review}"))
            })
            .collect()
    }
}

/// Finds a demo product with more than ten reviews by the API's badge
/// counts.
async fn product_with_many_reviews(env: &Env) -> Result<String> {
    let ids = demo_products(72);
    let badges = env.server.badges(&ids).await?;
    ids.into_iter()
        .find(|id| badges.get(id).is_some_and(|badge| badge.count > 10))
        .context("no demo product has more than 10 reviews")
}

async fn loads(env: &Env) -> Result<Vec<Value>> {
    let value = env
        .browser
        .eval("return window.__e2eLoads;", vec![])
        .await?;
    value
        .as_array()
        .cloned()
        .context("window.__e2eLoads is missing: the init script did not run")
}

/// Waits for render number `n` (counting `stamped:reviews:loaded`), then
/// checks that it was the only one and that both the list at the event and
/// the list now are exactly `query`'s reviews.
async fn check_render(env: &Env, n: usize, query: &Query, what: &str) -> Result<()> {
    env.browser
        .wait_until(
            &format!("stamped:reviews:loaded number {n} ({what})"),
            &format!("window.__e2eLoads && window.__e2eLoads.length >= {n}"),
            WAIT,
        )
        .await?;
    env.browser.wait_network_quiet().await?;

    let expected = query.expected_ids(env).await?;
    ensure!(
        !expected.is_empty(),
        "{what}: the API returned no reviews for {query:?}"
    );
    let loads = loads(env).await?;
    ensure!(
        loads.len() == n,
        "{what}: stamped:reviews:loaded fired {} times in all, expected {n}",
        loads.len()
    );
    ensure!(
        loads[n - 1] == json!(expected),
        "{what}: at stamped:reviews:loaded the list was {}, expected {expected:?}",
        loads[n - 1]
    );
    let shown = env.browser.eval(SHOWN_IDS, vec![]).await?;
    ensure!(
        shown == json!(expected),
        "{what}: the list shows {shown}, expected {expected:?}"
    );
    eprintln!(
        "ok: {what}: {} reviews as the API lists them",
        expected.len()
    );
    Ok(())
}

async fn sort_value(env: &Env) -> Result<String> {
    let value = env
        .browser
        .eval(
            "const s = document.querySelector('#stamped-sort-select'); return s && s.value;",
            vec![],
        )
        .await?;
    value
        .as_str()
        .map(str::to_owned)
        .context("#stamped-sort-select is missing")
}

async fn check_summary(env: &Env, product: &str) -> Result<()> {
    let response = env
        .server
        .json(&format!(
            "/v1/shops/{SHOP}/products/{product}/reviews?page=1"
        ))
        .await?;
    let summary = &response["summary"];
    let badge = starling_e2e::ExpectedBadge::from_json(&json!({
        "product_id": product,
        "average": summary["average"],
        "count": summary["count"],
    }))?;
    let shown = env
        .browser
        .eval(
            "const r = document.querySelector('#stamped-main-widget .stamped-summary-starrating'); \
             const s = document.querySelector('#stamped-main-widget .stamped-summary'); \
             return {label: r && r.getAttribute('aria-label'), text: s && s.textContent};",
            vec![],
        )
        .await?;
    let label = expected_label(&badge.rating_text(), badge.count);
    ensure!(
        shown["label"] == json!(label),
        "summary stars are named {}, expected {label:?}",
        shown["label"]
    );
    let text = shown["text"].as_str().unwrap_or_default();
    ensure!(
        text.contains(&badge.rating_text()) && text.contains(&badge.count.to_string()),
        "the summary {text:?} does not show {} and {}",
        badge.rating_text(),
        badge.count
    );
    Ok(())
}

#[tokio::test]
async fn product_widget_follows_the_api() -> Result<()> {
    with_env(async |env| {
        let browser = &env.browser;
        let product = product_with_many_reviews(env).await?;
        browser.add_init_script(RECORD_LOADS).await?;
        browser.open(&env.server, &format!("/demo/product/{product}")).await?;
        browser
            .eval(
                "document.querySelector('#stamped-main-widget').scrollIntoView();",
                vec![],
            )
            .await?;

        let per_page = browser
            .eval(
                "return document.querySelector('#stamped-main-widget').getAttribute('data-take-reviews');",
                vec![],
            )
            .await?
            .as_str()
            .and_then(|take| take.parse().ok())
            .unwrap_or(5);
        browser
            .wait_until("the sort select", "document.querySelector('#stamped-sort-select')", WAIT)
            .await?;
        let mut query = Query {
            product: product.clone(),
            per_page,
            page: 1,
            sort: sort_value(env).await?,
            rating: None,
        };
        let mut renders = 1;
        check_render(env, renders, &query, "first page").await?;
        check_summary(env, &product).await?;

        let options = browser
            .eval(
                "return [...document.querySelectorAll('#stamped-sort-select option')].map(o => o.value);",
                vec![],
            )
            .await?;
        let options: Vec<String> = serde_json::from_value(options)?;
        ensure!(options.len() > 1, "the sort select offers {options:?}");
        let initial_sort = query.sort.clone();
        for sort in options.iter().filter(|sort| **sort != initial_sort) {
            browser.select("#stamped-sort-select", sort).await?;
            renders += 1;
            query.sort = sort.clone();
            check_render(env, renders, &query, &format!("sort {sort}")).await?;
            let now = sort_value(env).await?;
            ensure!(now == *sort, "after sorting by {sort} the select shows {now}");
        }

        browser
            .click("#stamped-main-widget .stamped-pagination li.page a[data-page=\"2\"]")
            .await?;
        renders += 1;
        query.page = 2;
        check_render(env, renders, &query, "page 2").await?;
        let focus_in_widget = browser
            .eval(
                "return !!document.activeElement && \
                 !!document.activeElement.closest('#stamped-main-widget')",
                vec![],
            )
            .await?;
        ensure!(
            focus_in_widget == Value::Bool(true),
            "after clicking page 2 the focus left the reviews widget"
        );

        let response = env
            .server
            .json(&format!("/v1/shops/{SHOP}/products/{product}/reviews?page=1"))
            .await?;
        let histogram = &response["summary"]["histogram"];
        let rating = (1..=5u64)
            .max_by_key(|stars| histogram[stars.to_string()].as_u64().unwrap_or_default())
            .unwrap_or(5);
        browser
            .click(&format!(
                "#stamped-main-widget .summary-rating[data-rating=\"{rating}\"]"
            ))
            .await?;
        renders += 1;
        query.page = 1;
        query.rating = Some(rating);
        check_render(env, renders, &query, &format!("{rating}-star filter")).await?;

        browser.check_clean_page().await
    })
    .await
}
