//! The Worker port route's state: the worker's state, round trips, and what the log says of each
//! event. Page: `pages/worker_port.rs`; transport: `transport/worker_port.rs`.

use std::collections::BTreeMap;

use crosstalk_protocol::worker_port::WorkerPortMsg;
use crosstalk_protocol::Reason;

use super::told::{Own, OwnOf};
use super::RouteState;
use crate::diagram::{Diagram, Step};
use crate::i18n::Said;
use crate::i18n::Text;
use crate::learn::GuideStep;
use crate::log::{shown, Direction, Entry, LogBook, LogText, Status};
use crate::said;
use crate::transport::worker_port::{WorkerPortEvent, VIA_WORKER};
use crate::transport::LinkState;

pub const DIAGRAM: Diagram = Diagram {
    title: "Handshake: page and worker",
    lanes: &["page", "worker"],
    steps: &[
        Step::new(0, 1, "new Worker(loader)", &[(Direction::System, "state")]),
        Step::new(1, 0, "ready", &[(Direction::In, "ready")]),
        Step::new(0, 1, "connect + [port2]", &[(Direction::Out, "connect")]),
        Step::new(1, 0, "greeting (port)", &[(Direction::In, "greeting")]),
        Step::new(0, 1, "text (port)", &[(Direction::Out, "text")]),
        Step::new(1, 0, "echo (port)", &[(Direction::In, "echo")]),
    ],
};

/// How many sent messages wait for their echo before the oldest is forgotten.
const PENDING_LIMIT: usize = 256;

#[derive(Debug, Clone, PartialEq)]
pub struct WorkerPortState {
    pub link: LinkState,
    /// Send times of our messages, by sequence number, until their echo comes back.
    pending: BTreeMap<u64, f64>,
    pub last_round_trip_ms: Option<f64>,
    /// Workers that greeted after a restart (the walkthrough's "crash it and restart it").
    pub restarted: u32,
    restarting: bool,
}

impl Default for WorkerPortState {
    fn default() -> Self {
        WorkerPortState {
            link: LinkState::Connecting,
            pending: BTreeMap::new(),
            last_round_trip_ms: None,
            restarted: 0,
            restarting: false,
        }
    }
}

pub enum Action {
    Transport(OwnOf<WorkerPortEvent>),
    Restarting,
}

/// The route's `data-state` words.
pub fn state_attr(link: &LinkState) -> &'static str {
    match link {
        LinkState::Connecting => "loading",
        LinkState::Ready => "ready",
        LinkState::Closed => "terminated",
        LinkState::Failed(_) | LinkState::Unsupported => "error",
    }
}

pub fn state_detail(link: &LinkState) -> Said {
    match link {
        LinkState::Connecting => said!(WorkerStarting),
        LinkState::Ready => said!(WorkerAnswers),
        LinkState::Closed => said!(WorkerStopped),
        LinkState::Failed(reason) => said!(Plain, reason),
        LinkState::Unsupported => said!(CannotStartWorker),
    }
}

fn channel_name(via: &str) -> &'static str {
    if via == VIA_WORKER {
        "on the worker"
    } else {
        "over the port"
    }
}

/// The sentence the log shows for a body that says something of its own.
fn said_of(body: &WorkerPortMsg) -> Option<Said> {
    match body {
        WorkerPortMsg::Ready => Some(said!(WorkerListening)),
        WorkerPortMsg::Connect => Some(said!(HereIsPort2)),
        _ => None,
    }
}

/// What the log shows for a message body.
fn describe(body: &WorkerPortMsg, via: &str) -> LogText {
    if let Some(said) = said_of(body) {
        return said.english().into();
    }
    match body {
        WorkerPortMsg::Ready | WorkerPortMsg::Connect => LogText::default(),
        WorkerPortMsg::Greeting { text } | WorkerPortMsg::Text { text } => shown(text),
        WorkerPortMsg::Echo { text, reply_to, .. } => {
            let mut echo = shown(text);
            echo.push_str(&format!(" ↩ echo of #{reply_to}"));
            echo
        }
        WorkerPortMsg::Rejected { preview, .. } if preview.is_empty() => {
            format!("(refused {})", channel_name(via)).into()
        }
        WorkerPortMsg::Rejected { preview, .. } => preview.as_str().into(),
    }
}

