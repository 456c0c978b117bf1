//! Rooms across relay instances through a real Redis: each test starts its own `redis-server` on
//! a free loopback port with no persistence (and stops it), two relay instances on it, and real
//! WebSocket clients split across them. `cargo xtask test` installs Redis when it is missing.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crosstalk_protocol::relay::RelayMsg;
use crosstalk_protocol::{Sender, SenderId};
use crosstalk_server::local_redis::LocalRedis;
use crosstalk_server::relay::redis_bus::BusTiming;
use crosstalk_server::{Suite, SuiteConfig};
use tokio::io::{AsyncBufReadExt, BufReader};

mod common;
use common::*;

/// A `redis-server` of the test's own (see [`LocalRedis`]), with a client for poking at it.
struct Redis(LocalRedis);

impl Redis {
    async fn start(name: &str) -> Redis {
        Redis(LocalRedis::start(name).unwrap_or_else(|e| panic!("{e}")))
    }

    fn url(&self) -> String {
        self.0.url()
    }

    async fn resume(&mut self) {
        self.0.resume().unwrap_or_else(|e| panic!("{e}"));
    }

    fn stop(&mut self) {
        self.0.stop();
    }

    async fn conn(&self) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
        redis::Client::open(self.url())?.get_multiplexed_async_connection().await
    }
}

/// Short beats and leases, so what the tests wait for comes within a second or two.
fn quick() -> BusTiming {
    BusTiming {
        beat: Duration::from_millis(200),
        lease: Duration::from_secs(1),
        command_within: Duration::from_millis(500),
    }
}

/// A relay instance in this process, on Redis, once it says it shares rooms.
async fn instance(dist: &Dist, redis: &Redis) -> Suite {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut config = SuiteConfig::on_ports(dist.0.clone(), any, None).unwrap();
    config.redis = Some(redis.url());
    config.bus_timing = quick();
    let suite = Suite::start(config).await.unwrap();
    health_becomes(&suite, "the bus up", |h| h["bus"] == "redis").await;
    suite
}

/// A relay instance as its own `crosstalk-server` process (default timings), to be killed.
struct Process {
    child: Child,
    addr: SocketAddr,
}

impl Process {
    async fn start(dist: &Dist, redis: &Redis) -> Process {
        let mut child = Command::new(env!("CARGO_BIN_EXE_crosstalk-server"))
            .args(["--port", "0", "--redis", &redis.url(), "--dist"])
            .arg(&dist.0)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = tokio::process::ChildStdout::from_std(child.stdout.take().unwrap()).unwrap();
        let mut line = String::new();
        tokio::time::timeout(PATIENCE, BufReader::new(stdout).read_line(&mut line)).await.unwrap().unwrap();
        // "crosstalk-server: serving http://127.0.0.1:PORT (provider …), rooms: …"
        let addr = line.split("http://").nth(1).and_then(|r| r.split_whitespace().next()).unwrap_or_default();
        let addr = addr.parse().unwrap_or_else(|_| panic!("no address in {line:?}"));
        let process = Process { child, addr };
        health_becomes(&process, "the bus up", |h| h["bus"] == "redis").await;
        process
    }

    /// SIGINT (Ctrl-C): a graceful stop.
    fn interrupt(&self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-INT", &pid]).status().map(|s| s.success());
        assert!(matches!(sent, Ok(true)), "kill -INT {pid}");
    }

    /// SIGKILL: no close frames, no goodbyes to Redis.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Instance for Process {
    fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What a client heard of the room's texts: (room number, text), `accepted` as its own text.
#[derive(Debug, Clone, PartialEq)]
enum Heard {
    Text(u64, String),
    Mine(u64),
}

impl Client {
    /// Reads until `members` is the room's count (a `joined` or `members` frame says so).
    async fn members_become(&mut self, members: u32) {
        loop {
            match self.next().await {
                RelayMsg::Joined { members: n, .. } | RelayMsg::Members { members: n, .. }
                    if n == members =>
                {
                    return
                }
                _ => {}
            }
        }
    }

    /// The next `count` texts and acceptances, in the order they came; other frames skipped.
    async fn texts(&mut self, count: usize) -> Vec<Heard> {
        let mut heard = Vec::new();
        while heard.len() < count {
            match self.next().await {
                RelayMsg::Relayed { room_seq, text, .. } => {
                    heard.push(Heard::Text(room_seq, text.to_string()))
                }
                RelayMsg::Accepted { room_seq, .. } => heard.push(Heard::Mine(room_seq)),
                _ => {}
            }
        }
        heard
    }

