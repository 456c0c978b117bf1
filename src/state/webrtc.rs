//! The WebRTC route's state: signalling and the peers heard on it, the session and its
//! connection's state, the ICE candidates by type, the data channel as the browser made it, what
//! arrived on it (in order, late, or never), and the buffer. Page: `pages/webrtc.rs`; transport:
//! `transport/webrtc.rs`.

use std::collections::BTreeMap;

use crosstalk_protocol::webrtc::{Arrivals, RtcData, RtcSignal, Session};
use crosstalk_protocol::SenderId;

use super::told::{Own, OwnOf};
use super::RouteState;
use crate::diagram::{Diagram, Step};
use crate::i18n::{Said, Text};
use crate::learn::GuideStep;
use crate::log::{shown, Direction, Entry, LogBook, Status};
use crate::said;
use crate::transport::webrtc::{DataEvent, RtcNews, SignalEvent, MAX_PEERS};
use crate::transport::LinkState;

pub const DIAGRAM: Diagram = Diagram {
    title: "Two browsers introduced, then direct",
    lanes: &["this tab", "signalling", "peer"],
    steps: &[
        Step::new(0, 1, "hello: who is here?", &[(Direction::Out, "hello")]),
        Step::new(0, 2, "offer (SDP) via signalling", &[(Direction::Out, "offer"), (Direction::In, "offer")]),
        Step::new(
            2,
            0,
            "answer (SDP) via signalling",
            &[(Direction::In, "answer"), (Direction::Out, "answer")],
        ),
        Step::new(0, 2, "ICE candidates, both ways", &[(Direction::Out, "candidate")]),
        Step::new(0, 2, "data channel open: direct", &[(Direction::System, "channel")]),
        Step::new(0, 2, "text, browser to browser", &[(Direction::Out, "text"), (Direction::In, "text")]),
    ],
};

/// The data channel as the browser made it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChannelInfo {
    pub ordered: bool,
    pub max_retransmits: Option<u16>,
    pub max_message_size: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WebRtcState {
    pub signalling: LinkState,
    pub me: Option<SenderId>,
    pub peers: Vec<SenderId>,
    pub session: Option<Session>,
    /// `connectionState`: new, connecting, connected, disconnected, failed, closed.
    pub connection: String,
    /// ICE candidates by type, found here and received from the peer.
    pub local_candidates: BTreeMap<String, u32>,
    pub remote_candidates: BTreeMap<String, u32>,
    /// Candidates whose address was an mDNS name (`….local`).
    pub mdns_candidates: u32,
    pub channel: Option<ChannelInfo>,
    pub data: LinkState,
    pub buffered: u32,
    pub pauses: u32,
    pub last_flood: Option<(u32, u32)>,
    /// What arrived on this session's channel.
    pub arrivals: Arrivals,
    pub texts_received: u64,
    /// Signalling refused (a stranger's, or malformed).
    pub refused_signals: u32,
    /// Signalling for other tabs that went by.
    pub overheard: u64,
    /// Sessions that reached `connected` (the walkthrough's step).
    pub connected_sessions: u32,
}

impl Default for WebRtcState {
    fn default() -> Self {
        WebRtcState {
            signalling: LinkState::Connecting,
            me: None,
            peers: Vec::new(),
            session: None,
            connection: "new".into(),
            local_candidates: BTreeMap::new(),
            remote_candidates: BTreeMap::new(),
            mdns_candidates: 0,
            channel: None,
            data: LinkState::Closed,
            buffered: 0,
            pauses: 0,
            last_flood: None,
            arrivals: Arrivals::default(),
            texts_received: 0,
            refused_signals: 0,
            overheard: 0,
            connected_sessions: 0,
        }
    }
}

pub enum Action {
    Signal(OwnOf<SignalEvent>),
    Data(OwnOf<DataEvent>),
    Opened {
        me: SenderId,
    },
    Failed(String),
    /// The browser has no `RTCPeerConnection`.
    Unsupported,
}

/// The route's `data-state` words (signalling's state).
pub fn state_attr(link: &LinkState) -> &'static str {
    match link {
        LinkState::Connecting => "loading",
        LinkState::Ready => "ready",
        LinkState::Closed => "closed",
        LinkState::Unsupported => "unsupported",
        LinkState::Failed(_) => "error",
    }
}

