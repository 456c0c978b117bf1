//! `/stock`: one live ticker, identical in every tab. Exactly one tab — the leader, chosen with
//! Web Locks or, where they are missing or `?election=messages` asks, by an election over the
//! transport — produces the market; every other tab follows. This page only shows it: the tab's
//! desk is `controller/stock.rs`; state: `state/stock.rs`; the rules: `crosstalk_protocol::stock`;
//! transports: `transport/stock.rs`, `transport/leader_lock.rs`.

use std::rc::Rc;

use crate::said;
use yew::prelude::*;

use crate::components::log_and_diagram::LogAndDiagram;
use crate::components::open_tab::OpenTab;
use crate::components::raw_composer::RawComposer;
use crate::components::route_frame::RouteFrame;
use crate::components::status::StatusPanel;
use crate::controller::stock::{messages_forced, reload_electing_by_messages, StockDesk};
use crate::hooks::use_route;
use crate::i18n::{fill, use_i18n, Hole, Text};
use crate::state::stock::{price, Role, StockState, DIAGRAM};
use crate::transport::stock::StockTransport;

/// How long the freeze button stops this tab: well past the followers' stale mark.
const FREEZE_MS: u32 = 5_000;

#[component]
pub fn StockPage() -> Html {
    let i18n = use_i18n();
    let route = use_route::<StockState>();
    let desk = {
        let route = route.clone();
        use_memo((), move |_| StockDesk::new(route.dispatcher()))
    };
    {
        let desk = Rc::clone(&desk);
        use_effect_with((), move |_| {
            desk.start();
            move || desk.stop()
        });
    }
    let on_handover = {
        let desk = Rc::clone(&desk);
        Callback::from(move |_: MouseEvent| desk.hand_over())
    };
    let on_freeze = {
        let desk = Rc::clone(&desk);
        Callback::from(move |_: MouseEvent| desk.freeze_for(FREEZE_MS))
    };
    let on_transport = {
        let desk = Rc::clone(&desk);
        Callback::from(move |e: web_sys::Event| {
            let value = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            if let Some(transport) = StockTransport::parse(&value) {
                desk.switch(transport);
            }
        })
    };
    let on_open_window = {
        let desk = Rc::clone(&desk);
        Callback::from(move |_: MouseEvent| desk.open_window())
    };
    let on_fallback = Callback::from(|e: web_sys::Event| {
        reload_electing_by_messages(e.target_unchecked_into::<web_sys::HtmlInputElement>().checked())
    });
    let on_seed = {
        let desk = Rc::clone(&desk);
        Callback::from(move |_: MouseEvent| desk.post_like_the_seed())
    };
    let on_malformed = {
        let desk = Rc::clone(&desk);
        Callback::from(move |_: MouseEvent| desk.send_malformed())
    };
    let on_raw = {
        let desk = Rc::clone(&desk);
        Callback::from(move |raw: String| desk.send_raw(&raw, "a raw message"))
    };

    let state = route.state();
    let age = state.age_ms.map(|ms| format!("{:.1} s", ms / 1000.0)).unwrap_or_else(|| "–".into());
    let leader = state.leader.clone().unwrap_or_else(|| i18n.t(Text::StockNoLeader).to_owned());
    let detail = i18n.said(&said!(TickerDetail, state.term, leader, state.election));
    html! {
        <RouteFrame lesson="stock-sync">
            <StatusPanel subject={i18n.t(Text::SubjectTicker).to_owned()} state={state.role.as_attr()} detail={detail}>
                <span class="metric big" data-testid="role" data-state={state.role.as_attr()}><code>{state.role.as_attr()}</code></span>
                <span class="metric" title={i18n.t(Text::StockSeqTitle).to_owned()}>{"#"}<span data-testid="seq">{state.seq}</span></span>
                <span class="metric" title={i18n.t(Text::StockTickAgeTitle).to_owned()}>{i18n.phrase(Text::StockTickAge, &[Hole::new("", html! { <span data-testid="tick-age">{age}</span> })])}</span>
                <span class="metric" title={i18n.t(Text::StockMissedTitle).to_owned()}>
                    {i18n.phrase(Text::StockMissed, &[Hole::new(state.missed, html! { <span data-testid="missed">{state.missed}</span> })])}
                </span>
                <OpenTab />
            </StatusPanel>
            <div class="panel store-form">
                <label>{i18n.t(Text::StockTransportLabel)}
                    <select data-testid="transport-select" onchange={on_transport}>
                        {for StockTransport::ALL.iter().map(|m| html! {
                            <option value={m.as_str()} selected={*m == state.transport}>{i18n.t(transport_label(*m))}</option>
                        })}
                    </select>
                </label>
                <code class="hint" data-testid="transport">{state.transport.as_str()}</code>
                <button data-testid="handover" onclick={on_handover} disabled={state.role != Role::Leader}>{i18n.t(Text::StockHandOver)}</button>
                <button data-testid="freeze" onclick={on_freeze} title={i18n.t(Text::StockFreezeTitle).to_owned()}>{i18n.t(Text::StockFreeze)}</button>
                if state.transport == StockTransport::Window {
                    <button data-testid="open-window" onclick={on_open_window}>{i18n.t(Text::StockOpenWindow)}</button>
                    <span class="hint">{i18n.t(Text::StockWindowHint)}</span>
                }
            </div>
            if let Some(error) = &state.error {
                <p class="error" data-testid="error" role="alert">{error.clone()}</p>
            }
            <div class="panel quotes">
                {for state.quotes.iter().map(|quote| html! {
                    <div class="quote">
                        <span class="symbol">{quote.symbol.clone()}</span>
                        <span class="price" data-testid="price" data-symbol={quote.symbol.clone()}>{price(quote.cents)}</span>
                        <svg class="sparkline" viewBox="0 0 120 30" width="120" height="30" role="img"
                             aria-label={fill(i18n.t(Text::StockSparklineLabel), std::slice::from_ref(&quote.symbol))}>
                            <polyline points={state.sparkline(&quote.symbol, 120.0, 30.0)} />
                        </svg>
                    </div>
                })}
            </div>
            <LogAndDiagram log={route.log_view()} on_clear={route.clear_log()} diagram={DIAGRAM}>
                <details class="panel faults" open=true>
                    <summary>{i18n.t(Text::CommonFaultInjection)}</summary>
                    <button data-testid="send-malformed" onclick={on_malformed}>{i18n.t(Text::StockSendMalformed)}</button>
                    <button data-testid="seed-post" onclick={on_seed}>{i18n.t(Text::StockSeedPost)}</button>
                    <RawComposer on_send={on_raw} />
                    <label class="toggle">
                        <input type="checkbox" data-testid="force-fallback" checked={messages_forced()} onchange={on_fallback} />
                        {i18n.t(Text::StockForceElection)}
                    </label>
                </details>
                <details class="panel explain">
                    <summary>{i18n.t(Text::StockExplainTitle)}</summary>
                    <p>{i18n.t(Text::StockExplainSeed)}</p>
                    <p>{i18n.t(Text::StockExplainElection)}</p>
                </details>
            </LogAndDiagram>
        </RouteFrame>
    }
}

/// A transport's description in the chosen language.
fn transport_label(transport: StockTransport) -> Text {
    match transport {
        StockTransport::Broadcast => Text::StockTransportBroadcast,
        StockTransport::Storage => Text::StockTransportStorage,
        StockTransport::SharedWorker => Text::StockTransportSharedWorker,
        StockTransport::WebSocket => Text::StockTransportWebsocket,
        StockTransport::Window => Text::StockTransportWindow,
    }
}
