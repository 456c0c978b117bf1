//! Messages of the Payment iframe route, and the host's rules for accepting a payment result.
//!
//! ```text
//! shop (app origin)                                 provider (other origin, in an iframe)
//!  |-- <iframe src=provider/provider sandbox> ----------->|
//!  |<------------- ready (targetOrigin = shop origin) ----|  the provider listens now
//!  |-- order {order_id, amount} (targetOrigin = provider) ->|
//!  |                                                      |  the customer pays / declines / cancels
//!  |<------------ result {order_id, outcome} -------------|
//! ```
//!
//! The shop accepts a result only when `event.origin` is the provider's origin, `event.source`
//! is the checkout iframe's window, the data decodes, and it answers the order that is pending
//! now — once. Each check stops a different attack; [`Checkout::judge`] says which one fired.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::parsed::{get, object, Emit, Emitter, FromParsed, Parsed};
use crate::{decode, Body, DecodeError, Envelope, Reason, ReasonCode};

crate::bodies! {
    @parsed
    #[derive(Debug, Clone, PartialEq)]
    pub enum PaymentMsg {
        /// Provider → shop: the provider page has started and listens for the order.
        Ready = "ready",
        /// Shop → provider.
        Order { order_id: String, amount_cents: u64, currency: String } = "order",
        /// Provider → shop: how the customer's payment ended.
        Result { order_id: String, outcome: Outcome } = "result",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Outcome {
    Paid { payment_id: String },
    Declined { reason: String },
    Cancelled,
}

impl Outcome {
    /// The `status` word it is written with.
    fn status(&self) -> &'static str {
        match self {
            Outcome::Paid { .. } => "paid",
            Outcome::Declined { .. } => "declined",
            Outcome::Cancelled => "cancelled",
        }
    }
}

impl FromParsed for Outcome {
    fn from_parsed<P: Parsed>(value: Option<P>) -> Result<Self, &'static str> {
        object(value, "an outcome {status: paid|declined|cancelled, …}", |o| {
            match get::<String, P>(o, "status")?.as_str() {
                "paid" => Some(Outcome::Paid { payment_id: get(o, "payment_id")? }),
                "declined" => Some(Outcome::Declined { reason: get(o, "reason")? }),
                "cancelled" => Some(Outcome::Cancelled),
                _ => None,
            }
        })
    }
}

impl Emit for Outcome {
    fn emit<E: Emitter>(&self, name: &'static str, out: &mut E) {
        out.begin_object(name);
        out.str("status", self.status());
        match self {
            Outcome::Paid { payment_id } => payment_id.emit("payment_id", out),
            Outcome::Declined { reason } => reason.emit("reason", out),
            Outcome::Cancelled => {}
        }
        out.end();
    }
}

/// Where the shop's checkout stands: the route's `payment-result` readout.
#[derive(Debug, Clone, PartialEq)]
pub enum PaymentState {
    Idle,
    Pending,
    Success {
        payment_id: String,
    },
    Failed {
        reason: String,
    },
    Cancelled,
    Timeout,
    /// The provider's origin could not be reached: the order ended without waiting out its time.
    Unreachable {
        reason: String,
    },
}

impl PaymentState {
    /// The readout's `data-state`.
    pub fn as_attr(&self) -> &'static str {
        match self {
            PaymentState::Idle => "idle",
            PaymentState::Pending => "pending",
            PaymentState::Success { .. } => "success",
            PaymentState::Failed { .. } => "failed",
            PaymentState::Cancelled => "cancelled",
            PaymentState::Timeout => "timeout",
            PaymentState::Unreachable { .. } => "unreachable",
        }
    }

    pub fn is_settled(&self) -> bool {
        !matches!(self, PaymentState::Idle | PaymentState::Pending)
    }
}

/// A window message as the shop's listener saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming<D = String> {
    /// `event.origin` (`"null"` for an opaque origin such as a sandboxed srcdoc frame).
    pub origin: String,
    /// Whether `event.source` is the window the receiver expects: for the shop the checkout
    /// iframe's `contentWindow`, for the provider its parent.
    pub from_expected: bool,
    /// The data (as wire text, or as the browser delivered it), or why it was not read.
    pub data: Result<D, DecodeError>,
}

