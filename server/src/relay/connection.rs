//! One client's connection: reads its frames (size, rate, decode, then the rooms), writes its
//! queue, pings it, and closes it with the code that says why.

use std::num::NonZeroU32;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use crosstalk_protocol::relay::{close, RelayMsg};
use crosstalk_protocol::{decode, DecodeError, Reason, ReasonCode};
use futures_util::{SinkExt, StreamExt};
use governor::{Quota, RateLimiter};
use tokio_util::sync::CancellationToken;

use super::health::close_name;
use super::rooms::{Kick, Outbox};
use super::{now_ms, Relay, MAX_FRAME};

/// How long a close frame may take to go out before the socket is simply dropped.
const CLOSE_WITHIN: Duration = Duration::from_secs(1);
const SLOW_CLOSE_WITHIN: Duration = Duration::from_secs(5);

/// How a connection ended.
enum Ending {
    /// The relay closes it, with this code and reason.
    Close(Kick),
    /// The relay closes it while the client is still sending — a frame too big to read at all,
    /// or a flood past the rate limit: what is still coming is drained (see
    /// [`crate::http::Drain`]) so that the client hears the close rather than a reset.
    CloseUnread(Kick),
    /// The client sent a close frame.
    ClientClosed(u16),
    /// The connection broke without a close.
    Dropped,
}

