//! The page's side of the Worker port route: a dedicated worker and a MessageChannel whose
//! `port2` is transferred into it.
//!
//! Implementation note — the readiness race. A wasm worker starts asynchronously: its script
//! loads, then the wasm module is fetched and instantiated, and only then does Rust install its
//! `message` handler. A message posted right after `new Worker(..)` (the seed's
//! `worker.postMessage("init", [port2])`) reaches the worker before that handler exists and is
//! dropped, and the port in it is lost with it. So the page posts nothing until the worker says
//! `ready` — which the worker only does after its handler is in place — and only then creates
//! the channel and transfers `port2`. The route counts as ready when the worker's greeting has
//! arrived over the port: that proves the whole path works.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::{Rc, Weak};

use gloo::events::EventListener;
use gloo::timers::callback::Timeout;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{ErrorEvent, MessageChannel, MessageEvent, MessagePort, Worker, WorkerOptions, WorkerType};

use super::{js_error_text, wire_text};
use crate::clock::{now_ms, random};
use crate::protocol::worker_port::WorkerPortMsg;
use crate::protocol::{decode, DecodeError, Envelope, Sender, SenderId};

/// Where the echo worker's loader is served (absolute: a relative URL breaks under nested routes).
pub const ECHO_WORKER_URL: &str = "/echo_worker_loader.js";

/// How long a worker may take to say `ready` before the page gives up on it.
pub const READY_TIMEOUT_MS: u32 = 10_000;

#[derive(Debug, Clone, PartialEq)]
pub enum PortState {
    /// The worker is loading, or the port is being handed over.
    Loading,
    /// The worker greeted over the port; messages can flow.
    Ready,
    /// The page terminated the worker.
    Terminated,
    /// The worker failed to load, crashed, or never said ready.
    Failed(String),
}

impl PortState {
    /// The route's `data-state` value.
    pub fn as_attr(&self) -> &'static str {
        match self {
            PortState::Loading => "loading",
            PortState::Ready => "ready",
            PortState::Terminated => "terminated",
            PortState::Failed(_) => "error",
        }
    }
}

/// Where a message went or came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// `worker.postMessage` / the worker's own `message` event: only the handshake uses it.
    Worker,
    /// The MessageChannel.
    Port,
}

#[derive(Debug, Clone, PartialEq)]
pub enum WorkerPortEvent {
    State(PortState),
    Sent {
        channel: Channel,
        envelope: Envelope<WorkerPortMsg>,
    },
    /// Also sent, but raw text that is not an envelope (fault injection).
    SentRaw {
        text: String,
    },
    Received {
        channel: Channel,
        envelope: Envelope<WorkerPortMsg>,
    },
    Rejected {
        channel: Channel,
        raw: String,
        error: DecodeError,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum SendError {
    NotReady(PortState),
    Encode(String),
    Post(String),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::NotReady(PortState::Loading) => f.write_str("the worker is still starting"),
            SendError::NotReady(PortState::Terminated) => {
                f.write_str("the worker is terminated; restart it first")
            }
            SendError::NotReady(PortState::Failed(_)) => f.write_str("the worker failed; restart it first"),
            SendError::NotReady(PortState::Ready) => f.write_str("not ready"),
            SendError::Encode(e) => write!(f, "cannot encode: {e}"),
            SendError::Post(e) => write!(f, "postMessage failed: {e}"),
        }
    }
}

/// A running dedicated worker with a transferred port. Dropping it terminates the worker.
pub struct WorkerPort {
    inner: Rc<Inner>,
}

struct Inner {
    worker: Worker,
    port: RefCell<Option<MessagePort>>,
    state: RefCell<PortState>,
    sender: RefCell<Sender>,
    on_event: Box<dyn Fn(WorkerPortEvent)>,
    listeners: RefCell<Vec<EventListener>>,
    ready_timeout: RefCell<Option<Timeout>>,
    stopped: Cell<bool>,
}

