//! The payment provider's state (the page inside the shop's checkout frame): where the order
//! stands, the last result sent (for the QA replay), and what the log says. It takes an order only
//! from the shop's origin and its parent window (`crosstalk_protocol::payment::judge_order`).
//! Page: `pages/provider.rs`.

use crosstalk_protocol::payment::{judge_order, PaymentMsg};
use crosstalk_protocol::Envelope;

use super::told::not_sent;
use super::RouteState;
use crate::i18n::{Said, Say};
use crate::log::{Entry, LogBook};
use crate::state::payment::describe;
use crate::transport::window_message::WindowEvent;
use crate::transport::Event;

#[derive(Clone, Debug, PartialEq, Default)]
pub enum Stage {
    /// Waiting for the shop's order.
    #[default]
    Waiting,
    Order {
        order_id: String,
        amount_cents: u64,
    },
    /// A result was sent.
    Done {
        order_id: String,
        outcome: String,
    },
    /// Not in a frame, or not configured.
    Unusable(String),
}

impl Stage {
    /// The `provider-status` readout's `data-state`.
    pub fn as_attr(&self) -> &'static str {
        match self {
            Stage::Waiting => "waiting",
            Stage::Order { .. } => "order",
            Stage::Done { .. } => "done",
            Stage::Unusable(_) => "error",
        }
    }

    pub fn order_id(&self) -> Option<&str> {
        match self {
            Stage::Order { order_id, .. } | Stage::Done { order_id, .. } => Some(order_id),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ProviderState {
    pub stage: Stage,
    /// The last result sent (the QA "replay" sends it again, number and all).
    pub last_result: Option<Envelope<PaymentMsg>>,
    /// The only origin orders are taken from, and results go to.
    pub shop_origin: String,
}

pub enum Action {
    Configured { shop_origin: String },
    Unusable(String),
    Window(WindowEvent<PaymentMsg>),
    Answered { order_id: String, outcome: &'static str },
}

impl RouteState for ProviderState {
    type Action = Action;

    fn apply(&mut self, action: Action, at_ms: f64, log: &mut LogBook) {
        match action {
            Action::Configured { shop_origin } => self.shop_origin = shop_origin,
            Action::Unusable(reason) => self.stage = Stage::Unusable(reason),
            Action::Answered { order_id, outcome } => {
                self.stage = Stage::Done { order_id, outcome: outcome.into() }
            }
            Action::Window(Event::Other(incoming)) => match judge_order(&incoming, &self.shop_origin) {
                Ok((envelope, order_id, amount_cents)) => {
                    let said = Said::around(
                        Say::FromSender,
                        describe(&envelope.body),
                        vec![incoming.origin.clone()],
                    );
                    log.push(Entry::received(&envelope, "", at_ms).saying(said));
                    self.stage = Stage::Order { order_id, amount_cents };
                }
                Err(reason) => {
                    let mut entry =
                        Entry::refused(incoming.data.as_deref().unwrap_or_default(), reason, at_ms);
                    entry.from = Some(incoming.origin);
                    log.push(entry);
                }
            },
            Action::Window(Event::Sent { envelope, .. }) => {
                let said = Said::around(
                    Say::ToTargetOrigin,
                    describe(&envelope.body),
                    vec![self.shop_origin.clone()],
                );
                log.push(Entry::sent(&envelope, "", at_ms).saying(said));
                // Only an answer to the order at hand is worth replaying.
                if matches!(&envelope.body, PaymentMsg::Result { order_id, .. } if Some(order_id.as_str()) == self.stage.order_id())
                {
                    self.last_result = Some(envelope);
                }
            }
            Action::Window(Event::SentRaw { text, .. }) => {
                let mut entry = Entry::sent_raw(&text, at_ms);
                entry.payload.push_str(&format!(" · targetOrigin {}", self.shop_origin));
                log.push(entry);
            }
            Action::Window(Event::Refused(reason)) => log.push(not_sent(reason, at_ms)),
            Action::Window(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crosstalk_protocol::payment::Incoming;
    use crosstalk_protocol::{Sender, SenderId};

    const SHOP: &str = "http://127.0.0.1:8080";

    #[test]
    fn an_order_from_the_shop_moves_to_the_order_stage_and_anything_else_is_refused_with_its_code() {
        let (mut state, mut log) = (ProviderState::default(), LogBook::default());
        state.apply(Action::Configured { shop_origin: SHOP.into() }, 0.0, &mut log);
        let body =
            PaymentMsg::Order { order_id: "order-1".into(), amount_cents: 4200, currency: "EUR".into() };
        let wire = Sender::new(SenderId("shop-1".into())).envelope(body, 0.0).encode().unwrap();
        let evil =
            Incoming { origin: "http://evil.example".into(), from_expected: true, data: Ok(wire.clone()) };
        state.apply(Action::Window(Event::Other(evil)), 0.0, &mut log);
        assert_eq!(state.stage, Stage::Waiting);
        assert_eq!(log.entries().last().unwrap().entry.status.code(), Some("wrong-origin"));
        let good = Incoming { origin: SHOP.into(), from_expected: true, data: Ok(wire) };
        state.apply(Action::Window(Event::Other(good)), 0.0, &mut log);
        assert_eq!(state.stage, Stage::Order { order_id: "order-1".into(), amount_cents: 4200 });
        assert_eq!(state.stage.as_attr(), "order");
    }
}
