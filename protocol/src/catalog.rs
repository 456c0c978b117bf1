//! The catalog of mechanisms and pages, shared by the server, the app and the tests: every path the
//! suite answers, what the home page lists, what the nav links, and the state each mechanism's
//! route reaches once it works. The server answers 404 for any other path; the app's catalog
//! (`src/catalog.rs`) builds its router from these paths, and the end-to-end tests visit them.

/// Every path of the suite, spelled once.
pub mod paths {
    pub const HOME: &str = "/";
    pub const WORKER_PORT: &str = "/worker-port";
    pub const BROADCAST: &str = "/broadcast";
    pub const STORAGE: &str = "/storage";
    pub const SHARED_WORKER: &str = "/shared-worker";
    pub const PAYMENT: &str = "/payment";
    pub const STOCK: &str = "/stock";
    pub const WEBSOCKET: &str = "/websocket";
    pub const WEB_LOCKS: &str = "/web-locks";
    pub const INDEXEDDB: &str = "/indexeddb";
    pub const SERVICE_WORKER: &str = "/service-worker";
    /// Served on the isolated origin only (COOP + COEP): the app's origin sends a reader there.
    pub const ATOMICS: &str = "/atomics";
    pub const WEBRTC: &str = "/webrtc";
    /// The walkthrough: every mechanism in order, with steps that tick themselves.
    pub const LEARN: &str = "/learn";
    /// What this browser can do for each mechanism, probed.
    pub const CAPABILITIES: &str = "/capabilities";
    /// Every tab's traffic in one timeline.
    pub const INSPECTOR: &str = "/inspector";
    /// What each mechanism costs, through crosstalk and through plain JS.
    pub const BENCH: &str = "/bench";
    /// The benchmark's echo frame, on either origin (framed by `/bench`).
    pub const BENCH_PEER: &str = "/bench-peer";
    /// The payment provider's page, served from the provider's origin and framed by `/payment`.
    pub const PROVIDER: &str = "/provider";
    /// Where the app's router sends a path it does not know.
    pub const NOT_FOUND: &str = "/404";
    /// Not pages: the relay's socket, the server's health, and where browsers report CSP violations.
    pub const RELAY: &str = crate::relay::RELAY_PATH;
    pub const HEALTH: &str = "/health";
    pub const CSP_REPORT: &str = "/csp-report";
    /// `cargo xtask dev` only: which build is served, so an open tab reloads after a rebuild.
    pub const DEV_BUILD: &str = "/_dev/build";
}

/// A way for browser contexts to talk, as the home page and the nav present it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mechanism {
    /// Stable id used in `data-testid`s (`mechanism-<slug>`, `nav-<slug>`).
    pub slug: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
    /// The route's path. A mechanism enters the catalog with its route.
    pub path: &'static str,
    /// The `status` (`data-state`) its route shows once it works: what a test waits for.
    pub ready: &'static str,
    /// The web API the route cannot work without, and where browsers give it.
    pub needs: Needs,
}

/// The web API a mechanism's route cannot work without.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// As a script reaches it from the global object: `navigator.locks`, `SharedArrayBuffer`.
    pub api: &'static str,
    pub only: Only,
}

/// Where browsers give an API: some only to secure contexts (https, or localhost), some only to
/// cross-origin isolated pages (which are secure contexts too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Only {
    pub secure_context: bool,
    pub isolated: bool,
}

impl Only {
    pub const ANYWHERE: Only = Only { secure_context: false, isolated: false };
    pub const SECURE: Only = Only { secure_context: true, isolated: false };
    pub const ISOLATED: Only = Only { secure_context: true, isolated: true };
}

/// What a page is, for the APIs browsers give only to some pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageContext {
    /// `isSecureContext`: https, or `localhost` / `127.0.0.1`.
    pub secure_context: bool,
    /// `crossOriginIsolated`: COOP and COEP on the page.
    pub isolated: bool,
}

/// Why an API is not on a page: each cause has its own reason code, and its own fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// The browser gives it to secure contexts only, and this page is not one (plain http under a
    /// name that is not `localhost`).
    InsecureContext,
    /// The browser gives it to cross-origin isolated pages only, and this page is not one.
    NotIsolated,
    /// This browser does not have it, wherever the page is.
    NotInBrowser,
}

impl Missing {
    pub fn code(self) -> crate::ReasonCode {
        match self {
            Missing::InsecureContext => crate::ReasonCode::InsecureContext,
            Missing::NotIsolated => crate::ReasonCode::NotIsolated,
            Missing::NotInBrowser => crate::ReasonCode::NotInBrowser,
        }
    }
}

impl Needs {
    /// Why the API is not on `page`, where `present` says whether it is: the context first (a
    /// browser that has the API hides it from such a page), then the browser.
    pub fn missing(&self, page: PageContext, present: bool) -> Option<Missing> {
        match present {
            true => None,
            false if self.only.secure_context && !page.secure_context => Some(Missing::InsecureContext),
            false if self.only.isolated && !page.isolated => Some(Missing::NotIsolated),
            false => Some(Missing::NotInBrowser),
        }
    }

