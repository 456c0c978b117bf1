//! The Worker port adapter: a dedicated worker and a `MessageChannel` whose `port2` is
//! transferred into it.
//!
//! Implementation note — the readiness race. A wasm worker starts asynchronously: its script
//! loads, then the wasm module is fetched and instantiated, and only then does Rust install its
//! `message` handler. A message posted right after `new Worker(..)` (the seed's
//! `worker.postMessage("init", [port2])`) reaches the worker before that handler exists and is
//! dropped, and the port in it is lost with it. So the page posts nothing until the worker says
//! `ready` — which the worker only does after its handler is in place — and only then creates
//! the channel and transfers `port2`. The transport is ready when the worker's greeting has
//! arrived over the port: that proves the whole path works.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use crosstalk_protocol::worker_port::WorkerPortMsg;
use crosstalk_protocol::{DecodeError, Payload, Reason, ReasonCode, SenderId};
use web_sys::{MessageChannel, MessageEvent, Worker, WorkerOptions, WorkerType};

use super::core::{error_message, js_error_text, Core, Event, LinkState, Via};
use super::port::{PortLink, VIA_PORT};

/// Where the echo worker's loader is served (absolute: a relative URL breaks under nested routes).
pub const ECHO_WORKER_URL: &str = "/echo_worker_loader.js";
/// How long a worker may take to say `ready` before the page gives up on it.
pub const READY_TIMEOUT_MS: u32 = 10_000;
/// Messages on the worker itself (the handshake), as opposed to over the port.
pub const VIA_WORKER: Via = "worker";

pub type WorkerPortEvent = Event<WorkerPortMsg>;

/// A running dedicated worker with a transferred port. Dropping it terminates the worker.
pub struct WorkerPortLink {
    inner: Rc<Inner>,
}

struct Inner {
    core: Rc<Core<WorkerPortMsg>>,
    worker: Worker,
    port: RefCell<Option<PortLink<WorkerPortMsg>>>,
}

impl WorkerPortLink {
    /// Starts the worker at `url` and hands it a port once it says ready.
    pub fn spawn(url: &str, sink: impl Fn(WorkerPortEvent) + 'static) -> Result<Self, String> {
        Self::spawn_within(url, READY_TIMEOUT_MS, sink)
    }

    /// The same, giving up unless the worker is ready (greeted over the port) within `ready_ms`.
    pub fn spawn_within(
        url: &str,
        ready_ms: u32,
        sink: impl Fn(WorkerPortEvent) + 'static,
    ) -> Result<Self, String> {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Classic);
        options.set_name("crosstalk echo worker");
        let worker = Worker::new_with_options(url, &options).map_err(|e| js_error_text(&e))?;
        let core = Core::new(Core::<WorkerPortMsg>::own_sender("tab"), LinkState::Connecting, sink);
        let inner =
            Rc::new(Inner { core: Rc::clone(&core), worker: worker.clone(), port: RefCell::default() });
        let weak = Rc::downgrade(&inner);
        core.on_stop({
            let weak = weak.clone();
            move || {
                worker.terminate();
                if let Some(inner) = weak.upgrade() {
                    inner.port.borrow_mut().take();
                }
            }
        });
        core.listen::<MessageEvent>(&inner.worker, "message", move |core, event| {
            let Some(envelope) = core.read(&event.data(), VIA_WORKER) else { return };
            let is_ready = envelope.body == WorkerPortMsg::Ready;
            core.received(envelope, VIA_WORKER);
            if is_ready {
                Inner::connect(&weak);
            }
        });
        core.listen::<web_sys::Event>(&inner.worker, "error", |core, event| {
            let reason = match error_message(event) {
                Some(message) => format!("the worker failed: {message}"),
                None => "the worker script could not be loaded (missing file or a network error)".into(),
            };
            core.fail(reason);
        });
        core.listen::<MessageEvent>(&inner.worker, "messageerror", |core, _| {
            let error = DecodeError::NotText { got: "a message that could not be deserialised".into() };
            core.reject(String::new(), error, VIA_WORKER);
        });
        core.ready_within(ready_ms, "the worker did not say it was ready");
        Ok(WorkerPortLink { inner })
    }

    /// Sends envelopes as text or as cloned objects from now on (the benchmark's switch).
    pub fn set_wire(&self, wire: super::js_wire::Wire) {
        self.inner.core.set_wire(wire);
    }

    pub fn state(&self) -> LinkState {
        self.inner.core.state()
    }

    /// This page's sender id, as it appears in envelopes.
    pub fn sender_id(&self) -> SenderId {
        self.inner.core.sender_id()
    }

    /// Sends text to the worker over the port.
    pub fn send(&self, text: impl Into<Payload>) -> Result<(), Reason> {
        let text = text.into();
        self.with_port(|port| port.send(WorkerPortMsg::Text { text: text.clone() }))
    }

    /// Sends raw text that is not an envelope, to show the worker refusing it (fault injection).
    pub fn send_raw(&self, text: &str) -> Result<(), Reason> {
        self.with_port(|port| port.send_raw(text))
    }

    fn with_port(
        &self,
        send: impl FnOnce(&PortLink<WorkerPortMsg>) -> Result<(), Reason>,
    ) -> Result<(), Reason> {
        self.inner.core.ready_or(not_ready_words)?;
        match self.inner.port.borrow().as_ref() {
            Some(port) => send(port),
            None => Err(Reason::new(ReasonCode::NotReady, "the port is not handed over yet")),
        }
    }

    /// Terminates the worker and closes the port. Sending is refused afterwards.
    pub fn terminate(&self) {
        if self.inner.core.stop() {
            self.inner.core.set_state(LinkState::Closed);
        }
    }
}

impl Drop for WorkerPortLink {
    fn drop(&mut self) {
        self.inner.core.stop();
    }
}

/// Why sending is refused in each state, in the route's words.
pub fn not_ready_words(state: &LinkState) -> String {
    match state {
        LinkState::Connecting => "the worker is still starting".into(),
        LinkState::Closed => "the worker is terminated; restart it first".into(),
        LinkState::Failed(_) | LinkState::Unsupported => "the worker failed; restart it first".into(),
        LinkState::Ready => "not ready".into(),
    }
}

impl Inner {
    /// Creates the channel, listens on `port1`, and transfers `port2` to the worker.
    fn connect(weak: &Weak<Inner>) {
        let Some(inner) = weak.upgrade() else { return };
        if inner.port.borrow().is_some() {
            return;
        }
        // lesson: worker-port
        let channel = match MessageChannel::new() {
            Ok(channel) => channel,
            Err(e) => return inner.core.fail(format!("could not create a channel: {}", js_error_text(&e))),
        };
        let link = PortLink::attach(Rc::clone(&inner.core), channel.port1(), |core, _, envelope| {
            let greeting = matches!(envelope.body, WorkerPortMsg::Greeting { .. });
            core.received(envelope, VIA_PORT);
            if greeting && core.state() == LinkState::Connecting {
                core.set_state(LinkState::Ready);
            }
        });
        *inner.port.borrow_mut() = Some(link);
        let transfer = js_sys::Array::of1(&channel.port2());
        let sent = inner.core.send(WorkerPortMsg::Connect, VIA_WORKER, |text| {
            inner.worker.post_message_with_transfer(text, &transfer)
        });
        if let Err(reason) = sent {
            inner.core.fail(format!("could not transfer the port: {reason}"));
        }
        // lesson end
    }
}
