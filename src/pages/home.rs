//! `/`: every mechanism, one sentence each; the working ones linked.

use yew::prelude::*;
use yew_router::prelude::*;

use crosstalk_protocol::catalog::MECHANISMS;

use crate::i18n::{use_i18n, Text};
use crate::routes::{route_of, Route};

#[component]
pub fn Home() -> Html {
    let i18n = use_i18n();
    html! {
        <>
            <h1>{"crosstalk"}</h1>
            <p class="lead" data-testid="home-lead">{i18n.t(Text::HomeLead)}</p>
            <ul class="mechanisms" data-testid="mechanisms">
                { for MECHANISMS.iter().map(|m| {
                    let (name, summary) = match Text::mechanism(m.slug) {
                        Some((name, summary)) => (i18n.t(name), i18n.t(summary)),
                        None => (m.name, m.summary),
                    };
                    html! {
                    <li class={classes!("mechanism", m.path.is_none().then_some("soon"))}
                        data-testid={format!("mechanism-{}", m.slug)}>
                        <h2>
                            if let Some(route) = route_of(m) {
                                <Link<Route> to={route}>{name}</Link<Route>>
                            } else {
                                {name}<span class="badge">{i18n.t(Text::HomeComing)}</span>
                            }
                        </h2>
                        <p>{summary}</p>
                    </li>
                    }
                }) }
            </ul>
        </>
    }
}
