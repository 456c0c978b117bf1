//! The page's side of the SharedWorker route: one port to the origin's single shared store.
//!
//! Every tab creates `new SharedWorker(SHARED_STORE_URL, {name})` with the same absolute URL and
//! name, which is what makes the browser hand them all the *same* worker (a blob URL would give
//! each tab its own). The tab says `hello`, is `connected` when the worker says `welcome`, answers
//! the worker's pings, and says `goodbye` on `pagehide` and when dropped.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo::events::EventListener;
use gloo::timers::callback::Timeout;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{ErrorEvent, EventTarget, MessageEvent, MessagePort, SharedWorker, WorkerOptions};

use super::{js_error_text, wire_text};
use crate::clock::{now_ms, random};
use crate::protocol::shared_store::{check_set, StoreMsg};
use crate::protocol::{decode, DecodeError, Envelope, Sender, SenderId};

/// Where the shared store's loader is served. Absolute and stable: one URL, one shared worker.
pub const SHARED_STORE_URL: &str = "/shared_store_loader.js";
/// The worker's name; tabs must agree on it as on the URL.
pub const SHARED_STORE_NAME: &str = "crosstalk-shared-store";
/// How long the worker may take to say `welcome`.
pub const CONNECT_TIMEOUT_MS: u32 = 10_000;

#[derive(Debug, Clone, PartialEq)]
pub enum StoreState {
    Connecting,
    Connected,
    /// This browser has no SharedWorker.
    Unsupported,
    Failed(String),
}

