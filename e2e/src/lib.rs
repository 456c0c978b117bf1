//! Helpers for crosstalk's end-to-end tests, so tests read like the steps a QA person takes:
//! [`session`] opens the browser, [`find`] names elements, [`action`] does things,
//! [`check`] waits for what should be seen. Waits poll a condition; nothing sleeps a fixed time.
//!
//! `cargo xtask test` serves a release build and starts chromedriver, then runs these tests with
//! `CROSSTALK_BASE_URL`, `CROSSTALK_PROVIDER_URL`, `CROSSTALK_PUBLIC_URL`,
//! `CROSSTALK_STRANGER_URL`, `CROSSTALK_LONELY_URL`, `CROSSTALK_LONELY_STRANGER_URL`,
//! `CROSSTALK_PAIR_URLS`,
//! `CROSSTALK_WEBDRIVER_URL` (one or more WebDriver servers, space-separated),
//! `CROSSTALK_ENGINE` (`chromium` or `firefox`), `CROSSTALK_BROWSER` and `CROSSTALK_BROWSER_ARGS`
//! set; and, for the https tests, `CROSSTALK_SECURE_NAMES` (names each browser resolves to
//! loopback), `CROSSTALK_SECURE_URL` (the suite over https under the first), `CROSSTALK_PROXIED_URL`
//! (the suite behind Caddy, three origins on three names), `CROSSTALK_PLAIN_NAME_URL` (the suite
//! over plain http under the first name) and `CROSSTALK_FIREFOX_PROFILE` (a file holding an encoded
//! Firefox profile that trusts the run's CA; Chromium trusts it through its driver's `HOME`).

pub mod stock;

pub mod session {
    use std::time::{Duration, Instant};

    use thirtyfour::common::capabilities::firefox::FirefoxPreferences;
    use thirtyfour::error::WebDriverErrorInner;
    use thirtyfour::prelude::*;
    use thirtyfour::{Capabilities, ChromiumLikeCapabilities};

