//! The Web Locks adapter: this tab's request for a named lock (exclusive or shared, `ifAvailable`,
//! `steal`), its life lock and the death notices it gives the others, the census
//! (`navigator.locks.query()`), and the BroadcastChannel on which tabs say what they did — a lock
//! carries no data, so the words go beside it.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use crosstalk_protocol::web_locks::{
    life_lock, Census, LocksMsg, Mode, CENSUS_INTERVAL_MS, CHANNEL, MAX_CENSUS_BYTES,
};
use crosstalk_protocol::{DecodeError, Payload, Reason, ReasonCode, SenderId};
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::channel::ChannelLink;
use super::core::{js_error_text, Core, Event, LinkState, Via};
use super::lock_request::{locks, Ask, LockRequest, Outcome};

pub const VIA_LOCKS: Via = "locks";
pub const VIA_CHANNEL: Via = "channel";

/// Most other tabs whose life locks this tab watches; past it, a newcomer is not watched (and
/// the log says so).
pub const MAX_WATCHED: usize = 32;

/// What only the Web Locks route reports.
#[derive(Debug, Clone, PartialEq)]
pub enum LockNews {
    /// This tab asked for `name`.
    Asked {
        name: String,
        ask: Ask,
    },
    Granted {
        name: String,
        mode: Mode,
    },
    /// `ifAvailable`, and another holds it: not granted, not queued.
    NotAvailable {
        name: String,
    },
    /// This tab let go of `name` (`held`), or stopped waiting for it.
    Released {
        name: String,
        held: bool,
    },
    /// "Hold forever" is on: the release was not made.
    ReleaseIgnored {
        name: String,
    },
    /// Another tab stole the lock this tab held.
    Stolen {
        name: String,
    },
    /// The browser refused the request (why).
    RequestFailed {
        name: String,
        why: String,
    },
    /// What `query()` answered, or why it could not be read.
    Census(Result<Census, DecodeError>),
    /// A tab said hello, and this one watches its life lock now (or cannot: too many).
    Watching {
        tab: SenderId,
        watched: bool,
    },
    /// The life lock of `tab` was granted to this one: that tab is gone.
    DeathNotice {
        tab: SenderId,
    },
}

pub type LocksEvent = Event<LocksMsg, LockNews>;

/// This tab's request, numbered so that the end of an old one never clears a newer one.
struct Mine {
    number: u64,
    name: String,
    request: LockRequest,
}

/// This tab on the route. Dropping it lets its lock go (unless it holds forever) and stops.
pub struct WebLocksLink {
    core: Rc<Core<LocksMsg, LockNews>>,
    channel: ChannelLink,
    locks: JsValue,
    mine: Rc<RefCell<Option<Mine>>>,
    numbers: Cell<u64>,
    hold_forever: Cell<bool>,
    /// Held for the tab's life: the census names this tab by it, and the others' requests for it
    /// are their death notice.
    _life: LockRequest,
    /// The other tabs' life locks this one asks for; the watches end with the desk.
    _watched: Rc<RefCell<HashMap<SenderId, LockRequest>>>,
}

impl WebLocksLink {
    pub fn open(sink: impl Fn(LocksEvent) + 'static) -> Result<WebLocksLink, String> {
        let why = || super::missing::why_missing(&crosstalk_protocol::catalog::WEB_LOCKS.needs);
        let locks = locks().ok_or_else(|| why().unwrap_or_else(|| "no navigator.locks".into()))?;
        let channel = ChannelLink::new(CHANNEL)?;
        let core =
            Core::checking_order(Core::<LocksMsg, LockNews>::own_sender("tab"), LinkState::Ready, sink);
        // The others hear of this tab only once its life lock is held: a hello that overtook the
        // request (the lock manager and the channel are separate paths) would let a listener be
        // granted the lock of a live tab, a false death notice.
        let (greeter, greeting) = (core.weak(), channel.clone());
        let life =
            LockRequest::request(&locks, &life_lock(&core.sender_id()), Ask::EXCLUSIVE, move |outcome| {
                if let (Outcome::Granted, Some(core)) = (outcome, greeter.upgrade()) {
                    core.send_upkeep(LocksMsg::Hello, greeting.post());
                }
            })?;
        let watched: Rc<RefCell<HashMap<SenderId, LockRequest>>> = Rc::default();
        let (replies, watching, their_locks) = (channel.clone(), Rc::clone(&watched), locks.clone());
        channel.listen(&core, VIA_CHANNEL, move |core, envelope| {
            let from = envelope.from.clone();
            let changed = matches!(envelope.body, LocksMsg::Changed { .. });
            let hello = matches!(envelope.body, LocksMsg::Hello);
            core.received(envelope, VIA_CHANNEL);
            if hello && !watching.borrow().contains_key(&from) {
                let watched = watch(core, &their_locks, &watching, from);
                // Only a newcomer is answered, so two tabs greet each other once.
                if watched {
                    core.send_upkeep(LocksMsg::Hello, replies.post());
                }
            }
            if changed {
                query(core, &their_locks);
            }
        });
        let polled = locks.clone();
        core.every(CENSUS_INTERVAL_MS, move |core| query(core, &polled));
        query(&core, &locks);
        Ok(WebLocksLink {
            core,
            channel,
            locks,
            mine: Rc::default(),
            numbers: Cell::new(0),
            hold_forever: Cell::new(false),
            _life: life,
            _watched: watched,
        })
    }

