//! The app: a nav on every page, and the page of the route (`catalog.rs` says which).

use yew::prelude::*;
use yew_router::prelude::*;

use crate::catalog::Route;
use crate::components::home_origin::HomeOrigin;
use crate::components::nav::Nav;
use crate::i18n::I18nProvider;
#[cfg(feature = "split")]
use crate::pages::home::Home;
#[cfg(feature = "split")]
use crate::pages::not_found::NotFound;
use crate::shell::DropShell;

/// The prototype of one module per route (`split.rs`): home and not-found stay in the main one.
#[cfg(feature = "split")]
fn switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <Home /> },
        Route::NotFound => html! { <NotFound /> },
        route => html! { <crate::split::Lazy route={route} /> },
    }
}

/// The component each route shows, from the catalog's one list of pages.
#[cfg(not(feature = "split"))]
macro_rules! declare_view {
    ($( $route:ident: $kind:expr => $($page:ident)::+, )*) => {
        fn switch(route: Route) -> Html {
            use crate::pages::*;
            match route {
                $( Route::$route => html! { <$($page)::+ /> }, )*
            }
        }
    };
}
#[cfg(not(feature = "split"))]
crate::catalog::with_pages!(declare_view);

/// Counts Content-Security-Policy violations on this page, for QA: the suite's policy is strict,
/// and a route that trips it is a bug. Published as `csp-violations` (`data-count`), hidden.
#[hook]
fn use_csp_violations() -> u32 {
    let count = use_state(|| 0u32);
    {
        let count = count.setter();
        let seen = use_mut_ref(|| 0u32);
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|window| {
                gloo::events::EventListener::new(&window.into(), "securitypolicyviolation", move |_| {
                    *seen.borrow_mut() += 1;
                    count.set(*seen.borrow());
                })
            });
            move || drop(listener)
        });
    }
    *count
}

#[component]
pub fn App() -> Html {
    let violations = use_csp_violations();
    html! {
        <BrowserRouter>
            <I18nProvider diagram_words={crate::catalog::diagram_words()}>
                <Nav />
                <HomeOrigin />
                <main class="page">
                    <Switch<Route> render={switch} />
                </main>
                <DropShell />
            </I18nProvider>
            <div hidden=true data-testid="csp-violations" data-count={violations.to_string()}></div>
        </BrowserRouter>
    }
}
