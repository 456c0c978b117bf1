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

/// What a page shows in 中文 that was never translated: a text, an option or an attribute a reader
/// meets (`placeholder`, `title`, `alt`, `aria-*`) with English words and no Chinese. Code, the log
/// (the reader's data, shown as it came) and marked names (`translate="no"`) are not words to
/// translate; nor are API names (`BroadcastChannel`, `ifAvailable`), found by their shape, and the
/// few below.
const ENGLISH_WORDS: &str = r#"
    const allowed = new Set(arguments[0].map(word => word.toLowerCase()));
    // Not words to translate: code, the log and the inspector's timeline (the reader's data, as it
    // came), a diagram (message kinds and contexts, as the protocol spells them), a capability
    // probe's note (the browser's own answer, quoted) and the machine state shown as its hook word.
    const data = 'code, pre, script, style, noscript, [translate="no"], [data-testid="log"],'
        + ' [data-testid="timeline"], [data-testid="lesson-code"], [data-testid="diagram"], td.note';
    const skip = data + ', input, textarea';
    const found = [];
    // A fragment in 中文 may name an API in English ("Worker 端口"); one with no Chinese at all
    // (punctuation included) and an English word in it was never translated.
    const look = (text, where) => {
        if (/[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]/.test(text)) return;
        // A path (`/service-worker`) and an API's member (`clients.claim()`) are code.
        const prose = text.replace(/(^|\s|\()\/[\w\/.?=&-]*/g, ' ');
        const words = (prose.match(/[A-Za-z][A-Za-z0-9_']*(?:\.[A-Za-z_]\w*|\(\))*/g) || [])
            .filter(word => word.length >= 3 && !/[a-z][A-Z]|[._(\d]/.test(word)
                && !/^[A-Z0-9]+$/.test(word) && !allowed.has(word.toLowerCase()));
        if (words.length > 0) found.push(where + ': "' + text.trim().slice(0, 90) + '"');
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const parent = node.parentElement;
        if (!parent || parent.closest(skip) || /^\s*$/.test(node.data)) continue;
        look(node.data, parent.closest('[data-testid]')?.dataset.testid || parent.tagName.toLowerCase());
    }
    const said = ['placeholder', 'title', 'alt', 'aria-label', 'aria-description', 'aria-valuetext',
                  'aria-roledescription', 'aria-placeholder'];
    for (const element of document.body.querySelectorAll('*')) {
        if (element.closest(data)) continue;
        for (const attribute of element.attributes) {
            if (!said.includes(attribute.name)) continue;
            look(attribute.value, (element.dataset.testid || element.tagName.toLowerCase()) + '[' + attribute.name + ']');
        }
    }
    return found;"#;

/// Names that are the same in every language: the product, APIs and protocols written as words,
/// units, and the values a control sends (a lock mode, an option the API takes).
const SAME_IN_EVERY_LANGUAGE: &[&str] = &[
    "crosstalk",
    "https",
    "http",
    "localhost",
    "wasm",
    "KiB",
    "MiB",
    "Worker",
    "Service",
    "WebSocket",
    "WebRTC",
    "IndexedDB",
    "Chrome",
    "Firefox",
    "Safari",
];

async fn english_words(driver: &WebDriver) -> Vec<String> {
    let allowed = serde_json::json!(SAME_IN_EVERY_LANGUAGE);
    let found = driver.execute(ENGLISH_WORDS, vec![allowed]).await.expect("read the page's words");
    found.convert().expect("a list of findings")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_in_chinese_shows_no_english_words_in_its_text_options_or_attributes() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let mut found = Vec::new();
    for page in crosstalk_protocol::catalog::reader_pages() {
        browser.open(&format!("{page}?lang=zh")).await;
        for word in english_words(driver).await {
            found.push(format!("{page}: {word}"));
        }
    }
    assert!(found.is_empty(), "English in 中文 ({} places):\n{}", found.len(), found.join("\n"));
    // The check does look: an English title put on the page is caught.
    driver
        .execute("document.querySelector('main').setAttribute('title', 'Message log')", Vec::new())
        .await
        .expect("add an English title");
    let caught = english_words(driver).await;
    assert!(caught.iter().any(|f| f.contains("\"Message log\"")), "{caught:?}");
    choose(driver, "lang", "en").await;
    browser.quit().await;
}