impl<D> Incoming<D> {
    /// The same message with its data read another way (`read` sees only data that was read).
    pub fn map_data<T>(self, read: impl FnOnce(D) -> Result<T, DecodeError>) -> Incoming<T> {
        Incoming { origin: self.origin, from_expected: self.from_expected, data: self.data.and_then(read) }
    }
}

/// Why the shop refused a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    WrongOrigin {
        got: String,
        expected: String,
    },
    WrongSource,
    Malformed(DecodeError),
    /// A kind the shop does not take from the provider (it never takes an `order`).
    Unexpected(String),
    UnknownOrder {
        got: String,
        pending: Option<String>,
    },
    Replayed {
        order_id: String,
    },
    Late {
        order_id: String,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::WrongOrigin { got, expected } => {
                write!(f, "wrong origin: {got} is not the provider ({expected})")
            }
            Refusal::WrongSource => {
                f.write_str("wrong source: it did not come from the checkout iframe's window")
            }
            Refusal::Malformed(error) => write!(f, "malformed: {error}"),
            Refusal::Unexpected(kind) => {
                write!(f, "unexpected: the shop does not take \"{kind}\" from the provider")
            }
            Refusal::UnknownOrder { got, pending: Some(pending) } => {
                write!(f, "unknown order: {got} is not the pending order {pending}")
            }
            Refusal::UnknownOrder { got, pending: None } => {
                write!(f, "unknown order: {got} (no order is pending)")
            }
            Refusal::Replayed { order_id } => write!(f, "replayed: order {order_id} is already settled"),
            Refusal::Late { order_id } => write!(f, "late: order {order_id} had already timed out"),
        }
    }
}

impl Refusal {
    /// The stable code of the check that fired (a malformed message: what decoding found).
    pub fn code(&self) -> ReasonCode {
        match self {
            Refusal::WrongOrigin { .. } => ReasonCode::WrongOrigin,
            Refusal::WrongSource => ReasonCode::WrongSource,
            Refusal::Malformed(error) => error.code(),
            Refusal::Unexpected(_) => ReasonCode::UnexpectedKind,
            Refusal::UnknownOrder { .. } => ReasonCode::UnknownOrder,
            Refusal::Replayed { .. } => ReasonCode::Replayed,
            Refusal::Late { .. } => ReasonCode::Late,
        }
    }

    pub fn reason(&self) -> Reason {
        Reason::new(self.code(), self.to_string())
    }
}

/// What the shop does with one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The provider frame is ready: send it the pending order now.
    ProviderReady(Envelope<PaymentMsg>),
    /// A result for the pending order: the checkout moves to this state.
    Settled {
        envelope: Envelope<PaymentMsg>,
        state: PaymentState,
    },
    Refused(Refusal),
}

/// One order at a time, as the shop sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkout {
    pub provider_origin: String,
    pub order_id: Option<String>,
    pub state: PaymentState,
}

impl Checkout {
    pub fn new(provider_origin: impl Into<String>) -> Self {
        Checkout { provider_origin: provider_origin.into(), order_id: None, state: PaymentState::Idle }
    }

    /// A new order is pending from now; whatever came before is forgotten.
    pub fn start(&mut self, order_id: impl Into<String>) {
        self.order_id = Some(order_id.into());
        self.state = PaymentState::Pending;
    }

    /// The provider did not answer in time. True if that changed anything.
    pub fn time_out(&mut self) -> bool {
        if self.state == PaymentState::Pending {
            self.state = PaymentState::Timeout;
            return true;
        }
        false
    }

    /// The provider's origin could not be reached. True if that ended the pending order.
    pub fn unreachable(&mut self, reason: &str) -> bool {
        if self.state == PaymentState::Pending {
            self.state = PaymentState::Unreachable { reason: reason.to_owned() };
            return true;
        }
        false
    }

