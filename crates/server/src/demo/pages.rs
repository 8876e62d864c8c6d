//! Markup of the demo pages. Every product field is HTML-escaped; the page
//! scripts are inline and small, and only the embed snippets under test load
//! Starling's own scripts.

use std::fmt::Write;

use crate::store::Product;
use crate::store::seed::{DEMO_KEY, DEMO_SHOP};

/// The storefront's stylesheet, served at `/demo/store.css`.
pub const STYLESHEET: &str = include_str!("../../../../www/demo/store.css");

/// The one-tag embed.
const LOADER_TAG: &str = r#"<script async src="/v1/loader.js" data-shop="demo.myshopify.com" data-key="pubkey-demo"></script>"#;
/// The ScriptTag API's form.
const WIDGET_MIN_TAG: &str = r#"<script src="/widget.min.js?shop=demo.myshopify.com"></script>"#;

pub use starling_render::escape;

fn price(cents: i64) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}

fn layout(title: &str, head: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Starling Demo Goods</title>
<link rel="stylesheet" href="/demo/store.css">
{head}
</head>
<body>
<header class="site-header">
  <div class="wrap">
    <a class="logo" href="/demo/">Starling <span>Demo Goods</span></a>
    <nav class="site-nav">
      <a href="/demo/collection">Shop all</a>
      <a href="/demo/product/7000000000001">Best seller</a>
      <a href="/demo/ajax">New arrivals</a>
    </nav>
    <span class="cart" aria-label="Cart, 0 items">Cart (0)</span>
  </div>
</header>
<main class="wrap">
{body}
</main>
<footer class="site-footer">
  <div class="wrap">A demo storefront served by Starling. Products and reviews are generated; nothing here is for sale.</div>
</footer>
</body>
</html>
"#,
        title = escape(title)
    )
}

/// One product card, as a theme's product-grid snippet prints it.
fn card(product: &Product) -> String {
    let id = escape(product.id.as_str());
    let title = escape(&product.title);
    format!(
        r#"<li class="card">
  <a class="card-link" href="/demo/product/{id}">
    <img class="card-image" src="{image}" alt="{title}" width="400" height="400" loading="lazy">
    <span class="card-title">{title}</span>
  </a>
  <span class="stamped-product-reviews-badge" data-id="{id}" data-product-sku="{handle}" data-product-title="{title}" style="display:inline-block"></span>
  <span class="card-price">{price}</span>
</li>
"#,
        image = escape(&product.image_url),
        handle = escape(&product.handle),
        price = price(product.price_cents),
    )
}

fn grid(products: &[Product]) -> String {
    let mut html = String::from("<ul class=\"grid\" id=\"product-grid\">\n");
    for product in products {
        html.push_str(&card(product));
    }
    html.push_str("</ul>\n");
    html
}

fn collection_body(heading: &str, note: &str, products: &[Product]) -> String {
    format!(
        "<div class=\"collection-head\"><h1>{}</h1><p class=\"note\">{note}</p>\
         <p class=\"count\">{} products</p></div>\n{}",
        escape(heading),
        products.len(),
        grid(products)
    )
}

