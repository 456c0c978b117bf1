//! Decoding an envelope in one pass over its text: no `serde_json::Value`, no flattening buffer.
//!
//! The visitor walks the object's fields as they come. `v` is judged on the spot, `kind` is matched
//! against the body's derived list of kinds, and the `body` is read straight into the typed variant
//! when `v` and `kind` came before it — as they do in every envelope crosstalk writes. Only a body
//! that arrives first is kept as a borrowed slice of the input and read at the end. The priorities
//! of the staged decoder stay: not an object, then version, then kind, then fields.

use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserializer;
use serde_json::error::Category;
use serde_json::value::RawValue;

use crate::{Body, DecodeError, Envelope, SenderId, MAX_ENVELOPE_BYTES, MAX_SEQ, PROTOCOL_VERSION};

/// Decodes wire text into a typed envelope, or says precisely why not.
pub fn decode<B: Body>(text: &str) -> Result<Envelope<B>, DecodeError> {
    if text.len() > MAX_ENVELOPE_BYTES {
        return Err(DecodeError::TooLarge { bytes: text.len(), limit: MAX_ENVELOPE_BYTES });
    }
    // The visitor leaves its precise verdict here; serde only carries "it failed" back out.
    let verdict = RefCell::new(None);
    let mut json = serde_json::Deserializer::from_str(text);
    let result = EnvelopeSeed::<B> { verdict: &verdict, body: PhantomData }
        .deserialize(&mut json)
        .and_then(|envelope| json.end().map(|()| envelope));
    result.map_err(|error| {
        verdict.into_inner().unwrap_or_else(|| match error.classify() {
            Category::Data if !text.trim_start().starts_with('{') => DecodeError::NotAnObject,
            Category::Data => DecodeError::Malformed(error.to_string()),
            Category::Syntax | Category::Eof | Category::Io => DecodeError::NotJson(error.to_string()),
        })
    })
}

struct EnvelopeSeed<'v, B> {
    verdict: &'v RefCell<Option<DecodeError>>,
    body: PhantomData<B>,
}

impl<'v, B> EnvelopeSeed<'v, B> {
    fn fail<E: serde::de::Error>(&self, error: DecodeError) -> E {
        *self.verdict.borrow_mut() = Some(error);
        E::custom("rejected")
    }
}

impl<'de, B: Body> DeserializeSeed<'de> for EnvelopeSeed<'_, B> {
    type Value = Envelope<B>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Envelope<B>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

/// The top-level fields of an envelope.
enum Field {
    V,
    Seq,
    From,
    SentAt,
    Kind,
    Body,
    Other,
}

impl<'de> serde::Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Field, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Field, E> {
                Ok(match name {
                    "v" => Field::V,
                    "seq" => Field::Seq,
                    "from" => Field::From,
                    "sent_at" => Field::SentAt,
                    "kind" => Field::Kind,
                    "body" => Field::Body,
                    _ => Field::Other,
                })
            }
        }
        deserializer.deserialize_identifier(FieldVisitor)
    }
}

