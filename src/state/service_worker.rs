//! The Service Worker route's state: the registration's workers and where the newest stands, this
//! page's controller, what the worker says of itself (its instance, its count, the clients it
//! sees), and what the log says of each step. Page: `pages/service_worker.rs`; transport:
//! `transport/service_worker.rs`; the worker: `workers/service_worker.rs`.

use crosstalk_protocol::service_worker::{restarted, Lifecycle, SwMsg};
use crosstalk_protocol::{Body as _, Reason, ReasonCode, SenderId};

use super::told::{Own, OwnOf};
use super::RouteState;
use crate::diagram::{Diagram, Step};
use crate::i18n::{Said, Text};
use crate::learn::GuideStep;
use crate::log::{shown, Direction, Entry, LogBook, Status};
use crate::said;
use crate::transport::service_worker::{Step as Worker, SwEvent, SwNews};
use crate::transport::LinkState;

pub const DIAGRAM: Diagram = Diagram {
    title: "Tabs, and the worker between them",
    lanes: &["this tab", "service worker", "other tabs"],
    steps: &[
        Step::new(0, 1, "register /sw.js", &[(Direction::Out, "register")]),
        Step::new(1, 0, "installing → waiting → active", &[(Direction::In, "lifecycle")]),
        Step::new(1, 0, "clients.claim(): controllerchange", &[(Direction::In, "controllerchange")]),
        Step::new(0, 1, "postMessage to the controller", &[(Direction::Out, "text")]),
        Step::new(1, 2, "forwarded to every other client", &[(Direction::In, "text")]),
        Step::new(1, 0, "delivered: to whom", &[(Direction::In, "delivered")]),
    ],
};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceWorkerState {
    pub failed: Option<String>,
    pub unsupported: bool,
    pub registered: bool,
    /// The registration's workers, as last reported.
    pub installing: Option<Worker>,
    pub waiting: Option<Worker>,
    pub active: Option<Worker>,
    /// The version of the worker that controls this page, if one does.
    pub controller: Option<u32>,
    /// This load has no controller though the scope has an active worker (a shift-reload).
    pub bypassed: bool,
    /// What the worker last said of itself.
    pub clients: Option<u32>,
    pub handled: Option<u64>,
    pub instance: Option<SenderId>,
    /// How often this tab saw a new instance answer (the browser stopped the idle one).
    pub restarts: u64,
    /// What the walkthrough watches for.
    pub ever_controlled: bool,
    pub texts_heard: u64,
    pub saw_waiting: bool,
    pub took_over: u64,
}

pub enum Action {
    Sw(OwnOf<SwEvent>),
    Unsupported(String),
}

/// The walkthrough's chapter: the page controlled, a message relayed, an update waiting, and the
/// skip that ends the wait.
pub const CHAPTER: &[GuideStep] = &[
    GuideStep::new(
        "controlled",
        Text::LearnServiceWorkerControlled,
        Text::LearnServiceWorkerControlledSee,
        "controlled",
    ),
    GuideStep::new("relay", Text::LearnServiceWorkerRelay, Text::LearnServiceWorkerRelaySee, "log")
        .in_two_tabs(),
    GuideStep::new(
        "waiting",
        Text::LearnServiceWorkerWaiting,
        Text::LearnServiceWorkerWaitingSee,
        "sw-state",
    ),
    GuideStep::new("skip", Text::LearnServiceWorkerSkip, Text::LearnServiceWorkerSkipSee, "skip-waiting"),
];

/// An entry of the worker's, arriving here.
fn from_worker(kind: &str, said: Said, at_ms: f64) -> Entry {
    Entry { dir: Direction::In, ..Entry::said(kind, said, at_ms) }
}

impl RouteState for ServiceWorkerState {
    type Action = Action;

    fn chapter() -> (&'static str, &'static [GuideStep]) {
        ("service-worker", CHAPTER)
    }

    fn reached(&self, step: &str) -> bool {
        match step {
            "controlled" => self.ever_controlled,
            "relay" => self.texts_heard > 0,
            "waiting" => self.saw_waiting,
            "skip" => self.took_over > 0,
            _ => false,
        }
    }

    fn apply(&mut self, action: Action, at_ms: f64, log: &mut LogBook) {
        match action {
            Action::Sw(event) => self.on_event(event, at_ms, log),
            Action::Unsupported(why) => {
                self.unsupported = true;
                log.push(Entry::said("error", said!(SwUnavailable, why.clone()), at_ms));
                self.failed = Some(why);
            }
        }
    }
}

