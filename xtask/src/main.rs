//! `cargo xtask serve [--port P]` and `cargo xtask test`: the two commands a new user runs.

mod audit;
mod finish;
mod relay_load;
mod run;
mod sizes;
mod split_sizes;
mod tools;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use crosstalk_server::args::ServeArgs;
use crosstalk_server::local_redis::LocalRedis;
use crosstalk_server::{Suite, SuiteConfig};
use run::{fail, run, run_tests, Counts, Failure, Result};
use tools::{cargo, Browser, Engine};

/// The developer's commands. `serve` and `test` are the two a new user runs.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
enum Cli {
    /// Install what is missing, build in release, serve the app (default 127.0.0.1:8080), the
    /// payment provider's origin on the next port, and the relay. For other machines: --host
    /// 0.0.0.0 and --public-origin http://<the address they type>:8080
    Serve(ServeArgs),
    /// Native tests, wasm tests in headless Chromium, the release build, end-to-end tests
    Test {
        /// One engine only [default: both]
        #[arg(long, value_parser = Engine::parse_flag)]
        browser: Option<Engine>,
    },
    /// Install what is missing and build in release into dist/
    Build,
    /// Build in release and run only the end-to-end tests, with the servers and browser `test` uses
    E2e {
        /// One engine only [default: both]
        #[arg(long, value_parser = Engine::parse_flag)]
        browser: Option<Engine>,
        /// Only the tests whose names contain one of these
        filters: Vec<String>,
    },
    /// /bench in headless Chromium (every mechanism through crosstalk and through plain JS,
    /// repeated until two runs agree within 10%), the shipped sizes against their budgets, the
    /// relay load run, and failovers on /stock. Figures are printed, not asserted
    Bench {
        /// The engine [default: chromium]
        #[arg(long, value_parser = Engine::parse_flag)]
        browser: Option<Engine>,
        /// Narrows the run: 'mechanisms=broadcast,storage&payloads=100', 'cloned=1', or
        /// 'failover' for the failovers alone
        query: Option<String>,
    },
    /// The relay load run itself (what `bench` starts, built optimized)
    #[command(hide = true)]
    BenchRun,
    /// Lighthouse (mobile) and axe-core on every page a reader opens, or the PATHs given, in
    /// English and 中文, against the release build and their targets
    Audit {
        /// Pages to audit [default: every page a reader opens]
        paths: Vec<String>,
    },
    /// The prototype of one wasm module per route (src/split.rs), cut with wasm-split-cli, and what
    /// each route would transfer; measured, not served
    SplitSizes,
}

