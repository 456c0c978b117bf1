//! The one wire envelope every crosstalk transport carries, each mechanism's message bodies, the
//! reason codes of every refusal, and the pure state machines behind the routes (roster, shared
//! store, checkout, echo service, sequence tracking). The app, both workers and the server link it;
//! it depends on serde and serde_json only, because every dependency is paid for in each wasm module.
//!
//! On the wire an envelope is a JSON *string* (never a structured-clone object): the same bytes
//! travel over MessagePorts, BroadcastChannel, localStorage, windows and WebSockets, their size can
//! be checked before parsing, and a QA script can forge one with nothing but `JSON.stringify`.
//!
//! ```json
//! {"v":1,"seq":7,"from":"tab-3f9a1c","sent_at":1732270000123.4,"kind":"text","body":{"text":"hi"}}
//! ```
//!
//! Decoding is one pass over the text ([`decode`]); a rejection still says exactly what was wrong,
//! with a stable [`ReasonCode`].

pub mod atomics;
pub mod bench;
pub mod body;
pub mod broadcast;
pub mod catalog;
pub mod config;
mod decode;
mod incoming;
pub mod indexeddb;
pub mod inspector;
pub mod json_text;
pub mod lang;
pub mod order;
pub mod parsed;
pub mod payload;
pub mod payment;
pub mod query;
pub mod reason;
pub mod relay;
pub mod roster;
pub mod service_worker;
pub mod shared_store;
pub mod stock;
pub mod storage;
pub mod web_locks;
pub mod webrtc;
pub mod worker_port;

use std::fmt;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

pub use body::Body;
pub use decode::decode;
pub use incoming::Incoming;
pub use payload::Payload;
pub use reason::{Reason, ReasonCode};

/// Wire version. A peer of another version (a stale tab, an old worker) is rejected, not guessed at.
pub const PROTOCOL_VERSION: u32 = 1;

/// Largest sequence number accepted: the largest integer a JavaScript sender can count to exactly
/// (2^53 − 1). Anything above — `seq` = 2^64 − 1, say — is malformed, never wrapped.
pub const MAX_SEQ: u64 = (1 << 53) - 1;

/// Largest encoded envelope accepted, in bytes of JSON (UTF-8): 1 MiB. Leaves room for 64 KiB
/// values plus escaping, and for the benchmark's 100 KB messages with room to spare. Why not
/// smaller: in a browser the text arrives as a JS string whose byte count is known without
/// reading it only up to a third of the limit (a UTF-16 unit is one to three bytes); beyond that
/// it must be measured, about 1 µs a KB, which at 256 KiB cost a 100 KB echo more than the
/// browser's own delivery of it.
pub const MAX_ENVELOPE_BYTES: usize = 1024 * 1024;

/// Who sent an envelope: one id per tab, worker or other context, stable for its lifetime.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SenderId(pub String);

impl SenderId {
    /// A fresh id such as `tab-3f9a1c2b`. `random` is any number source in [0, 1).
    pub fn new(prefix: &str, random: impl FnMut() -> f64) -> Self {
        let mut random = random;
        let mut id = String::with_capacity(prefix.len() + 9);
        id.push_str(prefix);
        id.push('-');
        for _ in 0..8 {
            let nibble = ((random() * 16.0) as u32).min(15);
            id.push(char::from_digit(nibble, 16).unwrap_or('0'));
        }
        SenderId(id)
    }
}

impl fmt::Display for SenderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One message on any transport.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope<B> {
    /// Wire version, [`PROTOCOL_VERSION`].
    pub v: u32,
    /// Per-sender sequence number, starting at 1; gaps and repeats are visible to receivers.
    pub seq: u64,
    pub from: SenderId,
    /// Milliseconds since the Unix epoch, sub-millisecond where the sender's clock allows.
    pub sent_at: f64,
    /// Its `kind` and `body` sit beside the fields above on the wire.
    pub body: B,
}

