//! The relay with real WebSocket clients on loopback: fan-out, refusals, every limit, health and
//! shutdown, each as a client sees it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crosstalk_protocol::relay::{close, RelayMsg};
use crosstalk_protocol::{decode, ReasonCode};
use crosstalk_server::{RelayLimits, Suite, SuiteConfig};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

mod common;
use common::*;

async fn suite(dist: &Dist, limits: RelayLimits) -> Suite {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut config = SuiteConfig::on_ports(dist.0.clone(), any, None).unwrap();
    config.relay_limits = limits;
    Suite::start(config).await.unwrap()
}

#[tokio::test]
async fn texts_reach_the_other_members_in_order_and_never_the_sender_or_another_room() {
    let dist = Dist::new("fan-out");
    let suite = suite(&dist, RelayLimits::default()).await;
    let (mut a, mut b, mut c) = (
        Client::connect(&suite, "a").await,
        Client::connect(&suite, "b").await,
        Client::connect(&suite, "c").await,
    );
    assert_eq!(a.join("lobby").await, 1);
    assert_eq!(b.join("lobby").await, 2);
    c.join("elsewhere").await;
    assert!(matches!(a.next().await, RelayMsg::Members { members: 2, .. }));
    for n in 1..=50 {
        a.say(RelayMsg::Text { text: format!("message {n}").into() }).await;
    }
    for n in 1..=50u64 {
        match b.next().await {
            RelayMsg::Relayed { room_seq, from, text, .. } => {
                assert_eq!((room_seq, from.0.as_str(), text.to_string()), (n, "a", format!("message {n}")));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            a.next().await,
            RelayMsg::Accepted { reply_to: n + 1, room_seq: n },
            "the sender hears its number only"
        );
    }
    c.say(RelayMsg::Text { text: "only me here".into() }).await;
    assert!(matches!(c.next().await, RelayMsg::Accepted { .. }), "c's own room has nobody else");
    assert_eq!(health(&suite).await["relayed"], 51);
    suite.shutdown().await;
}

#[tokio::test]
async fn a_malformed_frame_gets_an_error_frame_with_its_code_and_is_not_relayed() {
    let dist = Dist::new("malformed");
    let suite = suite(&dist, RelayLimits::default()).await;
    let (mut a, mut b) = (Client::connect(&suite, "a").await, Client::connect(&suite, "b").await);
    a.join("lobby").await;
    b.join("lobby").await;
    a.next().await;
    a.ws.send(Message::text(r#"{"v":1,"kind":"text""#)).await.unwrap();
    assert!(matches!(a.next().await, RelayMsg::Error { code: ReasonCode::BadJson, .. }));
    a.ws.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    assert!(matches!(a.next().await, RelayMsg::Error { code: ReasonCode::NotText, .. }));
    a.say(RelayMsg::Join { room: "no spaces".into(), after: None }).await;
    assert!(matches!(a.next().await, RelayMsg::Error { code: ReasonCode::BadRoom, .. }));
    a.say(RelayMsg::Text { text: "fine".into() }).await;
    assert!(matches!(b.next().await, RelayMsg::Relayed { room_seq: 1, .. }), "nothing malformed was relayed");
    suite.shutdown().await;
}

#[tokio::test]
async fn a_frame_over_64_kib_closes_with_1009() {
    let dist = Dist::new("oversized");
    let suite = suite(&dist, RelayLimits::default()).await;
    for size in [64 * 1024 + 1, 2 * 1024 * 1024, 3 * 1024 * 1024, 16 * 1024 * 1024] {
        let mut a = Client::connect(&suite, "a").await;
        a.join("lobby").await;
        let _ = a.ws.send(Message::text("x".repeat(size))).await;
        assert_eq!(a.close_code().await, Some(close::TOO_BIG), "{size} bytes");
    }
    health_becomes(&suite, "four too-big closes", |h| h["closes"]["too-big"] == 4).await;
    suite.shutdown().await;
}

#[tokio::test]
async fn another_origin_is_refused_before_the_upgrade() {
    let dist = Dist::new("origin");
    let suite = suite(&dist, RelayLimits::default()).await;
    for stranger in ["http://evil.example", &suite.provider_url(), "null"] {
        match try_connect(&suite, stranger).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 403, "{stranger}");
            }
            other => panic!("{stranger}: {:?}", other.map(|_| "connected")),
        }
    }
    let localhost = suite.app_url().replacen("127.0.0.1", "localhost", 1);
    assert!(try_connect(&suite, &localhost).await.is_ok(), "the app under its other name is its own");
    let provider_ws = format!("ws://{}/ws", suite.provider_url().trim_start_matches("http://"));
    assert!(
        tokio_tungstenite::connect_async(provider_ws).await.is_err(),
        "the provider's origin has no relay"
    );
    suite.shutdown().await;
}