pub fn state_detail(state: &WebRtcState) -> Said {
    match &state.signalling {
        LinkState::Connecting => said!(RtcSignallingStarting),
        LinkState::Ready => said!(RtcSignallingReady, state.peers.len()),
        LinkState::Closed => said!(RtcSignallingClosed),
        LinkState::Unsupported => said!(RtcUnsupported),
        LinkState::Failed(reason) => said!(Plain, reason),
    }
}

/// The walkthrough's chapter: two tabs introduced, a channel open, a text across, a flood.
pub const CHAPTER: &[GuideStep] = &[
    GuideStep::new("peer", Text::LearnWebrtcPeer, Text::LearnWebrtcPeerSee, "peers").in_two_tabs(),
    GuideStep::new("connect", Text::LearnWebrtcConnect, Text::LearnWebrtcConnectSee, "peer-state")
        .in_two_tabs(),
    GuideStep::new("text", Text::LearnWebrtcText, Text::LearnWebrtcTextSee, "log").in_two_tabs(),
    GuideStep::new("flood", Text::LearnWebrtcFlood, Text::LearnWebrtcFloodSee, "buffered"),
];

fn summary(body: &RtcSignal) -> String {
    match body {
        RtcSignal::Hello => "who is here?".into(),
        RtcSignal::Here { to } => format!("here, to {to}"),
        RtcSignal::Offer { to, session, sdp } => {
            format!("to {to}, session {session}, {} bytes of SDP", sdp.len())
        }
        RtcSignal::Answer { to, session, sdp } => {
            format!("to {to}, session {session}, {} bytes of SDP", sdp.len())
        }
        RtcSignal::Candidate { to, candidate, .. } => {
            let kind = crosstalk_protocol::webrtc::candidate_type(candidate).unwrap_or("end");
            format!("to {to}: {kind}")
        }
        RtcSignal::Bye { to, session } => format!("to {to}, session {session} is over"),
    }
}

fn data_text(body: &RtcData) -> crate::log::LogText {
    match body {
        RtcData::Text { text } => shown(text),
        RtcData::Bulk { index, fill } => format!("bulk #{index} ({} bytes)", fill.to_text().len()).into(),
    }
}

impl RouteState for WebRtcState {
    type Action = Action;

    fn chapter() -> (&'static str, &'static [GuideStep]) {
        ("webrtc", CHAPTER)
    }

    fn reached(&self, step: &str) -> bool {
        match step {
            "peer" => !self.peers.is_empty(),
            "connect" => self.connected_sessions > 0,
            "text" => self.texts_received > 0,
            "flood" => self.last_flood.is_some(),
            _ => false,
        }
    }

    /// A signal declined (a forged offer, another session's answer) is counted.
    fn told(&mut self, common: super::told::Common, _entry: &mut Entry) {
        if common == (super::told::Common::Declined { via: crate::transport::webrtc::VIA_SIGNALLING }) {
            self.refused_signals += 1;
        }
    }

    fn apply(&mut self, action: Action, at_ms: f64, log: &mut LogBook) {
        let entry = match action {
            Action::Signal(event) => self.on_signal(event, at_ms),
            Action::Data(event) => self.on_data(event, at_ms),
            Action::Opened { me } => {
                let entry = Entry::said("open", said!(RtcThisTab, me.0.clone()), at_ms);
                self.me = Some(me);
                Some(entry)
            }
            Action::Failed(reason) => {
                let entry = Entry::said("error", said!(StateError, reason.clone()), at_ms);
                self.signalling = LinkState::Failed(reason);
                Some(entry)
            }
            Action::Unsupported => {
                self.signalling = LinkState::Unsupported;
                Some(Entry::said("state", said!(RtcUnsupported), at_ms))
            }
        };
        if let Some(entry) = entry {
            log.push(entry);
        }
    }
}

