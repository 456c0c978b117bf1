//! `/shared-worker`: one wasm SharedWorker keeps a key/value store that every tab gets and sets,
//! pushes changes to the other tabs, and counts who is connected. Transport:
//! `transport::shared_worker`; worker: `workers/shared_store.rs`.

use std::cell::RefCell;
use std::rc::Rc;

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::clock::now_ms;
use crate::components::message_log::MessageLog;
use crate::components::open_tab::OpenTab;
use crate::components::sequence_diagram::{SequenceDiagram, Step};
use crate::components::status::StatusPanel;
use crate::log::{Direction, Entry, LogBook, Status};
use crate::protocol::preview;
use crate::protocol::shared_store::{StoreMsg, MAX_VALUE_BYTES};
use crate::transport::shared_worker::{SharedStoreClient, StoreEvent, StoreState, SHARED_STORE_URL};

/// What the last `get` returned.
#[derive(Clone, PartialEq, Debug)]
pub struct Fetched {
    pub key: String,
    pub value: Option<String>,
    pub set_by: Option<String>,
}

#[derive(Clone, PartialEq)]
pub struct PageState {
    pub state: StoreState,
    pub connections: Option<u32>,
    pub fetched: Option<Fetched>,
    /// The last refusal of this tab's own request, shown beside the controls.
    pub error: Option<String>,
    pub log: Rc<LogBook>,
}

impl Default for PageState {
    fn default() -> Self {
        PageState {
            state: StoreState::Connecting,
            connections: None,
            fetched: None,
            error: None,
            log: Rc::new(LogBook::default()),
        }
    }
}

pub enum Action {
    Store(StoreEvent, f64),
    /// A request this tab refused to send, with the reason.
    Refused {
        what: String,
        reason: String,
        at_ms: f64,
    },
    ClearLog,
}

impl Reducible for PageState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Store(event, at_ms) => next.apply(event, at_ms),
            Action::Refused { what, reason, at_ms } => {
                next.error = Some(reason.clone());
                Rc::make_mut(&mut next.log)
                    .push(Entry::system("send", format!("not sent: {what}"), at_ms).rejected(reason));
            }
            Action::ClearLog => Rc::make_mut(&mut next.log).clear(),
        }
        Rc::new(next)
    }
}

/// `key` as people read it: the empty key is the seed's single value.
fn key_label(key: &str) -> String {
    if key.is_empty() {
        "(the single value)".into()
    } else {
        format!("\"{key}\"")
    }
}

fn value_label(value: &Option<String>) -> String {
    match value {
        Some(value) => format!("\"{}\"", preview(value, 80)),
        None => "(not set)".into(),
    }
}

