//! The WebSocket route's state: the link's phase (connecting, open, reconnecting, closed), the
//! room and its member count, the relay's numbering of the room (gaps flagged), and what the log
//! says of each event. Page: `pages/websocket.rs`; transport: `transport/websocket.rs`; the relay:
//! `server/src/relay/`.

use crosstalk_protocol::relay::{close_meaning, RelayMsg, DEFAULT_ROOM};
use crosstalk_protocol::{Body as _, Reason, ReasonCode};

use super::told::{Own, OwnOf};
use super::RouteState;
use crate::diagram::{Diagram, Step};
use crate::i18n::Text;
use crate::learn::GuideStep;
use crate::log::{shown, Direction, Entry, LogBook, Status};
use crate::said;
use crate::transport::websocket::{Notice, RelayEvent};
use crate::transport::LinkState;

pub const DIAGRAM: Diagram = Diagram {
    title: "This tab, the relay, the room's other tabs",
    lanes: &["this tab", "relay", "other tabs"],
    steps: &[
        Step::new(0, 1, "join {room}", &[(Direction::Out, "join")]),
        Step::new(1, 0, "joined: members", &[(Direction::In, "joined")]),
        Step::new(0, 1, "text", &[(Direction::Out, "text")]),
        Step::new(1, 0, "accepted: relay #n", &[(Direction::In, "accepted")]),
        Step::new(1, 2, "relayed #n → every other member", &[(Direction::Out, "text")]),
        Step::new(1, 0, "relayed #n from another tab", &[(Direction::In, "relayed")]),
        Step::new(1, 0, "relay gone → reconnect, rejoin", &[(Direction::System, "reconnecting")]),
        Step::new(0, 1, "join {room, after: last seen}", &[(Direction::Out, "join")]),
        Step::new(1, 0, "resumed: the missed ones, then live", &[(Direction::In, "resumed")]),
    ],
};

/// `1009 (a frame was over 64 KiB: frames may be at most 64 KiB)`: the code, what it means, and
/// what the closer said, if anything.
fn closed_text(code: u16, why: &str) -> String {
    match why.is_empty() {
        true => format!("{code} ({})", close_meaning(code)),
        false => format!("{code} ({}: {why})", close_meaning(code)),
    }
}

/// Where the link is, as `status` shows it (`data-state`).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Phase {
    #[default]
    Connecting,
    Open,
    /// The relay went away; attempt `attempt` comes in `delay_ms`.
    Reconnecting {
        attempt: u32,
        delay_ms: u32,
    },
    Closed,
    Failed(String),
}

