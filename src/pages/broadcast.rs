//! `/broadcast`: every other tab on the same channel name hears each message; the sender does not.
//! Transport: `transport::broadcast`.

use std::cell::RefCell;
use std::rc::Rc;

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::clock::{now_ms, random};
use crate::components::message_log::MessageLog;
use crate::components::open_tab::OpenTab;
use crate::components::sequence_diagram::{SequenceDiagram, Step};
use crate::components::status::StatusPanel;
use crate::log::{Direction, Entry, LogBook, Status};
use crate::protocol::broadcast::BroadcastMsg;
use crate::protocol::{Sender, SenderId};
use crate::transport::broadcast::{BroadcastEvent, BroadcastMember};

pub const DEFAULT_CHANNEL: &str = "myChannel";

#[derive(Clone, PartialEq)]
pub struct PageState {
    pub peers: usize,
    pub log: Rc<LogBook>,
    /// Whether this tab has been told, on this channel, that its own messages do not come back.
    told_no_echo: bool,
    pub failed: Option<String>,
}

impl Default for PageState {
    fn default() -> Self {
        PageState { peers: 0, log: Rc::new(LogBook::default()), told_no_echo: false, failed: None }
    }
}

pub enum Action {
    Channel(BroadcastEvent, f64),
    Joined { name: String, at_ms: f64 },
    Left { name: String, at_ms: f64 },
    Failed { reason: String, at_ms: f64 },
    Refused { reason: String, at_ms: f64 },
    ClearLog,
}

impl Reducible for PageState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        let PageState { peers, log, told_no_echo, failed } = &mut next;
        let log = Rc::make_mut(log);
        match action {
            Action::Channel(event, at_ms) => {
                next_entries(peers, told_no_echo, event, at_ms).into_iter().for_each(|e| log.push(e));
            }
            Action::Joined { name, at_ms } => {
                *peers = 0;
                *told_no_echo = false;
                *failed = None;
                log.push(Entry::system("join", format!("joined channel {}", channel_label(&name)), at_ms));
            }
            Action::Left { name, at_ms } => {
                log.push(Entry::system(
                    "leave",
                    format!("left channel {} (said goodbye)", channel_label(&name)),
                    at_ms,
                ));
            }
            Action::Failed { reason, at_ms } => {
                log.push(Entry::system("error", format!("cannot join: {reason}"), at_ms));
                *failed = Some(reason);
            }
            Action::Refused { reason, at_ms } => {
                log.push(Entry::system("send", "not sent", at_ms).rejected(reason));
            }
            Action::ClearLog => log.clear(),
        }
        Rc::new(next)
    }
}

fn channel_label(name: &str) -> String {
    format!("\"{name}\"")
}

/// The log lines one channel event makes, updating the peer count and the no-echo notice.
pub fn next_entries(
    peers: &mut usize,
    told_no_echo: &mut bool,
    event: BroadcastEvent,
    at_ms: f64,
) -> Vec<Entry> {
    let mut entries = Vec::new();
    match event {
        BroadcastEvent::Sent(envelope) => {
            let text = match &envelope.body {
                BroadcastMsg::Text { text } => text.clone(),
                BroadcastMsg::Hello => "hello: this tab joins".into(),
                other => crate::protocol::kind_of(other),
            };
            let is_text = matches!(envelope.body, BroadcastMsg::Text { .. });
            entries.push(Entry::sent(&envelope, text, at_ms));
            if is_text && !*told_no_echo {
                *told_no_echo = true;
                entries.push(Entry::system(
                    "no-echo",
                    format!(
                        "delivered to the {} other tab(s) on this channel, never back to this one: \
                         BroadcastChannel does not deliver to the sender",
                        peers
                    ),
                    at_ms,
                ));
            }
        }
        BroadcastEvent::SentRaw(text) => entries.push(Entry::sent_raw(&text, at_ms)),
        BroadcastEvent::Received { envelope, order } => {
            let payload = match &envelope.body {
                BroadcastMsg::Text { text } => text.clone(),
                BroadcastMsg::Hello => "hello: joined the channel".into(),
                BroadcastMsg::Here => "here: already on the channel".into(),
                BroadcastMsg::Goodbye => "goodbye: left the channel".into(),
                other => crate::protocol::kind_of(other),
            };
            let status = match order.problem() {
                Some(problem) => Status::Rejected(problem),
                None => Status::Ok,
            };
            entries.push(Entry::received(&envelope, payload, at_ms).with_status(status));
        }
        BroadcastEvent::Rejected { raw, error } => {
            entries.push(Entry::refused(&raw, error.to_string(), at_ms))
        }
        BroadcastEvent::SendFailed(reason) => {
            entries.push(Entry::system("send", "not sent", at_ms).rejected(reason))
        }
        BroadcastEvent::Peers { count, left } => {
            *peers = count;
            if !left.is_empty() {
                let names: Vec<String> = left.iter().map(|p| p.0.clone()).collect();
                entries.push(Entry::system(
                    "expired",
                    format!("{} stopped answering and left the roster", names.join(", ")),
                    at_ms,
                ));
            }
        }
    }
    entries
}

