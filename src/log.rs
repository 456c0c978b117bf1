//! The message log's model: a bounded ring of entries, newest last, that remembers how many it
//! dropped, and which kinds of message it has seen go each way (the sequence diagrams' progress).
//! Every operation costs the same however long the log is. Pure data, so its behaviour is tested
//! natively; `components::message_log` renders it.

use std::collections::VecDeque;

use crosstalk_protocol::{preview, Body, Envelope, Payload, Reason};

use crate::i18n::Said;

/// How much of a raw or refused message a log entry shows.
const PREVIEW_CHARS: usize = 120;

pub use crate::log_text::{LogText, MESSAGE_CHARS};

/// What a log entry shows of a message's free text: copied when its row first renders, and only
/// its start (see [`LogText`]).
pub fn shown(text: &Payload) -> LogText {
    LogText::message(text)
}

/// How many entries a route's log keeps before dropping the oldest.
pub const DEFAULT_CAPACITY: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Direction {
    /// Arrived from another context.
    In,
    /// Sent by this page.
    Out,
    /// Something that happened here: state changes, refusals to send, explanations.
    System,
}

impl Direction {
    /// The value of the entry's `data-dir` attribute.
    pub fn as_attr(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
            Direction::System => "system",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Ok,
    /// Not accepted, with the reason (and its code) shown beside the entry.
    Rejected(Reason),
}

impl Status {
    /// The value of the entry's `data-status` attribute.
    pub fn as_attr(&self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Rejected(_) => "rejected",
        }
    }

    /// The reason code, for `data-reason-code`.
    pub fn code(&self) -> Option<&'static str> {
        self.reason_code().map(|code| code.as_str())
    }

    pub fn reason_code(&self) -> Option<crosstalk_protocol::ReasonCode> {
        match self {
            Status::Ok => None,
            Status::Rejected(reason) => Some(reason.code),
        }
    }
}

/// One line of the log, as given by a route.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub dir: Direction,
    /// The envelope's sequence number, when there is one.
    pub seq: Option<u64>,
    /// When this page logged it, milliseconds since the Unix epoch.
    pub at_ms: f64,
    /// The envelope's sender, when known.
    pub from: Option<String>,
    /// The envelope's kind, or a word for a system line ("state", "error").
    pub kind: String,
    /// What is shown as the message: text, a summary of the body, or the raw input when rejected.
    pub payload: LogText,
    pub status: Status,
    /// The sentence `payload` says, when a state wrote it: the log shows it in the chosen language.
    pub said: Option<Said>,
}

impl Entry {
    pub fn system(kind: &str, payload: impl Into<LogText>, at_ms: f64) -> Self {
        Entry {
            dir: Direction::System,
            seq: None,
            at_ms,
            from: None,
            kind: kind.to_owned(),
            payload: payload.into(),
            status: Status::Ok,
            said: None,
        }
    }

    /// A message this page sent.
    pub fn sent<B: Body>(envelope: &Envelope<B>, payload: impl Into<LogText>, at_ms: f64) -> Self {
        Entry::of_envelope(Direction::Out, envelope, payload.into(), at_ms)
    }

    /// A message that arrived and decoded.
    pub fn received<B: Body>(envelope: &Envelope<B>, payload: impl Into<LogText>, at_ms: f64) -> Self {
        Entry::of_envelope(Direction::In, envelope, payload.into(), at_ms)
    }

    /// A message that decoded and was turned away by a rule of the mechanism.
    pub fn declined<B: Body>(envelope: &Envelope<B>, reason: Reason, at_ms: f64) -> Self {
        Entry::of_envelope(Direction::In, envelope, format!("from {}", envelope.from).into(), at_ms)
            .rejected(reason)
    }

    fn of_envelope<B: Body>(dir: Direction, envelope: &Envelope<B>, payload: LogText, at_ms: f64) -> Self {
        Entry {
            dir,
            seq: Some(envelope.seq),
            at_ms,
            from: Some(envelope.from.0.clone()),
            kind: envelope.kind().to_owned(),
            payload,
            status: Status::Ok,
            said: None,
        }
    }

    /// Raw text this page sent that is not an envelope (fault injection).
    pub fn sent_raw(text: &str, at_ms: f64) -> Self {
        Entry {
            dir: Direction::Out,
            seq: None,
            at_ms,
            from: None,
            kind: "raw".into(),
            payload: preview(text, PREVIEW_CHARS).into(),
            status: Status::Ok,
            said: None,
        }
    }

    /// Something that arrived and could not be read, shown as the start of what came.
    pub fn refused(raw: &str, reason: Reason, at_ms: f64) -> Self {
        Entry {
            dir: Direction::In,
            seq: None,
            at_ms,
            from: None,
            kind: "?".into(),
            payload: preview(raw, PREVIEW_CHARS).into(),
            status: Status::Rejected(reason),
            said: None,
        }
    }

    /// What the entry says, as a sentence the log translates (its English is the payload).
    pub fn saying(mut self, said: Said) -> Self {
        self.payload = said.english().into();
        self.said = Some(said);
        self
    }

    /// A line of this page's own, said as a sentence.
    pub fn said(kind: &str, said: Said, at_ms: f64) -> Self {
        Entry::system(kind, String::new(), at_ms).saying(said)
    }

    pub fn rejected(mut self, reason: Reason) -> Self {
        self.status = Status::Rejected(reason);
        self
    }

    pub fn with_status(mut self, status: Status) -> Self {
        self.status = status;
        self
    }
}

