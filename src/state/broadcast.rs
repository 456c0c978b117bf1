//! The BroadcastChannel route's state: the peer count, the no-echo lesson, and what the log says
//! of each event. Page: `pages/broadcast.rs`; transport: `transport/broadcast.rs`.

use crosstalk_protocol::broadcast::BroadcastMsg;
use crosstalk_protocol::Body as _;

use super::told::{Own, OwnOf};
use super::RouteState;
use crate::diagram::{Diagram, Step};
use crate::i18n::Text;
use crate::learn::GuideStep;
use crate::log::{shown, Direction, Entry, LogBook, Status};
use crate::said;
use crate::transport::broadcast::{BroadcastEvent, Peers};

pub const DEFAULT_CHANNEL: &str = "myChannel";

pub const DIAGRAM: Diagram = Diagram {
    title: "This tab and the others on the channel",
    lanes: &["this tab", "other tabs"],
    steps: &[
        Step::new(0, 1, "hello", &[(Direction::Out, "hello")]),
        Step::new(1, 0, "here (each other tab)", &[(Direction::In, "here")]),
        Step::new(0, 1, "text → every other tab", &[(Direction::Out, "text")]),
        Step::new(1, 0, "text from another tab", &[(Direction::In, "text")]),
        Step::new(1, 0, "goodbye (a tab leaves)", &[(Direction::In, "goodbye")]),
    ],
};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct BroadcastState {
    pub peers: usize,
    /// Messages received on this channel, and how many of them broke their sender's numbering
    /// (counted, because the log keeps only the newest entries).
    pub received: u64,
    pub out_of_order: u64,
    /// Whether this tab has been told, on this channel, that its own messages do not come back.
    told_no_echo: bool,
    pub failed: Option<String>,
    /// This tab left without a goodbye (fault injection): it hears and says nothing any more.
    pub vanished: bool,
    /// Texts heard from other tabs, and goodbyes: what the walkthrough's steps watch for.
    pub texts_heard: u64,
    pub goodbyes_heard: u64,
}

pub enum Action {
    Channel(OwnOf<BroadcastEvent>),
    Joined {
        name: String,
    },
    Left {
        name: String,
    },
    /// Gone from the channel without a goodbye, as a crashed tab is.
    Vanished {
        name: String,
    },
    Failed {
        reason: String,
    },
}

fn channel_label(name: &str) -> String {
    format!("\"{name}\"")
}

/// The walkthrough's chapter: a second tab joins, talks, and leaves.
pub const CHAPTER: &[GuideStep] = &[
    GuideStep::new("second-tab", Text::LearnBroadcastSecondTab, Text::LearnBroadcastSecondTabSee, "peers")
        .in_two_tabs(),
    GuideStep::new(
        "from-other-tab",
        Text::LearnBroadcastFromOtherTab,
        Text::LearnBroadcastFromOtherTabSee,
        "log",
    )
    .in_two_tabs(),
    GuideStep::new("goodbye", Text::LearnBroadcastGoodbye, Text::LearnBroadcastGoodbyeSee, "peers")
        .in_two_tabs(),
];

impl RouteState for BroadcastState {
    type Action = Action;

    fn chapter() -> (&'static str, &'static [GuideStep]) {
        ("broadcast", CHAPTER)
    }

    fn reached(&self, step: &str) -> bool {
        match step {
            "second-tab" => self.peers > 0,
            "from-other-tab" => self.texts_heard > 0,
            "goodbye" => self.goodbyes_heard > 0,
            _ => false,
        }
    }

    fn apply(&mut self, action: Action, at_ms: f64, log: &mut LogBook) {
        match action {
            Action::Channel(event) => self.on_event(event, at_ms, log),
            Action::Joined { name } => {
                self.peers = 0;
                self.received = 0;
                self.out_of_order = 0;
                self.told_no_echo = false;
                self.failed = None;
                self.vanished = false;
                log.push(Entry::said("join", said!(JoinedChannel, channel_label(&name)), at_ms));
            }
            Action::Vanished { name } => {
                self.vanished = true;
                log.push(Entry::said("vanish", said!(VanishedFromChannel, channel_label(&name)), at_ms));
            }
            Action::Left { name } => {
                log.push(Entry::said("leave", said!(LeftChannel, channel_label(&name)), at_ms))
            }
            Action::Failed { reason } => {
                log.push(Entry::said("error", said!(CannotJoin, reason), at_ms));
                self.failed = Some(reason);
            }
        }
    }
}

