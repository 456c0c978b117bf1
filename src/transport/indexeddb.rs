//! The IndexedDB adapter: this tab's connection to the database every tab of the origin opens,
//! its writes and reads of the one object store, the schema upgrade (and the `versionchange` /
//! `blocked` dance it takes with the other tabs), and the BroadcastChannel on which a tab says
//! which key it committed — IndexedDB tells nobody.
//!
//! Every request is awaited through a promise its own `onsuccess` / `onerror` settle, so nothing
//! stays registered after it answers.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use crosstalk_protocol::indexeddb::{store_of, IdbMsg, Record, CHANNEL, DB_NAME, STORE};
use crosstalk_protocol::{DecodeError, Reason, ReasonCode, SenderId};
use gloo::events::EventListener;
use js_sys::Promise;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{
    IdbDatabase, IdbFactory, IdbOpenDbRequest, IdbRequest, IdbTransaction, IdbTransactionMode,
    IdbVersionChangeEvent,
};

use super::channel::ChannelLink;
use super::core::{js_error_text, post_refusal, Core, Event, LinkState, Via};
use super::js_wire::{preview_js, read_js};

pub const VIA_CHANNEL: Via = "channel";

/// What only the IndexedDB route reports.
#[derive(Debug, Clone, PartialEq)]
pub enum IdbNews {
    /// The database is open at `version`.
    Opened { version: u32 },
    /// This tab's open asks for a newer version: its `upgradeneeded` runs (the stores it adds).
    Upgrading { old: u32, new: u32, added: String },
    /// This tab's upgrade waits: other tabs keep version `old` open. `heard`: the browser's own
    /// `blocked` event; else no answer came within [`BLOCKED_AFTER_MS`] (Firefox sometimes never
    /// sends the event).
    Blocked { old: u32, new: u32, heard: bool },
    /// Another tab asks for version `new`: this tab's connection got `versionchange`.
    VersionChange { old: u32, new: u32, refused: bool },
    /// This tab closed its connection for another's upgrade, and opens again behind it.
    ClosedForUpgrade { new: u32 },
    /// A write committed (the transaction's `complete`).
    Committed { key: String },
    /// What a key holds, read from the store; `notice` is the tab whose notice asked for it.
    Read { key: String, record: Record, notice: Option<SenderId> },
    /// Something the browser refused (a request's error, a transaction aborted), with what.
    Failed { what: String, reason: Reason },
    /// The pitfall shown: a request made after an await inside a transaction.
    Inactive { reason: Reason },
}

pub type IdbEvent = Event<IdbMsg, IdbNews>;

type IdbCore = Core<IdbMsg, IdbNews>;

/// This tab's side of the database. Dropping it closes the connection and stops.
pub struct IndexedDbLink {
    core: Rc<IdbCore>,
    shared: Rc<Shared>,
}

/// What the callbacks share with the desk.
struct Shared {
    factory: IdbFactory,
    /// Where a tab says what it committed.
    channel: ChannelLink,
    db: RefCell<Option<IdbDatabase>>,
    /// The open connection's `versionchange` listener (replaced with each connection).
    on_change: RefCell<Option<EventListener>>,
    /// Whether this tab refuses to close for another's upgrade (fault injection).
    refuse: Cell<bool>,
    /// The version another tab asked for while this one refused, if it still waits.
    refused: Cell<Option<u32>>,
    /// Closed for another tab's upgrade, and not open again yet; with the timer that opens it
    /// again if the upgrading tab never says it is done.
    reopening: Cell<bool>,
    /// The version the connection last opened at.
    version: Cell<u32>,
    fallback: RefCell<Option<gloo::timers::callback::Timeout>>,
}

/// Settles when `request` answers: its result, or its error's text.
async fn answered(request: &IdbRequest) -> Result<JsValue, String> {
    let settled = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    let outcome = JsFuture::from(settled).await;
    request.set_onsuccess(None);
    request.set_onerror(None);
    match outcome {
        Ok(_) => request.result().map_err(|e| js_error_text(&e)),
        Err(_) => Err(request
            .error()
            .ok()
            .flatten()
            .map_or_else(|| "the request failed".into(), |e| format!("{}: {}", e.name(), e.message()))),
    }
}

