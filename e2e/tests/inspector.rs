//! The inspector in Chromium: one tab watches while others talk; what one tab sends and another
//! receives shows up in one timeline, each in its own tab's lane, with the worker traffic that
//! devtools keeps apart.

use crosstalk_e2e::action::{choose, click, type_text};
use crosstalk_e2e::check::{eventually, log_has, state_becomes, Want};
use crosstalk_e2e::session::Browser;
use thirtyfour::prelude::*;

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
struct TimelineEntry {
    context: String,
    route: String,
    dir: String,
    kind: String,
    from: String,
    text: String,
}

/// The timeline in one script call: read attribute by attribute, a row could change between two
/// reads as the timeline re-renders, and mix one record's lane with another's direction.
async fn timeline(driver: &WebDriver) -> Vec<TimelineEntry> {
    const SNAPSHOT: &str = r#"
        return Array.from(document.querySelectorAll('[data-testid="timeline-entry"]')).map(e => ({
            context: e.dataset.context || '', route: e.dataset.route || '', dir: e.dataset.dir || '',
            kind: e.dataset.kind || '', from: e.dataset.from || '', text: e.innerText || '',
        }));"#;
    match driver.execute(SNAPSHOT, Vec::new()).await {
        Ok(rows) => rows.convert().expect("timeline rows"),
        Err(_) => Vec::new(),
    }
}

