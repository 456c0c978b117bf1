//! The wire, for the app and the workers alike: envelopes read with the browser's own
//! `JSON.parse` where they arrived, and written once. The typed judging of the parsed object is
//! `crosstalk_protocol::parsed`, tested natively against serde_json's decoder on the same inputs.
//!
//! Why not serde_json: it copies every message's whole text into wasm and the reply's back out,
//! which cost more than the browser's delivery of a 10 KB message (the README's "Where the time
//! goes"), and a worker about 29 KB gzip of its 20 KB budget. Incoming text is parsed where it
//! arrived and only the fields crosstalk judges cross into wasm; a message's free text stays a
//! JS string (`Payload`); outgoing text is written in wasm (`crosstalk_protocol::json_text`) and
//! crosses once, a long payload spliced in by `JSON.stringify`. [`Wire::Cloned`] sends the
//! envelope as an object instead, for `/bench`'s switch.

use crosstalk_protocol::json_text::JsonText;
use crosstalk_protocol::parsed::{decode_parsed, emit_envelope, Emitter, Parsed, ParsedBody};
use crosstalk_protocol::{DecodeError, EncodeError, Envelope, Incoming, Payload, MAX_ENVELOPE_BYTES};
use std::cell::RefCell;

use js_sys::{Array, JsString, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::js_value::describe_js;

#[wasm_bindgen]
extern "C" {
    /// `JSON.parse` of a string that stays a JS string (js-sys's takes a `&str`: a copy each way).
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn parse_json(text: &JsString) -> Result<JsValue, JsValue>;

    /// A `TextEncoder` whose `encodeInto` takes a string that stays a JS string (web-sys's takes
    /// a `&str`: a copy into JS first).
    #[wasm_bindgen(js_name = TextEncoder)]
    type Encoder;
    #[wasm_bindgen(constructor, js_class = "TextEncoder")]
    fn new() -> Encoder;
    #[wasm_bindgen(method, js_class = "TextEncoder", js_name = encodeInto)]
    fn encode_into(this: &Encoder, text: &JsString, into: &Uint8Array) -> Encoded;

    /// What `encodeInto` did: UTF-16 units read, bytes written.
    type Encoded;
    #[wasm_bindgen(method, getter)]
    fn read(this: &Encoded) -> u32;
    #[wasm_bindgen(method, getter)]
    fn written(this: &Encoded) -> u32;
}

thread_local! {
    /// Field names as JS strings, made once: a Rust string crosses into JS through a
    /// `TextDecoder`, which would otherwise run for every field of every message.
    static NAMES: RefCell<Vec<(&'static str, JsValue)>> = const { RefCell::new(Vec::new()) };
}

/// `name` as a JS string, from the cache (the names are the few literals the bodies declare).
fn js_name(name: &'static str) -> JsValue {
    NAMES.with(|names| {
        let mut names = names.borrow_mut();
        if let Some((_, js)) = names.iter().find(|(known, _)| std::ptr::eq(*known, name)) {
            return js.clone();
        }
        let js = JsValue::from_str(name);
        names.push((name, js.clone()));
        js
    })
}

/// A value `JSON.parse` made.
pub struct JsParsed(JsValue);

impl Parsed for JsParsed {
    fn get(&self, name: &'static str) -> Option<JsParsed> {
        // No own-property check: `JSON.parse` makes plain objects, and no field name crosstalk
        // reads (`v`, `kind`, `body`, `text`, `key`, …) is a property of `Object.prototype`.
        // `Reflect.get` throws on a primitive: that is `Err`, so `None`.
        Reflect::get(&self.0, &js_name(name)).ok().filter(|v| !v.is_undefined()).map(JsParsed)
    }

    fn is_object(&self) -> bool {
        self.0.is_object() && !Array::is_array(&self.0)
    }

    fn is_null(&self) -> bool {
        self.0.is_null()
    }

    fn as_str(&self) -> Option<String> {
        // Bounded before the copy: a cloned object's strings were never size-checked as text.
        self.0.dyn_ref::<JsString>().filter(|text| within_limit(text)).map(String::from)
    }

    fn as_num(&self) -> Option<f64> {
        self.0.as_f64()
    }

    fn as_bool(&self) -> Option<bool> {
        self.0.as_bool()
    }

    fn items(&self) -> Option<Vec<JsParsed>> {
        // In text, an item takes two bytes at least: no more are read from a cloned object either.
        let array = self.0.dyn_ref::<Array>().filter(|a| a.length() as usize <= MAX_ENVELOPE_BYTES / 2)?;
        Some(array.iter().map(JsParsed).collect())
    }

    fn as_payload(&self) -> Option<Payload> {
        // The string stays in JavaScript: an echo hands it on, the log copies a preview.
        self.0.dyn_ref::<JsString>().filter(|text| within_limit(text)).map(held)
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

thread_local! {
    /// The browser's UTF-8 encoder and room for one byte over the limit: where a long string is
    /// measured (in JavaScript, never copied into wasm).
    static MEASURE: (Encoder, Uint8Array) =
        (Encoder::new(), Uint8Array::new_with_length(MAX_ENVELOPE_BYTES as u32 + 1));
}

/// The UTF-8 length of `text` when it may be over `MAX_ENVELOPE_BYTES`, else `None` — exact up to
/// one byte over the limit, a lower bound beyond. A UTF-16 unit is one to three bytes, so only a
/// string over a third of the limit needs measuring; the browser's encoder does it natively,
/// into room made the first time it is needed (about 1 µs a KB in Chromium).
fn bytes_if_large(text: &JsString) -> Option<usize> {
    let units = text.length() as usize;
    if units * 3 <= MAX_ENVELOPE_BYTES {
        return None;
    }
    if units > MAX_ENVELOPE_BYTES {
        return Some(units);
    }
    MEASURE.with(|(encoder, room)| {
        let encoded = encoder.encode_into(text, room);
        let (read, written) = (encoded.read() as usize, encoded.written() as usize);
        // Whatever did not fit is at least a byte a unit, and did not fit in the room left.
        Some(if read < units { (written + units - read).max(MAX_ENVELOPE_BYTES + 1) } else { written })
    })
}

/// A string no longer than a whole envelope may be (a UTF-16 unit is at least a byte).
fn within_limit(text: &JsString) -> bool {
    text.length() as usize <= MAX_ENVELOPE_BYTES
}

/// How an envelope crosses: as JSON text (every mechanism can carry it, and it is what a stranger
/// most often sends), or as the object itself, copied by the browser's structured clone (where
/// the mechanism carries objects: ports, BroadcastChannel, postMessage, workers). Text costs a
/// `JSON.stringify` and a `JSON.parse`; an object costs the clone of every field, and a class
/// instance, a function or a DOM node cannot be cloned at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Wire {
    #[default]
    Text,
    Cloned,
}

impl Wire {
    /// The form a message came in, to answer it in kind: text if it is a string, else cloned.
    pub fn of(data: &JsValue) -> Wire {
        if data.is_string() {
            Wire::Text
        } else {
            Wire::Cloned
        }
    }
}

/// Reads what arrived either way: text as [`read_js`] does; an object — when `cloned` objects
/// are taken — field by field where it is, each string bounded before it is copied.
pub fn read_any<B: ParsedBody>(data: &JsValue, cloned: bool) -> Result<Envelope<B>, DecodeError> {
    if cloned && !data.is_string() && data.is_object() {
        return decode_parsed(&JsParsed(data.clone()));
    }
    read_js(data)
}

/// Writes an envelope as [`write_js`] does, or as a plain object the browser clones.
pub fn write_any<B: ParsedBody>(envelope: &Envelope<B>, wire: Wire) -> Result<JsValue, EncodeError> {
    match wire {
        Wire::Text => write_js(envelope).map(JsValue::from),
        Wire::Cloned => Ok(write_object(envelope)),
    }
}

/// An envelope as a plain object, field by field, its payloads the JS strings they are.
pub fn write_object<B: ParsedBody>(envelope: &Envelope<B>) -> JsValue {
    let mut out = ObjectEmitter { open: vec![(js_sys::Object::new().into(), false)] };
    emit_envelope(envelope, &mut out);
    out.open.into_iter().next().map(|(root, _)| root).unwrap_or(JsValue::NULL)
}

/// Builds nested JS objects and arrays: the innermost open one last, and whether it is an array.
struct ObjectEmitter {
    open: Vec<(JsValue, bool)>,
}

impl ObjectEmitter {
    fn put(&mut self, name: &'static str, value: JsValue) {
        let Some((target, array)) = self.open.last() else { return };
        if *array {
            target.unchecked_ref::<Array>().push(&value);
        } else {
            let _ = Reflect::set(target, &js_name(name), &value);
        }
    }
}

impl Emitter for ObjectEmitter {
    fn str(&mut self, name: &'static str, value: &str) {
        self.put(name, JsValue::from_str(value));
    }
    fn num(&mut self, name: &'static str, value: f64) {
        self.put(name, if value.is_finite() { JsValue::from_f64(value) } else { JsValue::NULL });
    }
    fn int(&mut self, name: &'static str, value: u64) {
        self.put(name, JsValue::from_f64(value as f64));
    }
    fn bool(&mut self, name: &'static str, value: bool) {
        self.put(name, JsValue::from_bool(value));
    }
    fn null(&mut self, name: &'static str) {
        self.put(name, JsValue::NULL);
    }
    fn begin_object(&mut self, name: &'static str) {
        let object: JsValue = js_sys::Object::new().into();
        self.put(name, object.clone());
        self.open.push((object, false));
    }
    fn begin_array(&mut self, name: &'static str) {
        let array: JsValue = Array::new().into();
        self.put(name, array.clone());
        self.open.push((array, true));
    }
    fn end(&mut self) {
        if self.open.len() > 1 {
            self.open.pop();
        }
    }
    fn payload(&mut self, name: &'static str, value: &Payload) {
        self.put(name, as_js(value).into());
    }
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
    let value = parse_json(text).map_err(|e| DecodeError::NotJson(syntax_error_text(&e)))?;
    decode_parsed(&JsParsed(value))
}

/// What `JSON.parse` said. It throws a `SyntaxError` and nothing else (there is no reviver), so
/// this reads only an Error's message: `js_error_text`'s DOMException case would cost a worker
/// bindings it never uses.
fn syntax_error_text(error: &JsValue) -> String {
    error.dyn_ref::<js_sys::Error>().map_or_else(|| "not JSON".to_owned(), |e| String::from(e.message()))
}

/// Appends a finite number as the browser writes it (the shortest text that reads back the same).
fn js_float(value: f64, out: &mut String) {
    match js_sys::Number::from(value).to_string_with_radix(10) {
        Ok(text) => out.push_str(&String::from(text)),
        Err(_) => out.push_str("null"),
    }
}

/// Writes an envelope as wire text, refusing what a receiver would refuse. The text is built in
/// wasm and crosses into JavaScript once; a payload held in JavaScript never enters wasm: the
/// browser's `JSON.stringify` writes it, and the pieces are joined there.
pub fn write_js<B: ParsedBody>(envelope: &Envelope<B>) -> Result<JsString, EncodeError> {
    let mut out = JsonText::new(js_float);
    emit_envelope(envelope, &mut out);
    let (text, holes) = out.finish_around();
    if holes.is_empty() {
        if text.len() > MAX_ENVELOPE_BYTES {
            return Err(EncodeError::TooLarge { bytes: text.len(), limit: MAX_ENVELOPE_BYTES });
        }
        return Ok(JsValue::from_str(&text).unchecked_into());
    }
    let mut joined = JsString::from("");
    let mut from = 0;
    for (at, payload) in holes {
        joined = joined.concat(&JsValue::from_str(text.get(from..at).unwrap_or_default()));
        let quoted = js_sys::JSON::stringify(&as_js(&payload)).unwrap_or_else(|_| JsString::from("\"\""));
        joined = joined.concat(&quoted);
        from = at;
    }
    let joined = joined.concat(&JsValue::from_str(text.get(from..).unwrap_or_default()));
    match bytes_if_large(&joined) {
        Some(bytes) if bytes > MAX_ENVELOPE_BYTES => {
            Err(EncodeError::TooLarge { bytes, limit: MAX_ENVELOPE_BYTES })
        }
        _ => Ok(joined),
    }
}

/// A JS string as a payload, left where it is. (The app's native test build has no JS strings to
/// keep: there it is copied, and never runs.)
pub fn held(text: &JsString) -> Payload {
    #[cfg(target_arch = "wasm32")]
    return Payload::from_js(text.clone());
    #[cfg(not(target_arch = "wasm32"))]
    return Payload::from(String::from(text));
}

/// A payload as a JS string: the very one it came as, if it came from JavaScript.
pub fn as_js(payload: &Payload) -> JsString {
    #[cfg(target_arch = "wasm32")]
    return payload.to_js();
    #[cfg(not(target_arch = "wasm32"))]
    return JsString::from(&*payload.to_text());
}

/// The first `max_chars` characters of what arrived, for a refusal (only the start is copied).
pub fn preview_js(data: &JsValue, max_chars: usize) -> String {
    data.dyn_ref::<JsString>().map(|text| held(text).preview(max_chars)).unwrap_or_default()
}

/// What a transport delivered, read by [`read_js`] when a service asks.
pub struct JsIncoming<'a>(pub &'a JsValue);

impl<B: ParsedBody> Incoming<B> for JsIncoming<'_> {
    /// Text, or an object cloned by the browser: a worker answers each sender in its own form.
    fn decode(&self) -> Result<Envelope<B>, DecodeError> {
        read_any(self.0, true)
    }

    fn preview(&self, max_chars: usize) -> String {
        // Only a refusal asks, so only a refused text's start is copied into wasm.
        preview_js(self.0, max_chars)
    }
}
