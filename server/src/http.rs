//! Accepting connections: every origin's listener serves HTTP/1.1 (and, over TLS, HTTP/2 when the
//! browser offers it) through hyper's connection builders with a clock, so a client that is slow
//! on purpose cannot hold the server.
//!
//! Implementation note: `axum::serve` sets no timer, so hyper never times out a request head
//! there — 400 sockets that send half a request stay open for ever, and enough of them take
//! every file descriptor (slowloris). TLS has the same hole one step earlier: a client that opens
//! the connection and never finishes the handshake. Here each limit is a named setting with one
//! outcome:
//!
//! | limit | default | when reached |
//! |---|---|---|
//! | [`HttpLimits::header_read_timeout`] | 10 s | the connection is closed; it also bounds the TLS handshake (from the first byte on), and how long an idle HTTP/1.1 keep-alive connection waits for its next request |
//! | [`HttpLimits::max_header_bytes`] | 16 KiB | `431 Request Header Fields Too Large`, then closed (HTTP/2: the header list is refused) |
//! | [`HttpLimits::max_connections`] | 4,096 per origin | the new connection is closed at once |
//! | [`HttpLimits::max_connections_per_address`] | 512 per origin | the same, for one client address |
//! | [`HttpLimits::h2_max_concurrent_streams`] | 100 | HTTP/2: a stream over it is refused (`REFUSED_STREAM`); the browser retries it |
//! | [`HttpLimits::h2_max_pending_reset_streams`] | 20 | HTTP/2: a client that opens and resets streams faster is sent `GOAWAY` (the "rapid reset" attack) |
//! | [`HttpLimits::h2_keep_alive_interval`] | 20 s | HTTP/2: a ping; no answer within [`HttpLimits::h2_keep_alive_timeout`] (10 s) closes the connection |
//!
//! A TLS port answers plain http with one short `400` that says it speaks https, then closes
//! (`crate::tls::PLAIN_HTTP_ANSWER`); the listener goes on serving everyone else.
//!
//! WebSocket connections (`/ws`) leave these once upgraded; the relay's own limits take over
//! (including its per-address cap, [`crate::RelayLimits::max_connections_per_address`]). Browsers
//! open WebSockets over HTTP/1.1 (no extended CONNECT is offered over HTTP/2).
//!
//! Every connection's socket is a [`Drainable`], under TLS where there is TLS: the relay can turn
//! its reads into a sink ([`Drain`], in each request's extensions) once it has said why it
//! closes, so a client still writing hears the close instead of a reset (see [`Drain`]).

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
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt as _;

use crate::tls::{HANDSHAKE_RECORD, PLAIN_HTTP_ANSWER};

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
    /// HTTP/2 (over TLS): streams one connection may have open at once.
    pub h2_max_concurrent_streams: u32,
    /// HTTP/2: streams a client may reset before the server has answered them, at once.
    pub h2_max_pending_reset_streams: usize,
    /// HTTP/2: how often a quiet connection is pinged, and how long the answer may take.
    pub h2_keep_alive_interval: Duration,
    pub h2_keep_alive_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 16 * 1024,
            max_connections: 4096,
            max_connections_per_address: 512,
            shutdown_grace: Duration::from_secs(2),
            h2_max_concurrent_streams: 100,
            h2_max_pending_reset_streams: 20,
            h2_keep_alive_interval: Duration::from_secs(20),
            h2_keep_alive_timeout: Duration::from_secs(10),
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

/// How one listener serves: its limits, TLS where the suite speaks https, and the reverse proxies
/// whose forwarding headers are believed.
#[derive(Clone)]
pub struct Served {
    pub limits: HttpLimits,
    pub tls: Option<TlsAcceptor>,
    pub trusted_proxies: Arc<[IpAddr]>,
}

/// The client a request is from: the TCP peer, or, when the peer is a trusted proxy, the address
/// its `X-Forwarded-For` names last (the one that proxy added; earlier ones are the client's word).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// The address the trusted proxy forwarded for: the last entry of `X-Forwarded-For`.
pub fn forwarded_for(headers: &axum::http::HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?.to_str().ok()?;
    last.rsplit(',').next()?.trim().parse().ok()
}

/// The client address of a request served by [`serve`] ([`ClientAddr`]).
pub fn client_of(parts: &axum::http::request::Parts) -> Option<IpAddr> {
    parts.extensions.get::<ClientAddr>().map(|c| c.0)
}

