//! The Worker port route in Chromium: a real wasm dedicated worker, a transferred MessagePort.

use crosstalk_e2e::action::{choose, click, type_text};
use crosstalk_e2e::check::{eventually, log_has, log_has_n, log_lines, state_becomes, text_of, Want};
use crosstalk_e2e::find::testid;
use crosstalk_e2e::session::{Browser, Engine};
use thirtyfour::By;

#[tokio::test(flavor = "multi_thread")]
async fn the_worker_greets_over_the_port_and_echoes_what_the_page_sends() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/worker-port").await;

    state_becomes(driver, "status", "ready").await;
    log_has(
        driver,
        Want {
            dir: Some("in"),
            kind: Some("greeting"),
            payload_has: Some("Hello from worker!"),
            ..Want::default()
        },
    )
    .await;

    let message = "ping 你好 <b>bold?</b>";
    type_text(driver, "message-input", message).await;
    click(driver, "send").await;

    let sent = log_has(
        driver,
        Want { dir: Some("out"), kind: Some("text"), payload_has: Some(message), ..Want::default() },
    )
    .await;
    let echo = log_has(
        driver,
        Want {
            dir: Some("in"),
            kind: Some("echo"),
            status: Some("ok"),
            payload_has: Some(message),
            ..Want::default()
        },
    )
    .await;
    let sent_seq = sent.seq.expect("outgoing messages carry a sequence number");
    assert!(
        echo.payload.contains(&format!("echo of #{sent_seq}")),
        "echo names the message it answers: {echo:?}"
    );
    assert!(echo.seq.is_some(), "the worker numbers its own messages");

    // Shown as text, never as markup.
    let markup = driver.find_all(By::Css("[data-testid=\"log\"] b")).await.expect("query");
    assert!(markup.is_empty(), "message text must not be rendered as HTML");
    // Enter sends too.
    type_text(driver, "message-input", "second\n").await;
    log_has(
        driver,
        Want { dir: Some("in"), kind: Some("echo"), payload_has: Some("second"), ..Want::default() },
    )
    .await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn terminate_refuses_sending_and_restart_works_with_a_fresh_port() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/worker-port").await;
    state_becomes(driver, "status", "ready").await;

    click(driver, "terminate").await;
    state_becomes(driver, "status", "terminated").await;
    type_text(driver, "message-input", "into the void").await;
    click(driver, "send").await;
    log_has(
        driver,
        Want { dir: Some("system"), status: Some("rejected"), code: Some("not-ready"), ..Want::default() },
    )
    .await;
    let echoes = log_lines(driver).await.into_iter().filter(|l| l.kind == "echo").count();
    assert_eq!(echoes, 0, "nothing may be echoed by a terminated worker");

    click(driver, "restart").await;
    state_becomes(driver, "status", "ready").await;
    // A second greeting means a second worker got a second port.
    log_has_n(driver, 2, Want { dir: Some("in"), kind: Some("greeting"), ..Want::default() }).await;
    type_text(driver, "message-input", "back again").await;
    click(driver, "send").await;
    log_has(
        driver,
        Want { dir: Some("in"), kind: Some("echo"), payload_has: Some("back again"), ..Want::default() },
    )
    .await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_file_that_is_missing_shows_an_error_not_a_blank_page() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/worker-port").await;
    state_becomes(driver, "status", "ready").await;

    choose(driver, "fault", "missing-worker").await;
    state_becomes(driver, "status", "error").await;
    let detail = text_of(driver, "status-detail").await.unwrap_or_default();
    assert!(detail.contains("load"), "the error says what went wrong: {detail:?}");
    assert!(driver.find(testid("nav")).await.is_ok(), "the page is still there");

    choose(driver, "fault", "none").await;
    state_becomes(driver, "status", "ready").await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_message_is_refused_by_the_worker_and_shown_as_rejected() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/worker-port").await;
    state_becomes(driver, "status", "ready").await;

    click(driver, "send-malformed").await;
    let refusal =
        log_has(driver, Want { dir: Some("in"), status: Some("rejected"), ..Want::default() }).await;
    assert_eq!(refusal.code, "bad-json", "{refusal:?}");
    // The worker keeps serving after a bad message.
    type_text(driver, "message-input", "after the bad one").await;
    click(driver, "send").await;
    log_has(
        driver,
        Want {
            dir: Some("in"),
            kind: Some("echo"),
            payload_has: Some("after the bad one"),
            ..Want::default()
        },
    )
    .await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_home_page_links_to_working_routes_only() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/").await;

    // Every mechanism works now, so every card links to its route.
    for (slug, path) in [("stock-sync", "/stock"), ("websocket", "/websocket"), ("payment", "/payment")] {
        let link = driver
            .find(By::Css(format!("[data-testid=\"mechanism-{slug}\"] a")))
            .await
            .unwrap_or_else(|e| panic!("{slug} links to its route: {e}"));
        // WebKitGTK's driver answers the resolved URL where the others answer the attribute.
        let href = link.attr("href").await.ok().flatten().unwrap_or_default();
        assert_eq!(href.trim_start_matches(&browser.app_origin()), path);
    }
    let link = driver
        .find(By::Css("[data-testid=\"mechanism-worker-port\"] a"))
        .await
        .expect("the Worker port mechanism links to its route");
    crosstalk_e2e::action::click_element(&link).await.expect("follow the link");
    eventually("the URL to become /worker-port", async || {
        let url = driver.current_url().await.map_err(|e| e.to_string())?;
        if url.path() == "/worker-port" {
            Ok(())
        } else {
            Err(url.to_string())
        }
    })
    .await;
    state_becomes(driver, "status", "ready").await;
    browser.quit().await;
}

/// The dedicated workers the browser runs now, as DevTools lists them.
async fn running_workers(driver: &thirtyfour::WebDriver) -> Result<usize, String> {
    let targets =
        driver.cdp().send_raw("Target.getTargets", serde_json::json!({})).await.map_err(|e| e.to_string())?;
    let infos = targets["targetInfos"].as_array().ok_or_else(|| format!("no targetInfos in {targets}"))?;
    Ok(infos.iter().filter(|t| t["type"] == "worker").count())
}

/// Restart terminates the old worker: however often it is pressed, one worker runs. Counted
/// through DevTools, which only Chromium's driver offers; in Firefox the count cannot be read
/// from outside, so the test says so and checks what it can: each restart greets once.
#[tokio::test(flavor = "multi_thread")]
async fn restart_terminates_the_old_worker() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/worker-port").await;
    state_becomes(driver, "status", "ready").await;
    let counted = browser.engine() == Engine::Chromium;
    if !counted {
        crosstalk_e2e::mark::substitute(
            &browser,
            "counting running workers is a DevTools call: the worker's own answers",
        );
    }
    let one = async || match running_workers(driver).await? {
        1 => Ok(()),
        n => Err(format!("{n} workers")),
    };
    if counted {
        eventually("one worker", one).await;
    }
    for restarts in 2..=4 {
        click(driver, "restart").await;
        let greetings = Want { dir: Some("in"), kind: Some("greeting"), ..Want::default() };
        assert_eq!(log_has_n(driver, restarts, greetings).await.len(), restarts, "one greeting a worker");
        if counted {
            eventually("still one worker after a restart", one).await;
        }
    }
    browser.quit().await;
}
