//! The dedicated worker of the Atomics route. Started by `static/atomics_worker_loader.js`.
//!
//! It says `ready`, takes the one message the page ever posts it — a `SharedArrayBuffer` — says
//! `attached`, and from then on never returns to its event loop: it blocks in `Atomics.wait` on
//! the ring's request counter, answers each request in its slot, counts the reply and wakes the
//! page with `Atomics.notify`. No message crosses by `postMessage` after the buffer. The ring's
//! layout and its checks are `crosstalk_protocol::atomics`; Rust reaches the buffer through
//! js-sys on stable Rust, with no wasm threads: this module's own memory is not shared.

use crosstalk_glue::clock::{now_ms, random};
use crosstalk_glue::js_wire::write_js;
use crosstalk_protocol::atomics::{
    self as ring, check_buffer, payload_len, payload_offset, payload_text, refusal_text, reply_to,
    AtomicsMsg, SlotState, REPLIES, REQUESTS, STOP,
};
use crosstalk_protocol::{Sender, SenderId};
use gloo::events::EventListener;
use js_sys::{Atomics, Int32Array, SharedArrayBuffer, Uint8Array};
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

fn main() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let sender = std::rc::Rc::new(std::cell::RefCell::new(Sender::new(SenderId::new("worker", random))));
    let post_scope = scope.clone();
    let post = move |body: AtomicsMsg| {
        let envelope = sender.borrow_mut().envelope(body, now_ms());
        if let Ok(wire) = write_js(&envelope) {
            let _ = post_scope.post_message(&wire);
        }
    };
    let listener_post = post.clone();
    EventListener::new(&scope, "message", move |event| {
        let Some(event) = event.dyn_ref::<MessageEvent>() else { return };
        let Some(buffer) = event.data().dyn_into::<SharedArrayBuffer>().ok() else {
            return listener_post(AtomicsMsg::Refused { why: "not a SharedArrayBuffer".into() });
        };
        if let Err(why) = check_buffer(buffer.byte_length()) {
            return listener_post(AtomicsMsg::Refused { why });
        }
        listener_post(AtomicsMsg::Attached { bytes: buffer.byte_length(), slots: ring::SLOTS });
        serve(&buffer);
    })
    .forget();
    post(AtomicsMsg::Ready);
}

// lesson: atomics
/// Answers requests until the page sets STOP: blocked in `Atomics.wait` between them.
fn serve(buffer: &SharedArrayBuffer) {
    let (ints, bytes) = (Int32Array::new(buffer), Uint8Array::new(buffer));
    let mut answered: u32 = 0;
    loop {
        let written = Atomics::load(&ints, REQUESTS).unwrap_or(0) as u32;
        if Atomics::load(&ints, STOP).unwrap_or(1) != 0 {
            return;
        }
        if written == answered {
            // Sleeps until the page's notify (or returns at once if the counter moved already).
            let _ = Atomics::wait(&ints, REQUESTS, answered as i32);
            continue;
        }
        while answered != written {
            answer(&ints, &bytes, ring::slot_of(answered));
            answered = answered.wrapping_add(1);
            let _ = Atomics::add(&ints, REPLIES, 1);
            let _ = Atomics::notify(&ints, REPLIES);
        }
    }
}

/// Reads the request in `slot` — its length checked before a byte is read — and writes the reply
/// (or why it was refused) in its place.
fn answer(ints: &Int32Array, bytes: &Uint8Array, slot: u32) {
    let claimed = Atomics::load(ints, ring::len_index(slot)).unwrap_or(-1);
    let read = payload_len(slot, claimed).and_then(|len| {
        let start = payload_offset(slot);
        payload_text(slot, &bytes.subarray(start, start + len).to_vec())
    });
    let (state, text) = match read {
        Ok(text) => (SlotState::Reply, reply_to(&text)),
        Err(reason) => (SlotState::Refused, refusal_text(&reason)),
    };
    write(ints, bytes, slot, state, &text);
}
// lesson end

fn write(ints: &Int32Array, bytes: &Uint8Array, slot: u32, state: SlotState, text: &str) {
    let start = payload_offset(slot);
    bytes.subarray(start, start + text.len() as u32).copy_from(text.as_bytes());
    let _ = Atomics::store(ints, ring::len_index(slot), text.len() as i32);
    let _ = Atomics::store(ints, ring::state_index(slot), state.code());
}
