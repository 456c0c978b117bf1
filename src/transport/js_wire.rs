//! Envelopes read with the browser's own `JSON.parse` and written with its `JSON.stringify`; the
//! typed judging of the parsed object is `crosstalk_protocol::parsed`, tested natively against
//! serde_json's decoder on the same inputs.
//!
//! The workers speak only this: serde_json would cost a worker about 29 KB gzip of its 20 KB
//! budget, and the engine's parser is faster than one compiled to wasm. The wire text itself
//! never crosses into wasm: it is parsed where it arrived, and only the fields cross.

use crosstalk_protocol::parsed::{decode_parsed, emit_envelope, Emitter, Parsed, ParsedBody};
use crosstalk_protocol::{preview, DecodeError, EncodeError, Envelope, Incoming, MAX_ENVELOPE_BYTES};
use js_sys::{Array, JsString, Object, Reflect};
use wasm_bindgen::prelude::*;

use super::core::{describe_js, js_error_text};

#[wasm_bindgen]
extern "C" {
    /// `JSON.parse` of a string that stays a JS string (js-sys's takes a `&str`: a copy each way).
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn parse_json(text: &JsString) -> Result<JsValue, JsValue>;
}

/// A value `JSON.parse` made.
pub struct JsParsed(JsValue);

impl Parsed for JsParsed {
    fn get(&self, name: &str) -> Option<JsParsed> {
        let object = self.0.dyn_ref::<Object>()?;
        let name = JsValue::from_str(name);
        // Own fields only: nothing a prototype carries can stand in for a missing one.
        if !Object::has_own(object, &name) {
            return None;
        }
        Reflect::get(object, &name).ok().filter(|v| !v.is_undefined()).map(JsParsed)
    }

    fn is_object(&self) -> bool {
        self.0.is_object() && !Array::is_array(&self.0)
    }

    fn is_null(&self) -> bool {
        self.0.is_null()
    }

    fn as_str(&self) -> Option<String> {
        self.0.as_string()
    }

    fn as_num(&self) -> Option<f64> {
        self.0.as_f64()
    }

    fn describe(&self) -> String {
        if Array::is_array(&self.0) {
            return "an array".into();
        }
        if self.0.is_object() {
            return "an object".into();
        }
        js_sys::JSON::stringify(&self.0)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_else(|| describe_js(&self.0))
    }
}

/// Builds the object `JSON.stringify` writes: the envelope's fields, then its `body`.
struct JsEmitter {
    root: Object,
    target: Object,
}

impl JsEmitter {
    fn put(&self, name: &str, value: &JsValue) {
        let _ = Reflect::set(&self.target, &JsValue::from_str(name), value);
    }
}

impl Emitter for JsEmitter {
    fn str(&mut self, name: &str, value: &str) {
        self.put(name, &JsValue::from_str(value));
    }

    fn num(&mut self, name: &str, value: f64) {
        self.put(name, &JsValue::from_f64(value));
    }

    fn null(&mut self, name: &str) {
        self.put(name, &JsValue::NULL);
    }

    fn begin_body(&mut self) {
        let body = Object::new();
        let _ = Reflect::set(&self.root, &JsValue::from_str("body"), &body);
        self.target = body;
    }
}

/// The UTF-8 length of `text` when it may be over `MAX_ENVELOPE_BYTES`, else `None`: a UTF-16
/// unit is one to three bytes, so only a string over a third of the limit needs counting.
fn bytes_if_large(text: &JsString) -> Option<usize> {
    let units = text.length() as usize;
    if units > MAX_ENVELOPE_BYTES {
        return Some(units);
    }
    (units * 3 > MAX_ENVELOPE_BYTES).then(|| String::from(text).len())
}

/// Reads what a transport delivered: size-checked, parsed by the browser, then judged field by
/// field into a typed envelope, or refused with the reason.
pub fn read_js<B: ParsedBody>(data: &JsValue) -> Result<Envelope<B>, DecodeError> {
    let Some(text) = data.dyn_ref::<JsString>() else {
        return Err(DecodeError::NotText { got: describe_js(data) });
    };
    if let Some(bytes) = bytes_if_large(text).filter(|b| *b > MAX_ENVELOPE_BYTES) {
        return Err(DecodeError::TooLarge { bytes, limit: MAX_ENVELOPE_BYTES });
    }
    let value = parse_json(text).map_err(|e| DecodeError::NotJson(js_error_text(&e)))?;
    decode_parsed(&JsParsed(value))
}

/// Writes an envelope as wire text, refusing what a receiver would refuse.
pub fn write_js<B: ParsedBody>(envelope: &Envelope<B>) -> Result<JsString, EncodeError> {
    let root = Object::new();
    let mut out = JsEmitter { target: root.clone(), root };
    emit_envelope(envelope, &mut out);
    let text = js_sys::JSON::stringify(&out.root).map_err(|e| EncodeError::Serialize(js_error_text(&e)))?;
    match bytes_if_large(&text).filter(|b| *b > MAX_ENVELOPE_BYTES) {
        Some(bytes) => Err(EncodeError::TooLarge { bytes, limit: MAX_ENVELOPE_BYTES }),
        None => Ok(text),
    }
}

/// What a transport delivered, read by [`read_js`] when a service asks.
pub struct JsIncoming<'a>(pub &'a JsValue);

impl<B: ParsedBody> Incoming<B> for JsIncoming<'_> {
    fn decode(&self) -> Result<Envelope<B>, DecodeError> {
        read_js(self.0)
    }

    fn preview(&self, max_chars: usize) -> String {
        // Only a refusal asks, so only a refused text is copied into wasm.
        self.0.as_string().map(|text| preview(&text, max_chars)).unwrap_or_default()
    }
}
