//! `use_route`: the one bridge between a route's transports and its view.
//!
//! Arrival is decoupled from rendering. Every action (a transport event, a click) is folded into
//! the route's state at once, at the browser's pace: the state lives in a `RefCell`, not in a
//! reducer that copies it, and the log is a ring whose push costs the same however long it is.
//! Rendering is asked for at most once per animation frame, whatever the burst.
//!
//! Implementation note: a hidden tab gets no animation frames at all, so a throttled timer asks
//! too — whichever comes first renders, the other is ignored. A hidden tab's state is current at
//! every moment; its DOM catches up at most a second later.

use std::cell::{Cell, Ref, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use gloo::render::{request_animation_frame, AnimationFrame};
use gloo::timers::callback::Timeout;
use yew::prelude::*;

use crate::clock::now_ms;
use crate::log::LogBook;
use crate::log_view::{LogSource, LogView};
use crate::state::told::{tell, Own};
pub use crate::state::RouteState;
use crate::state::{fold, Dispatch, Input, Refusal};
use crate::transport::inspector::{publish_route, Published};
use crate::transport::learn_store;
use crate::transport::Event;
use crosstalk_protocol::{Reason, ReasonCode};

/// How long a render may wait when no animation frame comes (hidden tabs get none).
const FRAME_FALLBACK_MS: u32 = 100;

struct Inner<S: RouteState> {
    state: RefCell<S>,
    log: RefCell<LogBook>,
    /// Actions that arrived while another was being folded in (an event fired synchronously
    /// by a transport during a click, say); they are applied in order right after.
    queue: RefCell<VecDeque<Input<S::Action>>>,
    applying: Cell<bool>,
    frame: Rc<FrameGate>,
    /// The walkthrough's steps of this route already ticked, one bit each: only the others'
    /// predicates run after an action, so a burst costs a few comparisons at most.
    steps_done: Cell<u64>,
}

impl<S: RouteState> Inner<S> {
    /// Ticks every step of the route's chapter whose predicate now holds.
    fn notice_steps(&self) {
        let (chapter, steps) = S::chapter();
        let done = self.steps_done.get();
        let all = (1u64 << steps.len().min(63)) - 1;
        if done == all {
            return;
        }
        let state = self.state.borrow();
        let mut now = done;
        for (at, step) in steps.iter().enumerate().take(63) {
            if now & (1 << at) == 0 && state.reached(step.id) {
                now |= 1 << at;
                learn_store::tick(chapter, step.id);
            }
        }
        self.steps_done.set(now);
    }
}

/// The page's handle: dispatch actions, read the state, hand the log to `MessageLog`.
pub struct RouteHandle<S: RouteState> {
    inner: Rc<Inner<S>>,
}

impl<S: RouteState> Clone for RouteHandle<S> {
    fn clone(&self) -> Self {
        RouteHandle { inner: Rc::clone(&self.inner) }
    }
}

impl<S: RouteState> PartialEq for RouteHandle<S> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

/// A transport a page holds once its effect has made it (dropped with the page or replaced).
pub type Slot<T> = Rc<RefCell<Option<T>>>;

impl<S: RouteState> RouteHandle<S> {
    /// Does `act` through the transport in `slot`, or logs why not: `missing` when there is none
    /// (yet, or any more), or what the transport said. Whether it was done.
    pub fn through<T>(
        &self,
        slot: &Slot<T>,
        missing: &str,
        what: &str,
        act: impl FnOnce(&T) -> Result<(), Reason>,
    ) -> bool {
        let done = match slot.borrow().as_ref() {
            Some(transport) => act(transport),
            None => Err(Reason::new(ReasonCode::NotReady, missing)),
        };
        match done {
            Ok(()) => true,
            Err(reason) => {
                self.refuse(what, reason);
                false
            }
        }
    }

    /// A button's click that does `act` through the transport in `slot`, or logs why not (see
    /// [`RouteHandle::through`]).
    pub fn press<T: 'static, E: 'static>(
        &self,
        slot: &Slot<T>,
        missing: &'static str,
        what: &'static str,
        act: impl Fn(&T) -> Result<(), Reason> + 'static,
    ) -> Callback<E> {
        let (route, slot) = (self.clone(), Rc::clone(slot));
        Callback::from(move |_: E| {
            route.through(&slot, missing, what, &act);
        })
    }

    /// Like [`RouteHandle::press`], for a control that hands over a value (the text to send).
    pub fn press_with<T: 'static, V: 'static>(
        &self,
        slot: &Slot<T>,
        missing: &'static str,
        what: &'static str,
        act: impl Fn(&T, &V) -> Result<(), Reason> + 'static,
    ) -> Callback<V> {
        let send = self.send_with(slot, missing, what, act);
        Callback::from(move |value: V| {
            send.emit(value);
        })
    }

    /// Like [`RouteHandle::press_with`], for a composer that clears its text once it was sent:
    /// the callback says whether it was.
    pub fn send_with<T: 'static, V: 'static>(
        &self,
        slot: &Slot<T>,
        missing: &'static str,
        what: &'static str,
        act: impl Fn(&T, &V) -> Result<(), Reason> + 'static,
    ) -> Callback<V, bool> {
        let (route, slot) = (self.clone(), Rc::clone(slot));
        Callback::from(move |value: V| route.through(&slot, missing, what, |t| act(t, &value)))
    }

    /// Applies `action` now and asks for a render at the next frame.
    pub fn dispatch(&self, action: S::Action) {
        self.fold_in(Input::Act(action));
    }

    /// Logs that `what` was not done, and why: one `refused` entry, alike on every route.
    pub fn refuse(&self, what: impl Into<String>, reason: Reason) {
        self.fold_in(Input::Refuse(Refusal::new(what, reason)));
    }

    fn fold_in(&self, input: Input<S::Action>) {
        let inner = &self.inner;
        inner.queue.borrow_mut().push_back(input);
        if inner.applying.replace(true) {
            return;
        }
        loop {
            let next = inner.queue.borrow_mut().pop_front();
            let Some(input) = next else { break };
            fold(&mut *inner.state.borrow_mut(), input, now_ms(), &mut inner.log.borrow_mut());
        }
        inner.applying.set(false);
        inner.notice_steps();
        inner.frame.request();
    }

    /// The route's dispatch, for a controller beside the state (which sits below the hooks).
    pub fn dispatcher(&self) -> Dispatch<S::Action> {
        let route = self.clone();
        Dispatch::new(move |input| route.fold_in(input))
    }

    /// A sink for a transport: each event becomes an action.
    pub fn sink<E>(&self, action: impl Fn(E) -> S::Action + 'static) -> impl Fn(E) + 'static {
        let route = self.clone();
        move |event| route.dispatch(action(event))
    }

    /// A sink for a transport of the core: the events every route tells alike are logged alike
    /// (`state::told`), and the rest become the route's action through `own`.
    pub fn events<B: crosstalk_protocol::Body, X>(
        &self,
        own: impl Fn(Own<B, X>) -> S::Action + 'static,
    ) -> impl Fn(Event<B, X>) + 'static {
        let route = self.clone();
        move |event| route.fold_in(tell(event, &own, now_ms()))
    }

    /// A callback that dispatches what `action` makes of its argument.
    pub fn callback<T: 'static>(&self, action: impl Fn(T) -> S::Action + 'static) -> Callback<T> {
        let route = self.clone();
        Callback::from(move |value| route.dispatch(action(value)))
    }

    pub fn state(&self) -> Ref<'_, S> {
        self.inner.state.borrow()
    }

    pub fn log(&self) -> Ref<'_, LogBook> {
        self.inner.log.borrow()
    }

    /// The log as `MessageLog` renders it (a new version after every frame that changed it).
    pub fn log_view(&self) -> LogView {
        let log = Rc::clone(&self.inner) as Rc<dyn LogSource>;
        LogView::new(log, self.inner.frame.version.get())
    }

    /// Clears the log (the `Clear` button every log has).
    pub fn clear_log(&self) -> Callback<()> {
        let route = self.clone();
        Callback::from(move |()| {
            route.inner.log.borrow_mut().clear();
            route.inner.frame.request();
        })
    }
}

