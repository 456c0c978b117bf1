//! `/worker-port`: the page transfers a MessageChannel port into a dedicated wasm worker and they
//! talk over it. Transport: `transport::worker_port`; worker: `workers/echo_worker.rs`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::clock::now_ms;
use crate::components::message_log::MessageLog;
use crate::components::sequence_diagram::{SequenceDiagram, Step};
use crate::components::status::StatusPanel;
use crate::log::{Entry, LogBook, Status};
use crate::protocol::preview;
use crate::protocol::worker_port::WorkerPortMsg;
use crate::transport::worker_port::{Channel, PortState, WorkerPort, WorkerPortEvent, ECHO_WORKER_URL};

/// Faults a QA person (or a test) can inject from the page.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Fault {
    None,
    /// Start the worker from a file that does not exist.
    MissingWorker,
}

impl Fault {
    const ALL: [Fault; 2] = [Fault::None, Fault::MissingWorker];

    fn value(self) -> &'static str {
        match self {
            Fault::None => "none",
            Fault::MissingWorker => "missing-worker",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Fault::None => "No fault",
            Fault::MissingWorker => "Worker file missing",
        }
    }

    fn worker_url(self) -> &'static str {
        match self {
            Fault::None => ECHO_WORKER_URL,
            Fault::MissingWorker => "/missing_worker_loader.js",
        }
    }
}

/// The handshake steps of the diagram, in order.
const STEPS: [(usize, usize, &str); 6] = [
    (0, 1, "new Worker(loader)"),
    (1, 0, "ready"),
    (0, 1, "connect + [port2]"),
    (1, 0, "greeting (port)"),
    (0, 1, "text (port)"),
    (1, 0, "echo (port)"),
];

/// How many sent messages wait for their echo before the oldest is forgotten.
const PENDING_LIMIT: usize = 256;

#[derive(Clone, PartialEq)]
pub struct PageState {
    pub state: PortState,
    pub log: Rc<LogBook>,
    /// Steps of [`STEPS`] seen since the worker was (re)started.
    pub progress: usize,
    /// Send times of our messages, by sequence number, until their echo comes back.
    pending: BTreeMap<u64, f64>,
    pub last_round_trip_ms: Option<f64>,
}

impl Default for PageState {
    fn default() -> Self {
        PageState {
            state: PortState::Loading,
            log: Rc::new(LogBook::default()),
            progress: 0,
            pending: BTreeMap::new(),
            last_round_trip_ms: None,
        }
    }
}

pub enum Action {
    /// The transport reported something, at this time.
    Transport(WorkerPortEvent, f64),
    /// The page itself has something to say (a refused send, a restart).
    Note(Entry),
    Restarting(f64),
    ClearLog,
}

impl Reducible for PageState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Transport(event, at_ms) => next.apply(event, at_ms),
            Action::Note(entry) => Rc::make_mut(&mut next.log).push(entry),
            Action::Restarting(at_ms) => {
                next.progress = 0;
                next.pending.clear();
                Rc::make_mut(&mut next.log).push(Entry::system(
                    "restart",
                    "restarting the worker with a fresh port",
                    at_ms,
                ));
            }
            Action::ClearLog => Rc::make_mut(&mut next.log).clear(),
        }
        Rc::new(next)
    }
}

