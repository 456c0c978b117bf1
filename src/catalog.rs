//! The app's catalog: one entry per page of the suite, and everything else reads it — the router
//! (`Route` and its paths), the page each route shows, the nav, the home page, the prerendered
//! shells, the lesson and translation checks, and the diagrams' words. A mechanism's entry names
//! its shared catalog entry (`crosstalk_protocol::catalog`: slug, path, English words, the state
//! its route reaches), the keys of its name and summary, its sequence diagram and its page.
//!
//! Adding a mechanism is one entry here plus its files; nothing else lists routes.

use yew_router::Routable;

use crosstalk_protocol::catalog::{self as shared, paths, Mechanism};

use crate::diagram::Diagram;
use crate::i18n::Text;
use crate::learn::{self, GuideStep};
use crate::state;

/// What a page is, and what the catalog knows of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Home,
    /// A way of talking, with a lesson (by its slug), a diagram and its words in every language.
    Mechanism {
        mechanism: &'static Mechanism,
        name: Text,
        summary: Text,
        diagram: &'static Diagram,
        /// Its chapter of the walkthrough (`/learn`): the steps, each ticked by the route's state.
        chapter: &'static [GuideStep],
    },
    /// One of the suite's own tools, linked at the end of the nav as `nav-<slug>`.
    Tool {
        slug: &'static str,
        path: &'static str,
        nav: Text,
        title: Text,
        lead: Text,
    },
    /// A page that lives inside another's frame: no nav, nothing to prerender.
    Framed {
        path: &'static str,
    },
    NotFound,
}

/// One page of the suite.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub route: Route,
    pub kind: Kind,
}

impl Page {
    pub fn path(&self) -> &'static str {
        match self.kind {
            Kind::Home => paths::HOME,
            Kind::Mechanism { mechanism, .. } => mechanism.path,
            Kind::Tool { path, .. } | Kind::Framed { path } => path,
            Kind::NotFound => paths::NOT_FOUND,
        }
    }

    /// The page's title and one-sentence description, as text keys.
    pub fn words(&self) -> Option<(Text, Text)> {
        match self.kind {
            Kind::Mechanism { name, summary, .. } => Some((name, summary)),
            Kind::Tool { title, lead, .. } => Some((title, lead)),
            Kind::Home | Kind::Framed { .. } | Kind::NotFound => None,
        }
    }

    pub fn mechanism(&self) -> Option<&'static Mechanism> {
        match self.kind {
            Kind::Mechanism { mechanism, .. } => Some(mechanism),
            _ => None,
        }
    }

    /// Whether a reader opens it (and the build prerenders it): not framed pages, not 404.
    pub fn is_read(&self) -> bool {
        !matches!(self.kind, Kind::Framed { .. } | Kind::NotFound)
    }
}

/// The suite's routes. Each path is written here as `#[at]` needs it, a literal, and is the
/// shared catalog's constant that the server answers by too: a test holds the two equal
/// (`routes_and_paths_go_both_ways`), and the router's view matches every variant to its entry
/// of [`with_pages`], so a route without a page does not compile.
#[derive(Clone, PartialEq, Eq, Debug, Routable)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/worker-port")]
    WorkerPort,
    #[at("/broadcast")]
    Broadcast,
    #[at("/storage")]
    Storage,
    #[at("/indexeddb")]
    IndexedDb,
    #[at("/shared-worker")]
    SharedWorker,
    #[at("/service-worker")]
    ServiceWorker,
    #[at("/web-locks")]
    WebLocks,
    #[at("/atomics")]
    Atomics,
    #[at("/payment")]
    Payment,
    #[at("/stock")]
    Stock,
    #[at("/websocket")]
    WebSocket,
    #[at("/webrtc")]
    WebRtc,
    /// Every mechanism in order, a chapter each, with steps that tick themselves.
    #[at("/learn")]
    Learn,
    /// What this browser can do for each mechanism, probed.
    #[at("/capabilities")]
    Capabilities,
    /// Every tab's traffic in one timeline, gathered over a side channel.
    #[at("/inspector")]
    Inspector,
    /// What each mechanism costs, through crosstalk and through plain JS.
    #[at("/bench")]
    Bench,
    /// The benchmark's echo frame, on either origin (framed by `/bench`).
    #[at("/bench-peer")]
    BenchPeer,
    /// The payment provider's page: served from the provider's origin, framed by `/payment`.
    #[at("/provider")]
    Provider,
    #[not_found]
    #[at("/404")]
    NotFound,
}

