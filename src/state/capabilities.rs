//! The capability page's state: one row per thing this browser can or cannot do, filled in as
//! each probe answers. Page: `pages/capabilities.rs`; probes: `transport/detect.rs`.

use serde_json::{json, Value};

/// Every row, in the order shown: its stable slug (`data-capability`) and what it asks.
pub const ROWS: &[(&str, &str)] = &[
    (
        "secure-context",
        "A secure context (https, or localhost): what Web Locks, Service Workers and shared memory need",
    ),
    ("broadcast-channel", "BroadcastChannel"),
    ("shared-worker", "SharedWorker"),
    ("service-worker", "Service Workers (navigator.serviceWorker)"),
    ("service-worker-control", "A Service Worker controls this page"),
    ("module-worker", "Module workers (new Worker(url, {type: \"module\"}))"),
    ("web-locks", "Web Locks (navigator.locks)"),
    ("locks-query", "locks.query(): who holds and who waits"),
    ("local-storage", "localStorage is writable"),
    ("indexeddb", "IndexedDB opens a database"),
    ("storage-quota", "localStorage refuses what is over its quota"),
    ("cross-origin-isolated", "Cross-origin isolated (precise timers, SharedArrayBuffer)"),
    ("shared-array-buffer", "A SharedArrayBuffer can be made"),
    ("atomics-wait-async", "Atomics.waitAsync: waiting on shared memory without blocking"),
    ("websocket", "WebSocket"),
    ("rtc-data-channel", "RTCPeerConnection makes a data channel"),
    ("transfer-port", "A MessagePort can be transferred"),
    ("clone-map", "A Map survives postMessage"),
    ("clone-date", "A Date survives postMessage"),
    ("clone-blob", "A Blob survives postMessage"),
    ("transfer-array-buffer", "An ArrayBuffer is transferred, not copied"),
    ("clone-function", "A function is refused with DataCloneError"),
    ("broadcast-clone-map", "A Map survives BroadcastChannel"),
];

pub use crate::transport::detect::Finding;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CapabilitiesState {
    /// Per row of [`ROWS`], in order: `None` while its probe runs.
    found: Vec<Option<Finding>>,
}

impl CapabilitiesState {
    pub fn new() -> Self {
        CapabilitiesState { found: vec![None; ROWS.len()] }
    }

    /// Records a probe's answer; a slug that is not a row is ignored.
    pub fn found(&mut self, slug: &str, finding: Finding) {
        if let Some(at) = ROWS.iter().position(|(s, _)| *s == slug) {
            if let Some(slot) = self.found.get_mut(at) {
                *slot = Some(finding);
            }
        }
    }

    /// Every row with what is known of it.
    pub fn rows(&self) -> impl Iterator<Item = (&'static str, &'static str, Option<&Finding>)> + '_ {
        ROWS.iter()
            .enumerate()
            .map(|(at, (slug, label))| (*slug, *label, self.found.get(at).and_then(Option::as_ref)))
    }

    /// How many probes have answered, of how many.
    pub fn progress(&self) -> (usize, usize) {
        (self.found.iter().filter(|f| f.is_some()).count(), ROWS.len())
    }

    pub fn done(&self) -> bool {
        let (answered, all) = self.progress();
        answered == all
    }

    /// The findings as JSON, for export and for copying: `{"user_agent": …, "capabilities": [{slug,
    /// label, supported, note}]}` (`supported` is null while a probe runs).
    pub fn to_json(&self, user_agent: &str) -> String {
        let rows: Vec<Value> = self
            .rows()
            .map(|(slug, label, found)| {
                json!({
                    "slug": slug,
                    "label": label,
                    "supported": found.map(|f| f.supported),
                    "note": found.map(|f| f.note.as_str()),
                })
            })
            .collect();
        serde_json::to_string_pretty(&json!({ "user_agent": user_agent, "capabilities": rows }))
            .unwrap_or_default()
    }

    /// The findings as plain text, one row a line, for pasting into a bug report.
    pub fn to_text(&self) -> String {
        self.rows()
            .map(|(slug, _, found)| match found {
                Some(f) => format!("{slug}: {} — {}\n", if f.supported { "yes" } else { "no" }, f.note),
                None => format!("{slug}: (checking)\n"),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_fill_in_as_probes_answer_and_unknown_slugs_change_nothing() {
        let mut state = CapabilitiesState::new();
        assert_eq!(state.progress(), (0, ROWS.len()));
        state.found("websocket", Finding { supported: true, note: "typeof WebSocket is function".into() });
        state.found("no-such-row", Finding { supported: false, note: String::new() });
        assert_eq!(state.progress(), (1, ROWS.len()));
        assert!(!state.done());
        let websocket =
            state.rows().find(|(slug, _, _)| *slug == "websocket").and_then(|(_, _, f)| f.cloned());
        assert_eq!(websocket.map(|f| f.supported), Some(true));
        for (slug, _) in ROWS {
            state.found(slug, Finding { supported: false, note: "n".into() });
        }
        assert!(state.done());
    }

    #[test]
    fn exports_every_row_with_null_for_what_is_still_checking() {
        let mut state = CapabilitiesState::new();
        state.found("clone-function", Finding { supported: true, note: "DataCloneError \"x\"".into() });
        let json: Value = serde_json::from_str(&state.to_json("UA")).expect("JSON");
        let rows = json["capabilities"].as_array().expect("rows");
        assert_eq!(rows.len(), ROWS.len());
        let function = rows.iter().find(|r| r["slug"] == "clone-function").expect("the row");
        assert_eq!(
            (function["supported"].as_bool(), function["note"].as_str()),
            (Some(true), Some("DataCloneError \"x\""))
        );
        assert_eq!(rows[0]["supported"], Value::Null);
        assert!(state.to_text().contains("clone-function: yes — DataCloneError \"x\"\n"));
        assert!(state.to_text().contains("websocket: (checking)\n"));
    }

    #[test]
    fn slugs_are_unique() {
        let mut slugs: Vec<&str> = ROWS.iter().map(|(s, _)| *s).collect();
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(slugs.len(), ROWS.len());
    }
}