impl WorkerPort {
    /// Starts the worker at `url` and hands it a port once it says ready. Events (state changes,
    /// every message both ways, rejections) go to `on_event`.
    pub fn spawn(url: &str, on_event: impl Fn(WorkerPortEvent) + 'static) -> Result<Self, String> {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Classic);
        options.set_name("crosstalk echo worker");
        let worker = Worker::new_with_options(url, &options).map_err(|e| js_error_text(&e))?;
        let inner = Rc::new(Inner {
            worker,
            port: RefCell::new(None),
            state: RefCell::new(PortState::Loading),
            sender: RefCell::new(Sender::new(SenderId::new("tab", random))),
            on_event: Box::new(on_event),
            listeners: RefCell::new(Vec::new()),
            ready_timeout: RefCell::new(None),
            stopped: Cell::new(false),
        });

        let weak = Rc::downgrade(&inner);
        let on_message = EventListener::new(&inner.worker, "message", move |event| {
            if let (Some(inner), Some(event)) = (weak.upgrade(), event.dyn_ref::<MessageEvent>()) {
                inner.on_worker_message(&weak, event);
            }
        });
        let weak = Rc::downgrade(&inner);
        let on_error = EventListener::new(&inner.worker, "error", move |event| {
            if let Some(inner) = weak.upgrade() {
                let reason = match event.dyn_ref::<ErrorEvent>().map(|e| e.message()) {
                    Some(message) if !message.is_empty() => format!("the worker failed: {message}"),
                    _ => "the worker script could not be loaded (missing file or a network error)".into(),
                };
                inner.fail(reason);
            }
        });
        let weak = Rc::downgrade(&inner);
        let on_message_error = EventListener::new(&inner.worker, "messageerror", move |_| {
            if let Some(inner) = weak.upgrade() {
                inner.emit(WorkerPortEvent::Rejected {
                    channel: Channel::Worker,
                    raw: String::new(),
                    error: DecodeError::NotText { got: "a message that could not be deserialised".into() },
                });
            }
        });
        inner.listeners.borrow_mut().extend([on_message, on_error, on_message_error]);

        let weak = Rc::downgrade(&inner);
        let timeout = Timeout::new(READY_TIMEOUT_MS, move || {
            if let Some(inner) = weak.upgrade() {
                if *inner.state.borrow() == PortState::Loading {
                    inner.fail(format!(
                        "the worker did not say it was ready within {} s",
                        READY_TIMEOUT_MS / 1000
                    ));
                }
            }
        });
        *inner.ready_timeout.borrow_mut() = Some(timeout);
        inner.emit(WorkerPortEvent::State(PortState::Loading));
        Ok(WorkerPort { inner })
    }

    pub fn state(&self) -> PortState {
        self.inner.state.borrow().clone()
    }

    /// This page's sender id, as it appears in envelopes.
    pub fn sender_id(&self) -> SenderId {
        self.inner.sender.borrow().id.clone()
    }

    /// Sends text to the worker over the port.
    pub fn send(&self, text: &str) -> Result<(), SendError> {
        let port = self.inner.ready_port()?;
        let envelope =
            self.inner.sender.borrow_mut().envelope(WorkerPortMsg::Text { text: text.to_owned() }, now_ms());
        let wire = envelope.encode().map_err(|e| SendError::Encode(e.to_string()))?;
        port.post_message(&JsValue::from_str(&wire)).map_err(|e| SendError::Post(js_error_text(&e)))?;
        self.inner.emit(WorkerPortEvent::Sent { channel: Channel::Port, envelope });
        Ok(())
    }

    /// Sends raw text that is not an envelope, to show the worker refusing it (fault injection).
    pub fn send_raw(&self, text: &str) -> Result<(), SendError> {
        let port = self.inner.ready_port()?;
        port.post_message(&JsValue::from_str(text)).map_err(|e| SendError::Post(js_error_text(&e)))?;
        self.inner.emit(WorkerPortEvent::SentRaw { text: text.to_owned() });
        Ok(())
    }

    /// Terminates the worker and closes the port. Sending is refused afterwards.
    pub fn terminate(&self) {
        if self.inner.stop() {
            self.inner.set_state(PortState::Terminated);
        }
    }
}