/// Declares the catalog of pages from the list ([`with_pages`]). The list also names each page's
/// component (by its module under `pages/`), which `app.rs` expands into the router's view: this
/// module sits below the pages, so they and the components can read it.
macro_rules! declare_routes {
    ($( $route:ident: $kind:expr => $($page:ident)::+, )*) => {
        /// Every page, in the order the nav and the home page list them.
        pub const PAGES: &[Page] = &[ $( Page { route: Route::$route, kind: $kind }, )* ];
    };
}

/// The one list of the suite's pages, handed to `$then`: `declare_routes` here, the view in
/// `app.rs`.
macro_rules! with_pages {
    ($then:ident) => {
        $then! {
        Home: Kind::Home => home::Home,
        WorkerPort: Kind::Mechanism {
            mechanism: &shared::WORKER_PORT,
            name: Text::MechanismWorkerPortName,
            summary: Text::MechanismWorkerPortSummary,
            diagram: &state::worker_port::DIAGRAM,
            chapter: state::worker_port::CHAPTER,
        } => worker_port::WorkerPortPage,
        Broadcast: Kind::Mechanism {
            mechanism: &shared::BROADCAST,
            name: Text::MechanismBroadcastName,
            summary: Text::MechanismBroadcastSummary,
            diagram: &state::broadcast::DIAGRAM,
            chapter: state::broadcast::CHAPTER,
        } => broadcast::BroadcastPage,
        Storage: Kind::Mechanism {
            mechanism: &shared::STORAGE,
            name: Text::MechanismStorageName,
            summary: Text::MechanismStorageSummary,
            diagram: &state::storage::DIAGRAM,
            chapter: state::storage::CHAPTER,
        } => storage::StoragePage,
        IndexedDb: Kind::Mechanism {
            mechanism: &shared::INDEXEDDB,
            name: Text::MechanismIndexeddbName,
            summary: Text::MechanismIndexeddbSummary,
            diagram: &state::indexeddb::DIAGRAM,
            chapter: state::indexeddb::CHAPTER,
        } => indexeddb::IndexedDbPage,
        SharedWorker: Kind::Mechanism {
            mechanism: &shared::SHARED_WORKER,
            name: Text::MechanismSharedWorkerName,
            summary: Text::MechanismSharedWorkerSummary,
            diagram: &state::shared_worker::DIAGRAM,
            chapter: state::shared_worker::CHAPTER,
        } => shared_worker::SharedWorkerPage,
        ServiceWorker: Kind::Mechanism {
            mechanism: &shared::SERVICE_WORKER,
            name: Text::MechanismServiceWorkerName,
            summary: Text::MechanismServiceWorkerSummary,
            diagram: &state::service_worker::DIAGRAM,
            chapter: state::service_worker::CHAPTER,
        } => service_worker::ServiceWorkerPage,
        WebLocks: Kind::Mechanism {
            mechanism: &shared::WEB_LOCKS,
            name: Text::MechanismWebLocksName,
            summary: Text::MechanismWebLocksSummary,
            diagram: &state::web_locks::DIAGRAM,
            chapter: state::web_locks::CHAPTER,
        } => web_locks::WebLocksPage,
        Atomics: Kind::Mechanism {
            mechanism: &shared::ATOMICS,
            name: Text::MechanismAtomicsName,
            summary: Text::MechanismAtomicsSummary,
            diagram: &state::atomics::DIAGRAM,
            chapter: state::atomics::CHAPTER,
        } => atomics::AtomicsPage,
        Payment: Kind::Mechanism {
            mechanism: &shared::PAYMENT,
            name: Text::MechanismPaymentName,
            summary: Text::MechanismPaymentSummary,
            diagram: &state::payment::DIAGRAM,
            chapter: state::payment::CHAPTER,
        } => payment::PaymentPage,
        Stock: Kind::Mechanism {
            mechanism: &shared::STOCK_SYNC,
            name: Text::MechanismStockSyncName,
            summary: Text::MechanismStockSyncSummary,
            diagram: &state::stock::DIAGRAM,
            chapter: state::stock::CHAPTER,
        } => stock::StockPage,
        WebSocket: Kind::Mechanism {
            mechanism: &shared::WEBSOCKET,
            name: Text::MechanismWebsocketName,
            summary: Text::MechanismWebsocketSummary,
            diagram: &state::websocket::DIAGRAM,
            chapter: state::websocket::CHAPTER,
        } => websocket::WebSocketPage,
        WebRtc: Kind::Mechanism {
            mechanism: &shared::WEBRTC,
            name: Text::MechanismWebrtcName,
            summary: Text::MechanismWebrtcSummary,
            diagram: &state::webrtc::DIAGRAM,
            chapter: state::webrtc::CHAPTER,
        } => webrtc::WebRtcPage,
        Learn: Kind::Tool {
            slug: "learn",
            path: paths::LEARN,
            nav: Text::NavLearn,
            title: Text::LearnTitle,
            lead: Text::LearnLead,
        } => learn::LearnPage,
        Capabilities: Kind::Tool {
            slug: "capabilities",
            path: paths::CAPABILITIES,
            nav: Text::NavCapabilities,
            title: Text::CapabilitiesTitle,
            lead: Text::CapabilitiesLead,
        } => capabilities::CapabilitiesPage,
        Inspector: Kind::Tool {
            slug: "inspector",
            path: paths::INSPECTOR,
            nav: Text::NavInspector,
            title: Text::InspectorTitle,
            lead: Text::InspectorLead,
        } => inspector::InspectorPage,
        Bench: Kind::Tool {
            slug: "bench",
            path: paths::BENCH,
            nav: Text::NavBench,
            title: Text::BenchTitle,
            lead: Text::BenchLead,
        } => bench::BenchPage,
        BenchPeer: Kind::Framed { path: paths::BENCH_PEER } => bench_peer::BenchPeerPage,
        Provider: Kind::Framed { path: paths::PROVIDER } => provider::ProviderPage,
        NotFound: Kind::NotFound => not_found::NotFound,
            }
    };
}
#[cfg_attr(feature = "split", allow(unused_imports))]
pub(crate) use with_pages;

