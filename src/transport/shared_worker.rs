//! The SharedWorker adapter: one port to the origin's single shared store.
//!
//! Every tab creates `new SharedWorker(SHARED_STORE_URL, {name})` with the same absolute URL and
//! name, which is what makes the browser hand them all the *same* worker (a blob URL would give
//! each tab its own). The tab says `hello`, is ready when the worker says `welcome`, answers the
//! worker's pings, and says `goodbye` on `pagehide` and when dropped.

use std::cell::Cell;
use std::rc::Rc;

use crosstalk_protocol::shared_store::{check_set, StoreMsg, PING_INTERVAL_MS};
use crosstalk_protocol::{Payload, Reason, SenderId};
use wasm_bindgen::JsValue;
use web_sys::{EventTarget, MessagePort, SharedWorker, WorkerOptions};

use super::core::{error_message, js_error_text, Core, Event, LinkState};
use super::port::{post_on, PortLink, VIA_PORT};
use crate::clock::now_ms;

/// How long the worker, which pings every second, may stay silent before the client gives up on
/// it: two pings missed and a half.
pub const WORKER_SILENCE_MS: f64 = 2.5 * PING_INTERVAL_MS as f64;

/// Where the shared store's loader is served. Absolute and stable: one URL, one shared worker.
pub const SHARED_STORE_URL: &str = "/shared_store_loader.js";
/// The worker's name; tabs must agree on it as on the URL.
pub const SHARED_STORE_NAME: &str = "crosstalk-shared-store";
/// How long the worker may take to say `welcome`.
pub const CONNECT_TIMEOUT_MS: u32 = 10_000;

pub type StoreEvent = Event<StoreMsg>;

/// Whether this context has `SharedWorker` (feature detection on the global, never the user agent).
pub fn shared_worker_supported(global: &JsValue) -> bool {
    js_sys::Reflect::get(global, &"SharedWorker".into()).is_ok_and(|v| v.is_function())
}

/// A connection to the shared store. Dropping it says goodbye and closes the port.
pub struct SharedWorkerLink {
    core: Rc<Core<StoreMsg>>,
    port: Option<PortLink<StoreMsg>>,
}

impl SharedWorkerLink {
    /// Connects to the shared worker at `url` (state `Unsupported` where there is none).
    pub fn connect(url: &str, sink: impl Fn(StoreEvent) + 'static) -> SharedWorkerLink {
        let sender = Core::<StoreMsg>::own_sender("tab");
        if !shared_worker_supported(&js_sys::global()) {
            let core = Core::new(sender, LinkState::Unsupported, sink);
            return SharedWorkerLink { core, port: None };
        }
        // lesson: shared-worker
        let options = WorkerOptions::new();
        options.set_name(SHARED_STORE_NAME);
        match SharedWorker::new_with_worker_options(url, &options) {
            Ok(worker) => {
                let core = Core::new(sender, LinkState::Connecting, sink);
                Self::attach(core, worker.port(), Some(worker.into()), CONNECT_TIMEOUT_MS)
            }
            // lesson end
            Err(e) => {
                let reason = format!("could not create the shared worker: {}", js_error_text(&e));
                SharedWorkerLink { core: Core::new(sender, LinkState::Failed(reason), sink), port: None }
            }
        }
    }

    /// Speaks the store protocol over any port: the shared worker's, or one end of a
    /// MessageChannel whose other end a test drives.
    pub fn over_port(port: MessagePort, sink: impl Fn(StoreEvent) + 'static) -> SharedWorkerLink {
        Self::over_port_within(port, CONNECT_TIMEOUT_MS, sink)
    }

    /// The same, giving up unless the other end says `welcome` within `connect_ms`.
    pub fn over_port_within(
        port: MessagePort,
        connect_ms: u32,
        sink: impl Fn(StoreEvent) + 'static,
    ) -> SharedWorkerLink {
        let core = Core::new(Core::<StoreMsg>::own_sender("tab"), LinkState::Connecting, sink);
        Self::attach(core, port, None, connect_ms)
    }

