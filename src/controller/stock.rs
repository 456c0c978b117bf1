//! `/stock`'s controller: runs this tab's ticker, carries its messages on the bus, holds the
//! leader lock, and answers the lobby. The rules it follows are pure and tested natively
//! (`crosstalk_protocol::stock`: the ticker and the lobby; `state/stock_watch.rs`: freezing,
//! new terms, reconnecting, owed ticks); this only carries them out through the transports and
//! reports to the route's state. The page (`pages/stock.rs`) only shows that state.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use crosstalk_protocol::stock::{
    AtTheLobby, LobbyStep, Roster, Step, StockMsg, Ticker, CLAIM_AFTER_MS, TICK_MS,
};
use crosstalk_protocol::{Reason, ReasonCode, Sender, SenderId};
use gloo::events::EventListener;
use gloo::timers::callback::Interval;

use crate::clock::{now_ms, random};
use crate::page_query;
use crate::state::stock::{Action, Role, Snapshot};
use crate::state::stock_watch::{Awake, StockWatch};
use crate::state::Dispatch;
use crate::transport::leader_lock::{self, LeaderLock};
use crate::transport::page_life;
use crate::transport::stock::{unavailable, StockEvent, StockLink, StockTransport, STOCK_CHANNEL};
use crate::transport::stock_lobby::StockLobbyLink;
use crate::transport::window_message::{this_window, Expect, TargetOrigin, WindowLink};
use crate::transport::{Event, LinkState};

/// What the seed's example posts to its own window.
const SEED_TEXT: &str = "crosstalk-seed: hello, other tabs?";

/// The lock every tab of the origin asks for; its holder leads.
const LEADER_LOCK: &str = "crosstalk-stock-leader";
/// How often the fallback election looks around, and the readouts refresh.
const POLL_MS: u32 = 100;
const CLOCK_MS: u32 = 250;

/// Whether the page asks for the election by messages (`?election=messages`).
pub fn messages_forced() -> bool {
    page_query::param("election").as_deref() == Some("messages")
}

/// The transport the page asks to start on (`?transport=storage`), else BroadcastChannel.
fn first_transport() -> StockTransport {
    page_query::param("transport")
        .as_deref()
        .and_then(StockTransport::parse)
        .unwrap_or(StockTransport::Broadcast)
}

/// The election is chosen as the page starts: this reloads the tab with the election by messages
/// on or off.
pub fn reload_electing_by_messages(on: bool) {
    page_query::reload_with_search(&query_with_fallback(&page_query::search(), on));
}

/// This page's query with `election=messages` on or off (the other parameters kept).
fn query_with_fallback(query: &str, on: bool) -> String {
    let mut pairs: Vec<&str> = query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty() && *p != "election=messages")
        .collect();
    if on {
        pairs.push("election=messages");
    }
    match pairs.is_empty() {
        true => String::new(),
        false => format!("?{}", pairs.join("&")),
    }
}

/// The relay room the ticks use over WebSocket: `?room=NAME`, else `crosstalk-stock`.
fn relay_room() -> String {
    let asked = page_query::param("room").filter(|room| crosstalk_protocol::relay::room_name(room).is_ok());
    asked.unwrap_or_else(|| STOCK_CHANNEL.to_owned())
}

/// Web Locks are origin-wide: they choose among all tabs, so window mode (a family of windows
/// only) elects by messages, as does a browser without them or a page that asks.
fn locks_wanted(transport: StockTransport) -> bool {
    leader_lock::supported() && !messages_forced() && transport != StockTransport::Window
}

/// The tab's desk: runs the ticker, carries its messages on the bus, holds the lock.
pub struct StockDesk {
    ticker: RefCell<Ticker>,
    sender: Rc<RefCell<Sender>>,
    bus: RefCell<Option<StockLink>>,
    /// Where this tab asks, and answers, which transport the market is on.
    lobby: RefCell<Option<StockLobbyLink>>,
    /// The relay room the ticks use over WebSocket (`?room=`, or the one the lobby names).
    room: RefCell<String>,
    /// The tabs heard in the lobby: a leader elected by messages names its successor from it.
    roster: RefCell<Roster>,
    lock: RefCell<Option<LeaderLock>>,
    /// Listens for the seed's own post while it is on its way (see `post_like_the_seed`).
    seed: RefCell<Option<WindowLink<StockMsg>>>,
    /// Whether the leader is chosen by Web Locks now (not in window mode, not when forced off).
    locks: Cell<bool>,
    /// Freezing (QA: engine-neutral, where only Chromium's DevTools can freeze a real page), the
    /// last tick, the one reconnect of a silent store, an owed tick.
    watch: RefCell<StockWatch>,
    route: Dispatch<Action>,
    timers: RefCell<Vec<Interval>>,
    page: RefCell<Option<EventListener>>,
}

