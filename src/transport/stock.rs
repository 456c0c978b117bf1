//! The Stock sync route's bus: the ticker's messages over whichever transport the tabs use. Each
//! transport is the same shape — post one envelope's text, hear the others' — on the transport core,
//! so decoding, size checks and rejections are the same whatever carries the ticks. The shared
//! worker and the relay carry the tick's envelope inside their own (a store value, a room text),
//! through the same adapters their routes use.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use crosstalk_protocol::stock::StockMsg;
use crosstalk_protocol::{Reason, ReasonCode, Sender};
use wasm_bindgen::JsValue;
use web_sys::{MessageEvent, Storage, StorageEvent};

use super::channel::ChannelLink;
use super::core::{js_error_text, read_wire, Core, Event, LinkState, Via};
use super::shared_worker::{SharedWorkerLink, StoreEvent, SHARED_STORE_URL};
use super::websocket::{relay_url, RelayEvent, RelayLink};
use super::window_message::TargetOrigin;
use crosstalk_protocol::relay::RelayMsg;
use crosstalk_protocol::shared_store::StoreMsg;
use crosstalk_protocol::DecodeError;
use gloo::timers::callback::Timeout;
use wasm_bindgen::JsCast;

pub const VIA_STOCK: Via = "stock";
/// The channel name and the storage key the ticks travel on.
pub const STOCK_CHANNEL: &str = "crosstalk-stock";

/// What carries the ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockTransport {
    Broadcast,
    Storage,
    SharedWorker,
    WebSocket,
    /// `postMessage` on window references: the windows this page opened, and its opener.
    Window,
}

impl StockTransport {
    pub const ALL: [StockTransport; 5] = [
        StockTransport::Broadcast,
        StockTransport::Storage,
        StockTransport::SharedWorker,
        StockTransport::WebSocket,
        StockTransport::Window,
    ];

    /// The value `transport-select` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            StockTransport::Broadcast => "broadcast",
            StockTransport::Storage => "storage",
            StockTransport::SharedWorker => "shared-worker",
            StockTransport::WebSocket => "websocket",
            StockTransport::Window => "window",
        }
    }

    pub fn parse(text: &str) -> Option<StockTransport> {
        StockTransport::ALL.into_iter().find(|m| m.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            StockTransport::Broadcast => "BroadcastChannel",
            StockTransport::Storage => "localStorage + storage events",
            StockTransport::SharedWorker => "the shared worker's store (a key every tab is told of)",
            StockTransport::WebSocket => "the relay (one room, crosstalk-stock unless ?room= says)",
            StockTransport::Window => "postMessage to the windows this page opened (and its opener)",
        }
    }
}

pub type StockEvent = Event<StockMsg>;

enum Carrier {
    Channel(ChannelLink),
    Storage(Storage),
    /// The tick travels as the value of one key; every other tab is pushed the change. The slot
    /// is refilled when the shared worker goes away (a new one starts).
    Store(StoreSlot),
    /// The tick travels as a text in the relay's room; the others get it relayed.
    Relay(RelayLink),
    /// The tick is posted on each window reference this page holds, to this origin exactly.
    Windows(Family),
}

/// The windows one page can reach: those it opened, and its opener. A page in the middle passes
/// what one of them says on to the others, so every window of the family hears every tick.
#[derive(Clone)]
struct Family {
    peers: Rc<RefCell<Vec<web_sys::Window>>>,
    origin: TargetOrigin,
}

impl Family {
    /// The peers still open.
    fn live(&self) -> Vec<web_sys::Window> {
        self.peers.borrow_mut().retain(|w| !w.closed().unwrap_or(true));
        self.peers.borrow().clone()
    }

    /// Posts `text` to every peer but `except`, to this origin only.
    fn post(&self, text: &str, except: Option<&JsValue>) -> Result<(), JsValue> {
        for peer in self.live() {
            if except.is_some_and(|source| js_sys::Object::is(source, &peer)) {
                continue;
            }
            peer.post_message(&JsValue::from_str(text), self.origin.as_str())?;
        }
        Ok(())
    }

    fn knows(&self, source: &JsValue) -> bool {
        self.live().iter().any(|peer| js_sys::Object::is(source, peer))
    }
}

/// This tab on the stock bus. Dropping it stops hearing.
pub struct StockLink {
    core: Rc<Core<StockMsg>>,
    carrier: Carrier,
    transport: StockTransport,
}

