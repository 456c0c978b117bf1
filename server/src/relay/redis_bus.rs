//! Rooms shared by several relay instances through Redis, the way Centrifugo and sockudo scale:
//! an existing broker, no protocol of our own between instances.
//!
//! - **One sequence per room**: a Lua script increments the room's counter, appends the text to
//!   the room's stream (id `<number>-0`, the last 1,000, expiring 5 minutes after the last
//!   write) and publishes it on `crosstalk:bus`, all in one step, so the broker's publish order
//!   is the rooms' order and every instance delivers in it.
//! - **Every instance delivers from the subscription** — its own members' texts too, so `accepted`
//!   and `relayed` come in the room's order everywhere; a number that skips is fetched from the
//!   stream first.
//! - **Members across instances**: a sorted set per room, each member leased for a few seconds
//!   and renewed by its instance's heartbeat; an instance that dies stops renewing and its
//!   members drop out of the count within a lease.
//! - **Broker down**: every instance goes on with its own members (`degraded`), numbering on from
//!   the highest number it knows; it reconnects with backoff and, once back, raises the room's
//!   counter past what it numbered alone, catches up from the streams and shares again.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, Script};
use tokio_util::sync::CancellationToken;

use super::adapters::{Bus, MemoryBus, Pending};
use super::bus::{read_event, read_said, BusEvent};
use super::clock::{now_ms, random_bits};
use super::history::Since;
use super::rooms::{Delivered, Leave, RoomsHandle};
pub use super::types::BusState;
use super::types::{ConnId, Draft, Headcount, Origin};

/// Why a step on the broker failed (the bus then counts Redis as gone until it links again).
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("--redis {url}: {source}")]
    Url { url: String, source: redis::RedisError },
    #[error("Redis is not connected")]
    Down,
    #[error("{what}: {source}")]
    Command { what: &'static str, source: redis::RedisError },
    #[error("{what}: no answer within {within:?}")]
    Silent { what: &'static str, within: Duration },
    #[error("encoding for Redis: {0}")]
    Encode(#[from] serde_json::Error),
}

/// The channel every instance publishes on and subscribes to.
const CHANNEL: &str = "crosstalk:bus";

fn seq_key(room: &str) -> String {
    format!("crosstalk:seq:{room}")
}
fn stream_key(room: &str) -> String {
    format!("crosstalk:history:{room}")
}
fn members_key(room: &str) -> String {
    format!("crosstalk:members:{room}")
}
/// One member in a room's set: unique per instance and connection; the sender id last.
fn member(instance: &str, conn: ConnId, who: &str) -> String {
    format!("{instance}/{conn}/{who}")
}

/// How often an instance renews its members, how long a lease lasts, and how long a command may
/// take before the broker counts as gone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BusTiming {
    pub beat: Duration,
    pub lease: Duration,
    pub command_within: Duration,
}

impl Default for BusTiming {
    fn default() -> Self {
        BusTiming {
            beat: Duration::from_secs(2),
            lease: Duration::from_secs(6),
            command_within: Duration::from_secs(1),
        }
    }
}

// lesson: websocket
// INCR the room's counter, append to its stream, publish: one step, so publish order = numbers.
const PUBLISH: &str = r#"
local seq = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
local t = redis.call('TIME')
local at = t[1] * 1000 + math.floor(t[2] / 1000)
local said = '{"room_seq":' .. seq .. ',"at":' .. at .. ',' .. string.sub(ARGV[2], 2)
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[3], seq .. '-0', 'm', said)
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('PUBLISH', ARGV[1], 't' .. said)
return seq
"#;
// lesson end

// The members scripts begin alike: Redis's clock (one clock for every instance's leases), and
// the room's expired leases dropped.
macro_rules! leases_now {
    () => {
        "
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
"
    };
}

// A member joins (ZADD) or leaves (ZREM); everyone hears the count.
const HEADCOUNT: &str = concat!(
    leases_now!(),
    r#"
if ARGV[5] == 'join' then
  redis.call('ZADD', KEYS[1], now + ARGV[3], ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3] * 2)
else
  redis.call('ZREM', KEYS[1], ARGV[2])
end
local n = redis.call('ZCARD', KEYS[1])
redis.call('PUBLISH', ARGV[1], 'm{"members":' .. n .. ',' .. string.sub(ARGV[4], 2))
return n
"#
);

// An instance renews its members' leases in one room and reads the count.
const BEAT: &str = concat!(
    leases_now!(),
    r#"
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], now + ARGV[1], ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], ARGV[1] * 2)
return redis.call('ZCARD', KEYS[1])
"#
);

// The room's last number and its texts from ARGV[1] on, read together.
const SINCE: &str = r#"
return {redis.call('GET', KEYS[1]) or '0', redis.call('XRANGE', KEYS[2], ARGV[1], '+')}
"#;

