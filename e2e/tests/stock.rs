//! The Stock sync route in Chromium: three tabs of one browser, one leader ticking one market,
//! failover on close and on crash, hand over, a foreign malformed tick, another transport, and
//! the fallback election.

use crosstalk_e2e::action::{choose, click};
use crosstalk_e2e::check::{attr_of, eventually, log_has, log_lines, text_of, Want};
use crosstalk_e2e::session::{Browser, Engine};
use thirtyfour::prelude::*;

/// This tab's role, once it has one.
async fn role(driver: &WebDriver) -> Option<String> {
    attr_of(driver, "role", "data-state").await
}

/// Waits until this tab's role is `want`.
async fn role_becomes(driver: &WebDriver, want: &str) {
    eventually(&format!("the role {want}"), async || match role(driver).await {
        Some(now) if now == want => Ok(()),
        other => Err(format!("role={other:?}")),
    })
    .await;
}

/// Opens `path` in `count` tabs, each waiting until it leads or follows; the last is current.
async fn open_desks(browser: &Browser, path: &str, count: usize) -> Vec<WindowHandle> {
    let driver = &browser.driver;
    let mut tabs = Vec::new();
    for n in 0..count {
        if n == 0 {
            browser.open(path).await;
            tabs.push(driver.window().await.expect("the first tab"));
        } else {
            tabs.push(browser.open_tab(path).await);
        }
        eventually("a role", async || match role(driver).await.as_deref() {
            Some("leader" | "follower") => Ok(()),
            other => Err(format!("role={other:?}")),
        })
        .await;
    }
    tabs
}

/// The tabs that say they lead, checked until exactly one does; its index.
async fn the_one_leader(browser: &Browser, tabs: &[WindowHandle]) -> usize {
    let driver = &browser.driver;
    eventually("exactly one leader", async || {
        let mut leaders = Vec::new();
        for (n, tab) in tabs.iter().enumerate() {
            browser.switch_to(tab).await;
            if role(driver).await.as_deref() == Some("leader") {
                leaders.push(n);
            }
        }
        match leaders[..] {
            [one] => Ok(one),
            _ => Err(format!("leaders: {leaders:?}")),
        }
    })
    .await
}

/// The term in `#12 (term 1): …`.
fn term_of(tick: &str) -> u64 {
    tick.split("(term ").nth(1).and_then(|t| t.split(')').next()).and_then(|n| n.parse().ok()).unwrap_or(0)
}

/// A tick entry's `#seq (term t): prices`, without who it came from.
fn tick_text(payload: &str) -> String {
    payload.split(" · from").next().unwrap_or(payload).to_owned()
}

