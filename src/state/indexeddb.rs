//! The IndexedDB route's state: the connection (open, upgrading, blocked, closed for another's
//! upgrade), the database's version, the last value read, and what the log says of each write,
//! read, notice and step of an upgrade. Page: `pages/indexeddb.rs`; transport: `transport/indexeddb.rs`.

use crosstalk_protocol::indexeddb::{IdbMsg, Record};
use crosstalk_protocol::SenderId;

use super::told::{Own, OwnOf};
use super::RouteState;
use crate::diagram::{Diagram, Step};
use crate::i18n::{Said, Text};
use crate::learn::GuideStep;
use crate::log::{shown, Direction, Entry, LogBook, Status};
use crate::said;
use crate::transport::indexeddb::{IdbEvent, IdbNews};
use crate::transport::LinkState;

pub const DIAGRAM: Diagram = Diagram {
    title: "One store, every tab, and a schema to agree on",
    lanes: &["this tab", "IndexedDB", "other tabs"],
    steps: &[
        Step::new(0, 1, "put, committed", &[(Direction::Out, "put")]),
        Step::new(2, 0, "wrote {key}: only the key", &[(Direction::In, "wrote")]),
        Step::new(1, 0, "the value, read from the store", &[(Direction::In, "read")]),
        Step::new(1, 2, "versionchange: close, or block", &[(Direction::In, "versionchange")]),
        Step::new(1, 0, "blocked: a tab keeps it open", &[(Direction::In, "blocked")]),
        Step::new(1, 0, "upgradeneeded: the schema changes", &[(Direction::In, "upgradeneeded")]),
    ],
};

/// Where this tab's connection stands (`status`'s `data-state`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Link {
    #[default]
    Opening,
    Open,
    /// This tab asked for a new version; its `upgradeneeded` has not run yet.
    Upgrading,
    /// This tab's upgrade waits for other tabs to close.
    Blocked,
    /// Closed for another tab's upgrade; opening again behind it.
    Closed,
    Failed,
}