// The counter raised to at least ARGV[1] (numbers given while the broker was away).
const RAISE: &str = r#"
local now = tonumber(redis.call('GET', KEYS[1]) or '0')
if now < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return tonumber(ARGV[1])
end
return now
"#;

/// A room's counter lives a day past its last text; its stream, five minutes (the history).
const SEQ_TTL_MS: u64 = 24 * 60 * 60 * 1000;

struct Scripts {
    publish: Script,
    headcount: Script,
    beat: Script,
    since: Script,
    raise: Script,
}

/// This instance's link to Redis. Cheap to clone.
#[derive(Clone)]
pub struct RedisBus(Arc<Inner>);

struct Inner {
    client: Client,
    instance: String,
    timing: BusTiming,
    scripts: Scripts,
    /// The command connection while the broker is up.
    conn: Mutex<Option<MultiplexedConnection>>,
    state: Mutex<BusState>,
    /// Cancelled when the relay shuts down; also cancels the current link when a command fails.
    stop: CancellationToken,
    broken: Mutex<CancellationToken>,
    history_messages: usize,
    history_ms: u64,
}

impl RedisBus {
    /// A bus on `url` (`redis://host:port`), not yet connected; [`RedisBus::run`] connects.
    pub fn new(
        url: &str,
        instance: &str,
        timing: BusTiming,
        history: super::history::HistoryLimits,
    ) -> Result<RedisBus, BusError> {
        let client = Client::open(url).map_err(|source| BusError::Url { url: url.to_owned(), source })?;
        Ok(RedisBus(Arc::new(Inner {
            client,
            instance: instance.to_owned(),
            timing,
            scripts: Scripts {
                publish: Script::new(PUBLISH),
                headcount: Script::new(HEADCOUNT),
                beat: Script::new(BEAT),
                since: Script::new(SINCE),
                raise: Script::new(RAISE),
            },
            conn: Mutex::new(None),
            state: Mutex::new(BusState::Degraded("connecting to Redis".into())),
            stop: CancellationToken::new(),
            broken: Mutex::new(CancellationToken::new()),
            history_messages: history.messages,
            history_ms: history.max_age_ms as u64,
        })))
    }

    pub fn instance(&self) -> &str {
        &self.0.instance
    }

    /// The command connection, while the broker is up.
    fn up(&self) -> Option<MultiplexedConnection> {
        self.0.conn.lock().ok().and_then(|c| c.clone())
    }

    pub fn is_up(&self) -> bool {
        self.up().is_some()
    }

    /// A command failed: the broker counts as gone until the link is made again.
    pub fn failed(&self, why: &BusError) {
        if let Ok(mut conn) = self.0.conn.lock() {
            conn.take();
        }
        if let Ok(broken) = self.0.broken.lock() {
            broken.cancel();
        }
        tracing::warn!(%why, "relay bus: a Redis command failed");
    }

    async fn within<T>(
        &self,
        what: &'static str,
        call: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, BusError> {
        let within = self.0.timing.command_within;
        match tokio::time::timeout(within, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(source)) => Err(BusError::Command { what, source }),
            Err(_) => Err(BusError::Silent { what, within }),
        }
    }

    /// Numbers and publishes a text; it reaches members (this instance's too) through the
    /// subscription.
    async fn number_and_publish(&self, draft: &Draft) -> Result<u64, BusError> {
        let mut conn = self.up().ok_or(BusError::Down)?;
        let tail = serde_json::to_string(draft)?;
        let mut call = self.0.scripts.publish.key(seq_key(&draft.room));
        call.key(stream_key(&draft.room))
            .arg(CHANNEL)
            .arg(tail)
            .arg(self.0.history_messages)
            .arg(self.0.history_ms)
            .arg(SEQ_TTL_MS);
        self.within("publishing a text", call.invoke_async(&mut conn)).await
    }

    /// Adds (`joining`) or removes a member; every instance hears the new count. The count.
    async fn headcount(
        &self,
        room: &str,
        conn_id: ConnId,
        who: &crosstalk_protocol::SenderId,
        joining: bool,
    ) -> Result<u32, BusError> {
        let mut conn = self.up().ok_or(BusError::Down)?;
        let origin = Origin { instance: self.0.instance.clone(), conn: conn_id };
        let (joined, left) = if joining { (Some(who.clone()), None) } else { (None, Some(who.clone())) };
        let count = Headcount { room: room.to_owned(), members: 0, joined, left, origin };
        // The script puts the count first; this is the rest of the object.
        let mut tail = serde_json::to_value(&count)?;
        if let Some(map) = tail.as_object_mut() {
            map.remove("members");
        }
        let mut call = self.0.scripts.headcount.key(members_key(room));
        call.arg(CHANNEL)
            .arg(member(&self.0.instance, conn_id, &who.0))
            .arg(self.0.timing.lease.as_millis() as u64)
            .arg(tail.to_string())
            .arg(if joining { "join" } else { "leave" });
        self.within("counting members", call.invoke_async(&mut conn)).await
    }