impl StoreState {
    /// The route's `data-state` value.
    pub fn as_attr(&self) -> &'static str {
        match self {
            StoreState::Connecting => "connecting",
            StoreState::Connected => "connected",
            StoreState::Unsupported => "unsupported",
            StoreState::Failed(_) => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum StoreEvent {
    State(StoreState),
    Sent(Envelope<StoreMsg>),
    /// Raw text that is not an envelope (fault injection).
    SentRaw(String),
    /// Everything from the worker but pings, which are answered without a word.
    Received(Envelope<StoreMsg>),
    Rejected {
        raw: String,
        error: DecodeError,
    },
}

/// Whether this context has `SharedWorker` (feature detection on the global, never the user agent).
pub fn shared_worker_supported(global: &JsValue) -> bool {
    js_sys::Reflect::get(global, &"SharedWorker".into()).is_ok_and(|v| v.is_function())
}

/// A connection to the shared store. Dropping it says goodbye and closes the port.
pub struct SharedStoreClient {
    inner: Rc<Inner>,
}

struct Inner {
    port: Option<MessagePort>,
    sender: RefCell<Sender>,
    state: RefCell<StoreState>,
    on_event: Box<dyn Fn(StoreEvent)>,
    listeners: RefCell<Vec<EventListener>>,
    timeout: RefCell<Option<Timeout>>,
}

impl SharedStoreClient {
    /// Connects to the shared worker at `url` (state `unsupported` where there is none).
    pub fn connect(url: &str, on_event: impl Fn(StoreEvent) + 'static) -> SharedStoreClient {
        if !shared_worker_supported(&js_sys::global()) {
            return Self::without_port(StoreState::Unsupported, Box::new(on_event));
        }
        let options = WorkerOptions::new();
        options.set_name(SHARED_STORE_NAME);
        match SharedWorker::new_with_worker_options(url, &options) {
            Ok(worker) => Self::attach(worker.port(), Some(worker.into()), Box::new(on_event)),
            Err(e) => {
                let reason = format!("could not create the shared worker: {}", js_error_text(&e));
                Self::without_port(StoreState::Failed(reason), Box::new(on_event))
            }
        }
    }

    /// Speaks the store protocol over any port: the shared worker's, or one end of a
    /// MessageChannel whose other end a test drives.
    pub fn over_port(port: MessagePort, on_event: impl Fn(StoreEvent) + 'static) -> SharedStoreClient {
        Self::attach(port, None, Box::new(on_event))
    }

    fn without_port(state: StoreState, on_event: Box<dyn Fn(StoreEvent)>) -> SharedStoreClient {
        let inner = Rc::new(Inner::new(None, state.clone(), on_event));
        inner.emit(StoreEvent::State(state));
        SharedStoreClient { inner }
    }

    /// Listens on `port` (and for load errors on `worker`), says hello, and waits for welcome.
    fn attach(
        port: MessagePort,
        worker: Option<EventTarget>,
        on_event: Box<dyn Fn(StoreEvent)>,
    ) -> SharedStoreClient {
        let inner = Rc::new(Inner::new(Some(port.clone()), StoreState::Connecting, on_event));
        let weak = Rc::downgrade(&inner);
        let on_message = EventListener::new(&port, "message", move |event| {
            if let (Some(inner), Some(event)) = (weak.upgrade(), event.dyn_ref::<MessageEvent>()) {
                inner.on_message(event);
            }
        });
        let mut listeners = vec![on_message];
        if let Some(worker) = worker {
            let weak = Rc::downgrade(&inner);
            listeners.push(EventListener::new(&worker, "error", move |event| {
                if let Some(inner) = weak.upgrade() {
                    let reason = match event.dyn_ref::<ErrorEvent>().map(|e| e.message()) {
                        Some(message) if !message.is_empty() => {
                            format!("the shared worker failed: {message}")
                        }
                        _ => "the shared worker script could not be loaded (missing file or a network error)"
                            .into(),
                    };
                    inner.fail(reason);
                }
            }));
        }
        if let Some(window) = web_sys::window() {
            let weak = Rc::downgrade(&inner);
            // The worker cannot see a port close: tell it when this page goes away.
            listeners.push(EventListener::new(&window, "pagehide", move |_| {
                if let Some(inner) = weak.upgrade() {
                    inner.post_quietly(StoreMsg::Goodbye);
                }
            }));
        }
        *inner.listeners.borrow_mut() = listeners;
        port.start();

        let weak: Weak<Inner> = Rc::downgrade(&inner);
        *inner.timeout.borrow_mut() = Some(Timeout::new(CONNECT_TIMEOUT_MS, move || {
            if let Some(inner) = weak.upgrade() {
                if *inner.state.borrow() == StoreState::Connecting {
                    inner.fail(format!(
                        "the shared worker did not answer within {} s",
                        CONNECT_TIMEOUT_MS / 1000
                    ));
                }
            }
        }));
        inner.emit(StoreEvent::State(StoreState::Connecting));
        if let Err(reason) = inner.post(StoreMsg::Hello) {
            inner.fail(reason);
        }
        SharedStoreClient { inner }
    }

    pub fn state(&self) -> StoreState {
        self.inner.state.borrow().clone()
    }

    pub fn sender_id(&self) -> SenderId {
        self.inner.sender.borrow().id.clone()
    }

    /// Stores `value` under `key` for every tab. Refused here already when too large.
    pub fn set(&self, key: &str, value: &str) -> Result<(), String> {
        check_set(key, value)?;
        self.inner.post_when_connected(StoreMsg::Set { key: key.to_owned(), value: value.to_owned() })
    }

    /// Asks for the value under `key`; the answer arrives as a `value` message.
    pub fn get(&self, key: &str) -> Result<(), String> {
        self.inner.post_when_connected(StoreMsg::Get { key: key.to_owned() })
    }

    /// Sends raw text that is not an envelope, to show the worker refusing it (fault injection).
    pub fn send_raw(&self, text: &str) -> Result<(), String> {
        let port = self.inner.connected_port()?;
        port.post_message(&JsValue::from_str(text)).map_err(|e| js_error_text(&e))?;
        self.inner.emit(StoreEvent::SentRaw(text.to_owned()));
        Ok(())
    }
}

impl Drop for SharedStoreClient {
    fn drop(&mut self) {
        self.inner.post_quietly(StoreMsg::Goodbye);
        self.inner.stop();
    }
}

impl Inner {
    fn new(port: Option<MessagePort>, state: StoreState, on_event: Box<dyn Fn(StoreEvent)>) -> Inner {
        Inner {
            port,
            sender: RefCell::new(Sender::new(SenderId::new("tab", random))),
            state: RefCell::new(state),
            on_event,
            listeners: RefCell::new(Vec::new()),
            timeout: RefCell::new(None),
        }
    }

    fn emit(&self, event: StoreEvent) {
        (self.on_event)(event);
    }

    fn set_state(&self, state: StoreState) {
        *self.state.borrow_mut() = state.clone();
        self.emit(StoreEvent::State(state));
    }

    fn stop(&self) {
        self.timeout.borrow_mut().take();
        self.listeners.borrow_mut().clear();
        if let Some(port) = &self.port {
            port.close();
        }
    }

    fn fail(&self, reason: String) {
        self.stop();
        self.set_state(StoreState::Failed(reason));
    }

    fn connected_port(&self) -> Result<MessagePort, String> {
        match (&*self.state.borrow(), &self.port) {
            (StoreState::Connected, Some(port)) => Ok(port.clone()),
            (StoreState::Connecting, _) => Err("still connecting to the shared worker".into()),
            (StoreState::Unsupported, _) => Err("this browser has no SharedWorker".into()),
            (StoreState::Failed(reason), _) => Err(format!("not connected: {reason}")),
            (StoreState::Connected, None) => Err("no port".into()),
        }
    }

    fn post_when_connected(&self, body: StoreMsg) -> Result<(), String> {
        self.connected_port()?;
        self.post(body)
    }

    /// Encodes, posts and reports one envelope.
    fn post(&self, body: StoreMsg) -> Result<(), String> {
        let port = self.port.as_ref().ok_or("no port")?;
        let envelope = self.sender.borrow_mut().envelope(body, now_ms());
        let wire = envelope.encode().map_err(|e| e.to_string())?;
        port.post_message(&JsValue::from_str(&wire)).map_err(|e| js_error_text(&e))?;
        self.emit(StoreEvent::Sent(envelope));
        Ok(())
    }

    /// Posts without reporting (pongs, goodbyes while the page goes away).
    fn post_quietly(&self, body: StoreMsg) {
        if let Some(port) = &self.port {
            let envelope = self.sender.borrow_mut().envelope(body, now_ms());
            if let Ok(wire) = envelope.encode() {
                let _ = port.post_message(&JsValue::from_str(&wire));
            }
        }
    }

    fn on_message(&self, event: &MessageEvent) {
        let raw = wire_text(&event.data());
        match raw.clone().and_then(|text| decode::<StoreMsg>(&text)) {
            Ok(Envelope { body: StoreMsg::Ping, .. }) => self.post_quietly(StoreMsg::Pong),
            Ok(envelope) => {
                let welcome = matches!(envelope.body, StoreMsg::Welcome { .. });
                self.emit(StoreEvent::Received(envelope));
                if welcome && *self.state.borrow() == StoreState::Connecting {
                    self.timeout.borrow_mut().take();
                    self.set_state(StoreState::Connected);
                }
            }
            Err(error) => self.emit(StoreEvent::Rejected { raw: raw.unwrap_or_default(), error }),
        }
    }
}
