//! `cargo xtask audit [PATH…]`: Lighthouse 12 (mobile profile, its default throttling) and
//! axe-core on every page a reader opens, in English and in 中文, against the release build served
//! as `serve` serves it, in the Chromium the tests use. Prints per page the four scores, largest
//! contentful paint, total blocking time, what a first and a second load transfer, and axe's
//! violations by rule; writes everything to `target/audit.json` (Lighthouse's own reports beside
//! it, in `target/audit/`). Figures are printed against the targets, not asserted.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

use crate::run::{fail, output_of, run, Result};
use crate::tools::Engine;

pub const LIGHTHOUSE_VERSION: &str = "12.2.3";
pub const AXE_VERSION: &str = "4.10.3";

/// Where the pinned Lighthouse and axe-core live, shared by every clone on the machine.
pub fn tools_dir() -> PathBuf {
    crate::tools::cache_dir().join(format!("audit-lighthouse-{LIGHTHOUSE_VERSION}-axe-{AXE_VERSION}"))
}

/// Installs Lighthouse and axe-core with npm, pinned, when they are missing (about 10 s).
pub fn ensure_tools() -> Result<PathBuf> {
    let dir = tools_dir();
    let installed = |name: &str, version: &str| {
        std::fs::read_to_string(dir.join("node_modules").join(name).join("package.json"))
            .ok()
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            .is_some_and(|package| package["version"] == version)
    };
    if installed("lighthouse", LIGHTHOUSE_VERSION) && installed("axe-core", AXE_VERSION) {
        return Ok(dir);
    }
    if output_of("npm", &["--version"]).is_none() {
        return fail(
            "npm is needed to install Lighthouse and axe-core: install Node.js and npm (apt-get install npm)",
        );
    }
    eprintln!(
        "xtask: installing lighthouse@{LIGHTHOUSE_VERSION} and axe-core@{AXE_VERSION} (npm) into {}",
        dir.display()
    );
    std::fs::create_dir_all(&dir).or_else(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
    run(Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--save-exact", "--prefix"])
        .arg(&dir)
        .arg(format!("lighthouse@{LIGHTHOUSE_VERSION}"))
        .arg(format!("axe-core@{AXE_VERSION}")))?;
    Ok(dir)
}

/// Lighthouse runs per page; the one with the median performance score is reported.
pub const RUNS: usize = 3;

/// The run with the median performance score (the first of several at the median).
pub fn median_run(mut runs: Vec<Lighthouse>) -> Lighthouse {
    runs.sort_by(|a, b| a.scores[0].unwrap_or(0.0).total_cmp(&b.scores[0].unwrap_or(0.0)));
    let middle = runs.len() / 2;
    runs.into_iter().nth(middle).unwrap_or_default()
}

/// The targets (issue 24), as the table marks them.
pub const FIRST_LOAD_HOME: f64 = 150_000.0;
pub const FIRST_LOAD_ANY: f64 = 250_000.0;
pub const PERFORMANCE: f64 = 95.0;
pub const LCP_MS: f64 = 2_000.0;
pub const TBT_MS: f64 = 100.0;

/// What Lighthouse found on one page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lighthouse {
    /// performance, accessibility, best practices, SEO, out of 100.
    pub scores: [Option<f64>; 4],
    pub lcp_ms: Option<f64>,
    pub tbt_ms: Option<f64>,
    pub bytes: Option<f64>,
    /// The audits that cost points outside performance: `category: audit id`.
    pub failing: Vec<String>,
}

const CATEGORIES: [&str; 4] = ["performance", "accessibility", "best-practices", "seo"];

/// Reads a Lighthouse JSON report.
pub fn read_lighthouse(report: &Value) -> Lighthouse {
    let number = |audit: &str| report["audits"][audit]["numericValue"].as_f64();
    let scores = CATEGORIES.map(|c| report["categories"][c]["score"].as_f64().map(|s| (s * 100.0).round()));
    let mut failing = Vec::new();
    for category in &CATEGORIES[1..] {
        for reference in report["categories"][category]["auditRefs"].as_array().into_iter().flatten() {
            let id = reference["id"].as_str().unwrap_or_default();
            let weighted = reference["weight"].as_f64().unwrap_or(0.0) > 0.0;
            if weighted && report["audits"][id]["score"].as_f64().is_some_and(|s| s < 1.0) {
                failing.push(format!("{category}: {id}"));
            }
        }
    }
    Lighthouse {
        scores,
        lcp_ms: number("largest-contentful-paint"),
        tbt_ms: number("total-blocking-time"),
        bytes: number("total-byte-weight"),
        failing,
    }
}

