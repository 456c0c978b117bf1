//! The storage-events route's state: the demo keys as last read, the error shown, and what the
//! log says of each write and event. Page: `pages/storage.rs`; transport: `transport/storage.rs`.

use crosstalk_protocol::storage::Stored;
use crosstalk_protocol::Reason;

use super::RouteState;
use crate::diagram::{Diagram, Step};
use crate::i18n::Text;
use crate::learn::GuideStep;
use crate::log::{Direction, Entry, LogBook, Status};
use crate::said;
use crate::transport::storage::{QuotaReport, StorageChange, StorageNotice};
use crate::transport::Event;

pub const DIAGRAM: Diagram = Diagram {
    title: "A write and who hears of it",
    lanes: &["this tab", "localStorage", "other tabs"],
    steps: &[
        Step::new(0, 1, "setItem / removeItem", &[(Direction::Out, "set"), (Direction::Out, "remove")]),
        Step::new(1, 2, "storage event → every other tab", &[(Direction::In, "storage")]),
        Step::new(1, 0, "(nothing to the writer)", &[]),
        Step::new(0, 0, "workaround: dispatch to self", &[(Direction::In, "same-tab")]),
    ],
};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct StorageState {
    /// The demo keys as last read, with what they hold.
    pub keys: Vec<(String, Stored)>,
    pub error: Option<String>,
    pub failed: Option<String>,
    told_no_event: bool,
    /// What the walkthrough watches for: this tab's writes, changes another tab made, and a
    /// write the quota refused.
    pub writes: u64,
    pub changes_heard: u64,
    pub quota_refused: bool,
}

pub enum Action {
    Notice(StorageNotice),
    /// This tab wrote (`kind` = set / remove / clear).
    Wrote {
        kind: &'static str,
        what: String,
    },
    Quota(QuotaReport),
    Keys(Vec<(String, Stored)>),
    Failed(String),
    SameTab(bool),
}

fn key_label(key: &str) -> String {
    format!("\"{key}\"")
}

/// The walkthrough's chapter: a write, heard by the other tab and not by the writer, and the quota.
pub const CHAPTER: &[GuideStep] = &[
    GuideStep::new("write", Text::LearnStorageWrite, Text::LearnStorageWriteSee, "keys"),
    GuideStep::new("heard", Text::LearnStorageHeard, Text::LearnStorageHeardSee, "log").in_two_tabs(),
    GuideStep::new("quota", Text::LearnStorageQuota, Text::LearnStorageQuotaSee, "fill-quota"),
];

impl RouteState for StorageState {
    type Action = Action;

    fn chapter() -> (&'static str, &'static [GuideStep]) {
        ("storage", CHAPTER)
    }

    fn reached(&self, step: &str) -> bool {
        match step {
            "write" => self.writes > 0,
            "heard" => self.changes_heard > 0,
            "quota" => self.quota_refused,
            _ => false,
        }
    }

    /// The error line under the controls says why the last write did not happen.
    fn refused(&mut self, refusal: &super::Refusal) {
        self.error = Some(refusal.reason.text.clone());
    }

    fn apply(&mut self, action: Action, at_ms: f64, log: &mut LogBook) {
        match action {
            Action::Notice(Event::Other(change)) => {
                let from_another_tab = match &change {
                    StorageChange::Changed { same_tab, .. } | StorageChange::Cleared { same_tab, .. } => {
                        !same_tab
                    }
                };
                self.changes_heard += u64::from(from_another_tab);
                log.push(change_entry(change, at_ms))
            }
            Action::Notice(_) => {}
            Action::Wrote { kind, what } => {
                self.writes += 1;
                self.error = None;
                log.push(Entry {
                    dir: Direction::Out,
                    seq: None,
                    at_ms,
                    from: None,
                    kind: kind.into(),
                    payload: what.into(),
                    status: Status::Ok,
                    said: None,
                });
                if !self.told_no_event {
                    self.told_no_event = true;
                    log.push(Entry::said("no-event", said!(NoEventForWriter), at_ms));
                }
            }
            Action::Quota(report) => self.quota(report, at_ms, log),
            Action::Keys(keys) => self.keys = keys,
            Action::Failed(reason) => {
                log.push(Entry::system("error", reason.clone(), at_ms));
                self.failed = Some(reason);
            }
            Action::SameTab(on) => {
                let said = if on { said!(SameTabOn) } else { said!(SameTabOff) };
                log.push(Entry::said("same-tab", said, at_ms));
            }
        }
    }
}

impl StorageState {
    fn quota(&mut self, report: QuotaReport, at_ms: f64, log: &mut LogBook) {
        let mb = report.accepted_chars as f64 / (1024.0 * 1024.0);
        match report.refusal {
            Some(refusal) => {
                self.quota_refused = true;
                self.error =
                    Some(format!("{} (after {mb:.1} M characters; the filler was removed)", refusal.text));
                let said = said!(QuotaRefused, format!("{mb:.1}"));
                log.push(Entry::said("quota", said, at_ms).rejected(refusal));
            }
            None => {
                self.error = None;
                log.push(Entry::said("quota", said!(QuotaTaken, format!("{mb:.1}")), at_ms));
            }
        }
        if report.leftovers > 0 {
            log.push(Entry::said("quota", said!(FillerLeft, report.leftovers), at_ms));
        }
    }
}

