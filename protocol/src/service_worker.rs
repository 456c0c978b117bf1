//! The Service Worker route: what tabs and the worker say to each other. A tab posts to
//! `navigator.serviceWorker.controller`; the worker forwards a text, unchanged, to every other
//! client it finds, and tells the sender whom it reached — with the count of messages this
//! instance has handled, which starts again at 1 whenever the browser has stopped an idle worker
//! and started a new one.

use crate::{Payload, SenderId};

/// The worker's script: a classic script at the origin's root, so its scope is the whole origin.
pub const SCRIPT: &str = "/sw.js";
/// The scope it controls.
pub const SCOPE: &str = "/";
/// The highest script version the page asks for (`/sw.js?v=N`: each is an update).
pub const MAX_SCRIPT_VERSION: u32 = 99;

crate::bodies! {
    @parsed
    #[derive(Debug, Clone, PartialEq)]
    pub enum SwMsg {
        /// Tab → worker, when the tab is controlled: who are you?
        Hello = "hello",
        /// Worker → tab: this instance, its script's version, how many messages it has handled
        /// since it started, and how many window clients it sees.
        Welcome { instance: SenderId, version: u32, handled: u64, clients: u32 } = "welcome",
        /// Tab → worker → every other client (forwarded as sent).
        Text { text: Payload } = "text",
        /// Worker → sender: forwarded to `to` of the `clients` it found.
        Delivered { reply_to: u64, to: u32, clients: u32, handled: u64, instance: SenderId } = "delivered",
        /// Worker → sender: the message could not be read (its code and why).
        Refused { code: String, why: String } = "refused",
        /// Tab → a waiting worker: stop waiting, take over now.
        SkipWaiting = "skip-waiting",
        /// Tab → worker → the same tab: the benchmark's echo.
        Echo { text: Payload } = "echo",
    }
}

/// The script's URL for version `version` (version 1 is the plain script).
pub fn script_url(version: u32) -> String {
    if version <= 1 {
        SCRIPT.to_owned()
    } else {
        format!("{SCRIPT}?v={version}")
    }
}

/// The version a script URL (or its query) names: `?v=N`, else 1. Anything unreadable is 1.
pub fn version_of(url: &str) -> u32 {
    let query = url.split_once('?').map_or(url, |(_, q)| q);
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("v="))
        .and_then(|v| v.parse::<u32>().ok())
        .filter(|v| (1..=MAX_SCRIPT_VERSION).contains(v))
        .unwrap_or(1)
}

/// The lifecycle of a service worker, as `ServiceWorker.state` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    Parsed,
    Installing,
    /// Installed, and waiting while an older worker still controls a client.
    Waiting,
    Activating,
    Active,
    Redundant,
}

impl Lifecycle {
    /// From `ServiceWorker.state`; `installed` is the waiting step.
    pub fn parse(state: &str) -> Option<Lifecycle> {
        Some(match state {
            "parsed" => Lifecycle::Parsed,
            "installing" => Lifecycle::Installing,
            "installed" => Lifecycle::Waiting,
            "activating" => Lifecycle::Activating,
            "activated" => Lifecycle::Active,
            "redundant" => Lifecycle::Redundant,
            _ => return None,
        })
    }

    /// The word of `sw-state`'s `data-state`.
    pub fn word(self) -> &'static str {
        match self {
            Lifecycle::Parsed => "parsed",
            Lifecycle::Installing => "installing",
            Lifecycle::Waiting => "waiting",
            Lifecycle::Activating => "activating",
            Lifecycle::Active => "active",
            Lifecycle::Redundant => "redundant",
        }
    }
}

/// Whether a welcome says the worker was restarted since the last one this tab heard: another
/// instance, whose count starts again.
pub fn restarted(before: Option<&SenderId>, now: &SenderId) -> bool {
    before.is_some_and(|b| b != now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_versions_read_back_and_anything_else_is_one() {
        assert_eq!(script_url(1), "/sw.js");
        assert_eq!(version_of(&script_url(7)), 7);
        assert_eq!(version_of("http://127.0.0.1:8080/sw.js?v=3"), 3);
        for odd in ["/sw.js", "/sw.js?v=", "/sw.js?v=abc", "/sw.js?v=0", "/sw.js?v=100", "/sw.js?x=2"] {
            assert_eq!(version_of(odd), 1, "{odd}");
        }
    }

    #[test]
    fn lifecycle_words_and_a_restart_is_a_new_instance() {
        assert_eq!(Lifecycle::parse("installed"), Some(Lifecycle::Waiting));
        assert_eq!(Lifecycle::parse("activated").map(Lifecycle::word), Some("active"));
        assert_eq!(Lifecycle::parse("sleeping"), None);
        let (a, b) = (SenderId("sw-a".into()), SenderId("sw-b".into()));
        assert!(!restarted(None, &a), "the first welcome is no restart");
        assert!(!restarted(Some(&a), &a));
        assert!(restarted(Some(&a), &b));
    }
}