impl<S: RouteState> Published for Inner<S> {
    fn with_log(&self, read: &mut dyn FnMut(&LogBook)) {
        read(&self.log.borrow());
    }
}

impl<S: RouteState> LogSource for Inner<S> {
    fn log(&self) -> Ref<'_, LogBook> {
        self.log.borrow()
    }
}

/// Renders at most once per animation frame.
struct FrameGate {
    render: Callback<()>,
    pending: Cell<bool>,
    /// Bumped per render: stale wake-ups (the timer after the frame came) are ignored, and the
    /// log view compares it to know it changed.
    version: Rc<Cell<u64>>,
    wakeups: RefCell<(Option<AnimationFrame>, Option<Timeout>)>,
    me: Weak<FrameGate>,
}

impl FrameGate {
    fn new(render: Callback<()>) -> Rc<FrameGate> {
        Rc::new_cyclic(|me| FrameGate {
            render,
            pending: Cell::new(false),
            version: Rc::new(Cell::new(0)),
            wakeups: RefCell::new((None, None)),
            me: me.clone(),
        })
    }

    fn request(&self) {
        if self.pending.replace(true) {
            return;
        }
        let generation = self.version.get();
        let (frame_gate, timer_gate) = (self.me.clone(), self.me.clone());
        // Replacing the old handles cancels whichever of them has not fired yet.
        *self.wakeups.borrow_mut() = (
            Some(request_animation_frame(move |_| fire(&frame_gate, generation))),
            Some(Timeout::new(FRAME_FALLBACK_MS, move || fire(&timer_gate, generation))),
        );
    }
}

