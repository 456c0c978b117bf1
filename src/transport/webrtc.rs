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
    BroadcastChannel, MessageEvent, RtcConfiguration, RtcDataChannel, RtcDataChannelEvent,
    RtcDataChannelInit, RtcIceCandidateInit, RtcPeerConnection, RtcPeerConnectionIceEvent, RtcSdpType,
    RtcSessionDescriptionInit,
};

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
    Channel(BroadcastChannel),
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
pub struct RtcDesk {
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

impl RtcDesk {
    /// Starts signalling over `signalling`: in relay room `room`, or over the route's
    /// BroadcastChannel (a channel of its own for any other `room`).
    pub fn open(
        signalling: Signalling,
        room: &str,
        on_signal: impl Fn(SignalEvent) + 'static,
        on_data: impl Fn(DataEvent) + 'static,
    ) -> Result<RtcDesk, String> {
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
                let channel = BroadcastChannel::new(&name).map_err(|e| js_error_text(&e))?;
                let hearing = Rc::downgrade(&inner);
                signal.listen::<MessageEvent>(&channel, "message", move |core, event| {
                    if let (Some(inner), Some(envelope)) =
                        (hearing.upgrade(), core.read(&event.data(), VIA_SIGNALLING))
                    {
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
        Ok(RtcDesk { inner })
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

impl Drop for RtcDesk {
    fn drop(&mut self) {
        self.inner.end_session("the page was left".into(), true);
        self.inner.signal.stop();
        self.inner.data.stop();
    }
}

impl Inner {
    fn signalling_ready(&self) {
        self.signal.set_state(LinkState::Ready);
        let _ = self.post_signal(RtcSignal::Hello);
    }

    fn post_signal(&self, body: RtcSignal) -> Result<(), Reason> {
        let carrier = self.carrier.borrow();
        match carrier.as_ref() {
            Some(Carrier::Channel(channel)) => {
                self.signal.send(body, VIA_SIGNALLING, |wire| channel.post_message(wire))
            }
            Some(Carrier::Relay(link)) => self.signal.send(body, VIA_SIGNALLING, |wire| {
                link.send_text(wire.as_string().unwrap_or_default())
                    .map_err(|reason| JsValue::from_str(&reason.text))
            }),
            None => Err(Reason::new(ReasonCode::NotReady, "no signalling")),
        }
    }

    fn hear(&self, peer: SenderId) {
        let mut peers = self.peers.borrow_mut();
        peers.retain(|p| *p != peer);
        if peers.len() == MAX_PEERS {
            peers.remove(0);
        }
        peers.push(peer.clone());
        drop(peers);
        self.signal.emit(Event::Other(RtcNews::PeerHeard(peer)));
    }

    /// A signalling message that decoded: checked, admitted or refused, then acted on.
    fn on_signal(&self, envelope: Envelope<RtcSignal>) {
        let me = self.signal.sender_id();
        if envelope.from == me {
            return;
        }
        if let Err(reason) = check_signal(&envelope.body) {
            return self.signal.emit(Event::Declined { envelope, reason, via: VIA_SIGNALLING });
        }
        let current = self.peer.borrow().as_ref().map(|p| p.session.clone());
        match Session::admits(current.as_ref(), &me, &envelope.from, &envelope.body) {
            Admit::NotMine => {
                if let RtcSignal::Offer { to, session, .. }
                | RtcSignal::Answer { to, session, .. }
                | RtcSignal::Candidate { to, session, .. } = &envelope.body
                {
                    *self.overheard.borrow_mut() = Some((to.clone(), session.clone()));
                }
                return self.signal.emit(Event::Other(RtcNews::Overheard));
            }
            Admit::Refuse(reason) => {
                return self.signal.emit(Event::Declined { envelope, reason, via: VIA_SIGNALLING })
            }
            Admit::Take => {}
        }
        let from = envelope.from.clone();
        let body = envelope.body.clone();
        self.signal.received(envelope, VIA_SIGNALLING);
        match body {
            RtcSignal::Hello => {
                self.hear(from.clone());
                let _ = self.post_signal(RtcSignal::Here { to: from });
            }
            RtcSignal::Here { .. } => self.hear(from),
            RtcSignal::Offer { session, sdp, .. } => {
                if current.is_some() {
                    return; // the peer's own offer again: the session is under way
                }
                self.hear(from.clone());
                let session = Session { id: session, peer: from, offerer: false };
                match self.start_peer(session) {
                    Ok(peer) => self.describe(peer, RtcSdpType::Answer, Some(sdp)),
                    Err(reason) => self.signal.emit(Event::Refused(reason)),
                }
            }
            RtcSignal::Answer { sdp, .. } => {
                let Some(peer) = self.peer.borrow().clone() else { return };
                peer.answer_wait.borrow_mut().take();
                self.apply_remote(peer, RtcSdpType::Answer, sdp);
            }
            RtcSignal::Candidate { candidate, mid, line, .. } => self.take_candidate(candidate, mid, line),
            RtcSignal::Bye { .. } => self.end_session(format!("{from} hung up"), false),
        }
    }

    /// Makes the peer connection of `session`, with its listeners.
    fn start_peer(&self, session: Session) -> Result<Rc<Peer>, Reason> {
        // No STUN or TURN server: host candidates only (what one machine, or one LAN, needs).
        let config = RtcConfiguration::new();
        config.set_ice_servers(&js_sys::Array::new());
        let pc = RtcPeerConnection::new_with_configuration(&config)
            .map_err(|e| Reason::new(ReasonCode::PostFailed, js_error_text(&e)))?;
        let peer = Rc::new(Peer {
            pc,
            session: session.clone(),
            channel: RefCell::default(),
            remote_set: Cell::new(false),
            early: RefCell::default(),
            listeners: RefCell::default(),
            answer_wait: RefCell::default(),
        });
        let weak = self.me.clone();
        let mut listeners = Vec::new();
        let on_candidate = weak.clone();
        listeners.push(EventListener::new(&peer.pc, "icecandidate", move |event| {
            let (Some(inner), Some(event)) =
                (on_candidate.upgrade(), event.dyn_ref::<RtcPeerConnectionIceEvent>())
            else {
                return;
            };
            let Some(found) = event.candidate() else { return };
            let line = found.candidate();
            if let Some(kind) = candidate_type(&line) {
                let news = RtcNews::Candidate { local: true, kind: kind.to_owned(), mdns: is_mdns(&line) };
                inner.signal.emit(Event::Other(news));
            }
            let Some(session) = inner.peer.borrow().as_ref().map(|p| p.session.clone()) else { return };
            let _ = inner.post_signal(RtcSignal::Candidate {
                to: session.peer,
                session: session.id,
                candidate: line,
                mid: found.sdp_mid(),
                line: found.sdp_m_line_index().map(u32::from),
            });
        }));
        let on_state = weak.clone();
        let pc = peer.pc.clone();
        listeners.push(EventListener::new(&peer.pc, "connectionstatechange", move |_| {
            if let Some(inner) = on_state.upgrade() {
                let state =
                    js_sys::Reflect::get(&pc, &"connectionState".into()).ok().and_then(|s| s.as_string());
                inner
                    .signal
                    .emit(Event::Other(RtcNews::Connection(state.unwrap_or_else(|| "unknown".into()))));
            }
        }));
        let on_channel = weak;
        let answering = Rc::downgrade(&peer);
        listeners.push(EventListener::new(&peer.pc, "datachannel", move |event| {
            let (Some(inner), Some(peer), Some(event)) =
                (on_channel.upgrade(), answering.upgrade(), event.dyn_ref::<RtcDataChannelEvent>())
            else {
                return;
            };
            inner.attach_channel(&peer, event.channel());
        }));
        *peer.listeners.borrow_mut() = listeners;
        *self.peer.borrow_mut() = Some(Rc::clone(&peer));
        self.signal.emit(Event::Other(RtcNews::Session(Some(session), String::new())));
        self.signal.emit(Event::Other(RtcNews::Connection("new".into())));
        Ok(peer)
    }

    /// Listens on the data channel: open, close, messages, and `bufferedamountlow`.
    fn attach_channel(&self, peer: &Rc<Peer>, channel: RtcDataChannel) {
        channel.set_buffered_amount_low_threshold(LOW_WATER_BYTES);
        let weak = self.me.clone();
        let mut listeners = Vec::new();
        let (opening, open_channel, pc) = (weak.clone(), channel.clone(), peer.pc.clone());
        listeners.push(EventListener::new(&channel, "open", move |_| {
            let Some(inner) = opening.upgrade() else { return };
            let sctp = js_sys::Reflect::get(&pc, &"sctp".into()).ok().filter(|s| s.is_object());
            let max = sctp
                .and_then(|s| js_sys::Reflect::get(&s, &"maxMessageSize".into()).ok())
                .and_then(|m| m.as_f64());
            inner.data.set_state(LinkState::Ready);
            inner.signal.emit(Event::Other(RtcNews::ChannelOpen {
                ordered: js_sys::Reflect::get(&open_channel, &"ordered".into())
                    .ok()
                    .and_then(|o| o.as_bool())
                    .unwrap_or(true),
                max_retransmits: open_channel.max_retransmits(),
                max_message_size: max,
            }));
        }));
        let closing = weak.clone();
        listeners.push(EventListener::new(&channel, "close", move |_| {
            if let Some(inner) = closing.upgrade() {
                inner.data.set_state(LinkState::Closed);
                inner.signal.emit(Event::Other(RtcNews::ChannelClosed));
            }
        }));
        let hearing = weak.clone();
        listeners.push(EventListener::new(&channel, "message", move |event| {
            let (Some(inner), Some(event)) = (hearing.upgrade(), event.dyn_ref::<MessageEvent>()) else {
                return;
            };
            if let Some(envelope) = inner.data.read(&event.data(), VIA_CHANNEL) {
                inner.data.received(envelope, VIA_CHANNEL);
            }
        }));
        let draining = weak;
        listeners.push(EventListener::new(&channel, "bufferedamountlow", move |_| {
            if let Some(inner) = draining.upgrade() {
                inner.pump();
            }
        }));
        peer.listeners.borrow_mut().extend(listeners);
        *peer.channel.borrow_mut() = Some(channel);
    }

    /// Makes this side's description (an offer, or — given the offer — an answer), applies it and
    /// sends it.
    fn describe(&self, peer: Rc<Peer>, kind: RtcSdpType, offer: Option<String>) {
        let weak = self.me.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let made = async {
                if let Some(sdp) = offer {
                    set_description(&peer.pc, RtcSdpType::Offer, &sdp, false).await?;
                    peer.remote_set.set(true);
                    if let Some(inner) = weak.upgrade() {
                        inner.add_early(&peer);
                    }
                }
                let promise =
                    if kind == RtcSdpType::Offer { peer.pc.create_offer() } else { peer.pc.create_answer() };
                let description = JsFuture::from(promise).await.map_err(|e| js_error_text(&e))?;
                let sdp = js_sys::Reflect::get(&description, &"sdp".into())
                    .ok()
                    .and_then(|s| s.as_string())
                    .unwrap_or_default();
                set_description(&peer.pc, kind, &sdp, true).await?;
                Ok::<String, String>(sdp)
            };
            let outcome = made.await;
            let Some(inner) = weak.upgrade() else { return };
            // The session may have ended while the browser worked.
            if !inner.peer.borrow().as_ref().is_some_and(|p| Rc::ptr_eq(p, &peer)) {
                return;
            }
            let (to, session) = (peer.session.peer.clone(), peer.session.id.clone());
            match outcome {
                Ok(sdp) if kind == RtcSdpType::Offer => {
                    drop(inner.post_signal(RtcSignal::Offer { to, session, sdp }))
                }
                Ok(sdp) => drop(inner.post_signal(RtcSignal::Answer { to, session, sdp })),
                Err(why) => inner.end_session(format!("the browser refused the description: {why}"), true),
            }
        });
    }

    fn apply_remote(&self, peer: Rc<Peer>, kind: RtcSdpType, sdp: String) {
        let weak = self.me.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let applied = set_description(&peer.pc, kind, &sdp, false).await;
            let Some(inner) = weak.upgrade() else { return };
            match applied {
                Ok(()) => {
                    peer.remote_set.set(true);
                    inner.add_early(&peer);
                }
                Err(why) => inner.end_session(format!("the peer's description was refused: {why}"), true),
            }
        });
    }

    /// A candidate from the peer: added now, or kept until its description is in.
    fn take_candidate(&self, line: String, mid: Option<String>, index: Option<u32>) {
        let Some(peer) = self.peer.borrow().clone() else { return };
        if let Some(kind) = candidate_type(&line) {
            let news = RtcNews::Candidate { local: false, kind: kind.to_owned(), mdns: is_mdns(&line) };
            self.signal.emit(Event::Other(news));
        }
        let init = RtcIceCandidateInit::new(&line);
        init.set_sdp_mid(mid.as_deref());
        init.set_sdp_m_line_index(index.and_then(|i| u16::try_from(i).ok()));
        if !peer.remote_set.get() {
            let mut early = peer.early.borrow_mut();
            if early.len() >= MAX_EARLY_CANDIDATES {
                let why =
                    format!("more than {MAX_EARLY_CANDIDATES} candidates before the peer's description");
                return self.signal.emit(Event::Refused(Reason::new(ReasonCode::QueueFull, why)));
            }
            return early.push(init);
        }
        add_candidate(&peer.pc, &init);
    }

    fn add_early(&self, peer: &Peer) {
        for init in peer.early.borrow_mut().drain(..) {
            add_candidate(&peer.pc, &init);
        }
    }

    /// Ends the current session (telling the peer when `tell`), and says why.
    fn end_session(&self, why: String, tell: bool) {
        let Some(peer) = self.peer.borrow_mut().take() else { return };
        if tell {
            let _ = self.post_signal(RtcSignal::Bye {
                to: peer.session.peer.clone(),
                session: peer.session.id.clone(),
            });
        }
        self.flood.set(None);
        drop(peer);
        self.data.set_state(LinkState::Closed);
        self.signal.emit(Event::Other(RtcNews::Connection("closed".into())));
        self.signal.emit(Event::Other(RtcNews::Session(None, why)));
    }

    fn open_channel(&self) -> Result<RtcDataChannel, Reason> {
        self.data.ready_or(|_| "the data channel is not open".into())?;
        let peer = self.peer.borrow();
        peer.as_ref()
            .and_then(|p| p.channel.borrow().clone())
            .ok_or_else(|| Reason::new(ReasonCode::NotReady, "the data channel is not open"))
    }

    fn max_message_size(&self) -> Option<f64> {
        let peer = self.peer.borrow();
        let sctp = js_sys::Reflect::get(&peer.as_ref()?.pc, &"sctp".into()).ok().filter(|s| s.is_object())?;
        js_sys::Reflect::get(&sctp, &"maxMessageSize".into()).ok()?.as_f64()
    }

    fn send_data(&self, body: RtcData) -> Result<(), Reason> {
        let channel = self.open_channel()?;
        let payload = match &body {
            RtcData::Text { text } => text,
            RtcData::Bulk { fill, .. } => fill,
        };
        // A UTF-16 unit is at most three bytes of UTF-8: a text held in JavaScript is copied out
        // to be measured only when its length in units leaves that in doubt.
        let size = match payload.len_hint() {
            units if units.saturating_mul(3) <= MAX_MESSAGE_BYTES => units,
            _ => payload.to_text().len(),
        };
        message_fits(size, self.max_message_size())?;
        self.data
            .send(body, VIA_CHANNEL, |wire| channel.send_with_str(&wire.as_string().unwrap_or_default()))?;
        self.signal.emit(Event::Other(RtcNews::Buffered(channel.buffered_amount())));
        Ok(())
    }

    /// Sends the flood's next messages until it is done or the buffer is over the high-water
    /// mark (then `bufferedamountlow` calls this again).
    fn pump(&self) {
        let Some((mut sent, mut pauses)) = self.flood.get() else { return };
        let Ok(channel) = self.open_channel() else { return self.flood.set(None) };
        // Held in JavaScript: each message hands the same string on instead of copying it.
        let fill = super::js_wire::held(&js_sys::JsString::from("x".repeat(FLOOD_MESSAGE_BYTES)));
        while sent < FLOOD_MESSAGES {
            let buffered = channel.buffered_amount();
            if buffered > HIGH_WATER_BYTES {
                pauses += 1;
                self.flood.set(Some((sent, pauses)));
                return self.signal.emit(Event::Other(RtcNews::Paused(buffered)));
            }
            if let Err(reason) = self.send_data(RtcData::Bulk { index: sent, fill: fill.clone() }) {
                self.flood.set(None);
                return self.signal.emit(Event::Refused(reason));
            }
            sent += 1;
        }
        self.flood.set(None);
        self.signal.emit(Event::Other(RtcNews::Flooded { sent, pauses }));
    }
}

/// Applies a description, this side's (`local`) or the peer's.
async fn set_description(
    pc: &RtcPeerConnection,
    kind: RtcSdpType,
    sdp: &str,
    local: bool,
) -> Result<(), String> {
    let init = RtcSessionDescriptionInit::new(kind);
    init.set_sdp(sdp);
    let promise = if local { pc.set_local_description(&init) } else { pc.set_remote_description(&init) };
    JsFuture::from(promise).await.map(|_| ()).map_err(|e| js_error_text(&e))
}

fn add_candidate(pc: &RtcPeerConnection, init: &RtcIceCandidateInit) {
    // A candidate the browser cannot use is not fatal: others may work.
    let _ = pc.add_ice_candidate_with_opt_rtc_ice_candidate_init(Some(init));
}
