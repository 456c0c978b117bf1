//! Any path that is not a route.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::routes::Route;

#[component]
pub fn NotFound() -> Html {
    html! {
        <section data-testid="not-found">
            <h1>{"Nothing here"}</h1>
            <p>{"This address is not a crosstalk route. "}<Link<Route> to={Route::Home}>{"See every mechanism"}</Link<Route>>{"."}</p>
        </section>
    }
}
