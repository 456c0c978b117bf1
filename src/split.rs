//! Prototype (issue 24, off by default): every route but home in a wasm module of its own,
//! fetched when the route opens. `wasm_split` marks each page as a split point; after linking,
//! `wasm-split-cli` cuts the module there (before wasm-bindgen), which trunk cannot do, so
//! `cargo xtask split-sizes` builds it and measures what each route would download. Not yet
//! served: see docs/performance/weight.md for what it gives and what it still lacks.

use wasm_split_helpers::wasm_split;
use yew::prelude::*;

use crate::catalog::Route;
use crate::pages::bench::BenchPage;
use crate::pages::bench_peer::BenchPeerPage;
use crate::pages::broadcast::BroadcastPage;
use crate::pages::capabilities::CapabilitiesPage;
use crate::pages::inspector::InspectorPage;
use crate::pages::payment::PaymentPage;
use crate::pages::provider::ProviderPage;
use crate::pages::shared_worker::SharedWorkerPage;
use crate::pages::stock::StockPage;
use crate::pages::storage::StoragePage;
use crate::pages::websocket::WebSocketPage;
use crate::pages::worker_port::WorkerPortPage;

#[wasm_split(worker_port)]
fn worker_port() -> Html {
    html! { <WorkerPortPage /> }
}
#[wasm_split(broadcast)]
fn broadcast() -> Html {
    html! { <BroadcastPage /> }
}
#[wasm_split(storage)]
fn storage() -> Html {
    html! { <StoragePage /> }
}
#[wasm_split(shared_worker)]
fn shared_worker() -> Html {
    html! { <SharedWorkerPage /> }
}
#[wasm_split(payment)]
fn payment() -> Html {
    html! { <PaymentPage /> }
}
#[wasm_split(websocket)]
fn websocket() -> Html {
    html! { <WebSocketPage /> }
}
#[wasm_split(stock)]
fn stock() -> Html {
    html! { <StockPage /> }
}
#[wasm_split(provider)]
fn provider() -> Html {
    html! { <ProviderPage /> }
}
#[wasm_split(bench)]
fn bench() -> Html {
    html! { <BenchPage /> }
}
#[wasm_split(capabilities)]
fn capabilities() -> Html {
    html! { <CapabilitiesPage /> }
}
#[wasm_split(inspector)]
fn inspector() -> Html {
    html! { <InspectorPage /> }
}
#[wasm_split(bench_peer)]
fn bench_peer() -> Html {
    html! { <BenchPeerPage /> }
}

async fn page(route: Route) -> Html {
    match route {
        Route::WorkerPort => worker_port().await,
        Route::Broadcast => broadcast().await,
        Route::Storage => storage().await,
        Route::SharedWorker => shared_worker().await,
        Route::Payment => payment().await,
        Route::WebSocket => websocket().await,
        Route::Stock => stock().await,
        Route::Provider => provider().await,
        Route::Bench => bench().await,
        Route::Capabilities => capabilities().await,
        Route::Inspector => inspector().await,
        Route::BenchPeer => bench_peer().await,
        Route::Home | Route::NotFound => html! {},
    }
}

#[derive(Properties, PartialEq)]
pub struct LazyProps {
    pub route: Route,
}

/// A route whose page lives in a module of its own: fetched, then shown.
#[component]
pub fn Lazy(props: &LazyProps) -> Html {
    let shown = use_state(|| None::<Html>);
    {
        let shown = shown.clone();
        use_effect_with(props.route.clone(), move |route| {
            let route = route.clone();
            wasm_bindgen_futures::spawn_local(async move { shown.set(Some(page(route).await)) });
        });
    }
    (*shown).clone().unwrap_or_default()
}