#[tokio::test]
async fn a_client_over_its_rate_is_told_then_closed_with_1008() {
    let dist = Dist::new("rate");
    let limits = RelayLimits { rate_per_second: 10, burst: 20, strikes: 5, ..RelayLimits::default() };
    let suite = suite(&dist, limits).await;
    let mut a = Client::connect(&suite, "a").await;
    a.join("lobby").await;
    for n in 0..40 {
        a.say(RelayMsg::Text { text: format!("flood {n}").into() }).await;
    }
    let mut told = 0;
    loop {
        match tokio::time::timeout(PATIENCE, a.ws.next()).await.expect("in time") {
            Some(Ok(Message::Text(text))) => {
                if let RelayMsg::Error { code, .. } = decode::<RelayMsg>(text.as_str()).unwrap().body {
                    assert_eq!(code, ReasonCode::RateLimited);
                    told += 1;
                }
            }
            Some(Ok(Message::Close(frame))) => {
                assert_eq!(frame.map(|f| f.code), Some(CloseCode::Policy));
                break;
            }
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(told, 5, "told each time, up to the strikes, then closed");
    suite.shutdown().await;
}

#[tokio::test]
async fn a_slow_reader_is_closed_as_too_slow_while_the_room_carries_on() {
    let dist = Dist::new("slow");
    let limits = RelayLimits {
        rate_per_second: 100_000,
        burst: 100_000,
        queue_frames: 16,
        queue_bytes: 256 * 1024,
        ..RelayLimits::default()
    };
    let suite = suite(&dist, limits).await;
    let (mut a, mut b, mut slow) = (
        Client::connect(&suite, "a").await,
        Client::connect(&suite, "b").await,
        Client::connect(&suite, "slow").await,
    );
    a.join("lobby").await;
    b.join("lobby").await;
    slow.join("lobby").await;
    a.next().await;
    b.next().await;
    // In step: a sends, hears its number, b reads; only `slow` never reads.
    const FRAMES: u64 = 400;
    let big = "y".repeat(60 * 1024);
    for n in 1..=FRAMES {
        a.say(RelayMsg::Text { text: big.clone().into() }).await;
        loop {
            match b.next().await {
                RelayMsg::Relayed { room_seq, .. } => {
                    assert_eq!(room_seq, n, "b misses nothing");
                    break;
                }
                RelayMsg::Members { .. } => continue,
                other => panic!("{other:?}"),
            }
        }
        loop {
            if let RelayMsg::Accepted { room_seq, .. } = a.next().await {
                assert_eq!(room_seq, n);
                break;
            }
        }
    }
    health_becomes(&suite, "the slow reader closed", |h| h["closes"]["too-slow"] == 1).await;
    assert_eq!(slow.close_code().await, Some(close::TOO_SLOW));
    suite.shutdown().await;
}

#[tokio::test]
async fn a_client_that_stops_answering_pings_is_closed_within_bounded_time() {
    let dist = Dist::new("silent");
    let limits = RelayLimits {
        ping_every: Duration::from_millis(100),
        pong_within: Duration::from_millis(200),
        ..RelayLimits::default()
    };
    let suite = suite(&dist, limits).await;
    let mut talker = Client::connect(&suite, "talker").await;
    let _silent = Client::connect(&suite, "silent").await;
    talker.join("lobby").await;
    // The talker keeps reading, and so answers every ping; the silent one never reads.
    let reading = tokio::spawn(async move { while let Some(Ok(_)) = talker.ws.next().await {} });
    // Polled: a relay that never closes the silent client fails at the poll's patience; a bound
    // in milliseconds here would only fail a loaded machine.
    let after = health_becomes(&suite, "the silent client dropped", |h| h["closes"]["silent"] == 1).await;
    assert_eq!(after["connections"], 1, "the one that answers stays: {after}");
    reading.abort();
    suite.shutdown().await;
}

#[tokio::test]
async fn a_thousand_abrupt_disconnects_leave_nothing_behind() {
    let dist = Dist::new("abrupt");
    // Every client here comes from one address; that cap has its own test (tests/http.rs).
    let suite =
        suite(&dist, RelayLimits { max_connections_per_address: 1000, ..RelayLimits::default() }).await;
    let mut clients = Vec::new();
    for n in 0..1000 {
        let mut client = Client::connect(&suite, &format!("c{n}")).await;
        if n % 10 == 0 {
            client.say(RelayMsg::Join { room: format!("room-{}", n % 7), after: None }).await;
        }
        clients.push(client);
    }
    health_becomes(&suite, "1,000 connections", |h| h["connections"] == 1000).await;
    drop(clients);
    let after = health_becomes(&suite, "no connections", |h| h["connections"] == 0).await;
    assert_eq!(after["rooms"], 0, "{after}");
    suite.shutdown().await;
}

#[tokio::test]
async fn shutting_down_closes_every_client_with_1001_within_a_second_or_two() {
    let dist = Dist::new("shutdown");
    let suite = suite(&dist, RelayLimits::default()).await;
    let mut clients = Vec::new();
    for n in 0..20 {
        let mut client = Client::connect(&suite, &format!("c{n}")).await;
        client.join("lobby").await;
        clients.push(client);
    }
    let started = Instant::now();
    suite.shutdown().await;
    // The promise is a second or two; the bound is generous so that only a shutdown that waits
    // out its clients (or hangs) trips it, not a busy machine.
    assert!(started.elapsed() < Duration::from_secs(6), "{:?}", started.elapsed());
    for client in clients.iter_mut() {
        assert_eq!(client.close_code().await, Some(close::GOING_AWAY));
    }
}
