//! The storage-events route in Chromium: three tabs of one browser sharing one localStorage.

use crosstalk_e2e::action::{click, type_text};
use crosstalk_e2e::check::{eventually, log_has, log_lines, state_becomes, text_of, Want};
use crosstalk_e2e::find::testid;
use crosstalk_e2e::session::Browser;
use thirtyfour::prelude::*;

async fn set(driver: &WebDriver, key: &str, value: &str) {
    type_text(driver, "key-input", key).await;
    type_text(driver, "value-input", value).await;
    click(driver, "set").await;
}

async fn storage_events(driver: &WebDriver) -> usize {
    log_lines(driver).await.iter().filter(|l| l.dir == "in").count()
}

/// The value the key table shows for `key`.
async fn table_value(driver: &WebDriver, key: &str) -> Option<String> {
    let row = driver.find(By::Css(format!("[data-testid=\"key-row\"][data-key=\"{key}\"]"))).await.ok()?;
    row.find(testid("key-value")).await.ok()?.text().await.ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn other_tabs_see_each_write_with_old_and_new_values_and_the_writer_does_not() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/storage").await;
    let first = driver.window().await.expect("tab 1");
    state_becomes(driver, "status", "listening").await;
    // Start from nothing: the profile is fresh, but be explicit.
    click(driver, "clear").await;
    let second = browser.open_tab("/storage").await;
    state_becomes(driver, "status", "listening").await;
    let third = browser.open_tab("/storage").await;
    state_becomes(driver, "status", "listening").await;

    browser.switch_to(&first).await;
    set(driver, "colour", "blue").await;
    set(driver, "colour", "green 绿").await;
    for tab in [&second, &third] {
        browser.switch_to(tab).await;
        log_has(
            driver,
            Want {
                dir: Some("in"),
                kind: Some("storage"),
                payload_has: Some("\"colour\": (none) → \"blue\""),
                ..Want::default()
            },
        )
        .await;
        let second_write = log_has(
            driver,
            Want {
                dir: Some("in"),
                kind: Some("storage"),
                payload_has: Some("\"blue\" → \"green 绿\""),
                ..Want::default()
            },
        )
        .await;
        assert!(second_write.payload.contains("/storage"), "the url of the writing page: {second_write:?}");
        eventually("the key table to update", async || match table_value(driver, "colour").await {
            Some(v) if v == "green 绿" => Ok(()),
            other => Err(format!("{other:?}")),
        })
        .await;
    }
    browser.switch_to(&first).await;
    log_has(driver, Want { dir: Some("system"), kind: Some("no-event"), ..Want::default() }).await;
    assert_eq!(storage_events(driver).await, 0, "the writing tab gets no storage event");

    // The workaround: the writer notifies itself, marked as such.
    click(driver, "same-tab-toggle").await;
    set(driver, "colour", "red").await;
    let own = log_has(driver, Want { dir: Some("in"), kind: Some("same-tab"), ..Want::default() }).await;
    assert!(own.payload.contains("\"green 绿\" → \"red\""), "{own:?}");
    browser.switch_to(&second).await;
    log_has(
        driver,
        Want { dir: Some("in"), kind: Some("storage"), payload_has: Some("→ \"red\""), ..Want::default() },
    )
    .await;
    let same_tab_here = log_lines(driver).await.iter().filter(|l| l.kind == "same-tab").count();
    assert_eq!(same_tab_here, 0, "other tabs get the real event, not the workaround's");
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn filling_the_quota_shows_the_error_and_keeps_the_demo_keys() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/storage").await;
    state_becomes(driver, "status", "listening").await;
    set(driver, "keep-me", "precious").await;

    click(driver, "fill-quota").await;
    let error = eventually("the quota error", async || {
        text_of(driver, "error").await.ok_or_else(|| "no error".to_owned())
    })
    .await;
    assert!(error.contains("QuotaExceededError"), "{error}");
    assert_eq!(table_value(driver, "keep-me").await.as_deref(), Some("precious"));
    let fillers = driver
        .execute(
            "return Object.keys(localStorage).filter(k => k.startsWith('crosstalk:filler:')).length;",
            Vec::new(),
        )
        .await
        .expect("count filler keys");
    assert_eq!(fillers.json().as_u64(), Some(0), "the filler is cleaned up");
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_value_someone_else_wrote_that_does_not_decode_is_rejected_not_fatal() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let tabs = browser.open_tabs("/storage", 2, "listening").await;
    let first = tabs[0].clone();
    driver
        .execute("localStorage.setItem('crosstalk:demo:bad', '{broken json');", Vec::new())
        .await
        .expect("a foreign write");
    browser.switch_to(&first).await;
    let rejected =
        log_has(driver, Want { dir: Some("in"), status: Some("rejected"), ..Want::default() }).await;
    assert_eq!(rejected.code, "bad-json", "{rejected:?}");
    // The page still works.
    set(driver, "fine", "still fine").await;
    eventually("the table to show the new key", async || match table_value(driver, "fine").await {
        Some(v) if v == "still fine" => Ok(()),
        other => Err(format!("{other:?}")),
    })
    .await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_this_tab_never_heard_of_shows_as_a_gap() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/storage").await;
    let route = driver.window().await.expect("the route's tab");
    state_becomes(driver, "status", "listening").await;
    browser.open_tab("/").await;
    // #1, then #3: the write #2 never reached this origin's storage.
    let script = r#"
        const env = (seq, text) => JSON.stringify({ v: 1, seq, from: "tab-writer", sent_at: Date.now(), kind: "value", body: { text } });
        localStorage.setItem("crosstalk:demo:gap", env(1, "first"));
        localStorage.setItem("crosstalk:demo:gap", env(3, "third"));
        localStorage.removeItem("crosstalk:demo:gap");
    "#;
    driver.execute(script, Vec::new()).await.expect("the writes");
    browser.switch_to(&route).await;
    let gap = log_has(driver, Want { dir: Some("in"), code: Some("gap"), ..Default::default() }).await;
    assert!(gap.payload.contains("third") && gap.reason.contains("expected #2, got #3"), "{gap:?}");
    browser.quit().await;
}
