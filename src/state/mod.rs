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

/// How a controller hands its route an action. The route's hook makes one
/// (`RouteHandle::dispatcher`), so a controller needs nothing above this layer.
pub struct Dispatch<A>(Rc<dyn Fn(A)>);

impl<A> Dispatch<A> {
    pub fn new(dispatch: impl Fn(A) + 'static) -> Dispatch<A> {
        Dispatch(Rc::new(dispatch))
    }

    /// Folds `action` into the route's state now.
    pub fn dispatch(&self, action: A) {
        (self.0)(action)
    }
}

impl<A> Clone for Dispatch<A> {
    fn clone(&self) -> Self {
        Dispatch(Rc::clone(&self.0))
    }
}

/// An action that says this page would not, or could not, do something, and why: every route
/// that sends has one, and the hooks' `RouteHandle::through` dispatches it.
pub trait Refusal {
    fn refused(what: &str, reason: crosstalk_protocol::Reason) -> Self;
}

/// A route's state: what it knows and how each action changes it and its log. Tested natively.
pub trait RouteState: Default + 'static {
    type Action: 'static;

    /// Folds one action into the state, writing what the log should say (stamped `at_ms`).
    fn apply(&mut self, action: Self::Action, at_ms: f64, log: &mut crate::log::LogBook);

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