impl PageState {
    /// Folds one transport event into the state and the log.
    pub fn apply(&mut self, event: WorkerPortEvent, at_ms: f64) {
        let entry = match event {
            WorkerPortEvent::State(state) => {
                let text = match &state {
                    PortState::Loading => {
                        "loading: starting the worker, waiting for it to say ready".to_owned()
                    }
                    PortState::Ready => "ready: the worker greeted over the port".to_owned(),
                    PortState::Terminated => {
                        "terminated: the worker is stopped and the port closed".to_owned()
                    }
                    PortState::Failed(reason) => format!("error: {reason}"),
                };
                if state == PortState::Loading {
                    self.progress = self.progress.max(1);
                }
                self.state = state;
                Entry::system("state", text, at_ms)
            }
            WorkerPortEvent::Sent { channel, envelope } => {
                let step = match (&envelope.body, channel) {
                    (WorkerPortMsg::Connect, _) => 3,
                    (WorkerPortMsg::Text { .. }, _) => 5,
                    _ => 0,
                };
                self.progress = self.progress.max(step);
                if let WorkerPortMsg::Text { .. } = envelope.body {
                    self.pending.insert(envelope.seq, at_ms);
                    while self.pending.len() > PENDING_LIMIT {
                        self.pending.pop_first();
                    }
                }
                Entry::sent(&envelope, describe(&envelope.body, channel), at_ms)
            }
            WorkerPortEvent::SentRaw { text } => Entry::sent_raw(&text, at_ms),
            WorkerPortEvent::Received { channel, envelope } => {
                let step = match &envelope.body {
                    WorkerPortMsg::Ready => 2,
                    WorkerPortMsg::Greeting { .. } => 4,
                    WorkerPortMsg::Echo { .. } => 6,
                    _ => 0,
                };
                self.progress = self.progress.max(step);
                let mut payload = describe(&envelope.body, channel);
                if let WorkerPortMsg::Echo { reply_to, .. } = &envelope.body {
                    if let Some(sent_at) = self.pending.remove(reply_to) {
                        let round_trip = (at_ms - sent_at).max(0.0);
                        self.last_round_trip_ms = Some(round_trip);
                        payload.push_str(&format!(" · round trip {round_trip:.1} ms"));
                    }
                }
                let status = match &envelope.body {
                    WorkerPortMsg::Rejected { reason, .. } => {
                        Status::Rejected(format!("the worker refused it: {reason}"))
                    }
                    _ => Status::Ok,
                };
                Entry::received(&envelope, payload, at_ms).with_status(status)
            }
            WorkerPortEvent::Rejected { channel, raw, error } => {
                let mut entry = Entry::refused(&raw, error.to_string(), at_ms);
                entry.payload = format!("{} ({})", entry.payload, channel_name(channel));
                entry
            }
        };
        Rc::make_mut(&mut self.log).push(entry);
    }
}

fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Worker => "on the worker",
        Channel::Port => "over the port",
    }
}

/// What the log shows for a message body.
fn describe(body: &WorkerPortMsg, channel: Channel) -> String {
    match body {
        WorkerPortMsg::Ready => "the worker is listening".into(),
        WorkerPortMsg::Connect => "here is port2 (transferred, no longer usable here)".into(),
        WorkerPortMsg::Greeting { text } | WorkerPortMsg::Text { text } => text.clone(),
        WorkerPortMsg::Echo { text, reply_to, .. } => format!("{text} ↩ echo of #{reply_to}"),
        WorkerPortMsg::Rejected { preview, .. } if preview.is_empty() => {
            format!("(refused {})", channel_name(channel))
        }
        WorkerPortMsg::Rejected { preview, .. } => preview.clone(),
    }
}