/// Runs Lighthouse on `url`, its report written to `out`.
pub fn lighthouse(
    dir: &Path,
    chromium: &Path,
    chrome_flags: &str,
    url: &str,
    out: &Path,
) -> Result<Lighthouse> {
    let cli = dir.join("node_modules").join("lighthouse").join("cli").join("index.js");
    run(Command::new("node")
        .arg(cli)
        .arg(url)
        .args(["--quiet", "--output=json", "--only-categories=performance,accessibility,best-practices,seo"])
        .arg(format!("--output-path={}", out.display()))
        .arg(format!("--chrome-flags={chrome_flags}"))
        .env("CHROME_PATH", chromium))?;
    let text = std::fs::read_to_string(out).or_else(|e| fail(format!("{}: {e}", out.display())))?;
    let report: Value =
        serde_json::from_str(&text).or_else(|e| fail(format!("{} is not JSON: {e}", out.display())))?;
    Ok(read_lighthouse(&report))
}

/// One row of the table: a page in a language, from Lighthouse and from the browser half.
pub fn row(route: &str, lang: &str, found: &Lighthouse, browser: &Value) -> (String, Value) {
    let score = |i: usize| found.scores[i].map_or("–".to_owned(), |s| format!("{s:.0}"));
    let kb = |b: Option<f64>| b.map_or("–".to_owned(), |b| format!("{:.0}", b / 1024.0));
    let first = browser["first_load_bytes"].as_f64();
    let second = browser["second_load_bytes"].as_f64();
    let axe: Vec<String> = browser["axe"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| format!("{} ×{}", v[0].as_str().unwrap_or_default(), v[1]))
        .collect();
    let budget = if route == "/" { FIRST_LOAD_HOME } else { FIRST_LOAD_ANY };
    let mut misses = Vec::new();
    if found.scores[0].is_some_and(|s| s < PERFORMANCE) {
        misses.push("performance");
    }
    if found.scores[1..].iter().any(|s| s.is_some_and(|s| s < 100.0)) {
        misses.push("a score under 100");
    }
    if found.lcp_ms.is_some_and(|ms| ms > LCP_MS) {
        misses.push("LCP");
    }
    if found.tbt_ms.is_some_and(|ms| ms > TBT_MS) {
        misses.push("TBT");
    }
    if found.bytes.is_some_and(|b| b > budget) {
        misses.push("first-load bytes");
    }
    if !axe.is_empty() {
        misses.push("axe");
    }
    let line = format!(
        "  {:<14} {:<3} {:>4} {:>4} {:>4} {:>4} {:>6} {:>6} {:>8} {:>8} {:>7}  {}{}\n",
        route,
        lang,
        score(0),
        score(1),
        score(2),
        score(3),
        found.lcp_ms.map_or("–".to_owned(), |ms| format!("{:.1}", ms / 1000.0)),
        found.tbt_ms.map_or("–".to_owned(), |ms| format!("{ms:.0}")),
        kb(found.bytes),
        kb(first),
        kb(second),
        if axe.is_empty() { "0".to_owned() } else { axe.join(", ") },
        if misses.is_empty() { String::new() } else { format!("   misses: {}", misses.join(", ")) },
    );
    let json = json!({
        "route": route, "lang": lang,
        "performance": found.scores[0], "accessibility": found.scores[1],
        "best_practices": found.scores[2], "seo": found.scores[3],
        "lcp_ms": found.lcp_ms, "tbt_ms": found.tbt_ms,
        "lighthouse_bytes": found.bytes, "first_load_bytes": first, "second_load_bytes": second,
        "second_load_fetched": browser["second_load_fetched"],
        "axe": browser["axe"], "lighthouse_failing": found.failing, "misses": misses,
    });
    (line, json)
}

