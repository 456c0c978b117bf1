//! The measuring commands: `cargo xtask bench` (`/bench` in a browser, the sizes against their
//! budgets, the relay load run) and `cargo xtask audit` (Lighthouse and axe-core, see `audit.rs`).

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use crosstalk_server::SuiteConfig;

use crate::audit;
use crate::e2e::{session_env, Drivers};
use crate::relay_load;
use crate::run::{fail, run, Result};
use crate::sizes;
use crate::tools::{self, cargo, Browser, Engine};
use crate::{build_release, root, runtime, start_suite};

/// `cargo xtask bench`: `/bench` in headless Chromium (crosstalk next to plain JS, repeated until
/// two runs agree), the shipped sizes against their budgets, then the relay's load run.
pub(crate) fn bench(engine: Engine, query: Option<&str>) -> Result<()> {
    let failover_only = matches!(query, Some("failover" | "limit"));
    let root = root();
    tools::ensure_build_tools(&root)?;
    let browser = tools::ensure_browser(engine)?;
    build_release(&root)?;
    eprintln!("xtask: /bench in {}", browser.engine.name());
    browser_bench(&root, &browser, query)?;
    if failover_only {
        return Ok(());
    }
    eprint!("{}", sizes::budget_report(&sizes::measure(&root.join("dist"))));
    let redis = tools::ensure_redis()?;
    eprintln!("xtask: building the relay load run optimized (profile bench-native)");
    run(Command::new(cargo())
        .args(["run", "--quiet", "--profile", "bench-native", "--package", "xtask", "--", "bench-run"])
        .env("CROSSTALK_REDIS_SERVER", redis)
        .current_dir(&root))
}

/// Serves the release build as the tests do and runs the browser half (`e2e/src/bin/bench.rs`).
pub(crate) fn browser_bench(root: &Path, browser: &Browser, query: Option<&str>) -> Result<()> {
    let runtime = runtime()?;
    let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
    let config = SuiteConfig::on_ports(root.join("dist"), any_port, None)?;
    let suite = start_suite(&runtime, config)?;
    let drivers = Drivers::start(browser, 1, None)?;
    let out = root.join("target").join(format!("bench-{}.json", browser.engine.name()));
    let mut command = Command::new(cargo());
    session_env(&mut command, browser, &drivers);
    let result = run(command
        .args(["run", "--quiet", "-p", "crosstalk-e2e", "--bin", "bench"])
        .env("CROSSTALK_BASE_URL", suite.app_url())
        .env("CROSSTALK_PROVIDER_URL", suite.provider_url())
        .env("CROSSTALK_ISOLATED_URL", suite.isolated_url())
        .env("CROSSTALK_BENCH_OUT", &out)
        .env("CROSSTALK_BENCH_PATH", format!("/bench?{}", query.unwrap_or_default().trim_start_matches('?')))
        .env("CROSSTALK_BENCH_ONLY", query.filter(|q| matches!(*q, "failover" | "limit")).unwrap_or_default())
        .current_dir(root));
    drop(drivers);
    runtime.block_on(suite.shutdown());
    result
}

/// The load run itself, in the optimized build `bench` starts.
pub(crate) fn bench_run() -> Result<()> {
    let runtime = runtime()?;
    let figures = relay_load::run(&runtime)?;
    print!("{}", relay_load::report(&figures));
    Ok(())
}