impl WebRtcState {
    fn on_signal(&mut self, own: OwnOf<SignalEvent>, at_ms: f64) -> Option<Entry> {
        Some(match own {
            Own::State(link) => {
                let said = match &link {
                    LinkState::Ready => said!(RtcSignallingUp),
                    LinkState::Connecting => said!(RtcSignallingStarting),
                    LinkState::Closed => said!(RtcSignallingClosed),
                    LinkState::Unsupported => said!(RtcUnsupported),
                    LinkState::Failed(reason) => said!(StateError, reason),
                };
                self.signalling = link;
                Entry::said("state", said, at_ms)
            }
            Own::Sent { envelope, .. } => Entry::sent(&envelope, summary(&envelope.body), at_ms),
            Own::Received { envelope, .. } => Entry::received(&envelope, summary(&envelope.body), at_ms),
            Own::Other(news) => return self.on_news(news, at_ms),
        })
    }

    fn on_news(&mut self, news: RtcNews, at_ms: f64) -> Option<Entry> {
        Some(match news {
            RtcNews::PeerHeard(peer) => {
                if self.peers.contains(&peer) {
                    return None;
                }
                if self.peers.len() == MAX_PEERS {
                    self.peers.remove(0);
                }
                self.peers.push(peer.clone());
                Entry::said("peer", said!(RtcPeerHeard, peer.0.clone()), at_ms)
            }
            RtcNews::Session(Some(session), _) => {
                self.arrivals = Arrivals::default();
                self.local_candidates.clear();
                self.remote_candidates.clear();
                self.mdns_candidates = 0;
                self.channel = None;
                let said = if session.offerer {
                    said!(RtcOffering, session.peer.0.clone(), session.id.clone())
                } else {
                    said!(RtcAnswering, session.peer.0.clone(), session.id.clone())
                };
                self.session = Some(session);
                Entry::said("session", said, at_ms)
            }
            RtcNews::Session(None, why) => {
                self.session = None;
                self.channel = None;
                Entry::said("session", said!(RtcSessionOver, why), at_ms)
            }
            RtcNews::Connection(state) => {
                if state == self.connection {
                    return None;
                }
                if state == "connected" {
                    self.connected_sessions += 1;
                }
                self.connection = state.clone();
                Entry::said("connection", said!(RtcConnection, state), at_ms)
            }
            RtcNews::Candidate { local, kind, mdns } => {
                let counts = if local { &mut self.local_candidates } else { &mut self.remote_candidates };
                *counts.entry(kind).or_default() += 1;
                self.mdns_candidates += u32::from(mdns);
                return None;
            }
            RtcNews::ChannelOpen { ordered, max_retransmits, max_message_size } => {
                self.channel = Some(ChannelInfo { ordered, max_retransmits, max_message_size });
                let retransmits =
                    max_retransmits.map_or("unlimited (reliable)".to_owned(), |n| n.to_string());
                let size = max_message_size.map_or("unknown".to_owned(), |m| format!("{m:.0}"));
                Entry::said("channel", said!(RtcChannelOpen, ordered, retransmits, size), at_ms)
            }
            RtcNews::ChannelClosed => Entry::said("channel", said!(RtcChannelClosed), at_ms),
            RtcNews::Buffered(amount) => {
                self.buffered = amount;
                return None;
            }
            RtcNews::Paused(amount) => {
                self.buffered = amount;
                self.pauses += 1;
                Entry::said("buffered", said!(RtcPaused, amount), at_ms)
            }
            RtcNews::Flooded { sent, pauses } => {
                self.last_flood = Some((sent, pauses));
                Entry::said("flood", said!(RtcFlooded, sent, pauses), at_ms)
            }
            RtcNews::Overheard => {
                self.overheard += 1;
                return None;
            }
        })
    }

