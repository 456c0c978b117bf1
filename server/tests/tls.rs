//! The suite over TLS with real sockets on loopback: what is refused at start (a key that is not
//! the certificate's, a name the certificate does not cover, files that are not PEM), every origin
//! and the relay over https and wss, HTTP/2 by ALPN, and the clients that never finish a handshake
//! or speak plain http to a TLS port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crosstalk_server::tls::TlsFiles;
use crosstalk_server::{HttpLimits, Scheme, Suite, SuiteConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

mod common;
use common::certs::{Issued, TestCa};
use common::*;

/// The name the suite is reached by in these tests (never resolved: clients connect to loopback
/// and send it as the TLS server name and the Host).
const NAME: &str = "classroom.test";

fn config(dist: &Dist, issued: &Issued, limits: HttpLimits) -> SuiteConfig {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut config = SuiteConfig::on_ports(dist.0.clone(), any, None).unwrap();
    config.tls = Some(TlsFiles { cert: issued.cert.clone(), key: issued.key.clone() });
    config.scheme = Scheme::Https;
    config.public_names.push(NAME.to_owned());
    config.certified_names.push(NAME.to_owned());
    config.http_limits = limits;
    config
}

async fn started(dist: &Dist, ca: &TestCa, limits: HttpLimits) -> Suite {
    Suite::start(config(dist, &ca.issue("server", &[NAME]), limits)).await.unwrap()
}

/// Why the suite did not start, as its one line.
async fn refused(config: SuiteConfig) -> String {
    match Suite::start(config).await {
        Ok(_) => panic!("started"),
        Err(e) => e.to_string(),
    }
}

/// A TLS connection to `port` that trusts `ca` and offers `alpn`.
async fn connect(
    ca: &TestCa,
    port: u16,
    alpn: &[&[u8]],
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let mut roots = RootCertStore::empty();
    roots.add(ca.root()).unwrap();
    let mut client = ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
    client.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
    TlsConnector::from(Arc::new(client)).connect(ServerName::try_from(NAME).unwrap(), tcp).await
}

/// `GET path` over HTTP/1.1 on TLS: the whole answer.
async fn get(ca: &TestCa, port: u16, path: &str) -> String {
    let mut tls = connect(ca, port, &[b"http/1.1"]).await.expect("a TLS connection");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {NAME}:{port}\r\nConnection: close\r\n\r\n");
    tls.write_all(request.as_bytes()).await.unwrap();
    String::from_utf8_lossy(&read_to_end(&mut tls).await.0).into_owned()
}

fn port_of(url: &str) -> u16 {
    url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("a port")
}

#[tokio::test]
async fn a_key_that_is_not_the_certificates_is_refused_at_start() {
    let (dist, ca) = (Dist::new("mismatch"), TestCa::new());
    let (mine, other) = (ca.issue("mine", &[NAME]), ca.issue("other", &[NAME]));
    let crossed = Issued { cert: mine.cert.clone(), key: other.key.clone() };
    let said = refused(config(&dist, &crossed, HttpLimits::default())).await;
    assert!(said.contains("--tls-key") && said.contains("--tls-cert"), "{said}");
    assert!(said.contains("do not match") && said.contains("other.key"), "{said}");
}

#[tokio::test]
async fn a_certificate_that_does_not_cover_the_public_name_is_refused_at_start() {
    let (dist, ca) = (Dist::new("uncovered"), TestCa::new());
    let elsewhere = ca.issue("elsewhere", &["elsewhere.test", "localhost"]);
    let said = refused(config(&dist, &elsewhere, HttpLimits::default())).await;
    assert!(said.contains("does not cover classroom.test") && said.contains("elsewhere.pem"), "{said}");
    let among_others = ca.issue("among-others", &["elsewhere.test", NAME]);
    let suite = Suite::start(config(&dist, &among_others, HttpLimits::default())).await;
    suite.expect("one of its names is enough").shutdown().await;
}

#[tokio::test]
async fn files_that_are_missing_or_not_pem_are_named_with_their_flag() {
    let (dist, ca) = (Dist::new("not-pem"), TestCa::new());
    let good = ca.issue("good", &[NAME]);
    let text = ca.write("notes.txt", "not a certificate\n");
    let missing = Issued { cert: ca.write("x", "").with_file_name("missing.pem"), key: good.key.clone() };
    for (files, says) in [
        (missing, "--tls-cert"),
        (Issued { cert: text.clone(), key: good.key.clone() }, "no certificate"),
        (Issued { cert: good.cert.clone(), key: text.clone() }, "no private key"),
        (Issued { cert: good.key.clone(), key: good.key.clone() }, "no certificate"),
    ] {
        let said = refused(config(&dist, &files, HttpLimits::default())).await;
        assert!(said.contains(says), "{says}: {said}");
    }
}

#[tokio::test]
async fn every_origin_is_served_over_https_and_names_the_others_with_https() {
    let (dist, ca) = (Dist::new("https"), TestCa::new());
    let suite = started(&dist, &ca, HttpLimits::default()).await;
    let (app, provider, isolated) =
        (suite.app_addr().port(), port_of(&suite.provider_url()), suite.isolated_port());
    assert!(suite.app_url().starts_with("https://"), "{}", suite.app_url());
    let page = get(&ca, app, "/payment").await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page:.200}");
    assert!(page.contains(&format!("https://{NAME}:{provider}")), "the provider's origin: {page}");
    let policy = page.lines().find(|l| l.to_lowercase().starts_with("content-security-policy")).unwrap();
    assert!(policy.contains(&format!("connect-src 'self' wss://{NAME}:{app} https://{NAME}:{provider}")));
    assert!(policy.contains(&format!("frame-src 'self' https://{NAME}:{provider};")), "{policy}");
    let framed = get(&ca, provider, "/provider").await;
    assert!(framed.contains(&format!("frame-ancestors https://{NAME}:{app};")), "{framed:.600}");
    let isolated_page = get(&ca, isolated, "/atomics").await;
    assert!(isolated_page.starts_with("HTTP/1.1 200"), "{isolated_page:.200}");
    let moved = get(&ca, app, "/atomics").await;
    assert!(moved.contains(&format!("location: https://{NAME}:{isolated}/atomics")), "{moved:.300}");
    suite.shutdown().await;
}

