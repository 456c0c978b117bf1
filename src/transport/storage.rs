//! The localStorage adapter: writes of the demo's keys, and the `storage` events that other tabs
//! of the origin get for them.
//!
//! The tab that writes gets no `storage` event for its own write. The usual workaround, offered
//! here as a switch: after writing, the tab dispatches a `StorageEvent` on its own window. Such a
//! synthetic event is not trusted (`isTrusted` is false), which is how it is told apart.

use std::cell::Cell;
use std::rc::Rc;

use crosstalk_protocol::order::Order;
use crosstalk_protocol::storage::{demo_key, StorageMsg, Stored, FILLER_PREFIX, NAMESPACE};
use crosstalk_protocol::{DecodeError, Payload, Reason, SenderId};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Storage, StorageEvent, StorageEventInit, Window};

use super::core::{js_error_text, post_refusal, Core, Event, LinkState};
use super::js_wire::{preview_js, read_js};

/// A change of the demo's keys, as one `storage` event tells it.
#[derive(Debug, Clone, PartialEq)]
pub enum StorageChange {
    /// A demo key changed. `same_tab` is true for this tab's own notification (the workaround).
    /// `order`: whether the new value's envelope came in its sender's order (a write another tab
    /// made and this one never heard of shows as a gap).
    Changed { key: String, old: Stored, new: Stored, url: String, same_tab: bool, order: Order },
    /// Someone called `localStorage.clear()`.
    Cleared { url: String, same_tab: bool },
}

pub type StorageNotice = Event<StorageMsg, StorageChange>;

/// This tab's view of the demo's localStorage keys. Dropping it stops listening.
pub struct StorageLink {
    core: Rc<Core<StorageMsg, StorageChange>>,
    window: Window,
    storage: Storage,
    same_tab: Rc<Cell<bool>>,
}

/// How the quota filler went.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaReport {
    /// Characters the browser accepted before it refused.
    pub accepted_chars: usize,
    /// The browser's refusal (`QuotaExceededError: …`), or `None` if it never refused.
    pub refusal: Option<Reason>,
    /// Filler keys left behind (should be none).
    pub leftovers: usize,
}

/// Each filler write, in UTF-16 characters.
const FILLER_CHUNK_CHARS: usize = 256 * 1024;
/// Give up after this many chunks (64 MiB of characters) if the browser never refuses.
const FILLER_MAX_CHUNKS: usize = 256;