    fn on_data(&mut self, own: OwnOf<DataEvent>, at_ms: f64) -> Option<Entry> {
        Some(match own {
            Own::State(link) => {
                self.data = link;
                return None;
            }
            Own::Sent { envelope, .. } => {
                if matches!(envelope.body, RtcData::Bulk { .. }) {
                    return None;
                }
                Entry::sent(&envelope, data_text(&envelope.body), at_ms)
            }
            Own::Received { envelope, order, .. } => {
                self.arrivals.count(envelope.seq);
                let status = order.problem().map_or(Status::Ok, Status::Rejected);
                if matches!(envelope.body, RtcData::Bulk { .. }) && status == Status::Ok {
                    return None;
                }
                if matches!(envelope.body, RtcData::Text { .. }) {
                    self.texts_received += 1;
                }
                Entry::received(&envelope, data_text(&envelope.body), at_ms).with_status(status)
            }
            Own::Other(()) => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::Event;
    use crosstalk_protocol::order::Order;
    use crosstalk_protocol::{Payload, Reason, ReasonCode, Sender};

    fn news(state: &mut WebRtcState, log: &mut LogBook, news: RtcNews) {
        state.apply(Action::Signal(Own::Other(news)), 1.0, log);
    }

    #[test]
    fn a_session_counts_its_candidates_and_its_connection_once_connected() {
        let (mut state, mut log) = (WebRtcState::default(), LogBook::default());
        let session = Session { id: "s1".into(), peer: SenderId("tab-b".into()), offerer: true };
        news(&mut state, &mut log, RtcNews::Session(Some(session), String::new()));
        news(&mut state, &mut log, RtcNews::Candidate { local: true, kind: "host".into(), mdns: true });
        news(&mut state, &mut log, RtcNews::Candidate { local: false, kind: "host".into(), mdns: false });
        for step in ["connecting", "connected", "connected"] {
            news(&mut state, &mut log, RtcNews::Connection(step.into()));
        }
        assert_eq!(state.connection, "connected");
        assert_eq!(
            (state.local_candidates["host"], state.remote_candidates["host"], state.mdns_candidates),
            (1, 1, 1)
        );
        assert!(state.reached("connect"));
        let kinds: Vec<&str> = log.entries().map(|e| e.entry.kind.as_str()).collect();
        assert_eq!(kinds, ["session", "connection", "connection"], "the repeat is not logged");
    }

    #[test]
    fn what_arrives_out_of_order_or_not_at_all_is_counted_and_flagged() {
        let (mut state, mut log) = (WebRtcState::default(), LogBook::default());
        let mut sender = Sender::new(SenderId("tab-b".into()));
        let mut envelopes: Vec<_> = (0..4)
            .map(|i| sender.envelope(RtcData::Text { text: Payload::from(format!("m{i}").as_str()) }, 0.0))
            .collect();
        envelopes.swap(1, 3);
        for (at, envelope) in envelopes.into_iter().enumerate() {
            let order = if at == 1 { Order::Gap { expected: 2, got: 4 } } else { Order::InOrder };
            state.apply(Action::Data(Own::Received { envelope, via: "data channel", order }), 1.0, &mut log);
        }
        assert_eq!((state.arrivals.arrived, state.arrivals.missing, state.arrivals.out_of_order), (4, 0, 2));
        assert_eq!(state.texts_received, 4);
        let codes: Vec<Option<ReasonCode>> = log.entries().map(|e| e.entry.status.reason_code()).collect();
        assert_eq!(codes[1], Some(ReasonCode::Gap));
    }

    #[test]
    fn a_browser_without_webrtc_is_unsupported_not_an_error() {
        let (mut state, mut log) = (WebRtcState::default(), LogBook::default());
        state.apply(Action::Unsupported, 1.0, &mut log);
        assert_eq!(state_attr(&state.signalling), "unsupported");
        let said = log.entries().last().unwrap();
        assert!(said.entry.status.reason_code().is_none(), "an engine's lack is not an error");
    }

    #[test]
    fn a_strangers_signal_is_counted_as_refused() {
        let (mut state, mut log) = (WebRtcState::default(), LogBook::default());
        let envelope = Sender::new(SenderId("tab-x".into())).envelope(
            RtcSignal::Offer { to: SenderId("tab-b".into()), session: "s1".into(), sdp: String::new() },
            0.0,
        );
        let reason = Reason::new(ReasonCode::WrongSession, "session s1 is with tab-a");
        let declined = Event::Declined { envelope, reason, via: "signalling" };
        crate::state::fold(
            &mut state,
            crate::state::told::tell(declined, Action::Signal, 1.0),
            1.0,
            &mut log,
        );
        assert_eq!(state.refused_signals, 1);
        let refused = log.entries().last().unwrap();
        assert_eq!(refused.entry.status.reason_code(), Some(ReasonCode::WrongSession));
    }
}
