//! Messages of the WebSocket route and the crosstalk relay: tabs, browsers and machines talking
//! through a server.
//!
//! ```text
//! tab A                          relay (/ws)                          tab B
//!  |== WebSocket upgrade (Origin checked) ==>|                          |
//!  |-- join {room} ------------------------->|                          |
//!  |<----------------- joined {room, members}|-- members {+A, 2} ------>|
//!  |-- text {text} ------------------------->|                          |
//!  |<------------- accepted {reply_to, #n}   |-- relayed {#n, A, text} ->|  #n: the room's order
//!  |   (cut off; back, maybe on another relay instance)                  |
//!  |-- join {room, after: #n} -------------->|                          |
//!  |<------- joined, resumed {replaying k}, relayed #n+1 … #n+k, then live |
//!  |<~~ ping (WebSocket frame) ~~~~~~~~~~~~~~|~~ ping ~~~~~~~~~~~~~~~~~~>|  silent clients dropped
//! ```
//!
//! Every frame is one envelope. The relay numbers each room's texts itself (`room_seq`), so
//! every member can see a gap, including in what it sent (`accepted` carries the number). Its own
//! envelopes to one connection are numbered per connection, as any sender's are.

use crate::Payload;
use crate::{Reason, ReasonCode, SenderId};

/// Largest frame the relay takes; a larger one closes the connection with 1009.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Longest room name, in bytes.
pub const MAX_ROOM_BYTES: usize = 64;
/// The room a page joins unless told otherwise.
pub const DEFAULT_ROOM: &str = "lobby";
/// Where the relay listens, on the app's origin.
pub const RELAY_PATH: &str = "/ws";

/// WebSocket close codes the relay uses, each with one meaning.
pub mod close {
    /// The page closed on purpose (leaving, or `pagehide`).
    pub const NORMAL: u16 = 1000;
    /// The relay is shutting down (Ctrl-C) or was stopped.
    pub const GOING_AWAY: u16 = 1001;
    /// The client kept sending over its rate after being told.
    pub const POLICY: u16 = 1008;
    /// A frame over [`super::MAX_FRAME_BYTES`].
    pub const TOO_BIG: u16 = 1009;
    /// The client read too slowly: its outbound queue filled up (the room carries on).
    pub const TOO_SLOW: u16 = 4000;
    /// The client stopped answering pings.
    pub const SILENT: u16 = 4001;
    /// The page cut its own connection (fault injection): it reconnects.
    pub const CUT: u16 = 4002;
}

crate::bodies! {
    @parsed
    #[derive(Debug, Clone, PartialEq)]
    pub enum RelayMsg {
        /// Client → relay: join `room`, leaving the one it was in. `after`: the last room number
        /// this client saw there (it is coming back): the relay replays what came after it.
        Join { room: String, after: Option<u64> } = "join",
        /// Client → relay: a message for the room's other members.
        Text { text: Payload } = "text",
        /// Relay → client: you are in `room`, with `members` members counting you.
        Joined { room: String, members: u32 } = "joined",
        /// Relay → a client that joined with `after`, right after `joined`: the next `replaying`
        /// frames are the room's texts after `after`, in order (its own included), then it is
        /// live; `missed` texts came after `after` but are past the room's history.
        Resumed { room: String, after: u64, replaying: u64, missed: u64 } = "resumed",
        /// Relay → every member: someone joined or left; `members` counts them now.
        Members { room: String, members: u32, joined: Option<SenderId>, left: Option<SenderId> } = "members",
        /// Relay → the sender: your text `reply_to` is the room's message `room_seq`.
        Accepted { reply_to: u64, room_seq: u64 } = "accepted",
        /// Relay → the other members: what `from` sent as its `seq`, the room's `room_seq`.
        Relayed { room_seq: u64, from: SenderId, seq: u64, sent_at: f64, text: Payload } = "relayed",
        /// Relay → client: this frame was refused and not relayed.
        Error { code: ReasonCode, reason: String } = "error",
    }
}

/// A room name as the relay takes it: 1 to 64 bytes of letters, digits, `-`, `_` and `.`.
pub fn room_name(name: &str) -> Result<&str, Reason> {
    let name = name.trim();
    let valid = !name.is_empty()
        && name.len() <= MAX_ROOM_BYTES
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid {
        Ok(name)
    } else {
        Err(Reason::new(
            ReasonCode::BadRoom,
            format!("a room name is 1 to {MAX_ROOM_BYTES} letters, digits, '-', '_' or '.'"),
        ))
    }
}

