//! `/broadcast`: every other tab on the same channel name hears each message; the sender does not.
//! State: `state/broadcast.rs`; transport: `transport/broadcast.rs`.

use std::cell::RefCell;
use std::rc::Rc;

use crate::said;
use crosstalk_protocol::roster::{peer_timeout_from_query, Roster};
use crosstalk_protocol::{Sender, SenderId};
use yew::prelude::*;

use crate::i18n::{use_i18n, Hole, Text};

use crate::clock::random;
use crate::components::compose::Compose;
use crate::components::fault_picker::FaultPicker;
use crate::components::log_and_diagram::LogAndDiagram;
use crate::components::name_field::NameField;
use crate::components::open_tab::OpenTab;
use crate::components::raw_composer::RawComposer;
use crate::components::route_frame::RouteFrame;
use crate::components::status::StatusPanel;
use crate::hooks::{use_route, Slot};
use crate::state::broadcast::{Action, BroadcastState, DEFAULT_CHANNEL, DIAGRAM};
use crate::transport::broadcast::BroadcastLink;
use crate::transport::core::Fault;

type MemberSlot = Slot<BroadcastLink>;

/// What a refusal says when the page is on no channel.
const NOT_ON_CHANNEL: &str = "not on a channel";

#[component]
pub fn BroadcastPage() -> Html {
    let i18n = use_i18n();
    let route = use_route::<BroadcastState>();
    let channel = use_state(|| DEFAULT_CHANNEL.to_owned());
    // One sender for the life of the page: numbering continues across channels.
    let sender: Rc<RefCell<Sender>> = use_mut_ref(|| Sender::new(SenderId::new("tab", random)));
    let member: MemberSlot = use_mut_ref(|| None);
    // Shown by the picker, and given to every member this page joins with.
    let fault_now = use_mut_ref(|| Fault::None);

    {
        let (member, route, fault_now) = (member.clone(), route.clone(), fault_now.clone());
        use_effect_with((*channel).clone(), move |name: &String| {
            let search = crate::page_query::search();
            let roster = peer_timeout_from_query(&search).map_or_else(Roster::default, Roster::with_timeout);
            match BroadcastLink::join_with(name, sender, roster, route.events(Action::Channel)) {
                Ok(joined) => {
                    joined.set_fault(*fault_now.borrow());
                    route.dispatch(Action::Joined { name: name.clone() });
                    *member.borrow_mut() = Some(joined);
                }
                Err(reason) => route.dispatch(Action::Failed { reason }),
            }
            let name = name.clone();
            move || {
                let left = member.borrow_mut().take();
                if left.is_some_and(|m| !m.vanished()) {
                    route.dispatch(Action::Left { name });
                }
            }
        });
    }

    let on_send = route.send_with(&member, NOT_ON_CHANNEL, "send", |m, text: &String| m.send_text(text));
    let on_channel = {
        let channel = channel.clone();
        Callback::from(move |name: String| {
            if name != *channel {
                channel.set(name);
            }
        })
    };
    let on_fault = {
        let (member, fault_now) = (member.clone(), fault_now.clone());
        Callback::from(move |chosen: Fault| {
            *fault_now.borrow_mut() = chosen;
            if let Some(m) = member.borrow().as_ref() {
                m.set_fault(chosen);
            }
        })
    };
    let on_raw =
        route.press_with(&member, NOT_ON_CHANNEL, "a raw message", |m, raw: &String| m.send_raw(raw));
    let on_vanish = {
        let (member, route, channel) = (member.clone(), route.clone(), channel.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(m) = member.borrow().as_ref() {
                m.vanish();
                route.dispatch(Action::Vanished { name: (*channel).clone() });
            }
        })
    };
    let on_malformed = {
        let (member, route) = (member.clone(), route.clone());
        Callback::from(move |_: MouseEvent| {
            let raw = "{\"kind\":\"text\",\"body\":{\"text\":\"no envelope\"}}";
            route.through(&member, NOT_ON_CHANNEL, "a malformed message", |m| m.send_raw(raw));
        })
    };

    let state = route.state();
    let (status, detail) = match &state.failed {
        Some(reason) => ("error", reason.clone()),
        None if state.vanished => ("vanished", i18n.said(&said!(GoneWithoutGoodbye))),
        None => ("joined", i18n.said(&said!(OnChannel, *channel))),
    };
    html! {
        <RouteFrame lesson="broadcast">
            <StatusPanel subject={i18n.t(Text::SubjectChannel).to_owned()} state={status} detail={detail}>
                <span class="metric big" title={i18n.t(Text::BroadcastPeersTitle).to_owned()}>
                    {i18n.phrase(Text::BroadcastPeers, &[Hole::new(state.peers, html! { <span data-testid="peers">{state.peers}</span> })])}
                </span>
                <span class="metric" title={i18n.t(Text::BroadcastReceivedTitle).to_owned()}>
                    {i18n.phrase(Text::BroadcastCounts, &[
                        Hole::new(state.received, html! { <span data-testid="received">{state.received}</span> }),
                        Hole::new(state.out_of_order, html! { <span data-testid="out-of-order">{state.out_of_order}</span> }),
                    ])}
                </span>
                <OpenTab />
            </StatusPanel>
            <div class="panel store-form">
                <label>{i18n.t(Text::BroadcastChannelLabel)}
                    <NameField testid="channel-input" label={i18n.t(Text::BroadcastChannelName).to_owned()} value={(*channel).clone()} on_commit={on_channel} />
                </label>
                <span class="hint">{i18n.t(Text::BroadcastChannelHint)}</span>
            </div>
            <Compose placeholder={i18n.t(Text::PlaceholderEveryOtherTab).to_owned()} on_send={on_send} />
            <LogAndDiagram log={route.log_view()} on_clear={route.clear_log()} diagram={DIAGRAM}>
                <details class="panel faults" open=true>
                    <summary>{i18n.t(Text::CommonFaultInjection)}</summary>
                    <button data-testid="send-malformed" onclick={on_malformed}>{i18n.t(Text::BroadcastSendRaw)}</button>
                    <p class="hint">{i18n.t(Text::BroadcastSendRawHint)}</p>
                    <button data-testid="vanish" onclick={on_vanish}>{i18n.t(Text::BroadcastVanish)}</button>
                    <p class="hint">{i18n.t(Text::BroadcastVanishHint)}</p>
                    <RawComposer on_send={on_raw} />
                    <FaultPicker value={*fault_now.borrow()} on_change={on_fault} />
                    <p class="hint">{i18n.t(Text::BroadcastFaultHint)}</p>
                </details>
                <details class="panel explain">
                    <summary>{i18n.t(Text::BroadcastExplainTitle)}</summary>
                    <p>{i18n.t(Text::BroadcastExplainRoster)}</p>
                    <p>{i18n.t(Text::BroadcastExplainOrdering)}</p>
                </details>
            </LogAndDiagram>
        </RouteFrame>
    }
}
