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

/// The ports of the origins: each side derives the others' origins from the host name the
/// browser used, so `localhost`, `127.0.0.1` and a public name all work, consistently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
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
            app_origin: format!("http://{host}:{}", self.app),
            provider_origin: format!("http://{host}:{}", self.provider),
            isolated_origin: format!("http://{host}:{}", self.isolated),
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

    /// `http://NAME:port` for every name.
    pub fn origins_on(&self, port: u16) -> Vec<String> {
        self.0.iter().map(|name| format!("http://{name}:{port}")).collect()
    }

    /// The names, for messages.
    pub fn list(&self) -> String {
        self.0.join(", ")
    }
}