/// The walkthrough's chapter: the worker starts, echoes, and comes back after a restart.
pub const CHAPTER: &[GuideStep] = &[
    GuideStep::new("ready", Text::LearnWorkerPortReady, Text::LearnWorkerPortReadySee, "status"),
    GuideStep::new("echo", Text::LearnWorkerPortEcho, Text::LearnWorkerPortEchoSee, "round-trip"),
    GuideStep::new("restart", Text::LearnWorkerPortRestart, Text::LearnWorkerPortRestartSee, "restart"),
];

impl RouteState for WorkerPortState {
    type Action = Action;

    fn chapter() -> (&'static str, &'static [GuideStep]) {
        ("worker-port", CHAPTER)
    }

    fn reached(&self, step: &str) -> bool {
        match step {
            "ready" => self.link == LinkState::Ready,
            "echo" => self.last_round_trip_ms.is_some(),
            "restart" => self.restarted > 0,
            _ => false,
        }
    }

    /// This route has two channels: a rejection names the one it came on.
    fn told(&mut self, common: super::told::Common, entry: &mut Entry) {
        if let super::told::Common::Rejected { via } = common {
            entry.payload.push_str(&format!(" ({})", channel_name(via)));
        }
    }

    fn apply(&mut self, action: Action, at_ms: f64, log: &mut LogBook) {
        let entry = match action {
            Action::Transport(event) => match self.on_event(event, at_ms) {
                Some(entry) => entry,
                None => return,
            },
            Action::Restarting => {
                self.restarting = true;
                self.pending.clear();
                log.reset_progress();
                Entry::said("restart", said!(RestartingWorker), at_ms)
            }
        };
        log.push(entry);
    }
}

