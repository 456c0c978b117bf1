//! The Stock sync route's bus: the ticker's messages over whichever transport the tabs use. Each
//! medium is the same shape — post one envelope's text, hear the others' — on the transport core,
//! so decoding, size checks and rejections are the same whatever carries the ticks. The shared
//! worker and the relay carry the tick's envelope inside their own (a store value, a room text),
//! through the same adapters their routes use.

use std::cell::RefCell;
use std::rc::Rc;

use crosstalk_protocol::stock::StockMsg;
use crosstalk_protocol::{Reason, ReasonCode, Sender};
use wasm_bindgen::JsValue;
use web_sys::{BroadcastChannel, MessageEvent, Storage, StorageEvent};

use super::core::{js_error_text, Core, Event, LinkState, Via};
use super::shared_worker::{SharedStoreClient, StoreEvent, SHARED_STORE_URL};
use super::websocket::{relay_url, RelayEvent, RelayLink};
use crosstalk_protocol::relay::RelayMsg;
use crosstalk_protocol::shared_store::StoreMsg;

pub const VIA_STOCK: Via = "stock";
/// The channel name and the storage key the ticks travel on.
pub const STOCK_CHANNEL: &str = "crosstalk-stock";

/// What carries the ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Medium {
    Broadcast,
    Storage,
    SharedWorker,
    WebSocket,
}

impl Medium {
    pub const ALL: [Medium; 4] =
        [Medium::Broadcast, Medium::Storage, Medium::SharedWorker, Medium::WebSocket];

    /// The value `transport-select` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Medium::Broadcast => "broadcast",
            Medium::Storage => "storage",
            Medium::SharedWorker => "shared-worker",
            Medium::WebSocket => "websocket",
        }
    }

    pub fn parse(text: &str) -> Option<Medium> {
        Medium::ALL.into_iter().find(|m| m.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Medium::Broadcast => "BroadcastChannel",
            Medium::Storage => "localStorage + storage events",
            Medium::SharedWorker => "the shared worker's store (a key every tab is told of)",
            Medium::WebSocket => "the relay (room crosstalk-stock)",
        }
    }
}

pub type StockEvent = Event<StockMsg>;

enum Carrier {
    Channel(BroadcastChannel),
    Storage(Storage),
    /// The tick travels as the value of one key; every other tab is pushed the change.
    Store(SharedStoreClient),
    /// The tick travels as a text in the relay's room; the others get it relayed.
    Relay(RelayLink),
}

/// This tab on the stock bus. Dropping it stops hearing.
pub struct StockBus {
    core: Rc<Core<StockMsg>>,
    carrier: Carrier,
    medium: Medium,
}

impl StockBus {
    pub fn open(
        medium: Medium,
        sender: Rc<RefCell<Sender>>,
        sink: impl Fn(StockEvent) + 'static,
    ) -> Result<StockBus, String> {
        let window = web_sys::window().ok_or("no window")?;
        let core = Core::new(sender, LinkState::Ready, sink);
        let carrier = match medium {
            Medium::Broadcast => {
                let channel = BroadcastChannel::new(STOCK_CHANNEL).map_err(|e| js_error_text(&e))?;
                core.listen::<MessageEvent>(&channel, "message", |core, event| {
                    if let Some(envelope) = core.read(&event.data(), VIA_STOCK) {
                        core.received(envelope, VIA_STOCK);
                    }
                });
                Carrier::Channel(channel)
            }
            Medium::Storage => {
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
            Medium::SharedWorker => {
                let hearing = Rc::downgrade(&core);
                let client = SharedStoreClient::connect(SHARED_STORE_URL, move |event: StoreEvent| {
                    let (Some(core), Event::Received { envelope, .. }) = (hearing.upgrade(), event) else {
                        return;
                    };
                    if let StoreMsg::Changed { key, new, .. } = envelope.body {
                        if key == STOCK_CHANNEL {
                            core.take_text(&new);
                        }
                    }
                });
                Carrier::Store(client)
            }
            Medium::WebSocket => {
                let url = relay_url().ok_or("this page has no address to reach the relay from")?;
                let hearing = Rc::downgrade(&core);
                let relay_sender = Core::<RelayMsg>::own_sender("stock");
                let link = RelayLink::open(&url, STOCK_CHANNEL, relay_sender, move |event: RelayEvent| {
                    let (Some(core), Event::Received { envelope, .. }) = (hearing.upgrade(), event) else {
                        return;
                    };
                    if let RelayMsg::Relayed { text, .. } = envelope.body {
                        core.take_text(&text);
                    }
                });
                Carrier::Relay(link)
            }
        };
        Ok(StockBus { core, carrier, medium })
    }

    pub fn medium(&self) -> Medium {
        self.medium
    }

    pub fn sender_id(&self) -> crosstalk_protocol::SenderId {
        self.core.sender_id()
    }

    /// Posts `body` to every other tab on this medium.
    pub fn send(&self, body: StockMsg) -> Result<(), Reason> {
        match &self.carrier {
            Carrier::Channel(channel) => {
                self.core.send(body, VIA_STOCK, |text| channel.post_message(&JsValue::from_str(text)))
            }
            Carrier::Storage(storage) => {
                self.core.send(body, VIA_STOCK, |text| storage.set_item(STOCK_CHANNEL, text))
            }
            Carrier::Store(client) => {
                self.core.send(body, VIA_STOCK, |text| as_js(client.set(STOCK_CHANNEL, text)))
            }
            Carrier::Relay(link) => self.core.send(body, VIA_STOCK, |text| as_js(link.send_text(text))),
        }
    }

    /// Fault injection: text that is not an envelope, as a foreign script would post it.
    pub fn send_raw(&self, text: &str) -> Result<(), Reason> {
        match &self.carrier {
            Carrier::Channel(channel) => {
                self.core.send_raw(text, VIA_STOCK, |t| channel.post_message(&JsValue::from_str(t)))
            }
            Carrier::Storage(storage) => {
                self.core.send_raw(text, VIA_STOCK, |t| storage.set_item(STOCK_CHANNEL, t))
            }
            Carrier::Store(client) => {
                self.core.send_raw(text, VIA_STOCK, |t| as_js(client.set(STOCK_CHANNEL, t)))
            }
            Carrier::Relay(link) => self.core.send_raw(text, VIA_STOCK, |t| as_js(link.send_text(t))),
        }
    }
}

impl Drop for StockBus {
    fn drop(&mut self) {
        self.core.stop();
        if let Carrier::Channel(channel) = &self.carrier {
            channel.close();
        }
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

/// A refusal for a medium this page could not open.
pub fn unavailable(medium: Medium, why: &str) -> Reason {
    Reason::new(ReasonCode::NotReady, format!("{} is not available here: {why}", medium.label()))
}