    /// The browser engine this run drives.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Engine {
        Chromium,
        Firefox,
        /// WebKitGTK's MiniBrowser: WebKit, not Safari.
        WebKit,
    }

    impl Engine {
        /// This run's engine (`CROSSTALK_ENGINE`).
        pub fn of_run() -> Engine {
            match env("CROSSTALK_ENGINE").as_str() {
                "firefox" => Engine::Firefox,
                "chromium" => Engine::Chromium,
                "webkit" => Engine::WebKit,
                other => panic!("CROSSTALK_ENGINE is chromium, firefox or webkit, not {other}"),
            }
        }

        pub fn name(self) -> &'static str {
            match self {
                Engine::Chromium => "chromium",
                Engine::Firefox => "firefox",
                Engine::WebKit => "webkit",
            }
        }

        /// The capabilities a session of this engine is opened with.
        fn capabilities(self) -> Capabilities {
            let args = env("CROSSTALK_BROWSER_ARGS");
            match self {
                Engine::Chromium => {
                    let mut caps = DesiredCapabilities::chrome();
                    caps.set_binary(&env("CROSSTALK_BROWSER")).expect("binary capability");
                    for arg in args.split_whitespace() {
                        caps.add_arg(arg).expect("chromium argument");
                    }
                    if let Some(names) = secure_names() {
                        let rules: Vec<String> = names.iter().map(|n| format!("MAP {n} 127.0.0.1")).collect();
                        caps.add_arg(&format!("--host-resolver-rules={}", rules.join(",")))
                            .expect("an argument");
                    }
                    caps.into()
                }
                Engine::Firefox => {
                    let mut caps = DesiredCapabilities::firefox();
                    caps.set_firefox_binary(&env("CROSSTALK_BROWSER")).expect("binary capability");
                    for arg in args.split_whitespace() {
                        caps.add_arg(arg).expect("firefox argument");
                    }
                    let mut prefs = FirefoxPreferences::new();
                    // Tests open windows from clicks; a blocked popup is not what they test.
                    prefs.set("dom.disable_open_during_load", false).expect("a preference");
                    // The closed network: no update, telemetry or safe-browsing calls.
                    for quiet in [
                        "app.update.enabled",
                        "datareporting.policy.dataSubmissionEnabled",
                        "browser.safebrowsing.malware.enabled",
                        "browser.safebrowsing.phishing.enabled",
                    ] {
                        prefs.set(quiet, false).expect("a preference");
                    }
                    if let Some(names) = secure_names() {
                        // The https tests' names resolve to loopback, and an http address stays
                        // http (no https-first upgrade: the plain-http tests mean plain http).
                        prefs.set("network.dns.localDomains", names.join(",")).expect("a preference");
                        prefs.set("dom.security.https_first", false).expect("a preference");
                    }
                    caps.set_preferences(prefs).expect("preferences");
                    if let Ok(file) = std::env::var("CROSSTALK_FIREFOX_PROFILE") {
                        let profile = std::fs::read_to_string(&file).expect("the encoded Firefox profile");
                        caps.set_encoded_profile(profile.trim()).expect("the profile");
                    }
                    caps.into()
                }
                Engine::WebKit => {
                    let mut caps = Capabilities::new();
                    caps.set("browserName", "MiniBrowser").expect("a capability");
                    let args: Vec<&str> = args.split_whitespace().collect();
                    let mut options = serde_json::json!({ "binary": env("CROSSTALK_BROWSER"), "args": args });
                    if let Some(names) = secure_names() {
                        // The names resolve to loopback through the hosts file the driver is
                        // started with (`OwnDriver`); WebKitGTK trusts a certificate per host, not
                        // a CA: the server's own.
                        let cert = env("CROSSTALK_SERVER_CERT");
                        let certificates: Vec<_> = names
                            .iter()
                            .map(|host| serde_json::json!({ "host": host, "certificateFile": cert }))
                            .collect();
                        options["certificates"] = serde_json::Value::from(certificates);
                    }
                    caps.set("webkitgtk:browserOptions", options).expect("a capability");
                    caps
                }
            }
        }
    }

    /// The names the https tests use (`CROSSTALK_SECURE_NAMES`), which each browser resolves to
    /// loopback by itself; none outside `cargo xtask test`.
    fn secure_names() -> Option<Vec<String>> {
        let names = std::env::var("CROSSTALK_SECURE_NAMES").ok()?;
        Some(names.split_whitespace().map(str::to_owned).collect())
    }

    fn env(name: &str) -> String {
        std::env::var(name)
            .unwrap_or_else(|_| panic!("{name} is not set: run the end-to-end tests with `cargo xtask test`"))
    }

    /// Every mechanism's route, with the `status` it shows once it works, for tests that visit
    /// them all: read from the catalog, so a new mechanism is visited without a word here.
    pub fn every_route() -> impl Iterator<Item = (&'static str, &'static str)> {
        crosstalk_protocol::catalog::MECHANISMS.iter().map(|m| (m.path, m.ready))
    }

    /// What the lesson on each route says, in English and in 中文 (a phrase of its lead), and a line
    /// of its code that only the real source has.
    pub const LESSONS: &[(&str, &str, &str, &str)] = &[
        (
            "/worker-port",
            "transfers port2 into a dedicated worker",
            "转移给一个用 Rust 写的专用 Worker",
            "MessageChannel::new()",
        ),
        ("/broadcast", "except the tab that posted it", "发送它的标签页除外", "BroadcastChannel::new(name)"),
        (
            "/storage",
            "The tab that wrote gets nothing",
            "写入的标签页自己什么也收不到",
            "StorageEventInit::new()",
        ),
        ("/indexeddb", "read it from the store", "从存储中读取", "store.put_with_key(wire"),
        (
            "/shared-worker",
            "holds a key/value store for every tab",
            "保存一个键值存储",
            "take_queued_connects(&scope)",
        ),
        ("/service-worker", "forwards it to every other tab", "转发给其他每个标签页", "crosstalkOnMessage"),
        ("/web-locks", "queues the rest", "其余的排队", "life_lock(&from)"),
        (
            "/atomics",
            "is memory that a page and its workers",
            "是页面和它的 Worker 可以同时读写的内存",
            "Atomics::wait(&ints, REQUESTS",
        ),
        ("/payment", "from the checkout frame itself", "来自结账框架本身", "Refusal::WrongSource"),
        ("/stock", "Exactly one tab", "只有一个标签页", "fn on_claim"),
        ("/websocket", "A WebSocket leaves it", "WebSocket 离开了它", "header::ORIGIN"),
        (
            "/webrtc",
            "carries messages straight from one browser to another",
            "把消息从一个浏览器直接送到另一个",
            "pub fn admits(current",
        ),
    ];

    /// One browser (one WebDriver session): its tabs share storage, channels and shared workers.
    pub struct Browser {
        pub driver: WebDriver,
        base: String,
        engine: Engine,
        /// The driver this session alone uses (WebKitGTK), stopped after the session: declared
        /// after `driver`, so dropped after it quits.
        _own: Option<OwnDriver>,
    }

    /// A WebDriver server started for one session (`CROSSTALK_WEBDRIVER_BINARY`): WebKitWebDriver,
    /// once a session of it hangs, cannot open the next, so no driver outlives its test. Its
    /// process group (the browser with it) is killed on drop; its log is
    /// `target/xtask/drivers/<engine>-<port>.log`.
    struct OwnDriver {
        child: std::process::Child,
        url: String,
    }

    impl OwnDriver {
        fn start(binary: &str, engine: Engine) -> OwnDriver {
            use std::os::unix::process::CommandExt as _;
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port for the driver")
                .port();
            let logs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/xtask/drivers");
            let _ = std::fs::create_dir_all(&logs);
            let log = std::fs::File::create(logs.join(format!("{}-{port}.log", engine.name())))
                .map(std::process::Stdio::from)
                .unwrap_or_else(|_| std::process::Stdio::null());
            let mut command = match std::env::var("CROSSTALK_HOSTS_FILE") {
                // WebKitGTK resolves names through the system, and has no resolver rules: the
                // driver, and the browser it starts, run in a mount namespace of their own whose
                // /etc/hosts names the test names loopback. Nothing outside it changes.
                Ok(hosts) => {
                    let mut c = std::process::Command::new("unshare");
                    c.args(["--user", "--map-root-user", "--mount", "--", "sh", "-c"])
                        .arg(r#"mount --bind "$0" /etc/hosts && exec "$@""#)
                        .args([hosts.as_str(), binary]);
                    c
                }
                Err(_) => std::process::Command::new(binary),
            };
            command.args([format!("--port={port}"), "--host=127.0.0.1".to_owned()]).process_group(0);
            if let Ok(tmp) = std::env::var("CROSSTALK_WEBDRIVER_TMPDIR") {
                command.env("TMPDIR", tmp);
            }
            let child = command
                .stdout(std::process::Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
            let own = OwnDriver { child, url: format!("http://127.0.0.1:{port}") };
            let deadline = Instant::now() + Duration::from_secs(20);
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(Instant::now() < deadline, "{binary} did not listen on {port} within 20 s");
                std::thread::sleep(Duration::from_millis(20));
            }
            own
        }
    }

    impl Drop for OwnDriver {
        fn drop(&mut self) {
            // The whole group: a browser whose session hung outlives a driver killed alone.
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .status();
            let _ = self.child.wait();
        }
    }

    impl Browser {
        /// A session of this run's engine, on the first WebDriver server that has room (a
        /// geckodriver holds one session at a time: the run starts one per test at once).
        pub async fn start() -> Browser {
            let engine = Engine::of_run();
            let caps = engine.capabilities();
            if let Ok(binary) = std::env::var("CROSSTALK_WEBDRIVER_BINARY") {
                // Now and then a new WebKitWebDriver takes the new-session request and never
                // launches the browser (no process, no answer: 3 of about 120 sessions in a whole
                // run here): such a driver is killed and another started, up to three times.
                for attempt in 1..=3 {
                    let own = OwnDriver::start(&binary, engine);
                    // A hung command fails its test in a minute, not after reqwest's two.
                    let session = WebDriver::builder(&own.url, caps.clone())
                        .request_timeout(Duration::from_secs(60))
                        .connect();
                    match tokio::time::timeout(Duration::from_secs(20), session).await {
                        Ok(Ok(driver)) => {
                            return Browser {
                                driver,
                                base: env("CROSSTALK_BASE_URL"),
                                engine,
                                _own: Some(own),
                            };
                        }
                        Ok(Err(e)) => panic!("a WebDriver session with {}: {e}", engine.name()),
                        Err(_) => eprintln!("{} opened no session in 20 s (attempt {attempt} of 3)", binary),
                    }
                }
                panic!("{binary} opened no session in three attempts");
            }
            let urls = env("CROSSTALK_WEBDRIVER_URL");
            let deadline = Instant::now() + Duration::from_secs(120);
            loop {
                let mut refused = String::new();
                for url in urls.split_whitespace() {
                    match WebDriver::new(url, caps.clone()).await {
                        Ok(driver) => {
                            return Browser { driver, base: env("CROSSTALK_BASE_URL"), engine, _own: None }
                        }
                        // A driver that holds one session at a time refuses another with the
                        // WebDriver error code "session not created", whatever its words: try the
                        // next, and again later.
                        Err(e) if matches!(e.as_inner(), WebDriverErrorInner::SessionNotCreated(_)) => {
                            refused = e.to_string();
                        }
                        Err(e) => panic!("a WebDriver session with {}: {e}", engine.name()),
                    }
                }
                assert!(
                    Instant::now() < deadline,
                    "no WebDriver server had room for a session in 2 minutes; the last said: {refused}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }

        /// The engine this browser runs: for the few behaviours that really differ.
        pub fn engine(&self) -> Engine {
            self.engine
        }

        /// The payment provider's origin (the second origin `cargo xtask test` serves).
        pub fn provider_origin(&self) -> String {
            env("CROSSTALK_PROVIDER_URL")
        }

        /// The cross-origin isolated origin (`/atomics`; COOP and COEP on every response).
        pub fn isolated_origin(&self) -> String {
            env("CROSSTALK_ISOLATED_URL")
        }

        /// The stranger's origin: a third origin `cargo xtask test` serves (never `serve`).
        pub fn stranger_origin(&self) -> String {
            env("CROSSTALK_STRANGER_URL")
        }

        /// `path` on the suite opened under a public name (what `--public-origin` allows).
        pub fn public_url(&self, path: &str) -> String {
            format!("{}{path}", env("CROSSTALK_PUBLIC_URL"))
        }

        /// `path` on the suite served over https under a name that is not `localhost`, as a class
        /// gets it: a secure context, so every mechanism is there.
        pub fn secure_url(&self, path: &str) -> String {
            format!("{}{path}", env("CROSSTALK_SECURE_URL"))
        }

        /// `path` on the suite behind a reverse proxy that ends TLS (Caddy, as the docs set it up):
        /// the app's, the provider's and the isolated origin are three names on one port.
        pub fn proxied_url(&self, path: &str) -> String {
            format!("{}{path}", env("CROSSTALK_PROXIED_URL"))
        }

        /// `path` on the suite over plain http under that same name: not a secure context.
        pub fn plain_name_url(&self, path: &str) -> String {
            format!("{}{path}", env("CROSSTALK_PLAIN_NAME_URL"))
        }

        /// `path` on a second suite whose provider's origin is down.
        pub fn lonely_url(&self, path: &str) -> String {
            format!("{}{path}", env("CROSSTALK_LONELY_URL"))
        }

        /// `path` on relay instance `n` (0 or 1) of a pair sharing rooms through Redis: two
        /// servers, two origins, one set of rooms.
        pub fn pair_url(&self, n: usize, path: &str) -> String {
            let urls = env("CROSSTALK_PAIR_URLS");
            let base = urls.split_whitespace().nth(n).expect("two instances");
            format!("{base}{path}")
        }

        /// The second suite's stranger: its `/relay/stop` and `/relay/start` control that suite's
        /// relay alone.
        pub fn lonely_stranger_origin(&self) -> String {
            env("CROSSTALK_LONELY_STRANGER_URL")
        }

        /// Opens `url` (any origin) in the current tab.
        pub async fn goto(&self, url: &str) {
            self.driver.goto(url).await.expect("navigation");
        }

        /// The app's origin.
        pub fn app_origin(&self) -> String {
            self.base.trim_end_matches('/').to_owned()
        }

        /// Runs `steps` inside the iframe named by a QA hook, then returns to the top document.
        pub async fn in_frame<T>(&self, id: &str, steps: impl AsyncFnOnce(&WebDriver) -> T) -> T {
            // The page renders once per frame: wait for the iframe rather than look once.
            let frame = crate::check::eventually(&format!("the frame {id}"), async || {
                self.driver.find(crate::find::testid(id)).await.map_err(|e| e.to_string())
            })
            .await;
            // Into view first: a click inside lands where the frame is on screen, and geckodriver
            // scrolls the frame's own page, not the page around it.
            frame.scroll_into_view().await.expect("scroll the frame into view");
            frame.enter_frame().await.expect("enter the frame");
            let result = steps(&self.driver).await;
            self.driver.enter_default_frame().await.expect("back to the page");
            result
        }

        /// The suite's address for `path` (`/worker-port`).
        pub fn url(&self, path: &str) -> String {
            format!("{}{}", self.base.trim_end_matches('/'), path)
        }

        /// Opens `path` in the current tab.
        pub async fn open(&self, path: &str) {
            self.driver.goto(self.url(path)).await.expect("navigation");
            self.rendered().await;
        }

        /// Waits until the app shows a page: it renders once its language's words have loaded,
        /// so a test that looks at once could look before that. Until then the route's
        /// prerendered page stands in (`#prerendered`), which the app removes when it takes over.
        pub async fn rendered(&self) {
            crate::check::eventually("the app to render a page", async || {
                let script =
                    "return !!document.querySelector('main.page') && !document.getElementById('prerendered')";
                let shown = self.driver.execute(script, Vec::new()).await;
                match shown.map(|v| v.json().as_bool()) {
                    Ok(Some(true)) => Ok(()),
                    other => Err(format!("{other:?}")),
                }
            })
            .await
        }

        /// Saves what the window shows as `target/<name>.png`, for the README; a test does not fail
        /// for want of a picture.
        pub async fn picture_page(&self, name: &str) {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../target/{name}.png"));
            if let Err(e) = self.driver.screenshot(&path).await {
                eprintln!("no picture of the page: {e}");
            }
        }

        /// Saves what the element `id` shows as `target/<name>.png`, for the README; a test does
        /// not fail for want of a picture.
        pub async fn picture(&self, id: &str, name: &str) {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../target/{name}.png"));
            let taken = match self.driver.find(crate::find::testid(id)).await {
                Ok(element) => element.screenshot(&path).await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = taken {
                eprintln!("no picture of {id}: {e}");
            }
        }

        /// Opens `path` in a new tab of the same browser and switches to it.
        pub async fn open_tab(&self, path: &str) -> WindowHandle {
            let tab = self.driver.new_tab().await.expect("new tab");
            self.driver.switch_to_window(tab.clone()).await.expect("switch to the new tab");
            self.open(path).await;
            tab
        }

        /// Opens `path` in this tab and in `count - 1` new tabs, waiting in each until its
        /// `status` reads `ready_state`; returns the tabs in order, the last one current.
        pub async fn open_tabs(&self, path: &str, count: usize, ready_state: &str) -> Vec<WindowHandle> {
            self.open(path).await;
            let mut tabs = vec![self.driver.window().await.expect("the first tab")];
            crate::check::state_becomes(&self.driver, "status", ready_state).await;
            for _ in 1..count {
                tabs.push(self.open_tab(path).await);
                crate::check::state_becomes(&self.driver, "status", ready_state).await;
            }
            tabs
        }

        pub async fn switch_to(&self, tab: &WindowHandle) {
            self.driver.switch_to_window(tab.clone()).await.expect("switch tab");
        }

        pub async fn quit(self) {
            let _ = self.driver.quit().await;
        }
    }
}

pub mod find {
    use thirtyfour::By;

    /// The element a QA hook names: `[data-testid="…"]`.
    pub fn testid(id: &str) -> By {
        By::Css(format!("[data-testid=\"{id}\"]"))
    }
}

pub mod action {
    use thirtyfour::prelude::*;

    use crate::find::testid;

    pub async fn click(driver: &WebDriver, id: &str) {
        let element =
            driver.find(testid(id)).await.unwrap_or_else(|e| panic!("no [data-testid={id}] to click: {e}"));
        click_element(&element).await.unwrap_or_else(|e| panic!("cannot click [data-testid={id}]: {e}"));
    }

    /// Clicks `element` once it is in the middle of the window. WebDriver scrolls an element only
    /// until it shows, and WebKitGTK's driver drops the `click` of one left at the window's edge
    /// (`mousedown` and `mouseup` arrive, `click` never does), so every click centres it first.
    ///
    /// A checkbox's click is checked as well: its state changes within the click itself, so one
    /// that did not change was not clicked (the page moved under the pointer between the scroll
    /// and the click: WebKitGTK, now and then, with other tabs changing what a page shows), and
    /// is clicked again, twice at most. One whose page went away with the click was clicked.
    pub async fn click_element(element: &WebElement) -> WebDriverResult<()> {
        let checkbox = element.tag_name().await? == "input"
            && element.attr("type").await?.is_some_and(|t| t.eq_ignore_ascii_case("checkbox"));
        let before = if checkbox { Some(element.is_selected().await?) } else { None };
        for _ in 0..3 {
            element.scroll_into_view().await?;
            element.click().await?;
            // A checkbox gone with its page (one that reloads the tab) was clicked.
            match before {
                Some(was) if element.is_selected().await.ok() == Some(was) => continue,
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    /// Replaces the text of an input.
    pub async fn type_text(driver: &WebDriver, id: &str, text: &str) {
        let element =
            driver.find(testid(id)).await.unwrap_or_else(|e| panic!("no [data-testid={id}] to type in: {e}"));
        element.clear().await.expect("clear the input");
        // A final newline is the Enter key, spelled out: engines read a typed "\n" differently.
        match text.strip_suffix('\n') {
            Some(line) => {
                element.send_keys(line).await.expect("type");
                element.send_keys(Key::Enter).await.expect("press Enter");
            }
            None => element.send_keys(text).await.expect("type"),
        }
    }

    /// Picks the option with `value` in a select.
    pub async fn choose(driver: &WebDriver, id: &str, value: &str) {
        let select =
            driver.find(testid(id)).await.unwrap_or_else(|e| panic!("no [data-testid={id}] select: {e}"));
        let option = select
            .find(By::Css(format!("option[value=\"{value}\"]")))
            .await
            .unwrap_or_else(|e| panic!("no option {value} in [data-testid={id}]: {e}"));
        click_element(&option).await.expect("choose the option");
    }
}

pub mod check {
    use std::time::{Duration, Instant};

    use serde::Deserialize;
    use thirtyfour::prelude::*;

    use crate::find::testid;

    /// How long anything may take to be seen.
    pub const PATIENCE: Duration = Duration::from_secs(15);
    const POLL: Duration = Duration::from_millis(50);

    /// Polls `probe` until it yields `Ok`; after [`PATIENCE`] panics naming `what` and the last
    /// thing the probe saw instead (its `Err`).
    pub async fn eventually<T>(what: &str, mut probe: impl AsyncFnMut() -> Result<T, String>) -> T {
        let deadline = Instant::now() + PATIENCE;
        loop {
            match probe().await {
                Ok(value) => return value,
                Err(seen) if Instant::now() > deadline => {
                    panic!("waited {PATIENCE:?} for {what}; last saw: {seen}")
                }
                Err(_) => tokio::time::sleep(POLL).await,
            }
        }
    }

    /// An attribute of the element a QA hook names, if the element exists.
    pub async fn attr_of(driver: &WebDriver, id: &str, attr: &str) -> Option<String> {
        let element = driver.find(testid(id)).await.ok()?;
        element.attr(attr).await.ok().flatten()
    }

    /// What this page's loads transferred, per entry: the document first, then each resource —
    /// `(url, transferSize, encodedBodySize, decodedBodySize)` from Resource Timing (0 transferred
    /// is the cache).
    pub async fn transfers(driver: &WebDriver) -> Vec<(String, u64, u64, u64)> {
        let script = "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))\
                      .map(e => [e.name, e.transferSize, e.encodedBodySize, e.decodedBodySize])";
        let entries = driver.execute(script, Vec::new()).await.map(|v| v.json().clone()).unwrap_or_default();
        entries
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                let n = |i: usize| e.get(i).and_then(|v| v.as_f64()).unwrap_or(0.0) as u64;
                (e.get(0).and_then(|v| v.as_str()).unwrap_or_default().to_owned(), n(1), n(2), n(3))
            })
            .collect()
    }

    pub async fn text_of(driver: &WebDriver, id: &str) -> Option<String> {
        driver.find(testid(id)).await.ok()?.text().await.ok()
    }

    /// Waits until `[data-testid=id]` has `data-state="state"`.
    pub async fn state_becomes(driver: &WebDriver, id: &str, state: &str) {
        eventually(&format!("[data-testid={id}] to be in state {state}"), async || {
            match attr_of(driver, id, "data-state").await {
                Some(now) if now == state => Ok(()),
                now => Err(format!("data-state={now:?}")),
            }
        })
        .await
    }

    /// The page's count of Content-Security-Policy violations (the app counts them in
    /// `csp-violations`); waits for the app to have rendered it.
    pub async fn csp_violations(driver: &WebDriver) -> u32 {
        eventually("the csp-violations readout", async || {
            match attr_of(driver, "csp-violations", "data-count").await {
                Some(count) => count.parse::<u32>().map_err(|e| e.to_string()),
                None => Err("no readout".into()),
            }
        })
        .await
    }

    /// One message log entry as the page shows it.
    #[derive(Debug, Clone, Deserialize, PartialEq)]
    pub struct LogLine {
        pub dir: String,
        pub status: String,
        pub kind: String,
        pub seq: Option<String>,
        pub payload: String,
        pub reason: String,
        /// `data-reason-code`: what tests match, rather than the sentence.
        pub code: String,
        /// `data-at`: when the page logged it, in ms since the epoch (`performance.timeOrigin +
        /// performance.now()`: one clock for every tab of a browser).
        pub at: f64,
    }

    /// Clicks `log-export` and returns the file it offers: see [`exported_file`].
    pub async fn exported_log(driver: &WebDriver) -> (String, serde_json::Value) {
        exported_file(driver, "log-export").await
    }

    /// Clicks the button `id` and returns the JSON file it offers, name and content, read from
    /// the very `Blob` the page made (the download itself is held back: nothing is written to disk).
    pub async fn exported_file(driver: &WebDriver, id: &str) -> (String, serde_json::Value) {
        const SCRIPT: &str = r#"
const done = arguments[arguments.length - 1];
const make = URL.createObjectURL, click = HTMLAnchorElement.prototype.click;
let name = null, text = null;
const finish = () => { if (name !== null && text !== null) done({ name, text }); };
URL.createObjectURL = function (blob) {
  URL.createObjectURL = make;
  blob.text().then((t) => { text = t; finish(); });
  return make.call(URL, blob);
};
HTMLAnchorElement.prototype.click = function () {
  HTMLAnchorElement.prototype.click = click;
  name = this.download;
  finish();
};
document.querySelector(`[data-testid="${arguments[0]}"]`).click();
"#;
        let result = driver.execute_async(SCRIPT, vec![serde_json::json!(id)]).await.expect("the export");
        let file = result.json();
        let name = file["name"].as_str().expect("a file name").to_owned();
        let text = file["text"].as_str().expect("the file's text");
        (name, serde_json::from_str(text).expect("the export is JSON"))
    }

    /// Every log entry of the current tab, oldest first (one script call, not one per entry).
    pub async fn log_lines(driver: &WebDriver) -> Vec<LogLine> {
        const SNAPSHOT: &str = r#"
            return Array.from(document.querySelectorAll('[data-testid="log-entry"]')).map(e => ({
                dir: e.dataset.dir || '', status: e.dataset.status || '', kind: e.dataset.kind || '',
                seq: e.dataset.seq || null,
                payload: (e.querySelector('[data-testid="log-payload"]') || {}).textContent || '',
                reason: (e.querySelector('[data-testid="log-reason"]') || {}).textContent || '',
                code: e.dataset.reasonCode || '',
                at: Number(e.dataset.at) || 0,
            }));"#;
        let result = driver.execute(SNAPSHOT, Vec::new()).await.expect("read the log");
        result.convert().expect("log entries")
    }

    /// What a log entry must look like to match; unset fields match anything.
    #[derive(Debug, Default, Clone)]
    pub struct Want<'a> {
        pub dir: Option<&'a str>,
        pub status: Option<&'a str>,
        pub kind: Option<&'a str>,
        pub payload_has: Option<&'a str>,
        pub reason_has: Option<&'a str>,
        /// The entry's reason code (`bad-json`, `wrong-origin`, …).
        pub code: Option<&'a str>,
    }

    impl Want<'_> {
        pub fn matches(&self, line: &LogLine) -> bool {
            self.dir.is_none_or(|d| line.dir == d)
                && self.status.is_none_or(|s| line.status == s)
                && self.kind.is_none_or(|k| line.kind == k)
                && self.payload_has.is_none_or(|p| line.payload.contains(p))
                && self.reason_has.is_none_or(|r| line.reason.contains(r))
                && self.code.is_none_or(|c| line.code == c)
        }
    }

    /// Waits until the log has at least `count` entries matching `want`; returns them.
    pub async fn log_has_n(driver: &WebDriver, count: usize, want: Want<'_>) -> Vec<LogLine> {
        eventually(&format!("{count} log entries like {want:?}"), async || {
            let lines = log_lines(driver).await;
            let matching: Vec<LogLine> = lines.iter().filter(|l| want.matches(l)).cloned().collect();
            if matching.len() >= count {
                Ok(matching)
            } else {
                Err(format!("{} matching among {lines:#?}", matching.len()))
            }
        })
        .await
    }

    /// Waits until the log has an entry matching `want`; returns the newest such entry.
    pub async fn log_has(driver: &WebDriver, want: Want<'_>) -> LogLine {
        let mut matching = log_has_n(driver, 1, want).await;
        matching.pop().expect("at least one")
    }
}

/// Proven marks: a test takes another path in an engine only where a web API is missing, and
/// proves it in the same test with the suite's own capability probe; there it asserts the route's
/// clean `unsupported` state instead (docs/webkit.md lists every mark).
pub mod mark {
    use thirtyfour::prelude::*;

    use crate::check::{attr_of, state_becomes};
    use crate::session::{Browser, Engine};

    /// A capability `/capabilities` probes, the route that needs it, and the API the route names.
    pub struct Needed {
        /// The probe's row (`data-capability`), e.g. `rtc-data-channel`.
        pub probe: &'static str,
        /// The origin to probe on and open the route on (an API may exist on one origin only).
        pub origin: String,
        /// The route, e.g. `/webrtc`.
        pub route: &'static str,
        /// The API its `missing-api` panel names (`data-api`), e.g. `RTCPeerConnection`.
        pub api: &'static str,
        /// The engines known to lack it: a missing API anywhere else fails the test.
        pub known_in: &'static [Engine],
    }

    impl Needed {
        /// `/atomics`' shared memory, on the isolated origin: WebKitGTK (Debian) has no
        /// `SharedArrayBuffer` even there (Safari has).
        pub fn shared_memory(browser: &Browser) -> Needed {
            Needed {
                probe: "shared-array-buffer",
                origin: browser.isolated_origin(),
                route: "/atomics",
                api: "SharedArrayBuffer",
                known_in: &[Engine::WebKit],
            }
        }

        /// `/webrtc`'s data channel: WebKitGTK (Debian) is built without WebRTC (Safari has it).
        pub fn data_channel(browser: &Browser) -> Needed {
            Needed {
                probe: "rtc-data-channel",
                origin: browser.app_origin(),
                route: "/webrtc",
                api: "RTCPeerConnection",
                known_in: &[Engine::WebKit],
            }
        }
    }

    /// The routes this browser proves it cannot run (each probe asked on its own origin): tests
    /// that visit every route expect `unsupported` there. Leaves the current tab on a probe page.
    pub async fn routes_lacking(browser: &Browser) -> Vec<&'static str> {
        let mut lacking = Vec::new();
        for needed in [Needed::shared_memory(browser), Needed::data_channel(browser)] {
            if probe_says_missing(browser, &needed).await {
                lacking.push(needed.route);
            }
        }
        lacking
    }

    /// Every mechanism's route with the `status` it shows in this browser: its `ready` state, or
    /// `unsupported` where the browser proves it lacks the route's API ([`routes_lacking`]).
    pub async fn every_route_here(browser: &Browser) -> Vec<(&'static str, &'static str)> {
        let lacking = routes_lacking(browser).await;
        crate::session::every_route()
            .map(|(path, ready)| (path, if lacking.contains(&path) { "unsupported" } else { ready }))
            .collect()
    }

    /// Whether this browser lacks what `needed` names. Asks `/capabilities` on its origin; where
    /// the probe says "no", checks the engine is one known to lack it, opens the route and sees it
    /// say `unsupported` with `missing-api` naming the API and the browser as the cause, and
    /// records the mark in `target/marks-<engine>.txt`. The caller ends the test on `true`; the
    /// current tab is left on the route.
    pub async fn lacks(browser: &Browser, needed: &Needed) -> bool {
        if !probe_says_missing(browser, needed).await {
            return false;
        }
        let driver = &browser.driver;
        browser.goto(&format!("{}{}", needed.origin, needed.route)).await;
        browser.rendered().await;
        state_becomes(driver, "status", "unsupported").await;
        assert_eq!(attr_of(driver, "missing-api", "data-api").await.as_deref(), Some(needed.api));
        assert_eq!(
            attr_of(driver, "missing-api", "data-reason-code").await.as_deref(),
            Some("not-in-browser")
        );
        true
    }

    /// Whether `/capabilities` on `needed`'s origin says its probe is missing, in an engine known
    /// to lack it (anywhere else that fails the test); a "no" is recorded as a mark. Leaves the
    /// current tab on `/capabilities`.
    pub async fn probe_says_missing(browser: &Browser, needed: &Needed) -> bool {
        let driver = &browser.driver;
        browser.goto(&format!("{}/capabilities", needed.origin)).await;
        browser.rendered().await;
        state_becomes(driver, "status", "done").await;
        let row = format!(r#"[data-testid="capability"][data-capability="{}"]"#, needed.probe);
        let row =
            driver.find(By::Css(row)).await.unwrap_or_else(|e| panic!("no probe {}: {e}", needed.probe));
        if row.attr("data-supported").await.ok().flatten().as_deref() != Some("no") {
            return false;
        }
        let note = row.find(By::Css(".note")).await.expect("a note").text().await.unwrap_or_default();
        let engine = browser.engine();
        assert!(
            needed.known_in.contains(&engine),
            "{} says {} is missing in {}, which should have it: {note}",
            needed.probe,
            needed.api,
            engine.name()
        );
        record(engine, "mark", &format!("{}: {}: {note}", needed.route, needed.probe));
        true
    }

    /// Records a substitute: where the driver, not the engine, lacks something, the test asserts
    /// the same behaviour another way (`why` says which, and why).
    pub fn substitute(browser: &Browser, why: &str) {
        record(browser.engine(), "substitute", why);
    }

    /// One line in `target/marks-<engine>.txt` (test, kind, what), and on stderr.
    fn record(engine: Engine, kind: &str, what: &str) {
        use std::io::Write as _;
        let test = std::thread::current().name().unwrap_or("a test").to_owned();
        let line = format!("{test}\t{kind}\t{what}\n");
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../target/marks-{}.txt", engine.name()));
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(file) {
            let _ = f.write_all(line.as_bytes());
        }
        eprintln!("{kind} in {}: {line}", engine.name());
    }
}

/// axe-core, injected through WebDriver (which the page's CSP does not govern: a `<script>` would
/// be refused, rightly), for `cargo xtask audit` and the contrast test.
pub mod axe {
    use thirtyfour::prelude::*;

    /// axe-core's script (`CROSSTALK_AXE_SCRIPT`, installed by `cargo xtask`).
    pub fn source() -> String {
        let path = std::env::var("CROSSTALK_AXE_SCRIPT").unwrap_or_else(|_| {
            panic!("CROSSTALK_AXE_SCRIPT is not set: run the tests with `cargo xtask test`")
        });
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("axe-core's script {path}: {e}"))
    }

    /// axe's violations on the current page (only `rule`'s, if given): rule, how many elements,
    /// impact, and what it wants with the elements it found.
    pub async fn violations(
        driver: &WebDriver,
        source: &str,
        rule: Option<&str>,
    ) -> Vec<(String, u64, String, String)> {
        driver.execute(&format!("{source}\n;return true;"), Vec::new()).await.expect("axe injected");
        let script = "const done = arguments[arguments.length - 1];\
                      const only = arguments[0] ? { runOnly: [arguments[0]] } : {};\
                      axe.run(document, Object.assign({ resultTypes: ['violations'] }, only))\
                      .then(r => done(r.violations.map(v => [v.id, v.nodes.length, v.impact || '',\
                          v.help + ': ' + v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' (' + (n.any[0] || {}).message + ')').join('; ')])),\
                            e => done([['axe-error', 0, '', String(e)]]));";
        let found = driver.execute_async(script, vec![serde_json::json!(rule)]).await.expect("axe ran");
        found
            .json()
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| {
                let text = |i: usize| v.get(i).and_then(|x| x.as_str()).unwrap_or_default().to_owned();
                (text(0), v.get(1).and_then(|x| x.as_u64()).unwrap_or(0), text(2), text(3))
            })
            .collect()
    }
}
