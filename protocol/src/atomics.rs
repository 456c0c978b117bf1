//! The Atomics route: the layout of the ring that lives in a `SharedArrayBuffer` between the page
//! and its worker, the checks on every slot read from it, and the few messages that cross by
//! `postMessage` before the ring takes over (the worker says it is ready, the page hands it the
//! buffer once, the worker says it is attached).
//!
//! The buffer is read as 32-bit integers. The first [`HEADER_INTS`] are counters, each the place
//! one side waits on: the page adds one to [`REQUESTS`] for each request it writes and wakes the
//! worker, which is blocked in `Atomics.wait` on it; the worker adds one to [`REPLIES`] for each
//! answer and wakes the page, which waits with `Atomics.waitAsync` (a page may never block). Then
//! come [`SLOTS`] slots, each a state, a length in bytes and [`SLOT_BYTES`] of payload.
//!
//! A length is read from memory another context writes: it is checked against what a slot holds
//! before a byte is read ([`payload_len`]), so a lying slot is refused, never read past its end.

use crate::{Reason, ReasonCode};

/// The counter the worker waits on: requests written so far.
pub const REQUESTS: u32 = 0;
/// The counter the page waits on: replies written so far.
pub const REPLIES: u32 = 1;
/// Set to 1 to make the worker leave its loop (then it is terminated).
pub const STOP: u32 = 2;
/// Integers before the first slot.
pub const HEADER_INTS: u32 = 4;
/// Slots in the ring: as many requests may be outstanding at once.
pub const SLOTS: u32 = 8;
/// Payload bytes a slot holds.
pub const SLOT_BYTES: u32 = 256;
/// Integers of one slot: its state, its length, its payload.
pub const SLOT_INTS: u32 = 2 + SLOT_BYTES / 4;
/// The whole buffer, in bytes.
pub const BUFFER_BYTES: u32 = (HEADER_INTS + SLOTS * SLOT_INTS) * 4;
/// Hops in one run of the ping-pong (the `hops` readout's burst).
pub const BURST_HOPS: u32 = 2_000;

crate::bodies! {
    @parsed
    #[derive(Debug, Clone, PartialEq)]
    pub enum AtomicsMsg {
        /// Worker → page: listening; post the buffer now.
        Ready = "ready",
        /// Worker → page: the buffer arrived and fits; from now on the worker blocks in
        /// `Atomics.wait` and nothing more crosses by `postMessage`.
        Attached { bytes: u32, slots: u32 } = "attached",
        /// Worker → page: what it was handed is not a buffer it can use (why).
        Refused { why: String } = "refused",
    }
}

/// What a slot holds, as its first integer says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotState {
    Empty,
    /// The page wrote a request; the worker has not answered it yet.
    Request,
    /// The worker answered.
    Reply,
    /// The worker refused the request (its payload says why).
    Refused,
}

impl SlotState {
    pub fn code(self) -> i32 {
        match self {
            SlotState::Empty => 0,
            SlotState::Request => 1,
            SlotState::Reply => 2,
            SlotState::Refused => 3,
        }
    }

    /// The state an integer from the buffer names; anything else is refused.
    pub fn of(code: i32) -> Result<SlotState, Reason> {
        match code {
            0 => Ok(SlotState::Empty),
            1 => Ok(SlotState::Request),
            2 => Ok(SlotState::Reply),
            3 => Ok(SlotState::Refused),
            other => Err(Reason::new(
                ReasonCode::Malformed,
                format!("a slot in state {other}, which no side writes"),
            )),
        }
    }

    /// The word a page shows for it (`data-state` of a slot).
    pub fn as_str(self) -> &'static str {
        match self {
            SlotState::Empty => "empty",
            SlotState::Request => "request",
            SlotState::Reply => "reply",
            SlotState::Refused => "refused",
        }
    }
}

/// The slot message `n` (counted from 0) goes in.
pub fn slot_of(n: u32) -> u32 {
    n % SLOTS
}

/// The index (in integers) of slot `slot`'s state; its length is the next one.
pub fn state_index(slot: u32) -> u32 {
    HEADER_INTS + slot * SLOT_INTS
}

/// The index (in integers) of slot `slot`'s length.
pub fn len_index(slot: u32) -> u32 {
    state_index(slot) + 1
}

/// Where slot `slot`'s payload starts, in bytes.
pub fn payload_offset(slot: u32) -> u32 {
    (state_index(slot) + 2) * 4
}

/// The length a slot claims, checked: never negative, never more than a slot holds.
// lesson: atomics
pub fn payload_len(slot: u32, claimed: i32) -> Result<u32, Reason> {
    match u32::try_from(claimed) {
        Ok(len) if len <= SLOT_BYTES => Ok(len),
        _ => Err(Reason::new(
            ReasonCode::TooLarge,
            format!("slot {slot} claims {claimed} bytes; a slot holds {SLOT_BYTES}: not read"),
        )),
    }
}
// lesson end

