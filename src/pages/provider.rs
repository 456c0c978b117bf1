//! `/provider`, served from the provider's origin and framed by the shop's `/payment`: shows the
//! order it was sent, and posts the customer's choice back to the shop's origin only. It takes an
//! order only from the shop's origin and its parent window. State: `state/provider.rs`.
//!
//! With `?impostor=ORDER` it is the Origin lab's impostor instead: a frame of the provider's real
//! origin that is not the checkout frame, posting a forged success for ORDER.

use std::cell::RefCell;
use std::rc::Rc;

use crosstalk_protocol::payment::{Outcome, PaymentMsg};
use crosstalk_protocol::{Reason, ReasonCode, SenderId};
use yew::prelude::*;

use crate::i18n::{use_i18n, Hole, Text};

use crate::clock::random;
use crate::components::message_log::MessageLog;
use crate::hooks::{use_route, RouteHandle};
use crate::origins::origins;
use crate::page_query;
use crate::state::payment::{forged_success, money};
use crate::state::provider::{Action, ProviderState, Stage};
use crate::transport::window_message::{parent, Expect, TargetOrigin, WindowLink};
use crate::transport::Event;

/// The provider's way back to the shop: its window link and the shop's exact origin.
struct ToShop {
    link: WindowLink<PaymentMsg>,
    shop: TargetOrigin,
}

type ToShopSlot = Rc<RefCell<Option<ToShop>>>;

/// Posts to the parent window (the shop's origin only); a failure is logged.
fn post(
    to_shop: &ToShopSlot,
    route: &RouteHandle<ProviderState>,
    send: impl FnOnce(&ToShop, &web_sys::Window) -> Result<(), Reason>,
) {
    let result = match (to_shop.borrow().as_ref(), parent()) {
        (Some(to_shop), Some(parent)) => send(to_shop, &parent),
        _ => Err(Reason::new(ReasonCode::NotReady, "not in the shop's frame")),
    };
    if let Err(reason) = result {
        route.dispatch(Action::Window(Event::Refused(reason)));
    }
}