/// What the `kind` field held.
enum KindSeen {
    Known(&'static str),
    Unknown(String),
    NotAString,
}

fn set_once<T, E: serde::de::Error>(slot: &mut Option<T>, value: T, name: &'static str) -> Result<(), E> {
    if slot.replace(value).is_some() {
        return Err(E::duplicate_field(name));
    }
    Ok(())
}

impl<'de, B: Body> Visitor<'de> for EnvelopeSeed<'_, B> {
    type Value = Envelope<B>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an envelope (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope<B>, A::Error> {
        let mut version_ok = false;
        let (mut seq, mut from, mut sent_at) = (None, None, None);
        let mut kind: Option<KindSeen> = None;
        let mut body: Option<B> = None;
        let mut early_body: Option<&'de RawValue> = None;
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::V => {
                    if version_ok {
                        return Err(A::Error::duplicate_field("v"));
                    }
                    match map.next_value_seed(VersionSeed)? {
                        Ok(()) => version_ok = true,
                        Err(got) => {
                            return Err(
                                self.fail(DecodeError::WrongVersion { got, expected: PROTOCOL_VERSION })
                            )
                        }
                    }
                }
                Field::Seq => {
                    let n = map.next_value::<u64>()?;
                    if n > MAX_SEQ {
                        return Err(A::Error::custom(format!("seq {n} is over the largest, {MAX_SEQ}")));
                    }
                    set_once(&mut seq, n, "seq")?
                }
                Field::From => set_once(&mut from, map.next_value::<SenderId>()?, "from")?,
                Field::SentAt => set_once(&mut sent_at, map.next_value::<f64>()?, "sent_at")?,
                Field::Kind => set_once(&mut kind, map.next_value_seed(KindSeed::<B>(PhantomData))?, "kind")?,
                Field::Body => {
                    if body.is_some() || early_body.is_some() {
                        return Err(A::Error::duplicate_field("body"));
                    }
                    match (&kind, version_ok) {
                        (Some(KindSeen::Known(known)), true) => {
                            body = Some(map.next_value_seed(BodySeed::<B>(known, PhantomData))?)
                        }
                        _ => early_body = Some(map.next_value::<&'de RawValue>()?),
                    }
                }
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !version_ok {
            return Err(self.fail(DecodeError::MissingVersion));
        }
        let kind = match kind {
            Some(KindSeen::Known(kind)) => kind,
            Some(KindSeen::Unknown(kind)) => return Err(self.fail(DecodeError::UnknownKind(kind))),
            Some(KindSeen::NotAString) | None => return Err(self.fail(DecodeError::MissingKind)),
        };
        let body = match (body, early_body) {
            (Some(body), _) => body,
            (None, Some(raw)) => {
                let mut json = serde_json::Deserializer::from_str(raw.get());
                B::read_body(kind, &mut json).map_err(A::Error::custom)?
            }
            (None, None) => B::without_body(kind).ok_or_else(|| A::Error::missing_field("body"))?,
        };
        Ok(Envelope {
            v: PROTOCOL_VERSION,
            seq: seq.ok_or_else(|| A::Error::missing_field("seq"))?,
            from: from.ok_or_else(|| A::Error::missing_field("from"))?,
            sent_at: sent_at.ok_or_else(|| A::Error::missing_field("sent_at"))?,
            body,
        })
    }
}

/// Reads `v`: `Ok` for this version, else how the other version looked.
struct VersionSeed;

impl<'de> DeserializeSeed<'de> for VersionSeed {
    type Value = Result<(), String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for VersionSeed {
    type Value = Result<(), String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a version number")
    }
    fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
        Ok(if n == u64::from(PROTOCOL_VERSION) { Ok(()) } else { Err(n.to_string()) })
    }
    fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
        Ok(Err(n.to_string()))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Self::Value, E> {
        // serde_json's own float writer is linked already; core's `{:?}` would add ~10 KB of wasm.
        Ok(Err(serde_json::to_string(&n).unwrap_or_else(|_| "a number".into())))
    }
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Err(format!("\"{s}\"")))
    }
    fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
        Ok(Err(b.to_string()))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Err("null".into()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Err("an array".into()))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Err("an object".into()))
    }
}

/// Reads `kind` and matches it against the body's kinds without keeping a copy of a known one.
struct KindSeed<B>(PhantomData<B>);

impl<'de, B: Body> DeserializeSeed<'de> for KindSeed<B> {
    type Value = KindSeen;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<KindSeen, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, B: Body> Visitor<'de> for KindSeed<B> {
    type Value = KindSeen;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a kind")
    }
    fn visit_str<E>(self, s: &str) -> Result<KindSeen, E> {
        Ok(match B::KINDS.iter().find(|known| **known == s) {
            Some(known) => KindSeen::Known(known),
            None => KindSeen::Unknown(crate::preview(s, 40)),
        })
    }
    fn visit_u64<E>(self, _: u64) -> Result<KindSeen, E> {
        Ok(KindSeen::NotAString)
    }
    fn visit_i64<E>(self, _: i64) -> Result<KindSeen, E> {
        Ok(KindSeen::NotAString)
    }
    fn visit_f64<E>(self, _: f64) -> Result<KindSeen, E> {
        Ok(KindSeen::NotAString)
    }
    fn visit_bool<E>(self, _: bool) -> Result<KindSeen, E> {
        Ok(KindSeen::NotAString)
    }
    fn visit_unit<E>(self) -> Result<KindSeen, E> {
        Ok(KindSeen::NotAString)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KindSeen, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(KindSeen::NotAString)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KindSeen, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(KindSeen::NotAString)
    }
}

/// Reads `body` as the variant of a known kind.
struct BodySeed<B>(&'static str, PhantomData<B>);

impl<'de, B: Body> DeserializeSeed<'de> for BodySeed<B> {
    type Value = B;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<B, D::Error> {
        B::read_body(self.0, deserializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::bodies! {
        #[derive(Debug, Clone, PartialEq)]
        enum Probe {
            Ping = "ping",
            Note { text: String, count: Option<u32> } = "note",
        }
    }

    #[test]
    fn optional_fields_may_be_left_out_and_unit_bodies_ignore_what_they_carry() {
        let note = r#"{"v":1,"seq":1,"from":"a","sent_at":0,"kind":"note","body":{"text":"t"}}"#;
        assert_eq!(decode::<Probe>(note).unwrap().body, Probe::Note { text: "t".into(), count: None });
        let ping = r#"{"v":1,"seq":1,"from":"a","sent_at":0,"kind":"ping","body":{"x":[1,2]}}"#;
        assert_eq!(decode::<Probe>(ping).unwrap().body, Probe::Ping);
    }

    #[test]
    fn the_kinds_list_follows_the_declaration() {
        assert_eq!(Probe::KINDS, ["ping", "note"]);
        for (body, kind) in
            [(Probe::Ping, "ping"), (Probe::Note { text: String::new(), count: Some(1) }, "note")]
        {
            assert_eq!(body.kind(), kind);
            assert!(Probe::KINDS.contains(&body.kind()));
        }
    }
}