fn fire(gate: &Weak<FrameGate>, generation: u64) {
    let Some(gate) = gate.upgrade() else { return };
    if gate.version.get() != generation || !gate.pending.replace(false) {
        return;
    }
    gate.version.set(generation + 1);
    gate.render.emit(());
}

/// The bits of the route's chapter steps the reader has done already (on another visit, say).
fn steps_already_done<S: RouteState>() -> u64 {
    let (chapter, steps) = S::chapter();
    if steps.is_empty() {
        return 0;
    }
    let progress = learn_store::progress();
    steps
        .iter()
        .take(63)
        .enumerate()
        .filter(|(_, s)| progress.is_done(chapter, s.id))
        .fold(0, |bits, (at, _)| bits | 1 << at)
}

/// The bits of the route's chapter steps whose predicate holds in `state` now.
fn reached_now<S: RouteState>(state: &S) -> u64 {
    let (_, steps) = S::chapter();
    steps
        .iter()
        .take(63)
        .enumerate()
        .filter(|(_, s)| state.reached(s.id))
        .fold(0, |bits, (at, _)| bits | 1 << at)
}

/// The route's state, its log, and a render at most once per frame.
#[hook]
pub fn use_route<S: RouteState>() -> RouteHandle<S> {
    let update = use_force_update();
    let inner = use_memo((), move |_| Inner::<S> {
        state: RefCell::new(S::default()),
        log: RefCell::new(LogBook::default()),
        queue: RefCell::default(),
        applying: Cell::new(false),
        frame: FrameGate::new(Callback::from(move |()| update.force_update())),
        steps_done: Cell::new(steps_already_done::<S>()),
    });
    // Once per route: an open `/inspector` sees this log too.
    use_effect_with((), {
        let published: Rc<dyn Published> = inner.clone();
        move |_| publish_route(Rc::downgrade(&published))
    });
    // The walkthrough changed, here or in another tab. After "start over", what this page has
    // already seen does not tick again: the reader does each step anew.
    use_effect_with((), {
        let inner = Rc::downgrade(&inner);
        move |_| {
            let listening = learn_store::subscribe(move || {
                if let Some(inner) = inner.upgrade() {
                    let seen = reached_now(&*inner.state.borrow());
                    inner.steps_done.set(steps_already_done::<S>() | seen);
                }
            });
            move || drop(listening)
        }
    });
    RouteHandle { inner }
}
