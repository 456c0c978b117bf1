//! The SharedWorker route's state: the connection count, the last value fetched, and what the
//! log says of each message. Page: `pages/shared_worker.rs`; transport:
//! `transport/shared_worker.rs`; worker: `workers/shared_store.rs`.

use crosstalk_protocol::roster::peer_timeout_from_query;
use crosstalk_protocol::shared_store::StoreMsg;
use crosstalk_protocol::{preview, Body as _, Reason};

use super::told::{Own, OwnOf};
use super::RouteState;
use crate::diagram::{Diagram, Step};
use crate::i18n::Said;
use crate::i18n::Text;
use crate::learn::GuideStep;
use crate::log::{Direction, Entry, LogBook, Status};
use crate::said;
use crate::transport::shared_worker::{StoreEvent, SHARED_STORE_URL};
use crate::transport::LinkState;

pub const DIAGRAM: Diagram = Diagram {
    title: "This tab and the shared worker",
    lanes: &["this tab", "shared worker"],
    steps: &[
        Step::new(0, 1, "hello", &[(Direction::Out, "hello")]),
        Step::new(1, 0, "welcome · roster", &[(Direction::In, "welcome")]),
        Step::new(0, 1, "set {key, value}", &[(Direction::Out, "set")]),
        Step::new(1, 0, "ack", &[(Direction::In, "ack")]),
        Step::new(1, 0, "changed (from another tab)", &[(Direction::In, "changed")]),
        Step::new(1, 0, "value (answer to get)", &[(Direction::In, "value")]),
    ],
};

/// What the last `get` returned.
#[derive(Clone, PartialEq, Debug)]
pub struct Fetched {
    pub key: String,
    pub value: Option<String>,
    pub set_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SharedWorkerState {
    pub link: LinkState,
    pub connections: Option<u32>,
    pub fetched: Option<Fetched>,
    /// The last refusal of this tab's own request, shown beside the controls.
    pub error: Option<String>,
    /// This tab's sender id (from its first message), and changes other tabs made that the
    /// worker pushed here: what the walkthrough's last step watches for.
    me: Option<String>,
    pub changes_from_others: u64,
}

impl Default for SharedWorkerState {
    fn default() -> Self {
        SharedWorkerState {
            link: LinkState::Connecting,
            connections: None,
            fetched: None,
            error: None,
            me: None,
            changes_from_others: 0,
        }
    }
}

pub enum Action {
    Store(OwnOf<StoreEvent>),
}

/// The route's `data-state` words.
pub fn state_attr(link: &LinkState) -> &'static str {
    match link {
        LinkState::Connecting => "connecting",
        LinkState::Ready => "connected",
        LinkState::Unsupported => "unsupported",
        LinkState::Closed | LinkState::Failed(_) => "error",
    }
}

pub fn state_detail(link: &LinkState) -> Said {
    match link {
        LinkState::Connecting => said!(StoreConnecting),
        LinkState::Ready => said!(OneStore),
        LinkState::Unsupported => said!(NoSharedWorker),
        LinkState::Closed => said!(Disconnected),
        LinkState::Failed(reason) => said!(Plain, reason),
    }
}

/// `key` as people read it: the empty key is the seed's single value.
/// The store's loader URL for this page: `?slow-start` (fault injection) and the page's own
/// `?peer-timeout-ms=…` (QA: a long expiry leaves only the goodbye to drop a closed tab) travel
/// in its query. A different URL is a different shared worker, so these never disturb the default.
pub fn store_url(slow: bool, page_search: &str) -> String {
    let mut query = Vec::new();
    if slow {
        query.push("slow-start".to_owned());
    }
    if let Some(ms) = peer_timeout_from_query(page_search) {
        query.push(format!("peer-timeout-ms={ms}"));
    }
    match query.is_empty() {
        true => SHARED_STORE_URL.to_owned(),
        false => format!("{SHARED_STORE_URL}?{}", query.join("&")),
    }
}

