//! The Stock sync route in Chromium: three tabs of one browser, one leader ticking one market,
//! failover on close and on crash, hand over, a foreign malformed tick, another transport, and
//! the fallback election.

use crosstalk_e2e::action::{choose, click};
use crosstalk_e2e::check::{eventually, log_has, log_lines, text_of, Want};
use crosstalk_e2e::session::{Browser, Engine};
use crosstalk_e2e::stock::{
    self, all_show_the_leaders_market, can_crash, open_desks, role_becomes, seq_of, the_one_leader,
    tick_text, Going,
};
use thirtyfour::prelude::*;

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

/// A failover as the product promises it, asserted on what cannot be flaky: exactly one
/// successor, the market numbered on, nothing from an old term moving anything, and a bound
/// only a broken failover trips ([`BROKEN_FAILOVER_MS`]). How fast it is — the goals of 1 s
/// after a close and 2 s after a crash — is measured by `cargo xtask bench`, not here: a
/// millisecond bound fails on a loaded machine.
async fn failover(going: Going, path: &str) {
    let browser = Browser::start().await;
    if going == Going::Crashed && !can_crash(&browser) {
        crosstalk_e2e::mark::substitute(
            &browser,
            "only Chromium can crash a tab: the leader's tab is closed instead",
        );
    }
    let going = if can_crash(&browser) { going } else { Going::Closed };
    let seen = stock::failover(&browser, going, path).await;
    assert!(
        seen.from_going_ms <= BROKEN_FAILOVER_MS,
        "{path}: {:.0} ms from the leader going to the successor's first tick ({:.0} ms without ticks)",
        seen.from_going_ms,
        seen.quiet_ms
    );
    browser.quit().await;
}

/// Several times the goals (1 s after a close, 2 s after a crash): a lost lock release, an
/// election that never ends, or a successor that never ticks trips it; a busy machine does not.
const BROKEN_FAILOVER_MS: f64 = 8_000.0;

