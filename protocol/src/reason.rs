//! Reason codes: every rejection and refusal in crosstalk carries one beside its sentence. Pages
//! publish it as `data-reason-code` on the log entry, tests match it instead of English, and the
//! lessons translate by it. Codes are stable: add, never rename.

use std::fmt;

use serde::de::{Error as _, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! reason_codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, )*) => {
        /// A stable, machine-readable word for why something was refused.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ReasonCode {
            $( $(#[$doc])* $variant, )*
        }

        impl ReasonCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ReasonCode] = &[$(ReasonCode::$variant),*];

            /// The code as published (`data-reason-code`, the wire).
            pub fn as_str(self) -> &'static str {
                match self {
                    $( ReasonCode::$variant => $code, )*
                }
            }

            pub fn parse(code: &str) -> Option<ReasonCode> {
                match code {
                    $( $code => Some(ReasonCode::$variant), )*
                    _ => None,
                }
            }
        }
    };
}

reason_codes! {
    // What decoding finds wrong with a message from outside.
    /// The transport delivered something other than a string.
    NotText = "not-text",
    /// Over the size limit; refused before it was read.
    TooLarge = "too-large",
    /// Not read at all: it came from an origin or window nobody expects messages from.
    NotRead = "not-read",
    BadJson = "bad-json",
    NotAnObject = "not-an-object",
    NoVersion = "no-version",
    WrongVersion = "wrong-version",
    NoKind = "no-kind",
    UnknownKind = "unknown-kind",
    /// Right version and kind, wrong fields.
    Malformed = "malformed",
    /// This page's own message, dropped on purpose by fault injection.
    FaultInjected = "fault-injected",
    // Where a well-formed message does not belong.
    /// A known kind, on a channel or from a side that does not send it.
    UnexpectedKind = "unexpected-kind",
    /// `connect` without a transferred port.
    NoPort = "no-port",
    // Who sent it (window messages).
    WrongOrigin = "wrong-origin",
    WrongSource = "wrong-source",
    /// A message claiming another sender than the one its port speaks for.
    WrongSender = "wrong-sender",
    // Orders and results.
    UnknownOrder = "unknown-order",
    Replayed = "replayed",
    Late = "late",
    // Sequence numbers.
    /// Messages between the last one and this one never arrived.
    Gap = "gap",
    /// Seen already, or older than one seen already.
    Repeat = "repeat",
    // Limits of a store.
    KeyTooLarge = "key-too-large",
    /// The store holds as many keys or bytes as it may.
    StoreFull = "store-full",
    /// A room name the relay does not take.
    BadRoom = "bad-room",
    /// A room, or the relay, holds as many as it may.
    RoomFull = "room-full",
    /// A client sent faster than the relay's rate; more gets it closed (1008).
    RateLimited = "rate-limited",
    /// Sends made while the relay is away wait in a bounded queue; this one found it full.
    QueueFull = "queue-full",
    /// Another origin the route needs did not answer at all.
    Unreachable = "unreachable",
    /// A newcomer the roster has no room for (too many peers or ports).
    RosterFull = "roster-full",
    ValueTooLarge = "value-too-large",
    /// The browser refused a storage write (QuotaExceededError).
    Quota = "quota",
    /// localStorage is missing or blocked.
    StorageBlocked = "storage-blocked",
    // This page's own sends.
    /// The transport is not ready (still starting, stopped, failed).
    NotReady = "not-ready",
    /// The browser's postMessage (or equivalent) threw.
    PostFailed = "post-failed",
    /// What the user typed cannot be used (an amount, a time limit).
    BadInput = "bad-input",
    /// A value that cannot cross to that context (a `SharedArrayBuffer` outside its agent
    /// cluster: `DataCloneError`, or `messageerror` where it arrives).
    NotCloneable = "not-cloneable",
    /// A page's main thread may not block (`Atomics.wait` throws there).
    WouldBlock = "would-block",
    /// A signalling message for a session this tab is not in, or from a peer it is not talking to.
    WrongSession = "wrong-session",
    // Why an API a route needs is not on the page.
    /// Browsers give it to secure contexts only (https, or localhost), and this page is not one.
    InsecureContext = "insecure-context",
    /// Browsers give it to cross-origin isolated pages only, and this page is not one.
    NotIsolated = "not-isolated",
    /// This browser does not have it at all.
    NotInBrowser = "not-in-browser",
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ReasonCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ReasonCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CodeVisitor;
        impl Visitor<'_> for CodeVisitor {
            type Value = ReasonCode;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a reason code")
            }
            fn visit_str<E: serde::de::Error>(self, code: &str) -> Result<ReasonCode, E> {
                ReasonCode::parse(code).ok_or_else(|| E::custom(format!("unknown reason code \"{code}\"")))
            }
        }
        deserializer.deserialize_str(CodeVisitor).map_err(D::Error::custom)
    }
}

/// A refusal: its code, and the sentence a person reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub code: ReasonCode,
    pub text: String,
}

impl Reason {
    pub fn new(code: ReasonCode, text: impl Into<String>) -> Reason {
        Reason { code, text: text.into() }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_parses_back_and_codes_are_unique_kebab_words() {
        let mut seen = std::collections::BTreeSet::new();
        for &code in ReasonCode::ALL {
            assert_eq!(ReasonCode::parse(code.as_str()), Some(code));
            assert!(code.as_str().chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{code}");
            assert!(seen.insert(code.as_str()), "{code} twice");
        }
        assert_eq!(ReasonCode::parse("no-such-code"), None);
    }

    #[test]
    fn codes_travel_as_strings() {
        assert_eq!(serde_json::to_string(&ReasonCode::TooLarge).unwrap(), "\"too-large\"");
        assert_eq!(serde_json::from_str::<ReasonCode>("\"bad-json\"").unwrap(), ReasonCode::BadJson);
        assert!(serde_json::from_str::<ReasonCode>("\"nope\"").is_err());
    }
}
