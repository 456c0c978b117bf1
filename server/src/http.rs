//! Accepting connections: every origin's listener serves HTTP/1.1 through hyper's connection
//! builder with a clock, so a client that is slow on purpose cannot hold the server.
//!
//! Implementation note: `axum::serve` sets no timer, so hyper never times out a request head
//! there — 400 sockets that send half a request stay open for ever, and enough of them take
//! every file descriptor (slowloris). Here each limit is a named setting with one outcome:
//!
//! | limit | default | when reached |
//! |---|---|---|
//! | [`HttpLimits::header_read_timeout`] | 10 s | the connection is closed; it also bounds how long an idle keep-alive connection waits for its next request |
//! | [`HttpLimits::max_header_bytes`] | 16 KiB | `431 Request Header Fields Too Large`, then closed |
//! | [`HttpLimits::max_connections`] | 4,096 per origin | the new connection is closed at once |
//! | [`HttpLimits::max_connections_per_address`] | 512 per origin | the same, for one client address |
//!
//! WebSocket connections (`/ws`) leave these once upgraded; the relay's own limits take over
//! (including its per-address cap, [`crate::RelayLimits::max_connections_per_address`]).
//!
//! Every connection's socket is a [`Drainable`]: the relay can turn its reads into a sink
//! ([`Drain`], in each request's extensions) once it has said why it closes, so a client still
//! writing a frame too big to read hears the close instead of a reset (see [`Drain`]).

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt as _;

/// Every limit of the HTTP side; each has one clear outcome when reached (see the module).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// How long a request's head may take to arrive, counted from when the connection starts
    /// waiting for it (so it is also the idle keep-alive timeout).
    pub header_read_timeout: Duration,
    /// Largest request head (request line and headers) read; browsers send a few KiB.
    pub max_header_bytes: usize,
    /// Connections open at once on one listener (a WebSocket leaves this count once upgraded).
    pub max_connections: usize,
    /// Connections open at once from one client address on one listener.
    pub max_connections_per_address: usize,
    /// How long stopping waits for requests in flight before dropping their connections.
    pub shutdown_grace: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 16 * 1024,
            max_connections: 4096,
            max_connections_per_address: 512,
            shutdown_grace: Duration::from_secs(2),
        }
    }
}

/// hyper refuses a read buffer under this; the head limit below it is enforced on its own.
const MIN_READ_BUFFER: usize = 8192;

/// Connections open now, in total and per client address (the HTTP side's and the relay's).
#[derive(Debug, Default, Clone)]
pub struct Seats(Arc<Mutex<Open>>);

#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// One open connection's place in [`Seats`]; given back when it is dropped.
#[derive(Debug)]
pub struct Seat {
    open: Arc<Mutex<Open>>,
    ip: IpAddr,
}

impl Seats {
    /// A seat for a connection from `ip`, unless `total` or `per_address` are open already.
    pub fn take(&self, ip: IpAddr, total: usize, per_address: usize) -> Option<Seat> {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let mine = now.by_address.get(&ip).copied().unwrap_or(0);
        if now.total >= total || mine >= per_address {
            return None;
        }
        now.total += 1;
        *now.by_address.entry(ip).or_default() += 1;
        Some(Seat { open: Arc::clone(&self.0), ip })
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        let mut now = self.open.lock().unwrap_or_else(|p| p.into_inner());
        now.total = now.total.saturating_sub(1);
        if let Some(count) = now.by_address.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                now.by_address.remove(&self.ip);
            }
        }
    }
}

