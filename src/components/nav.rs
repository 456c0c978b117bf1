//! The navigation bar on every page: only mechanisms whose route works are linked.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::{Route, MECHANISMS};

#[component]
pub fn Nav() -> Html {
    // The provider's page lives inside the shop's iframe: no site chrome there.
    if use_route::<Route>() == Some(Route::Provider) {
        return html! {};
    }
    html! {
        <nav class="nav" data-testid="nav">
            <Link<Route> to={Route::Home} classes="brand">{"crosstalk"}</Link<Route>>
            <ul>
                { for MECHANISMS.iter().filter_map(|m| m.route.clone().map(|route| html! {
                    <li data-testid={format!("nav-{}", m.slug)}>
                        <Link<Route> to={route}>{m.name}</Link<Route>>
                    </li>
                })) }
            </ul>
        </nav>
    }
}
