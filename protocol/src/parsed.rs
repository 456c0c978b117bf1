//! The envelope read from, and written to, a value some JSON parser already made — in a browser,
//! the engine's own `JSON.parse` and `JSON.stringify`.
//!
//! Why a second path beside [`decode`](crate::decode): a wasm module that links serde_json pays
//! about 29 KB gzip for it, and a worker's budget is 20 KB in all. The browser parses JSON natively
//! and faster than wasm does; what is left to Rust is judging the parsed object field by field, and
//! that is this module, free of any browser API so it is tested natively against `decode` on the
//! same inputs. The same reason codes come out of both; where JSON itself leaves a choice
//! (`"v": 1.0` is 1 here; of a field given twice, the parser keeps the last), this path follows
//! the parser.
//!
//! Only the bodies declared with `bodies! { @parsed … }` can be read this way: those the workers
//! speak, whose fields are strings, numbers, reason codes, sender ids and options of those.

use crate::{preview, DecodeError, Envelope, ReasonCode, SenderId, MAX_SEQ, PROTOCOL_VERSION};

/// A value some JSON parser made.
pub trait Parsed: Sized {
    /// The value of the object's own field `name`; `None` when it has none (or is no object).
    fn get(&self, name: &'static str) -> Option<Self>;
    /// A JSON object: not an array, not null.
    fn is_object(&self) -> bool;
    fn is_null(&self) -> bool;
    fn as_str(&self) -> Option<String>;
    fn as_num(&self) -> Option<f64>;
    /// A few words for the value, as a wrong version reports it: `2`, `"1"`, `an object`.
    fn describe(&self) -> String;
}

/// Where an envelope is written: an object under construction, then its `body`.
pub trait Emitter {
    fn str(&mut self, name: &'static str, value: &str);
    fn num(&mut self, name: &'static str, value: f64);
    fn int(&mut self, name: &'static str, value: u64);
    fn null(&mut self, name: &'static str);
    /// Fields from here on go into a fresh `body` object.
    fn begin_body(&mut self);
}

/// A field type read from a parsed value.
pub trait FromParsed: Sized {
    /// `value` is `None` when the field is absent. The error says what was expected.
    fn from_parsed<P: Parsed>(value: Option<P>) -> Result<Self, &'static str>;
}

/// A field type written to an emitter.
pub trait Emit {
    fn emit<E: Emitter>(&self, name: &'static str, out: &mut E);
}

impl FromParsed for String {
    fn from_parsed<P: Parsed>(value: Option<P>) -> Result<Self, &'static str> {
        value.and_then(|v| v.as_str()).ok_or("a string")
    }
}

impl Emit for String {
    fn emit<E: Emitter>(&self, name: &'static str, out: &mut E) {
        out.str(name, self);
    }
}

impl FromParsed for SenderId {
    fn from_parsed<P: Parsed>(value: Option<P>) -> Result<Self, &'static str> {
        String::from_parsed(value).map(SenderId)
    }
}

impl Emit for SenderId {
    fn emit<E: Emitter>(&self, name: &'static str, out: &mut E) {
        out.str(name, &self.0);
    }
}

impl FromParsed for ReasonCode {
    fn from_parsed<P: Parsed>(value: Option<P>) -> Result<Self, &'static str> {
        value.and_then(|v| v.as_str()).and_then(|code| ReasonCode::parse(&code)).ok_or("a reason code")
    }
}

impl Emit for ReasonCode {
    fn emit<E: Emitter>(&self, name: &'static str, out: &mut E) {
        out.str(name, self.as_str());
    }
}

impl FromParsed for f64 {
    fn from_parsed<P: Parsed>(value: Option<P>) -> Result<Self, &'static str> {
        value.and_then(|v| v.as_num()).ok_or("a number")
    }
}

impl Emit for f64 {
    fn emit<E: Emitter>(&self, name: &'static str, out: &mut E) {
        out.num(name, *self);
    }
}

/// A whole number in `0..=max`: JSON has one number type, so range and fraction are checked here.
fn whole<P: Parsed>(value: Option<P>, max: f64) -> Option<f64> {
    value.and_then(|v| v.as_num()).filter(|n| *n >= 0.0 && *n <= max && n.fract() == 0.0)
}

impl FromParsed for u64 {
    fn from_parsed<P: Parsed>(value: Option<P>) -> Result<Self, &'static str> {
        // Above 2^53 − 1 a JavaScript number is no longer exact: such a count is malformed.
        whole(value, MAX_SEQ as f64).map(|n| n as u64).ok_or("a whole number up to 2^53 − 1")
    }
}

impl Emit for u64 {
    fn emit<E: Emitter>(&self, name: &'static str, out: &mut E) {
        out.int(name, *self);
    }
}

impl FromParsed for u32 {
    fn from_parsed<P: Parsed>(value: Option<P>) -> Result<Self, &'static str> {
        whole(value, f64::from(u32::MAX)).map(|n| n as u32).ok_or("a whole number up to 2^32 − 1")
    }
}

