//! The window adapter: `window.postMessage` between a page and the frames it embeds (or its
//! parent).
//!
//! Posting always names the exact target origin as a [`TargetOrigin`], which cannot hold `"*"`:
//! a wildcard would hand the message to whatever document the target window holds now. Receiving
//! reports the event's `origin`, whether its `source` is the window expected, and the data as
//! size-checked wire text; judging (origin, then source, then decoding) is the receiver's rule,
//! in `crosstalk_protocol::payment`.

use std::rc::Rc;

use crosstalk_protocol::parsed::ParsedBody;
use crosstalk_protocol::payment::Incoming;
use crosstalk_protocol::{DecodeError, Reason, Sender, SenderId};
use wasm_bindgen::JsValue;
use web_sys::{MessageEvent, Window};

use super::core::{read_wire, Core, Event, LinkState, Via};

pub const VIA_WINDOW: Via = "window";

/// The exact origin a message may be delivered to: `scheme://host[:port]`, nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetOrigin(String);

impl TargetOrigin {
    /// Accepts an `http`/`https` origin with a host and no path, query or trailing slash.
    pub fn exact(origin: &str) -> Result<TargetOrigin, String> {
        let rest = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
        match rest {
            Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', '*', ' ']) => {
                Ok(TargetOrigin(origin.to_owned()))
            }
            _ => Err(format!("\"{origin}\" is not an exact origin (scheme://host:port)")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a window link reports, its data as size-checked wire text (what the payment states judge).
pub type WindowEvent<B> = Event<B, Incoming>;
/// What a window link reports, its data as the browser delivered it (for a reader that parses it
/// where it is: the benchmark).
pub type RawWindowEvent<B> = Event<B, Incoming<JsValue>>;

/// Where messages are expected from. The data of anything else is not even read.
pub struct Expect {
    /// The window they should come from, looked up as each arrives (a frame's `contentWindow`
    /// changes as it is replaced).
    pub source: Box<dyn Fn() -> Option<Window>>,
    /// The origin they should come from.
    pub origin: String,
    /// Whether to read a stranger's data anyway: the Origin lab's lesson shows what a forgery
    /// said. Off, a stranger's message is judged by its origin and source alone.
    pub read_strangers: Box<dyn Fn() -> bool>,
}

/// This window's `message` events, and posting to other windows. Dropping it stops listening.
pub struct WindowLink<B: ParsedBody + 'static> {
    core: Rc<Core<B, Incoming<JsValue>>>,
}

impl<B: ParsedBody + 'static> WindowLink<B> {
    /// Listens on this window for messages from where `expect` says. Origin and source are judged
    /// first; a stranger's data is left unread (`not-read`) unless the lesson asks for it.
    pub fn listen(
        sender_prefix: &str,
        expect: Expect,
        sink: impl Fn(WindowEvent<B>) + 'static,
    ) -> Option<WindowLink<B>> {
        Self::listen_raw(sender_prefix, expect, move |event: RawWindowEvent<B>| {
            sink(event.map_other(|incoming| incoming.map_data(|data| read_wire(&data))));
        })
    }

    /// Like [`WindowLink::listen`], the data left as the browser delivered it.
    pub fn listen_raw(
        sender_prefix: &str,
        expect: Expect,
        sink: impl Fn(RawWindowEvent<B>) + 'static,
    ) -> Option<WindowLink<B>> {
        let window = web_sys::window()?;
        let sender =
            Rc::new(std::cell::RefCell::new(Sender::new(SenderId::new(sender_prefix, crate::clock::random))));
        let core = Core::new(sender, LinkState::Ready, sink);
        // lesson: payment
        core.listen::<MessageEvent>(&window, "message", move |core, event| {
            let from_expected = match (event.source(), (expect.source)()) {
                (Some(source), Some(expected)) => js_sys::Object::is(&source, &expected),
                _ => false,
            };
            let origin = event.origin();
            let expected = from_expected && origin == expect.origin;
            let data = if expected || (expect.read_strangers)() {
                Ok(event.data())
            } else {
                Err(DecodeError::NotRead)
            };
            core.emit(Event::Other(Incoming { origin, from_expected, data }));
        });
        // lesson end
        Some(WindowLink { core })
    }

    /// Sends envelopes as text or as cloned objects from now on (the benchmark's switch).
    pub fn set_wire(&self, wire: super::js_wire::Wire) {
        self.core.set_wire(wire);
    }

    /// Posts `body` to `target`, delivered only if its document is of origin `to`.
    // lesson: payment
    pub fn send(&self, target: &Window, body: B, to: &TargetOrigin) -> Result<(), Reason>
    where
        B: Clone,
    {
        self.core.send(body, VIA_WINDOW, |text| target.post_message(text, to.as_str()))
    }
    // lesson end

    /// Posts wire text as it is (a replay, a malformed result, a forgery in the lab).
    pub fn send_raw(&self, target: &Window, text: &str, to: &TargetOrigin) -> Result<(), Reason> {
        self.core.send_raw(text, VIA_WINDOW, |text| target.post_message(text, to.as_str()))
    }
}

impl<B: ParsedBody + 'static> Drop for WindowLink<B> {
    fn drop(&mut self) {
        self.core.stop();
    }
}

/// This window's parent, if it is framed (`window.parent` is the window itself otherwise).
pub fn parent() -> Option<Window> {
    let window = web_sys::window()?;
    let parent = window.parent().ok().flatten()?;
    (!js_sys::Object::is(&parent, &window)).then_some(parent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_origins_can_be_targets() {
        assert_eq!(TargetOrigin::exact("http://127.0.0.1:8081").unwrap().as_str(), "http://127.0.0.1:8081");
        assert!(TargetOrigin::exact("https://pay.example").is_ok());
        for bad in ["*", "/", "", "http://", "http://a/", "http://a/path", "ftp://a", "http://*", "null"] {
            assert!(TargetOrigin::exact(bad).is_err(), "{bad}");
        }
    }
}
