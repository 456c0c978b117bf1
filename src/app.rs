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
use crate::routes::Route;

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
