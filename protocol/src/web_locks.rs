//! The Web Locks route: lock names as the page takes them, the notices tabs send each other, and
//! the census (`navigator.locks.query()`) read into a queue with a tab's name on every entry.
//!
//! A lock carries no data. Tabs say what they did over a BroadcastChannel ([`CHANNEL`]), and each
//! reads the queue again from the browser, which is the only one who knows it. Every tab also holds
//! a lock of its own for its whole life ([`life_lock`]): the census reads a `clientId` into a tab's
//! name through it, and a tab that asks for another's life lock is granted it the moment that tab
//! dies — a death notice with nothing to poll.

use std::collections::HashMap;

use serde::Deserialize;

use crate::{DecodeError, Payload, Reason, ReasonCode, SenderId};

/// The BroadcastChannel on which tabs tell each other what they did with a lock.
pub const CHANNEL: &str = "crosstalk:web-locks";
/// The prefix of every tab's life lock (`crosstalk:life:<tab id>`).
pub const LIFE_PREFIX: &str = "crosstalk:life:";
/// The lock the page offers first.
pub const DEFAULT_LOCK: &str = "demo";
/// Longest lock name the page takes, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// Largest census read, in bytes of JSON: 64 entries of long names and ids fit many times over.
pub const MAX_CENSUS_BYTES: usize = 64 * 1024;
/// Most census entries kept of each list (held, pending); the rest are counted, not kept.
pub const MAX_CENSUS_ENTRIES: usize = 64;
/// How often a tab reads the census when nothing told it to.
pub const CENSUS_INTERVAL_MS: u32 = 1_000;

crate::bodies! {
    @parsed
    #[derive(Debug, Clone, PartialEq)]
    pub enum LocksMsg {
        /// I am here: watch my life lock.
        Hello = "hello",
        /// I did something with a lock (`what`: requested, granted, released, stolen…): read the
        /// census again.
        Changed { lock: String, what: String } = "changed",
        /// A note to the other tabs: the data a lock cannot carry.
        Text { text: Payload } = "text",
    }
}

/// The two modes of a lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// One holder at a time.
    Exclusive,
    /// Any number of holders, while no exclusive request is ahead of them.
    Shared,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Exclusive => "exclusive",
            Mode::Shared => "shared",
        }
    }

    pub fn parse(word: &str) -> Option<Mode> {
        match word {
            "exclusive" => Some(Mode::Exclusive),
            "shared" => Some(Mode::Shared),
            _ => None,
        }
    }
}

/// A lock name as the page takes it: 1 to [`MAX_NAME_CHARS`] characters, trimmed. Names starting
/// with `-` are the browser's own (it throws `NotSupportedError`), and the life locks are the
/// census's own: both are refused here, before the browser sees them.
pub fn lock_name(name: &str) -> Result<&str, Reason> {
    let name = name.trim();
    let refuse = |why: String| Err(Reason::new(ReasonCode::BadInput, why));
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return refuse(format!("a lock name is 1 to {MAX_NAME_CHARS} characters"));
    }
    if name.starts_with('-') {
        return refuse("names starting with '-' are reserved by the browser".into());
    }
    if name.starts_with(LIFE_PREFIX) {
        return refuse(format!("names starting with '{LIFE_PREFIX}' are the tabs' life locks"));
    }
    Ok(name)
}

/// The life lock of the tab `tab`.
pub fn life_lock(tab: &SenderId) -> String {
    format!("{LIFE_PREFIX}{tab}")
}

/// One entry of the census, as the browser lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LockInfo {
    pub name: String,
    pub mode: Mode,
    /// The context (tab, frame, worker) that holds or asked; opaque, and the same for every
    /// request of that context.
    #[serde(rename = "clientId", default)]
    pub client_id: String,
}

/// What `navigator.locks.query()` answered: a snapshot, stale as soon as it is read.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Census {
    #[serde(default)]
    pub held: Vec<LockInfo>,
    #[serde(default)]
    pub pending: Vec<LockInfo>,
}

/// Whether an entry of the queue holds the lock or waits for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Held,
    Waiting,
}

impl Place {
    pub fn as_str(self) -> &'static str {
        match self {
            Place::Held => "held",
            Place::Waiting => "waiting",
        }
    }
}

/// One holder or waiter of a lock, named.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueEntry {
    /// The tab's id where its life lock names it, else the browser's client id.
    pub tab: String,
    pub mode: Mode,
    pub place: Place,
}

impl Census {
    /// Reads the census from its JSON (`JSON.stringify` of what `query()` resolved to), size
    /// first. Entries past [`MAX_CENSUS_ENTRIES`] are dropped: a page that asked for thousands of
    /// locks is shown in part, never grown without bound.
    pub fn read(json: &str) -> Result<Census, DecodeError> {
        if json.len() > MAX_CENSUS_BYTES {
            return Err(DecodeError::TooLarge { bytes: json.len(), limit: MAX_CENSUS_BYTES });
        }
        let mut census: Census = serde_json::from_str(json).map_err(|e| {
            if e.is_syntax() || e.is_eof() {
                DecodeError::NotJson(e.to_string())
            } else {
                DecodeError::Malformed(e.to_string())
            }
        })?;
        census.held.truncate(MAX_CENSUS_ENTRIES);
        census.pending.truncate(MAX_CENSUS_ENTRIES);
        Ok(census)
    }

