//! Per-sender sequence tracking: every envelope carries its sender's next number, so a receiver can
//! tell a message that came in order from one after a gap, or a repeat.

use std::collections::BTreeMap;

use crate::{Reason, ReasonCode, SenderId};

/// Whether a sender's message came in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Order {
    /// The next one, or the first one heard from this sender.
    InOrder,
    /// Some messages between the last one and this one never arrived.
    Gap { expected: u64, got: u64 },
    /// Seen already, or older than one seen already.
    Repeat { last: u64, got: u64 },
}

impl Order {
    /// What the log says about it, if anything is wrong.
    pub fn problem(&self) -> Option<Reason> {
        match self {
            Order::InOrder => None,
            Order::Gap { expected, got } => Some(Reason::new(
                ReasonCode::Gap,
                format!("gap: expected #{expected}, got #{got} ({} missing)", got - expected),
            )),
            Order::Repeat { last, got } => Some(Reason::new(
                ReasonCode::Repeat,
                format!("duplicate or out of order: #{got} after #{last}"),
            )),
        }
    }
}

/// At most this many senders are tracked; a new one beyond it makes room by forgetting another, so
/// a peer inventing sender ids cannot grow memory without bound (the forgotten one, if it speaks
/// again, starts a new baseline).
pub const MAX_SENDERS: usize = 1024;

/// The last sequence number seen from each sender.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SequenceCheck {
    last: BTreeMap<SenderId, u64>,
}

impl SequenceCheck {
    pub fn check(&mut self, from: &SenderId, seq: u64) -> Order {
        let order = match self.last.get(from) {
            None => Order::InOrder,
            Some(&last) => match last.checked_add(1) {
                Some(next) if seq == next => Order::InOrder,
                Some(next) if seq > next => Order::Gap { expected: next, got: seq },
                _ => Order::Repeat { last, got: seq },
            },
        };
        if !matches!(order, Order::Repeat { .. }) {
            if self.last.len() >= MAX_SENDERS && !self.last.contains_key(from) {
                self.last.pop_first();
            }
            self.last.insert(from.clone(), seq);
        }
        order
    }

    /// Forgets a sender that left: if it comes back, its numbering starts a new baseline.
    pub fn forget(&mut self, from: &SenderId) {
        self.last.remove(from);
    }

    /// How many senders are tracked (bounded by whoever keeps the roster: it forgets who left).
    pub fn len(&self) -> usize {
        self.last.len()
    }

    pub fn is_empty(&self) -> bool {
        self.last.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> SenderId {
        SenderId(name.into())
    }

    #[test]
    fn in_order_gaps_and_repeats_are_told_apart_per_sender() {
        let mut check = SequenceCheck::default();
        assert_eq!(check.check(&id("a"), 7), Order::InOrder, "the first one heard sets the baseline");
        assert_eq!(check.check(&id("a"), 8), Order::InOrder);
        assert_eq!(check.check(&id("b"), 1), Order::InOrder);
        assert_eq!(check.check(&id("a"), 11), Order::Gap { expected: 9, got: 11 });
        assert_eq!(check.check(&id("a"), 11), Order::Repeat { last: 11, got: 11 });
        assert_eq!(check.check(&id("a"), 5), Order::Repeat { last: 11, got: 5 });
        assert_eq!(check.check(&id("a"), 12), Order::InOrder, "a repeat does not move the baseline");
        let gap = Order::Gap { expected: 9, got: 11 }.problem().unwrap();
        assert_eq!((gap.code, gap.text.as_str()), (ReasonCode::Gap, "gap: expected #9, got #11 (2 missing)"));
        assert_eq!(Order::Repeat { last: 2, got: 2 }.problem().unwrap().code, ReasonCode::Repeat);
        check.forget(&id("a"));
        assert_eq!(
            check.check(&id("a"), 40),
            Order::InOrder,
            "a sender that left and came back starts afresh"
        );
        assert_eq!(check.check(&id("b"), 3), Order::Gap { expected: 2, got: 3 }, "others are still tracked");
    }

    #[test]
    fn the_largest_numbers_neither_wrap_nor_panic() {
        let mut check = SequenceCheck::default();
        assert_eq!(check.check(&id("a"), u64::MAX), Order::InOrder);
        assert_eq!(check.check(&id("a"), u64::MAX), Order::Repeat { last: u64::MAX, got: u64::MAX });
        assert_eq!(check.check(&id("a"), 1), Order::Repeat { last: u64::MAX, got: 1 });
        assert!(Order::Gap { expected: 1, got: u64::MAX }.problem().is_some());
    }

    #[test]
    fn invented_senders_cannot_grow_it_without_bound() {
        let mut check = SequenceCheck::default();
        for n in 0..MAX_SENDERS * 3 {
            check.check(&id(&format!("forged-{n:05}")), 1);
        }
        assert_eq!(check.len(), MAX_SENDERS);
        assert_eq!(check.check(&id("forged-99999"), 1), Order::InOrder);
    }
}