impl StockDesk {
    pub fn new(route: Dispatch<Action>) -> Rc<StockDesk> {
        let sender = Rc::new(RefCell::new(Sender::new(SenderId::new("tab", random))));
        let me = sender.borrow().id.clone();
        let locks = locks_wanted(first_transport());
        Rc::new(StockDesk {
            ticker: RefCell::new(Ticker::new(me, now_ms())),
            sender,
            bus: RefCell::default(),
            lobby: RefCell::default(),
            room: RefCell::new(relay_room()),
            roster: RefCell::default(),
            lock: RefCell::default(),
            seed: RefCell::default(),
            locks: Cell::new(locks),
            watch: RefCell::default(),
            route,
            timers: RefCell::default(),
            page: RefCell::default(),
        })
    }

    pub fn start(self: &Rc<Self>) {
        self.open(first_transport());
        self.elect_by(self.locks.get());
        self.enter_the_lobby();
        let weak = Rc::downgrade(self);
        let every = |ms: u32, what: fn(&Rc<StockDesk>)| {
            let weak = weak.clone();
            Interval::new(ms, move || {
                if let Some(desk) = weak.upgrade() {
                    what(&desk);
                }
            })
        };
        *self.timers.borrow_mut() = vec![
            every(TICK_MS, |desk| {
                if desk.frozen() {
                    return;
                }
                let steps = desk.ticker.borrow_mut().tick(now_ms());
                desk.apply(steps);
            }),
            every(POLL_MS, |desk| {
                if desk.frozen() {
                    return;
                }
                // The election by messages runs without locks, and also for a lock holder that
                // follows another browser's leader (over the relay): it takes over after silence.
                desk.refresh_a_silent_store();
                let holding = desk.lock.borrow().as_ref().is_some_and(LeaderLock::is_held);
                if !desk.locks.get() || holding {
                    let steps = desk.ticker.borrow_mut().poll(now_ms());
                    desk.apply(steps);
                }
            }),
            every(CLOCK_MS, |desk| desk.report()),
        ];
        *self.page.borrow_mut() = page_life::on_pagehide(move || {
            if let Some(desk) = weak.upgrade() {
                let steps = desk.ticker.borrow_mut().resign(desk.successor(), "this page is going away");
                desk.apply(steps);
                desk.say_in_lobby(Some(StockMsg::Gone));
            }
        });
        self.report();
    }

    /// Opens the bus on `transport` (closing the old one).
    fn open(self: &Rc<Self>, transport: StockTransport) {
        let weak: Weak<StockDesk> = Rc::downgrade(self);
        let route = self.route.clone();
        let sink = move |event: StockEvent| {
            let heard = match &event {
                Event::Received { envelope, .. } => Some((envelope.from.clone(), envelope.body.clone())),
                _ => None,
            };
            if weak.upgrade().is_some_and(|desk| desk.frozen()) {
                return;
            }
            let ready = matches!(event, Event::State(LinkState::Ready));
            route.tell(event, Action::Bus);
            if let (true, Some(desk)) = (ready, weak.upgrade()) {
                desk.pay_an_owed_tick();
            }
            if let (Some((from, body)), Some(desk)) = (heard, weak.upgrade()) {
                desk.heard(&from, body);
            }
        };
        self.bus.borrow_mut().take();
        let room = self.room.borrow().clone();
        match StockLink::open(transport, &room, Rc::clone(&self.sender), sink) {
            Ok(bus) => {
                *self.bus.borrow_mut() = Some(bus);
                self.route.dispatch(Action::Transport(transport));
                // The address says where this tab is, so a reload or a copied link lands there.
                let room = (transport == StockTransport::WebSocket).then_some(room.as_str());
                page_query::replace_params(&[("transport", Some(transport.as_str())), ("room", room)]);
            }
            Err(why) => self.route.refuse("transport", unavailable(transport, &why)),
        }
    }

