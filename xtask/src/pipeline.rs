//! `cargo xtask test`: every stage in order (native, wasm, build, end-to-end per engine), and
//! the summary that CI reads.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::e2e::{end_to_end, Scratch};
use crate::run::{fail, run_tests, Counts, Result};
use crate::tools::{self, cargo, Browser, Engine};
use crate::{build_release, root, took};

pub(crate) enum Outcome {
    Ok,
    Failed(String),
    Skipped(&'static str),
}

pub(crate) struct StageReport {
    name: &'static str,
    outcome: Outcome,
    counts: Option<Counts>,
    took: Duration,
}

/// `cargo fmt --check`, then clippy with warnings as errors, natively and for the wasm crates.
fn lint(root: &Path) -> Result<()> {
    let cargo_in = |args: &[&str]| {
        let mut command = Command::new(cargo());
        command.args(args).current_dir(root);
        command
    };
    crate::run::run(&mut cargo_in(&["fmt", "--all", "--check"]))?;
    crate::run::run(&mut cargo_in(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    let wasm = ["-p", "crosstalk", "-p", "crosstalk-workers", "-p", "crosstalk-glue", "--all-targets"];
    let mut command = cargo_in(&["clippy", "--target", tools::WASM_TARGET]);
    crate::run::run(command.args(wasm).args(["--", "-D", "warnings"]))
}

/// Runs one stage and records how it went.
pub(crate) fn stage(
    reports: &mut Vec<StageReport>,
    name: &'static str,
    body: impl FnOnce() -> (Option<Counts>, Result<()>),
) -> bool {
    eprintln!("\nxtask: ── {name} ──");
    let started = Instant::now();
    let (counts, result) = body();
    let ok = result.is_ok();
    let outcome = match result {
        Ok(()) => Outcome::Ok,
        Err(failure) => {
            let message = failure.to_string();
            eprintln!("xtask: {name} failed: {message}");
            Outcome::Failed(message)
        }
    };
    reports.push(StageReport { name, outcome, counts, took: started.elapsed() });
    ok
}

pub(crate) fn skip(reports: &mut Vec<StageReport>, name: &'static str, why: &'static str) {
    reports.push(StageReport { name, outcome: Outcome::Skipped(why), counts: None, took: Duration::ZERO });
}

/// `cargo xtask test`: every stage, or with `quick` the native and wasm tests only.
pub(crate) fn test(engines: Vec<Engine>, quick: bool) -> Result<()> {
    let root = root();
    let mut reports = Vec::new();
    let engines = if quick { Vec::new() } else { engines };

    // Lint as the field does, first: a format slip or a clippy warning fails the run in seconds.
    match quick {
        true => skip(&mut reports, "lint", "--quick"),
        false => drop(stage(&mut reports, "lint", || (None, lint(&root)))),
    }

    stage(&mut reports, "native", || {
        let redis = match tools::ensure_redis() {
            Ok(redis) => redis,
            Err(e) => return (None, Err(e)),
        };
        let (counts, result) = run_tests(
            Command::new(cargo())
                .args(["test", "--no-fail-fast", "--workspace", "--exclude", "crosstalk-e2e"])
                .env("CROSSTALK_REDIS_SERVER", redis)
                .current_dir(&root),
        );
        (Some(counts), result)
    });

    // Chromium always: the wasm-bindgen tests run in it. Firefox when its e2e run is asked for.
    let mut browsers = Vec::new();
    let tools_ok = stage(&mut reports, "setup", || {
        let mut wanted = vec![Engine::Chromium];
        wanted.extend(engines.iter().copied().filter(|e| *e != Engine::Chromium));
        let result = tools::ensure_build_tools(&root).and_then(|()| {
            wanted.into_iter().try_for_each(|e| tools::ensure_browser(e).map(|b| browsers.push(b)))
        });
        (None, result)
    });
    let e2e_stages: Vec<(&'static str, Option<&Browser>)> = engines
        .iter()
        .map(|engine| (e2e_stage(*engine), browsers.iter().find(|b| b.engine == *engine)))
        .collect();

    match browsers.first().filter(|_| tools_ok) {
        Some(chromium) => {
            stage(&mut reports, "wasm", || wasm_tests(&root, chromium));
            if quick {
                skip(&mut reports, "build", "--quick");
                skip(&mut reports, "e2e", "--quick");
                return finish(reports);
            }
            // The suite, then the one-file server with it inside (the e2e stage serves from both).
            let built = stage(&mut reports, "build", || {
                (None, build_release(&root).and_then(|()| crate::dist::build_binary(&root).map(|_| ())))
            });
            // One engine after the other: two browsers at once on two cores slow both.
            for (name, browser) in e2e_stages {
                match (built, browser) {
                    (true, Some(browser)) => {
                        stage(&mut reports, name, || end_to_end(&root, browser, &[]));
                    }
                    (false, _) => skip(&mut reports, name, "the release build failed"),
                    (true, None) => skip(&mut reports, name, "setup failed"),
                }
            }
        }
        None => {
            for name in ["wasm", "build"].into_iter().chain(e2e_stages.iter().map(|(n, _)| *n)) {
                skip(&mut reports, name, "setup failed");
            }
        }
    }

    finish(reports)
}

/// The summary, a line per stage and the total; fails unless every stage passed (or `--quick`
/// left it out).
fn finish(reports: Vec<StageReport>) -> Result<()> {
    let mut total = Counts::default();
    eprintln!();
    for report in &reports {
        let counts = report.counts.map(|c| {
            total.add(c);
            format!("{} passed, {} failed", c.passed, c.failed)
        });
        let (word, why) = match &report.outcome {
            Outcome::Ok => ("ok", String::new()),
            Outcome::Failed(message) => ("FAILED", format!("  {message}")),
            Outcome::Skipped(why) => ("skipped", format!("  {why}")),
        };
        println!(
            "summary: {:<12} {:<8} {:<22} {:>7}{}",
            report.name,
            word,
            counts.unwrap_or_default(),
            took(report.took),
            why
        );
    }
    println!("{} passed, {} failed", total.passed, total.failed);
    if reports.iter().all(|r| matches!(r.outcome, Outcome::Ok | Outcome::Skipped("--quick"))) {
        Ok(())
    } else {
        fail("some stages did not pass (see the summary above)")
    }
}

/// The summary's name for an engine's end-to-end stage.
pub(crate) fn e2e_stage(engine: Engine) -> &'static str {
    match engine {
        Engine::Chromium => "e2e chromium",
        Engine::Firefox => "e2e firefox",
        Engine::WebKit => "e2e webkit",
    }
}

/// wasm-bindgen tests: the library's browser-facing code in headless Chromium.
pub(crate) fn wasm_tests(root: &Path, browser: &Browser) -> (Option<Counts>, Result<()>) {
    let (config, scratch) =
        match write_webdriver_json(root, browser).and_then(|c| Ok((c, Scratch::new("wasm")?))) {
            Ok(both) => both,
            Err(e) => return (None, Err(e)),
        };
    let (counts, result) = run_tests(
        Command::new(cargo())
            .args(["test", "-p", "crosstalk", "--target", tools::WASM_TARGET, "--test", "web"])
            .env("CHROMEDRIVER", &browser.driver)
            .env("TMPDIR", scratch.path())
            .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", &config)
            .current_dir(root),
    );
    (Some(counts), result)
}

/// The capabilities wasm-bindgen-test-runner passes to chromedriver: Debian's Chromium, headless,
/// and none of the background traffic that would try to reach the closed network.
pub(crate) fn write_webdriver_json(root: &Path, browser: &Browser) -> Result<PathBuf> {
    let dir = root.join("target").join("xtask");
    let path = dir.join("webdriver.json");
    let json = serde_json::json!({
        "goog:chromeOptions": { "binary": browser.binary, "args": browser.engine.args() }
    })
    .to_string();
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, json))
        .or_else(|e| fail(format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wasm_runner_is_given_chromium_its_path_and_flags_as_json() {
        let root = tempfile::tempdir().unwrap();
        let binary = PathBuf::from("/opt/a \"quoted\" chromium");
        let browser = Browser { engine: Engine::Chromium, binary: binary.clone(), driver: PathBuf::new() };
        let path = write_webdriver_json(root.path(), &browser).unwrap();
        let written: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let options = &written["goog:chromeOptions"];
        assert_eq!(options["binary"], binary.to_str().unwrap());
        assert_eq!(options["args"], serde_json::json!(Engine::Chromium.args()));
    }
}
