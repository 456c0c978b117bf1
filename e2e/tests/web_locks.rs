//! The Web Locks route: tabs of one browser holding and queueing one named lock. The queue moves
//! when the holder releases, when its tab closes or its renderer crashes (with a death notice),
//! and when another steals it; shared holders share; `ifAvailable` does not wait; a malformed
//! notice is refused with its code.

use crosstalk_e2e::action::{choose, click};
use crosstalk_e2e::check::{eventually, log_has, Want};
use crosstalk_e2e::session::Browser;
use crosstalk_e2e::stock::can_crash;
use thirtyfour::prelude::*;

const PATH: &str = "/web-locks";

async fn held_becomes(driver: &WebDriver, state: &str) {
    crosstalk_e2e::check::state_becomes(driver, "held", state).await;
}

/// The queue as this tab shows it: (tab, mode, held or waiting), in order.
async fn queue(driver: &WebDriver) -> Vec<(String, String, String)> {
    const SNAPSHOT: &str = r#"
        return Array.from(document.querySelectorAll('[data-testid="queue-entry"]'))
            .map(e => [e.dataset.tab || '', e.dataset.mode || '', e.dataset.state || '']);"#;
    let result = driver.execute(SNAPSHOT, Vec::new()).await.expect("read the queue");
    result.convert().expect("queue entries")
}

/// Waits until the queue reads `places` (`held`/`waiting`, in order, whoever they are).
async fn queue_becomes(driver: &WebDriver, places: &[&str]) -> Vec<(String, String, String)> {
    eventually(&format!("a queue of {places:?}"), async || {
        let now = queue(driver).await;
        let seen: Vec<&str> = now.iter().map(|e| e.2.as_str()).collect();
        if seen == places {
            Ok(now)
        } else {
            Err(format!("{now:?}"))
        }
    })
    .await
}

/// This tab's id, as its first log line says it ("this tab is tab-…: …").
async fn tab_id(driver: &WebDriver) -> String {
    let opened = log_has(driver, Want { kind: Some("open"), ..Want::default() }).await;
    let id = opened.payload.split_whitespace().nth(3).unwrap_or_default();
    id.trim_end_matches(':').to_owned()
}

async fn acquire(driver: &WebDriver, mode: &str) {
    choose(driver, "lock-mode", mode).await;
    click(driver, "acquire").await;
}

/// Tab `a` takes the lock, tab `b` queues behind it; returns `a`'s id as the queue names it.
async fn holds_and_waits(browser: &Browser, a: &WindowHandle, b: &WindowHandle) -> String {
    let driver = &browser.driver;
    browser.switch_to(a).await;
    acquire(driver, "exclusive").await;
    held_becomes(driver, "held").await;
    let holder = queue_becomes(driver, &["held"]).await[0].0.clone();
    browser.switch_to(b).await;
    acquire(driver, "exclusive").await;
    queue_becomes(driver, &["held", "waiting"]).await;
    holder
}

/// Waits for this tab's death notice of `dead`.
async fn death_notice_names(driver: &WebDriver, dead: &str) {
    let death = log_has(driver, Want { dir: Some("in"), kind: Some("death"), ..Want::default() }).await;
    assert!(death.payload.contains(dead), "the notice names the dead tab {dead}: {death:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_queue_moves_to_the_waiting_tab_when_the_holder_releases_and_every_tab_sees_it() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let tabs = browser.open_tabs(PATH, 2, "ready").await;
    let (a, b) = (&tabs[0], &tabs[1]);

    browser.switch_to(a).await;
    acquire(driver, "exclusive").await;
    held_becomes(driver, "held").await;
    browser.switch_to(b).await;
    acquire(driver, "exclusive").await;
    held_becomes(driver, "waiting").await;
    // The queue is the browser's census, read in each tab: A holds, B waits, in both.
    let in_b = queue_becomes(driver, &["held", "waiting"]).await;
    driver
        .execute(
            "document.querySelector('[data-testid=queue]').scrollIntoView({block: 'center'})",
            Vec::new(),
        )
        .await
        .expect("scroll to the queue");
    browser.picture_page("web-locks").await;
    browser.switch_to(a).await;
    let in_a = queue_becomes(driver, &["held", "waiting"]).await;
    assert_eq!(in_a, in_b, "both tabs read the same queue");
    assert_eq!(in_a[0].0, tab_id(driver).await, "the holder is named by its tab's id");

    click(driver, "release").await;
    held_becomes(driver, "free").await;
    browser.switch_to(b).await;
    held_becomes(driver, "held").await;
    log_has(driver, Want { dir: Some("in"), kind: Some("granted"), ..Want::default() }).await;
    // A's release was told over the channel: B logged it as another tab's notice.
    log_has(
        driver,
        Want { dir: Some("in"), kind: Some("changed"), payload_has: Some("released"), ..Want::default() },
    )
    .await;
    queue_becomes(driver, &["held"]).await;
    browser.quit().await;
}

/// The holder goes without a word (its tab closed, or its renderer crashed where the engine can):
/// the browser grants the lock to the waiter, and the waiter's watch on the holder's life lock is
/// its death notice.
#[tokio::test(flavor = "multi_thread")]
async fn a_holders_tab_that_dies_hands_the_lock_on_and_the_waiter_gets_its_death_notice() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let tabs = browser.open_tabs(PATH, 3, "ready").await;
    let (a, b, c) = (&tabs[0], &tabs[1], &tabs[2]);
    let holder = holds_and_waits(&browser, a, b).await;

    browser.switch_to(a).await;
    if can_crash(&browser) {
        let _ = driver.goto("chrome://crash").await;
    }
    driver.close_window().await.expect("close the holder's tab");
    browser.switch_to(b).await;
    held_becomes(driver, "held").await;
    death_notice_names(driver, &holder).await;
    // A tab that waited for nothing hears of the death all the same.
    browser.switch_to(c).await;
    death_notice_names(driver, &holder).await;
    browser.quit().await;
}

