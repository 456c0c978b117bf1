//! `/webrtc`: a data channel between this tab and another, introduced over BroadcastChannel or
//! through a room of the relay. State: `state/webrtc.rs`; transport: `transport/webrtc.rs`.

use yew::prelude::*;

use crosstalk_protocol::webrtc::{DEFAULT_ROOM, HIGH_WATER_BYTES};

use crate::components::compose::Compose;
use crate::components::fault_picker::FaultPicker;
use crate::components::log_and_diagram::LogAndDiagram;
use crate::components::route_frame::RouteFrame;
use crate::components::status::StatusPanel;
use crate::fault::Fault;
use crate::hooks::{use_route, Slot};
use crate::i18n::{use_i18n, Text};
use crate::page_query;
use crate::state::webrtc::{state_attr, state_detail, Action, WebRtcState, DIAGRAM};
use crate::transport::webrtc::{Delivery, Signalling, WebRtcLink};

const NO_DESK: &str = "signalling has not started";

fn counts(map: &std::collections::BTreeMap<String, u32>) -> String {
    if map.is_empty() {
        return "—".into();
    }
    map.iter().map(|(kind, n)| format!("{kind} ×{n}")).collect::<Vec<_>>().join(", ")
}

#[component]
pub fn WebRtcPage() -> Html {
    let i18n = use_i18n();
    let route = use_route::<WebRtcState>();
    let desk: Slot<WebRtcLink> = use_mut_ref(|| None);
    let signalling = use_state(|| {
        page_query::param("signalling")
            .as_deref()
            .and_then(Signalling::parse)
            .unwrap_or(Signalling::Broadcast)
    });
    let delivery = use_mut_ref(Delivery::default);
    let fault_now = use_mut_ref(|| Fault::None);

    {
        let (desk, route, delivery, fault_now) =
            (desk.clone(), route.clone(), delivery.clone(), fault_now.clone());
        use_effect_with(*signalling, move |&signalling| {
            let room = page_query::param("room").unwrap_or_else(|| DEFAULT_ROOM.to_owned());
            // Where the browser has no WebRTC the route says so at once (the panel above names the
            // API and the cause), rather than fail as if something had gone wrong.
            let missing = crate::transport::missing::missing(&crosstalk_protocol::catalog::WEBRTC.needs);
            let opened = match missing {
                Some(_) => Err(None),
                None => WebRtcLink::open(
                    signalling,
                    &room,
                    route.events(Action::Signal),
                    route.events(Action::Data),
                )
                .map_err(Some),
            };
            match opened {
                Ok(opened) => {
                    opened.set_delivery(*delivery.borrow());
                    opened.set_fault(*fault_now.borrow());
                    route.dispatch(Action::Opened { me: opened.me() });
                    *desk.borrow_mut() = Some(opened);
                }
                Err(Some(reason)) => route.dispatch(Action::Failed(reason)),
                Err(None) => route.dispatch(Action::Unsupported),
            }
            // Dropping hangs up and stops signalling.
            move || drop(desk.borrow_mut().take())
        });
    }

    let on_signalling = {
        let signalling = signalling.clone();
        Callback::from(move |e: web_sys::Event| {
            let word = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            if let Some(chosen) = Signalling::parse(&word) {
                page_query::replace_params(&[("signalling", Some(chosen.as_str()))]);
                signalling.set(chosen);
            }
        })
    };
    let on_ordered = {
        let (desk, delivery) = (desk.clone(), delivery.clone());
        Callback::from(move |e: web_sys::Event| {
            let ordered = e.target_unchecked_into::<web_sys::HtmlInputElement>().checked();
            delivery.borrow_mut().ordered = ordered;
            if let Some(desk) = desk.borrow().as_ref() {
                desk.set_delivery(*delivery.borrow());
            }
        })
    };
    let on_retransmits = {
        let (desk, delivery) = (desk.clone(), delivery.clone());
        Callback::from(move |e: web_sys::Event| {
            let word = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            delivery.borrow_mut().max_retransmits = word.parse::<u16>().ok();
            if let Some(desk) = desk.borrow().as_ref() {
                desk.set_delivery(*delivery.borrow());
            }
        })
    };
    let on_fault = {
        let (desk, fault_now) = (desk.clone(), fault_now.clone());
        Callback::from(move |chosen: Fault| {
            *fault_now.borrow_mut() = chosen;
            if let Some(desk) = desk.borrow().as_ref() {
                desk.set_fault(chosen);
            }
        })
    };
    let act = |what: &'static str, act: fn(&WebRtcLink) -> Result<(), crosstalk_protocol::Reason>| {
        let (desk, route) = (desk.clone(), route.clone());
        Callback::from(move |_: MouseEvent| {
            route.through(&desk, NO_DESK, what, act);
        })
    };
    let on_connect = act("an offer", WebRtcLink::connect);
    let on_hang_up = act("a hang-up", WebRtcLink::hang_up);
    let on_flood = act("a flood", WebRtcLink::flood);
    let on_oversized = act("a message over the limit", WebRtcLink::send_oversized);
    let on_forge = act("a forged offer", WebRtcLink::forge_offer);
    let on_send = {
        let (desk, route) = (desk.clone(), route.clone());
        Callback::from(move |text: String| route.through(&desk, NO_DESK, &text, |d| d.send(&text)))
    };

    let state = route.state();
    let connected = state.connection == "connected";
    let delivery_now = *delivery.borrow();
    let buffered_percent = (f64::from(state.buffered) * 100.0 / f64::from(HIGH_WATER_BYTES)).min(100.0);
    html! {
        <RouteFrame lesson="webrtc">
            <StatusPanel subject={i18n.t(Text::SubjectWebrtc).to_owned()} state={state_attr(&state.signalling)} detail={i18n.said(&state_detail(&state))}>
                <label>
                    {i18n.t(Text::WebrtcSignallingLabel)}
                    <select data-testid="signalling" data-state={signalling.as_str()} onchange={on_signalling}>
                        <option value="broadcast" selected={*signalling == Signalling::Broadcast}>{i18n.t(Text::WebrtcSignallingBroadcast)}</option>
                        <option value="relay" selected={*signalling == Signalling::Relay}>{i18n.t(Text::WebrtcSignallingRelay)}</option>
                    </select>
                </label>
                <span class="metric" data-testid="peer-state" data-state={state.connection.clone()}>
                    {"connectionState: "}<code>{state.connection.clone()}</code>
                </span>
                <div class="buttons">
                    <button data-testid="connect" onclick={on_connect} disabled={state.session.is_some()}>{i18n.t(Text::WebrtcConnect)}</button>
                    <button data-testid="hang-up" onclick={on_hang_up} disabled={state.session.is_none()}>{i18n.t(Text::WebrtcHangUp)}</button>
                </div>
            </StatusPanel>
            <section class="panel rtc">
                <h2>{i18n.t(Text::WebrtcPeersTitle)}</h2>
                <ul class="peers" data-testid="peers" data-count={state.peers.len().to_string()}>
                    { for state.peers.iter().map(|peer| {
                        let current = state.session.as_ref().is_some_and(|s| s.peer == *peer);
                        let on_click = {
                            let (desk, route, to) = (desk.clone(), route.clone(), peer.clone());
                            Callback::from(move |_: MouseEvent| {
                                let to = to.clone();
                                route.through(&desk, NO_DESK, "an offer", move |d| d.connect_to(to));
                            })
                        };
                        html! {
                            <li data-testid="peer" data-peer={peer.0.clone()} class={classes!(current.then_some("current"))}>
                                <span>{peer.0.clone()}</span>
                                <button data-testid="connect-peer" data-peer={peer.0.clone()} onclick={on_click}
                                        disabled={state.session.is_some()}>{i18n.t(Text::WebrtcConnect)}</button>
                            </li>
                        }
                    }) }
                </ul>
                <div class="rtc-options">
                    <label class="toggle">
                        <input type="checkbox" data-testid="ordered" checked={delivery_now.ordered} onchange={on_ordered} />
                        {i18n.t(Text::WebrtcOrdered)}
                    </label>
                    <label>
                        {i18n.t(Text::WebrtcMaxRetransmits)}
                        <select data-testid="max-retransmits" onchange={on_retransmits}>
                            <option value="" selected={delivery_now.max_retransmits.is_none()}>{i18n.t(Text::WebrtcReliable)}</option>
                            <option value="0" selected={delivery_now.max_retransmits == Some(0)}>{"0"}</option>
                        </select>
                    </label>
                    <span class="hint">{i18n.t(Text::WebrtcOptionsHint)}</span>
                </div>
                <dl class="rtc-facts">
                    <dt>{i18n.t(Text::WebrtcCandidatesHere)}</dt>
                    <dd data-testid="local-candidates">{counts(&state.local_candidates)}</dd>
                    <dt>{i18n.t(Text::WebrtcCandidatesThere)}</dt>
                    <dd data-testid="remote-candidates">{counts(&state.remote_candidates)}</dd>
                    <dt>{i18n.t(Text::WebrtcMdns)}</dt>
                    <dd data-testid="mdns-candidates">{state.mdns_candidates}</dd>
                    <dt>{i18n.t(Text::WebrtcChannel)}</dt>
                    <dd data-testid="channel">{match state.channel {
                        Some(c) => format!(
                            "ordered {}, maxRetransmits {}, maxMessageSize {}",
                            c.ordered,
                            c.max_retransmits.map_or("— (reliable)".to_owned(), |n| n.to_string()),
                            c.max_message_size.map_or("?".to_owned(), |m| format!("{m:.0}"))
                        ),
                        None => "—".to_owned(),
                    }}</dd>
                    <dt>{i18n.t(Text::WebrtcArrivals)}</dt>
                    <dd data-testid="arrivals" data-arrived={state.arrivals.arrived.to_string()}
                        data-out-of-order={state.arrivals.out_of_order.to_string()} data-missing={state.arrivals.missing.to_string()}>
                        {i18n.t(Text::WebrtcArrivalsCount)
                            .replace("{0}", &state.arrivals.arrived.to_string())
                            .replace("{1}", &state.arrivals.out_of_order.to_string())
                            .replace("{2}", &state.arrivals.missing.to_string())}
                    </dd>
                </dl>
                <div class="buffered-row">
                    <button data-testid="flood" onclick={on_flood} disabled={!connected}>{i18n.t(Text::WebrtcFlood)}</button>
                    <span class="metric" data-testid="buffered" data-bytes={state.buffered.to_string()} data-pauses={state.pauses.to_string()}>
                        {format!("bufferedAmount {} B", state.buffered)}
                    </span>
                    <progress max="100" value={format!("{buffered_percent:.0}")} aria-label={i18n.t(Text::WebrtcBufferedLabel).to_owned()}></progress>
                    if let Some((sent, pauses)) = state.last_flood {
                        <span class="metric" data-testid="flood-result">{format!("{sent} sent, {pauses} pauses")}</span>
                    }
                </div>
            </section>
            <Compose placeholder={i18n.t(Text::WebrtcPlaceholder).to_owned()} on_send={on_send} />
            <LogAndDiagram log={route.log_view()} on_clear={route.clear_log()} diagram={DIAGRAM}>
                <details class="panel faults" open=true>
                    <summary>{i18n.t(Text::CommonFaultInjection)}</summary>
                    <FaultPicker value={*fault_now.borrow()} on_change={on_fault} />
                    <button data-testid="send-oversized" onclick={on_oversized}>{i18n.t(Text::WebrtcOversized)}</button>
                    <button data-testid="forge-offer" onclick={on_forge}>{i18n.t(Text::WebrtcForge)}</button>
                    <p class="hint">{i18n.t(Text::WebrtcForgeHint)}</p>
                </details>
                <details class="panel explain">
                    <summary>{i18n.t(Text::WebrtcExplainTitle)}</summary>
                    <p>{i18n.t(Text::WebrtcExplainSignalling)}</p>
                    <p>{i18n.t(Text::WebrtcExplainDeploy)}</p>
                </details>
            </LogAndDiagram>
        </RouteFrame>
    }
}
