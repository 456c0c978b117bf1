//! The WebRTC adapter: an `RTCPeerConnection` and its `RTCDataChannel` between this tab and
//! another, introduced by signalling over a BroadcastChannel (tabs of one browser) or through a
//! room of the crosstalk relay (browsers and machines). The relay only carries the introduction;
//! the channel's messages then go directly from browser to browser.
//!
//! Two cores: one for signalling (`hello`, `offer`, `answer`, `candidate`, `bye`, each checked by
//! `crosstalk_protocol::webrtc` before the browser sees it) and one for the data channel, whose
//! messages are envelopes like every other transport's: size-checked, decoded, numbered, with
//! fault injection on what this tab sends.
//!
//! Implementation note — early candidates. A peer's candidates can arrive before its description
//! has been applied (`setRemoteDescription` is asynchronous); `addIceCandidate` would reject them.
//! They wait, a bounded few, and are added once the description is in.
//!
//! This file is the desk, the public face, and the types its parts share; the parts are
//! `signalling.rs` (the introduction), `peer.rs` (the connection and its descriptions and
//! candidates) and `channel.rs` (the data channel and what is sent on it).

mod channel;
mod peer;
mod signalling;

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use crosstalk_protocol::relay::RelayMsg;
use crosstalk_protocol::webrtc::{
    candidate_type, check_signal, is_mdns, message_fits, Admit, RtcData, RtcSignal, Session, CHANNEL,
    DEFAULT_ROOM, FLOOD_MESSAGES, FLOOD_MESSAGE_BYTES, HIGH_WATER_BYTES, LABEL, LOW_WATER_BYTES,
    MAX_EARLY_CANDIDATES, MAX_MESSAGE_BYTES,
};
use crosstalk_protocol::{Envelope, Payload, Reason, ReasonCode, SenderId};
use gloo::events::EventListener;
use gloo::timers::callback::Timeout;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    MessageEvent, RtcConfiguration, RtcDataChannel, RtcDataChannelEvent, RtcDataChannelInit,
    RtcIceCandidateInit, RtcPeerConnection, RtcPeerConnectionIceEvent, RtcSdpType, RtcSessionDescriptionInit,
};

use super::channel::ChannelLink;
use super::core::{js_error_text, Core, Event, LinkState, Via};
use super::websocket::{relay_url, RelayEvent, RelayLink};
use crate::clock::random;
use crate::fault::Fault;

pub const VIA_SIGNALLING: Via = "signalling";
pub const VIA_CHANNEL: Via = "data channel";
/// How long an offer waits for its answer before the session is given up.
pub const ANSWER_WITHIN_MS: u32 = 10_000;
/// Peers remembered (heard saying hello); the oldest goes first.
pub const MAX_PEERS: usize = 16;

/// How the two peers are introduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signalling {
    /// A BroadcastChannel: tabs of this browser, no server at all.
    Broadcast,
    /// A room of the crosstalk relay: any browser that reaches this server.
    Relay,
}

impl Signalling {
    pub const ALL: [Signalling; 2] = [Signalling::Broadcast, Signalling::Relay];

    pub fn as_str(self) -> &'static str {
        match self {
            Signalling::Broadcast => "broadcast",
            Signalling::Relay => "relay",
        }
    }

    pub fn parse(word: &str) -> Option<Signalling> {
        Signalling::ALL.into_iter().find(|s| s.as_str() == word)
    }
}

/// The data channel's delivery, fixed when it is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    pub ordered: bool,
    /// `None`: reliable (retransmit until delivered); `Some(0)`: sent once, lost if lost.
    pub max_retransmits: Option<u16>,
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery { ordered: true, max_retransmits: None }
    }
}

/// What only this route reports.
#[derive(Debug, Clone, PartialEq)]
pub enum RtcNews {
    /// A tab said hello (or answered ours): one to connect to.
    PeerHeard(SenderId),
    /// A session began (this tab offered, or took an offer) or ended (`None`, and why).
    Session(Option<Session>, String),
    /// `connectionState` of the peer connection.
    Connection(String),
    /// An ICE candidate found here (`local`) or received from the peer: its type, and whether its
    /// address is an mDNS name.
    Candidate {
        local: bool,
        kind: String,
        mdns: bool,
    },
    /// The data channel opened, as the browser made it.
    ChannelOpen {
        ordered: bool,
        max_retransmits: Option<u16>,
        max_message_size: Option<f64>,
    },
    ChannelClosed,
    /// `bufferedAmount` now.
    Buffered(u32),
    /// A flood paused with this much buffered, waiting for `bufferedamountlow`.
    Paused(u32),
    /// A flood ended: messages sent, and how often it paused.
    Flooded {
        sent: u32,
        pauses: u32,
    },
    /// A signalling message for another tab went by (a BroadcastChannel hears them all).
    Overheard,
}

