//! The HTTP side of crosstalk: serves the built suite (`dist/`) with a single-page fallback, on
//! two origins.
//!
//! `cargo xtask serve` and the end-to-end tests run the same [`Suite`]. Each origin or service the
//! suite needs is one more listener started by [`Suite::start`]: the app's origin, and the payment
//! provider's origin (the same build, reached on another port, which makes it another origin).
//! The WebSocket relay will be the next.
//!
//! Both origins get `index.html` with the suite's configuration filled into
//! `<meta name="crosstalk-config">`, so the app knows which origin is which from explicit
//! configuration, never by guessing from its own URL.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::service_fn;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// What to serve and where.
#[derive(Debug, Clone)]
pub struct SuiteConfig {
    /// Trunk's output folder.
    pub dist: PathBuf,
    /// Where the app listens; port 0 picks a free one.
    pub app_addr: SocketAddr,
    /// Where the payment provider's origin listens; port 0 picks a free one.
    pub provider_addr: SocketAddr,
}

impl SuiteConfig {
    /// The app on `host:port` and the provider on the next port, as `cargo xtask serve` does.
    pub fn on_ports(dist: PathBuf, app_addr: SocketAddr, provider_port: Option<u16>) -> SuiteConfig {
        let provider_port =
            provider_port.unwrap_or_else(|| if app_addr.port() == 0 { 0 } else { app_addr.port() + 1 });
        SuiteConfig { dist, app_addr, provider_addr: SocketAddr::new(app_addr.ip(), provider_port) }
    }
}

/// What the app is told about the suite it runs in (the `crosstalk-config` meta tag): the
/// protocol crate's type, so the server writes exactly what the app reads.
pub use crosstalk_protocol::config::Origins as ClientConfig;

/// The running servers. Dropping it (or [`Suite::shutdown`]) stops them.
pub struct Suite {
    app: Listener,
    provider: Listener,
}

impl Suite {
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
        let app = bind(config.app_addr).await?;
        let provider = bind(config.provider_addr).await?;
        let client = ClientConfig {
            app_origin: origin_of(app.local_addr()?),
            provider_origin: origin_of(provider.local_addr()?),
        };
        // Only the app may frame the provider; the app may be framed by nobody else.
        let app_router = suite_router(&config.dist, &client, "frame-ancestors 'self'".into());
        let provider_router =
            suite_router(&config.dist, &client, format!("frame-ancestors {}", client.app_origin));
        Ok(Suite {
            app: Listener::serve(app, app_router)?,
            provider: Listener::serve(provider, provider_router)?,
        })
    }

    /// The app's origin, e.g. `http://127.0.0.1:8080`.
    pub fn app_url(&self) -> String {
        origin_of(self.app.addr)
    }

    /// The payment provider's origin, e.g. `http://127.0.0.1:8081`.
    pub fn provider_url(&self) -> String {
        origin_of(self.provider.addr)
    }

    pub fn app_addr(&self) -> SocketAddr {
        self.app.addr
    }

    /// Stops accepting connections and waits for the servers to finish.
    pub async fn shutdown(self) {
        self.app.shutdown().await;
        self.provider.shutdown().await;
    }
}

fn origin_of(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

async fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))
}

struct Listener {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl Listener {
    fn serve(listener: TcpListener, router: Router) -> io::Result<Listener> {
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(Listener { addr, stop: Some(stop), task: Some(task) })
    }

    async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Static files from `dist`; `index.html`, with the configuration filled in, for `/` and for any
/// other path that looks like a route.
pub fn suite_router(dist: &Path, client: &ClientConfig, frame_policy: String) -> Router {
    let index = Arc::new(IndexPage { path: dist.join("index.html"), config_json: client.to_json() });
    let index_for_root = Arc::clone(&index);
    let fallback = service_fn(move |request: Request<Body>| {
        let index = Arc::clone(&index);
        async move { Ok::<_, std::convert::Infallible>(spa_fallback(request.uri().path(), &index).await) }
    });
    let csp = HeaderValue::from_str(&frame_policy)
        .unwrap_or_else(|_| HeaderValue::from_static("frame-ancestors 'none'"));
    Router::new()
        .route("/", get(move || async move { index_for_root.response().await }))
        .fallback_service(ServeDir::new(dist).append_index_html_on_directories(false).fallback(fallback))
        // A teaching tool is rebuilt often: never let a browser run yesterday's wasm.
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, csp))
}

/// `index.html` with `<meta name="crosstalk-config" content="">` filled in.
struct IndexPage {
    path: PathBuf,
    config_json: String,
}

/// The placeholder trunk leaves in `index.html`.
pub const CONFIG_PLACEHOLDER: &str = r#"<meta name="crosstalk-config" content="" />"#;

impl IndexPage {
    async fn response(&self) -> Response<Body> {
        match tokio::fs::read_to_string(&self.path).await {
            Ok(html) => {
                let filled = format!(
                    r#"<meta name="crosstalk-config" content="{}" />"#,
                    html_escape(&self.config_json)
                );
                Response::builder()
                    .status(StatusCode::OK)
                    .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
                    .body(Body::from(html.replacen(CONFIG_PLACEHOLDER, &filled, 1)))
                    .unwrap_or_else(|_| {
                        text_response(StatusCode::INTERNAL_SERVER_ERROR, "cannot build response".into())
                    })
            }
            Err(e) => text_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot read {}: {e}", self.path.display()),
            ),
        }
    }
}

/// Routes (`/worker-port`) get the app; missing files (`/missing.js`) get a real 404, so that a
/// missing worker script fails to load instead of receiving HTML.
async fn spa_fallback(path: &str, index: &IndexPage) -> Response<Body> {
    if looks_like_file(path) {
        return text_response(StatusCode::NOT_FOUND, format!("not found: {path}"));
    }
    index.response().await
}

