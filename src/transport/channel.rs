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
    // lesson: broadcast
    /// Opens the channel `name` (before any core is made, so a browser without the API is told
    /// before anything starts).
    pub fn new(name: &str) -> Result<ChannelLink, String> {
        BroadcastChannel::new(name).map(ChannelLink).map_err(|e| js_error_text(&e))
    }

    /// Listens for `core`, reading only the messages `wanted` lets through (a cheap look at the
    /// raw data first, for a listener that cares about few of a busy channel's): each that
    /// decodes goes to `on_envelope`, which decides what it means (delivered, answered, declined).
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
        // lesson end
        // One the browser could not deserialise is refused with its code.
        core.listen::<MessageEvent>(&self.0, "messageerror", move |core, _| {
            let error = DecodeError::NotText { got: "a message that could not be deserialised".into() };
            core.reject(String::new(), error, via);
        });
    }

    /// Listens for `core`: every message, as [`ChannelLink::listen_for`] does.
    pub fn listen<B: ParsedBody + 'static, X: 'static>(
        &self,
        core: &Rc<Core<B, X>>,
        via: Via,
        on_envelope: impl Fn(&Core<B, X>, Envelope<B>) + 'static,
    ) {
        self.listen_for(core, via, |_| true, on_envelope);
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
