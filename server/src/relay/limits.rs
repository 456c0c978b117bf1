//! Every limit of the relay, in one place: each has one clear outcome when reached.

use std::time::Duration;

use super::history::HistoryLimits;

/// Every limit of the relay; each has one clear outcome when reached.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RelayLimits {
    /// Connections at once; one more is refused before the upgrade (503).
    pub max_connections: usize,
    /// Connections at once from one client address, so one machine cannot take them all; one
    /// more is refused before the upgrade (429).
    pub max_connections_per_address: usize,
    /// Rooms at once, and members of one room; one more gets a `room-full` error frame.
    pub max_rooms: usize,
    pub max_members: usize,
    /// Frames a client may send per second, and in one burst; over it, `rate-limited` error
    /// frames, and after `strikes` of those in a row, close 1008.
    pub rate_per_second: u32,
    pub burst: u32,
    pub strikes: u32,
    /// A client's outbound queue, in frames and bytes; a client that lets it fill is closed
    /// with 4000 (too slow) and the room carries on.
    pub queue_frames: usize,
    pub queue_bytes: usize,
    /// How often the relay pings, and how long after a ping a client may stay silent before it
    /// is closed with 4001.
    pub ping_every: Duration,
    pub pong_within: Duration,
    /// What each room keeps for clients that come back.
    pub history: HistoryLimits,
}

impl Default for RelayLimits {
    fn default() -> Self {
        RelayLimits {
            max_connections: 1024,
            max_connections_per_address: 256,
            max_rooms: 1024,
            max_members: 256,
            rate_per_second: 100,
            burst: 200,
            strikes: 50,
            queue_frames: 1024,
            queue_bytes: 1024 * 1024,
            ping_every: Duration::from_secs(25),
            pong_within: Duration::from_secs(10),
            history: HistoryLimits::default(),
        }
    }
}
