//! `/websocket`: tabs — or browsers, or machines — talk through the crosstalk relay, the one
//! mechanism that leaves the browser. State: `state/websocket.rs`; transport:
//! `transport/websocket.rs`; the relay: `server/src/relay/`.

use std::cell::RefCell;
use std::rc::Rc;

use crate::i18n::Said;
use crate::said;
use crosstalk_protocol::relay::DEFAULT_ROOM;
use crosstalk_protocol::{Reason, ReasonCode, Sender, SenderId};
use yew::prelude::*;

use crate::i18n::{fill, use_i18n, Hole, Text};

use crate::clock::random;
use crate::components::compose::Compose;
use crate::components::log_and_diagram::LogAndDiagram;
use crate::components::name_field::NameField;
use crate::components::open_tab::OpenTab;
use crate::components::raw_composer::RawComposer;
use crate::components::route_frame::RouteFrame;
use crate::components::status::StatusPanel;
use crate::hooks::{use_route, Slot};
use crate::state::websocket::{Action, Phase, WebSocketState, DIAGRAM};
use crate::transport::websocket::{relay_url, RelayLink};

type LinkSlot = Slot<RelayLink>;

/// What a refusal says when the page has no relay link.
const NO_LINK: &str = "no relay link";

fn phase_detail(phase: &Phase, room: &str) -> Said {
    match phase {
        Phase::Connecting => said!(ConnectingToRelay),
        Phase::Open => said!(InRoom, room),
        Phase::Reconnecting { attempt, delay_ms } => said!(RelayAway, attempt, delay_ms),
        Phase::Closed => said!(ClosedShort),
        Phase::Failed(reason) => said!(Plain, reason),
    }
}

#[component]
pub fn WebSocketPage() -> Html {
    let i18n = use_i18n();
    let route = use_route::<WebSocketState>();
    let link: LinkSlot = use_mut_ref(|| None);

    {
        let (link, route) = (link.clone(), route.clone());
        use_effect_with((), move |_| {
            match relay_url() {
                Some(url) => {
                    // One sender for the page: numbering goes on across reconnects.
                    let sender = Rc::new(RefCell::new(Sender::new(SenderId::new("tab", random))));
                    let opened = RelayLink::open(&url, DEFAULT_ROOM, sender, route.events(Action::Relay));
                    *link.borrow_mut() = Some(opened);
                }
                None => route.refuse(
                    "connect",
                    Reason::new(ReasonCode::NotReady, "this page has no address to reach the relay from"),
                ),
            }
            // Dropping closes the socket for good.
            move || drop(link.borrow_mut().take())
        });
    }

    let on_send = route.send_with(&link, NO_LINK, "send", |l, text: &String| l.send_text(text));
    let on_room = {
        let (link, route) = (link.clone(), route.clone());
        Callback::from(move |room: String| {
            route.dispatch(Action::Joining(room.clone()));
            route.through(&link, NO_LINK, "join", |l| l.join(&room));
        })
    };
    let fault = |what: &'static str, act: fn(&RelayLink) -> Result<(), Reason>| {
        let (link, route) = (link.clone(), route.clone());
        Callback::from(move |_: MouseEvent| {
            route.through(&link, NO_LINK, what, act);
        })
    };

    let on_raw = route.press_with(&link, NO_LINK, "a raw frame", |l, raw: &String| l.send_raw(raw));
    let state = route.state();

    let delay = match state.phase {
        Phase::Reconnecting { delay_ms, .. } => Some(delay_ms.to_string()),
        _ => None,
    };
    let members = state.members.map(|m| m.to_string()).unwrap_or_else(|| "–".into());
    let last_seen = state.last_seen.map(|n| n.to_string()).unwrap_or_else(|| "–".into());
    html! {
        <RouteFrame lesson="websocket">
            <StatusPanel subject={i18n.t(Text::SubjectRelay).to_owned()} state={state.phase.as_attr()} detail={i18n.said(&phase_detail(&state.phase, &state.room))}>
                <span class="metric big" title={i18n.t(Text::WebsocketMembersTitle).to_owned()}>
                    {i18n.phrase(Text::WebsocketMembers, &[Hole::new(members.clone(), html! { <span data-testid="members">{members}</span> })])}
                </span>
                <span class="metric" title={i18n.t(Text::WebsocketQueueTitle).to_owned()}>
                    {i18n.phrase(Text::WebsocketCounts, &[
                        Hole::new(state.queued, html! { <span data-testid="queued">{state.queued}</span> }),
                        Hole::new(state.gaps, html! { <span data-testid="gaps">{state.gaps}</span> }),
                    ])}
                </span>
                <span class="metric" title={i18n.t(Text::WebsocketResumeTitle).to_owned()}>
                    {i18n.phrase(Text::WebsocketLastSeen, &[
                        Hole::new(last_seen.clone(), html! { <span data-testid="last-seen">{last_seen}</span> }),
                        Hole::new(state.replayed, html! { <span data-testid="replayed">{state.replayed}</span> }),
                    ])}
                </span>
                if let Some(delay) = delay {
                    <span class="metric" data-testid="reconnect-delay" title={i18n.t(Text::WebsocketReconnectDelayTitle).to_owned()}>
                        {fill(i18n.t(Text::WebsocketNextAttempt), &[delay.to_string()])}
                    </span>
                }
                <OpenTab />
            </StatusPanel>
            <div class="panel store-form">
                <label>{i18n.t(Text::WebsocketRoomLabel)}
                    <NameField testid="room-input" label={i18n.t(Text::WebsocketRoomName).to_owned()} value={state.room.clone()} on_commit={on_room} />
                </label>
                <span class="hint">{i18n.t(Text::WebsocketRoomHint)}</span>
            </div>
            if let Some(error) = &state.error {
                <p class="error" data-testid="error" role="alert">{error.clone()}</p>
            }
            <Compose placeholder={i18n.t(Text::PlaceholderRoom).to_owned()} on_send={on_send} />
            <LogAndDiagram log={route.log_view()} on_clear={route.clear_log()} diagram={DIAGRAM}>
                <details class="panel faults" open=true>
                    <summary>{i18n.t(Text::CommonFaultInjection)}</summary>
                    <button data-testid="go-offline" onclick={fault("go offline", RelayLink::go_offline)}>{i18n.t(Text::WebsocketGoOffline)}</button>
                    <button data-testid="go-online" onclick={fault("come back", RelayLink::go_online)}>{i18n.t(Text::WebsocketComeBack)}</button>
                    <button data-testid="cut-connection" onclick={fault("cut the connection", RelayLink::cut)}>{i18n.t(Text::WebsocketCut)}</button>
                    <button data-testid="send-malformed" onclick={fault("a malformed frame", |l| l.send_raw("{\"v\":1,\"kind\":\"text\""))}>{i18n.t(Text::WebsocketSendRaw)}</button>
                    <RawComposer on_send={on_raw} />
                    <button data-testid="send-oversized" onclick={fault("an oversized frame", RelayLink::send_oversized)}>{i18n.t(Text::WebsocketSendOversized)}</button>
                </details>
                <details class="panel explain">
                    <summary>{i18n.t(Text::WebsocketExplainTitle)}</summary>
                    <p>{i18n.t(Text::WebsocketExplainAdds)}</p>
                    <p>{i18n.t(Text::WebsocketExplainCosts)}</p>
                    <p>{i18n.t(Text::WebsocketExplainReconnect)}</p>
                </details>
            </LogAndDiagram>
        </RouteFrame>
    }
}
