//! Messages of the inspector's side channel: one BroadcastChannel every crosstalk tab of an origin
//! shares, on which an open `/inspector` says it is watching and every other tab answers with what
//! its route logged. Nothing is published unless an inspector watches: a tab that hears no
//! `watch` for [`WATCH_LASTS_MS`] stops.
//!
//! ```text
//!  /inspector                     every other tab (any route)
//!      |-- watch {fresh: true} ------->|   fresh: send all you hold
//!      |<-- records {route, [...]} ----|   then, once per frame, what is new
//!      |-- watch {fresh: false} ------>|   every second, or they stop
//! ```

use serde::{Deserialize, Serialize};

use crate::parsed::{get, object, Emit, Emitter, FromParsed, Parsed};
use crate::{Reason, ReasonCode};

/// The side channel's name.
pub const INSPECTOR_CHANNEL: &str = "crosstalk:inspector";
/// How often an open inspector says it is still watching.
pub const WATCH_INTERVAL_MS: u32 = 1_000;
/// How long a tab keeps publishing after the last `watch` it heard.
pub const WATCH_LASTS_MS: f64 = 3_000.0;
/// The most records one batch may carry (a route's log holds fewer).
pub const MAX_RECORDS: usize = 256;
/// The most characters of a message a record shows.
pub const PAYLOAD_CHARS: usize = 120;

crate::bodies! {
    @parsed
    #[derive(Debug, Clone, PartialEq)]
    pub enum InspectorMsg {
        /// An inspector is open; `fresh` asks every tab for all it holds, not only what is new.
        Watch { fresh: bool } = "watch",
        /// What one tab's route logged: `route` is its path, the tab is the envelope's sender.
        Records { route: String, records: Vec<Record> } = "records",
        /// One message a worker handled ([`WorkerTapMsg::Seen`]): a worker keeps no log to batch.
        Seen {
            route: String,
            id: u64,
            at_ms: f64,
            dir: String,
            code: Option<ReasonCode>,
            kind: String,
            seq: Option<u64>,
            from: Option<String>,
            payload: String,
        } = "seen",
    }
}

crate::bodies! {
    @parsed
    /// The side channel as a worker speaks it: without serde_json (see `parsed`), so only what a
    /// worker needs — hearing a `watch` (whether fresh does not matter: it keeps no backlog), and
    /// saying what it `seen`.
    #[derive(Debug, Clone, PartialEq)]
    pub enum WorkerTapMsg {
        Watch = "watch",
        Seen {
            route: String,
            id: u64,
            at_ms: f64,
            dir: String,
            code: Option<ReasonCode>,
            kind: String,
            seq: Option<u64>,
            from: Option<String>,
            payload: String,
        } = "seen",
    }
}

impl Record {
    /// A worker's `seen`, as a record; `None` when its direction is not one of the three.
    #[allow(clippy::too_many_arguments)]
    pub fn seen(
        id: u64,
        at_ms: f64,
        dir: &str,
        code: Option<ReasonCode>,
        kind: String,
        seq: Option<u64>,
        from: Option<String>,
        payload: String,
    ) -> Option<Record> {
        let dir = Dir::parse(dir)?;
        Some(Record { id, at_ms, dir, code, kind, seq, from, payload })
    }
}

impl FromParsed for Record {
    fn from_parsed<P: Parsed>(value: Option<P>) -> Result<Self, &'static str> {
        object(value, "a record {id, at_ms, dir, kind, payload, …}", |o| {
            Some(Record {
                id: get(o, "id")?,
                at_ms: get(o, "at_ms")?,
                dir: get(o, "dir")?,
                code: get(o, "code")?,
                kind: get(o, "kind")?,
                seq: get(o, "seq")?,
                from: get(o, "from")?,
                payload: get(o, "payload")?,
            })
        })
    }
}

impl Emit for Record {
    fn emit<E: Emitter>(&self, name: &'static str, out: &mut E) {
        out.begin_object(name);
        self.id.emit("id", out);
        self.at_ms.emit("at_ms", out);
        out.str("dir", self.dir.as_str());
        // Absent rather than null, as serde writes a record.
        if let Some(code) = &self.code {
            code.emit("code", out);
        }
        self.kind.emit("kind", out);
        if let Some(seq) = &self.seq {
            seq.emit("seq", out);
        }
        if let Some(from) = &self.from {
            from.emit("from", out);
        }
        self.payload.emit("payload", out);
        out.end();
    }
}

impl FromParsed for Dir {
    fn from_parsed<P: Parsed>(value: Option<P>) -> Result<Self, &'static str> {
        value.and_then(|v| v.as_str()).and_then(|d| Dir::parse(&d)).ok_or("in, out or system")
    }
}

/// Which way a logged message went, as the logs' `data-dir` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    In,
    Out,
    System,
}

