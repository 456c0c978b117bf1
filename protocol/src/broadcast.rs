//! Messages of the BroadcastChannel route.
//!
//! There is no server and no worker: every tab keeps its own [`Roster`](crate::roster::Roster) of
//! who else is on the channel. A tab says `hello` when it joins (the others answer `here`),
//! `goodbye` on `pagehide`, and pings every second; every tab answers a ping at once. A hidden
//! tab's timers are throttled, but it still answers messages, so as long as one tab is active every
//! tab stays in the roster.

/// How often a tab pings the channel.
pub const PING_INTERVAL_MS: u32 = 1_000;

use crate::roster::{AnswerGate, Heard, Roster};
use crate::{Payload, Reason, SenderId};

crate::bodies! {
    @parsed
    #[derive(Debug, Clone, PartialEq)]
    pub enum BroadcastMsg {
        /// I joined this channel.
        Hello = "hello",
        /// Answer to `hello`: I am on this channel too.
        Here = "here",
        Text { text: Payload } = "text",
        Ping = "ping",
        Pong = "pong",
        /// I am leaving this channel.
        Goodbye = "goodbye",
    }
}

impl BroadcastMsg {
    /// Roster upkeep that is answered or counted, never logged.
    pub fn is_upkeep(&self) -> bool {
        matches!(self, BroadcastMsg::Ping | BroadcastMsg::Pong)
    }
}

/// How a tab takes one message heard on the channel.
#[derive(Debug, Clone, PartialEq)]
pub enum Take {
    /// Refused and logged with its reason: a newcomer the full roster has no room for. Checked
    /// first, so a flood of forged senders never reaches the ordering check or the log's progress.
    Decline(Reason),
    /// Roster upkeep (a ping or a pong): counted, never logged.
    Upkeep,
    /// Logged as received.
    Deliver,
}

/// What a tab does on hearing one message: the adapter carries it out.
#[derive(Debug, Clone, PartialEq)]
pub struct Reaction {
    pub take: Take,
    /// What this tab answers at once, if anything (a pong to a ping, a gated `here` to a hello).
    pub answer: Option<BroadcastMsg>,
    /// The sender said goodbye: its place in the ordering check is forgotten.
    pub forget: bool,
    /// The number of other tabs changed: a newcomer joined, or a known tab left.
    pub peers_changed: bool,
}

/// One tab's membership of a channel, without the channel: who else is there, and the gate
/// that keeps its answers to `hello` bounded. Every decision the adapter makes on a message.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Membership {
    roster: Roster,
    gate: AnswerGate,
}

impl Membership {
    pub fn new(roster: Roster) -> Membership {
        Membership { roster, gate: AnswerGate::default() }
    }

    /// `body` came from `from` at `now_ms`.
    pub fn hear(&mut self, from: &SenderId, body: &BroadcastMsg, now_ms: f64) -> Reaction {
        let leaving = *body == BroadcastMsg::Goodbye;
        let heard = match leaving {
            true if self.roster.left(from) => Heard::New,
            true => Heard::Known,
            false => self.roster.heard(from, now_ms),
        };
        let reaction =
            |take, answer| Reaction { take, answer, forget: leaving, peers_changed: heard == Heard::New };
        match (heard, body) {
            (Heard::Full, _) => Reaction {
                take: Take::Decline(Heard::refusal(from)),
                answer: None,
                forget: false,
                peers_changed: false,
            },
            (_, BroadcastMsg::Ping) => reaction(Take::Upkeep, Some(BroadcastMsg::Pong)),
            (_, BroadcastMsg::Pong) => reaction(Take::Upkeep, None),
            (_, BroadcastMsg::Hello) => {
                reaction(Take::Deliver, self.gate.allow(now_ms).then_some(BroadcastMsg::Here))
            }
            _ => reaction(Take::Deliver, None),
        }
    }

    /// Drops the tabs silent for longer than the roster's expiry; returns who left.
    pub fn expire(&mut self, now_ms: f64) -> Vec<SenderId> {
        self.roster.expire(now_ms)
    }

    /// How many other tabs are on the channel.
    pub fn len(&self) -> usize {
        self.roster.len()
    }

