//! The Service Worker route: tabs of one browser and the worker between them. The first load is
//! not controlled until the worker claims it; a message reaches the other tab through the worker,
//! which tells the sender whom it reached; an update waits until skipWaiting, then every tab
//! changes controller; a message the worker cannot read is refused with its code and the worker
//! goes on.

use crosstalk_e2e::action::{click, type_text};
use crosstalk_e2e::check::{attr_of, eventually, log_has, state_becomes, text_of, Want};
use crosstalk_e2e::session::Browser;
use thirtyfour::prelude::*;

const PATH: &str = "/service-worker";

async fn send(driver: &WebDriver, text: &str) {
    type_text(driver, "message-input", text).await;
    click(driver, "send").await;
}

async fn clients_become(driver: &WebDriver, count: u32) {
    eventually(&format!("{count} clients"), async || match text_of(driver, "clients").await {
        Some(now) if now.trim() == count.to_string() => Ok(()),
        now => Err(format!("clients={now:?}")),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_load_is_claimed_and_a_message_reaches_the_other_tab_through_the_worker() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open(PATH).await;
    let a = driver.window().await.expect("the first tab");
    // The very first load: no controller until the worker has installed, activated and claimed.
    let first = log_has(driver, Want { kind: Some("controller"), ..Want::default() }).await;
    assert!(first.payload.contains("not controlled"), "{first:?}");
    state_becomes(driver, "status", "controlled").await;
    state_becomes(driver, "controlled", "yes").await;
    state_becomes(driver, "sw-state", "active").await;
    log_has(driver, Want { dir: Some("in"), kind: Some("controllerchange"), ..Want::default() }).await;

    let b = browser.open_tab(PATH).await;
    // A later load is controlled from its start.
    let later = log_has(driver, Want { kind: Some("controller"), ..Want::default() }).await;
    assert!(later.payload.contains("controlled by"), "{later:?}");
    state_becomes(driver, "status", "controlled").await;
    clients_become(driver, 2).await;

    browser.switch_to(&a).await;
    send(driver, "through the worker <b>你好</b>").await;
    let delivered =
        log_has(driver, Want { dir: Some("in"), kind: Some("delivered"), ..Want::default() }).await;
    assert!(delivered.payload.contains("to 1 of the 2"), "{delivered:?}");
    browser.switch_to(&b).await;
    let got = log_has(driver, Want { dir: Some("in"), kind: Some("text"), ..Want::default() }).await;
    assert_eq!((got.payload.as_str(), got.status.as_str()), ("through the worker <b>你好</b>", "ok"));
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_waits_until_skip_waiting_then_every_tab_changes_controller() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let tabs = browser.open_tabs(PATH, 2, "controlled").await;
    let (a, b) = (&tabs[0], &tabs[1]);
    browser.switch_to(a).await;
    click(driver, "update").await;
    state_becomes(driver, "sw-state", "waiting").await;
    browser.switch_to(b).await;
    state_becomes(driver, "sw-state", "waiting").await;
    // Still the old one: an update waits while the old worker controls a tab.
    let waiting = log_has(
        driver,
        Want { dir: Some("in"), kind: Some("lifecycle"), payload_has: Some("waiting"), ..Want::default() },
    )
    .await;
    assert!(waiting.payload.contains("v2"), "{waiting:?}");

    click(driver, "skip-waiting").await;
    for tab in [b, a] {
        browser.switch_to(tab).await;
        let change = log_has(
            driver,
            Want {
                dir: Some("in"),
                kind: Some("controllerchange"),
                payload_has: Some("v2"),
                ..Want::default()
            },
        )
        .await;
        assert_eq!(change.status, "ok");
        state_becomes(driver, "sw-state", "active").await;
        assert_eq!(attr_of(driver, "controlled", "data-state").await.as_deref(), Some("yes"));
    }
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_the_worker_cannot_read_is_refused_with_its_code_and_the_worker_goes_on() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let tabs = browser.open_tabs(PATH, 2, "controlled").await;
    browser.switch_to(&tabs[0]).await;
    type_text(driver, "raw-input", "not json at all").await;
    click(driver, "raw-send").await;
    log_has(
        driver,
        Want { dir: Some("in"), kind: Some("refused"), code: Some("bad-json"), ..Want::default() },
    )
    .await;
    send(driver, "still relaying").await;
    browser.switch_to(&tabs[1]).await;
    let got = log_has(driver, Want { dir: Some("in"), kind: Some("text"), ..Want::default() }).await;
    assert_eq!(got.payload, "still relaying");
    browser.quit().await;
}