impl ServiceWorkerState {
    /// Where the registration's newest worker stands (`sw-state`'s `data-state`).
    pub fn step(&self) -> &'static str {
        let newest = self.installing.or(self.waiting).or(self.active);
        newest.map_or("none", |w| w.lifecycle.word())
    }

    /// The route's `status`.
    pub fn status(&self) -> &'static str {
        match (&self.failed, self.unsupported, self.controller) {
            (Some(_), true, _) => "unsupported",
            (Some(_), false, _) => "error",
            (None, _, Some(_)) => "controlled",
            (None, _, None) if self.registered => "uncontrolled",
            (None, _, None) => "registering",
        }
    }

    fn on_event(&mut self, own: OwnOf<SwEvent>, at_ms: f64, log: &mut LogBook) {
        match own {
            Own::State(LinkState::Failed(why)) => {
                log.push(Entry::said("error", said!(SwUnavailable, why.clone()), at_ms));
                self.failed = Some(why);
            }
            Own::State(_) => {}
            Own::Sent { envelope, .. } => {
                let payload = match &envelope.body {
                    SwMsg::Text { text } => shown(text),
                    other => other.kind().into(),
                };
                log.push(Entry::sent(&envelope, payload, at_ms));
            }
            Own::Received { envelope, .. } => {
                let line = match &envelope.body {
                    SwMsg::Text { text } => {
                        self.texts_heard += 1;
                        Entry::received(&envelope, shown(text), at_ms)
                    }
                    SwMsg::Welcome { instance, version, handled, clients } => {
                        let said = self.heard_from(instance, *handled, *clients);
                        let said = said.unwrap_or_else(|| {
                            said!(SwWelcome, instance.0.clone(), version, handled, clients)
                        });
                        Entry::received(&envelope, "", at_ms).saying(said)
                    }
                    SwMsg::Delivered { reply_to, to, clients, handled, instance } => {
                        let restarted = self.heard_from(instance, *handled, *clients);
                        let said =
                            restarted.unwrap_or_else(|| said!(SwDelivered, reply_to, to, clients, handled));
                        Entry::received(&envelope, "", at_ms).saying(said)
                    }
                    SwMsg::Refused { code, why } => {
                        let code = ReasonCode::parse(code).unwrap_or(ReasonCode::Malformed);
                        Entry::received(&envelope, "", at_ms)
                            .saying(said!(SwRefused))
                            .with_status(Status::Rejected(Reason::new(code, why.clone())))
                    }
                    other => Entry::received(&envelope, other.kind(), at_ms),
                };
                log.push(line);
            }
            Own::Other(news) => self.on_news(news, at_ms, log),
        }
    }

    /// Notes what the worker said of itself; a sentence when it is a new instance (restarted).
    fn heard_from(&mut self, instance: &SenderId, handled: u64, clients: u32) -> Option<Said> {
        let again = restarted(self.instance.as_ref(), instance);
        let before = self.handled;
        self.instance = Some(instance.clone());
        self.handled = Some(handled);
        self.clients = Some(clients);
        again.then(|| {
            self.restarts += 1;
            said!(SwRestarted, before.unwrap_or(0), handled)
        })
    }

    fn on_news(&mut self, news: SwNews, at_ms: f64, log: &mut LogBook) {
        match news {
            SwNews::Registered { script, found } => {
                self.registered = true;
                let said = if found { said!(SwFound, script) } else { said!(SwRegistered, script) };
                log.push(Entry { dir: Direction::Out, ..Entry::said("register", said, at_ms) });
            }
            SwNews::Workers { installing, waiting, active } => {
                let before = self.step();
                let newest_before = self.installing.or(self.waiting).or(self.active);
                self.installing = installing;
                self.waiting = waiting;
                self.active = active;
                self.saw_waiting |= waiting.is_some();
                let newest = installing.or(waiting).or(active);
                if newest != newest_before || self.step() != before {
                    if let Some(w) = newest {
                        let said = if w.lifecycle == Lifecycle::Waiting {
                            said!(SwWaiting, w.version, active.map_or(0, |a| a.version))
                        } else {
                            said!(SwLifecycle, w.version, w.lifecycle.word())
                        };
                        log.push(from_worker("lifecycle", said, at_ms));
                    }
                }
            }
            SwNews::Controller { version, changed } => {
                let before = self.controller;
                self.controller = version;
                self.ever_controlled |= version.is_some();
                if version.is_some() {
                    self.bypassed = false;
                }
                if changed {
                    if version.zip(before).is_some_and(|(now, was)| now > was) {
                        self.took_over += 1;
                    }
                    let said = said!(SwControllerChange, version.map_or("none".into(), |v| v.to_string()));
                    log.push(from_worker("controllerchange", said, at_ms));
                } else {
                    let said = match version {
                        Some(v) => said!(SwControlledBy, v),
                        None => said!(SwNotControlled),
                    };
                    log.push(Entry::said("controller", said, at_ms));
                }
            }
            SwNews::Bypassed => {
                if !self.bypassed && self.controller.is_none() {
                    self.bypassed = true;
                    log.push(Entry::said("bypassed", said!(SwBypassed), at_ms));
                }
            }
            SwNews::Updating { version } => {
                log.push(Entry {
                    dir: Direction::Out,
                    ..Entry::said("update", said!(SwUpdating, version), at_ms)
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crosstalk_protocol::order::Order;
    use crosstalk_protocol::Sender;

    fn news(news: SwNews) -> Action {
        Action::Sw(Own::Other(news))
    }

    fn from_sw(sw: &mut Sender, body: SwMsg) -> Action {
        Action::Sw(Own::Received {
            envelope: sw.envelope(body, 0.0),
            via: "service worker",
            order: Order::InOrder,
        })
    }

    fn worker(version: u32, lifecycle: Lifecycle) -> Option<Worker> {
        Some(Worker { version, lifecycle })
    }

    #[test]
    fn the_first_load_is_uncontrolled_until_the_claim_and_then_the_step_ticks() {
        let (mut state, mut log) = (ServiceWorkerState::default(), LogBook::default());
        state.apply(news(SwNews::Controller { version: None, changed: false }), 0.0, &mut log);
        state.apply(news(SwNews::Registered { script: "/sw.js".into(), found: false }), 0.0, &mut log);
        assert_eq!((state.status(), state.step()), ("uncontrolled", "none"));
        assert!(!state.reached("controlled"));
        let installing =
            SwNews::Workers { installing: worker(1, Lifecycle::Installing), waiting: None, active: None };
        state.apply(news(installing), 0.0, &mut log);
        assert_eq!(state.step(), "installing");
        let active =
            SwNews::Workers { installing: None, waiting: None, active: worker(1, Lifecycle::Active) };
        state.apply(news(active), 0.0, &mut log);
        state.apply(news(SwNews::Controller { version: Some(1), changed: true }), 0.0, &mut log);
        assert_eq!((state.status(), state.step()), ("controlled", "active"));
        assert!(state.reached("controlled") && !state.reached("skip"), "the first claim is not a takeover");
        assert!(log.seen(Direction::In, "lifecycle") && log.seen(Direction::In, "controllerchange"));
    }

    #[test]
    fn an_update_waits_until_skip_waiting_and_the_newer_controller_is_the_takeover() {
        let (mut state, mut log) = (ServiceWorkerState::default(), LogBook::default());
        state.apply(news(SwNews::Controller { version: Some(1), changed: false }), 0.0, &mut log);
        let waiting = SwNews::Workers {
            installing: None,
            waiting: worker(2, Lifecycle::Waiting),
            active: worker(1, Lifecycle::Active),
        };
        state.apply(news(waiting), 0.0, &mut log);
        assert_eq!(state.step(), "waiting");
        assert!(state.reached("waiting") && !state.reached("skip"));
        state.apply(news(SwNews::Controller { version: Some(2), changed: true }), 0.0, &mut log);
        assert!(state.reached("skip"));
    }

    #[test]
    fn a_new_instance_answering_is_a_restart_whose_count_began_again() {
        let (mut state, mut log) = (ServiceWorkerState::default(), LogBook::default());
        let mut first = Sender::new(SenderId("sw-first".into()));
        let welcome = |instance: &str, handled| SwMsg::Welcome {
            instance: SenderId(instance.into()),
            version: 1,
            handled,
            clients: 2,
        };
        state.apply(from_sw(&mut first, welcome("sw-first", 5)), 0.0, &mut log);
        assert_eq!((state.restarts, state.handled, state.clients), (0, Some(5), Some(2)));
        let mut second = Sender::new(SenderId("sw-second".into()));
        state.apply(from_sw(&mut second, welcome("sw-second", 1)), 0.0, &mut log);
        assert_eq!((state.restarts, state.handled), (1, Some(1)));
        let last = log.entries().last().unwrap().entry.clone();
        assert!(last.payload.text().contains("5") && last.payload.text().contains("1"), "{last:?}");
    }

    #[test]
    fn a_refusal_from_the_worker_carries_its_code_and_a_relayed_text_ticks_the_relay_step() {
        let (mut state, mut log) = (ServiceWorkerState::default(), LogBook::default());
        let mut sw = Sender::new(SenderId("sw-a".into()));
        state.apply(
            from_sw(&mut sw, SwMsg::Refused { code: "bad-json".into(), why: "not JSON".into() }),
            0.0,
            &mut log,
        );
        assert_eq!(log.entries().last().unwrap().entry.status.code(), Some("bad-json"));
        state.apply(
            from_sw(&mut sw, SwMsg::Refused { code: "made-up".into(), why: "?".into() }),
            0.0,
            &mut log,
        );
        assert_eq!(
            log.entries().last().unwrap().entry.status.code(),
            Some("malformed"),
            "an unknown code is malformed"
        );
        assert!(!state.reached("relay"));
        let mut tab = Sender::new(SenderId("tab-b".into()));
        state.apply(from_sw(&mut tab, SwMsg::Text { text: "hi".into() }), 0.0, &mut log);
        assert!(state.reached("relay"));
    }

    #[test]
    fn a_load_that_bypassed_the_worker_is_told_once() {
        let (mut state, mut log) = (ServiceWorkerState::default(), LogBook::default());
        state.apply(news(SwNews::Controller { version: None, changed: false }), 0.0, &mut log);
        for _ in 0..3 {
            state.apply(news(SwNews::Bypassed), 0.0, &mut log);
        }
        assert_eq!(log.entries().filter(|l| l.entry.kind == "bypassed").count(), 1);
        assert!(state.bypassed);
    }
}
