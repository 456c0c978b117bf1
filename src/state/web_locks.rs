//! The Web Locks route's state: this tab's hold on a lock (free, waiting, held), the census as last
//! read and the queue of the lock the reader watches, and what the log says of each grant, release,
//! theft and death notice. Page: `pages/web_locks.rs`; transport: `transport/web_locks.rs`.

use crosstalk_protocol::web_locks::{Census, LocksMsg, Mode, Place, QueueEntry, DEFAULT_LOCK};
use crosstalk_protocol::{Reason, ReasonCode, SenderId};

use super::told::{Own, OwnOf};
use super::RouteState;
use crate::diagram::{Diagram, Step};
use crate::i18n::Text;
use crate::learn::GuideStep;
use crate::log::{shown, Direction, Entry, LogBook, Status};
use crate::said;
use crate::transport::lock_request::Ask;
use crate::transport::web_locks::{LockNews, LocksEvent};

pub const DIAGRAM: Diagram = Diagram {
    title: "A lock passed from tab to tab",
    lanes: &["this tab", "lock manager", "other tabs"],
    steps: &[
        Step::new(0, 1, "request(name, mode)", &[(Direction::Out, "request")]),
        Step::new(1, 0, "granted: the callback runs", &[(Direction::In, "granted")]),
        Step::new(0, 1, "release: its promise settles", &[(Direction::Out, "release")]),
        Step::new(2, 0, "another tab's turn, told over BroadcastChannel", &[(Direction::In, "changed")]),
        Step::new(1, 0, "death notice: a closed tab's life lock", &[(Direction::In, "death")]),
    ],
};

/// This tab's hold on a lock (`held`'s `data-state`).
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Hold {
    #[default]
    Free,
    Waiting {
        name: String,
        mode: Mode,
    },
    Held {
        name: String,
        mode: Mode,
    },
}