/// `/demo/`: what each page shows.
pub fn index() -> String {
    let pages = [
        (
            "/demo/collection",
            "Collection",
            "48 product cards with star badges, one loader tag: one batched badge request.",
        ),
        (
            "/demo/product/7000000000001",
            "Product page",
            "The main badge and the main reviews widget, with hundreds of reviews to page, sort and filter.",
        ),
        (
            "/demo/product/7000000000008",
            "Product without reviews",
            "Five empty stars, \"No reviews yet\".",
        ),
        (
            "/demo/product/7000000000032",
            "Product with markup in its title",
            "Teddy &lt;Bear&gt; &amp; Friends: the title must show as text.",
        ),
        (
            "/demo/double",
            "Loaded three times",
            "The loader twice, widget.min.js once and a late StampedFn.init: still one core and one badge request.",
        ),
        (
            "/demo/ajax",
            "Infinite scroll",
            "24 more cards appended one second after load; their badges fill in without a reload.",
        ),
        (
            "/demo/ids",
            "Id forms",
            "Badges with gid://shopify/Product/…, shopify-… and an unrendered Liquid id.",
        ),
        (
            "/demo/embed/widget-min",
            "Embed: widget.min.js?shop=",
            "The Shopify ScriptTag form only.",
        ),
        (
            "/demo/embed/script-widget",
            "Embed: #stamped-script-widget",
            "data-api-key on the script, the shop from window.Shopify.shop.",
        ),
        (
            "/demo/embed/init-early",
            "Embed: early StampedFn.init",
            "The stub snippet queues init before the async loader arrives.",
        ),
    ];
    let mut list = String::new();
    for (href, name, about) in pages {
        let _ = writeln!(
            list,
            "<li><a href=\"{href}\">{name}</a><span>{about}</span></li>"
        );
    }
    let body = format!(
        r#"<section class="hero">
  <h1>Starling demo storefront</h1>
  <p>The shop <code>{DEMO_SHOP}</code> with 72 products and a few thousand generated reviews. Each page below uses the markup a Shopify theme already contains.</p>
</section>
<ul class="page-list">
{list}</ul>
<p class="note">API: <a href="/v1/shops/{DEMO_SHOP}/badges?ids=7000000000001,7000000000002,7000000000008">badges</a> ·
<a href="/v1/shops/{DEMO_SHOP}/products/7000000000001/reviews?per_page=5&amp;sort=recent">reviews</a> ·
<a href="/readyz">readiness</a></p>
"#
    );
    layout("Demo", "", &body)
}

/// `/demo/collection`: the first 48 products and one loader tag.
pub fn collection(products: &[Product]) -> String {
    let body = collection_body(
        "Shop all",
        "One loader tag; every badge on this page comes from one request.",
        products,
    );
    layout("Shop all", LOADER_TAG, &body)
}

/// `/demo/double`: the collection with the loader twice, `widget.min.js`
/// once and an `init` after load.
pub fn double(products: &[Product]) -> String {
    let head = format!("{LOADER_TAG}\n{LOADER_TAG}");
    let mut body = collection_body(
        "Shop all (loaded three times)",
        "The loader twice, widget.min.js once and StampedFn.init after load: nothing is fetched twice.",
        products,
    );
    body.push_str(WIDGET_MIN_TAG);
    body.push_str(
        "\n<script>window.addEventListener('load', () => StampedFn.init({apiKey: 'pubkey-demo', storeUrl: 'demo.myshopify.com'}));</script>\n",
    );
    layout("Shop all (loaded three times)", &head, &body)
}

/// `/demo/ajax`: the collection, then the `later` products appended one
/// second after load by a page script, with the same card markup.
pub fn ajax(first: &[Product], later: &[Product]) -> String {
    let data: Vec<serde_json::Value> = later
        .iter()
        .map(|p| {
            serde_json::json!({
                "id": p.id.as_str(),
                "handle": p.handle,
                "title": p.title,
                "image": p.image_url,
                "price": price(p.price_cents),
            })
        })
        .collect();
    // `<` is escaped so no value can close the script element.
    let json = serde_json::Value::Array(data)
        .to_string()
        .replace('<', "\\u003c");
    let mut body = collection_body(
        "New arrivals",
        "More products are appended one second after the page loads, as infinite scroll does.",
        first,
    );
    let _ = write!(
        body,
        r#"<p class="loading-more" id="loading-more">Loading more products…</p>
<script type="application/json" id="more-products">{json}</script>
<script>
window.addEventListener('load', function () {{
  setTimeout(function () {{
    var grid = document.getElementById('product-grid');
    var products = JSON.parse(document.getElementById('more-products').textContent);
    function el(tag, attrs, text) {{
      var node = document.createElement(tag);
      for (var name in attrs) node.setAttribute(name, attrs[name]);
      if (text) node.textContent = text;
      return node;
    }}
    products.forEach(function (p) {{
      var li = el('li', {{'class': 'card'}});
      var link = el('a', {{'class': 'card-link', href: '/demo/product/' + p.id}});
      link.appendChild(el('img', {{'class': 'card-image', src: p.image, alt: p.title, width: '400', height: '400', loading: 'lazy'}}));
      link.appendChild(el('span', {{'class': 'card-title'}}, p.title));
      li.appendChild(link);
      li.appendChild(el('span', {{'class': 'stamped-product-reviews-badge', 'data-id': p.id, 'data-product-sku': p.handle, 'data-product-title': p.title, style: 'display:inline-block'}}));
      li.appendChild(el('span', {{'class': 'card-price'}}, p.price));
      grid.appendChild(li);
    }});
    document.getElementById('loading-more').hidden = true;
    document.dispatchEvent(new CustomEvent('demo:products:appended', {{detail: {{count: products.length}}}}));
  }}, 1000);
}});
</script>
"#
    );
    layout("New arrivals", LOADER_TAG, &body)
}

