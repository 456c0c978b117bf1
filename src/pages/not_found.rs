//! Any path that is not a route.

use yew::prelude::*;

use crate::i18n::{use_i18n, Text};
use yew_router::prelude::*;

use crate::catalog::Route;

#[component]
pub fn NotFound() -> Html {
    let i18n = use_i18n();
    html! {
        <section data-testid="not-found">
            <h1>{i18n.t(Text::NotfoundTitle)}</h1>
            <p>{i18n.t(Text::NotfoundText)}<Link<Route> to={Route::Home}>{i18n.t(Text::NotfoundLink)}</Link<Route>>{"."}</p>
        </section>
    }
}
