//! The Payment route's state, shop side: the checkout readout, the order, the Origin lab's frame,
//! and what the log says of each message and verdict. The rules themselves (origin, source, order,
//! once) are `crosstalk_protocol::payment`. Page: `pages/payment.rs`; transport:
//! `transport/window_message.rs`; the provider's side: `state/provider.rs`.

use crosstalk_protocol::payment::{weaker_checks, Incoming, Outcome, PaymentMsg, PaymentState, Verdict};
use crosstalk_protocol::query::encode_component;
use crosstalk_protocol::{decode, preview, Envelope, Reason, ReasonCode, Sender, SenderId};

use super::told::{Own, OwnOf};
use super::RouteState;
use crate::diagram::{Diagram, Step};
use crate::i18n::Text;
use crate::i18n::{Said, Say};
use crate::learn::GuideStep;
use crate::log::{Direction, Entry, LogBook, Status};
use crate::said;
use crate::transport::window_message::WindowEvent;

pub const DIAGRAM: Diagram = Diagram {
    title: "Shop and provider",
    lanes: &["shop", "provider (iframe)"],
    steps: &[
        Step::new(0, 1, "iframe src = provider origin", &[(Direction::System, "checkout")]),
        Step::new(1, 0, "ready (→ shop origin)", &[(Direction::In, "ready")]),
        Step::new(0, 1, "order (→ provider origin)", &[(Direction::Out, "order")]),
        Step::new(1, 0, "result (origin + source checked)", &[(Direction::In, "result")]),
    ],
};

