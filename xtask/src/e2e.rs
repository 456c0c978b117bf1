//! The end-to-end stage: the suites the tests are served, the WebDriver servers, and `cargo xtask
//! e2e` to run that stage alone.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crosstalk_server::local_redis::LocalRedis;
use crosstalk_server::tls::TlsFiles;
use crosstalk_server::{Scheme, Suite, SuiteConfig};

use crate::caddy::{free_port, Caddy};
use crate::certs::{self, TestTls, PROXIED_NAMES, SECURE_NAME};
use crate::run::{fail, run_tests, Counts, Result};
use crate::tools::{self, cargo, Browser, Engine};
use crate::xvfb::Xvfb;
use crate::{build_release, root, runtime, start_suite};

/// What the e2e crate needs to open a session: the engine, its binary and flags, and the
/// WebDriver servers (several for Firefox: geckodriver holds one session at a time).
pub(crate) fn session_env<'a>(
    command: &'a mut Command,
    browser: &Browser,
    drivers: &Drivers,
) -> &'a mut Command {
    if let Some(profile) = &drivers.firefox_profile {
        command.env("CROSSTALK_FIREFOX_PROFILE", profile);
    }
    if let Some(display) = drivers.display() {
        // WebKitGTK: each test starts a driver of its own (see `Drivers`).
        command
            .env("CROSSTALK_WEBDRIVER_BINARY", &browser.driver)
            .env("CROSSTALK_WEBDRIVER_TMPDIR", drivers._scratch.path())
            .env("DISPLAY", display);
    }
    command
        .env("CROSSTALK_ENGINE", browser.engine.name())
        .env("CROSSTALK_BROWSER", &browser.binary)
        .env("CROSSTALK_BROWSER_ARGS", browser.engine.args().join(" "))
        .env("CROSSTALK_WEBDRIVER_URL", drivers.urls())
}

/// `cargo xtask e2e [FILTER…]`: the end-to-end stage alone, for working on one test.
pub(crate) fn only_end_to_end(engines: Vec<Engine>, filters: &[String]) -> Result<()> {
    let root = root();
    tools::ensure_build_tools(&root)?;
    let browsers = engines.iter().map(|e| tools::ensure_browser(*e)).collect::<Result<Vec<_>>>()?;
    tools::ensure_redis()?;
    build_release(&root)?;
    crate::dist::build_binary(&root)?;
    let mut failed = Vec::new();
    for browser in &browsers {
        let name = browser.engine.name();
        let (counts, result) = end_to_end(&root, browser, filters);
        if let Some(counts) = counts {
            println!("{name}: {} passed, {} failed", counts.passed, counts.failed);
        }
        if let Err(e) = result {
            failed.push(format!("{name}: {e}"));
        }
    }
    match failed.is_empty() {
        true => Ok(()),
        false => fail(failed.join("; ")),
    }
}

/// Tests at once in the end-to-end run (each its own browser session).
pub(crate) const E2E_THREADS: usize = 2;