impl Hold {
    pub fn word(&self) -> &'static str {
        match self {
            Hold::Free => "free",
            Hold::Waiting { .. } => "waiting",
            Hold::Held { .. } => "held",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct WebLocksState {
    /// This tab's id, as the census names it through its life lock.
    pub me: Option<SenderId>,
    pub failed: Option<String>,
    /// The lock the reader works with: the page's name field.
    pub lock: String,
    pub hold: Hold,
    /// Whether "hold forever" is on (fault injection).
    pub hold_forever: bool,
    /// The census as last read, and when (ms since the epoch).
    pub census: Option<Census>,
    pub census_at_ms: f64,
    /// The last reason the census could not be read (logged once per change of reason).
    census_refused: Option<ReasonCode>,
    /// While waiting, the census showed another holder ahead of this tab.
    waited_behind: bool,
    /// What the walkthrough watches for.
    pub ever_held: bool,
    pub saw_queue: bool,
    pub handovers: u64,
    pub deaths: u64,
    pub notes_heard: u64,
}

impl Default for WebLocksState {
    fn default() -> Self {
        WebLocksState {
            me: None,
            failed: None,
            lock: DEFAULT_LOCK.to_owned(),
            hold: Hold::Free,
            hold_forever: false,
            census: None,
            census_at_ms: 0.0,
            census_refused: None,
            waited_behind: false,
            ever_held: false,
            saw_queue: false,
            handovers: 0,
            deaths: 0,
            notes_heard: 0,
        }
    }
}

pub enum Action {
    Locks(OwnOf<LocksEvent>),
    Opened {
        me: SenderId,
    },
    Failed(String),
    /// The reader named another lock to work with.
    Lock(String),
    HoldForever(bool),
}

/// The walkthrough's chapter: a lock taken, a queue behind it, a handover, and a death notice.
pub const CHAPTER: &[GuideStep] = &[
    GuideStep::new("acquire", Text::LearnWebLocksAcquire, Text::LearnWebLocksAcquireSee, "held"),
    GuideStep::new("queue", Text::LearnWebLocksQueue, Text::LearnWebLocksQueueSee, "queue").in_two_tabs(),
    GuideStep::new("handover", Text::LearnWebLocksHandover, Text::LearnWebLocksHandoverSee, "held")
        .in_two_tabs(),
    GuideStep::new("death", Text::LearnWebLocksDeath, Text::LearnWebLocksDeathSee, "log").in_two_tabs(),
];

fn quoted(name: &str) -> String {
    format!("\"{name}\"")
}

/// The call a request makes, as code: the same in every language.
pub fn call(name: &str, ask: Ask) -> String {
    let mut options = format!("mode: \"{}\"", ask.mode.as_str());
    if ask.if_available {
        options.push_str(", ifAvailable: true");
    }
    if ask.steal {
        options.push_str(", steal: true");
    }
    format!("navigator.locks.request({}, {{ {options} }}, callback)", quoted(name))
}

/// An entry between this tab and the lock manager, going `dir`.
fn with_manager(dir: Direction, kind: &str, said: crate::i18n::Said, at_ms: f64) -> Entry {
    Entry { dir, ..Entry::said(kind, said, at_ms) }
}

impl RouteState for WebLocksState {
    type Action = Action;

    fn chapter() -> (&'static str, &'static [GuideStep]) {
        ("web-locks", CHAPTER)
    }

    fn reached(&self, step: &str) -> bool {
        match step {
            "acquire" => self.ever_held,
            "queue" => self.saw_queue,
            "handover" => self.handovers > 0,
            "death" => self.deaths > 0,
            _ => false,
        }
    }

    fn apply(&mut self, action: Action, at_ms: f64, log: &mut LogBook) {
        match action {
            Action::Locks(event) => self.on_event(event, at_ms, log),
            Action::Opened { me } => {
                log.push(Entry::said("open", said!(LocksOpened, me.0.clone()), at_ms));
                self.me = Some(me);
            }
            Action::Failed(reason) => {
                log.push(Entry::said("error", said!(LocksUnavailable, reason.clone()), at_ms));
                self.failed = Some(reason);
            }
            Action::Lock(name) => self.lock = name,
            Action::HoldForever(on) => {
                self.hold_forever = on;
                let said = if on { said!(HoldForeverOn) } else { said!(HoldForeverOff) };
                log.push(Entry::said("hold-forever", said, at_ms));
            }
        }
    }
}

impl WebLocksState {
    /// The queue of the lock the reader works with, as last read.
    pub fn queue(&self) -> Vec<QueueEntry> {
        self.census.as_ref().map(|c| c.queue(&self.lock)).unwrap_or_default()
    }

    /// The other locks anyone holds or waits for.
    pub fn other_locks(&self) -> Vec<String> {
        let names = self.census.as_ref().map(Census::names).unwrap_or_default();
        names.into_iter().filter(|n| *n != self.lock).map(str::to_owned).collect()
    }

    fn on_event(&mut self, own: OwnOf<LocksEvent>, at_ms: f64, log: &mut LogBook) {
        match own {
            Own::Sent { envelope, .. } => {
                if let LocksMsg::Text { text } = &envelope.body {
                    log.push(Entry::sent(&envelope, shown(text), at_ms));
                }
            }
            Own::Received { envelope, order, .. } => {
                let status = order.problem().map_or(Status::Ok, Status::Rejected);
                let entry = match &envelope.body {
                    LocksMsg::Text { text } => {
                        self.notes_heard += 1;
                        Entry::received(&envelope, shown(text), at_ms)
                    }
                    LocksMsg::Changed { lock, what } => {
                        Entry::received(&envelope, format!("{}: {what}", quoted(lock)), at_ms)
                    }
                    // A greeting is told as the watch it starts (below), unless it broke the order.
                    LocksMsg::Hello if status == Status::Ok => return,
                    LocksMsg::Hello => Entry::received(&envelope, "hello", at_ms),
                };
                log.push(entry.with_status(status));
            }
            Own::Other(news) => self.on_news(news, at_ms, log),
            Own::State(_) => {}
        }
    }

    fn on_news(&mut self, news: LockNews, at_ms: f64, log: &mut LogBook) {
        match news {
            LockNews::Asked { name, ask } => {
                self.waited_behind = false;
                self.hold = Hold::Waiting { name: name.clone(), mode: ask.mode };
                let mut entry = Entry::system("request", call(&name, ask), at_ms);
                entry.dir = Direction::Out;
                log.push(entry);
            }
            LockNews::Granted { name, mode } => {
                self.ever_held = true;
                let said = if self.waited_behind {
                    self.handovers += 1;
                    said!(LockHandedOver, quoted(&name), mode.as_str())
                } else {
                    said!(LockGranted, quoted(&name), mode.as_str())
                };
                self.waited_behind = false;
                self.hold = Hold::Held { name, mode };
                log.push(with_manager(Direction::In, "granted", said, at_ms));
            }
            LockNews::NotAvailable { name } => {
                self.hold = Hold::Free;
                log.push(with_manager(
                    Direction::In,
                    "not-available",
                    said!(LockNotAvailable, quoted(&name)),
                    at_ms,
                ));
            }
            LockNews::Released { name, held } => {
                self.hold = Hold::Free;
                let said =
                    if held { said!(LockReleased, quoted(&name)) } else { said!(LockGaveUp, quoted(&name)) };
                log.push(with_manager(Direction::Out, "release", said, at_ms));
            }
            LockNews::ReleaseIgnored { name } => {
                log.push(Entry::said("hold-forever", said!(ReleaseIgnored, quoted(&name)), at_ms));
            }
            LockNews::Stolen { name } => {
                self.hold = Hold::Free;
                log.push(with_manager(Direction::In, "stolen", said!(LockStolen, quoted(&name)), at_ms));
            }
            LockNews::RequestFailed { name, why } => {
                self.hold = Hold::Free;
                let reason = Reason::new(ReasonCode::PostFailed, why);
                log.push(Entry::said("request", said!(LockRefused, quoted(&name)), at_ms).rejected(reason));
            }
            LockNews::Census(read) => self.census(read, at_ms, log),
            LockNews::Watching { tab, watched: true } => {
                log.push(Entry::said("watch", said!(WatchingLife, tab.0), at_ms));
            }
            LockNews::Watching { tab, watched: false } => {
                let reason = Reason::new(ReasonCode::RosterFull, "too many tabs to watch");
                log.push(Entry::said("watch", said!(NotWatching, tab.0), at_ms).rejected(reason));
            }
            LockNews::DeathNotice { tab } => {
                self.deaths += 1;
                let mut entry =
                    with_manager(Direction::In, "death", said!(DeathNotice, tab.0.clone()), at_ms);
                entry.from = Some(tab.0);
                log.push(entry);
            }
        }
    }

    fn census(
        &mut self,
        read: Result<Census, crosstalk_protocol::DecodeError>,
        at_ms: f64,
        log: &mut LogBook,
    ) {
        let census = match read {
            Ok(census) => census,
            Err(error) => {
                let reason = error.reason();
                if self.census_refused != Some(reason.code) {
                    self.census_refused = Some(reason.code);
                    log.push(Entry::said("census", said!(CensusUnread), at_ms).rejected(reason));
                }
                return;
            }
        };
        self.census_refused = None;
        let queue = census.queue(&self.lock);
        let holders = queue.iter().filter(|e| e.place == Place::Held);
        let me = self.me.as_ref().map(|m| m.0.as_str());
        let another_holds = holders.clone().any(|e| Some(e.tab.as_str()) != me);
        if matches!(&self.hold, Hold::Waiting { name, .. } if *name == self.lock) && another_holds {
            self.waited_behind = true;
        }
        if holders.count() > 0 && queue.iter().any(|e| e.place == Place::Waiting) {
            self.saw_queue = true;
        }
        self.census = Some(census);
        self.census_at_ms = at_ms;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crosstalk_protocol::order::Order;
    use crosstalk_protocol::{DecodeError, Sender};

    fn news(news: LockNews) -> Action {
        Action::Locks(Own::Other(news))
    }

    fn census(json: &str) -> Action {
        news(LockNews::Census(Census::read(json)))
    }

    fn opened() -> (WebLocksState, LogBook) {
        let (mut state, mut log) = (WebLocksState::default(), LogBook::default());
        state.apply(Action::Opened { me: SenderId("tab-b".into()) }, 0.0, &mut log);
        (state, log)
    }

    /// tab-a holds "demo"; tab-b (this one) waits for it.
    const QUEUED: &str = r#"{"held":[
        {"name":"crosstalk:life:tab-a","mode":"exclusive","clientId":"a"},
        {"name":"crosstalk:life:tab-b","mode":"exclusive","clientId":"b"},
        {"name":"demo","mode":"exclusive","clientId":"a"}],
      "pending":[{"name":"demo","mode":"exclusive","clientId":"b"}]}"#;

    #[test]
    fn a_grant_after_waiting_behind_another_holder_is_a_handover_and_a_first_grant_is_not() {
        let (mut state, mut log) = opened();
        let ask = Ask::EXCLUSIVE;
        state.apply(news(LockNews::Asked { name: "demo".into(), ask }), 0.0, &mut log);
        assert_eq!(state.hold.word(), "waiting");
        state.apply(news(LockNews::Granted { name: "demo".into(), mode: Mode::Exclusive }), 0.0, &mut log);
        assert_eq!(state.hold.word(), "held");
        assert!(state.reached("acquire") && !state.reached("handover"), "nobody was ahead of it");
        state.apply(news(LockNews::Released { name: "demo".into(), held: true }), 0.0, &mut log);
        assert_eq!(state.hold, Hold::Free);

        state.apply(news(LockNews::Asked { name: "demo".into(), ask }), 0.0, &mut log);
        state.apply(census(QUEUED), 0.0, &mut log);
        assert!(state.reached("queue"), "one holder and one waiter");
        let queue = state.queue();
        assert_eq!(
            queue.iter().map(|e| (e.tab.as_str(), e.place)).collect::<Vec<_>>(),
            [("tab-a", Place::Held), ("tab-b", Place::Waiting)]
        );
        state.apply(news(LockNews::Granted { name: "demo".into(), mode: Mode::Exclusive }), 0.0, &mut log);
        assert!(state.reached("handover"));
        let last = log.entries().last().unwrap().entry.clone();
        assert_eq!((last.dir, last.kind.as_str()), (Direction::In, "granted"));
        assert!(log.seen(Direction::Out, "request") && log.seen(Direction::Out, "release"));
    }

    #[test]
    fn a_queue_of_one_holder_and_nobody_waiting_is_not_the_queue_step() {
        let (mut state, mut log) = opened();
        let alone = r#"{"held":[{"name":"demo","mode":"exclusive","clientId":"a"}],"pending":[]}"#;
        state.apply(census(alone), 0.0, &mut log);
        assert!(!state.reached("queue"));
        state.apply(Action::Lock("other".into()), 0.0, &mut log);
        state.apply(census(QUEUED), 0.0, &mut log);
        assert!(!state.reached("queue"), "the queue of another lock than the one the reader watches");
        assert_eq!(state.other_locks(), ["demo"]);
    }

    #[test]
    fn a_death_notice_names_the_tab_and_ticks_the_step() {
        let (mut state, mut log) = opened();
        assert!(!state.reached("death"));
        state.apply(news(LockNews::Watching { tab: SenderId("tab-a".into()), watched: true }), 0.0, &mut log);
        assert!(!state.reached("death"), "watching is not a death");
        state.apply(news(LockNews::DeathNotice { tab: SenderId("tab-a".into()) }), 0.0, &mut log);
        assert!(state.reached("death"));
        let last = log.entries().last().unwrap().entry.clone();
        assert_eq!(
            (last.dir, last.kind.as_str(), last.from.as_deref()),
            (Direction::In, "death", Some("tab-a"))
        );
    }

    #[test]
    fn a_census_that_cannot_be_read_is_rejected_once_with_its_code_and_keeps_the_last_good_one() {
        let (mut state, mut log) = opened();
        state.apply(census(QUEUED), 0.0, &mut log);
        for _ in 0..3 {
            state.apply(census("{broken"), 0.0, &mut log);
        }
        let refused: Vec<_> = log.entries().filter(|l| l.entry.kind == "census").collect();
        assert_eq!(refused.len(), 1, "once per reason, not once a second");
        assert_eq!(refused[0].entry.status.code(), Some("bad-json"));
        assert_eq!(state.queue().len(), 2, "the last census that read stays");
        let too_large = DecodeError::TooLarge { bytes: 1 << 20, limit: 1 };
        state.apply(news(LockNews::Census(Err(too_large))), 0.0, &mut log);
        assert_eq!(log.entries().filter(|l| l.entry.kind == "census").count(), 2, "a new reason is told");
    }

    #[test]
    fn a_theft_and_a_refused_request_free_the_tab_and_hold_forever_keeps_it() {
        let (mut state, mut log) = opened();
        state.apply(news(LockNews::Granted { name: "demo".into(), mode: Mode::Shared }), 0.0, &mut log);
        state.apply(Action::HoldForever(true), 0.0, &mut log);
        state.apply(news(LockNews::ReleaseIgnored { name: "demo".into() }), 0.0, &mut log);
        assert_eq!(state.hold.word(), "held", "a release ignored keeps the lock");
        state.apply(news(LockNews::Stolen { name: "demo".into() }), 0.0, &mut log);
        assert_eq!(state.hold.word(), "free");
        state.apply(
            news(LockNews::RequestFailed { name: "x".into(), why: "NotSupportedError".into() }),
            0.0,
            &mut log,
        );
        assert_eq!(log.entries().last().unwrap().entry.status.code(), Some("post-failed"));
        let steal = Ask { mode: Mode::Exclusive, if_available: false, steal: true };
        assert_eq!(
            call("demo", steal),
            "navigator.locks.request(\"demo\", { mode: \"exclusive\", steal: true }, callback)"
        );
    }

    #[test]
    fn notes_and_notices_from_other_tabs_are_logged_in_and_a_greeting_only_as_its_watch() {
        let (mut state, mut log) = opened();
        let mut other = Sender::new(SenderId("tab-a".into()));
        let mut heard = |body| {
            Action::Locks(Own::Received {
                envelope: other.envelope(body, 0.0),
                via: "channel",
                order: Order::InOrder,
            })
        };
        let before = log.len();
        state.apply(heard(LocksMsg::Hello), 0.0, &mut log);
        assert_eq!(log.len(), before, "a greeting is told as the watch it starts");
        state.apply(heard(LocksMsg::Changed { lock: "demo".into(), what: "granted".into() }), 0.0, &mut log);
        state.apply(heard(LocksMsg::Text { text: "printing now".into() }), 0.0, &mut log);
        let kinds: Vec<_> = log.entries().skip(before).map(|l| (l.entry.dir, l.entry.kind.clone())).collect();
        assert_eq!(kinds, [(Direction::In, "changed".to_owned()), (Direction::In, "text".to_owned())]);
        assert_eq!(state.notes_heard, 1);
    }
}
