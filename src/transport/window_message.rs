//! `window.postMessage` between a page and the frames it embeds (or its parent).
//!
//! Posting always names the exact target origin — never `"*"`, which would hand the message to
//! whatever document the target window holds now. Receiving reports the event's `origin`, whether
//! its `source` is the window we expect, and the data as wire text; judging is the caller's job.

use gloo::events::EventListener;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageEvent, Window};

use super::{js_error_text, wire_text};
use crate::protocol::DecodeError;

/// A window message as received.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowMessage {
    pub origin: String,
    /// Whether `event.source` is the window the caller expected (its frame, or its parent).
    pub from_expected: bool,
    pub data: Result<String, DecodeError>,
}

/// Listens for `message` on this window. `expected` gives the window the messages should come
/// from, at the time each one arrives (a frame's `contentWindow` changes as it is replaced).
pub fn listen(
    expected: impl Fn() -> Option<Window> + 'static,
    on_message: impl Fn(WindowMessage) + 'static,
) -> Option<EventListener> {
    let window = web_sys::window()?;
    Some(EventListener::new(&window, "message", move |event| {
        let Some(event) = event.dyn_ref::<MessageEvent>() else { return };
        let from_expected = match (event.source(), expected()) {
            (Some(source), Some(expected)) => js_sys::Object::is(&source, &expected),
            _ => false,
        };
        on_message(WindowMessage { origin: event.origin(), from_expected, data: wire_text(&event.data()) });
    }))
}

/// Posts wire text to `target`, delivered only if its document is of `target_origin`.
pub fn post(target: &Window, text: &str, target_origin: &str) -> Result<(), String> {
    debug_assert_ne!(target_origin, "*", "name the exact origin");
    target.post_message(&JsValue::from_str(text), target_origin).map_err(|e| js_error_text(&e))
}

/// This window's parent, if it is framed (`window.parent` is the window itself otherwise).
pub fn parent() -> Option<Window> {
    let window = web_sys::window()?;
    let parent = window.parent().ok().flatten()?;
    (!js_sys::Object::is(&parent, &window)).then_some(parent)
}
