//! The collection page that appends 24 cards a second after load: the
//! MutationObserver picks them up and requests only the new ids.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{Result, ensure};
use starling_e2e::{badge_request_ids, check_page_badges, wait_for_badges, with_env};

#[tokio::test]
async fn ajax_cards_render_their_badges() -> Result<()> {
    with_env(async |env| {
        let browser = &env.browser;
        browser.open(&env.server, "/demo/ajax").await?;
        wait_for_badges(browser, 72, Duration::from_secs(12)).await?;
        browser.wait_network_quiet().await?;

        let checked = check_page_badges(env).await?;
        ensure!(checked == 72, "checked {checked} badges, expected 72");

        let requests = badge_request_ids(&browser.resources().await?);
        let mut seen = HashSet::new();
        for id in requests.iter().flatten() {
            ensure!(
                seen.insert(id.clone()),
                "product {id} was requested twice: {requests:?}"
            );
        }
        browser.check_clean_page().await
    })
    .await
}
