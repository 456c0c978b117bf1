//! What the storage-events route keeps in localStorage, and how it reads what others wrote there.
//!
//! Demo keys live under [`NAMESPACE`]; each value is an envelope (`kind: "value"`), so a value
//! written by anyone else — another app on the origin, a QA script, broken JSON — is decoded and
//! shown as rejected with the reason rather than trusted.

use crate::Payload;
use crate::{decode, preview, DecodeError, Envelope};

/// Prefix of the demo's keys in localStorage.
pub const NAMESPACE: &str = "crosstalk:demo:";
/// Prefix of the throwaway keys the quota filler writes (and removes).
pub const FILLER_PREFIX: &str = "crosstalk:filler:";

crate::bodies! {
    @parsed
    #[derive(Debug, Clone, PartialEq)]
    pub enum StorageMsg {
        Value { text: Payload } = "value",
    }
}

/// The demo key inside a localStorage key, if it is one of ours.
pub fn demo_key(storage_key: &str) -> Option<&str> {
    storage_key.strip_prefix(NAMESPACE)
}

/// One side (old or new) of a change, as read from localStorage.
#[derive(Debug, Clone, PartialEq)]
pub enum Stored {
    /// No value (the key did not exist, or was removed).
    Absent,
    Valid(Envelope<StorageMsg>),
    /// Something the demo cannot read, with why.
    Invalid {
        raw: String,
        error: DecodeError,
    },
}

impl Stored {
    /// Reads a value that is already in wasm memory (size-checked by [`decode`]).
    pub fn read(raw: Option<&str>) -> Stored {
        match raw {
            None => Stored::Absent,
            Some(text) => Stored::judged(text, decode::<StorageMsg>(text)),
        }
    }

    /// A value and the verdict on it (the transport checks the size before copying it in).
    pub fn judged(raw: &str, verdict: Result<Envelope<StorageMsg>, DecodeError>) -> Stored {
        match verdict {
            Ok(envelope) => Stored::Valid(envelope),
            Err(error) => Stored::Invalid { raw: preview(raw, 120), error },
        }
    }

    /// The text a person sees for it.
    pub fn label(&self) -> String {
        match self {
            Stored::Absent => "(none)".into(),
            Stored::Valid(Envelope { body: StorageMsg::Value { text }, .. }) => {
                format!("\"{}\"", text.preview(80))
            }
            Stored::Invalid { raw, .. } => format!("{} (unreadable)", preview(raw, 60)),
        }
    }

    pub fn error(&self) -> Option<&DecodeError> {
        match self {
            Stored::Invalid { error, .. } => Some(error),
            _ => None,
        }
    }

    pub fn envelope(&self) -> Option<&Envelope<StorageMsg>> {
        match self {
            Stored::Valid(envelope) => Some(envelope),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Sender, SenderId};

    #[test]
    fn only_namespaced_keys_are_the_demos() {
        assert_eq!(demo_key("crosstalk:demo:colour"), Some("colour"));
        assert_eq!(demo_key("crosstalk:demo:"), Some(""));
        assert_eq!(demo_key("crosstalk:filler:3"), None);
        assert_eq!(demo_key("someone-else"), None);
    }

    #[test]
    fn values_are_read_as_envelopes_or_refused_with_the_reason() {
        let wire = Sender::new(SenderId("tab-a".into()))
            .envelope(StorageMsg::Value { text: "blue <b>".into() }, 0.0)
            .encode()
            .unwrap();
        let valid = Stored::read(Some(&wire));
        assert_eq!(valid.label(), "\"blue <b>\"");
        assert_eq!(valid.envelope().map(|e| e.from.0.as_str()), Some("tab-a"));
        assert_eq!(Stored::read(None), Stored::Absent);
        assert_eq!(Stored::read(None).label(), "(none)");
        let broken = Stored::read(Some("{broken"));
        assert!(matches!(broken.error(), Some(DecodeError::NotJson(_))));
        assert_eq!(broken.label(), "{broken (unreadable)");
        assert!(matches!(Stored::read(Some("\"plain\"")).error(), Some(DecodeError::NotAnObject)));
    }
}