/// Serves `router` on `listener` until `stop` is cancelled; then lets requests in flight
/// finish (at most [`HttpLimits::shutdown_grace`]) and returns. Each request carries
/// [`ConnectInfo`] with the client's address.
pub async fn serve(listener: TcpListener, router: Router, limits: HttpLimits, stop: CancellationToken) {
    let seats = Seats::default();
    let connections = TaskTracker::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits.max_header_bytes)
        .max_buf_size(limits.max_header_bytes.max(MIN_READ_BUFFER) + MIN_READ_BUFFER);
    loop {
        let (tcp, peer) = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors, or the peer gave up before the accept: wait a moment
                    // rather than spin, then go on.
                    tracing::debug!(%error, "http: accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        let seat = seats.take(peer.ip(), limits.max_connections, limits.max_connections_per_address);
        let Some(seat) = seat else {
            tracing::debug!(%peer, "http: over the connection limits, closed at once");
            continue;
        };
        // Small frames go out at once: Nagle's algorithm would hold a relay message back
        // waiting for an acknowledgement.
        let _ = tcp.set_nodelay(true);
        let (tcp, drain) = Drainable::new(tcp);
        let service = router.clone().map_request(move |mut request: axum::extract::Request<_>| {
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            request.extensions_mut().insert(drain.clone());
            request
        });
        let connection =
            builder.serve_connection(TokioIo::new(tcp), TowerToHyperService::new(service)).with_upgrades();
        let stop = stop.clone();
        connections.spawn(async move {
            let _seat = seat;
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stop.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    connections.close();
    let _ = tokio::time::timeout(limits.shutdown_grace, connections.wait()).await;
}

/// The client's address of a request served by [`serve`].
pub fn peer_of<B>(request: &axum::http::Request<B>) -> Option<SocketAddr> {
    request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0)
}

/// Turns a connection's reads into a sink: from [`Drain::start`] on, whatever the client sends is
/// thrown away, and when the connection is let go of, its socket lingers — it says it is done
/// writing, then reads and discards until the client closes too, goes quiet for
/// [`LINGER_QUIET`], or [`LINGER_WITHIN`] has passed — before it is closed.
///
/// Implementation note: a WebSocket frame whose header announces more than the layer reads at
/// all is refused before its payload is read. Closing the socket then, with that payload still
/// arriving, makes the kernel answer with a reset, which throws away the close frame the client
/// had not read yet: the client never learns why. The WebSocket layer stops reading after such
/// an error, and must not read on (it would buffer the whole announced frame), so the socket
/// itself drains.
#[derive(Debug, Clone, Default)]
pub struct Drain(Arc<AtomicBool>);

/// How long a drained socket lingers at most, and how long a quiet client is waited for.
pub const LINGER_WITHIN: Duration = Duration::from_secs(2);
pub const LINGER_QUIET: Duration = Duration::from_millis(100);

impl Drain {
    /// From now on the connection's incoming bytes are discarded, and it lingers when let go of.
    pub fn start(&self) {
        self.0.store(true, Ordering::Release);
    }

    fn on(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// The client's [`Drain`] switch of a request served by [`serve`].
pub fn drain_of<B>(request: &axum::http::Request<B>) -> Drain {
    request.extensions().get::<Drain>().cloned().unwrap_or_default()
}

/// A TCP stream whose reads a [`Drain`] can turn into a sink.
#[derive(Debug)]
pub struct Drainable {
    /// Always there until dropped.
    tcp: Option<TcpStream>,
    drain: Drain,
}

impl Drainable {
    pub fn new(tcp: TcpStream) -> (Drainable, Drain) {
        let drain = Drain::default();
        (Drainable { tcp: Some(tcp), drain: drain.clone() }, drain)
    }

    fn tcp(&mut self) -> io::Result<Pin<&mut TcpStream>> {
        self.tcp.as_mut().map(Pin::new).ok_or_else(|| io::ErrorKind::NotConnected.into())
    }
}

impl Drop for Drainable {
    fn drop(&mut self) {
        let (Some(tcp), true) = (self.tcp.take(), self.drain.on()) else { return };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(linger(tcp));
        }
    }
}

/// See [`Drain`].
async fn linger(mut tcp: TcpStream) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let _ = tcp.shutdown().await;
    let deadline = tokio::time::Instant::now() + LINGER_WITHIN;
    let mut scratch = vec![0u8; 64 * 1024];
    while tokio::time::Instant::now() < deadline {
        match tokio::time::timeout(LINGER_QUIET, tcp.read(&mut scratch)).await {
            Ok(Ok(n)) if n > 0 => continue,
            _ => return,
        }
    }
}

impl AsyncRead for Drainable {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let draining = this.drain.on();
        let mut tcp = this.tcp()?;
        if !draining {
            return tcp.poll_read(cx, buf);
        }
        let mut scratch = [0u8; 4096];
        let mut sink = ReadBuf::new(&mut scratch);
        match tcp.as_mut().poll_read(cx, &mut sink) {
            // The end (or a broken socket) is passed on: the reader stops.
            Poll::Ready(Ok(())) if sink.filled().is_empty() => Poll::Ready(Ok(())),
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            // Thrown away; come back for more after others have had a turn.
            Poll::Ready(Ok(())) => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for Drainable {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        self.get_mut().tcp()?.poll_write(cx, data)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().tcp()?.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().tcp()?.poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().tcp()?.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.as_ref().is_some_and(TcpStream::is_write_vectored)
    }
}