    /// Whether the route cannot work for a reader on `page` who follows its link (the
    /// walkthrough's marks): only the secure context can be told from another page — an
    /// isolated route lives on an origin of its own, whose isolation this page cannot see.
    pub fn missing_from(&self, page: PageContext, present: bool) -> Option<Missing> {
        match self.only.isolated {
            true => (!page.secure_context).then_some(Missing::InsecureContext),
            false => self.missing(page, present),
        }
    }
}

pub const WORKER_PORT: Mechanism = Mechanism {
    slug: "worker-port",
    name: "Worker port",
    summary: "A MessageChannel whose second port is transferred into a dedicated wasm worker; page and worker talk over it.",
    path: paths::WORKER_PORT,
    ready: "ready",
    needs: Needs { api: "Worker", only: Only::ANYWHERE },
};

pub const BROADCAST: Mechanism = Mechanism {
    slug: "broadcast",
    name: "BroadcastChannel",
    summary: "Every other tab on the same channel name hears each message; the sender does not.",
    path: paths::BROADCAST,
    ready: "joined",
    needs: Needs { api: "BroadcastChannel", only: Only::ANYWHERE },
};

pub const STORAGE: Mechanism = Mechanism {
    slug: "storage",
    name: "Storage events",
    summary:
        "A localStorage write fires a storage event in every other tab of the origin, never in the writer.",
    path: paths::STORAGE,
    ready: "listening",
    needs: Needs { api: "localStorage", only: Only::ANYWHERE },
};

pub const SHARED_WORKER: Mechanism = Mechanism {
    slug: "shared-worker",
    name: "SharedWorker",
    summary: "One wasm SharedWorker holds a key/value store that every tab of the origin reads and writes.",
    path: paths::SHARED_WORKER,
    ready: "connected",
    needs: Needs { api: "SharedWorker", only: Only::ANYWHERE },
};

pub const INDEXEDDB: Mechanism = Mechanism {
    slug: "indexeddb",
    name: "IndexedDB",
    summary: "One object store every tab shares: a write commits, the others are told the key and read it from the store; a schema upgrade the other tabs must close for, or block.",
    path: paths::INDEXEDDB,
    ready: "open",
    needs: Needs { api: "indexedDB", only: Only::ANYWHERE },
};

pub const SERVICE_WORKER: Mechanism = Mechanism {
    slug: "service-worker",
    name: "Service Worker",
    summary: "A Service Worker in Rust between every tab of the origin: it relays their messages, and its lifecycle — installing, waiting, active, claimed, updated, stopped when idle — shows live.",
    path: paths::SERVICE_WORKER,
    ready: "controlled",
    needs: Needs { api: "navigator.serviceWorker", only: Only::SECURE },
};

pub const WEB_LOCKS: Mechanism = Mechanism {
    slug: "web-locks",
    name: "Web Locks",
    summary: "Named locks held and queued across tabs: exclusive or shared, ifAvailable, steal, and a lock a dead tab held as the notice of its death.",
    path: paths::WEB_LOCKS,
    ready: "ready",
    needs: Needs { api: "navigator.locks", only: Only::SECURE },
};

pub const ATOMICS: Mechanism = Mechanism {
    slug: "atomics",
    name: "Shared memory (Atomics)",
    summary: "A ring in a SharedArrayBuffer between the page and a wasm worker, woken by Atomics.notify: no message is copied at all. Served on a cross-origin isolated origin of its own.",
    path: paths::ATOMICS,
    ready: "ready",
    needs: Needs { api: "SharedArrayBuffer", only: Only::ISOLATED },
};

pub const PAYMENT: Mechanism = Mechanism {
    slug: "payment",
    name: "Payment iframe",
    summary: "window.postMessage between a shop and a payment page on another origin, with strict origin and source checks.",
    path: paths::PAYMENT,
    ready: "configured",
    needs: Needs { api: "postMessage", only: Only::ANYWHERE },
};

pub const STOCK_SYNC: Mechanism = Mechanism {
    slug: "stock-sync",
    name: "Stock sync tabs",
    summary: "One live ticker, identical in every tab: one leader (Web Locks, or an election) ticks, the others follow, and a successor takes over where it left off.",
    path: paths::STOCK,
    ready: "leader",
    needs: Needs { api: "BroadcastChannel", only: Only::ANYWHERE },
};

pub const WEBSOCKET: Mechanism = Mechanism {
    slug: "websocket",
    name: "WebSocket",
    summary: "Tabs, browsers and machines talk through the crosstalk relay, a small Rust server: rooms, limits, reconnects.",
    path: paths::WEBSOCKET,
    ready: "open",
    needs: Needs { api: "WebSocket", only: Only::ANYWHERE },
};

