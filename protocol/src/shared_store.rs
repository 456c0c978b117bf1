//! Messages of the SharedWorker route, and the store the shared worker keeps.
//!
//! ```text
//! tab A                         shared worker                         tab B
//!  |-- connect (port) ---------------->|                                 |
//!  |-- hello ------------------------->|                                 |
//!  |<------------------------ welcome -|-- roster (connections: 2) ----->|
//!  |-- set {key, value} -------------->|                                 |
//!  |<---------------------------- ack -|-- changed {key, old, new, by} ->|
//!  |                                   |<------------------ get {key} ---|
//!  |                                   |-- value {key, value, by} ------>|
//!  |<-- ping ------------------------- |-- ping ------------------------>|  every second
//!  |-- pong -------------------------->|<------------------------- pong -|  silent tabs expire
//! ```
//!
//! A worker cannot see a port close. So a tab says `goodbye` on `pagehide`, and the worker pings
//! every tab and drops those that stop answering. The worker, not the tab, keeps the time: a
//! hidden tab's timers are throttled, but it still answers messages at once.

use std::collections::BTreeMap;

use crate::Payload;
use crate::{Body, Envelope, Incoming, Reason, ReasonCode, Sender, SenderId};

/// How much of a refused message the worker sends back for the page's log.
const PREVIEW_CHARS: usize = 80;

/// Largest value the store keeps, in bytes of UTF-8.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// Largest key, in bytes of UTF-8.
pub const MAX_KEY_BYTES: usize = 256;
/// How often the worker pings every tab.
pub const PING_INTERVAL_MS: u32 = 1_000;
/// At most this many keys are stored, and at most this many bytes of keys and values together:
/// a tab cannot make the worker's memory grow without bound.
pub const MAX_KEYS: usize = 1024;
pub const MAX_TOTAL_BYTES: usize = 4 * 1024 * 1024;
/// A port is welcomed at most once in this long; further `hello`s in between go unanswered, so a
/// storm of them costs the worker almost nothing.
pub const WELCOME_INTERVAL_MS: f64 = 1_000.0;
/// A tab that has not been heard from for this long is dropped from the roster.
pub const TAB_TIMEOUT_MS: f64 = 3_500.0;
/// At most this many ports are connected at once; one more is refused (`roster-full`) and closed.
pub const MAX_PORTS: usize = crate::roster::MAX_PEERS;

crate::bodies! {
    @parsed
    #[derive(Debug, Clone, PartialEq)]
    pub enum StoreMsg {
        /// Tab → worker, first thing on a new port.
        Hello = "hello",
        /// Worker → tab: you are connected; how many tabs are, and how many keys the store has.
        Welcome { connections: u32, keys: u32 } = "welcome",
        Set { key: String, value: String } = "set",
        Get { key: String } = "get",
        /// Worker → setting tab: stored. `old` is what it replaced.
        Ack { reply_to: u64, key: String, old: Option<String> } = "ack",
        /// Worker → getting tab. `value: None` means nobody has set the key.
        Value { reply_to: u64, key: String, value: Option<String>, set_by: Option<SenderId> } = "value",
        /// Worker → every other tab: someone set a key.
        Changed { key: String, old: Option<String>, new: String, set_by: SenderId } = "changed",
        /// Worker → every tab: the number of connected tabs changed.
        Roster { connections: u32 } = "roster",
        Ping = "ping",
        Pong = "pong",
        /// Tab → worker → the same tab: the text comes straight back (the benchmark's round trip).
        Echo { text: Payload } = "echo",
        /// Tab → worker, on `pagehide`: forget me now rather than at the next timeout.
        Goodbye = "goodbye",
        /// Worker → tab: the worker refused a message, and why.
        Rejected { code: ReasonCode, reason: String, preview: String } = "rejected",
    }
}

