//! Every mechanism's route is a lesson: its lead, its pitfalls and its code from the source, in
//! the chosen language; switching changes the lesson on the page, and a reload keeps it.

use crosstalk_e2e::action::choose;
use crosstalk_e2e::check::{eventually, text_of};
use crosstalk_e2e::find::testid;
use crosstalk_e2e::session::{every_route, Browser, LESSONS};
use thirtyfour::prelude::*;

async fn lead_says(driver: &WebDriver, path: &str, phrase: &str) {
    eventually(&format!("{path}: the lesson's lead saying \"{phrase}\""), async || {
        match text_of(driver, "lesson-lead").await {
            Some(lead) if lead.contains(phrase) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_mechanism_route_teaches_its_lesson_with_its_real_code() {
    for (path, _) in every_route() {
        assert!(LESSONS.iter().any(|lesson| lesson.0 == path), "{path} has no lesson in LESSONS");
    }
    let browser = Browser::start().await;
    let driver = &browser.driver;
    for &(path, english, _, code) in LESSONS {
        browser.open(path).await;
        lead_says(driver, path, english).await;
        let pitfalls = driver.find_all(testid("lesson-pitfall")).await.expect("pitfalls");
        assert!(pitfalls.len() >= 3, "{path}: {} pitfalls", pitfalls.len());
        let mut shown = String::new();
        for block in driver.find_all(testid("lesson-code")).await.expect("code") {
            shown.push_str(&block.text().await.unwrap_or_default());
        }
        assert!(shown.contains(code), "{path}: the lesson's code lacks {code:?}:\n{shown}");
    }
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lesson_switches_to_chinese_and_a_reload_keeps_it() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/broadcast").await;
    lead_says(driver, "/broadcast", "except the tab that posted it").await;
    let english = driver.find(testid("lesson")).await.expect("lesson").text().await.unwrap_or_default();
    browser.picture("lesson", "lesson-broadcast").await;
    choose(driver, "lang", "zh").await;
    lead_says(driver, "/broadcast", "发送它的标签页除外").await;
    driver.refresh().await.expect("reload");
    browser.rendered().await;
    lead_says(driver, "/broadcast", "发送它的标签页除外").await;
    let chinese = driver.find(testid("lesson")).await.expect("lesson").text().await.unwrap_or_default();
    assert!(chinese.contains("陷阱") && !chinese.contains("Pitfalls"), "{chinese}");
    // The controls every route shares read in 中文 too.
    assert_eq!(text_of(driver, "send").await.as_deref(), Some("发送"));
    assert_eq!(text_of(driver, "log-export").await.as_deref(), Some("导出 JSON"));
    // And the route's own.
    assert_eq!(text_of(driver, "vanish").await.as_deref(), Some("不说再见就消失，就像崩溃的标签页那样"));
    // And what its state writes into the log.
    crosstalk_e2e::check::log_has(
        driver,
        crosstalk_e2e::check::Want {
            kind: Some("join"),
            payload_has: Some("加入了频道"),
            ..Default::default()
        },
    )
    .await;
    let detail = text_of(driver, "status-detail").await.unwrap_or_default();
    assert!(detail.contains("在频道"), "the status detail in 中文: {detail}");
    // And its sequence diagram.
    let diagram = text_of(driver, "diagram").await.unwrap_or_default();
    assert!(diagram.contains("其他标签页") && !diagram.contains("other tabs"), "{diagram}");
    assert_ne!(english, chinese);
    for &(path, _, chinese, _) in LESSONS {
        browser.open(path).await;
        lead_says(driver, path, chinese).await;
    }
    choose(driver, "lang", "en").await;
    let (last, english, _, _) = LESSONS[LESSONS.len() - 1];
    lead_says(driver, last, english).await;
    browser.quit().await;
}