pub const WEBRTC: Mechanism = Mechanism {
    slug: "webrtc",
    name: "WebRTC data channel",
    summary: "Two browsers talk directly over an RTCDataChannel, once signalling — a BroadcastChannel between tabs, or a room of the relay between machines — has introduced them.",
    path: paths::WEBRTC,
    ready: "ready",
    needs: Needs { api: "RTCPeerConnection", only: Only::ANYWHERE },
};

/// Every mechanism, in the order the home page and the nav list them.
pub const MECHANISMS: &[Mechanism] = &[
    WORKER_PORT,
    BROADCAST,
    STORAGE,
    INDEXEDDB,
    SHARED_WORKER,
    SERVICE_WORKER,
    WEB_LOCKS,
    ATOMICS,
    PAYMENT,
    STOCK_SYNC,
    WEBSOCKET,
    WEBRTC,
];

/// Paths of the suite that are pages but not mechanisms.
pub const OTHER_PAGES: &[&str] = &[
    paths::HOME,
    paths::LEARN,
    paths::PROVIDER,
    paths::BENCH,
    paths::BENCH_PEER,
    paths::CAPABILITIES,
    paths::INSPECTOR,
];

/// Pages that live inside frames of other pages (the provider's, the bench's echo): nothing to
/// read there, no nav.
pub const FRAMED_PAGES: &[&str] = &[paths::PROVIDER, paths::BENCH_PEER];

/// Pages served on the cross-origin isolated origin alone (`Cross-Origin-Opener-Policy:
/// same-origin`, `Cross-Origin-Embedder-Policy: require-corp`): isolation would break the app's
/// frames and opened windows, so the app's origin sends a reader of these to that origin.
pub const ISOLATED_PAGES: &[&str] = &[paths::ATOMICS];

/// The suite's tools the isolated origin serves too: each sees only its own origin's tabs (the
/// inspector) or its own origin's powers (capabilities, where `crossOriginIsolated` is true).
pub const ON_BOTH_ORIGINS: &[&str] = &[paths::INSPECTOR, paths::CAPABILITIES];

/// Which origin serves `path`: the isolated one for [`ISOLATED_PAGES`], the app's for the rest
/// ([`ON_BOTH_ORIGINS`] on either).
pub fn is_isolated_page(path: &str) -> bool {
    ISOLATED_PAGES.contains(&path)
}

/// Every page a reader opens: the home page, each working mechanism, the suite's tools.
pub fn reader_pages() -> impl Iterator<Item = &'static str> {
    let tools = OTHER_PAGES.iter().copied().filter(|p| !FRAMED_PAGES.contains(p) && *p != paths::HOME);
    std::iter::once(paths::HOME).chain(MECHANISMS.iter().map(|m| m.path)).chain(tools)
}

/// Whether `path` is a page of the suite.
pub fn is_route(path: &str) -> bool {
    OTHER_PAGES.contains(&path) || MECHANISMS.iter().any(|m| m.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_paths_are_unique_and_working_routes_are_known() {
        let mut slugs: Vec<&str> = MECHANISMS.iter().map(|m| m.slug).collect();
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(slugs.len(), MECHANISMS.len());
        let mut paths: Vec<&str> =
            MECHANISMS.iter().map(|m| m.path).chain(OTHER_PAGES.iter().copied()).collect();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(paths.len(), MECHANISMS.len() + OTHER_PAGES.len());
        assert!(is_route("/broadcast") && is_route("/provider") && is_route("/"));
        assert!(is_route("/websocket") && is_route("/stock") && !is_route("/nope"));
    }

    #[test]
    fn a_missing_api_is_blamed_on_the_context_before_the_browser() {
        let page = |secure_context, isolated| PageContext { secure_context, isolated };
        let locks = WEB_LOCKS.needs;
        assert_eq!(locks.missing(page(false, false), false), Some(Missing::InsecureContext));
        assert_eq!(locks.missing(page(true, false), false), Some(Missing::NotInBrowser));
        assert_eq!(locks.missing(page(false, false), true), None, "present is present");
        let shared = ATOMICS.needs;
        assert_eq!(shared.missing(page(false, false), false), Some(Missing::InsecureContext));
        assert_eq!(shared.missing(page(true, false), false), Some(Missing::NotIsolated));
        assert_eq!(shared.missing(page(true, true), false), Some(Missing::NotInBrowser));
        assert_eq!(BROADCAST.needs.missing(page(false, false), false), Some(Missing::NotInBrowser));
        // From another page: isolation is the other origin's business, the context is not.
        assert_eq!(shared.missing_from(page(true, false), false), None);
        assert_eq!(shared.missing_from(page(false, false), false), Some(Missing::InsecureContext));
        assert_eq!(Missing::InsecureContext.code().as_str(), "insecure-context");
        let secure_only: Vec<&str> =
            MECHANISMS.iter().filter(|m| m.needs.only.secure_context).map(|m| m.slug).collect();
        assert_eq!(secure_only, ["service-worker", "web-locks", "atomics"]);
    }
}
