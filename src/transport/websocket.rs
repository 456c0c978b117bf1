//! The WebSocket adapter: this tab's link to the crosstalk relay (`/ws` on the app's origin).
//!
//! Unlike the in-browser channels, a socket goes away: the relay restarts, the network drops, the
//! page is put in the back/forward cache. So the link reconnects by itself with exponential
//! backoff and jitter and joins its room again; texts sent while it is down wait in a bounded
//! queue and go out once it is back, or are refused (`queue-full`) — a send on a dead socket never
//! reports success. It closes on `pagehide` (an open socket keeps a page out of the
//! back/forward cache) and opens again on `pageshow`.
//!
//! Every reconnect resumes: the link remembers the last room number it saw and joins again with
//! it, so the relay replays what the room said meanwhile (from its history, on whichever relay
//! instance the new socket reached) before live traffic.
//!
//! Each connection attempt is one [`Core`], sharing this tab's sender (numbering goes on across
//! reconnects) and the page's sink. Written on `web_sys::WebSocket` directly, like every adapter
//! on its browser API: its events map one to one onto the core's listeners, close codes included.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use crosstalk_protocol::relay::{backoff_ms, close, RelayMsg, RELAY_PATH};
use crosstalk_protocol::{Payload, Reason, ReasonCode, Sender};
use gloo::events::EventListener;
use gloo::timers::callback::Timeout;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use super::core::{js_error_text, Core, Event, LinkState, Via};
use crate::clock::random;

pub const VIA_RELAY: Via = "relay";
/// Texts that may wait for the relay to come back.
pub const MAX_QUEUED: usize = 32;

/// What only the WebSocket link reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// The socket opened; the link joins its room next.
    Opened,
    /// The socket closed with `code` (and the closer's `why`, often empty); attempt `attempt`
    /// follows in `delay_ms`.
    Reconnecting { code: u16, why: String, attempt: u32, delay_ms: u32 },
    /// The socket closed and stays closed (the page hid, or the link was dropped).
    Closed { code: u16, why: String },
    /// A text waits for the relay; `waiting` counts the queue now.
    Queued { text: Payload, waiting: usize },
    /// The texts that waited went out after the room was joined again.
    Flushed { count: usize },
}

pub type RelayEvent = Event<RelayMsg, Notice>;
type Sink = Rc<dyn Fn(RelayEvent)>;
/// One connection attempt: its socket and the core listening to it.
type Attempt = (WebSocket, Rc<Core<RelayMsg, Notice>>);

/// `ws://host/ws` for the page's own origin (`wss:` under https).
pub fn relay_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" { "wss" } else { "ws" };
    Some(format!("{scheme}://{}{RELAY_PATH}", location.host().ok()?))
}

/// This tab's link to one room of the relay. Dropping it closes the socket for good.
pub struct RelayLink {
    inner: Rc<Inner>,
}

struct Inner {
    url: String,
    room: RefCell<String>,
    sender: Rc<RefCell<Sender>>,
    sink: Sink,
    socket: RefCell<Option<Attempt>>,
    queue: RefCell<VecDeque<Payload>>,
    /// Reconnect attempts since the room was last joined.
    attempt: Cell<u32>,
    /// The last room number seen in this room (relayed or accepted): a reconnect resumes after it.
    last_seen: Cell<Option<u64>>,
    retry: RefCell<Option<Timeout>>,
    /// Closed by the page (hidden, or dropped): no reconnecting until it shows again.
    resting: Cell<bool>,
    page: RefCell<Vec<EventListener>>,
}

impl RelayLink {
    pub fn open(
        url: &str,
        room: &str,
        sender: Rc<RefCell<Sender>>,
        sink: impl Fn(RelayEvent) + 'static,
    ) -> RelayLink {
        let inner = Rc::new(Inner {
            url: url.to_owned(),
            room: RefCell::new(room.to_owned()),
            sender,
            sink: Rc::new(sink),
            socket: RefCell::default(),
            queue: RefCell::default(),
            attempt: Cell::new(0),
            last_seen: Cell::new(None),
            retry: RefCell::default(),
            resting: Cell::new(false),
            page: RefCell::default(),
        });
        if let Some(window) = web_sys::window() {
            let (hiding, showing) = (Rc::downgrade(&inner), Rc::downgrade(&inner));
            let hide = EventListener::new(&window, "pagehide", move |_| {
                if let Some(inner) = hiding.upgrade() {
                    inner.rest(close::NORMAL, "the page was hidden");
                }
            });
            let show = EventListener::new(&window, "pageshow", move |_| {
                if let Some(inner) = showing.upgrade() {
                    if inner.resting.replace(false) {
                        inner.attempt.set(0);
                        Inner::connect(&inner);
                    }
                }
            });
            *inner.page.borrow_mut() = vec![hide, show];
        }
        Inner::connect(&inner);
        RelayLink { inner }
    }

