//! The WebRTC route: the signalling messages that introduce two peers (carried over a
//! BroadcastChannel between tabs of one browser, or through a room of the crosstalk relay between
//! browsers and machines), the rules that keep a stranger out of a session, and what travels on
//! the data channel once it is open.
//!
//! ```text
//! tab A (offerer)            signalling (channel or relay room)            tab B
//!  |-- hello ------------------------------------------------------------->|   who is here
//!  |<----------------------------------------------------------- here -----|
//!  |-- offer {to: B, session, sdp} ---------------------------------------->|
//!  |<------------------------------------- answer {to: A, session, sdp} ---|
//!  |<=== candidate {to, session, …} both ways, as each side finds them ===>|
//!  |================= RTCDataChannel: text, directly, no server ===========|
//! ```
//!
//! Every signalling message names the tab it is for (`to`) and the session (`session`, chosen by
//! the offerer). A tab takes an answer or a candidate only for its own session from its own peer,
//! and an offer only while it is in no other session ([`Session::admits`]): a forged one is refused
//! with `wrong-session`.

use crate::{Payload, Reason, ReasonCode, SenderId};

/// The BroadcastChannel of signalling between tabs of one browser.
pub const CHANNEL: &str = "crosstalk:webrtc";
/// The relay room signalling goes through unless the page names another.
pub const DEFAULT_ROOM: &str = "webrtc";
/// The data channel's label.
pub const LABEL: &str = "crosstalk";
/// Largest SDP taken from a peer, in bytes (a data-channel-only SDP is well under 2 KB).
pub const MAX_SDP_BYTES: usize = 16 * 1024;
/// Largest ICE candidate line taken, in bytes.
pub const MAX_CANDIDATE_BYTES: usize = 1024;
/// Longest session id, in bytes.
pub const MAX_SESSION_BYTES: usize = 64;
/// Candidates kept while the remote description is not set yet; more are refused.
pub const MAX_EARLY_CANDIDATES: usize = 64;
/// The most a page sends in one data-channel message, whatever the browser allows: a
/// `maxMessageSize` can be a gigabyte, and a peer's limit may be lower than this browser's.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// Backpressure: sending pauses while more than this is buffered…
pub const HIGH_WATER_BYTES: u32 = 1024 * 1024;
/// …and resumes at `bufferedamountlow`, below this.
pub const LOW_WATER_BYTES: u32 = 256 * 1024;
/// One flood: this many messages of [`FLOOD_MESSAGE_BYTES`].
pub const FLOOD_MESSAGES: u32 = 200;
pub const FLOOD_MESSAGE_BYTES: usize = 16 * 1024;

crate::bodies! {
    @parsed
    #[derive(Debug, Clone, PartialEq)]
    pub enum RtcSignal {
        /// I am here, and free to connect: who else is?
        Hello = "hello",
        /// An answer to a hello: I am here too.
        Here { to: SenderId } = "here",
        /// Offerer → `to`: the session it starts, and its description.
        Offer { to: SenderId, session: String, sdp: String } = "offer",
        /// Answerer → offerer.
        Answer { to: SenderId, session: String, sdp: String } = "answer",
        /// One ICE candidate, as each side finds it.
        Candidate { to: SenderId, session: String, candidate: String, mid: Option<String>, line: Option<u32> } = "candidate",
        /// The session is over.
        Bye { to: SenderId, session: String } = "bye",
    }
}

crate::bodies! {
    @parsed
    #[derive(Debug, Clone, PartialEq)]
    pub enum RtcData {
        /// A text on the data channel.
        Text { text: Payload } = "text",
        /// One of a flood's messages (backpressure): its index, and filler.
        Bulk { index: u32, fill: Payload } = "bulk",
    }
}

/// The session this tab is in, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub peer: SenderId,
    /// Whether this tab made the offer.
    pub offerer: bool,
}

/// What a tab does with a signalling message that decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admit {
    /// For this tab, in order: act on it.
    Take,
    /// For another tab (signalling is a broadcast): not ours, not an error.
    NotMine,
    /// For this tab, but not from its peer or for its session: refused.
    Refuse(Reason),
}

