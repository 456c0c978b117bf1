//! What to serve and where: the ports, the names other machines use, the limits, Redis; and
//! the checks on the origins given on the command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::tls::TlsFiles;
use crate::{relay, HttpLimits, RelayLimits, Scheme};

/// What to serve and where.
#[derive(Debug, Clone)]
pub struct SuiteConfig {
    /// Trunk's output folder.
    pub dist: PathBuf,
    /// Where the app listens; port 0 picks a free one.
    pub app_addr: SocketAddr,
    /// Where the payment provider's origin listens; port 0 picks a free one.
    pub provider_addr: SocketAddr,
    /// Where the cross-origin isolated origin listens (`/atomics`); port 0 picks a free one.
    pub isolated_addr: SocketAddr,
    /// Host names the suite answers to besides `127.0.0.1` and `localhost`: a LAN address or
    /// name (`--host`, `--public-origin`). Both origins are derived from whichever name a browser
    /// used, so each works alone.
    pub public_names: Vec<String>,
    /// A third origin, for the end-to-end tests only (a stranger's site that tries to frame the
    /// provider); `serve` never starts it.
    pub stranger_addr: Option<SocketAddr>,
    /// The relay's limits (tests shorten its ping times).
    pub relay_limits: RelayLimits,
    /// Origins besides the app's own (under each of its host names) whose pages may use the
    /// relay. Empty by default: the provider's origin and everyone else get 403.
    pub relay_origins: Vec<String>,
    /// Redis, to share rooms with other instances (`--redis redis://127.0.0.1:6379`); `None`
    /// keeps them in this process.
    pub redis: Option<String>,
    /// The bus's heartbeat, member lease and command timeout (tests shorten them).
    pub bus_timing: relay::redis_bus::BusTiming,
    /// Time and size limits of every origin's HTTP connections ([`http`]).
    pub http_limits: HttpLimits,
    /// How browsers reach every origin: https when the server speaks TLS itself.
    pub scheme: Scheme,
    /// The certificate and key every origin is served with (`--tls-cert`, `--tls-key`).
    pub tls: Option<TlsFiles>,
    /// Names the certificate must cover (the `--public-origin`'s), checked before anything listens.
    pub certified_names: Vec<String>,
    /// Behind a reverse proxy: the three origins browsers use (`--public-origin`,
    /// `--provider-origin`, `--isolated-origin`), each side answering to its own name only.
    pub public_origins: Option<crate::ClientConfig>,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`--trusted-proxy`): the relay's
    /// per-address cap counts the clients they forward for, not the proxy.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// `cargo xtask dev`: `dist` is rewritten by trunk as sources change; the pages follow each
    /// build, and open tabs ask which build is served (`/_dev/build`) to reload themselves.
    pub watch_dist: bool,
}

impl SuiteConfig {
    /// The app on `host:port`, the provider on the next port and the isolated origin on the one
    /// after, as `cargo xtask serve` does.
    ///
    /// Fails when there is no next port (`--port 65535`) and none was given.
    pub fn on_ports(
        dist: PathBuf,
        app_addr: SocketAddr,
        provider_port: Option<u16>,
    ) -> Result<SuiteConfig, ConfigError> {
        let next = |port: u16| port.checked_add(1).ok_or(ConfigError::NoNextPort(port));
        let provider_port = match (provider_port, app_addr.port()) {
            (Some(port), _) => port,
            (None, 0) => 0,
            (None, app) => next(app)?,
        };
        let isolated_port = if provider_port == 0 { 0 } else { next(provider_port)? };
        Ok(SuiteConfig {
            dist,
            app_addr,
            provider_addr: SocketAddr::new(app_addr.ip(), provider_port),
            isolated_addr: SocketAddr::new(app_addr.ip(), isolated_port),
            public_names: public_names_of(app_addr.ip()),
            stranger_addr: None,
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
        })
    }
}

impl SuiteConfig {
    /// Reads and checks the certificate and key (`--tls-cert`, `--tls-key`), if any: what
    /// [`crate::Suite::start`] would refuse, said before anything is built or bound.
    pub fn check_tls(&self) -> Result<(), crate::tls::TlsError> {
        match &self.tls {
            Some(files) => crate::tls::acceptor(files, &self.certified_names).map(|_| ()),
            None => Ok(()),
        }
    }
}

/// A specific, non-loopback listening address is a name browsers will use: it is answered to.
fn public_names_of(ip: std::net::IpAddr) -> Vec<String> {
    match ip {
        std::net::IpAddr::V4(v4) if !v4.is_loopback() && !v4.is_unspecified() => vec![v4.to_string()],
        _ => Vec::new(),
    }
}

