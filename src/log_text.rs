//! What a log entry shows as its message. A message's text that came from JavaScript stays there
//! until the entry's row is first rendered: at most once per frame, and only for the rows a frame
//! shows, so the entries that a burst pushes out of the ring before any frame shows them are never
//! copied into wasm. The copy is then kept, and the handle let go.
//!
//! Only a short text is held that way. A longer one has its first [`MESSAGE_CHARS`] copied at once:
//! a handle keeps the whole string alive, and a ring of 200 entries must never pin 200 of a peer's
//! megabyte messages.

use std::cell::RefCell;
use std::fmt;

use crosstalk_protocol::Payload;

/// How much of a message's text a log entry keeps.
pub const MESSAGE_CHARS: usize = 500;

pub struct LogText {
    head: RefCell<Head>,
    /// What this page added after the message's text (" ↩ echo of #3", " (on the worker)").
    tail: String,
}

enum Head {
    Copied(String),
    /// A text no longer than [`MESSAGE_CHARS`] UTF-16 units (or bytes), not yet copied.
    Held(Payload),
}

impl LogText {
    /// A message's free text: held while short, its start copied now when long.
    pub fn message(text: &Payload) -> LogText {
        let head = if text.len_hint() <= MESSAGE_CHARS {
            Head::Held(text.clone())
        } else {
            Head::Copied(text.preview(MESSAGE_CHARS))
        };
        LogText { head: RefCell::new(head), tail: String::new() }
    }

    /// Adds this page's own words after the message's.
    pub fn push_str(&mut self, more: &str) {
        self.tail.push_str(more);
    }

    /// The whole text shown, copying the message's text the first time it is asked for.
    pub fn text(&self) -> String {
        let mut head = self.head.borrow_mut();
        if let Head::Held(payload) = &*head {
            // Control characters flattened, as every shown text is.
            *head = Head::Copied(payload.preview(MESSAGE_CHARS));
        }
        match &*head {
            Head::Copied(text) => format!("{text}{}", self.tail),
            Head::Held(_) => unreachable!("copied just above"),
        }
    }

    /// Whether the message's text has been copied yet (for the tests of this file's promise).
    pub fn is_copied(&self) -> bool {
        matches!(&*self.head.borrow(), Head::Copied(_))
    }
}

impl From<String> for LogText {
    fn from(text: String) -> LogText {
        LogText { head: RefCell::new(Head::Copied(text)), tail: String::new() }
    }
}

impl From<&str> for LogText {
    fn from(text: &str) -> LogText {
        LogText::from(text.to_owned())
    }
}

impl Default for LogText {
    fn default() -> LogText {
        LogText::from(String::new())
    }
}

impl Clone for LogText {
    fn clone(&self) -> LogText {
        let head = match &*self.head.borrow() {
            Head::Copied(text) => Head::Copied(text.clone()),
            Head::Held(payload) => Head::Held(payload.clone()),
        };
        LogText { head: RefCell::new(head), tail: self.tail.clone() }
    }
}

impl PartialEq for LogText {
    fn eq(&self, other: &LogText) -> bool {
        self.text() == other.text()
    }
}

impl PartialEq<&str> for LogText {
    fn eq(&self, other: &&str) -> bool {
        self.text() == *other
    }
}

impl fmt::Display for LogText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl fmt::Debug for LogText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_message_is_copied_only_when_first_shown_and_then_kept() {
        let shown = LogText::message(&Payload::from("hello\nthere"));
        assert!(!shown.is_copied(), "nothing is copied before a row renders it");
        assert_eq!(shown.text(), "hello there");
        assert!(shown.is_copied());
        assert_eq!(shown.text(), "hello there");
    }

    #[test]
    fn a_long_message_keeps_only_its_start_from_the_outset() {
        let long = "x".repeat(MESSAGE_CHARS * 4);
        let shown = LogText::message(&Payload::from(long.as_str()));
        assert!(shown.is_copied(), "a long text is cut at once, never held whole");
        let text = shown.text();
        assert!(text.chars().count() <= MESSAGE_CHARS + 1, "{} chars", text.chars().count());
        assert!(text.ends_with('…'), "{text}");
    }

    #[test]
    fn the_page_s_own_words_follow_the_message_s() {
        let mut shown = LogText::message(&Payload::from("hi"));
        shown.push_str(" ↩ echo of #1");
        shown.push_str(" · round trip 2.5 ms");
        assert!(!shown.is_copied());
        assert_eq!(shown.to_string(), "hi ↩ echo of #1 · round trip 2.5 ms");
        assert_eq!(shown, LogText::from("hi ↩ echo of #1 · round trip 2.5 ms"));
    }
}