/// End-to-end: the release build served by the same server as `serve`, driven through the
/// engine's WebDriver server.
pub(crate) fn end_to_end(root: &Path, browser: &Browser, filters: &[String]) -> (Option<Counts>, Result<()>) {
    let prepared = runtime().and_then(|runtime| {
        let tls = certs::make(&root.join("target").join("xtask").join("tls"))?;
        let suites = TestSuites::start(&runtime, root, &tls)?;
        let drivers = Drivers::start(browser, E2E_THREADS, Some(&tls))?;
        let axe = crate::audit::ensure_tools()?.join("node_modules/axe-core/axe.min.js");
        Ok((runtime, suites, drivers, tls, axe))
    });
    let (runtime, suites, drivers, tls, axe) = match prepared {
        Ok(prepared) => prepared,
        Err(e) => return (None, Err(e)),
    };
    let TestSuites { main, secure, proxied, caddy, binary, lonely, pair, redis } = suites;
    let mut command = Command::new(cargo());
    session_env(&mut command, browser, &drivers);
    let (counts, result) = run_tests(
        command
            .args(["test", "--no-fail-fast", "-p", "crosstalk-e2e", "--"])
            .arg(format!("--test-threads={E2E_THREADS}"))
            .args(filters)
            .env("CROSSTALK_BASE_URL", main.app_url())
            .env("CROSSTALK_PROVIDER_URL", main.provider_url())
            .env("CROSSTALK_ISOLATED_URL", main.isolated_url())
            .env("CROSSTALK_PUBLIC_URL", format!("http://{TEST_PUBLIC_NAME}:{}", main.app_addr().port()))
            .env("CROSSTALK_SECURE_URL", format!("https://{SECURE_NAME}:{}", secure.app_addr().port()))
            .env("CROSSTALK_PLAIN_NAME_URL", format!("http://{SECURE_NAME}:{}", main.app_addr().port()))
            .env("CROSSTALK_SECURE_NAMES", PROXIED_NAMES.join(" "))
            .env("CROSSTALK_HOSTS_FILE", &tls.hosts)
            .env("CROSSTALK_SERVER_CERT", &tls.cert)
            .env("CROSSTALK_AXE_SCRIPT", axe)
            .env("CROSSTALK_BINARY_URL", &binary.url)
            .env("CROSSTALK_DIST", root.join("dist"))
            .env("CROSSTALK_PROXIED_URL", format!("https://{}:{}", PROXIED_NAMES[0], caddy.port))
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
    for other in [&secure, &proxied, &lonely, &pair[0], &pair[1]] {
        let (more, others) = other.csp_reports();
        violations += more;
        reports.extend(others);
    }
    runtime.block_on(async {
        drop(caddy);
        drop(binary);
        for suite in [main, secure, proxied, lonely].into_iter().chain(pair) {
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
pub(crate) const TEST_PUBLIC_NAME: &str = "crosstalk.localhost";

/// What the end-to-end tests are served: the suite as `serve` runs it plus public names and the
/// stranger's origin; the same suite over https under [`SECURE_NAME`], as a class would get it; a
/// second suite whose provider is down and whose relay the tests stop and restart (its own
/// stranger holds the control), so no other test's sockets are disturbed.
pub(crate) struct TestSuites {
    main: Suite,
    /// Every origin over https, the relay over wss, with the run's own certificate.
    secure: Suite,
    /// Plain http behind [`Caddy`], which ends TLS: three public origins on three names.
    proxied: Suite,
    caddy: Caddy,
    /// The binary `cargo xtask dist` builds, run alone from an empty folder.
    binary: Alone,
    lonely: Suite,
    /// Two relay instances sharing their rooms through a Redis of the run's own.
    pair: [Suite; 2],
    redis: LocalRedis,
}

impl TestSuites {
    pub(crate) fn start(runtime: &tokio::runtime::Runtime, root: &Path, tls: &TestTls) -> Result<TestSuites> {
        let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
        let mut config = SuiteConfig::on_ports(root.join("dist"), any_port, None)?;
        // The secure name over plain http too: what a class gets without a certificate.
        config.public_names.extend([TEST_PUBLIC_NAME.to_owned(), SECURE_NAME.to_owned()]);
        config.stranger_addr = Some(any_port);
        let main = start_suite(runtime, config)?;
        let mut config = SuiteConfig::on_ports(root.join("dist"), any_port, None)?;
        config.public_names.push(SECURE_NAME.to_owned());
        config.certified_names.push(SECURE_NAME.to_owned());
        config.tls = Some(TlsFiles { cert: tls.cert.clone(), key: tls.key.clone() });
        config.scheme = Scheme::Https;
        let secure = start_suite(runtime, config)?;
        let (proxied, caddy) = behind_caddy(runtime, root, tls)?;
        let binary = Alone::start(&crate::dist::binary_path(root))?;
        let mut config = SuiteConfig::on_ports(root.join("dist"), any_port, None)?;
        config.stranger_addr = Some(any_port);
        let mut lonely = start_suite(runtime, config)?;
        runtime.block_on(lonely.stop_provider());
        let redis = LocalRedis::start("e2e").or_else(fail)?;
        let instance = || {
            let mut config = SuiteConfig::on_ports(root.join("dist"), any_port, None)?;
            config.redis = Some(redis.url());
            start_suite(runtime, config)
        };
        let pair = [instance()?, instance()?];
        Ok(TestSuites { main, secure, proxied, caddy, binary, lonely, pair, redis })
    }
}

/// A suite behind Caddy as `docs/hosting.md` sets one up: it trusts the proxy's forwarding, and
/// knows its three public origins, which share Caddy's one port under three names.
fn behind_caddy(runtime: &tokio::runtime::Runtime, root: &Path, tls: &TestTls) -> Result<(Suite, Caddy)> {
    let loopback = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
    let upstreams = [free_port()?, free_port()?, free_port()?].map(loopback);
    let caddy = Caddy::start(root, tls, upstreams)?;
    let mut config = SuiteConfig::on_ports(root.join("dist"), upstreams[0], Some(upstreams[1].port()))?;
    config.isolated_addr = upstreams[2];
    let origin = |name: &str| format!("https://{name}:{}", caddy.port);
    let [app, provider, isolated] = PROXIED_NAMES.map(origin);
    config.public_origins = Some(crosstalk_server::public_origins(&app, &provider, &isolated)?.0);
    config.trusted_proxies.push(std::net::IpAddr::from([127, 0, 0, 1]));
    Ok((start_suite(runtime, config)?, caddy))
}

/// The one-file server (`cargo xtask dist`), copied alone into an empty folder and run there, its
/// unpacked suite kept in that folder too. Stopped, and its folder removed, on drop.
pub(crate) struct Alone {
    child: Child,
    pub url: String,
    /// Its standard output, held open: a closed pipe would fail its next line.
    _out: Option<std::io::BufReader<std::process::ChildStdout>>,
    _scratch: Scratch,
}

impl Alone {
    fn start(built: &Path) -> Result<Alone> {
        use std::io::BufRead as _;
        let scratch = Scratch::new("alone")?;
        let binary = scratch.path().join("crosstalk-server");
        std::fs::copy(built, &binary).or_else(|e| {
            fail(format!("cannot copy {} (cargo xtask dist builds it): {e}", built.display()))
        })?;
        let ports = [free_port()?, free_port()?, free_port()?].map(|p| p.to_string());
        let mut child = Command::new(&binary)
            .args(["--port", &ports[0], "--provider-port", &ports[1], "--isolated-port", &ports[2]])
            .current_dir(scratch.path())
            .env("XDG_CACHE_HOME", scratch.path().join("cache"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .or_else(|e| fail(format!("cannot start {}: {e}", binary.display())))?;
        // Its first line says it serves (the suite unpacked, every port bound), or it exits.
        let mut first = String::new();
        let mut out = child.stdout.take().map(std::io::BufReader::new);
        if let Some(out) = out.as_mut() {
            let _ = out.read_line(&mut first);
        }
        if !first.contains("serving") {
            let _ = child.kill();
            return fail(format!("the binary alone did not start serving: {first:?}"));
        }
        Ok(Alone { child, url: format!("http://127.0.0.1:{}", ports[0]), _out: out, _scratch: scratch })
    }
}

impl Drop for Alone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// WebDriver server processes (chromedriver or geckodriver) for the end-to-end tests, stopped
/// on drop. One chromedriver serves many sessions; a geckodriver serves one at a time, so there
/// is one per test running at once. Their browsers' profiles (about 50 MB each) go in a scratch
/// folder of their own, removed on drop: a session a test leaves open, or a browser killed with
/// its driver, would otherwise leave its profile in /tmp, and a few hundred of those once filled
/// the disk that CI runs on.
pub(crate) struct Drivers {
    drivers: Vec<Driver>,
    /// WebKit's display, for the drivers its tests start; dropped after the drivers.
    xvfb: Option<Xvfb>,
    /// The encoded Firefox profile that trusts the run's CA, when there is one.
    firefox_profile: Option<PathBuf>,
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

pub(crate) struct Driver {
    child: Child,
    port: u16,
}

/// What a driver's process is started with: Chromium's `HOME` (its NSS database trusts the run's
/// CA).
#[derive(Default)]
pub(crate) struct DriverEnv<'a> {
    pub home: Option<&'a Path>,
}

impl Drivers {
    /// With `tls`, the browsers trust the run's CA (Chromium through its driver's `HOME`).
    pub(crate) fn start(browser: &Browser, sessions: usize, tls: Option<&TestTls>) -> Result<Drivers> {
        // WebKitWebDriver is started by each test for its one session instead: a WebKit session
        // that hangs (a navigation that never answers) leaves its driver unable to open the next,
        // so a driver lives no longer than its test.
        let count = match browser.engine {
            Engine::Chromium => 1,
            Engine::Firefox => sessions.max(1),
            Engine::WebKit => 0,
        };
        let scratch = Scratch::new(browser.engine.name())?;
        let xvfb = match browser.engine {
            Engine::WebKit => Some(Xvfb::start()?),
            _ => None,
        };
        let env = DriverEnv { home: tls.map(|t| t.chromium_home.as_path()) };
        let drivers =
            (0..count).map(|_| Driver::start(browser, scratch.path(), &env)).collect::<Result<Vec<_>>>()?;
        let firefox_profile = tls.map(|t| t.firefox_profile.clone());
        Ok(Drivers { drivers, firefox_profile, xvfb, _scratch: scratch })
    }

    /// WebKit's X display, when this engine needs one.
    fn display(&self) -> Option<&str> {
        self.xvfb.as_ref().map(|x| x.display.as_str())
    }

    /// Their addresses, space-separated: a test takes the first that opens a session.
    pub(crate) fn urls(&self) -> String {
        self.drivers.iter().map(|d| format!("http://127.0.0.1:{}", d.port)).collect::<Vec<_>>().join(" ")
    }
}

impl Driver {
    pub(crate) fn start(browser: &Browser, scratch: &Path, env: &DriverEnv) -> Result<Driver> {
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
            Engine::WebKit => unreachable!("each WebKit test starts its own driver (e2e's OwnDriver)"),
        };
        if let Some(home) = env.home {
            command.env("HOME", home);
        }
        // What the driver says goes to a log of its own: when a driver dies mid-run, the log says
        // why (it is kept after the run; the next run with that port overwrites it).
        let logs = root().join("target").join("xtask").join("drivers");
        let _ = std::fs::create_dir_all(&logs);
        let log = std::fs::File::create(logs.join(format!("{}-{port}.log", browser.engine.name())))
            .map(Stdio::from)
            .unwrap_or_else(|_| Stdio::null());
        let child = command
            .env("TMPDIR", scratch)
            .stdout(Stdio::null())
            .stderr(log)
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