impl<B: Body> Serialize for Envelope<B> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("v", &self.v)?;
        map.serialize_entry("seq", &self.seq)?;
        map.serialize_entry("from", &self.from)?;
        map.serialize_entry("sent_at", &self.sent_at)?;
        map.serialize_entry("kind", self.body.kind())?;
        self.body.write_body(&mut map)?;
        map.end()
    }
}

impl<B: Body> Envelope<B> {
    /// Encodes to the JSON text that goes on the wire, refusing what a receiver would refuse.
    pub fn encode(&self) -> Result<String, EncodeError> {
        let text = serde_json::to_string(self).map_err(|e| EncodeError::Serialize(e.to_string()))?;
        if text.len() > MAX_ENVELOPE_BYTES {
            return Err(EncodeError::TooLarge { bytes: text.len(), limit: MAX_ENVELOPE_BYTES });
        }
        Ok(text)
    }

    /// The envelope's `kind` tag, as it appears on the wire.
    pub fn kind(&self) -> &'static str {
        self.body.kind()
    }
}

/// Hands out an envelope per message with the sender's next sequence number.
#[derive(Debug, Clone)]
pub struct Sender {
    pub id: SenderId,
    next_seq: u64,
}

impl Sender {
    pub fn new(id: SenderId) -> Self {
        Sender { id, next_seq: 1 }
    }

    /// The envelope for the next message; `now_ms` is the send time.
    pub fn envelope<B>(&mut self, body: B, now_ms: f64) -> Envelope<B> {
        let seq = self.next_seq;
        self.next_seq = (self.next_seq + 1).min(MAX_SEQ);
        Envelope { v: PROTOCOL_VERSION, seq, from: self.id.clone(), sent_at: now_ms, body }
    }

    /// The sequence number the next envelope will carry.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }
}

/// Why a message from outside was not accepted. The text is shown to people in the log; the
/// [`code`](DecodeError::code) is what tests and QA scripts match.
#[derive(Debug, Clone, PartialEq)]
pub enum DecodeError {
    /// The transport delivered something other than a string (e.g. a raw object from a script).
    NotText {
        got: String,
    },
    TooLarge {
        bytes: usize,
        limit: usize,
    },
    /// Left unread: a window message from an origin or window nobody expects.
    NotRead,
    NotJson(String),
    NotAnObject,
    MissingVersion,
    WrongVersion {
        got: String,
        expected: u32,
    },
    MissingKind,
    UnknownKind(String),
    /// Right version and kind, but the envelope or body fields are wrong.
    Malformed(String),
}

impl DecodeError {
    pub fn code(&self) -> ReasonCode {
        match self {
            DecodeError::NotText { .. } => ReasonCode::NotText,
            DecodeError::TooLarge { .. } => ReasonCode::TooLarge,
            DecodeError::NotRead => ReasonCode::NotRead,
            DecodeError::NotJson(_) => ReasonCode::BadJson,
            DecodeError::NotAnObject => ReasonCode::NotAnObject,
            DecodeError::MissingVersion => ReasonCode::NoVersion,
            DecodeError::WrongVersion { .. } => ReasonCode::WrongVersion,
            DecodeError::MissingKind => ReasonCode::NoKind,
            DecodeError::UnknownKind(_) => ReasonCode::UnknownKind,
            DecodeError::Malformed(_) => ReasonCode::Malformed,
        }
    }

