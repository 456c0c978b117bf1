//! The SharedWorker route in Chromium: several tabs of one browser, one wasm SharedWorker.

use crosstalk_e2e::action::{click, type_text};
use crosstalk_e2e::check::{attr_of, eventually, log_has, log_has_n, state_becomes, text_of, Want};
use crosstalk_e2e::find::testid;
use crosstalk_e2e::session::{Browser, Engine};
use thirtyfour::prelude::*;

/// Waits until this tab shows `count` connected tabs.
async fn connections_become(driver: &WebDriver, count: u32) {
    eventually(&format!("{count} connections"), async || match text_of(driver, "connections").await {
        Some(now) if now == count.to_string() => Ok(()),
        now => Err(format!("connections={now:?}")),
    })
    .await;
}

async fn set(driver: &WebDriver, key: &str, value: &str) {
    type_text(driver, "key-input", key).await;
    // Typed through the DOM, not key by key: values can be long and non-ASCII.
    let input = driver.find(testid("value-input")).await.expect("value input");
    driver
        .execute("arguments[0].value = arguments[1];", vec![input.to_json().expect("element"), value.into()])
        .await
        .expect("fill the value");
    click(driver, "set").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_value_set_in_one_tab_is_got_in_another_and_changes_are_pushed() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    // The first tab of a fresh browser: its connect event must not be lost.
    browser.open("/shared-worker").await;
    let first = driver.window().await.expect("first tab");
    state_becomes(driver, "status", "connected").await;
    connections_become(driver, 1).await;

    let second = browser.open_tab("/shared-worker").await;
    state_becomes(driver, "status", "connected").await;
    connections_become(driver, 2).await;

    let tricky = "你好, <i>not markup</i> & \"quotes\" — ünïcødé";
    browser.switch_to(&first).await;
    connections_become(driver, 2).await;
    set(driver, "greeting", tricky).await;
    log_has(driver, Want { dir: Some("in"), kind: Some("ack"), ..Want::default() }).await;

    browser.switch_to(&second).await;
    let pushed = log_has(driver, Want { dir: Some("in"), kind: Some("changed"), ..Want::default() }).await;
    assert!(pushed.payload.contains(tricky), "the push carries the new value: {pushed:?}");
    type_text(driver, "key-input", "greeting").await;
    click(driver, "get").await;
    eventually("the fetched value", async || match attr_of(driver, "value-output", "data-found").await {
        Some(found) if found == "true" => Ok(()),
        other => Err(format!("data-found={other:?}")),
    })
    .await;
    assert_eq!(text_of(driver, "value-output").await.as_deref(), Some(tricky), "round-trips unchanged");
    let markup = driver.find_all(By::Css("[data-testid=\"value-output\"] i")).await.expect("query");
    assert!(markup.is_empty(), "a value is shown as text, not markup");

    // Set in tab 2; tab 1 hears without asking.
    set(driver, "greeting", "from the second tab").await;
    browser.switch_to(&first).await;
    let pushed = log_has(
        driver,
        Want {
            dir: Some("in"),
            kind: Some("changed"),
            payload_has: Some("from the second tab"),
            ..Want::default()
        },
    )
    .await;
    assert!(pushed.payload.contains(tricky), "the push names the old value too: {pushed:?}");
    browser.quit().await;
}

/// The goodbye on `pagehide`, alone: the store's expiry is set far beyond the test's patience
/// (`?peer-timeout-ms=600000`, its own worker instance), so a closed tab can only leave the count
/// in time by saying goodbye. In Firefox a closing tab's goodbye is sometimes not said (as on
/// `/broadcast`; see docs/engines.md): there the route's own expiry is asserted instead.
#[tokio::test(flavor = "multi_thread")]
async fn the_roster_counts_open_tabs_and_a_closed_one_says_goodbye() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let route = match browser.engine() {
        Engine::Chromium => LONG_EXPIRY,
        Engine::Firefox | Engine::WebKit => "/shared-worker",
    };
    let tabs = browser.open_tabs(route, 3, "connected").await;
    let first = tabs[0].clone();
    connections_become(driver, 3).await;

    driver.close_window().await.expect("close the third tab");
    browser.switch_to(&first).await;
    connections_become(driver, 2).await;
    browser.quit().await;
}

