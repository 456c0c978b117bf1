//! `window.postMessage` made from a shallow stack. In Chromium a window's `postMessage` costs more
//! the deeper the wasm stack beneath the call: measured here, 10 µs with no wasm frame under it, 23
//! µs under 50 and 66 µs under 200 (a `MessagePort`'s, a `BroadcastChannel`'s and
//! `localStorage.setItem` do not change). A page answers a message from deep inside its handler, so
//! crosstalk's posts cost three times plain JS's: 24 µs against 8 in `/bench`'s trace.
//!
//! So a post is queued and made from one microtask, which runs with an empty stack as soon as the
//! current callback returns: before any other task, timer or message, and in the order queued.
//! What `postMessage` could throw is ruled out before queueing: the target origin is exact
//! ([`super::window_message::TargetOrigin`]) and an envelope sent as an object is plain data.

use std::cell::{Cell, RefCell};

use js_sys::JsString;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Window;

#[wasm_bindgen]
extern "C" {
    /// The global `queueMicrotask`: no lookup of the window (an `instanceof`) on every post.
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask(callback: &JsValue);

    /// A window, as far as posting to it goes.
    #[wasm_bindgen(js_name = Window)]
    type Postable;
    /// `postMessage` with the target origin a JS string kept from one post to the next
    /// (web-sys's takes a `&str`, copied out of wasm through a `TextDecoder` every time).
    #[wasm_bindgen(method, catch, js_name = postMessage)]
    fn post_message_to(this: &Postable, message: &JsValue, target_origin: &JsString) -> Result<(), JsValue>;
}

/// The most posts waiting at once: a page that posts more within one callback has a bug, and
/// memory must not grow with it. Beyond this, a post is made at once, from where it was asked.
const MAX_QUEUED: usize = 4096;

struct Queued {
    target: Window,
    data: JsValue,
    origin: JsString,
}

thread_local! {
    static QUEUE: RefCell<Vec<Queued>> = const { RefCell::new(Vec::new()) };
    static SCHEDULED: Cell<bool> = const { Cell::new(false) };
    /// The microtask, made once: it drains the queue.
    static DRAIN: Closure<dyn FnMut()> = Closure::new(drain);
}

/// Posts `data` to `target` for a document of `origin`, at the end of the current callback.
pub fn post(target: &Window, data: &JsValue, origin: &JsString) -> Result<(), JsValue> {
    if QUEUE.with(|queue| queue.borrow().len() >= MAX_QUEUED) {
        return post_now(target, data, origin);
    }
    QUEUE.with(|queue| {
        queue.borrow_mut().push(Queued { target: target.clone(), data: data.clone(), origin: origin.clone() })
    });
    if !SCHEDULED.with(|s| s.replace(true)) {
        DRAIN.with(|drain| queue_microtask(drain.as_ref()));
    }
    Ok(())
}

fn post_now(target: &Window, data: &JsValue, origin: &JsString) -> Result<(), JsValue> {
    target.unchecked_ref::<Postable>().post_message_to(data, origin)
}

fn drain() {
    SCHEDULED.with(|s| s.set(false));
    let queued = QUEUE.with(|queue| std::mem::take(&mut *queue.borrow_mut()));
    for Queued { target, data, origin } in queued {
        if let Err(error) = post_now(&target, &data, &origin) {
            // Ruled out before queueing; should it happen, it is said where a developer looks.
            web_sys::console::error_2(&"crosstalk: a queued postMessage failed".into(), &error);
        }
    }
}
