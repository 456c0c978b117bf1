//! The HTTP side of crosstalk: serves the built suite (`dist/`) with a single-page fallback, on
//! two origins.
//!
//! `cargo xtask serve` and the end-to-end tests run the same [`Suite`]. Each origin or service the
//! suite needs is one more listener started by [`Suite::start`]: the app's origin, and the payment
//! provider's origin (the same build, reached on another port, which makes it another origin).
//! The WebSocket relay (`/ws`) is part of the app's origin.
//!
//! Both origins get `index.html` with the suite's configuration filled into
//! `<meta name="crosstalk-config">`, so the app knows which origin is which from explicit
//! configuration, never by guessing from its own URL.

use std::io;
use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use pages::Pages;

pub mod args;
mod config;
mod csp;
#[cfg(feature = "embed")]
pub mod embedded;
mod hosts;
pub mod http;
pub mod local_redis;
pub mod pages;
pub mod relay;
mod site;
#[cfg(any(test, feature = "stranger"))]
mod stranger;
pub mod tls;

pub use config::{public_name, public_origins, relay_origin, ConfigError, SuiteConfig};
pub use csp::{
    content_security_policy, inline_script_hashes, probe_of, CspReports, CSP_PROBE_MARK, CSP_REPORT_PATH,
};
pub use hosts::{HostNames, Ports, Scheme, Side, KNOWN_HOSTS};
pub use http::HttpLimits;
pub use relay::{Relay, RelayLimits};
pub(crate) use site::{html_escape, text_response};
pub use site::{
    looks_like_file, suite_router, SiteConfig, BENCH_PEER_PAGE, CONFIG_PLACEHOLDER, DEV_BUILD_PATH,
    HEALTH_PATH, PROVIDER_PAGE, RELAY_PATH,
};

/// What the app is told about the suite it runs in (the `crosstalk-config` meta tag): the
/// protocol crate's type, so the server writes exactly what the app reads.
pub use crosstalk_protocol::config::Origins as ClientConfig;

/// The running servers. Dropping it (or [`Suite::shutdown`]) stops them.
pub struct Suite {
    scheme: Scheme,
    app: Listener,
    provider_addr: SocketAddr,
    provider: Option<Listener>,
    isolated: Listener,
    stranger: Option<Listener>,
    reports: CspReports,
    relay: Relay,
}

impl Suite {
    /// The router of the listener at `addr` (tests ask it without a socket).
    #[cfg(test)]
    fn router_at(&self, addr: SocketAddr) -> Router {
        let listeners = [&self.app, &self.isolated].into_iter().chain(&self.provider).chain(&self.stranger);
        listeners.filter(|l| l.addr == addr).map(|l| l.router.clone()).next().expect("a listener there")
    }