/// The route with an expiry of ten minutes: its own shared worker.
const LONG_EXPIRY: &str = "/shared-worker?peer-timeout-ms=600000";

/// A script holding 255 connections fills the worker's roster with the route's tab; the next
/// tab is refused with its code, visibly, and the first tab's count stays at the cap.
#[tokio::test(flavor = "multi_thread")]
async fn a_tab_beyond_the_worker_s_port_cap_is_refused_visibly() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open(LONG_EXPIRY).await;
    let first = driver.window().await.expect("first tab");
    state_becomes(driver, "status", "connected").await;
    browser.open_tab("/").await;
    driver
        .execute(
            r#"window.held = [];
               for (let n = 0; n < 255; n++) {
                 const worker = new SharedWorker("/shared_store_loader.js?peer-timeout-ms=600000",
                   {name: "crosstalk-shared-store"});
                 worker.port.start();
                 window.held.push(worker);
               }"#,
            Vec::new(),
        )
        .await
        .expect("the script connects 255 times");
    browser.switch_to(&first).await;
    connections_become(driver, 256).await;
    browser.open_tab(LONG_EXPIRY).await;
    let refused =
        log_has(driver, Want { dir: Some("in"), code: Some("roster-full"), ..Want::default() }).await;
    assert!(refused.reason.contains("256 ports"), "{refused:?}");
    browser.switch_to(&first).await;
    connections_become(driver, 256).await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unset_keys_oversized_values_and_malformed_messages_are_told_apart() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/shared-worker").await;
    state_becomes(driver, "status", "connected").await;

    type_text(driver, "key-input", "nobody-set-this").await;
    click(driver, "get").await;
    eventually("a not-set answer", async || match attr_of(driver, "value-output", "data-found").await {
        Some(found) if found == "false" => Ok(()),
        other => Err(format!("data-found={other:?}")),
    })
    .await;
    let shown = text_of(driver, "value-output").await.unwrap_or_default();
    assert!(shown.contains("not set"), "{shown:?}");

    set(driver, "big", &"x".repeat(70 * 1024)).await;
    let error =
        eventually("an error", async || text_of(driver, "error").await.ok_or_else(|| "no error".into()))
            .await;
    assert!(error.contains("64 KiB"), "{error}");
    log_has(
        driver,
        Want {
            dir: Some("system"),
            status: Some("rejected"),
            code: Some("value-too-large"),
            ..Want::default()
        },
    )
    .await;

    click(driver, "send-malformed").await;
    log_has(
        driver,
        Want { dir: Some("in"), status: Some("rejected"), code: Some("bad-json"), ..Want::default() },
    )
    .await;
    // Still serving.
    set(driver, "after", "still fine").await;
    log_has(driver, Want { dir: Some("in"), kind: Some("ack"), ..Want::default() }).await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_shared_worker_the_route_says_so_and_explains_the_fallbacks() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/").await;
    // Take the constructor away, then navigate inside the app (no reload, so it stays gone).
    driver.execute("delete window.SharedWorker;", Vec::new()).await.expect("remove SharedWorker");
    let element = driver
        .find(testid("nav-shared-worker"))
        .await
        .expect("nav link")
        .find(By::Tag("a"))
        .await
        .expect("a");
    crosstalk_e2e::action::click_element(&element).await.expect("click");
    state_becomes(driver, "status", "unsupported").await;
    let notice = text_of(driver, "unsupported").await.unwrap_or_default();
    assert!(notice.contains("BroadcastChannel"), "{notice}");
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_that_starts_slowly_still_hears_the_first_tab() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/shared-worker").await;
    state_becomes(driver, "status", "connected").await;
    // The slow worker is a new instance; this tab's connect is its first, and arrives well
    // before its wasm has loaded.
    crosstalk_e2e::action::choose(driver, "fault", "slow-start").await;
    // A second welcome can only come from the slow worker, and only if it heard this tab.
    log_has_n(driver, 2, Want { dir: Some("in"), kind: Some("welcome"), ..Want::default() }).await;
    state_becomes(driver, "status", "connected").await;
    connections_become(driver, 1).await;
    set(driver, "k", "v").await;
    log_has(driver, Want { dir: Some("in"), kind: Some("ack"), ..Want::default() }).await;
    browser.quit().await;
}
