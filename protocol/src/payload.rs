//! A message's free text — a chat line, a stored value, the benchmark's filler — which crosstalk
//! carries and shows but never reads. In a browser it stays the JavaScript string that the
//! browser's `JSON.parse` made: an echo or a forward hands the same string on, and wasm copies
//! only what a reader is shown (a preview). Everywhere else, and for text made in Rust, it is a
//! shared Rust string.
//!
//! Why not a `String`: copying a 100 KB message into wasm memory and back out costs more than the
//! browser's whole delivery of it (docs/profiling.md).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Free text of a message; cheap to clone.
#[derive(Clone)]
pub struct Payload(Held);

#[derive(Clone)]
enum Held {
    Rust(Arc<str>),
    /// A JavaScript string, never copied into wasm whole.
    #[cfg(target_arch = "wasm32")]
    Js(js_sys::JsString),
}

impl Payload {
    /// The whole text, copied out of JavaScript if it is held there.
    pub fn to_text(&self) -> Cow<'_, str> {
        match &self.0 {
            Held::Rust(text) => Cow::Borrowed(text),
            #[cfg(target_arch = "wasm32")]
            Held::Js(text) => Cow::Owned(String::from(text)),
        }
    }

    /// At most `max_chars` characters of it, as the log shows them (see [`crate::preview`]);
    /// of a JavaScript string, only the start is copied.
    pub fn preview(&self, max_chars: usize) -> String {
        match &self.0 {
            Held::Rust(text) => crate::preview(text, max_chars),
            #[cfg(target_arch = "wasm32")]
            Held::Js(text) => {
                // A character is one or two UTF-16 units: this many units hold more than
                // `max_chars` characters whenever the text has more, so `preview` still marks the cut.
                let units = u32::try_from(max_chars.saturating_mul(2).saturating_add(2)).unwrap_or(u32::MAX);
                let start = if text.length() > units { text.slice(0, units) } else { text.clone() };
                crate::preview(&String::from(start), max_chars)
            }
        }
    }

    /// Its length without reading it: UTF-16 units of a JavaScript string, bytes of a Rust one.
    pub fn len_hint(&self) -> usize {
        match &self.0 {
            Held::Rust(text) => text.len(),
            #[cfg(target_arch = "wasm32")]
            Held::Js(text) => text.length() as usize,
        }
    }

    pub fn is_empty(&self) -> bool {
        match &self.0 {
            Held::Rust(text) => text.is_empty(),
            #[cfg(target_arch = "wasm32")]
            Held::Js(text) => text.length() == 0,
        }
    }

    /// Whether it is held in JavaScript (what the tests of the no-copy path ask).
    pub fn is_js(&self) -> bool {
        !matches!(self.0, Held::Rust(_))
    }

    /// Keeps a JavaScript string as it is.
    #[cfg(target_arch = "wasm32")]
    pub fn from_js(text: js_sys::JsString) -> Payload {
        Payload(Held::Js(text))
    }

    /// The text as a JavaScript string: the same one if it came from JavaScript.
    #[cfg(target_arch = "wasm32")]
    pub fn to_js(&self) -> js_sys::JsString {
        match &self.0 {
            Held::Rust(text) => js_sys::JsString::from(&**text),
            Held::Js(text) => text.clone(),
        }
    }
}

impl Default for Payload {
    fn default() -> Self {
        Payload::from("")
    }
}

impl From<&str> for Payload {
    fn from(text: &str) -> Self {
        Payload(Held::Rust(Arc::from(text)))
    }
}

impl From<String> for Payload {
    fn from(text: String) -> Self {
        Payload(Held::Rust(Arc::from(text)))
    }
}

impl From<&Payload> for Payload {
    fn from(text: &Payload) -> Self {
        text.clone()
    }
}

impl From<&String> for Payload {
    fn from(text: &String) -> Self {
        Payload::from(text.as_str())
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Held::Rust(a), Held::Rust(b)) => a == b,
            #[cfg(target_arch = "wasm32")]
            (Held::Js(a), Held::Js(b)) => a == b,
            #[allow(unreachable_patterns)]
            _ => self.to_text() == other.to_text(),
        }
    }
}

impl PartialEq<str> for Payload {
    fn eq(&self, other: &str) -> bool {
        self.to_text() == other
    }
}

impl PartialEq<&str> for Payload {
    fn eq(&self, other: &&str) -> bool {
        self.to_text() == *other
    }
}

impl PartialEq<String> for Payload {
    fn eq(&self, other: &String) -> bool {
        self.to_text() == other.as_str()
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_text(), f)
    }
}

impl fmt::Display for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_text())
    }
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Payload::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_shows_and_serializes_as_its_text() {
        let text = Payload::from("héllo \"x\"");
        assert_eq!(text, Payload::from(String::from("héllo \"x\"")));
        assert_eq!(text, "héllo \"x\"");
        assert_eq!(format!("{text:?}"), "\"héllo \\\"x\\\"\"");
        assert_eq!(serde_json::to_string(&text).unwrap(), "\"héllo \\\"x\\\"\"");
        assert_eq!(serde_json::from_str::<Payload>("\"a\\nb\"").unwrap(), "a\nb");
        assert_eq!(Payload::from("x".repeat(200)).preview(3), "xxx…");
        assert!(Payload::default().is_empty() && !text.is_js());
    }
}