    async fn text(&mut self, text: &str) {
        self.say(RelayMsg::Text { text: text.into() }).await;
    }
}

/// Every client joins `room`; then each waits until the room counts them all.
async fn all_join(clients: &mut [&mut Client], room: &str) {
    let mut counts = Vec::new();
    for client in clients.iter_mut() {
        counts.push(client.join(room).await);
    }
    let all = clients.len() as u32;
    for (client, joined_with) in clients.iter_mut().zip(counts) {
        if joined_with != all {
            client.members_become(all).await;
        }
    }
}

fn numbers(heard: &[Heard]) -> Vec<u64> {
    heard
        .iter()
        .map(|h| match h {
            Heard::Text(n, _) | Heard::Mine(n) => *n,
        })
        .collect()
}

/// The same sender id on a new connection (what a page does after a reconnect).
async fn come_back(instance: &impl Instance, name: &str, room: &str, after: u64) -> Client {
    let mut client = Client::connect(instance, name).await;
    client.sender = Sender::new(SenderId(name.into()));
    client.say(RelayMsg::Join { room: room.into(), after: Some(after) }).await;
    client
}

#[tokio::test]
async fn members_split_over_two_instances_hear_one_order_with_one_sequence_and_one_count() {
    let dist = Dist::new("bus-order");
    let redis = Redis::start("order").await;
    let (one, two) = (instance(&dist, &redis).await, instance(&dist, &redis).await);
    let mut clients = [
        Client::connect(&one, "a").await,
        Client::connect(&two, "b").await,
        Client::connect(&one, "c").await,
        Client::connect(&two, "d").await,
    ];
    all_join(&mut clients.iter_mut().collect::<Vec<_>>(), "lobby").await;
    // Every member sends at once, ten each: 40 texts numbered by one room across both instances.
    for n in 0..10 {
        for (i, client) in clients.iter_mut().enumerate() {
            client.text(&format!("{i}:{n}")).await;
        }
    }
    let mut orders = Vec::new();
    for client in clients.iter_mut() {
        let heard = client.texts(40).await;
        assert_eq!(numbers(&heard), (1..=40).collect::<Vec<u64>>(), "one sequence, in order, no gaps");
        orders.push(heard);
    }
    // The same number means the same text for everyone (each sees its own as accepted).
    for n in 0..40 {
        let texts: Vec<&Heard> =
            orders.iter().map(|o| &o[n]).filter(|h| matches!(h, Heard::Text(..))).collect();
        assert_eq!(texts.len(), 3, "three hear it relayed, its sender has it accepted");
        assert!(texts.windows(2).all(|w| w[0] == w[1]), "#{}: {texts:?}", n + 1);
    }
    for instance in [&one, &two] {
        let health = health(instance).await;
        assert_eq!((health["bus"].as_str(), health["rooms"].as_u64()), (Some("redis"), Some(1)), "{health}");
    }
}

#[tokio::test]
async fn a_client_back_on_the_other_instance_gets_exactly_what_it_missed_then_live() {
    let dist = Dist::new("bus-resume");
    let redis = Redis::start("resume").await;
    let (one, two) = (instance(&dist, &redis).await, instance(&dist, &redis).await);
    let mut a = Client::connect(&one, "a").await;
    let mut b = Client::connect(&two, "b").await;
    a.join("lobby").await;
    b.join("lobby").await;
    a.members_become(2).await;
    a.text("seen").await;
    let [Heard::Text(seen, _)] = &b.texts(1).await[..] else { panic!("b hears the first") };
    let seen = *seen;
    drop(b);
    a.members_become(1).await;
    for text in ["one", "two", "three"] {
        a.text(text).await;
    }
    a.texts(3).await;
    // Back on the *other* instance, with its last seen number.
    let mut b = come_back(&one, "b", "lobby", seen).await;
    let mut frames = Vec::new();
    while !matches!(frames.last(), Some(RelayMsg::Relayed { .. })) || frames.len() < 5 {
        frames.push(b.next().await);
    }
    assert!(matches!(frames[0], RelayMsg::Joined { members: 2, .. }), "{frames:?}");
    assert_eq!(frames[1], RelayMsg::Resumed { room: "lobby".into(), after: seen, replaying: 3, missed: 0 });
    a.text("live").await;
    let after: Vec<Heard> = frames[2..]
        .iter()
        .filter_map(|f| match f {
            RelayMsg::Relayed { room_seq, text, .. } => Some(Heard::Text(*room_seq, text.to_string())),
            _ => None,
        })
        .chain(b.texts(1).await)
        .collect();
    let want: Vec<Heard> = ["one", "two", "three", "live"]
        .iter()
        .zip(seen + 1..)
        .map(|(t, n)| Heard::Text(n, t.to_string()))
        .collect();
    assert_eq!(after, want, "the missed ones in order, once each, then live");
}

#[tokio::test]
async fn without_redis_each_instance_keeps_its_room_and_says_degraded_then_shares_again_by_itself() {
    let dist = Dist::new("bus-down");
    let mut redis = Redis::start("down").await;
    let (one, two) = (instance(&dist, &redis).await, instance(&dist, &redis).await);
    let (mut a, mut a2) = (Client::connect(&one, "a").await, Client::connect(&one, "a2").await);
    let (mut b, mut b2) = (Client::connect(&two, "b").await, Client::connect(&two, "b2").await);
    all_join(&mut [&mut a, &mut a2, &mut b, &mut b2], "lobby").await;
    a.text("before").await;
    let mut highest = 0;
    for client in [&mut a2, &mut b, &mut b2] {
        highest = highest.max(numbers(&client.texts(1).await)[0]);
    }

    redis.stop();
    for instance in [&one, &two] {
        let health = health_becomes(instance, "degraded", |h| h["bus"] == "degraded").await;
        assert!(health["bus_why"].as_str().is_some_and(|why| !why.is_empty()), "{health}");
    }
    // Each instance's own members still talk; the other instance's do not hear it.
    a.text("only on one").await;
    assert!(matches!(&a2.texts(1).await[..], [Heard::Text(_, t)] if t == "only on one"));
    b.text("only on two").await;
    assert_eq!(numbers(&b.texts(1).await).len(), 1, "b's own, accepted");
    assert!(matches!(&b2.texts(1).await[..], [Heard::Text(_, t)] if t == "only on two"));

    redis.resume().await;
    for instance in [&one, &two] {
        health_becomes(instance, "the bus back", |h| h["bus"] == "redis").await;
    }
    a.text("together").await;
    for client in [&mut a2, &mut b, &mut b2] {
        let heard = client.texts(1).await;
        let [Heard::Text(n, text)] = &heard[..] else { panic!("{heard:?}") };
        assert_eq!(text, "together", "the next text across instances is the shared one");
        assert!(*n > highest + 1, "numbers never go back after the split: #{n}");
    }
}

#[tokio::test]
async fn a_killed_instances_members_drop_out_and_come_back_on_the_other_with_nothing_lost() {
    let dist = Dist::new("bus-kill");
    let redis = Redis::start("kill").await;
    let mut doomed = Process::start(&dist, &redis).await;
    let survivor = instance(&dist, &redis).await;
    let mut a = Client::connect(&doomed, "a").await;
    let mut b = Client::connect(&survivor, "b").await;
    a.join("lobby").await;
    b.join("lobby").await;
    a.members_become(2).await;
    a.text("one").await;
    let [Heard::Mine(seen)] = &a.texts(1).await[..] else { panic!("a's text accepted") };
    let seen = *seen;
    b.texts(1).await;

    doomed.kill();
    b.text("while away 1").await;
    b.text("while away 2").await;
    b.texts(2).await;
    let left = Instant::now();
    b.members_become(1).await;
    assert!(left.elapsed() < Duration::from_secs(10), "a dead instance's members drop out within a lease");

    let mut a = come_back(&survivor, "a", "lobby", seen).await;
    let mut replayed = Vec::new();
    while replayed.len() < 2 {
        match a.next().await {
            RelayMsg::Resumed { missed, replaying, .. } => assert_eq!((missed, replaying), (0, 2)),
            RelayMsg::Relayed { room_seq, text, .. } => {
                replayed.push(Heard::Text(room_seq, text.to_string()))
            }
            _ => {}
        }
    }
    let want =
        vec![Heard::Text(seen + 1, "while away 1".into()), Heard::Text(seen + 2, "while away 2".into())];
    assert_eq!(replayed, want, "nothing lost");
    b.members_become(2).await;
}

/// The bus reads what it gets from Redis as outside data: a message of the wrong shape on the
/// channel is refused and counted, and the room goes on.
#[tokio::test]
async fn a_malformed_bus_message_is_refused_and_counted_and_the_room_goes_on() {
    let dist = Dist::new("bus-bad");
    let redis = Redis::start("bad").await;
    let one = instance(&dist, &redis).await;
    let (mut a, mut b) = (Client::connect(&one, "a").await, Client::connect(&one, "b").await);
    a.join("lobby").await;
    b.join("lobby").await;
    let junk = r#"t{"room":"lobby","room_seq":"many"}"#;
    let mut conn = redis.conn().await.unwrap();
    let _: u32 = redis::cmd("PUBLISH").arg("crosstalk:bus").arg(junk).query_async(&mut conn).await.unwrap();
    health_becomes(&one, "the junk refused", |h| h["bus_refused"] == 1).await;
    a.text("still here").await;
    assert!(matches!(&b.texts(1).await[..], [Heard::Text(_, t)] if t == "still here"));
}

/// A load balancer with no sticky sessions: each new connection goes to the next instance.
struct RoundRobin {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl RoundRobin {
    /// Forwards what `listener` accepts to `backends` in turn.
    fn start(listener: tokio::net::TcpListener, backends: Vec<SocketAddr>) -> RoundRobin {
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            for n in 0.. {
                let Ok((mut inbound, _)) = listener.accept().await else { return };
                let backend = backends[n % backends.len()];
                tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(backend).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        RoundRobin { addr, task }
    }
}

impl Instance for RoundRobin {
    fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for RoundRobin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test]
async fn behind_a_balancer_without_sticky_sessions_every_connection_lands_anywhere_and_loses_nothing() {
    let dist = Dist::new("bus-balancer");
    let redis = Redis::start("balancer").await;
    // The balancer's address is known before the instances, which take pages served through it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let front = listener.local_addr().unwrap();
    let mut instances = Vec::new();
    for _ in 0..2 {
        let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let mut config = SuiteConfig::on_ports(dist.0.clone(), any, None).unwrap();
        config.redis = Some(redis.url());
        config.bus_timing = quick();
        config.relay_origins = vec![format!("http://{front}")];
        let suite = Suite::start(config).await.unwrap();
        health_becomes(&suite, "the bus up", |h| h["bus"] == "redis").await;
        instances.push(suite);
    }
    let balancer = RoundRobin::start(listener, instances.iter().map(Suite::app_addr).collect());
    let mut a = Client::connect(&balancer, "a").await;
    let mut b = Client::connect(&balancer, "b").await;
    all_join(&mut [&mut a, &mut b], "lobby").await;
    for instance in &instances {
        assert_eq!(health(instance).await["connections"], 1, "one on each instance");
    }
    a.text("first").await;
    let [Heard::Text(seen, _)] = &b.texts(1).await[..] else { panic!("b hears a across instances") };
    let seen = *seen;
    drop(b);
    a.members_become(1).await;
    a.text("second").await;
    // b's next connection lands on the instance a is on: its history is the room's, all the same.
    let mut b = come_back(&balancer, "b", "lobby", seen).await;
    let heard = b.texts(1).await;
    assert_eq!(heard, [Heard::Text(seen + 1, "second".into())]);
}

#[tokio::test]
async fn an_instance_stopped_with_ctrl_c_tells_the_others_its_members_left_at_once() {
    let dist = Dist::new("bus-ctrl-c");
    let redis = Redis::start("ctrl-c").await;
    let stopping = Process::start(&dist, &redis).await;
    let staying = instance(&dist, &redis).await;
    let mut a = Client::connect(&stopping, "a").await;
    let mut b = Client::connect(&staying, "b").await;
    all_join(&mut [&mut a, &mut b], "lobby").await;
    stopping.interrupt();
    assert_eq!(a.close_code().await, Some(1001), "going away");
    // A lease running out names nobody (and comes 6 s later); a goodbye names who left. b's own
    // instance may recount first (its heartbeat): that names nobody either, and is skipped.
    loop {
        if let RelayMsg::Members { members: 1, left: Some(who), .. } = b.next().await {
            assert_eq!(who, SenderId("a".into()));
            break;
        }
    }
}
