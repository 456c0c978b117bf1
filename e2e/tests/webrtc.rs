//! The WebRTC route: two tabs of one browser connect a data channel and exchange messages, with
//! the offer, answer and candidates carried over a BroadcastChannel or through a room of the
//! relay; a forged offer is refused; a flood pauses for the buffer and arrives whole; a message
//! over the size limit is refused.

use crosstalk_e2e::action::{choose, click, type_text};
use crosstalk_e2e::check::{attr_of, eventually, log_has, state_becomes, Want};
use crosstalk_e2e::mark::{self, Needed};
use crosstalk_e2e::session::Browser;
use thirtyfour::prelude::*;

async fn peer_state_becomes(driver: &WebDriver, state: &str) {
    state_becomes(driver, "peer-state", state).await;
}

/// Waits until this tab has heard `count` peers on signalling.
async fn hears(driver: &WebDriver, count: usize) {
    eventually(&format!("{count} peers heard"), async || {
        let seen = attr_of(driver, "peers", "data-count").await.unwrap_or_default();
        if seen.parse::<usize>().is_ok_and(|n| n >= count) {
            Ok(())
        } else {
            Err(seen)
        }
    })
    .await;
}

/// Two tabs on `path`; the first connects to the second, both reach `connected`, and a text
/// goes each way over the data channel.
async fn connect_and_talk(browser: &Browser, path: &str) -> Vec<WindowHandle> {
    let driver = &browser.driver;
    let tabs = browser.open_tabs(path, 2, "ready").await;
    hears(driver, 1).await;
    browser.switch_to(&tabs[0]).await;
    hears(driver, 1).await;
    click(driver, "connect").await;
    peer_state_becomes(driver, "connected").await;
    browser.switch_to(&tabs[1]).await;
    peer_state_becomes(driver, "connected").await;
    log_has(driver, Want { kind: Some("channel"), payload_has: Some("open"), ..Want::default() }).await;
    type_text(driver, "message-input", "straight across").await;
    click(driver, "send").await;
    browser.switch_to(&tabs[0]).await;
    let heard = log_has(driver, Want { dir: Some("in"), kind: Some("text"), ..Want::default() }).await;
    assert!(heard.payload.contains("straight across"), "{heard:?}");
    type_text(driver, "message-input", "and back").await;
    click(driver, "send").await;
    browser.switch_to(&tabs[1]).await;
    log_has(
        driver,
        Want { dir: Some("in"), kind: Some("text"), payload_has: Some("and back"), ..Want::default() },
    )
    .await;
    tabs
}