#[derive(Clone, Debug, PartialEq)]
pub struct Order {
    pub id: String,
    pub amount_cents: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabKind {
    /// A sandboxed srcdoc frame: an opaque origin ("null").
    Opaque,
    /// A frame from the provider's own origin that is not the checkout frame.
    Impostor,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShopState {
    pub payment: PaymentState,
    pub order: Option<Order>,
    /// The Origin lab's current frame: its number (a fresh frame each time), kind and order.
    pub lab_frame: Option<(u32, LabKind, String)>,
    pub error: Option<String>,
    /// What the walkthrough watches for: an order paid, and forgeries (anything judged that did
    /// not come from the checkout frame) refused.
    pub paid: bool,
    pub forgeries_refused: u32,
    /// Where orders go: the provider's origin, named on every sent entry.
    pub provider_origin: String,
}

impl Default for ShopState {
    fn default() -> Self {
        ShopState {
            payment: PaymentState::Idle,
            order: None,
            lab_frame: None,
            error: None,
            provider_origin: String::new(),
            paid: false,
            forgeries_refused: 0,
        }
    }
}

pub enum Action {
    Configured {
        provider_origin: String,
    },
    Started(Order),
    /// What the window transport reported (the shop's own sends).
    Window(OwnOf<WindowEvent<PaymentMsg>>),
    /// A message judged by the checkout; `explain` adds what weaker checks would have done.
    Judged {
        incoming: Incoming,
        verdict: Verdict,
        explain: bool,
    },
    TimedOut {
        order_id: String,
        seconds: u32,
    },
    /// The provider's origin did not answer at all: the order ends now, not at its time limit.
    Unreachable {
        order_id: String,
        why: String,
    },
    Lab {
        n: u32,
        kind: LabKind,
        order_id: String,
    },
    /// The lab's hijack: the checkout frame is sent to `page`, and the order goes again.
    Hijacked {
        order_id: String,
        page: String,
    },
    /// The self-post attack of the lab, announced before it is posted.
    SelfPost {
        order_id: String,
    },
    Error(Reason),
}

/// The provider's page, on the provider's origin.
pub const PROVIDER_PATH: &str = crosstalk_protocol::catalog::paths::PROVIDER;
/// The Origin lab's eavesdropper: a page of this app (not the provider's origin) that shows what
/// reaches it, loaded into the hijacked checkout frame.
pub const EAVESDROPPER: &str = "/lab_overhear.html";

/// The opaque frame of the Origin lab: a static page of the app's, framed with scripts allowed
/// but not its origin, so it posts from "null". What it posts comes in its URL fragment.
pub fn opaque_attacker_url(order_id: &str, app_origin: &str) -> String {
    let forged = forged_success(order_id, "opaque-frame");
    format!("/lab_opaque.html#forged={}&target={}", encode_component(&forged), encode_component(app_origin))
}

/// The impostor frame of the Origin lab: the provider's own page, on the provider's origin, told
/// to forge a success for `order_id` though it is not the checkout frame.
pub fn impostor_url(provider_origin: &str, order_id: &str) -> String {
    format!("{provider_origin}{PROVIDER_PATH}?impostor={}", encode_component(order_id))
}

/// The checkout form, read: the amount in cents and the time limit in seconds (1 to 600).
pub fn order_form(amount: &str, seconds: &str) -> Result<(u64, u32), Reason> {
    let amount = parse_amount(amount).map_err(|why| Reason::new(ReasonCode::BadInput, why))?;
    match seconds.trim().parse::<u32>() {
        Ok(s) if (1..=600).contains(&s) => Ok((amount, s)),
        _ => Err(Reason::new(ReasonCode::BadInput, "the time limit is 1 to 600 seconds")),
    }
}

/// `4200` → `42.00 EUR`.
pub fn money(cents: u64) -> String {
    format!("{}.{:02} EUR", cents / 100, cents % 100)
}

/// `"42"`, `"42.5"`, `"42.50"` → cents; anything else is a reason.
pub fn parse_amount(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let valid = !whole.is_empty()
        && whole.chars().all(|c| c.is_ascii_digit())
        && fraction.len() <= 2
        && fraction.chars().all(|c| c.is_ascii_digit());
    if !valid {
        return Err(format!("\"{text}\" is not an amount like 42.50"));
    }
    let whole: u64 = whole.parse().map_err(|_| format!("\"{text}\" is too large"))?;
    let fraction: u64 = format!("{fraction:0<2}").parse().unwrap_or(0);
    let cents = whole.checked_mul(100).and_then(|c| c.checked_add(fraction)).ok_or("too large")?;
    if cents == 0 {
        return Err("the amount must be more than zero".into());
    }
    Ok(cents)
}

fn outcome_text(outcome: &Outcome) -> Said {
    match outcome {
        Outcome::Paid { payment_id } => said!(Paid, payment_id),
        Outcome::Declined { reason } => said!(Declined, reason),
        Outcome::Cancelled => said!(CancelledByCustomer),
    }
}

/// Why a route that needs the provider cannot work, in words a user can act on.
pub fn unreachable_text(provider_origin: &str, why: &str) -> String {
    format!(
        "the payment provider's origin {provider_origin} did not answer ({why}). The same server \
         serves it on that port: if the suite is opened from another machine, that port must be \
         reachable too"
    )
}

/// What the log shows for a message body.
pub fn describe(body: &PaymentMsg) -> Said {
    match body {
        PaymentMsg::Ready => said!(ProviderListening),
        PaymentMsg::Order { order_id, amount_cents, .. } => {
            said!(OrderAmount, order_id, money(*amount_cents))
        }
        PaymentMsg::Result { order_id, outcome } => {
            Said::around(Say::OrderOutcome, outcome_text(outcome), vec![order_id.clone()])
        }
    }
}

/// A forged "paid" result for `order_id`, as an attacker would write it.
pub fn forged_success(order_id: &str, attacker: &str) -> String {
    let body = PaymentMsg::Result {
        order_id: order_id.into(),
        outcome: Outcome::Paid { payment_id: format!("forged-by-{attacker}") },
    };
    Sender::new(SenderId(attacker.into())).envelope(body, 0.0).encode().unwrap_or_default()
}

/// The walkthrough's chapter: a payment across origins, and the forgeries the checks stop.
pub const CHAPTER: &[GuideStep] = &[
    GuideStep::new("pay", Text::LearnPaymentPay, Text::LearnPaymentPaySee, "payment-result"),
    GuideStep::new("forge", Text::LearnPaymentForge, Text::LearnPaymentForgeSee, "log"),
];

impl RouteState for ShopState {
    type Action = Action;

    fn chapter() -> (&'static str, &'static [GuideStep]) {
        ("payment", CHAPTER)
    }

    fn reached(&self, step: &str) -> bool {
        match step {
            "pay" => self.paid,
            "forge" => self.forgeries_refused > 0,
            _ => false,
        }
    }

    fn apply(&mut self, action: Action, at_ms: f64, log: &mut LogBook) {
        match action {
            Action::Configured { provider_origin } => self.provider_origin = provider_origin,
            Action::Started(order) => {
                let said = said!(OpeningProvider, order.id, money(order.amount_cents));
                log.push(Entry::said("checkout", said, at_ms));
                self.order = Some(order);
                self.payment = PaymentState::Pending;
                self.error = None;
            }
            // What arrives is judged by the checkout first (`Judged`): only a send is said here.
            Action::Window(Own::Sent { envelope, .. }) => {
                let said = Said::around(
                    Say::ToTargetOrigin,
                    describe(&envelope.body),
                    vec![self.provider_origin.clone()],
                );
                log.push(Entry::sent(&envelope, "", at_ms).saying(said));
            }
            Action::Window(_) => {}
            Action::Judged { incoming, verdict, explain } => {
                self.judged(incoming, verdict, explain, at_ms, log)
            }
            Action::TimedOut { order_id, seconds } => {
                self.payment = PaymentState::Timeout;
                log.push(Entry::said("timeout", said!(NoAnswerWithin, order_id, seconds), at_ms));
            }
            Action::Unreachable { order_id, why } => {
                let said = unreachable_text(&self.provider_origin, &why);
                self.payment = PaymentState::Unreachable { reason: said.clone() };
                let entry = Entry::said("unreachable", said!(OrderEnded, order_id), at_ms);
                log.push(entry.rejected(Reason::new(ReasonCode::Unreachable, said)));
            }
            Action::Lab { n, kind, order_id } => {
                let said = match kind {
                    LabKind::Opaque => said!(LabOpaque, order_id),
                    LabKind::Impostor => said!(LabImpostor, order_id),
                };
                log.push(Entry::said("lab", said, at_ms));
                self.lab_frame = Some((n, kind, order_id));
            }
            Action::Hijacked { order_id, page } => {
                log.push(Entry::said("lab", said!(LabHijacked, page, order_id), at_ms))
            }
            Action::SelfPost { order_id } => {
                log.push(Entry::said("lab", said!(LabSelfPost, order_id), at_ms))
            }
            Action::Error(reason) => self.error = Some(reason.text),
        }
    }
}

impl ShopState {
    fn judged(&mut self, incoming: Incoming, verdict: Verdict, explain: bool, at_ms: f64, log: &mut LogBook) {
        self.forgeries_refused +=
            u32::from(matches!(verdict, Verdict::Refused(_)) && !incoming.from_expected);
        let decoded: Option<Envelope<PaymentMsg>> =
            incoming.data.as_deref().ok().and_then(|t| decode(t).ok());
        let source = if incoming.from_expected { Say::FromCheckoutFrame } else { Say::FromAnotherWindow };
        let entry = |shown: Said, status: Status| {
            Entry {
                dir: Direction::In,
                seq: decoded.as_ref().map(|e| e.seq),
                at_ms,
                from: Some(incoming.origin.clone()),
                kind: decoded.as_ref().map_or("?", Envelope::kind).to_owned(),
                payload: String::new().into(),
                status,
                said: None,
            }
            .saying(Said::around(source, shown, vec![incoming.origin.clone()]))
        };
        match verdict {
            Verdict::ProviderReady(envelope) => log.push(entry(describe(&envelope.body), Status::Ok)),
            Verdict::Settled { envelope, state } => {
                self.paid |= matches!(state, PaymentState::Success { .. });
                log.push(entry(describe(&envelope.body), Status::Ok));
                self.payment = state;
            }
            Verdict::Refused(refusal) => {
                let shown = match &decoded {
                    Some(envelope) => describe(&envelope.body),
                    None => {
                        said!(
                            Plain,
                            incoming
                                .data
                                .as_deref()
                                .map(|t| preview(t, 100))
                                .unwrap_or_else(|e| e.to_string())
                        )
                    }
                };
                log.push(entry(shown, Status::Rejected(refusal.reason())));
                if explain {
                    for line in weaker_checks(&incoming, &self.provider_origin, &refusal) {
                        log.push(Entry::system("lesson", line, at_ms));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crosstalk_protocol::payment::{Checkout, Refusal};

    const PROVIDER: &str = "http://127.0.0.1:8081";

    #[test]
    fn the_checkout_form_needs_an_amount_and_a_time_limit_of_1_to_600_s() {
        assert_eq!(order_form("42.00", " 60 "), Ok((4200, 60)));
        assert_eq!(order_form("1", "600").map(|(_, s)| s), Ok(600));
        for (amount, seconds) in [("x", "60"), ("42", "0"), ("42", "601"), ("42", "-1"), ("42", "")] {
            assert_eq!(
                order_form(amount, seconds).map_err(|r| r.code),
                Err(ReasonCode::BadInput),
                "{amount} {seconds}"
            );
        }
    }

    #[test]
    fn the_labs_frames_carry_their_order_and_target_encoded() {
        let url = opaque_attacker_url("order-1", "http://127.0.0.1:8080");
        assert!(url.starts_with("/lab_opaque.html#forged=%7B"), "{url}");
        assert!(url.ends_with("&target=http%3A%2F%2F127.0.0.1%3A8080"), "{url}");
        assert_eq!(
            impostor_url(PROVIDER, "order a&b"),
            format!("{PROVIDER}/provider?impostor=order%20a%26b")
        );
    }

    #[test]
    fn amounts_are_read_to_the_cent_or_refused() {
        assert_eq!(parse_amount("42"), Ok(4200));
        assert_eq!(parse_amount("42.5"), Ok(4250));
        assert_eq!(parse_amount(" 0.07 "), Ok(7));
        for bad in ["", "-1", "4.205", "1e3", "abc", "0", ".5", "99999999999999999999"] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
        assert_eq!(money(4250), "42.50 EUR");
    }

    #[test]
    fn an_unreachable_provider_ends_the_order_at_once_and_says_what_to_check() {
        let (mut state, mut log) = (ShopState::default(), LogBook::default());
        state.apply(Action::Configured { provider_origin: PROVIDER.into() }, 0.0, &mut log);
        state.apply(Action::Started(Order { id: "order-1".into(), amount_cents: 100 }), 0.0, &mut log);
        let why = "Failed to fetch".to_owned();
        state.apply(Action::Unreachable { order_id: "order-1".into(), why }, 5.0, &mut log);
        assert_eq!(state.payment.as_attr(), "unreachable");
        let last = log.entries().last().map(|l| l.entry.clone()).unwrap();
        assert_eq!((last.kind.as_str(), last.status.code()), ("unreachable", Some("unreachable")));
        assert!(
            matches!(&state.payment, PaymentState::Unreachable { reason } if reason.contains(PROVIDER) && reason.contains("Failed to fetch"))
        );
    }

    #[test]
    fn the_forged_success_is_a_well_formed_result_for_the_order() {
        let forged = decode::<PaymentMsg>(&forged_success("order-7", "mallory")).unwrap();
        assert_eq!(
            forged.body,
            PaymentMsg::Result {
                order_id: "order-7".into(),
                outcome: Outcome::Paid { payment_id: "forged-by-mallory".into() }
            }
        );
    }

    #[test]
    fn a_forgery_is_logged_with_the_check_that_stopped_it_and_the_lesson_when_asked() {
        let (mut state, mut log) = (ShopState::default(), LogBook::default());
        state.apply(Action::Configured { provider_origin: PROVIDER.into() }, 0.0, &mut log);
        state.apply(Action::Started(Order { id: "order-1".into(), amount_cents: 100 }), 0.0, &mut log);
        let mut checkout = Checkout::new(PROVIDER);
        checkout.start("order-1");
        let incoming = Incoming {
            origin: PROVIDER.into(),
            from_expected: false,
            data: Ok(forged_success("order-1", "x")),
        };
        let verdict = checkout.judge(&incoming);
        assert_eq!(verdict, Verdict::Refused(Refusal::WrongSource));
        state.apply(Action::Judged { incoming, verdict, explain: true }, 1.0, &mut log);
        let lines: Vec<&Entry> = log.entries().map(|l| &l.entry).collect();
        let refused = lines.iter().find(|e| e.dir == Direction::In).unwrap();
        assert_eq!(
            (refused.kind.as_str(), refused.status.code()),
            ("result", Some(ReasonCode::WrongSource.as_str()))
        );
        assert!(refused.payload.text().ends_with("(another window)"), "{}", refused.payload);
        assert!(lines.iter().any(|e| e.kind == "lesson" && e.payload.text().contains("would have ACCEPTED")));
        assert_eq!(state.payment, PaymentState::Pending, "nothing forged changes the checkout");
        assert!(
            state.reached("forge") && !state.reached("pay"),
            "the walkthrough's forge step ticks on the refusal"
        );
    }
}
