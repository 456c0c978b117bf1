//! `/provider`, served from the provider's origin and framed by the shop's `/payment`: shows the
//! order it was sent, and posts the customer's choice back to the shop's origin only. It takes an
//! order only from the shop's origin and its parent window.
//!
//! With `?impostor=ORDER` it is the Origin lab's impostor instead: a frame of the provider's real
//! origin that is not the checkout frame, posting a forged success for ORDER.

use std::rc::Rc;

use yew::prelude::*;

use crate::clock::{now_ms, random};
use crate::components::message_log::MessageLog;
use crate::config::origins;
use crate::log::{Direction, Entry, LogBook, Status};
use crate::pages::payment::{describe, forged_success, money};
use crate::protocol::payment::{Outcome, PaymentMsg};
use crate::protocol::{decode, Envelope, Sender, SenderId};
use crate::transport::window_message::{self, WindowMessage};

#[derive(Clone, Debug, PartialEq)]
pub enum ProviderState {
    /// Waiting for the shop's order.
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

impl ProviderState {
    fn as_attr(&self) -> &'static str {
        match self {
            ProviderState::Waiting => "waiting",
            ProviderState::Order { .. } => "order",
            ProviderState::Done { .. } => "done",
            ProviderState::Unusable(_) => "error",
        }
    }
}

#[derive(Clone, PartialEq)]
pub struct PageState {
    pub state: ProviderState,
    /// The last result sent, as wire text (the QA "replay" sends it again).
    pub last_result: Option<String>,
    pub log: Rc<LogBook>,
}

pub enum Action {
    State(ProviderState),
    Sent { wire: String, entry: Entry },
    Log(Entry),
}

impl Reducible for PageState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::State(state) => next.state = state,
            Action::Sent { wire, entry } => {
                next.last_result = Some(wire);
                Rc::make_mut(&mut next.log).push(entry);
            }
            Action::Log(entry) => Rc::make_mut(&mut next.log).push(entry),
        }
        Rc::new(next)
    }
}

/// The order the provider may act on, judged like the shop judges results: origin, source, data.
/// Returns the envelope with its order id and amount.
pub fn judge_order(
    message: &WindowMessage,
    shop_origin: &str,
) -> Result<(Envelope<PaymentMsg>, String, u64), String> {
    if message.origin != shop_origin {
        return Err(format!("wrong origin: {} is not the shop ({shop_origin})", message.origin));
    }
    if !message.from_expected {
        return Err("wrong source: not from the parent window".into());
    }
    let text = message.data.as_deref().map_err(|e| format!("malformed: {e}"))?;
    let envelope = decode::<PaymentMsg>(text).map_err(|e| format!("malformed: {e}"))?;
    match envelope.body.clone() {
        PaymentMsg::Order { order_id, amount_cents, .. } => Ok((envelope, order_id, amount_cents)),
        other => Err(format!(
            "unexpected: the provider takes only an order, not \"{}\"",
            crate::protocol::kind_of(&other)
        )),
    }
}

