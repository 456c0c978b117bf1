//! The IndexedDB route: one database every tab of the origin opens, one object store of notes, and
//! the notices tabs send each other — IndexedDB has no change events, so a tab that wrote says
//! which key (never the value: the others read it from the store).
//!
//! Values are stored as envelopes (`kind: "value"`), so a value written by anyone else — another
//! script of the origin, a raw write of the fault injection — is decoded and shown as rejected
//! with its reason rather than trusted.

use crate::{preview, DecodeError, Envelope, Payload, Reason, ReasonCode};

/// The database every tab opens.
pub const DB_NAME: &str = "crosstalk-idb";
/// The object store of notes, made by version 1.
pub const STORE: &str = "notes";
/// The BroadcastChannel on which a tab says what it committed.
pub const CHANNEL: &str = "crosstalk:indexeddb";
/// Longest key the page takes, in characters.
pub const MAX_KEY_CHARS: usize = 64;
/// Longest value the page writes, in characters: the store would take more; the lesson needs less.
pub const MAX_VALUE_CHARS: usize = 64 * 1024;
/// The highest version the page upgrades to: each upgrade adds a store, and enough is enough.
pub const MAX_VERSION: u32 = 50;

crate::bodies! {
    @parsed
    #[derive(Debug, Clone, PartialEq)]
    pub enum IdbMsg {
        /// What the store holds under a key.
        Value { text: Payload } = "value",
        /// Over the channel: I committed a write of `key` (read it from the store).
        Wrote { key: String } = "wrote",
        /// Over the channel: the database is at `version` now.
        Upgraded { version: u32 } = "upgraded",
    }
}

/// A key as the page takes it: 1 to [`MAX_KEY_CHARS`] characters, trimmed.
pub fn key(key: &str) -> Result<&str, Reason> {
    let key = key.trim();
    if key.is_empty() || key.chars().count() > MAX_KEY_CHARS {
        return Err(Reason::new(ReasonCode::BadInput, format!("a key is 1 to {MAX_KEY_CHARS} characters")));
    }
    Ok(key)
}

/// A value as the page writes it: at most [`MAX_VALUE_CHARS`] characters.
pub fn value(text: &str) -> Result<&str, Reason> {
    if text.chars().count() > MAX_VALUE_CHARS {
        let why = format!("a value is at most {MAX_VALUE_CHARS} characters");
        return Err(Reason::new(ReasonCode::ValueTooLarge, why));
    }
    Ok(text)
}

/// The version an upgrade from `now` asks for, unless it is the last one.
pub fn next_version(now: u32) -> Result<u32, Reason> {
    if now >= MAX_VERSION {
        let why = format!("version {MAX_VERSION} is the last this page upgrades to");
        return Err(Reason::new(ReasonCode::BadInput, why));
    }
    Ok(now + 1)
}

/// The store a version's upgrade adds (version 1 makes [`STORE`]).
pub fn store_of(version: u32) -> String {
    if version <= 1 {
        STORE.to_owned()
    } else {
        format!("since-v{version}")
    }
}

/// What a key holds, as read back from the store.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// Nothing under that key.
    Absent,
    Valid(Envelope<IdbMsg>),
    /// Something the page cannot read, with why.
    Invalid {
        raw: String,
        error: DecodeError,
    },
}

impl Record {
    /// A value and the verdict on it (the transport checks the size before copying it in).
    pub fn judged(raw: &str, verdict: Result<Envelope<IdbMsg>, DecodeError>) -> Record {
        match verdict {
            Ok(envelope) if matches!(envelope.body, IdbMsg::Value { .. }) => Record::Valid(envelope),
            Ok(envelope) => Record::Invalid {
                raw: preview(raw, 120),
                error: DecodeError::Malformed(format!("a stored \"{}\" is not a value", envelope.kind())),
            },
            Err(error) => Record::Invalid { raw: preview(raw, 120), error },
        }
    }

    /// The text of a valid value.
    pub fn text(&self) -> Option<&Payload> {
        match self {
            Record::Valid(Envelope { body: IdbMsg::Value { text }, .. }) => Some(text),
            _ => None,
        }
    }

    /// Who wrote a valid value.
    pub fn writer(&self) -> Option<&str> {
        match self {
            Record::Valid(envelope) => Some(&envelope.from.0),
            _ => None,
        }
    }

    pub fn error(&self) -> Option<&DecodeError> {
        match self {
            Record::Invalid { error, .. } => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode, Body as _, Sender, SenderId};

    fn wire(body: IdbMsg) -> String {
        Sender::new(SenderId("tab-a".into())).envelope(body, 0.0).encode().unwrap()
    }

    #[test]
    fn a_stored_value_reads_back_with_its_writer_and_anything_else_is_refused_with_the_reason() {
        let text = wire(IdbMsg::Value { text: "blue <b>".into() });
        let valid = Record::judged(&text, decode(&text));
        assert_eq!(valid.text().map(|t| t.to_string()).as_deref(), Some("blue <b>"));
        assert_eq!(valid.writer(), Some("tab-a"));
        let broken = Record::judged("{nope", decode("{nope"));
        assert_eq!(broken.error().map(DecodeError::code), Some(ReasonCode::BadJson));
        let notice = wire(IdbMsg::Wrote { key: "k".into() });
        let misplaced = Record::judged(&notice, decode(&notice));
        assert_eq!(
            misplaced.error().map(DecodeError::code),
            Some(ReasonCode::Malformed),
            "a notice is no value"
        );
        assert_eq!(IdbMsg::Upgraded { version: 2 }.kind(), "upgraded");
    }

    #[test]
    fn keys_values_and_versions_are_bounded() {
        assert_eq!(key("  colour "), Ok("colour"));
        assert_eq!(key("").map_err(|r| r.code), Err(ReasonCode::BadInput));
        assert_eq!(key(&"k".repeat(MAX_KEY_CHARS + 1)).map_err(|r| r.code), Err(ReasonCode::BadInput));
        assert!(value(&"v".repeat(MAX_VALUE_CHARS)).is_ok());
        assert_eq!(
            value(&"v".repeat(MAX_VALUE_CHARS + 1)).map_err(|r| r.code),
            Err(ReasonCode::ValueTooLarge)
        );
        assert_eq!(next_version(1), Ok(2));
        assert_eq!(next_version(MAX_VERSION).map_err(|r| r.code), Err(ReasonCode::BadInput));
        assert_eq!((store_of(1).as_str(), store_of(3).as_str()), (STORE, "since-v3"));
    }
}
