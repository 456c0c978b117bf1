//! The Atomics route: a ring in a SharedArrayBuffer between the page and a wasm worker, on the
//! suite's cross-origin isolated origin. A message crosses the ring and comes back; only that
//! origin is isolated; a slot whose length lies is refused; the main thread may not block; and
//! the buffer cannot reach another tab.

use crosstalk_e2e::action::click;
use crosstalk_e2e::check::{attr_of, eventually, log_has, state_becomes, Want};
use crosstalk_e2e::mark::{self, Needed};
use crosstalk_e2e::session::Browser;
use thirtyfour::prelude::*;

const PATH: &str = "/atomics";

/// A proven mark: where this engine has no shared memory even on the isolated origin (WebKitGTK),
/// the route has said `unsupported` and the test ends.
async fn lacks_shared_memory(browser: &Browser) -> bool {
    mark::lacks(browser, &Needed::shared_memory(browser)).await
}

async fn cross_origin_isolated(driver: &WebDriver) -> bool {
    let value = driver.execute("return self.crossOriginIsolated === true", Vec::new()).await;
    value.expect("read crossOriginIsolated").json().as_bool().unwrap_or(false)
}

/// The ring's slots as shown: (slot, state), in order.
async fn slots(driver: &WebDriver) -> Vec<(String, String)> {
    const SNAPSHOT: &str = r#"
        return Array.from(document.querySelectorAll('[data-testid="ring"] [data-testid="slot"]'))
            .map(e => [e.dataset.slot || '', e.dataset.state || '']);"#;
    driver.execute(SNAPSHOT, Vec::new()).await.expect("read the ring").convert().expect("slots")
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_isolated_origin_is_isolated_and_the_app_sends_the_reader_there() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    // Without shared memory the route is `unsupported` there, and isolation is still checked.
    let lacking = lacks_shared_memory(&browser).await;
    let works = if lacking { "unsupported" } else { "ready" };
    browser.open("/capabilities").await;
    assert!(
        !cross_origin_isolated(driver).await,
        "the app's origin must not be isolated: its frames need it not to be"
    );
    // Opened on the app's origin, /atomics lands on the isolated one.
    browser.open(PATH).await;
    state_becomes(driver, "status", works).await;
    let url = driver.current_url().await.expect("the address").to_string();
    assert!(url.starts_with(&browser.isolated_origin()), "{url} is not on {}", browser.isolated_origin());
    assert!(cross_origin_isolated(driver).await, "the isolated origin is not isolated");
    assert_eq!(attr_of(driver, "isolated", "data-state").await.as_deref(), Some("yes"));
    // The isolated origin's capabilities: shared memory there, and only there.
    browser.goto(&format!("{}/capabilities", browser.isolated_origin())).await;
    state_becomes(driver, "status", "done").await;
    let probes: &[&str] =
        if lacking { &["cross-origin-isolated"] } else { &["cross-origin-isolated", "shared-array-buffer"] };
    for slug in probes {
        let row = format!(r#"return document.querySelector('[data-capability="{slug}"]').dataset.supported"#);
        let supported =
            driver.execute(&row, Vec::new()).await.expect("a row").json().as_str().map(str::to_owned);
        assert_eq!(supported.as_deref(), Some("yes"), "{slug} on the isolated origin");
    }
    browser.open(PATH).await;
    state_becomes(driver, "status", works).await;
    // Followed inside the app, a link to another route goes back to the app's origin.
    click(driver, "nav-broadcast").await;
    eventually("the app's origin again", async || {
        let url = driver.current_url().await.map_err(|e| e.to_string())?.to_string();
        if url.starts_with(&browser.app_origin()) && url.ends_with("/broadcast") {
            Ok(())
        } else {
            Err(url)
        }
    })
    .await;
    // The walkthrough's progress came along (each origin keeps its own): /learn on the app's
    // origin shows the step this page ticked on the isolated one.
    browser.open("/learn").await;
    let step = r#"return (document.querySelector('[data-testid="chapter"][data-chapter="atomics"] [data-testid="step"][data-step="isolated"]') || {dataset: {}}).dataset.state"#;
    eventually("the isolated step done on the app's /learn", async || {
        let state = driver.execute(step, Vec::new()).await.map_err(|e| e.to_string())?.json().clone();
        if state.as_str() == Some("done") {
            Ok(())
        } else {
            Err(format!("{state:?}"))
        }
    })
    .await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_crosses_the_ring_and_comes_back_and_a_run_counts_its_hops() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    if lacks_shared_memory(&browser).await {
        return browser.quit().await;
    }
    browser.open(PATH).await;
    state_becomes(driver, "status", "ready").await;
    let ring = slots(driver).await;
    assert_eq!(ring.len(), 8, "one slot per entry of the ring: {ring:?}");
    assert!(ring.iter().all(|(_, state)| state == "empty"), "{ring:?}");
    click(driver, "ping").await;
    let reply = log_has(driver, Want { dir: Some("in"), kind: Some("reply"), ..Want::default() }).await;
    assert!(reply.payload.contains("pong: ping #1"), "the worker's answer, read from the slot: {reply:?}");
    eventually("slot 0 to hold the reply", async || {
        let ring = slots(driver).await;
        if ring[0].1 == "reply" {
            Ok(())
        } else {
            Err(format!("{ring:?}"))
        }
    })
    .await;
    // After the buffer, nothing crosses by postMessage: the worker said one word, attached, and
    // the reply came through the ring.
    let from_worker = crosstalk_e2e::check::log_lines(driver).await;
    let posted: Vec<&str> = from_worker
        .iter()
        .filter(|l| l.dir == "in" && l.seq.is_some() && l.kind != "reply")
        .map(|l| l.kind.as_str())
        .collect();
    assert_eq!(posted, ["ready", "attached"], "{from_worker:#?}");
    click(driver, "run-hops").await;
    log_has(driver, Want { kind: Some("hops"), payload_has: Some("2000 hops"), ..Want::default() }).await;
    eventually("the hops readout to count the run", async || {
        let count = attr_of(driver, "hops", "data-count").await.unwrap_or_default();
        if count == "2001" {
            Ok(())
        } else {
            Err(count)
        }
    })
    .await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slot_whose_length_lies_is_refused_and_the_main_thread_may_not_block() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    if lacks_shared_memory(&browser).await {
        return browser.quit().await;
    }
    browser.open(PATH).await;
    state_becomes(driver, "status", "ready").await;
    click(driver, "send-lying-length").await;
    let refused =
        log_has(driver, Want { kind: Some("slot"), status: Some("rejected"), ..Want::default() }).await;
    assert_eq!(refused.code, "too-large", "{refused:?}");
    assert!(refused.reason.contains("256000"), "it says what the slot claimed: {refused:?}");
    // The ring goes on after it.
    click(driver, "ping").await;
    log_has(driver, Want { kind: Some("reply"), payload_has: Some("pong: ping #1"), ..Want::default() })
        .await;
    click(driver, "block-main-thread").await;
    let blocked = log_has(driver, Want { kind: Some("block"), ..Want::default() }).await;
    assert_eq!((blocked.status.as_str(), blocked.code.as_str()), ("rejected", "would-block"), "{blocked:?}");
    assert!(
        !blocked.reason.contains("let the main thread block"),
        "the browser blocked the page: {blocked:?}"
    );
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_buffer_cannot_reach_another_tab() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    if lacks_shared_memory(&browser).await {
        return browser.quit().await;
    }
    let tabs = browser.open_tabs(PATH, 2, "ready").await;
    browser.switch_to(&tabs[0]).await;
    click(driver, "share-buffer").await;
    let offered = log_has(driver, Want { kind: Some("offer"), ..Want::default() }).await;
    if offered.status != "rejected" {
        // Posted without complaint here: the other tab got it unreadable (Firefox: messageerror;
        // Chromium: null in its place).
        browser.switch_to(&tabs[1]).await;
        let arrived = log_has(driver, Want { dir: Some("in"), kind: Some("offer"), ..Want::default() }).await;
        assert_eq!(
            (arrived.status.as_str(), arrived.code.as_str()),
            ("rejected", "not-cloneable"),
            "{arrived:?}"
        );
    } else {
        assert_eq!(offered.code, "not-cloneable", "{offered:?}");
    }
    browser.quit().await;
}

/// The limit row: the ring and postMessage in this one isolated page, through crosstalk and in
/// plain JS, each with a round trip and a throughput, shown as a table and as bars.
#[tokio::test(flavor = "multi_thread")]
async fn the_limit_row_measures_the_ring_and_post_message_on_both_sides() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    if lacks_shared_memory(&browser).await {
        return browser.quit().await;
    }
    browser.open(PATH).await;
    state_becomes(driver, "status", "ready").await;
    click(driver, "measure").await;
    eventually("the limit row measured", async || {
        match attr_of(driver, "limit", "data-state").await.as_deref() {
            Some("done") => Ok(()),
            other => Err(format!("{other:?}: {:#?}", crosstalk_e2e::check::log_lines(driver).await)),
        }
    })
    .await;
    const ROWS: &str = r#"
        return Array.from(document.querySelectorAll('[data-testid="limit-row"]'))
            .map(r => [r.dataset.case, r.dataset.side, Number(r.dataset.rttUs), Number(r.dataset.msgsPerS)]);"#;
    let rows: Vec<(String, String, f64, f64)> =
        driver.execute(ROWS, Vec::new()).await.expect("the rows").convert().expect("rows");
    let cases: Vec<(&str, &str)> = rows.iter().map(|r| (r.0.as_str(), r.1.as_str())).collect();
    assert_eq!(
        cases,
        [
            ("atomics", "crosstalk"),
            ("atomics", "plain-js"),
            ("postmessage", "crosstalk"),
            ("postmessage", "plain-js")
        ]
    );
    for (case, side, rtt_us, msgs_per_s) in &rows {
        assert!(*rtt_us > 0.0 && rtt_us.is_finite(), "{case} {side}: {rtt_us} µs");
        assert!(*msgs_per_s > 0.0 && msgs_per_s.is_finite(), "{case} {side}: {msgs_per_s}/s");
    }
    let bars = driver.find(crosstalk_e2e::find::testid("limit-chart")).await.expect("the chart");
    assert_eq!(bars.find_all(By::Css("rect")).await.expect("bars").len(), 4, "one bar per measurement");
    browser.picture_page("atomics").await;
    browser.quit().await;
}
