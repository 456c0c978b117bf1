//! The SharedWorker of the SharedWorker route: one key/value store for every tab of the origin.
//! Started by `static/shared_store_loader.js`; the logic is `crosstalk_protocol::shared_store::SharedStore`.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use crosstalk_glue::clock::{now_ms, random};
use crosstalk_glue::js_wire::{write_any, write_js, JsIncoming, Wire};
use crosstalk_glue::worker_tap::{Seen, WorkerTap};
use crosstalk_protocol::roster::peer_timeout_from_query;
use crosstalk_protocol::shared_store::StoreMsg;
use crosstalk_protocol::shared_store::{Outgoing, PortId, SharedStore, PING_INTERVAL_MS, TAB_TIMEOUT_MS};
use crosstalk_protocol::{Body, DecodeError, Envelope, Incoming};
use crosstalk_protocol::{Sender, SenderId};
use gloo::events::EventListener;
use gloo::timers::callback::Interval;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageEvent, MessagePort, SharedWorkerGlobalScope};

struct Worker {
    store: RefCell<SharedStore>,
    /// Its end of the inspector's side channel: what it handles, while an inspector watches.
    tap: Option<WorkerTap>,
    /// Every port ever connected and not said goodbye; the roster is the store's business.
    ports: RefCell<BTreeMap<PortId, (MessagePort, EventListener)>>,
    next_port: Cell<PortId>,
}

impl Worker {
    // lesson: shared-worker
    fn on_connect(self: &Rc<Self>, event: &MessageEvent) {
        let Ok(port) = event.ports().get(0).dyn_into::<MessagePort>() else { return };
        let id = self.next_port.get();
        self.next_port.set(id + 1);
        let worker = Rc::clone(self);
        let listener = EventListener::new(&port, "message", move |event| {
            if let Some(event) = event.dyn_ref::<MessageEvent>() {
                let data = event.data();
                // A tab that sends cloned objects is answered in kind (the benchmark's switch).
                let wire = Wire::of(&data);
                let incoming = Noted { incoming: JsIncoming(&data), tap: worker.tap.as_ref(), port: id };
                let out = worker.store.borrow_mut().receive(id, incoming, now_ms());
                worker.dispatch_answering(out, Some((id, wire)));
                worker.forget_departed(id);
            }
        });
        port.start();
        self.ports.borrow_mut().insert(id, (port, listener));
        let out = self.store.borrow_mut().connect(id, now_ms());
        self.dispatch(out);
        // Refused for want of room: told why (above), then closed.
        self.forget_departed(id);
    }
    // lesson end

    /// Closes a port whose tab said goodbye (the store no longer lists it).
    fn forget_departed(&self, id: PortId) {
        if self.store.borrow().ports().any(|p| p == id) {
            return;
        }
        if let Some((port, _listener)) = self.ports.borrow_mut().remove(&id) {
            port.close();
        }
    }

    fn dispatch(&self, out: Vec<Outgoing>) {
        self.dispatch_answering(out, None);
    }

    /// Sends what the store decided; a reply to `answering`'s port goes in that port's form.
    fn dispatch_answering(&self, out: Vec<Outgoing>, answering: Option<(PortId, Wire)>) {
        let store = self.store.borrow();
        let ports = self.ports.borrow();
        let post = |id: PortId, wire: &JsValue| {
            if let Some((port, _)) = ports.get(&id) {
                let _ = port.post_message(wire);
            }
        };
        for outgoing in out {
            if let Some(tap) = self.tap.as_ref().filter(|t| t.watched()) {
                say_sent(tap, &outgoing);
            }
            let (except, envelope) = match outgoing {
                // The common case — a reply to one tab — walks no roster and collects nothing.
                Outgoing::To(id, envelope) => {
                    let form = answering.filter(|(to, _)| *to == id).map_or(Wire::Text, |(_, form)| form);
                    if let Ok(wire) = write_any(&envelope, form) {
                        post(id, &wire);
                    }
                    continue;
                }
                Outgoing::Others { except, envelope } => (Some(except), envelope),
                Outgoing::All(envelope) => (None, envelope),
            };
            // One JS string for every port: written once, not once per tab.
            let Ok(wire) = write_js(&envelope) else { continue };
            store.ports().filter(|p| Some(*p) != except).for_each(|id| post(id, &wire));
        }
    }
}

