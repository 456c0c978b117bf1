//! What a room said lately, kept so a client that reconnects with "last seen = N" gets N+1… before
//! live traffic. The in-memory relay keeps it here; with Redis the room's stream keeps it and this
//! one holds what this instance delivered (its fallback while the broker is down).
//!
//! Bounded three ways per room — messages, age and bytes — and in all: past `total_bytes` the
//! quietest rooms lose their texts (keeping their numbering), past `rooms` rooms the quietest is
//! forgotten. Numbers survive a room emptying (a client that was alone
//! in it can still resume), until the room is forgotten.

use std::collections::{BTreeMap, VecDeque};

use super::types::Said;

/// How much of a room's past is kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoryLimits {
    pub messages: usize,
    /// Older than this (ms) is gone, as if trimmed.
    pub max_age_ms: f64,
    /// Bytes of text per room.
    pub bytes: usize,
    /// Rooms whose history is kept at once.
    pub rooms: usize,
    /// Bytes of text in every room's history together: past it, the quietest rooms' texts go.
    pub total_bytes: usize,
}

impl Default for HistoryLimits {
    fn default() -> Self {
        HistoryLimits {
            messages: 1_000,
            max_age_ms: 5.0 * 60_000.0,
            bytes: 1024 * 1024,
            rooms: 1024,
            total_bytes: 64 * 1024 * 1024,
        }
    }
}

/// What a resuming client gets: the messages after its last seen, and how many it cannot get.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Since {
    pub items: Vec<Said>,
    /// Messages after `after` that the history no longer holds (trimmed or too old).
    pub missed: u64,
}

impl Since {
    /// From a room's kept messages (ascending), its last number `head`, a client's `after`, and
    /// the oldest time still served: the messages after `after` and a count of the rest.
    pub fn of(kept: impl IntoIterator<Item = Said>, head: u64, after: u64, oldest_ms: f64) -> Since {
        let items: Vec<Said> = kept.into_iter().filter(|s| s.room_seq > after && s.at >= oldest_ms).collect();
        let owed = head.saturating_sub(after);
        Since { missed: owed.saturating_sub(items.len() as u64), items }
    }

    /// At most `frames` texts of at most `bytes` in all, the newest: what a client's queue takes
    /// at once without the replay itself closing it as too slow. The older rest counts as missed.
    pub fn fitting(mut self, frames: usize, bytes: usize) -> Since {
        let (mut kept, mut size) = (0, 0);
        for said in self.items.iter().rev() {
            if kept == frames || size + said.text.len() > bytes {
                break;
            }
            kept += 1;
            size += said.text.len();
        }
        let dropped = self.items.len() - kept;
        self.items.drain(..dropped);
        self.missed += dropped as u64;
        self
    }
}

#[derive(Debug, Default)]
struct RoomHistory {
    /// The room's last number (kept even when the messages are trimmed).
    head: u64,
    kept: VecDeque<Said>,
    bytes: usize,
    /// When it last changed, for forgetting the quietest room.
    touched_ms: f64,
}

/// Every room's recent past.
#[derive(Debug, Default)]
pub struct Histories {
    limits: HistoryLimits,
    rooms: BTreeMap<String, RoomHistory>,
    /// Bytes of text kept in every room.
    bytes: usize,
}

impl Histories {
    pub fn new(limits: HistoryLimits) -> Histories {
        Histories { limits, rooms: BTreeMap::new(), bytes: 0 }
    }

    /// The room's last number, 0 when it has none.
    pub fn head(&self, room: &str) -> u64 {
        self.rooms.get(room).map_or(0, |r| r.head)
    }

    /// Keeps `said` (numbered by whoever numbers the room); older numbers than the head are
    /// ignored (a duplicate delivery).
    pub fn keep(&mut self, room: &str, said: Said, now_ms: f64) {
        if !self.rooms.contains_key(room) && self.rooms.len() >= self.limits.rooms {
            self.forget_quietest(room);
        }
        let limits = self.limits;
        let history = self.rooms.entry(room.to_owned()).or_default();
        if said.room_seq <= history.head && history.head != 0 {
            return;
        }
        history.head = said.room_seq;
        history.touched_ms = now_ms;
        history.bytes += said.text.len();
        self.bytes += said.text.len();
        history.kept.push_back(said);
        let oldest = now_ms - limits.max_age_ms;
        while let Some(first) = history.kept.front() {
            let over =
                history.kept.len() > limits.messages || history.bytes > limits.bytes || first.at < oldest;
            if !over {
                break;
            }
            history.bytes -= first.text.len();
            self.bytes -= first.text.len();
            history.kept.pop_front();
        }
        // Over the total: the quietest rooms lose their texts (not their numbering).
        while self.bytes > limits.total_bytes {
            let quietest = self
                .rooms
                .iter_mut()
                .filter(|(name, history)| name.as_str() != room && history.bytes > 0)
                .min_by(|a, b| a.1.touched_ms.total_cmp(&b.1.touched_ms));
            let Some((_, history)) = quietest else { break };
            self.bytes -= std::mem::take(&mut history.bytes);
            history.kept.clear();
        }
    }

    /// Moves the room's numbering up to at least `head` (a number given elsewhere).
    pub fn raise_head(&mut self, room: &str, head: u64) {
        if let Some(history) = self.rooms.get_mut(room) {
            history.head = history.head.max(head);
        }
    }

    /// What came after `after` in `room`.
    pub fn since(&self, room: &str, after: u64, now_ms: f64) -> Since {
        let Some(history) = self.rooms.get(room) else {
            return Since::default();
        };
        Since::of(history.kept.iter().cloned(), history.head, after, now_ms - self.limits.max_age_ms)
    }

