//! The crosstalk relay: WebSocket rooms on the app's origin (`/ws`), so tabs, browsers and
//! machines talk through the server. `GET /health` says how it is doing.
//!
//! Where it stands against the relays it learned from: like Centrifugo it caps each client's
//! outbound queue (closing a slow client with a code of its own), pings, limits frames to 64 KiB
//! and checks `Origin`; like sockudo it limits each socket's rate; unlike axum's chat example it
//! closes every client with 1001 when the server stops (axum's graceful shutdown does not).
//!
//! Past one machine, instances share rooms through Redis (`--redis URL`, `redis_bus`); without
//! it, everything stays in this process. Either way a client that comes back with the last room
//! number it saw is replayed what it missed (`history`).
//!
//! The modules, each using only those before it ([`LAYERS`], held by a test): `types` what the
//! parts say to each other and `clock` the time; `bus` how instances' messages read off the
//! broker, `health` the counters, `history` each room's recent past, `limits` every limit;
//! `rooms` this instance's state and the fan-out; `adapters` the one `Bus` trait and its
//! in-memory adapter; `redis_bus` the Redis adapter, which gets a handle to the rooms and
//! counters, not the relay. Above them, this file is the
//! relay, and `connection` one socket's task.

pub mod adapters;
pub mod bus;
mod clock;
mod connection;
pub mod health;
pub mod history;
pub mod limits;
pub mod redis_bus;
pub mod rooms;
pub mod types;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use crosstalk_protocol::relay::{close, MAX_FRAME_BYTES};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use self::adapters::{Bus, MemoryBus};
pub(crate) use self::clock::{now_ms, random_bits};
use self::health::Stats;
pub use self::limits::RelayLimits;
use self::redis_bus::{BusError, BusTiming, RedisBus};
use self::rooms::{Kick, NextStep, Rooms, RoomsHandle};
use self::types::{BusState, ConnId, Draft};

/// The largest frame the WebSocket layer reads at all; frames from 64 KiB up to this are read
/// and refused with 1009 by the relay itself, so the client hears why.
const HARD_FRAME_LIMIT: usize = 1024 * 1024;

/// The relay, shared by every connection task. Cheap to clone.
#[derive(Clone)]
pub struct Relay(Arc<Shared>);

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay").field("limits", &self.0.limits).finish_non_exhaustive()
    }
}

struct Shared {
    limits: RelayLimits,
    /// This instance's rooms and the counters (all the Redis adapter gets of the relay).
    rooms: RoomsHandle,
    /// Cancelled to close every connection of this run; replaced when a stopped relay resumes.
    run: Mutex<CancellationToken>,
    stopped: AtomicBool,
    tasks: TaskTracker,
    /// Where the rooms live: this process, or Redis when rooms span instances.
    bus: Arc<dyn Bus>,
    /// Connections per client address.
    seats: crate::http::Seats,
}

/// A name for this instance on the bus: unique enough among a handful of instances.
fn instance_name() -> String {
    format!("relay-{}-{:08x}", std::process::id(), random_bits() % 0x1_0000_0000)
}

impl Relay {
    /// The relay in one process (no broker).
    pub fn new(limits: RelayLimits) -> Relay {
        Relay::with(limits, Arc::new(MemoryBus), "local")
    }

    /// The relay sharing its rooms with other instances through Redis at `url`; it connects in
    /// the background (and keeps serving its own members until it has). Needs a tokio runtime.
    pub fn with_redis(limits: RelayLimits, url: &str, timing: BusTiming) -> Result<Relay, BusError> {
        let instance = instance_name();
        let bus = RedisBus::new(url, &instance, timing, limits.history)?;
        let relay = Relay::with(limits, Arc::new(bus.clone()), &instance);
        tokio::spawn(bus.run(relay.0.rooms.clone()));
        Ok(relay)
    }