/// Why a set is refused before it is sent (the page) or stored (the worker).
pub fn check_set(key: &str, value: &str) -> Result<(), Reason> {
    if key.len() > MAX_KEY_BYTES {
        let text = format!("the key is {} bytes; keys may be at most {MAX_KEY_BYTES} bytes", key.len());
        return Err(Reason::new(ReasonCode::KeyTooLarge, text));
    }
    if value.len() > MAX_VALUE_BYTES {
        return Err(Reason::new(
            ReasonCode::ValueTooLarge,
            format!(
                "the value is {} bytes; values may be at most {} KiB ({MAX_VALUE_BYTES} bytes)",
                value.len(),
                MAX_VALUE_BYTES / 1024
            ),
        ));
    }
    Ok(())
}

/// The worker's handle for one connected port (one tab, usually).
pub type PortId = u64;

/// Where the worker sends an envelope.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    To(PortId, Envelope<StoreMsg>),
    /// To every connected port but `except`.
    Others {
        except: PortId,
        envelope: Envelope<StoreMsg>,
    },
    All(Envelope<StoreMsg>),
}

#[derive(Debug, Clone, PartialEq)]
struct Stored {
    value: String,
    set_by: SenderId,
}

#[derive(Debug, Clone, PartialEq)]
struct Tab {
    /// Who this port speaks for: bound by its first message, never changed afterwards.
    sender: Option<SenderId>,
    last_heard: f64,
    last_welcome: Option<f64>,
}

/// Everything the shared worker knows, free of browser APIs so it is tested natively.
#[derive(Debug, Clone)]
pub struct SharedStore {
    sender: Sender,
    values: BTreeMap<String, Stored>,
    /// Bytes of every key and value stored, kept as values come and go.
    stored_bytes: usize,
    tabs: BTreeMap<PortId, Tab>,
    timeout_ms: f64,
}

impl SharedStore {
    pub fn new(sender: Sender) -> Self {
        SharedStore::with_timeout(sender, TAB_TIMEOUT_MS)
    }

    /// A store whose silent tabs expire after `timeout_ms` (QA lengthens it to watch the goodbye
    /// do its work alone).
    pub fn with_timeout(sender: Sender, timeout_ms: f64) -> Self {
        SharedStore { sender, values: BTreeMap::new(), stored_bytes: 0, tabs: BTreeMap::new(), timeout_ms }
    }

    /// How many tabs are connected now.
    pub fn connections(&self) -> u32 {
        self.tabs.len() as u32
    }

    /// A tab connected. It counts from now; `hello` tells who it is. Beyond [`MAX_PORTS`] it is
    /// refused and not listed (the worker then closes its port).
    pub fn connect(&mut self, port: PortId, now_ms: f64) -> Vec<Outgoing> {
        if let Some(refusal) = self.no_room_for(port, now_ms) {
            return vec![refusal];
        }
        self.tabs.insert(port, Tab { sender: None, last_heard: now_ms, last_welcome: None });
        vec![self.roster(now_ms)]
    }

    /// The refusal for `port` when the roster has no room for one more; `None` when it has.
    fn no_room_for(&mut self, port: PortId, now_ms: f64) -> Option<Outgoing> {
        if self.tabs.len() < MAX_PORTS {
            return None;
        }
        let said =
            format!("the shared worker already serves {MAX_PORTS} ports: this one is refused and closed");
        Some(self.refuse(port, Reason::new(ReasonCode::RosterFull, said), String::new(), now_ms))
    }

    /// One message from `port`. Malformed input gets a visible refusal; the store carries on.
    pub fn receive(&mut self, port: PortId, raw: impl Incoming<StoreMsg>, now_ms: f64) -> Vec<Outgoing> {
        match raw.decode() {
            Ok(envelope) => self.take(port, envelope, &raw, now_ms),
            Err(error) => vec![self.refuse(port, error.reason(), raw.preview(PREVIEW_CHARS), now_ms)],
        }
    }