impl PageState {
    pub fn apply(&mut self, event: StoreEvent, at_ms: f64) {
        let entry = match event {
            StoreEvent::State(state) => {
                let text = match &state {
                    StoreState::Connecting => "connecting to the shared worker".to_owned(),
                    StoreState::Connected => "connected: the shared worker welcomed this tab".to_owned(),
                    StoreState::Unsupported => "this browser has no SharedWorker".to_owned(),
                    StoreState::Failed(reason) => format!("error: {reason}"),
                };
                self.state = state;
                Entry::system("state", text, at_ms)
            }
            StoreEvent::Sent(envelope) => {
                let payload = match &envelope.body {
                    StoreMsg::Hello => "hello: this tab joins".to_owned(),
                    StoreMsg::Set { key, value } => {
                        self.error = None;
                        format!("set {} = \"{}\"", key_label(key), preview(value, 120))
                    }
                    StoreMsg::Get { key } => {
                        self.error = None;
                        format!("get {}", key_label(key))
                    }
                    other => crate::protocol::kind_of(other),
                };
                Entry::sent(&envelope, payload, at_ms)
            }
            StoreEvent::SentRaw(text) => Entry::sent_raw(&text, at_ms),
            StoreEvent::Received(envelope) => {
                let mut status = Status::Ok;
                let payload = match &envelope.body {
                    StoreMsg::Welcome { connections, keys } => {
                        self.connections = Some(*connections);
                        format!("welcome: {connections} tab(s) connected, {keys} key(s) stored")
                    }
                    StoreMsg::Roster { connections } => {
                        self.connections = Some(*connections);
                        format!("{connections} tab(s) connected")
                    }
                    StoreMsg::Ack { reply_to, key, old } => {
                        format!("stored {} (was {}) ↩ #{reply_to}", key_label(key), value_label(old))
                    }
                    StoreMsg::Value { reply_to, key, value, set_by } => {
                        self.fetched = Some(Fetched {
                            key: key.clone(),
                            value: value.clone(),
                            set_by: set_by.as_ref().map(|s| s.0.clone()),
                        });
                        match set_by {
                            Some(by) => format!(
                                "{} = {} (set by {by}) ↩ #{reply_to}",
                                key_label(key),
                                value_label(value)
                            ),
                            None => format!("{} is not set: nobody has set it ↩ #{reply_to}", key_label(key)),
                        }
                    }
                    StoreMsg::Changed { key, old, new, set_by } => format!(
                        "{set_by} set {}: {} → \"{}\"",
                        key_label(key),
                        value_label(old),
                        preview(new, 120)
                    ),
                    StoreMsg::Rejected { reason, preview } => {
                        self.error = Some(format!("the shared worker refused it: {reason}"));
                        status = Status::Rejected(format!("the shared worker refused it: {reason}"));
                        preview.clone()
                    }
                    other => crate::protocol::kind_of(other),
                };
                Entry::received(&envelope, payload, at_ms).with_status(status)
            }
            StoreEvent::Rejected { raw, error } => Entry::refused(&raw, error.to_string(), at_ms),
        };
        Rc::make_mut(&mut self.log).push(entry);
    }
}

type ClientSlot = Rc<RefCell<Option<SharedStoreClient>>>;

/// Sends one request through the client; a refusal is shown, not swallowed.
fn request(
    client: &ClientSlot,
    dispatcher: &UseReducerDispatcher<PageState>,
    what: String,
    send: impl FnOnce(&SharedStoreClient) -> Result<(), String>,
) {
    let result = match client.borrow().as_ref() {
        Some(client) => send(client),
        None => Err("not connected".into()),
    };
    if let Err(reason) = result {
        dispatcher.dispatch(Action::Refused { what, reason, at_ms: now_ms() });
    }
}