    /// Forgets the room quiet the longest, never `keeping` (the one being written).
    fn forget_quietest(&mut self, keeping: &str) {
        let quietest = self
            .rooms
            .iter()
            .filter(|(name, _)| name.as_str() != keeping)
            .min_by(|a, b| a.1.touched_ms.total_cmp(&b.1.touched_ms))
            .map(|(name, _)| name.clone());
        if let Some(gone) = quietest.and_then(|name| self.rooms.remove(&name)) {
            self.bytes -= gone.bytes;
        }
    }

    pub fn rooms(&self) -> usize {
        self.rooms.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relay::types::Origin;
    use crosstalk_protocol::SenderId;

    fn said(room_seq: u64, at: f64, text: &str) -> Said {
        Said {
            room_seq,
            at,
            from: SenderId("tab-a".into()),
            seq: room_seq,
            sent_at: at,
            text: text.into(),
            origin: Origin { instance: "i1".into(), conn: 1 },
        }
    }

    fn numbers(since: &Since) -> Vec<u64> {
        since.items.iter().map(|s| s.room_seq).collect()
    }

    #[test]
    fn a_resuming_client_gets_exactly_what_came_after_its_last_seen() {
        let mut h = Histories::new(HistoryLimits::default());
        for n in 1..=5 {
            h.keep("lobby", said(n, 0.0, "x"), 0.0);
        }
        let since = h.since("lobby", 2, 0.0);
        assert_eq!((numbers(&since), since.missed), (vec![3, 4, 5], 0));
        assert_eq!(h.since("lobby", 5, 0.0), Since::default(), "up to date: nothing");
        assert_eq!(h.since("elsewhere", 0, 0.0), Since::default());
        h.keep("lobby", said(5, 0.0, "again"), 0.0);
        assert_eq!(numbers(&h.since("lobby", 0, 0.0)), [1, 2, 3, 4, 5], "a duplicate is not kept twice");
    }

    #[test]
    fn beyond_the_history_the_client_is_told_how_many_it_missed() {
        let limits = HistoryLimits { messages: 3, ..HistoryLimits::default() };
        let mut h = Histories::new(limits);
        for n in 1..=10 {
            h.keep("lobby", said(n, 0.0, "x"), 0.0);
        }
        let since = h.since("lobby", 2, 0.0);
        assert_eq!((numbers(&since), since.missed), (vec![8, 9, 10], 5), "3..=7 are gone");
    }

    #[test]
    fn a_replay_fits_the_clients_queue_keeping_the_newest() {
        let items: Vec<Said> = (1..=6).map(|n| said(n, 0.0, "12345")).collect();
        let since = Since { items: items.clone(), missed: 1 }.fitting(4, 100);
        assert_eq!((numbers(&since), since.missed), (vec![3, 4, 5, 6], 3));
        let since = Since { items, missed: 0 }.fitting(100, 12);
        assert_eq!((numbers(&since), since.missed), (vec![5, 6], 4), "twelve bytes hold two texts of five");
    }

    #[test]
    fn age_and_bytes_trim_too() {
        let limits = HistoryLimits { max_age_ms: 1_000.0, bytes: 10, ..HistoryLimits::default() };
        let mut h = Histories::new(limits);
        h.keep("old", said(1, 0.0, "a"), 0.0);
        h.keep("old", said(2, 5_000.0, "b"), 5_000.0);
        let since = h.since("old", 0, 5_000.0);
        assert_eq!((numbers(&since), since.missed), (vec![2], 1), "older than a second is gone");
        assert_eq!(h.since("old", 0, 9_000.0).missed, 2, "and more as time passes, without a write");
        for n in 1..=4 {
            h.keep("big", said(n, 0.0, "12345"), 0.0);
        }
        assert_eq!(numbers(&h.since("big", 0, 0.0)), [3, 4], "ten bytes of text at most");
    }

    #[test]
    fn rooms_are_capped_forgetting_the_quietest_and_numbers_can_be_raised() {
        let mut h = Histories::new(HistoryLimits { rooms: 2, ..HistoryLimits::default() });
        h.keep("a", said(1, 0.0, "x"), 1.0);
        h.keep("b", said(1, 0.0, "x"), 2.0);
        h.keep("a", said(2, 0.0, "x"), 3.0);
        h.keep("c", said(1, 0.0, "x"), 4.0);
        assert_eq!((h.rooms(), h.head("a"), h.head("b"), h.head("c")), (2, 2, 0, 1));
        h.raise_head("a", 9);
        h.raise_head("a", 4);
        assert_eq!(h.head("a"), 9);
        assert_eq!(h.since("a", 2, 0.0).missed, 7, "numbers given elsewhere count as missed here");
    }

    #[test]
    fn all_rooms_together_are_capped_in_bytes_the_quietest_losing_their_texts() {
        let mut h = Histories::new(HistoryLimits { total_bytes: 12, ..HistoryLimits::default() });
        h.keep("a", said(1, 0.0, "12345"), 1.0);
        h.keep("b", said(1, 0.0, "12345"), 2.0);
        h.keep("c", said(1, 0.0, "12345"), 3.0);
        let kept = |h: &Histories, room| numbers(&h.since(room, 0, 0.0));
        assert_eq!(
            (kept(&h, "a"), kept(&h, "b"), kept(&h, "c")),
            (vec![], vec![1], vec![1]),
            "a's went: the quietest"
        );
        assert_eq!(h.since("a", 0, 0.0).missed, 1, "its numbering stays: what it said is missed");
        h.keep("c", said(2, 0.0, "12345"), 4.0);
        assert_eq!((kept(&h, "b"), kept(&h, "c")), (vec![], vec![1, 2]), "never the room being written");
        assert_eq!((h.rooms(), h.head("a"), h.head("c")), (3, 1, 2));
    }
}
