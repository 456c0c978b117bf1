//! `cargo xtask capabilities`: `/capabilities` in every engine, and the matrix they answered
//! written into `docs/capabilities.md` — probe by engine, each "no" with its reason — where QA
//! readers look first.

use std::fmt::Write as _;
use std::path::Path;

use crate::e2e::end_to_end;
use crate::run::{fail, Result};
use crate::tools::{self, Engine};
use crate::{build_release, root};

/// The page the matrix is written to.
const PAGE: &str = "docs/capabilities.md";

/// What each engine is called in the table: what it is here, not what it stands for.
fn column(engine: Engine) -> &'static str {
    match engine {
        Engine::Chromium => "Chromium (Debian)",
        Engine::Firefox => "Firefox ESR (Debian)",
        Engine::WebKit => "WebKitGTK (Debian)",
    }
}

pub(crate) fn capabilities() -> Result<()> {
    let root = root();
    tools::ensure_build_tools(&root)?;
    let browsers = Engine::KNOWN.iter().map(|e| tools::ensure_browser(*e)).collect::<Result<Vec<_>>>()?;
    tools::ensure_redis()?;
    build_release(&root)?;
    crate::dist::build_binary(&root)?;
    let (mut found, mut found_isolated) = (Vec::new(), Vec::new());
    for browser in &browsers {
        let engine = browser.engine;
        let kept = root.join("target").join(format!("capabilities-{}.json", engine.name()));
        let _ = std::fs::remove_file(&kept);
        // The capability test asserts what each engine does, and keeps what it saw.
        let (_, result) = end_to_end(&root, browser, &["every_probe_answers".to_owned()]);
        result?;
        let json = read_kept(&kept, engine)?;
        let isolated = read_kept(
            &root.join("target").join(format!("capabilities-{}-isolated.json", engine.name())),
            engine,
        )?;
        found.push((engine, json));
        found_isolated.push((engine, isolated));
    }
    let mut page = matrix(&found);
    page.push_str(
        "\n## On the isolated origin\n\n`/atomics` is served from an origin of its own with COOP and \
         COEP. There, isolation holds in every engine, and shared memory is there where the engine has \
         it.\n\n",
    );
    page.push_str(&table(&found_isolated));
    std::fs::write(root.join(PAGE), page).or_else(|e| fail(format!("cannot write {PAGE}: {e}")))?;
    println!("{}", Path::new(PAGE).display());
    Ok(())
}

/// What the capability test kept for `engine` in `kept`.
fn read_kept(kept: &Path, engine: Engine) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(kept).or_else(|e| {
        fail(format!("{}: the test kept no findings in {} ({e})", engine.name(), kept.display()))
    })?;
    serde_json::from_str(&text).or_else(|e| fail(format!("{}: {e}", kept.display())))
}

/// The table: a row per probe, a column per engine; "yes", or "no" and why.
fn matrix(found: &[(Engine, serde_json::Value)]) -> String {
    let mut page = String::from(
        "# What each engine can do\n\n\
         `/capabilities` as each engine here answered it, probe by probe (made by `cargo xtask \
         capabilities`; the end-to-end test behind it asserts every answer). These are the Debian \
         builds the tests run: WebKitGTK is WebKit, not Safari, which has both WebRTC and \
         SharedArrayBuffer. Served on `127.0.0.1`: a secure context, not cross-origin isolated \
         (`/atomics` lives on its own isolated origin).\n\n",
    );
    page.push_str(&table(found));
    page
}

/// A row per probe, a column per engine.
fn table(found: &[(Engine, serde_json::Value)]) -> String {
    let mut page = String::new();
    let header: Vec<&str> = found.iter().map(|(e, _)| column(*e)).collect();
    let _ = writeln!(page, "| probe | {} |", header.join(" | "));
    let _ = writeln!(page, "|---|{}", "---|".repeat(found.len()));
    let rows = |json: &serde_json::Value| json["capabilities"].as_array().cloned().unwrap_or_default();
    let first = found.first().map(|(_, json)| rows(json)).unwrap_or_default();
    for (at, row) in first.iter().enumerate() {
        let slug = row["slug"].as_str().unwrap_or("?");
        let cells: Vec<String> = found
            .iter()
            .map(|(_, json)| {
                let theirs = rows(json).get(at).cloned().unwrap_or_default();
                match theirs["supported"].as_bool() {
                    Some(true) => "yes".to_owned(),
                    Some(false) => {
                        format!("**no**: {}", theirs["note"].as_str().unwrap_or("").replace('|', "\\|"))
                    }
                    None => "?".to_owned(),
                }
            })
            .collect();
        let _ = writeln!(page, "| `{slug}` | {} |", cells.join(" | "));
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_has_a_column_per_engine_and_says_why_for_each_no() {
        let answer = |supported: bool, note: &str| serde_json::json!({ "capabilities": [{ "slug": "rtc-data-channel", "supported": supported, "note": note }] });
        let page = matrix(&[
            (Engine::Chromium, answer(true, "made")),
            (Engine::WebKit, answer(false, "no RTCPeerConnection | here")),
        ]);
        assert!(page.contains("| probe | Chromium (Debian) | WebKitGTK (Debian) |"), "{page}");
        assert!(
            page.contains("| `rtc-data-channel` | yes | **no**: no RTCPeerConnection \\| here |"),
            "{page}"
        );
    }
}
