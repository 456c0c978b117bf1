//! `cargo xtask audit`'s browser half: for each route and language, in a fresh profile (an empty
//! cache), what the first load transfers, what a second tab of the same route then transfers, and
//! axe-core's violations on the running page; with `CROSSTALK_AUDIT_AXE_ONLY`, axe alone (the
//! run in Firefox and WebKit). Writes JSON to `CROSSTALK_AUDIT_OUT`; `xtask`
//! serves the suite, starts chromedriver, runs Lighthouse beside this and prints the table.
//!
//! axe is injected through WebDriver, which the page's CSP does not govern (a `<script>` would be
//! refused, rightly).

use crosstalk_e2e::check::{eventually, transfers};
use crosstalk_e2e::session::Browser;
use serde::Serialize;
use thirtyfour::prelude::*;

#[derive(Serialize)]
struct Audit {
    route: String,
    lang: String,
    first_load_bytes: u64,
    second_load_bytes: u64,
    /// What a second tab still fetched (name, bytes): nothing but its HTML is the goal.
    second_load_fetched: Vec<(String, u64)>,
    /// axe's violations: rule, how many elements, impact, what it wants.
    axe: Vec<(String, u64, String, String)>,
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run `cargo xtask audit`"))
}

/// Waits until the page has loaded everything it asked for at start (the app's words included).
async fn settled(driver: &WebDriver) {
    eventually("the page to finish loading", async || {
        let done = driver.execute("return document.readyState === 'complete'", Vec::new()).await;
        match done.map(|v| v.json().as_bool()) {
            Ok(Some(true)) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
}

#[tokio::main]
async fn main() {
    let axe_source = std::fs::read_to_string(env("CROSSTALK_AXE_SCRIPT")).expect("axe-core's script");
    let mut audits = Vec::new();
    if std::env::var("CROSSTALK_AUDIT_AXE_ONLY").is_ok() {
        // Firefox and WebKit: axe alone (each engine draws native controls its own way), in one
        // session; the loads are Chromium's half.
        let browser = Browser::start().await;
        for route in env("CROSSTALK_AUDIT_ROUTES").split_whitespace() {
            for lang in ["en", "zh"] {
                browser.open(&format!("{route}?lang={lang}")).await;
                settled(&browser.driver).await;
                let axe = crosstalk_e2e::axe::violations(&browser.driver, &axe_source, None).await;
                eprintln!("audit: {route} ({lang}) in {}: {} axe rules", browser.engine().name(), axe.len());
                let (route, lang) = (route.to_owned(), lang.to_owned());
                audits.push(Audit {
                    route,
                    lang,
                    first_load_bytes: 0,
                    second_load_bytes: 0,
                    second_load_fetched: Vec::new(),
                    axe,
                });
            }
        }
        browser.quit().await;
        let out = env("CROSSTALK_AUDIT_OUT");
        std::fs::write(&out, serde_json::to_string_pretty(&audits).expect("JSON"))
            .expect("the audit's JSON written");
        return;
    }
    for route in env("CROSSTALK_AUDIT_ROUTES").split_whitespace() {
        for lang in ["en", "zh"] {
            // A session of its own: a fresh profile, so the first load finds an empty cache.
            let browser = Browser::start().await;
            let driver = &browser.driver;
            browser.open(&format!("{route}?lang={lang}")).await;
            settled(driver).await;
            let first: u64 = transfers(driver).await.iter().map(|t| t.1).sum();
            let violations = crosstalk_e2e::axe::violations(driver, &axe_source, None).await;
            browser.open_tab(route).await;
            settled(driver).await;
            let second = transfers(driver).await;
            let second_load_bytes = second.iter().map(|t| t.1).sum();
            let fetched = second.into_iter().skip(1).filter(|t| t.1 > 0).map(|t| (t.0, t.1)).collect();
            eprintln!(
                "audit: {route} ({lang}): {first} B, then {second_load_bytes} B; {} axe rules",
                violations.len()
            );
            audits.push(Audit {
                route: route.to_owned(),
                lang: lang.to_owned(),
                first_load_bytes: first,
                second_load_bytes,
                second_load_fetched: fetched,
                axe: violations,
            });
            browser.quit().await;
        }
    }
    let out = env("CROSSTALK_AUDIT_OUT");
    std::fs::write(&out, serde_json::to_string_pretty(&audits).expect("JSON"))
        .expect("the audit's JSON written");
}
