//! The transport core: what every mechanism's transport shares, so an adapter only names its
//! browser API. It owns the sender id and sequence numbers, encode-and-post, read-and-decode (the
//! size is checked *before* a string is copied into wasm), the one [`Event`] type, the listeners
//! and timers (dropping the core's owner detaches them all), readiness with its time limit, and
//! the goodbye on `pagehide`.
//!
//! Adapters (one file each beside this one) hold an `Rc<Core<…>>`; every browser callback they
//! register goes through [`Core::listen`], which keeps only a weak reference, so a dropped
//! transport can never be called back.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crosstalk_protocol::order::{Order, SequenceCheck};
use crosstalk_protocol::parsed::ParsedBody;
use crosstalk_protocol::{DecodeError, Envelope, Reason, ReasonCode, Sender, SenderId, MAX_ENVELOPE_BYTES};
use gloo::events::EventListener;
use gloo::timers::callback::{Interval, Timeout};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::EventTarget;

use super::fault_injection::Faults;
use crate::clock::now_ms;
use crosstalk_glue::js_wire::{preview_js, read_any, write_any, Wire};

/// Where a message travelled, as the log names it ("port", "worker", "channel", …).
pub type Via = &'static str;

/// Where a transport stands. Each route words it its own way (`loading`, `joined`, …).
#[derive(Debug, Clone, PartialEq)]
pub enum LinkState {
    /// Starting, or waiting for the other side to answer.
    Connecting,
    /// Messages can flow.
    Ready,
    /// Stopped on purpose.
    Closed,
    /// This browser lacks the API.
    Unsupported,
    /// It could not start, it broke, or the other side never answered.
    Failed(String),
}

/// Everything a transport reports, for every mechanism alike.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<B, X = ()> {
    State(LinkState),
    /// This page sent an envelope.
    Sent {
        envelope: Envelope<B>,
        via: Via,
    },
    /// This page sent text that is not an envelope (fault injection).
    SentRaw {
        text: String,
        via: Via,
    },
    /// An envelope arrived and decoded; `order` says whether its sender's numbering held.
    Received {
        envelope: Envelope<B>,
        via: Via,
        order: Order,
    },
    /// Something arrived that is not a valid envelope. `raw` is a preview, empty when it was
    /// refused before being read.
    Rejected {
        raw: String,
        error: DecodeError,
        via: Via,
    },
    /// An envelope that decoded, turned away by a rule of the mechanism (a full roster).
    Declined {
        envelope: Envelope<B>,
        reason: Reason,
        via: Via,
    },
    /// A message of this page's own could not be sent.
    Refused(Reason),
    /// What only this mechanism has (a roster count, a storage change).
    Other(X),
}

impl<B, X> Event<B, X> {
    /// The same event, with what only this mechanism has turned into a `Y`.
    pub fn map_other<Y>(self, other: impl FnOnce(X) -> Y) -> Event<B, Y> {
        match self {
            Event::State(state) => Event::State(state),
            Event::Sent { envelope, via } => Event::Sent { envelope, via },
            Event::SentRaw { text, via } => Event::SentRaw { text, via },
            Event::Received { envelope, via, order } => Event::Received { envelope, via, order },
            Event::Rejected { raw, error, via } => Event::Rejected { raw, error, via },
            Event::Declined { envelope, reason, via } => Event::Declined { envelope, reason, via },
            Event::Refused(reason) => Event::Refused(reason),
            Event::Other(x) => Event::Other(other(x)),
        }
    }
}

/// Reads a message's data as wire text: refused if it is not a string, or if it is too long —
/// checked on the JS string's length, before a byte of it is copied into wasm memory.
pub fn read_wire(data: &JsValue) -> Result<String, DecodeError> {
    let Some(text) = data.dyn_ref::<js_sys::JsString>() else {
        return Err(DecodeError::NotText { got: describe_js(data) });
    };
    // A UTF-16 unit is at least one byte of UTF-8, so a string longer than the limit in units is
    // certainly over it in bytes; the byte count of what passes is checked again by `decode`.
    let units = text.length() as usize;
    if units > MAX_ENVELOPE_BYTES {
        return Err(DecodeError::TooLarge { bytes: units, limit: MAX_ENVELOPE_BYTES });
    }
    Ok(String::from(text))
}

pub use crosstalk_glue::js_value::describe_js;

/// The message of a thrown JS value (an Error's `message`, a DOMException's name and message).
pub fn js_error_text(value: &JsValue) -> String {
    if let Some(dom) = value.dyn_ref::<web_sys::DomException>() {
        return format!("{}: {}", dom.name(), dom.message());
    }
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}