#[tokio::test(flavor = "multi_thread")]
async fn closing_the_leader_hands_the_market_to_one_successor_within_a_second() {
    failover(Going::Closed, "/stock").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crashed_leader_is_replaced_within_two_seconds() {
    failover(Going::Crashed, "/stock").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fallback_election_keeps_one_leader_and_fails_over_too() {
    failover(Going::Closed, "/stock?election=messages").await;
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
    // The numbering goes on across the hand-over: a tick from the new leader is one numbered from
    // its first on. (A follower may still show the old leader's last tick for a moment.)
    browser.switch_to(&tabs[next]).await;
    let first = eventually("the new leader's first tick", async || {
        let lines = log_lines(driver).await;
        match lines.iter().find(|l| l.dir == "out" && l.kind == "tick") {
            Some(line) => Ok(seq_of(&tick_text(&line.payload))),
            None => Err(format!("no tick sent among {} entries", lines.len())),
        }
    })
    .await;
    all_show_the_leaders_market(&browser, &tabs, next, first.saturating_sub(1)).await;
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
    failover(Going::Closed, "/stock?transport=storage").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn over_the_shared_worker_the_market_and_its_failover_hold() {
    failover(Going::Closed, "/stock?transport=shared-worker").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn over_the_relay_the_market_and_its_failover_hold() {
    // A room of its own: the relay is shared by every test's browser.
    failover(Going::Closed, "/stock?transport=websocket&room=stock-close").await;
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
    if browser.engine() != Engine::Chromium {
        crosstalk_e2e::mark::substitute(
            &browser,
            "freezing a tab is a DevTools call: the page's own Freeze button",
        );
    }
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
    transport_becomes(driver, "window").await;
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
        failover(Going::Crashed, path).await;
    }
    // A shared worker may live in the crashed tab's process and die with it: the new leader and,
    // after a claim's wait of silence, each follower connect again (a new worker starts).
    failover(Going::Crashed, "/stock?transport=shared-worker").await;
}

/// Waits until this tab's ticks travel over `medium`.
async fn transport_becomes(driver: &WebDriver, medium: &str) {
    eventually(&format!("ticks over {medium}"), async || match text_of(driver, "transport").await {
        Some(now) if now == medium => Ok(()),
        now => Err(format!("transport={now:?}")),
    })
    .await;
}

/// Every tab is moved to `medium`; then a tab opened by typing the plain address, and one whose
/// address names another transport, each find the market there: they follow its leader's ticks
/// (never leading a market of their own), and their address bar says where they are.
async fn a_late_tab_finds_the_market_on(medium: &str, stale: &str) {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    // A room of this test's own over the relay: the relay serves every test's browser.
    let room = format!("stock-late-{medium}");
    let mut tabs = open_desks(&browser, &format!("/stock?room={room}"), 2).await;
    let leader = the_one_leader(&browser, &tabs).await;
    choose(driver, "transport-select", medium).await;
    for tab in &tabs {
        browser.switch_to(tab).await;
        transport_becomes(driver, medium).await;
    }
    let mut before = all_show_the_leaders_market(&browser, &tabs, leader, 0).await;
    for typed in ["/stock".to_owned(), format!("/stock?transport={stale}")] {
        tabs.push(browser.open_tab(&typed).await);
        transport_becomes(driver, medium).await;
        let found =
            log_has(driver, Want { dir: Some("system"), kind: Some("found-market"), ..Want::default() })
                .await;
        assert!(found.payload.contains("this tab moves there"), "{found:?}");
        role_becomes(driver, "follower").await;
        let address = driver.current_url().await.expect("the address").to_string();
        assert!(address.contains(&format!("transport={medium}")), "{typed}: the address says {address}");
        if medium == "websocket" {
            assert!(address.contains(&format!("room={room}")), "{typed}: the address says {address}");
        }
        before = all_show_the_leaders_market(&browser, &tabs, leader, before).await;
        browser.switch_to(tabs.last().expect("the late tab")).await;
        let lines = log_lines(driver).await;
        assert!(
            lines.iter().all(|l| l.kind != "leader" && l.kind != "caught-up"),
            "{typed}: the late tab followed from its first tick and never led: {lines:#?}"
        );
    }
    assert_eq!(the_one_leader(&browser, &tabs).await, leader, "the market kept its leader");
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_late_tab_finds_the_market_over_storage() {
    a_late_tab_finds_the_market_on("storage", "shared-worker").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_late_tab_finds_the_market_over_the_shared_worker() {
    a_late_tab_finds_the_market_on("shared-worker", "storage").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_late_tab_finds_the_market_over_the_relay() {
    a_late_tab_finds_the_market_on("websocket", "broadcast").await;
}

/// Window mode judges a message by its source as well as its origin: a window of the same origin
/// that is not in the family (the leader opened it, but not as a follower) posts a valid tick of
/// a later term to the leader, which refuses it unread and keeps leading.
#[tokio::test(flavor = "multi_thread")]
async fn window_mode_refuses_a_same_origin_window_outside_the_family() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/stock?transport=window").await;
    let leader = driver.window().await.expect("the first window");
    role_becomes(driver, "leader").await;
    driver.execute("window.open('/', '_blank')", Vec::new()).await.expect("open a stranger window");
    let stranger = eventually("the stranger window", async || {
        let windows = driver.windows().await.map_err(|e| e.to_string())?;
        windows.into_iter().find(|w| *w != leader).ok_or_else(|| "no second window yet".to_owned())
    })
    .await;
    browser.switch_to(&stranger).await;
    browser.rendered().await;
    let forged = r#"{"v":1,"seq":1,"from":"tab-stranger","sent_at":0,"kind":"tick",
        "body":{"term":99,"seq":9999,"quotes":[{"symbol":"ACME","cents":1}],"walk":"1"}}"#;
    driver
        .execute("window.opener.postMessage(arguments[0], location.origin)", vec![serde_json::json!(forged)])
        .await
        .expect("post to the opener");
    browser.switch_to(&leader).await;
    let refused =
        log_has(driver, Want { dir: Some("in"), status: Some("rejected"), ..Want::default() }).await;
    assert_eq!(refused.code, "not-read", "{refused:?}");
    let lines = log_lines(driver).await;
    assert!(
        lines.iter().all(|l| l.kind != "leadership-lost" && !(l.dir == "in" && l.kind == "tick")),
        "the forged tick moved nothing: {lines:#?}"
    );
    role_becomes(driver, "leader").await;
    browser.quit().await;
}

/// The fallback switch reloads this tab with `?election=messages` (the election is chosen as the
/// page starts), and off again without it; the other parameters stay.
#[tokio::test(flavor = "multi_thread")]
async fn the_fallback_switch_reloads_the_tab_into_the_election_by_messages_and_back() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    open_desks(&browser, "/stock?transport=storage", 1).await;
    let election = async |want: &str| {
        eventually(&format!("the election by {want}"), async || {
            let detail = text_of(driver, "status-detail").await.unwrap_or_default();
            let address = driver.current_url().await.map_err(|e| e.to_string())?.to_string();
            let forced = address.contains("election=messages");
            match (
                detail.contains(want),
                forced == (want == "messages"),
                address.contains("transport=storage"),
            ) {
                (true, true, true) => Ok(()),
                _ => Err(format!("{detail} at {address}")),
            }
        })
        .await
    };
    election("web locks").await;
    click(driver, "force-fallback").await;
    election("messages").await;
    role_becomes(driver, "leader").await;
    click(driver, "force-fallback").await;
    election("web locks").await;
    role_becomes(driver, "leader").await;
    browser.quit().await;
}