/// Settles when `transaction` commits, or with why it did not.
async fn committed(transaction: &IdbTransaction) -> Result<(), String> {
    let settled = Promise::new(&mut |resolve, reject| {
        transaction.set_oncomplete(Some(&resolve));
        transaction.set_onerror(Some(&reject));
        transaction.set_onabort(Some(&reject));
    });
    let outcome = JsFuture::from(settled).await;
    match outcome {
        Ok(_) => Ok(()),
        Err(_) => Err(transaction.error().map_or_else(
            || "the transaction was aborted".into(),
            |e| format!("{}: {}", e.name(), e.message()),
        )),
    }
}

/// What a stored value is, size-checked before it is copied in, then decoded.
fn record(value: &JsValue) -> Record {
    if value.is_undefined() || value.is_null() {
        return Record::Absent;
    }
    match read_js::<IdbMsg>(value) {
        Err(error @ (DecodeError::NotText { .. } | DecodeError::TooLarge { .. })) => {
            Record::Invalid { raw: String::new(), error }
        }
        verdict => Record::judged(&preview_js(value, 120), verdict),
    }
}

/// The versions a `versionchange`, `upgradeneeded` or `blocked` event is about (`new` is 0 when
/// the database is being deleted).
fn versions(event: &IdbVersionChangeEvent) -> (u32, u32) {
    (event.old_version() as u32, event.new_version().unwrap_or(0.0) as u32)
}

fn failed(what: &str, why: String) -> IdbNews {
    IdbNews::Failed { what: what.to_owned(), reason: Reason::new(ReasonCode::PostFailed, why) }
}

impl IndexedDbLink {
    /// Opens the database (at whatever version it is) and listens for the other tabs' notices.
    pub fn open(sink: impl Fn(IdbEvent) + 'static) -> Result<IndexedDbLink, String> {
        let window = web_sys::window().ok_or("no window")?;
        let factory = match window.indexed_db() {
            Ok(Some(factory)) => factory,
            Ok(None) => return Err("this browser has no IndexedDB".into()),
            Err(e) => return Err(format!("IndexedDB is blocked here: {}", js_error_text(&e))),
        };
        let channel = ChannelLink::new(CHANNEL)?;
        let core = Core::checking_order(IdbCore::own_sender("tab"), LinkState::Connecting, sink);
        let shared = Rc::new(Shared {
            factory,
            channel: channel.clone(),
            db: RefCell::default(),
            on_change: RefCell::default(),
            refuse: Cell::new(false),
            refused: Cell::new(None),
            reopening: Cell::new(false),
            version: Cell::new(0),
            fallback: RefCell::default(),
        });
        let reading = Rc::downgrade(&shared);
        // lesson: indexeddb
        channel.listen(&core, VIA_CHANNEL, move |core, envelope| {
            // The notice names the key; the value is read from the store itself.
            if let IdbMsg::Wrote { key } = &envelope.body {
                let (key, from) = (key.clone(), envelope.from.clone());
                if let Some(shared) = reading.upgrade() {
                    spawn_local(get(core.weak(), shared, key, Some(from)));
                }
            }
            let upgraded = matches!(envelope.body, IdbMsg::Upgraded { .. });
            core.received(envelope, VIA_CHANNEL);
            // A tab that closed for this upgrade opens again now that it is done.
            if let (true, Some(shared)) = (upgraded, reading.upgrade()) {
                reopen(core, &shared);
            }
        });
        // lesson end
        spawn_local(connect(core.weak(), Rc::clone(&shared), None));
        Ok(IndexedDbLink { core, shared })
    }

    pub fn sender_id(&self) -> SenderId {
        self.core.sender_id()
    }

    /// Writes `text` under `key`; once the transaction commits, tells the other tabs the key.
    pub fn set(&self, key: &str, text: &str) -> Result<(), Reason> {
        let store = self.store(IdbTransactionMode::Readwrite)?;
        let (weak, channel, key) = (self.core.weak(), self.shared.channel.clone(), key.to_owned());
        // lesson: indexeddb
        self.core.send_quietly(IdbMsg::Value { text: text.into() }, |wire| {
            let (transaction, store) = store;
            store.put_with_key(wire, &JsValue::from_str(&key))?;
            // Only once committed is there anything to tell.
            tell_when_committed(weak, channel, transaction, key, "the write");
            Ok(())
        })
        // lesson end
    }