    /// Which tab each client is, read from the life locks it holds.
    pub fn tabs(&self) -> HashMap<&str, &str> {
        self.held
            .iter()
            .filter_map(|l| Some((l.client_id.as_str(), l.name.strip_prefix(LIFE_PREFIX)?)))
            .collect()
    }

    /// The queue of the lock `name`: its holders, then its waiters in the order the browser will
    /// grant them, each named by its tab.
    pub fn queue(&self, name: &str) -> Vec<QueueEntry> {
        let tabs = self.tabs();
        let entry = |place: Place| {
            let tabs = &tabs;
            move |l: &LockInfo| QueueEntry {
                tab: tabs.get(l.client_id.as_str()).map_or_else(|| l.client_id.clone(), |t| (*t).to_owned()),
                mode: l.mode,
                place,
            }
        };
        let held = self.held.iter().filter(|l| l.name == name).map(entry(Place::Held));
        let waiting = self.pending.iter().filter(|l| l.name == name).map(entry(Place::Waiting));
        held.chain(waiting).collect()
    }

    /// The lock names anyone holds or waits for, life locks left out, in the order first seen.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for l in self.held.iter().chain(&self.pending) {
            if !l.name.starts_with(LIFE_PREFIX) && !names.contains(&l.name.as_str()) {
                names.push(&l.name);
            }
        }
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CENSUS: &str = r#"{
        "held": [
            {"name": "crosstalk:life:tab-a", "mode": "exclusive", "clientId": "c-1"},
            {"name": "crosstalk:life:tab-b", "mode": "exclusive", "clientId": "c-2"},
            {"name": "demo", "mode": "exclusive", "clientId": "c-1"}
        ],
        "pending": [
            {"name": "crosstalk:life:tab-a", "mode": "exclusive", "clientId": "c-2"},
            {"name": "demo", "mode": "shared", "clientId": "c-2"},
            {"name": "demo", "mode": "exclusive", "clientId": "c-9"}
        ]
    }"#;

    #[test]
    fn the_queue_names_each_holder_and_waiter_by_its_tab_in_grant_order() {
        let census = Census::read(CENSUS).unwrap();
        let queue = census.queue("demo");
        let seen: Vec<(&str, Mode, Place)> =
            queue.iter().map(|e| (e.tab.as_str(), e.mode, e.place)).collect();
        assert_eq!(
            seen,
            [
                ("tab-a", Mode::Exclusive, Place::Held),
                ("tab-b", Mode::Shared, Place::Waiting),
                ("c-9", Mode::Exclusive, Place::Waiting),
            ],
            "a client without a life lock keeps the browser's id"
        );
        assert_eq!(census.names(), ["demo"], "life locks are the census's own, not the reader's");
        assert!(census.queue("other").is_empty());
    }

    #[test]
    fn a_census_that_is_too_large_broken_or_of_the_wrong_shape_is_refused_with_its_code() {
        let huge = format!(r#"{{"held":[],"pending":[],"pad":"{}"}}"#, "x".repeat(MAX_CENSUS_BYTES));
        assert_eq!(Census::read(&huge).unwrap_err().code(), ReasonCode::TooLarge);
        assert_eq!(Census::read("{held").unwrap_err().code(), ReasonCode::BadJson);
        let wrong_mode = r#"{"held":[{"name":"demo","mode":"sideways","clientId":"c"}]}"#;
        assert_eq!(Census::read(wrong_mode).unwrap_err().code(), ReasonCode::Malformed);
        assert_eq!(Census::read("{}").unwrap(), Census::default(), "an empty census is no error");
    }

    #[test]
    fn a_census_of_thousands_of_requests_keeps_a_bounded_part() {
        let entry = r#"{"name":"n","mode":"shared","clientId":"c"}"#;
        let many = vec![entry; 500].join(",");
        let census = Census::read(&format!(r#"{{"held":[{many}],"pending":[{many}]}}"#)).unwrap();
        assert_eq!((census.held.len(), census.pending.len()), (MAX_CENSUS_ENTRIES, MAX_CENSUS_ENTRIES));
    }

    #[test]
    fn lock_names_are_short_and_never_the_browsers_or_the_life_locks() {
        assert_eq!(lock_name("  demo "), Ok("demo"));
        assert_eq!(lock_name("打印机"), Ok("打印机"));
        for bad in ["", "   ", "-reserved", "crosstalk:life:tab-a", &"x".repeat(MAX_NAME_CHARS + 1)] {
            assert_eq!(lock_name(bad).map_err(|r| r.code), Err(ReasonCode::BadInput), "{bad:?}");
        }
        assert_eq!(lock_name(&"字".repeat(MAX_NAME_CHARS)).map(str::len), Ok(3 * MAX_NAME_CHARS));
        assert_eq!(life_lock(&SenderId("tab-a".into())), "crosstalk:life:tab-a");
        assert_eq!(Mode::parse("shared"), Some(Mode::Shared));
        assert_eq!(Mode::parse(Mode::Exclusive.as_str()), Some(Mode::Exclusive));
        assert_eq!(Mode::parse("both"), None);
    }
}