/// Why the browser refused to post (or store) a message: a full storage is `quota`.
pub fn post_refusal(error: JsValue) -> Reason {
    let quota = error.dyn_ref::<web_sys::DomException>().is_some_and(|e| e.name() == "QuotaExceededError");
    let code = if quota { ReasonCode::Quota } else { ReasonCode::PostFailed };
    Reason::new(code, js_error_text(&error))
}

/// The message of a worker's `error` event, when the browser gives one (a script that could not
/// be loaded gives none).
pub fn error_message(event: &web_sys::Event) -> Option<String> {
    let message = event.dyn_ref::<web_sys::ErrorEvent>()?.message();
    (!message.is_empty()).then_some(message)
}

/// How many characters of a refused message the log shows.
const PREVIEW_CHARS: usize = 120;

enum Timer {
    #[allow(dead_code)] // held, never read: dropping it cancels the timer
    Once(Timeout),
    #[allow(dead_code)]
    Every(Interval),
}

/// The shared part of every transport. Always held in an `Rc`.
pub struct Core<B, X = ()> {
    sender: Rc<RefCell<Sender>>,
    state: RefCell<LinkState>,
    sink: Box<dyn Fn(Event<B, X>)>,
    listeners: RefCell<Vec<EventListener>>,
    timers: RefCell<Vec<Timer>>,
    /// Per-sender numbering check, for transports where every message of a sender reaches us.
    order: Option<RefCell<SequenceCheck>>,
    /// What else to release when the core stops (a worker to terminate, a port to close).
    on_stop: RefCell<Vec<Box<dyn FnOnce()>>>,
    stopped: Cell<bool>,
    /// What fault injection does to each message this page sends (never to upkeep).
    faults: Faults<B>,
    /// How envelopes cross: JSON text (the default) or cloned objects.
    wire: Cell<Wire>,
    me: std::rc::Weak<Self>,
}

pub use crate::fault::{Fault, FAULT_DELAY_MS};

impl<B: ParsedBody + 'static, X: 'static> Core<B, X> {
    /// A core that sends as `sender` (shared, so numbering can outlive one connection) and
    /// reports to `sink`. It starts in `state`, which is reported at once.
    pub fn new(
        sender: Rc<RefCell<Sender>>,
        state: LinkState,
        sink: impl Fn(Event<B, X>) + 'static,
    ) -> Rc<Self> {
        Self::build(sender, state, Box::new(sink), None)
    }

    /// Like [`Core::new`], and every envelope received is checked for gaps and repeats.
    pub fn checking_order(
        sender: Rc<RefCell<Sender>>,
        state: LinkState,
        sink: impl Fn(Event<B, X>) + 'static,
    ) -> Rc<Self> {
        Self::build(sender, state, Box::new(sink), Some(RefCell::default()))
    }

    fn build(
        sender: Rc<RefCell<Sender>>,
        state: LinkState,
        sink: Box<dyn Fn(Event<B, X>)>,
        order: Option<RefCell<SequenceCheck>>,
    ) -> Rc<Self> {
        let core = Rc::new_cyclic(|me| Core {
            sender,
            state: RefCell::new(state.clone()),
            sink,
            listeners: RefCell::default(),
            timers: RefCell::default(),
            order,
            on_stop: RefCell::default(),
            stopped: Cell::new(false),
            faults: Faults::default(),
            wire: Cell::new(Wire::Text),
            me: me.clone(),
        });
        core.emit(Event::State(state));
        core
    }

    /// A sender of its own, for a transport whose numbering starts with it.
    pub fn own_sender(prefix: &str) -> Rc<RefCell<Sender>> {
        Rc::new(RefCell::new(Sender::new(SenderId::new(prefix, crate::clock::random))))
    }

    /// A weak handle on this core, for a callback that may outlive it (a promise's answer).
    pub fn weak(&self) -> std::rc::Weak<Self> {
        self.me.clone()
    }

    pub fn emit(&self, event: Event<B, X>) {
        (self.sink)(event);
    }

    pub fn sender_id(&self) -> SenderId {
        self.sender.borrow().id.clone()
    }

    pub fn state(&self) -> LinkState {
        self.state.borrow().clone()
    }

    /// Moves to `state` and reports it (once: the same state again says nothing).
    pub fn set_state(&self, state: LinkState) {
        if *self.state.borrow() == state {
            return;
        }
        *self.state.borrow_mut() = state.clone();
        self.emit(Event::State(state));
    }

    /// `Ok` when ready; otherwise a `not-ready` refusal worded by `words` for the state it is in.
    pub fn ready_or(&self, words: impl Fn(&LinkState) -> String) -> Result<(), Reason> {
        match &*self.state.borrow() {
            LinkState::Ready => Ok(()),
            other => Err(Reason::new(ReasonCode::NotReady, words(other))),
        }
    }

