//! What the relay's integration tests share: a throwaway dist folder, real WebSocket clients, and
//! `/health`, against any relay instance — one started in the test, or a `crosstalk-server`
//! process.
#![allow(dead_code)]

pub mod certs;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crosstalk_protocol::relay::RelayMsg;
use crosstalk_protocol::{decode, Sender, SenderId};
use crosstalk_server::Suite;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A relay instance a test can reach: its app address (the relay is `/ws` there).
pub trait Instance {
    fn addr(&self) -> SocketAddr;
    fn app_url(&self) -> String {
        format!("http://{}", self.addr())
    }
}

impl Instance for Suite {
    fn addr(&self) -> SocketAddr {
        self.app_addr()
    }
}

pub type Ws = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// How long anything may take to be seen.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A throwaway dist folder with an index page, removed on drop.
pub struct Dist(pub PathBuf, tempfile::TempDir);

impl Dist {
    pub fn new(name: &str) -> Dist {
        let dir =
            tempfile::Builder::new().prefix(&format!("crosstalk-relay-test-{name}-")).tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), r#"<meta name="crosstalk-config" content="" />"#)
            .unwrap();
        Dist(dir.path().to_path_buf(), dir)
    }
}

/// A client of the relay: its socket and its own numbering.
pub struct Client {
    pub ws: Ws,
    pub sender: Sender,
}

impl Client {
    pub async fn connect(suite: &impl Instance, name: &str) -> Client {
        let ws = try_connect(suite, &suite.app_url()).await.expect("the relay takes the app's own origin");
        Client { ws, sender: Sender::new(SenderId(name.into())) }
    }

    pub async fn say(&mut self, body: RelayMsg) {
        let wire = self.sender.envelope(body, 0.0).encode().unwrap();
        self.ws.send(Message::text(wire)).await.expect("send");
    }

    pub async fn join(&mut self, room: &str) -> u32 {
        self.say(RelayMsg::Join { room: room.into(), after: None }).await;
        loop {
            if let RelayMsg::Joined { members, .. } = self.next().await {
                return members;
            }
        }
    }

    /// The next relay envelope's body (pings are answered by the library as it reads).
    pub async fn next(&mut self) -> RelayMsg {
        loop {
            let frame = tokio::time::timeout(PATIENCE, self.ws.next()).await.expect("a frame in time");
            match frame.expect("open").expect("readable") {
                Message::Text(text) => return decode::<RelayMsg>(text.as_str()).expect("an envelope").body,
                Message::Close(frame) => panic!("closed: {frame:?}"),
                _ => continue,
            }
        }
    }

    /// Reads until the relay closes; its close code.
    pub async fn close_code(&mut self) -> Option<u16> {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            match tokio::time::timeout(PATIENCE, self.ws.next()).await {
                Ok(Some(Ok(Message::Close(frame)))) => return frame.map(|f| u16::from(f.code)),
                Ok(Some(Ok(_))) => continue,
                _ => return None,
            }
        }
        None
    }
}

pub async fn try_connect(
    suite: &impl Instance,
    origin: &str,
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let url = format!("ws://{}/ws", suite.addr());
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("origin", HeaderValue::from_str(origin).unwrap());
    tokio_tungstenite::connect_async(request).await.map(|(ws, _)| ws)
}

/// `GET /health`, parsed.
pub async fn health(suite: &impl Instance) -> serde_json::Value {
    let addr = suite.addr();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {response}"))
}

/// Polls `/health` until `ok` holds of it.
pub async fn health_becomes(
    suite: &impl Instance,
    what: &str,
    ok: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let now = health(suite).await;
        if ok(&now) {
            return now;
        }
        assert!(Instant::now() < deadline, "waited for {what}; health says {now}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Reads until the server ends the connection: what it said, and whether it ended with a FIN
/// (`Ok`) or a reset (`Err`). Panics if it is still open after [`PATIENCE`].
pub async fn read_to_end(stream: &mut (impl tokio::io::AsyncRead + Unpin)) -> (Vec<u8>, std::io::Result<()>) {
    let mut said = Vec::new();
    let mut chunk = [0u8; 64 * 1024];
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut chunk)).await {
            Err(_) => panic!("still open after {PATIENCE:?}; said {:?}", String::from_utf8_lossy(&said)),
            Ok(Ok(0)) => return (said, Ok(())),
            Ok(Ok(n)) => said.extend_from_slice(&chunk[..n]),
            Ok(Err(error)) => return (said, Err(error)),
        }
    }
}