    /// Binds every listener, then serves in the background on the current tokio runtime.
    pub async fn start(config: SuiteConfig) -> io::Result<Suite> {
        let index = config.dist.join("index.html");
        if !index.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "{} does not exist: build the suite first (cargo xtask serve builds it)",
                    index.display()
                ),
            ));
        }
        // The certificate is checked before anything listens: a server never starts half-configured.
        let tls = match &config.tls {
            Some(files) => Some(
                tls::acceptor(files, &config.certified_names)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?,
            ),
            None => None,
        };
        let app = bind(config.app_addr).await?;
        let provider = bind(config.provider_addr).await?;
        let isolated = bind(config.isolated_addr).await?;
        let stranger = match config.stranger_addr {
            Some(_) if !cfg!(any(test, feature = "stranger")) => {
                let why = "a stranger's origin is for the tests: build with the `stranger` feature";
                return Err(io::Error::new(io::ErrorKind::Unsupported, why));
            }
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        let port_of = |listener: &TcpListener| listener.local_addr().map(|a| a.port());
        let ports = Ports {
            scheme: config.scheme,
            app: port_of(&app)?,
            provider: port_of(&provider)?,
            isolated: port_of(&isolated)?,
            stranger: stranger.as_ref().map(port_of).transpose()?,
        };
        let site = SiteConfig {
            dist: config.dist.clone(),
            ports,
            pages: match config.watch_dist {
                true => Pages::watching(&config.dist)?,
                false => Pages::load(&config.dist)?,
            },
            hosts: HostNames::with(&config.public_names),
            reports: CspReports::default(),
            relay: match &config.redis {
                Some(url) => Relay::with_redis(config.relay_limits, url, config.bus_timing)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?,
                None => Relay::new(config.relay_limits),
            },
            relay_origins: config.relay_origins.clone(),
            public: config.public_origins.clone(),
        };
        let provider_addr = provider.local_addr()?;
        let serve = |listener, side| {
            let trusted_proxies = config.trusted_proxies.clone().into();
            let served = http::Served { limits: config.http_limits, tls: tls.clone(), trusted_proxies };
            Listener::serve(listener, suite_router(&site, side), served)
        };
        Ok(Suite {
            scheme: config.scheme,
            app: serve(app, Side::App)?,
            provider_addr,
            provider: Some(serve(provider, Side::Provider)?),
            isolated: serve(isolated, Side::Isolated)?,
            stranger: stranger.map(|l| serve(l, Side::Stranger)).transpose()?,
            reports: site.reports,
            relay: site.relay,
        })
    }

    /// Stops the provider's origin alone: what a user sees when it cannot be reached (tests).
    pub async fn stop_provider(&mut self) {
        if let Some(provider) = self.provider.take() {
            provider.shutdown().await;
        }
    }

    /// The stranger's origin, when started (tests only).
    pub fn stranger_url(&self) -> Option<String> {
        self.stranger.as_ref().map(|s| self.origin_of(s.addr))
    }

    /// Violation reports the tests provoked on purpose (their URL carries `csp-probe=`).
    pub fn csp_probes(&self) -> Vec<String> {
        self.reports.probes()
    }

    /// The Content-Security-Policy violations browsers have reported so far.
    pub fn csp_reports(&self) -> (u64, Vec<String>) {
        self.reports.snapshot()
    }

    /// `http://ADDR` or `https://ADDR`.
    fn origin_of(&self, addr: SocketAddr) -> String {
        self.scheme.origin(&addr.ip().to_string(), addr.port())
    }

    /// The app's origin, e.g. `http://127.0.0.1:8080`.
    pub fn app_url(&self) -> String {
        self.origin_of(self.app.addr)
    }

    /// The payment provider's origin, e.g. `http://127.0.0.1:8081`.
    pub fn provider_url(&self) -> String {
        self.origin_of(self.provider_addr)
    }

    /// The cross-origin isolated origin, e.g. `http://127.0.0.1:8082`.
    pub fn isolated_url(&self) -> String {
        self.origin_of(self.isolated.addr)
    }

    pub fn isolated_port(&self) -> u16 {
        self.isolated.addr.port()
    }

    pub fn provider_port(&self) -> u16 {
        self.provider_addr.port()
    }

    pub fn app_addr(&self) -> SocketAddr {
        self.app.addr
    }

    /// The relay, to stop and resume it (tests) or read its health.
    pub fn relay(&self) -> &Relay {
        &self.relay
    }

    /// Closes every relay client with 1001 (going away), stops accepting connections and waits
    /// for the servers to finish: a second or two at most.
    pub async fn shutdown(self) {
        self.relay.shut_down(std::time::Duration::from_secs(1)).await;
        self.app.shutdown().await;
        self.isolated.shutdown().await;
        for listener in [self.provider, self.stranger].into_iter().flatten() {
            listener.shutdown().await;
        }
    }
}

async fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))
}