#[component]
pub fn ProviderPage() -> Html {
    let i18n = use_i18n();
    let route = use_route::<ProviderState>();
    let impostor_order = use_memo((), |_| page_query::decoded_param("impostor"));
    let to_shop: ToShopSlot = use_mut_ref(|| None);

    {
        let (route, to_shop, impostor_order) = (route.clone(), to_shop.clone(), Rc::clone(&impostor_order));
        use_effect_with((), move |_| {
            let shop = origins().and_then(|o| TargetOrigin::exact(&o.app_origin).map(|t| (o.app_origin, t)));
            match (shop, parent()) {
                (Err(reason), _) => route.dispatch(Action::Unusable(reason)),
                (Ok(_), None) => route.dispatch(Action::Unusable(
                    "this page runs inside the shop's checkout frame: open the Payment route".into(),
                )),
                (Ok((shop_origin, shop)), Some(_)) => {
                    route.dispatch(Action::Configured { shop_origin: shop_origin.clone() });
                    let expect = Expect {
                        source: Box::new(parent),
                        origin: shop_origin.clone(),
                        read_strangers: Box::new(|| false),
                    };
                    let link = WindowLink::listen("provider", expect, route.sink(Action::Window));
                    *to_shop.borrow_mut() = link.map(|link| ToShop { link, shop });
                    match impostor_order.as_deref() {
                        Some(order_id) => {
                            let forged = forged_success(order_id, "impostor-frame");
                            post(&to_shop, &route, |t, parent| t.link.send_raw(parent, &forged, &t.shop));
                            route.dispatch(Action::Answered {
                                order_id: order_id.to_owned(),
                                outcome: "forged success posted",
                            });
                        }
                        // Listening now: tell the shop, which sends the order only after this.
                        None => post(&to_shop, &route, |t, parent| {
                            t.link.send(parent, PaymentMsg::Ready, &t.shop)
                        }),
                    }
                }
            }
            move || drop(to_shop.borrow_mut().take())
        });
    }

    let state = route.state();
    let current_order = state.stage.order_id().map(str::to_owned);
    let answer = |outcome: Outcome, text: &'static str| {
        let (to_shop, route, order_id) = (to_shop.clone(), route.clone(), current_order.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(order_id) = order_id.clone() else { return };
            let outcome = match &outcome {
                Outcome::Paid { .. } => Outcome::Paid { payment_id: SenderId::new("pay", random).0 },
                other => other.clone(),
            };
            let body = PaymentMsg::Result { order_id: order_id.clone(), outcome };
            post(&to_shop, &route, |t, parent| t.link.send(parent, body, &t.shop));
            route.dispatch(Action::Answered { order_id, outcome: text });
        })
    };
    let on_replay = {
        let (to_shop, route, last) = (to_shop.clone(), route.clone(), state.last_result.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(wire) = last.as_ref().and_then(|e| e.encode().ok()) else { return };
            post(&to_shop, &route, |t, parent| t.link.send_raw(parent, &wire, &t.shop));
        })
    };
    let on_malformed = {
        let (to_shop, route) = (to_shop.clone(), route.clone());
        Callback::from(move |_: MouseEvent| {
            post(&to_shop, &route, |t, parent| {
                t.link.send_raw(parent, "{\"v\":1,\"kind\":\"result\",\"body\":", &t.shop)
            });
        })
    };
    let on_wrong_order = {
        let (to_shop, route) = (to_shop.clone(), route.clone());
        Callback::from(move |_: MouseEvent| {
            let body = PaymentMsg::Result {
                order_id: "order-unknown".into(),
                outcome: Outcome::Paid { payment_id: "pay-for-another-order".into() },
            };
            post(&to_shop, &route, |t, parent| t.link.send(parent, body, &t.shop));
        })
    };

    let stage = &state.stage;
    let body = match stage {
        Stage::Waiting => {
            html! { <p data-testid="provider-waiting">{i18n.t(Text::ProviderWaiting)}</p> }
        }
        Stage::Order { order_id, amount_cents } => html! {
            <>
                <p class="provider-amount">{i18n.phrase(Text::ProviderAmount, &[
                    Hole::new("", html! { <strong data-testid="provider-amount">{money(*amount_cents)}</strong> }),
                    Hole::new("", html! { <code data-testid="provider-order">{order_id.clone()}</code> }),
                ])}</p>
                <div class="buttons">
                    <button data-testid="pay" class="primary" onclick={answer(Outcome::Paid { payment_id: String::new() }, "paid")}>{i18n.t(Text::ProviderPay)}</button>
                    <button data-testid="decline" onclick={answer(Outcome::Declined { reason: "card declined (demo)".into() }, "declined")}>{i18n.t(Text::ProviderDecline)}</button>
                    <button data-testid="cancel" onclick={answer(Outcome::Cancelled, "cancelled")}>{i18n.t(Text::ProviderCancel)}</button>
                </div>
            </>
        },
        Stage::Done { order_id, outcome } => html! {
            <p data-testid="provider-done">{format!("Order {order_id}: {outcome}. The shop has been told.")}</p>
        },
        Stage::Unusable(reason) => html! { <p class="error">{reason.clone()}</p> },
    };
    let origin = page_query::origin();

    html! {
        <div class="provider">
            <header class="provider-head">
                <strong>{"DemoPay"}</strong>
                <span class="hint">{" "}{i18n.phrase(Text::ProviderPageOn, &[Hole::new("", html! { <code>{origin}</code> })])}</span>
                <span class="provider-state" data-testid="provider-status" data-state={stage.as_attr()}>{stage.as_attr()}</span>
            </header>
            {body}
            if impostor_order.is_none() && current_order.is_some() {
                <details class="provider-qa" open=true>
                    <summary>{i18n.t(Text::ProviderQaTitle)}</summary>
                    <button data-testid="send-malformed" onclick={on_malformed}>{i18n.t(Text::ProviderSendMalformed)}</button>
                    <button data-testid="replay" onclick={on_replay} disabled={state.last_result.is_none()}>{i18n.t(Text::ProviderReplay)}</button>
                    <button data-testid="wrong-order" onclick={on_wrong_order}>{i18n.t(Text::ProviderPayAnother)}</button>
                </details>
            }
            <MessageLog log={route.log_view()} />
        </div>
    }
}