/// The log line for one `storage` event.
pub fn change_entry(change: StorageChange, at_ms: f64) -> Entry {
    match change {
        StorageChange::Changed { key, old, new, url, same_tab, order } => {
            let payload = format!("{}: {} → {} · url {}", key_label(&key), old.label(), new.label(), url);
            let status = match (new.error(), old.error()) {
                (Some(error), _) => {
                    Status::Rejected(Reason::new(error.code(), format!("new value: {error}")))
                }
                (None, Some(error)) => {
                    Status::Rejected(Reason::new(error.code(), format!("old value: {error}")))
                }
                (None, None) => order.problem().map_or(Status::Ok, Status::Rejected),
            };
            let (from, seq) = match new.envelope() {
                Some(envelope) => (Some(envelope.from.0.clone()), Some(envelope.seq)),
                None => (None, None),
            };
            let kind = if same_tab { "same-tab" } else { "storage" };
            Entry {
                dir: Direction::In,
                seq,
                at_ms,
                from,
                kind: kind.into(),
                payload: payload.into(),
                status,
                said: None,
            }
        }
        StorageChange::Cleared { url, same_tab } => Entry {
            dir: Direction::In,
            seq: None,
            at_ms,
            from: None,
            kind: if same_tab { "same-tab" } else { "storage" }.into(),
            payload: format!("localStorage.clear() · url {url}").into(),
            status: Status::Ok,
            said: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crosstalk_protocol::order::Order;
    use crosstalk_protocol::storage::StorageMsg;
    use crosstalk_protocol::{DecodeError, ReasonCode, Sender, SenderId};

    fn stored(text: &str) -> Stored {
        Stored::Valid(
            Sender::new(SenderId("tab-w".into())).envelope(StorageMsg::Value { text: text.into() }, 0.0),
        )
    }

    #[test]
    fn a_storage_event_shows_key_old_new_and_url() {
        let change = StorageChange::Changed {
            key: "k".into(),
            old: stored("a"),
            new: stored("b"),
            url: "http://127.0.0.1:8080/storage".into(),
            same_tab: false,
            order: Order::InOrder,
        };
        let entry = change_entry(change, 0.0);
        assert_eq!(entry.payload, "\"k\": \"a\" → \"b\" · url http://127.0.0.1:8080/storage");
        assert_eq!((entry.kind.as_str(), entry.dir, entry.status), ("storage", Direction::In, Status::Ok));
        assert_eq!(entry.from.as_deref(), Some("tab-w"));
    }

    #[test]
    fn a_write_this_tab_never_heard_of_shows_as_a_gap_on_the_next() {
        let change = StorageChange::Changed {
            key: "k".into(),
            old: stored("a"),
            new: stored("b"),
            url: String::new(),
            same_tab: false,
            order: Order::Gap { expected: 2, got: 3 },
        };
        let entry = change_entry(change, 0.0);
        assert!(matches!(&entry.status, Status::Rejected(r) if r.code == ReasonCode::Gap), "{entry:?}");
    }

    #[test]
    fn same_tab_notifications_are_marked_and_broken_values_rejected_with_the_code() {
        let broken = Stored::Invalid { raw: "{broken".into(), error: DecodeError::NotJson("eof".into()) };
        let change = StorageChange::Changed {
            key: "k".into(),
            old: Stored::Absent,
            new: broken,
            url: String::new(),
            same_tab: true,
            order: Order::InOrder,
        };
        let entry = change_entry(change, 0.0);
        assert_eq!(entry.kind, "same-tab");
        assert_eq!(
            entry.status,
            Status::Rejected(Reason::new(ReasonCode::BadJson, "new value: not JSON: eof"))
        );
    }

    #[test]
    fn a_full_storage_is_an_error_with_the_quota_code_and_the_lesson_comes_once() {
        assert!(!StorageState::default().reached("quota"));
        let (mut state, mut log) = (StorageState::default(), LogBook::default());
        let refusal = Some(Reason::new(ReasonCode::Quota, "QuotaExceededError: full"));
        state.apply(
            Action::Quota(QuotaReport { accepted_chars: 1 << 20, refusal, leftovers: 0 }),
            0.0,
            &mut log,
        );
        assert!(state.error.as_deref().is_some_and(|e| e.starts_with("QuotaExceededError")));
        assert_eq!(log.entries().last().unwrap().entry.status.code(), Some("quota"));
        for _ in 0..2 {
            state.apply(Action::Wrote { kind: "set", what: "set \"k\"".into() }, 0.0, &mut log);
        }
        assert_eq!(log.entries().filter(|l| l.entry.kind == "no-event").count(), 1);
        assert_eq!(state.error, None, "a write that worked clears the error");
        assert!(
            state.reached("quota") && state.reached("write"),
            "the walkthrough's steps: a write, and the quota"
        );
        assert!(!state.reached("heard"), "this tab's own writes are not heard from another tab");
    }
}
