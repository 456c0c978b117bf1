//! Each route's state: what it knows, how each action changes it, and what its log says. Free of
//! rendering, so it is tested natively; the page beside it (`pages/`) only shows it.

pub mod atomics;
pub mod bench;
pub mod broadcast;
pub mod capabilities;
pub mod indexeddb;
pub mod inspector;
pub mod payment;
pub mod provider;
pub mod service_worker;
pub mod shared_worker;
pub mod stock;
pub mod stock_watch;
pub mod storage;
pub mod told;
pub mod web_locks;
pub mod webrtc;
pub mod websocket;
pub mod worker_port;

use std::rc::Rc;

use crosstalk_protocol::{preview, Reason};

use crate::log::{Entry, LogBook};
use crate::said;

/// The log kind of every refusal, on every route (`data-kind="refused"`).
pub const REFUSED: &str = "refused";

/// Something this page would not, or could not, do, and why: a click the route refused, or a
/// send its transport refused. Every route logs it alike ([`fold`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub what: String,
    pub reason: Reason,
}

impl Refusal {
    pub fn new(what: impl Into<String>, reason: Reason) -> Refusal {
        Refusal { what: what.into(), reason }
    }

    /// The one log entry a refusal makes: `refused`, with its reason and code.
    pub fn entry(&self, at_ms: f64) -> Entry {
        Entry::said(REFUSED, said!(Refused, preview(&self.what, 120)), at_ms).rejected(self.reason.clone())
    }
}

/// What a route folds into its state: one of its own actions, a refusal, or a transport's event
/// that every route tells alike.
#[derive(Debug)]
pub enum Input<A> {
    Act(A),
    Refuse(Refusal),
    /// A transport's event that every route tells alike, as its entry (see `told::tell`).
    Told(Entry, told::Common),
}

/// Folds `input` into `state`: an action as the route says it; a refusal, or an event every route
/// tells alike, as every route says it (after the route's own hook, [`RouteState::refused`] or
/// [`RouteState::told`], for what it shows or adds besides).
pub fn fold<S: RouteState>(state: &mut S, input: Input<S::Action>, at_ms: f64, log: &mut LogBook) {
    match input {
        Input::Act(action) => state.apply(action, at_ms, log),
        Input::Refuse(refusal) => {
            state.refused(&refusal);
            log.push(refusal.entry(at_ms));
        }
        Input::Told(mut entry, common) => {
            state.told(common, &mut entry);
            log.push(entry);
        }
    }
}

/// How a controller hands its route an action, a refusal or a transport's event. The route's
/// hook makes one (`RouteHandle::dispatcher`), so a controller needs nothing above this layer.
pub struct Dispatch<A>(Rc<dyn Fn(Input<A>)>);

impl<A> Dispatch<A> {
    pub fn new(dispatch: impl Fn(Input<A>) + 'static) -> Dispatch<A> {
        Dispatch(Rc::new(dispatch))
    }

    /// Folds `action` into the route's state now.
    pub fn dispatch(&self, action: A) {
        (self.0)(Input::Act(action))
    }

    /// Logs that `what` was not done, and why.
    pub fn refuse(&self, what: impl Into<String>, reason: Reason) {
        (self.0)(Input::Refuse(Refusal::new(what, reason)))
    }

    /// Folds a transport's `event` in: told alike, or wrapped by `own` as the route's action.
    pub fn tell<B: crosstalk_protocol::Body, X>(
        &self,
        event: crate::transport::Event<B, X>,
        own: impl FnOnce(told::Own<B, X>) -> A,
    ) {
        (self.0)(told::tell(event, own, crate::clock::now_ms()))
    }
}

impl<A> Clone for Dispatch<A> {
    fn clone(&self) -> Self {
        Dispatch(Rc::clone(&self.0))
    }
}