with_pages!(declare_routes);

impl Route {
    pub fn page(&self) -> &'static Page {
        // Every variant has its entry: the macro makes both from one list.
        PAGES.iter().find(|p| p.route == *self).unwrap_or(&PAGES[PAGES.len() - 1])
    }
}

/// The mechanisms, in catalog order, with their pages.
pub fn mechanisms() -> impl Iterator<Item = (&'static Mechanism, &'static Page)> {
    PAGES.iter().filter_map(|p| p.mechanism().map(|m| (m, p)))
}

/// The suite's tools, in nav order.
pub fn tools() -> impl Iterator<Item = &'static Page> {
    PAGES.iter().filter(|p| matches!(p.kind, Kind::Tool { .. }))
}

/// The page of the mechanism with this slug (its lesson's name).
pub fn mechanism_page(slug: &str) -> Option<&'static Page> {
    PAGES.iter().find(|p| p.mechanism().is_some_and(|m| m.slug == slug))
}

/// One chapter of the walkthrough: a mechanism's page and its steps.
#[derive(Debug, Clone, Copy)]
pub struct Chapter {
    pub mechanism: &'static Mechanism,
    pub page: &'static Page,
    pub name: Text,
    pub steps: &'static [GuideStep],
}

/// The walkthrough's chapters, in its order ([`learn::ORDER`]).
pub fn chapters() -> impl Iterator<Item = Chapter> {
    learn::ORDER.iter().filter_map(|slug| {
        let page = mechanism_page(slug)?;
        match page.kind {
            Kind::Mechanism { mechanism, name, chapter, .. } => {
                Some(Chapter { mechanism, page, name, steps: chapter })
            }
            _ => None,
        }
    })
}

/// The chapter a mechanism teaches, and where it stands in the walkthrough (from 0).
pub fn chapter(slug: &str) -> Option<(usize, Chapter)> {
    chapters().enumerate().find(|(_, c)| c.mechanism.slug == slug)
}