impl StockLink {
    /// Opens `transport`; over the relay, the room is `room` (tabs of other browsers in the same
    /// room follow the same market).
    pub fn open(
        transport: StockTransport,
        room: &str,
        sender: Rc<RefCell<Sender>>,
        sink: impl Fn(StockEvent) + 'static,
    ) -> Result<StockLink, String> {
        let window = web_sys::window().ok_or("no window")?;
        let core = Core::new(sender, LinkState::Ready, sink);
        let carrier = match transport {
            StockTransport::Broadcast => {
                let channel = ChannelLink::new(STOCK_CHANNEL)?;
                channel.listen(&core, VIA_STOCK, |core, envelope| core.received(envelope, VIA_STOCK));
                Carrier::Channel(channel)
            }
            StockTransport::Storage => {
                let storage = window
                    .local_storage()
                    .map_err(|e| js_error_text(&e))?
                    .ok_or("this page may not use localStorage")?;
                core.listen::<StorageEvent>(&window, "storage", |core, event| {
                    if event.key().as_deref() != Some(STOCK_CHANNEL) {
                        return;
                    }
                    let Some(text) = event.new_value() else { return };
                    if let Some(envelope) = core.read(&JsValue::from_str(&text), VIA_STOCK) {
                        core.received(envelope, VIA_STOCK);
                    }
                });
                Carrier::Storage(storage)
            }
            StockTransport::SharedWorker => {
                let slot: StoreSlot = Rc::default();
                *slot.borrow_mut() = Some(store_client(Rc::downgrade(&core), Rc::downgrade(&slot)));
                Carrier::Store(slot)
            }
            StockTransport::WebSocket => {
                let url = relay_url().ok_or("this page has no address to reach the relay from")?;
                let hearing = Rc::downgrade(&core);
                let relay_sender = Core::<RelayMsg>::own_sender("stock");
                let link = RelayLink::open(&url, room, relay_sender, move |event: RelayEvent| {
                    let (Some(core), Event::Received { envelope, .. }) = (hearing.upgrade(), event) else {
                        return;
                    };
                    if let RelayMsg::Relayed { text, .. } = envelope.body {
                        core.take_text(&text.to_text());
                    }
                });
                Carrier::Relay(link)
            }
            StockTransport::Window => {
                let origin = window.location().origin().map_err(|e| js_error_text(&e))?;
                let family = Family { peers: Rc::default(), origin: TargetOrigin::exact(&origin)? };
                if let Some(opener) = window.opener().ok().filter(|o| o.is_object()) {
                    family.peers.borrow_mut().push(opener.unchecked_into());
                }
                let hearing = family.clone();
                core.listen::<MessageEvent>(&window, "message", move |core, event| {
                    // Origin and source first: a stranger's data is not even read.
                    let source = event.source().map(JsValue::from);
                    let known = source.as_ref().is_some_and(|s| hearing.knows(s));
                    if event.origin() != hearing.origin.as_str() || !known {
                        return core.reject(String::new(), DecodeError::NotRead, VIA_STOCK);
                    }
                    let Ok(text) = read_wire(&event.data()) else {
                        return drop(core.read(&event.data(), VIA_STOCK));
                    };
                    // Passed on to the rest of the family (a sibling cannot reach a sibling).
                    let _ = hearing.post(&text, source.as_ref());
                    core.take_text(&text);
                });
                Carrier::Windows(family)
            }
        };
        Ok(StockLink { core, carrier, transport })
    }

    /// Window mode: opens a follower window, which joins the family through the reference
    /// `window.open` gives. False when not in window mode or the browser blocked the popup.
    pub fn open_follower(&self) -> bool {
        if !matches!(self.carrier, Carrier::Windows(_)) {
            return false;
        }
        let opened = web_sys::window().and_then(|w| {
            w.open_with_url_and_target_and_features(
                "/stock?transport=window",
                "_blank",
                "popup,width=760,height=820",
            )
            .ok()
            .flatten()
        });
        opened.is_some_and(|window| self.adopt(window))
    }

    /// A window this page opened joins the family (window mode).
    pub fn adopt(&self, opened: web_sys::Window) -> bool {
        match &self.carrier {
            Carrier::Windows(family) => {
                family.peers.borrow_mut().push(opened);
                true
            }
            _ => false,
        }
    }

    /// Over the shared worker: drops this tab's client and connects a new one. A worker that died
    /// (it can go with a crashed tab's process) is replaced by a new instance; a live one just
    /// gets a new port.
    pub fn refresh(&self) {
        if let Carrier::Store(slot) = &self.carrier {
            let fresh = store_client(Rc::downgrade(&self.core), Rc::downgrade(slot));
            *slot.borrow_mut() = Some(fresh);
        }
    }