/// `/demo/ids`: badges whose ids use the other forms themes print.
pub fn ids() -> String {
    let body = r#"<div class="collection-head"><h1>Product id forms</h1>
<p class="note">Themes print ids in several forms. The first two are the same products as 7000000000003 and 7000000000004; the third is a Liquid expression that was never rendered, which gets one console warning and no request.</p></div>
<ul class="id-list">
  <li><code>data-id="gid://shopify/Product/7000000000003"</code>
    <span class="stamped-product-reviews-badge" data-id="gid://shopify/Product/7000000000003" data-product-sku="stoneware-mug" data-product-title="Stoneware Mug" style="display:inline-block"></span></li>
  <li><code>data-id="shopify-7000000000004"</code>
    <span class="stamped-product-reviews-badge" data-id="shopify-7000000000004" data-product-sku="beeswax-candle" data-product-title="Beeswax Candle" style="display:inline-block"></span></li>
  <li><code>data-id="{{ product.id }}"</code>
    <span class="stamped-product-reviews-badge" data-id="{{ product.id }}" data-product-sku="{{ product.handle }}" data-product-title="{{ product.title }}" style="display:inline-block"></span></li>
</ul>
"#;
    layout("Id forms", LOADER_TAG, body)
}

fn embed_page(title: &str, note: &str, head: &str, products: &[Product]) -> String {
    let body = collection_body(title, note, products);
    layout(title, head, &body)
}

/// `/demo/embed/widget-min`: only the ScriptTag form.
pub fn embed_widget_min(products: &[Product]) -> String {
    embed_page(
        "Embed: widget.min.js?shop=",
        "The only Starling tag is &lt;script src=\"/widget.min.js?shop=demo.myshopify.com\"&gt;.",
        WIDGET_MIN_TAG,
        products,
    )
}

/// `/demo/embed/script-widget`: `#stamped-script-widget` with the key on
/// the tag and the shop from `window.Shopify.shop`.
pub fn embed_script_widget(products: &[Product]) -> String {
    let head = format!(
        "<script>window.Shopify = {{shop: \"{DEMO_SHOP}\"}};</script>\n\
         <script id=\"stamped-script-widget\" data-api-key=\"{DEMO_KEY}\" src=\"/widget.min.js\"></script>"
    );
    embed_page(
        "Embed: #stamped-script-widget",
        "The shop comes from window.Shopify.shop and the key from data-api-key.",
        &head,
        products,
    )
}

/// `/demo/embed/init-early`: the stub snippet queues `init` before the
/// async loader has loaded.
pub fn embed_init_early(products: &[Product]) -> String {
    let head = format!(
        "<script>window.StampedFn=window.StampedFn||{{q:[],init:function(){{StampedFn.q.push([\"init\",[].slice.call(arguments)])}}}};\
         StampedFn.init({{storeUrl:\"{DEMO_SHOP}\",apiKey:\"{DEMO_KEY}\"}})</script>\n\
         <script async src=\"/v1/loader.js\"></script>"
    );
    embed_page(
        "Embed: early StampedFn.init",
        "StampedFn.init is queued by the stub before the loader arrives; the loader tag has no data attributes.",
        &head,
        products,
    )
}