/// True when the last path segment has an extension (`app.js`, `x_bg.wasm`), i.e. names a file.
pub fn looks_like_file(path: &str) -> bool {
    path.rsplit('/').next().is_some_and(|last| last.contains('.'))
}

fn text_response(status: StatusCode, text: String) -> Response<Body> {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn files_are_told_from_routes_by_their_last_segment() {
        assert!(looks_like_file("/echo_worker_loader.js"));
        assert!(looks_like_file("/assets/x_bg.wasm"));
        assert!(!looks_like_file("/worker-port"));
        assert!(!looks_like_file("/"));
        assert!(!looks_like_file("/v1.2/route/"));
    }

    /// One raw HTTP/1.1 GET; returns the status line and the body.
    async fn get(addr: SocketAddr, path: &str) -> (String, String) {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        let status = response.lines().next().unwrap_or_default().to_owned();
        let body = response.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
        (status, body)
    }

    const INDEX: &str = r#"<html><meta name="crosstalk-config" content="" />app</html>"#;

    fn dist() -> tempdir::TempDist {
        tempdir::TempDist::new(&[("index.html", INDEX), ("echo.js", "// js")])
    }

    fn local() -> SocketAddr {
        "127.0.0.1:0".parse().unwrap()
    }

    mod tempdir {
        use std::path::PathBuf;

        /// A throwaway dist folder, removed on drop.
        pub struct TempDist(pub PathBuf);

        impl TempDist {
            pub fn new(files: &[(&str, &str)]) -> Self {
                let dir = std::env::temp_dir().join(format!(
                    "crosstalk-server-test-{}-{:?}",
                    std::process::id(),
                    std::thread::current().id()
                ));
                std::fs::create_dir_all(&dir).unwrap();
                for (name, text) in files {
                    std::fs::write(dir.join(name), text).unwrap();
                }
                TempDist(dir)
            }
        }

        impl Drop for TempDist {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[tokio::test]
    async fn serves_files_routes_and_real_404s() {
        let dist = dist();
        let suite =
            Suite::start(SuiteConfig { dist: dist.0.clone(), app_addr: local(), provider_addr: local() })
                .await
                .unwrap();
        let addr = suite.app_addr();
        assert_eq!(get(addr, "/echo.js").await, ("HTTP/1.1 200 OK".into(), "// js".into()));
        let (status, page) = get(addr, "/worker-port").await;
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert!(page.ends_with("app</html>"), "{page}");
        assert_eq!(get(addr, "/").await.1, page);
        let (status, body) = get(addr, "/missing_worker_loader.js").await;
        assert_eq!(status, "HTTP/1.1 404 Not Found");
        assert!(body.contains("missing_worker_loader.js"));
        suite.shutdown().await;
    }

    #[tokio::test]
    async fn refuses_to_start_without_a_build() {
        let missing = std::env::temp_dir().join("crosstalk-no-such-dist");
        let error = Suite::start(SuiteConfig { dist: missing, app_addr: local(), provider_addr: local() })
            .await
            .err()
            .expect("no index.html, no server");
        assert!(error.to_string().contains("build the suite first"), "{error}");
    }

    /// Raw response head (status line and headers) of a GET.
    async fn head_of(addr: SocketAddr, path: &str) -> String {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response.split("\r\n\r\n").next().unwrap_or_default().to_lowercase()
    }

    #[tokio::test]
    async fn both_origins_are_told_which_is_which_and_only_the_app_may_frame_the_provider() {
        let dist = dist();
        let suite =
            Suite::start(SuiteConfig { dist: dist.0.clone(), app_addr: local(), provider_addr: local() })
                .await
                .unwrap();
        let (app, provider) = (suite.app_url(), suite.provider_url());
        assert_ne!(app, provider);
        let expected = format!(
            r#"<meta name="crosstalk-config" content="{{&quot;app_origin&quot;:&quot;{app}&quot;,&quot;provider_origin&quot;:&quot;{provider}&quot;}}" />"#
        );
        let provider_addr: SocketAddr = provider.trim_start_matches("http://").parse().unwrap();
        for addr in [suite.app_addr(), provider_addr] {
            let (_, page) = get(addr, "/payment").await;
            assert!(page.contains(&expected), "{page}");
        }
        assert!(head_of(provider_addr, "/provider")
            .await
            .contains(&format!("content-security-policy: frame-ancestors {app}")));
        assert!(head_of(suite.app_addr(), "/")
            .await
            .contains("content-security-policy: frame-ancestors 'self'"));
        suite.shutdown().await;
    }

    #[test]
    fn the_provider_takes_the_next_port_unless_told_otherwise() {
        let app: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert_eq!(SuiteConfig::on_ports(PathBuf::new(), app, None).provider_addr.port(), 8081);
        assert_eq!(SuiteConfig::on_ports(PathBuf::new(), app, Some(9000)).provider_addr.port(), 9000);
        assert_eq!(SuiteConfig::on_ports(PathBuf::new(), local(), None).provider_addr.port(), 0);
    }

    #[test]
    fn configuration_is_escaped_for_json_and_html() {
        let config = ClientConfig { app_origin: "http://a\"<b>".into(), provider_origin: "p".into() };
        assert_eq!(config.to_json(), r#"{"app_origin":"http://a\"<b>","provider_origin":"p"}"#);
        assert_eq!(html_escape(&config.to_json()), "{&quot;app_origin&quot;:&quot;http://a\\&quot;&lt;b&gt;&quot;,&quot;provider_origin&quot;:&quot;p&quot;}");
    }
}