/// Serves `router` on `listener` until `stop` is cancelled; then lets requests in flight
/// finish (at most [`HttpLimits::shutdown_grace`]) and returns. Each request carries
/// [`ConnectInfo`] with the client's address.
pub async fn serve(listener: TcpListener, router: Router, served: Served, stop: CancellationToken) {
    let Served { limits, tls, trusted_proxies } = served;
    let seats = Seats::default();
    let connections = TaskTracker::new();
    let mut http1 = hyper::server::conn::http1::Builder::new();
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits.max_header_bytes)
        .max_buf_size(limits.max_header_bytes.max(MIN_READ_BUFFER) + MIN_READ_BUFFER);
    let mut http2 = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    http2
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.h2_max_concurrent_streams)
        .max_pending_accept_reset_streams(limits.h2_max_pending_reset_streams)
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX))
        .keep_alive_interval(limits.h2_keep_alive_interval)
        .keep_alive_timeout(limits.h2_keep_alive_timeout);
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
        // A trusted proxy carries many clients' requests over its connections: it is held to the
        // total only, and each request is counted by the client it forwards for (the relay's cap).
        let proxied = trusted_proxies.contains(&peer.ip());
        let per_address = if proxied { usize::MAX } else { limits.max_connections_per_address };
        let seat = seats.take(peer.ip(), limits.max_connections, per_address);
        let Some(seat) = seat else {
            tracing::debug!(%peer, "http: over the connection limits, closed at once");
            continue;
        };
        // Small frames go out at once: Nagle's algorithm would hold a relay message back
        // waiting for an acknowledgement.
        let _ = tcp.set_nodelay(true);
        let service = |drain: Drain| {
            let service = router.clone().map_request(move |mut request: axum::extract::Request<_>| {
                let forwarded = if proxied { forwarded_for(request.headers()) } else { None };
                request.extensions_mut().insert(ClientAddr(forwarded.unwrap_or(peer.ip())));
                request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                request.extensions_mut().insert(drain.clone());
                request
            });
            TowerToHyperService::new(service)
        };
        let (stop, http1, http2, tls) = (stop.clone(), http1.clone(), http2.clone(), tls.clone());
        let (tcp, drain) = Drainable::new(tcp);
        let router = service(drain.clone());
        match tls {
            None => {
                let connection = http1.serve_connection(TokioIo::new(tcp), router).with_upgrades();
                connections.spawn(async move {
                    let _seat = seat;
                    until_stopped(connection, stop, |c| c.graceful_shutdown()).await;
                });
            }
            Some(acceptor) => {
                let deadline = tokio::time::Instant::now() + limits.header_read_timeout;
                connections.spawn(async move {
                    let _seat = seat;
                    let handshake = tokio::time::timeout_at(deadline, secure(tcp, drain, &acceptor));
                    let Ok(Some(tls)) = handshake.await else {
                        tracing::debug!(%peer, "http: no TLS connection within the header timeout, closed");
                        return;
                    };
                    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
                    let io = TokioIo::new(tls);
                    if h2 {
                        let connection = http2.serve_connection(io, router);
                        until_stopped(connection, stop, |c| c.graceful_shutdown()).await;
                    } else {
                        let connection = http1.serve_connection(io, router).with_upgrades();
                        until_stopped(connection, stop, |c| c.graceful_shutdown()).await;
                    }
                });
            }
        }
    }
    connections.close();
    let _ = tokio::time::timeout(limits.shutdown_grace, connections.wait()).await;
}

/// Drives one connection until it ends, or until `stop`: then asks it to finish what is in flight.
async fn until_stopped<C: std::future::Future>(
    connection: C,
    stop: CancellationToken,
    graceful: impl FnOnce(Pin<&mut C>),
) {
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = stop.cancelled() => {
            graceful(connection.as_mut());
            let _ = connection.await;
        }
    }
}

/// The TLS handshake on a new connection, or `None`: the client closed, sent plain http (it is
/// told, in one short answer, that the port speaks https), or the handshake failed.
async fn secure(
    mut tcp: Drainable,
    drain: Drain,
    acceptor: &TlsAcceptor,
) -> Option<tokio_rustls::server::TlsStream<Drainable>> {
    use tokio::io::AsyncWriteExt as _;
    let mut first = [0u8; 1];
    match tcp.peek(&mut first).await {
        Ok(1) if first[0] == HANDSHAKE_RECORD => {}
        Ok(1) => {
            // Plain http on a TLS port: one answer that says so; the request is then read and
            // thrown away while the socket closes (closing with it unread would reset the answer
            // away before the client reads it).
            if tcp.write_all(PLAIN_HTTP_ANSWER).await.is_ok() {
                drain.start();
            }
            return None;
        }
        _ => return None,
    }
    match acceptor.accept(tcp).await {
        Ok(tls) => Some(tls),
        Err(error) => {
            tracing::debug!(%error, "http: TLS handshake failed");
            None
        }
    }
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

    /// The first bytes waiting to be read, left there.
    async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        match &self.tcp {
            Some(tcp) => tcp.peek(buf).await,
            None => Err(io::ErrorKind::NotConnected.into()),
        }
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
