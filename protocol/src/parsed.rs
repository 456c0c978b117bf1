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
//! Every body is declared with `bodies! { @parsed … }` and read this way in a browser: its fields
//! are strings, numbers, booleans, reason codes, sender ids, payloads, options and lists of
//! those, and the few structs inside bodies, which implement [`FromParsed`] and [`Emit`] by hand.

use crate::{preview, DecodeError, Envelope, Payload, ReasonCode, SenderId, MAX_SEQ, PROTOCOL_VERSION};

/// A value some JSON parser made.
pub trait Parsed: Sized {
    /// The value of the object's own field `name`; `None` when it has none (or is no object).
    fn get(&self, name: &'static str) -> Option<Self>;
    /// A JSON object: not an array, not null.
    fn is_object(&self) -> bool;
    fn is_null(&self) -> bool;
    fn as_str(&self) -> Option<String>;
    fn as_num(&self) -> Option<f64>;
    fn as_bool(&self) -> Option<bool>;
    /// The items of an array; `None` when it is not one.
    fn items(&self) -> Option<Vec<Self>>;
    /// A message's free text, kept as the parser made it where it can be (a JS string stays in
    /// JavaScript): see [`Payload`].
    fn as_payload(&self) -> Option<Payload> {
        self.as_str().map(Payload::from)
    }
    /// A few words for the value, as a wrong version reports it: `2`, `"1"`, `an object`.
    fn describe(&self) -> String;
}

/// Where an envelope is written: an object under construction, field by field. Inside an array
/// the names are not written: each value is the next item.
pub trait Emitter {
    fn str(&mut self, name: &'static str, value: &str);
    fn num(&mut self, name: &'static str, value: f64);
    fn int(&mut self, name: &'static str, value: u64);
    fn bool(&mut self, name: &'static str, value: bool);
    fn null(&mut self, name: &'static str);
    /// Fields from here on go into a fresh object `name`, until [`Emitter::end`].
    fn begin_object(&mut self, name: &'static str);
    /// Values from here on are the items of a fresh array `name`, until [`Emitter::end`].
    fn begin_array(&mut self, name: &'static str);
    /// Closes the innermost object or array.
    fn end(&mut self);
    /// A message's free text. An emitter that can pass a JS string on without copying it
    /// overrides this.
    fn payload(&mut self, name: &'static str, value: &Payload) {
        self.str(name, &value.to_text());
    }
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

impl FromParsed for bool {
    fn from_parsed<P: Parsed>(value: Option<P>) -> Result<Self, &'static str> {
        value.and_then(|v| v.as_bool()).ok_or("true or false")
    }
}

impl Emit for bool {
    fn emit<E: Emitter>(&self, name: &'static str, out: &mut E) {
        out.bool(name, *self);
    }
}

impl FromParsed for Payload {
    fn from_parsed<P: Parsed>(value: Option<P>) -> Result<Self, &'static str> {
        value.and_then(|v| v.as_payload()).ok_or("a string of at most 1 MiB")
    }
}

impl Emit for Payload {
    fn emit<E: Emitter>(&self, name: &'static str, out: &mut E) {
        out.payload(name, self);
    }
}

impl<T: FromParsed> FromParsed for Vec<T> {
    fn from_parsed<P: Parsed>(value: Option<P>) -> Result<Self, &'static str> {
        let items = value.and_then(|v| v.items()).ok_or("a list")?;
        items.into_iter().map(|item| T::from_parsed(Some(item))).collect()
    }
}

impl<T: Emit> Emit for Vec<T> {
    fn emit<E: Emitter>(&self, name: &'static str, out: &mut E) {
        out.begin_array(name);
        self.iter().for_each(|item| item.emit("", out));
        out.end();
    }
}

/// Reads the object `value` with `read`, which takes its fields by name (`None` when it is no
/// object, or a field is not what `read` needs): for the structs inside bodies.
pub fn object<T, P: Parsed>(
    value: Option<P>,
    expected: &'static str,
    read: impl FnOnce(&P) -> Option<T>,
) -> Result<T, &'static str> {
    value.filter(|v| v.is_object()).as_ref().and_then(read).ok_or(expected)
}

/// Reads one field of an object as a `T`; `None` when it is not one.
pub fn get<T: FromParsed, P: Parsed>(object: &P, name: &'static str) -> Option<T> {
    T::from_parsed(object.get(name)).ok()
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

/// Writes an envelope field by field, in the order [`Envelope::encode`] does, into the object
/// the emitter starts with.
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
        $out.begin_object("body");
        $( $crate::parsed::Emit::emit($field, stringify!($field), $out); )*
        $out.end();
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
        fn as_bool(&self) -> Option<bool> {
            Value::as_bool(self)
        }
        fn items(&self) -> Option<Vec<Value>> {
            Value::as_array(self).cloned()
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
    struct Tree {
        /// The open objects and arrays with the name each goes under, the root first.
        open: Vec<(&'static str, Value)>,
    }

    impl Default for Tree {
        fn default() -> Self {
            Tree { open: vec![("", Value::Object(Map::new()))] }
        }
    }

    impl Tree {
        fn put(&mut self, name: &str, value: Value) {
            match self.open.last_mut() {
                Some((_, Value::Object(map))) => drop(map.insert(name.into(), value)),
                Some((_, Value::Array(items))) => items.push(value),
                _ => unreachable!("the tree's open values are objects and arrays"),
            }
        }
        fn done(mut self) -> Value {
            while self.open.len() > 1 {
                self.end();
            }
            self.open.pop().map(|(_, root)| root).unwrap_or_default()
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
        fn bool(&mut self, name: &'static str, value: bool) {
            self.put(name, Value::from(value));
        }
        fn null(&mut self, name: &'static str) {
            self.put(name, Value::Null);
        }
        fn begin_object(&mut self, name: &'static str) {
            self.open.push((name, Value::Object(Map::new())));
        }
        fn begin_array(&mut self, name: &'static str) {
            self.open.push((name, Value::Array(Vec::new())));
        }
        fn end(&mut self) {
            if let Some((name, value)) = self.open.pop() {
                self.put(name, value);
            }
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

    /// Every body of every mechanism, written each way, reads back through either decoder as the
    /// envelope it was: serde's text through this path, this path's tree and text through serde.
    fn agrees<B: ParsedBody + std::fmt::Debug + PartialEq + Clone>(bodies: Vec<B>) {
        use crate::json_text::JsonText;
        let mut sender = Sender::new(SenderId("tab-7".into()));
        for body in bodies {
            let envelope = sender.envelope(body, 1_732_270_000_123.5);
            let by_serde = envelope.encode().unwrap();
            assert_eq!(parsed_as::<B>(&by_serde).as_ref(), Ok(&envelope), "{by_serde}");
            let mut tree = Tree::default();
            emit_envelope(&envelope, &mut tree);
            let tree = tree.done();
            assert_eq!(decode::<B>(&tree.to_string()).as_ref(), Ok(&envelope), "{tree}");
            let mut text = JsonText::new(|v: f64, out: &mut String| out.push_str(&v.to_string()));
            emit_envelope(&envelope, &mut text);
            let text = text.finish();
            assert_eq!(decode::<B>(&text).as_ref(), Ok(&envelope), "{text}");
        }
    }

    fn parsed_as<B: ParsedBody>(text: &str) -> Result<Envelope<B>, DecodeError> {
        match serde_json::from_str::<Value>(text) {
            Ok(value) => decode_parsed(&value),
            Err(e) => Err(DecodeError::NotJson(e.to_string())),
        }
    }

    #[test]
    fn every_body_of_every_mechanism_reads_back_either_way() {
        use crate::bench::BenchMsg;
        use crate::broadcast::BroadcastMsg;
        use crate::inspector::{Dir, InspectorMsg, Record};
        use crate::payment::{Outcome, PaymentMsg};
        use crate::relay::RelayMsg;
        use crate::stock::{Quote, StockMsg, Walk};
        use crate::storage::StorageMsg;
        let text = || Payload::from("héllo \"x\" 你好\n");
        agrees(vec![BroadcastMsg::Hello, BroadcastMsg::Text { text: text() }, BroadcastMsg::Goodbye]);
        agrees(vec![
            BenchMsg::Ready,
            BenchMsg::Ping { text: text() },
            BenchMsg::Pong { text: Payload::default() },
        ]);
        agrees(vec![StorageMsg::Value { text: text() }]);
        agrees(vec![
            RelayMsg::Join { room: "r".into(), after: Some(3) },
            RelayMsg::Join { room: "r".into(), after: None },
            RelayMsg::Relayed {
                room_seq: 9,
                from: SenderId("b".into()),
                seq: 2,
                sent_at: 0.25,
                text: text(),
            },
            RelayMsg::Error { code: ReasonCode::TooLarge, reason: "big".into() },
        ]);
        let quotes =
            vec![Quote { symbol: "ACME".into(), cents: 12_345 }, Quote { symbol: "Z".into(), cents: 0 }];
        agrees(vec![
            StockMsg::Tick { term: 2, seq: 40, quotes, walk: Walk(crate::stock::OPENING_WALK) },
            StockMsg::Tick { term: 2, seq: 41, quotes: vec![], walk: Walk(0) },
            StockMsg::Resign { term: 2, to: Some(SenderId("tab-9".into())) },
            StockMsg::MarketOn { transport: "relay".into(), term: 1, room: None },
        ]);
        agrees(vec![
            PaymentMsg::Order { order_id: "o-1".into(), amount_cents: 4_200, currency: "EUR".into() },
            PaymentMsg::Result { order_id: "o-1".into(), outcome: Outcome::Paid { payment_id: "p".into() } },
            PaymentMsg::Result { order_id: "o-2".into(), outcome: Outcome::Declined { reason: "no".into() } },
            PaymentMsg::Result { order_id: "o-3".into(), outcome: Outcome::Cancelled },
        ]);
        let record = |code, seq, from: Option<&str>| Record {
            id: 4,
            at_ms: 12.5,
            dir: Dir::System,
            code,
            kind: "text".into(),
            seq,
            from: from.map(str::to_owned),
            payload: "a = \"1\"".into(),
        };
        agrees(vec![
            InspectorMsg::Watch { fresh: true },
            InspectorMsg::Watch { fresh: false },
            InspectorMsg::Records {
                route: "/broadcast".into(),
                records: vec![
                    record(Some(ReasonCode::Gap), Some(3), Some("tab-a")),
                    record(None, None, None),
                ],
            },
        ]);
    }

    #[test]
    fn a_struct_inside_a_body_is_checked_field_by_field() {
        let tick = |quotes: &str| {
            format!(
                r#"{{"v":1,"seq":1,"from":"x","sent_at":0,"kind":"tick","body":{{"term":1,"seq":1,"walk":"0","quotes":{quotes}}}}}"#
            )
        };
        for bad in
            [r#"[{"symbol":"A"}]"#, r#"[{"symbol":"A","cents":-1}]"#, r#"{"symbol":"A","cents":1}"#, r#"[7]"#]
        {
            let text = tick(bad);
            let (by_text, by_tree) =
                (decode::<crate::stock::StockMsg>(&text), parsed_as::<crate::stock::StockMsg>(&text));
            assert_eq!(by_tree.as_ref().map_err(DecodeError::code), Err(ReasonCode::Malformed), "{text}");
            assert_eq!(by_text.map_err(|e| e.code()), Err(ReasonCode::Malformed), "{text}");
        }
        let result = |outcome: &str| {
            format!(
                r#"{{"v":1,"seq":1,"from":"x","sent_at":0,"kind":"result","body":{{"order_id":"o","outcome":{outcome}}}}}"#
            )
        };
        for bad in [r#"{"status":"refunded"}"#, r#"{"status":"paid"}"#, r#""paid""#] {
            let text = result(bad);
            assert!(parsed_as::<crate::payment::PaymentMsg>(&text).is_err(), "{text}");
            assert!(decode::<crate::payment::PaymentMsg>(&text).is_err(), "{text}");
        }
    }
}