    /// One decoded message from `port` (`raw` is what it came as, for a refusal's preview).
    fn take(
        &mut self,
        port: PortId,
        envelope: Envelope<StoreMsg>,
        raw: &impl Incoming<StoreMsg>,
        now_ms: f64,
    ) -> Vec<Outgoing> {
        if let Some(tab) = self.tabs.get_mut(&port) {
            let speaks_for = tab.sender.get_or_insert_with(|| envelope.from.clone());
            if *speaks_for != envelope.from {
                let said = format!(
                    "this port speaks for {speaks_for}; a message claiming to be from {} is refused",
                    envelope.from
                );
                return vec![self.refuse(
                    port,
                    Reason::new(ReasonCode::WrongSender, said),
                    raw.preview(PREVIEW_CHARS),
                    now_ms,
                )];
            }
            tab.last_heard = now_ms;
        } else if envelope.body != StoreMsg::Goodbye {
            // A port we had expired (a frozen tab woke up): take it back, if there is room.
            if let Some(refusal) = self.no_room_for(port, now_ms) {
                return vec![refusal];
            }
            let tab = Tab { sender: Some(envelope.from.clone()), last_heard: now_ms, last_welcome: None };
            self.tabs.insert(port, tab);
            let mut out = vec![self.roster(now_ms)];
            out.extend(self.take(port, envelope, raw, now_ms));
            return out;
        }
        let seq = envelope.seq;
        match envelope.body {
            StoreMsg::Hello => {
                let Some(tab) = self.tabs.get_mut(&port) else { return Vec::new() };
                if tab.last_welcome.is_some_and(|at| now_ms - at < WELCOME_INTERVAL_MS) {
                    return Vec::new();
                }
                tab.last_welcome = Some(now_ms);
                let body =
                    StoreMsg::Welcome { connections: self.connections(), keys: self.values.len() as u32 };
                vec![Outgoing::To(port, self.sender.envelope(body, now_ms))]
            }
            StoreMsg::Set { key, value } => {
                if let Err(reason) = check_set(&key, &value).and_then(|()| self.check_room(&key, &value)) {
                    return vec![self.refuse(port, reason, raw.preview(PREVIEW_CHARS), now_ms)];
                }
                self.stored_bytes += key.len() + value.len();
                let old = self
                    .values
                    .insert(key.clone(), Stored { value: value.clone(), set_by: envelope.from.clone() })
                    .map(|s| {
                        self.stored_bytes -= key.len() + s.value.len();
                        s.value
                    });
                let ack = StoreMsg::Ack { reply_to: seq, key: key.clone(), old: old.clone() };
                let changed = StoreMsg::Changed { key, old, new: value, set_by: envelope.from };
                vec![
                    Outgoing::To(port, self.sender.envelope(ack, now_ms)),
                    Outgoing::Others { except: port, envelope: self.sender.envelope(changed, now_ms) },
                ]
            }
            StoreMsg::Get { key } => {
                let stored = self.values.get(&key);
                let body = StoreMsg::Value {
                    reply_to: seq,
                    value: stored.map(|s| s.value.clone()),
                    set_by: stored.map(|s| s.set_by.clone()),
                    key,
                };
                vec![Outgoing::To(port, self.sender.envelope(body, now_ms))]
            }
            StoreMsg::Pong => Vec::new(),
            // Already size-checked by decoding: nothing to store, nothing grows.
            StoreMsg::Echo { text } => {
                vec![Outgoing::To(port, self.sender.envelope(StoreMsg::Echo { text }, now_ms))]
            }
            StoreMsg::Goodbye => self.disconnect(port, now_ms),
            other => {
                let reason = Reason::new(
                    ReasonCode::UnexpectedKind,
                    format!("the shared worker does not take \"{}\" from a tab", other.kind()),
                );
                vec![self.refuse(port, reason, raw.preview(PREVIEW_CHARS), now_ms)]
            }
        }
    }

    /// Whether `key` = `value` fits within [`MAX_KEYS`] and [`MAX_TOTAL_BYTES`].
    fn check_room(&self, key: &str, value: &str) -> Result<(), Reason> {
        let replaced = self.values.get(key).map(|s| key.len() + s.value.len());
        if replaced.is_none() && self.values.len() >= MAX_KEYS {
            let said = format!("the store is full: it keeps at most {MAX_KEYS} keys");
            return Err(Reason::new(ReasonCode::StoreFull, said));
        }
        let after = self.stored_bytes - replaced.unwrap_or(0) + key.len() + value.len();
        if after > MAX_TOTAL_BYTES {
            let said = format!("the store is full: it keeps at most {} KiB in all", MAX_TOTAL_BYTES / 1024);
            return Err(Reason::new(ReasonCode::StoreFull, said));
        }
        Ok(())
    }

