//! The WebSocket route in Chromium: tabs of one browser talking through the relay the test server
//! runs, rooms kept apart, and a relay restart survived.

use crosstalk_e2e::action::{click, type_text};
use crosstalk_e2e::check::{eventually, log_has, log_has_n, log_lines, state_becomes, text_of, Want};
use crosstalk_e2e::session::Browser;
use thirtyfour::prelude::*;

async fn members_become(driver: &WebDriver, count: u32) {
    eventually(&format!("{count} members"), async || match text_of(driver, "members").await {
        Some(now) if now == count.to_string() => Ok(()),
        now => Err(format!("members={now:?}")),
    })
    .await;
}

async fn send(driver: &WebDriver, text: &str) {
    type_text(driver, "message-input", text).await;
    click(driver, "send").await;
}

/// Stops or resumes the second suite's relay through its stranger's test-only control, from a tab
/// of its own (the second suite, so no other test's sockets are disturbed).
async fn relay_control(browser: &Browser, what: &str) {
    let driver = &browser.driver;
    let back = driver.window().await.expect("the current tab");
    let tab = driver.new_tab().await.expect("a tab for the control");
    driver.switch_to_window(tab).await.expect("switch");
    driver
        .goto(format!("{}/relay/{what}", browser.lonely_stranger_origin()))
        .await
        .expect("the relay control");
    driver.close_window().await.expect("close the control tab");
    browser.switch_to(&back).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_tabs_in_a_room_talk_through_the_relay_and_another_room_hears_nothing() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let tabs = browser.open_tabs("/websocket", 3, "open").await;
    let [first, second, third] = [&tabs[0], &tabs[1], &tabs[2]];
    // The third tab moves to a room of its own.
    type_text(driver, "room-input", "elsewhere\n").await;
    log_has(
        driver,
        Want { dir: Some("in"), kind: Some("joined"), payload_has: Some("\"elsewhere\""), ..Want::default() },
    )
    .await;
    members_become(driver, 1).await;
    // The field was cleared on the way (WebDriver's clear fires `change`): an empty name is no
    // room to join, so nothing was refused.
    assert!(log_lines(driver).await.iter().all(|l| l.code != "bad-room"), "an emptied field joined nothing");
    browser.switch_to(first).await;
    members_become(driver, 2).await;

    send(driver, "hello <b>room</b> 你好").await;
    let accepted = log_has(driver, Want { dir: Some("in"), kind: Some("accepted"), ..Want::default() }).await;
    // The lobby's numbering goes on from earlier tests: the relay keeps a room's history (and
    // numbers) after it empties, for clients that come back.
    let n: u64 = text_of(driver, "last-seen").await.and_then(|n| n.parse().ok()).expect("numbered");
    assert!(accepted.payload.ends_with(&format!("relay #{n} of the room")), "{accepted:?}");
    browser.switch_to(second).await;
    let got = log_has(driver, Want { dir: Some("in"), kind: Some("relayed"), ..Want::default() }).await;
    assert!(got.payload.starts_with(&format!("hello <b>room</b> 你好 · relay #{n} from tab-")), "{got:?}");
    assert_eq!(got.status, "ok");
    send(driver, "and back").await;
    browser.switch_to(first).await;
    let back = log_has(driver, Want { dir: Some("in"), kind: Some("relayed"), ..Want::default() }).await;
    assert!(back.payload.starts_with(&format!("and back · relay #{}", n + 1)), "{back:?}");
    assert!(
        log_lines(driver).await.iter().all(|l| !(l.kind == "relayed" && l.payload.starts_with("hello"))),
        "no echo to the sender"
    );
    browser.switch_to(third).await;
    assert!(log_lines(driver).await.iter().all(|l| l.kind != "relayed"), "another room hears nothing");
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_relay_restart_shows_reconnecting_then_open_and_what_waited_is_delivered() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let route = browser.lonely_url("/websocket");
    browser.goto(&route).await;
    let first = driver.window().await.expect("the first tab");
    state_becomes(driver, "status", "open").await;
    let second = driver.new_tab().await.expect("a second tab");
    browser.switch_to(&second).await;
    browser.goto(&route).await;
    state_becomes(driver, "status", "open").await;
    let tabs = [first, second];
    members_become(driver, 2).await;
    browser.switch_to(&tabs[0]).await;

    relay_control(&browser, "stop").await;
    state_becomes(driver, "status", "reconnecting").await;
    // The first close is the relay's 1001; attempts made while it is stopped fail after it.
    let said =
        log_has_n(driver, 1, Want { dir: Some("system"), kind: Some("reconnecting"), ..Want::default() })
            .await;
    assert!(said[0].payload.starts_with("closed 1001"), "{said:?}");
    assert!(
        text_of(driver, "reconnect-delay").await.is_some_and(|d| d.contains(" ms")),
        "the next attempt's delay is shown"
    );
    send(driver, "sent while away").await;
    log_has(driver, Want { dir: Some("system"), kind: Some("queued"), ..Want::default() }).await;
    assert_eq!(text_of(driver, "queued").await.as_deref(), Some("1"));

    relay_control(&browser, "start").await;
    state_becomes(driver, "status", "open").await;
    log_has(driver, Want { dir: Some("system"), kind: Some("flushed"), ..Want::default() }).await;
    let flushed = log_has(
        driver,
        Want {
            dir: Some("out"),
            kind: Some("text"),
            payload_has: Some("sent while away"),
            ..Want::default()
        },
    )
    .await;
    // The relay took it: its number in the room comes back.
    let seq = flushed.seq.expect("numbered");
    let accepted = format!("your #{seq} is");
    log_has(
        driver,
        Want { dir: Some("in"), kind: Some("accepted"), payload_has: Some(&accepted), ..Want::default() },
    )
    .await;
    assert_eq!(text_of(driver, "queued").await.as_deref(), Some("0"));

    // Both tabs back in the room: messages flow again.
    browser.switch_to(&tabs[1]).await;
    state_becomes(driver, "status", "open").await;
    members_become(driver, 2).await;
    send(driver, "flowing again").await;
    browser.switch_to(&tabs[0]).await;
    let got = log_has(
        driver,
        Want {
            dir: Some("in"),
            kind: Some("relayed"),
            payload_has: Some("flowing again"),
            ..Want::default()
        },
    )
    .await;
    assert_eq!(got.status, "ok", "{got:?}");
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_are_visible_malformed_oversized_and_a_cut_connection() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/websocket").await;
    state_becomes(driver, "status", "open").await;

    click(driver, "send-malformed").await;
    let refused =
        log_has(driver, Want { dir: Some("in"), status: Some("rejected"), ..Want::default() }).await;
    assert_eq!((refused.kind.as_str(), refused.code.as_str()), ("error", "bad-json"), "{refused:?}");

    click(driver, "send-oversized").await;
    let closed =
        log_has_n(driver, 1, Want { dir: Some("system"), kind: Some("reconnecting"), ..Want::default() })
            .await;
    assert!(closed[0].payload.starts_with("closed 1009"), "the first close is the relay's 1009: {closed:?}");
    state_becomes(driver, "status", "open").await;

    click(driver, "cut-connection").await;
    log_has(
        driver,
        Want {
            dir: Some("system"),
            kind: Some("reconnecting"),
            payload_has: Some("closed 4002"),
            ..Want::default()
        },
    )
    .await;
    state_becomes(driver, "status", "open").await;
    send(driver, "after the faults").await;
    log_has(driver, Want { dir: Some("in"), kind: Some("accepted"), ..Want::default() }).await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tab_that_went_offline_gets_exactly_what_it_missed_when_it_comes_back() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let tabs = browser.open_tabs("/websocket", 2, "open").await;
    let [away, stayed] = [&tabs[0], &tabs[1]];
    // A room of this test's own: other tests talk in the lobby of the same relay.
    for tab in [away, stayed] {
        browser.switch_to(tab).await;
        type_text(driver, "room-input", "comeback\n").await;
        log_has(driver, Want { kind: Some("joined"), payload_has: Some("\"comeback\""), ..Want::default() })
            .await;
    }
    members_become(driver, 2).await;
    send(driver, "before").await;
    browser.switch_to(away).await;
    let before =
        log_has(driver, Want { kind: Some("relayed"), payload_has: Some("before"), ..Want::default() }).await;
    let seen = text_of(driver, "last-seen").await.expect("the last number seen");
    assert!(before.payload.contains(&format!("relay #{seen} ")), "{before:?} vs #{seen}");

    click(driver, "go-offline").await;
    state_becomes(driver, "status", "closed").await;
    browser.switch_to(stayed).await;
    members_become(driver, 1).await;
    send(driver, "missed one").await;
    send(driver, "missed two").await;
    log_has_n(driver, 2, Want { kind: Some("accepted"), ..Want::default() }).await;

    browser.switch_to(away).await;
    click(driver, "go-online").await;
    state_becomes(driver, "status", "open").await;
    let again = format!("again, after relay #{seen}");
    log_has(
        driver,
        Want { dir: Some("out"), kind: Some("join"), payload_has: Some(&again), ..Want::default() },
    )
    .await;
    let resumed = log_has(driver, Want { kind: Some("resumed"), ..Want::default() }).await;
    assert!(resumed.payload.contains("2 missed messages follow"), "{resumed:?}");
    let seen: u64 = seen.parse().expect("a number");
    for (n, text) in [(seen + 1, "missed one"), (seen + 2, "missed two")] {
        let want = format!("{text} · relay #{n} ");
        let got =
            log_has(driver, Want { kind: Some("relayed"), payload_has: Some(&want), ..Want::default() })
                .await;
        assert!(got.payload.ends_with("(missed, replayed)") && got.status == "ok", "{got:?}");
    }
    assert_eq!(text_of(driver, "replayed").await.as_deref(), Some("2"));

    browser.switch_to(stayed).await;
    members_become(driver, 2).await;
    send(driver, "live").await;
    browser.switch_to(away).await;
    let live =
        log_has(driver, Want { kind: Some("relayed"), payload_has: Some("live ·"), ..Want::default() }).await;
    assert!(
        live.payload.contains(&format!("relay #{} ", seen + 3)) && !live.payload.contains("replayed"),
        "{live:?}"
    );
    let relayed = log_lines(driver).await.into_iter().filter(|l| l.kind == "relayed").count();
    assert_eq!(relayed, 4, "before, the two missed ones once each, live");
    assert_eq!(text_of(driver, "gaps").await.as_deref(), Some("0"));
    browser.picture("log", "websocket-resume").await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tabs_on_two_relay_instances_share_one_room_through_redis_and_a_comeback_resumes_there() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.goto(&browser.pair_url(0, "/websocket")).await;
    let one = driver.window().await.expect("the first tab");
    let two = driver.new_tab().await.expect("a second tab");
    browser.switch_to(&two).await;
    browser.goto(&browser.pair_url(1, "/websocket")).await;
    for tab in [&one, &two] {
        browser.switch_to(tab).await;
        state_becomes(driver, "status", "open").await;
        type_text(driver, "room-input", "across\n").await;
        log_has(driver, Want { kind: Some("joined"), payload_has: Some("\"across\""), ..Want::default() })
            .await;
    }
    // Counted across instances: each server has one member of the room.
    members_become(driver, 2).await;
    browser.switch_to(&one).await;
    members_become(driver, 2).await;
    send(driver, "from instance one").await;
    log_has(driver, Want { kind: Some("accepted"), payload_has: Some("relay #1 "), ..Want::default() }).await;
    browser.switch_to(&two).await;
    let got = log_has(driver, Want { kind: Some("relayed"), ..Want::default() }).await;
    assert!(got.payload.starts_with("from instance one · relay #1 from tab-"), "{got:?}");

    click(driver, "go-offline").await;
    state_becomes(driver, "status", "closed").await;
    browser.switch_to(&one).await;
    members_become(driver, 1).await;
    send(driver, "while two was away").await;
    browser.switch_to(&two).await;
    click(driver, "go-online").await;
    let replayed = log_has(
        driver,
        Want {
            kind: Some("relayed"),
            payload_has: Some("while two was away · relay #2 "),
            ..Want::default()
        },
    )
    .await;
    assert!(replayed.payload.ends_with("(missed, replayed)"), "{replayed:?}");
    members_become(driver, 2).await;
    browser.quit().await;
}