    /// Joins the lobby and asks where the market is (see `transport/stock_lobby.rs`).
    fn enter_the_lobby(self: &Rc<Self>) {
        let weak = Rc::downgrade(self);
        let route = self.route.clone();
        let sink = move |event: StockEvent| {
            let Some(desk) = weak.upgrade().filter(|desk| !desk.frozen()) else { return };
            let heard = match &event {
                Event::Received { envelope, .. } => Some((envelope.from.clone(), envelope.body.clone())),
                _ => None,
            };
            route.tell(event, Action::Bus);
            if let Some((from, body)) = heard {
                match body {
                    StockMsg::Gone => desk.roster.borrow_mut().gone(&from),
                    _ => desk.roster.borrow_mut().heard(&from),
                }
                desk.heard_in_lobby(&body);
            }
        };
        match StockLobbyLink::open(Rc::clone(&self.sender), sink) {
            Ok(lobby) => *self.lobby.borrow_mut() = Some(lobby),
            Err(why) => {
                let reason = Reason::new(ReasonCode::NotReady, why);
                return self.route.refuse("lobby", reason);
            }
        }
        let arrive = self.at_the_lobby(|at| at.arrive());
        self.say_in_lobby(arrive);
    }

    /// Whom this tab names when it stops leading: with Web Locks, nobody (the lock goes to the
    /// tab that waited longest); in the election by messages, the tab heard last in the lobby.
    fn successor(&self) -> Option<SenderId> {
        if self.locks.get() {
            return None;
        }
        self.roster.borrow().successor()
    }

    /// This tab as the lobby's rules see it.
    fn at_the_lobby<T>(&self, then: impl FnOnce(AtTheLobby) -> T) -> T {
        let transport = self.bus.borrow().as_ref().map_or_else(first_transport, StockLink::transport);
        let ticker = self.ticker.borrow();
        let holding = self.lock.borrow().as_ref().is_some_and(LeaderLock::is_held);
        let room = self.room.borrow();
        then(AtTheLobby {
            on: transport.as_str(),
            room: (transport == StockTransport::WebSocket).then_some(room.as_str()),
            term: ticker.term(),
            speaks: ticker.is_leading() || holding,
            in_a_family: transport == StockTransport::Window,
        })
    }

    fn say_in_lobby(&self, said: Option<StockMsg>) {
        let Some(body) = said else { return };
        let sent = self.lobby.borrow().as_ref().map(|lobby| lobby.say(body));
        if let Some(Err(reason)) = sent {
            self.route.tell(Event::Refused(reason), Action::Bus);
        }
    }

    /// Says where the market is, if this tab speaks for it.
    fn announce(&self) {
        let announce = self.at_the_lobby(|at| at.announce());
        self.say_in_lobby(announce);
    }

    fn heard_in_lobby(self: &Rc<Self>, body: &StockMsg) {
        match self.at_the_lobby(|at| at.hear(body)) {
            Some(LobbyStep::Say(answer)) => self.say_in_lobby(Some(answer)),
            Some(LobbyStep::MoveTo { transport: named, term, room }) => {
                let Some(transport) = StockTransport::parse(&named) else { return };
                if let Some(room) = room.filter(|r| crosstalk_protocol::relay::room_name(r).is_ok()) {
                    *self.room.borrow_mut() = room;
                }
                self.route.dispatch(Action::MarketFound { transport, term });
                self.move_to(transport);
            }
            None => {}
        }
    }

    /// Chooses how this tab takes part in the election: queue for the lock, or let go of it.
    fn elect_by(self: &Rc<Self>, locks: bool) {
        self.locks.set(locks);
        self.route.dispatch(Action::Election(if locks { "web locks" } else { "messages" }));
        // Read first: a borrow in the match itself would live through the arms below.
        let asked = self.lock.borrow().is_some();
        match (locks, asked) {
            (true, false) => self.wait_for_lock(),
            (false, true) => {
                if let Some(lock) = self.lock.borrow_mut().take() {
                    lock.release();
                }
            }
            _ => {}
        }
    }

    /// Queues for the leader lock; when granted, this tab leads.
    fn wait_for_lock(self: &Rc<Self>) {
        let weak = Rc::downgrade(self);
        let requested = LeaderLock::request(LEADER_LOCK, move || {
            if let Some(desk) = weak.upgrade() {
                let steps = desk.ticker.borrow_mut().lead("this tab was granted the leader lock", now_ms());
                desk.apply(steps);
            }
        });
        match requested {
            Ok(lock) => *self.lock.borrow_mut() = Some(lock),
            Err(why) => self.route.refuse("leader lock", Reason::new(ReasonCode::NotReady, why)),
        }
    }

    fn heard(self: &Rc<Self>, from: &SenderId, body: StockMsg) {
        if let StockMsg::Switch { transport: named } = &body {
            if let Some(transport) = StockTransport::parse(named) {
                if self.bus.borrow().as_ref().map(StockLink::transport) != Some(transport) {
                    self.move_to(transport);
                }
            }
            return;
        }
        let term_before = self.ticker.borrow().term();
        let steps = self.ticker.borrow_mut().receive(from, body, now_ms());
        let term_after = self.ticker.borrow().term();
        if let Some(quiet_ms) = self.watch.borrow().new_leader(term_before, term_after, now_ms()) {
            self.route.dispatch(Action::NewLeader { term: term_after, leader: from.0.clone(), quiet_ms });
        }
        self.apply(steps);
    }

