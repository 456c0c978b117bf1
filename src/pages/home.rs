//! `/`: every mechanism, one sentence each; the working ones linked.

use yew::prelude::*;
use yew_router::prelude::*;

use crosstalk_protocol::catalog::MECHANISMS;

use crate::routes::{route_of, Route};

#[component]
pub fn Home() -> Html {
    html! {
        <>
            <h1>{"crosstalk"}</h1>
            <p class="lead">
                {"Every way browser contexts talk to each other, live. Open a route in several tabs and watch \
                  the messages move: each one is logged where it is sent and where it arrives, and anything \
                  malformed is shown as rejected."}
            </p>
            <ul class="mechanisms" data-testid="mechanisms">
                { for MECHANISMS.iter().map(|m| html! {
                    <li class={classes!("mechanism", m.path.is_none().then_some("soon"))}
                        data-testid={format!("mechanism-{}", m.slug)}>
                        <h2>
                            if let Some(route) = route_of(m) {
                                <Link<Route> to={route}>{m.name}</Link<Route>>
                            } else {
                                {m.name}<span class="badge">{"coming"}</span>
                            }
                        </h2>
                        <p>{m.summary}</p>
                    </li>
                }) }
            </ul>
        </>
    }
}
