//! The inspector's state: one timeline merged from every tab's batches, in the order things
//! happened, without repeats, bounded; the tabs and routes heard from, for the filters. Page:
//! `pages/inspector.rs`; transport: `transport/inspector.rs`.
//!
//! Every cost is per record, never per timeline length: a record is placed by binary search
//! (batches arrive nearly in time order, so it lands near the end of the ring), a repeat is found
//! in a set, and the oldest record leaves when the timeline is full.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use crosstalk_protocol::inspector::{check_batch, Dir, InspectorMsg, Record};
use crosstalk_protocol::{preview, Envelope, Reason, ReasonCode};

use super::told::{Own, OwnOf};
use super::RouteState;
use crate::log::{Entry, LogBook};
use crate::transport::inspector::InspectorEvent;

/// How many records the timeline keeps.
pub const TIMELINE_CAPACITY: usize = 2_000;
/// How many tabs it tells apart; the tabs of one browser are a handful.
pub const MAX_CONTEXTS: usize = 64;
/// How many routes the mechanism filter lists (the suite has a dozen pages).
pub const MAX_ROUTES: usize = 32;

/// One record, with the tab and route it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub context: String,
    pub route: String,
    pub record: Record,
    /// Where the row sorts: its time, moved just past the moment its message was sent when the
    /// receiving tab's clock runs behind the sender's (see [`InspectorState::order_key`]).
    pub key: f64,
}

/// A message's identity across tabs: its sender and its number.
type Message = (String, u64);

/// How far apart the two ends of one message are put when the clocks disagree, in ms.
const CAUSAL_STEP_MS: f64 = 0.001;

/// A tab heard from: where it is and how much it sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    pub route: String,
    pub records: u64,
    pub last_heard_ms: f64,
    /// The sender id its route's messages carry (the tab's logs and the others' show that one),
    /// once one of its sends has been heard.
    pub sends_as: Option<String>,
}

#[derive(Debug, Default)]
pub struct InspectorState {
    timeline: VecDeque<Row>,
    seen: HashSet<(String, u64)>,
    /// The sort keys of the sends and (the earliest) receipts in the timeline, by message.
    sends: HashMap<Message, f64>,
    receipts: HashMap<Message, f64>,
    pub contexts: BTreeMap<String, Context>,
    routes: BTreeSet<String>,
    pub batches: u64,
    /// Records that came again (a fresh watch asks for everything once more).
    pub repeats: u64,
    /// Records from before the last Clear are not shown again, however often they are resent.
    cleared_at_ms: f64,
}

// One action at a time, never stored: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Action {
    Channel(OwnOf<InspectorEvent>),
    Failed(String),
    Clear,
}

impl InspectorState {
    /// Oldest first.
    pub fn rows(&self) -> impl DoubleEndedIterator<Item = &Row> + ExactSizeIterator {
        self.timeline.iter()
    }

    /// The routes heard from, for the mechanism filter.
    pub fn routes(&self) -> impl Iterator<Item = &str> {
        self.routes.iter().map(String::as_str)
    }