impl Emit for u32 {
    fn emit<E: Emitter>(&self, name: &'static str, out: &mut E) {
        out.int(name, u64::from(*self));
    }
}

impl<T: FromParsed> FromParsed for Option<T> {
    fn from_parsed<P: Parsed>(value: Option<P>) -> Result<Self, &'static str> {
        match value {
            None => Ok(None),
            Some(v) if v.is_null() => Ok(None),
            some => T::from_parsed(some).map(Some),
        }
    }
}

impl<T: Emit> Emit for Option<T> {
    fn emit<E: Emitter>(&self, name: &'static str, out: &mut E) {
        match self {
            Some(value) => value.emit(name, out),
            None => out.null(name),
        }
    }
}

/// A body that can be read from a parsed value and written to an emitter; `bodies! { @parsed … }`
/// implements it.
pub trait ParsedBody: crate::Body {
    /// Reads the body of a message of `kind` (one of `KINDS`) from its `body` field, if any.
    fn read_parsed<P: Parsed>(kind: &str, body: Option<P>) -> Result<Self, String>;
    /// Writes the `body` field, if the variant has fields.
    fn write_parsed<E: Emitter>(&self, out: &mut E);
}

/// Reads one field of a body: a typed value, or a sentence saying which field and what it needed.
pub fn field<T: FromParsed, P: Parsed>(body: &P, name: &'static str) -> Result<T, String> {
    T::from_parsed(body.get(name)).map_err(|expected| match body.get(name) {
        None => format!("missing field `{name}`"),
        Some(_) => format!("`{name}` must be {expected}"),
    })
}

/// Judges a parsed envelope: the same verdicts, in the same order, as [`decode`](crate::decode) —
/// not an object, then the version, then the kind, then the fields.
pub fn decode_parsed<B: ParsedBody, P: Parsed>(value: &P) -> Result<Envelope<B>, DecodeError> {
    if !value.is_object() {
        return Err(DecodeError::NotAnObject);
    }
    let version = value.get("v").ok_or(DecodeError::MissingVersion)?;
    if version.as_num() != Some(f64::from(PROTOCOL_VERSION)) {
        return Err(DecodeError::WrongVersion { got: version.describe(), expected: PROTOCOL_VERSION });
    }
    let kind = value.get("kind").and_then(|k| k.as_str()).ok_or(DecodeError::MissingKind)?;
    let Some(kind) = B::KINDS.iter().copied().find(|known| *known == kind) else {
        return Err(DecodeError::UnknownKind(preview(&kind, 40)));
    };
    let malformed = DecodeError::Malformed;
    Ok(Envelope {
        v: PROTOCOL_VERSION,
        seq: field::<u64, P>(value, "seq").map_err(malformed)?,
        from: field::<SenderId, P>(value, "from").map_err(malformed)?,
        sent_at: field::<f64, P>(value, "sent_at").map_err(malformed)?,
        body: B::read_parsed(kind, value.get("body")).map_err(malformed)?,
    })
}

