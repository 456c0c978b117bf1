//! The app: one route per mechanism, a home page that lists them, a nav on every page.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::components::nav::Nav;
use crate::pages::broadcast::BroadcastPage;
use crate::pages::home::Home;
use crate::pages::not_found::NotFound;
use crate::pages::payment::PaymentPage;
use crate::pages::provider::ProviderPage;
use crate::pages::shared_worker::SharedWorkerPage;
use crate::pages::storage::StoragePage;
use crate::pages::worker_port::WorkerPortPage;

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
    /// The payment provider's page: served from the provider's origin, framed by `/payment`.
    #[at("/provider")]
    Provider,
    #[not_found]
    #[at("/404")]
    NotFound,
}

/// A way for browser contexts to talk, as the home page and the nav present it.
pub struct Mechanism {
    /// Stable id used in `data-testid`s (`mechanism-<slug>`, `nav-<slug>`).
    pub slug: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
    /// `None` until the route works; only working routes are linked.
    pub route: Option<Route>,
}

pub const MECHANISMS: &[Mechanism] = &[
    Mechanism {
        slug: "worker-port",
        name: "Worker port",
        summary: "A MessageChannel whose second port is transferred into a dedicated wasm worker; page and worker talk over it.",
        route: Some(Route::WorkerPort),
    },
    Mechanism {
        slug: "broadcast",
        name: "BroadcastChannel",
        summary: "Every other tab on the same channel name hears each message; the sender does not.",
        route: Some(Route::Broadcast),
    },
    Mechanism {
        slug: "storage",
        name: "Storage events",
        summary: "A localStorage write fires a storage event in every other tab of the origin, never in the writer.",
        route: Some(Route::Storage),
    },
    Mechanism {
        slug: "shared-worker",
        name: "SharedWorker",
        summary: "One wasm SharedWorker holds a key/value store that every tab of the origin reads and writes.",
        route: Some(Route::SharedWorker),
    },
    Mechanism {
        slug: "payment",
        name: "Payment iframe",
        summary: "window.postMessage between a shop and a payment page on another origin, with strict origin and source checks.",
        route: Some(Route::Payment),
    },
    Mechanism {
        slug: "stock-sync",
        name: "Stock sync tabs",
        summary: "A live ticker kept identical across tabs over the transport you pick.",
        route: None,
    },
    Mechanism {
        slug: "websocket",
        name: "WebSocket",
        summary: "Tabs talk through a small Rust relay server.",
        route: None,
    },
];

fn switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <Home /> },
        Route::WorkerPort => html! { <WorkerPortPage /> },
        Route::Broadcast => html! { <BroadcastPage /> },
        Route::Storage => html! { <StoragePage /> },
        Route::SharedWorker => html! { <SharedWorkerPage /> },
        Route::Payment => html! { <PaymentPage /> },
        Route::Provider => html! { <ProviderPage /> },
        Route::NotFound => html! { <NotFound /> },
    }
}

#[component]
pub fn App() -> Html {
    html! {
        <BrowserRouter>
            <Nav />
            <main class="page">
                <Switch<Route> render={switch} />
            </main>
        </BrowserRouter>
    }
}
