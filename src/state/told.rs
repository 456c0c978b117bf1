//! The log entries every route writes alike. A transport's events are of two sorts: four that
//! read the same on every route (raw text sent, something rejected, an envelope declined, a send
//! refused), and the rest, which each route says in its own words. [`told`] writes the first
//! sort and hands back the second as [`Own`], so a route's state matches only what is its own.

use crosstalk_protocol::order::Order;
use crosstalk_protocol::{Body, Envelope, Reason};

use crate::log::Entry;
use crate::said;
use crate::transport::{Event, LinkState, Via};

/// A transport's event that each route says in its own way.
#[derive(Debug)]
pub enum Own<B, X> {
    State(LinkState),
    Sent { envelope: Envelope<B>, via: Via },
    Received { envelope: Envelope<B>, via: Via, order: Order },
    Other(X),
}

/// The entry for an event every route tells alike, or the event back as the route's [`Own`].
pub fn told<B: Body, X>(event: Event<B, X>, at_ms: f64) -> Result<Entry, Own<B, X>> {
    match event {
        Event::SentRaw { text, .. } => Ok(Entry::sent_raw(&text, at_ms)),
        Event::Rejected { raw, error, .. } => Ok(Entry::refused(&raw, error.reason(), at_ms)),
        Event::Declined { envelope, reason, .. } => Ok(Entry::declined(&envelope, reason, at_ms)),
        Event::Refused(reason) => Ok(not_sent(reason, at_ms)),
        Event::State(state) => Err(Own::State(state)),
        Event::Sent { envelope, via } => Err(Own::Sent { envelope, via }),
        Event::Received { envelope, via, order } => Err(Own::Received { envelope, via, order }),
        Event::Other(other) => Err(Own::Other(other)),
    }
}

/// A message of this page's own that could not go, and why (a transport's refusal, or a click the
/// route refused before it reached one).
pub fn not_sent(reason: Reason, at_ms: f64) -> Entry {
    Entry::said(super::REFUSED, said!(NotSent), at_ms).rejected(reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::{Direction, Status};
    use crosstalk_protocol::broadcast::BroadcastMsg;
    use crosstalk_protocol::{DecodeError, ReasonCode, Sender, SenderId};

    type Ev = Event<BroadcastMsg, u8>;

    fn envelope() -> Envelope<BroadcastMsg> {
        Sender::new(SenderId("tab-a".into())).envelope(BroadcastMsg::Hello, 0.0)
    }

    fn reason() -> Reason {
        Reason::new(ReasonCode::RosterFull, "full")
    }

    #[test]
    fn the_four_common_events_are_told_alike_with_their_reason() {
        let raw = told(Ev::SentRaw { text: "{oops".into(), via: "channel" }, 1.0).unwrap();
        assert_eq!((raw.dir, raw.status), (Direction::Out, Status::Ok));
        let error = DecodeError::NotText { got: "a number".into() };
        let code = error.reason().code;
        let rejected = told(Ev::Rejected { raw: "42".into(), error, via: "channel" }, 2.0).unwrap();
        assert_eq!((rejected.dir, rejected.status.reason_code()), (Direction::In, Some(code)));
        let declined =
            told(Ev::Declined { envelope: envelope(), reason: reason(), via: "channel" }, 3.0).unwrap();
        assert_eq!(
            (declined.dir, declined.status.reason_code()),
            (Direction::In, Some(ReasonCode::RosterFull))
        );
        let refused = told(Ev::Refused(reason()), 4.0).unwrap();
        assert_eq!(
            (refused.kind.as_str(), refused.status.reason_code()),
            ("refused", Some(ReasonCode::RosterFull))
        );
        assert_eq!(refused.at_ms, 4.0);
    }

    #[test]
    fn the_rest_come_back_for_the_route_to_say() {
        assert!(matches!(told(Ev::State(LinkState::Ready), 0.0), Err(Own::State(LinkState::Ready))));
        assert!(matches!(told(Ev::Other(7), 0.0), Err(Own::Other(7))));
        let sent = told(Ev::Sent { envelope: envelope(), via: "channel" }, 0.0);
        assert!(matches!(sent, Err(Own::Sent { via: "channel", .. })));
        let received = told(Ev::Received { envelope: envelope(), via: "port", order: Order::InOrder }, 0.0);
        assert!(matches!(received, Err(Own::Received { via: "port", order: Order::InOrder, .. })));
    }
}
