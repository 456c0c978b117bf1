//! The Payment iframe route in Chromium: the shop on one origin, the provider framed from another.

use crosstalk_e2e::action::{click, type_text};
use crosstalk_e2e::check::{attr_of, eventually, log_has, log_lines, state_becomes, text_of, Want};
use crosstalk_e2e::session::Browser;
use thirtyfour::prelude::*;

/// Checkout, then wait until the provider's frame shows the order; returns the order id.
async fn checkout(browser: &Browser) -> String {
    let driver = &browser.driver;
    click(driver, "checkout").await;
    state_becomes(driver, "payment-result", "pending").await;
    let order = eventually("an order id", async || {
        text_of(driver, "order-id").await.ok_or_else(|| "none".to_owned())
    })
    .await;
    let shown = browser
        .in_frame("provider-frame", async |frame: &WebDriver| {
            state_becomes(frame, "provider-status", "order").await;
            (text_of(frame, "provider-order").await, text_of(frame, "provider-amount").await)
        })
        .await;
    assert_eq!(
        shown,
        (Some(order.clone()), Some("42.00 EUR".to_owned())),
        "the provider shows what it was sent"
    );
    order
}

/// Clicks a control inside the provider's frame.
async fn in_provider(browser: &Browser, id: &str) {
    browser.in_frame("provider-frame", async |frame: &WebDriver| click(frame, id).await).await;
}

async fn open_shop(browser: &Browser) {
    browser.open("/payment").await;
    state_becomes(&browser.driver, "status", "configured").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn paying_settles_the_order_and_a_replayed_result_is_refused() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    open_shop(&browser).await;
    assert_eq!(text_of(driver, "provider-origin").await, Some(browser.provider_origin()));
    assert_ne!(browser.provider_origin(), browser.app_origin(), "two origins");
    let sandbox = attr_of(driver, "provider-frame", "sandbox").await;
    assert_eq!(sandbox, None, "no frame before checkout");

    let order = checkout(&browser).await;
    assert_eq!(
        attr_of(driver, "provider-frame", "sandbox").await.as_deref(),
        Some("allow-scripts allow-same-origin")
    );
    let sent = log_has(driver, Want { dir: Some("out"), kind: Some("order"), ..Want::default() }).await;
    assert!(sent.payload.contains(&format!("targetOrigin {}", browser.provider_origin())), "{sent:?}");

    in_provider(&browser, "pay").await;
    state_becomes(driver, "payment-result", "success").await;
    assert_eq!(attr_of(driver, "payment-result", "data-order").await, Some(order.clone()));

    in_provider(&browser, "replay").await;
    let refused = log_has(
        driver,
        Want { dir: Some("in"), status: Some("rejected"), code: Some("replayed"), ..Want::default() },
    )
    .await;
    assert!(refused.reason.contains(&order), "{refused:?}");
    state_becomes(driver, "payment-result", "success").await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn decline_fails_cancel_cancels_and_bad_results_from_the_provider_are_refused() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    open_shop(&browser).await;

    checkout(&browser).await;
    in_provider(&browser, "send-malformed").await;
    log_has(
        driver,
        Want { dir: Some("in"), status: Some("rejected"), code: Some("bad-json"), ..Want::default() },
    )
    .await;
    in_provider(&browser, "wrong-order").await;
    log_has(
        driver,
        Want { dir: Some("in"), status: Some("rejected"), code: Some("unknown-order"), ..Want::default() },
    )
    .await;
    state_becomes(driver, "payment-result", "pending").await;
    in_provider(&browser, "decline").await;
    state_becomes(driver, "payment-result", "failed").await;

    let second = checkout(&browser).await;
    in_provider(&browser, "cancel").await;
    state_becomes(driver, "payment-result", "cancelled").await;
    assert_eq!(attr_of(driver, "payment-result", "data-order").await, Some(second));
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silent_provider_times_out_and_its_late_answer_is_refused() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    open_shop(&browser).await;
    type_text(driver, "timeout-input", "2").await;
    checkout(&browser).await;
    state_becomes(driver, "payment-result", "timeout").await;

    in_provider(&browser, "pay").await;
    log_has(
        driver,
        Want { dir: Some("in"), status: Some("rejected"), code: Some("late"), ..Want::default() },
    )
    .await;
    state_becomes(driver, "payment-result", "timeout").await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn forged_successes_are_refused_with_the_reason_and_change_nothing() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    open_shop(&browser).await;
    checkout(&browser).await;
    click(driver, "naive-toggle").await;

    click(driver, "hostile-frame").await;
    let opaque = log_has(
        driver,
        Want {
            dir: Some("in"),
            status: Some("rejected"),
            code: Some("wrong-origin"),
            payload_has: Some("from null"),
            ..Want::default()
        },
    )
    .await;
    assert_eq!(opaque.kind, "result", "it decodes as a result; the origin is what gives it away");

    click(driver, "impostor-frame").await;
    log_has(
        driver,
        Want { dir: Some("in"), status: Some("rejected"), code: Some("wrong-source"), ..Want::default() },
    )
    .await;
    log_has(
        driver,
        Want {
            dir: Some("system"),
            kind: Some("lesson"),
            payload_has: Some("would have ACCEPTED"),
            ..Want::default()
        },
    )
    .await;

    click(driver, "self-post").await;
    let own = format!("from {}", browser.app_origin());
    log_has(
        driver,
        Want {
            dir: Some("in"),
            status: Some("rejected"),
            code: Some("wrong-origin"),
            payload_has: Some(&own),
            ..Want::default()
        },
    )
    .await;

    state_becomes(driver, "payment-result", "pending").await;
    let accepted =
        log_lines(driver).await.into_iter().filter(|l| l.kind == "result" && l.status == "ok").count();
    assert_eq!(accepted, 0, "no forged result was ever accepted");
    // The real provider still works afterwards.
    in_provider(&browser, "pay").await;
    state_becomes(driver, "payment-result", "success").await;
    browser.quit().await;
}