    fn record(&mut self, envelope: Envelope<InspectorMsg>, at_ms: f64, log: &mut LogBook) {
        let (route, records) = match envelope.body.clone() {
            InspectorMsg::Records { route, records } => (route, records),
            InspectorMsg::Seen { route, id, at_ms, dir, code, kind, seq, from, payload } => {
                match Record::seen(id, at_ms, &dir, code, kind, seq, from, payload) {
                    Some(record) => (route, vec![record]),
                    None => {
                        let said = format!("\"{}\" is not a direction (in, out, system)", preview(&dir, 20));
                        return log.push(Entry::declined(
                            &envelope,
                            Reason::new(ReasonCode::Malformed, said),
                            at_ms,
                        ));
                    }
                }
            }
            InspectorMsg::Watch { .. } => return,
        };
        if let Err(reason) = check_batch(&route, &records) {
            return log.push(Entry::declined(&envelope, reason, at_ms));
        }
        let context = envelope.from.0;
        if !self.contexts.contains_key(&context) && self.contexts.len() >= MAX_CONTEXTS {
            let reason = Reason::new(
                ReasonCode::RosterFull,
                format!("more than {MAX_CONTEXTS} tabs; {context} is not followed"),
            );
            return log.push(Entry::system("records", format!("from {context}"), at_ms).rejected(reason));
        }
        self.batches += 1;
        if self.routes.len() < MAX_ROUTES {
            self.routes.insert(route.clone());
        }
        let mut added = 0;
        let mut sends_as = None;
        for record in records {
            if record.dir == Dir::Out {
                sends_as = record.from.clone().or(sends_as);
            }
            if record.at_ms < self.cleared_at_ms || !self.seen.insert((context.clone(), record.id)) {
                self.repeats += 1;
                continue;
            }
            added += 1;
            let key = self.order_key(&record);
            let at = self.timeline.partition_point(|r| r.key <= key);
            self.timeline.insert(at, Row { context: context.clone(), route: route.clone(), record, key });
            if self.timeline.len() > TIMELINE_CAPACITY {
                if let Some(old) = self.timeline.pop_front() {
                    self.seen.remove(&(old.context, old.record.id));
                    if let Some(message) = message_of(&old.record) {
                        self.sends.remove(&message);
                        self.receipts.remove(&message);
                    }
                }
            }
        }
        let heard = self.contexts.entry(context).or_insert(Context {
            route: route.clone(),
            records: 0,
            last_heard_ms: at_ms,
            sends_as: None,
        });
        heard.route = route;
        heard.last_heard_ms = at_ms;
        heard.records += added;
        if sends_as.is_some() {
            heard.sends_as = sends_as;
        }
    }
}

/// The message a send or a receipt is about, when its record names sender and number.
fn message_of(record: &Record) -> Option<Message> {
    match (record.dir, &record.from, record.seq) {
        (Dir::In | Dir::Out, Some(from), Some(seq)) => Some((from.clone(), seq)),
        _ => None,
    }
}

impl InspectorState {
    /// Tabs' clocks disagree by a millisecond or more, and a message crosses in less: ordered by
    /// their own times, a receipt can come before its send. So a receipt sorts just after its
    /// send, and a send just before its first receipt, whichever the inspector heard of first.
    fn order_key(&mut self, record: &Record) -> f64 {
        let Some(message) = message_of(record) else { return record.at_ms };
        match record.dir {
            Dir::Out => {
                let key = match self.receipts.get(&message) {
                    Some(receipt) => record.at_ms.min(receipt - CAUSAL_STEP_MS),
                    None => record.at_ms,
                };
                self.sends.insert(message, key);
                key
            }
            _ => {
                let key = match self.sends.get(&message) {
                    Some(send) => record.at_ms.max(send + CAUSAL_STEP_MS),
                    None => record.at_ms,
                };
                let first = self.receipts.entry(message).or_insert(key);
                *first = first.min(key);
                key
            }
        }
    }
}

impl RouteState for InspectorState {
    type Action = Action;