#[component]
pub fn BroadcastPage() -> Html {
    let page = use_reducer(PageState::default);
    let channel = use_state(|| DEFAULT_CHANNEL.to_owned());
    // One sender for the life of the page: numbering continues across channels.
    let sender = use_mut_ref(|| Sender::new(SenderId::new("tab", random)));
    let sender: Rc<RefCell<Sender>> = sender;
    let member: Rc<RefCell<Option<BroadcastMember>>> = use_mut_ref(|| None);
    let message_input = use_node_ref();

    {
        let (member, sender, dispatcher) = (member.clone(), sender.clone(), page.dispatcher());
        use_effect_with((*channel).clone(), move |name: &String| {
            let events = dispatcher.clone();
            let joined = BroadcastMember::join(name, sender, move |event| {
                events.dispatch(Action::Channel(event, now_ms()));
            });
            match joined {
                Ok(joined) => {
                    dispatcher.dispatch(Action::Joined { name: name.clone(), at_ms: now_ms() });
                    *member.borrow_mut() = Some(joined);
                }
                Err(reason) => dispatcher.dispatch(Action::Failed { reason, at_ms: now_ms() }),
            }
            let name = name.clone();
            move || {
                if member.borrow_mut().take().is_some() {
                    dispatcher.dispatch(Action::Left { name, at_ms: now_ms() });
                }
            }
        });
    }

    let send = {
        let (member, dispatcher, input) = (member.clone(), page.dispatcher(), message_input.clone());
        Callback::from(move |_: ()| {
            let Some(field) = input.cast::<HtmlInputElement>() else { return };
            let result = match member.borrow().as_ref() {
                Some(member) => member.send_text(&field.value()),
                None => Err("not on a channel".to_owned()),
            };
            match result {
                Ok(()) => field.set_value(""),
                Err(reason) => dispatcher.dispatch(Action::Refused { reason, at_ms: now_ms() }),
            }
        })
    };
    let on_send = {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| send.emit(()))
    };
    let on_keydown = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" {
            send.emit(());
        }
    });
    let on_channel = {
        let channel = channel.clone();
        Callback::from(move |e: Event| {
            let name = e.target_unchecked_into::<HtmlInputElement>().value();
            if name != *channel {
                channel.set(name);
            }
        })
    };
    let on_malformed = {
        let (member, dispatcher) = (member.clone(), page.dispatcher());
        Callback::from(move |_: MouseEvent| {
            let result = match member.borrow().as_ref() {
                Some(member) => member.send_raw("{\"kind\":\"text\",\"body\":{\"text\":\"no envelope\"}}"),
                None => Err("not on a channel".to_owned()),
            };
            if let Err(reason) = result {
                dispatcher.dispatch(Action::Refused { reason, at_ms: now_ms() });
            }
        })
    };
    let on_clear = {
        let dispatcher = page.dispatcher();
        Callback::from(move |()| dispatcher.dispatch(Action::ClearLog))
    };

    let (state, detail) = match &page.failed {
        Some(reason) => ("error", reason.clone()),
        None => ("joined", format!("on channel {}", channel_label(&channel))),
    };
    let seen =
        |dir: Direction, kind: &str| page.log.entries().any(|l| l.entry.dir == dir && l.entry.kind == kind);
    let steps = vec![
        Step { from: 0, to: 1, label: "hello".into(), done: seen(Direction::Out, "hello") },
        Step { from: 1, to: 0, label: "here (each other tab)".into(), done: seen(Direction::In, "here") },
        Step { from: 0, to: 1, label: "text → every other tab".into(), done: seen(Direction::Out, "text") },
        Step { from: 1, to: 0, label: "text from another tab".into(), done: seen(Direction::In, "text") },
        Step { from: 1, to: 0, label: "goodbye (a tab leaves)".into(), done: seen(Direction::In, "goodbye") },
    ];

    html! {
        <>
            <h1>{"BroadcastChannel"}</h1>
            <p class="lead">
                {"Tabs of one origin that open a BroadcastChannel with the same name hear every message posted on \
                  it — except the tab that posted it. No server, no worker: the browser delivers. Open this page \
                  in several tabs of the same window and send."}
            </p>
            <StatusPanel subject="Channel" state={state} detail={detail.clone()}>
                <span class="metric big" title="other tabs on this channel now">
                    <span data-testid="peers">{page.peers}</span>{" other tab(s) on the channel"}
                </span>
                <OpenTab />
            </StatusPanel>
            <div class="panel store-form">
                <label>{"Channel "}
                    <input data-testid="channel-input" type="text" value={(*channel).clone()} onchange={on_channel}
                           aria-label="Channel name" />
                </label>
                <span class="hint">{"Change it and press Enter: this tab leaves the old channel and joins the new one."}</span>
            </div>
            <div class="panel compose">
                <input data-testid="message-input" ref={message_input} type="text" placeholder="Message to every other tab"
                       aria-label="Message" onkeydown={on_keydown} />
                <button data-testid="send" class="primary" onclick={on_send}>{"Send"}</button>
            </div>
            <div class="columns">
                <MessageLog book={page.log.clone()} on_clear={on_clear} />
                <aside class="side">
                    <SequenceDiagram title="This tab and the others on the channel"
                        lanes={vec![AttrValue::from("this tab"), AttrValue::from("other tabs")]} steps={steps} />
                    <details class="panel faults" open=true>
                        <summary>{"Fault injection"}</summary>
                        <button data-testid="send-malformed" onclick={on_malformed}>{"Post a message that is not an envelope"}</button>
                        <p class="hint">{"Any script of this origin can post anything on a channel; the other tabs reject it, visibly."}</p>
                    </details>
                    <details class="panel explain">
                        <summary>{"Roster and ordering"}</summary>
                        <p>{"Each tab says hello when it joins (the others answer here), pings every second (pings and \
                             pongs are not logged), and says goodbye when the page is hidden for good. A tab that stops \
                             answering for a few seconds leaves the roster."}</p>
                        <p>{"Every message carries its sender's sequence number; a gap or a repeat is flagged in the log."}</p>
                    </details>
                </aside>
            </div>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::broadcast::Order;

    fn envelope(body: BroadcastMsg, seq: u64) -> crate::protocol::Envelope<BroadcastMsg> {
        let mut sender = Sender::new(SenderId("tab-other".into()));
        let mut e = sender.envelope(body, 0.0);
        e.seq = seq;
        e
    }

    #[test]
    fn the_first_text_sent_explains_that_it_does_not_come_back() {
        let (mut peers, mut told) = (2, false);
        let sent = envelope(BroadcastMsg::Text { text: "hi".into() }, 1);
        let lines = next_entries(&mut peers, &mut told, BroadcastEvent::Sent(sent.clone()), 0.0);
        assert_eq!(lines.len(), 2);
        assert!(
            lines[1].payload.contains("2 other tab(s)")
                && lines[1].payload.contains("does not deliver to the sender")
        );
        let again = next_entries(&mut peers, &mut told, BroadcastEvent::Sent(sent), 0.0);
        assert_eq!(again.len(), 1, "said once per channel");
    }

    #[test]
    fn ordering_problems_are_flagged_on_the_entry() {
        let (mut peers, mut told) = (0, false);
        let event = BroadcastEvent::Received {
            envelope: envelope(BroadcastMsg::Text { text: "x".into() }, 9),
            order: Order::Gap { expected: 7, got: 9 },
        };
        let lines = next_entries(&mut peers, &mut told, event, 0.0);
        assert_eq!(lines[0].status, Status::Rejected("gap: expected #7, got #9 (2 missing)".into()));
    }

    #[test]
    fn expiry_updates_the_count_and_names_who_left() {
        let (mut peers, mut told) = (2, false);
        let event = BroadcastEvent::Peers { count: 1, left: vec![SenderId("tab-gone".into())] };
        let lines = next_entries(&mut peers, &mut told, event, 0.0);
        assert_eq!(peers, 1);
        assert!(lines[0].payload.starts_with("tab-gone stopped answering"));
    }
}