impl Dir {
    pub fn parse(word: &str) -> Option<Dir> {
        [Dir::In, Dir::Out, Dir::System].into_iter().find(|d| d.as_str() == word)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Dir::In => "in",
            Dir::Out => "out",
            Dir::System => "system",
        }
    }
}

/// One log entry of a tab, as the inspector shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The entry's id in its tab's log: with the tab, its identity (a resend is not a new entry).
    pub id: u64,
    /// When that tab logged it, milliseconds since the Unix epoch.
    pub at_ms: f64,
    pub dir: Dir,
    /// The reason code when the entry was rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<ReasonCode>,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The message's sender when the entry names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    pub payload: String,
}

/// A batch the inspector takes: a route path of the suite's shape, and not too many records.
pub fn check_batch(route: &str, records: &[Record]) -> Result<(), Reason> {
    if !route.starts_with('/') || route.len() > 64 {
        return Err(Reason::new(
            ReasonCode::Malformed,
            format!("\"{}\" is not a route", crate::preview(route, 64)),
        ));
    }
    if records.len() > MAX_RECORDS {
        let said = format!("{} records in one batch, at most {MAX_RECORDS}", records.len());
        return Err(Reason::new(ReasonCode::TooLarge, said));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode, Body, Sender, SenderId};

    fn record(id: u64) -> Record {
        Record {
            id,
            at_ms: 1.5,
            dir: Dir::In,
            code: Some(ReasonCode::Gap),
            kind: "text".into(),
            seq: Some(3),
            from: Some("tab-a".into()),
            payload: "hi".into(),
        }
    }

    #[test]
    fn every_kind_round_trips() {
        let mut tab = Sender::new(SenderId("tab-a".into()));
        for body in [
            InspectorMsg::Watch { fresh: true },
            InspectorMsg::Records { route: "/broadcast".into(), records: vec![record(1), record(2)] },
        ] {
            let wire = tab.envelope(body.clone(), 0.0).encode().unwrap();
            assert_eq!(decode::<InspectorMsg>(&wire).unwrap().body, body, "{}", body.kind());
        }
    }

    #[test]
    fn a_record_of_another_shape_does_not_decode() {
        let wire = r#"{"v":1,"seq":1,"from":"tab-a","sent_at":0,"kind":"records","body":{"route":"/x","records":[{"id":1,"at_ms":0,"dir":"sideways","kind":"t","payload":""}]}}"#;
        assert!(decode::<InspectorMsg>(wire).is_err());
        let wire = r#"{"v":1,"seq":1,"from":"tab-a","sent_at":0,"kind":"records","body":{"route":"/x","records":[{"id":1,"at_ms":0,"dir":"in","code":"no-such-code","kind":"t","payload":""}]}}"#;
        assert!(decode::<InspectorMsg>(wire).is_err());
    }

    #[test]
    fn a_workers_seen_is_read_by_the_app_as_the_worker_wrote_it() {
        use crate::json_text::JsonText;
        use crate::parsed::emit_envelope;
        let seen = WorkerTapMsg::Seen {
            route: "/shared-worker".into(),
            id: 4,
            at_ms: 12.5,
            dir: "in".into(),
            code: None,
            kind: "set".into(),
            seq: Some(2),
            from: Some("tab-a".into()),
            payload: "a = \"1\"".into(),
        };
        let envelope = Sender::new(SenderId("shared-w".into())).envelope(seen, 1.0);
        let mut text = JsonText::new(|v: f64, out: &mut String| out.push_str(&v.to_string()));
        emit_envelope(&envelope, &mut text);
        let read = decode::<InspectorMsg>(&text.finish()).unwrap();
        let InspectorMsg::Seen { route, id, at_ms, dir, code, kind, seq, from, payload } = read.body else {
            panic!("{read:?}")
        };
        assert_eq!(route, "/shared-worker");
        let record = Record::seen(id, at_ms, &dir, code, kind, seq, from, payload).unwrap();
        assert_eq!(
            record,
            Record {
                id: 4,
                at_ms: 12.5,
                dir: Dir::In,
                code: None,
                kind: "set".into(),
                seq: Some(2),
                from: Some("tab-a".into()),
                payload: "a = \"1\"".into()
            }
        );
        assert!(Record::seen(0, 0.0, "sideways", None, String::new(), None, None, String::new()).is_none());
    }

    #[test]
    fn a_batch_is_checked_for_its_route_and_its_length() {
        assert!(check_batch("/broadcast", &[record(1)]).is_ok());
        assert_eq!(check_batch("broadcast", &[]).unwrap_err().code, ReasonCode::Malformed);
        let many: Vec<Record> = (0..=MAX_RECORDS as u64).map(record).collect();
        assert_eq!(check_batch("/broadcast", &many).unwrap_err().code, ReasonCode::TooLarge);
    }
}