/// The page's own crash (fault injection): it tears itself down without letting go.
#[tokio::test(flavor = "multi_thread")]
async fn a_tab_that_crashes_while_holding_loses_the_lock_to_the_next_without_releasing_it() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let tabs = browser.open_tabs(PATH, 2, "ready").await;
    let (a, b) = (&tabs[0], &tabs[1]);
    let holder = holds_and_waits(&browser, a, b).await;
    browser.switch_to(a).await;
    click(driver, "crash").await;
    browser.switch_to(b).await;
    held_becomes(driver, "held").await;
    death_notice_names(driver, &holder).await;
    browser.switch_to(a).await;
    crosstalk_e2e::check::state_becomes(driver, "status", "ready").await;
    held_becomes(driver, "free").await;
    // The reloaded page is a new tab, alive: the waiter watches its life lock and never takes
    // it for a death (its hello comes only once that lock is held).
    let reborn = tab_id(driver).await;
    browser.switch_to(b).await;
    let watching = Want { kind: Some("watch"), payload_has: Some(&reborn), ..Want::default() };
    log_has(driver, watching).await;
    // A census read after the watch is answered after any grant of it (one lock manager, in order).
    browser.switch_to(a).await;
    acquire(driver, "exclusive").await;
    browser.switch_to(b).await;
    queue_becomes(driver, &["held", "waiting"]).await;
    let deaths =
        crosstalk_e2e::check::log_has_n(driver, 1, Want { kind: Some("death"), ..Want::default() }).await;
    assert!(deaths.iter().all(|d| d.payload.contains(&holder)), "only {holder} died: {deaths:?}");
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn shared_holders_share_an_exclusive_waits_a_steal_takes_it_and_if_available_never_waits() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let tabs = browser.open_tabs(PATH, 3, "ready").await;
    let (a, b, c) = (&tabs[0], &tabs[1], &tabs[2]);
    for tab in [a, b] {
        browser.switch_to(tab).await;
        acquire(driver, "shared").await;
        held_becomes(driver, "held").await;
    }
    browser.switch_to(c).await;
    click(driver, "if-available").await;
    log_has(driver, Want { dir: Some("in"), kind: Some("not-available"), ..Want::default() }).await;
    held_becomes(driver, "free").await;
    acquire(driver, "exclusive").await;
    held_becomes(driver, "waiting").await;
    let queue_now = queue_becomes(driver, &["held", "held", "waiting"]).await;
    assert_eq!(queue_now.iter().map(|e| e.1.as_str()).collect::<Vec<_>>(), ["shared", "shared", "exclusive"]);

    // The hold-forever holder ignores its release; a steal is the way out.
    browser.switch_to(a).await;
    click(driver, "hold-forever").await;
    click(driver, "release").await;
    let ignored =
        Want { kind: Some("hold-forever"), payload_has: Some("release ignored"), ..Want::default() };
    log_has(driver, ignored).await;
    held_becomes(driver, "held").await;
    browser.switch_to(c).await;
    click(driver, "release").await; // stops waiting
    held_becomes(driver, "free").await;
    click(driver, "steal").await;
    held_becomes(driver, "held").await;
    for tab in [a, b] {
        browser.switch_to(tab).await;
        held_becomes(driver, "free").await;
        log_has(driver, Want { dir: Some("in"), kind: Some("stolen"), ..Want::default() }).await;
    }
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_notice_is_refused_with_its_code_and_a_note_reaches_the_other_tab() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let tabs = browser.open_tabs(PATH, 2, "ready").await;
    browser.switch_to(&tabs[0]).await;
    click(driver, "send-malformed").await;
    crosstalk_e2e::action::type_text(driver, "message-input", "printing <b>now</b>").await;
    click(driver, "send").await;
    browser.switch_to(&tabs[1]).await;
    log_has(
        driver,
        Want { dir: Some("in"), status: Some("rejected"), code: Some("no-version"), ..Want::default() },
    )
    .await;
    let note = log_has(driver, Want { dir: Some("in"), kind: Some("text"), ..Want::default() }).await;
    assert_eq!(note.payload, "printing <b>now</b>");
    assert_eq!(note.status, "ok");
    browser.quit().await;
}
