//! One side's site: the relay and its health on the app's origin, violation reports, the
//! prerendered pages and the built files, and the headers every response carries.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, Request, Response, StatusCode};
use axum::middleware::{self, Next};
use axum::routing::{get, post};
use axum::Router;
use crosstalk_protocol::catalog;
use tower::ServiceExt;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::csp::{
    content_security_policy, probe_of, CspReports, CSP_REPORT_PATH, MAX_REPORT_BYTES, REPORT_WITHIN,
};
use crate::pages::{self, Pages};
use crate::{http, ClientConfig, HostNames, Ports, Relay, Side};

/// What every side's router is made from.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    /// Trunk's output folder.
    pub dist: PathBuf,
    pub ports: Ports,
    /// The pages, prerendered per route and language, with their inline scripts' hashes.
    pub pages: Pages,
    pub hosts: HostNames,
    pub reports: CspReports,
    pub relay: Relay,
    /// Extra origins allowed to use the relay ([`SuiteConfig::relay_origins`]).
    pub relay_origins: Vec<String>,
    /// The three public origins, behind a reverse proxy ([`SuiteConfig::public_origins`]).
    pub public: Option<ClientConfig>,
}

/// One side's routes: on the app's origin the relay (`/ws`) and its health; on every side the
/// violation reports, then the built files, and `index.html` with the configuration filled in for
/// the routes of this side (200) and for any other page path (404, so the app shows its
/// not-found page). Only the host names this server answers to get past [`known_host`], reports
/// aside; every response carries [`response_headers`].
pub fn suite_router(config: &SiteConfig, side: Side) -> Router {
    let site = Arc::new(Site {
        pages: config.pages.clone(),
        // Compressed at build time (`cargo xtask build`), picked by `Accept-Encoding`.
        files: ServeDir::new(&config.dist).precompressed_br().precompressed_gzip(),
        side,
        ports: config.ports,
        hosts: config.hosts.clone(),
        reports: config.reports.clone(),
        relay: config.relay.clone(),
        relay_origins: config.relay_origins.clone(),
        public: config.public.clone(),
    });
    let mut routes = Router::new();
    if side == Side::App {
        routes = routes
            .route(
                RELAY_PATH,
                get(
                    |State(site): State<Arc<Site>>, request| async move { site.relay_upgrade(request).await },
                ),
            )
            .route(HEALTH_PATH, get(|State(site): State<Arc<Site>>| async move { site.relay.health() }));
    }
    if config.pages.stamp().is_some() {
        // `cargo xtask dev` only: which build is served, asked by every open tab.
        routes = routes.route(
            DEV_BUILD_PATH,
            get(|State(site): State<Arc<Site>>| async move {
                let mut response = text_response(StatusCode::OK, site.pages.stamp().unwrap_or_default());
                response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                response
            }),
        );
    }
    routes
        .fallback(|State(site): State<Arc<Site>>, request| async move { site.page_or_file(request).await })
        .layer(middleware::from_fn_with_state(Arc::clone(&site), known_host))
        // A report is taken under any name: a browser sends it where the policy said.
        .route(
            CSP_REPORT_PATH,
            post(|State(site): State<Arc<Site>>, request| async move { site.take_report(request).await }),
        )
        .layer(middleware::from_fn_with_state(Arc::clone(&site), response_headers))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(middleware::from_fn_with_state(Arc::clone(&site), isolation_headers))
        .with_state(site)
}

/// The isolated side's every response, files and workers' scripts too (Firefox wants the policy
/// on a worker's own script): a page of its own browsing context group (COOP), loading only what
/// agrees to it (COEP) — together `crossOriginIsolated`, which `SharedArrayBuffer` needs.
// lesson: atomics
pub const ISOLATION_HEADERS: [(&str, &str); 3] = [
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-embedder-policy", "require-corp"),
    ("cross-origin-resource-policy", "same-origin"),
];
// lesson end

