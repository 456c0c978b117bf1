//! The Stock sync route's bus: the ticker's messages over whichever transport the tabs use. Each
//! medium is the same shape — post one envelope's text, hear the others' — on the transport core,
//! so decoding, size checks and rejections are the same whatever carries the ticks.

use std::cell::RefCell;
use std::rc::Rc;

use crosstalk_protocol::stock::StockMsg;
use crosstalk_protocol::{Reason, ReasonCode, Sender};
use wasm_bindgen::JsValue;
use web_sys::{BroadcastChannel, MessageEvent, Storage, StorageEvent};

use super::core::{js_error_text, Core, Event, LinkState, Via};

pub const VIA_STOCK: Via = "stock";
/// The channel name and the storage key the ticks travel on.
pub const STOCK_CHANNEL: &str = "crosstalk-stock";

/// What carries the ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Medium {
    Broadcast,
    Storage,
}

impl Medium {
    pub const ALL: [Medium; 2] = [Medium::Broadcast, Medium::Storage];

    /// The value `transport-select` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Medium::Broadcast => "broadcast",
            Medium::Storage => "storage",
        }
    }

    pub fn parse(text: &str) -> Option<Medium> {
        Medium::ALL.into_iter().find(|m| m.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Medium::Broadcast => "BroadcastChannel",
            Medium::Storage => "localStorage + storage events",
        }
    }
}

pub type StockEvent = Event<StockMsg>;

enum Carrier {
    Channel(BroadcastChannel),
    Storage(Storage),
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

/// A refusal for a medium this page could not open.
pub fn unavailable(medium: Medium, why: &str) -> Reason {
    Reason::new(ReasonCode::NotReady, format!("{} is not available here: {why}", medium.label()))
}
