//! The peer connection of a session: made with its listeners, its descriptions made and applied,
//! its candidates added (or kept until the peer's description is in), and the session ended.

use super::*;

impl Inner {
    /// Makes the peer connection of `session`, with its listeners.
    pub(super) fn start_peer(&self, session: Session) -> Result<Rc<Peer>, Reason> {
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

    /// Makes this side's description (an offer, or — given the offer — an answer), applies it and
    /// sends it.
    pub(super) fn describe(&self, peer: Rc<Peer>, kind: RtcSdpType, offer: Option<String>) {
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

    pub(super) fn apply_remote(&self, peer: Rc<Peer>, kind: RtcSdpType, sdp: String) {
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
    pub(super) fn take_candidate(&self, line: String, mid: Option<String>, index: Option<u32>) {
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

    pub(super) fn add_early(&self, peer: &Peer) {
        for init in peer.early.borrow_mut().drain(..) {
            add_candidate(&peer.pc, &init);
        }
    }

    /// Ends the current session (telling the peer when `tell`), and says why.
    pub(super) fn end_session(&self, why: String, tell: bool) {
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

pub(super) fn add_candidate(pc: &RtcPeerConnection, init: &RtcIceCandidateInit) {
    // A candidate the browser cannot use is not fatal: others may work.
    let _ = pc.add_ice_candidate_with_opt_rtc_ice_candidate_init(Some(init));
}