pub type SignalEvent = Event<RtcSignal, RtcNews>;
pub type DataEvent = Event<RtcData>;

enum Carrier {
    Channel(ChannelLink),
    Relay(RelayLink),
}

/// A peer connection in progress, and what hangs off it. Dropped with the session.
struct Peer {
    pc: RtcPeerConnection,
    session: Session,
    channel: RefCell<Option<RtcDataChannel>>,
    remote_set: Cell<bool>,
    early: RefCell<Vec<RtcIceCandidateInit>>,
    listeners: RefCell<Vec<EventListener>>,
    #[allow(dead_code)] // held: dropping it cancels the wait for an answer
    answer_wait: RefCell<Option<Timeout>>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        if let Some(channel) = self.channel.borrow().as_ref() {
            channel.close();
        }
        self.pc.close();
    }
}

/// This tab's WebRTC desk: signalling, and at most one session. Dropping it hangs up.
pub struct WebRtcLink {
    inner: Rc<Inner>,
}

struct Inner {
    signal: Rc<Core<RtcSignal, RtcNews>>,
    data: Rc<Core<RtcData>>,
    carrier: RefCell<Option<Carrier>>,
    peer: RefCell<Option<Rc<Peer>>>,
    peers: RefCell<Vec<SenderId>>,
    delivery: Cell<Delivery>,
    /// The last session overheard between two other tabs (`to`, session): what a forger knows.
    overheard: RefCell<Option<(SenderId, String)>>,
    flood: Cell<Option<(u32, u32)>>,
    me: Weak<Inner>,
}

fn fresh_session_id() -> String {
    (0..4).map(|_| format!("{:04x}", (random() * 65536.0) as u32)).collect::<Vec<_>>().join("")
}

impl WebRtcLink {
    /// Starts signalling over `signalling`: in relay room `room`, or over the route's
    /// BroadcastChannel (a channel of its own for any other `room`).
    pub fn open(
        signalling: Signalling,
        room: &str,
        on_signal: impl Fn(SignalEvent) + 'static,
        on_data: impl Fn(DataEvent) + 'static,
    ) -> Result<WebRtcLink, String> {
        if !js_sys::Reflect::has(&js_sys::global(), &"RTCPeerConnection".into()).unwrap_or(false) {
            return Err("no RTCPeerConnection in this browser".into());
        }
        let signal =
            Core::new(Core::<RtcSignal, RtcNews>::own_sender("tab"), LinkState::Connecting, on_signal);
        let data = Core::checking_order(Core::<RtcData>::own_sender("tab"), LinkState::Closed, on_data);
        let inner = Rc::new_cyclic(|me| Inner {
            signal: Rc::clone(&signal),
            data,
            carrier: RefCell::default(),
            peer: RefCell::default(),
            peers: RefCell::default(),
            delivery: Cell::new(Delivery::default()),
            overheard: RefCell::default(),
            flood: Cell::new(None),
            me: me.clone(),
        });
        let carrier = match signalling {
            Signalling::Broadcast => {
                // The route's channel, or one of a room's own (`?room=`, the bench's pair).
                let name =
                    if room == DEFAULT_ROOM { CHANNEL.to_owned() } else { format!("{CHANNEL}:{room}") };
                let channel = ChannelLink::new(&name)?;
                let hearing = Rc::downgrade(&inner);
                channel.listen(&signal, VIA_SIGNALLING, move |_, envelope| {
                    if let Some(inner) = hearing.upgrade() {
                        inner.on_signal(envelope);
                    }
                });
                Carrier::Channel(channel)
            }
            Signalling::Relay => {
                let url = relay_url().ok_or("this page has no address to reach the relay from")?;
                let hearing = Rc::downgrade(&inner);
                let link = RelayLink::open(
                    &url,
                    room,
                    Core::<RelayMsg>::own_sender("rtc"),
                    move |event: RelayEvent| {
                        let Some(inner) = hearing.upgrade() else { return };
                        match event {
                            Event::State(LinkState::Ready) => inner.signalling_ready(),
                            Event::State(state) => inner.signal.set_state(state),
                            Event::Received { envelope, .. } => {
                                if let RelayMsg::Relayed { text, .. } = envelope.body {
                                    let data = JsValue::from_str(&text.to_text());
                                    if let Some(envelope) = inner.signal.read(&data, VIA_SIGNALLING) {
                                        inner.on_signal(envelope);
                                    }
                                }
                            }
                            _ => {}
                        }
                    },
                );
                Carrier::Relay(link)
            }
        };
        *inner.carrier.borrow_mut() = Some(carrier);
        if signalling == Signalling::Broadcast {
            inner.signalling_ready();
        }
        Ok(WebRtcLink { inner })
    }