    /// Over the shared worker, silence may mean the worker died with a crashed leader's process:
    /// a follower that has heard no tick for a claim's wait reconnects once (a new worker starts
    /// if the old one is gone), and so does every new leader before its first tick.
    fn refresh_a_silent_store(&self) {
        let on_store =
            self.bus.borrow().as_ref().is_some_and(|bus| bus.transport() == StockTransport::SharedWorker);
        let (leading, age) = {
            let ticker = self.ticker.borrow();
            (ticker.is_leading(), ticker.age_ms(now_ms()))
        };
        let refresh = self.watch.borrow_mut().refresh_when_silent(on_store, leading, age, CLAIM_AFTER_MS);
        if refresh {
            if let Some(bus) = self.bus.borrow().as_ref() {
                bus.refresh();
            }
        }
    }

    /// The transport is ready again: a tick refused meanwhile goes out now.
    fn pay_an_owed_tick(self: &Rc<Self>) {
        let leading = self.ticker.borrow().is_leading();
        if self.watch.borrow_mut().pay_owed_tick(leading) {
            let steps = self.ticker.borrow_mut().tick(now_ms());
            self.apply(steps);
        }
    }

    /// Carries out what the ticker asked: sends, log lines, and the lock when the lead is lost.
    fn apply(self: &Rc<Self>, steps: Vec<Step>) {
        let mut report = false;
        let mut reconnect = false;
        for step in steps {
            match step {
                Step::Send(message) => {
                    // The ticker's own sends: a refusal (a worker still connecting) is logged with
                    // its code; it is no error of the user's, and the tick is owed until ready.
                    let tick = matches!(message, StockMsg::Tick { .. });
                    let sent = self.bus.borrow().as_ref().map(|bus| bus.send(message));
                    let not_ready = matches!(&sent, Some(Err(r)) if r.code == ReasonCode::NotReady);
                    if tick {
                        self.watch.borrow_mut().tick_sent(not_ready);
                    }
                    if let Some(Err(reason)) = sent {
                        self.route.tell(Event::Refused(reason), Action::Bus);
                    }
                }
                Step::Leading { .. } => {
                    // Over the shared worker, a new leader reconnects once: the worker may have
                    // died with a crashed leader's process. After its first tick, which goes out
                    // at once on the port it has (the worker is most often alive).
                    reconnect = true;
                    report = true;
                    self.route.dispatch(Action::Ticker(step));
                    self.announce();
                }
                Step::Moved { .. } => {
                    let term = self.ticker.borrow().term();
                    self.watch.borrow_mut().ticked(now_ms(), term);
                    report = true;
                    self.route.dispatch(Action::Ticker(step));
                }
                other => {
                    report = true;
                    self.route.dispatch(Action::Ticker(other));
                }
            }
        }
        if reconnect {
            if let Some(bus) =
                self.bus.borrow().as_ref().filter(|b| b.transport() == StockTransport::SharedWorker)
            {
                bus.refresh();
            }
        }
        if report {
            self.report();
        }
    }

    fn report(&self) {
        let now = now_ms();
        let ticker = self.ticker.borrow();
        let role = match (ticker.is_leading(), ticker.is_stale(now)) {
            (true, _) => Role::Leader,
            (false, true) => Role::Stale,
            (false, false) => Role::Follower,
        };
        self.route.dispatch(Action::Snapshot(Snapshot {
            market: ticker.market().clone(),
            term: ticker.term(),
            leader: ticker.leader().map(|l| l.0.clone()),
            role,
            age_ms: ticker.age_ms(now),
        }));
    }

    /// QA: this tab stops for `ms` — no ticks, no polls, nothing heard — keeping its lock.
    pub fn freeze_for(&self, ms: u32) {
        self.watch.borrow_mut().freeze(now_ms(), ms);
        self.route.dispatch(Action::Frozen { ms });
    }

    /// Whether this tab is frozen now; the first call after the time is up says it woke.
    fn frozen(&self) -> bool {
        let awake = self.watch.borrow_mut().awake(now_ms());
        if awake == Awake::Woke {
            self.route.dispatch(Action::Woke);
        }
        awake == Awake::Frozen
    }

