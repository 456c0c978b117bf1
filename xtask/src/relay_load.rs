//! `cargo xtask bench`'s relay load run: 100 WebSocket clients on loopback in one room; first one
//! sender at a steady rate, then all of them at once. Twice: on one relay, then split over two
//! relay instances sharing the room through a Redis of the run's own (every text crosses the
//! broker). Prints delivered messages per second and the latency from send to delivery (p50,
//! p99). Figures are printed, never asserted: a timed test would fail on a busy machine for no
//! fault of the code.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crosstalk_protocol::relay::RelayMsg;
use crosstalk_protocol::{decode, Sender, SenderId};
use crosstalk_server::local_redis::LocalRedis;
use crosstalk_server::relay::redis_bus::BusState;
use crosstalk_server::{RelayLimits, Suite, SuiteConfig};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

use crate::run::{fail, Result};

const CLIENTS: usize = 100;
const ROOM: &str = "bench";
/// The steady run: one sender, this many messages a second, for this long.
const STEADY_RATE: u32 = 1_000;
const STEADY_FOR: Duration = Duration::from_secs(3);
/// The burst: every client sends this many at once.
const BURST_EACH: usize = 100;
/// The figure to beat on a 2-core machine.
const TARGET: &str = "≥ 50,000 delivered/s with p99 < 10 ms";

/// One scenario's figures.
pub struct Figures {
    /// One relay, or two instances through Redis.
    pub setup: &'static str,
    pub name: String,
    pub delivered: u64,
    pub took: Duration,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Deliveries the run expected: a client the relay closes as too slow (4000) misses the rest.
    pub expected: u64,
    /// Clients closed as too slow during this scenario.
    pub kicked: u64,
}

impl Figures {
    pub fn per_second(&self) -> f64 {
        self.delivered as f64 / self.took.as_secs_f64().max(1e-9)
    }
}

/// A client's sending half, and its numbering.
struct Sending {
    sink: futures_util::stream::SplitSink<
        tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
        Message,
    >,
    sender: Sender,
}

impl Sending {
    async fn say(&mut self, body: RelayMsg) -> Result<()> {
        let wire = self.sender.envelope(body, 0.0).encode().or_else(|e| fail(e.to_string()))?;
        self.sink.send(Message::text(wire)).await.or_else(|e| fail(format!("send: {e}")))
    }
}

const ONE: &str = "one relay";
const TWO: &str = "two instances, Redis";

pub fn run(runtime: &tokio::runtime::Runtime) -> Result<Vec<Figures>> {
    let dist = std::env::temp_dir().join(format!("crosstalk-relay-load-{}", std::process::id()));
    std::fs::create_dir_all(&dist)
        .and_then(|()| std::fs::write(dist.join("index.html"), "<!doctype html>"))
        .or_else(|e| fail(format!("cannot write {}: {e}", dist.display())))?;
    let mut figures = runtime.block_on(load(&dist, ONE, None, 1))?;
    let redis = LocalRedis::start("relay-load").or_else(fail)?;
    figures.extend(runtime.block_on(load(&dist, TWO, Some(redis.url()), 2))?);
    let _ = std::fs::remove_dir_all(&dist);
    Ok(figures)
}

/// The run on `count` instances (on `redis`, when given), clients dealt over them in turn.
async fn load(
    dist: &std::path::Path,
    setup: &'static str,
    redis: Option<String>,
    count: usize,
) -> Result<Vec<Figures>> {
    let mut suites = Vec::new();
    for _ in 0..count {
        let any: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 0));
        let mut config = SuiteConfig::on_ports(dist.to_path_buf(), any, None)?;
        // The load, not the limiter, is measured.
        config.relay_limits =
            RelayLimits { rate_per_second: 1_000_000, burst: 1_000_000, ..RelayLimits::default() };
        config.redis = redis.clone();
        let suite = Suite::start(config).await.or_else(|e| fail(e.to_string()))?;
        bus_up(&suite).await?;
        suites.push(suite);
    }

    let epoch = Instant::now();
    let delivered = Arc::new(AtomicU64::new(0));
    let kicked = Arc::new(AtomicU64::new(0));
    let joined = Arc::new(AtomicU64::new(0));
    let (latencies_tx, mut latencies) = mpsc::unbounded_channel::<u64>();
    let mut senders = Vec::with_capacity(CLIENTS);
    for n in 0..CLIENTS {
        let suite = &suites[n % suites.len()];
        let url = format!("ws://{}/ws", suite.app_addr());
        let mut request = url.into_client_request().or_else(|e| fail(e.to_string()))?;
        let origin = HeaderValue::from_str(&suite.app_url()).or_else(|e| fail(e.to_string()))?;
        request.headers_mut().insert("origin", origin);
        let connected = tokio_tungstenite::connect_async_with_config(request, None, true).await;
        let (ws, _) = connected.or_else(|e| fail(format!("connect: {e}")))?;
        let (sink, mut stream) = ws.split();
        let mut sending = Sending { sink, sender: Sender::new(SenderId(format!("bench-{n}"))) };
        sending.say(RelayMsg::Join { room: ROOM.into(), after: None }).await?;
        senders.push(sending);
        let (delivered, kicked, joined, latencies) =
            (Arc::clone(&delivered), Arc::clone(&kicked), Arc::clone(&joined), latencies_tx.clone());
        // Every client reads all the time (its acks too), as a page does.
        tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                let text = match message {
                    Message::Text(text) => text,
                    // The relay's own policy under load: a client whose queue fills is closed with
                    // 4000. Counted and shown, not an error of the run.
                    Message::Close(Some(frame)) if u16::from(frame.code) == 4000 => {
                        kicked.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    Message::Close(_) => break,
                    _ => continue,
                };
                match decode::<RelayMsg>(text.as_str()).map(|e| e.body) {
                    Ok(RelayMsg::Relayed { text, .. }) => {
                        let now = epoch.elapsed().as_micros() as u64;
                        let sent = text.to_text().parse::<u64>().unwrap_or(now);
                        let _ = latencies.send(now.saturating_sub(sent));
                        delivered.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(RelayMsg::Joined { .. }) => {
                        joined.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {}
                }
            }
        });
    }
    wait_for(&joined, CLIENTS).await?;

    let mut figures = Vec::new();
    // One sender at a steady rate.
    let count = (STEADY_RATE as u64) * STEADY_FOR.as_secs();
    let expected = count * (CLIENTS as u64 - 1);
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1) / STEADY_RATE);
    for _ in 0..count {
        tick.tick().await;
        let stamp = epoch.elapsed().as_micros().to_string();
        senders[0].say(RelayMsg::Text { text: stamp.into() }).await?;
    }
    figures.push(
        measure(
            setup,
            format!("one sender, {STEADY_RATE} msg/s for {} s", STEADY_FOR.as_secs()),
            &delivered,
            expected,
            started,
            &kicked,
            &mut latencies,
        )
        .await?,
    );

    // Everyone at once.
    delivered.store(0, Ordering::Relaxed);
    kicked.store(0, Ordering::Relaxed);
    let expected = (BURST_EACH * CLIENTS * (CLIENTS - 1)) as u64;
    let started = Instant::now();
    let mut bursts = Vec::new();
    for mut sending in senders.drain(..) {
        bursts.push(tokio::spawn(async move {
            for _ in 0..BURST_EACH {
                let stamp = epoch.elapsed().as_micros().to_string();
                sending.say(RelayMsg::Text { text: stamp.into() }).await?;
            }
            Ok::<_, crate::run::Failure>(sending)
        }));
    }
    let mut kept = Vec::new();
    for burst in bursts {
        kept.push(burst.await.or_else(|e| fail(e.to_string()))??);
    }
    figures.push(
        measure(
            setup,
            format!("all {CLIENTS} at once, {BURST_EACH} each"),
            &delivered,
            expected,
            started,
            &kicked,
            &mut latencies,
        )
        .await?,
    );
    drop(kept);
    for suite in suites {
        suite.shutdown().await;
    }
    Ok(figures)
}