/// While the relay is away a tab queues what it sends, up to 32 texts; the next is refused
/// visibly (`queue-full`), never reported as sent; coming back sends the 32 in order.
#[tokio::test(flavor = "multi_thread")]
async fn an_offline_tab_queues_32_texts_refuses_the_next_and_sends_them_when_back() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open_tabs("/websocket", 1, "open").await;
    type_text(driver, "room-input", "queue-full\n").await;
    log_has(driver, Want { kind: Some("joined"), payload_has: Some("\"queue-full\""), ..Want::default() })
        .await;
    click(driver, "go-offline").await;
    state_becomes(driver, "status", "closed").await;
    for n in 1..=33 {
        send(driver, &format!("waiting {n}")).await;
    }
    let refused =
        log_has(driver, Want { status: Some("rejected"), code: Some("queue-full"), ..Want::default() }).await;
    assert!(refused.reason.contains("32 messages already wait"), "{refused:?}");
    assert_eq!(text_of(driver, "queued").await.as_deref(), Some("32"));
    click(driver, "go-online").await;
    state_becomes(driver, "status", "open").await;
    log_has(driver, Want { dir: Some("system"), kind: Some("flushed"), ..Want::default() }).await;
    let sent = log_has_n(driver, 32, Want { dir: Some("out"), kind: Some("text"), ..Want::default() }).await;
    let texts: Vec<&str> = sent.iter().map(|l| l.payload.split(" · ").next().unwrap_or_default()).collect();
    let expected: Vec<String> = (1..=32).map(|n| format!("waiting {n}")).collect();
    assert_eq!(texts, expected, "the 32 go out once each, in order; the 33rd never");
    log_has_n(driver, 32, Want { dir: Some("in"), kind: Some("accepted"), ..Want::default() }).await;
    assert_eq!(text_of(driver, "queued").await.as_deref(), Some("0"));
    browser.quit().await;
}