/// Chromium's half for a page, its axe violations joined by those Firefox and WebKit found there
/// (named `engine: rule`), so one column shows every engine's.
pub fn with_other_engines(mut seen: Value, route: &str, lang: &str, elsewhere: &[(Engine, Value)]) -> Value {
    let mut axe: Vec<Value> = seen["axe"].as_array().cloned().unwrap_or_default();
    for (engine, found) in elsewhere {
        let page = found.as_array().into_iter().flatten().find(|m| m["route"] == route && m["lang"] == lang);
        for v in page.and_then(|p| p["axe"].as_array()).into_iter().flatten() {
            let mut v = v.clone();
            v[0] = Value::from(format!("{}: {}", engine.name(), v[0].as_str().unwrap_or_default()));
            axe.push(v);
        }
    }
    seen["axe"] = Value::from(axe);
    seen
}

pub const HEADER: &str =
    "  page           lang perf a11y  b.p  seo  LCP s TBT ms  LH KiB 1st KiB 2nd KiB  axe violations\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firefox_and_webkit_violations_join_chromiums_under_their_names() {
        let seen = json!({"axe": [["region", 1, "moderate", "x"]]});
        let firefox = json!([{"route": "/", "lang": "en", "axe": [["color-contrast", 2, "serious", "y"]]},
                             {"route": "/", "lang": "zh", "axe": [["label", 1, "critical", "z"]]}]);
        let webkit = json!([{"route": "/", "lang": "en", "axe": []}]);
        let joined =
            with_other_engines(seen, "/", "en", &[(Engine::Firefox, firefox), (Engine::WebKit, webkit)]);
        let rules: Vec<&str> =
            joined["axe"].as_array().unwrap().iter().map(|v| v[0].as_str().unwrap()).collect();
        assert_eq!(rules, ["region", "firefox: color-contrast"]);
    }

    #[test]
    fn the_run_with_the_median_performance_counts() {
        let run = |score: f64, tbt: f64| Lighthouse {
            scores: [Some(score), None, None, None],
            tbt_ms: Some(tbt),
            ..Lighthouse::default()
        };
        assert_eq!(median_run(vec![run(99.0, 40.0), run(93.0, 220.0), run(97.0, 90.0)]).tbt_ms, Some(90.0));
        assert_eq!(median_run(Vec::new()), Lighthouse::default());
    }

    #[test]
    fn a_lighthouse_report_is_read_into_scores_timings_bytes_and_what_failed() {
        let report = json!({
            "categories": {
                "performance": {"score": 0.76, "auditRefs": []},
                "accessibility": {"score": 0.92, "auditRefs": [
                    {"id": "color-contrast", "weight": 7}, {"id": "target-size", "weight": 7},
                    {"id": "ignored-when-unweighted", "weight": 0}
                ]},
                "best-practices": {"score": 1, "auditRefs": []},
                "seo": {"score": 0.9, "auditRefs": [{"id": "meta-description", "weight": 1}]}
            },
            "audits": {
                "largest-contentful-paint": {"numericValue": 6900.5},
                "total-blocking-time": {"numericValue": 120.0},
                "total-byte-weight": {"numericValue": 1151000.0},
                "color-contrast": {"score": 0}, "target-size": {"score": 1},
                "ignored-when-unweighted": {"score": 0}, "meta-description": {"score": 0}
            }
        });
        let found = read_lighthouse(&report);
        assert_eq!(found.scores, [Some(76.0), Some(92.0), Some(100.0), Some(90.0)]);
        assert_eq!((found.lcp_ms, found.tbt_ms, found.bytes), (Some(6900.5), Some(120.0), Some(1151000.0)));
        assert_eq!(found.failing, ["accessibility: color-contrast", "seo: meta-description"]);
        let browser = json!({"first_load_bytes": 400000, "second_load_bytes": 3000, "axe": [["th-has-data-cells", 1, "serious", "x"]]});
        let (line, row) = row("/", "en", &found, &browser);
        assert!(line.contains("th-has-data-cells ×1"), "{line}");
        assert_eq!(
            row["misses"],
            json!(["performance", "a score under 100", "LCP", "TBT", "first-load bytes", "axe"])
        );
    }
}
