//! The Stock sync route as a QA person drives it: tabs that lead or follow, the one leader, the
//! market every follower shows, and a failover measured from the moment the leader goes. The
//! end-to-end tests assert on these; `cargo xtask bench` times the failover with them.

use thirtyfour::prelude::*;

use crate::check::{attr_of, eventually, log_has, log_lines, text_of, Want};
use crate::session::{Browser, Engine};

/// This tab's role, once it has one.
pub async fn role(driver: &WebDriver) -> Option<String> {
    attr_of(driver, "role", "data-state").await
}

/// Waits until this tab's role is `want`.
pub async fn role_becomes(driver: &WebDriver, want: &str) {
    eventually(&format!("the role {want}"), async || match role(driver).await {
        Some(now) if now == want => Ok(()),
        other => Err(format!("role={other:?}")),
    })
    .await;
}

/// Opens `path` in `count` tabs, each waiting until it leads or follows; the last is current.
pub async fn open_desks(browser: &Browser, path: &str, count: usize) -> Vec<WindowHandle> {
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
pub async fn the_one_leader(browser: &Browser, tabs: &[WindowHandle]) -> usize {
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
pub fn term_of(tick: &str) -> u64 {
    tick.split("(term ").nth(1).and_then(|t| t.split(')').next()).and_then(|n| n.parse().ok()).unwrap_or(0)
}

/// A tick entry's `#seq (term t): prices`, without who it came from.
pub fn tick_text(payload: &str) -> String {
    payload.split(" · from").next().unwrap_or(payload).to_owned()
}

/// The number in `#12 (term 1): …`.
pub fn seq_of(tick: &str) -> u64 {
    tick.trim_start_matches('#').split(' ').next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

/// Waits until this tab received a tick numbered above `beyond`; the newest one's text.
pub async fn newest_heard_tick(driver: &WebDriver, beyond: u64) -> String {
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
pub async fn all_show_the_leaders_market(
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

/// How a leader goes in a failover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Going {
    /// Its tab is closed (a goodbye on `pagehide`; the lock released).
    Closed,
    /// Its renderer crashes: no `pagehide`, no goodbye (Chromium's `chrome://crash`).
    Crashed,
}

/// What one failover looked like from a follower.
#[derive(Debug, Clone)]
pub struct Failover {
    /// From the moment the harness let the leader go to the follower hearing the successor's
    /// first tick (the browser's own clock, shared by its tabs).
    pub from_going_ms: f64,
    /// Without ticks at the follower: from the old leader's last tick to the successor's first.
    pub quiet_ms: f64,
    /// Where the time went: from the leader going to its successor taking the lead (the lock
    /// granted, or the election won)...
    pub to_lead_ms: f64,
    /// ...and from then to the follower hearing the successor's first tick.
    pub to_first_tick_ms: f64,
    /// The market's number before the leader went.
    pub before: u64,
}

/// The time on this tab's clock, in the units of the log's `data-at` (ms since the epoch).
async fn clock(driver: &WebDriver) -> f64 {
    let now = driver.execute("return performance.timeOrigin + performance.now()", Vec::new()).await;
    now.ok().and_then(|v| v.json().as_f64()).expect("the tab's clock")
}

/// Opens three desks on `path`, lets the leader go, and checks what must hold whatever the
/// timing: exactly one successor among the rest, a new-leader line at the other, the market
/// numbered on from where it was, no tick from an old term moving anything. Returns the timing.
pub async fn failover(browser: &Browser, going: Going, path: &str) -> Failover {
    let driver = &browser.driver;
    let tabs = open_desks(browser, path, 3).await;
    let medium = path.split("transport=").nth(1).and_then(|m| m.split('&').next()).unwrap_or("broadcast");
    // Polled: the readout shows the default medium until the page's first render after opening.
    eventually(&format!("ticks travel over {medium}"), async || match text_of(driver, "transport").await {
        Some(now) if now == medium => Ok(()),
        now => Err(format!("transport={now:?}")),
    })
    .await;
    let leader = the_one_leader(browser, &tabs).await;
    let before = all_show_the_leaders_market(browser, &tabs, leader, 0).await;
    browser.switch_to(&tabs[leader]).await;
    let went_at = clock(driver).await;
    match going {
        // The renderer dies: no pagehide, no goodbye.
        Going::Crashed => {
            let _ = driver.goto("chrome://crash").await;
            driver.close_window().await.expect("close the crashed tab");
        }
        Going::Closed => driver.close_window().await.expect("close the leader's tab"),
    }
    let rest: Vec<WindowHandle> =
        tabs.iter().enumerate().filter(|(n, _)| *n != leader).map(|(_, t)| t.clone()).collect();
    let successor = the_one_leader(browser, &rest).await;
    browser.switch_to(&rest[successor]).await;
    let led_at = log_lines(driver)
        .await
        .iter()
        .rev()
        .find(|l| l.dir == "system" && l.kind == "leader")
        .map_or(f64::NAN, |l| l.at);
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
    let from_going_ms = noticed.at - went_at;
    // The successor's ticks reach the follower, numbered on from where the market was: none of
    // its ticks goes back to a number already shown.
    all_show_the_leaders_market(browser, &rest, successor, before).await;
    browser.switch_to(follower).await;
    let lines = log_lines(driver).await;
    let ticks: Vec<String> =
        lines.iter().filter(|l| l.dir == "in" && l.kind == "tick").map(|l| tick_text(&l.payload)).collect();
    let old_term = ticks.iter().map(|t| term_of(t)).min().unwrap_or(0);
    for tick in ticks.iter().filter(|t| term_of(t) > old_term) {
        assert!(seq_of(tick) > before, "the successor went back to {tick} (the market was at #{before})");
    }
    assert!(lines.iter().all(|l| l.kind != "ignored"), "no tick from an old term moved anything");
    for tab in &rest {
        browser.switch_to(tab).await;
        let _ = driver.close_window().await;
    }
    Failover {
        from_going_ms,
        quiet_ms,
        to_lead_ms: led_at - went_at,
        to_first_tick_ms: noticed.at - led_at,
        before,
    }
}

/// Whether this engine can crash a tab's renderer on purpose.
pub fn can_crash(browser: &Browser) -> bool {
    browser.engine() == Engine::Chromium
}
