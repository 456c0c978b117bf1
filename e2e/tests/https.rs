//! The suite as a class gets it: from a name that is not `localhost` (each browser resolves it to
//! loopback). Over https, with a certificate from the run's own CA that the browser trusts, every
//! mechanism that needs a secure context works: the Service Worker controls the page, Web Locks
//! grant a lock, the ring runs on the isolated https origin, the relay connects over wss, and a
//! payment completes across the two https origins. Over plain http under the same name, each of
//! those routes says what is missing and why, with its reason code, and so do the walkthrough
//! and `/capabilities`.

use crosstalk_e2e::action::click;
use crosstalk_e2e::check::{attr_of, eventually, log_has, state_becomes, text_of, Want};
use crosstalk_e2e::find::testid;
use crosstalk_e2e::mark::{self, Needed};
use crosstalk_e2e::session::Browser;
use thirtyfour::prelude::*;

/// The routes browsers give their API to secure contexts only, and the state each shows without it.
const SECURE_ONLY: [(&str, &str, &str); 3] = [
    ("/web-locks", "navigator.locks", "unsupported"),
    ("/service-worker", "navigator.serviceWorker", "unsupported"),
    ("/atomics", "SharedArrayBuffer", "not-isolated"),
];

/// Opens `url` and waits until the app has rendered the page.
async fn visit(browser: &Browser, url: &str) {
    browser.goto(url).await;
    browser.rendered().await;
}

async fn secure_context(driver: &WebDriver) -> Option<bool> {
    driver.execute("return window.isSecureContext", Vec::new()).await.ok().and_then(|v| v.json().as_bool())
}

/// Opens the shop at `url`, checks out and pays in the provider's frame until the shop says
/// success; the provider's origin, as the shop names it.
async fn pays(browser: &Browser, url: &str) -> String {
    let driver = &browser.driver;
    visit(browser, url).await;
    state_becomes(driver, "status", "configured").await;
    click(driver, "checkout").await;
    state_becomes(driver, "payment-result", "pending").await;
    browser
        .in_frame("provider-frame", async |frame: &WebDriver| {
            state_becomes(frame, "provider-status", "order").await;
            click(frame, "pay").await;
        })
        .await;
    state_becomes(driver, "payment-result", "success").await;
    text_of(driver, "provider-origin").await.unwrap_or_default()
}

/// Every secure-only route's API is there: no `missing-api` panel.
async fn nothing_missing(driver: &WebDriver, path: &str) {
    let shown = driver.find_all(testid("missing-api")).await.expect("a search");
    assert!(shown.is_empty(), "{path}: nothing is missing over https");
}

#[tokio::test(flavor = "multi_thread")]
async fn over_https_the_service_worker_controls_the_page_and_web_locks_grant_a_lock() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    visit(&browser, &browser.secure_url("/service-worker")).await;
    assert_eq!(secure_context(driver).await, Some(true), "https under a name is a secure context");
    state_becomes(driver, "status", "controlled").await;
    nothing_missing(driver, "/service-worker").await;
    visit(&browser, &browser.secure_url("/web-locks")).await;
    state_becomes(driver, "status", "ready").await;
    click(driver, "acquire").await;
    state_becomes(driver, "held", "held").await;
    nothing_missing(driver, "/web-locks").await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn over_https_the_ring_runs_on_the_isolated_https_origin() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    // A proven mark: without shared memory the route says so, on the isolated https origin too.
    let lacking = mark::probe_says_missing(&browser, &Needed::shared_memory(&browser)).await;
    visit(&browser, &browser.secure_url("/atomics")).await;
    state_becomes(driver, "status", if lacking { "unsupported" } else { "ready" }).await;
    let here = driver.current_url().await.expect("the address").to_string();
    let app_port = browser.secure_url("").rsplit(':').next().unwrap_or_default().to_owned();
    assert!(
        here.starts_with("https://") && !here.contains(&format!(":{app_port}/")),
        "sent to the isolated origin: {here}"
    );
    assert_eq!(cross_origin_isolated(driver).await, Some(true), "{here}");
    if lacking {
        return browser.quit().await;
    }
    click(driver, "ping").await;
    let reply = log_has(driver, Want { dir: Some("in"), kind: Some("reply"), ..Want::default() }).await;
    assert!(reply.payload.contains("pong: ping #1"), "{reply:?}");
    browser.quit().await;
}

async fn cross_origin_isolated(driver: &WebDriver) -> Option<bool> {
    let isolated = driver.execute("return self.crossOriginIsolated", Vec::new()).await.ok()?;
    isolated.json().as_bool()
}