    pub fn sender_id(&self) -> SenderId {
        self.core.sender_id()
    }

    /// Asks for `name` as `ask` says. One request at a time: another is refused until this one
    /// is released.
    pub fn acquire(&self, name: &str, ask: Ask) -> Result<(), Reason> {
        if let Some(mine) = self.mine.borrow().as_ref() {
            let why = format!("this tab already holds or waits for \"{}\": release it first", mine.name);
            return Err(Reason::new(ReasonCode::NotReady, why));
        }
        let number = self.numbers.get() + 1;
        self.numbers.set(number);
        self.core.emit(Event::Other(LockNews::Asked { name: name.to_owned(), ask }));
        let (core, mine, named) = (Rc::downgrade(&self.core), Rc::clone(&self.mine), name.to_owned());
        let channel = self.channel.clone();
        let locks = self.locks.clone();
        let request = LockRequest::request(&self.locks, name, ask, move |outcome| {
            let Some(core) = core.upgrade() else { return };
            let name = named.clone();
            let ours = mine.borrow().as_ref().is_some_and(|m| m.number == number);
            let (news, ends) = match outcome {
                Outcome::Granted => (Some(LockNews::Granted { name, mode: ask.mode }), false),
                Outcome::NotAvailable => (Some(LockNews::NotAvailable { name }), true),
                Outcome::Stolen => (Some(LockNews::Stolen { name }), true),
                Outcome::Ended(Some(why)) => (Some(LockNews::RequestFailed { name, why }), true),
                Outcome::Ended(None) => (None, true),
            };
            if ends && ours {
                drop(mine.borrow_mut().take());
            }
            if let Some(news) = news {
                let what = news_word(&news);
                core.emit(Event::Other(news));
                tell(&core, &channel, &named, what);
                query(&core, &locks);
            }
        })
        .map_err(|why| Reason::new(ReasonCode::PostFailed, why))?;
        *self.mine.borrow_mut() = Some(Mine { number, name: name.to_owned(), request });
        tell(&self.core, &self.channel, name, if ask.steal { "stealing" } else { "requested" });
        query(&self.core, &self.locks);
        Ok(())
    }

    /// Lets this tab's lock go, or stops waiting for it. With "hold forever" on, a held lock is
    /// kept and the log says so.
    pub fn release(&self) -> Result<(), Reason> {
        let held = self.mine.borrow().as_ref().map(|m| (m.name.clone(), m.request.is_held()));
        let Some((name, held)) = held else {
            return Err(Reason::new(ReasonCode::NotReady, "this tab holds no lock and waits for none"));
        };
        if held && self.hold_forever.get() {
            self.core.emit(Event::Other(LockNews::ReleaseIgnored { name }));
            return Ok(());
        }
        if let Some(mine) = self.mine.borrow_mut().take() {
            mine.request.release();
        }
        self.core.emit(Event::Other(LockNews::Released { name: name.clone(), held }));
        tell(&self.core, &self.channel, &name, if held { "released" } else { "gave up" });
        query(&self.core, &self.locks);
        Ok(())
    }

    /// Whether a held lock is kept through every release, and when the route is left.
    pub fn set_hold_forever(&self, on: bool) {
        self.hold_forever.set(on);
    }

    /// Asks the browser for the census now.
    pub fn query(&self) {
        query(&self.core, &self.locks);
    }

    /// A note to the other tabs, over the channel beside the locks.
    // lesson: web-locks
    pub fn send_text(&self, text: impl Into<Payload>) -> Result<(), Reason> {
        self.core.send(LocksMsg::Text { text: text.into() }, VIA_CHANNEL, self.channel.post())
    }
    // lesson end

    /// Raw text that is not an envelope, onto the channel (fault injection).
    pub fn send_raw(&self, text: &str) -> Result<(), Reason> {
        self.core.send_raw(text, VIA_CHANNEL, self.channel.post())
    }

