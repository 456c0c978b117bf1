//! The storage-events route's transport: localStorage writes, and the `storage` events that
//! other tabs of the origin get for them.
//!
//! The tab that writes gets no `storage` event for its own write. The usual workaround, offered
//! here as a switch: after writing, the tab dispatches a `StorageEvent` on its own window. Such a
//! synthetic event is not trusted (`isTrusted` is false), which is how it is told apart.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo::events::EventListener;
use wasm_bindgen::JsCast;
use web_sys::{DomException, Storage, StorageEvent, StorageEventInit};

use super::js_error_text;
use crate::clock::{now_ms, random};
use crate::protocol::storage::{demo_key, StorageMsg, Stored, FILLER_PREFIX, NAMESPACE};
use crate::protocol::{Sender, SenderId};

#[derive(Debug, Clone, PartialEq)]
pub enum StorageNotice {
    /// A demo key changed. `same_tab` is true for this tab's own notification (the workaround).
    Changed { key: String, old: Stored, new: Stored, url: String, same_tab: bool },
    /// Someone called `localStorage.clear()`.
    Cleared { url: String, same_tab: bool },
}

/// This tab's view of the demo's localStorage keys.
pub struct StorageDemo {
    inner: Rc<Inner>,
}

struct Inner {
    storage: Storage,
    sender: RefCell<Sender>,
    same_tab: Cell<bool>,
    on_notice: Box<dyn Fn(StorageNotice)>,
    listener: RefCell<Option<EventListener>>,
}

/// How the quota filler went.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaReport {
    /// Characters the browser accepted before it refused.
    pub accepted_chars: usize,
    /// The browser's refusal (`QuotaExceededError: …`), or `None` if it never refused.
    pub refusal: Option<String>,
    /// Filler keys left behind (should be none).
    pub leftovers: usize,
}

/// Each filler write, in UTF-16 characters.
const FILLER_CHUNK_CHARS: usize = 256 * 1024;
/// Give up after this many chunks (64 MiB of characters) if the browser never refuses.
const FILLER_MAX_CHUNKS: usize = 256;

impl StorageDemo {
    /// Opens localStorage and listens for `storage` events. Fails where storage is unavailable
    /// (some private modes, or blocked by settings).
    pub fn open(on_notice: impl Fn(StorageNotice) + 'static) -> Result<StorageDemo, String> {
        let window = web_sys::window().ok_or("no window")?;
        let storage = match window.local_storage() {
            Ok(Some(storage)) => storage,
            Ok(None) => return Err("this browser has no localStorage".into()),
            Err(e) => return Err(format!("localStorage is blocked: {}", js_error_text(&e))),
        };
        let inner = Rc::new(Inner {
            storage,
            sender: RefCell::new(Sender::new(SenderId::new("tab", random))),
            same_tab: Cell::new(false),
            on_notice: Box::new(on_notice),
            listener: RefCell::new(None),
        });
        let weak = Rc::downgrade(&inner);
        let listener = EventListener::new(&window, "storage", move |event| {
            if let (Some(inner), Some(event)) = (weak.upgrade(), event.dyn_ref::<StorageEvent>()) {
                inner.on_storage(event);
            }
        });
        *inner.listener.borrow_mut() = Some(listener);
        Ok(StorageDemo { inner })
    }

    pub fn sender_id(&self) -> SenderId {
        self.inner.sender.borrow().id.clone()
    }

    /// Turns the same-tab workaround on or off.
    pub fn set_same_tab(&self, on: bool) {
        self.inner.same_tab.set(on);
    }

    /// Writes `text` under the demo key `key`; a full storage is an error, not a crash.
    pub fn set(&self, key: &str, text: &str) -> Result<(), String> {
        let envelope =
            self.inner.sender.borrow_mut().envelope(StorageMsg::Value { text: text.to_owned() }, now_ms());
        let wire = envelope.encode().map_err(|e| e.to_string())?;
        self.inner.write(&format!("{NAMESPACE}{key}"), Some(&wire))
    }

    pub fn remove(&self, key: &str) -> Result<(), String> {
        self.inner.write(&format!("{NAMESPACE}{key}"), None)
    }