    /// Judges one message: origin, then source, then the data, then the order. Only a result
    /// that passes every check changes the state.
    // lesson: payment
    pub fn judge(&mut self, incoming: &Incoming) -> Verdict {
        if incoming.origin != self.provider_origin {
            return Verdict::Refused(Refusal::WrongOrigin {
                got: incoming.origin.clone(),
                expected: self.provider_origin.clone(),
            });
        }
        if !incoming.from_expected {
            return Verdict::Refused(Refusal::WrongSource);
        }
        // lesson end
        let envelope = match incoming.data.clone().and_then(|text| decode::<PaymentMsg>(&text)) {
            Ok(envelope) => envelope,
            Err(error) => return Verdict::Refused(Refusal::Malformed(error)),
        };
        let (order_id, outcome) = match &envelope.body {
            PaymentMsg::Ready => return Verdict::ProviderReady(envelope),
            PaymentMsg::Order { .. } => return Verdict::Refused(Refusal::Unexpected("order".into())),
            PaymentMsg::Result { order_id, outcome } => (order_id.clone(), outcome.clone()),
        };
        if self.order_id.as_deref() != Some(order_id.as_str()) {
            return Verdict::Refused(Refusal::UnknownOrder { got: order_id, pending: self.order_id.clone() });
        }
        match self.state {
            PaymentState::Pending => {}
            PaymentState::Timeout | PaymentState::Unreachable { .. } => {
                return Verdict::Refused(Refusal::Late { order_id })
            }
            _ => return Verdict::Refused(Refusal::Replayed { order_id }),
        }
        self.state = match outcome {
            Outcome::Paid { payment_id } => PaymentState::Success { payment_id },
            Outcome::Declined { reason } => PaymentState::Failed { reason },
            Outcome::Cancelled => PaymentState::Cancelled,
        };
        Verdict::Settled { envelope, state: self.state.clone() }
    }
}

/// The provider's side: it acts only on an order from the shop's origin and its parent window.
/// Returns the envelope with its order id and amount.
pub fn judge_order(
    incoming: &Incoming,
    shop_origin: &str,
) -> Result<(Envelope<PaymentMsg>, String, u64), Reason> {
    if incoming.origin != shop_origin {
        let text = format!("wrong origin: {} is not the shop ({shop_origin})", incoming.origin);
        return Err(Reason::new(ReasonCode::WrongOrigin, text));
    }
    if !incoming.from_expected {
        return Err(Reason::new(ReasonCode::WrongSource, "wrong source: not from the parent window"));
    }
    let malformed = |e: DecodeError| Reason::new(e.code(), format!("malformed: {e}"));
    let text = incoming.data.as_deref().map_err(|e| malformed(e.clone()))?;
    let envelope = decode::<PaymentMsg>(text).map_err(malformed)?;
    match envelope.body.clone() {
        PaymentMsg::Order { order_id, amount_cents, .. } => Ok((envelope, order_id, amount_cents)),
        other => Err(Reason::new(
            ReasonCode::UnexpectedKind,
            format!("unexpected: the provider takes only an order, not \"{}\"", other.kind()),
        )),
    }
}

