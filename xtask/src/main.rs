//! `cargo xtask serve [--port P]` and `cargo xtask test`: the two commands a new user runs.

mod run;
mod sizes;
mod tools;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use crosstalk_server::{Suite, SuiteConfig};
use run::{fail, run, run_tests, Counts, Failure, Result};
use tools::{cargo, Browser};

const USAGE: &str = "\
usage: cargo xtask <command>

  serve [--port P] [--provider-port Q]
                     install what is missing, build in release, serve the app on 127.0.0.1:P
                     (default 8080) and the payment provider's origin on 127.0.0.1:Q (default P+1)
  test               native tests, wasm tests in headless Chromium, release build, end-to-end tests
  build              install what is missing and build in release into dist/";

fn main() -> ExitCode {
    tools::prepare_path();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => parse_ports(&args[1..]).and_then(|(port, provider)| serve(port, provider)),
        Some("test") => test(),
        Some("build") => tools::ensure_build_tools(&root()).and_then(|()| build_release(&root())),
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => fail(format!("unknown command\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            eprintln!("xtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// `--port P` and `--provider-port Q`, each also as `--flag=value`.
fn parse_ports(args: &[String]) -> Result<(u16, Option<u16>)> {
    let (mut port, mut provider) = (8080, None);
    let mut words = args.iter();
    while let Some(word) = words.next() {
        let (flag, inline) = match word.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_owned())),
            None => (word.as_str(), None),
        };
        let value = match inline.or_else(|| words.next().cloned()) {
            Some(value) => value,
            None => return fail(format!("{flag} needs a port number")),
        };
        let number: u16 = value.parse().or_else(|_| fail(format!("{flag} takes a number, not `{value}`")))?;
        match flag {
            "--port" => port = number,
            "--provider-port" => provider = Some(number),
            other => return fail(format!("serve takes --port P and --provider-port Q, not `{other}`")),
        }
    }
    Ok((port, provider))
}

