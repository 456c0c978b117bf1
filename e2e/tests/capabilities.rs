//! `/capabilities` in each engine: every probe answers with what that browser really does.

use crosstalk_e2e::check::{csp_violations, exported_file, state_becomes};
use crosstalk_e2e::find::testid;
use crosstalk_e2e::session::{Browser, Engine};
use thirtyfour::prelude::*;

#[tokio::test(flavor = "multi_thread")]
async fn every_probe_answers_with_what_the_engine_really_does() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    browser.open("/capabilities").await;
    state_becomes(driver, "status", "done").await;
    let mut seen = Vec::new();
    for row in driver.find_all(testid("capability")).await.expect("the rows") {
        let slug = row.attr("data-capability").await.ok().flatten().unwrap_or_default();
        let supported = row.attr("data-supported").await.ok().flatten().unwrap_or_default();
        let note = row.find(By::Css(".note")).await.expect("a note").text().await.unwrap_or_default();
        seen.push((slug, supported, note));
    }
    // Checked in each engine on this machine (Chromium 156, Firefox ESR 153, WebKitGTK 2.50): the
    // same answers but one, in each engine's own words (the quota's size and the clone error's
    // message differ).
    let expected = [
        // The suite is served on 127.0.0.1 here: a secure context without https.
        ("secure-context", "yes", "isSecureContext is true"),
        ("broadcast-channel", "yes", "function"),
        ("shared-worker", "yes", "function"),
        ("service-worker", "yes", "navigator.serviceWorker"),
        // Never opened /service-worker in this session.
        ("service-worker-control", "no", "not controlled"),
        ("module-worker", "yes", "read"),
        ("web-locks", "yes", "navigator.locks"),
        ("locks-query", "yes", "held and pending"),
        ("local-storage", "yes", "written and removed"),
        ("indexeddb", "yes", "opened"),
        ("storage-quota", "yes", "QuotaExceededError"),
        // Served without COOP and COEP headers.
        ("cross-origin-isolated", "no", "COOP and COEP"),
        // Only the isolated origin has shared memory (e2e/tests/atomics.rs looks there).
        ("shared-array-buffer", "no", "not cross-origin isolated"),
        ("atomics-wait-async", "yes", "function"),
        ("websocket", "yes", "function"),
        // WebKitGTK (Debian) has no WebRTC at all; Safari does.
        match browser.engine() {
            Engine::WebKit => ("rtc-data-channel", "no", "no RTCPeerConnection"),
            _ => ("rtc-data-channel", "yes", "RTCDataChannel was made"),
        },
        ("transfer-port", "yes", "1 port"),
        ("clone-map", "yes", "Map"),
        ("clone-date", "yes", "same time"),
        ("clone-blob", "yes", "3 bytes"),
        ("transfer-array-buffer", "yes", "detached"),
        ("clone-function", "yes", "DataCloneError"),
        ("broadcast-clone-map", "yes", "Map"),
    ];
    assert_eq!(seen.len(), expected.len(), "{seen:?}");
    for ((slug, supported, note), (want_slug, want, want_note)) in seen.iter().zip(expected) {
        assert_eq!((slug.as_str(), supported.as_str()), (want_slug, want), "{note}");
        assert!(note.contains(want_note), "{slug}: {note:?} should say {want_note:?}");
    }

    let (name, export) = exported_file(driver, "capabilities-export").await;
    assert_eq!(name, "crosstalk-capabilities.json");
    let rows = export["capabilities"].as_array().expect("rows");
    assert_eq!(rows.len(), seen.len());
    for (row, (slug, supported, _)) in rows.iter().zip(&seen) {
        assert_eq!(row["slug"].as_str(), Some(slug.as_str()));
        assert_eq!(row["supported"].as_bool(), Some(supported == "yes"), "{row}");
    }
    let engine = match browser.engine() {
        Engine::Chromium => "Chrome/",
        Engine::Firefox => "Firefox/",
        Engine::WebKit => "AppleWebKit/",
    };
    assert!(export["user_agent"].as_str().is_some_and(|ua| ua.contains(engine)), "{export}");
    // The matrix as this engine answered, for docs/capabilities.md (cargo xtask capabilities).
    let kept = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../target/capabilities-{}.json", browser.engine().name()));
    let _ = std::fs::write(kept, export.to_string());
    // The quota probe leaves nothing behind.
    let left = driver.execute(
        "return Object.keys(localStorage).filter((k) => k.startsWith('crosstalk:')).length",
        Vec::new(),
    );
    assert_eq!(left.await.expect("a count").json().as_u64(), Some(0));
    assert_eq!(csp_violations(driver).await, 0);

    // The isolated origin (`/atomics`'): isolation in every engine, and shared memory where the
    // engine has it (WebKitGTK (Debian) has none even there; Safari has).
    browser.goto(&format!("{}/capabilities", browser.isolated_origin())).await;
    browser.rendered().await;
    state_becomes(driver, "status", "done").await;
    let mut isolated = Vec::new();
    for slug in ["cross-origin-isolated", "shared-array-buffer", "atomics-wait-async"] {
        let row = driver
            .find(By::Css(format!(r#"[data-testid="capability"][data-capability="{slug}"]"#)))
            .await
            .expect("a row");
        let supported = row.attr("data-supported").await.ok().flatten().unwrap_or_default();
        let note = row.find(By::Css(".note")).await.expect("a note").text().await.unwrap_or_default();
        let want = match (slug, browser.engine()) {
            ("shared-array-buffer", Engine::WebKit) => "no",
            _ => "yes",
        };
        assert_eq!(supported, want, "{slug} on the isolated origin: {note}");
        if supported == "no" {
            assert!(
                note.contains("this browser has no SharedArrayBuffer"),
                "the browser is the cause: {note}"
            );
        }
        isolated.push(serde_json::json!({ "slug": slug, "supported": supported == "yes", "note": note }));
    }
    let kept = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../target/capabilities-{}-isolated.json", browser.engine().name()));
    let _ = std::fs::write(kept, serde_json::json!({ "capabilities": isolated }).to_string());
    browser.quit().await;
}
