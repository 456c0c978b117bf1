//! Words for JS values that are not what was expected, for the reasons a refusal gives.

use wasm_bindgen::JsValue;

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
