//! A route's log as JSON, for the `log-export` button: what QA attaches to a bug report. Pure
//! data, tested natively; `components::message_log` offers it as a download.
//!
//! ```json
//! {"route":"/broadcast","exported_at":1732270000123.4,"capacity":200,"dropped":0,
//!  "entries":[{"dir":"in","status":"ok","kind":"text","seq":3,"from":"tab-3f9a1c2b",
//!              "at_ms":1732270000100.2,"payload":"hi","reason_code":null,"reason":null}]}
//! ```

use serde_json::{json, Value};

use crate::log::{LogBook, Status};

/// The log of `route`, oldest entry first, exported at `now_ms`.
pub fn log_json(book: &LogBook, route: &str, now_ms: f64) -> String {
    let entries: Vec<Value> = book
        .entries()
        .map(|logged| {
            let e = &logged.entry;
            let (code, reason) = match &e.status {
                Status::Ok => (None, None),
                Status::Rejected(reason) => (Some(reason.code.as_str()), Some(reason.text.as_str())),
            };
            json!({
                "dir": e.dir.as_attr(),
                "status": e.status.as_attr(),
                "kind": e.kind,
                "seq": e.seq,
                "from": e.from,
                "at_ms": e.at_ms,
                "payload": e.payload.text(),
                "reason_code": code,
                "reason": reason,
            })
        })
        .collect();
    let export = json!({
        "route": route,
        "exported_at": now_ms,
        "capacity": book.capacity(),
        "dropped": book.dropped(),
        "entries": entries,
    });
    serde_json::to_string_pretty(&export).unwrap_or_default()
}

/// The file name an export is saved under: `crosstalk-log-broadcast-<time>.json`.
pub fn file_name(route: &str, now_ms: f64) -> String {
    let slug: String =
        route.trim_matches('/').chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let slug = if slug.is_empty() { "home".to_owned() } else { slug };
    format!("crosstalk-log-{slug}-{}.json", now_ms as u64)
}

#[cfg(test)]
mod tests {
    use crosstalk_protocol::{Reason, ReasonCode};

    use super::*;
    use crate::log::{Direction, Entry};

    #[test]
    fn exports_every_kept_entry_oldest_first_with_its_reason_code_and_what_was_dropped() {
        let mut book = LogBook::with_capacity(2);
        book.push(Entry::system("join", "joined", 1.0));
        let mut incoming = Entry::system("text", "héllo \"<b>\"", 2.0);
        (incoming.dir, incoming.seq, incoming.from) = (Direction::In, Some(7), Some("tab-1".into()));
        book.push(incoming);
        book.push(
            Entry::system("?", "{not json", 3.0).rejected(Reason::new(ReasonCode::BadJson, "not JSON")),
        );
        let export: Value = serde_json::from_str(&log_json(&book, "/broadcast", 9.5)).expect("JSON");
        assert_eq!((export["route"].as_str(), export["dropped"].as_u64()), (Some("/broadcast"), Some(1)));
        let entries = export["entries"].as_array().expect("entries");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0]["payload"], "héllo \"<b>\"");
        assert_eq!((entries[0]["dir"].as_str(), entries[0]["seq"].as_u64()), (Some("in"), Some(7)));
        assert_eq!(entries[0]["reason_code"], Value::Null);
        assert_eq!(
            (entries[1]["status"].as_str(), entries[1]["reason_code"].as_str()),
            (Some("rejected"), Some("bad-json"))
        );
    }

    #[test]
    fn file_names_say_the_route_and_the_time() {
        assert_eq!(file_name("/broadcast", 1234.9), "crosstalk-log-broadcast-1234.json");
        assert_eq!(file_name("/", 1.0), "crosstalk-log-home-1.json");
        assert_eq!(file_name("/a b/../c", 2.0), "crosstalk-log-a-b----c-2.json");
    }
}
