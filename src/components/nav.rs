//! The navigation bar on every page: only mechanisms whose route works are linked.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::routes::{working, Route};

#[component]
pub fn Nav() -> Html {
    let current = use_route::<Route>();
    // The provider's page and the bench's echo frame live inside frames: no site chrome there.
    if matches!(current, Some(Route::Provider | Route::BenchPeer)) {
        return html! {};
    }
    html! {
        <nav class="nav" data-testid="nav">
            <Link<Route> to={Route::Home} classes="brand">{"crosstalk"}</Link<Route>>
            <ul>
                { for working().map(|(m, route)| html! {
                    <li data-testid={format!("nav-{}", m.slug)}>
                        <Link<Route> classes={classes!((current.as_ref() == Some(&route)).then_some("active"))} to={route}>
                            {m.name}
                        </Link<Route>>
                    </li>
                }) }
            </ul>
            <Link<Route> classes={classes!("bench-link", (current == Some(Route::Capabilities)).then_some("active"))} to={Route::Capabilities}>
                <span data-testid="nav-capabilities">{"Capabilities"}</span>
            </Link<Route>>
            <Link<Route> classes={classes!("bench-link", (current == Some(Route::Bench)).then_some("active"))} to={Route::Bench}>
                <span data-testid="nav-bench">{"Bench"}</span>
            </Link<Route>>
        </nav>
    }
}