impl Session {
    /// Whether `me`, in session `current` (if any), takes `signal` from `from`.
    // lesson: webrtc
    pub fn admits(current: Option<&Session>, me: &SenderId, from: &SenderId, signal: &RtcSignal) -> Admit {
        let (to, session) = match signal {
            RtcSignal::Hello => return Admit::Take,
            RtcSignal::Here { to } => return if to == me { Admit::Take } else { Admit::NotMine },
            RtcSignal::Offer { to, session, .. }
            | RtcSignal::Answer { to, session, .. }
            | RtcSignal::Candidate { to, session, .. }
            | RtcSignal::Bye { to, session } => (to, session),
        };
        if to != me {
            return Admit::NotMine;
        }
        let refuse = |why: String| Admit::Refuse(Reason::new(ReasonCode::WrongSession, why));
        match (signal, current) {
            // A new offer while free; in a session, only a repeat of the peer's own.
            (RtcSignal::Offer { .. }, None) => Admit::Take,
            (_, Some(now)) if now.id == *session && now.peer == *from => Admit::Take,
            (_, Some(now)) if now.id == *session => {
                refuse(format!("session {session} is with {}, not {from}", now.peer))
            }
            (_, Some(now)) => {
                refuse(format!("this tab is in session {} with {}, not in {session}", now.id, now.peer))
            }
            (_, None) => refuse(format!("this tab is in no session, so not in {session}")),
        }
    }
    // lesson end
}

/// Checks what a peer's signalling carries before the browser sees it: sizes, and an id of
/// plain characters.
pub fn check_signal(signal: &RtcSignal) -> Result<(), Reason> {
    let too_large = |what: &str, bytes: usize, limit: usize| {
        Err(Reason::new(ReasonCode::TooLarge, format!("{what} of {bytes} bytes; at most {limit}")))
    };
    let session_ok = |session: &str| {
        !session.is_empty()
            && session.len() <= MAX_SESSION_BYTES
            && session.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    match signal {
        RtcSignal::Hello | RtcSignal::Here { .. } => return Ok(()),
        RtcSignal::Offer { sdp, .. } | RtcSignal::Answer { sdp, .. } if sdp.len() > MAX_SDP_BYTES => {
            return too_large("an SDP", sdp.len(), MAX_SDP_BYTES)
        }
        RtcSignal::Candidate { candidate, .. } if candidate.len() > MAX_CANDIDATE_BYTES => {
            return too_large("a candidate", candidate.len(), MAX_CANDIDATE_BYTES)
        }
        _ => {}
    }
    let session = match signal {
        RtcSignal::Offer { session, .. }
        | RtcSignal::Answer { session, .. }
        | RtcSignal::Candidate { session, .. }
        | RtcSignal::Bye { session, .. } => session,
        RtcSignal::Hello | RtcSignal::Here { .. } => return Ok(()),
    };
    if session_ok(session) {
        Ok(())
    } else {
        Err(Reason::new(ReasonCode::Malformed, "a session id is 1 to 64 letters, digits or dashes"))
    }
}

/// The type of an ICE candidate (`host`, `srflx`, `prflx`, `relay`) from its line
/// (`candidate:… typ host …`); the end-of-candidates marker (an empty line) has none.
pub fn candidate_type(line: &str) -> Option<&str> {
    let mut words = line.split_whitespace();
    while let Some(word) = words.next() {
        if word == "typ" {
            return words.next().filter(|t| matches!(*t, "host" | "srflx" | "prflx" | "relay"));
        }
    }
    None
}

/// Whether a candidate's address is an mDNS name (`….local`): how Chromium hides a host address.
pub fn is_mdns(line: &str) -> bool {
    line.split_whitespace().nth(4).is_some_and(|address| address.ends_with(".local"))
}

/// What the page may send on the channel: at most `limit` bytes (the lower of the peer's
/// `maxMessageSize` and [`MAX_MESSAGE_BYTES`]).
pub fn message_fits(bytes: usize, max_message_size: Option<f64>) -> Result<(), Reason> {
    let limit = max_message_size
        .filter(|m| m.is_finite() && *m > 0.0)
        .map_or(MAX_MESSAGE_BYTES, |m| (m as usize).min(MAX_MESSAGE_BYTES));
    if bytes <= limit {
        return Ok(());
    }
    let browser = max_message_size.map_or("unknown".to_owned(), |m| format!("{m:.0}"));
    Err(Reason::new(
        ReasonCode::TooLarge,
        format!("{bytes} bytes over the limit of {limit} (the connection's maxMessageSize is {browser})"),
    ))
}

/// What became of a flood's messages, as a receiver counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Arrivals {
    /// Messages that arrived.
    pub arrived: u64,
    /// Messages that came after a later one had (unordered delivery, or a fault's reorder).
    pub out_of_order: u64,
    /// Messages skipped over by a later one and not (yet) arrived: lost, or still to come.
    pub missing: u64,
    highest: Option<u64>,
}

