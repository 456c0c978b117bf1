//! What the relay's parts say to each other: the leaf every other module of the relay may use,
//! and which uses none of them.

use crosstalk_protocol::SenderId;
use serde::{Deserialize, Serialize};

pub type ConnId = u64;

/// Which connection, on which instance, sent a text (it gets `accepted`, the others `relayed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    pub instance: String,
    pub conn: ConnId,
}

/// A text the room has numbered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Said {
    /// The room's number for it, one sequence across every instance.
    pub room_seq: u64,
    /// When it was numbered (ms since the epoch, the numberer's clock): history ages by it.
    pub at: f64,
    pub from: SenderId,
    /// The sender's own number for it.
    pub seq: u64,
    pub sent_at: f64,
    pub text: String,
    pub origin: Origin,
}

/// A text before the room numbers it: what an instance hands the bus.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Draft {
    pub room: String,
    pub from: SenderId,
    pub seq: u64,
    pub sent_at: f64,
    pub text: String,
    pub origin: Origin,
}

impl Draft {
    /// Numbered `room_seq` at `at`.
    pub fn numbered(self, room_seq: u64, at: f64) -> Said {
        let Draft { from, seq, sent_at, text, origin, .. } = self;
        Said { room_seq, at, from, seq, sent_at, text, origin }
    }
}

/// Someone joined or left a room, or its count changed; `members` counts every instance's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Headcount {
    pub room: String,
    pub members: u32,
    pub joined: Option<SenderId>,
    pub left: Option<SenderId>,
    /// The connection that joined or left (it is not told of itself).
    pub origin: Origin,
}

/// What `/health` says of the bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusState {
    /// One process, no broker.
    Memory,
    /// Connected: rooms span instances.
    Redis,
    /// The broker is unreachable (why): this instance serves its own members alone.
    Degraded(String),
}

impl BusState {
    pub fn name(&self) -> &'static str {
        match self {
            BusState::Memory => "memory",
            BusState::Redis => "redis",
            BusState::Degraded(_) => "degraded",
        }
    }
}