#[tokio::test(flavor = "multi_thread")]
async fn two_tabs_connect_a_data_channel_introduced_over_broadcast_channel() {
    let browser = Browser::start().await;
    // A proven mark: an engine without WebRTC (WebKitGTK) says so on the route instead.
    if mark::lacks(&browser, &Needed::data_channel(&browser)).await {
        return browser.quit().await;
    }
    let driver = &browser.driver;
    let tabs = connect_and_talk(&browser, "/webrtc?signalling=broadcast").await;
    assert_eq!(attr_of(driver, "signalling", "data-state").await.as_deref(), Some("broadcast"));
    // Host candidates only (no STUN server here), found on both sides.
    let local = crosstalk_e2e::check::text_of(driver, "local-candidates").await.unwrap_or_default();
    assert!(local.contains("host"), "{local}");
    // What this engine did with its host addresses, for the README.
    let mdns = crosstalk_e2e::check::text_of(driver, "mdns-candidates").await.unwrap_or_default();
    let channel = crosstalk_e2e::check::text_of(driver, "channel").await.unwrap_or_default();
    browser.picture_page("webrtc").await;
    let kept = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../target/webrtc-{}.txt", browser.engine().name()));
    let _ =
        std::fs::write(kept, format!("candidates here: {local}; behind mDNS: {mdns}; channel: {channel}\n"));
    // Hanging up ends it on both sides.
    click(driver, "hang-up").await;
    peer_state_becomes(driver, "closed").await;
    browser.switch_to(&tabs[0]).await;
    peer_state_becomes(driver, "closed").await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_tabs_connect_a_data_channel_introduced_through_the_relay() {
    let browser = Browser::start().await;
    // A proven mark: an engine without WebRTC (WebKitGTK) says so on the route instead.
    if mark::lacks(&browser, &Needed::data_channel(&browser)).await {
        return browser.quit().await;
    }
    let driver = &browser.driver;
    let room = format!("rtc-{}", std::process::id());
    connect_and_talk(&browser, &format!("/webrtc?signalling=relay&room={room}")).await;
    assert_eq!(attr_of(driver, "signalling", "data-state").await.as_deref(), Some("relay"));
    // The signalling went through the relay: the offer arrived here as a relayed text.
    log_has(driver, Want { dir: Some("in"), kind: Some("offer"), ..Want::default() }).await;
    browser.quit().await;
}

/// This tab's id, as its log says it ("this tab is tab-… on the signalling channel").
async fn tab_id(driver: &WebDriver) -> String {
    let opened = log_has(driver, Want { kind: Some("open"), ..Want::default() }).await;
    opened.payload.split_whitespace().nth(3).unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_offer_is_refused_a_flood_waits_for_the_buffer_and_an_oversized_message_is_refused() {
    let browser = Browser::start().await;
    // A proven mark: an engine without WebRTC (WebKitGTK) says so on the route instead.
    if mark::lacks(&browser, &Needed::data_channel(&browser)).await {
        return browser.quit().await;
    }
    let driver = &browser.driver;
    // Three tabs: the third (a stranger) overhears the first two's session on the channel.
    let tabs = browser.open_tabs("/webrtc", 3, "ready").await;
    browser.switch_to(&tabs[1]).await;
    let second = tab_id(driver).await;
    browser.switch_to(&tabs[0]).await;
    hears(driver, 2).await;
    let element = driver
        .find(By::Css(format!(r#"[data-testid="connect-peer"][data-peer="{second}"]"#)))
        .await
        .expect("the second tab in the peer list");
    crosstalk_e2e::action::click_element(&element).await.expect("connect to it");
    peer_state_becomes(driver, "connected").await;
    browser.switch_to(&tabs[1]).await;
    peer_state_becomes(driver, "connected").await;
    browser.switch_to(&tabs[2]).await;
    click(driver, "forge-offer").await;
    let forged = log_has(driver, Want { dir: Some("out"), kind: Some("offer"), ..Want::default() }).await;
    // Into the session it overheard last, to whichever of the two that message was for.
    let target = if forged.payload.contains(&format!("to {second},")) { &tabs[1] } else { &tabs[0] };
    browser.switch_to(target).await;
    let refused = log_has(
        driver,
        Want { dir: Some("in"), kind: Some("offer"), status: Some("rejected"), ..Want::default() },
    )
    .await;
    assert_eq!(refused.code, "wrong-session", "{refused:?}");
    peer_state_becomes(driver, "connected").await;
    assert!(forged.payload.contains("session"), "{forged:?}");
    // A flood: more than the high-water mark, so it pauses; every message arrives.
    browser.switch_to(&tabs[0]).await;
    click(driver, "flood").await;
    log_has(driver, Want { kind: Some("flood"), payload_has: Some("200 messages sent"), ..Want::default() })
        .await;
    let pauses = attr_of(driver, "buffered", "data-pauses").await.unwrap_or_default();
    assert!(
        pauses.parse::<u32>().is_ok_and(|n| n > 0),
        "the flood never paused for bufferedamountlow: {pauses}"
    );
    browser.switch_to(&tabs[1]).await;
    eventually("the flood to arrive whole", async || {
        let arrived = attr_of(driver, "arrivals", "data-arrived").await.unwrap_or_default();
        let missing = attr_of(driver, "arrivals", "data-missing").await.unwrap_or_default();
        if arrived == "200" && missing == "0" {
            Ok(())
        } else {
            Err(format!("{arrived} arrived, {missing} missing"))
        }
    })
    .await;
    // Over the size limit: refused here, never sent.
    click(driver, "send-oversized").await;
    let oversized = log_has(driver, Want { kind: Some("refused"), ..Want::default() }).await;
    assert_eq!(oversized.code, "too-large", "{oversized:?}");
    // A drop injected on this side shows as missing on the other.
    type_text(driver, "message-input", "zero").await;
    click(driver, "send").await;
    choose(driver, "fault", "drop").await;
    type_text(driver, "message-input", "one").await;
    click(driver, "send").await;
    choose(driver, "fault", "none").await;
    type_text(driver, "message-input", "two").await;
    click(driver, "send").await;
    browser.switch_to(&tabs[0]).await;
    eventually("the dropped message counted missing", async || {
        let missing = attr_of(driver, "arrivals", "data-missing").await.unwrap_or_default();
        if missing == "1" {
            Ok(())
        } else {
            Err(missing)
        }
    })
    .await;
    browser.quit().await;
}
