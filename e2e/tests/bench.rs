//! The benchmark page in Chromium: a short run measures every mechanism through crosstalk and
//! through plain JavaScript, and fills one result row per mechanism and payload with both.

use crosstalk_e2e::action::click;
use std::time::{Duration, Instant};

use crosstalk_e2e::check::{attr_of, log_lines, state_becomes};
use crosstalk_e2e::find::testid;
use crosstalk_e2e::mark::{self, Needed};
use crosstalk_e2e::session::Browser;

const MECHANISMS: [&str; 9] = [
    "worker-port",
    "shared-worker",
    "service-worker",
    "broadcast",
    "window-same-origin",
    "window-cross-origin",
    "storage",
    "websocket",
    "webrtc",
];

/// A positive number in `attr`, or why not.
async fn figure(row: &thirtyfour::WebElement, attr: &str) -> Result<f64, String> {
    let value = row.attr(attr).await.map_err(|e| e.to_string())?.ok_or(format!("no {attr}"))?;
    match value.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("{attr}={value}")),
    }
}

/// Waits for a run to start and to finish, as long as its progress keeps moving.
async fn run_to_the_end(driver: &thirtyfour::WebDriver) {
    state_becomes(driver, "status", "running").await;
    // The progress bar moves while it runs, and reaches the end; each measurement may take up
    // to its own time limit (20 s), so the wait is on progress, not on the whole run.
    let mut last = (String::new(), Instant::now());
    loop {
        let state = attr_of(driver, "status", "data-state").await.unwrap_or_default();
        let done = attr_of(driver, "progress", "data-done").await.unwrap_or_default();
        if state == "done" {
            break;
        }
        if done != last.0 {
            last = (done, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(25) {
            let lines = log_lines(driver).await;
            panic!("no progress for 25 s at {done} measurements; the log: {lines:#?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_short_run_measures_every_mechanism_on_both_sides() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    // A proven mark: where the engine has no WebRTC, its rows say so instead of measuring.
    let no_rtc = mark::probe_says_missing(&browser, &Needed::data_channel(&browser)).await;
    browser.open("/bench?quick=1&payloads=100,100000").await;
    state_becomes(driver, "status", "idle").await;
    click(driver, "run").await;
    run_to_the_end(driver).await;
    for line in log_lines(driver).await {
        println!("{} {}", line.kind, line.payload);
    }
    let steps = attr_of(driver, "progress", "data-steps").await;
    let expected = (9 * 2 - 1) * 2 * crosstalk_protocol::bench::ROUNDS;
    assert_eq!(
        steps,
        Some(expected.to_string()),
        "9 mechanisms × 2 payloads × 2 sides × {} rounds, less WebSocket at 100 KB",
        crosstalk_protocol::bench::ROUNDS
    );
    assert_eq!(attr_of(driver, "progress", "data-done").await, steps);
    let rows = driver.find_all(testid("result")).await.expect("result rows");
    assert_eq!(rows.len(), 18);
    let mut unmeasured = 0;
    for row in &rows {
        let mechanism = row.attr("data-mechanism").await.unwrap().unwrap_or_default();
        let bytes = row.attr("data-payload-bytes").await.unwrap().unwrap_or_default();
        let note = row.find(thirtyfour::By::Css(".note")).await.unwrap().text().await.unwrap();
        assert!(MECHANISMS.contains(&mechanism.as_str()), "{mechanism}");
        if mechanism == "websocket" && bytes == "100000" {
            assert!(note.contains("64 KiB"), "the relay's frame limit is named: {note}");
            assert!(figure(row, "data-rtt-us").await.is_err());
            continue;
        }
        if mechanism == "webrtc" && no_rtc {
            assert!(note.contains("no RTCPeerConnection"), "the missing API is named: {note}");
            assert!(note.matches("crosstalk:").count() == 1, "said once, not once per round: {note}");
            assert!(figure(row, "data-rtt-us").await.is_err());
            unmeasured += 1;
            continue;
        }
        for attr in ["data-rtt-us", "data-msgs-per-s", "data-baseline-rtt-us", "data-baseline-msgs-per-s"] {
            let value = figure(row, attr).await;
            assert!(value.is_ok(), "{mechanism} {bytes} B: {value:?} (note: {note})");
        }
        assert!(note.is_empty(), "{mechanism} {bytes} B: {note}");
        // Every round was paired with the other side's, and each pair gave a ratio.
        let pairs = row.attr("data-rtt-ratios").await.unwrap().unwrap_or_default();
        assert_eq!(
            pairs.split_whitespace().count(),
            crosstalk_protocol::bench::ROUNDS,
            "{mechanism} {bytes} B: {pairs}"
        );
    }
    let chart = driver.find(testid("chart")).await.expect("the chart");
    let bars = chart.find_all(thirtyfour::By::Css("rect")).await.expect("bars");
    assert_eq!(bars.len(), 34 - 2 * unmeasured, "two bars per measured row");
    browser.quit().await;
}

/// The switch to cloned objects: both sides send envelopes as objects where the mechanism
/// carries them (the echo peers answer in kind), storage stays text, and every row is measured.
#[tokio::test(flavor = "multi_thread")]
async fn the_cloned_switch_measures_objects_where_the_mechanism_carries_them() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser
        .open("/bench?quick=1&payloads=10000&mechanisms=worker-port,shared-worker,broadcast,window-same-origin,window-cross-origin,storage")
        .await;
    state_becomes(driver, "status", "idle").await;
    click(driver, "bench-cloned").await;
    click(driver, "run").await;
    run_to_the_end(driver).await;
    let lines = log_lines(driver).await;
    assert!(lines.iter().any(|l| l.kind == "run" && l.payload.contains("cloned objects")), "{lines:#?}");
    let rows = driver.find_all(testid("result")).await.expect("result rows");
    assert_eq!(rows.len(), 6);
    for row in &rows {
        let mechanism = row.attr("data-mechanism").await.unwrap().unwrap_or_default();
        let note = row.find(thirtyfour::By::Css(".note")).await.unwrap().text().await.unwrap();
        assert!(note.is_empty(), "{mechanism}: {note}");
        for attr in ["data-rtt-us", "data-msgs-per-s", "data-baseline-rtt-us", "data-baseline-msgs-per-s"] {
            if let Err(why) = figure(row, attr).await {
                panic!("{mechanism}: {why}");
            }
        }
    }
    browser.quit().await;
}
