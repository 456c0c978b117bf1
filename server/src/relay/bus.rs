//! What relay instances tell each other about a room, and how it reads off the broker.
//!
//! A text is numbered once for the room (by the broker across instances, or by the one process)
//! and then is a [`Said`]: what every instance delivers to its members, what the room's history
//! keeps and what a resuming client is replayed. A change of members is a [`Headcount`]. Both
//! travel through Redis as one letter and JSON (`t{…}`, `m{…}`); what comes from the broker is
//! outside data like any other: size-checked, then decoded, and refused with a reason.

use serde::Deserialize;

use super::types::{Headcount, Said};

/// The largest bus message taken: a text at the relay's frame limit, escaped, and its fields.
pub const MAX_BUS_BYTES: usize = 2 * crosstalk_protocol::relay::MAX_FRAME_BYTES + 1024;

/// One message off the bus, decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum BusEvent {
    Said { room: String, said: Said },
    Headcount(Headcount),
}

/// A text as the bus carries it: the room beside the numbered text.
#[derive(Debug, Deserialize)]
struct SaidIn {
    room: String,
    #[serde(flatten)]
    said: Said,
}

/// Why a message off the broker was refused.
#[derive(Debug, thiserror::Error)]
pub enum BusReadError {
    #[error("{0} bytes, over the bus's {MAX_BUS_BYTES}")]
    TooBig(usize),
    #[error("an empty message")]
    Empty,
    #[error("unknown kind {0:?}")]
    UnknownKind(char),
    #[error("not a numbered text: {0}")]
    NotASaid(serde_json::Error),
    #[error("not a headcount: {0}")]
    NotAHeadcount(serde_json::Error),
}

/// Reads one pub/sub message: `t` then a numbered text, or `m` then a headcount.
pub fn read_event(payload: &[u8]) -> Result<BusEvent, BusReadError> {
    if payload.len() > MAX_BUS_BYTES {
        return Err(BusReadError::TooBig(payload.len()));
    }
    let (kind, json) = payload.split_first().ok_or(BusReadError::Empty)?;
    match kind {
        b't' => serde_json::from_slice::<SaidIn>(json)
            .map(|s| BusEvent::Said { room: s.room, said: s.said })
            .map_err(BusReadError::NotASaid),
        b'm' => serde_json::from_slice::<Headcount>(json)
            .map(BusEvent::Headcount)
            .map_err(BusReadError::NotAHeadcount),
        other => Err(BusReadError::UnknownKind(char::from(*other))),
    }
}

/// Reads one history entry (a numbered text, without the room).
pub fn read_said(stored: &[u8]) -> Result<Said, BusReadError> {
    if stored.len() > MAX_BUS_BYTES {
        return Err(BusReadError::TooBig(stored.len()));
    }
    serde_json::from_slice::<Said>(stored).map_err(BusReadError::NotASaid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bus_messages_decode_into_typed_events_or_say_why_not() {
        let said = br#"t{"room_seq":7,"at":1.5,"room":"lobby","from":"tab-a","seq":3,"sent_at":1.0,"text":"hi","origin":{"instance":"i1","conn":4}}"#;
        let BusEvent::Said { room, said } = read_event(said).unwrap() else { panic!() };
        assert_eq!(
            (room.as_str(), said.room_seq, said.text.as_str(), said.origin.conn),
            ("lobby", 7, "hi", 4)
        );
        let count = br#"m{"members":3,"room":"lobby","joined":"tab-b","left":null,"origin":{"instance":"i2","conn":1}}"#;
        assert!(matches!(read_event(count).unwrap(), BusEvent::Headcount(Headcount { members: 3, .. })));
        for (bad, why) in [
            (&b""[..], "empty"),
            (b"x{}", "unknown kind"),
            (b"t{\"room_seq\":-1}", "not a numbered text"),
            (b"m[]", "not a headcount"),
        ] {
            assert!(read_event(bad).unwrap_err().to_string().contains(why), "{why}");
        }
        let huge = vec![b't'; MAX_BUS_BYTES + 1];
        assert!(read_event(&huge).unwrap_err().to_string().contains("over the bus"));
        assert!(read_said(b"{}").is_err());
    }
}
