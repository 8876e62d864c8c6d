//! The collection page with the loader twice, the legacy script tag and a
//! late `StampedFn.init`: one core, one badge request, one render per badge.

use anyhow::{Result, ensure};
use starling_e2e::{
    WAIT, badge_request_ids, check_page_badges, paths_ending_with, wait_for_badges, with_env,
};

#[tokio::test]
async fn double_embed_loads_and_renders_once() -> Result<()> {
    with_env(async |env| {
        let browser = &env.browser;
        browser.open(&env.server, "/demo/double").await?;
        wait_for_badges(browser, 48, WAIT).await?;
        // The page calls StampedFn.init on load; give any late request time
        // to start before counting.
        browser.wait_network_quiet().await?;

        // check_page_badges also requires exactly one .stamped-badge each.
        let checked = check_page_badges(env).await?;
        ensure!(checked == 48, "checked {checked} badges, expected 48");

        let resources = browser.resources().await?;
        let core = paths_ending_with(&resources, "/core.wasm");
        ensure!(core.len() == 1, "core.wasm was fetched {} times: {core:?}", core.len());
        let badge_requests = badge_request_ids(&resources);
        ensure!(
            badge_requests.len() == 1,
            "{} badge requests were sent, expected 1: {badge_requests:?}",
            badge_requests.len()
        );

        let starling = browser
            .eval(
                "return {type: typeof window.__starling, v: window.__starling && window.__starling.v};",
                vec![],
            )
            .await?;
        ensure!(
            starling["type"] == "object" && starling["v"] == 1,
            "window.__starling is not the loader's object: {starling}"
        );
        browser.check_clean_page().await
    })
    .await
}
