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
    for (path, ready) in [
        ("/worker-port", "ready"),
        ("/broadcast", "joined"),
        ("/storage", "listening"),
        ("/shared-worker", "connected"),
        ("/payment", "configured"),
    ] {
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