/// Waits until the timeline has an entry that `want` accepts, and returns it.
async fn timeline_has(
    driver: &WebDriver,
    what: &str,
    want: impl Fn(&TimelineEntry) -> bool,
) -> TimelineEntry {
    eventually(what, async || {
        let rows = timeline(driver).await;
        rows.iter().find(|r| want(r)).cloned().ok_or_else(|| format!("{} entries: {rows:?}", rows.len()))
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_inspector_shows_a_message_leave_one_tab_and_arrive_in_another() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let tabs = browser.open_tabs("/broadcast", 2, "joined").await;
    let (sender, receiver) = (&tabs[0], &tabs[1]);
    // Sent before the inspector opens: it asks every tab for what it holds.
    browser.switch_to(sender).await;
    type_text(driver, "message-input", "before the inspector").await;
    click(driver, "send").await;
    browser.switch_to(receiver).await;
    log_has(driver, Want { dir: Some("in"), payload_has: Some("before the inspector"), ..Want::default() })
        .await;

    let first_look = browser.open_tab("/inspector").await;
    state_becomes(driver, "status", "watching").await;
    timeline_has(driver, "the earlier message, sent before the inspector opened", |r| {
        r.dir == "out" && r.text.contains("before the inspector")
    })
    .await;
    // A second inspector, after the first has seen it all: it still gets everything.
    browser.switch_to(&first_look).await;
    driver.close_window().await.expect("close the first inspector");
    browser.switch_to(receiver).await;
    let inspector = browser.open_tab("/inspector").await;
    state_becomes(driver, "status", "watching").await;
    let early = timeline_has(driver, "the earlier message, in a second inspector", |r| {
        r.dir == "out" && r.text.contains("before the inspector")
    })
    .await;

    browser.switch_to(sender).await;
    type_text(driver, "message-input", "watched <b>live</b> 你好").await;
    click(driver, "send").await;
    browser.switch_to(&inspector).await;
    let sent = timeline_has(driver, "the message leaving the sender", |r| {
        r.dir == "out" && r.kind == "text" && r.text.contains("watched <b>live</b> 你好")
    })
    .await;
    let received = timeline_has(driver, "the message arriving in the other tab", |r| {
        r.dir == "in" && r.kind == "text" && r.text.contains("watched <b>live</b> 你好")
    })
    .await;
    assert_eq!(sent.route, "/broadcast");
    assert_eq!(received.route, "/broadcast");
    assert_eq!(early.context, sent.context, "one tab, one lane");
    assert_ne!(sent.context, received.context, "two tabs, two lanes: {sent:?} {received:?}");
    // One read with both rows in it (the timeline re-renders as records come in).
    eventually("the send above its receipt", async || {
        let rows = timeline(driver).await;
        let position = |e: &TimelineEntry| rows.iter().position(|r| r == e);
        match (position(&sent), position(&received)) {
            (Some(s), Some(r)) if s < r => Ok(()),
            (Some(_), Some(_)) => panic!("the receipt is above its send: {rows:?}"),
            _ => Err("not both shown in one read".to_owned()),
        }
    })
    .await;

    // The sender's lane says which id its messages carry: the one the receiving tab logged.
    let lane = driver
        .find(By::Css(format!("[data-testid=lane][data-context=\"{}\"]", sent.context)))
        .await
        .expect("the sender's lane");
    assert_eq!(lane.attr("data-sends-as").await.ok().flatten(), Some(received.from.clone()));
    browser.picture("timeline", "inspector").await;
    // A filter by tab keeps only that tab's lane.
    choose(driver, "inspector-context", &received.context).await;
    eventually("only the receiving tab's records", async || {
        let rows = timeline(driver).await;
        match rows.iter().all(|r| r.context == received.context) && !rows.is_empty() {
            true => Ok(()),
            false => Err(format!("{rows:?}")),
        }
    })
    .await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_inspector_shows_a_worker_ports_traffic_beside_a_broadcast() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/inspector").await;
    let inspector = driver.window().await.expect("the inspector's tab");
    state_becomes(driver, "status", "watching").await;
    browser.open_tab("/worker-port").await;
    state_becomes(driver, "status", "ready").await;
    type_text(driver, "message-input", "through the port").await;
    click(driver, "send").await;
    browser.switch_to(&inspector).await;
    timeline_has(driver, "the page's message to its worker", |r| {
        r.route == "/worker-port" && r.dir == "out" && r.text.contains("through the port")
    })
    .await;
    timeline_has(driver, "the worker's echo back over the port", |r| {
        r.route == "/worker-port" && r.dir == "in" && r.kind == "echo" && r.text.contains("through the port")
    })
    .await;
    choose(driver, "inspector-mechanism", "/worker-port").await;
    let rows = timeline(driver).await;
    assert!(rows.iter().all(|r| r.route == "/worker-port"), "{rows:?}");
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_shared_worker_has_a_lane_of_its_own_in_the_inspector() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/inspector").await;
    let inspector = driver.window().await.expect("the inspector's tab");
    state_becomes(driver, "status", "watching").await;
    let page = browser.open_tab("/shared-worker").await;
    state_becomes(driver, "status", "connected").await;
    // The worker keeps no backlog: it says so when it first hears the inspector, then goes live.
    browser.switch_to(&inspector).await;
    timeline_has(driver, "the shared worker's lane", |r| {
        r.context.starts_with("shared-") && r.kind == "watch"
    })
    .await;
    browser.switch_to(&page).await;
    type_text(driver, "key-input", "watched-key").await;
    type_text(driver, "value-input", "watched value").await;
    click(driver, "set").await;
    log_has(driver, Want { dir: Some("in"), kind: Some("ack"), ..Want::default() }).await;
    browser.switch_to(&inspector).await;
    // The worker's own view: the set arriving on a port, the ack leaving on it.
    let heard = timeline_has(driver, "the shared worker hearing the set", |r| {
        r.context.starts_with("shared-") && r.dir == "in" && r.kind == "set"
    })
    .await;
    assert_eq!(heard.route, "/shared-worker");
    let acked = timeline_has(driver, "the shared worker sending the ack", |r| {
        r.context.starts_with("shared-") && r.dir == "out" && r.kind == "ack"
    })
    .await;
    assert_eq!(heard.context, acked.context, "one worker, one lane");
    // Beside the tab's own view of the same exchange, in another lane.
    let tab = timeline_has(driver, "the tab sending the set", |r| {
        r.route == "/shared-worker" && r.dir == "out" && r.kind == "set"
    })
    .await;
    assert_ne!(tab.context, heard.context);
    let rows = timeline(driver).await;
    assert!(!rows.iter().any(|r| r.kind == "ping" || r.kind == "pong"), "upkeep is left out: {rows:?}");
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_service_worker_has_a_lane_of_its_own_in_the_inspector() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/inspector").await;
    let inspector = driver.window().await.expect("the inspector's tab");
    state_becomes(driver, "status", "watching").await;
    let page = browser.open_tab("/service-worker").await;
    state_becomes(driver, "status", "controlled").await;
    browser.switch_to(&inspector).await;
    timeline_has(driver, "the service worker's lane", |r| r.context.starts_with("sw-") && r.kind == "watch")
        .await;
    browser.switch_to(&page).await;
    type_text(driver, "message-input", "watched through the worker").await;
    click(driver, "send").await;
    log_has(driver, Want { dir: Some("in"), kind: Some("delivered"), ..Want::default() }).await;
    browser.switch_to(&inspector).await;
    // The worker's own view: the text arriving from the tab, its answer leaving.
    let heard = timeline_has(driver, "the worker hearing the text", |r| {
        r.context.starts_with("sw-") && r.dir == "in" && r.kind == "text"
    })
    .await;
    assert_eq!(heard.route, "/service-worker");
    let answered = timeline_has(driver, "the worker answering", |r| {
        r.context.starts_with("sw-") && r.dir == "out" && r.kind == "delivered"
    })
    .await;
    assert_eq!(heard.context, answered.context, "one worker, one lane");
    let tab = timeline_has(driver, "the tab sending the text", |r| {
        r.route == "/service-worker" && r.dir == "out" && r.kind == "text" && !r.context.starts_with("sw-")
    })
    .await;
    assert_ne!(tab.context, heard.context);
    browser.quit().await;
}

/// The isolated origin has an inspector of its own (a BroadcastChannel reaches its own origin
/// only): opened there, it shows /atomics writing a slot and reading the reply.
#[tokio::test(flavor = "multi_thread")]
async fn the_isolated_origins_inspector_shows_the_rings_traffic() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    // A proven mark: no ring without shared memory; the route has said so.
    if crosstalk_e2e::mark::lacks(&browser, &crosstalk_e2e::mark::Needed::shared_memory(&browser)).await {
        return browser.quit().await;
    }
    browser.goto(&format!("{}/inspector", browser.isolated_origin())).await;
    browser.rendered().await;
    let inspector = driver.window().await.expect("the inspector's tab");
    state_becomes(driver, "status", "watching").await;
    let page = browser.open_tab("/atomics").await;
    state_becomes(driver, "status", "ready").await;
    click(driver, "ping").await;
    log_has(driver, Want { dir: Some("in"), kind: Some("reply"), ..Want::default() }).await;
    browser.switch_to(&inspector).await;
    let wrote = timeline_has(driver, "the slot written", |r| {
        r.route == "/atomics" && r.dir == "out" && r.kind == "write"
    })
    .await;
    let read = timeline_has(driver, "the reply read", |r| {
        r.route == "/atomics" && r.dir == "in" && r.kind == "reply"
    })
    .await;
    assert_eq!(wrote.context, read.context, "one tab, one lane");
    assert!(read.text.contains("pong: ping #1"), "{read:?}");
    browser.switch_to(&page).await;
    browser.quit().await;
}