/// How long to wait before reconnect attempt `attempt` (0 for the first): exponential from
/// 250 ms, capped at 8 s, with "full jitter" — anywhere from half to all of it, `random` in
/// [0, 1) — so tabs that lost the relay together do not all come back at the same instant.
pub fn backoff_ms(attempt: u32, random: f64) -> u32 {
    const FIRST_MS: u32 = 250;
    const CAP_MS: u32 = 8_000;
    let ceiling = FIRST_MS.saturating_mul(1u32 << attempt.min(16)).min(CAP_MS);
    let random = if random.is_finite() { random.clamp(0.0, 1.0) } else { 0.0 };
    let share = 0.5 + 0.5 * random;
    (f64::from(ceiling) * share) as u32
}

/// What a close code means, for the log.
pub fn close_meaning(code: u16) -> &'static str {
    match code {
        close::NORMAL => "closed normally",
        close::GOING_AWAY => "the relay went away (stopped or restarting)",
        1006 => "the connection dropped without a close frame",
        close::POLICY => "closed for breaking the relay's policy (sending over the rate)",
        close::TOO_BIG => "a frame was over 64 KiB",
        close::TOO_SLOW => "this client read too slowly and its queue filled up",
        close::SILENT => "this client stopped answering pings",
        close::CUT => "cut by this page (fault injection)",
        _ => "closed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode, Sender};

    #[test]
    fn room_names_are_short_and_plain() {
        assert_eq!(room_name(" lobby "), Ok("lobby"));
        assert_eq!(room_name("team-7_a.b"), Ok("team-7_a.b"));
        for bad in ["", "  ", "a b", "<script>", "房间", &"x".repeat(65)] {
            assert_eq!(room_name(bad).unwrap_err().code, ReasonCode::BadRoom, "{bad}");
        }
        assert!(room_name(&"x".repeat(64)).is_ok());
    }

    #[test]
    fn a_join_from_before_resumes_existed_still_reads() {
        let old = r#"{"v":1,"from":"tab-1","seq":1,"sent_at":0,"kind":"join","body":{"room":"lobby"}}"#;
        assert_eq!(
            decode::<RelayMsg>(old).unwrap().body,
            RelayMsg::Join { room: "lobby".into(), after: None }
        );
    }

    #[test]
    fn backoff_grows_to_a_cap_with_jitter_in_the_upper_half() {
        assert_eq!(backoff_ms(0, 0.0), 125);
        assert_eq!(backoff_ms(0, 0.999_999), 249);
        assert_eq!(backoff_ms(3, 1.0), 2_000);
        assert_eq!(backoff_ms(10, 1.0), 8_000);
        assert_eq!(backoff_ms(u32::MAX, 0.0), 4_000, "no overflow however long it has been");
        assert_eq!(backoff_ms(2, f64::NAN), 500, "a bad random number counts as 0, not a panic");
    }

    #[test]
    fn every_relay_frame_round_trips_as_an_envelope() {
        let mut relay = Sender::new(SenderId("relay".into()));
        let bodies = [
            RelayMsg::Join { room: "lobby".into(), after: None },
            RelayMsg::Join { room: "lobby".into(), after: Some(41) },
            RelayMsg::Resumed { room: "lobby".into(), after: 41, replaying: 3, missed: 2 },
            RelayMsg::Joined { room: "lobby".into(), members: 2 },
            RelayMsg::Members {
                room: "lobby".into(),
                members: 1,
                joined: None,
                left: Some(SenderId("tab-1".into())),
            },
            RelayMsg::Accepted { reply_to: 4, room_seq: 9 },
            RelayMsg::Relayed {
                room_seq: 9,
                from: SenderId("tab-1".into()),
                seq: 4,
                sent_at: 1.5,
                text: "hi 你好".into(),
            },
            RelayMsg::Error { code: ReasonCode::RateLimited, reason: "slow down".into() },
        ];
        for body in bodies {
            let wire = relay.envelope(body.clone(), 0.0).encode().unwrap();
            assert_eq!(decode::<RelayMsg>(&wire).unwrap().body, body, "{wire}");
        }
    }
}
