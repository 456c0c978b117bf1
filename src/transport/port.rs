//! The `MessagePort` adapter: one end of a `MessageChannel`, a dedicated worker's transferred
//! port, or a SharedWorker's port. Every other port-based transport is built on it.

use std::rc::Rc;

use crosstalk_protocol::parsed::ParsedBody;
use crosstalk_protocol::{DecodeError, Envelope, Reason};
use wasm_bindgen::JsValue;
use web_sys::{MessageEvent, MessagePort};

use super::core::{Core, Event, LinkState, Via};

pub const VIA_PORT: Via = "port";

/// Posting wire text on `port`, in the shape [`Core::send`] takes.
pub fn post_on(port: &MessagePort) -> impl Fn(&JsValue) -> Result<(), JsValue> + '_ {
    move |text| port.post_message(text)
}

/// One port. Dropping it closes the port (and stops the core, when the link owns it).
pub struct PortLink<B: ParsedBody + 'static, X: 'static = ()> {
    core: Rc<Core<B, X>>,
    port: MessagePort,
    owns_core: bool,
}

impl<B: ParsedBody + 'static, X: 'static> PortLink<B, X> {
    /// A port of its own that reports every envelope as received (and checks their order).
    pub fn open(port: MessagePort, sink: impl Fn(Event<B, X>) + 'static) -> Self {
        let core = Core::checking_order(Core::<B, X>::own_sender("tab"), LinkState::Ready, sink);
        let mut link = Self::attach(core, port, |core, _, envelope| core.received(envelope, VIA_PORT));
        link.owns_core = true;
        link
    }

    /// Listens on `port` for a transport that shares `core`; each envelope that decodes goes
    /// to `on_envelope`, which decides what is reported (pings, say, are answered, not logged).
    pub fn attach(
        core: Rc<Core<B, X>>,
        port: MessagePort,
        on_envelope: impl Fn(&Core<B, X>, &MessagePort, Envelope<B>) + 'static,
    ) -> Self {
        let replies = port.clone();
        core.listen::<MessageEvent>(&port, "message", move |core, event| {
            if let Some(envelope) = core.read(&event.data(), VIA_PORT) {
                on_envelope(core, &replies, envelope);
            }
        });
        core.listen::<MessageEvent>(&port, "messageerror", |core, _| {
            let error = DecodeError::NotText { got: "a message that could not be deserialised".into() };
            core.reject(String::new(), error, VIA_PORT);
        });
        // addEventListener (unlike assigning onmessage) leaves a MessagePort's queue closed.
        port.start();
        PortLink { core, port, owns_core: false }
    }

    pub fn core(&self) -> &Rc<Core<B, X>> {
        &self.core
    }

    pub fn send(&self, body: B) -> Result<(), Reason>
    where
        B: Clone,
    {
        self.core.send(body, VIA_PORT, post_on(&self.port))
    }

    pub fn send_quietly(&self, body: B) -> Result<(), Reason> {
        self.core.send_quietly(body, post_on(&self.port))
    }

    pub fn send_raw(&self, text: &str) -> Result<(), Reason> {
        self.core.send_raw(text, VIA_PORT, post_on(&self.port))
    }
}

impl<B: ParsedBody + 'static, X: 'static> Drop for PortLink<B, X> {
    fn drop(&mut self) {
        if self.owns_core {
            self.core.stop();
        }
        self.port.close();
    }
}