impl WorkerPortState {
    fn on_event(&mut self, own: OwnOf<WorkerPortEvent>, at_ms: f64) -> Option<Entry> {
        Some(match own {
            Own::State(link) => {
                let said = match &link {
                    LinkState::Connecting => said!(WorkerLoading),
                    LinkState::Ready => said!(WorkerReady),
                    LinkState::Closed => said!(WorkerTerminated),
                    LinkState::Failed(reason) => said!(StateError, reason),
                    LinkState::Unsupported => said!(NoWorkersHere),
                };
                if link == LinkState::Ready && std::mem::take(&mut self.restarting) {
                    self.restarted += 1;
                }
                self.link = link;
                Entry::said("state", said, at_ms)
            }
            Own::Sent { envelope, via } => {
                if let WorkerPortMsg::Text { .. } = envelope.body {
                    self.pending.insert(envelope.seq, at_ms);
                    while self.pending.len() > PENDING_LIMIT {
                        self.pending.pop_first();
                    }
                }
                let entry = Entry::sent(&envelope, describe(&envelope.body, via), at_ms);
                match said_of(&envelope.body) {
                    Some(said) => entry.saying(said),
                    None => entry,
                }
            }
            Own::Received { envelope, via, .. } => {
                let mut payload = describe(&envelope.body, via);
                if let WorkerPortMsg::Echo { reply_to, .. } = &envelope.body {
                    if let Some(sent_at) = self.pending.remove(reply_to) {
                        let round_trip = (at_ms - sent_at).max(0.0);
                        self.last_round_trip_ms = Some(round_trip);
                        payload.push_str(&format!(" · round trip {round_trip:.1} ms"));
                    }
                }
                let status = match &envelope.body {
                    WorkerPortMsg::Rejected { code, reason, .. } => {
                        Status::Rejected(Reason::new(*code, format!("the worker refused it: {reason}")))
                    }
                    _ => Status::Ok,
                };
                let entry = Entry::received(&envelope, payload, at_ms).with_status(status);
                match said_of(&envelope.body) {
                    Some(said) => entry.saying(said),
                    None => entry,
                }
            }
            Own::Other(()) => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagram::progress;
    use crate::transport::worker_port::VIA_WORKER;
    use crate::transport::Event;
    use crosstalk_protocol::order::Order;
    use crosstalk_protocol::{DecodeError, ReasonCode, Sender, SenderId};

    /// As the route's hook does it: the events every route tells alike first, then the rest.
    fn apply(state: &mut WorkerPortState, log: &mut LogBook, event: WorkerPortEvent, at: f64) {
        crate::state::fold(state, crate::state::told::tell(event, Action::Transport, at), at, log);
    }

    #[test]
    fn the_walkthrough_steps_tick_on_ready_an_echo_and_a_worker_back_after_a_restart() {
        let (mut state, mut log) = (WorkerPortState::default(), LogBook::default());
        apply(&mut state, &mut log, Event::State(LinkState::Ready), 0.0);
        assert!(state.reached("ready") && !state.reached("echo") && !state.reached("restart"));
        apply(&mut state, &mut log, Event::State(LinkState::Closed), 1.0);
        apply(&mut state, &mut log, Event::State(LinkState::Ready), 2.0);
        assert!(!state.reached("restart"), "ready again without a restart is not one");
        state.apply(Action::Restarting, 3.0, &mut log);
        apply(&mut state, &mut log, Event::State(LinkState::Connecting), 4.0);
        assert!(!state.reached("restart"), "not until the fresh worker greets");
        apply(&mut state, &mut log, Event::State(LinkState::Ready), 5.0);
        assert!(state.reached("restart"));
    }

    #[test]
    fn the_echo_of_a_sent_text_gives_the_round_trip() {
        let (mut state, mut log) = (WorkerPortState::default(), LogBook::default());
        let mut page = Sender::new(SenderId("tab-1".into()));
        let sent = page.envelope(WorkerPortMsg::Text { text: "hi".into() }, 0.0);
        apply(&mut state, &mut log, Event::Sent { envelope: sent, via: "port" }, 10.0);
        let echo = Sender::new(SenderId("worker-1".into()))
            .envelope(WorkerPortMsg::Echo { text: "hi".into(), reply_to: 1, received_at: 11.0 }, 11.0);
        apply(
            &mut state,
            &mut log,
            Event::Received { envelope: echo, via: "port", order: Order::InOrder },
            12.5,
        );
        assert_eq!(state.last_round_trip_ms, Some(2.5));
        let line = &log.entries().last().unwrap().entry;
        assert_eq!(line.payload, "hi ↩ echo of #1 · round trip 2.5 ms");
        assert_eq!(progress(&DIAGRAM, &log), [false, false, false, false, true, true]);
    }

    #[test]
    fn refusals_carry_their_code_and_say_where_they_happened() {
        let (mut state, mut log) = (WorkerPortState::default(), LogBook::default());
        let error = DecodeError::NotJson("eof".into());
        apply(&mut state, &mut log, Event::Rejected { raw: "x".into(), error, via: VIA_WORKER }, 0.0);
        let line = &log.entries().last().unwrap().entry;
        assert_eq!(line.status.code(), Some("bad-json"));
        assert!(line.payload.text().ends_with("(on the worker)"), "{}", line.payload);
        let refused = Sender::new(SenderId("worker-1".into())).envelope(
            WorkerPortMsg::Rejected {
                code: ReasonCode::BadJson,
                reason: "not JSON".into(),
                preview: String::new(),
            },
            0.0,
        );
        apply(
            &mut state,
            &mut log,
            Event::Received { envelope: refused, via: "port", order: Order::InOrder },
            0.0,
        );
        let line = &log.entries().last().unwrap().entry;
        assert_eq!(
            (line.status.code(), line.payload.text().as_str()),
            (Some("bad-json"), "(refused over the port)")
        );
    }

    #[test]
    fn states_read_as_the_published_words_and_a_restart_starts_the_diagram_afresh() {
        let (mut state, mut log) = (WorkerPortState::default(), LogBook::default());
        apply(&mut state, &mut log, Event::State(LinkState::Closed), 0.0);
        assert_eq!(state_attr(&state.link), "terminated");
        assert!(progress(&DIAGRAM, &log)[0]);
        state.apply(Action::Restarting, 1.0, &mut log);
        assert_eq!(progress(&DIAGRAM, &log), [false; 6]);
        assert_eq!(state_attr(&LinkState::Failed("x".into())), "error");
    }
}
