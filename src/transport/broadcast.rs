//! The BroadcastChannel route's transport: one tab's membership of one named channel.
//!
//! A `BroadcastChannel` delivers each message to every *other* same-origin context on the same
//! name, never back to the sender. On top of it this keeps a roster (hello/here, pings answered
//! by pongs, goodbye on `pagehide`, expiry of the silent) and checks each sender's ordering.

use std::cell::RefCell;
use std::rc::Rc;

use gloo::events::EventListener;
use gloo::timers::callback::Interval;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BroadcastChannel, MessageEvent};

use super::{js_error_text, wire_text};
use crate::clock::now_ms;
use crate::protocol::broadcast::{BroadcastMsg, Order, Roster, SequenceCheck, PING_INTERVAL_MS};
use crate::protocol::{decode, DecodeError, Envelope, Sender, SenderId};

#[derive(Debug, Clone, PartialEq)]
pub enum BroadcastEvent {
    /// Sent on the channel (pings and pongs are not reported).
    Sent(Envelope<BroadcastMsg>),
    /// Raw text that is not an envelope (fault injection).
    SentRaw(String),
    /// Arrived and decoded (pings and pongs are not reported), with its ordering verdict.
    Received {
        envelope: Envelope<BroadcastMsg>,
        order: Order,
    },
    Rejected {
        raw: String,
        error: DecodeError,
    },
    /// A message of this tab's own (hello, ping, pong, goodbye) could not be posted.
    SendFailed(String),
    /// The number of other tabs on the channel changed; `left` are those that expired.
    Peers {
        count: usize,
        left: Vec<SenderId>,
    },
}

/// This tab on one channel. Dropping it says goodbye and leaves.
pub struct BroadcastMember {
    inner: Rc<Inner>,
}

struct Inner {
    channel: BroadcastChannel,
    sender: Rc<RefCell<Sender>>,
    roster: RefCell<Roster>,
    order: RefCell<SequenceCheck>,
    on_event: Box<dyn Fn(BroadcastEvent)>,
    listeners: RefCell<Vec<EventListener>>,
    ticker: RefCell<Option<Interval>>,
}

impl BroadcastMember {
    /// Joins the channel `name`, sending as `sender` (shared so numbering continues across channels).
    pub fn join(
        name: &str,
        sender: Rc<RefCell<Sender>>,
        on_event: impl Fn(BroadcastEvent) + 'static,
    ) -> Result<BroadcastMember, String> {
        let channel = BroadcastChannel::new(name).map_err(|e| js_error_text(&e))?;
        let inner = Rc::new(Inner {
            channel,
            sender,
            roster: RefCell::new(Roster::default()),
            order: RefCell::new(SequenceCheck::default()),
            on_event: Box::new(on_event),
            listeners: RefCell::new(Vec::new()),
            ticker: RefCell::new(None),
        });
        let weak = Rc::downgrade(&inner);
        let on_message = EventListener::new(&inner.channel, "message", move |event| {
            if let (Some(inner), Some(event)) = (weak.upgrade(), event.dyn_ref::<MessageEvent>()) {
                inner.on_message(event);
            }
        });
        let weak = Rc::downgrade(&inner);
        let on_message_error = EventListener::new(&inner.channel, "messageerror", move |_| {
            if let Some(inner) = weak.upgrade() {
                let error = DecodeError::NotText { got: "a message that could not be deserialised".into() };
                inner.emit(BroadcastEvent::Rejected { raw: String::new(), error });
            }
        });
        let mut listeners = vec![on_message, on_message_error];
        if let Some(window) = web_sys::window() {
            let weak = Rc::downgrade(&inner);
            listeners.push(EventListener::new(&window, "pagehide", move |_| {
                if let Some(inner) = weak.upgrade() {
                    inner.post(BroadcastMsg::Goodbye, false);
                }
            }));
        }
        *inner.listeners.borrow_mut() = listeners;

        let weak = Rc::downgrade(&inner);
        *inner.ticker.borrow_mut() = Some(Interval::new(PING_INTERVAL_MS, move || {
            if let Some(inner) = weak.upgrade() {
                inner.post(BroadcastMsg::Ping, false);
                let left = inner.roster.borrow_mut().expire(now_ms());
                left.iter().for_each(|peer| inner.order.borrow_mut().forget(peer));
                if !left.is_empty() {
                    let count = inner.roster.borrow().len();
                    inner.emit(BroadcastEvent::Peers { count, left });
                }
            }
        }));
        inner.post(BroadcastMsg::Hello, true);
        Ok(BroadcastMember { inner })
    }