    /// Removes every demo key (one `storage` event each in the other tabs); other keys stay.
    pub fn clear_demo(&self) -> Result<usize, String> {
        let keys: Vec<String> = self.inner.keys().into_iter().filter(|k| demo_key(k).is_some()).collect();
        for key in &keys {
            self.inner.write(key, None)?;
        }
        Ok(keys.len())
    }

    /// The demo keys and what they hold, sorted by key.
    pub fn entries(&self) -> Vec<(String, Stored)> {
        let mut entries: Vec<(String, Stored)> = self
            .inner
            .keys()
            .into_iter()
            .filter_map(|k| {
                let key = demo_key(&k)?.to_owned();
                let raw = self.inner.storage.get_item(&k).ok().flatten();
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
        let mut accepted_chars = 0;
        let mut refusal = None;
        let mut written = 0;
        for i in 0..FILLER_MAX_CHUNKS {
            match self.inner.storage.set_item(&format!("{FILLER_PREFIX}{i}"), &chunk) {
                Ok(()) => {
                    accepted_chars += FILLER_CHUNK_CHARS;
                    written = i + 1;
                }
                Err(e) => {
                    refusal = Some(match e.dyn_ref::<DomException>() {
                        Some(dom) => format!("{}: {}", dom.name(), dom.message()),
                        None => js_error_text(&e),
                    });
                    break;
                }
            }
        }
        for i in 0..=written {
            let _ = self.inner.storage.remove_item(&format!("{FILLER_PREFIX}{i}"));
        }
        let leftovers = self.inner.keys().iter().filter(|k| k.starts_with(FILLER_PREFIX)).count();
        QuotaReport { accepted_chars, refusal, leftovers }
    }
}

impl Inner {
    fn keys(&self) -> Vec<String> {
        let length = self.storage.length().unwrap_or(0);
        (0..length).filter_map(|i| self.storage.key(i).ok().flatten()).collect()
    }

    fn write(&self, storage_key: &str, value: Option<&str>) -> Result<(), String> {
        let old = self.storage.get_item(storage_key).ok().flatten();
        let result = match value {
            Some(value) => self.storage.set_item(storage_key, value),
            None => self.storage.remove_item(storage_key),
        };
        result.map_err(|e| match e.dyn_ref::<DomException>() {
            Some(dom) => format!("{}: {}", dom.name(), dom.message()),
            None => js_error_text(&e),
        })?;
        if self.same_tab.get() {
            self.notify_self(storage_key, old.as_deref(), value);
        }
        Ok(())
    }

    /// The workaround: tell this tab about its own write with a synthetic `storage` event.
    fn notify_self(&self, key: &str, old: Option<&str>, new: Option<&str>) {
        let Some(window) = web_sys::window() else { return };
        let init = StorageEventInit::new();
        init.set_key(Some(key));
        init.set_old_value(old);
        init.set_new_value(new);
        init.set_url(&window.location().href().unwrap_or_default());
        init.set_storage_area(Some(&self.storage));
        if let Ok(event) = StorageEvent::new_with_event_init_dict("storage", &init) {
            let _ = window.dispatch_event(&event);
        }
    }

    fn on_storage(&self, event: &StorageEvent) {
        // sessionStorage changes fire `storage` too; this demo is about localStorage.
        let is_local = event.storage_area().is_some_and(|area| {
            let area: &wasm_bindgen::JsValue = area.as_ref();
            let ours: &wasm_bindgen::JsValue = self.storage.as_ref();
            area == ours
        });
        if !is_local {
            return;
        }
        let same_tab = !event.is_trusted();
        let url = event.url().unwrap_or_default();
        let Some(storage_key) = event.key() else {
            return (self.on_notice)(StorageNotice::Cleared { url, same_tab });
        };
        let Some(key) = demo_key(&storage_key) else { return };
        (self.on_notice)(StorageNotice::Changed {
            key: key.to_owned(),
            old: Stored::read(event.old_value().as_deref()),
            new: Stored::read(event.new_value().as_deref()),
            url,
            same_tab,
        });
    }
}