/// A route's state: what it knows and how each action changes it and its log. Tested natively.
pub trait RouteState: Default + 'static {
    type Action: 'static;

    /// Folds one action into the state, writing what the log should say (stamped `at_ms`).
    fn apply(&mut self, action: Self::Action, at_ms: f64, log: &mut LogBook);

    /// What the route keeps of a refusal besides its log entry (an error line, say): nothing,
    /// unless it says so.
    fn refused(&mut self, _refusal: &Refusal) {}

    /// What the route adds to, or keeps of, an event every route tells alike (the entry is logged
    /// after): nothing, unless it says so.
    fn told(&mut self, _common: told::Common, _entry: &mut Entry) {}

    /// The walkthrough's chapter this route teaches: its slug and its steps (none for a tool).
    fn chapter() -> (&'static str, &'static [crate::learn::GuideStep]) {
        ("", &[])
    }

    /// Whether the chapter's step `step` has happened, as this state shows it: the walkthrough
    /// ticks a step on what the page observed, never on the reader's word.
    fn reached(&self, _step: &str) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::{Direction, LogBook};
    use crosstalk_protocol::ReasonCode;

    fn refusal() -> Input<()> {
        Input::Refuse(Refusal::new("switch", Reason::new(ReasonCode::NotReady, "no bus yet")))
    }

    fn folded<S: RouteState>(input: Input<S::Action>) -> (S, LogBook) {
        let (mut state, mut log) = (S::default(), LogBook::with_capacity(8));
        fold(&mut state, input, 5.0, &mut log);
        (state, log)
    }

    #[test]
    fn a_refusal_is_one_refused_entry_with_its_code_and_the_route_keeps_what_it_shows() {
        let Input::Refuse(refused) = refusal() else { unreachable!() };
        let (stock, log) = folded::<stock::StockState>(Input::Refuse(refused.clone()));
        let entry = &log.entries().next().expect("one entry").entry;
        assert_eq!((entry.kind.as_str(), entry.dir), (REFUSED, Direction::System));
        assert_eq!(entry.status.reason_code(), Some(ReasonCode::NotReady));
        assert_eq!(entry.payload, "refused: switch");
        assert_eq!(stock.error.as_deref(), Some("switch: no bus yet"), "stock's own hook ran");
        // A route without a hook logs it the same way.
        let (_, log) = folded::<broadcast::BroadcastState>(Input::Refuse(refused));
        assert_eq!(log.entries().next().map(|l| l.entry.clone()), Some(entry.clone()));
    }

    /// Every route refuses through `RouteHandle::refuse`: one that declares a refusal of its own
    /// (an action, or a rejected entry of another kind for this page's own doing) fails here.
    #[test]
    fn no_route_says_its_own_refusals_its_own_way() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut offenders = Vec::new();
        for dir in ["state", "pages", "controller"] {
            for entry in std::fs::read_dir(src.join(dir)).expect("readable").flatten() {
                let text = std::fs::read_to_string(entry.path()).expect("readable");
                let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(&text);
                for (at, line) in text.lines().enumerate() {
                    if line.contains("Action::Refused")
                        || line.trim_start().starts_with("Refused {")
                        || own_refusal(line)
                    {
                        offenders.push(format!(
                            "src/{dir}/{}:{}: {}",
                            entry.file_name().to_string_lossy(),
                            at + 1,
                            line.trim()
                        ));
                    }
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "refusals said their own way (use RouteHandle::refuse):\n{}",
            offenders.join("\n")
        );
    }

    /// The route's hook tells the common events (`told::tell`): a state that calls `told` itself
    /// matches events that are not its own, and fails here.
    #[test]
    fn no_state_tells_the_common_events_itself() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/state");
        let mut offenders = Vec::new();
        for entry in std::fs::read_dir(src).expect("readable").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == "told.rs" || name == "mod.rs" {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).expect("readable");
            let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(&text);
            if text.contains("match told(") || text.contains("told::told") || text.contains("{told,") {
                offenders.push(name);
            }
        }
        assert!(offenders.is_empty(), "states that tell the common events themselves: {offenders:?}");
    }

    /// A page's own refusal logged under a kind of its own: `Entry::said("send", …).rejected(`.
    fn own_refusal(line: &str) -> bool {
        ["send", "write", "error"].iter().any(|kind| {
            let said = format!("Entry::said(\"{kind}\"");
            let system = format!("Entry::system(\"{kind}\"");
            (line.contains(&said) || line.contains(&system)) && line.contains(".rejected(")
        })
    }
}
