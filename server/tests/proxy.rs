//! Behind a reverse proxy, with real sockets on loopback: each side answers to its own public name
//! only and names the others by theirs; a trusted proxy's `X-Forwarded-For` is what the relay's
//! per-address cap counts, and nobody else's is believed.

use std::net::SocketAddr;

use crosstalk_server::{public_origins, RelayLimits, Suite, SuiteConfig};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

mod common;
use common::*;

const APP: &str = "https://class.test";
const PROVIDER: &str = "https://pay.test";
const ISOLATED: &str = "https://atomics.test";

async fn behind_a_proxy(dist: &Dist, trusted: bool, relay: RelayLimits) -> Suite {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut config = SuiteConfig::on_ports(dist.0.clone(), any, None).unwrap();
    config.public_origins = Some(public_origins(APP, PROVIDER, ISOLATED).unwrap().0);
    if trusted {
        config.trusted_proxies.push([127, 0, 0, 1].into());
    }
    config.relay_limits = relay;
    Suite::start(config).await.unwrap()
}

/// `GET path` with `Host: host` on `addr`, as the proxy forwards it: the whole answer.
async fn get(addr: SocketAddr, path: &str, host: &str) -> String {
    let mut socket = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    socket.write_all(request.as_bytes()).await.unwrap();
    String::from_utf8_lossy(&read_to_end(&mut socket).await.0).into_owned()
}

/// A relay connection as the proxy forwards it: the app's public origin, for `client`.
async fn relay_for(suite: &Suite, client: &str) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut request = format!("ws://{}/ws", suite.app_addr()).into_client_request().unwrap();
    let headers = request.headers_mut();
    headers.insert("host", HeaderValue::from_static("class.test"));
    headers.insert("origin", HeaderValue::from_static(APP));
    headers.insert("x-forwarded-for", HeaderValue::from_str(&format!("203.0.113.9, {client}")).unwrap());
    tokio_tungstenite::connect_async(request).await.map(|(ws, _)| ws)
}

fn status_of(refused: Result<Ws, tokio_tungstenite::tungstenite::Error>) -> u16 {
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("{other}"),
        Ok(_) => 101,
    }
}

#[tokio::test]
async fn each_side_answers_its_own_public_name_and_names_the_others_by_theirs() {
    let dist = Dist::new("proxy-names");
    let suite = behind_a_proxy(&dist, true, RelayLimits::default()).await;
    let provider: SocketAddr = suite.provider_url().trim_start_matches("http://").parse().unwrap();
    let page = get(suite.app_addr(), "/payment", "class.test").await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page:.200}");
    assert!(page.contains("&quot;provider_origin&quot;:&quot;https://pay.test&quot;"), "{page}");
    assert!(page.contains("frame-src 'self' https://pay.test;"), "{page:.900}");
    let framed = get(provider, "/provider", "pay.test").await;
    assert!(framed.contains("frame-ancestors https://class.test;"), "{framed:.900}");
    let moved = get(suite.app_addr(), "/atomics", "class.test").await;
    assert!(moved.contains("location: https://atomics.test/atomics"), "{moved:.400}");
    for (addr, host) in
        [(suite.app_addr(), "pay.test"), (provider, "class.test"), (suite.app_addr(), "evil.test")]
    {
        let refused = get(addr, "/", host).await;
        assert!(refused.starts_with("HTTP/1.1 421"), "{host} on the wrong side: {refused:.200}");
    }
    assert!(relay_for(&suite, "198.51.100.1").await.is_ok(), "the app's public origin uses the relay");
    suite.shutdown().await;
}

#[tokio::test]
async fn the_relays_per_address_cap_counts_the_clients_a_trusted_proxy_forwards_for() {
    let dist = Dist::new("proxy-caps");
    let limits = RelayLimits { max_connections_per_address: 2, ..RelayLimits::default() };
    let suite = behind_a_proxy(&dist, true, limits).await;
    let first =
        [relay_for(&suite, "198.51.100.1").await.unwrap(), relay_for(&suite, "198.51.100.1").await.unwrap()];
    assert_eq!(status_of(relay_for(&suite, "198.51.100.1").await), 429, "that client's third");
    assert_eq!(
        status_of(relay_for(&suite, "198.51.100.2").await),
        101,
        "another client behind the same proxy"
    );
    drop(first);
    suite.shutdown().await;

    // Without the proxy trusted, the header is anybody's word: the peer is what counts.
    let suite = behind_a_proxy(&dist, false, limits).await;
    let held =
        [relay_for(&suite, "198.51.100.1").await.unwrap(), relay_for(&suite, "198.51.100.2").await.unwrap()];
    assert_eq!(status_of(relay_for(&suite, "198.51.100.3").await), 429, "one peer, whatever it claims");
    drop(held);
    suite.shutdown().await;
}