async fn isolation_headers(
    State(site): State<Arc<Site>>,
    request: Request<Body>,
    next: Next,
) -> Response<Body> {
    let mut response = next.run(request).await;
    if site.side == Side::Isolated {
        for (name, value) in ISOLATION_HEADERS {
            response.headers_mut().insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

/// Refuses (421) a request for a host name this server does not answer to: a page must not reach
/// it under a name of its own choosing (DNS rebinding). A known name's origins go on with the
/// request, for the page it gets.
async fn known_host(State(site): State<Arc<Site>>, mut request: Request<Body>, next: Next) -> Response<Body> {
    if let Some(origins) = site.origins_of(&request) {
        request.extensions_mut().insert(origins);
        return next.run(request).await;
    }
    let open = match &site.public {
        Some(public) => public.app_origin.clone(),
        None => site.ports.scheme.origin("127.0.0.1", site.ports.app),
    };
    let text = format!(
        "this server answers to {} only: open {open}/ (another name or address for this machine is \
         given with --public-origin)",
        site.hosts.list(),
    );
    text_response(StatusCode::MISDIRECTED_REQUEST, text)
}

/// What every response says about itself: how long it may be cached, and the side's
/// Content-Security-Policy for the name the request came in under.
async fn response_headers(
    State(site): State<Arc<Site>>,
    request: Request<Body>,
    next: Next,
) -> Response<Body> {
    let origins = site.origins_of(&request);
    let probe = probe_of(request.uri().query());
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let response_is_file = looks_like_file(&path);
    let response_ok = response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
    let headers = response.headers_mut();
    // A file whose name carries its content's hash never changes: a second tab takes it from
    // the cache without asking. Everything else is asked about each time (a teaching tool is
    // rebuilt often: never let a browser run yesterday's wasm).
    let kept = if response_is_file && pages::is_content_hashed(&path) && response_ok {
        pages::IMMUTABLE
    } else {
        pages::REVALIDATE
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(kept));
    if response_is_file && !headers.contains_key(header::VARY) {
        headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    let policy = match &origins {
        Some(origins) => content_security_policy(site.side, origins, &site.pages.scripts(), probe.as_deref()),
        None => "default-src 'none'; frame-ancestors 'none'".to_owned(),
    };
    if let Ok(value) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

struct Site {
    pages: Pages,
    files: ServeDir,
    side: Side,
    ports: Ports,
    hosts: HostNames,
    reports: CspReports,
    relay: Relay,
    relay_origins: Vec<String>,
    public: Option<ClientConfig>,
}

impl Site {
    /// The suite's origins as the request's host names them, if it is ours: this side's public
    /// origin behind a proxy ([`SiteConfig::public`]), or a name this server answers to, with
    /// the others' origins derived from it.
    fn origins_of(&self, request: &Request<Body>) -> Option<ClientConfig> {
        let host = host_of(request);
        if let (Some(public), Some(host)) = (&self.public, host) {
            let own = match self.side {
                Side::App => &public.app_origin,
                Side::Provider => &public.provider_origin,
                Side::Isolated => &public.isolated_origin,
                Side::Stranger => "",
            };
            if authority_of(own).is_some_and(|a| a.eq_ignore_ascii_case(host)) {
                return Some(public.clone());
            }
        }
        self.hosts.known(host).map(|host| self.ports.origins_for(host))
    }

    /// `/ws`: the relay, for pages of the app's own origins (under any of its names).
    async fn relay_upgrade(&self, request: Request<Body>) -> Response<Body> {
        use axum::extract::FromRequestParts as _;
        let Some(peer) = http::peer_of(&request) else {
            return text_response(StatusCode::INTERNAL_SERVER_ERROR, "no client address".into());
        };
        let drain = http::drain_of(&request);
        let (mut parts, _body) = request.into_parts();
        let upgrade = match axum::extract::ws::WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
            Ok(upgrade) => upgrade,
            Err(rejection) => return axum::response::IntoResponse::into_response(rejection),
        };
        let mut allowed = self.hosts.origins_on(self.ports.scheme, self.ports.app);
        allowed.extend(self.relay_origins.iter().cloned());
        allowed.extend(self.public.iter().map(|public| public.app_origin.clone()));
        // Behind a trusted proxy, the client it forwards for: the per-address cap counts clients.
        let client = http::client_of(&parts).unwrap_or(peer.ip());
        self.relay.upgrade(upgrade, &parts.headers, &allowed, client, drain)
    }

    /// A browser's violation report: kept, printed, answered with 204.
    async fn take_report(&self, request: Request<Body>) -> Response<Body> {
        let probe = probe_of(request.uri().query());
        // A body that trickles in is given up on: the head's timeout no longer applies here.
        let body = axum::body::to_bytes(request.into_body(), MAX_REPORT_BYTES);
        let body =
            tokio::time::timeout(REPORT_WITHIN, body).await.ok().and_then(Result::ok).unwrap_or_default();
        self.reports.record(String::from_utf8_lossy(&body).into_owned(), probe);
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NO_CONTENT;
        response
    }

    /// A file, or a page: GET and HEAD only.
    async fn page_or_file(&self, request: Request<Body>) -> Response<Body> {
        if request.method() != Method::GET && request.method() != Method::HEAD {
            let mut refused = text_response(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD".into());
            refused.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return refused;
        }
        // Past `known_host`, which found the name ours and left its origins here.
        let Some(origins) = request.extensions().get::<ClientConfig>().cloned() else {
            return text_response(StatusCode::MISDIRECTED_REQUEST, "unknown host".into());
        };
        #[cfg(any(test, feature = "stranger"))]
        if self.side == Side::Stranger {
            return crate::stranger::answer(request.uri(), &origins, &self.reports, &self.relay);
        }
        let origins = &origins;
        let path = request.uri().path().to_owned();
        if looks_like_file(&path) {
            // A missing file is a real 404, so a missing worker script fails to load rather than
            // receiving HTML.
            return match self.files.clone().oneshot(request).await {
                Ok(response) if response.status() == StatusCode::NOT_FOUND => {
                    text_response(StatusCode::NOT_FOUND, format!("not found: {path}"))
                }
                Ok(response) => response.map(Body::new),
                Err(e) => {
                    text_response(StatusCode::INTERNAL_SERVER_ERROR, format!("cannot read {path}: {e}"))
                }
            };
        }
        if self.side == Side::App && catalog::is_isolated_page(&path) {
            // Its own origin serves it: the same path there, with the same query.
            let query = request.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
            return redirect_to(&format!("{}{path}{query}", origins.isolated_origin));
        }
        let known = match self.side {
            Side::App => catalog::is_route(&path),
            Side::Provider => path == PROVIDER_PAGE || path == BENCH_PEER_PAGE,
            Side::Isolated => {
                catalog::is_isolated_page(&path) || catalog::ON_BOTH_ORIGINS.contains(&path.as_str())
            }
            Side::Stranger => false,
        };
        let status = if known { StatusCode::OK } else { StatusCode::NOT_FOUND };
        self.pages.answer(&path, status, request.headers(), request.uri().query(), origins).await
    }
}

/// The relay's WebSocket endpoint and its health, on the app's origin only.
pub use crosstalk_protocol::catalog::paths::{HEALTH as HEALTH_PATH, RELAY as RELAY_PATH};

/// Which build `cargo xtask dev` serves (absent from any other server).
pub use crosstalk_protocol::catalog::paths::DEV_BUILD as DEV_BUILD_PATH;

/// The benchmark's echo frame, which `/bench` also opens on the provider's origin.
pub use crosstalk_protocol::catalog::paths::BENCH_PEER as BENCH_PEER_PAGE;
/// The provider's one page.
pub use crosstalk_protocol::catalog::paths::PROVIDER as PROVIDER_PAGE;

/// The placeholder trunk leaves in `index.html`.
pub const CONFIG_PLACEHOLDER: &str = r#"<meta name="crosstalk-config" content="" />"#;

/// True when the last path segment has an extension (`app.js`, `x_bg.wasm`), i.e. names a file.
pub fn looks_like_file(path: &str) -> bool {
    path.rsplit('/').next().is_some_and(|last| last.contains('.'))
}

/// The host a request is for: HTTP/1.1's `Host`, or HTTP/2's `:authority` (browsers send no
/// `Host` over HTTP/2).
fn host_of<B>(request: &Request<B>) -> Option<&str> {
    let header = request.headers().get(header::HOST).and_then(|h| h.to_str().ok());
    header.or_else(|| request.uri().authority().map(|a| a.as_str()))
}

/// `name:port` of an origin (`https://pay.example` → `pay.example`), as a `Host` names it.
fn authority_of(origin: &str) -> Option<&str> {
    origin.split_once("://").map(|(_, authority)| authority)
}

/// 302 to `location` (a page another origin of the suite serves).
fn redirect_to(location: &str) -> Response<Body> {
    let mut response = text_response(StatusCode::FOUND, format!("served at {location}"));
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

pub(crate) fn text_response(status: StatusCode, text: String) -> Response<Body> {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

pub(crate) fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&#39;")
}