    fn attach(
        core: Rc<Core<StoreMsg>>,
        port: MessagePort,
        worker: Option<EventTarget>,
        connect_ms: u32,
    ) -> SharedWorkerLink {
        // The worker pings every second; silence far longer than that means it is gone (a shared
        // worker can die with the renderer process that hosts it, e.g. when that tab crashes).
        let heard = Rc::new(Cell::new(now_ms()));
        let hearing = Rc::clone(&heard);
        core.every(PING_INTERVAL_MS, move |core| {
            if core.state() == LinkState::Ready && now_ms() - heard.get() > WORKER_SILENCE_MS {
                core.fail("the shared worker stopped answering (it may have gone with a crashed tab)".into());
            }
        });
        let link = PortLink::attach(Rc::clone(&core), port.clone(), move |core, port, envelope| {
            hearing.set(now_ms());
            match envelope.body {
                // The worker keeps time for every tab; a hidden tab still answers at once.
                StoreMsg::Ping => core.send_upkeep(StoreMsg::Pong, post_on(port)),
                StoreMsg::Welcome { .. } => {
                    core.received(envelope, VIA_PORT);
                    if core.state() == LinkState::Connecting {
                        core.set_state(LinkState::Ready);
                    }
                }
                _ => core.received(envelope, VIA_PORT),
            }
        });
        if let Some(worker) = worker {
            core.listen::<web_sys::Event>(&worker, "error", |core, event| {
                core.fail(match error_message(event) {
                    Some(message) => format!("the shared worker failed: {message}"),
                    None => "the shared worker script could not be loaded (missing file or a network error)"
                        .into(),
                });
            });
        }
        // The worker cannot see a port close: tell it when this page goes away.
        let goodbye_port = port;
        core.goodbye_on_pagehide(move |core| {
            let _ = core.send_quietly(StoreMsg::Goodbye, post_on(&goodbye_port));
        });
        core.ready_within(connect_ms, "the shared worker did not answer");
        if let Err(reason) = link.send(StoreMsg::Hello) {
            core.fail(reason.text);
        }
        SharedWorkerLink { core, port: Some(link) }
    }

    /// Sends envelopes as text or as cloned objects from now on (the benchmark's switch).
    pub fn set_wire(&self, wire: super::js_wire::Wire) {
        self.core.set_wire(wire);
    }

    pub fn state(&self) -> LinkState {
        self.core.state()
    }

    pub fn sender_id(&self) -> SenderId {
        self.core.sender_id()
    }

    /// Stores `value` under `key` for every tab. Refused here already when too large.
    pub fn set(&self, key: &str, value: &str) -> Result<(), Reason> {
        check_set(key, value)?;
        self.send(StoreMsg::Set { key: key.to_owned(), value: value.to_owned() })
    }

    /// Asks for the value under `key`; the answer arrives as a `value` message.
    pub fn get(&self, key: &str) -> Result<(), Reason> {
        self.send(StoreMsg::Get { key: key.to_owned() })
    }

    /// Asks the worker to send `text` straight back (the benchmark's round trip).
    pub fn echo(&self, text: impl Into<Payload>) -> Result<(), Reason> {
        self.send(StoreMsg::Echo { text: text.into() })
    }

    /// Sends raw text that is not an envelope, to show the worker refusing it (fault injection).
    pub fn send_raw(&self, text: &str) -> Result<(), Reason> {
        self.connected()?.send_raw(text)
    }

    fn send(&self, body: StoreMsg) -> Result<(), Reason> {
        self.connected()?.send(body)
    }

    fn connected(&self) -> Result<&PortLink<StoreMsg>, Reason> {
        self.core.ready_or(not_ready_words)?;
        self.port.as_ref().ok_or_else(|| Reason::new(crosstalk_protocol::ReasonCode::NotReady, "no port"))
    }
}

impl Drop for SharedWorkerLink {
    fn drop(&mut self) {
        if let Some(port) = &self.port {
            let _ = port.send_quietly(StoreMsg::Goodbye);
        }
        self.core.stop();
    }
}

/// Why sending is refused in each state, in the route's words.
pub fn not_ready_words(state: &LinkState) -> String {
    match state {
        LinkState::Connecting => "still connecting to the shared worker".into(),
        LinkState::Unsupported => "this browser has no SharedWorker".into(),
        LinkState::Failed(reason) => format!("not connected: {reason}"),
        LinkState::Closed => "not connected: closed".into(),
        LinkState::Ready => "not ready".into(),
    }
}