fn main() -> ExitCode {
    tools::prepare_path();
    // `--help` (on every command) and a wrong word, named with what is taken, are clap's.
    let result = match Cli::parse() {
        Cli::Serve(args) => serve(args),
        Cli::Test { browser } => test(engines_or_both(browser)),
        Cli::Build => tools::ensure_build_tools(&root()).and_then(|()| build_release(&root())),
        Cli::E2e { browser, filters } => only_end_to_end(engines_or_both(browser), &filters),
        Cli::Bench { browser, query } => bench(browser.unwrap_or(Engine::Chromium), query.as_deref()),
        Cli::BenchRun => bench_run(),
        Cli::Audit { paths } => audit(&paths),
        Cli::SplitSizes => tools::ensure_build_tools(&root()).and_then(|()| split_sizes::measure(&root())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            eprintln!("xtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The engine `--browser` named, or both.
fn engines_or_both(browser: Option<Engine>) -> Vec<Engine> {
    browser.map_or_else(|| Engine::ALL.to_vec(), |engine| vec![engine])
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

fn build_release(root: &Path) -> Result<()> {
    eprintln!("xtask: building the suite in release (trunk build --release)");
    run(Command::new("trunk").args(["build", "--release"]).current_dir(root))?;
    finish::finish(root, &root.join("dist"))?;
    eprint!("{}", sizes::report(&sizes::measure(&root.join("dist"))));
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .or_else(|e| fail(format!("cannot start the async runtime: {e}")))
}

fn start_suite(runtime: &tokio::runtime::Runtime, config: SuiteConfig) -> Result<Suite> {
    runtime.block_on(Suite::start(config)).or_else(|e| {
        let hint =
            if e.kind() == std::io::ErrorKind::AddrInUse { " (choose another with --port P)" } else { "" };
        fail(format!("{e}{hint}"))
    })
}

/// The suite's configuration for `serve`'s flags.
fn serve_config(root: &Path, args: &ServeArgs) -> Result<SuiteConfig> {
    args.config(root.join("dist")).or_else(fail)
}

fn serve(args: ServeArgs) -> Result<()> {
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_target(false)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .try_init();
    let root = root();
    let config = serve_config(&root, &args)?;
    let setup = Instant::now();
    tools::ensure_build_tools(&root)?;
    eprintln!("xtask: tools ready in {}", took(setup.elapsed()));
    build_release(&root)?;
    let runtime = runtime()?;
    let suite = start_suite(&runtime, config)?;
    let app = suite.app_url();
    let open = match &args.public_origin {
        Some(origin) => origin.trim_end_matches('/').to_owned(),
        None if args.host.is_unspecified() => app.replace(&args.host.to_string(), "127.0.0.1"),
        None => app,
    };
    let provider = match open.rsplit_once(':') {
        Some((name, _port)) => format!("{name}:{}", suite.provider_port()),
        None => suite.provider_url(),
    };
    println!();
    println!("crosstalk is being served. Open {open}/");
    println!("(the payment provider's origin, framed by the Payment route: {provider}/)");
    println!(
        "(the relay of the WebSocket route: {}/ws, and how it is doing: {open}/health)",
        open.replacen("http://", "ws://", 1)
    );
    if args.host.is_unspecified() && args.public_origin.is_none() {
        println!(
            "(listening on every interface: for other machines, add --public-origin http://<this machine's address>:{})",
            args.port
        );
    } else if !args.host.is_loopback() {
        println!("(other machines reach it too, over plain http: only on a network you trust)");
    }
    match &args.redis {
        Some(url) => {
            println!("(the relay's rooms are shared through Redis at {url} with every instance on it)")
        }
        None => {
            println!("(the relay's rooms live in this process; --redis URL shares them with other instances)")
        }
    }
    println!("(open the same address in several tabs to watch them talk; Ctrl-C stops the server)");
    runtime.block_on(async {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("xtask: stopping: every relay client is told 1001 (going away)");
        suite.shutdown().await;
    });
    eprintln!("xtask: stopped");
    Ok(())
}

enum Outcome {
    Ok,
    Failed(String),
    Skipped(&'static str),
}

struct StageReport {
    name: &'static str,
    outcome: Outcome,
    counts: Option<Counts>,
    took: Duration,
}

/// Runs one stage and records how it went.
fn stage(
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
        Err(Failure(message)) => {
            eprintln!("xtask: {name} failed: {message}");
            Outcome::Failed(message)
        }
    };
    reports.push(StageReport { name, outcome, counts, took: started.elapsed() });
    ok
}

fn skip(reports: &mut Vec<StageReport>, name: &'static str, why: &'static str) {
    reports.push(StageReport { name, outcome: Outcome::Skipped(why), counts: None, took: Duration::ZERO });
}

fn test(engines: Vec<Engine>) -> Result<()> {
    let root = root();
    let mut reports = Vec::new();

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
            let built = stage(&mut reports, "build", || (None, build_release(&root)));
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
    if reports.iter().all(|r| matches!(r.outcome, Outcome::Ok)) {
        Ok(())
    } else {
        fail("some stages did not pass (see the summary above)")
    }
}

/// The summary's name for an engine's end-to-end stage.
fn e2e_stage(engine: Engine) -> &'static str {
    match engine {
        Engine::Chromium => "e2e chromium",
        Engine::Firefox => "e2e firefox",
    }
}

/// wasm-bindgen tests: the library's browser-facing code in headless Chromium.
fn wasm_tests(root: &Path, browser: &Browser) -> (Option<Counts>, Result<()>) {
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
fn write_webdriver_json(root: &Path, browser: &Browser) -> Result<PathBuf> {
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

/// `cargo xtask bench`: `/bench` in headless Chromium (crosstalk next to plain JS, repeated until
/// two runs agree), the shipped sizes against their budgets, then the relay's load run.
fn bench(engine: Engine, query: Option<&str>) -> Result<()> {
    let failover_only = query == Some("failover");
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

/// What the e2e crate needs to open a session: the engine, its binary and flags, and the
/// WebDriver servers (several for Firefox: geckodriver holds one session at a time).
fn session_env<'a>(command: &'a mut Command, browser: &Browser, drivers: &Drivers) -> &'a mut Command {
    command
        .env("CROSSTALK_ENGINE", browser.engine.name())
        .env("CROSSTALK_BROWSER", &browser.binary)
        .env("CROSSTALK_BROWSER_ARGS", browser.engine.args().join(" "))
        .env("CROSSTALK_WEBDRIVER_URL", drivers.urls())
}

/// Serves the release build as the tests do and runs the browser half (`e2e/src/bin/bench.rs`).
fn browser_bench(root: &Path, browser: &Browser, query: Option<&str>) -> Result<()> {
    let runtime = runtime()?;
    let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
    let config = SuiteConfig::on_ports(root.join("dist"), any_port, None).or_else(fail)?;
    let suite = start_suite(&runtime, config)?;
    let drivers = Drivers::start(browser, 1)?;
    let out = root.join("target").join(format!("bench-{}.json", browser.engine.name()));
    let mut command = Command::new(cargo());
    session_env(&mut command, browser, &drivers);
    let result = run(command
        .args(["run", "--quiet", "-p", "crosstalk-e2e", "--bin", "bench"])
        .env("CROSSTALK_BASE_URL", suite.app_url())
        .env("CROSSTALK_PROVIDER_URL", suite.provider_url())
        .env("CROSSTALK_BENCH_OUT", &out)
        .env("CROSSTALK_BENCH_PATH", format!("/bench?{}", query.unwrap_or_default().trim_start_matches('?')))
        .env("CROSSTALK_BENCH_ONLY", if query == Some("failover") { "failover" } else { "" })
        .current_dir(root));
    drop(drivers);
    runtime.block_on(suite.shutdown());
    result
}

/// `cargo xtask audit [PATH…]`: see `audit.rs`.
fn audit(paths: &[String]) -> Result<()> {
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
    let config = SuiteConfig::on_ports(root.join("dist"), any_port, None).or_else(fail)?;
    let suite = start_suite(&runtime, config)?;
    let out_dir = root.join("target").join("audit");
    std::fs::create_dir_all(&out_dir).or_else(|e| fail(format!("{}: {e}", out_dir.display())))?;
    let browser_out = out_dir.join("browser.json");
    eprintln!("xtask: first and second loads, and axe-core, on {} pages × 2 languages", routes.len());
    let _ = std::fs::remove_dir_all(&out_dir);
    std::fs::create_dir_all(&out_dir).or_else(|e| fail(format!("{}: {e}", out_dir.display())))?;
    let drivers = Drivers::start(&browser, 1)?;
    let mut command = Command::new(cargo());
    session_env(&mut command, &browser, &drivers);
    let browser_half = run(command
        .args(["run", "--quiet", "-p", "crosstalk-e2e", "--bin", "audit"])
        .env("CROSSTALK_BASE_URL", suite.app_url())
        .env("CROSSTALK_PROVIDER_URL", suite.provider_url())
        .env("CROSSTALK_AXE_SCRIPT", tools_dir.join("node_modules/axe-core/axe.min.js"))
        .env("CROSSTALK_AUDIT_ROUTES", routes.join(" "))
        .env("CROSSTALK_AUDIT_OUT", &browser_out)
        .current_dir(&root));
    drop(drivers);
    let measured: serde_json::Value = browser_half
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

/// The load run itself, in the optimized build `bench` starts.
fn bench_run() -> Result<()> {
    let runtime = runtime()?;
    let figures = relay_load::run(&runtime)?;
    print!("{}", relay_load::report(&figures));
    Ok(())
}

/// `cargo xtask e2e [FILTER…]`: the end-to-end stage alone, for working on one test.
fn only_end_to_end(engines: Vec<Engine>, filters: &[String]) -> Result<()> {
    let root = root();
    tools::ensure_build_tools(&root)?;
    let browsers = engines.iter().map(|e| tools::ensure_browser(*e)).collect::<Result<Vec<_>>>()?;
    tools::ensure_redis()?;
    build_release(&root)?;
    let mut failed = Vec::new();
    for browser in &browsers {
        let name = browser.engine.name();
        let (counts, result) = end_to_end(&root, browser, filters);
        if let Some(counts) = counts {
            println!("{name}: {} passed, {} failed", counts.passed, counts.failed);
        }
        if let Err(e) = result {
            failed.push(format!("{name}: {}", e.0));
        }
    }
    match failed.is_empty() {
        true => Ok(()),
        false => fail(failed.join("; ")),
    }
}

/// Tests at once in the end-to-end run (each its own browser session).
const E2E_THREADS: usize = 2;

/// End-to-end: the release build served by the same server as `serve`, driven through the
/// engine's WebDriver server.
fn end_to_end(root: &Path, browser: &Browser, filters: &[String]) -> (Option<Counts>, Result<()>) {
    let prepared = runtime().and_then(|runtime| {
        let suites = TestSuites::start(&runtime, root)?;
        let drivers = Drivers::start(browser, E2E_THREADS)?;
        Ok((runtime, suites, drivers))
    });
    let (runtime, suites, drivers) = match prepared {
        Ok(prepared) => prepared,
        Err(e) => return (None, Err(e)),
    };
    let TestSuites { main, lonely, pair, redis } = suites;
    let mut command = Command::new(cargo());
    session_env(&mut command, browser, &drivers);
    let (counts, result) = run_tests(
        command
            .args(["test", "--no-fail-fast", "-p", "crosstalk-e2e", "--"])
            .arg(format!("--test-threads={E2E_THREADS}"))
            .args(filters)
            .env("CROSSTALK_BASE_URL", main.app_url())
            .env("CROSSTALK_PROVIDER_URL", main.provider_url())
            .env("CROSSTALK_PUBLIC_URL", format!("http://{TEST_PUBLIC_NAME}:{}", main.app_addr().port()))
            .env("CROSSTALK_STRANGER_URL", main.stranger_url().unwrap_or_default())
            .env("CROSSTALK_LONELY_URL", lonely.app_url())
            .env("CROSSTALK_LONELY_STRANGER_URL", lonely.stranger_url().unwrap_or_default())
            .env("CROSSTALK_PAIR_URLS", format!("{} {}", pair[0].app_url(), pair[1].app_url()))
            .current_dir(root),
    );
    drop(drivers);
    // The policy must hold without getting in the way: a violation anywhere in the run fails it
    // (those the tests provoke on purpose are kept apart, and the tests check they came).
    let (mut violations, mut reports) = main.csp_reports();
    for other in [&lonely, &pair[0], &pair[1]] {
        let (more, others) = other.csp_reports();
        violations += more;
        reports.extend(others);
    }
    runtime.block_on(async {
        for suite in [main, lonely].into_iter().chain(pair) {
            suite.shutdown().await;
        }
    });
    drop(redis);
    let result = result.and_then(|()| match reports.first() {
        None => Ok(()),
        Some(first) => fail(format!(
            "the browser reported {violations} Content-Security-Policy violation(s) during the run; the first: {first}"
        )),
    });
    (Some(counts), result)
}

/// A name the test browser resolves to this machine by itself (Chromium maps `*.localhost` to
/// loopback), standing in for a LAN name given with `--public-origin`.
const TEST_PUBLIC_NAME: &str = "crosstalk.localhost";

/// What the end-to-end tests are served: the suite as `serve` runs it plus a public name and the
/// stranger's origin, and a second suite whose provider is down and whose relay the tests stop
/// and restart (its own stranger holds the control), so no other test's sockets are disturbed.
struct TestSuites {
    main: Suite,
    lonely: Suite,
    /// Two relay instances sharing their rooms through a Redis of the run's own.
    pair: [Suite; 2],
    redis: LocalRedis,
}

impl TestSuites {
    fn start(runtime: &tokio::runtime::Runtime, root: &Path) -> Result<TestSuites> {
        let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
        let mut config = SuiteConfig::on_ports(root.join("dist"), any_port, None).or_else(fail)?;
        config.public_names.push(TEST_PUBLIC_NAME.to_owned());
        config.stranger_addr = Some(any_port);
        let main = start_suite(runtime, config)?;
        let mut config = SuiteConfig::on_ports(root.join("dist"), any_port, None).or_else(fail)?;
        config.stranger_addr = Some(any_port);
        let mut lonely = start_suite(runtime, config)?;
        runtime.block_on(lonely.stop_provider());
        let redis = LocalRedis::start("e2e").or_else(fail)?;
        let instance = || {
            let mut config = SuiteConfig::on_ports(root.join("dist"), any_port, None).or_else(fail)?;
            config.redis = Some(redis.url());
            start_suite(runtime, config)
        };
        let pair = [instance()?, instance()?];
        Ok(TestSuites { main, lonely, pair, redis })
    }
}

/// WebDriver server processes (chromedriver or geckodriver) for the end-to-end tests, stopped
/// on drop. One chromedriver serves many sessions; a geckodriver serves one at a time, so there
/// is one per test running at once. Their browsers' profiles (about 50 MB each) go in a scratch
/// folder of their own, removed on drop: a session a test leaves open, or a browser killed with
/// its driver, would otherwise leave its profile in /tmp, and a few hundred of those once filled
/// the disk that CI runs on.
struct Drivers {
    drivers: Vec<Driver>,
    _scratch: Scratch,
}

/// A folder given to browsers and drivers as their `TMPDIR`, emptied when made and removed on drop.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Result<Scratch> {
        let path =
            root().join("target").join("xtask").join("tmp").join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).or_else(|e| fail(format!("cannot make {}: {e}", path.display())))?;
        Ok(Scratch(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Driver {
    child: Child,
    port: u16,
}

impl Drivers {
    fn start(browser: &Browser, sessions: usize) -> Result<Drivers> {
        let count = match browser.engine {
            Engine::Chromium => 1,
            Engine::Firefox => sessions.max(1),
        };
        let scratch = Scratch::new(browser.engine.name())?;
        let drivers =
            (0..count).map(|_| Driver::start(browser, scratch.path())).collect::<Result<Vec<_>>>()?;
        Ok(Drivers { drivers, _scratch: scratch })
    }

    /// Their addresses, space-separated: a test takes the first that opens a session.
    fn urls(&self) -> String {
        self.drivers.iter().map(|d| format!("http://127.0.0.1:{}", d.port)).collect::<Vec<_>>().join(" ")
    }
}

impl Driver {
    fn start(browser: &Browser, scratch: &Path) -> Result<Driver> {
        let binary = &browser.driver;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .or_else(|e| fail(format!("cannot find a free port for {}: {e}", binary.display())))?;
        let mut command = Command::new(binary);
        match browser.engine {
            Engine::Chromium => command.arg(format!("--port={port}")),
            // Port 0 for BiDi's socket: two Firefoxes at once would both want 9222.
            Engine::Firefox => command.args(["--port", &port.to_string(), "--websocket-port", "0"]),
        };
        let child = command
            .env("TMPDIR", scratch)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .or_else(|e| fail(format!("cannot start {}: {e}", binary.display())))?;
        let driver = Driver { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return fail(format!("{} did not start listening within 20 s", binary.display()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(driver)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `1m06s`, `2.5s`.
fn took(duration: Duration) -> String {
    let secs = duration.as_secs();
    if secs >= 60 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{:.1}s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    #[test]
    fn serve_flag_forms() {
        let words = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        let parsed = |s: &str| crosstalk_server::args::parse_serve(&words(s));
        let loopback = IpAddr::from([127, 0, 0, 1]);
        let default = ServeArgs { port: 8080, host: loopback, ..ServeArgs::default() };
        assert_eq!(parsed("").unwrap(), default);
        assert_eq!(parsed("--port 9000").unwrap().port, 9000);
        let both = parsed("--port=9001 --provider-port 9100").unwrap();
        assert_eq!((both.port, both.provider), (9001, Some(9100)));
        let lan = parsed("--host 0.0.0.0 --public-origin=http://192.168.1.20:8080").unwrap();
        assert_eq!(
            (lan.host, lan.public_origin.as_deref()),
            (IpAddr::from([0, 0, 0, 0]), Some("http://192.168.1.20:8080"))
        );
        assert!(parsed("--port x").unwrap_err().contains("--port"));
        assert!(parsed("--port").unwrap_err().contains("--port"));
        assert!(parsed("--host mybox").unwrap_err().contains("--host"));
        assert!(parsed("--verbose 1").is_err());
    }

    #[test]
    fn commands_and_their_flags() {
        let cli = |line: &str| Cli::try_parse_from(std::iter::once("xtask").chain(line.split_whitespace()));
        assert!(matches!(cli("test").unwrap(), Cli::Test { browser: None }));
        assert!(matches!(
            cli("test --browser=firefox").unwrap(),
            Cli::Test { browser: Some(Engine::Firefox) }
        ));
        let wrong = cli("test --browser safari").unwrap_err().to_string();
        assert!(wrong.contains("--browser") && wrong.contains("chromium or firefox"), "{wrong}");
        match cli("e2e --browser chromium paying forged").unwrap() {
            Cli::E2e { browser, filters } => {
                assert_eq!(
                    (browser, filters),
                    (Some(Engine::Chromium), vec!["paying".into(), "forged".into()])
                )
            }
            other => panic!("{other:?}"),
        }
        match cli("bench cloned=1").unwrap() {
            Cli::Bench { browser, query } => {
                assert_eq!((browser, query.as_deref()), (None, Some("cloned=1")))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(cli("serve --port 9000").unwrap(), Cli::Serve(ServeArgs { port: 9000, .. })));
        assert!(cli("launch").is_err());
    }

    #[test]
    fn a_public_origin_on_another_port_or_scheme_is_refused_before_anything_is_built() {
        let args = |origin: &str| ServeArgs {
            port: 8080,
            provider: None,
            host: IpAddr::from([0, 0, 0, 0]),
            public_origin: Some(origin.into()),
            ..ServeArgs::default()
        };
        let config = serve_config(Path::new("/x"), &args("http://mybox.lan:8080")).unwrap();
        assert_eq!(config.public_names, ["mybox.lan"]);
        assert!(serve_config(Path::new("/x"), &args("http://mybox.lan:9999"))
            .unwrap_err()
            .0
            .contains("port 8080"));
        assert!(serve_config(Path::new("/x"), &args("https://mybox.lan:8080")).is_err());
        let last = ServeArgs { port: 65535, ..args("http://mybox.lan:65535") };
        assert!(serve_config(Path::new("/x"), &last).unwrap_err().0.contains("no next port"));
    }

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

    #[test]
    fn durations_read_naturally() {
        assert_eq!(took(Duration::from_millis(2500)), "2.5s");
        assert_eq!(took(Duration::from_secs(66)), "1m06s");
    }
}
