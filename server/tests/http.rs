//! The HTTP side's limits with real sockets on loopback, each as a hostile client meets it: a head
//! that never ends, a head too big, too many connections from one address, and a WebSocket frame
//! too big to read at all.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crosstalk_protocol::relay::close;
use crosstalk_server::{HttpLimits, RelayLimits, Suite, SuiteConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod common;
use common::*;

async fn suite(dist: &Dist, http: HttpLimits, relay: RelayLimits) -> Suite {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut config = SuiteConfig::on_ports(dist.0.clone(), any, None).unwrap();
    config.http_limits = http;
    config.relay_limits = relay;
    Suite::start(config).await.unwrap()
}

fn short_head_timeout() -> HttpLimits {
    HttpLimits { header_read_timeout: Duration::from_millis(500), ..HttpLimits::default() }
}

#[tokio::test]
async fn a_head_that_never_ends_is_closed_within_the_header_read_timeout() {
    let dist = Dist::new("slowloris");
    let limits = short_head_timeout();
    let suite = suite(&dist, limits, RelayLimits::default()).await;
    let mut sockets = Vec::new();
    for _ in 0..20 {
        let mut socket = TcpStream::connect(suite.app_addr()).await.unwrap();
        socket.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ").await.unwrap();
        sockets.push(socket);
    }
    let started = Instant::now();
    for socket in &mut sockets {
        let (said, _) = read_to_end(socket).await;
        assert!(!String::from_utf8_lossy(&said).contains("200 OK"), "half a head is never answered");
    }
    assert!(
        started.elapsed() + Duration::from_millis(50) >= limits.header_read_timeout,
        "not before the limit"
    );
    // The suite still answers.
    assert_eq!(health(&suite).await["connections"], 0);
    suite.shutdown().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_within_the_header_read_timeout() {
    let dist = Dist::new("idle");
    let suite = suite(&dist, short_head_timeout(), RelayLimits::default()).await;
    let mut socket = TcpStream::connect(suite.app_addr()).await.unwrap();
    let request = format!("GET /health HTTP/1.1\r\nHost: {}\r\n\r\n", suite.app_addr());
    socket.write_all(request.as_bytes()).await.unwrap();
    let (said, ended) = read_to_end(&mut socket).await;
    assert!(String::from_utf8_lossy(&said).starts_with("HTTP/1.1 200"), "answered first");
    assert!(ended.is_ok(), "then closed, not reset: {ended:?}");
    suite.shutdown().await;
}

#[tokio::test]
async fn a_head_over_16_kib_is_answered_431() {
    let dist = Dist::new("big-head");
    let suite = suite(&dist, HttpLimits::default(), RelayLimits::default()).await;
    let addr = suite.app_addr();
    for (padding, status) in [(8 * 1024, "200"), (17 * 1024, "431"), (200 * 1024, "431")] {
        let mut socket = TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "GET / HTTP/1.1\r\nHost: {addr}\r\nX-Padding: {}\r\nConnection: close\r\n\r\n",
            "a".repeat(padding)
        );
        // The server may answer and close before it has read a head that big.
        let _ = socket.write_all(head.as_bytes()).await;
        let (said, _) = read_to_end(&mut socket).await;
        let said = String::from_utf8_lossy(&said);
        assert!(said.starts_with(&format!("HTTP/1.1 {status}")), "{padding} bytes of header: {said:.80}");
    }
    suite.shutdown().await;
}

#[tokio::test]
async fn one_address_cannot_take_every_http_connection() {
    let dist = Dist::new("per-address");
    let limits = HttpLimits { max_connections_per_address: 8, ..HttpLimits::default() };
    let suite = suite(&dist, limits, RelayLimits::default()).await;
    let mut held = Vec::new();
    for _ in 0..8 {
        let mut socket = TcpStream::connect(suite.app_addr()).await.unwrap();
        socket.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        held.push(socket);
    }
    // The ninth is accepted by the kernel and closed by the server at once, unanswered.
    let mut ninth = TcpStream::connect(suite.app_addr()).await.unwrap();
    let _ = ninth
        .write_all(format!("GET /health HTTP/1.1\r\nHost: {}\r\n\r\n", suite.app_addr()).as_bytes())
        .await;
    let (said, _) = read_to_end(&mut ninth).await;
    assert!(said.is_empty(), "over the cap: {:?}", String::from_utf8_lossy(&said));
    drop(held);
    // Their seats come back.
    let deadline = Instant::now() + PATIENCE;
    loop {
        let mut again = TcpStream::connect(suite.app_addr()).await.unwrap();
        let request =
            format!("GET /health HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", suite.app_addr());
        let _ = again.write_all(request.as_bytes()).await;
        if String::from_utf8_lossy(&read_to_end(&mut again).await.0).starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < deadline, "the seats never came back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    suite.shutdown().await;
}

#[tokio::test]
async fn one_address_cannot_take_every_relay_connection() {
    let dist = Dist::new("relay-per-address");
    let relay = RelayLimits { max_connections_per_address: 3, ..RelayLimits::default() };
    let suite = suite(&dist, HttpLimits::default(), relay).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(try_connect(&suite, &suite.app_url()).await.expect("under the cap"));
    }
    match try_connect(&suite, &suite.app_url()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 429),
        other => panic!("the fourth: {:?}", other.map(|_| "connected")),
    }
    held.pop();
    health_becomes(&suite, "two connections", |h| h["connections"] == 2).await;
    let deadline = Instant::now() + PATIENCE;
    while try_connect(&suite, &suite.app_url()).await.is_err() {
        assert!(Instant::now() < deadline, "a closed connection gives its seat back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    suite.shutdown().await;
}

/// A client's frame: FIN, text, masked, with the 64-bit length form.
fn frame_head(len: u64) -> Vec<u8> {
    let mut head = vec![0x81, 0x80 | 127];
    head.extend_from_slice(&len.to_be_bytes());
    head.extend_from_slice(&[0, 0, 0, 0]);
    head
}

/// The close frames' codes in what a server sent (unmasked frames, any length form).
fn close_codes(mut said: &[u8]) -> Vec<u16> {
    let mut codes = Vec::new();
    while said.len() >= 2 {
        let (opcode, short) = (said[0] & 0x0f, (said[1] & 0x7f) as usize);
        let (len, at) = match short {
            126 if said.len() >= 4 => (u16::from_be_bytes([said[2], said[3]]) as usize, 4),
            127 if said.len() >= 10 => (u64::from_be_bytes(said[2..10].try_into().unwrap()) as usize, 10),
            126 | 127 => break,
            n => (n, 2),
        };
        if said.len() < at + len {
            break;
        }
        if opcode == 0x8 && len >= 2 {
            codes.push(u16::from_be_bytes([said[at], said[at + 1]]));
        }
        said = &said[at + len..];
    }
    codes
}

#[tokio::test]
async fn a_frame_over_the_hard_read_limit_is_closed_with_1009_not_reset() {
    let dist = Dist::new("huge-frame");
    let suite = suite(&dist, HttpLimits::default(), RelayLimits::default()).await;
    let addr = suite.app_addr();
    for size in [3 * 1024 * 1024u64, 32 * 1024 * 1024] {
        let (mut reader, mut writer) = upgraded(addr).await;
        // The payload goes out in pieces, as a real client over a real network sends it, while
        // the answer is read.
        let writing = tokio::spawn(async move {
            writer.write_all(&frame_head(size)).await?;
            let piece = vec![b'x'; 64 * 1024];
            for _ in 0..size / piece.len() as u64 {
                writer.write_all(&piece).await?;
            }
            writer.shutdown().await
        });
        let (said, ended) = read_to_end(&mut reader).await;
        assert_eq!(close_codes(&said), vec![close::TOO_BIG], "{size} bytes: the client hears why");
        assert!(ended.is_ok(), "{size} bytes: the connection ends with a FIN, not a reset: {ended:?}");
        // The writer may or may not have finished: the relay stops draining when it is done
        // lingering, whatever is still on its way.
        let _ = writing.await;
    }
    health_becomes(&suite, "two too-big closes", |h| h["closes"]["too-big"] == 2).await;
    suite.shutdown().await;
}

/// A WebSocket to the relay at `addr`, upgraded by hand (101 read), as its two halves.
async fn upgraded(addr: SocketAddr) -> (tokio::net::tcp::OwnedReadHalf, tokio::net::tcp::OwnedWriteHalf) {
    let socket = TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = socket.into_split();
    let handshake = format!(
        "GET /ws HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    writer.write_all(handshake.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8];
        reader.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));
    (reader, writer)
}

/// A client's small text frame (masked with a zero key, so the payload goes as it is).
fn small_frame(payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126);
    let mut frame = vec![0x81, 0x80 | payload.len() as u8, 0, 0, 0, 0];
    frame.extend_from_slice(payload);
    frame
}

#[tokio::test]
async fn a_flood_past_the_rate_limit_is_closed_with_1008_and_the_client_hears_it() {
    let dist = Dist::new("flood");
    let suite = suite(&dist, HttpLimits::default(), RelayLimits::default()).await;
    let addr = suite.app_addr();
    let (mut reader, mut writer) = upgraded(addr).await;
    // 2,000 frames at once, far past the burst and the strikes: most are still in flight when
    // the relay decides to close.
    let flood: Vec<u8> = (0..2000).flat_map(|_| small_frame(&[b'f'; 100])).collect();
    let writing = tokio::spawn(async move {
        writer.write_all(&flood).await?;
        writer.shutdown().await
    });
    let (said, ended) = read_to_end(&mut reader).await;
    assert!(close_codes(&said).contains(&close::POLICY), "the client hears 1008: {:?}", close_codes(&said));
    assert!(ended.is_ok(), "the connection ends with a FIN, not a reset: {ended:?}");
    let _ = writing.await;
    suite.shutdown().await;
}
