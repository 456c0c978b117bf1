//! The inspector's side channel (`crosstalk_protocol::inspector`), both ends.
//!
//! [`InspectorLink`] is `/inspector`'s transport: it says it watches, every second, and reports
//! each batch of records as a received envelope. [`publish_route`] is every other route's end: a
//! route's log registers once, and while an inspector watches, a timer of the page's one tap
//! sends each route's new entries — one message per route per tick however many were logged, and
//! nothing at all while nobody watches.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use crosstalk_protocol::inspector::{
    Dir, InspectorMsg, Record, INSPECTOR_CHANNEL, MAX_RECORDS, PAYLOAD_CHARS,
};
use crosstalk_protocol::inspector::{WATCH_INTERVAL_MS, WATCH_LASTS_MS};
use gloo::timers::callback::Interval;

use super::channel::ChannelLink;
use super::core::{Core, Event, LinkState, Via};
use crate::clock::now_ms;
use crate::log::{Direction, LogBook, Logged};

pub const VIA_INSPECTOR: Via = "inspector";
/// The inspector's own page, which publishes nothing (it would inspect itself).
pub const INSPECTOR_PATH: &str = "/inspector";
/// How often a watched tab sends what is new: often enough to follow, far below the message rate.
const PUBLISH_EVERY_MS: u32 = 100;
pub use crosstalk_glue::worker_tap::watch_sized;

pub type InspectorEvent = Event<InspectorMsg>;

/// `/inspector`'s end: watches, and reports the batches every other tab sends.
pub struct InspectorLink {
    core: Rc<Core<InspectorMsg>>,
    channel: ChannelLink,
}

impl InspectorLink {
    pub fn open(sink: impl Fn(InspectorEvent) + 'static) -> Result<InspectorLink, String> {
        let channel = ChannelLink::new(INSPECTOR_CHANNEL)?;
        let core = Core::new(Core::<InspectorMsg>::own_sender("inspector"), LinkState::Ready, sink);
        channel.listen(&core, VIA_INSPECTOR, |core, envelope| {
            // Another inspector's watch is its business.
            if !matches!(envelope.body, InspectorMsg::Watch { .. }) {
                core.received(envelope, VIA_INSPECTOR);
            }
        });
        let watching = channel.clone();
        core.every(WATCH_INTERVAL_MS, move |core| {
            core.send_upkeep(InspectorMsg::Watch { fresh: false }, watching.post());
        });
        let watch = InspectorLink { core, channel };
        watch.ask_everything();
        Ok(watch)
    }

    /// Asks every tab for all its log holds, not only what is new.
    pub fn ask_everything(&self) {
        self.core.send_upkeep(InspectorMsg::Watch { fresh: true }, self.channel.post());
    }
}

impl Drop for InspectorLink {
    fn drop(&mut self) {
        self.core.stop();
        self.channel.close();
    }
}

/// A route's log, as the tap reads it.
pub trait Published {
    /// Lends the log to `read`.
    fn with_log(&self, read: &mut dyn FnMut(&LogBook));
}

/// One route registered with the tap, and how far it has been sent.
struct Route {
    log: Weak<dyn Published>,
    /// The next entry id to send, and the `fresh` generation it counts from.
    next: Cell<(u64, u64)>,
}

/// The page's one publisher on the side channel.
struct Tap {
    core: Rc<Core<InspectorMsg>>,
    channel: ChannelLink,
    watched_until: Cell<f64>,
    /// Bumped by each `fresh` watch: every route starts again from its oldest entry.
    generation: Cell<u64>,
    routes: RefCell<Vec<Route>>,
    timer: RefCell<Option<Interval>>,
    me: Weak<Tap>,
}

thread_local! {
    static TAP: Option<Rc<Tap>> = Tap::open();
}

/// Registers a route's log with the page's tap: its entries are sent while an inspector watches.
pub fn publish_route(log: Weak<dyn Published>) {
    TAP.with(|tap| {
        if let Some(tap) = tap {
            let mut routes = tap.routes.borrow_mut();
            routes.retain(|r| r.log.strong_count() > 0);
            routes.push(Route { log, next: Cell::new((tap.generation.get(), 0)) });
        }
    });
}

impl Tap {
    fn open() -> Option<Rc<Tap>> {
        let channel = ChannelLink::new(INSPECTOR_CHANNEL).ok()?;
        let core = Core::new(Core::<InspectorMsg>::own_sender("tab"), LinkState::Ready, |_| {});
        let tap = Rc::new_cyclic(|me| Tap {
            core: Rc::clone(&core),
            channel: channel.clone(),
            watched_until: Cell::new(0.0),
            generation: Cell::new(0),
            routes: RefCell::default(),
            timer: RefCell::default(),
            me: me.clone(),
        });
        let hearing = Rc::downgrade(&tap);
        // Other tabs' records are many and large: only a message the size of a watch is read.
        channel.listen_for(&core, VIA_INSPECTOR, watch_sized, move |_, envelope| {
            if let (InspectorMsg::Watch { fresh }, Some(tap)) = (envelope.body, hearing.upgrade()) {
                tap.watched(fresh);
            }
        });
        Some(tap)
    }

    fn watched(&self, fresh: bool) {
        self.watched_until.set(now_ms() + WATCH_LASTS_MS);
        if fresh {
            self.generation.set(self.generation.get() + 1);
        }
        if self.timer.borrow().is_none() {
            let me = self.me.clone();
            *self.timer.borrow_mut() = Some(Interval::new(PUBLISH_EVERY_MS, move || {
                if let Some(tap) = me.upgrade() {
                    tap.tick();
                }
            }));
        }
        self.tick();
    }

    fn tick(&self) {
        if now_ms() > self.watched_until.get() {
            self.timer.borrow_mut().take();
            return;
        }
        let path = web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_default();
        if path == INSPECTOR_PATH {
            return;
        }
        let generation = self.generation.get();
        for route in self.routes.borrow().iter() {
            let Some(log) = route.log.upgrade() else { continue };
            let (counted_from, next) = route.next.get();
            let from = if counted_from == generation { next } else { 0 };
            let mut batch = Vec::new();
            log.with_log(&mut |book| {
                let new = book.entries().rev().take_while(|l| l.id >= from).take(MAX_RECORDS);
                batch = new.map(record_of).collect();
            });
            let Some(newest) = batch.first().map(|r| r.id) else {
                route.next.set((generation, from));
                continue;
            };
            batch.reverse();
            route.next.set((generation, newest + 1));
            let body = InspectorMsg::Records { route: path.clone(), records: batch };
            // A tab that cannot publish has nobody to tell but the inspector, which will not hear.
            let _ = self.core.send_quietly(body, self.channel.post());
        }
    }
}

/// A log entry as the inspector shows it.
pub fn record_of(logged: &Logged) -> Record {
    let entry = &logged.entry;
    Record {
        id: logged.id,
        at_ms: entry.at_ms,
        dir: match entry.dir {
            Direction::In => Dir::In,
            Direction::Out => Dir::Out,
            Direction::System => Dir::System,
        },
        code: entry.status.reason_code(),
        kind: entry.kind.clone(),
        seq: entry.seq,
        from: entry.from.clone(),
        payload: crosstalk_protocol::preview(&entry.payload.text(), PAYLOAD_CHARS),
    }
}
