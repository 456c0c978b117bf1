//! Colour contrast in every engine: axe-core's `color-contrast` rule finds nothing on any page a
//! reader opens, in English and in 中文. Native controls are drawn by each engine its own way
//! (WebKitGTK's light `<select>` once hid the language picker's text), so this runs in all three.

use crosstalk_e2e::axe;
use crosstalk_e2e::session::Browser;

#[tokio::test(flavor = "multi_thread")]
async fn every_page_in_both_languages_has_enough_contrast() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let source = axe::source();
    let mut found = Vec::new();
    for page in crosstalk_protocol::catalog::reader_pages() {
        for lang in ["en", "zh"] {
            browser.open(&format!("{page}?lang={lang}")).await;
            for (rule, count, _, what) in axe::violations(driver, &source, Some("color-contrast")).await {
                found.push(format!("{page} ({lang}): {rule} on {count}: {what}"));
            }
        }
    }
    assert!(found.is_empty(), "in {}:\n{}", browser.engine().name(), found.join("\n"));
    // The rule does run: a page made unreadable on purpose is caught.
    browser.open("/?lang=en").await;
    driver
        .execute("document.querySelector('main').style.color = '#fefefe';", Vec::new())
        .await
        .expect("fade the text");
    let faded = axe::violations(driver, &source, Some("color-contrast")).await;
    assert!(faded.iter().any(|v| v.0 == "color-contrast"), "{faded:?}");
    browser.quit().await;
}