#[component]
pub fn ProviderPage() -> Html {
    let config = use_memo((), |_| origins());
    let impostor_order = use_memo((), |_| {
        let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
        web_sys::UrlSearchParams::new_with_str(&search).ok().and_then(|p| p.get("impostor"))
    });
    let page = use_reducer(|| PageState {
        state: ProviderState::Waiting,
        last_result: None,
        log: Rc::new(LogBook::default()),
    });
    let sender = use_mut_ref(|| Sender::new(SenderId::new("provider", random)));

    // Posts wire text to the shop (the parent window, the shop's origin only) and logs it.
    let post = {
        let (config, dispatcher) = (Rc::clone(&config), page.dispatcher());
        Rc::new(move |wire: String, kind: String, payload: String, remember: bool| {
            let Ok(config) = config.as_ref() else { return };
            let result = match window_message::parent() {
                Some(parent) => window_message::post(&parent, &wire, &config.app_origin),
                None => Err("not in a frame".to_owned()),
            };
            let status = match result {
                Ok(()) => Status::Ok,
                Err(reason) => Status::Rejected(format!("not sent: {reason}")),
            };
            let entry = Entry {
                dir: Direction::Out,
                seq: decode::<PaymentMsg>(&wire).ok().map(|e| e.seq),
                at_ms: now_ms(),
                from: None,
                kind,
                payload: format!("{payload} · targetOrigin {}", config.app_origin),
                status,
            };
            if remember {
                dispatcher.dispatch(Action::Sent { wire, entry });
            } else {
                dispatcher.dispatch(Action::Log(entry));
            }
        })
    };
    let send = {
        let (post, sender) = (Rc::clone(&post), sender.clone());
        Rc::new(move |body: PaymentMsg, remember: bool| {
            let envelope = sender.borrow_mut().envelope(body, now_ms());
            if let Ok(wire) = envelope.encode() {
                post(wire, envelope.kind(), describe(&envelope.body), remember);
            }
        })
    };

    {
        let (config, impostor_order, dispatcher, send, post) = (
            Rc::clone(&config),
            Rc::clone(&impostor_order),
            page.dispatcher(),
            Rc::clone(&send),
            Rc::clone(&post),
        );
        use_effect_with((), move |_| {
            let mut listener = None;
            match (config.as_ref(), window_message::parent()) {
                (Err(reason), _) => {
                    dispatcher.dispatch(Action::State(ProviderState::Unusable(reason.clone())))
                }
                (Ok(_), None) => dispatcher.dispatch(Action::State(ProviderState::Unusable(
                    "this page runs inside the shop's checkout frame: open the Payment route".into(),
                ))),
                (Ok(_), Some(_)) if impostor_order.is_some() => {
                    let order_id = impostor_order.as_deref().unwrap_or_default();
                    post(
                        forged_success(order_id, "impostor-frame"),
                        "result".into(),
                        format!("forged: order {order_id} paid"),
                        false,
                    );
                    dispatcher.dispatch(Action::State(ProviderState::Done {
                        order_id: order_id.to_owned(),
                        outcome: "forged success posted".into(),
                    }));
                }
                (Ok(config), Some(_)) => {
                    let shop_origin = config.app_origin.clone();
                    let events = dispatcher.clone();
                    listener = window_message::listen(window_message::parent, move |message| {
                        let at_ms = now_ms();
                        match judge_order(&message, &shop_origin) {
                            Ok((envelope, order_id, amount_cents)) => {
                                let payload =
                                    format!("{} · from {}", describe(&envelope.body), message.origin);
                                events.dispatch(Action::Log(Entry::received(&envelope, payload, at_ms)));
                                events
                                    .dispatch(Action::State(ProviderState::Order { order_id, amount_cents }));
                            }
                            Err(reason) => {
                                let raw = message.data.as_deref().unwrap_or_default();
                                let mut entry = Entry::refused(raw, reason, at_ms);
                                entry.from = Some(message.origin.clone());
                                events.dispatch(Action::Log(entry));
                            }
                        }
                    });
                    // Listening now: tell the shop, which sends the order only after this.
                    send(PaymentMsg::Ready, false);
                }
            }
            move || drop(listener)
        });
    }

    let current_order = match &page.state {
        ProviderState::Order { order_id, .. } | ProviderState::Done { order_id, .. } => {
            Some(order_id.clone())
        }
        _ => None,
    };
    let answer = |outcome: Outcome| {
        let (send, dispatcher, order_id) = (Rc::clone(&send), page.dispatcher(), current_order.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(order_id) = order_id.clone() else { return };
            let text = match &outcome {
                Outcome::Paid { .. } => "paid",
                Outcome::Declined { .. } => "declined",
                Outcome::Cancelled => "cancelled",
            };
            let outcome = match &outcome {
                Outcome::Paid { .. } => Outcome::Paid { payment_id: SenderId::new("pay", random).0 },
                other => other.clone(),
            };
            send(PaymentMsg::Result { order_id: order_id.clone(), outcome }, true);
            dispatcher.dispatch(Action::State(ProviderState::Done { order_id, outcome: text.into() }));
        })
    };
    let on_replay = {
        let (post, last) = (Rc::clone(&post), page.last_result.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(wire) = last.clone() {
                post(wire, "result".into(), "the same result again (replay)".into(), false);
            }
        })
    };
    let on_malformed = {
        let post = Rc::clone(&post);
        Callback::from(move |_: MouseEvent| {
            post(
                "{\"v\":1,\"kind\":\"result\",\"body\":".into(),
                "raw".into(),
                "a malformed result".into(),
                false,
            );
        })
    };
    let on_wrong_order = {
        let send = Rc::clone(&send);
        Callback::from(move |_: MouseEvent| {
            let body = PaymentMsg::Result {
                order_id: "order-unknown".into(),
                outcome: Outcome::Paid { payment_id: "pay-for-another-order".into() },
            };
            send(body, false);
        })
    };

    let state = &page.state;
    let body = match state {
        ProviderState::Waiting => {
            html! { <p data-testid="provider-waiting">{"Waiting for the shop's order…"}</p> }
        }
        ProviderState::Order { order_id, amount_cents } => html! {
            <>
                <p class="provider-amount">{"Pay "}<strong data-testid="provider-amount">{money(*amount_cents)}</strong>
                    {" for order "}<code data-testid="provider-order">{order_id.clone()}</code></p>
                <div class="buttons">
                    <button data-testid="pay" class="primary" onclick={answer(Outcome::Paid { payment_id: String::new() })}>{"Pay"}</button>
                    <button data-testid="decline" onclick={answer(Outcome::Declined { reason: "card declined (demo)".into() })}>{"Decline"}</button>
                    <button data-testid="cancel" onclick={answer(Outcome::Cancelled)}>{"Cancel"}</button>
                </div>
            </>
        },
        ProviderState::Done { order_id, outcome } => html! {
            <p data-testid="provider-done">{format!("Order {order_id}: {outcome}. The shop has been told.")}</p>
        },
        ProviderState::Unusable(reason) => html! { <p class="error">{reason.clone()}</p> },
    };
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();

    html! {
        <div class="provider">
            <header class="provider-head">
                <strong>{"DemoPay"}</strong>
                <span class="hint">{" provider page on "}<code>{origin}</code></span>
                <span class="provider-state" data-testid="provider-status" data-state={state.as_attr()}>{state.as_attr()}</span>
            </header>
            {body}
            if impostor_order.is_none() && current_order.is_some() {
                <details class="provider-qa" open=true>
                    <summary>{"QA: misbehave"}</summary>
                    <button data-testid="send-malformed" onclick={on_malformed}>{"Send a malformed result"}</button>
                    <button data-testid="replay" onclick={on_replay} disabled={page.last_result.is_none()}>{"Send the last result again"}</button>
                    <button data-testid="wrong-order" onclick={on_wrong_order}>{"Pay another order"}</button>
                </details>
            }
            <MessageLog book={page.log.clone()} />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::DecodeError;

    const SHOP: &str = "http://127.0.0.1:8080";

    fn order_wire() -> String {
        let body =
            PaymentMsg::Order { order_id: "order-1".into(), amount_cents: 4200, currency: "EUR".into() };
        Sender::new(SenderId("shop-1".into())).envelope(body, 0.0).encode().unwrap()
    }

    #[test]
    fn takes_an_order_only_from_the_shop_origin_and_the_parent() {
        let good = WindowMessage { origin: SHOP.into(), from_expected: true, data: Ok(order_wire()) };
        let (envelope, order_id, amount) = judge_order(&good, SHOP).unwrap();
        assert_eq!((order_id.as_str(), amount, envelope.seq), ("order-1", 4200, 1));
        let other_origin = WindowMessage { origin: "http://evil.example".into(), ..good.clone() };
        assert!(judge_order(&other_origin, SHOP).unwrap_err().starts_with("wrong origin"));
        let other_window = WindowMessage { from_expected: false, ..good.clone() };
        assert!(judge_order(&other_window, SHOP).unwrap_err().starts_with("wrong source"));
        let junk =
            WindowMessage { data: Err(DecodeError::NotText { got: "an object".into() }), ..good.clone() };
        assert!(judge_order(&junk, SHOP).unwrap_err().starts_with("malformed"));
        let ready = Sender::new(SenderId("x".into())).envelope(PaymentMsg::Ready, 0.0).encode().unwrap();
        let not_an_order = WindowMessage { data: Ok(ready), ..good };
        assert!(judge_order(&not_an_order, SHOP).unwrap_err().starts_with("unexpected"));
    }
}