/// A logged entry with the key it is rendered under (stable while it stays in the ring).
#[derive(Debug, Clone, PartialEq)]
pub struct Logged {
    pub id: u64,
    pub entry: Entry,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogBook {
    entries: VecDeque<Logged>,
    capacity: usize,
    dropped: u64,
    next_id: u64,
    /// Each direction and kind logged with status ok since the last reset. Kinds come from the
    /// protocol's lists and the routes' own words, so this stays a handful long.
    seen: Vec<(Direction, String)>,
}

impl Default for LogBook {
    fn default() -> Self {
        LogBook::with_capacity(DEFAULT_CAPACITY)
    }
}

impl LogBook {
    /// A log that keeps at most `capacity` entries (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        LogBook {
            entries: VecDeque::with_capacity(capacity),
            capacity,
            dropped: 0,
            next_id: 0,
            seen: Vec::new(),
        }
    }

    pub fn push(&mut self, entry: Entry) {
        if entry.status == Status::Ok && !self.seen(entry.dir, &entry.kind) && self.seen.len() < MAX_SEEN {
            self.seen.push((entry.dir, entry.kind.clone()));
        }
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back(Logged { id: self.next_id, entry });
        self.next_id += 1;
    }

    /// Oldest first.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = &Logged> + DoubleEndedIterator {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many entries were dropped to keep the log bounded.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Clears the entries and the progress they showed.
    pub fn clear(&mut self) {
        self.dropped += self.entries.len() as u64;
        self.entries.clear();
        self.reset_progress();
    }

    /// Whether a `kind` has been logged going `dir`, with status ok, since the last reset.
    pub fn seen(&self, dir: Direction, kind: &str) -> bool {
        self.seen.iter().any(|(d, k)| *d == dir && k == kind)
    }

    /// Starts the diagram afresh (a restarted worker) while keeping the entries.
    pub fn reset_progress(&mut self) {
        self.seen.clear();
    }
}

/// A bound on the distinct kinds remembered for progress (a peer inventing kinds cannot grow it:
/// unknown kinds are rejected before they are logged as anything but "?").
const MAX_SEEN: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;
    use crosstalk_protocol::ReasonCode;

    fn entry(n: u64) -> Entry {
        Entry {
            dir: Direction::In,
            seq: Some(n),
            at_ms: n as f64,
            from: Some("tab-1".into()),
            kind: "text".into(),
            payload: format!("message {n}").into(),
            status: Status::Ok,
            said: None,
        }
    }

    fn seqs(book: &LogBook) -> Vec<u64> {
        book.entries().map(|l| l.entry.seq.unwrap()).collect()
    }

    #[test]
    fn keeps_entries_newest_last() {
        let mut book = LogBook::with_capacity(5);
        (1..=3).for_each(|n| book.push(entry(n)));
        assert_eq!(seqs(&book), [1, 2, 3]);
        assert_eq!(book.dropped(), 0);
    }

    #[test]
    fn drops_the_oldest_beyond_capacity_and_counts_them() {
        let mut book = LogBook::with_capacity(3);
        (1..=7).for_each(|n| book.push(entry(n)));
        assert_eq!(seqs(&book), [5, 6, 7]);
        assert_eq!(book.len(), 3);
        assert_eq!(book.dropped(), 4);
    }

    #[test]
    fn ids_stay_unique_and_increasing_across_wraparound() {
        let mut book = LogBook::with_capacity(2);
        (1..=5).for_each(|n| book.push(entry(n)));
        let ids: Vec<u64> = book.entries().map(|l| l.id).collect();
        assert_eq!(ids, [3, 4]);
    }

    #[test]
    fn clear_counts_what_it_removed_and_keeps_ids_fresh() {
        let mut book = LogBook::with_capacity(4);
        (1..=3).for_each(|n| book.push(entry(n)));
        book.clear();
        assert!(book.is_empty());
        assert_eq!(book.dropped(), 3);
        book.push(entry(9));
        assert_eq!(book.entries().next().unwrap().id, 3);
    }

    #[test]
    fn zero_capacity_still_keeps_the_newest_entry() {
        let mut book = LogBook::with_capacity(0);
        book.push(entry(1));
        book.push(entry(2));
        assert_eq!(seqs(&book), [2]);
        assert_eq!(book.capacity(), 1);
    }

    #[test]
    fn attributes_match_the_published_qa_hooks() {
        assert_eq!(Direction::In.as_attr(), "in");
        assert_eq!(Direction::Out.as_attr(), "out");
        assert_eq!(Direction::System.as_attr(), "system");
        assert_eq!(Status::Ok.as_attr(), "ok");
        let rejected = Entry::system("error", "x", 0.0).rejected(Reason::new(ReasonCode::Late, "bad"));
        assert_eq!(rejected.status.as_attr(), "rejected");
        assert_eq!(rejected.status.code(), Some("late"));
        assert_eq!(Status::Ok.code(), None);
    }

    #[test]
    fn progress_counts_ok_entries_by_direction_and_kind_until_reset() {
        let mut book = LogBook::with_capacity(2);
        book.push(entry(1));
        assert!(book.seen(Direction::In, "text"));
        assert!(!book.seen(Direction::Out, "text"));
        book.push(Entry::system("send", "x", 0.0).rejected(Reason::new(ReasonCode::NotReady, "no")));
        assert!(!book.seen(Direction::System, "send"), "a refusal is no progress");
        (2..10).for_each(|n| book.push(entry(n)));
        assert!(book.seen(Direction::In, "text"), "dropping old entries keeps the progress");
        book.reset_progress();
        assert!(!book.seen(Direction::In, "text"));
        book.push(entry(11));
        book.clear();
        assert!(!book.seen(Direction::In, "text"), "clearing the log clears its progress");
    }
}