/// Serves one client until it ends; `_seat` holds its place among its address's connections.
pub(super) async fn serve(
    socket: WebSocket,
    relay: Relay,
    run: CancellationToken,
    _seat: crate::http::Seat,
    drain: crate::http::Drain,
) {
    let limits = relay.limits();
    let (outbox, mut queue) = Outbox::new(limits.queue_frames);
    let Some(id) = relay.rooms().connect(outbox.clone()) else {
        // Raced past the cap between the upgrade's check and now.
        return;
    };
    let (mut sink, mut stream) = socket.split();
    let one = NonZeroU32::MIN;
    let quota = Quota::per_second(NonZeroU32::new(limits.rate_per_second).unwrap_or(one))
        .allow_burst(NonZeroU32::new(limits.burst).unwrap_or(one));
    let limiter = RateLimiter::direct(quota);
    let mut strikes = 0u32;
    let mut ping = tokio::time::interval(limits.ping_every);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ping.tick().await;
    let mut last_heard = Instant::now();
    let kicked = || outbox.kicked_for().unwrap_or(Kick { code: close::GOING_AWAY, reason: "closed".into() });
    let going_away = || Kick { code: close::GOING_AWAY, reason: "the relay is going away".into() };

    let ending = loop {
        tokio::select! {
            biased;
            _ = outbox.kicked.cancelled() => break Ending::Close(kicked()),
            _ = run.cancelled() => break Ending::Close(going_away()),
            frame = queue.recv() => {
                let Some(frame) = frame else { break Ending::Dropped };
                let bytes = frame.len();
                // A client too slow to read blocks this write; a kick must still get through.
                let written = tokio::select! {
                    written = sink.send(Message::Text(frame)) => written,
                    _ = outbox.kicked.cancelled() => break Ending::Close(kicked()),
                    _ = run.cancelled() => break Ending::Close(going_away()),
                };
                outbox.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
                if written.is_err() {
                    break Ending::Dropped;
                }
            }
            incoming = stream.next() => {
                let message = match incoming {
                    None => break Ending::Dropped,
                    Some(Err(error)) => {
                        let said = error.to_string();
                        if is_too_big(error.into_inner()) {
                            break Ending::CloseUnread(too_big(&said));
                        }
                        break Ending::Dropped;
                    }
                    Some(Ok(message)) => message,
                };
                last_heard = Instant::now();
                let text = match message {
                    Message::Text(text) => text,
                    Message::Close(frame) => break Ending::ClientClosed(frame.map_or(1005, |f| f.code)),
                    Message::Ping(_) | Message::Pong(_) => continue,
                    Message::Binary(_) => {
                        let error = DecodeError::NotText { got: "a binary frame".into() };
                        relay.rooms().refuse(id, error.reason(), now_ms());
                        continue;
                    }
                };
                if text.len() > MAX_FRAME {
                    break Ending::Close(too_big(&format!("{} bytes", text.len())));
                }
                if limiter.check().is_err() {
                    strikes += 1;
                    if strikes > limits.strikes {
                        let reason = format!("kept sending over {} frames a second", limits.rate_per_second);
                        // A flooding client has more frames in flight than the socket's buffers
                        // hold: closing with them unread would reset the close frame away.
                        break Ending::CloseUnread(Kick { code: close::POLICY, reason });
                    }
                    let said = format!(
                        "over the rate ({} frames a second, bursts of {}): not relayed; keep on and the relay closes",
                        limits.rate_per_second, limits.burst
                    );
                    relay.rooms().refuse(id, Reason::new(ReasonCode::RateLimited, said), now_ms());
                    continue;
                }
                strikes = 0;
                match decode::<RelayMsg>(&text) {
                    Ok(envelope) => relay.receive(id, envelope).await,
                    Err(error) => relay.rooms().refuse(id, error.reason(), now_ms()),
                }
            }
            _ = ping.tick() => {
                if last_heard.elapsed() > limits.ping_every + limits.pong_within {
                    let reason = "did not answer pings".to_owned();
                    break Ending::Close(Kick { code: close::SILENT, reason });
                }
                let pinged = tokio::select! {
                    pinged = sink.send(Message::Ping(Default::default())) => pinged,
                    _ = outbox.kicked.cancelled() => break Ending::Close(kicked()),
                    _ = run.cancelled() => break Ending::Close(going_away()),
                };
                if pinged.is_err() {
                    break Ending::Dropped;
                }
            }
        }
    };

    relay.rooms().disconnect(id, now_ms());
    relay.tell_leaves().await;
    let unread = matches!(ending, Ending::CloseUnread(_));
    let (why, close) = match ending {
        Ending::Close(kick) | Ending::CloseUnread(kick) => (close_name(kick.code), Some(kick)),
        Ending::ClientClosed(code) => (close_name(code), None),
        Ending::Dropped => ("dropped", None),
    };
    // Counted before the close frame goes out: that may wait on a full pipe.
    relay.stats().closed(why);
    tracing::debug!(connection = id, why, "relay: connection ended");
    if close.is_none() {
        // Answers the client's close frame (queued by the WebSocket layer) before hanging up,
        // so the page sees its own code, not 1006.
        let _ = tokio::time::timeout(CLOSE_WITHIN, sink.close()).await;
    }
    if let Some(kick) = close {
        // A slow client's pipe is full: its close frame goes out only once it has read what was
        // already sent, so it gets longer.
        let within = if kick.code == close::TOO_SLOW { SLOW_CLOSE_WITHIN } else { CLOSE_WITHIN };
        let frame = CloseFrame { code: kick.code, reason: Utf8Bytes::from(kick.reason) };
        if unread {
            // The socket reads what is still coming and throws it away once this task lets go
            // of it, so the close frame is read rather than reset away.
            drain.start();
        }
        let _ = tokio::time::timeout(within, sink.send(Message::Close(Some(frame)))).await;
    }
}

/// Whether the WebSocket library gave up on a frame for its size (a message or frame over the
/// limit it was given), told by the error's kind.
fn is_too_big(error: Box<dyn std::error::Error + Send + Sync>) -> bool {
    matches!(error.downcast_ref::<tungstenite::Error>(), Some(tungstenite::Error::Capacity(_)))
}

fn too_big(what: &str) -> Kick {
    Kick { code: close::TOO_BIG, reason: format!("frames may be at most {} KiB ({what})", MAX_FRAME / 1024) }
}
