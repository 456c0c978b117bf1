//! Signalling: the introduction over a BroadcastChannel or a relay room (`hello`, `offer`,
//! `answer`, `candidate`, `bye`), each checked by `crosstalk_protocol::webrtc` and admitted to the
//! session, or refused, before the browser sees it.

use super::*;

impl Inner {
    pub(super) fn signalling_ready(&self) {
        self.signal.set_state(LinkState::Ready);
        let _ = self.post_signal(RtcSignal::Hello);
    }

    pub(super) fn post_signal(&self, body: RtcSignal) -> Result<(), Reason> {
        let carrier = self.carrier.borrow();
        match carrier.as_ref() {
            Some(Carrier::Channel(channel)) => self.signal.send(body, VIA_SIGNALLING, channel.post()),
            Some(Carrier::Relay(link)) => self.signal.send(body, VIA_SIGNALLING, |wire| {
                link.send_text(wire.as_string().unwrap_or_default())
                    .map_err(|reason| JsValue::from_str(&reason.text))
            }),
            None => Err(Reason::new(ReasonCode::NotReady, "no signalling")),
        }
    }

    pub(super) fn hear(&self, peer: SenderId) {
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
    pub(super) fn on_signal(&self, envelope: Envelope<RtcSignal>) {
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
}
