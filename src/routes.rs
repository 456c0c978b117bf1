//! Every route of the suite, and the catalog of mechanisms as the app links them. `app.rs`, the
//! nav and the home page import this module; it imports none of them.

use crosstalk_protocol::catalog::{Mechanism, MECHANISMS};
use yew_router::prelude::*;

#[derive(Clone, Routable, PartialEq, Eq, Debug)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/worker-port")]
    WorkerPort,
    #[at("/broadcast")]
    Broadcast,
    #[at("/storage")]
    Storage,
    #[at("/shared-worker")]
    SharedWorker,
    #[at("/payment")]
    Payment,
    #[at("/websocket")]
    WebSocket,
    #[at("/stock")]
    Stock,
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

/// The route a mechanism links to, once it works.
pub fn route_of(mechanism: &Mechanism) -> Option<Route> {
    mechanism.path.and_then(Route::recognize).filter(|route| *route != Route::NotFound)
}

/// The mechanisms whose route works, with it.
pub fn working() -> impl Iterator<Item = (&'static Mechanism, Route)> {
    MECHANISMS.iter().filter_map(|m| route_of(m).map(|route| (m, route)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crosstalk_protocol::catalog::{is_route, OTHER_PAGES};

    #[test]
    fn every_catalog_path_is_a_route_and_every_route_is_in_the_catalog() {
        for mechanism in MECHANISMS {
            assert_eq!(route_of(mechanism).is_some(), mechanism.path.is_some(), "{}", mechanism.slug);
        }
        for route in [
            Route::Home,
            Route::WorkerPort,
            Route::Broadcast,
            Route::Storage,
            Route::SharedWorker,
            Route::Payment,
            Route::WebSocket,
            Route::Stock,
            Route::Provider,
            Route::Bench,
            Route::BenchPeer,
            Route::Capabilities,
            Route::Inspector,
        ] {
            assert!(is_route(&route.to_path()), "{route:?} is missing from the catalog");
        }
        for path in OTHER_PAGES {
            assert!(Route::recognize(path).is_some_and(|r| r != Route::NotFound), "{path}");
        }
        assert_eq!(working().count(), 7);
    }
}
