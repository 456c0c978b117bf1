//! The dedicated worker of the Worker port route. Started by `static/echo_worker_loader.js`.
//!
//! It listens on itself for `connect` (which carries the page's `port2`), greets over the port,
//! and echoes every message it gets there. The logic is `crosstalk_protocol::worker_port::EchoService`.

use std::cell::RefCell;
use std::rc::Rc;

use crosstalk_glue::clock::{now_ms, random};
use crosstalk_glue::js_wire::{write_any, write_js, JsIncoming, Wire};
use crosstalk_protocol::worker_port::{EchoService, WorkerPortMsg};
use crosstalk_protocol::{Envelope, Sender, SenderId};
use gloo::events::EventListener;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent, MessagePort};

fn main() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let service = Rc::new(RefCell::new(EchoService::new(Sender::new(SenderId::new("worker", random)))));
    // The current port and its listener; a second `connect` replaces both.
    let port: Rc<RefCell<Option<(MessagePort, EventListener)>>> = Rc::new(RefCell::new(None));

    let worker_scope = scope.clone();
    let handler_service = service.clone();
    // Implementation note: this listener is installed before `ready` is posted below, and the
    // page posts nothing before `ready`, so no message can arrive while nobody listens.
    EventListener::new(&scope, "message", move |event| {
        let Some(event) = event.dyn_ref::<MessageEvent>() else { return };
        let transferred = event.ports().get(0).dyn_into::<MessagePort>().ok();
        let service = &handler_service;
        let verdict = service.borrow_mut().on_worker_message(
            JsIncoming(&event.data()),
            transferred.is_some(),
            now_ms(),
        );
        match (verdict, transferred) {
            (Ok(()), Some(new_port)) => {
                let listener = listen_on_port(&new_port, service.clone());
                new_port.start();
                if let Some((old, _)) = port.replace(Some((new_port.clone(), listener))) {
                    old.close();
                }
                let greeting = service.borrow_mut().greeting(now_ms());
                post(&new_port, &greeting, Wire::Text);
            }
            (Ok(()), None) => {}
            (Err(refusal), _) => {
                if let Ok(wire) = write_js(&refusal) {
                    let _ = worker_scope.post_message(&wire);
                }
            }
        }
    })
    .forget();

    let ready = service.borrow_mut().ready(now_ms());
    if let Ok(wire) = write_js(&ready) {
        let _ = scope.post_message(&wire);
    }
}

// lesson: worker-port
fn listen_on_port(port: &MessagePort, service: Rc<RefCell<EchoService>>) -> EventListener {
    let reply_port = port.clone();
    EventListener::new(port, "message", move |event| {
        let Some(event) = event.dyn_ref::<MessageEvent>() else { return };
        let data = event.data();
        let reply = service.borrow_mut().on_port_message(JsIncoming(&data), now_ms());
        // Answered in the form it came in: text, or an object the browser cloned.
        let form = Wire::of(&data);
        post(&reply_port, &reply, form);
    })
}
// lesson end

fn post(port: &MessagePort, envelope: &Envelope<WorkerPortMsg>, form: Wire) {
    if let Ok(wire) = write_any(envelope, form) {
        let _ = port.post_message(&wire);
    }
}