pub fn key_label(key: &str) -> String {
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

/// The walkthrough's chapter: one worker for every tab, and changes pushed to the others.
pub const CHAPTER: &[GuideStep] = &[
    GuideStep::new(
        "connected",
        Text::LearnSharedWorkerConnected,
        Text::LearnSharedWorkerConnectedSee,
        "status",
    ),
    GuideStep::new(
        "second-tab",
        Text::LearnSharedWorkerSecondTab,
        Text::LearnSharedWorkerSecondTabSee,
        "connections",
    )
    .in_two_tabs(),
    GuideStep::new("pushed", Text::LearnSharedWorkerPushed, Text::LearnSharedWorkerPushedSee, "log")
        .in_two_tabs(),
];

impl RouteState for SharedWorkerState {
    type Action = Action;

    fn chapter() -> (&'static str, &'static [GuideStep]) {
        ("shared-worker", CHAPTER)
    }

    fn reached(&self, step: &str) -> bool {
        match step {
            "connected" => self.link == LinkState::Ready,
            "second-tab" => self.connections.is_some_and(|n| n >= 2),
            "pushed" => self.changes_from_others > 0,
            _ => false,
        }
    }

    /// The error line under the controls says why the last request did not go.
    fn refused(&mut self, refusal: &super::Refusal) {
        self.error = Some(refusal.reason.text.clone());
    }

    fn apply(&mut self, action: Action, at_ms: f64, log: &mut LogBook) {
        let entry = match action {
            Action::Store(event) => match self.on_event(event, at_ms) {
                Some(entry) => entry,
                None => return,
            },
        };
        log.push(entry);
    }
}

impl SharedWorkerState {
    fn on_event(&mut self, own: OwnOf<StoreEvent>, at_ms: f64) -> Option<Entry> {
        Some(match own {
            Own::State(link) => {
                let said = match &link {
                    LinkState::Connecting => said!(StoreConnecting),
                    LinkState::Ready => said!(StoreConnected),
                    LinkState::Unsupported => said!(NoSharedWorker),
                    LinkState::Closed => said!(Disconnected),
                    LinkState::Failed(reason) => said!(StateError, reason),
                };
                self.link = link;
                Entry::said("state", said, at_ms)
            }
            Own::Sent { envelope, .. } => {
                self.me.get_or_insert_with(|| envelope.from.0.clone());
                let said = match &envelope.body {
                    StoreMsg::Hello => said!(HelloThisTabJoins),
                    StoreMsg::Set { key, value } => {
                        self.error = None;
                        said!(StoreSet, key_label(key), preview(value, 120))
                    }
                    StoreMsg::Get { key } => {
                        self.error = None;
                        said!(StoreGet, key_label(key))
                    }
                    other => said!(Plain, other.kind()),
                };
                Entry::sent(&envelope, "", at_ms).saying(said)
            }
            Own::Received { envelope, .. } => {
                let mut status = Status::Ok;
                let said = match &envelope.body {
                    StoreMsg::Welcome { connections, keys } => {
                        self.connections = Some(*connections);
                        said!(StoreWelcome, connections, keys)
                    }
                    StoreMsg::Roster { connections } => {
                        self.connections = Some(*connections);
                        said!(StoreRoster, connections)
                    }
                    StoreMsg::Ack { reply_to, key, old } => {
                        said!(StoreAck, key_label(key), value_label(old), reply_to)
                    }
                    StoreMsg::Value { reply_to, key, value, set_by } => {
                        self.fetched = Some(Fetched {
                            key: key.clone(),
                            value: value.clone(),
                            set_by: set_by.as_ref().map(|s| s.0.clone()),
                        });
                        match set_by {
                            Some(by) => said!(StoreValue, key_label(key), value_label(value), by, reply_to),
                            None => said!(StoreNotSet, key_label(key), reply_to),
                        }
                    }
                    StoreMsg::Changed { key, old, new, set_by } => {
                        self.changes_from_others += u64::from(self.me.as_ref() != Some(&set_by.0));
                        said!(StoreChanged, set_by, key_label(key), value_label(old), preview(new, 120))
                    }
                    StoreMsg::Rejected { code, reason, preview } => {
                        let said = format!("the shared worker refused it: {reason}");
                        self.error = Some(said.clone());
                        status = Status::Rejected(Reason::new(*code, said));
                        said!(Plain, preview)
                    }
                    other => said!(Plain, other.kind()),
                };
                Entry::received(&envelope, "", at_ms).with_status(status).saying(said)
            }
            Own::Other(()) => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_url_carries_the_fault_and_the_expiry_and_is_plain_otherwise() {
        assert_eq!(store_url(false, ""), "/shared_store_loader.js");
        assert_eq!(store_url(true, "?x=1"), "/shared_store_loader.js?slow-start");
        assert_eq!(
            store_url(true, "?peer-timeout-ms=600000"),
            "/shared_store_loader.js?slow-start&peer-timeout-ms=600000"
        );
        assert_eq!(store_url(false, "?peer-timeout-ms=5"), "/shared_store_loader.js", "out of bounds");
    }
    use crosstalk_protocol::order::Order;
    use crosstalk_protocol::{ReasonCode, Sender, SenderId};

    fn from_worker(state: &mut SharedWorkerState, log: &mut LogBook, body: StoreMsg) {
        let envelope = Sender::new(SenderId("shared-1".into())).envelope(body, 0.0);
        state.apply(Action::Store(Own::Received { envelope, via: "port", order: Order::InOrder }), 1.0, log);
    }

    #[test]
    fn the_walkthrough_steps_tick_on_connect_two_tabs_and_a_change_another_tab_made() {
        let (mut state, mut log) = (SharedWorkerState::default(), LogBook::default());
        state.apply(Action::Store(Own::State(LinkState::Ready)), 0.0, &mut log);
        assert!(state.reached("connected") && !state.reached("second-tab"));
        from_worker(&mut state, &mut log, StoreMsg::Roster { connections: 2 });
        assert!(state.reached("second-tab"));
        let hello = Sender::new(SenderId("tab-me".into())).envelope(StoreMsg::Hello, 0.0);
        state.apply(Action::Store(Own::Sent { envelope: hello, via: "port" }), 0.0, &mut log);
        let change = |by: &str| StoreMsg::Changed {
            key: "k".into(),
            old: None,
            new: "v".into(),
            set_by: SenderId(by.into()),
        };
        from_worker(&mut state, &mut log, change("tab-me"));
        assert!(!state.reached("pushed"), "this tab's own change is not pushed news");
        from_worker(&mut state, &mut log, change("tab-other"));
        assert!(state.reached("pushed"));
    }

    #[test]
    fn roster_and_welcome_update_the_count() {
        let (mut state, mut log) = (SharedWorkerState::default(), LogBook::default());
        from_worker(&mut state, &mut log, StoreMsg::Welcome { connections: 2, keys: 0 });
        assert_eq!(state.connections, Some(2));
        from_worker(&mut state, &mut log, StoreMsg::Roster { connections: 3 });
        assert_eq!(state.connections, Some(3));
    }

    #[test]
    fn a_missing_value_is_not_an_empty_string() {
        let (mut state, mut log) = (SharedWorkerState::default(), LogBook::default());
        from_worker(
            &mut state,
            &mut log,
            StoreMsg::Value { reply_to: 1, key: "k".into(), value: None, set_by: None },
        );
        assert_eq!(state.fetched, Some(Fetched { key: "k".into(), value: None, set_by: None }));
        let line = &log.entries().last().unwrap().entry;
        assert!(line.payload.text().contains("nobody has set it"), "{}", line.payload);
    }

    #[test]
    fn pushes_say_who_changed_what_from_what() {
        let (mut state, mut log) = (SharedWorkerState::default(), LogBook::default());
        let body = StoreMsg::Changed {
            key: "k".into(),
            old: Some("a".into()),
            new: "b".into(),
            set_by: SenderId("tab-2".into()),
        };
        from_worker(&mut state, &mut log, body);
        let line = &log.entries().last().unwrap().entry;
        assert_eq!(line.payload, "tab-2 set \"k\": \"a\" → \"b\"");
        assert_eq!(line.dir, Direction::In);
    }

    #[test]
    fn refusals_show_as_an_error_and_a_rejected_entry_with_the_workers_code() {
        let (mut state, mut log) = (SharedWorkerState::default(), LogBook::default());
        let body = StoreMsg::Rejected {
            code: ReasonCode::ValueTooLarge,
            reason: "too big".into(),
            preview: "{…".into(),
        };
        from_worker(&mut state, &mut log, body);
        assert_eq!(state.error.as_deref(), Some("the shared worker refused it: too big"));
        assert_eq!(log.entries().last().unwrap().entry.status.code(), Some("value-too-large"));
    }
}