    fn with(limits: RelayLimits, bus: Arc<dyn Bus>, instance: &str) -> Relay {
        let stats = Arc::new(Stats::default());
        Relay(Arc::new(Shared {
            limits,
            rooms: RoomsHandle::new(Rooms::on_instance(limits, Arc::clone(&stats), instance), stats),
            run: Mutex::new(CancellationToken::new()),
            stopped: AtomicBool::new(false),
            tasks: TaskTracker::new(),
            bus,
            seats: Default::default(),
        }))
    }

    pub(crate) fn stats(&self) -> &Stats {
        self.0.rooms.stats()
    }

    /// Where rooms live now: this process, Redis, or this process because Redis is away.
    pub fn bus_state(&self) -> BusState {
        self.0.bus.state()
    }

    /// A client's decoded envelope: checked by the rooms, then joined or published through the
    /// bus (within this process, or through the broker while one is up).
    async fn receive(
        &self,
        conn: ConnId,
        envelope: crosstalk_protocol::Envelope<crosstalk_protocol::relay::RelayMsg>,
    ) {
        let next = {
            let mut rooms = self.rooms();
            let next = rooms.receive(conn, envelope, now_ms());
            if !rooms.is_shared() {
                // One lock for checking and doing: nothing comes between.
                rooms.locally(conn, next, now_ms());
                return;
            }
            next
        };
        match next {
            NextStep::Nothing => {}
            NextStep::Join { room, after } => self.join(conn, &room, after).await,
            NextStep::Text(draft) => self.publish(draft).await,
        }
        self.tell_leaves().await;
    }

    async fn join(&self, conn: ConnId, room: &str, after: Option<u64>) {
        let Some(who) = self.rooms().begin_join(conn, room, now_ms()) else { return };
        self.tell_leaves().await;
        self.0.bus.join(&self.0.rooms, conn, room, &who, after).await;
    }

    async fn publish(&self, draft: Draft) {
        self.0.bus.publish(&self.0.rooms, draft).await;
    }

    /// Members that left while the broker counts them: it tells every instance. Awaited, so a
    /// connection that leaves a room and joins it again is removed before it is added.
    async fn tell_leaves(&self) {
        let leaves = self.rooms().take_leaves();
        if !leaves.is_empty() {
            self.0.bus.leave(leaves).await;
        }
    }