    /// The delivery the next data channel is made with.
    pub fn set_delivery(&self, delivery: Delivery) {
        self.inner.delivery.set(delivery);
    }

    pub fn set_fault(&self, fault: Fault) {
        self.inner.data.set_fault(fault);
    }

    pub fn me(&self) -> SenderId {
        self.inner.signal.sender_id()
    }

    /// Offers a session to the tab heard most recently.
    pub fn connect(&self) -> Result<(), Reason> {
        let newest = self.inner.peers.borrow().last().cloned();
        match newest {
            Some(to) => self.connect_to(to),
            None => Err(Reason::new(
                ReasonCode::NotReady,
                "no other tab has said hello yet: open this route in another",
            )),
        }
    }

    /// Offers a session to `to`, one of the tabs heard.
    pub fn connect_to(&self, to: SenderId) -> Result<(), Reason> {
        let inner = &self.inner;
        inner.signal.ready_or(|_| "signalling is not ready yet".into())?;
        if inner.peer.borrow().is_some() {
            return Err(Reason::new(ReasonCode::NotReady, "this tab is in a session already: hang up first"));
        }
        let session = Session { id: fresh_session_id(), peer: to, offerer: true };
        let peer = inner.start_peer(session)?;
        let init = RtcDataChannelInit::new();
        let delivery = inner.delivery.get();
        init.set_ordered(delivery.ordered);
        if let Some(n) = delivery.max_retransmits {
            init.set_max_retransmits(n);
        }
        let channel = peer.pc.create_data_channel_with_data_channel_dict(LABEL, &init);
        inner.attach_channel(&peer, channel);
        let weak = inner.me.clone();
        let waiting = Timeout::new(ANSWER_WITHIN_MS, move || {
            if let Some(inner) = weak.upgrade() {
                inner.end_session(format!("no answer within {} s", ANSWER_WITHIN_MS / 1000), true);
            }
        });
        *peer.answer_wait.borrow_mut() = Some(waiting);
        inner.describe(peer, RtcSdpType::Offer, None);
        Ok(())
    }

    /// Ends the session: tells the peer, closes the connection.
    pub fn hang_up(&self) -> Result<(), Reason> {
        if self.inner.peer.borrow().is_none() {
            return Err(Reason::new(ReasonCode::NotReady, "no session to hang up"));
        }
        self.inner.end_session("hung up here".into(), true);
        Ok(())
    }

    /// Sends a text on the data channel.
    pub fn send(&self, text: &str) -> Result<(), Reason> {
        self.send_payload(Payload::from(text))
    }

    /// Sends a text already held (the bench's, kept in JavaScript) on the data channel.
    pub fn send_payload(&self, text: Payload) -> Result<(), Reason> {
        self.inner.send_data(RtcData::Text { text })
    }

    /// Sends a text over the message size limit (refused here, before the channel).
    pub fn send_oversized(&self) -> Result<(), Reason> {
        self.send(&"x".repeat(MAX_MESSAGE_BYTES + 1))
    }

    /// Sends a flood of messages, pausing whenever `bufferedAmount` passes the high-water mark
    /// until `bufferedamountlow` says it has drained.
    // lesson: webrtc
    pub fn flood(&self) -> Result<(), Reason> {
        let inner = &self.inner;
        inner.data.ready_or(|_| "the data channel is not open".into())?;
        if inner.flood.get().is_some() {
            return Err(Reason::new(ReasonCode::NotReady, "a flood is going already"));
        }
        inner.flood.set(Some((0, 0)));
        inner.pump();
        Ok(())
    }
    // lesson end

    /// Sends an offer into the session overheard between two other tabs, as this tab: the tab it
    /// names refuses it (`wrong-session`).
    pub fn forge_offer(&self) -> Result<(), Reason> {
        let Some((to, session)) = self.inner.overheard.borrow().clone() else {
            return Err(Reason::new(
                ReasonCode::NotReady,
                "no other tabs' session overheard yet (over BroadcastChannel)",
            ));
        };
        self.inner.post_signal(RtcSignal::Offer { to, session, sdp: "v=0 (forged)".into() })
    }

    /// Sends text that is not an envelope on the data channel (fault injection).
    pub fn send_raw(&self, text: &str) -> Result<(), Reason> {
        let channel = self.inner.open_channel()?;
        self.inner
            .data
            .send_raw(text, VIA_CHANNEL, |wire| channel.send_with_str(&wire.as_string().unwrap_or_default()))
    }
}

impl Drop for WebRtcLink {
    fn drop(&mut self) {
        self.inner.end_session("the page was left".into(), true);
        self.inner.signal.stop();
        self.inner.data.stop();
    }
}