/// A hidden page closes its socket (an open one keeps it out of the back/forward cache) and
/// connects again when shown. The browser's own `pagehide` runs the same listener the test
/// dispatches here; the other member sees the tab leave the room and come back.
#[tokio::test(flavor = "multi_thread")]
async fn a_hidden_page_closes_its_socket_and_connects_again_when_shown() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let tabs = browser.open_tabs("/websocket", 2, "open").await;
    for tab in &tabs {
        browser.switch_to(tab).await;
        type_text(driver, "room-input", "pagehide\n").await;
        log_has(driver, Want { kind: Some("joined"), payload_has: Some("\"pagehide\""), ..Want::default() })
            .await;
    }
    members_become(driver, 2).await;
    browser.switch_to(&tabs[0]).await;
    let page_event = |name: &str| {
        format!("window.dispatchEvent(new PageTransitionEvent('{name}', {{ persisted: true }}))")
    };
    driver.execute(&page_event("pagehide"), Vec::new()).await.expect("pagehide");
    state_becomes(driver, "status", "closed").await;
    browser.switch_to(&tabs[1]).await;
    members_become(driver, 1).await;
    browser.switch_to(&tabs[0]).await;
    driver.execute(&page_event("pageshow"), Vec::new()).await.expect("pageshow");
    state_becomes(driver, "status", "open").await;
    browser.switch_to(&tabs[1]).await;
    members_become(driver, 2).await;
    browser.quit().await;
}
