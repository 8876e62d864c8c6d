//! The 48-card collection page: every badge shows the API's numbers, one
//! badge request serves them all, and the page never loads the reviews
//! module.

use anyhow::{Result, ensure};
use starling_e2e::{
    WAIT, badge_request_ids, check_page_badges, paths_ending_with, wait_for_badges, with_env,
};

#[tokio::test]
async fn collection_badges_match_the_api() -> Result<()> {
    with_env(async |env| {
        let browser = &env.browser;
        browser.open(&env.server, "/demo/collection").await?;
        wait_for_badges(browser, 48, WAIT).await?;

        let checked = check_page_badges(env).await?;
        ensure!(checked == 48, "checked {checked} badges, expected 48");

        browser.wait_network_quiet().await?;
        let resources = browser.resources().await?;
        let badge_requests = badge_request_ids(&resources);
        ensure!(
            badge_requests.len() == 1,
            "{} badge requests were sent, expected one for the page: {badge_requests:?}",
            badge_requests.len()
        );
        for module in ["/reviews.wasm", "/reviews.js"] {
            let fetched = paths_ending_with(&resources, module);
            ensure!(
                fetched.is_empty(),
                "the collection page fetched the reviews module: {fetched:?}"
            );
        }
        browser.check_clean_page().await
    })
    .await
}
