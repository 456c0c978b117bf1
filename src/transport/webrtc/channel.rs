//! The data channel: made or accepted, listened to, and written to, with fault injection on what
//! this tab sends and a flood paced by `bufferedAmount`.

use super::*;

impl Inner {
    /// Listens on the data channel: open, close, messages, and `bufferedamountlow`.
    pub(super) fn attach_channel(&self, peer: &Rc<Peer>, channel: RtcDataChannel) {
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

    pub(super) fn open_channel(&self) -> Result<RtcDataChannel, Reason> {
        self.data.ready_or(|_| "the data channel is not open".into())?;
        let peer = self.peer.borrow();
        peer.as_ref()
            .and_then(|p| p.channel.borrow().clone())
            .ok_or_else(|| Reason::new(ReasonCode::NotReady, "the data channel is not open"))
    }

    pub(super) fn max_message_size(&self) -> Option<f64> {
        let peer = self.peer.borrow();
        let sctp = js_sys::Reflect::get(&peer.as_ref()?.pc, &"sctp".into()).ok().filter(|s| s.is_object())?;
        js_sys::Reflect::get(&sctp, &"maxMessageSize".into()).ok()?.as_f64()
    }

    pub(super) fn send_data(&self, body: RtcData) -> Result<(), Reason> {
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
    pub(super) fn pump(&self) {
        let Some((mut sent, mut pauses)) = self.flood.get() else { return };
        let Ok(channel) = self.open_channel() else { return self.flood.set(None) };
        // Held in JavaScript: each message hands the same string on instead of copying it.
        let fill = crate::transport::js_wire::held(&js_sys::JsString::from("x".repeat(FLOOD_MESSAGE_BYTES)));
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
