//! The legacy embed forms and the product id forms, each on its own demo
//! page, sharing one browser.

use anyhow::{Context, Result, ensure};
use starling_e2e::{
    Env, WAIT, badge_request_ids, check_badge, check_page_badges, normalize_id, page_badges,
    with_env,
};

/// Waits until every badge with a product id is rendered (at least one).
async fn wait_for_id_badges(env: &Env) -> Result<()> {
    let condition = "(() => { \
        const all = [...document.querySelectorAll('.stamped-product-reviews-badge[data-id]')] \
          .filter(el => !el.getAttribute('data-id').includes('{')); \
        return all.length > 0 && all.every(el => el.querySelector('.stamped-badge')); })()";
    env.browser
        .wait_until("every badge with a product id to render", condition, WAIT)
        .await?;
    Ok(())
}

async fn embed_renders_badges(env: &Env, path: &str) -> Result<()> {
    env.browser.open(&env.server, path).await?;
    wait_for_id_badges(env).await?;
    check_page_badges(env).await?;
    env.browser.check_clean_page().await
}

async fn id_forms_resolve(env: &Env) -> Result<()> {
    let browser = &env.browser;
    browser.open(&env.server, "/demo/ids").await?;
    wait_for_id_badges(env).await?;
    browser.wait_network_quiet().await?;

    let shown = page_badges(browser).await?;
    for (data_id, product) in [
        ("gid://shopify/Product/7000000000003", "7000000000003"),
        ("shopify-7000000000004", "7000000000004"),
    ] {
        let badge = shown
            .iter()
            .find(|badge| badge.data_id == data_id)
            .with_context(|| format!("no badge with data-id {data_id:?}"))?;
        let expected = env.server.badges(&[product.to_owned()]).await?;
        let expected = expected
            .get(product)
            .with_context(|| format!("the API returned no badge for {product}"))?;
        check_badge(badge, expected)?;
    }

    let liquid: Vec<_> = shown
        .iter()
        .filter(|badge| normalize_id(&badge.data_id).is_none())
        .collect();
    ensure!(
        !liquid.is_empty(),
        "the page has no badge with a Liquid data-id"
    );
    for badge in liquid {
        ensure!(
            badge.inner_html_len == 0,
            "the Liquid badge {:?} was filled",
            badge.data_id
        );
    }

    let requests = badge_request_ids(&browser.resources().await?);
    ensure!(!requests.is_empty(), "no badge request was sent");
    for ids in &requests {
        for id in ids {
            ensure!(
                normalize_id(id).as_deref() == Some(id.as_str()),
                "a badge request asked for {id:?}, not a plain product id: {requests:?}"
            );
        }
    }
    browser.check_clean_page().await
}

#[tokio::test]
async fn legacy_embeds_and_id_forms() -> Result<()> {
    with_env(async |env| {
        let mut checks = starling_e2e::Checks::default();
        for path in [
            "/demo/embed/widget-min",
            "/demo/embed/script-widget",
            "/demo/embed/init-early",
        ] {
            checks.run(path, embed_renders_badges(env, path)).await;
        }
        checks.run("/demo/ids", id_forms_resolve(env)).await;
        checks.finish()
    })
    .await
}
