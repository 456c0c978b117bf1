//! The log entries every route writes alike. A transport's events are of two sorts: four that
//! read the same on every route (raw text sent, something rejected, an envelope declined, a send
//! refused), and the rest, which each route says in its own words. [`told`] writes the first
//! sort and hands back the second as [`Own`]; [`tell`], which the route's hook applies to every
//! event, makes the first a log entry and the second the route's own action, so a state matches
//! only what is its own.

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

/// The route's own part of a transport's events: `OwnOf<BroadcastEvent>` is
/// `Own<BroadcastMsg, Peers>`.
pub type OwnOf<E> = <E as Split>::Own;

/// A transport's event type, split into the part every route tells alike and the route's own.
pub trait Split {
    type Own;
}

impl<B, X> Split for Event<B, X> {
    type Own = Own<B, X>;
}

/// Which of the events every route tells alike an entry came from, and where: what a route's
/// [`super::RouteState::told`] hook may add to the entry (the channel a rejection came on, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Common {
    SentRaw { via: Via },
    Rejected { via: Via },
    Declined { via: Via },
    Refused,
}

/// The entry for an event every route tells alike, or the event back as the route's [`Own`].
pub fn told<B: Body, X>(event: Event<B, X>, at_ms: f64) -> Result<(Entry, Common), Own<B, X>> {
    match event {
        Event::SentRaw { text, via } => Ok((Entry::sent_raw(&text, at_ms), Common::SentRaw { via })),
        Event::Rejected { raw, error, via } => {
            Ok((Entry::refused(&raw, error.reason(), at_ms), Common::Rejected { via }))
        }
        Event::Declined { envelope, reason, via } => {
            Ok((Entry::declined(&envelope, reason, at_ms), Common::Declined { via }))
        }
        Event::Refused(reason) => Ok((not_sent(reason, at_ms), Common::Refused)),
        Event::State(state) => Err(Own::State(state)),
        Event::Sent { envelope, via } => Err(Own::Sent { envelope, via }),
        Event::Received { envelope, via, order } => Err(Own::Received { envelope, via, order }),
        Event::Other(other) => Err(Own::Other(other)),
    }
}

/// What a transport's event is to its route: an entry told alike on every route, or, wrapped by
/// `own`, an action of the route's own. The route's hook (`RouteHandle::events`) applies this to
/// every event, so a state matches only its own.
pub fn tell<A, B: Body, X>(
    event: Event<B, X>,
    own: impl FnOnce(Own<B, X>) -> A,
    at_ms: f64,
) -> super::Input<A> {
    match told(event, at_ms) {
        Ok((entry, common)) => super::Input::Told(entry, common),
        Err(mine) => super::Input::Act(own(mine)),
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
        let (raw, _) = told(Ev::SentRaw { text: "{oops".into(), via: "channel" }, 1.0).unwrap();
        assert_eq!((raw.dir, raw.status), (Direction::Out, Status::Ok));
        let error = DecodeError::NotText { got: "a number".into() };
        let code = error.reason().code;
        let (rejected, from) = told(Ev::Rejected { raw: "42".into(), error, via: "channel" }, 2.0).unwrap();
        assert_eq!(from, Common::Rejected { via: "channel" });
        assert_eq!((rejected.dir, rejected.status.reason_code()), (Direction::In, Some(code)));
        let (declined, _) =
            told(Ev::Declined { envelope: envelope(), reason: reason(), via: "channel" }, 3.0).unwrap();
        assert_eq!(
            (declined.dir, declined.status.reason_code()),
            (Direction::In, Some(ReasonCode::RosterFull))
        );
        let (refused, _) = told(Ev::Refused(reason()), 4.0).unwrap();
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