#[tokio::test]
async fn http2_is_offered_by_alpn_with_its_named_limits() {
    let (dist, ca) = (Dist::new("h2"), TestCa::new());
    let suite = started(&dist, &ca, HttpLimits::default()).await;
    let mut tls = connect(&ca, suite.app_addr().port(), &[b"h2", b"http/1.1"]).await.unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(b"h2".as_slice()));
    // The client's preface and an empty SETTINGS frame; the server's first frame is its SETTINGS.
    tls.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0").await.unwrap();
    let mut head = [0u8; 9];
    tls.read_exact(&mut head).await.unwrap();
    let (len, kind) = (u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize, head[3]);
    assert_eq!(kind, 0x4, "a SETTINGS frame");
    let mut settings = vec![0u8; len];
    tls.read_exact(&mut settings).await.unwrap();
    let streams = settings
        .chunks(6)
        .find(|s| u16::from_be_bytes([s[0], s[1]]) == 0x3)
        .map(|s| u32::from_be_bytes([s[2], s[3], s[4], s[5]]));
    assert_eq!(streams, Some(HttpLimits::default().h2_max_concurrent_streams));
    // A page asked for over HTTP/2, as a browser asks: `:authority`, no `Host` header.
    let port = suite.app_addr().port();
    let tls = connect(&ca, port, &[b"h2"]).await.unwrap();
    let io = hyper_util::rt::TokioIo::new(tls);
    let (mut send, connection) =
        hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io).await.unwrap();
    tokio::spawn(connection);
    let request = hyper::Request::get(format!("https://{NAME}:{port}/payment")).body(String::new()).unwrap();
    assert!(request.headers().get("host").is_none());
    let answer = send.send_request(request).await.unwrap();
    assert_eq!(answer.status(), 200, "answered under its :authority");
    let policy = answer.headers().get("content-security-policy").and_then(|v| v.to_str().ok());
    assert!(policy.is_some_and(|p| p.contains(&format!("wss://{NAME}:{port}"))), "{policy:?}");
    let plain = connect(&ca, suite.app_addr().port(), &[b"http/1.1"]).await.unwrap();
    assert_eq!(plain.get_ref().1.alpn_protocol(), Some(b"http/1.1".as_slice()), "HTTP/1.1 still");
    suite.shutdown().await;
}

#[tokio::test]
async fn the_relay_answers_wss_from_the_apps_https_origin_only() {
    let (dist, ca) = (Dist::new("wss"), TestCa::new());
    let suite = started(&dist, &ca, HttpLimits::default()).await;
    let port = suite.app_addr().port();
    let upgrade = async |origin: &str| {
        let tls = connect(&ca, port, &[b"http/1.1"]).await.unwrap();
        let mut request = format!("wss://{NAME}:{port}/ws").into_client_request().unwrap();
        request.headers_mut().insert("origin", HeaderValue::from_str(origin).unwrap());
        tokio_tungstenite::client_async(request, tls).await.map(|(ws, _)| ws)
    };
    assert!(upgrade(&format!("https://{NAME}:{port}")).await.is_ok(), "the app's own origin");
    match upgrade(&format!("http://{NAME}:{port}")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 403),
        other => panic!("the same name over http is another origin: {:?}", other.map(|_| "connected")),
    }
    suite.shutdown().await;
}

#[tokio::test]
async fn a_handshake_that_never_finishes_is_closed_within_the_header_timeout() {
    let (dist, ca) = (Dist::new("stalled"), TestCa::new());
    let limits = HttpLimits { header_read_timeout: Duration::from_millis(500), ..HttpLimits::default() };
    let suite = started(&dist, &ca, limits).await;
    let addr = suite.app_addr();
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut halfway = TcpStream::connect(addr).await.unwrap();
    // The first bytes of a ClientHello's record, and then nothing.
    halfway.write_all(&[0x16, 0x03, 0x01, 0x02]).await.unwrap();
    for (which, socket) in [("silent", &mut silent), ("halfway", &mut halfway)] {
        let (said, _) = read_to_end(socket).await;
        assert!(said.is_empty(), "{which}: closed without a word: {said:?}");
    }
    assert!(get(&ca, addr.port(), "/").await.starts_with("HTTP/1.1 200"), "the listener serves on");
    suite.shutdown().await;
}

#[tokio::test]
async fn plain_http_on_a_tls_port_is_told_it_speaks_https() {
    let (dist, ca) = (Dist::new("plain"), TestCa::new());
    let suite = started(&dist, &ca, HttpLimits::default()).await;
    let addr = suite.app_addr();
    let mut plain = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET / HTTP/1.1\r\nHost: {NAME}:{}\r\nUser-Agent: curl\r\n\r\n", addr.port());
    plain.write_all(request.as_bytes()).await.unwrap();
    let (said, ended) = read_to_end(&mut plain).await;
    let said = String::from_utf8_lossy(&said);
    assert!(said.starts_with("HTTP/1.1 400") && said.contains("speaks https"), "{said}");
    assert!(ended.is_ok(), "closed with a FIN, so the answer is read: {ended:?}");
    assert!(get(&ca, addr.port(), "/").await.starts_with("HTTP/1.1 200"), "the listener serves on");
    suite.shutdown().await;
}