    /// A tab left (it said goodbye, or its port could not be posted to).
    pub fn disconnect(&mut self, port: PortId, now_ms: f64) -> Vec<Outgoing> {
        match self.tabs.remove(&port) {
            Some(_) => vec![self.roster(now_ms)],
            None => Vec::new(),
        }
    }

    /// Every second: drop tabs that have stopped answering, then ping the rest.
    pub fn tick(&mut self, now_ms: f64) -> Vec<Outgoing> {
        let before = self.tabs.len();
        let timeout_ms = self.timeout_ms;
        self.tabs.retain(|_, tab| now_ms - tab.last_heard <= timeout_ms);
        let mut out = Vec::new();
        if self.tabs.len() != before {
            out.push(self.roster(now_ms));
        }
        if !self.tabs.is_empty() {
            out.push(Outgoing::All(self.sender.envelope(StoreMsg::Ping, now_ms)));
        }
        out
    }

    /// The ports connected now.
    pub fn ports(&self) -> impl Iterator<Item = PortId> + '_ {
        self.tabs.keys().copied()
    }

    fn roster(&mut self, now_ms: f64) -> Outgoing {
        Outgoing::All(self.sender.envelope(StoreMsg::Roster { connections: self.connections() }, now_ms))
    }

    /// A refusal for `port`, with the start of what it refused (`preview`, empty when none).
    fn refuse(&mut self, port: PortId, reason: Reason, preview: String, now_ms: f64) -> Outgoing {
        let body = StoreMsg::Rejected { code: reason.code, reason: reason.text, preview };
        Outgoing::To(port, self.sender.envelope(body, now_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TabSim {
        port: PortId,
        sender: Sender,
    }

    impl TabSim {
        fn new(port: PortId, name: &str) -> Self {
            TabSim { port, sender: Sender::new(SenderId(name.into())) }
        }
        fn wire(&mut self, body: StoreMsg) -> String {
            self.sender.envelope(body, 0.0).encode().unwrap()
        }
        fn send(&mut self, store: &mut SharedStore, body: StoreMsg, now: f64) -> Vec<Outgoing> {
            let wire = self.wire(body);
            store.receive(self.port, Ok(&wire), now)
        }
    }

    fn store() -> SharedStore {
        SharedStore::new(Sender::new(SenderId("shared-test".into())))
    }

    fn bodies(out: &[Outgoing]) -> Vec<(String, StoreMsg)> {
        out.iter()
            .map(|o| match o {
                Outgoing::To(port, e) => (format!("to {port}"), e.body.clone()),
                Outgoing::Others { except, envelope } => {
                    (format!("others than {except}"), envelope.body.clone())
                }
                Outgoing::All(e) => ("all".into(), e.body.clone()),
            })
            .collect()
    }

    #[test]
    fn connecting_tabs_are_counted_and_everyone_hears_the_roster() {
        let mut s = store();
        assert_eq!(bodies(&s.connect(1, 0.0)), [("all".into(), StoreMsg::Roster { connections: 1 })]);
        assert_eq!(bodies(&s.connect(2, 0.0)), [("all".into(), StoreMsg::Roster { connections: 2 })]);
        let mut a = TabSim::new(1, "tab-a");
        assert_eq!(
            bodies(&a.send(&mut s, StoreMsg::Hello, 1.0)),
            [("to 1".into(), StoreMsg::Welcome { connections: 2, keys: 0 })]
        );
    }

    #[test]
    fn set_acks_the_setter_and_pushes_the_change_to_the_others() {
        let mut s = store();
        s.connect(1, 0.0);
        s.connect(2, 0.0);
        let mut a = TabSim::new(1, "tab-a");
        let out = a.send(&mut s, StoreMsg::Set { key: "k".into(), value: "v1".into() }, 1.0);
        assert_eq!(
            bodies(&out),
            [
                ("to 1".into(), StoreMsg::Ack { reply_to: 1, key: "k".into(), old: None }),
                (
                    "others than 1".into(),
                    StoreMsg::Changed {
                        key: "k".into(),
                        old: None,
                        new: "v1".into(),
                        set_by: SenderId("tab-a".into())
                    }
                ),
            ]
        );
        let mut b = TabSim::new(2, "tab-b");
        let out = b.send(&mut s, StoreMsg::Set { key: "k".into(), value: "v2".into() }, 2.0);
        assert!(matches!(&bodies(&out)[1].1, StoreMsg::Changed { old: Some(old), new, set_by, .. }
            if old == "v1" && new == "v2" && set_by.0 == "tab-b"));
    }

    #[test]
    fn get_returns_the_value_and_who_set_it_or_says_nobody_did() {
        let mut s = store();
        s.connect(1, 0.0);
        s.connect(2, 0.0);
        let mut a = TabSim::new(1, "tab-a");
        let mut b = TabSim::new(2, "tab-b");
        a.send(&mut s, StoreMsg::Set { key: String::new(), value: "the single value 你好".into() }, 1.0);
        let out = b.send(&mut s, StoreMsg::Get { key: String::new() }, 2.0);
        assert_eq!(
            bodies(&out),
            [(
                "to 2".into(),
                StoreMsg::Value {
                    reply_to: 1,
                    key: String::new(),
                    value: Some("the single value 你好".into()),
                    set_by: Some(SenderId("tab-a".into()))
                }
            )]
        );
        let out = b.send(&mut s, StoreMsg::Get { key: "nobody".into() }, 3.0);
        assert!(matches!(&bodies(&out)[0].1, StoreMsg::Value { value: None, set_by: None, .. }));
    }

    #[test]
    fn echo_comes_back_to_the_sender_alone_and_stores_nothing() {
        let mut s = store();
        s.connect(1, 0.0);
        s.connect(2, 0.0);
        let mut a = TabSim::new(1, "tab-a");
        let out = a.send(&mut s, StoreMsg::Echo { text: "x".repeat(10_000).into() }, 1.0);
        assert_eq!(bodies(&out), [("to 1".into(), StoreMsg::Echo { text: "x".repeat(10_000).into() })]);
        assert!(s.values.is_empty());
    }

    #[test]
    fn oversized_values_and_keys_are_refused_and_not_stored() {
        let mut s = store();
        s.connect(1, 0.0);
        let mut a = TabSim::new(1, "tab-a");
        let big = "x".repeat(MAX_VALUE_BYTES + 1);
        let out = a.send(&mut s, StoreMsg::Set { key: "k".into(), value: big }, 1.0);
        assert!(
            matches!(&bodies(&out)[0].1, StoreMsg::Rejected { code: ReasonCode::ValueTooLarge, reason, .. } if reason.contains("at most 64 KiB"))
        );
        let exact = "y".repeat(MAX_VALUE_BYTES);
        let out = a.send(&mut s, StoreMsg::Set { key: "k".into(), value: exact }, 1.0);
        assert!(matches!(&bodies(&out)[0].1, StoreMsg::Ack { .. }));
        let out =
            a.send(&mut s, StoreMsg::Set { key: "k".repeat(MAX_KEY_BYTES + 1), value: "v".into() }, 1.0);
        assert!(
            matches!(&bodies(&out)[0].1, StoreMsg::Rejected { code: ReasonCode::KeyTooLarge, reason, .. } if reason.contains("keys may be"))
        );
    }

    #[test]
    fn malformed_input_is_refused_to_its_sender_and_the_store_keeps_serving() {
        let mut s = store();
        s.connect(1, 0.0);
        s.connect(2, 0.0);
        let out = s.receive(1, Ok("{\"v\":0}"), 1.0);
        assert!(
            matches!(&bodies(&out)[..], [(to, StoreMsg::Rejected { code: ReasonCode::WrongVersion, reason, preview })]
            if to == "to 1" && reason.contains("version 0") && preview == "{\"v\":0}")
        );
        let out = s.receive(1, Err::<&str, _>(crate::DecodeError::NotText { got: "an object".into() }), 1.0);
        assert!(
            matches!(&bodies(&out)[0].1, StoreMsg::Rejected { reason, .. } if reason.contains("an object"))
        );
        let mut a = TabSim::new(1, "tab-a");
        let out = a.send(&mut s, StoreMsg::Roster { connections: 99 }, 1.0);
        assert!(
            matches!(&bodies(&out)[0].1, StoreMsg::Rejected { code: ReasonCode::UnexpectedKind, reason, .. } if reason.contains("\"roster\""))
        );
        let mut b = TabSim::new(2, "tab-b");
        let out = b.send(&mut s, StoreMsg::Set { key: "k".into(), value: "v".into() }, 2.0);
        assert!(matches!(&bodies(&out)[0].1, StoreMsg::Ack { .. }));
    }

    #[test]
    fn goodbye_leaves_at_once_and_silence_expires() {
        let mut s = store();
        for port in 1..=3 {
            s.connect(port, 0.0);
        }
        let mut c = TabSim::new(3, "tab-c");
        assert_eq!(
            bodies(&c.send(&mut s, StoreMsg::Goodbye, 1.0)),
            [("all".into(), StoreMsg::Roster { connections: 2 })]
        );
        // Tab 1 answers pings; tab 2 has gone silent.
        let mut a = TabSim::new(1, "tab-a");
        a.send(&mut s, StoreMsg::Pong, 3_000.0);
        assert_eq!(bodies(&s.tick(3_400.0)), [("all".into(), StoreMsg::Ping)]);
        let out = s.tick(3_600.0);
        assert_eq!(
            bodies(&out),
            [("all".into(), StoreMsg::Roster { connections: 1 }), ("all".into(), StoreMsg::Ping)]
        );
        assert_eq!(s.ports().collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn a_lengthened_expiry_keeps_silent_tabs_until_they_say_goodbye() {
        let mut s = SharedStore::with_timeout(Sender::new(SenderId("shared-test".into())), 600_000.0);
        s.connect(1, 0.0);
        s.connect(2, 0.0);
        assert_eq!(bodies(&s.tick(60_000.0)), [("all".into(), StoreMsg::Ping)], "silent, still listed");
        let out = TabSim::new(2, "tab-b").send(&mut s, StoreMsg::Goodbye, 60_001.0);
        assert_eq!(bodies(&out), [("all".into(), StoreMsg::Roster { connections: 1 })]);
    }

    #[test]
    fn ports_beyond_the_cap_are_refused_visibly_and_not_listed() {
        let mut s = store();
        for port in 1..=MAX_PORTS as PortId {
            s.connect(port, 0.0);
        }
        let extra = MAX_PORTS as PortId + 1;
        let out = s.connect(extra, 1.0);
        assert!(
            matches!(&out[..], [Outgoing::To(p, e)] if *p == extra
                && matches!(e.body, StoreMsg::Rejected { code: ReasonCode::RosterFull, .. })),
            "{out:?}"
        );
        assert_eq!(s.connections() as usize, MAX_PORTS);
        assert!(!s.ports().any(|p| p == extra), "not listed, so the worker closes it");
        // An expired port that speaks again is not taken back past the cap either.
        let out = TabSim::new(extra, "late").send(&mut s, StoreMsg::Get { key: "k".into() }, 2.0);
        assert!(matches!(&out[..], [Outgoing::To(..)]), "{out:?}");
        assert_eq!(s.connections() as usize, MAX_PORTS);
        TabSim::new(1, "tab-1").send(&mut s, StoreMsg::Goodbye, 3.0);
        assert_eq!(
            bodies(&s.connect(extra, 4.0)),
            [("all".into(), StoreMsg::Roster { connections: MAX_PORTS as u32 })]
        );
    }

    #[test]
    fn a_tab_that_expired_and_speaks_again_is_taken_back() {
        let mut s = store();
        s.connect(1, 0.0);
        s.tick(10_000.0);
        assert_eq!(s.connections(), 0);
        let mut a = TabSim::new(1, "tab-a");
        let out = a.send(&mut s, StoreMsg::Get { key: "k".into() }, 10_001.0);
        assert_eq!(s.connections(), 1);
        let out = bodies(&out);
        assert_eq!(out[0], ("all".into(), StoreMsg::Roster { connections: 1 }));
        assert!(matches!(out[1].1, StoreMsg::Value { .. }));
    }

    #[test]
    fn limits_are_checked_in_bytes_not_characters() {
        let chinese = "你".repeat(MAX_VALUE_BYTES / 3 + 1);
        assert!(check_set("k", &chinese).is_err());
        assert!(check_set("k", &"你".repeat(MAX_VALUE_BYTES / 3)).is_ok());
    }

    #[test]
    fn a_port_speaks_for_one_sender_only() {
        let mut s = store();
        s.connect(1, 0.0);
        s.connect(2, 0.0);
        let mut a = TabSim::new(1, "tab-a");
        a.send(&mut s, StoreMsg::Hello, 0.0);
        // Port 1 claims to be tab-b, who is on port 2.
        let mut forger = TabSim::new(1, "tab-b");
        let out = forger.send(&mut s, StoreMsg::Set { key: "k".into(), value: "forged".into() }, 1.0);
        assert!(
            matches!(&bodies(&out)[..], [(to, StoreMsg::Rejected { code: ReasonCode::WrongSender, .. })] if to == "to 1")
        );
        let mut b = TabSim::new(2, "tab-b");
        let out = b.send(&mut s, StoreMsg::Get { key: "k".into() }, 2.0);
        assert!(
            matches!(&bodies(&out)[0].1, StoreMsg::Value { value: None, .. }),
            "nothing was written in tab-b's name"
        );
    }

    #[test]
    fn the_store_is_bounded_in_keys_and_bytes() {
        let mut s = store();
        s.connect(1, 0.0);
        let mut a = TabSim::new(1, "tab-a");
        for n in 0..MAX_KEYS {
            let out = a.send(&mut s, StoreMsg::Set { key: format!("k{n}"), value: "v".into() }, 0.0);
            assert!(matches!(bodies(&out)[0].1, StoreMsg::Ack { .. }));
        }
        let out = a.send(&mut s, StoreMsg::Set { key: "one-more".into(), value: "v".into() }, 0.0);
        assert!(matches!(&bodies(&out)[0].1, StoreMsg::Rejected { code: ReasonCode::StoreFull, .. }));
        let out = a.send(&mut s, StoreMsg::Set { key: "k1".into(), value: "replacing is fine".into() }, 0.0);
        assert!(matches!(bodies(&out)[0].1, StoreMsg::Ack { .. }));

        let mut s = store();
        s.connect(1, 0.0);
        let big = "x".repeat(MAX_VALUE_BYTES);
        let fits = MAX_TOTAL_BYTES / (MAX_VALUE_BYTES + 4);
        for n in 0..fits {
            let out = a.send(&mut s, StoreMsg::Set { key: format!("b{n:03}"), value: big.clone() }, 0.0);
            assert!(matches!(bodies(&out)[0].1, StoreMsg::Ack { .. }), "{n}");
        }
        let out = a.send(&mut s, StoreMsg::Set { key: "b-last".into(), value: big.clone() }, 0.0);
        assert!(matches!(&bodies(&out)[0].1, StoreMsg::Rejected { code: ReasonCode::StoreFull, .. }));
        let out = a.send(&mut s, StoreMsg::Set { key: "b000".into(), value: "small".into() }, 0.0);
        assert!(matches!(bodies(&out)[0].1, StoreMsg::Ack { .. }), "shrinking a value frees room");
        let out = a.send(&mut s, StoreMsg::Set { key: "b-last".into(), value: big }, 0.0);
        assert!(matches!(bodies(&out)[0].1, StoreMsg::Ack { .. }));
    }

    #[test]
    fn a_storm_of_hellos_is_answered_at_a_bounded_rate() {
        let mut s = store();
        s.connect(1, 0.0);
        let mut a = TabSim::new(1, "tab-a");
        let welcomes: usize = (0..1000).map(|n| a.send(&mut s, StoreMsg::Hello, n as f64).len()).sum();
        assert_eq!(welcomes, 1, "one welcome in the first second");
        assert_eq!(a.send(&mut s, StoreMsg::Hello, 1_000.0).len(), 1, "and another after it");
    }
}
