//! The relay's counters, and `GET /health`: what QA and monitoring read.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::types::BusState;

/// Counters the relay keeps as it runs; cheap to bump from any task.
#[derive(Debug, Default)]
pub struct Stats {
    relayed: AtomicU64,
    /// Messages off the broker that did not decode.
    bus_refused: AtomicU64,
    closes: Mutex<BTreeMap<&'static str, u64>>,
}

impl Stats {
    /// One text accepted and fanned out.
    pub fn relayed(&self) {
        self.relayed.fetch_add(1, Ordering::Relaxed);
    }

    /// One connection ended, for `why` (a close reason's name).
    pub fn closed(&self, why: &'static str) {
        if let Ok(mut closes) = self.closes.lock() {
            *closes.entry(why).or_default() += 1;
        }
    }

    /// One message off the broker refused (too big, or not what instances send).
    pub fn bus_refused(&self) {
        self.bus_refused.fetch_add(1, Ordering::Relaxed);
    }

    pub fn relayed_count(&self) -> u64 {
        self.relayed.load(Ordering::Relaxed)
    }

    pub fn closes(&self) -> BTreeMap<&'static str, u64> {
        self.closes.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

/// The `/health` document. `bus` is where rooms live: `memory` (this process), `redis` (shared
/// with other instances) or `degraded` (Redis is away: this instance's members only), with
/// `bus_why` saying why.
pub fn health_json(connections: usize, rooms: usize, stats: &Stats, bus: &BusState) -> String {
    let why = match bus {
        BusState::Degraded(why) => Some(why.as_str()),
        _ => None,
    };
    serde_json::json!({
        "status": "ok",
        "bus": bus.name(),
        "bus_why": why,
        "bus_refused": stats.bus_refused.load(Ordering::Relaxed),
        "connections": connections,
        "rooms": rooms,
        "relayed": stats.relayed_count(),
        "closes": stats.closes(),
    })
    .to_string()
}

/// The name a close is counted under, from its code.
pub fn close_name(code: u16) -> &'static str {
    use crosstalk_protocol::relay::close;
    match code {
        close::NORMAL => "normal",
        close::GOING_AWAY => "going-away",
        close::POLICY => "policy",
        close::TOO_BIG => "too-big",
        close::TOO_SLOW => "too-slow",
        close::SILENT => "silent",
        close::CUT => "cut",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_counts_connections_rooms_relays_and_closes_by_reason() {
        let stats = Stats::default();
        stats.relayed();
        stats.closed(close_name(1009));
        stats.closed(close_name(1009));
        stats.closed("dropped");
        let json: serde_json::Value =
            serde_json::from_str(&health_json(3, 1, &stats, &BusState::Memory)).unwrap();
        assert_eq!(json["bus"], "memory");
        assert_eq!(json["connections"], 3);
        assert_eq!(json["rooms"], 1);
        assert_eq!(json["relayed"], 1);
        assert_eq!(json["closes"]["too-big"], 2);
        assert_eq!(json["closes"]["dropped"], 1);
        let down = BusState::Degraded("connection refused".into());
        let json: serde_json::Value = serde_json::from_str(&health_json(0, 0, &stats, &down)).unwrap();
        assert_eq!(
            (json["bus"].as_str(), json["bus_why"].as_str()),
            (Some("degraded"), Some("connection refused"))
        );
    }
}
