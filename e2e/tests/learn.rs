//! The walkthrough: a reader does the first chapters (worker port, BroadcastChannel, SharedWorker)
//! in two tabs. Each step ticks only after its own action — another action leaves it as it was —
//! the progress survives a reload, and starting over clears it.

use crosstalk_e2e::action::{click, type_text};
use crosstalk_e2e::check::{attr_of, eventually, state_becomes, text_of, Want};
use crosstalk_e2e::session::Browser;
use thirtyfour::prelude::*;

/// `data-state` of the step `step` of the chapter shown (the guide on a route, or `/learn`'s
/// chapter `chapter`).
async fn step_state(driver: &WebDriver, chapter: &str, step: &str) -> Option<String> {
    let css = format!(r#"[data-chapter="{chapter}"] [data-testid="step"][data-step="{step}"]"#);
    driver.find(By::Css(css)).await.ok()?.attr("data-state").await.ok().flatten()
}

async fn step_becomes(driver: &WebDriver, chapter: &str, step: &str, want: &str) {
    eventually(&format!("step {chapter}/{step} to be {want}"), async || {
        match step_state(driver, chapter, step).await {
            Some(now) if now == want => Ok(()),
            now => Err(format!("data-state={now:?}")),
        }
    })
    .await
}

async fn send(driver: &WebDriver, text: &str) {
    type_text(driver, "message-input", text).await;
    click(driver, "send").await;
}

async fn learn_done(driver: &WebDriver) -> Option<u32> {
    attr_of(driver, "learn-progress", "data-done").await.and_then(|d| d.parse().ok())
}

#[tokio::test]
async fn a_reader_does_the_first_chapters_in_two_tabs_and_each_step_ticks_only_after_its_action() {
    let browser = Browser::start().await;
    let driver = &browser.driver;

    browser.open("/learn").await;
    assert_eq!(learn_done(driver).await, Some(0), "a fresh browser has done nothing");
    step_becomes(driver, "worker-port", "ready", "doing").await;

    // Chapter 1, one tab: the worker says ready (ticked by the page), then an echo.
    browser.open("/worker-port").await;
    assert_eq!(text_of(driver, "tab-label").await.as_deref(), Some("tab A"));
    state_becomes(driver, "status", "ready").await;
    step_becomes(driver, "worker-port", "ready", "done").await;
    assert_eq!(step_state(driver, "worker-port", "echo").await.as_deref(), Some("doing"));
    assert_eq!(step_state(driver, "worker-port", "restart").await.as_deref(), Some("todo"));
    send(driver, "hello worker").await;
    step_becomes(driver, "worker-port", "echo", "done").await;
    assert_eq!(step_state(driver, "worker-port", "restart").await.as_deref(), Some("doing"));

    // Chapter 2, two tabs. A text sent from this tab is not one from the other: the step stays.
    browser.open("/broadcast").await;
    let tab_a = driver.window().await.expect("tab A");
    state_becomes(driver, "status", "joined").await;
    send(driver, "from tab A").await;
    assert_eq!(step_state(driver, "broadcast", "from-other-tab").await.as_deref(), Some("todo"));
    assert_eq!(step_state(driver, "broadcast", "second-tab").await.as_deref(), Some("doing"));
    browser.open_tab("/broadcast?tab=B").await;
    assert_eq!(text_of(driver, "tab-label").await.as_deref(), Some("tab B"));
    state_becomes(driver, "status", "joined").await;
    // Tab B sees tab A as its peer: the step is done for the reader, in both tabs.
    step_becomes(driver, "broadcast", "second-tab", "done").await;
    send(driver, "from tab B").await;
    browser.switch_to(&tab_a).await;
    step_becomes(driver, "broadcast", "from-other-tab", "done").await;
    browser.picture("guide", "guide").await;
    let title = driver.title().await.expect("the title");
    assert!(title.starts_with("A · "), "tab A says so in its title: {title}");

    // Chapter 4 in the same two tabs: one worker, two tabs connected.
    browser.open("/shared-worker").await;
    state_becomes(driver, "status", "connected").await;
    step_becomes(driver, "shared-worker", "connected", "done").await;
    assert_eq!(step_state(driver, "shared-worker", "second-tab").await.as_deref(), Some("doing"));
    browser.open_tab("/shared-worker?tab=B").await;
    state_becomes(driver, "status", "connected").await;
    step_becomes(driver, "shared-worker", "second-tab", "done").await;

    // The progress survives a reload, and /learn counts it.
    browser.open("/learn").await;
    driver.refresh().await.expect("reload");
    browser.rendered().await;
    // Six at least: tab A leaving /broadcast may also have said its goodbye to tab B.
    eventually("six steps done", async || match learn_done(driver).await {
        Some(done) if done >= 6 => Ok(()),
        other => Err(format!("{other:?}")),
    })
    .await;
    for (chapter, step, state) in [
        ("worker-port", "echo", "done"),
        ("worker-port", "restart", "doing"),
        ("broadcast", "from-other-tab", "done"),
        ("storage", "write", "doing"),
        ("shared-worker", "second-tab", "done"),
    ] {
        assert_eq!(step_state(driver, chapter, step).await.as_deref(), Some(state), "{chapter}/{step}");
    }

    // Starting over clears it, here and after a reload.
    click(driver, "learn-reset").await;
    eventually("nothing done", async || match learn_done(driver).await {
        Some(0) => Ok(()),
        other => Err(format!("{other:?}")),
    })
    .await;
    driver.refresh().await.expect("reload");
    browser.rendered().await;
    assert_eq!(learn_done(driver).await, Some(0));
    step_becomes(driver, "broadcast", "second-tab", "doing").await;
    browser.quit().await;
}

#[tokio::test]
async fn the_guide_points_at_the_step_folds_away_and_leads_to_the_next_chapter() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/broadcast").await;
    state_becomes(driver, "status", "joined").await;
    // The step to do now (a second tab) points at the peers readout.
    eventually("the peers readout highlighted", async || match attr_of(driver, "peers", "class").await {
        Some(class) if class.contains("guide-highlight") => Ok(()),
        other => Err(format!("{other:?}")),
    })
    .await;
    click(driver, "guide-toggle").await;
    eventually("the guide folded", async || match attr_of(driver, "guide", "data-open").await.as_deref() {
        Some("no") => Ok(()),
        other => Err(format!("{other:?}")),
    })
    .await;
    assert!(attr_of(driver, "peers", "class").await.is_none_or(|c| !c.contains("guide-highlight")));
    click(driver, "guide-toggle").await;
    let element = driver.find(By::Css(r#"[data-testid="guide-next"] a"#)).await.expect("a next chapter");
    crosstalk_e2e::action::click_element(&element).await.expect("click");
    eventually("the next chapter", async || {
        match attr_of(driver, "guide", "data-chapter").await.as_deref() {
            Some("storage") => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    browser.quit().await;
}

#[tokio::test]
async fn the_seeds_window_post_message_arrives_only_in_the_tab_that_posted_it() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/stock").await;
    let tab_a = driver.window().await.expect("tab A");
    state_becomes(driver, "status", "leader").await;
    browser.open_tab("/stock?tab=B").await;
    state_becomes(driver, "status", "follower").await;
    // Tab B is current: it posts as the seed does.
    assert_ne!(step_state(driver, "stock-sync", "seed").await.as_deref(), Some("done"));
    click(driver, "seed-post").await;
    step_becomes(driver, "stock-sync", "seed", "done").await;
    let arrived = Want { kind: Some("seed-post"), payload_has: Some("it arrived here"), ..Want::default() };
    crosstalk_e2e::check::log_has(driver, arrived).await;
    browser.switch_to(&tab_a).await;
    let there = crosstalk_e2e::check::log_lines(driver).await;
    assert!(there.iter().all(|l| l.kind != "seed-post"), "the other tab heard nothing: {there:?}");
    browser.quit().await;
}
