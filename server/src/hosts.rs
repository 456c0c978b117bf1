//! Which origin a listener serves, the ports of the others, and the host names this server
//! answers to (anything else is refused: DNS rebinding).

use crate::ClientConfig;

/// Which of the suite's origins a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The app: every route of the suite.
    App,
    /// The payment provider: its one page, `/provider`, and the files it loads.
    Provider,
    /// The cross-origin isolated origin: `/atomics` (shared memory needs COOP and COEP, which
    /// would break the app's frames and windows), and the tools that look at one origin.
    Isolated,
    /// A stranger's site, in tests only: a page that tries to frame the provider, and the
    /// provoked violation reports for tests to read.
    Stranger,
}

/// How browsers reach the suite: every origin it builds or checks is written with it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Scheme {
    /// Plain http: a secure context on `localhost` and `127.0.0.1` only.
    #[default]
    Http,
    /// https (`--tls-cert`): a secure context under any name the certificate covers.
    Https,
}

impl Scheme {
    /// `http` or `https`.
    pub fn web(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// The WebSocket scheme pages on such an origin use: `ws` or `wss`.
    pub fn socket(self) -> &'static str {
        match self {
            Scheme::Http => "ws",
            Scheme::Https => "wss",
        }
    }

    /// The port browsers leave out of an origin.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    /// The origin as browsers write it (`Origin`, `location.origin`): the default port left out.
    pub fn origin(self, host: &str, port: u16) -> String {
        match port == self.default_port() {
            true => format!("{}://{host}", self.web()),
            false => format!("{}://{host}:{port}", self.web()),
        }
    }
}

/// The ports of the origins, and the scheme they are reached by: each side derives the others'
/// origins from the host name the browser used, so `localhost`, `127.0.0.1` and a public name all
/// work, consistently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    pub scheme: Scheme,
    pub app: u16,
    pub provider: u16,
    pub isolated: u16,
    pub stranger: Option<u16>,
}

/// Host names the suite always answers to. Anything not listed here or given as a public name is
/// refused (421): a page must not be able to reach this server under a name of its own choosing
/// (DNS rebinding).
pub const KNOWN_HOSTS: &[&str] = &["127.0.0.1", "localhost"];

impl Ports {
    /// The app's, the provider's and the isolated origins as seen from a request that came in for `host` (a
    /// `Host` header's name).
    pub fn origins_for(&self, host: &str) -> ClientConfig {
        ClientConfig {
            app_origin: self.scheme.origin(host, self.app),
            provider_origin: self.scheme.origin(host, self.provider),
            isolated_origin: self.scheme.origin(host, self.isolated),
        }
    }
}

/// The host names this server answers to: [`KNOWN_HOSTS`] and the public names it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostNames(Vec<String>);

impl HostNames {
    pub fn with(public: &[String]) -> HostNames {
        let mut names: Vec<String> = KNOWN_HOSTS.iter().map(|h| (*h).to_owned()).collect();
        names.extend(public.iter().map(|n| n.to_ascii_lowercase()));
        HostNames(names)
    }

    /// The host name of a `Host` header value (`localhost:8080` → `localhost`), if it is ours.
    pub fn known(&self, header: Option<&str>) -> Option<&str> {
        let header = header?;
        let name = header.rsplit_once(':').map_or(header, |(name, _port)| name);
        self.0.iter().map(String::as_str).find(|known| known.eq_ignore_ascii_case(name))
    }

    /// `SCHEME://NAME:port` for every name.
    pub fn origins_on(&self, scheme: Scheme, port: u16) -> Vec<String> {
        self.0.iter().map(|name| scheme.origin(name, port)).collect()
    }

    /// The names, for messages.
    pub fn list(&self) -> String {
        self.0.join(", ")
    }
}
