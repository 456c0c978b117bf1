//! The catalog of mechanisms: what the home page lists, what the nav links, and which paths are
//! routes of the suite (the server will answer 404 for the others). The app's `Route` enum is
//! checked against it in the app's tests.

/// A way for browser contexts to talk, as the home page and the nav present it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mechanism {
    /// Stable id used in `data-testid`s (`mechanism-<slug>`, `nav-<slug>`).
    pub slug: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
    /// The route's path, or `None` while it is coming; only working routes are linked.
    pub path: Option<&'static str>,
}

pub const MECHANISMS: &[Mechanism] = &[
    Mechanism {
        slug: "worker-port",
        name: "Worker port",
        summary: "A MessageChannel whose second port is transferred into a dedicated wasm worker; page and worker talk over it.",
        path: Some("/worker-port"),
    },
    Mechanism {
        slug: "broadcast",
        name: "BroadcastChannel",
        summary: "Every other tab on the same channel name hears each message; the sender does not.",
        path: Some("/broadcast"),
    },
    Mechanism {
        slug: "storage",
        name: "Storage events",
        summary: "A localStorage write fires a storage event in every other tab of the origin, never in the writer.",
        path: Some("/storage"),
    },
    Mechanism {
        slug: "shared-worker",
        name: "SharedWorker",
        summary: "One wasm SharedWorker holds a key/value store that every tab of the origin reads and writes.",
        path: Some("/shared-worker"),
    },
    Mechanism {
        slug: "payment",
        name: "Payment iframe",
        summary: "window.postMessage between a shop and a payment page on another origin, with strict origin and source checks.",
        path: Some("/payment"),
    },
    Mechanism {
        slug: "stock-sync",
        name: "Stock sync tabs",
        summary: "One live ticker, identical in every tab: one leader (Web Locks, or an election) ticks, the others follow, and a successor takes over where it left off.",
        path: Some("/stock"),
    },
    Mechanism {
        slug: "websocket",
        name: "WebSocket",
        summary: "Tabs, browsers and machines talk through the crosstalk relay, a small Rust server: rooms, limits, reconnects.",
        path: Some("/websocket"),
    },
];

/// Paths of the suite that are pages but not mechanisms.
pub const OTHER_PAGES: &[&str] = &["/", "/provider", "/bench", "/bench-peer", "/capabilities", "/inspector"];

/// Pages that live inside frames of other pages (the provider's, the bench's echo): nothing to
/// read there, no nav.
pub const FRAMED_PAGES: &[&str] = &["/provider", "/bench-peer"];

/// Every page a reader opens: the home page, each working mechanism, the suite's tools.
pub fn reader_pages() -> impl Iterator<Item = &'static str> {
    let tools = OTHER_PAGES.iter().copied().filter(|p| !FRAMED_PAGES.contains(p) && *p != "/");
    std::iter::once("/").chain(MECHANISMS.iter().filter_map(|m| m.path)).chain(tools)
}

/// Whether `path` is a page of the suite.
pub fn is_route(path: &str) -> bool {
    OTHER_PAGES.contains(&path) || MECHANISMS.iter().any(|m| m.path == Some(path))
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
        assert!(is_route("/broadcast") && is_route("/provider") && is_route("/"));
        assert!(is_route("/websocket") && is_route("/stock") && !is_route("/nope"));
    }
}
