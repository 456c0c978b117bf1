//! The Service Worker of the Service Worker route: a relay between the window clients of the
//! origin. A tab posts a text; this forwards it, unchanged, to every other client `clients.matchAll`
//! finds and tells the sender whom it reached. Started by `static/sw.js`, which registered the
//! listeners in the script's first run and queued the messages that came before Rust.
//!
//! What it keeps in memory — the count of messages handled, its instance id — is gone whenever the
//! browser stops the idle worker: the next message starts a new instance, counting from 1.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crosstalk_glue::clock::{now_ms, random};
use crosstalk_glue::js_wire::{read_js, write_js};
use crosstalk_glue::worker_tap::{Seen, WorkerTap};
use crosstalk_protocol::service_worker::{version_of, SwMsg};
use crosstalk_protocol::{Body, Sender, SenderId};
use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Client, ClientQueryOptions, ClientType, ExtendableMessageEvent, ServiceWorkerGlobalScope};

struct Worker {
    scope: ServiceWorkerGlobalScope,
    sender: RefCell<Sender>,
    id: SenderId,
    version: u32,
    /// Messages this instance has handled: lost with the instance when the browser stops it.
    handled: Cell<u64>,
    tap: Option<WorkerTap>,
}

/// `promise.then(f)`, for a callback that runs once.
fn then(promise: &Promise, f: impl FnOnce(JsValue) + 'static) -> Promise {
    let f = Closure::once_into_js(f);
    let then = Reflect::get(promise, &"then".into()).ok().and_then(|t| t.dyn_into::<Function>().ok());
    then.and_then(|then| then.call1(promise, &f).ok())
        .and_then(|p| p.dyn_into().ok())
        .unwrap_or_else(|| Promise::resolve(&JsValue::UNDEFINED))
}

impl Worker {
    // lesson: service-worker
    fn on_message(self: &Rc<Self>, event: &ExtendableMessageEvent) {
        // Only a page (a window client) is answered; a message from anywhere else is not ours.
        let Some(source) = event.source().and_then(|s| s.dyn_into::<Client>().ok()) else { return };
        self.handled.set(self.handled.get() + 1);
        let data = event.data();
        let envelope = match read_js::<SwMsg>(&data) {
            Ok(envelope) => envelope,
            Err(error) => {
                self.note("in", "refused", None, None, &error.to_string());
                let code = error.code().as_str().to_owned();
                return self.reply(&source, SwMsg::Refused { code, why: error.to_string() });
            }
        };
        self.note("in", envelope.kind(), Some(envelope.seq), Some(&envelope.from.0), "");
        let worker = Rc::clone(self);
        // The browser may stop this worker once the event is handled: it waits for this promise.
        let done = match envelope.body {
            SwMsg::Hello => then(&self.windows(), move |found| {
                let clients = Array::from(&found).length();
                let (instance, version, handled) = (worker.id.clone(), worker.version, worker.handled.get());
                worker.reply(&source, SwMsg::Welcome { instance, version, handled, clients });
            }),
            SwMsg::Text { .. } => then(&self.windows(), move |found| {
                let clients = Array::from(&found);
                let mut to = 0;
                for client in clients.iter().filter_map(|c| c.dyn_into::<Client>().ok()) {
                    if client.id() != source.id() && client.post_message(&data).is_ok() {
                        to += 1;
                    }
                }
                let reply = SwMsg::Delivered {
                    reply_to: envelope.seq,
                    to,
                    clients: clients.length(),
                    handled: worker.handled.get(),
                    instance: worker.id.clone(),
                };
                worker.reply(&source, reply);
            }),
            // The benchmark's echo: straight back, nothing to wait for.
            SwMsg::Echo { text } => return self.reply(&source, SwMsg::Echo { text }),
            SwMsg::SkipWaiting => {
                self.scope.skip_waiting().unwrap_or_else(|_| Promise::resolve(&JsValue::NULL))
            }
            other => {
                let why = format!("a worker takes hello, text and skip-waiting, not {}", other.kind());
                self.reply(&source, SwMsg::Refused { code: "unexpected-kind".into(), why });
                return;
            }
        };
        let _ = event.wait_until(&done);
    }
    // lesson end

    /// Every window client of the origin, controlled by this worker or not (a shift-reloaded tab
    /// is not, and still hears).
    fn windows(&self) -> Promise {
        let options = ClientQueryOptions::new();
        options.set_include_uncontrolled(true);
        options.set_type(ClientType::Window);
        self.scope.clients().match_all_with_options(&options)
    }

    fn reply(&self, to: &Client, body: SwMsg) {
        let envelope = self.sender.borrow_mut().envelope(body, now_ms());
        if let Ok(wire) = write_js(&envelope) {
            self.note("out", envelope.kind(), Some(envelope.seq), None, &String::from(&wire));
            let _ = to.post_message(&wire);
        }
    }

    /// Tells an open inspector what passed through (its lane of its own).
    fn note(&self, dir: &'static str, kind: &str, seq: Option<u64>, from: Option<&str>, payload: &str) {
        if let Some(tap) = self.tap.as_ref().filter(|t| t.watched()) {
            tap.seen(Seen { dir, kind, seq, from, code: None, payload });
        }
    }
}

fn main() {
    let scope: ServiceWorkerGlobalScope = js_sys::global().unchecked_into();
    let id = SenderId::new("sw", random);
    let worker = Rc::new(Worker {
        version: version_of(&scope.location().search()),
        sender: RefCell::new(Sender::new(id.clone())),
        tap: WorkerTap::open("/service-worker", id.clone()),
        id,
        handled: Cell::new(0),
        scope: scope.clone(),
    });
    // lesson: service-worker
    // The loader registered `message` in the script's first run (a listener added later is never
    // called) and queued what came before this wasm. Taking over and draining the queue happen in
    // this one synchronous block: no message can fall between the two.
    let taking = Rc::clone(&worker);
    let on_message = Closure::<dyn Fn(ExtendableMessageEvent)>::new(move |e: ExtendableMessageEvent| {
        taking.on_message(&e)
    });
    let _ = Reflect::set(&scope, &"crosstalkOnMessage".into(), on_message.as_ref());
    on_message.forget();
    for event in take_queued(&scope) {
        worker.on_message(&event);
    }
    // lesson end
}

/// The messages the loader queued before Rust was ready.
fn take_queued(scope: &ServiceWorkerGlobalScope) -> Vec<ExtendableMessageEvent> {
    let take =
        Reflect::get(scope, &"crosstalkTakeQueued".into()).ok().and_then(|f| f.dyn_into::<Function>().ok());
    let Some(queued) = take.and_then(|take| take.call0(scope).ok()) else { return Vec::new() };
    Array::from(&queued).iter().filter_map(|e| e.dyn_into::<ExtendableMessageEvent>().ok()).collect()
}