    /// Tears this page down without letting go of anything, as a crash does: it reloads, and no
    /// code of this page runs on the way out. The browser releases the locks its document held
    /// (the next waiter is granted) and the other tabs get this tab's death notice.
    pub fn crash(&self) {
        if let Some(mine) = self.mine.borrow_mut().take() {
            std::mem::forget(mine.request);
        }
        self.hold_forever.set(true);
        if let Some(window) = web_sys::window() {
            let _ = window.location().reload();
        }
    }
}

/// The word a notice says of what this tab did.
fn news_word(news: &LockNews) -> &'static str {
    match news {
        LockNews::Granted { .. } => "granted",
        LockNews::NotAvailable { .. } => "not available",
        LockNews::Stolen { .. } => "lost it to a steal",
        LockNews::RequestFailed { .. } => "was refused",
        _ => "changed",
    }
}

/// Tells the other tabs what this one did with `lock`, so they read the census again.
fn tell(core: &Core<LocksMsg, LockNews>, channel: &ChannelLink, lock: &str, what: &str) {
    let body = LocksMsg::Changed { lock: lock.to_owned(), what: what.to_owned() };
    core.send_upkeep(body, channel.post());
}

/// Asks for `from`'s life lock: granted only when that tab is gone. False when too many are watched.
fn watch(
    core: &Core<LocksMsg, LockNews>,
    locks: &JsValue,
    watched: &Rc<RefCell<HashMap<SenderId, LockRequest>>>,
    from: SenderId,
) -> bool {
    if watched.borrow().len() >= MAX_WATCHED {
        core.emit(Event::Other(LockNews::Watching { tab: from, watched: false }));
        return false;
    }
    let (weak, gone, list) = (core.weak(), from.clone(), Rc::downgrade(watched));
    // lesson: web-locks
    // Granted only once the tab that holds it for its whole life is gone: a death notice.
    let request = LockRequest::request(locks, &life_lock(&from), Ask::EXCLUSIVE, move |outcome| {
        if outcome != Outcome::Granted {
            return;
        }
        // lesson end
        if let Some(core) = weak.upgrade() {
            core.forget_sender(&gone);
            core.emit(Event::Other(LockNews::DeathNotice { tab: gone.clone() }));
        }
        // Let it go at once: nobody else needs it, and the entry leaves the census.
        if let Some(list) = list.upgrade() {
            drop(list.borrow_mut().remove(&gone));
        }
    });
    match request {
        Ok(request) => {
            watched.borrow_mut().insert(from.clone(), request);
            core.emit(Event::Other(LockNews::Watching { tab: from, watched: true }));
            true
        }
        Err(why) => {
            core.emit(Event::Refused(Reason::new(ReasonCode::PostFailed, why)));
            false
        }
    }
}

/// Reads the census: `query()`, stringified by the browser, size-checked before it is copied in,
/// then decoded. Reported when it answers.
fn query(core: &Core<LocksMsg, LockNews>, locks: &JsValue) {
    let Some(query) = Reflect::get(locks, &"query".into()).ok().and_then(|q| q.dyn_into::<Function>().ok())
    else {
        return;
    };
    let Some(pending) = query.call0(locks).ok().and_then(|p| p.dyn_into::<Promise>().ok()) else { return };
    let core = core.weak();
    wasm_bindgen_futures::spawn_local(async move {
        let read = match JsFuture::from(pending).await {
            Ok(snapshot) => read_census(&snapshot),
            Err(error) => Err(DecodeError::NotText { got: js_error_text(&error) }),
        };
        if let Some(core) = core.upgrade() {
            if !core.is_stopped() {
                core.emit(Event::Other(LockNews::Census(read)));
            }
        }
    });
}

fn read_census(snapshot: &JsValue) -> Result<Census, DecodeError> {
    let text =
        js_sys::JSON::stringify(snapshot).map_err(|e| DecodeError::NotText { got: js_error_text(&e) })?;
    // Checked on the JS string's length, before a byte of it is copied into wasm memory.
    let chars = text.length() as usize;
    if chars > MAX_CENSUS_BYTES {
        return Err(DecodeError::TooLarge { bytes: chars, limit: MAX_CENSUS_BYTES });
    }
    Census::read(&String::from(text))
}

impl Drop for WebLocksLink {
    fn drop(&mut self) {
        // "Hold forever" means it: the lock outlives the route, until the tab closes or is robbed.
        if self.hold_forever.get() {
            if let Some(mine) = self.mine.borrow_mut().take() {
                std::mem::forget(mine.request);
            }
        }
        self.core.stop();
        self.channel.close();
    }
}