/// A payload's bytes as text: UTF-8, or refused.
pub fn payload_text(slot: u32, bytes: &[u8]) -> Result<String, Reason> {
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        Reason::new(ReasonCode::Malformed, format!("slot {slot} holds bytes that are not UTF-8"))
    })
}

/// What the page may write into a slot: text of at most [`SLOT_BYTES`] bytes.
pub fn request_bytes(text: &str) -> Result<&[u8], Reason> {
    let bytes = text.as_bytes();
    if bytes.len() > SLOT_BYTES as usize {
        return Err(Reason::new(
            ReasonCode::BadInput,
            format!("{} bytes do not fit a slot of {SLOT_BYTES}", bytes.len()),
        ));
    }
    Ok(bytes)
}

/// The worker's answer to a request: the text back, marked, cut at a character's edge to fit.
pub fn reply_to(text: &str) -> String {
    let mut reply = format!("pong: {text}");
    while reply.len() > SLOT_BYTES as usize {
        reply.pop();
    }
    reply
}

/// What the worker writes when it refuses a slot: the code, then why.
pub fn refusal_text(reason: &Reason) -> String {
    let mut text = format!("{}: {}", reason.code.as_str(), reason.text);
    while text.len() > SLOT_BYTES as usize {
        text.pop();
    }
    text
}

/// The code and words of a refusal the worker wrote ([`refusal_text`]); an unknown code is
/// `malformed`.
pub fn refusal_of(text: &str) -> Reason {
    let (code, why) = text.split_once(": ").unwrap_or(("", text));
    Reason::new(ReasonCode::parse(code).unwrap_or(ReasonCode::Malformed), why.to_owned())
}

/// Checks a buffer handed to the worker: its size must be the layout's.
pub fn check_buffer(bytes: u32) -> Result<(), String> {
    if bytes == BUFFER_BYTES {
        Ok(())
    } else {
        Err(format!("a buffer of {bytes} bytes; the ring needs {BUFFER_BYTES}"))
    }
}

/// Requests the page may write before the worker has answered the oldest: one per slot.
pub fn ring_has_room(written: u32, answered: u32) -> bool {
    written.wrapping_sub(answered) < SLOTS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_the_header_and_never_overlap() {
        assert_eq!(state_index(0), HEADER_INTS);
        assert_eq!(payload_offset(0), (HEADER_INTS + 2) * 4);
        for slot in 0..SLOTS - 1 {
            assert_eq!(payload_offset(slot) + SLOT_BYTES, state_index(slot + 1) * 4);
        }
        assert_eq!(payload_offset(SLOTS - 1) + SLOT_BYTES, BUFFER_BYTES);
        assert_eq!(slot_of(SLOTS + 3), 3);
    }

    #[test]
    fn a_length_that_lies_is_refused_before_anything_is_read() {
        assert_eq!(payload_len(2, 0), Ok(0));
        assert_eq!(payload_len(2, SLOT_BYTES as i32), Ok(SLOT_BYTES));
        for lie in [SLOT_BYTES as i32 + 1, -1, i32::MAX, i32::MIN] {
            let refused = payload_len(2, lie).unwrap_err();
            assert_eq!(refused.code, ReasonCode::TooLarge, "{lie}");
            assert!(refused.text.contains("slot 2"), "{}", refused.text);
        }
    }

    #[test]
    fn states_and_texts_are_checked() {
        for state in [SlotState::Empty, SlotState::Request, SlotState::Reply, SlotState::Refused] {
            assert_eq!(SlotState::of(state.code()), Ok(state));
        }
        assert_eq!(SlotState::of(9).unwrap_err().code, ReasonCode::Malformed);
        assert_eq!(payload_text(1, "héllo".as_bytes()), Ok("héllo".into()));
        assert_eq!(payload_text(1, &[0xff, 0xfe]).unwrap_err().code, ReasonCode::Malformed);
        assert!(request_bytes(&"x".repeat(SLOT_BYTES as usize)).is_ok());
        assert_eq!(
            request_bytes(&"x".repeat(SLOT_BYTES as usize + 1)).unwrap_err().code,
            ReasonCode::BadInput
        );
    }

    #[test]
    fn replies_and_refusals_fit_a_slot_and_read_back() {
        assert_eq!(reply_to("hi"), "pong: hi");
        let long = reply_to(&"é".repeat(200));
        assert!(long.len() <= SLOT_BYTES as usize && long.is_char_boundary(long.len()));
        let reason = Reason::new(ReasonCode::TooLarge, "slot 1 claims 9999 bytes");
        assert_eq!(refusal_of(&refusal_text(&reason)), reason);
        assert_eq!(refusal_of("nonsense").code, ReasonCode::Malformed);
    }

    #[test]
    fn the_ring_holds_one_outstanding_request_per_slot() {
        assert!(ring_has_room(0, 0));
        assert!(ring_has_room(SLOTS - 1, 0));
        assert!(!ring_has_room(SLOTS, 0));
        assert!(ring_has_room(u32::MAX, u32::MAX - 2), "counters wrap");
        assert_eq!(check_buffer(BUFFER_BYTES), Ok(()));
        assert!(check_buffer(16).unwrap_err().contains("needs"));
    }
}