impl Drop for WorkerPort {
    fn drop(&mut self) {
        self.inner.stop();
    }
}

impl Inner {
    fn emit(&self, event: WorkerPortEvent) {
        (self.on_event)(event);
    }

    fn set_state(&self, state: PortState) {
        *self.state.borrow_mut() = state.clone();
        self.emit(WorkerPortEvent::State(state));
    }

    fn ready_port(&self) -> Result<MessagePort, SendError> {
        let state = self.state.borrow().clone();
        match (&state, self.port.borrow().as_ref()) {
            (PortState::Ready, Some(port)) => Ok(port.clone()),
            _ => Err(SendError::NotReady(state)),
        }
    }

    /// Stops the worker and every listener; false if it was already stopped.
    fn stop(&self) -> bool {
        if self.stopped.replace(true) {
            return false;
        }
        self.worker.terminate();
        if let Some(port) = self.port.borrow_mut().take() {
            port.close();
        }
        self.ready_timeout.borrow_mut().take();
        // Dropping the listeners removes them; the one running now (if any) finishes first.
        let listeners = std::mem::take(&mut *self.listeners.borrow_mut());
        drop(listeners);
        true
    }

    fn fail(&self, reason: String) {
        if self.stop() {
            self.set_state(PortState::Failed(reason));
        }
    }

    fn on_worker_message(&self, weak: &Weak<Inner>, event: &MessageEvent) {
        let raw = wire_text(&event.data());
        match raw.clone().and_then(|text| decode::<WorkerPortMsg>(&text)) {
            Ok(envelope) => {
                let is_ready = envelope.body == WorkerPortMsg::Ready;
                self.emit(WorkerPortEvent::Received { channel: Channel::Worker, envelope });
                if is_ready && self.port.borrow().is_none() {
                    if let Err(reason) = self.connect(weak) {
                        self.fail(reason);
                    }
                }
            }
            Err(error) => self.emit(WorkerPortEvent::Rejected {
                channel: Channel::Worker,
                raw: raw.unwrap_or_default(),
                error,
            }),
        }
    }

    /// Creates the channel, listens on `port1`, and transfers `port2` to the worker.
    fn connect(&self, weak: &Weak<Inner>) -> Result<(), String> {
        let channel = MessageChannel::new().map_err(|e| js_error_text(&e))?;
        let port1 = channel.port1();
        let weak_port = weak.clone();
        let on_port = EventListener::new(&port1, "message", move |event| {
            if let (Some(inner), Some(event)) = (weak_port.upgrade(), event.dyn_ref::<MessageEvent>()) {
                inner.on_port_message(event);
            }
        });
        // addEventListener (unlike assigning onmessage) leaves a MessagePort's queue closed.
        port1.start();
        self.listeners.borrow_mut().push(on_port);
        *self.port.borrow_mut() = Some(port1);

        let envelope = self.sender.borrow_mut().envelope(WorkerPortMsg::Connect, now_ms());
        let wire = envelope.encode().map_err(|e| e.to_string())?;
        let transfer = js_sys::Array::of1(&channel.port2());
        self.worker
            .post_message_with_transfer(&JsValue::from_str(&wire), &transfer)
            .map_err(|e| format!("could not transfer the port: {}", js_error_text(&e)))?;
        self.emit(WorkerPortEvent::Sent { channel: Channel::Worker, envelope });
        Ok(())
    }

    fn on_port_message(&self, event: &MessageEvent) {
        let raw = wire_text(&event.data());
        match raw.clone().and_then(|text| decode::<WorkerPortMsg>(&text)) {
            Ok(envelope) => {
                let greeting = matches!(envelope.body, WorkerPortMsg::Greeting { .. });
                self.emit(WorkerPortEvent::Received { channel: Channel::Port, envelope });
                if greeting && *self.state.borrow() == PortState::Loading {
                    self.ready_timeout.borrow_mut().take();
                    self.set_state(PortState::Ready);
                }
            }
            Err(error) => self.emit(WorkerPortEvent::Rejected {
                channel: Channel::Port,
                raw: raw.unwrap_or_default(),
                error,
            }),
        }
    }
}