    /// Sends `text` to the room now, or queues it while the relay is away.
    pub fn send_text(&self, text: impl Into<Payload>) -> Result<(), Reason> {
        self.inner.send_or_queue(text.into())
    }

    /// Joins another room (now if connected, and on every reconnect).
    pub fn join(&self, room: &str) -> Result<(), Reason> {
        let other = self.inner.room.replace(room.to_owned()) != room;
        if other {
            self.inner.last_seen.set(None);
        }
        let Some((socket, core)) = self.inner.open_socket() else { return Ok(()) };
        let after = self.inner.last_seen.get();
        core.send(RelayMsg::Join { room: room.to_owned(), after }, VIA_RELAY, post_on(&socket))
    }

    /// Closes the socket on purpose and stays away until [`RelayLink::go_online`] (QA: what a
    /// tab misses while it is away, and gets back).
    pub fn go_offline(&self) -> Result<(), Reason> {
        self.inner.rest(close::NORMAL, "taken offline by the page");
        Ok(())
    }

    /// Connects again after [`RelayLink::go_offline`], resuming after the last number seen.
    pub fn go_online(&self) -> Result<(), Reason> {
        if !self.inner.resting.replace(false) {
            return Err(Reason::new(ReasonCode::NotReady, "the link is not offline"));
        }
        self.inner.attempt.set(0);
        Inner::connect(&self.inner);
        Ok(())
    }

    /// The last room number this tab saw.
    pub fn last_seen(&self) -> Option<u64> {
        self.inner.last_seen.get()
    }

    /// Fault injection: text that is not an envelope.
    pub fn send_raw(&self, text: &str) -> Result<(), Reason> {
        let (socket, core) = self.inner.open_socket().ok_or_else(not_open)?;
        core.send_raw(text, VIA_RELAY, post_on(&socket))
    }

    /// Fault injection: a well-formed text over the relay's 64 KiB (it closes with 1009).
    pub fn send_oversized(&self) -> Result<(), Reason> {
        let (socket, core) = self.inner.open_socket().ok_or_else(not_open)?;
        let text = "x".repeat(crosstalk_protocol::relay::MAX_FRAME_BYTES + 1024);
        core.send(RelayMsg::Text { text: text.into() }, VIA_RELAY, post_on(&socket))
    }

    /// Fault injection: this page cuts its own connection; it reconnects as after any drop.
    pub fn cut(&self) -> Result<(), Reason> {
        let (socket, _) = self.inner.open_socket().ok_or_else(not_open)?;
        socket
            .close_with_code_and_reason(close::CUT, "cut by the page")
            .map_err(|e| Reason::new(ReasonCode::PostFailed, js_error_text(&e)))
    }

    /// Texts waiting for the relay.
    pub fn queued(&self) -> usize {
        self.inner.queue.borrow().len()
    }
}

impl Drop for RelayLink {
    fn drop(&mut self) {
        self.inner.page.borrow_mut().clear();
        self.inner.rest(close::NORMAL, "the page left the route");
    }
}

fn not_open() -> Reason {
    Reason::new(ReasonCode::NotReady, "the relay is not connected")
}

fn post_on(socket: &WebSocket) -> impl Fn(&JsValue) -> Result<(), JsValue> + '_ {
    move |text| socket.unchecked_ref::<JsSocket>().send(text)
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// A `WebSocket` whose `send` takes a string that stays a JS string (web-sys's
    /// `send_with_str` takes a `&str`: a copy out of wasm each time).
    #[wasm_bindgen(js_name = WebSocket)]
    type JsSocket;
    #[wasm_bindgen(method, catch, js_class = "WebSocket")]
    fn send(this: &JsSocket, data: &JsValue) -> Result<(), JsValue>;
}

impl Inner {
    /// The socket, if it is open now (a closing or closed socket drops what it is given).
    fn open_socket(&self) -> Option<Attempt> {
        let current = self.socket.borrow();
        let (socket, core) = current.as_ref()?;
        (socket.ready_state() == WebSocket::OPEN).then(|| (socket.clone(), Rc::clone(core)))
    }