    pub fn name(&self) -> String {
        self.inner.channel.name()
    }

    pub fn sender_id(&self) -> SenderId {
        self.inner.sender.borrow().id.clone()
    }

    /// How many other tabs are on the channel now.
    pub fn peers(&self) -> usize {
        self.inner.roster.borrow().len()
    }

    pub fn send_text(&self, text: &str) -> Result<(), String> {
        self.inner.try_post(BroadcastMsg::Text { text: text.to_owned() }, true)
    }

    /// Sends raw text that is not an envelope, to show the others refusing it (fault injection).
    pub fn send_raw(&self, text: &str) -> Result<(), String> {
        self.inner.channel.post_message(&JsValue::from_str(text)).map_err(|e| js_error_text(&e))?;
        self.inner.emit(BroadcastEvent::SentRaw(text.to_owned()));
        Ok(())
    }
}

impl Drop for BroadcastMember {
    fn drop(&mut self) {
        self.inner.post(BroadcastMsg::Goodbye, false);
        self.inner.ticker.borrow_mut().take();
        self.inner.listeners.borrow_mut().clear();
        self.inner.channel.close();
    }
}

impl Inner {
    fn emit(&self, event: BroadcastEvent) {
        (self.on_event)(event);
    }

    fn try_post(&self, body: BroadcastMsg, report: bool) -> Result<(), String> {
        let envelope = self.sender.borrow_mut().envelope(body, now_ms());
        let wire = envelope.encode().map_err(|e| e.to_string())?;
        self.channel.post_message(&JsValue::from_str(&wire)).map_err(|e| js_error_text(&e))?;
        if report {
            self.emit(BroadcastEvent::Sent(envelope));
        }
        Ok(())
    }

    /// Posts where a failure has nowhere better to go than the log.
    fn post(&self, body: BroadcastMsg, report: bool) {
        if let Err(reason) = self.try_post(body, report) {
            self.emit(BroadcastEvent::SendFailed(reason));
        }
    }

    fn on_message(&self, event: &MessageEvent) {
        let raw = wire_text(&event.data());
        let envelope = match raw.clone().and_then(|text| decode::<BroadcastMsg>(&text)) {
            Ok(envelope) => envelope,
            Err(error) => return self.emit(BroadcastEvent::Rejected { raw: raw.unwrap_or_default(), error }),
        };
        let order = self.order.borrow_mut().check(&envelope.from, envelope.seq);
        if envelope.body == BroadcastMsg::Goodbye {
            self.order.borrow_mut().forget(&envelope.from);
        }
        let changed = self.roster.borrow_mut().heard(&envelope.from, &envelope.body, now_ms());
        match envelope.body {
            BroadcastMsg::Ping => self.post(BroadcastMsg::Pong, false),
            BroadcastMsg::Pong => {}
            BroadcastMsg::Hello => {
                self.emit(BroadcastEvent::Received { envelope, order });
                self.post(BroadcastMsg::Here, false);
            }
            _ => self.emit(BroadcastEvent::Received { envelope, order }),
        }
        if changed {
            let count = self.roster.borrow().len();
            self.emit(BroadcastEvent::Peers { count, left: Vec::new() });
        }
    }
}