    /// Calls `handler` for each `name` event on `target` that is an `E`, for as long as this
    /// core is alive and not stopped.
    pub fn listen<E: JsCast + 'static>(
        self: &Rc<Self>,
        target: &EventTarget,
        name: &'static str,
        handler: impl Fn(&Self, &E) + 'static,
    ) {
        self.listen_as(target, name, |event| event.dyn_ref::<E>(), handler);
    }

    /// Like [`Core::listen`], for a target that may belong to another window of the origin (a
    /// same-origin frame). Its events are instances of *that* window's classes, which an
    /// `instanceof` check against this window's refuses; the event is taken as an `E` on the
    /// strength of its name, so `name` must be an event that is always an `E`.
    pub fn listen_across<E: JsCast + 'static>(
        self: &Rc<Self>,
        target: &EventTarget,
        name: &'static str,
        handler: impl Fn(&Self, &E) + 'static,
    ) {
        self.listen_as(target, name, |event| Some(event.unchecked_ref::<E>()), handler);
    }

    fn listen_as<E: 'static>(
        self: &Rc<Self>,
        target: &EventTarget,
        name: &'static str,
        cast: fn(&web_sys::Event) -> Option<&E>,
        handler: impl Fn(&Self, &E) + 'static,
    ) {
        let weak = Rc::downgrade(self);
        let listener = EventListener::new(target, name, move |event| {
            if let (Some(core), Some(event)) = (weak.upgrade(), cast(event)) {
                handler(&core, event);
            }
        });
        self.listeners.borrow_mut().push(listener);
    }

    /// Calls `tick` every `ms` while the core lives.
    pub fn every(self: &Rc<Self>, ms: u32, tick: impl Fn(&Self) + 'static) {
        let weak = Rc::downgrade(self);
        let interval = Interval::new(ms, move || {
            if let Some(core) = weak.upgrade() {
                tick(&core);
            }
        });
        self.timers.borrow_mut().push(Timer::Every(interval));
    }

    /// Fails with `what` unless the transport is ready within `ms`.
    pub fn ready_within(self: &Rc<Self>, ms: u32, what: impl Into<String>) {
        let (weak, what) = (Rc::downgrade(self), what.into());
        let timeout = Timeout::new(ms, move || {
            if let Some(core) = weak.upgrade() {
                if core.state() == LinkState::Connecting {
                    let limit = if ms % 1000 == 0 { format!("{} s", ms / 1000) } else { format!("{ms} ms") };
                    core.fail(format!("{what} within {limit}"));
                }
            }
        });
        self.timers.borrow_mut().push(Timer::Once(timeout));
    }

    /// Says goodbye when the page goes away for good (a worker or a peer cannot see a tab close).
    pub fn goodbye_on_pagehide(self: &Rc<Self>, say: impl Fn(&Self) + 'static) {
        if let Some(window) = web_sys::window() {
            self.listen::<web_sys::Event>(&window, "pagehide", move |core, _| say(core));
        }
    }

    /// What fault injection does to this page's messages from now on.
    pub fn set_fault(&self, fault: Fault) {
        self.faults.set(fault);
    }

    /// Encodes `body` as this sender's next envelope and hands the text to `post`; reports it.
    /// An injected fault (`fault_injection.rs`) may drop, repeat, hold back or delay it.
    pub fn send(
        &self,
        body: B,
        via: Via,
        post: impl Fn(&JsValue) -> Result<(), JsValue>,
    ) -> Result<(), Reason>
    where
        B: Clone,
    {
        let (envelope, wire) = self.next_wire(body)?;
        self.faults.post(self, envelope, wire, via, &post)
    }

    /// Lets [`Fault::Delay`] post on this transport: `post` must work after the call that sent.
    pub fn post_later_with(&self, post: impl Fn(&JsValue) -> Result<(), JsValue> + 'static) {
        self.faults.post_later_with(Rc::new(post));
    }

    /// The fault injection around this core's sending.
    pub(super) fn faults(&self) -> &Faults<B> {
        &self.faults
    }

    /// Sends without reporting (upkeep such as pings, pongs and goodbyes).
    pub fn send_quietly(
        &self,
        body: B,
        post: impl FnOnce(&JsValue) -> Result<(), JsValue>,
    ) -> Result<(), Reason> {
        self.post_envelope(body, post).map(drop)
    }

    /// Sends upkeep whose failure has nowhere better to go than the log.
    pub fn send_upkeep(&self, body: B, post: impl FnOnce(&JsValue) -> Result<(), JsValue>) {
        if let Err(reason) = self.send_quietly(body, post) {
            self.emit(Event::Refused(reason));
        }
    }

    fn post_envelope(
        &self,
        body: B,
        post: impl FnOnce(&JsValue) -> Result<(), JsValue>,
    ) -> Result<Envelope<B>, Reason> {
        let (envelope, wire) = self.next_wire(body)?;
        post(&wire).map_err(post_refusal)?;
        Ok(envelope)
    }

    /// `body` as this sender's next envelope, and what crosses: its text, written once, or the
    /// object the browser clones (`js_wire`).
    fn next_wire(&self, body: B) -> Result<(Envelope<B>, JsValue), Reason> {
        let envelope = self.sender.borrow_mut().envelope(body, now_ms());
        let wire = write_any(&envelope, self.wire.get()).map_err(|e| e.reason())?;
        Ok((envelope, wire))
    }

    /// Sends envelopes as text or as cloned objects from now on, and takes objects in (a text
    /// still reads as text).
    pub fn set_wire(&self, wire: Wire) {
        self.wire.set(wire);
    }

    /// Sends text that is not an envelope, to show the other side refusing it (fault injection).
    pub fn send_raw(
        &self,
        text: &str,
        via: Via,
        post: impl FnOnce(&JsValue) -> Result<(), JsValue>,
    ) -> Result<(), Reason> {
        post(&JsValue::from_str(text)).map_err(post_refusal)?;
        self.emit(Event::SentRaw { text: text.to_owned(), via });
        Ok(())
    }

    /// Reads and decodes one message's data where it arrived (size-checked, then the browser's
    /// `JSON.parse`, then judged field by field: `js_wire`); what does not decode is reported as
    /// rejected, with the start of what it was.
    pub fn read(&self, data: &JsValue, via: Via) -> Option<Envelope<B>> {
        match read_any::<B>(data, self.wire.get() == Wire::Cloned) {
            Ok(envelope) => Some(envelope),
            Err(error) => {
                let raw = match error {
                    DecodeError::NotText { .. } | DecodeError::TooLarge { .. } => String::new(),
                    _ => preview_js(data, PREVIEW_CHARS),
                };
                self.reject(raw, error, via);
                None
            }
        }
    }

    pub fn reject(&self, raw: String, error: DecodeError, via: Via) {
        self.emit(Event::Rejected { raw, error, via });
    }

    /// Reports an envelope that decoded but that a rule of the mechanism turns away.
    pub fn decline(&self, envelope: Envelope<B>, reason: Reason, via: Via) {
        self.emit(Event::Declined { envelope, reason, via });
    }

    /// Reports an envelope that arrived, with its ordering verdict.
    pub fn received(&self, envelope: Envelope<B>, via: Via) {
        let order = self.note_order(&envelope);
        self.emit(Event::Received { envelope, via, order });
    }

    /// Checks an upkeep envelope's numbering (a ping, a pong): silent while in order, reported —
    /// and so logged, flagged — when it shows a gap or a repeat. Upkeep uses up numbers too, so a
    /// message lost just before a ping would otherwise go unseen.
    pub fn note_upkeep(&self, envelope: Envelope<B>, via: Via) {
        let order = self.note_order(&envelope);
        if order.problem().is_some() {
            self.emit(Event::Received { envelope, via, order });
        }
    }

    /// Checks an envelope's numbering without reporting it (upkeep still uses up numbers).
    pub fn note_order(&self, envelope: &Envelope<B>) -> Order {
        match &self.order {
            Some(check) => check.borrow_mut().check(&envelope.from, envelope.seq),
            None => Order::InOrder,
        }
    }

    /// Forgets a sender that left: if it comes back, its numbering is a new baseline.
    pub fn forget_sender(&self, id: &SenderId) {
        if let Some(check) = &self.order {
            check.borrow_mut().forget(id);
        }
    }

    /// Removes every listener and timer; false if already stopped. The one running now, if any,
    /// finishes first.
    pub fn stop(&self) -> bool {
        if self.stopped.replace(true) {
            return false;
        }
        let listeners = std::mem::take(&mut *self.listeners.borrow_mut());
        let timers = std::mem::take(&mut *self.timers.borrow_mut());
        drop((listeners, timers));
        let hooks = std::mem::take(&mut *self.on_stop.borrow_mut());
        hooks.into_iter().for_each(|release| release());
        true
    }

    /// Runs `release` when the core stops, however it stops (closed, failed, dropped).
    pub fn on_stop(&self, release: impl FnOnce() + 'static) {
        self.on_stop.borrow_mut().push(Box::new(release));
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped.get()
    }

    /// Stops and reports why.
    pub fn fail(&self, reason: String) {
        self.stop();
        self.set_state(LinkState::Failed(reason));
    }
}