impl Link {
    pub fn word(self) -> &'static str {
        match self {
            Link::Opening => "opening",
            Link::Open => "open",
            Link::Upgrading => "upgrading",
            Link::Blocked => "blocked",
            Link::Closed => "closed",
            Link::Failed => "error",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct IndexedDbState {
    pub me: Option<SenderId>,
    pub link: Link,
    pub failed: Option<String>,
    /// The database's version, as this tab's connection last opened it.
    pub version: u32,
    /// The version this tab's own upgrade asks for, while it has not opened.
    pub upgrading_to: Option<u32>,
    /// Whether this tab refuses to close for another's upgrade, and the version it is refusing.
    pub refusing: bool,
    pub refused: Option<u32>,
    /// The last value read: its key and what it holds.
    pub output: Option<(String, Record)>,
    /// What the walkthrough watches for.
    pub writes: u64,
    pub reads_after_notice: u64,
    pub blocked_seen: bool,
    pub upgrades_done: u64,
}

pub enum Action {
    Idb(OwnOf<IdbEvent>),
    Opened {
        me: SenderId,
    },
    Failed(String),
    /// This tab asks for `version`.
    Upgrade(u32),
    Refuse(bool),
}

/// The walkthrough's chapter: a write, the other tab reading it from the store, an upgrade blocked
/// by a tab that refuses, and completed when it goes.
pub const CHAPTER: &[GuideStep] = &[
    GuideStep::new("write", Text::LearnIndexeddbWrite, Text::LearnIndexeddbWriteSee, "set"),
    GuideStep::new("read", Text::LearnIndexeddbRead, Text::LearnIndexeddbReadSee, "value-output")
        .in_two_tabs(),
    GuideStep::new("blocked", Text::LearnIndexeddbBlocked, Text::LearnIndexeddbBlockedSee, "blocked")
        .in_two_tabs(),
    GuideStep::new("upgraded", Text::LearnIndexeddbUpgraded, Text::LearnIndexeddbUpgradedSee, "db-version")
        .in_two_tabs(),
];

fn quoted(key: &str) -> String {
    format!("\"{key}\"")
}

/// An entry between this tab and the database (or the other tabs), going `dir`.
fn entry(dir: Direction, kind: &str, said: Said, at_ms: f64) -> Entry {
    Entry { dir, ..Entry::said(kind, said, at_ms) }
}

impl RouteState for IndexedDbState {
    type Action = Action;

    fn chapter() -> (&'static str, &'static [GuideStep]) {
        ("indexeddb", CHAPTER)
    }

    fn reached(&self, step: &str) -> bool {
        match step {
            "write" => self.writes > 0,
            "read" => self.reads_after_notice > 0,
            "blocked" => self.blocked_seen,
            "upgraded" => self.upgrades_done > 0,
            _ => false,
        }
    }

    fn apply(&mut self, action: Action, at_ms: f64, log: &mut LogBook) {
        match action {
            Action::Idb(event) => self.on_event(event, at_ms, log),
            Action::Opened { me } => self.me = Some(me),
            Action::Failed(reason) => {
                self.link = Link::Failed;
                log.push(Entry::said("error", said!(IdbUnavailable, reason.clone()), at_ms));
                self.failed = Some(reason);
            }
            Action::Upgrade(version) => {
                self.upgrading_to = Some(version);
                self.link = Link::Upgrading;
                let said = said!(IdbAskUpgrade, self.version, version);
                log.push(entry(Direction::Out, "open", said, at_ms));
            }
            Action::Refuse(on) => {
                self.refusing = on;
                let said = if on { said!(IdbRefuseOn) } else { said!(IdbRefuseOff) };
                log.push(Entry::said("refuse", said, at_ms));
                if !on {
                    self.refused = None;
                }
            }
        }
    }
}

impl IndexedDbState {
    fn on_event(&mut self, own: OwnOf<IdbEvent>, at_ms: f64, log: &mut LogBook) {
        match own {
            Own::State(LinkState::Failed(why)) => {
                self.link = Link::Failed;
                log.push(Entry::said("error", said!(IdbUnavailable, why.clone()), at_ms));
                self.failed = Some(why);
            }
            Own::State(_) | Own::Sent { .. } => {}
            Own::Received { envelope, order, .. } => {
                let status = order.problem().map_or(Status::Ok, Status::Rejected);
                let line = match &envelope.body {
                    IdbMsg::Wrote { key } => Entry::received(&envelope, "", at_ms).saying(said!(
                        IdbNoticeWrote,
                        quoted(key),
                        envelope.from.0.clone()
                    )),
                    IdbMsg::Upgraded { version } => Entry::received(&envelope, "", at_ms).saying(said!(
                        IdbNoticeUpgraded,
                        envelope.from.0.clone(),
                        version
                    )),
                    IdbMsg::Value { text } => Entry::received(&envelope, shown(text), at_ms),
                };
                log.push(line.with_status(status));
            }
            Own::Other(news) => self.on_news(news, at_ms, log),
        }
    }

    fn on_news(&mut self, news: IdbNews, at_ms: f64, log: &mut LogBook) {
        match news {
            IdbNews::Opened { version } => {
                self.link = Link::Open;
                self.failed = None;
                self.refused = None;
                let mine = self.upgrading_to.take();
                let said = if mine.is_some_and(|asked| version >= asked) {
                    self.upgrades_done += 1;
                    said!(IdbUpgraded, self.version, version)
                } else {
                    said!(IdbOpened, version)
                };
                self.version = version;
                log.push(Entry::said("opened", said, at_ms));
            }
            IdbNews::Upgrading { old, new, added } => {
                let said =
                    said!(IdbUpgradeNeeded, old, new, if added.is_empty() { "-".into() } else { added });
                log.push(entry(Direction::In, "upgradeneeded", said, at_ms));
            }
            IdbNews::Blocked { old, new, heard } => {
                // Told once: the browser's event and the silence may both come.
                if self.link == Link::Blocked {
                    return;
                }
                self.link = Link::Blocked;
                self.blocked_seen = true;
                let said =
                    if heard { said!(IdbBlocked, old, new) } else { said!(IdbSilentlyBlocked, old, new) };
                log.push(entry(Direction::In, "blocked", said, at_ms));
            }
            IdbNews::VersionChange { old, new, refused } => {
                let said = if refused { said!(IdbRefusing, old, new) } else { said!(IdbClosing, old, new) };
                if refused {
                    self.refused = Some(new);
                }
                log.push(entry(Direction::In, "versionchange", said, at_ms));
            }
            IdbNews::ClosedForUpgrade { new } => {
                self.link = Link::Closed;
                log.push(Entry::said("closed", said!(IdbClosed, new), at_ms));
            }
            IdbNews::Committed { key } => {
                self.writes += 1;
                log.push(entry(Direction::Out, "put", said!(IdbCommitted, quoted(&key)), at_ms));
            }
            IdbNews::Read { key, record, notice } => {
                let status = match record.error() {
                    Some(error) => Status::Rejected(error.reason()),
                    None => Status::Ok,
                };
                let value = match &record {
                    Record::Absent => said!(IdbReadAbsent, quoted(&key)),
                    Record::Valid(_) => said!(
                        IdbReadValue,
                        quoted(&key),
                        record.text().map(|t| t.preview(80)).unwrap_or_default(),
                        record.writer().unwrap_or_default()
                    ),
                    Record::Invalid { raw, .. } => said!(IdbReadInvalid, quoted(&key), raw),
                };
                let mut line = entry(Direction::In, "read", value, at_ms).with_status(status);
                if let Some(from) = notice {
                    self.reads_after_notice += 1;
                    line.from = Some(from.0);
                }
                log.push(line);
                self.output = Some((key, record));
            }
            IdbNews::Failed { what, reason } => {
                log.push(super::Refusal::new(what, reason).entry(at_ms));
            }
            IdbNews::Inactive { reason } => {
                log.push(Entry::said("inactive", said!(IdbInactive), at_ms).rejected(reason));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crosstalk_protocol::order::Order;
    use crosstalk_protocol::{decode, DecodeError, Reason, ReasonCode, Sender};

    fn news(news: IdbNews) -> Action {
        Action::Idb(Own::Other(news))
    }

    fn value(text: &str) -> Record {
        let wire = Sender::new(SenderId("tab-a".into()))
            .envelope(IdbMsg::Value { text: text.into() }, 0.0)
            .encode()
            .unwrap();
        Record::judged(&wire, decode(&wire))
    }

    #[test]
    fn a_write_another_tab_noticed_is_read_from_the_store_and_ticks_the_read_step() {
        let (mut state, mut log) = (IndexedDbState::default(), LogBook::default());
        state.apply(news(IdbNews::Opened { version: 1 }), 0.0, &mut log);
        assert_eq!((state.link, state.version), (Link::Open, 1));
        let notice = Sender::new(SenderId("tab-a".into())).envelope(IdbMsg::Wrote { key: "k".into() }, 0.0);
        state.apply(
            Action::Idb(Own::Received { envelope: notice, via: "channel", order: Order::InOrder }),
            0.0,
            &mut log,
        );
        assert!(!state.reached("read"), "the notice is only the key");
        let read =
            IdbNews::Read { key: "k".into(), record: value("blue"), notice: Some(SenderId("tab-a".into())) };
        state.apply(news(read), 0.0, &mut log);
        assert!(state.reached("read"));
        let last = log.entries().last().unwrap().entry.clone();
        assert_eq!(
            (last.dir, last.kind.as_str(), last.from.as_deref()),
            (Direction::In, "read", Some("tab-a"))
        );
        assert!(last.payload.text().contains("blue"), "{last:?}");
        assert!(!state.reached("write"), "another tab's write is not this one's");
        state.apply(news(IdbNews::Committed { key: "k".into() }), 0.0, &mut log);
        assert!(state.reached("write") && log.seen(Direction::Out, "put"));
    }

    #[test]
    fn a_value_another_script_wrote_is_rejected_with_its_code_and_still_shown() {
        let (mut state, mut log) = (IndexedDbState::default(), LogBook::default());
        let raw = Record::judged("{nope", decode("{nope"));
        state.apply(news(IdbNews::Read { key: "raw".into(), record: raw, notice: None }), 0.0, &mut log);
        let last = log.entries().last().unwrap().entry.clone();
        assert_eq!(last.status.reason_code(), Some(ReasonCode::BadJson));
        assert!(state.output.as_ref().is_some_and(|(k, r)| k == "raw" && r.error().is_some()));
        let huge =
            Record::Invalid { raw: String::new(), error: DecodeError::TooLarge { bytes: 9, limit: 1 } };
        state.apply(news(IdbNews::Read { key: "big".into(), record: huge, notice: None }), 0.0, &mut log);
        assert_eq!(log.entries().last().unwrap().entry.status.code(), Some("too-large"));
    }

    #[test]
    fn an_upgrade_blocked_by_a_refusing_tab_then_completed_ticks_both_steps() {
        let (mut state, mut log) = (IndexedDbState::default(), LogBook::default());
        state.apply(news(IdbNews::Opened { version: 1 }), 0.0, &mut log);
        state.apply(Action::Upgrade(2), 0.0, &mut log);
        assert_eq!(state.link, Link::Upgrading);
        state.apply(news(IdbNews::Blocked { old: 1, new: 2, heard: true }), 0.0, &mut log);
        state.apply(news(IdbNews::Blocked { old: 1, new: 2, heard: false }), 0.0, &mut log);
        assert_eq!(log.entries().filter(|l| l.entry.kind == "blocked").count(), 1, "told once");
        assert_eq!(state.link.word(), "blocked");
        assert!(state.reached("blocked") && !state.reached("upgraded"));
        state.apply(news(IdbNews::Upgrading { old: 1, new: 2, added: "since-v2".into() }), 0.0, &mut log);
        state.apply(news(IdbNews::Opened { version: 2 }), 0.0, &mut log);
        assert!(state.reached("upgraded"));
        assert_eq!((state.link, state.version, state.upgrading_to), (Link::Open, 2, None));
        assert!(log.seen(Direction::In, "blocked") && log.seen(Direction::In, "upgradeneeded"));
    }

    #[test]
    fn another_tabs_upgrade_closes_this_one_unless_it_refuses() {
        let (mut state, mut log) = (IndexedDbState::default(), LogBook::default());
        state.apply(news(IdbNews::Opened { version: 1 }), 0.0, &mut log);
        state.apply(news(IdbNews::VersionChange { old: 1, new: 2, refused: false }), 0.0, &mut log);
        state.apply(news(IdbNews::ClosedForUpgrade { new: 2 }), 0.0, &mut log);
        assert_eq!(state.link.word(), "closed");
        state.apply(news(IdbNews::Opened { version: 2 }), 0.0, &mut log);
        assert!(!state.reached("upgraded"), "another tab's upgrade is not this one's");
        state.apply(Action::Refuse(true), 0.0, &mut log);
        state.apply(news(IdbNews::VersionChange { old: 2, new: 3, refused: true }), 0.0, &mut log);
        assert_eq!((state.link, state.refused), (Link::Open, Some(3)), "it keeps the old version open");
        state.apply(
            news(IdbNews::Inactive {
                reason: Reason::new(ReasonCode::PostFailed, "TransactionInactiveError"),
            }),
            0.0,
            &mut log,
        );
        assert_eq!(log.entries().last().unwrap().entry.kind, "inactive");
    }
}
