//! The suite's own security: its Content-Security-Policy holds on every route without getting
//! in the way — no route, frame or worker trips it.

use crosstalk_e2e::action::click;
use crosstalk_e2e::check::{csp_violations, eventually, log_has, state_becomes, Want};
use crosstalk_e2e::find::testid;
use crosstalk_e2e::session::Browser;
use thirtyfour::prelude::*;

async fn exists(driver: &WebDriver, id: &str) {
    eventually(&format!("[data-testid={id}]"), async || {
        driver.find(testid(id)).await.map(drop).map_err(|e| e.to_string())
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn no_route_frame_or_worker_trips_the_content_security_policy() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    // Proven marks: a route whose API this engine lacks says `unsupported` instead.
    for (path, ready) in crosstalk_e2e::mark::every_route_here(&browser).await {
        browser.open(path).await;
        state_becomes(driver, "status", ready).await;
        assert_eq!(csp_violations(driver).await, 0, "{path}");
    }
    for (path, shown) in [("/", "mechanisms"), ("/no-such-page", "not-found")] {
        browser.open(path).await;
        exists(driver, shown).await;
        assert_eq!(csp_violations(driver).await, 0, "{path}");
    }

    // The payment: the provider's frame on the other origin, then both lab frames.
    browser.open("/payment").await;
    state_becomes(driver, "status", "configured").await;
    click(driver, "checkout").await;
    let in_frame = browser
        .in_frame("provider-frame", async |frame: &WebDriver| {
            state_becomes(frame, "provider-status", "order").await;
            csp_violations(frame).await
        })
        .await;
    assert_eq!(in_frame, 0, "inside the provider's frame");
    click(driver, "hostile-frame").await;
    log_has(driver, Want { dir: Some("in"), code: Some("wrong-origin"), ..Want::default() }).await;
    click(driver, "impostor-frame").await;
    log_has(driver, Want { dir: Some("in"), code: Some("wrong-source"), ..Want::default() }).await;
    assert_eq!(csp_violations(driver).await, 0, "the shop with every frame loaded");
    browser.quit().await;
}

/// `frame-ancestors`: a page on a third origin frames the provider. The browser refuses to show
/// it there and reports the violation (which the test waits for, as proof the policy acted).
#[tokio::test(flavor = "multi_thread")]
async fn a_stranger_cannot_frame_the_provider() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let stranger = browser.stranger_origin();
    driver
        .goto(format!("{stranger}/frame-provider?csp-probe=frame-ancestors-e2e"))
        .await
        .expect("the stranger's page");
    let stranger_tab = driver.window().await.expect("the stranger's tab");
    browser.open_tab("/").await;
    eventually("the provider's report of the refused framing", async || {
        driver.goto(format!("{stranger}/csp-reports")).await.map_err(|e| e.to_string())?;
        let listed =
            driver.find(By::Tag("body")).await.map_err(|e| e.to_string())?.text().await.unwrap_or_default();
        match listed.contains("frame-ancestors-e2e") && listed.contains("frame-ancestors") {
            true => Ok(()),
            false => Err(format!("reports: {listed:?}")),
        }
    })
    .await;
    browser.switch_to(&stranger_tab).await;
    let shown = browser
        .in_frame("stranger-frame", async |frame: &WebDriver| {
            frame.find(testid("provider-status")).await.is_ok()
        })
        .await;
    assert!(!shown, "the provider's page must not render inside a stranger's frame");
    browser.quit().await;
}

/// Opens the shop and checks out, so the provider's frame is there with the pending order.
async fn shop_with_checkout_frame(browser: &Browser) {
    let driver = &browser.driver;
    browser.open("/payment").await;
    state_becomes(driver, "status", "configured").await;
    click(driver, "checkout").await;
    browser
        .in_frame("provider-frame", async |frame: &WebDriver| {
            state_becomes(frame, "provider-status", "order").await
        })
        .await;
}

/// The sandbox: even with a real click (user activation) inside it, the framed provider cannot
/// navigate the shop's page away; the browser refuses with a SecurityError.
#[tokio::test(flavor = "multi_thread")]
async fn the_framed_provider_cannot_navigate_the_top_page() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    shop_with_checkout_frame(&browser).await;
    let elsewhere = browser.url("/?escaped-from-the-frame");
    let tried = browser
        .in_frame("provider-frame", async |frame: &WebDriver| {
            frame
                .execute(
                    r#"const target = arguments[0];
                       const button = document.createElement("button");
                       button.dataset.testid = "escape";
                       button.textContent = "escape";
                       button.onclick = () => {
                         try { top.location.href = target; document.body.dataset.escape = "navigated"; }
                         catch (error) { document.body.dataset.escape = "refused: " + error.name; }
                       };
                       document.body.prepend(button);"#,
                    vec![elsewhere.clone().into()],
                )
                .await
                .expect("add a button to the provider's page");
            click(frame, "escape").await;
            eventually("the attempt's outcome", async || {
                let body = frame.find(By::Tag("body")).await.map_err(|e| e.to_string())?;
                body.attr("data-escape").await.ok().flatten().ok_or_else(|| "none yet".to_owned())
            })
            .await
        })
        .await;
    assert_eq!(tried, "refused: SecurityError");
    assert_eq!(driver.current_url().await.expect("url").path(), "/payment", "the shop stays");
    browser.quit().await;
}

/// The exact targetOrigin: the checkout frame is navigated to a page of another origin, then the
/// shop posts the order again. A marker posted after it, to that page's real origin, arrives;
/// the order, addressed to the provider's origin only, never does.
#[tokio::test(flavor = "multi_thread")]
async fn an_order_posted_into_a_hijacked_frame_reaches_nobody() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    shop_with_checkout_frame(&browser).await;
    click(driver, "hijack-frame").await;
    let orders = crosstalk_e2e::check::log_has_n(
        driver,
        2,
        Want { dir: Some("out"), kind: Some("order"), ..Want::default() },
    )
    .await;
    assert!(orders[1].payload.contains(&format!("targetOrigin {}", browser.provider_origin())), "{orders:?}");
    // Posted after the order, from the same window: delivered in order, so once the marker is
    // there the order would have been too.
    driver
        .execute(
            r#"document.querySelector('[data-testid="provider-frame"]').contentWindow
                 .postMessage("marker", location.origin);"#,
            Vec::new(),
        )
        .await
        .expect("post the marker");
    let overheard = browser
        .in_frame("provider-frame", async |frame: &WebDriver| {
            eventually("the marker to be overheard", async || {
                let list = frame.find(testid("overheard-list")).await.map_err(|e| e.to_string())?;
                let text = list.text().await.unwrap_or_default();
                if text.contains("marker") {
                    Ok(text)
                } else {
                    Err(text)
                }
            })
            .await
        })
        .await;
    assert_eq!(overheard.lines().count(), 1, "only the marker reached the page in the frame: {overheard}");
    browser.quit().await;
}