    /// Hands the lead to another tab.
    pub fn hand_over(self: &Rc<Self>) {
        let steps = self.ticker.borrow_mut().resign(self.successor(), "handed over by the button");
        if steps.is_empty() {
            let reason = Reason::new(ReasonCode::NotReady, "only the leader can hand over");
            return self.route.refuse("hand over", reason);
        }
        if self.locks.get() {
            // Release and queue again at the back: the tab waiting longest leads next.
            if let Some(lock) = self.lock.borrow_mut().take() {
                lock.release();
            }
            self.wait_for_lock();
        }
        self.apply(steps);
    }

    /// Moves every tab to `transport`: announced on the old transport, then this tab follows.
    /// Window mode is the exception: only windows this page opens can be reached that way, so
    /// this tab leaves the others (handing its lead to them first) and starts a family.
    pub fn switch(self: &Rc<Self>, transport: StockTransport) {
        if transport == StockTransport::Window {
            let steps = self.ticker.borrow_mut().resign(None, "this tab left for window mode");
            self.apply(steps);
        } else {
            let announce = StockMsg::Switch { transport: transport.as_str().into() };
            let sent = self.bus.borrow().as_ref().map(|bus| bus.send(announce));
            if let Some(Err(reason)) = sent {
                self.route.refuse("switch", reason);
            }
        }
        self.move_to(transport);
    }

    /// This tab's bus moves to `transport`, and the election to what that transport allows.
    fn move_to(self: &Rc<Self>, transport: StockTransport) {
        self.open(transport);
        self.elect_by(locks_wanted(transport));
        self.announce();
    }

    /// Window mode: opens a follower window, posted to through the reference `window.open` gives.
    pub fn open_window(&self) {
        let adopted = self.bus.borrow().as_ref().is_some_and(StockLink::open_follower);
        if !adopted {
            let said = "choose the window transport first; the browser may also have blocked the popup";
            let reason = Reason::new(ReasonCode::NotReady, said);
            self.route.refuse("open a window", reason);
        }
    }

    /// The seed's multi-tab example, as it was written: `window.postMessage` on this tab's own
    /// window. It can only ever arrive here — the walkthrough's step shows it, and why.
    pub fn post_like_the_seed(self: &Rc<Self>) {
        let Ok(origins) = crate::origins::origins() else { return };
        let Ok(to_self) = TargetOrigin::exact(&origins.app_origin) else { return };
        let weak = Rc::downgrade(self);
        let expect = Expect {
            source: Box::new(this_window),
            origin: origins.app_origin.clone(),
            read_strangers: Box::new(|| false),
        };
        let route = self.route.clone();
        let listening = WindowLink::<StockMsg>::listen("seed", expect, move |event| {
            let here = matches!(&event, Event::Other(incoming)
                if incoming.from_expected && incoming.data.as_deref() == Ok(SEED_TEXT));
            if here {
                route.dispatch(Action::SeedArrivedHere);
                // Heard once: stop listening (the link is dropped with the desk's slot).
                if let Some(desk) = weak.upgrade() {
                    desk.seed.borrow_mut().take();
                }
            }
        });
        let (Some(link), Some(window)) = (listening, this_window()) else { return };
        self.route.dispatch(Action::SeedPosted);
        if let Err(reason) = link.send_raw(&window, SEED_TEXT, &to_self) {
            self.route.refuse("the seed's post", reason);
        }
        *self.seed.borrow_mut() = Some(link);
    }

    /// Fault injection: a foreign script's malformed tick on the current transport.
    pub fn send_malformed(&self) {
        let raw =
            r#"{"v":1,"seq":1,"from":"foreign-script","sent_at":0,"kind":"tick","body":{"seq":"high"}}"#;
        self.send_raw(raw, "a malformed tick");
    }

    /// Posts `raw` as it is on the current transport (the raw composer, fault injection).
    pub fn send_raw(&self, raw: &str, what: &str) {
        if let Some(Err(reason)) = self.bus.borrow().as_ref().map(|bus| bus.send_raw(raw)) {
            self.route.refuse(what, reason);
        }
    }

    pub fn stop(&self) {
        self.timers.borrow_mut().clear();
        self.page.borrow_mut().take();
        self.bus.borrow_mut().take();
        self.lobby.borrow_mut().take();
        if let Some(lock) = self.lock.borrow_mut().take() {
            lock.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fallback_switch_keeps_the_other_parameters() {
        assert_eq!(query_with_fallback("", true), "?election=messages");
        assert_eq!(query_with_fallback("?transport=storage", true), "?transport=storage&election=messages");
        assert_eq!(query_with_fallback("?election=messages&transport=window", false), "?transport=window");
        assert_eq!(query_with_fallback("?election=messages", false), "");
    }
}