/// `cargo xtask audit [PATH…]`: see `audit.rs`.
pub(crate) fn audit(paths: &[String]) -> Result<()> {
    let root = root();
    tools::ensure_build_tools(&root)?;
    let browser = tools::ensure_browser(Engine::Chromium)?;
    let tools_dir = audit::ensure_tools()?;
    build_release(&root)?;
    let routes: Vec<String> = match paths.is_empty() {
        true => crosstalk_protocol::catalog::reader_pages().map(str::to_owned).collect(),
        false => paths.to_vec(),
    };
    let runtime = runtime()?;
    let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
    let config = SuiteConfig::on_ports(root.join("dist"), any_port, None)?;
    let suite = start_suite(&runtime, config)?;
    let out_dir = root.join("target").join("audit");
    std::fs::create_dir_all(&out_dir).or_else(|e| fail(format!("{}: {e}", out_dir.display())))?;
    let browser_out = out_dir.join("browser.json");
    eprintln!("xtask: first and second loads, and axe-core, on {} pages × 2 languages", routes.len());
    let _ = std::fs::remove_dir_all(&out_dir);
    std::fs::create_dir_all(&out_dir).or_else(|e| fail(format!("{}: {e}", out_dir.display())))?;
    // The browser half in `browser`: the loads and axe (Chromium), or axe alone.
    let browser_half = |browser: &Browser, out: &Path, axe_only: bool| -> Result<()> {
        let drivers = Drivers::start(browser, 1, None)?;
        let mut command = Command::new(cargo());
        session_env(&mut command, browser, &drivers);
        if axe_only {
            command.env("CROSSTALK_AUDIT_AXE_ONLY", "1");
        }
        run(command
            .args(["run", "--quiet", "-p", "crosstalk-e2e", "--bin", "audit"])
            .env("CROSSTALK_BASE_URL", suite.app_url())
            .env("CROSSTALK_PROVIDER_URL", suite.provider_url())
            .env("CROSSTALK_ISOLATED_URL", suite.isolated_url())
            .env("CROSSTALK_AXE_SCRIPT", tools_dir.join("node_modules/axe-core/axe.min.js"))
            .env("CROSSTALK_AUDIT_ROUTES", routes.join(" "))
            .env("CROSSTALK_AUDIT_OUT", out)
            .current_dir(&root))
    };
    let chromium_half = browser_half(&browser, &browser_out, false);
    // axe in the other two engines too: each draws native controls its own way.
    let mut elsewhere = Vec::new();
    for engine in [Engine::Firefox, Engine::WebKit] {
        let other = tools::ensure_browser(engine)?;
        let out = out_dir.join(format!("axe-{}.json", engine.name()));
        eprintln!("xtask: axe-core on {} pages × 2 languages in {}", routes.len(), engine.name());
        browser_half(&other, &out, true)?;
        let text = std::fs::read_to_string(&out).or_else(|e| fail(format!("{}: {e}", out.display())))?;
        let found: serde_json::Value =
            serde_json::from_str(&text).or_else(|e| fail(format!("{}: {e}", out.display())))?;
        elsewhere.push((engine, found));
    }
    let measured: serde_json::Value = chromium_half
        .and_then(|()| {
            std::fs::read_to_string(&browser_out).or_else(|e| fail(format!("{}: {e}", browser_out.display())))
        })
        .and_then(|text| {
            serde_json::from_str(&text).or_else(|e| fail(format!("{}: {e}", browser_out.display())))
        })?;
    // Lighthouse's own flags for its Chromium: the tests' but the window size (it emulates a phone).
    let flags: Vec<&str> =
        Engine::Chromium.args().iter().copied().filter(|a| !a.starts_with("--window-size")).collect();
    let mut table = String::from(audit::HEADER);
    let mut rows = Vec::new();
    for route in &routes {
        for lang in ["en", "zh"] {
            let name = if route == "/" {
                "home".to_owned()
            } else {
                route.trim_start_matches('/').replace('/', "-")
            };
            let url = format!("{}{route}?lang={lang}", suite.app_url().trim_end_matches('/'));
            // Lighthouse on 2 cores swings from run to run: the run with the median performance
            // score counts, as Lighthouse's own guidance for variability says.
            let mut runs = Vec::new();
            for run in 0..audit::RUNS {
                eprintln!("xtask: Lighthouse on {route} ({lang}), run {} of {}", run + 1, audit::RUNS);
                let report = out_dir.join(format!("lighthouse-{name}.{lang}.{run}.json"));
                runs.push(audit::lighthouse(&tools_dir, &browser.binary, &flags.join(" "), &url, &report)?);
            }
            let found = audit::median_run(runs);
            let seen = measured
                .as_array()
                .into_iter()
                .flatten()
                .find(|m| m["route"] == route.as_str() && m["lang"] == lang)
                .cloned()
                .unwrap_or_default();
            let seen = audit::with_other_engines(seen, route, lang, &elsewhere);
            let (line, row) = audit::row(route, lang, &found, &seen);
            eprint!("{line}");
            table.push_str(&line);
            rows.push(row);
        }
    }
    runtime.block_on(suite.shutdown());
    let out = root.join("target").join("audit.json");
    let json = serde_json::to_string_pretty(&rows).or_else(|e| fail(format!("JSON: {e}")))?;
    std::fs::write(&out, json).or_else(|e| fail(format!("{}: {e}", out.display())))?;
    println!(
        "xtask: audit (Lighthouse {} mobile, the median of {} runs per page; axe-core {}); targets: perf ≥ {}, the other scores 100, LCP ≤ {} s, \
         TBT ≤ {} ms, first load ≤ {} KB on / and ≤ {} KB elsewhere, a second load only its HTML, 0 axe violations\n{table}\
         xtask: written to {}",
        audit::LIGHTHOUSE_VERSION,
        audit::RUNS,
        audit::AXE_VERSION,
        audit::PERFORMANCE,
        audit::LCP_MS / 1000.0,
        audit::TBT_MS,
        audit::FIRST_LOAD_HOME / 1000.0,
        audit::FIRST_LOAD_ANY / 1000.0,
        out.display()
    );
    Ok(())
}
