//! The message log every route shows: its export, on every route.

use crosstalk_e2e::check::{csp_violations, exported_log, log_lines, state_becomes};
use crosstalk_e2e::session::Browser;

#[tokio::test(flavor = "multi_thread")]
async fn every_routes_log_exports_as_json_entry_for_entry() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    // Proven marks: a route whose API this engine lacks says `unsupported` instead.
    for (path, ready) in crosstalk_e2e::mark::every_route_here(&browser).await {
        browser.open(path).await;
        state_becomes(driver, "status", ready).await;
        let shown = log_lines(driver).await;
        let (name, export) = exported_log(driver).await;
        assert_eq!(export["route"], path, "{name}");
        let entries = export["entries"].as_array().expect("entries");
        // The log may grow between the two looks (a greeting, a tick): the export is never behind.
        assert!(entries.len() >= shown.len(), "{path}: {} exported, {} shown", entries.len(), shown.len());
        for (exported, line) in entries.iter().zip(&shown) {
            assert_eq!(
                (exported["dir"].as_str(), exported["kind"].as_str()),
                (Some(&*line.dir), Some(&*line.kind)),
                "{path}"
            );
        }
        assert_eq!(csp_violations(driver).await, 0, "{path}: the export trips no policy");
    }
    browser.quit().await;
}