    fn apply(&mut self, action: Action, at_ms: f64, log: &mut LogBook) {
        match action {
            Action::Channel(Own::Received { envelope, .. }) => self.record(envelope, at_ms, log),
            Action::Channel(_) => {}
            Action::Failed(why) => log.push(Entry::system("error", format!("cannot watch: {why}"), at_ms)),
            Action::Clear => {
                self.timeline.clear();
                self.seen.clear();
                self.sends.clear();
                self.receipts.clear();
                self.cleared_at_ms = at_ms;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crosstalk_protocol::inspector::MAX_RECORDS;
    use crosstalk_protocol::order::Order;
    use crosstalk_protocol::{Sender, SenderId};

    fn record(id: u64, at_ms: f64) -> Record {
        Record {
            id,
            at_ms,
            dir: Dir::Out,
            code: None,
            kind: "text".into(),
            seq: Some(id),
            from: None,
            payload: format!("#{id}"),
        }
    }

    fn batch(tab: &str, route: &str, records: Vec<Record>) -> Action {
        let envelope = Sender::new(SenderId(tab.into()))
            .envelope(InspectorMsg::Records { route: route.into(), records }, 0.0);
        Action::Channel(Own::Received { envelope, via: "inspector", order: Order::InOrder })
    }

    fn ids(state: &InspectorState) -> Vec<(String, u64)> {
        state.rows().map(|r| (r.context.clone(), r.record.id)).collect()
    }

    #[test]
    fn batches_from_several_tabs_merge_in_time_order_without_repeats() {
        let (mut state, mut log) = (InspectorState::default(), LogBook::default());
        state.apply(batch("tab-a", "/broadcast", vec![record(0, 10.0), record(1, 30.0)]), 0.0, &mut log);
        state.apply(batch("tab-b", "/broadcast", vec![record(0, 20.0), record(1, 40.0)]), 0.0, &mut log);
        // A fresh watch: tab-a sends everything again.
        state.apply(batch("tab-a", "/broadcast", vec![record(0, 10.0), record(1, 30.0)]), 0.0, &mut log);
        let want: Vec<(String, u64)> = [("tab-a", 0), ("tab-b", 0), ("tab-a", 1), ("tab-b", 1)]
            .iter()
            .map(|(t, i)| (t.to_string(), *i))
            .collect();
        assert_eq!(ids(&state), want);
        assert_eq!(state.repeats, 2);
        assert_eq!(state.contexts.len(), 2);
        assert_eq!(state.contexts["tab-b"].records, 2);
        assert_eq!(state.contexts["tab-b"].sends_as, None, "its records name no sender");
        assert_eq!(state.routes().collect::<Vec<_>>(), vec!["/broadcast"]);
        assert!(log.is_empty());
    }

    #[test]
    fn the_timeline_is_bounded_and_forgets_what_it_dropped() {
        let (mut state, mut log) = (InspectorState::default(), LogBook::default());
        let mut id = 0;
        while (id as usize) < TIMELINE_CAPACITY + 10 {
            let records = (id..id + 100).map(|i| record(i, i as f64)).collect();
            state.apply(batch("tab-a", "/storage", records), 0.0, &mut log);
            id += 100;
        }
        assert_eq!(state.rows().len(), TIMELINE_CAPACITY);
        assert_eq!(state.seen.len(), TIMELINE_CAPACITY);
        assert_eq!(state.rows().next().map(|r| r.record.id), Some(id - TIMELINE_CAPACITY as u64));
    }

    #[test]
    fn an_oversized_or_misrouted_batch_is_logged_as_rejected_and_changes_nothing() {
        let (mut state, mut log) = (InspectorState::default(), LogBook::default());
        let many = (0..=MAX_RECORDS as u64).map(|i| record(i, 0.0)).collect();
        state.apply(batch("tab-a", "/broadcast", many), 0.0, &mut log);
        state.apply(batch("tab-a", "nowhere", vec![record(0, 0.0)]), 0.0, &mut log);
        let codes: Vec<Option<&str>> = log.entries().map(|l| l.entry.status.code()).collect();
        assert_eq!(codes, vec![Some(ReasonCode::TooLarge.as_str()), Some(ReasonCode::Malformed.as_str())]);
        assert_eq!(state.rows().len(), 0);
        assert!(state.contexts.is_empty());
    }

    #[test]
    fn tabs_past_the_bound_are_refused_not_followed() {
        let (mut state, mut log) = (InspectorState::default(), LogBook::default());
        for tab in 0..=MAX_CONTEXTS {
            state.apply(batch(&format!("tab-{tab}"), "/broadcast", vec![record(0, 0.0)]), 0.0, &mut log);
        }
        assert_eq!(state.contexts.len(), MAX_CONTEXTS);
        assert_eq!(
            log.entries().next().and_then(|l| l.entry.status.code()),
            Some(ReasonCode::RosterFull.as_str())
        );
    }

    fn seen(tab: &str, id: u64, dir: &str) -> Action {
        let body = InspectorMsg::Seen {
            route: "/shared-worker".into(),
            id,
            at_ms: id as f64,
            dir: dir.into(),
            code: None,
            kind: "set".into(),
            seq: None,
            from: None,
            payload: String::new(),
        };
        let envelope = Sender::new(SenderId(tab.into())).envelope(body, 0.0);
        Action::Channel(Own::Received { envelope, via: "inspector", order: Order::InOrder })
    }

    #[test]
    fn a_workers_messages_take_a_lane_of_their_own_and_a_bad_direction_is_refused() {
        let (mut state, mut log) = (InspectorState::default(), LogBook::default());
        state.apply(batch("tab-a", "/shared-worker", vec![record(0, 0.5)]), 0.0, &mut log);
        state.apply(seen("shared-w", 0, "in"), 0.0, &mut log);
        state.apply(seen("shared-w", 1, "out"), 0.0, &mut log);
        state.apply(seen("shared-w", 2, "sideways"), 0.0, &mut log);
        let want: Vec<(String, u64)> = [("shared-w", 0), ("tab-a", 0), ("shared-w", 1)]
            .iter()
            .map(|(t, i)| (t.to_string(), *i))
            .collect();
        assert_eq!(ids(&state), want);
        assert_eq!(
            log.entries().next().and_then(|l| l.entry.status.code()),
            Some(ReasonCode::Malformed.as_str())
        );
    }

    fn message(id: u64, at_ms: f64, dir: Dir, from: &str, seq: u64) -> Record {
        Record { dir, from: Some(from.into()), seq: Some(seq), ..record(id, at_ms) }
    }

    #[test]
    fn a_receipt_sorts_after_its_send_whatever_the_clocks_say_and_whichever_came_first() {
        // The receiving tab's clock runs 5 ms behind: its receipt says 98, the send said 100.
        let (mut state, mut log) = (InspectorState::default(), LogBook::default());
        state.apply(
            batch("tab-a", "/broadcast", vec![message(0, 100.0, Dir::Out, "tab-a", 7)]),
            0.0,
            &mut log,
        );
        state.apply(
            batch("tab-b", "/broadcast", vec![record(0, 99.0), message(1, 98.0, Dir::In, "tab-a", 7)]),
            0.0,
            &mut log,
        );
        let order: Vec<(String, u64)> = ids(&state);
        assert_eq!(order, vec![("tab-b".to_string(), 0), ("tab-a".to_string(), 0), ("tab-b".to_string(), 1)]);
        assert_eq!(state.rows().last().map(|r| r.record.at_ms), Some(98.0), "shown with its own time");
        // The other way round: the receipt is heard of first.
        let (mut state, mut log) = (InspectorState::default(), LogBook::default());
        state.apply(batch("tab-b", "/broadcast", vec![message(0, 98.0, Dir::In, "tab-a", 7)]), 0.0, &mut log);
        state.apply(
            batch("tab-a", "/broadcast", vec![message(0, 100.0, Dir::Out, "tab-a", 7)]),
            0.0,
            &mut log,
        );
        assert_eq!(ids(&state), vec![("tab-a".to_string(), 0), ("tab-b".to_string(), 0)]);
        assert_eq!(state.contexts["tab-a"].sends_as.as_deref(), Some("tab-a"), "as its sends say");
    }

    #[test]
    fn clearing_keeps_cleared_rows_from_coming_back() {
        let (mut state, mut log) = (InspectorState::default(), LogBook::default());
        state.apply(batch("tab-a", "/broadcast", vec![record(0, 1.0)]), 0.0, &mut log);
        state.apply(Action::Clear, 1.5, &mut log);
        state.apply(batch("tab-a", "/broadcast", vec![record(0, 1.0), record(1, 2.0)]), 0.0, &mut log);
        assert_eq!(ids(&state), vec![("tab-a".to_string(), 1)]);
    }
}