    /// Reads `key` from the store.
    pub fn get(&self, key: &str) -> Result<(), Reason> {
        self.store(IdbTransactionMode::Readonly)?;
        spawn_local(get(self.core.weak(), Rc::clone(&self.shared), key.to_owned(), None));
        Ok(())
    }

    /// Writes raw text that is not an envelope under `key`, as any script of the origin could
    /// (fault injection), and tells the others to read it.
    pub fn set_raw(&self, key: &str, text: &str) -> Result<(), Reason> {
        let (transaction, store) = self.store(IdbTransactionMode::Readwrite)?;
        store.put_with_key(&JsValue::from_str(text), &JsValue::from_str(key)).map_err(post_refusal)?;
        let (weak, channel) = (self.core.weak(), self.shared.channel.clone());
        tell_when_committed(weak, channel, transaction, key.to_owned(), "the raw write");
        Ok(())
    }

    /// Raw text that is not an envelope, onto the channel (fault injection).
    pub fn send_raw(&self, text: &str) -> Result<(), Reason> {
        self.core.send_raw(text, VIA_CHANNEL, self.shared.channel.post())
    }

    /// Asks for the next version: this tab closes its own connection first (or it would block
    /// itself), then opens at `version`; the others must close theirs.
    pub fn upgrade(&self, version: u32) -> Result<(), Reason> {
        if let Some(db) = self.shared.db.borrow_mut().take() {
            db.close();
        }
        self.shared.on_change.borrow_mut().take();
        self.core.set_state(LinkState::Connecting);
        spawn_local(connect(self.core.weak(), Rc::clone(&self.shared), Some(version)));
        Ok(())
    }

    /// Whether this tab refuses to close for another tab's upgrade. Turned off while an upgrade
    /// waits on it, it closes at once.
    pub fn set_refuse(&self, on: bool) {
        self.shared.refuse.set(on);
        if !on {
            if let Some(new) = self.shared.refused.take() {
                close_for(&self.core, &self.shared, new);
            }
        }
    }

    /// The pitfall: a transaction commits itself once nothing is pending, so a request made after
    /// awaiting something else (here a timer) finds it finished: `TransactionInactiveError`.
    pub fn stale_transaction(&self, key: &str) -> Result<(), Reason> {
        let (transaction, store) = self.store(IdbTransactionMode::Readwrite)?;
        let (weak, key) = (self.core.weak(), key.to_owned());
        spawn_local(async move {
            let timer = Promise::new(&mut |resolve, _| {
                if let Some(window) = web_sys::window() {
                    let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
                }
            });
            let _ = JsFuture::from(timer).await;
            let late = store.put_with_key(&JsValue::from_str("too late"), &JsValue::from_str(&key));
            let Some(core) = weak.upgrade() else { return };
            let news = match late {
                Err(error) => IdbNews::Inactive { reason: post_refusal(error) },
                Ok(_) => failed(
                    "the late write",
                    "the transaction was still active (not what the lesson expects)".into(),
                ),
            };
            core.emit(Event::Other(news));
            drop(transaction);
        });
        Ok(())
    }

    /// A transaction on the notes store, with the store.
    fn store(&self, mode: IdbTransactionMode) -> Result<(IdbTransaction, web_sys::IdbObjectStore), Reason> {
        let db = self.shared.db.borrow();
        let db = db.as_ref().ok_or_else(|| {
            Reason::new(ReasonCode::NotReady, "the database is not open (closed for an upgrade?)")
        })?;
        let transaction = db.transaction_with_str_and_mode(STORE, mode).map_err(post_refusal)?;
        let store = transaction.object_store(STORE).map_err(post_refusal)?;
        Ok((transaction, store))
    }
}