#[tokio::test(flavor = "multi_thread")]
async fn over_https_the_relay_connects_over_wss_and_a_payment_completes_across_two_https_origins() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    visit(&browser, &browser.secure_url("/websocket")).await;
    state_becomes(driver, "status", "open").await;
    // A page over https may open only a wss:// socket (mixed content), and its policy names only
    // wss:// for the relay: open means the relay spoke wss.
    let provider = pays(&browser, &browser.secure_url("/payment")).await;
    assert!(provider.starts_with("https://"), "the provider's origin is https too: {provider}");
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn over_plain_http_under_that_name_each_secure_route_says_what_is_missing_and_why() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    for (path, api, state) in SECURE_ONLY {
        visit(&browser, &browser.plain_name_url(path)).await;
        assert_eq!(secure_context(driver).await, Some(false), "{path}: plain http under a name");
        state_becomes(driver, "status", state).await;
        let code = eventually(&format!("{path}: the missing API said"), async || {
            attr_of(driver, "missing-api", "data-reason-code").await.ok_or_else(|| "not shown".to_owned())
        })
        .await;
        assert_eq!(code, "insecure-context", "{path}");
        assert_eq!(attr_of(driver, "missing-api", "data-api").await.as_deref(), Some(api), "{path}");
        let detail = text_of(driver, "status-detail").await.unwrap_or_default();
        assert!(!detail.contains("this browser has no"), "{path}: the browser is not to blame: {detail}");
    }
    // A route whose API every context has says nothing of the kind.
    visit(&browser, &browser.plain_name_url("/broadcast")).await;
    state_becomes(driver, "status", "joined").await;
    nothing_missing(driver, "/broadcast").await;

    // The walkthrough marks exactly those chapters, with the same cause.
    visit(&browser, &browser.plain_name_url("/learn")).await;
    let mut marked = Vec::new();
    for chapter in driver.find_all(testid("chapter")).await.expect("the chapters") {
        let slug = chapter.attr("data-chapter").await.ok().flatten().unwrap_or_default();
        if let Ok(mark) = chapter.find(testid("chapter-missing")).await {
            let code = mark.attr("data-reason-code").await.ok().flatten().unwrap_or_default();
            marked.push((slug, code));
        }
    }
    marked.sort();
    let insecure = |slug: &str| (slug.to_owned(), "insecure-context".to_owned());
    let mut expected = vec![insecure("atomics"), insecure("service-worker"), insecure("web-locks")];
    // A proven mark: a chapter whose API the engine lacks anywhere is marked too, blaming the
    // browser (the context is blamed first where both hold: /atomics above).
    for route in crosstalk_e2e::mark::routes_lacking(&browser).await {
        let slug = route.trim_start_matches('/');
        if !expected.iter().any(|(s, _)| s == slug) {
            expected.push((slug.to_owned(), "not-in-browser".to_owned()));
        }
    }
    expected.sort();
    assert_eq!(marked, expected);

    visit(&browser, &browser.plain_name_url("/capabilities")).await;
    state_becomes(driver, "status", "done").await;
    let row = driver.find(By::Css("[data-capability=\"secure-context\"]")).await.expect("the row");
    assert_eq!(row.attr("data-supported").await.ok().flatten().as_deref(), Some("no"));
    let locks = driver.find(By::Css("[data-capability=\"web-locks\"] .note")).await.expect("the row");
    let note = locks.text().await.unwrap_or_default();
    assert!(note.contains("not a secure context"), "the cause, not the browser: {note}");
    browser.quit().await;
}

/// Behind Caddy, as `docs/hosting.md` sets it up: TLS ends at the proxy, and the app, the provider
/// and the isolated origin are three names on one port. The checkout crosses two of them, the
/// relay speaks wss through the proxy, and the ring runs under the third.
#[tokio::test(flavor = "multi_thread")]
async fn behind_a_reverse_proxy_three_https_names_carry_the_payment_the_relay_and_the_ring() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    // A proven mark: without shared memory the ring's route says so.
    let lacking = mark::probe_says_missing(&browser, &Needed::shared_memory(&browser)).await;
    let provider = pays(&browser, &browser.proxied_url("/payment")).await;
    assert!(provider.starts_with("https://pay."), "the provider's own name: {provider}");
    visit(&browser, &browser.proxied_url("/websocket")).await;
    state_becomes(driver, "status", "open").await;
    visit(&browser, &browser.proxied_url("/atomics")).await;
    state_becomes(driver, "status", if lacking { "unsupported" } else { "ready" }).await;
    assert_eq!(cross_origin_isolated(driver).await, Some(true), "isolated behind the proxy too");
    let here = driver.current_url().await.expect("the address").to_string();
    assert!(here.starts_with("https://atomics."), "the isolated origin's own name: {here}");
    visit(&browser, &browser.proxied_url("/web-locks")).await;
    state_becomes(driver, "status", "ready").await;
    browser.quit().await;
}
