//! Who else is there: peers heard from recently. Any message proves a peer is there, a goodbye
//! removes it at once, and silence removes it after [`PEER_TIMEOUT_MS`]. Used by the tabs of the
//! BroadcastChannel route; the shared store keeps its own per-port variant.

use std::collections::BTreeMap;

use crate::{Reason, ReasonCode, SenderId};

/// A peer not heard from for this long has left.
pub const PEER_TIMEOUT_MS: f64 = 3_500.0;
/// At most this many peers are tracked; a newcomer beyond it is refused (a flood of forged
/// sender ids cannot grow memory without bound).
pub const MAX_PEERS: usize = 256;

/// What hearing from a peer did to the roster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// A peer not in the roster before.
    New,
    /// A peer already there, now heard again.
    Known,
    /// A newcomer, refused: the roster already holds [`MAX_PEERS`].
    Full,
}

impl Heard {
    /// The refusal to show for a newcomer the roster has no room for.
    pub fn refusal(peer: &SenderId) -> Reason {
        Reason::new(
            ReasonCode::RosterFull,
            format!(
                "the roster is full ({MAX_PEERS} peers): {peer} is not counted and its message is not taken"
            ),
        )
    }
}

/// The roster's expiry from the page's query (`?peer-timeout-ms=60000`, a QA hook: with a long
/// expiry only a goodbye removes a closed tab at once). 1 s to 10 min; otherwise the default.
pub fn peer_timeout_from_query(search: &str) -> Option<f64> {
    let value = crate::query::param(search, "peer-timeout-ms")?;
    value.parse::<u32>().ok().filter(|ms| (1_000..=600_000).contains(ms)).map(f64::from)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Roster {
    last_heard: BTreeMap<SenderId, f64>,
    timeout_ms: f64,
}

impl Default for Roster {
    fn default() -> Self {
        Roster::with_timeout(PEER_TIMEOUT_MS)
    }
}

impl Roster {
    /// A roster whose silent peers expire after `timeout_ms` (QA can lengthen it to watch the
    /// goodbye do its work alone).
    pub fn with_timeout(timeout_ms: f64) -> Roster {
        Roster { last_heard: BTreeMap::new(), timeout_ms }
    }

    /// `peer` spoke at `now_ms`.
    pub fn heard(&mut self, peer: &SenderId, now_ms: f64) -> Heard {
        if let Some(heard) = self.last_heard.get_mut(peer) {
            *heard = now_ms;
            return Heard::Known;
        }
        if self.last_heard.len() >= MAX_PEERS {
            return Heard::Full;
        }
        self.last_heard.insert(peer.clone(), now_ms);
        Heard::New
    }

    /// `peer` said goodbye. True if it was in the roster.
    pub fn left(&mut self, peer: &SenderId) -> bool {
        self.last_heard.remove(peer).is_some()
    }

    /// Drops peers silent for longer than the timeout; returns who left.
    pub fn expire(&mut self, now_ms: f64) -> Vec<SenderId> {
        let gone: Vec<SenderId> = self
            .last_heard
            .iter()
            .filter(|(_, heard)| now_ms - **heard > self.timeout_ms)
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

/// Lets an answer through at most once per interval: a storm of `hello`s from a script gets a
/// bounded number of `here`s, never one each. A tab that joined in between still learns of us
/// from our next ping.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerGate {
    interval_ms: f64,
    last: Option<f64>,
}

/// How often a tab answers `hello` at most.
pub const ANSWER_INTERVAL_MS: f64 = 250.0;

impl Default for AnswerGate {
    fn default() -> Self {
        AnswerGate { interval_ms: ANSWER_INTERVAL_MS, last: None }
    }
}

impl AnswerGate {
    /// Whether to answer now; true at most once per interval.
    pub fn allow(&mut self, now_ms: f64) -> bool {
        if self.last.is_some_and(|last| now_ms - last < self.interval_ms) {
            return false;
        }
        self.last = Some(now_ms);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> SenderId {
        SenderId(name.into())
    }

    #[test]
    fn counts_peers_heard_and_drops_those_who_say_goodbye() {
        let mut roster = Roster::default();
        assert_eq!(roster.heard(&id("a"), 0.0), Heard::New);
        assert_eq!(roster.heard(&id("b"), 0.0), Heard::New);
        assert_eq!(roster.heard(&id("a"), 10.0), Heard::Known);
        assert_eq!(roster.len(), 2);
        assert!(roster.left(&id("a")));
        assert_eq!(roster.peers().collect::<Vec<_>>(), [&id("b")]);
        assert!(!roster.left(&id("zz")), "goodbye from a stranger changes nothing");
    }

    #[test]
    fn silent_peers_expire() {
        let mut roster = Roster::default();
        roster.heard(&id("a"), 0.0);
        roster.heard(&id("b"), 0.0);
        roster.heard(&id("b"), 3_000.0);
        assert!(roster.expire(3_500.0).is_empty());
        assert_eq!(roster.expire(3_501.0), [id("a")]);
        assert_eq!(roster.len(), 1);
    }

    #[test]
    fn a_flood_of_new_ids_is_bounded() {
        let mut roster = Roster::default();
        let refused = (0..MAX_PEERS + 50)
            .filter(|n| roster.heard(&id(&format!("forged-{n}")), 0.0) == Heard::Full)
            .count();
        assert_eq!((roster.len(), refused), (MAX_PEERS, 50));
        assert_eq!(roster.heard(&id("forged-0"), 1.0), Heard::Known, "those already in are still heard");
        assert!(roster.left(&id("forged-0")));
        assert_eq!(roster.heard(&id("newcomer"), 2.0), Heard::New, "room again once someone leaves");
        assert_eq!(Heard::refusal(&id("x")).code, ReasonCode::RosterFull);
    }

    #[test]
    fn a_storm_of_hellos_gets_a_bounded_number_of_answers() {
        let mut gate = AnswerGate::default();
        let answered = (0..10_000).filter(|n| gate.allow(*n as f64 * 0.1)).count();
        assert_eq!(answered, 4, "1 s of hellos, one answer per 250 ms");
        assert!(gate.allow(10_000.0));
    }

    #[test]
    fn the_expiry_can_be_lengthened_from_the_query_within_bounds() {
        assert_eq!(peer_timeout_from_query("?peer-timeout-ms=60000"), Some(60_000.0));
        assert_eq!(peer_timeout_from_query("?a=1&peer-timeout-ms=2000"), Some(2_000.0));
        for odd in
            ["", "?peer-timeout-ms=5", "?peer-timeout-ms=9999999", "?peer-timeout-ms=x", "?other=60000"]
        {
            assert_eq!(peer_timeout_from_query(odd), None, "{odd}");
        }
    }
}
