//! English and 中文: the switch changes what is shown, is remembered across reloads, and follows
//! to the other tabs.

use crosstalk_e2e::action::choose;
use crosstalk_e2e::check::{eventually, text_of};
use crosstalk_e2e::session::Browser;
use thirtyfour::prelude::*;

async fn lead_becomes(driver: &WebDriver, has: &str) {
    eventually(&format!("the home page's lead in the language with \"{has}\""), async || {
        match text_of(driver, "home-lead").await {
            Some(lead) if lead.contains(has) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
}

async fn html_lang(driver: &WebDriver) -> String {
    let lang = driver.execute("return document.documentElement.lang", Vec::new()).await.expect("lang");
    lang.json().as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn switching_to_chinese_changes_the_words_survives_a_reload_and_follows_to_other_tabs() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/").await;
    lead_becomes(driver, "Every way browser contexts talk").await;
    assert_eq!(html_lang(driver).await, "en");
    let other = driver.window().await.expect("this tab");
    let second = browser.open_tab("/").await;
    lead_becomes(driver, "Every way browser contexts talk").await;

    choose(driver, "lang", "zh").await;
    lead_becomes(driver, "浏览器上下文之间的每一种通信方式").await;
    assert_eq!(html_lang(driver).await, "zh");
    assert_eq!(text_of(driver, "nav-bench").await.as_deref(), Some("基准测试"));
    // The other tab follows at once.
    browser.switch_to(&other).await;
    lead_becomes(driver, "浏览器上下文之间的每一种通信方式").await;
    // And a reload keeps it.
    browser.switch_to(&second).await;
    driver.refresh().await.expect("reload");
    lead_becomes(driver, "浏览器上下文之间的每一种通信方式").await;
    choose(driver, "lang", "en").await;
    lead_becomes(driver, "Every way browser contexts talk").await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_says_its_reason_code_in_the_chosen_language() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/worker-port").await;
    crosstalk_e2e::check::state_becomes(driver, "status", "ready").await;
    choose(driver, "lang", "zh").await;
    crosstalk_e2e::action::click(driver, "send-malformed").await;
    let refused = crosstalk_e2e::check::log_has(
        driver,
        crosstalk_e2e::check::Want { code: Some("bad-json"), dir: Some("in"), ..Default::default() },
    )
    .await;
    assert!(refused.reason.starts_with("已拒绝: 不是 JSON — "), "{refused:?}");
    choose(driver, "lang", "en").await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_capability_page_reads_in_chinese_row_by_row() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/capabilities").await;
    crosstalk_e2e::check::state_becomes(driver, "status", "done").await;
    choose(driver, "lang", "zh").await;
    eventually("the capability page in 中文", async || match text_of(driver, "capabilities-lead").await {
        Some(lead) if lead.contains("这个浏览器实际能做什么") => Ok(()),
        other => Err(format!("{other:?}")),
    })
    .await;
    let row = driver.find(By::Css("[data-capability=clone-function]")).await.expect("the row");
    let text = row.text().await.unwrap_or_default();
    assert!(text.contains("函数会被 DataCloneError 拒绝") && text.contains('是'), "{text}");
    assert_eq!(
        row.attr("data-supported").await.ok().flatten().as_deref(),
        Some("yes"),
        "the hook stays English"
    );
    browser.quit().await;
}