fn main() {
    let scope: SharedWorkerGlobalScope = js_sys::global().unchecked_into();
    // `?peer-timeout-ms=…` in the loader's URL (a QA hook the page passes on) lengthens the expiry.
    let timeout_ms = peer_timeout_from_query(&scope.location().search()).unwrap_or(TAB_TIMEOUT_MS);
    let id = SenderId::new("shared", random);
    let worker = Rc::new(Worker {
        tap: WorkerTap::open("/shared-worker", id.clone()),
        store: RefCell::new(SharedStore::with_timeout(Sender::new(id), timeout_ms)),
        ports: RefCell::new(BTreeMap::new()),
        next_port: Cell::new(1),
    });

    // lesson: shared-worker
    // Implementation note — the first-connect race. The first tab's `connect` event fires while
    // this wasm is still loading, so the loader queued it. Taking over `onconnect` and draining
    // that queue happen in this one synchronous block: no event can fall between the two.
    let on_connect = {
        let worker = Rc::clone(&worker);
        Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| worker.on_connect(&event))
    };
    scope.set_onconnect(Some(on_connect.as_ref().unchecked_ref()));
    on_connect.forget();
    for event in take_queued_connects(&scope) {
        worker.on_connect(&event);
    }
    // lesson end

    let ticking = Rc::clone(&worker);
    Interval::new(PING_INTERVAL_MS, move || {
        let out = ticking.store.borrow_mut().tick(now_ms());
        ticking.dispatch(out);
    })
    .forget();
}

/// The `connect` events the loader queued before Rust was ready.
fn take_queued_connects(scope: &SharedWorkerGlobalScope) -> Vec<MessageEvent> {
    let take = js_sys::Reflect::get(scope, &"crosstalkTakeQueuedConnects".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let Some(queued) = take.and_then(|take| take.call0(scope).ok()) else { return Vec::new() };
    js_sys::Array::from(&queued).iter().filter_map(|e| e.dyn_into::<MessageEvent>().ok()).collect()
}

/// What a port delivered, said to the inspector as the store reads it (pings and pongs excepted:
/// upkeep).
struct Noted<'a> {
    incoming: JsIncoming<'a>,
    tap: Option<&'a WorkerTap>,
    port: PortId,
}

impl Incoming<StoreMsg> for Noted<'_> {
    fn decode(&self) -> Result<Envelope<StoreMsg>, DecodeError> {
        let decoded: Result<Envelope<StoreMsg>, DecodeError> = self.incoming.decode();
        if let Some(tap) = self.tap.filter(|t| t.watched()) {
            let payload = format!("port {}", self.port);
            match &decoded {
                Ok(e) if matches!(e.body, StoreMsg::Ping | StoreMsg::Pong) => {}
                Ok(e) => tap.seen(Seen {
                    dir: "in",
                    kind: e.body.kind(),
                    seq: Some(e.seq),
                    from: Some(&e.from.0),
                    code: None,
                    payload: &payload,
                }),
                Err(error) => tap.seen(Seen {
                    dir: "in",
                    kind: "?",
                    seq: None,
                    from: None,
                    code: Some(error.reason().code),
                    payload: &payload,
                }),
            }
        }
        decoded
    }

    fn preview(&self, max_chars: usize) -> String {
        <JsIncoming<'_> as Incoming<StoreMsg>>::preview(&self.incoming, max_chars)
    }
}

/// Says one envelope the store sends, and to whom (pings and pongs excepted: upkeep).
fn say_sent(tap: &WorkerTap, outgoing: &Outgoing) {
    let (envelope, to) = match outgoing {
        Outgoing::To(port, envelope) => (envelope, format!("to port {port}")),
        Outgoing::Others { except, envelope } => (envelope, format!("to every port but {except}")),
        Outgoing::All(envelope) => (envelope, "to every port".to_owned()),
    };
    let code = match &envelope.body {
        StoreMsg::Ping | StoreMsg::Pong => return,
        StoreMsg::Rejected { code, .. } => Some(*code),
        _ => None,
    };
    tap.seen(Seen {
        dir: "out",
        kind: envelope.body.kind(),
        seq: Some(envelope.seq),
        from: None,
        code,
        payload: &to,
    });
}