/// The number in `#12 (term 1): …`.
fn seq_of(tick: &str) -> u64 {
    tick.trim_start_matches('#').split(' ').next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

/// Waits until this tab received a tick numbered above `beyond`; the newest one's text.
async fn newest_heard_tick(driver: &WebDriver, beyond: u64) -> String {
    eventually(&format!("a tick after #{beyond}"), async || {
        let lines = log_lines(driver).await;
        let newest =
            lines.iter().rev().find(|l| l.dir == "in" && l.kind == "tick").map(|l| tick_text(&l.payload));
        match newest {
            Some(tick) if seq_of(&tick) > beyond => Ok(tick),
            other => Err(format!("newest: {other:?} among {} entries", lines.len())),
        }
    })
    .await
}

/// Every follower shows a tick the leader sent, word for word (same seq, same prices), newer than
/// `beyond`; returns the highest seq seen.
async fn all_show_the_leaders_market(
    browser: &Browser,
    tabs: &[WindowHandle],
    leader: usize,
    beyond: u64,
) -> u64 {
    let driver = &browser.driver;
    let mut heard = Vec::new();
    for (n, tab) in tabs.iter().enumerate() {
        if n != leader {
            browser.switch_to(tab).await;
            heard.push(newest_heard_tick(driver, beyond).await);
        }
    }
    browser.switch_to(&tabs[leader]).await;
    // A tab just brought to the front renders at its next frame: look until its log shows them.
    eventually("the leader's log to show what the followers heard", async || {
        let sent: Vec<String> = log_lines(driver)
            .await
            .into_iter()
            .filter(|l| l.dir == "out" && l.kind == "tick")
            .map(|l| tick_text(&l.payload))
            .collect();
        match heard.iter().find(|tick| !sent.contains(tick)) {
            None => Ok(()),
            Some(tick) => {
                Err(format!("a follower shows {tick}, which the leader has not shown sending: {sent:#?}"))
            }
        }
    })
    .await;
    heard.iter().map(|t| seq_of(t)).max().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn three_tabs_show_one_market_from_exactly_one_leader() {
    let browser = Browser::start().await;
    let tabs = open_desks(&browser, "/stock", 3).await;
    let leader = the_one_leader(&browser, &tabs).await;
    let seq = all_show_the_leaders_market(&browser, &tabs, leader, 0).await;
    assert!(seq >= 1);
    // With Web Locks, the leader is the tab the browser granted the lock.
    browser.switch_to(&tabs[leader]).await;
    let took =
        log_has(&browser.driver, Want { dir: Some("system"), kind: Some("leader"), ..Want::default() }).await;
    assert!(took.payload.ends_with("this tab was granted the leader lock"), "{took:?}");
    // The readouts agree with the log: four symbols, each with a price.
    let prices = browser.driver.find_all(By::Css("[data-testid=\"price\"]")).await.expect("prices");
    assert_eq!(prices.len(), 4);
    browser.quit().await;
}

/// Closes (or crashes) the leader, then checks one successor took over within `bound_ms` of the
/// last tick and went on from where the market was.
async fn failover(crash: bool, path: &str, bound_ms: f64) {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let tabs = open_desks(&browser, path, 3).await;
    let medium = path.split("transport=").nth(1).and_then(|m| m.split('&').next()).unwrap_or("broadcast");
    // Polled: the readout shows the default medium until the page's first render after opening.
    eventually(&format!("ticks travel over {medium}"), async || match text_of(driver, "transport").await {
        Some(now) if now == medium => Ok(()),
        now => Err(format!("transport={now:?}")),
    })
    .await;
    let leader = the_one_leader(&browser, &tabs).await;
    let before = all_show_the_leaders_market(&browser, &tabs, leader, 0).await;
    browser.switch_to(&tabs[leader]).await;
    if crash {
        // The renderer dies: no pagehide, no goodbye.
        let _ = driver.goto("chrome://crash").await;
        driver.close_window().await.expect("close the crashed tab");
    } else {
        driver.close_window().await.expect("close the leader's tab");
    }
    let rest: Vec<WindowHandle> =
        tabs.iter().enumerate().filter(|(n, _)| *n != leader).map(|(_, t)| t.clone()).collect();
    let successor = the_one_leader(&browser, &rest).await;
    let follower = &rest[1 - successor];
    browser.switch_to(follower).await;
    let noticed =
        log_has(driver, Want { dir: Some("system"), kind: Some("new-leader"), ..Want::default() }).await;
    let quiet_ms: f64 = noticed
        .payload
        .rsplit(": ")
        .next()
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(f64::MAX);
    assert!(quiet_ms <= bound_ms, "{quiet_ms} ms without ticks (bound {bound_ms}): {noticed:?}");
    // The successor's ticks reach the follower, numbered on from where the market was: none of
    // its ticks goes back to a number already shown.
    all_show_the_leaders_market(&browser, &rest, successor, before).await;
    browser.switch_to(follower).await;
    let ticks: Vec<String> = log_lines(driver)
        .await
        .into_iter()
        .filter(|l| l.dir == "in" && l.kind == "tick")
        .map(|l| tick_text(&l.payload))
        .collect();
    let old_term = ticks.iter().map(|t| term_of(t)).min().unwrap_or(0);
    for tick in ticks.iter().filter(|t| term_of(t) > old_term) {
        assert!(seq_of(tick) > before, "the successor went back to {tick} (the market was at #{before})");
    }
    browser.switch_to(follower).await;
    let lines = log_lines(driver).await;
    assert!(lines.iter().all(|l| l.kind != "ignored"), "no tick from an old term moved anything");
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn closing_the_leader_hands_the_market_to_one_successor_within_a_second() {
    // 1 s to elect, plus the tick interval the successor's first tick may wait for.
    failover(false, "/stock", 1_500.0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crashed_leader_is_replaced_within_two_seconds() {
    failover(true, "/stock", 2_500.0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fallback_election_keeps_one_leader_and_fails_over_too() {
    failover(false, "/stock?election=messages", 2_500.0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hand_over_moves_the_lead_to_another_tab() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let tabs = open_desks(&browser, "/stock", 3).await;
    let leader = the_one_leader(&browser, &tabs).await;
    browser.switch_to(&tabs[leader]).await;
    click(driver, "handover").await;
    log_has(driver, Want { dir: Some("system"), kind: Some("leadership-lost"), ..Want::default() }).await;
    let next = the_one_leader(&browser, &tabs).await;
    assert_ne!(next, leader, "the lead moved");
    all_show_the_leaders_market(&browser, &tabs, next, 0).await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_malformed_tick_is_refused_and_moves_nothing() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let tabs = open_desks(&browser, "/stock", 2).await;
    let leader = the_one_leader(&browser, &tabs).await;
    browser.switch_to(&tabs[leader]).await;
    click(driver, "send-malformed").await;
    browser.switch_to(&tabs[1 - leader]).await;
    let refused =
        log_has(driver, Want { dir: Some("in"), status: Some("rejected"), ..Want::default() }).await;
    assert_eq!(refused.code, "malformed", "{refused:?}");
    assert!(log_lines(driver).await.iter().all(|l| l.kind != "caught-up" && l.kind != "ignored"));
    all_show_the_leaders_market(&browser, &tabs, leader, 0).await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn switching_transport_moves_every_tab_and_the_market_goes_on() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let tabs = open_desks(&browser, "/stock", 3).await;
    let leader = the_one_leader(&browser, &tabs).await;
    let before = all_show_the_leaders_market(&browser, &tabs, leader, 0).await;
    browser.switch_to(&tabs[(leader + 1) % 3]).await;
    choose(driver, "transport-select", "storage").await;
    for tab in &tabs {
        browser.switch_to(tab).await;
        eventually("storage in every tab", async || match text_of(driver, "transport").await.as_deref() {
            Some("storage") => Ok(()),
            other => Err(format!("{other:?}")),
        })
        .await;
    }
    // Ticks after the switch arrive over storage, the same in every tab.
    all_show_the_leaders_market(&browser, &tabs, leader, before + 1).await;
    browser.switch_to(&tabs[(leader + 2) % 3]).await;
    let lines = log_lines(driver).await;
    assert!(lines.iter().all(|l| l.kind != "caught-up"), "the switch skipped no tick: {lines:#?}");
    browser.quit().await;
}

/// Every transport carries the same market: one leader, identical ticks, and failover.
#[tokio::test(flavor = "multi_thread")]
async fn over_storage_events_the_market_and_its_failover_hold() {
    failover(false, "/stock?transport=storage", 1_500.0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn over_the_shared_worker_the_market_and_its_failover_hold() {
    failover(false, "/stock?transport=shared-worker", 1_500.0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn over_the_relay_the_market_and_its_failover_hold() {
    // A room of its own: the relay is shared by every test's browser.
    failover(false, "/stock?transport=websocket&room=stock-close", 1_500.0).await;
}

/// A frozen leader (its page suspended, as a browser does to background tabs) stops ticking:
/// the followers show `stale` rather than pretending; when it wakes they follow again. In
/// Chromium the page is really frozen (DevTools' lifecycle command) and then with the page's own
/// freeze button; geckodriver has no such command, so in Firefox with the button alone.
#[tokio::test(flavor = "multi_thread")]
async fn followers_of_a_frozen_leader_show_stale_and_recover_when_it_wakes() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let tabs = open_desks(&browser, "/stock", 2).await;
    let leader = the_one_leader(&browser, &tabs).await;
    let mut before = all_show_the_leaders_market(&browser, &tabs, leader, 0).await;
    if browser.engine() == Engine::Chromium {
        browser.switch_to(&tabs[leader]).await;
        let freeze = |state: &'static str| async move {
            let params = serde_json::json!({ "state": state });
            driver.cdp().send_raw("Page.setWebLifecycleState", params).await.expect("the lifecycle command");
        };
        freeze("frozen").await;
        browser.switch_to(&tabs[1 - leader]).await;
        role_becomes(driver, "stale").await;
        browser.switch_to(&tabs[leader]).await;
        freeze("active").await;
        browser.switch_to(&tabs[1 - leader]).await;
        role_becomes(driver, "follower").await;
        before = all_show_the_leaders_market(&browser, &tabs, leader, before).await;
    }
    browser.switch_to(&tabs[leader]).await;
    click(driver, "freeze").await;
    log_has(driver, Want { dir: Some("system"), kind: Some("frozen"), ..Want::default() }).await;
    browser.switch_to(&tabs[1 - leader]).await;
    role_becomes(driver, "stale").await;
    role_becomes(driver, "follower").await;
    browser.switch_to(&tabs[leader]).await;
    log_has(driver, Want { dir: Some("system"), kind: Some("woke"), ..Want::default() }).await;
    all_show_the_leaders_market(&browser, &tabs, leader, before).await;
    browser.quit().await;
}

/// Window mode: a follower window opened with `window.open` follows over `postMessage` on that
/// reference (and `opener` back); when the leader closes, the follower takes over and goes on.
#[tokio::test(flavor = "multi_thread")]
async fn window_mode_a_follower_window_follows_over_post_message_and_takes_over() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/stock?transport=window").await;
    let opener = driver.window().await.expect("the first window");
    role_becomes(driver, "leader").await;
    click(driver, "open-window").await;
    let popup = eventually("the follower window", async || {
        let windows = driver.windows().await.map_err(|e| e.to_string())?;
        windows.into_iter().find(|w| *w != opener).ok_or_else(|| "no second window yet".to_owned())
    })
    .await;
    browser.switch_to(&popup).await;
    role_becomes(driver, "follower").await;
    assert_eq!(text_of(driver, "transport").await.as_deref(), Some("window"));
    let family = [opener.clone(), popup.clone()];
    let before = all_show_the_leaders_market(&browser, &family, 0, 0).await;

    browser.switch_to(&opener).await;
    driver.close_window().await.expect("close the leader");
    browser.switch_to(&popup).await;
    role_becomes(driver, "leader").await;
    let next = eventually("its own ticks", async || {
        let ticks: Vec<u64> = log_lines(driver)
            .await
            .into_iter()
            .filter(|l| l.dir == "out" && l.kind == "tick")
            .map(|l| seq_of(&tick_text(&l.payload)))
            .collect();
        ticks.first().copied().ok_or_else(|| "no tick yet".to_owned())
    })
    .await;
    assert!(next > before, "it goes on from #{before}, not back: #{next}");
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn over_every_other_transport_a_crashed_leader_is_replaced_too() {
    for path in ["/stock?transport=storage", "/stock?transport=websocket&room=stock-crash"] {
        failover(true, path, 2_500.0).await;
    }
    // A shared worker may live in the crashed tab's process and die with it: the new leader and,
    // after a claim's wait of silence, each follower connect again (a new worker starts).
    failover(true, "/stock?transport=shared-worker", 2_500.0).await;
}
