//! `/`: every mechanism, one sentence each; the working ones linked.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::catalog::{mechanisms, Route};
use crate::i18n::{use_i18n, Text};

#[component]
pub fn Home() -> Html {
    let i18n = use_i18n();
    html! {
        <>
            <h1>{"crosstalk"}</h1>
            <p class="lead" data-testid="home-lead">{i18n.t(Text::HomeLead)}</p>
            <ul class="mechanisms" data-testid="mechanisms">
                { for mechanisms().map(|(m, page)| {
                    let (name, summary) = match page.words() {
                        Some((name, summary)) => (i18n.t(name), i18n.t(summary)),
                        None => (m.name, m.summary),
                    };
                    html! {
                    <li class="mechanism" data-testid={format!("mechanism-{}", m.slug)}>
                        <h2>
                            <Link<Route> to={page.route.clone()}>{name}</Link<Route>>
                        </h2>
                        <p>{summary}</p>
                    </li>
                    }
                }) }
            </ul>
        </>
    }
}