impl BroadcastState {
    fn on_event(&mut self, own: OwnOf<BroadcastEvent>, at_ms: f64, log: &mut LogBook) {
        match own {
            Own::Sent { envelope, .. } => {
                let entry = match &envelope.body {
                    BroadcastMsg::Text { text } => Entry::sent(&envelope, shown(text), at_ms),
                    BroadcastMsg::Hello => Entry::sent(&envelope, "", at_ms).saying(said!(HelloThisTabJoins)),
                    other => Entry::sent(&envelope, other.kind(), at_ms),
                };
                let is_text = matches!(envelope.body, BroadcastMsg::Text { .. });
                log.push(entry);
                if is_text && !self.told_no_echo {
                    self.told_no_echo = true;
                    log.push(Entry::said("no-echo", said!(NoEcho, self.peers), at_ms));
                }
            }
            Own::Received { envelope, order, .. } => {
                let said = match &envelope.body {
                    BroadcastMsg::Hello => Some(said!(HelloJoined)),
                    BroadcastMsg::Here => Some(said!(HereAlready)),
                    BroadcastMsg::Goodbye => Some(said!(GoodbyeLeft)),
                    _ => None,
                };
                let payload = match &envelope.body {
                    BroadcastMsg::Text { text } => shown(text),
                    other => other.kind().into(),
                };
                let status = order.problem().map_or(Status::Ok, Status::Rejected);
                self.received += 1;
                match envelope.body {
                    BroadcastMsg::Text { .. } => self.texts_heard += 1,
                    BroadcastMsg::Goodbye => self.goodbyes_heard += 1,
                    _ => {}
                }
                self.out_of_order += u64::from(status != Status::Ok);
                let entry = Entry::received(&envelope, payload, at_ms).with_status(status);
                log.push(match said {
                    Some(said) => entry.saying(said),
                    None => entry,
                });
            }
            Own::Other(Peers { count, left }) => {
                self.peers = count;
                if !left.is_empty() {
                    let names: Vec<&str> = left.iter().map(|p| p.0.as_str()).collect();
                    log.push(Entry::said("expired", said!(StoppedAnswering, names.join(", ")), at_ms));
                }
            }
            Own::State(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::Event;
    use crosstalk_protocol::order::Order;
    use crosstalk_protocol::{Envelope, Sender, SenderId};

    fn envelope(body: BroadcastMsg, seq: u64) -> Envelope<BroadcastMsg> {
        let mut e = Sender::new(SenderId("tab-other".into())).envelope(body, 0.0);
        e.seq = seq;
        e
    }

    fn lines(log: &LogBook) -> Vec<Entry> {
        log.entries().map(|l| l.entry.clone()).collect()
    }

    #[test]
    fn the_walkthrough_steps_tick_on_a_peer_a_text_from_it_and_its_goodbye_and_not_on_this_tabs_own_text() {
        let (mut state, mut log) = (BroadcastState::default(), LogBook::default());
        let heard = |body, seq| {
            Action::Channel(Own::Received {
                envelope: envelope(body, seq),
                via: "channel",
                order: Order::InOrder,
            })
        };
        assert!(CHAPTER.iter().all(|step| !state.reached(step.id)));
        let own = envelope(BroadcastMsg::Text { text: "mine".into() }, 1);
        state.apply(Action::Channel(Own::Sent { envelope: own, via: "channel" }), 0.0, &mut log);
        assert!(!state.reached("from-other-tab"), "this tab's own text is not the other tab's");
        state.apply(Action::Channel(Own::Other(Peers { count: 1, left: Vec::new() })), 0.0, &mut log);
        assert!(state.reached("second-tab"));
        state.apply(heard(BroadcastMsg::Hello, 1), 0.0, &mut log);
        assert!(!state.reached("from-other-tab"), "a hello is not a text");
        state.apply(heard(BroadcastMsg::Text { text: "hi".into() }, 2), 0.0, &mut log);
        assert!(state.reached("from-other-tab") && !state.reached("goodbye"));
        state.apply(heard(BroadcastMsg::Goodbye, 3), 0.0, &mut log);
        assert!(state.reached("goodbye"));
        assert!(!state.reached("no-such-step"));
    }

    #[test]
    fn the_first_text_sent_explains_that_it_does_not_come_back() {
        let (mut state, mut log) = (BroadcastState { peers: 2, ..Default::default() }, LogBook::default());
        let sent = envelope(BroadcastMsg::Text { text: "hi".into() }, 1);
        state.apply(Action::Channel(Own::Sent { envelope: sent.clone(), via: "channel" }), 0.0, &mut log);
        let first = lines(&log);
        assert_eq!(first.len(), 2);
        assert!(
            first[1].payload.text().contains("2 other tabs")
                && first[1].payload.text().contains("does not deliver to the sender")
        );
        state.apply(Action::Channel(Own::Sent { envelope: sent, via: "channel" }), 0.0, &mut log);
        assert_eq!(log.len(), 3, "said once per channel");
    }

    #[test]
    fn a_tab_that_vanishes_says_so_and_a_new_join_brings_it_back() {
        let (mut state, mut log) = (BroadcastState::default(), LogBook::default());
        state.apply(Action::Vanished { name: "c".into() }, 1.0, &mut log);
        assert!(state.vanished);
        let said = lines(&log);
        assert_eq!(said.last().map(|e| e.kind.as_str()), Some("vanish"));
        assert!(said.last().is_some_and(|e| e.payload.text().contains("without a goodbye")));
        state.apply(Action::Joined { name: "c".into() }, 2.0, &mut log);
        assert!(!state.vanished);
    }

    #[test]
    fn ordering_problems_are_flagged_on_the_entry_with_their_code() {
        let (mut state, mut log) = (BroadcastState::default(), LogBook::default());
        let event = Own::Received {
            envelope: envelope(BroadcastMsg::Text { text: "x".into() }, 9),
            via: "channel",
            order: Order::Gap { expected: 7, got: 9 },
        };
        state.apply(Action::Channel(event), 0.0, &mut log);
        let line = &lines(&log)[0];
        assert_eq!(line.status.code(), Some("gap"));
        assert_eq!((state.received, state.out_of_order), (1, 1), "counted beyond the log's reach");
        assert!(
            matches!(&line.status, Status::Rejected(r) if r.text == "gap: expected #7, got #9 (2 missing)")
        );
    }

    #[test]
    fn expiry_updates_the_count_and_names_who_left() {
        let (mut state, mut log) = (BroadcastState { peers: 2, ..Default::default() }, LogBook::default());
        let event = Own::Other(Peers { count: 1, left: vec![SenderId("tab-gone".into())] });
        state.apply(Action::Channel(event), 0.0, &mut log);
        assert_eq!(state.peers, 1);
        assert!(lines(&log)[0].payload.text().starts_with("tab-gone stopped answering"));
    }

    #[test]
    fn a_newcomer_the_full_roster_declines_is_logged_refused_and_not_counted() {
        let (mut state, mut log) = (BroadcastState::default(), LogBook::default());
        let envelope = envelope(BroadcastMsg::Text { text: "x".into() }, 1);
        let reason = crosstalk_protocol::roster::Heard::refusal(&envelope.from);
        let declined = Event::Declined { envelope, reason, via: "channel" };
        crate::state::fold(
            &mut state,
            crate::state::told::tell(declined, Action::Channel, 0.0),
            0.0,
            &mut log,
        );
        let line = &lines(&log)[0];
        assert_eq!(
            (line.dir, line.kind.as_str(), line.status.code()),
            (Direction::In, "text", Some("roster-full"))
        );
        assert_eq!(state.received, 0, "declined, not received");
    }
}