    /// The code and the sentence together, as the log shows them.
    pub fn reason(&self) -> Reason {
        Reason::new(self.code(), self.to_string())
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::NotText { got } => write!(f, "expected a JSON string on the wire, got {got}"),
            DecodeError::TooLarge { bytes, limit } => {
                write!(f, "message is {bytes} bytes, over the {limit}-byte limit")
            }
            DecodeError::NotRead => f.write_str("not read: it came from an origin or window nobody expects"),
            DecodeError::NotJson(e) => write!(f, "not JSON: {e}"),
            DecodeError::NotAnObject => f.write_str("not an envelope: expected a JSON object"),
            DecodeError::MissingVersion => f.write_str("not an envelope: no \"v\" (version) field"),
            DecodeError::WrongVersion { got, expected } => {
                write!(f, "protocol version {got}, this page speaks version {expected}")
            }
            DecodeError::MissingKind => f.write_str("no \"kind\" field (or it is not a string)"),
            DecodeError::UnknownKind(kind) => write!(f, "unknown kind \"{kind}\""),
            DecodeError::Malformed(e) => write!(f, "malformed envelope: {e}"),
        }
    }
}

impl std::error::Error for DecodeError {}

#[derive(Debug, Clone, PartialEq)]
pub enum EncodeError {
    TooLarge { bytes: usize, limit: usize },
    Serialize(String),
}

impl EncodeError {
    pub fn reason(&self) -> Reason {
        let code = match self {
            EncodeError::TooLarge { .. } => ReasonCode::TooLarge,
            EncodeError::Serialize(_) => ReasonCode::Malformed,
        };
        Reason::new(code, self.to_string())
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::TooLarge { bytes, limit } => {
                write!(f, "message would be {bytes} bytes, over the {limit}-byte limit")
            }
            EncodeError::Serialize(e) => write!(f, "cannot encode: {e}"),
        }
    }
}

impl std::error::Error for EncodeError {}