    /// Window references this page can post to now (window mode).
    pub fn family_size(&self) -> usize {
        match &self.carrier {
            Carrier::Windows(family) => family.live().len(),
            _ => 0,
        }
    }

    pub fn transport(&self) -> StockTransport {
        self.transport
    }

    pub fn sender_id(&self) -> crosstalk_protocol::SenderId {
        self.core.sender_id()
    }

    /// Posts `body` to every other tab on this transport.
    pub fn send(&self, body: StockMsg) -> Result<(), Reason> {
        // The ticker's messages are small and some carriers take Rust text: copied once here.
        self.core.send(body, VIA_STOCK, |wire| self.carrier.post(&wire.as_string().unwrap_or_default()))
    }

    /// Fault injection: text that is not an envelope, as a foreign script would post it.
    pub fn send_raw(&self, text: &str) -> Result<(), Reason> {
        self.core.send_raw(text, VIA_STOCK, |wire| self.carrier.post(&wire.as_string().unwrap_or_default()))
    }
}

impl Carrier {
    /// Hands one message's text to the transport, for every other tab.
    fn post(&self, text: &str) -> Result<(), JsValue> {
        match self {
            Carrier::Channel(channel) => channel.post()(&JsValue::from_str(text)),
            Carrier::Storage(storage) => storage.set_item(STOCK_CHANNEL, text),
            Carrier::Store(slot) => as_js(set_in(slot, text)),
            Carrier::Relay(link) => as_js(link.send_text(text)),
            Carrier::Windows(family) => family.post(text, None),
        }
    }
}

impl Drop for StockLink {
    fn drop(&mut self) {
        self.core.stop();
        if let Carrier::Channel(channel) = &self.carrier {
            channel.close();
        }
    }
}

type StoreSlot = Rc<RefCell<Option<SharedWorkerLink>>>;

/// A client of the shared store whose pushes of the stock key feed `core`; if the worker goes
/// away, a new client (and so a new worker) takes its place in `slot`.
fn store_client(
    core: Weak<Core<StockMsg>>,
    slot: Weak<RefCell<Option<SharedWorkerLink>>>,
) -> SharedWorkerLink {
    SharedWorkerLink::connect(SHARED_STORE_URL, move |event: StoreEvent| match event {
        Event::Received { envelope, .. } => {
            if let (StoreMsg::Changed { key, new, .. }, Some(core)) = (envelope.body, core.upgrade()) {
                if key == STOCK_CHANNEL {
                    core.take_text(&new);
                }
            }
        }
        // Told on: a tick refused while this client connected can go now.
        Event::State(LinkState::Ready) => {
            if let Some(core) = core.upgrade() {
                core.emit(Event::State(LinkState::Ready));
            }
        }
        Event::State(LinkState::Failed(_)) => {
            // Not from inside the failing client: on the next turn, replace it.
            let (core, slot) = (core.clone(), slot.clone());
            Timeout::new(0, move || {
                if let Some(slot) = slot.upgrade() {
                    let fresh = store_client(core, Rc::downgrade(&slot));
                    *slot.borrow_mut() = Some(fresh);
                }
            })
            .forget();
        }
        _ => {}
    })
}

fn set_in(slot: &StoreSlot, text: &str) -> Result<(), Reason> {
    match slot.borrow().as_ref() {
        Some(client) => client.set(STOCK_CHANNEL, text),
        None => Err(Reason::new(ReasonCode::NotReady, "the shared worker is restarting")),
    }
}

/// A nested transport's refusal, as the core's post closure reports failures.
fn as_js(result: Result<(), Reason>) -> Result<(), JsValue> {
    result.map_err(|reason| JsValue::from_str(&reason.text))
}

/// Reads a tick that arrived inside another transport's message (a store value, a relayed text).
trait TakeText {
    fn take_text(&self, text: &str);
}

impl TakeText for Core<StockMsg> {
    fn take_text(&self, text: &str) {
        if let Some(envelope) = self.read(&JsValue::from_str(text), VIA_STOCK) {
            self.received(envelope, VIA_STOCK);
        }
    }
}

/// A refusal for a transport this page could not open.
pub fn unavailable(transport: StockTransport, why: &str) -> Reason {
    Reason::new(ReasonCode::NotReady, format!("{} is not available here: {why}", transport.label()))
}