    /// What came after `after` in `room`, from its stream.
    async fn since(&self, room: &str, after: u64) -> Result<Since, BusError> {
        let mut conn = self.up().ok_or(BusError::Down)?;
        let mut call = self.0.scripts.since.key(seq_key(room));
        call.key(stream_key(room)).arg(after.saturating_add(1));
        type Stored = Vec<(String, Vec<(String, Vec<u8>)>)>;
        let (head, stored): (u64, Stored) =
            self.within("reading a room's history", call.invoke_async(&mut conn)).await?;
        let mut kept = Vec::new();
        for (id, fields) in stored {
            for (_, value) in fields {
                match read_said(&value) {
                    Ok(said) => kept.push(said),
                    Err(why) => tracing::warn!(id, %why, "relay bus: refused a history entry"),
                }
            }
        }
        let oldest = now_ms() - self.0.history_ms as f64;
        Ok(Since::of(kept, head, after, oldest))
    }

    /// Connects, subscribes and serves the subscription until the relay shuts down, reconnecting
    /// with backoff whenever the broker goes away.
    pub async fn run(self, relay: RoomsHandle) {
        let mut attempt = 0u32;
        loop {
            let broken = CancellationToken::new();
            if let Ok(mut slot) = self.0.broken.lock() {
                *slot = broken.clone();
            }
            let why = self.link(&relay, &broken, &mut attempt).await;
            if let Ok(mut conn) = self.0.conn.lock() {
                conn.take();
            }
            relay.rooms().set_shared(false, now_ms());
            if self.0.stop.is_cancelled() {
                return;
            }
            tracing::warn!(
                why,
                attempt,
                "relay bus: Redis is unreachable; serving this instance's members alone"
            );
            if let Ok(mut state) = self.0.state.lock() {
                *state = BusState::Degraded(why);
            }
            let delay = crosstalk_protocol::relay::backoff_ms(attempt, jitter());
            attempt = attempt.saturating_add(1);
            tokio::select! {
                _ = self.0.stop.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_millis(u64::from(delay))) => {}
            }
        }
    }

    /// One link to the broker, from connecting to its loss: why it ended.
    async fn link(&self, relay: &RoomsHandle, broken: &CancellationToken, attempt: &mut u32) -> String {
        match self.linked(relay, broken, attempt).await {
            Ok(ended) => ended.to_owned(),
            Err(why) => why.to_string(),
        }
    }

    /// The link's life: `Ok` with why it ended of itself, or the step that failed.
    async fn linked(
        &self,
        relay: &RoomsHandle,
        broken: &CancellationToken,
        attempt: &mut u32,
    ) -> Result<&'static str, BusError> {
        let timing = self.0.timing;
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timing.command_within))
            .set_response_timeout(Some(timing.command_within));
        let conn = self
            .within("connecting", self.0.client.get_multiplexed_async_connection_with_config(&config))
            .await?;
        let mut pubsub = self.within("subscribing", self.0.client.get_async_pubsub()).await?;
        self.within("subscribing", pubsub.subscribe(CHANNEL)).await?;
        // Numbers given alone while away go under the room's counter; then share again.
        let local = relay.rooms().local_rooms();
        for (room, _, head) in local {
            self.raise(&conn, &room, head).await?;
        }
        if let Ok(mut slot) = self.0.conn.lock() {
            *slot = Some(conn.clone());
        }
        self.beat(relay).await?;
        relay.rooms().set_shared(true, now_ms());
        let local = relay.rooms().local_rooms();
        // Rooms that had texts here catch up on what others said while this link was down.
        for (room, _, head) in local.into_iter().filter(|(_, _, head)| *head > 0) {
            self.catch_up(relay, &room, head).await?;
        }
        if let Ok(mut state) = self.0.state.lock() {
            *state = BusState::Redis;
        }
        tracing::info!(instance = self.0.instance, "relay bus: sharing rooms through Redis");
        *attempt = 0;
        let mut beat = tokio::time::interval(timing.beat);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut messages = pubsub.on_message();
        loop {
            tokio::select! {
                _ = self.0.stop.cancelled() => return Ok("the relay is shutting down"),
                _ = broken.cancelled() => return Ok("a command to Redis failed"),
                message = messages.next() => {
                    let Some(message) = message else { return Ok("the subscription to Redis ended") };
                    self.deliver_from_bus(relay, message.get_payload_bytes()).await?;
                }
                _ = beat.tick() => self.beat(relay).await?,
            }
        }
    }

    /// One message off the subscription, delivered in the room's order.
    async fn deliver_from_bus(&self, relay: &RoomsHandle, payload: &[u8]) -> Result<(), BusError> {
        match read_event(payload) {
            Ok(BusEvent::Said { room, said }) => {
                let now = now_ms();
                let delivered = relay.rooms().deliver(&room, said.clone(), now);
                if let Delivered::Gap { after } = delivered {
                    self.catch_up(relay, &room, after).await?;
                    relay.rooms().deliver(&room, said, now);
                }
            }
            Ok(BusEvent::Headcount(count)) => relay.rooms().headcount(count, now_ms()),
            Err(why) => {
                relay.stats().bus_refused();
                tracing::warn!(%why, "relay bus: refused a message");
            }
        }
        Ok(())
    }

    /// Delivers what the room's stream holds after `after` (a gap, or a link made again).
    async fn catch_up(&self, relay: &RoomsHandle, room: &str, after: u64) -> Result<(), BusError> {
        let since = self.since(room, after).await?;
        let mut rooms = relay.rooms();
        let now = now_ms();
        if since.missed > 0 {
            // Past the history: those numbers are gone for everyone; go on after them.
            rooms.raise_head(room, after + since.missed);
        }
        for said in since.items {
            rooms.deliver(room, said, now);
        }
        Ok(())
    }

    async fn raise(&self, conn: &MultiplexedConnection, room: &str, head: u64) -> Result<u64, BusError> {
        let mut conn = conn.clone();
        let mut call = self.0.scripts.raise.key(seq_key(room));
        call.arg(head).arg(SEQ_TTL_MS);
        self.within("raising a room's counter", call.invoke_async(&mut conn)).await
    }

    /// Renews this instance's members in every room it has, and tells them the counts.
    async fn beat(&self, relay: &RoomsHandle) -> Result<(), BusError> {
        let mut conn = self.up().ok_or(BusError::Down)?;
        let lease = self.0.timing.lease.as_millis() as u64;
        let local = relay.rooms().local_rooms();
        for (room, members, _) in local {
            let mut call = self.0.scripts.beat.key(members_key(&room));
            call.arg(lease);
            for (conn_id, who) in &members {
                call.arg(member(&self.0.instance, *conn_id, &who.0));
            }
            let count: u32 = self.within("renewing members", call.invoke_async(&mut conn)).await?;
            relay.rooms().recount(&room, count, now_ms());
        }
        Ok(())
    }
}