/// Every word of every sequence diagram (titles, lanes, steps), once each, in catalog order: the
/// words the translations hold for them (`diagram.<word>`).
pub fn diagram_words() -> &'static [&'static str] {
    static WORDS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| {
        let mut words: Vec<&'static str> = Vec::new();
        for diagram in diagrams() {
            let steps = diagram.steps.iter().map(|s| s.label);
            for word in std::iter::once(diagram.title).chain(diagram.lanes.iter().copied()).chain(steps) {
                if !words.contains(&word) {
                    words.push(word);
                }
            }
        }
        words
    })
}

/// Every mechanism's sequence diagram: their words are translated like the rest of the UI.
pub fn diagrams() -> impl Iterator<Item = &'static Diagram> {
    PAGES.iter().filter_map(|p| match p.kind {
        Kind::Mechanism { diagram, .. } => Some(diagram),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crosstalk_protocol::catalog::{is_route, FRAMED_PAGES, MECHANISMS, OTHER_PAGES};

    #[test]
    fn every_shared_mechanism_and_page_has_one_entry_and_every_entry_is_served() {
        for mechanism in MECHANISMS {
            let pages: Vec<&Page> = PAGES.iter().filter(|p| p.mechanism() == Some(mechanism)).collect();
            assert_eq!(pages.len(), 1, "{} needs one entry in src/catalog.rs", mechanism.slug);
        }
        for path in OTHER_PAGES {
            assert!(
                PAGES.iter().any(|p| p.path() == *path && p.mechanism().is_none()),
                "{path} has no entry"
            );
        }
        for page in PAGES.iter().filter(|p| p.kind != Kind::NotFound) {
            assert!(
                is_route(page.path()),
                "{:?}: the server would answer 404 for {}",
                page.route,
                page.path()
            );
            assert_eq!(!page.is_read(), FRAMED_PAGES.contains(&page.path()), "{:?}", page.route);
        }
        let mut paths = Route::routes();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(paths.len(), PAGES.len(), "two entries share a path");
    }

    #[test]
    fn every_mechanism_has_a_chapter_of_the_walkthrough_once_with_steps_of_its_own() {
        let order: Vec<&str> = chapters().map(|c| c.mechanism.slug).collect();
        assert_eq!(order.len(), learn::ORDER.len(), "a slug of learn::ORDER has no mechanism page");
        for mechanism in MECHANISMS {
            assert_eq!(
                order.iter().filter(|s| **s == mechanism.slug).count(),
                1,
                "{} is not once in learn::ORDER",
                mechanism.slug
            );
            let (_, chapter) = chapter(mechanism.slug).expect("a chapter");
            assert!(!chapter.steps.is_empty(), "{} has no steps", mechanism.slug);
            let mut ids: Vec<&str> = chapter.steps.iter().map(|s| s.id).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), chapter.steps.len(), "{}: a step id twice", mechanism.slug);
        }
    }

    #[test]
    fn routes_and_paths_go_both_ways() {
        for page in PAGES {
            let (route, shared) = (&page.route, page.path());
            assert_eq!(route.to_path(), shared, "{route:?}'s #[at] differs from the shared catalog's path");
            assert_eq!(Route::recognize(shared), Some(route.clone()), "{shared}");
            assert_eq!(page.route.page(), page);
        }
        assert_eq!(Route::recognize("/broadcast/"), Some(Route::Broadcast));
        assert_eq!(Route::recognize("/"), Some(Route::Home));
        assert_eq!(Route::recognize("/nope"), Some(Route::NotFound));
        assert_eq!(Route::recognize("/broadcast/x"), Some(Route::NotFound));
    }

    #[test]
    fn the_nav_lists_mechanisms_then_tools_in_catalog_order() {
        let slugs: Vec<&str> = mechanisms().map(|(m, _)| m.slug).collect();
        assert_eq!(slugs, MECHANISMS.iter().map(|m| m.slug).collect::<Vec<_>>());
        assert_eq!(mechanism_page("broadcast").map(|p| &p.route), Some(&Route::Broadcast));
        assert_eq!(mechanism_page("bench"), None);
        assert!(tools().all(|p| OTHER_PAGES.contains(&p.path())));
    }
}
