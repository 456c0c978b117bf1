//! Fault injection as data: what a page may do to the messages it sends (drop, duplicate,
//! reorder, delay), so the other side's handling can be watched. The transport core applies it;
//! the fault picker offers it.

/// How long [`Fault::Delay`] holds a message.
pub const FAULT_DELAY_MS: u32 = 2_000;
/// Fault injection on this page's outgoing messages, for watching the other side cope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fault {
    #[default]
    None,
    /// Numbered, logged here, never posted: the other side sees a gap at the next one.
    Drop,
    /// Posted twice: the other side flags the second as a repeat.
    Duplicate,
    /// Held back until the next message has gone: the other side sees a gap, then this one out
    /// of order.
    Reorder,
    /// Posted [`FAULT_DELAY_MS`] late, as a slow link would: whatever goes in between overtakes it.
    Delay,
}

impl Fault {
    pub const ALL: [Fault; 5] = [Fault::None, Fault::Drop, Fault::Duplicate, Fault::Reorder, Fault::Delay];

    /// The `<option>` value and QA word.
    pub fn as_attr(self) -> &'static str {
        match self {
            Fault::None => "none",
            Fault::Drop => "drop",
            Fault::Duplicate => "duplicate",
            Fault::Reorder => "reorder",
            Fault::Delay => "delay",
        }
    }

    pub fn parse(word: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.as_attr() == word)
    }
}