/// What weaker checks would have done with a message the shop refused: the Origin lab's lesson.
/// This only explains; nothing is ever accepted because of it.
pub fn weaker_checks(incoming: &Incoming, provider_origin: &str, refusal: &Refusal) -> Vec<String> {
    let claims_success = incoming
        .data
        .as_deref()
        .ok()
        .map(|text| text.contains("\"paid\"") || text.contains("success"))
        .unwrap_or(false);
    let mut lines = Vec::new();
    if claims_success {
        lines.push(
            "with no check at all (window.onmessage that trusts event.data), this forged success would have \
             marked the order paid"
                .to_owned(),
        );
    }
    let origin_only_passes = incoming.origin == provider_origin;
    match (origin_only_passes, refusal) {
        (true, Refusal::WrongSource) => lines.push(
            "the seed's check (event.origin only) would have ACCEPTED it: it comes from the provider's origin, \
             just not from the checkout frame; only the source check stops it"
                .to_owned(),
        ),
        (true, _) => {}
        (false, _) => lines.push(format!(
            "the seed's check (event.origin === provider) stops this one too: its origin is {}",
            incoming.origin
        )),
    }
    lines.push(
        "and had the shop posted the order with targetOrigin \"*\", a frame navigated to another site would \
         have received the order details: name the provider's exact origin"
            .to_owned(),
    );
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Sender, SenderId};

    const PROVIDER: &str = "http://127.0.0.1:8081";

    fn wire(body: PaymentMsg) -> String {
        Sender::new(SenderId("provider-1".into())).envelope(body, 0.0).encode().unwrap()
    }

    fn result(order_id: &str, outcome: Outcome) -> String {
        wire(PaymentMsg::Result { order_id: order_id.into(), outcome })
    }

    fn from_frame(data: String) -> Incoming {
        Incoming { origin: PROVIDER.into(), from_expected: true, data: Ok(data) }
    }

    fn paid() -> Outcome {
        Outcome::Paid { payment_id: "pay-1".into() }
    }

    fn pending(order: &str) -> Checkout {
        let mut checkout = Checkout::new(PROVIDER);
        checkout.start(order);
        checkout
    }

    #[test]
    fn each_outcome_settles_the_pending_order() {
        for (outcome, state) in [
            (paid(), "success"),
            (Outcome::Declined { reason: "insufficient funds".into() }, "failed"),
            (Outcome::Cancelled, "cancelled"),
        ] {
            let mut checkout = pending("order-1");
            let verdict = checkout.judge(&from_frame(result("order-1", outcome)));
            assert!(matches!(verdict, Verdict::Settled { .. }), "{verdict:?}");
            assert_eq!(checkout.state.as_attr(), state);
        }
    }

    #[test]
    fn ready_asks_for_the_order_to_be_sent() {
        let mut checkout = pending("order-1");
        assert!(matches!(checkout.judge(&from_frame(wire(PaymentMsg::Ready))), Verdict::ProviderReady(_)));
        assert_eq!(checkout.state, PaymentState::Pending);
    }

    #[test]
    fn the_origin_is_checked_first() {
        let mut checkout = pending("order-1");
        for origin in ["null", "http://127.0.0.1:8080", "http://127.0.0.1:8081.evil.example"] {
            let incoming =
                Incoming { origin: origin.into(), from_expected: true, data: Ok(result("order-1", paid())) };
            assert!(matches!(checkout.judge(&incoming), Verdict::Refused(Refusal::WrongOrigin { .. })));
        }
        assert_eq!(checkout.state, PaymentState::Pending);
    }

    #[test]
    fn the_right_origin_from_another_window_is_refused() {
        let mut checkout = pending("order-1");
        let impostor =
            Incoming { origin: PROVIDER.into(), from_expected: false, data: Ok(result("order-1", paid())) };
        assert_eq!(checkout.judge(&impostor), Verdict::Refused(Refusal::WrongSource));
        assert_eq!(checkout.state, PaymentState::Pending);
    }

    #[test]
    fn malformed_unexpected_and_unknown_orders_are_refused() {
        let mut checkout = pending("order-1");
        assert!(matches!(
            checkout.judge(&from_frame("success".into())),
            Verdict::Refused(Refusal::Malformed(_))
        ));
        let not_text = Incoming {
            origin: PROVIDER.into(),
            from_expected: true,
            data: Err(DecodeError::NotText { got: "an object".into() }),
        };
        assert!(matches!(
            checkout.judge(&not_text),
            Verdict::Refused(Refusal::Malformed(DecodeError::NotText { .. }))
        ));
        let order =
            wire(PaymentMsg::Order { order_id: "order-1".into(), amount_cents: 1, currency: "EUR".into() });
        assert!(matches!(checkout.judge(&from_frame(order)), Verdict::Refused(Refusal::Unexpected(_))));
        let other = checkout.judge(&from_frame(result("order-2", paid())));
        assert_eq!(
            other,
            Verdict::Refused(Refusal::UnknownOrder {
                got: "order-2".into(),
                pending: Some("order-1".into())
            })
        );
        assert_eq!(checkout.state, PaymentState::Pending);
    }

    #[test]
    fn a_settled_order_cannot_be_settled_again_and_a_timed_out_one_not_at_all() {
        let mut checkout = pending("order-1");
        checkout.judge(&from_frame(result("order-1", paid())));
        let replay = checkout.judge(&from_frame(result("order-1", Outcome::Cancelled)));
        assert_eq!(replay, Verdict::Refused(Refusal::Replayed { order_id: "order-1".into() }));
        assert_eq!(checkout.state.as_attr(), "success");

        let mut checkout = pending("order-2");
        assert!(checkout.time_out());
        assert!(!checkout.time_out(), "only a pending order times out");
        let late = checkout.judge(&from_frame(result("order-2", paid())));
        assert_eq!(late, Verdict::Refused(Refusal::Late { order_id: "order-2".into() }));
        assert_eq!(checkout.state, PaymentState::Timeout);

        let mut checkout = pending("order-3");
        assert!(checkout.unreachable("connection refused"));
        assert!(!checkout.time_out() && !checkout.unreachable("again"), "ended once");
        let late = checkout.judge(&from_frame(result("order-3", paid())));
        assert_eq!(late, Verdict::Refused(Refusal::Late { order_id: "order-3".into() }));
        assert_eq!(checkout.state.as_attr(), "unreachable");
    }

    #[test]
    fn refusals_read_as_reasons_with_stable_codes() {
        let refusal = Refusal::WrongOrigin { got: "null".into(), expected: PROVIDER.into() };
        assert_eq!(refusal.to_string(), "wrong origin: null is not the provider (http://127.0.0.1:8081)");
        assert_eq!(refusal.code(), ReasonCode::WrongOrigin);
        assert_eq!(Refusal::WrongSource.code(), ReasonCode::WrongSource);
        assert_eq!(Refusal::Malformed(DecodeError::NotAnObject).code(), ReasonCode::NotAnObject);
    }

    #[test]
    fn the_lab_explains_what_weaker_checks_would_have_done() {
        let impostor =
            Incoming { origin: PROVIDER.into(), from_expected: false, data: Ok(result("o", paid())) };
        let lines = weaker_checks(&impostor, PROVIDER, &Refusal::WrongSource);
        assert!(lines.iter().any(|l| l.contains("would have ACCEPTED")));
        assert!(lines.iter().any(|l| l.contains("no check at all")));
        let opaque = Incoming { origin: "null".into(), from_expected: false, data: Ok(result("o", paid())) };
        let refusal = Refusal::WrongOrigin { got: "null".into(), expected: PROVIDER.into() };
        let lines = weaker_checks(&opaque, PROVIDER, &refusal);
        assert!(lines.iter().any(|l| l.contains("stops this one too")));
        assert!(lines.iter().any(|l| l.contains("targetOrigin \"*\"")));
    }

    #[test]
    fn the_provider_takes_an_order_only_from_the_shop_origin_and_its_parent() {
        const SHOP: &str = "http://127.0.0.1:8080";
        let body =
            PaymentMsg::Order { order_id: "order-1".into(), amount_cents: 4200, currency: "EUR".into() };
        let good = Incoming { origin: SHOP.into(), from_expected: true, data: Ok(wire(body)) };
        let (envelope, order_id, amount) = judge_order(&good, SHOP).unwrap();
        assert_eq!((order_id.as_str(), amount, envelope.seq), ("order-1", 4200, 1));
        let code = |incoming: Incoming| judge_order(&incoming, SHOP).unwrap_err().code;
        assert_eq!(
            code(Incoming { origin: "http://evil.example".into(), ..good.clone() }),
            ReasonCode::WrongOrigin
        );
        assert_eq!(code(Incoming { from_expected: false, ..good.clone() }), ReasonCode::WrongSource);
        let junk = Incoming { data: Err(DecodeError::NotText { got: "an object".into() }), ..good.clone() };
        assert_eq!(code(junk), ReasonCode::NotText);
        let ready = Incoming { data: Ok(wire(PaymentMsg::Ready)), ..good };
        assert_eq!(code(ready), ReasonCode::UnexpectedKind);
    }
}