/// Once `transaction` commits, reports the write of `key` and tells the other tabs the key;
/// else reports why `what` failed.
fn tell_when_committed(
    core: Weak<IdbCore>,
    channel: ChannelLink,
    transaction: IdbTransaction,
    key: String,
    what: &'static str,
) {
    spawn_local(async move {
        let done = committed(&transaction).await;
        let Some(core) = core.upgrade() else { return };
        match done {
            Ok(()) => {
                core.emit(Event::Other(IdbNews::Committed { key: key.clone() }));
                core.send_upkeep(IdbMsg::Wrote { key }, channel.post());
            }
            Err(why) => core.emit(Event::Other(failed(what, why))),
        }
    });
}

/// Reads `key` and reports what it holds.
async fn get(core: Weak<IdbCore>, shared: Rc<Shared>, key: String, notice: Option<SenderId>) {
    let request = {
        let db = shared.db.borrow();
        let Some(db) = db.as_ref() else { return };
        db.transaction_with_str(STORE)
            .and_then(|t| t.object_store(STORE))
            .and_then(|s| s.get(&JsValue::from_str(&key)))
    };
    let read = match request {
        Ok(request) => answered(&request).await,
        Err(error) => Err(js_error_text(&error)),
    };
    let Some(core) = core.upgrade() else { return };
    let news = match read {
        Ok(value) => IdbNews::Read { key, record: record(&value), notice },
        Err(why) => failed("the read", why),
    };
    core.emit(Event::Other(news));
}

/// Opens the database, at `version` if given (an upgrade), and keeps the connection.
async fn connect(core: Weak<IdbCore>, shared: Rc<Shared>, version: Option<u32>) {
    let asked = version;
    let opened = match version {
        Some(version) => shared.factory.open_with_u32(DB_NAME, version),
        None => shared.factory.open(DB_NAME),
    };
    let request: IdbOpenDbRequest = match opened {
        Ok(request) => request,
        Err(error) => return fail(&core, js_error_text(&error)),
    };
    // lesson: indexeddb
    // The schema changes only here, in the one tab whose open asked for a newer version.
    let upgrading = core.clone();
    let upgrade = EventListener::new(&request, "upgradeneeded", move |event| {
        let Some(event) = event.dyn_ref::<IdbVersionChangeEvent>() else { return };
        let (old, new) = versions(event);
        let target = event.target().and_then(|t| t.dyn_into::<IdbOpenDbRequest>().ok());
        let Some(db) = target.and_then(|r| r.result().ok()).and_then(|d| d.dyn_into::<IdbDatabase>().ok())
        else {
            return;
        };
        let mut added = Vec::new();
        for version in (old + 1).max(1)..=new {
            let name = store_of(version);
            if !db.object_store_names().contains(&name) && db.create_object_store(&name).is_ok() {
                added.push(name);
            }
        }
        if let Some(core) = upgrading.upgrade() {
            core.emit(Event::Other(IdbNews::Upgrading { old, new, added: added.join(", ") }));
        }
    });
    // Other tabs still hold the old version open: this open waits until they close.
    let waiting = core.clone();
    let blocked = EventListener::new(&request, "blocked", move |event| {
        let Some(event) = event.dyn_ref::<IdbVersionChangeEvent>() else { return };
        let (old, new) = versions(event);
        if let Some(core) = waiting.upgrade() {
            core.emit(Event::Other(IdbNews::Blocked { old, new, heard: true }));
        }
    });
    // lesson end
    // Firefox does not always send `blocked` (seen here in about half the runs, with a refusing
    // background tab): an upgrade that has heard nothing after a while is said to wait all the same.
    let silent = asked.map(|new| {
        let (weak, old, request) = (core.clone(), shared.version.get(), request.clone());
        gloo::timers::callback::Timeout::new(BLOCKED_AFTER_MS, move || {
            let pending = request.ready_state() == web_sys::IdbRequestReadyState::Pending;
            if let (true, Some(core)) = (pending, weak.upgrade()) {
                core.emit(Event::Other(IdbNews::Blocked { old, new, heard: false }));
            }
        })
    });
    let result = answered(&request).await;
    drop((upgrade, blocked, silent));
    let db = match result.and_then(|db| db.dyn_into::<IdbDatabase>().map_err(|_| "not a database".to_owned()))
    {
        Ok(db) => db,
        Err(why) => return fail(&core, why),
    };
    let Some(live) = core.upgrade() else {
        db.close();
        return;
    };
    let version = db.version() as u32;
    shared.version.set(version);
    // lesson: indexeddb
    // Another tab's upgrade: close (and open again behind it), or refuse and block it.
    let (changing, holder) = (core.clone(), Rc::downgrade(&shared));
    let on_change = EventListener::new(&db, "versionchange", move |event| {
        let (Some(core), Some(shared)) = (changing.upgrade(), holder.upgrade()) else { return };
        let Some(event) = event.dyn_ref::<IdbVersionChangeEvent>() else { return };
        let (old, new) = versions(event);
        let refused = shared.refuse.get();
        core.emit(Event::Other(IdbNews::VersionChange { old, new, refused }));
        if refused {
            shared.refused.set(Some(new));
        } else {
            close_for(&core, &shared, new);
        }
    });
    // lesson end
    *shared.on_change.borrow_mut() = Some(on_change);
    *shared.db.borrow_mut() = Some(db);
    live.set_state(LinkState::Ready);
    live.emit(Event::Other(IdbNews::Opened { version }));
    if asked.is_some() {
        live.send_upkeep(IdbMsg::Upgraded { version }, shared.channel.post());
    }
}

