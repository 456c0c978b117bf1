//! Messages of the BroadcastChannel route.
//!
//! There is no server and no worker: every tab keeps its own [`Roster`](crate::roster::Roster) of
//! who else is on the channel. A tab says `hello` when it joins (the others answer `here`),
//! `goodbye` on `pagehide`, and pings every second; every tab answers a ping at once. A hidden
//! tab's timers are throttled, but it still answers messages, so as long as one tab is active every
//! tab stays in the roster.

/// How often a tab pings the channel.
pub const PING_INTERVAL_MS: u32 = 1_000;

use crate::Payload;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode, Body, Sender, SenderId};

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