/// Writes an envelope field by field, in the order [`Envelope::encode`] does.
pub fn emit_envelope<B: ParsedBody, E: Emitter>(envelope: &Envelope<B>, out: &mut E) {
    out.int("v", u64::from(envelope.v));
    envelope.seq.emit("seq", out);
    envelope.from.emit("from", out);
    out.num("sent_at", envelope.sent_at);
    out.str("kind", envelope.body.kind());
    envelope.body.write_parsed(out);
}

/// Implements [`ParsedBody`] for a body declared with `bodies! { @parsed … }`.
#[doc(hidden)]
#[macro_export]
macro_rules! __parsed_body {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident $({ $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? })? = $kind:literal
            ),* $(,)?
        }
    ) => {
        impl $crate::parsed::ParsedBody for $name {
            fn read_parsed<P: $crate::parsed::Parsed>(kind: &str, body: Option<P>) -> Result<Self, String> {
                match kind {
                    $( $kind => $crate::__parsed_read!(body, $name::$variant $(, $($field : $ty),*)?), )*
                    other => Err(format!("unknown kind \"{other}\"")),
                }
            }

            #[allow(unused_variables)]
            fn write_parsed<E: $crate::parsed::Emitter>(&self, out: &mut E) {
                match self {
                    $( $name::$variant { $($($field),*)? } => {
                        $crate::__parsed_write!(out $(, $($field),*)?)
                    } )*
                }
            }
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __parsed_read {
    // A variant without fields ignores whatever `body` carries, as `decode` does.
    ($body:ident, $path:path) => {{
        let _ = $body;
        Ok($path)
    }};
    ($body:ident, $name:ident :: $variant:ident, $($field:ident : $ty:ty),*) => {{
        let body = match $body {
            Some(body) if body.is_object() => body,
            Some(_) => return Err("`body` must be an object".into()),
            None => return Err("missing field `body`".into()),
        };
        Ok($name::$variant { $($field: $crate::parsed::field::<$ty, _>(&body, stringify!($field))?),* })
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __parsed_write {
    ($out:ident) => {{}};
    ($out:ident, $($field:ident),*) => {{
        $out.begin_body();
        $( $crate::parsed::Emit::emit($field, stringify!($field), $out); )*
    }};
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value};

    use super::*;
    use crate::{decode, Sender};

    crate::bodies! {
        @parsed
        #[derive(Debug, Clone, PartialEq)]
        enum Probe {
            Ping = "ping",
            Note { text: String, count: Option<u32>, code: ReasonCode, by: Option<SenderId>, at: f64, n: u64 } = "note",
        }
    }

    /// serde_json's tree standing in for the browser's parsed object. Its numbers go through f64
    /// first, as JavaScript's do.
    impl Parsed for Value {
        fn get(&self, name: &'static str) -> Option<Value> {
            self.as_object().and_then(|o| o.get(name)).cloned()
        }
        fn is_object(&self) -> bool {
            Value::is_object(self)
        }
        fn is_null(&self) -> bool {
            Value::is_null(self)
        }
        fn as_str(&self) -> Option<String> {
            Value::as_str(self).map(str::to_owned)
        }
        fn as_num(&self) -> Option<f64> {
            Value::as_f64(self)
        }
        fn describe(&self) -> String {
            match self {
                Value::Object(_) => "an object".into(),
                Value::Array(_) => "an array".into(),
                other => other.to_string(),
            }
        }
    }

    /// An emitter building serde_json's tree, to compare with what `encode` writes.
    #[derive(Default)]
    struct Tree {
        root: Map<String, Value>,
        body: Option<Map<String, Value>>,
    }

    impl Tree {
        fn put(&mut self, name: &str, value: Value) {
            self.body.as_mut().unwrap_or(&mut self.root).insert(name.into(), value);
        }
        fn done(mut self) -> Value {
            if let Some(body) = self.body.take() {
                self.root.insert("body".into(), Value::Object(body));
            }
            Value::Object(self.root)
        }
    }

    impl Emitter for Tree {
        fn str(&mut self, name: &'static str, value: &str) {
            self.put(name, Value::from(value));
        }
        fn num(&mut self, name: &'static str, value: f64) {
            // As `JSON.stringify` writes numbers: a whole one without a fraction.
            let exact = value.fract() == 0.0 && value.abs() <= MAX_SEQ as f64;
            self.put(name, if exact { Value::from(value as i64) } else { Value::from(value) });
        }
        fn int(&mut self, name: &'static str, value: u64) {
            self.put(name, Value::from(value));
        }
        fn null(&mut self, name: &'static str) {
            self.put(name, Value::Null);
        }
        fn begin_body(&mut self) {
            self.body = Some(Map::new());
        }
    }

    /// JSON has one number type: 1 and 1.0 are the same number, whatever serde_json's tree keeps.
    fn numbers_as_f64(value: Value) -> Value {
        match value {
            Value::Number(n) => n.as_f64().map_or(Value::Null, Value::from),
            Value::Object(map) => {
                Value::Object(map.into_iter().map(|(k, v)| (k, numbers_as_f64(v))).collect())
            }
            other => other,
        }
    }

    fn parsed(text: &str) -> Result<Envelope<Probe>, DecodeError> {
        match serde_json::from_str::<Value>(text) {
            Ok(value) => decode_parsed(&value),
            Err(e) => Err(DecodeError::NotJson(e.to_string())),
        }
    }

    const NOTE: &str = r#""kind":"note","body":{"text":"t","count":2,"code":"gap","by":null,"at":1.5,"n":9}"#;

    /// Every verdict `decode` gives, given by this path too (the codes; the sentences differ).
    #[test]
    fn agrees_with_the_text_decoder_on_every_verdict() {
        let cases = [
            format!(r#"{{"v":1,"seq":1,"from":"a","sent_at":0,{NOTE}}}"#),
            r#"{"v":1,"seq":1,"from":"a","sent_at":0,"kind":"ping","body":{"x":[1]}}"#.into(),
            r#"{"body":{"x":1},"kind":"ping","sent_at":0,"from":"a","seq":3,"v":1,"extra":[]}"#.into(),
            "[1,2]".into(),
            "\"success\"".into(),
            "7".into(),
            "null".into(),
            r#"{"kind":"ping"}"#.into(),
            r#"{"v":2,"seq":1,"from":"x","sent_at":0,"kind":"ping"}"#.into(),
            r#"{"v":"1","seq":1,"from":"x","sent_at":0,"kind":"ping"}"#.into(),
            r#"{"v":{"major":1},"kind":"ping"}"#.into(),
            r#"{"kind":"note","body":{"text":3}}"#.into(),
            r#"{"v":1,"seq":1,"from":"x","sent_at":0}"#.into(),
            r#"{"v":1,"seq":1,"from":"x","sent_at":0,"kind":"pay"}"#.into(),
            r#"{"v":1,"seq":1,"from":"x","sent_at":0,"kind":7}"#.into(),
            r#"{"v":1,"seq":1,"from":"x","sent_at":0,"kind":"p\u0069ng"}"#.into(),
            r#"{"v":1,"from":"x","sent_at":0,"kind":"ping"}"#.into(),
            r#"{"v":1,"seq":1,"sent_at":0,"kind":"ping"}"#.into(),
            r#"{"v":1,"seq":1,"from":"x","kind":"ping"}"#.into(),
            r#"{"v":1,"seq":-1,"from":"x","sent_at":0,"kind":"ping"}"#.into(),
            r#"{"v":1,"seq":1.5,"from":"x","sent_at":0,"kind":"ping"}"#.into(),
            r#"{"v":1,"seq":18446744073709551615,"from":"x","sent_at":0,"kind":"ping"}"#.into(),
            r#"{"v":1,"seq":9007199254740992,"from":"x","sent_at":0,"kind":"ping"}"#.into(),
            r#"{"v":1,"seq":9007199254740991,"from":"x","sent_at":0,"kind":"ping"}"#.into(),
            r#"{"v":1,"seq":1e300,"from":"x","sent_at":0,"kind":"ping"}"#.into(),
            r#"{"v":1,"seq":1,"from":7,"sent_at":0,"kind":"ping"}"#.into(),
            r#"{"v":1,"seq":1,"from":"x","sent_at":"now","kind":"ping"}"#.into(),
            r#"{"v":1,"seq":1,"from":"x","sent_at":0,"kind":"note"}"#.into(),
            r#"{"v":1,"seq":1,"from":"x","sent_at":0,"kind":"note","body":"hi"}"#.into(),
            r#"{"v":1,"seq":1,"from":"x","sent_at":0,"kind":"note","body":{"text":3}}"#.into(),
            r#"{"v":1,"seq":1,"from":"x","sent_at":0,"kind":"note","body":{"text":"t","count":-1,"code":"gap","at":0,"n":1}}"#.into(),
            r#"{"v":1,"seq":1,"from":"x","sent_at":0,"kind":"note","body":{"text":"t","code":"what","at":0,"n":1}}"#.into(),
            r#"{"v":1,"seq":1,"from":"x","sent_at":0,"kind":"note","body":{"text":"t","code":"gap","at":0,"n":1}}"#.into(),
            r#"{"v":1,"seq":1,"from":"x","sent_at":0,"kind":"note","body":{"text":"t","code":"gap","by":5,"at":0,"n":1}}"#.into(),
            "{\"v\":1,".into(),
            "hello".into(),
        ];
        for text in &cases {
            let (by_text, by_tree) = (decode::<Probe>(text), parsed(text));
            match (&by_text, &by_tree) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
                (Err(a), Err(b)) => assert_eq!(a.code(), b.code(), "{text}: {a} / {b}"),
                _ => panic!("{text}: the text decoder says {by_text:?}, this path {by_tree:?}"),
            }
        }
    }

    #[test]
    fn says_which_field_is_wrong_and_what_it_needed() {
        let text = r#"{"v":1,"seq":1,"from":"x","sent_at":0,"kind":"note","body":{"text":3}}"#;
        assert_eq!(parsed(text), Err(DecodeError::Malformed("`text` must be a string".into())));
        let text = r#"{"v":1,"seq":1,"from":"x","sent_at":0,"kind":"note","body":{"text":"t"}}"#;
        assert_eq!(parsed(text), Err(DecodeError::Malformed("missing field `code`".into())));
        let text = r#"{"v":1,"seq":1,"from":"x","sent_at":0,"kind":"note","body":{"text":"t","code":"why"}}"#;
        assert_eq!(parsed(text), Err(DecodeError::Malformed("`code` must be a reason code".into())));
        let text = r#"{"v":1,"from":"x","sent_at":0,"kind":"ping"}"#;
        assert_eq!(parsed(text), Err(DecodeError::Malformed("missing field `seq`".into())));
        let text = r#"{"v":"1","seq":1,"from":"x","sent_at":0,"kind":"ping"}"#;
        assert_eq!(parsed(text), Err(DecodeError::WrongVersion { got: "\"1\"".into(), expected: 1 }));
    }

    /// What this path writes reads back, through either decoder, as the envelope it was.
    #[test]
    fn writes_what_both_decoders_read_back() {
        let mut sender = Sender::new(SenderId("w-1".into()));
        let note = Probe::Note {
            text: "héllo \"<b>\" 你好\n".into(),
            count: None,
            code: ReasonCode::Repeat,
            by: Some(SenderId("tab-2".into())),
            at: 1_732_270_000_123.5,
            n: (1 << 53) - 1,
        };
        for body in [Probe::Ping, note] {
            let envelope = sender.envelope(body, 12.25);
            let mut tree = Tree::default();
            emit_envelope(&envelope, &mut tree);
            let tree = tree.done();
            assert_eq!(decode_parsed::<Probe, _>(&tree).as_ref(), Ok(&envelope));
            assert_eq!(decode::<Probe>(&tree.to_string()), Ok(envelope.clone()));
            let by_serde: Value = serde_json::from_str(&envelope.encode().unwrap()).unwrap();
            assert_eq!(
                numbers_as_f64(tree),
                numbers_as_f64(by_serde),
                "the fields and values `encode` writes"
            );
        }
    }
}
