//! Messages of the BroadcastChannel route, the roster of peers and the ordering check.
//!
//! There is no server and no worker: every tab keeps its own view of who else is on the channel.
//! A tab says `hello` when it joins (the others answer `here`), `goodbye` on `pagehide`, and
//! pings every second; every tab answers a ping at once. A hidden tab's timers are throttled,
//! but it still answers messages, so as long as one tab is active every tab stays in the roster.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Body, SenderId};

/// How often a tab pings the channel.
pub const PING_INTERVAL_MS: u32 = 1_000;
/// A peer not heard from for this long has left.
pub const PEER_TIMEOUT_MS: f64 = 3_500.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "body", rename_all = "kebab-case")]
pub enum BroadcastMsg {
    /// I joined this channel.
    Hello,
    /// Answer to `hello`: I am on this channel too.
    Here,
    Text {
        text: String,
    },
    Ping,
    Pong,
    /// I am leaving this channel.
    Goodbye,
}

impl Body for BroadcastMsg {
    const KINDS: &'static [&'static str] = &["hello", "here", "text", "ping", "pong", "goodbye"];
}

/// The other tabs on the channel, as far as this tab knows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Roster {
    last_heard: BTreeMap<SenderId, f64>,
}

impl Roster {
    /// Any message from `peer` proves it is there; `goodbye` removes it. True if the count changed.
    pub fn heard(&mut self, peer: &SenderId, body: &BroadcastMsg, now_ms: f64) -> bool {
        if *body == BroadcastMsg::Goodbye {
            return self.last_heard.remove(peer).is_some();
        }
        self.last_heard.insert(peer.clone(), now_ms).is_none()
    }

    /// Drops peers silent for longer than [`PEER_TIMEOUT_MS`]; returns who left.
    pub fn expire(&mut self, now_ms: f64) -> Vec<SenderId> {
        let gone: Vec<SenderId> = self
            .last_heard
            .iter()
            .filter(|(_, heard)| now_ms - **heard > PEER_TIMEOUT_MS)
            .map(|(peer, _)| peer.clone())
            .collect();
        for peer in &gone {
            self.last_heard.remove(peer);
        }
        gone
    }

    pub fn len(&self) -> usize {
        self.last_heard.len()
    }

    pub fn is_empty(&self) -> bool {
        self.last_heard.is_empty()
    }

    pub fn peers(&self) -> impl Iterator<Item = &SenderId> {
        self.last_heard.keys()
    }

    pub fn clear(&mut self) {
        self.last_heard.clear();
    }
}

/// Whether a sender's message came in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Order {
    /// The next one, or the first one heard from this sender.
    InOrder,
    /// Some messages between the last one and this one never arrived.
    Gap { expected: u64, got: u64 },
    /// Seen already, or older than one seen already.
    Repeat { last: u64, got: u64 },
}

impl Order {
    /// What the log says about it, if anything is wrong.
    pub fn problem(&self) -> Option<String> {
        match self {
            Order::InOrder => None,
            Order::Gap { expected, got } => {
                Some(format!("gap: expected #{expected}, got #{got} ({} missing)", got - expected))
            }
            Order::Repeat { last, got } => Some(format!("duplicate or out of order: #{got} after #{last}")),
        }
    }
}

/// Per-sender sequence tracking: flags gaps and repeats.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SequenceCheck {
    last: BTreeMap<SenderId, u64>,
}

impl SequenceCheck {
    pub fn check(&mut self, from: &SenderId, seq: u64) -> Order {
        let order = match self.last.get(from) {
            None => Order::InOrder,
            Some(&last) if seq == last + 1 => Order::InOrder,
            Some(&last) if seq > last + 1 => Order::Gap { expected: last + 1, got: seq },
            Some(&last) => Order::Repeat { last, got: seq },
        };
        if !matches!(order, Order::Repeat { .. }) {
            self.last.insert(from.clone(), seq);
        }
        order
    }

    /// Forgets a sender that left: if it comes back, its numbering starts a new baseline.
    pub fn forget(&mut self, from: &SenderId) {
        self.last.remove(from);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::kind_of;

    fn id(name: &str) -> SenderId {
        SenderId(name.into())
    }

    #[test]
    fn every_variant_kind_is_listed_in_kinds() {
        let all = [
            BroadcastMsg::Hello,
            BroadcastMsg::Here,
            BroadcastMsg::Text { text: String::new() },
            BroadcastMsg::Ping,
            BroadcastMsg::Pong,
            BroadcastMsg::Goodbye,
        ];
        let kinds: Vec<String> = all.iter().map(kind_of).collect();
        assert_eq!(kinds, BroadcastMsg::KINDS);
    }

    #[test]
    fn roster_counts_peers_heard_and_drops_those_who_say_goodbye() {
        let mut roster = Roster::default();
        assert!(roster.heard(&id("a"), &BroadcastMsg::Hello, 0.0));
        assert!(roster.heard(&id("b"), &BroadcastMsg::Here, 0.0));
        assert!(!roster.heard(&id("a"), &BroadcastMsg::Ping, 10.0));
        assert_eq!(roster.len(), 2);
        assert!(roster.heard(&id("a"), &BroadcastMsg::Goodbye, 20.0));
        assert_eq!(roster.peers().collect::<Vec<_>>(), [&id("b")]);
        assert!(
            !roster.heard(&id("zz"), &BroadcastMsg::Goodbye, 20.0),
            "goodbye from a stranger changes nothing"
        );
    }

    #[test]
    fn silent_peers_expire() {
        let mut roster = Roster::default();
        roster.heard(&id("a"), &BroadcastMsg::Hello, 0.0);
        roster.heard(&id("b"), &BroadcastMsg::Hello, 0.0);
        roster.heard(&id("b"), &BroadcastMsg::Pong, 3_000.0);
        assert!(roster.expire(3_500.0).is_empty());
        assert_eq!(roster.expire(3_501.0), [id("a")]);
        assert_eq!(roster.len(), 1);
    }

    #[test]
    fn in_order_gaps_and_repeats_are_told_apart_per_sender() {
        let mut check = SequenceCheck::default();
        assert_eq!(check.check(&id("a"), 7), Order::InOrder, "the first one heard sets the baseline");
        assert_eq!(check.check(&id("a"), 8), Order::InOrder);
        assert_eq!(check.check(&id("b"), 1), Order::InOrder);
        assert_eq!(check.check(&id("a"), 11), Order::Gap { expected: 9, got: 11 });
        assert_eq!(check.check(&id("a"), 11), Order::Repeat { last: 11, got: 11 });
        assert_eq!(check.check(&id("a"), 5), Order::Repeat { last: 11, got: 5 });
        assert_eq!(check.check(&id("a"), 12), Order::InOrder, "a repeat does not move the baseline");
        assert_eq!(
            Order::Gap { expected: 9, got: 11 }.problem().as_deref(),
            Some("gap: expected #9, got #11 (2 missing)")
        );
        check.forget(&id("a"));
        assert_eq!(
            check.check(&id("a"), 40),
            Order::InOrder,
            "a sender that left and came back starts afresh"
        );
        assert_eq!(check.check(&id("b"), 3), Order::Gap { expected: 2, got: 3 }, "others are still tracked");
    }
}