/// Why a serving flag or the ports it names cannot be used; each message names the flag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("port {0} leaves no next port for the payment provider or the isolated origin: choose another --port, or give --provider-port and --isolated-port")]
    NoNextPort(u16),
    #[error("{flag} {origin}: an origin starts with http:// or https://")]
    NotWebOrigin { flag: &'static str, origin: String },
    #[error("--public-origin {origin}: https needs a certificate: give --tls-cert FILE and --tls-key FILE, or serve behind a reverse proxy that ends TLS (--trusted-proxy ADDR)")]
    HttpsWithoutTls { origin: String },
    #[error("--trusted-proxy: behind a reverse proxy, name each public origin: --public-origin, --provider-origin and --isolated-origin")]
    NameEachOrigin,
    #[error("{flag}: for a server behind a reverse proxy (give --trusted-proxy ADDR); without one, the provider's and the isolated origins are the app's name on the next two ports")]
    OriginsNeedAProxy { flag: &'static str },
    #[error(
        "{flag} {origin}: the app, the provider and the isolated origin must be three different origins"
    )]
    SameOrigin { flag: &'static str, origin: String },
    #[error("{flag} {origin}: every public origin uses the same scheme as --public-origin ({scheme})")]
    MixedSchemes { flag: &'static str, origin: String, scheme: &'static str },
    #[error("--public-origin {origin}: the server speaks https (--tls-cert), so the origin is https://{name}:{port}")]
    PlainOriginOverTls { origin: String, name: String, port: u16 },
    #[error("{flag} {origin}: an origin has no path, query or user: https://NAME:PORT")]
    NotJustAnOrigin { flag: &'static str, origin: String },
    #[error("{flag} {origin}: `{port}` is not a port")]
    NotAPort { flag: &'static str, origin: String, port: String },
    #[error("{flag} {origin}: `{name}` is not a host name or IPv4 address")]
    NotAHost { flag: &'static str, origin: String, name: String },
    #[error("--public-origin {origin}: the app is served on port {app_port}, so the origin is {scheme}://{name}:{app_port}")]
    NotTheAppsPort { origin: String, scheme: &'static str, name: String, app_port: u16 },
}

/// The scheme and host name of a `--public-origin` (`https://192.168.1.20:8080` → https,
/// `192.168.1.20`): no path, and the port the app is served on, so what users type reaches this
/// server.
pub fn public_name(origin: &str, app_port: u16) -> Result<(Scheme, String), ConfigError> {
    let (scheme, name, port) = origin_parts("--public-origin", origin)?;
    if port != app_port {
        let scheme = scheme.web();
        return Err(ConfigError::NotTheAppsPort { origin: origin.to_owned(), scheme, name, app_port });
    }
    Ok((scheme, name))
}

/// The three public origins behind a reverse proxy (`--public-origin`, `--provider-origin`,
/// `--isolated-origin`): each an origin of its own, all of one scheme, on any name and port (the
/// proxy's), as browsers write them; and their names.
pub fn public_origins(
    app: &str,
    provider: &str,
    isolated: &str,
) -> Result<(crate::ClientConfig, Vec<String>), ConfigError> {
    let (scheme, app_name, app_port) = origin_parts("--public-origin", app)?;
    let mut seen = vec![scheme.origin(&app_name, app_port)];
    let mut names = vec![app_name];
    for (flag, origin) in [("--provider-origin", provider), ("--isolated-origin", isolated)] {
        let (theirs, name, port) = origin_parts(flag, origin)?;
        if theirs != scheme {
            return Err(ConfigError::MixedSchemes { flag, origin: origin.to_owned(), scheme: scheme.web() });
        }
        let normal = theirs.origin(&name, port);
        if seen.contains(&normal) {
            return Err(ConfigError::SameOrigin { flag, origin: origin.to_owned() });
        }
        seen.push(normal);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let [app_origin, provider_origin, isolated_origin] = <[String; 3]>::try_from(seen).unwrap_or_default();
    Ok((crate::ClientConfig { app_origin, provider_origin, isolated_origin }, names))
}

/// A `--relay-origin` (a load balancer's address, `https://lb.lan` or `http://127.0.0.1:9000`):
/// the origin as browsers send it, and its host name (answered to from then on).
pub fn relay_origin(origin: &str) -> Result<(String, String), ConfigError> {
    let (scheme, name, port) = origin_parts("--relay-origin", origin)?;
    Ok((scheme.origin(&name, port), name))
}

/// The scheme, host name and port of an http or https origin with no path; `flag` names it in
/// errors. Read by `http::Uri`; what it accepts but an origin may not have (a user, a path) is
/// refused here.
fn origin_parts(flag: &'static str, origin: &str) -> Result<(Scheme, String, u16), ConfigError> {
    let owned = || origin.to_owned();
    let (scheme, after_scheme) = match origin.split_once("://") {
        Some(("http", rest)) => (Scheme::Http, rest),
        Some(("https", rest)) => (Scheme::Https, rest),
        _ => return Err(ConfigError::NotWebOrigin { flag, origin: owned() }),
    };
    let not_an_origin = || ConfigError::NotJustAnOrigin { flag, origin: owned() };
    let authority_text = after_scheme.strip_suffix('/').unwrap_or(after_scheme);
    if authority_text.contains(['/', '?', '#', '@']) {
        return Err(not_an_origin());
    }
    // The port first: `http::Uri` refuses a bad one without saying which part was bad.
    if let Some((_, port)) = authority_text.rsplit_once(':') {
        if port.parse::<u16>().is_err() {
            return Err(ConfigError::NotAPort { flag, origin: owned(), port: port.to_owned() });
        }
    }
    let not_a_host = |name: &str| ConfigError::NotAHost { flag, origin: owned(), name: name.to_owned() };
    let uri = origin.parse::<axum::http::Uri>().map_err(|_| not_a_host(authority_text))?;
    let authority = uri.authority().ok_or_else(not_an_origin)?;
    if uri.path_and_query().is_some_and(|p| p.as_str() != "/") {
        return Err(not_an_origin());
    }
    let name = authority.host();
    let valid = !name.is_empty()
        && name.len() <= 253
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if !valid {
        return Err(not_a_host(name));
    }
    Ok((scheme, name.to_ascii_lowercase(), authority.port_u16().unwrap_or(scheme.default_port())))
}
