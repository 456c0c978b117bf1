//! A worker's end of the inspector's side channel (`crosstalk_protocol::inspector`): while an
//! `/inspector` watches, the worker says each message it handles, one `seen` each, in its own lane.
//! Speaks the side channel without serde_json ([`WorkerTapMsg`], `js_wire`): a worker pays for
//! every byte it links. Nothing is sent while nobody watches, and `watch` is the only thing read.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crosstalk_protocol::inspector::{WorkerTapMsg, INSPECTOR_CHANNEL, PAYLOAD_CHARS, WATCH_LASTS_MS};
use crosstalk_protocol::{preview, ReasonCode, Sender, SenderId};
use gloo::events::EventListener;
use wasm_bindgen::JsCast;
use web_sys::{BroadcastChannel, MessageEvent};

use crate::clock::now_ms;
use crate::js_wire::{read_js, write_js};

/// One message as the worker handled it.
pub struct Seen<'a> {
    pub dir: &'static str,
    pub kind: &'a str,
    pub seq: Option<u64>,
    pub from: Option<&'a str>,
    pub code: Option<ReasonCode>,
    pub payload: &'a str,
}

/// A `watch` is a few dozen bytes; anything longer on the channel is another context's records,
/// which a publishing tab or worker does not read at all.
const WATCH_MAX_CHARS: u32 = 256;

/// Whether `data` is short enough to be a `watch` (checked before it is read): the worker's tap
/// and every page publishing to the inspector ask it.
pub fn watch_sized(data: &wasm_bindgen::JsValue) -> bool {
    data.dyn_ref::<js_sys::JsString>().is_some_and(|t| t.length() <= WATCH_MAX_CHARS)
}

pub struct WorkerTap {
    inner: Rc<Inner>,
    _listener: EventListener,
}

struct Inner {
    channel: BroadcastChannel,
    watched_until: Cell<f64>,
    sender: RefCell<Sender>,
    route: &'static str,
    next_id: Cell<u64>,
}

impl WorkerTap {
    /// Opens the side channel as `id` (the worker's own sender id: its lane), for `route`.
    pub fn open(route: &'static str, id: SenderId) -> Option<WorkerTap> {
        let channel = BroadcastChannel::new(INSPECTOR_CHANNEL).ok()?;
        let inner = Rc::new(Inner {
            channel: channel.clone(),
            watched_until: Cell::new(0.0),
            sender: RefCell::new(Sender::new(id)),
            route,
            next_id: Cell::new(0),
        });
        let hearing = Rc::downgrade(&inner);
        let listener = EventListener::new(&channel, "message", move |event| {
            let Some(data) = event.dyn_ref::<MessageEvent>().map(MessageEvent::data) else { return };
            if !watch_sized(&data)
                || !matches!(read_js::<WorkerTapMsg>(&data).map(|e| e.body), Ok(WorkerTapMsg::Watch))
            {
                return;
            }
            let Some(inner) = hearing.upgrade() else { return };
            let was_watched = inner.watched();
            inner.watched_until.set(now_ms() + WATCH_LASTS_MS);
            // A worker keeps no backlog: it says it is there, so its lane shows from the start.
            if !was_watched {
                let payload = "an inspector watches: this worker's messages show here from now on";
                inner.say(Seen { dir: "system", kind: "watch", seq: None, from: None, code: None, payload });
            }
        });
        Some(WorkerTap { inner, _listener: listener })
    }

    /// Whether an inspector watches now (check before building what [`WorkerTap::seen`] takes).
    pub fn watched(&self) -> bool {
        self.inner.watched()
    }

    /// Says one message, if an inspector watches.
    pub fn seen(&self, seen: Seen<'_>) {
        if self.inner.watched() {
            self.inner.say(seen);
        }
    }
}

impl Inner {
    fn watched(&self) -> bool {
        now_ms() <= self.watched_until.get()
    }

    fn say(&self, seen: Seen<'_>) {
        let id = self.next_id.replace(self.next_id.get() + 1);
        let at_ms = now_ms();
        let body = WorkerTapMsg::Seen {
            route: self.route.to_owned(),
            id,
            at_ms,
            dir: seen.dir.to_owned(),
            code: seen.code,
            kind: seen.kind.to_owned(),
            seq: seen.seq,
            from: seen.from.map(str::to_owned),
            payload: preview(seen.payload, PAYLOAD_CHARS),
        };
        let envelope = self.sender.borrow_mut().envelope(body, at_ms);
        if let Ok(wire) = write_js(&envelope) {
            let _ = self.channel.post_message(&wire);
        }
    }
}
