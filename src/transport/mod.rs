//! Thin wrappers around the browser's messaging APIs. Each decodes what arrives into typed
//! envelopes (or a visible rejection) and reports through a plain callback, so it can be driven
//! from a wasm-bindgen test as well as from a page.

pub mod broadcast;
pub mod shared_worker;
pub mod storage;
pub mod window_message;
pub mod worker_port;

use wasm_bindgen::{JsCast, JsValue};

use crate::protocol::DecodeError;

/// The wire text of a message's `data`: envelopes travel as JSON strings, anything else is refused.
pub fn wire_text(data: &JsValue) -> Result<String, DecodeError> {
    data.as_string().ok_or_else(|| DecodeError::NotText { got: describe_js(data) })
}

/// A few words for a value that is not what we expected ("a number", "an object", "null").
pub fn describe_js(value: &JsValue) -> String {
    if value.is_null() {
        return "null".into();
    }
    if value.is_undefined() {
        return "nothing (undefined)".into();
    }
    let kind = value.js_typeof().as_string().unwrap_or_default();
    match kind.as_str() {
        "object" if js_sys::Array::is_array(value) => "an array".into(),
        "object" => "an object".into(),
        other => format!("a {other}"),
    }
}

/// The message of a thrown JS value (an Error's `message`, or the value itself as text).
pub fn js_error_text(value: &JsValue) -> String {
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}