impl Phase {
    pub fn as_attr(&self) -> &'static str {
        match self {
            Phase::Connecting => "connecting",
            Phase::Open => "open",
            Phase::Reconnecting { .. } => "reconnecting",
            Phase::Closed => "closed",
            Phase::Failed(_) => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct WebSocketState {
    pub phase: Phase,
    /// The room this tab is in (or joining).
    pub room: String,
    /// Members of the room now, this tab included, as the relay last said.
    pub members: Option<u32>,
    /// The relay's last number for this room, and how many times it skipped.
    last_room_seq: Option<u64>,
    pub gaps: u64,
    /// Texts waiting for the relay to come back.
    pub queued: usize,
    /// Replayed texts still to come after a `resumed`, and how many were replayed in all.
    replaying: u64,
    pub replayed: u64,
    /// The last room number this tab saw (what a reconnect resumes after).
    pub last_seen: Option<u64>,
    pub error: Option<String>,
}

impl Default for WebSocketState {
    fn default() -> Self {
        WebSocketState {
            phase: Phase::Connecting,
            room: DEFAULT_ROOM.to_owned(),
            members: None,
            last_room_seq: None,
            gaps: 0,
            queued: 0,
            replaying: 0,
            replayed: 0,
            last_seen: None,
            error: None,
        }
    }
}

pub enum Action {
    Relay(OwnOf<RelayEvent>),
    /// The page asked to join `room` (validated by the relay).
    Joining(String),
}

/// The walkthrough's chapter: a room through the relay, a second member, and a resume.
pub const CHAPTER: &[GuideStep] = &[
    GuideStep::new("joined", Text::LearnWebsocketJoined, Text::LearnWebsocketJoinedSee, "members"),
    GuideStep::new("second-tab", Text::LearnWebsocketSecondTab, Text::LearnWebsocketSecondTabSee, "members")
        .in_two_tabs(),
    GuideStep::new("resumed", Text::LearnWebsocketResumed, Text::LearnWebsocketResumedSee, "replayed")
        .in_two_tabs(),
];

impl RouteState for WebSocketState {
    type Action = Action;

    fn chapter() -> (&'static str, &'static [GuideStep]) {
        ("websocket", CHAPTER)
    }

    fn reached(&self, step: &str) -> bool {
        match step {
            "joined" => self.phase == Phase::Open && self.members.is_some(),
            "second-tab" => self.members.is_some_and(|n| n >= 2),
            "resumed" => self.replayed > 0,
            _ => false,
        }
    }

    /// The error line says what was refused, and why.
    fn refused(&mut self, refusal: &super::Refusal) {
        self.error = Some(format!("{}: {}", refusal.what, refusal.reason.text));
    }

    fn apply(&mut self, action: Action, at_ms: f64, log: &mut LogBook) {
        match action {
            Action::Relay(event) => self.on_event(event, at_ms, log),
            Action::Joining(room) => self.room = room,
        }
    }
}

impl WebSocketState {
    /// The relay numbered a text of this room `room_seq`: a skip is flagged on the entry.
    fn numbered(&mut self, room_seq: u64) -> Status {
        self.last_seen = Some(self.last_seen.map_or(room_seq, |n| n.max(room_seq)));
        let expected = self.last_room_seq.map(|last| last.saturating_add(1));
        self.last_room_seq = Some(room_seq);
        match expected {
            Some(expected) if room_seq != expected => {
                self.gaps += 1;
                let said =
                    format!("the room's numbering skipped: expected relay #{expected}, got #{room_seq}");
                Status::Rejected(Reason::new(ReasonCode::Gap, said))
            }
            _ => Status::Ok,
        }
    }

    fn on_event(&mut self, own: OwnOf<RelayEvent>, at_ms: f64, log: &mut LogBook) {
        match own {
            Own::State(LinkState::Connecting) => {
                if !matches!(self.phase, Phase::Reconnecting { .. }) {
                    self.phase = Phase::Connecting;
                }
            }
            Own::State(LinkState::Ready) => self.phase = Phase::Open,
            Own::State(LinkState::Closed) => self.phase = Phase::Closed,
            Own::State(LinkState::Failed(reason)) => self.phase = Phase::Failed(reason),
            Own::State(LinkState::Unsupported) => self.phase = Phase::Failed("no WebSocket here".into()),
            Own::Sent { envelope, .. } => {
                let entry = match &envelope.body {
                    RelayMsg::Join { room, after: None } => {
                        Entry::sent(&envelope, "", at_ms).saying(said!(JoinRoom, room))
                    }
                    RelayMsg::Join { room, after: Some(after) } => {
                        Entry::sent(&envelope, "", at_ms).saying(said!(ResumeRoom, room, after))
                    }
                    RelayMsg::Text { text } => Entry::sent(&envelope, shown(text), at_ms),
                    other => Entry::sent(&envelope, other.kind(), at_ms),
                };
                if matches!(envelope.body, RelayMsg::Text { .. }) {
                    self.error = None;
                }
                log.push(entry);
            }
            Own::Received { envelope, .. } => {
                let mut status = Status::Ok;
                let said = match &envelope.body {
                    RelayMsg::Joined { room, members } => {
                        if *room != self.room {
                            self.last_seen = None;
                        }
                        self.room = room.clone();
                        self.members = Some(*members);
                        self.last_room_seq = None;
                        said!(JoinedRoom, room, members)
                    }
                    RelayMsg::Members { members, joined, left, .. } => {
                        self.members = Some(*members);
                        match (joined, left) {
                            (Some(who), _) => said!(MemberJoined, who, members),
                            (_, Some(who)) => said!(MemberLeft, who, members),
                            _ => said!(Members, members),
                        }
                    }
                    RelayMsg::Accepted { reply_to, room_seq } => {
                        status = self.numbered(*room_seq);
                        said!(Accepted, reply_to, room_seq)
                    }
                    RelayMsg::Resumed { after, replaying, missed, .. } => {
                        self.replaying = *replaying;
                        // What is past the history is said here, once, not as a gap next.
                        self.last_room_seq = Some(after.saturating_add(*missed));
                        if *missed > 0 {
                            self.gaps += 1;
                            let said = format!(
                                "{missed} message(s) after relay #{after} are past the room's history: lost"
                            );
                            status = Status::Rejected(Reason::new(ReasonCode::Gap, said));
                            said!(ResumedLost, replaying, missed)
                        } else {
                            said!(Resumed, replaying, after)
                        }
                    }
                    RelayMsg::Relayed { room_seq, from, text, .. } => {
                        status = self.numbered(*room_seq);
                        if self.replaying > 0 {
                            self.replaying -= 1;
                            self.replayed += 1;
                            said!(Replayed, text, room_seq, from)
                        } else {
                            said!(Relayed, text, room_seq, from)
                        }
                    }
                    RelayMsg::Error { code, reason } => {
                        let said = format!("the relay refused it: {reason}");
                        self.error = Some(said.clone());
                        status = Status::Rejected(Reason::new(*code, said));
                        said!(NotRelayed)
                    }
                    other => said!(Plain, other.kind()),
                };
                log.push(Entry::received(&envelope, "", at_ms).with_status(status).saying(said));
            }
            Own::Other(notice) => self.on_notice(notice, at_ms, log),
        }
    }

    fn on_notice(&mut self, notice: Notice, at_ms: f64, log: &mut LogBook) {
        match notice {
            Notice::Opened => log.push(Entry::said("open", said!(RelayConnected), at_ms)),
            Notice::Reconnecting { code, why, attempt, delay_ms } => {
                self.phase = Phase::Reconnecting { attempt, delay_ms };
                self.members = None;
                let said = said!(Reconnecting, closed_text(code, &why), attempt, delay_ms);
                log.push(Entry::said("reconnecting", said, at_ms));
            }
            Notice::Closed { code, why } => {
                self.phase = Phase::Closed;
                self.members = None;
                log.push(Entry::said("closed", said!(Closed, closed_text(code, &why)), at_ms));
            }
            Notice::Queued { text, waiting } => {
                self.queued = waiting;
                log.push(Entry::said("queued", said!(Queued, text, waiting), at_ms));
            }
            Notice::Flushed { count } => {
                self.queued = 0;
                log.push(Entry::said("flushed", said!(Flushed, count), at_ms));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walkthrough_steps_read_the_room_and_the_replay() {
        let joined = WebSocketState { phase: Phase::Open, members: Some(1), ..Default::default() };
        assert!(joined.reached("joined") && !joined.reached("second-tab") && !joined.reached("resumed"));
        assert!(
            !WebSocketState { members: Some(1), ..Default::default() }.reached("joined"),
            "not while connecting"
        );
        assert!(WebSocketState { members: Some(2), ..Default::default() }.reached("second-tab"));
        assert!(WebSocketState { replayed: 1, ..Default::default() }.reached("resumed"));
    }
    use crosstalk_protocol::order::Order;
    use crosstalk_protocol::{Envelope, Sender, SenderId};

    fn relay_says(body: RelayMsg) -> Action {
        let envelope: Envelope<RelayMsg> = Sender::new(SenderId("relay-1".into())).envelope(body, 0.0);
        Action::Relay(Own::Received { envelope, via: "relay", order: Order::InOrder })
    }

    /// "hi" from tab-b, the room's `room_seq`.
    fn relayed(room_seq: u64) -> RelayMsg {
        RelayMsg::Relayed {
            room_seq,
            from: SenderId("tab-b".into()),
            seq: 1,
            sent_at: 0.0,
            text: "hi".into(),
        }
    }

    fn lines(log: &LogBook) -> Vec<Entry> {
        log.entries().map(|l| l.entry.clone()).collect()
    }

    #[test]
    fn joining_counts_members_and_notices_keep_the_count() {
        let (mut state, mut log) = (WebSocketState::default(), LogBook::default());
        state.apply(relay_says(RelayMsg::Joined { room: "lobby".into(), members: 2 }), 0.0, &mut log);
        assert_eq!(state.members, Some(2));
        let joined = Some(SenderId("tab-b".into()));
        state.apply(
            relay_says(RelayMsg::Members { room: "lobby".into(), members: 3, joined, left: None }),
            1.0,
            &mut log,
        );
        assert_eq!(state.members, Some(3));
        assert!(lines(&log)[1].payload.text().starts_with("tab-b joined"));
    }

    #[test]
    fn the_rooms_numbering_is_checked_across_own_and_others_texts() {
        let (mut state, mut log) = (WebSocketState::default(), LogBook::default());
        state.apply(relay_says(RelayMsg::Joined { room: "lobby".into(), members: 2 }), 0.0, &mut log);
        state.apply(relay_says(relayed(5)), 1.0, &mut log);
        state.apply(relay_says(RelayMsg::Accepted { reply_to: 2, room_seq: 6 }), 2.0, &mut log);
        state.apply(relay_says(relayed(8)), 3.0, &mut log);
        let codes: Vec<Option<&str>> = lines(&log).iter().map(|e| e.status.code()).collect();
        assert_eq!(codes, [None, None, None, Some("gap")]);
        assert_eq!(state.gaps, 1);
        assert!(lines(&log)[3].payload.text().contains("relay #8 from tab-b"));
    }

    #[test]
    fn the_phase_follows_the_link_and_reconnects_show_the_delay() {
        let (mut state, mut log) = (WebSocketState::default(), LogBook::default());
        assert_eq!(state.phase.as_attr(), "connecting");
        state.apply(Action::Relay(Own::State(LinkState::Ready)), 0.0, &mut log);
        assert_eq!(state.phase.as_attr(), "open");
        let notice =
            Notice::Reconnecting { code: 1001, why: "the relay stopped".into(), attempt: 1, delay_ms: 180 };
        state.apply(Action::Relay(Own::Other(notice)), 1.0, &mut log);
        assert_eq!(state.phase, Phase::Reconnecting { attempt: 1, delay_ms: 180 });
        state.apply(Action::Relay(Own::State(LinkState::Connecting)), 2.0, &mut log);
        assert_eq!(state.phase.as_attr(), "reconnecting", "a new attempt is still a reconnect");
        assert_eq!(
            lines(&log)[0].payload,
            "closed 1001 (the relay went away (stopped or restarting): the relay stopped): attempt 1 in 180 ms"
        );
        state.apply(
            Action::Relay(Own::Other(Notice::Queued { text: "later".into(), waiting: 1 })),
            3.0,
            &mut log,
        );
        assert_eq!(state.queued, 1);
        state.apply(Action::Relay(Own::Other(Notice::Flushed { count: 1 })), 4.0, &mut log);
        assert_eq!(state.queued, 0);
    }

    #[test]
    fn a_resume_replays_the_missed_ones_without_a_false_gap_and_says_what_is_lost() {
        let (mut state, mut log) = (WebSocketState::default(), LogBook::default());
        state.apply(relay_says(RelayMsg::Joined { room: "lobby".into(), members: 2 }), 0.0, &mut log);
        state.apply(relay_says(relayed(1)), 1.0, &mut log);
        assert_eq!(state.last_seen, Some(1));
        // Back, after relay #1: #2 and #3 are past the history, #4 and #5 are replayed, #6 is live.
        state.apply(relay_says(RelayMsg::Joined { room: "lobby".into(), members: 2 }), 2.0, &mut log);
        let resumed = RelayMsg::Resumed { room: "lobby".into(), after: 1, replaying: 2, missed: 2 };
        state.apply(relay_says(resumed), 3.0, &mut log);
        for n in 4..=6 {
            state.apply(relay_says(relayed(n)), 4.0, &mut log);
        }
        let codes: Vec<Option<&str>> = lines(&log).iter().map(|e| e.status.code()).collect();
        assert_eq!(codes, [None, None, None, Some("gap"), None, None, None], "only the loss is flagged");
        let payloads: Vec<String> = lines(&log).iter().map(|e| e.payload.text()).collect();
        assert!(payloads[4].ends_with("(missed, replayed)") && payloads[5].ends_with("(missed, replayed)"));
        assert!(!payloads[6].contains("replayed"), "then live: {}", payloads[6]);
        assert_eq!((state.replayed, state.gaps, state.last_seen), (2, 1, Some(6)));
    }

    #[test]
    fn an_error_frame_is_a_rejected_entry_with_the_relays_code() {
        let (mut state, mut log) = (WebSocketState::default(), LogBook::default());
        let error = RelayMsg::Error { code: ReasonCode::RateLimited, reason: "slow down".into() };
        state.apply(relay_says(error), 0.0, &mut log);
        assert_eq!(lines(&log)[0].status.code(), Some("rate-limited"));
        assert!(state.error.as_deref().is_some_and(|e| e.contains("slow down")));
    }
}
