/*
 * Starling loader: the one script a storefront embeds (as /v1/loader.js or
 * the legacy /widget.min.js). It finds the shop and public key, queues
 * StampedFn calls until the wasm core takes over, adds widget.css once and
 * imports the core. A second copy on the page only passes on a shop the
 * first one lacked. It never touches window.jQuery or window.$.
 *
 * Plain ES5 apart from import(); `cargo xtask build` replaces
 * __STARLING_ASSETS__ with the asset map and minifies the result.
 */
(function (w, d) {
  var ASSETS = __STARLING_ASSETS__;
  var OWN_SRC = /\/(v1\/loader|widget\.min)\.js([?#]|$)/;
  var METHODS = ('init reloadUGC loadBadges loadWidget loadDisplayWidgets ' +
    'initRewards on triggerEvent pageReviews sortReviews filterClear ' +
    'filterReviews pageQuestions voteReview toggleForm setRating submitForm ' +
    'submitQuestionForm toggleFormEdit pageWidget openUGCModal openUGCPhoto ' +
    'stampedLog').split(' ');

  var S = w.__starling;
  var F = w.StampedFn || {};
  var G = w.StampedGlobalOptions || {};
  var me = d.currentScript;
  var scripts, i, tag, queued, shop, key, skip, base, css, link, first;

  function param(url, name) {
    var m = new RegExp('[?&]' + name + '=([^&#]*)').exec(url || '');
    return m ? decodeURIComponent(m[1]) : null;
  }
  function attr(el, name) {
    return (el && el.getAttribute(name)) || null;
  }

  // The script element this code came from (currentScript is null when a
  // theme runs the loader some other way).
  if (!me || !OWN_SRC.test(me.src)) {
    me = null;
    scripts = d.getElementsByTagName('script');
    for (i = 0; i < scripts.length && !me; i++) {
      if (OWN_SRC.test(scripts[i].src)) me = scripts[i];
    }
  }
  tag = d.getElementById('stamped-script-widget') ||
    d.getElementById('stamped-script-init');

  // Options of StampedFn.init calls queued by an early-init snippet.
  queued = {};
  for (i = 0; F.q && i < F.q.length; i++) {
    if (F.q[i][0] == 'init' && F.q[i][1] && F.q[i][1][0]) queued = F.q[i][1][0];
  }

  skip = param(me && me.src, 'skip') == 'true' || param(tag && tag.src, 'skip') == 'true';
  shop = queued.storeUrl || (skip ? null :
    attr(me, 'data-shop') || param(me && me.src, 'shop') || G.storeUrl ||
    (w.Shopify && w.Shopify.shop)) || null;
  key = attr(me, 'data-key') || attr(tag, 'data-api-key') ||
    param(me && me.src, 'apiKey') || param(tag && tag.src, 'apiKey') ||
    queued.apiKey || G.apiKey || null;

  if (S) {
    // A second copy: the first one runs the page.
    if (!S.shop && shop) F.init(key ? { storeUrl: shop, apiKey: key } : { storeUrl: shop });
    return;
  }

  base = ((me && /^[a-z]+:\/\/[^\/]+/i.exec(me.src)) || [''])[0];
  S = w.__starling = {
    v: 1,
    base: base,
    shop: shop,
    key: key,
    assets: ASSETS,
    q: F.q && F.q.push ? F.q : [],
    o: {},
    css: false,
    load: load
  };

  // Calls before the core has loaded wait in S.q; the core and the widget
  // modules replace these stubs and replay the queue in order.
  for (i = 0; i < METHODS.length; i++) F[METHODS[i]] = stub(METHODS[i]);
  F.getOptions = function () { return S.o; };
  F.setOptions = function (o) { for (var k in o) S.o[k] = o[k]; };
  w.StampedFn = F;
  w.StampedGlobalOptions = G;
  if (shop && !G.storeUrl) G.storeUrl = shop;
  if (key && !G.apiKey) G.apiKey = key;
  if (w.isInitializedStamped !== true) w.isInitializedStamped = false;

  // widget.css, before the page's first stylesheet so theme rules win ties.
  css = base + ASSETS['widget.css'];
  if (!w.stamped_exclude_main_css && param(tag && tag.src, 'skipCss') != 'true') {
    if (!d.querySelector('link[href="' + css + '"]')) {
      link = d.createElement('link');
      link.rel = 'stylesheet';
      link.href = css;
      first = d.querySelector('head link');
      if (first) first.parentNode.insertBefore(link, first);
      else (d.head || d.documentElement).appendChild(link);
    }
    S.css = true;
  }

  load('core').then(function (core) { core.start(); }, function (error) {
    if (w.console) console.warn('[Starling] Could not load the core', error);
  });

  function stub(name) {
    return function () { S.q.push([name, [].slice.call(arguments)]); };
  }

  // The ES module of `name`, instantiated with its wasm (compiled while it
  // streams in); one import per name and page.
  function load(name) {
    var modules = load.m || (load.m = {});
    return modules[name] || (modules[name] =
      import(base + ASSETS[name + '.js']).then(function (module) {
        return module.default({ module_or_path: base + ASSETS[name + '.wasm'] })
          .then(function () { return module; });
      }));
  }
})(window, document);