/// Closes this tab's connection for another's upgrade to `new`. It opens again once the upgrading
/// tab says it is done (`upgraded` on the channel), or after [`REOPEN_AFTER_MS`] if it never does.
/// Not at once: an open queued behind the upgrade keeps Firefox from telling the upgrading tab
/// that another still blocks it (no `blocked` event).
fn close_for(core: &IdbCore, shared: &Rc<Shared>, new: u32) {
    if let Some(db) = shared.db.borrow_mut().take() {
        db.close();
    }
    shared.on_change.borrow_mut().take();
    core.set_state(LinkState::Connecting);
    core.emit(Event::Other(IdbNews::ClosedForUpgrade { new }));
    shared.reopening.set(true);
    let (weak, later) = (core.weak(), Rc::downgrade(shared));
    let timer = gloo::timers::callback::Timeout::new(REOPEN_AFTER_MS, move || {
        if let (Some(core), Some(shared)) = (weak.upgrade(), later.upgrade()) {
            reopen(&core, &shared);
        }
    });
    *shared.fallback.borrow_mut() = Some(timer);
}

/// How long an upgrade waits without a word from the browser before it is said to be blocked.
pub const BLOCKED_AFTER_MS: u32 = 1_500;

/// How long a tab that closed for an upgrade waits for the upgrading tab's word before it opens
/// again anyway (the upgrading tab may have closed while blocked).
pub const REOPEN_AFTER_MS: u32 = 5_000;

/// Opens again after closing for an upgrade, once.
fn reopen(core: &IdbCore, shared: &Rc<Shared>) {
    if shared.reopening.replace(false) {
        shared.fallback.borrow_mut().take();
        spawn_local(connect(core.weak(), Rc::clone(shared), None));
    }
}

/// Whether this browser opens a database here: a throwaway one, opened, closed and deleted
/// (`/capabilities`). Private modes and blocked storage refuse it.
pub async fn probe() -> Result<u32, String> {
    let factory = match web_sys::window().map(|w| w.indexed_db()) {
        Some(Ok(Some(factory))) => factory,
        Some(Err(error)) => return Err(format!("indexedDB is blocked: {}", js_error_text(&error))),
        _ => return Err("no indexedDB here".into()),
    };
    const PROBE: &str = "crosstalk-probe";
    let request = factory.open(PROBE).map_err(|e| js_error_text(&e))?;
    let db = answered(&request).await?.dyn_into::<IdbDatabase>().map_err(|_| "not a database".to_owned())?;
    let version = db.version() as u32;
    db.close();
    if let Ok(deleting) = factory.delete_database(PROBE) {
        let _ = answered(&deleting).await;
    }
    Ok(version)
}

fn fail(core: &Weak<IdbCore>, why: String) {
    if let Some(core) = core.upgrade() {
        core.fail(why);
    }
}

impl Drop for IndexedDbLink {
    fn drop(&mut self) {
        if let Some(db) = self.shared.db.borrow_mut().take() {
            db.close();
        }
        self.shared.on_change.borrow_mut().take();
        self.core.stop();
        self.shared.channel.close();
    }
}