/// Many people type `localhost`; others reach the suite under a LAN name given with
/// `--public-origin` (here `crosstalk.localhost`). The server derives both origins from the name
/// the browser used, so the provider's `frame-ancestors` names this very shop and the payment
/// goes through under each name.
#[tokio::test(flavor = "multi_thread")]
async fn the_suite_opened_as_localhost_or_a_public_name_pays_too() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let provider_port = browser.provider_origin().rsplit(':').next().unwrap_or_default().to_owned();
    let as_localhost = browser.url("/payment").replacen("127.0.0.1", "localhost", 1);
    for (address, name) in
        [(as_localhost, "localhost"), (browser.public_url("/payment"), "crosstalk.localhost")]
    {
        assert!(address.contains(&format!("//{name}:")), "{address}");
        driver.goto(&address).await.expect("navigation");
        state_becomes(driver, "status", "configured").await;
        let provider = text_of(driver, "provider-origin").await.unwrap_or_default();
        assert_eq!(provider, format!("http://{name}:{provider_port}"));
        checkout(&browser).await;
        in_provider(&browser, "pay").await;
        state_becomes(driver, "payment-result", "success").await;
    }
    browser.quit().await;
}

/// With the provider's origin down, checkout says so on the page at once (well within the
/// order's 60 s time limit), naming the origin and what to check; the route's state says it too.
#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_provider_is_said_at_once_not_waited_out() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    driver.goto(browser.lonely_url("/payment")).await.expect("navigation");
    state_becomes(driver, "status", "configured").await;
    click(driver, "checkout").await;
    state_becomes(driver, "payment-result", "unreachable").await;
    state_becomes(driver, "status", "unreachable").await;
    let provider = text_of(driver, "provider-origin").await.unwrap_or_default();
    let said = text_of(driver, "unreachable").await.unwrap_or_default();
    assert!(said.contains(&provider) && said.contains("did not answer"), "{said}");
    let logged = log_has(driver, Want { kind: Some("unreachable"), ..Want::default() }).await;
    assert_eq!((logged.status.as_str(), logged.code.as_str()), ("rejected", "unreachable"), "{logged:?}");
    browser.quit().await;
}

/// Origin and source are judged before the data is read: with the lesson off, a forgery from a
/// stranger is refused unread (its kind unknown, its payload "not read").
#[tokio::test(flavor = "multi_thread")]
async fn a_strangers_message_is_refused_unread() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    open_shop(&browser).await;
    checkout(&browser).await;
    click(driver, "hostile-frame").await;
    let refused = log_has(
        driver,
        Want { dir: Some("in"), status: Some("rejected"), code: Some("wrong-origin"), ..Want::default() },
    )
    .await;
    assert_eq!(refused.kind, "?", "{refused:?}");
    assert!(refused.payload.starts_with("not read"), "{refused:?}");
    browser.quit().await;
}