#[component]
pub fn WorkerPortPage() -> Html {
    let page = use_reducer(PageState::default);
    let port: Rc<RefCell<Option<WorkerPort>>> = use_mut_ref(|| None);
    let generation = use_state(|| 0u32);
    let fault = use_state(|| Fault::None);
    let input = use_node_ref();

    {
        let port = port.clone();
        let dispatcher = page.dispatcher();
        use_effect_with((*generation, *fault), move |&(_, fault)| {
            let events = dispatcher.clone();
            let spawned = WorkerPort::spawn(fault.worker_url(), move |event| {
                events.dispatch(Action::Transport(event, now_ms()));
            });
            match spawned {
                Ok(spawned) => *port.borrow_mut() = Some(spawned),
                Err(reason) => dispatcher.dispatch(Action::Transport(
                    WorkerPortEvent::State(PortState::Failed(format!(
                        "could not create the worker: {reason}"
                    ))),
                    now_ms(),
                )),
            }
            move || {
                // Dropping terminates the worker and removes every listener.
                port.borrow_mut().take();
            }
        });
    }

    let send = {
        let port = port.clone();
        let input = input.clone();
        let dispatcher = page.dispatcher();
        Callback::from(move |_: ()| {
            let Some(field) = input.cast::<HtmlInputElement>() else { return };
            let text = field.value();
            let result = match port.borrow().as_ref() {
                Some(port) => port.send(&text).map_err(|e| e.to_string()),
                None => Err("no worker is running".to_owned()),
            };
            match result {
                Ok(()) => field.set_value(""),
                Err(reason) => dispatcher.dispatch(Action::Note(
                    Entry::system("send", format!("not sent: {}", preview(&text, 120)), now_ms())
                        .rejected(reason),
                )),
            }
        })
    };
    let on_send_click = {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| send.emit(()))
    };
    let on_keydown = {
        let send = send.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" {
                send.emit(());
            }
        })
    };
    let on_send_malformed = {
        let port = port.clone();
        let dispatcher = page.dispatcher();
        Callback::from(move |_: MouseEvent| {
            let result = match port.borrow().as_ref() {
                Some(port) => port.send_raw("this is not an envelope").map_err(|e| e.to_string()),
                None => Err("no worker is running".to_owned()),
            };
            if let Err(reason) = result {
                dispatcher.dispatch(Action::Note(
                    Entry::system("send", "not sent: malformed message", now_ms()).rejected(reason),
                ));
            }
        })
    };
    let on_terminate = {
        let port = port.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(port) = port.borrow().as_ref() {
                port.terminate();
            }
        })
    };
    let on_restart = {
        let generation = generation.clone();
        let dispatcher = page.dispatcher();
        Callback::from(move |_: MouseEvent| {
            dispatcher.dispatch(Action::Restarting(now_ms()));
            generation.set(*generation + 1);
        })
    };
    let on_fault = {
        let fault = fault.clone();
        let dispatcher = page.dispatcher();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            let chosen = Fault::ALL.into_iter().find(|f| f.value() == value).unwrap_or(Fault::None);
            dispatcher.dispatch(Action::Restarting(now_ms()));
            fault.set(chosen);
        })
    };
    let on_clear = {
        let dispatcher = page.dispatcher();
        Callback::from(move |()| dispatcher.dispatch(Action::ClearLog))
    };

    let state = &page.state;
    let detail = match state {
        PortState::Loading => "starting the worker and handing it a port…".to_owned(),
        PortState::Ready => "the worker answers over the port".to_owned(),
        PortState::Terminated => "the worker is stopped; restart it to talk again".to_owned(),
        PortState::Failed(reason) => reason.clone(),
    };
    let steps: Vec<Step> = STEPS
        .iter()
        .enumerate()
        .map(|(i, &(from, to, label))| Step { from, to, label: label.into(), done: i < page.progress })
        .collect();

    html! {
        <>
            <h1>{"Worker port"}</h1>
            <p class="lead">
                {"The page creates a "}<code>{"MessageChannel"}</code>{", keeps "}<code>{"port1"}</code>
                {" and transfers "}<code>{"port2"}</code>{" into a dedicated worker written in Rust. From then on \
                  page and worker talk over the port; the worker echoes everything with its own sequence \
                  number and the time it received it."}
            </p>
            <StatusPanel subject="Worker" state={state.as_attr()} detail={detail.clone()}>
                if let Some(ms) = page.last_round_trip_ms {
                    <span class="metric" data-testid="round-trip">{format!("last round trip {ms:.1} ms")}</span>
                }
                <div class="buttons">
                    <button data-testid="terminate" onclick={on_terminate}
                            disabled={matches!(state, PortState::Terminated | PortState::Failed(_))}>{"Terminate"}</button>
                    <button data-testid="restart" onclick={on_restart}>{"Restart"}</button>
                </div>
            </StatusPanel>
            <div class="panel compose">
                <input data-testid="message-input" ref={input} type="text" placeholder="Message to the worker"
                       aria-label="Message to the worker" onkeydown={on_keydown} />
                <button data-testid="send" class="primary" onclick={on_send_click}>{"Send"}</button>
            </div>
            <div class="columns">
                <MessageLog book={page.log.clone()} on_clear={on_clear} />
                <aside class="side">
                    <SequenceDiagram title="Handshake: page and worker" lanes={vec![AttrValue::from("page"), AttrValue::from("worker")]} steps={steps} />
                    <details class="panel faults" open=true>
                        <summary>{"Fault injection"}</summary>
                        <label>
                            {"Start with "}
                            <select data-testid="fault" onchange={on_fault}>
                                { for Fault::ALL.into_iter().map(|f| html! {
                                    <option value={f.value()} selected={*fault == f}>{f.label()}</option>
                                }) }
                            </select>
                        </label>
                        <button data-testid="send-malformed" onclick={on_send_malformed}>{"Send a malformed message"}</button>
                    </details>
                    <details class="panel explain">
                        <summary>{"Why the page waits for “ready”"}</summary>
                        <p>{"A wasm worker starts asynchronously: its script loads, then the wasm module is fetched and \
                             instantiated, and only then does Rust listen for messages. A port posted right after \
                             new Worker(…) arrives before anyone listens and is lost. So the worker says “ready” \
                             once it listens, and only then does the page create the channel and transfer port2."}</p>
                        <p>{"A transferred port belongs to the worker afterwards: the page can no longer use port2."}</p>
                    </details>
                </aside>
            </div>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::Direction;
    use crate::protocol::{DecodeError, Sender, SenderId};

    fn worker() -> Sender {
        Sender::new(SenderId("worker-1".into()))
    }

    #[test]
    fn an_echo_closes_the_round_trip_of_the_message_it_answers() {
        let mut page = PageState::default();
        let mut tab = Sender::new(SenderId("tab-1".into()));
        let text = tab.envelope(WorkerPortMsg::Text { text: "hi".into() }, 100.0);
        page.apply(WorkerPortEvent::Sent { channel: Channel::Port, envelope: text }, 100.0);
        let echo = worker()
            .envelope(WorkerPortMsg::Echo { text: "hi".into(), reply_to: 1, received_at: 101.0 }, 101.0);
        page.apply(WorkerPortEvent::Received { channel: Channel::Port, envelope: echo }, 102.5);
        assert_eq!(page.last_round_trip_ms, Some(2.5));
        let last = &page.log.entries().last().unwrap().entry;
        assert_eq!(last.dir, Direction::In);
        assert!(last.payload.contains("echo of #1"), "{}", last.payload);
        assert_eq!(page.progress, 6);
    }

    #[test]
    fn refusals_from_either_side_are_logged_as_rejected_with_the_reason() {
        let mut page = PageState::default();
        page.apply(
            WorkerPortEvent::Rejected {
                channel: Channel::Port,
                raw: "<b>x</b>".into(),
                error: DecodeError::NotJson("bad".into()),
            },
            1.0,
        );
        let refused = worker()
            .envelope(WorkerPortMsg::Rejected { reason: "not JSON: x".into(), preview: "junk".into() }, 2.0);
        page.apply(WorkerPortEvent::Received { channel: Channel::Port, envelope: refused }, 2.0);
        let entries: Vec<&Entry> = page.log.entries().map(|l| &l.entry).collect();
        assert_eq!(entries[0].status, Status::Rejected("not JSON: bad".into()));
        assert!(entries[0].payload.starts_with("<b>x</b>"));
        assert!(
            matches!(&entries[1].status, Status::Rejected(r) if r.contains("worker refused it: not JSON"))
        );
    }

    #[test]
    fn state_changes_are_system_lines_and_failures_keep_their_reason() {
        let mut page = PageState::default();
        page.apply(
            WorkerPortEvent::State(PortState::Failed("the worker script could not be loaded".into())),
            1.0,
        );
        assert_eq!(page.state.as_attr(), "error");
        let line = &page.log.entries().last().unwrap().entry;
        assert_eq!(line.dir, Direction::System);
        assert!(line.payload.contains("could not be loaded"));
    }
}
