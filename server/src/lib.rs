//! The HTTP side of crosstalk: serves the built suite (`dist/`) with a single-page fallback.
//!
//! `cargo xtask serve` and the end-to-end tests run the same [`Suite`]. It is built to grow:
//! each origin or service the suite needs (a second origin for the payment provider, the
//! WebSocket relay) is another listener started by [`Suite::start`].

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
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
}

/// The running servers. Dropping it (or [`Suite::shutdown`]) stops them.
pub struct Suite {
    app: Listener,
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
        let app = Listener::start(config.app_addr, app_router(&config.dist)).await?;
        Ok(Suite { app })
    }

    /// The app's origin, e.g. `http://127.0.0.1:8080`.
    pub fn app_url(&self) -> String {
        format!("http://{}", self.app.addr)
    }

    pub fn app_addr(&self) -> SocketAddr {
        self.app.addr
    }

    /// Stops accepting connections and waits for the servers to finish.
    pub async fn shutdown(self) {
        self.app.shutdown().await;
    }
}

struct Listener {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl Listener {
    async fn start(addr: SocketAddr, router: Router) -> io::Result<Listener> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
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

/// Static files from `dist`, and `index.html` for any other path that looks like a route.
pub fn app_router(dist: &Path) -> Router {
    let index = dist.join("index.html");
    let fallback = service_fn(move |request: Request<Body>| {
        let index = index.clone();
        async move { Ok::<_, std::convert::Infallible>(spa_fallback(request.uri().path(), &index).await) }
    });
    Router::new()
        .fallback_service(ServeDir::new(dist).fallback(fallback))
        // A teaching tool is rebuilt often: never let a browser run yesterday's wasm.
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
}

/// Routes (`/worker-port`) get the app; missing files (`/missing.js`) get a real 404, so that a
/// missing worker script fails to load instead of receiving HTML.
async fn spa_fallback(path: &str, index: &Path) -> Response<Body> {
    if looks_like_file(path) {
        return text_response(StatusCode::NOT_FOUND, format!("not found: {path}"));
    }
    match tokio::fs::read(index).await {
        Ok(html) => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .body(Body::from(html))
            .unwrap_or_else(|_| {
                text_response(StatusCode::INTERNAL_SERVER_ERROR, "cannot build response".into())
            }),
        Err(e) => {
            text_response(StatusCode::INTERNAL_SERVER_ERROR, format!("cannot read {}: {e}", index.display()))
        }
    }
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

    fn dist() -> tempdir::TempDist {
        tempdir::TempDist::new(&[("index.html", "<html>app</html>"), ("echo.js", "// js")])
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
            Suite::start(SuiteConfig { dist: dist.0.clone(), app_addr: "127.0.0.1:0".parse().unwrap() })
                .await
                .unwrap();
        let addr = suite.app_addr();
        assert_eq!(get(addr, "/echo.js").await, ("HTTP/1.1 200 OK".into(), "// js".into()));
        assert_eq!(get(addr, "/worker-port").await, ("HTTP/1.1 200 OK".into(), "<html>app</html>".into()));
        assert_eq!(get(addr, "/").await.1, "<html>app</html>");
        let (status, body) = get(addr, "/missing_worker_loader.js").await;
        assert_eq!(status, "HTTP/1.1 404 Not Found");
        assert!(body.contains("missing_worker_loader.js"));
        suite.shutdown().await;
    }

    #[tokio::test]
    async fn refuses_to_start_without_a_build() {
        let missing = std::env::temp_dir().join("crosstalk-no-such-dist");
        let error = Suite::start(SuiteConfig { dist: missing, app_addr: "127.0.0.1:0".parse().unwrap() })
            .await
            .err()
            .expect("no index.html, no server");
        assert!(error.to_string().contains("build the suite first"), "{error}");
    }
}