struct Listener {
    addr: SocketAddr,
    /// What it answers with (the tests ask it directly, without a socket).
    #[cfg_attr(not(test), allow(dead_code))]
    router: Router,
    stop: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl Listener {
    fn serve(listener: TcpListener, router: Router, served: http::Served) -> io::Result<Listener> {
        let addr = listener.local_addr()?;
        let stop = CancellationToken::new();
        let task = tokio::spawn(http::serve(listener, router.clone(), served, stop.clone()));
        Ok(Listener { addr, router, stop, task: Some(task) })
    }

    async fn shutdown(mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn files_are_told_from_routes_by_their_last_segment() {
        assert!(looks_like_file("/echo_worker_loader.js"));
        assert!(looks_like_file("/assets/x_bg.wasm"));
        assert!(!looks_like_file("/worker-port"));
        assert!(!looks_like_file("/"));
        assert!(!looks_like_file("/v1.2/route/"));
    }

    /// Asks the router of the listener at `addr` directly (`oneshot`, no socket): the status line
    /// as HTTP/1.1 would have it, the head lowercased, and the body.
    async fn ask(
        suite: &Suite,
        addr: SocketAddr,
        method: &str,
        path: &str,
        host: &str,
        body: &str,
    ) -> (String, String, String) {
        use tower::ServiceExt as _;
        let request = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .header(axum::http::header::HOST, host)
            .body(axum::body::Body::from(body.to_owned()))
            .unwrap();
        let response = suite.router_at(addr).oneshot(request).await.unwrap();
        let status = response.status();
        let status =
            format!("HTTP/1.1 {} {}", status.as_u16(), status.canonical_reason().unwrap_or_default());
        let head: String = response
            .headers()
            .iter()
            .map(|(name, value)| format!("{name}: {}\n", value.to_str().unwrap_or_default()))
            .collect::<String>()
            .to_lowercase();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, head, String::from_utf8_lossy(&bytes).into_owned())
    }

    async fn raw(
        suite: &Suite,
        addr: SocketAddr,
        method: &str,
        path: &str,
        host: &str,
    ) -> (String, String, String) {
        ask(suite, addr, method, path, host, "").await
    }

    async fn get(suite: &Suite, addr: SocketAddr, path: &str) -> (String, String) {
        let (status, _, body) = raw(suite, addr, "GET", path, &addr.to_string()).await;
        (status, body)
    }

    async fn head_of(suite: &Suite, addr: SocketAddr, path: &str) -> String {
        raw(suite, addr, "GET", path, &addr.to_string()).await.1
    }

    const INDEX: &str = r#"<html><meta name="crosstalk-config" content="" />app</html>"#;

    /// A throwaway dist folder, removed on drop.
    fn dist() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), INDEX).unwrap();
        std::fs::write(dir.path().join("echo.js"), "// js").unwrap();
        dir
    }

    fn local() -> SocketAddr {
        "127.0.0.1:0".parse().unwrap()
    }

    /// Every origin on a free local port, the stranger's too, answering to `crosstalk.test` too.
    fn config(dist: &std::path::Path) -> SuiteConfig {
        SuiteConfig {
            dist: dist.to_path_buf(),
            app_addr: local(),
            provider_addr: local(),
            isolated_addr: local(),
            public_names: vec!["Crosstalk.test".into()],
            stranger_addr: Some(local()),
            relay_limits: RelayLimits::default(),
            relay_origins: Vec::new(),
            redis: None,
            bus_timing: Default::default(),
            http_limits: HttpLimits::default(),
            scheme: Scheme::Http,
            tls: None,
            certified_names: Vec::new(),
            public_origins: None,
            trusted_proxies: Vec::new(),
            watch_dist: false,
        }
    }

    #[tokio::test]
    async fn serves_files_routes_and_real_404s() {
        let dist = dist();
        let suite = Suite::start(config(dist.path())).await.unwrap();
        let addr = suite.app_addr();
        assert_eq!(get(&suite, addr, "/echo.js").await, ("HTTP/1.1 200 OK".into(), "// js".into()));
        let (status, page) = get(&suite, addr, "/worker-port").await;
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert!(page.ends_with("app</html>"), "{page}");
        assert_eq!(get(&suite, addr, "/").await.1, page);
        let (status, body) = get(&suite, addr, "/missing_worker_loader.js").await;
        assert_eq!(status, "HTTP/1.1 404 Not Found");
        assert!(body.contains("missing_worker_loader.js"));
        suite.shutdown().await;
    }

    #[tokio::test]
    async fn a_watched_build_is_followed_page_policy_and_stamp_and_a_fixed_one_has_no_stamp() {
        let dist = dist();
        let page = |script: &str| {
            format!(
                r#"<html><meta name="crosstalk-config" content="" /><script type="module">{script}</script></html>"#
            )
        };
        std::fs::write(dist.path().join("index.html"), page("first()")).unwrap();
        let fixed = Suite::start(config(dist.path())).await.unwrap();
        let (status, _) = get(&fixed, fixed.app_addr(), DEV_BUILD_PATH).await;
        assert_eq!(status, "HTTP/1.1 404 Not Found", "only `cargo xtask dev` says which build it serves");
        fixed.shutdown().await;

        let suite = Suite::start(SuiteConfig { watch_dist: true, ..config(dist.path()) }).await.unwrap();
        let addr = suite.app_addr();
        let (status, first) = get(&suite, addr, DEV_BUILD_PATH).await;
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert_eq!(first.len(), 16, "{first}");
        let policy = head_of(&suite, addr, "/").await;
        assert!(policy.contains(&inline_script_hashes(&page("first()")).to_lowercase()), "{policy}");

        // trunk moves a build into place, then removes its staging folder: until then, the old one.
        std::fs::create_dir(dist.path().join(".stage")).unwrap();
        let index =
            std::fs::File::options().write(true).truncate(true).open(dist.path().join("index.html")).unwrap();
        std::io::Write::write_all(&mut &index, page("second()").as_bytes()).unwrap();
        index.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(2)).unwrap();
        assert_eq!(get(&suite, addr, DEV_BUILD_PATH).await.1, first, "a build half moved is not served");
        std::fs::remove_dir(dist.path().join(".stage")).unwrap();
        let (_, second) = get(&suite, addr, DEV_BUILD_PATH).await;
        assert_ne!(second, first);
        assert!(get(&suite, addr, "/").await.1.contains("second()"));
        let policy = head_of(&suite, addr, "/").await;
        assert!(
            policy.contains(&inline_script_hashes(&page("second()")).to_lowercase()),
            "the policy follows: {policy}"
        );
        // A build that changed a file but not the page (the words, say) is a new build all the same.
        std::fs::write(dist.path().join("echo.js"), "// js, rebuilt").unwrap();
        let index = std::fs::File::options().append(true).open(dist.path().join("index.html")).unwrap();
        index.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(4)).unwrap();
        assert_ne!(get(&suite, addr, DEV_BUILD_PATH).await.1, second);
        suite.shutdown().await;
    }

    #[tokio::test]
    async fn refuses_to_start_without_a_build() {
        let missing = std::env::temp_dir().join("crosstalk-no-such-dist");
        let error = Suite::start(config(&missing)).await.err().expect("no index.html, no server");
        assert!(error.to_string().contains("build the suite first"), "{error}");
    }

    #[tokio::test]
    async fn both_origins_are_told_which_is_which_and_only_the_app_may_frame_the_provider() {
        let dist = dist();
        let suite = Suite::start(config(dist.path())).await.unwrap();
        let (app, provider) = (suite.app_url(), suite.provider_url());
        assert_ne!(app, provider);
        let expected = format!(
            r#"<meta name="crosstalk-config" content="{{&quot;app_origin&quot;:&quot;{app}&quot;,&quot;provider_origin&quot;:&quot;{provider}&quot;,&quot;isolated_origin&quot;:&quot;{}&quot;}}" />"#,
            suite.isolated_url()
        );
        let provider_addr: SocketAddr = provider.trim_start_matches("http://").parse().unwrap();
        for addr in [suite.app_addr(), provider_addr] {
            let (_, page) = get(&suite, addr, "/payment").await;
            assert!(page.contains(&expected), "{page}");
        }
        assert!(head_of(&suite, provider_addr, "/provider")
            .await
            .contains(&format!("frame-ancestors {app}")));
        assert!(head_of(&suite, suite.app_addr(), "/").await.contains("frame-ancestors 'self'"));
        suite.shutdown().await;
    }

    #[tokio::test]
    async fn only_the_isolated_origin_is_isolated_and_the_app_sends_atomics_there() {
        let dist = dist();
        let suite = Suite::start(config(dist.path())).await.unwrap();
        let isolated: SocketAddr = suite.isolated_url().trim_start_matches("http://").parse().unwrap();
        for path in ["/atomics", "/echo.js", "/inspector", "/capabilities"] {
            let (status, head, _) = raw(&suite, isolated, "GET", path, &isolated.to_string()).await;
            assert_eq!(status, "HTTP/1.1 200 OK", "{path}");
            assert!(head.contains("cross-origin-opener-policy: same-origin"), "{path}: {head}");
            assert!(head.contains("cross-origin-embedder-policy: require-corp"), "{path}: {head}");
            assert!(head.contains("frame-ancestors 'none'"), "{path}: {head}");
        }
        // Nothing else is served there: the other routes need frames and windows isolation breaks.
        assert_eq!(get(&suite, isolated, "/payment").await.0, "HTTP/1.1 404 Not Found");
        let app = suite.app_addr();
        let (status, head, _) = raw(&suite, app, "GET", "/atomics?lang=zh", &app.to_string()).await;
        assert_eq!(status, "HTTP/1.1 302 Found");
        assert!(head.contains(&format!("location: {}/atomics?lang=zh", suite.isolated_url())), "{head}");
        let (_, head, _) = raw(&suite, app, "GET", "/broadcast", &app.to_string()).await;
        assert!(!head.contains("cross-origin-embedder-policy"), "{head}");
        suite.shutdown().await;
    }

    #[test]
    fn the_provider_takes_the_next_port_unless_told_otherwise() {
        let app: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let port =
            |app, given| SuiteConfig::on_ports(PathBuf::new(), app, given).map(|c| c.provider_addr.port());
        assert_eq!(port(app, None), Ok(8081));
        assert_eq!(port(app, Some(9000)), Ok(9000));
        assert_eq!(port(local(), None), Ok(0));
        let last: SocketAddr = "127.0.0.1:65535".parse().unwrap();
        assert!(port(last, None).unwrap_err().to_string().contains("no next port"));
        assert_eq!(port(last, Some(9000)), Ok(9000));
        let isolated =
            |app, given| SuiteConfig::on_ports(PathBuf::new(), app, given).map(|c| c.isolated_addr.port());
        assert_eq!(isolated(app, None), Ok(8082));
        assert_eq!(isolated(app, Some(9000)), Ok(9001));
        assert_eq!(isolated(local(), None), Ok(0));
    }

    #[test]
    fn configuration_is_escaped_for_json_and_html() {
        let config = ClientConfig {
            app_origin: "http://a\"<b>".into(),
            provider_origin: "p".into(),
            isolated_origin: String::new(),
        };
        assert_eq!(
            config.to_json(),
            r#"{"app_origin":"http://a\"<b>","provider_origin":"p","isolated_origin":""}"#
        );
        assert_eq!(html_escape(&config.to_json()), "{&quot;app_origin&quot;:&quot;http://a\\&quot;&lt;b&gt;&quot;,&quot;provider_origin&quot;:&quot;p&quot;,&quot;isolated_origin&quot;:&quot;&quot;}");
    }

    async fn started(dist: &tempfile::TempDir) -> (Suite, SocketAddr, SocketAddr) {
        let suite = Suite::start(config(dist.path())).await.unwrap();
        let provider: SocketAddr = suite.provider_url().trim_start_matches("http://").parse().unwrap();
        let app = suite.app_addr();
        (suite, app, provider)
    }

    #[tokio::test]
    async fn known_routes_answer_200_unknown_paths_404_and_other_methods_405() {
        let dist = dist();
        let (suite, app, _) = started(&dist).await;
        let host = app.to_string();
        for route in [
            "/",
            "/worker-port",
            "/broadcast",
            "/storage",
            "/shared-worker",
            "/payment",
            "/websocket",
            "/stock",
        ] {
            assert_eq!(raw(&suite, app, "GET", route, &host).await.0, "HTTP/1.1 200 OK", "{route}");
        }
        let (status, head, body) = raw(&suite, app, "GET", "/no-such-route", &host).await;
        assert_eq!(status, "HTTP/1.1 404 Not Found");
        assert!(body.ends_with("app</html>"), "the app renders its not-found page: {body}");
        assert!(
            head.contains("referrer-policy: no-referrer") && head.contains("x-content-type-options: nosniff")
        );
        assert_eq!(raw(&suite, app, "GET", "/worker-port/", &host).await.0, "HTTP/1.1 404 Not Found");
        for method in ["POST", "PUT", "DELETE", "OPTIONS"] {
            let (status, head, _) = raw(&suite, app, method, "/", &host).await;
            assert_eq!(status, "HTTP/1.1 405 Method Not Allowed", "{method}");
            assert!(head.contains("allow: get, head"), "{head}");
        }
        assert_eq!(raw(&suite, app, "HEAD", "/", &host).await.0, "HTTP/1.1 200 OK");
        suite.shutdown().await;
    }

    #[tokio::test]
    async fn the_providers_origin_serves_its_page_and_files_only() {
        let dist = dist();
        let (suite, _, provider) = started(&dist).await;
        let host = provider.to_string();
        assert_eq!(raw(&suite, provider, "GET", "/provider", &host).await.0, "HTTP/1.1 200 OK");
        assert_eq!(raw(&suite, provider, "GET", "/echo.js", &host).await.0, "HTTP/1.1 200 OK");
        for elsewhere in ["/", "/payment", "/broadcast", "/provider/x"] {
            assert_eq!(
                raw(&suite, provider, "GET", elsewhere, &host).await.0,
                "HTTP/1.1 404 Not Found",
                "{elsewhere}"
            );
        }
        suite.shutdown().await;
    }

    #[tokio::test]
    async fn both_origins_follow_the_host_name_the_browser_used_and_strangers_are_refused() {
        let dist = dist();
        let (suite, app, provider) = started(&dist).await;
        let (app_port, provider_port) = (app.port(), provider.port());
        let expected = format!(
            r#"content="{{&quot;app_origin&quot;:&quot;http://localhost:{app_port}&quot;,&quot;provider_origin&quot;:&quot;http://localhost:{provider_port}&quot;,&quot;isolated_origin&quot;:&quot;http://localhost:"#
        );
        let (_, _, page) = raw(&suite, app, "GET", "/payment", &format!("localhost:{app_port}")).await;
        assert!(page.contains(&expected), "{page}");
        let (_, head, _) =
            raw(&suite, provider, "GET", "/provider", &format!("LOCALHOST:{provider_port}")).await;
        assert!(head.contains(&format!("frame-ancestors http://localhost:{app_port}")), "{head}");
        let (status, _, body) = raw(&suite, app, "GET", "/", "evil.example").await;
        assert_eq!(status, "HTTP/1.1 421 Misdirected Request");
        assert!(body.contains("127.0.0.1"), "{body}");
        let (_, head, page) =
            raw(&suite, app, "GET", "/payment", &format!("crosstalk.TEST:{app_port}")).await;
        assert!(page.contains(&format!("http://crosstalk.test:{provider_port}")), "a public name: {page}");
        assert!(head.contains(&format!("frame-src 'self' http://crosstalk.test:{provider_port}")), "{head}");
        let hosts = HostNames::with(&["crosstalk.test".into()]);
        assert_eq!(hosts.known(Some("127.0.0.1:8080")), Some("127.0.0.1"));
        assert_eq!(hosts.known(Some("localhost")), Some("localhost"));
        assert_eq!(hosts.known(Some("CROSSTALK.test:80")), Some("crosstalk.test"));
        assert_eq!(hosts.known(Some("localhost.evil:80")), None);
        assert_eq!(hosts.known(None), None);
        suite.shutdown().await;
    }

    #[test]
    fn the_policy_names_the_inline_loader_by_its_hash_and_nothing_else_inline() {
        let page = r#"<script type="module">alert(1)</script><script src="/x.js"></script><p>"#;
        let hashes = inline_script_hashes(page);
        assert_eq!(hashes, "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='");
        let origins = Ports { scheme: Scheme::Http, app: 1, provider: 2, isolated: 3, stranger: None }
            .origins_for("localhost");
        let app = content_security_policy(Side::App, &origins, &hashes, None);
        for part in [
            // By origin too: a sandboxed frame's opaque origin never matches 'self' in WebKit.
            "script-src 'self' http://localhost:1 'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=' 'wasm-unsafe-eval';",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-src 'self' http://localhost:2;",
            "frame-ancestors 'self'",
        ] {
            assert!(app.contains(part), "{part} in {app}");
        }
        assert!(!app.contains("unsafe-inline") && !app.contains('*'), "{app}");
        let provider = content_security_policy(Side::Provider, &origins, &hashes, Some("fa-1"));
        assert!(
            provider.contains("frame-src 'none'") && provider.contains("frame-ancestors http://localhost:1;")
        );
        assert!(app.ends_with("report-uri /csp-report"), "{app}");
        assert!(provider.ends_with("report-uri /csp-report?csp-probe=fa-1"), "{provider}");
        assert_eq!(probe_of(Some("a=1&csp-probe=x<y>-2")), Some("xy-2".into()));
        assert_eq!(probe_of(Some("csp-probe=")), None);
        assert_eq!(probe_of(None), None);
    }

    #[tokio::test]
    async fn violation_reports_are_counted_and_bounded() {
        let dist = dist();
        let (suite, app, _) = started(&dist).await;
        let body = r#"{"csp-report":{"violated-directive":"style-src"}}"#;
        let (status, _, _) = ask(&suite, app, "POST", "/csp-report", &app.to_string(), body).await;
        assert_eq!(status, "HTTP/1.1 204 No Content");
        let (count, kept) = suite.csp_reports();
        assert_eq!((count, kept.as_slice()), (1, [body.to_owned()].as_slice()));
        assert_eq!(
            raw(&suite, app, "POST", "/elsewhere", &app.to_string()).await.0,
            "HTTP/1.1 405 Method Not Allowed"
        );
        suite.shutdown().await;
    }

    #[test]
    fn a_public_origin_is_http_or_https_on_the_apps_port_and_names_a_host() {
        let http = |name: &str| Ok((Scheme::Http, name.to_owned()));
        assert_eq!(public_name("http://192.168.1.20:8080", 8080), http("192.168.1.20"));
        assert_eq!(public_name("http://MyBox.lan:8080/", 8080), http("mybox.lan"));
        assert_eq!(public_name("http://mybox", 80), http("mybox"));
        assert_eq!(public_name("https://mybox", 443), Ok((Scheme::Https, "mybox".to_owned())));
        assert!(public_name("https://mybox", 80).unwrap_err().to_string().contains("https://mybox:80"));
        for (bad, says) in [
            ("ftp://mybox:8080", "http:// or https://"),
            ("http://mybox:9000", "served on port 8080"),
            ("http://mybox", "served on port 8080"),
            ("http://mybox:8080/app", "no path"),
            ("http://user@mybox:8080", "no path"),
            ("http://:8080", "not a host name"),
            ("http://my box:8080", "not a host name"),
            ("http://mybox:port", "not a port"),
        ] {
            let error = public_name(bad, 8080).unwrap_err().to_string();
            assert!(error.contains(says), "{bad}: {error}");
        }
        let lan: SocketAddr = "192.168.1.20:8080".parse().unwrap();
        let names = |addr| SuiteConfig::on_ports(PathBuf::new(), addr, None).unwrap().public_names;
        assert_eq!(names(lan), ["192.168.1.20"], "listening on a LAN address answers to it");
        assert!(names("127.0.0.1:8080".parse().unwrap()).is_empty());
        assert!(names("0.0.0.0:8080".parse().unwrap()).is_empty(), "everywhere names nothing");
    }

    #[tokio::test]
    async fn the_stranger_frames_the_provider_with_a_probe_and_lists_what_was_reported() {
        let dist = dist();
        let (suite, app, provider) = started(&dist).await;
        let stranger: SocketAddr =
            suite.stranger_url().unwrap().trim_start_matches("http://").parse().unwrap();
        let host = stranger.to_string();
        let (status, head, page) =
            raw(&suite, stranger, "GET", "/frame-provider?csp-probe=fa-1", &host).await;
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert!(page.contains(&format!(r#"src="http://{provider}/provider?csp-probe=fa-1""#)), "{page}");
        assert!(
            head.contains(&format!("frame-src http://{provider};")) && head.contains("default-src 'none'"),
            "{head}"
        );
        assert_eq!(raw(&suite, stranger, "GET", "/payment", &host).await.0, "HTTP/1.1 404 Not Found");

        // A provoked report is listed for the tests and kept out of the count that fails a run.
        let (_, head, _) =
            raw(&suite, provider, "GET", "/provider?csp-probe=fa-1", &provider.to_string()).await;
        assert!(head.contains("report-uri /csp-report?csp-probe=fa-1"), "{head}");
        for (path, body) in
            [("/csp-report?csp-probe=fa-1", r#"{"blocked":"a"}"#), ("/csp-report", r#"{"blocked":"b"}"#)]
        {
            ask(&suite, provider, "POST", path, &provider.to_string(), body).await;
        }
        assert_eq!(suite.csp_reports().0, 1);
        assert_eq!(suite.csp_probes().len(), 1);
        let (_, _, listed) = raw(&suite, stranger, "GET", "/csp-reports", &host).await;
        assert_eq!(listed, r#"probe fa-1: {"blocked":"a"}"#);
        assert_eq!(
            raw(&suite, app, "GET", "/csp-reports", &app.to_string()).await.0,
            "HTTP/1.1 404 Not Found"
        );
        suite.shutdown().await;
    }

    #[tokio::test]
    async fn the_provider_can_be_stopped_alone() {
        let dist = dist();
        let (mut suite, app, provider) = started(&dist).await;
        suite.stop_provider().await;
        assert!(tokio::net::TcpStream::connect(provider).await.is_err(), "nobody answers there now");
        assert_eq!(raw(&suite, app, "GET", "/payment", &app.to_string()).await.0, "HTTP/1.1 200 OK");
        suite.shutdown().await;
    }
}
