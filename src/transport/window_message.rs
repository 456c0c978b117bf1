//! The window adapter: `window.postMessage` between a page and the frames it embeds (or its
//! parent).
//!
//! Posting always names the exact target origin as a [`TargetOrigin`], which cannot hold `"*"`:
//! a wildcard would hand the message to whatever document the target window holds now. Receiving
//! reports the event's `origin`, whether its `source` is the window expected, and the data as
//! size-checked wire text; judging (origin, then source, then decoding) is the receiver's rule,
//! in `crosstalk_protocol::payment`.

use std::cell::OnceCell;
use std::rc::Rc;

use js_sys::JsString;

use crosstalk_protocol::parsed::ParsedBody;
use crosstalk_protocol::payment::Incoming;
use crosstalk_protocol::{DecodeError, Reason, Sender, SenderId};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Window};

use super::core::{read_wire, Core, Event, LinkState, Via};
use super::shallow_post;

pub const VIA_WINDOW: Via = "window";

/// The exact origin a message may be delivered to: `scheme://host[:port]`, nothing else (and, once
/// posted to, the same as a JS string).
#[derive(Debug, Clone)]
pub struct TargetOrigin(String, OnceCell<JsString>);

impl PartialEq for TargetOrigin {
    fn eq(&self, other: &TargetOrigin) -> bool {
        self.0 == other.0
    }
}

impl Eq for TargetOrigin {}

impl TargetOrigin {
    /// Accepts an `http`/`https` origin with a host and no path, query or trailing slash: a host
    /// name or address, then perhaps a port. Nothing else can pass, so `postMessage` cannot
    /// throw on it (posts are made later, see [`super::shallow_post`]).
    pub fn exact(origin: &str) -> Result<TargetOrigin, String> {
        let rest = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
        match rest {
            Some(host) if is_host_and_port(host) => Ok(TargetOrigin(origin.to_owned(), OnceCell::new())),
            _ => Err(format!("\"{origin}\" is not an exact origin (scheme://host:port)")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The origin as a JS string, made once: what every post hands the browser.
    pub fn as_js(&self) -> &JsString {
        self.1.get_or_init(|| JsString::from(self.0.as_str()))
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn is_host_and_port(text: &str) -> bool {
    let (host_ok, port) = if let Some(v6) = text.strip_prefix('[') {
        let Some((address, rest)) = v6.split_once(']') else { return false };
        let port = match rest {
            "" => None,
            _ => match rest.strip_prefix(':') {
                Some(port) => Some(port),
                None => return false,
            },
        };
        (!address.is_empty() && address.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.'), port)
    } else {
        let (name, port) = match text.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (text, None),
        };
        (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'), port)
    };
    host_ok && port.is_none_or(|p| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

#[wasm_bindgen]
extern "C" {
    /// A message event, as far as its origin goes.
    #[wasm_bindgen(js_name = MessageEvent)]
    type OriginOf;
    /// `event.origin` as a JS string (web-sys's copies it into wasm on every message).
    #[wasm_bindgen(method, getter, js_name = origin)]
    fn origin_js(this: &OriginOf) -> JsString;
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
        let expected_origin = JsString::from(expect.origin.as_str());
        // lesson: payment
        core.listen::<MessageEvent>(&window, "message", move |core, event| {
            let from_expected = match (event.source(), (expect.source)()) {
                (Some(source), Some(expected)) => js_sys::Object::is(&source, &expected),
                _ => false,
            };
            // Compared where it is; copied into wasm only when it is not the one expected.
            let origin_js = event.unchecked_ref::<OriginOf>().origin_js();
            let same_origin = origin_js == expected_origin;
            let origin = if same_origin { expect.origin.clone() } else { String::from(&origin_js) };
            let expected = from_expected && same_origin;
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
        self.core.send(body, VIA_WINDOW, |text| shallow_post::post(target, text, to.as_js()))
    }
    // lesson end

    /// Posts wire text as it is (a replay, a malformed result, a forgery in the lab).
    pub fn send_raw(&self, target: &Window, text: &str, to: &TargetOrigin) -> Result<(), Reason> {
        self.core.send_raw(text, VIA_WINDOW, |text| shallow_post::post(target, text, to.as_js()))
    }
}

impl<B: ParsedBody + 'static> Drop for WindowLink<B> {
    fn drop(&mut self) {
        self.core.stop();
    }
}

/// This page's own window (the Origin lab's self-post targets it).
pub fn this_window() -> Option<Window> {
    web_sys::window()
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
        assert!(TargetOrigin::exact("http://[::1]:8080").is_ok());
        assert!(TargetOrigin::exact("http://localhost:8080").is_ok());
        let unparseable =
            ["http://[", "http://a:b", "http://a b", "http://a:", "http://[::1]x", "http://é.example"];
        for bad in ["*", "/", "", "http://", "http://a/", "http://a/path", "ftp://a", "http://*", "null"]
            .into_iter()
            .chain(unparseable)
        {
            assert!(TargetOrigin::exact(bad).is_err(), "{bad}");
        }
    }
}