    fn rooms(&self) -> std::sync::MutexGuard<'_, Rooms> {
        self.0.rooms.rooms()
    }

    /// The `/ws` upgrade: the `Origin` must be one of `allowed` (else 403), the relay must be
    /// running and have room (else 503), and the client's address must have fewer than its
    /// share of connections open (else 429).
    pub fn upgrade(
        &self,
        upgrade: WebSocketUpgrade,
        headers: &HeaderMap,
        allowed: &[String],
        peer: std::net::IpAddr,
        drain: crate::http::Drain,
    ) -> Response {
        // lesson: websocket
        let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()).unwrap_or("(none)");
        if !allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)) {
            tracing::info!(origin, "relay: refused an upgrade from another origin");
            let said = format!("the relay serves the suite's own pages only, not {origin}");
            return (StatusCode::FORBIDDEN, said).into_response();
        }
        // lesson end
        if self.0.stopped.load(Ordering::SeqCst) {
            return (StatusCode::SERVICE_UNAVAILABLE, "the relay is stopped").into_response();
        }
        if !self.rooms().has_room_for_a_connection() {
            let said = format!("the relay serves at most {} connections", self.0.limits.max_connections);
            return (StatusCode::SERVICE_UNAVAILABLE, said).into_response();
        }
        let per_address = self.0.limits.max_connections_per_address;
        let Some(seat) = self.0.seats.take(peer, usize::MAX, per_address) else {
            let said =
                format!("the relay serves at most {per_address} connections from one address ({peer})");
            return (StatusCode::TOO_MANY_REQUESTS, said).into_response();
        };
        let relay = self.clone();
        upgrade.max_message_size(HARD_FRAME_LIMIT).max_frame_size(HARD_FRAME_LIMIT).on_upgrade(
            move |socket| {
                let run = relay.0.run.lock().map(|r| r.clone()).unwrap_or_default();
                relay.0.tasks.track_future(connection::serve(socket, relay.clone(), run, seat, drain))
            },
        )
    }

    /// `GET /health`.
    pub fn health(&self) -> Response {
        let (connections, rooms) = {
            let rooms = self.rooms();
            (rooms.connections(), rooms.rooms())
        };
        let mut response =
            health::health_json(connections, rooms, self.stats(), &self.bus_state()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }

    /// Closes every connection with 1001 and refuses new ones until [`Relay::resume`] (what a
    /// relay restart looks like to the pages; used by the end-to-end tests).
    pub fn stop(&self) {
        self.0.stopped.store(true, Ordering::SeqCst);
        let run = self.0.run.lock().map(|r| r.clone());
        if let Ok(run) = run {
            run.cancel();
        }
        self.rooms().kick_all(&Kick { code: close::GOING_AWAY, reason: "the relay stopped".into() });
    }

    pub fn resume(&self) {
        if let Ok(mut run) = self.0.run.lock() {
            *run = CancellationToken::new();
        }
        self.0.stopped.store(false, Ordering::SeqCst);
    }

    /// Ctrl-C: every client gets 1001, then this returns once their tasks have ended (at most
    /// `within`).
    pub async fn shut_down(&self, within: Duration) {
        self.stop();
        self.0.tasks.close();
        // Each connection tells the broker its member left as it ends: the other instances hear
        // it now, not a lease later. Only then does the bus stop.
        let _ = tokio::time::timeout(within, self.0.tasks.wait()).await;
        self.0.bus.stop();
    }

    /// Connections open now.
    pub fn connections(&self) -> usize {
        self.rooms().connections()
    }

    pub fn limits(&self) -> RelayLimits {
        self.0.limits
    }
}

/// Largest frame, re-exported for the connection task.
const MAX_FRAME: usize = MAX_FRAME_BYTES;

/// The relay's modules from the bottom up: each may use only those before it.
pub const LAYERS: &[&str] =
    &["types", "clock", "bus", "health", "history", "limits", "rooms", "adapters", "redis_bus"];

#[cfg(test)]
mod layers {
    use super::LAYERS;

    fn source(module: &str) -> &'static str {
        match module {
            "types" => include_str!("types.rs"),
            "clock" => include_str!("clock.rs"),
            "bus" => include_str!("bus.rs"),
            "health" => include_str!("health.rs"),
            "history" => include_str!("history.rs"),
            "limits" => include_str!("limits.rs"),
            "rooms" => include_str!("rooms.rs"),
            "adapters" => include_str!("adapters.rs"),
            "redis_bus" => include_str!("redis_bus.rs"),
            other => panic!("{other} is in LAYERS but not read here"),
        }
    }

    /// The sibling modules a file names in its code (`super::x`, `crate::relay::x`).
    fn uses(text: &str) -> Vec<String> {
        let code: Vec<&str> = text.lines().filter(|line| !line.trim_start().starts_with("//")).collect();
        let code = code.join("\n");
        let mut named = Vec::new();
        for prefix in ["super::", "crate::relay::"] {
            for (at, _) in code.match_indices(prefix) {
                let rest = &code[at + prefix.len()..];
                let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
                named.push(rest[..end].to_owned());
            }
        }
        named
    }

    #[test]
    fn every_module_uses_only_those_below_it() {
        for (level, module) in LAYERS.iter().enumerate() {
            for used in uses(source(module)) {
                if let Some(at) = LAYERS.iter().position(|m| *m == used.as_str()) {
                    assert!(at < level, "{module} uses {used}, which is not below it in LAYERS");
                }
            }
        }
    }
}