impl Arrivals {
    /// Counts the message numbered `seq` (a sender's sequence number on the channel).
    pub fn count(&mut self, seq: u64) {
        self.arrived += 1;
        match self.highest {
            None => self.highest = Some(seq),
            Some(high) if seq > high => {
                self.missing += seq - high - 1;
                self.highest = Some(seq);
            }
            Some(_) => {
                self.out_of_order += 1;
                self.missing = self.missing.saturating_sub(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> SenderId {
        SenderId(name.into())
    }

    fn offer(to: &str, session: &str) -> RtcSignal {
        RtcSignal::Offer { to: id(to), session: session.into(), sdp: "v=0".into() }
    }

    fn candidate(to: &str, session: &str) -> RtcSignal {
        RtcSignal::Candidate {
            to: id(to),
            session: session.into(),
            candidate: String::new(),
            mid: None,
            line: None,
        }
    }

    #[test]
    fn a_free_tab_takes_an_offer_for_itself_and_ignores_others() {
        assert_eq!(Session::admits(None, &id("b"), &id("a"), &offer("b", "s1")), Admit::Take);
        assert_eq!(Session::admits(None, &id("b"), &id("a"), &offer("c", "s1")), Admit::NotMine);
        assert_eq!(Session::admits(None, &id("b"), &id("a"), &RtcSignal::Hello), Admit::Take);
    }

    #[test]
    fn a_forged_offer_or_candidate_for_someone_elses_session_is_refused() {
        let now = Session { id: "s1".into(), peer: id("a"), offerer: false };
        // The peer's own candidate for the session: taken.
        assert_eq!(Session::admits(Some(&now), &id("b"), &id("a"), &candidate("b", "s1")), Admit::Take);
        // A stranger's offer, or candidate, into the session, or another session while busy.
        for (from, signal) in [
            ("x", offer("b", "s1")),
            ("x", candidate("b", "s1")),
            ("x", offer("b", "s2")),
            ("a", candidate("b", "s9")),
        ] {
            match Session::admits(Some(&now), &id("b"), &id(from), &signal) {
                Admit::Refuse(reason) => {
                    assert_eq!(reason.code, ReasonCode::WrongSession, "{from} {signal:?}")
                }
                other => panic!("{from} {signal:?}: {other:?}"),
            }
        }
        // An answer out of nowhere.
        let answer = RtcSignal::Answer { to: id("b"), session: "s1".into(), sdp: String::new() };
        assert!(matches!(Session::admits(None, &id("b"), &id("a"), &answer), Admit::Refuse(_)));
    }

    #[test]
    fn sizes_and_session_ids_are_checked_before_the_browser_sees_them() {
        let big = RtcSignal::Offer { to: id("b"), session: "s".into(), sdp: "x".repeat(MAX_SDP_BYTES + 1) };
        assert_eq!(check_signal(&big).unwrap_err().code, ReasonCode::TooLarge);
        let line = RtcSignal::Candidate {
            to: id("b"),
            session: "s".into(),
            candidate: "x".repeat(MAX_CANDIDATE_BYTES + 1),
            mid: None,
            line: None,
        };
        assert_eq!(check_signal(&line).unwrap_err().code, ReasonCode::TooLarge);
        assert_eq!(check_signal(&offer("b", "<script>")).unwrap_err().code, ReasonCode::Malformed);
        assert_eq!(check_signal(&offer("b", "a1-b2")), Ok(()));
    }

    #[test]
    fn candidate_types_and_hidden_addresses_are_read_from_the_line() {
        let host = "candidate:1 1 udp 2122260223 192.168.1.20 54321 typ host generation 0";
        let mdns = "candidate:2 1 udp 2122260223 3f1c9b1e-7d0a-4c59.local 54321 typ host";
        let srflx = "candidate:3 1 udp 1686052607 203.0.113.5 40000 typ srflx raddr 0.0.0.0 rport 0";
        assert_eq!(candidate_type(host), Some("host"));
        assert_eq!(candidate_type(srflx), Some("srflx"));
        assert_eq!(candidate_type(""), None);
        assert_eq!(candidate_type("typ nonsense"), None);
        assert!(is_mdns(mdns) && !is_mdns(host));
    }

    #[test]
    fn the_message_limit_is_the_lower_of_the_peers_and_ours() {
        assert_eq!(message_fits(1000, Some(262_144.0)), Ok(()));
        assert!(message_fits(MAX_MESSAGE_BYTES + 1, Some(1e9)).is_err());
        let refused = message_fits(70_000, Some(65_536.0)).unwrap_err();
        assert_eq!(refused.code, ReasonCode::TooLarge);
        assert!(refused.text.contains("65536"), "{}", refused.text);
        assert_eq!(message_fits(10, None), Ok(()));
    }

    #[test]
    fn arrivals_count_what_came_late_and_what_never_came() {
        let mut seen = Arrivals::default();
        for seq in [1, 2, 4, 3, 7] {
            seen.count(seq);
        }
        assert_eq!((seen.arrived, seen.out_of_order, seen.missing), (5, 1, 2));
    }
}