/// A short, single-line preview of raw wire text for the log (the full text can be huge).
pub fn preview(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    for c in chars.by_ref().take(max_chars) {
        out.push(if c.is_control() { ' ' } else { c });
    }
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::bodies! {
        #[derive(Debug, Clone, PartialEq)]
        enum TestBody {
            Ping = "ping",
            Text { text: String } = "text",
        }
    }

    fn sender() -> Sender {
        Sender::new(SenderId("tab-test".into()))
    }

    #[test]
    fn round_trips_bodies_with_and_without_content() {
        let mut s = sender();
        for body in [TestBody::Ping, TestBody::Text { text: "héllo <b>&</b> 你好".into() }] {
            let env = s.envelope(body, 1_732_270_000_123.5);
            let wire = env.encode().expect("encodes");
            assert_eq!(decode::<TestBody>(&wire), Ok(env));
        }
    }

    #[test]
    fn wire_shape_is_flat_with_kind_beside_the_envelope_fields() {
        let env = sender().envelope(TestBody::Text { text: "hi".into() }, 5.0);
        assert_eq!(
            env.encode().expect("encodes"),
            r#"{"v":1,"seq":1,"from":"tab-test","sent_at":5.0,"kind":"text","body":{"text":"hi"}}"#
        );
        assert_eq!(env.kind(), "text");
        let unit = sender().envelope(TestBody::Ping, 5.0);
        assert_eq!(
            unit.encode().expect("encodes"),
            r#"{"v":1,"seq":1,"from":"tab-test","sent_at":5.0,"kind":"ping"}"#
        );
    }

    #[test]
    fn field_order_on_the_wire_does_not_matter() {
        let body_first = r#"{"body":{"text":"x"},"kind":"text","sent_at":0,"from":"a","seq":3,"v":1}"#;
        let env = decode::<TestBody>(body_first).expect("decodes");
        assert_eq!((env.seq, env.body), (3, TestBody::Text { text: "x".into() }));
        let extra = r#"{"v":1,"seq":1,"from":"a","sent_at":0,"kind":"ping","body":null,"trace":[1,{}]}"#;
        assert_eq!(decode::<TestBody>(extra).map(|e| e.body), Ok(TestBody::Ping));
    }

    #[test]
    fn sequence_numbers_start_at_one_and_increase() {
        let mut s = sender();
        let seqs: Vec<u64> = (0..3).map(|_| s.envelope(TestBody::Ping, 0.0).seq).collect();
        assert_eq!(seqs, [1, 2, 3]);
        assert_eq!(s.next_seq(), 4);
    }

    #[test]
    fn rejects_text_that_is_not_json() {
        assert!(matches!(decode::<TestBody>("hello"), Err(DecodeError::NotJson(_))));
        assert!(matches!(decode::<TestBody>("{\"v\":1,"), Err(DecodeError::NotJson(_))));
        let trailing = r#"{"v":1,"seq":1,"from":"a","sent_at":0,"kind":"ping"} x"#;
        assert!(matches!(decode::<TestBody>(trailing), Err(DecodeError::NotJson(_))));
        assert_eq!(decode::<TestBody>("hello").unwrap_err().code(), ReasonCode::BadJson);
    }

    #[test]
    fn rejects_json_that_is_not_an_object() {
        assert_eq!(decode::<TestBody>("[1,2]"), Err(DecodeError::NotAnObject));
        assert_eq!(decode::<TestBody>("\"success\""), Err(DecodeError::NotAnObject));
        assert_eq!(decode::<TestBody>("7"), Err(DecodeError::NotAnObject));
    }

    #[test]
    fn rejects_missing_and_wrong_versions() {
        assert_eq!(decode::<TestBody>(r#"{"kind":"ping"}"#), Err(DecodeError::MissingVersion));
        let err = decode::<TestBody>(r#"{"v":2,"seq":1,"from":"x","sent_at":0,"kind":"ping"}"#);
        assert_eq!(err, Err(DecodeError::WrongVersion { got: "2".into(), expected: 1 }));
        let err = decode::<TestBody>(r#"{"v":"1","seq":1,"from":"x","sent_at":0,"kind":"ping"}"#);
        assert_eq!(err, Err(DecodeError::WrongVersion { got: "\"1\"".into(), expected: 1 }));
        let nested = decode::<TestBody>(r#"{"v":{"major":1},"kind":"ping"}"#);
        assert_eq!(nested, Err(DecodeError::WrongVersion { got: "an object".into(), expected: 1 }));
        assert_eq!(
            decode::<TestBody>(r#"{"kind":"text","body":{"text":3}}"#),
            Err(DecodeError::MissingVersion),
            "the version is judged before the body, whatever the order on the wire"
        );
    }

    #[test]
    fn rejects_missing_and_unknown_kinds() {
        let err = decode::<TestBody>(r#"{"v":1,"seq":1,"from":"x","sent_at":0}"#);
        assert_eq!(err, Err(DecodeError::MissingKind));
        let err = decode::<TestBody>(r#"{"v":1,"seq":1,"from":"x","sent_at":0,"kind":"pay"}"#);
        assert_eq!(err, Err(DecodeError::UnknownKind("pay".into())));
        let err = decode::<TestBody>(r#"{"v":1,"seq":1,"from":"x","sent_at":0,"kind":7}"#);
        assert_eq!(err, Err(DecodeError::MissingKind));
        let escaped = decode::<TestBody>(r#"{"v":1,"seq":1,"from":"x","sent_at":0,"kind":"p\u0069ng"}"#);
        assert_eq!(escaped.map(|e| e.body), Ok(TestBody::Ping), "an escaped kind is still that kind");
    }

    #[test]
    fn rejects_known_kind_with_wrong_fields() {
        let missing_seq = r#"{"v":1,"from":"x","sent_at":0,"kind":"ping"}"#;
        assert!(
            matches!(decode::<TestBody>(missing_seq), Err(DecodeError::Malformed(m)) if m.contains("seq"))
        );
        let bad_body = r#"{"v":1,"seq":1,"from":"x","sent_at":0,"kind":"text","body":{"text":3}}"#;
        assert!(matches!(decode::<TestBody>(bad_body), Err(DecodeError::Malformed(_))));
        let late_bad_body = r#"{"body":{"text":3},"v":1,"seq":1,"from":"x","sent_at":0,"kind":"text"}"#;
        assert!(matches!(decode::<TestBody>(late_bad_body), Err(DecodeError::Malformed(_))));
        let no_body = r#"{"v":1,"seq":1,"from":"x","sent_at":0,"kind":"text"}"#;
        assert!(matches!(decode::<TestBody>(no_body), Err(DecodeError::Malformed(m)) if m.contains("body")));
        for huge in ["18446744073709551615", "9007199254740992", "1e300"] {
            let wire = format!(r#"{{"v":1,"seq":{huge},"from":"x","sent_at":0,"kind":"ping"}}"#);
            assert!(matches!(decode::<TestBody>(&wire), Err(DecodeError::Malformed(_))), "{huge}");
        }
        let largest = format!(r#"{{"v":1,"seq":{MAX_SEQ},"from":"x","sent_at":0,"kind":"ping"}}"#);
        assert_eq!(decode::<TestBody>(&largest).map(|e| e.seq), Ok(MAX_SEQ));
        let negative_seq = r#"{"v":1,"seq":-1,"from":"x","sent_at":0,"kind":"ping"}"#;
        assert!(matches!(decode::<TestBody>(negative_seq), Err(DecodeError::Malformed(_))));
        let twice = r#"{"v":1,"seq":1,"seq":2,"from":"x","sent_at":0,"kind":"ping"}"#;
        assert!(
            matches!(decode::<TestBody>(twice), Err(DecodeError::Malformed(m)) if m.contains("duplicate"))
        );
        assert_eq!(decode::<TestBody>(twice).unwrap_err().code(), ReasonCode::Malformed);
    }

    #[test]
    fn rejects_oversized_input_before_parsing_and_refuses_to_encode_it() {
        let huge = format!(r#"{{"v":1,"pad":"{}"}}"#, "x".repeat(MAX_ENVELOPE_BYTES));
        assert!(matches!(
            decode::<TestBody>(&huge),
            Err(DecodeError::TooLarge { limit: MAX_ENVELOPE_BYTES, .. })
        ));
        let env = sender().envelope(TestBody::Text { text: "x".repeat(MAX_ENVELOPE_BYTES) }, 0.0);
        assert!(matches!(env.encode(), Err(EncodeError::TooLarge { .. })));
        assert_eq!(env.encode().unwrap_err().reason().code, ReasonCode::TooLarge);
        let fits = sender().envelope(TestBody::Text { text: "x".repeat(64 * 1024) }, 0.0);
        assert!(fits.encode().is_ok());
    }

    #[test]
    fn errors_read_as_sentences_a_person_can_act_on_with_a_stable_code() {
        assert_eq!(DecodeError::UnknownKind("pay".into()).to_string(), "unknown kind \"pay\"");
        assert_eq!(
            DecodeError::WrongVersion { got: "2".into(), expected: 1 }.to_string(),
            "protocol version 2, this page speaks version 1"
        );
        assert!(DecodeError::TooLarge { bytes: 9, limit: 8 }.to_string().contains("over the 8-byte limit"));
        let reason = DecodeError::UnknownKind("pay".into()).reason();
        assert_eq!((reason.code.as_str(), reason.text.as_str()), ("unknown-kind", "unknown kind \"pay\""));
    }

    #[test]
    fn sender_ids_have_the_prefix_and_eight_hex_digits() {
        let mut n = 0.0;
        let id = SenderId::new("tab", || {
            n += 0.1;
            n % 1.0
        });
        assert!(id.0.starts_with("tab-"));
        assert_eq!(id.0.len(), 12);
        assert!(id.0[4..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(SenderId::new("w", || 0.999_999).0, "w-ffffffff");
    }

    #[test]
    fn preview_truncates_and_flattens_control_characters() {
        assert_eq!(preview("a\nb", 10), "a b");
        assert_eq!(preview("abcdef", 3), "abc…");
        assert_eq!(preview("abc", 3), "abc");
    }
}
