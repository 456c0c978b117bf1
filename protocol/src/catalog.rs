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
}

pub const WORKER_PORT: Mechanism = Mechanism {
    slug: "worker-port",
    name: "Worker port",
    summary: "A MessageChannel whose second port is transferred into a dedicated wasm worker; page and worker talk over it.",
    path: paths::WORKER_PORT,
    ready: "ready",
};

pub const BROADCAST: Mechanism = Mechanism {
    slug: "broadcast",
    name: "BroadcastChannel",
    summary: "Every other tab on the same channel name hears each message; the sender does not.",
    path: paths::BROADCAST,
    ready: "joined",
};

pub const STORAGE: Mechanism = Mechanism {
    slug: "storage",
    name: "Storage events",
    summary:
        "A localStorage write fires a storage event in every other tab of the origin, never in the writer.",
    path: paths::STORAGE,
    ready: "listening",
};

pub const SHARED_WORKER: Mechanism = Mechanism {
    slug: "shared-worker",
    name: "SharedWorker",
    summary: "One wasm SharedWorker holds a key/value store that every tab of the origin reads and writes.",
    path: paths::SHARED_WORKER,
    ready: "connected",
};

pub const INDEXEDDB: Mechanism = Mechanism {
    slug: "indexeddb",
    name: "IndexedDB",
    summary: "One object store every tab shares: a write commits, the others are told the key and read it from the store; a schema upgrade the other tabs must close for, or block.",
    path: paths::INDEXEDDB,
    ready: "open",
};

pub const SERVICE_WORKER: Mechanism = Mechanism {
    slug: "service-worker",
    name: "Service Worker",
    summary: "A Service Worker in Rust between every tab of the origin: it relays their messages, and its lifecycle — installing, waiting, active, claimed, updated, stopped when idle — shows live.",
    path: paths::SERVICE_WORKER,
    ready: "controlled",
};

pub const WEB_LOCKS: Mechanism = Mechanism {
    slug: "web-locks",
    name: "Web Locks",
    summary: "Named locks held and queued across tabs: exclusive or shared, ifAvailable, steal, and a lock a dead tab held as the notice of its death.",
    path: paths::WEB_LOCKS,
    ready: "ready",
};

pub const ATOMICS: Mechanism = Mechanism {
    slug: "atomics",
    name: "Shared memory (Atomics)",
    summary: "A ring in a SharedArrayBuffer between the page and a wasm worker, woken by Atomics.notify: no message is copied at all. Served on a cross-origin isolated origin of its own.",
    path: paths::ATOMICS,
    ready: "ready",
};

pub const PAYMENT: Mechanism = Mechanism {
    slug: "payment",
    name: "Payment iframe",
    summary: "window.postMessage between a shop and a payment page on another origin, with strict origin and source checks.",
    path: paths::PAYMENT,
    ready: "configured",
};

pub const STOCK_SYNC: Mechanism = Mechanism {
    slug: "stock-sync",
    name: "Stock sync tabs",
    summary: "One live ticker, identical in every tab: one leader (Web Locks, or an election) ticks, the others follow, and a successor takes over where it left off.",
    path: paths::STOCK,
    ready: "leader",
};

pub const WEBSOCKET: Mechanism = Mechanism {
    slug: "websocket",
    name: "WebSocket",
    summary: "Tabs, browsers and machines talk through the crosstalk relay, a small Rust server: rooms, limits, reconnects.",
    path: paths::WEBSOCKET,
    ready: "open",
};

pub const WEBRTC: Mechanism = Mechanism {
    slug: "webrtc",
    name: "WebRTC data channel",
    summary: "Two browsers talk directly over an RTCDataChannel, once signalling — a BroadcastChannel between tabs, or a room of the relay between machines — has introduced them.",
    path: paths::WEBRTC,
    ready: "ready",
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
}