/// One side of a change, read from the event with its size checked before it is copied.
fn stored(event: &StorageEvent, field: &str) -> Stored {
    let value = js_sys::Reflect::get(event, &field.into()).unwrap_or(JsValue::NULL);
    if value.is_null() || value.is_undefined() {
        return Stored::Absent;
    }
    match read_js::<StorageMsg>(&value) {
        Ok(envelope) => Stored::Valid(envelope),
        Err(error @ (DecodeError::NotText { .. } | DecodeError::TooLarge { .. })) => {
            Stored::Invalid { raw: String::new(), error }
        }
        Err(error) => Stored::Invalid { raw: preview_js(&value, 120), error },
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// A `Storage` whose `setItem` takes a value that stays a JS string (web-sys's takes a
    /// `&str`: a copy out of wasm each time).
    #[wasm_bindgen(js_name = Storage)]
    type JsStorage;
    #[wasm_bindgen(method, catch, js_class = "Storage", js_name = setItem)]
    fn set_item(this: &JsStorage, key: &str, value: &JsValue) -> Result<(), JsValue>;
}

fn set_item(storage: &web_sys::Storage, key: &str, value: &JsValue) -> Result<(), JsValue> {
    storage.unchecked_ref::<JsStorage>().set_item(key, value)
}

impl StorageLink {
    /// Opens this window's localStorage and listens for `storage` events.
    pub fn open(sink: impl Fn(StorageNotice) + 'static) -> Result<StorageLink, String> {
        Self::open_in(web_sys::window().ok_or("no window")?, sink)
    }

    /// The same for another window of the origin (a same-origin frame: a second context in a test).
    /// Fails where storage is unavailable (some private modes, or blocked by settings).
    pub fn open_in(window: Window, sink: impl Fn(StorageNotice) + 'static) -> Result<StorageLink, String> {
        let storage = match window.local_storage() {
            Ok(Some(storage)) => storage,
            Ok(None) => return Err("this browser has no localStorage".into()),
            Err(e) => return Err(format!("localStorage is blocked: {}", js_error_text(&e))),
        };
        let core = Core::checking_order(
            Core::<StorageMsg, StorageChange>::own_sender("tab"),
            LinkState::Ready,
            sink,
        );
        let ours = storage.clone();
        // `window` may be a frame's (a second context in one page): listen across realms.
        // lesson: storage
        core.listen_across::<StorageEvent>(&window, "storage", move |core, event| {
            // sessionStorage changes fire `storage` too; this demo is about localStorage.
            let is_local = event.storage_area().is_some_and(|area| {
                let (area, ours): (&JsValue, &JsValue) = (area.as_ref(), ours.as_ref());
                area == ours
            });
            if !is_local {
                return;
            }
            let same_tab = !event.is_trusted();
            let url = event.url().unwrap_or_default();
            let Some(storage_key) = event.key() else {
                return core.emit(Event::Other(StorageChange::Cleared { url, same_tab }));
            };
            let Some(key) = demo_key(&storage_key) else { return };
            // lesson end
            let new = stored(event, "newValue");
            // This tab's own writes, echoed by the workaround, are not another sender's sequence.
            let order = match &new {
                Stored::Valid(envelope) if !same_tab => core.note_order(envelope),
                _ => Order::InOrder,
            };
            let old = stored(event, "oldValue");
            core.emit(Event::Other(StorageChange::Changed {
                key: key.to_owned(),
                old,
                new,
                url,
                same_tab,
                order,
            }));
        });
        Ok(StorageLink { core, window, storage, same_tab: Rc::default() })
    }

    pub fn sender_id(&self) -> SenderId {
        self.core.sender_id()
    }

    /// Turns the same-tab workaround on or off.
    pub fn set_same_tab(&self, on: bool) {
        self.same_tab.set(on);
    }

    /// Writes `text` under the demo key `key`, as an envelope.
    // lesson: storage
    pub fn set(&self, key: &str, text: impl Into<Payload>) -> Result<(), Reason> {
        let storage_key = format!("{NAMESPACE}{key}");
        let old = self.same_tab.get().then(|| self.storage.get_item(&storage_key).ok().flatten()).flatten();
        self.core.send_quietly(StorageMsg::Value { text: text.into() }, |wire| {
            set_item(&self.storage, &storage_key, wire)?;
            self.notify_self(&storage_key, old.as_deref(), wire.as_string().as_deref());
            Ok(())
        })
    }
    // lesson end

    pub fn remove(&self, key: &str) -> Result<(), Reason> {
        self.remove_item(&format!("{NAMESPACE}{key}"))
    }

    fn remove_item(&self, storage_key: &str) -> Result<(), Reason> {
        let old = self.storage.get_item(storage_key).ok().flatten();
        self.storage.remove_item(storage_key).map_err(post_refusal)?;
        self.notify_self(storage_key, old.as_deref(), None);
        Ok(())
    }

    /// Writes raw text that is not an envelope under `key` (fault injection, and tests).
    pub fn set_raw(&self, key: &str, text: &str) -> Result<(), Reason> {
        self.storage.set_item(&format!("{NAMESPACE}{key}"), text).map_err(post_refusal)
    }

    /// Removes every demo key (one `storage` event each in the other tabs); other keys stay.
    pub fn clear_demo(&self) -> Result<usize, Reason> {
        let keys: Vec<String> = self.keys().into_iter().filter(|k| demo_key(k).is_some()).collect();
        for key in &keys {
            self.remove_item(key)?;
        }
        Ok(keys.len())
    }

    /// The demo keys and what they hold, sorted by key.
    pub fn entries(&self) -> Vec<(String, Stored)> {
        let mut entries: Vec<(String, Stored)> = self
            .keys()
            .into_iter()
            .filter_map(|k| {
                let key = demo_key(&k)?.to_owned();
                let raw = self.storage.get_item(&k).ok().flatten();
                Some((key, Stored::read(raw.as_deref())))
            })
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries
    }

    /// Fills localStorage with throwaway keys until the browser refuses, then removes them all.
    /// The demo's own keys are never touched.
    pub fn fill_quota(&self) -> QuotaReport {
        let chunk = "x".repeat(FILLER_CHUNK_CHARS);
        let (mut accepted_chars, mut refusal, mut written) = (0, None, 0);
        for i in 0..FILLER_MAX_CHUNKS {
            match self.storage.set_item(&format!("{FILLER_PREFIX}{i}"), &chunk) {
                Ok(()) => {
                    accepted_chars += FILLER_CHUNK_CHARS;
                    written = i + 1;
                }
                Err(e) => {
                    refusal = Some(post_refusal(e));
                    break;
                }
            }
        }
        for i in 0..=written {
            let _ = self.storage.remove_item(&format!("{FILLER_PREFIX}{i}"));
        }
        let leftovers = self.keys().iter().filter(|k| k.starts_with(FILLER_PREFIX)).count();
        QuotaReport { accepted_chars, refusal, leftovers }
    }

    fn keys(&self) -> Vec<String> {
        let length = self.storage.length().unwrap_or(0);
        (0..length).filter_map(|i| self.storage.key(i).ok().flatten()).collect()
    }

    /// The workaround: tell this tab about its own write with a synthetic `storage` event.
    fn notify_self(&self, key: &str, old: Option<&str>, new: Option<&str>) {
        if !self.same_tab.get() {
            return;
        }
        // lesson: storage
        let init = StorageEventInit::new();
        init.set_key(Some(key));
        init.set_old_value(old);
        init.set_new_value(new);
        init.set_url(&self.window.location().href().unwrap_or_default());
        init.set_storage_area(Some(&self.storage));
        if let Ok(event) = StorageEvent::new_with_event_init_dict("storage", &init) {
            let _ = self.window.dispatch_event(&event);
        }
        // lesson end
    }
}

impl Drop for StorageLink {
    fn drop(&mut self) {
        self.core.stop();
    }
}
