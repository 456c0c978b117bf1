//! The IndexedDB route: tabs of one browser sharing one object store. A write in one tab is read
//! by another from the store after a notice that carries only the key; an upgrade is blocked by a
//! tab that refuses to close and completes once it goes; a request after an await inside a
//! transaction fails as the lesson says; what is not a value or not a notice is refused with its
//! code.

use crosstalk_e2e::action::{click, type_text};
use crosstalk_e2e::check::{attr_of, eventually, log_has, state_becomes, text_of, Want};
use crosstalk_e2e::session::Browser;
use thirtyfour::prelude::*;

const PATH: &str = "/indexeddb";

async fn set(driver: &WebDriver, key: &str, value: &str) {
    type_text(driver, "key-input", key).await;
    type_text(driver, "value-input", value).await;
    click(driver, "set").await;
}

async fn version(driver: &WebDriver) -> u32 {
    let shown = text_of(driver, "db-version").await.unwrap_or_default();
    shown.trim().parse().unwrap_or_else(|_| panic!("db-version reads {shown:?}"))
}

async fn version_becomes(driver: &WebDriver, wanted: u32) {
    eventually(&format!("version {wanted}"), async || match text_of(driver, "db-version").await {
        Some(now) if now.trim() == wanted.to_string() => Ok(()),
        now => Err(format!("db-version={now:?}")),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_in_one_tab_is_read_from_the_store_by_the_other_and_what_is_no_value_is_refused() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let tabs = browser.open_tabs(PATH, 2, "open").await;
    let (a, b) = (&tabs[0], &tabs[1]);

    browser.switch_to(a).await;
    set(driver, "colour", "blue <b>蓝</b>").await;
    log_has(driver, Want { dir: Some("out"), kind: Some("put"), ..Want::default() }).await;
    browser.switch_to(b).await;
    log_has(driver, Want { dir: Some("in"), kind: Some("wrote"), ..Want::default() }).await;
    let read = log_has(driver, Want { dir: Some("in"), kind: Some("read"), ..Want::default() }).await;
    assert!(read.payload.contains("blue <b>蓝</b>") && read.status == "ok", "{read:?}");
    assert_eq!(text_of(driver, "value-output").await.as_deref(), Some("blue <b>蓝</b>"));
    assert_eq!(attr_of(driver, "value-output", "data-found").await.as_deref(), Some("true"));

    // Raw text written into the store: the notice is fine, the value read back is not.
    browser.switch_to(a).await;
    type_text(driver, "raw-input", "{not a value").await;
    click(driver, "raw-send").await;
    browser.switch_to(b).await;
    log_has(driver, Want { dir: Some("in"), kind: Some("read"), code: Some("bad-json"), ..Want::default() })
        .await;
    // A notice that is no envelope, from a plain script on the channel.
    browser.switch_to(a).await;
    driver
        .execute(
            "new BroadcastChannel('crosstalk:indexeddb').postMessage('{\"kind\":\"wrote\"}')",
            Vec::new(),
        )
        .await
        .expect("the script posts");
    browser.switch_to(b).await;
    log_has(
        driver,
        Want { dir: Some("in"), status: Some("rejected"), code: Some("no-version"), ..Want::default() },
    )
    .await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upgrade_is_blocked_by_a_tab_that_refuses_and_completes_once_it_closes() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let tabs = browser.open_tabs(PATH, 3, "open").await;
    let (a, refuser, cooperator) = (&tabs[0], &tabs[1], &tabs[2]);
    browser.switch_to(refuser).await;
    click(driver, "refuse-upgrade").await;
    browser.switch_to(a).await;
    let before = version(driver).await;
    click(driver, "upgrade").await;
    // The other tabs are asked to close. Firefox may hold a background tab's versionchange until
    // the tab is looked at, and the upgrading tab's blocked with it: a reader looks, so do we.
    browser.switch_to(refuser).await;
    let refused =
        log_has(driver, Want { dir: Some("in"), kind: Some("versionchange"), ..Want::default() }).await;
    assert!(refused.payload.contains("refuses"), "{refused:?}");
    browser.switch_to(cooperator).await;
    let closed =
        log_has(driver, Want { dir: Some("in"), kind: Some("versionchange"), ..Want::default() }).await;
    assert!(closed.payload.contains("closes"), "{closed:?}");
    browser.switch_to(a).await;
    state_becomes(driver, "blocked", "yes").await;
    state_becomes(driver, "status", "blocked").await;
    log_has(driver, Want { dir: Some("in"), kind: Some("blocked"), ..Want::default() }).await;
    assert_eq!(version(driver).await, before, "still blocked: the version has not moved");

    browser.switch_to(refuser).await;
    driver.close_window().await.expect("close the refusing tab");
    browser.switch_to(a).await;
    state_becomes(driver, "status", "open").await;
    version_becomes(driver, before + 1).await;
    state_becomes(driver, "blocked", "no").await;
    log_has(driver, Want { dir: Some("in"), kind: Some("upgradeneeded"), ..Want::default() }).await;
    browser.switch_to(cooperator).await;
    version_becomes(driver, before + 1).await;
    state_becomes(driver, "status", "open").await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_after_an_await_inside_a_transaction_finds_it_committed() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open(PATH).await;
    state_becomes(driver, "status", "open").await;
    click(driver, "stale-transaction").await;
    let late =
        log_has(driver, Want { kind: Some("inactive"), status: Some("rejected"), ..Want::default() }).await;
    assert!(late.reason.contains("TransactionInactiveError"), "{late:?}");
    browser.quit().await;
}