/// `/demo/product/{id}`: the product, its main badge and the main widget.
pub fn product(product: &Product, related: &[Product]) -> String {
    let id = escape(product.id.as_str());
    let title = escape(&product.title);
    let handle = escape(&product.handle);
    let image = escape(&product.image_url);
    let description = escape(&product.description);
    let body = format!(
        r##"<nav class="breadcrumb"><a href="/demo/">Home</a> / <a href="/demo/collection">Shop all</a> / <span>{title}</span></nav>
<article class="product">
  <img class="product-image" src="{image}" alt="{title}" width="600" height="600">
  <div class="product-info">
    <h1 class="product-title">{title}</h1>
    <span class="stamped-product-reviews-badge stamped-main-badge" data-id="{id}" data-product-sku="{handle}" data-product-title="{title}" style="display:inline-block"></span>
    <span class="stamped-product-reviews-badge" data-type="qna" data-id="{id}" data-product-sku="{handle}" data-product-title="{title}" style="display:inline-block"></span>
    <p class="product-price">{price}</p>
    <p class="product-description">{description}</p>
    <button class="add-to-cart" type="button" disabled>Add to cart</button>
    <p class="note">Demo shop: checkout is switched off.</p>
  </div>
</article>
<section class="reviews-section">
  <h2>Customer reviews</h2>
  <div id="stamped-main-widget" class="stamped-main-widget" data-widget-style="standard" data-product-id="{id}" data-name="{title}" data-url="/demo/product/{id}" data-image-url="{image}" data-description="{description}" data-product-sku="{handle}" data-product-type="Demo"></div>
</section>
<section class="related">
  <h2>You may also like</h2>
  {related}
</section>
"##,
        price = price(product.price_cents),
        related = grid(related).replace("id=\"product-grid\"", "id=\"related-grid\""),
    );
    layout(&product.title, LOADER_TAG, &body)
}

/// A 404 page.
pub fn not_found(message: &str) -> String {
    let body = format!(
        "<section class=\"hero\"><h1>Not found</h1><p>{}</p><p><a href=\"/demo/\">Back to the demo</a></p></section>",
        escape(message)
    );
    layout("Not found", "", &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use starling_model::ProductId;

    fn product(title: &str) -> Product {
        Product {
            id: ProductId::parse("7000000000032").expect("id"),
            handle: "teddy".to_owned(),
            title: title.to_owned(),
            description: "A \"soft\" <toy> & more".to_owned(),
            image_url: "/demo/photos/product-7000000000032.svg".to_owned(),
            price_cents: 1999,
        }
    }

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<b>"x" & 'y'</b>"#),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn product_fields_are_escaped_everywhere() {
        let p = product("Teddy <Bear> & \"Friends\"");
        let html = super::product(&p, std::slice::from_ref(&p));
        assert!(!html.contains("<Bear>"));
        assert!(!html.contains("<toy>"));
        assert!(html.contains("Teddy &lt;Bear&gt; &amp; &quot;Friends&quot;"));
        assert!(html.contains("data-product-id=\"7000000000032\""));
        assert_eq!(html.matches("/v1/loader.js").count(), 1);
    }

    #[test]
    fn ajax_data_cannot_close_its_script() {
        let p = product("</script><script>alert(1)</script>");
        let html = ajax(&[], &[p]);
        assert_eq!(html.matches("</script>").count(), 3, "{html}");
        assert!(html.contains("\\u003c/script>"));
    }

    #[test]
    fn pages_never_define_jquery_or_load_other_hosts() {
        let p = product("Mug");
        let products = vec![p.clone()];
        for html in [
            index(),
            collection(&products),
            double(&products),
            ajax(&products, &products),
            ids(),
            embed_widget_min(&products),
            embed_script_widget(&products),
            embed_init_early(&products),
            super::product(&p, &products),
        ] {
            assert!(!html.contains("jQuery"));
            assert!(!html.contains("window.$"));
            assert!(!html.contains("src=\"http"), "{html}");
            assert!(!html.contains("href=\"http"), "{html}");
        }
    }
}