    fn connect(inner: &Rc<Inner>) {
        inner.retry.borrow_mut().take();
        let sink = Rc::clone(&inner.sink);
        let core = Core::new(Rc::clone(&inner.sender), LinkState::Connecting, move |e| sink(e));
        // lesson: websocket
        let socket = match WebSocket::new(&inner.url) {
            Ok(socket) => socket,
            Err(error) => {
                core.stop();
                return Inner::retry_after(inner, 1006, js_error_text(&error));
            }
        };
        let joining = Rc::downgrade(inner);
        core.listen::<web_sys::Event>(&socket, "open", move |core, _| {
            let Some(inner) = joining.upgrade() else { return };
            core.emit(Event::Other(Notice::Opened));
            let Some((socket, _)) = inner.open_socket() else { return };
            let (room, after) = (inner.room.borrow().clone(), inner.last_seen.get());
            if let Err(reason) = core.send(RelayMsg::Join { room, after }, VIA_RELAY, post_on(&socket)) {
                core.emit(Event::Refused(reason));
            }
        });
        let receiving = Rc::downgrade(inner);
        core.listen::<MessageEvent>(&socket, "message", move |core, event| {
            let Some(envelope) = core.read(&event.data(), VIA_RELAY) else { return };
            let joined = matches!(envelope.body, RelayMsg::Joined { .. });
            if let (RelayMsg::Relayed { room_seq, .. } | RelayMsg::Accepted { room_seq, .. }, Some(inner)) =
                (&envelope.body, receiving.upgrade())
            {
                inner.last_seen.set(Some(inner.last_seen.get().map_or(*room_seq, |n| n.max(*room_seq))));
            }
            core.received(envelope, VIA_RELAY);
            if let (true, Some(inner)) = (joined, receiving.upgrade()) {
                inner.attempt.set(0);
                core.set_state(LinkState::Ready);
                inner.flush(core);
            }
        });
        // lesson end
        let closing: Weak<Inner> = Rc::downgrade(inner);
        core.listen::<CloseEvent>(&socket, "close", move |core, event| {
            core.stop();
            let Some(inner) = closing.upgrade() else { return };
            let (code, why) = (event.code(), event.reason());
            if inner.resting.get() {
                core.set_state(LinkState::Closed);
                core.emit(Event::Other(Notice::Closed { code, why }));
            } else {
                Inner::retry_after(&inner, code, why);
            }
        });
        *inner.socket.borrow_mut() = Some((socket, core));
    }

    /// Schedules the next attempt, with backoff and jitter, and says so.
    fn retry_after(inner: &Rc<Inner>, code: u16, why: String) {
        let attempt = inner.attempt.get();
        inner.attempt.set(attempt.saturating_add(1));
        let delay_ms = backoff_ms(attempt, random());
        (inner.sink)(Event::Other(Notice::Reconnecting { code, why, attempt: attempt + 1, delay_ms }));
        let weak = Rc::downgrade(inner);
        *inner.retry.borrow_mut() = Some(Timeout::new(delay_ms, move || {
            if let Some(inner) = weak.upgrade() {
                if !inner.resting.get() {
                    Inner::connect(&inner);
                }
            }
        }));
    }

    fn send_or_queue(&self, text: Payload) -> Result<(), Reason> {
        let joined = self.socket.borrow().as_ref().is_some_and(|(_, core)| core.state() == LinkState::Ready);
        if let (true, Some((socket, core))) = (joined, self.open_socket()) {
            return core.send(RelayMsg::Text { text }, VIA_RELAY, post_on(&socket));
        }
        let mut queue = self.queue.borrow_mut();
        if queue.len() >= MAX_QUEUED {
            let said = format!("the relay is away and {MAX_QUEUED} messages already wait for it: not sent");
            return Err(Reason::new(ReasonCode::QueueFull, said));
        }
        queue.push_back(text.clone());
        let waiting = queue.len();
        drop(queue);
        (self.sink)(Event::Other(Notice::Queued { text, waiting }));
        Ok(())
    }

    /// Sends what waited, in order, once the room is joined again.
    fn flush(&self, core: &Core<RelayMsg, Notice>) {
        let waiting: Vec<Payload> = self.queue.borrow_mut().drain(..).collect();
        if waiting.is_empty() {
            return;
        }
        let Some((socket, _)) = self.open_socket() else { return };
        let count = waiting.len();
        for text in waiting {
            if let Err(reason) = core.send(RelayMsg::Text { text }, VIA_RELAY, post_on(&socket)) {
                core.emit(Event::Refused(reason));
            }
        }
        core.emit(Event::Other(Notice::Flushed { count }));
    }

    /// Closes the socket on purpose and stops reconnecting until the page shows again.
    fn rest(&self, code: u16, why: &str) {
        self.resting.set(true);
        self.retry.borrow_mut().take();
        if let Some((socket, _)) = self.socket.borrow().as_ref() {
            let _ = socket.close_with_code_and_reason(code, why);
        }
    }
}
