//! The raw composer on every route with a channel of its own: text that is not JSON, sent as
//! typed, is refused visibly with its reason code by whoever receives it, and the route goes on.

use crosstalk_e2e::action::{click, type_text};
use crosstalk_e2e::check::{log_has, state_becomes, Want};
use crosstalk_e2e::session::Browser;

const NOT_JSON: &str = "this is {not json";

async fn raw(driver: &thirtyfour::WebDriver) {
    type_text(driver, "raw-input", NOT_JSON).await;
    click(driver, "raw-send").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn where_the_other_end_answers_the_refusal_comes_back_and_the_route_goes_on() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    // The worker, the shared store and the relay each send their refusal back to this page.
    for (path, ready) in [("/worker-port", "ready"), ("/shared-worker", "connected"), ("/websocket", "open")]
    {
        browser.open(path).await;
        state_becomes(driver, "status", ready).await;
        raw(driver).await;
        let refused =
            log_has(driver, Want { dir: Some("in"), code: Some("bad-json"), ..Want::default() }).await;
        assert_eq!(refused.status, "rejected", "{path}: {refused:?}");
        assert!(
            refused.payload.contains("not json") || refused.reason.contains("not JSON"),
            "{path}: {refused:?}"
        );
        // And it goes on: an ordinary message is answered.
        let answer = if path == "/shared-worker" {
            type_text(driver, "key-input", "after-raw").await;
            type_text(driver, "value-input", "still here").await;
            click(driver, "set").await;
            "ack"
        } else {
            type_text(driver, "message-input", "still here").await;
            click(driver, "send").await;
            if path == "/websocket" {
                "accepted"
            } else {
                "echo"
            }
        };
        log_has(driver, Want { dir: Some("in"), kind: Some(answer), ..Want::default() }).await;
    }
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_channel_the_other_tab_refuses_it_and_hears_what_follows() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let tabs = browser.open_tabs("/broadcast", 2, "joined").await;
    raw(driver).await;
    type_text(driver, "message-input", "after the raw one").await;
    click(driver, "send").await;
    browser.switch_to(&tabs[0]).await;
    let refused =
        log_has(driver, Want { dir: Some("in"), status: Some("rejected"), ..Want::default() }).await;
    assert_eq!(refused.code, "bad-json", "{refused:?}");
    let after =
        log_has(driver, Want { dir: Some("in"), payload_has: Some("after the raw one"), ..Want::default() })
            .await;
    assert_eq!(after.status, "ok", "{after:?}");
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn in_local_storage_the_other_tab_refuses_it_and_reads_what_follows() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let tabs = browser.open_tabs("/storage", 2, "listening").await;
    raw(driver).await;
    type_text(driver, "key-input", "after-raw").await;
    type_text(driver, "value-input", "still here").await;
    click(driver, "set").await;
    browser.switch_to(&tabs[0]).await;
    let refused =
        log_has(driver, Want { dir: Some("in"), status: Some("rejected"), ..Want::default() }).await;
    assert_eq!(refused.code, "bad-json", "{refused:?}");
    let after =
        log_has(driver, Want { dir: Some("in"), payload_has: Some("still here"), ..Want::default() }).await;
    assert_eq!(after.status, "ok", "{after:?}");
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn into_the_checkout_frame_the_provider_refuses_it_and_the_payment_still_settles() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/payment").await;
    state_becomes(driver, "status", "configured").await;
    // Before checkout there is no frame to send to: said, not lost.
    raw(driver).await;
    log_has(driver, Want { code: Some("not-ready"), ..Want::default() }).await;
    click(driver, "checkout").await;
    browser
        .in_frame("provider-frame", async |frame: &thirtyfour::WebDriver| {
            state_becomes(frame, "provider-status", "order").await;
        })
        .await;
    raw(driver).await;
    log_has(driver, Want { dir: Some("out"), kind: Some("raw"), ..Want::default() }).await;
    browser
        .in_frame("provider-frame", async |frame: &thirtyfour::WebDriver| {
            log_has(frame, Want { dir: Some("in"), code: Some("bad-json"), ..Want::default() }).await;
            click(frame, "pay").await;
        })
        .await;
    state_becomes(driver, "payment-result", "success").await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn on_the_ticker_the_other_tab_refuses_it_and_keeps_following_the_leader() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/stock").await;
    let first = driver.window().await.expect("the first tab");
    crosstalk_e2e::check::state_becomes(driver, "role", "leader").await;
    let second = browser.open_tab("/stock").await;
    crosstalk_e2e::check::state_becomes(driver, "role", "follower").await;
    browser.switch_to(&first).await;
    raw(driver).await;
    log_has(driver, Want { dir: Some("out"), kind: Some("raw"), ..Want::default() }).await;
    browser.switch_to(&second).await;
    let refused =
        log_has(driver, Want { dir: Some("in"), status: Some("rejected"), ..Want::default() }).await;
    assert_eq!(refused.code, "bad-json", "{refused:?}");
    // And it goes on: the leader's ticks still arrive after it.
    let seq = |text: Option<String>| text.and_then(|t| t.parse::<u64>().ok()).unwrap_or_default();
    let before = seq(crosstalk_e2e::check::text_of(driver, "seq").await);
    crosstalk_e2e::check::eventually("a tick after the raw message", async || {
        match seq(crosstalk_e2e::check::text_of(driver, "seq").await) {
            now if now > before => Ok(()),
            now => Err(format!("#{now}")),
        }
    })
    .await;
    browser.quit().await;
}