fn build_release(root: &Path) -> Result<()> {
    eprintln!("xtask: building the suite in release (trunk build --release)");
    run(Command::new("trunk").args(["build", "--release"]).current_dir(root))?;
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

fn start_suite(
    runtime: &tokio::runtime::Runtime,
    root: &Path,
    port: u16,
    provider: Option<u16>,
) -> Result<Suite> {
    let config = SuiteConfig::on_ports(root.join("dist"), SocketAddr::from(([127, 0, 0, 1], port)), provider)
        .or_else(fail)?;
    runtime.block_on(Suite::start(config)).or_else(|e| {
        let hint =
            if e.kind() == std::io::ErrorKind::AddrInUse { " (choose another with --port P)" } else { "" };
        fail(format!("{e}{hint}"))
    })
}

fn serve(port: u16, provider: Option<u16>) -> Result<()> {
    let root = root();
    let setup = Instant::now();
    tools::ensure_build_tools(&root)?;
    eprintln!("xtask: tools ready in {}", took(setup.elapsed()));
    build_release(&root)?;
    let runtime = runtime()?;
    let suite = start_suite(&runtime, &root, port, provider)?;
    println!();
    println!("crosstalk is being served. Open {}/", suite.app_url());
    println!("(the payment provider's origin, framed by the Payment route: {}/)", suite.provider_url());
    println!("(open the same address in several tabs to watch them talk; Ctrl-C stops the server)");
    runtime.block_on(async {
        let _ = tokio::signal::ctrl_c().await;
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

fn test() -> Result<()> {
    let root = root();
    let mut reports = Vec::new();

    stage(&mut reports, "native", || {
        let (counts, result) = run_tests(
            Command::new(cargo())
                .args(["test", "--no-fail-fast", "--workspace", "--exclude", "crosstalk-e2e"])
                .current_dir(&root),
        );
        (Some(counts), result)
    });

    let mut browser = None;
    let tools_ok = stage(&mut reports, "setup", || {
        let result = tools::ensure_build_tools(&root)
            .and_then(|()| tools::ensure_browser())
            .map(|b| browser = Some(b));
        (None, result)
    });

    match browser.as_ref().filter(|_| tools_ok) {
        Some(browser) => {
            stage(&mut reports, "wasm", || wasm_tests(&root, browser));
            let built = stage(&mut reports, "build", || (None, build_release(&root)));
            if built {
                stage(&mut reports, "e2e", || end_to_end(&root, browser));
            } else {
                skip(&mut reports, "e2e", "the release build failed");
            }
        }
        None => {
            for name in ["wasm", "build", "e2e"] {
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
            "summary: {:<7} {:<8} {:<22} {:>7}{}",
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

/// wasm-bindgen tests: the library's browser-facing code in headless Chromium.
fn wasm_tests(root: &Path, browser: &Browser) -> (Option<Counts>, Result<()>) {
    let config = match write_webdriver_json(root, browser) {
        Ok(path) => path,
        Err(e) => return (None, Err(e)),
    };
    let (counts, result) = run_tests(
        Command::new(cargo())
            .args(["test", "-p", "crosstalk", "--target", tools::WASM_TARGET, "--test", "web"])
            .env("CHROMEDRIVER", &browser.chromedriver)
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
    let args = chromium_args().iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(",");
    let json = format!(
        "{{\"goog:chromeOptions\":{{\"binary\":\"{}\",\"args\":[{args}]}}}}\n",
        browser.chromium.display()
    );
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, json))
        .or_else(|e| fail(format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}

/// Chromium flags for tests here: root needs --no-sandbox, the closed network needs the rest.
fn chromium_args() -> &'static [&'static str] {
    &[
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]
}

/// End-to-end: the release build served by the same server as `serve`, driven through chromedriver.
fn end_to_end(root: &Path, browser: &Browser) -> (Option<Counts>, Result<()>) {
    let prepared = runtime().and_then(|runtime| {
        let suite = start_suite(&runtime, root, 0, None)?;
        let driver = Chromedriver::start(&browser.chromedriver)?;
        Ok((runtime, suite, driver))
    });
    let (runtime, suite, driver) = match prepared {
        Ok(prepared) => prepared,
        Err(e) => return (None, Err(e)),
    };
    let (counts, result) = run_tests(
        Command::new(cargo())
            .args(["test", "--no-fail-fast", "-p", "crosstalk-e2e", "--", "--test-threads=2"])
            .env("CROSSTALK_BASE_URL", suite.app_url())
            .env("CROSSTALK_PROVIDER_URL", suite.provider_url())
            .env("CROSSTALK_WEBDRIVER_URL", driver.url())
            .env("CROSSTALK_CHROMIUM", &browser.chromium)
            .env("CROSSTALK_CHROMIUM_ARGS", chromium_args().join(" "))
            .current_dir(root),
    );
    drop(driver);
    // The policy must hold without getting in the way: a violation anywhere in the run fails it.
    let (violations, reports) = suite.csp_reports();
    runtime.block_on(suite.shutdown());
    let result = result.and_then(|()| match reports.first() {
        None => Ok(()),
        Some(first) => fail(format!(
            "the browser reported {violations} Content-Security-Policy violation(s) during the run; the first: {first}"
        )),
    });
    (Some(counts), result)
}

/// A chromedriver process for the end-to-end tests, stopped on drop.
struct Chromedriver {
    child: Child,
    port: u16,
}

impl Chromedriver {
    fn start(binary: &Path) -> Result<Chromedriver> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .or_else(|e| fail(format!("cannot find a free port for chromedriver: {e}")))?;
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .or_else(|e| fail(format!("cannot start {}: {e}", binary.display())))?;
        let driver = Chromedriver { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return fail("chromedriver did not start listening within 20 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(driver)
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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

    #[test]
    fn port_flag_forms() {
        let words = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        assert_eq!(parse_ports(&[]).unwrap(), (8080, None));
        assert_eq!(parse_ports(&words("--port 9000")).unwrap(), (9000, None));
        assert_eq!(parse_ports(&words("--port=9001 --provider-port 9100")).unwrap(), (9001, Some(9100)));
        assert!(parse_ports(&words("--port x")).unwrap_err().0.contains("takes a number"));
        assert!(parse_ports(&words("--port")).unwrap_err().0.contains("needs a port"));
        assert!(parse_ports(&words("--verbose 1")).is_err());
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(took(Duration::from_millis(2500)), "2.5s");
        assert_eq!(took(Duration::from_secs(66)), "1m06s");
    }
}
