//! The walkthrough's progress, kept in localStorage (`crosstalk:learn`) so a reader can come back
//! tomorrow, and followed across tabs by the `storage` event: a step ticked in tab B shows ticked
//! in tab A at once. What is stored is outside data: `learn::Progress::from_stored` size-checks
//! and reads it, dropping what is not a step's name.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo::events::EventListener;
use wasm_bindgen::JsCast;

use crate::learn::Progress;

/// The localStorage key of the walkthrough's progress.
pub const STORE_KEY: &str = "crosstalk:learn";

type Listener = Rc<dyn Fn()>;

struct Store {
    progress: Progress,
    listeners: Vec<Weak<dyn Fn()>>,
    /// Follows other tabs' ticks and resets.
    _storage: Option<EventListener>,
}

thread_local! {
    static STORE: RefCell<Option<Store>> = const { RefCell::new(None) };
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn read() -> Progress {
    let stored = local_storage().and_then(|s| s.get_item(STORE_KEY).ok().flatten());
    stored.map(|text| Progress::from_stored(&text)).unwrap_or_default()
}

fn write(progress: &Progress) {
    if let Some(storage) = local_storage() {
        // A full or refused store only loses the memory across visits; the walkthrough goes on.
        let _ = match progress.to_stored() {
            text if text.is_empty() => storage.remove_item(STORE_KEY),
            text => storage.set_item(STORE_KEY, &text),
        };
    }
}

/// Runs `then` on the store, opening it (and listening to other tabs) the first time.
fn with<T>(then: impl FnOnce(&mut Store) -> T) -> T {
    STORE.with(|slot| {
        let mut slot = slot.borrow_mut();
        let store = slot.get_or_insert_with(|| {
            let storage = web_sys::window().map(|window| {
                EventListener::new(&window, "storage", |event| {
                    let key = event.dyn_ref::<web_sys::StorageEvent>().and_then(|e| e.key());
                    // `None` is another tab's `localStorage.clear()`.
                    if key.as_deref().is_none_or(|k| k == STORE_KEY) {
                        reload();
                    }
                })
            });
            Store { progress: read(), listeners: Vec::new(), _storage: storage }
        });
        then(store)
    })
}

fn notify() {
    let listeners: Vec<Listener> = with(|store| {
        store.listeners.retain(|l| l.strong_count() > 0);
        store.listeners.iter().filter_map(Weak::upgrade).collect()
    });
    for listener in listeners {
        listener();
    }
}

fn reload() {
    with(|store| store.progress = read());
    notify();
}

/// The progress now.
pub fn progress() -> Progress {
    with(|store| store.progress.clone())
}

/// Ticks a step done (kept, and every view told); whether it was new.
pub fn tick(chapter: &str, step: &str) -> bool {
    let changed = with(|store| {
        let fresh = read();
        // Another tab may have ticked meanwhile: start from what is stored.
        store.progress = fresh;
        let new = store.progress.tick(chapter, step);
        if new {
            write(&store.progress);
        }
        new
    });
    if changed {
        notify();
    }
    changed
}

/// Forgets every step (the walkthrough's "start over"), here and in every other tab.
pub fn reset() {
    with(|store| {
        store.progress = Progress::default();
        write(&store.progress);
    });
    notify();
}

/// Calls `changed` whenever the progress changes, until the returned handle is dropped.
pub fn subscribe(changed: impl Fn() + 'static) -> Listener {
    let listener: Listener = Rc::new(changed);
    with(|store| store.listeners.push(Rc::downgrade(&listener)));
    listener
}