#[component]
pub fn SharedWorkerPage() -> Html {
    let page = use_reducer(PageState::default);
    let client: ClientSlot = use_mut_ref(|| None);
    let slow_start = use_state(|| false);
    let key_input = use_node_ref();
    let value_input = use_node_ref();

    {
        let client = client.clone();
        let dispatcher = page.dispatcher();
        use_effect_with(*slow_start, move |&slow| {
            // A different URL is a different shared worker: the slow one is its own instance.
            let url =
                if slow { format!("{SHARED_STORE_URL}?slow-start") } else { SHARED_STORE_URL.to_owned() };
            *client.borrow_mut() = Some(SharedStoreClient::connect(&url, move |event| {
                dispatcher.dispatch(Action::Store(event, now_ms()));
            }));
            move || {
                // Dropping says goodbye, so the other tabs' count drops at once.
                client.borrow_mut().take();
            }
        });
    }

    let input_value = |node: &NodeRef| node.cast::<HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
    let on_set = {
        let (client, dispatcher) = (client.clone(), page.dispatcher());
        let (key_input, value_input) = (key_input.clone(), value_input.clone());
        Callback::from(move |_: MouseEvent| {
            let (key, value) = (input_value(&key_input), input_value(&value_input));
            let what = format!("set {} ({} bytes)", key_label(&key), value.len());
            request(&client, &dispatcher, what, |c| c.set(&key, &value));
        })
    };
    let on_get = {
        let (client, dispatcher, key_input) = (client.clone(), page.dispatcher(), key_input.clone());
        Callback::from(move |_: MouseEvent| {
            let key = input_value(&key_input);
            request(&client, &dispatcher, format!("get {}", key_label(&key)), |c| c.get(&key));
        })
    };
    let on_malformed = {
        let (client, dispatcher) = (client.clone(), page.dispatcher());
        Callback::from(move |_: MouseEvent| {
            request(&client, &dispatcher, "a malformed message".into(), |c| {
                c.send_raw("{\"v\":1,\"kind\":\"set\"")
            });
        })
    };
    let on_fault = {
        let slow_start = slow_start.clone();
        Callback::from(move |e: Event| {
            slow_start.set(e.target_unchecked_into::<web_sys::HtmlSelectElement>().value() == "slow-start");
        })
    };
    let on_clear = {
        let dispatcher = page.dispatcher();
        Callback::from(move |()| dispatcher.dispatch(Action::ClearLog))
    };

    let state = &page.state;
    let detail = match state {
        StoreState::Connecting => "connecting to the shared worker…".to_owned(),
        StoreState::Connected => "one store for every tab of this origin".to_owned(),
        StoreState::Unsupported => "this browser has no SharedWorker".to_owned(),
        StoreState::Failed(reason) => reason.clone(),
    };
    let progress = page.log.entries().fold([false; 6], |mut seen, l| {
        let e = &l.entry;
        match (e.dir, e.kind.as_str()) {
            (Direction::Out, "hello") => seen[0] = true,
            (Direction::In, "welcome") => seen[1] = true,
            (Direction::Out, "set") => seen[2] = true,
            (Direction::In, "ack") => seen[3] = true,
            (Direction::In, "changed") => seen[4] = true,
            (Direction::In, "value") => seen[5] = true,
            _ => {}
        }
        seen
    });
    let steps: Vec<Step> = [
        (0, 1, "hello"),
        (1, 0, "welcome · roster"),
        (0, 1, "set {key, value}"),
        (1, 0, "ack"),
        (1, 0, "changed (from another tab)"),
        (1, 0, "value (answer to get)"),
    ]
    .into_iter()
    .zip(progress)
    .map(|((from, to, label), done)| Step { from, to, label: label.into(), done })
    .collect();

    let output = match &page.fetched {
        None => html! {
            <output class="value-output empty" data-testid="value-output" data-found="none">{"Nothing fetched yet: press Get."}</output>
        },
        Some(Fetched { key, value: Some(value), set_by }) => html! {
            <output class="value-output" data-testid="value-output" data-found="true"
                    title={format!("{} set by {}", key_label(key), set_by.clone().unwrap_or_default())}>{value.clone()}</output>
        },
        Some(Fetched { key, value: None, .. }) => html! {
            <output class="value-output missing" data-testid="value-output" data-found="false">
                {format!("(not set) nobody has set {}", key_label(key))}
            </output>
        },
    };

    html! {
        <>
            <h1>{"SharedWorker"}</h1>
            <p class="lead">
                {"One SharedWorker, written in Rust, holds a key/value store for every tab of this origin. Set a \
                  value here, get it in another tab; every other tab is told about each change as it happens. \
                  Open this page in several tabs of the same window to watch."}
            </p>
            <StatusPanel subject="Shared worker" state={state.as_attr()} detail={detail.clone()}>
                <span class="metric big" title="tabs connected to the shared worker now">
                    <span data-testid="connections">{page.connections.map(|c| c.to_string()).unwrap_or_else(|| "–".into())}</span>
                    {" tab(s) connected"}
                </span>
                <OpenTab />
            </StatusPanel>
            if *state == StoreState::Unsupported {
                <div class="panel notice" data-testid="unsupported">
                    <p><strong>{"This browser has no SharedWorker."}</strong>{" (Chrome on Android and some embedded browsers lack it.)"}</p>
                    <p>{"The usual fallbacks: a BroadcastChannel to tell the other tabs about each change, with the \
                        values themselves in localStorage (its storage event is a second way to hear of changes); \
                        or elect one tab as the leader that holds the store and answers the others."}</p>
                </div>
            }
            <div class="panel store-form">
                <label>{"Key "}<input data-testid="key-input" ref={key_input} type="text" placeholder="(empty: the single value)" /></label>
                <label>{"Value "}<input data-testid="value-input" ref={value_input} type="text" placeholder="any text, up to 64 KiB" /></label>
                <button data-testid="set" class="primary" onclick={on_set}>{"Set"}</button>
                <button data-testid="get" onclick={on_get}>{"Get"}</button>
            </div>
            if let Some(error) = &page.error {
                <p class="error" data-testid="error" role="alert">{error.clone()}</p>
            }
            <div class="panel">
                <span class="label">{"Last get: "}</span>{output}
            </div>
            <div class="columns">
                <MessageLog book={page.log.clone()} on_clear={on_clear} />
                <aside class="side">
                    <SequenceDiagram title="This tab and the shared worker"
                        lanes={vec![AttrValue::from("this tab"), AttrValue::from("shared worker")]} steps={steps} />
                    <details class="panel faults" open=true>
                        <summary>{"Fault injection"}</summary>
                        <label>
                            {"Worker "}
                            <select data-testid="fault" onchange={on_fault}>
                                <option value="none" selected={!*slow_start}>{"starts normally"}</option>
                                <option value="slow-start" selected={*slow_start}>{"starts slowly (the first-connect race)"}</option>
                            </select>
                        </label>
                        <button data-testid="send-malformed" onclick={on_malformed}>{"Send a malformed message"}</button>
                        <p class="hint">{format!("Values over {} KiB are refused here and by the worker.", MAX_VALUE_BYTES / 1024)}</p>
                    </details>
                    <details class="panel explain">
                        <summary>{"How the worker knows who is connected"}</summary>
                        <p>{"A SharedWorker is told when a tab connects, never when one goes. So each tab says goodbye \
                             when the page is hidden for good, and the worker pings every tab each second and forgets \
                             those that stop answering (pings and pongs are not logged)."}</p>
                        <p>{"The first tab's connect event fires before the wasm worker has loaded: a tiny loader \
                             queues it and Rust drains the queue as it takes over, so the first tab is never lost."}</p>
                    </details>
                </aside>
            </div>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Sender, SenderId};

    fn from_worker(body: StoreMsg) -> StoreEvent {
        StoreEvent::Received(Sender::new(SenderId("shared-1".into())).envelope(body, 0.0))
    }

    #[test]
    fn roster_and_welcome_update_the_count() {
        let mut page = PageState::default();
        page.apply(from_worker(StoreMsg::Welcome { connections: 2, keys: 0 }), 1.0);
        assert_eq!(page.connections, Some(2));
        page.apply(from_worker(StoreMsg::Roster { connections: 3 }), 2.0);
        assert_eq!(page.connections, Some(3));
    }

    #[test]
    fn a_missing_value_is_not_an_empty_string() {
        let mut page = PageState::default();
        page.apply(
            from_worker(StoreMsg::Value { reply_to: 1, key: "k".into(), value: None, set_by: None }),
            1.0,
        );
        assert_eq!(page.fetched, Some(Fetched { key: "k".into(), value: None, set_by: None }));
        let line = &page.log.entries().last().unwrap().entry;
        assert!(line.payload.contains("nobody has set it"), "{}", line.payload);
    }

    #[test]
    fn pushes_say_who_changed_what_from_what() {
        let mut page = PageState::default();
        let body = StoreMsg::Changed {
            key: "k".into(),
            old: Some("a".into()),
            new: "b".into(),
            set_by: SenderId("tab-2".into()),
        };
        page.apply(from_worker(body), 1.0);
        let line = &page.log.entries().last().unwrap().entry;
        assert_eq!(line.payload, "tab-2 set \"k\": \"a\" → \"b\"");
        assert_eq!(line.dir, Direction::In);
    }

    #[test]
    fn refusals_show_as_an_error_and_a_rejected_entry() {
        let mut page = PageState::default();
        page.apply(from_worker(StoreMsg::Rejected { reason: "too big".into(), preview: "{…".into() }), 1.0);
        assert_eq!(page.error.as_deref(), Some("the shared worker refused it: too big"));
        assert_eq!(page.log.entries().last().unwrap().entry.status.as_attr(), "rejected");
    }
}
