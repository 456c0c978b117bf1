//! An [`Emitter`] that writes the envelope's JSON text itself, for the workers: the text then
//! crosses into JavaScript as one string, where building an object field by field would cross
//! once per field. Floats are formatted by the caller — in wasm by the browser's own
//! `Number#toString`, because Rust's shortest float formatting is about 10 KB of code; natively,
//! and in the tests, by `Display`, which writes the same shortest form.

use crate::parsed::Emitter;
use crate::Payload;

/// Up to this many UTF-16 units, a payload held in JavaScript is copied into the text.
pub const INLINE_PAYLOAD_UNITS: usize = 1024;

/// Writes one envelope object; [`JsonText::finish`] gives the text.
pub struct JsonText<F: Fn(f64, &mut String)> {
    out: String,
    float: F,
    /// The objects and arrays open, innermost last: whether it is an array, and whether it is
    /// still empty.
    open: Vec<(bool, bool)>,
    /// Payloads held in JavaScript, left out of `out` at these byte offsets: the caller splices
    /// them in there without copying them into wasm ([`JsonText::finish_around`]).
    holes: Vec<(usize, Payload)>,
}

impl<F: Fn(f64, &mut String)> JsonText<F> {
    /// `float` appends a finite number as JSON.
    pub fn new(float: F) -> Self {
        JsonText { out: String::from("{"), float, open: vec![(false, true)], holes: Vec::new() }
    }

    /// The whole text, with any payload held in JavaScript copied in.
    pub fn finish(self) -> String {
        let (text, holes) = self.finish_around();
        let mut out = String::with_capacity(text.len());
        let mut from = 0;
        for (at, payload) in holes {
            out.push_str(text.get(from..at).unwrap_or_default());
            escape_into(&mut out, &payload.to_text());
            from = at;
        }
        out.push_str(text.get(from..).unwrap_or_default());
        out
    }

    /// The text without the payloads held in JavaScript, and where each goes (as a JSON string).
    pub fn finish_around(mut self) -> (String, Vec<(usize, Payload)>) {
        while !self.open.is_empty() {
            self.end();
        }
        (self.out, self.holes)
    }

    /// `"name":` (nothing inside an array) after a comma unless first. The names are the bodies'
    /// field names, plain identifiers with nothing to escape.
    fn key(&mut self, name: &'static str) {
        let Some((array, first)) = self.open.last_mut() else { return };
        if !std::mem::replace(first, false) {
            self.out.push(',');
        }
        if !*array {
            self.out.push('"');
            self.out.push_str(name);
            self.out.push_str("\":");
        }
    }
}

impl<F: Fn(f64, &mut String)> Emitter for JsonText<F> {
    fn str(&mut self, name: &'static str, value: &str) {
        self.key(name);
        escape_into(&mut self.out, value);
    }

    fn int(&mut self, name: &'static str, value: u64) {
        self.key(name);
        let mut digits = [0u8; 20];
        let (mut at, mut n) = (digits.len(), value);
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        digits.iter().skip(at).for_each(|d| self.out.push(char::from(*d)));
    }

    fn num(&mut self, name: &'static str, value: f64) {
        self.key(name);
        // As `JSON.stringify` does: JSON has no NaN or infinity.
        if value.is_finite() {
            (self.float)(value, &mut self.out);
        } else {
            self.out.push_str("null");
        }
    }

    fn bool(&mut self, name: &'static str, value: bool) {
        self.key(name);
        self.out.push_str(if value { "true" } else { "false" });
    }

    fn null(&mut self, name: &'static str) {
        self.key(name);
        self.out.push_str("null");
    }

    fn begin_object(&mut self, name: &'static str) {
        self.key(name);
        self.out.push('{');
        self.open.push((false, true));
    }

    fn begin_array(&mut self, name: &'static str) {
        self.key(name);
        self.out.push('[');
        self.open.push((true, true));
    }

    fn end(&mut self) {
        if let Some((array, _)) = self.open.pop() {
            self.out.push(if array { ']' } else { '}' });
        }
    }

    fn payload(&mut self, name: &'static str, value: &Payload) {
        // A short text is cheaper copied in than spliced in JavaScript (three strings made and
        // joined there instead of one); a long one is never copied.
        if value.is_js() && value.len_hint() > INLINE_PAYLOAD_UNITS {
            self.key(name);
            self.holes.push((self.out.len(), value.clone()));
        } else {
            self.str(name, &value.to_text());
        }
    }
}

/// Appends `text` as a JSON string: quotes, backslashes and control characters escaped, the rest
/// copied in runs. The runs end at ASCII bytes, so `get` always finds them; it is `get` rather than
/// indexing because a slice's panic path alone is 4 KB of formatting code in a wasm module.
fn escape_into(out: &mut String, text: &str) {
    out.push('"');
    let mut run = 0;
    for (at, byte) in text.bytes().enumerate() {
        let escaped = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(text.get(run..at).unwrap_or_default());
        if escaped.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        } else {
            out.push_str(escaped);
        }
        run = at + 1;
    }
    out.push_str(text.get(run..).unwrap_or_default());
    out.push('"');
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::parsed::emit_envelope;
    use crate::worker_port::WorkerPortMsg;
    use crate::{decode, ReasonCode, Sender, SenderId};

    fn written(envelope: &crate::Envelope<WorkerPortMsg>) -> String {
        let mut text = JsonText::new(|v: f64, out: &mut String| out.push_str(&v.to_string()));
        emit_envelope(envelope, &mut text);
        text.finish()
    }

    fn as_f64(value: Value) -> Value {
        match value {
            Value::Number(n) => n.as_f64().map_or(Value::Null, Value::from),
            Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, as_f64(v))).collect()),
            other => other,
        }
    }

    #[test]
    fn writes_text_serde_json_reads_back_as_the_same_envelope_and_the_same_fields() {
        let every_control: String = (0u8..0x20).map(char::from).collect();
        let mut sender = Sender::new(SenderId("worker-\"1\"".into()));
        let bodies = [
            WorkerPortMsg::Ready,
            WorkerPortMsg::Echo {
                text: format!("a \"quoted\" \\ 你好 😀 {every_control} end").into(),
                reply_to: (1 << 53) - 1,
                received_at: 1_732_270_000_123.456_7,
            },
            WorkerPortMsg::Rejected {
                code: ReasonCode::Malformed,
                reason: String::new(),
                preview: "\u{7f}".into(),
            },
        ];
        for body in bodies {
            let envelope = sender.envelope(body, 0.1 + 0.2);
            let text = written(&envelope);
            assert_eq!(decode::<WorkerPortMsg>(&text), Ok(envelope.clone()), "{text}");
            let ours: Value = serde_json::from_str(&text).expect("valid JSON");
            let theirs: Value = serde_json::from_str(&envelope.encode().unwrap()).unwrap();
            assert_eq!(as_f64(ours), as_f64(theirs));
        }
    }

    #[test]
    fn numbers_json_cannot_hold_are_written_as_null() {
        let mut text = JsonText::new(|v: f64, out: &mut String| out.push_str(&v.to_string()));
        text.num("a", f64::NAN);
        text.num("b", f64::INFINITY);
        text.int("c", 0);
        text.int("d", u64::MAX);
        assert_eq!(text.finish(), r#"{"a":null,"b":null,"c":0,"d":18446744073709551615}"#);
    }
}
