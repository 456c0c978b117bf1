//! `cargo xtask dev --measure`'s browser half: how long an edit takes to show in an open tab of
//! the dev loop. `xtask` runs the dev server and trunk's watch, and starts the driver.
//!
//! Two edits, three times each: a string literal in `src/pages/broadcast.rs` (a Rust rebuild) and
//! a value in `static/i18n/en.json` (the words; a rebuild too, since `build.rs` reads them). Each
//! is timed from the file's write to its text in the tab, which nobody reloads: the tab reloads
//! itself (`src/dev_reload.rs`). Every file is put back as it was, also when a run fails.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crosstalk_e2e::check::state_becomes;
use crosstalk_e2e::session::Browser;

/// Runs per edit; the median is the figure.
const RUNS: usize = 3;
/// An edit that has not shown by then is a failed loop, not a slow one.
const GIVE_UP: Duration = Duration::from_secs(300);

/// A file with one text in it replaced, put back when dropped.
struct Edited {
    path: PathBuf,
    original: Vec<u8>,
}

impl Edited {
    fn replace(path: &Path, from: &str, to: &str) -> Edited {
        let original = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let text = String::from_utf8_lossy(&original);
        assert!(text.matches(from).count() == 1, "{} holds {from:?} exactly once", path.display());
        std::fs::write(path, text.replacen(from, to, 1))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Edited { path: path.to_owned(), original }
    }
}

impl Drop for Edited {
    fn drop(&mut self) {
        if let Err(e) = std::fs::write(&self.path, &self.original) {
            eprintln!("dev-loop: could not put {} back: {e}", self.path.display());
        }
    }
}

/// Whether the open tab shows `text`, in its words or its attributes (the literal is the channel
/// field's accessible name); a tab in the middle of reloading shows nothing.
async fn shows(browser: &Browser, text: &str) -> bool {
    let script = "return document.body ? document.body.outerHTML : '';";
    let shown = browser.driver.execute(script, Vec::new()).await;
    shown.ok().and_then(|v| v.json().as_str().map(|t| t.contains(text))).unwrap_or(false)
}

/// Polls until the tab's text does (or, `gone`, no longer does) contain `text`.
async fn until(browser: &Browser, text: &str, gone: bool) -> Duration {
    let started = Instant::now();
    while shows(browser, text).await == gone {
        assert!(
            started.elapsed() < GIVE_UP,
            "{text:?} still {} after {GIVE_UP:?}",
            if gone { "shown" } else { "not shown" }
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    started.elapsed()
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

#[tokio::main]
async fn main() {
    let root = PathBuf::from(std::env::var("CROSSTALK_ROOT").expect("CROSSTALK_ROOT"));
    let browser = Browser::start().await;
    browser.open("/broadcast").await;
    state_becomes(&browser.driver, "status", "joined").await;
    let edits: [(&str, PathBuf, &str); 2] = [
        (
            "a literal in src/pages/broadcast.rs",
            root.join("src/pages/broadcast.rs"),
            r#"class="panel store-form""#,
        ),
        ("a value in static/i18n/en.json", root.join("static/i18n/en.json"), r#"joins the new one.""#),
    ];
    let mut report = Vec::new();
    for (what, path, from) in &edits {
        let mut runs = Vec::new();
        for run in 1..=RUNS {
            let marker = format!("dev-loop-{}-{run}", report.len() + 1);
            // Each edit ends at a closing quote: the marker goes just inside it.
            let to = format!("{} {marker}\"", from.trim_end_matches('"'));
            let edited = Edited::replace(path, from, &to);
            let took = until(&browser, &marker, false).await;
            eprintln!("dev-loop: {what}, run {run}: shown after {:.1} s", took.as_secs_f64());
            runs.push(took);
            drop(edited);
            until(&browser, &marker, true).await;
        }
        report.push((what, median(runs)));
    }
    for (what, took) in &report {
        println!(
            "dev-loop: {what}: median of {RUNS}, {:.1} s from the write to the open tab",
            took.as_secs_f64()
        );
    }
    browser.quit().await;
}
