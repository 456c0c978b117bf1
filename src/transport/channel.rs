//! One `BroadcastChannel` as a transport's link, beside `PortLink`: opened by name, each message
//! read and decoded by the core (size-checked first), one the browser could not deserialise
//! refused with its code, and the posts made on it. Every adapter that listens on a channel opens
//! it here, then says what each envelope means to it.

use std::rc::Rc;

use crosstalk_protocol::parsed::ParsedBody;
use crosstalk_protocol::{DecodeError, Envelope};
use wasm_bindgen::JsValue;
use web_sys::{BroadcastChannel, MessageEvent};

use super::core::{js_error_text, Core, Via};

/// A named channel of this origin. Clones share it; [`ChannelLink::close`] leaves it.
#[derive(Clone)]
pub struct ChannelLink(BroadcastChannel);

impl ChannelLink {
    /// Opens the channel `name` (before any core is made, so a browser without the API is told
    /// before anything starts).
    pub fn new(name: &str) -> Result<ChannelLink, String> {
        BroadcastChannel::new(name).map(ChannelLink).map_err(|e| js_error_text(&e))
    }

    // lesson: broadcast
    /// Listens for `core`: each message that decodes goes to `on_envelope`, which decides what it
    /// means (delivered, answered, declined); one that does not is refused by the core.
    pub fn listen<B: ParsedBody + 'static, X: 'static>(
        &self,
        core: &Rc<Core<B, X>>,
        via: Via,
        on_envelope: impl Fn(&Core<B, X>, Envelope<B>) + 'static,
    ) {
        self.listen_for(core, via, |_| true, on_envelope);
    }
    // lesson end

    /// Like [`ChannelLink::listen`], reading only the messages `wanted` lets through (a cheap
    /// look at the raw data first, for a listener that cares about few of a busy channel's).
    pub fn listen_for<B: ParsedBody + 'static, X: 'static>(
        &self,
        core: &Rc<Core<B, X>>,
        via: Via,
        wanted: impl Fn(&JsValue) -> bool + 'static,
        on_envelope: impl Fn(&Core<B, X>, Envelope<B>) + 'static,
    ) {
        core.listen::<MessageEvent>(&self.0, "message", move |core, event| {
            let data = event.data();
            if !wanted(&data) {
                return;
            }
            if let Some(envelope) = core.read(&data, via) {
                on_envelope(core, envelope);
            }
        });
        core.listen::<MessageEvent>(&self.0, "messageerror", move |core, _| {
            let error = DecodeError::NotText { got: "a message that could not be deserialised".into() };
            core.reject(String::new(), error, via);
        });
    }

    /// Posting wire text on the channel, in the shape `Core::send` takes.
    pub fn post(&self) -> impl Fn(&JsValue) -> Result<(), JsValue> + '_ {
        move |text| self.0.post_message(text)
    }

    pub fn name(&self) -> String {
        self.0.name()
    }

    /// Leaves the channel: nothing more is heard or posted.
    pub fn close(&self) {
        self.0.close();
    }
}