/// Waits until `n` clients have been told they joined.
async fn wait_for(joined: &AtomicU64, n: usize) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while joined.load(Ordering::Relaxed) < n as u64 {
        if Instant::now() > deadline {
            return fail(format!("only {} of {n} clients joined", joined.load(Ordering::Relaxed)));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

/// Waits until an instance on Redis shares its rooms (at once for the in-memory relay).
async fn bus_up(suite: &Suite) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match suite.relay().bus_state() {
            BusState::Memory | BusState::Redis => return Ok(()),
            BusState::Degraded(why) if Instant::now() > deadline => return fail(format!("Redis: {why}")),
            BusState::Degraded(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// How long deliveries may stall before the scenario counts what it has (clients the relay
/// closed as too slow will never get the rest).
const STALL: Duration = Duration::from_secs(3);

/// Waits for `expected` deliveries, or until they stop coming for [`STALL`] (at most a minute),
/// then reads the latencies.
async fn measure(
    setup: &'static str,
    name: String,
    delivered: &AtomicU64,
    expected: u64,
    started: Instant,
    kicked: &AtomicU64,
    latencies: &mut mpsc::UnboundedReceiver<u64>,
) -> Result<Figures> {
    let deadline = started + Duration::from_secs(60);
    let (mut seen, mut last_change, mut last_delivery) = (0, Instant::now(), Instant::now());
    loop {
        let now_delivered = delivered.load(Ordering::Relaxed);
        if now_delivered >= expected {
            last_delivery = Instant::now();
            break;
        }
        if now_delivered != seen {
            (seen, last_change, last_delivery) = (now_delivered, Instant::now(), Instant::now());
        } else if last_change.elapsed() > STALL || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let got = delivered.load(Ordering::Relaxed);
    let kicked = kicked.load(Ordering::Relaxed);
    if got < expected && kicked == 0 {
        return fail(format!("{name}: {got} of {expected} delivered, and no client was closed as too slow"));
    }
    let took = last_delivery.duration_since(started);
    let mut micros = Vec::with_capacity(expected as usize);
    while let Ok(latency) = latencies.try_recv() {
        micros.push(latency);
    }
    micros.sort_unstable();
    let at =
        |q: f64| micros.get(((micros.len() as f64 - 1.0) * q) as usize).copied().unwrap_or(0) as f64 / 1000.0;
    Ok(Figures { setup, name, delivered: got, took, p50_ms: at(0.50), p99_ms: at(0.99), expected, kicked })
}

/// The figures as `cargo xtask bench` prints them.
pub fn report(figures: &[Figures]) -> String {
    let mut out =
        format!("relay load: {CLIENTS} WebSocket clients on loopback, one room (target: {TARGET})\n");
    for f in figures {
        out.push_str(&format!(
            "  {:<20} {:<34} {:>9} delivered in {:>6.2} s = {:>9.0} msg/s   p50 {:>6.2} ms   p99 {:>6.2} ms\n",
            f.setup,
            f.name,
            f.delivered,
            f.took.as_secs_f64(),
            f.per_second(),
            f.p50_ms,
            f.p99_ms
        ));
        if f.kicked > 0 {
            out.push_str(&format!(
                "    {} of {} delivered: the relay closed {} client(s) as too slow (4000), as it should\n",
                f.delivered, f.expected, f.kicked
            ));
        }
    }
    out
}