impl Bus for RedisBus {
    fn join<'a>(
        &'a self,
        rooms: &'a RoomsHandle,
        conn: ConnId,
        room: &'a str,
        who: &'a crosstalk_protocol::SenderId,
        after: Option<u64>,
    ) -> Pending<'a> {
        Box::pin(async move {
            if self.is_up() {
                let shared = async {
                    let members = self.headcount(room, conn, who, true).await?;
                    let since = match after {
                        Some(after) => Some((after, self.since(room, after).await?)),
                        None => None,
                    };
                    Ok::<_, BusError>((members, since))
                };
                match shared.await {
                    Ok((members, since)) => {
                        return rooms.rooms().finish_join(conn, room, members, since, now_ms())
                    }
                    Err(why) => self.failed(&why),
                }
            }
            // Redis is away: this instance's members go on alone.
            MemoryBus.join(rooms, conn, room, who, after).await
        })
    }

    fn publish<'a>(&'a self, rooms: &'a RoomsHandle, draft: Draft) -> Pending<'a> {
        Box::pin(async move {
            if self.is_up() {
                // It reaches members, this instance's too, through the subscription.
                match self.number_and_publish(&draft).await {
                    Ok(_) => return,
                    Err(why) => self.failed(&why),
                }
            }
            MemoryBus.publish(rooms, draft).await
        })
    }

    fn leave(&self, leaves: Vec<Leave>) -> Pending<'_> {
        Box::pin(async move {
            if !self.is_up() {
                return;
            }
            for leave in leaves {
                if let Err(why) = self.headcount(&leave.room, leave.conn, &leave.who, false).await {
                    return self.failed(&why);
                }
            }
        })
    }

    fn state(&self) -> BusState {
        self.0.state.lock().map(|s| s.clone()).unwrap_or(BusState::Memory)
    }

    fn stop(&self) {
        self.0.stop.cancel();
    }
}

/// A number in [0, 1) for the reconnect jitter: instances that lost Redis together do not all
/// come back at the same instant.
fn jitter() -> f64 {
    (random_bits() % 1_000_000) as f64 / 1_000_000.0
}