    pub fn is_empty(&self) -> bool {
        self.roster.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roster::MAX_PEERS;
    use crate::{decode, Body, ReasonCode, Sender};

    fn id(name: &str) -> SenderId {
        SenderId(name.into())
    }

    #[test]
    fn a_ping_is_answered_and_counted_and_a_pong_only_counted() {
        let mut tab = Membership::default();
        let ping = tab.hear(&id("a"), &BroadcastMsg::Ping, 0.0);
        assert_eq!(
            (ping.take, ping.answer, ping.peers_changed),
            (Take::Upkeep, Some(BroadcastMsg::Pong), true)
        );
        let pong = tab.hear(&id("a"), &BroadcastMsg::Pong, 1.0);
        assert_eq!((pong.take, pong.answer, pong.peers_changed), (Take::Upkeep, None, false));
        assert_eq!(tab.len(), 1);
    }

    #[test]
    fn hellos_are_delivered_and_answered_at_most_once_per_interval() {
        let mut tab = Membership::default();
        let first = tab.hear(&id("a"), &BroadcastMsg::Hello, 0.0);
        assert_eq!((first.take, first.answer), (Take::Deliver, Some(BroadcastMsg::Here)));
        let storm = tab.hear(&id("b"), &BroadcastMsg::Hello, 10.0);
        assert_eq!((storm.take, storm.answer, storm.peers_changed), (Take::Deliver, None, true));
        assert_eq!(tab.hear(&id("c"), &BroadcastMsg::Hello, 300.0).answer, Some(BroadcastMsg::Here));
        let text = tab.hear(&id("a"), &BroadcastMsg::Text { text: "hi".into() }, 301.0);
        assert_eq!((text.take, text.answer, text.peers_changed), (Take::Deliver, None, false));
    }

    #[test]
    fn a_goodbye_forgets_the_sender_and_changes_the_count_only_if_it_was_there() {
        let mut tab = Membership::default();
        tab.hear(&id("a"), &BroadcastMsg::Hello, 0.0);
        let bye = tab.hear(&id("a"), &BroadcastMsg::Goodbye, 1.0);
        assert_eq!((bye.take, bye.forget, bye.peers_changed), (Take::Deliver, true, true));
        assert!(tab.is_empty());
        let stranger = tab.hear(&id("zz"), &BroadcastMsg::Goodbye, 2.0);
        assert_eq!((stranger.forget, stranger.peers_changed), (true, false));
    }

    #[test]
    fn a_newcomer_beyond_the_roster_is_declined_before_anything_else() {
        let mut tab = Membership::default();
        for n in 0..MAX_PEERS {
            tab.hear(&id(&format!("t{n}")), &BroadcastMsg::Pong, 0.0);
        }
        let refused = tab.hear(&id("one-too-many"), &BroadcastMsg::Ping, 0.0);
        let Take::Decline(reason) = refused.take else { panic!("taken: {refused:?}") };
        assert_eq!(
            (reason.code, refused.answer, refused.peers_changed),
            (ReasonCode::RosterFull, None, false)
        );
    }

    #[test]
    fn silent_tabs_expire() {
        let mut tab = Membership::new(Roster::with_timeout(1_000.0));
        tab.hear(&id("a"), &BroadcastMsg::Hello, 0.0);
        assert_eq!(tab.expire(1_001.0), [id("a")]);
    }

    #[test]
    fn every_kind_round_trips() {
        let mut tab = Sender::new(SenderId("tab-a".into()));
        for body in [
            BroadcastMsg::Hello,
            BroadcastMsg::Here,
            BroadcastMsg::Text { text: "hi".into() },
            BroadcastMsg::Ping,
            BroadcastMsg::Pong,
            BroadcastMsg::Goodbye,
        ] {
            let kind = body.kind();
            let wire = tab.envelope(body.clone(), 0.0).encode().unwrap();
            assert_eq!(decode::<BroadcastMsg>(&wire).unwrap().body, body, "{kind}");
        }
        assert_eq!(BroadcastMsg::KINDS.len(), 6);
    }
}
