//! `/payment`: a shop embeds a payment provider served from another origin; they talk with
//! `window.postMessage`, and the shop accepts a result only from the provider's origin *and* its
//! checkout frame, for the pending order, once. The Origin lab shows the attacks this stops.
//! This page only shows it: the shop is `controller/payment.rs`; state: `state/payment.rs`;
//! transport: `transport/window_message.rs`; the rules:
//! `crosstalk_protocol::payment`; the provider's side: `pages/provider.rs`.

use std::rc::Rc;

use crosstalk_protocol::payment::PaymentState;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::log_and_diagram::LogAndDiagram;
use crate::components::raw_composer::RawComposer;
use crate::components::route_frame::RouteFrame;
use crate::components::status::StatusPanel;
use crate::controller::payment::{Shop, ShopConfig};
use crate::hooks::use_route;
use crate::i18n::{fill, use_i18n, Text};
use crate::origins::origins;
use crate::state::payment::{impostor_url, opaque_attacker_url, LabKind, ShopState, DIAGRAM, PROVIDER_PATH};
use crate::transport::frame::Frame;

/// What the checkout frame may do: run scripts, and keep its real origin (without
/// `allow-same-origin` it would be opaque, its messages would come from "null", and the shop could
/// not tell the provider from anyone). No forms, popups, top navigation or downloads.
pub const CHECKOUT_SANDBOX: &str = "allow-scripts allow-same-origin";
const DEFAULT_TIMEOUT_S: u32 = 60;

#[component]
pub fn PaymentPage() -> Html {
    let config = use_memo((), |_| origins().and_then(ShopConfig::new));
    match &*config {
        Ok(config) => html! { <Shopfront config={Rc::new(config.clone())} /> },
        Err(reason) => html! { <Unconfigured reason={reason.clone()} /> },
    }
}

#[derive(Properties, PartialEq)]
struct UnconfiguredProps {
    reason: AttrValue,
}

/// The shop without its origins: the route says why it cannot start.
#[component]
fn Unconfigured(props: &UnconfiguredProps) -> Html {
    let i18n = use_i18n();
    html! {
        <>
            <h1>{i18n.t(Text::MechanismPaymentName)}</h1>
            <StatusPanel subject={i18n.t(Text::SubjectShop).to_owned()} state="error" detail={props.reason.clone()} />
        </>
    }
}

#[derive(Properties, PartialEq)]
struct ShopfrontProps {
    config: Rc<ShopConfig>,
}

#[component]
fn Shopfront(props: &ShopfrontProps) -> Html {
    let i18n = use_i18n();
    let route = use_route::<ShopState>();
    let frame = use_node_ref();
    let (amount_input, timeout_input) = (use_node_ref(), use_node_ref());
    let explain = use_state(|| false);
    let shop = {
        let (config, frame, route) = ((*props.config).clone(), Frame::new(frame.clone()), route.dispatcher());
        use_memo((), move |_| Shop::new(config, frame, route))
    };
    {
        let shop = Rc::clone(&shop);
        use_effect_with((), move |_| {
            shop.start();
            move || shop.stop()
        });
    }

    let on_checkout = {
        let (shop, amount_input, timeout_input) =
            (Rc::clone(&shop), amount_input.clone(), timeout_input.clone());
        Callback::from(move |_: MouseEvent| {
            let value =
                |node: &NodeRef| node.cast::<HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
            shop.checkout(&value(&amount_input), &value(&timeout_input));
        })
    };
    let lab = |kind: LabKind| {
        let shop = Rc::clone(&shop);
        Callback::from(move |_: MouseEvent| shop.stage_lab(kind))
    };
    let on_hijack = {
        let shop = Rc::clone(&shop);
        Callback::from(move |_: MouseEvent| shop.hijack_checkout())
    };
    let on_self_post = {
        let shop = Rc::clone(&shop);
        Callback::from(move |_: MouseEvent| shop.post_to_self())
    };
    let on_raw = {
        let shop = Rc::clone(&shop);
        Callback::from(move |text: String| shop.send_raw(&text))
    };
    let on_explain = {
        let (shop, explain) = (Rc::clone(&shop), explain.clone());
        Callback::from(move |e: web_sys::Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            shop.explain_weaker(on);
            explain.set(on);
        })
    };

    let config = shop.origins();
    let state = route.state();
    let payment = &state.payment;
    let status_state = match payment {
        PaymentState::Unreachable { .. } => "unreachable",
        _ => "configured",
    };
    let (result_text, order_attr) = match (payment, &state.order) {
        (PaymentState::Idle, _) => (i18n.t(Text::PaymentResultIdle).to_owned(), None),
        (PaymentState::Pending, Some(order)) => (
            fill(i18n.t(Text::PaymentResultPending), std::slice::from_ref(&order.id)),
            Some(order.id.clone()),
        ),
        (PaymentState::Success { payment_id }, Some(order)) => (
            fill(i18n.t(Text::PaymentResultPaid), &[order.id.clone(), payment_id.clone()]),
            Some(order.id.clone()),
        ),
        (PaymentState::Failed { reason }, Some(order)) => (
            fill(i18n.t(Text::PaymentResultDeclined), &[order.id.clone(), reason.clone()]),
            Some(order.id.clone()),
        ),
        (PaymentState::Cancelled, Some(order)) => (
            fill(i18n.t(Text::PaymentResultCancelled), std::slice::from_ref(&order.id)),
            Some(order.id.clone()),
        ),
        (PaymentState::Timeout, Some(order)) => (
            fill(i18n.t(Text::PaymentResultTimeout), std::slice::from_ref(&order.id)),
            Some(order.id.clone()),
        ),
        (PaymentState::Unreachable { .. }, Some(order)) => (
            fill(i18n.t(Text::PaymentResultUnreachable), std::slice::from_ref(&order.id)),
            Some(order.id.clone()),
        ),
        (_, None) => (String::new(), None),
    };
    let lab_frame = state.lab_frame.as_ref().map(|(n, kind, order_id)| match kind {
        LabKind::Opaque => html! {
            <iframe key={format!("lab-{n}")} data-testid="lab-frame" data-kind="opaque" class="lab-frame"
                    sandbox="allow-scripts" src={opaque_attacker_url(order_id, &config.app_origin)}
                    title={i18n.t(Text::PaymentHostileTitle).to_owned()}></iframe>
        },
        LabKind::Impostor => html! {
            <iframe key={format!("lab-{n}")} data-testid="lab-frame" data-kind="impostor" class="lab-frame"
                    sandbox={CHECKOUT_SANDBOX}
                    src={impostor_url(&config.provider_origin, order_id)}
                    title={i18n.t(Text::PaymentImpostorTitle).to_owned()}></iframe>
        },
    });

    html! {
        <RouteFrame lesson="payment">
            <div class="panel status-panel">
                <div class={classes!("status", format!("state-{status_state}"))} data-testid="status" data-state={status_state}>
                    <span class="status-dot"></span>
                    <strong>{i18n.t(Text::PaymentShopLabel)}<code data-testid="app-origin">{config.app_origin.clone()}</code></strong>
                    <span class="status-detail">{i18n.t(Text::PaymentProviderLabel)}<code data-testid="provider-origin">{config.provider_origin.clone()}</code></span>
                </div>
            </div>
            <div class="panel store-form">
                <label>{i18n.t(Text::PaymentAmount)}<input data-testid="amount" ref={amount_input} type="text" value="42.00" /></label>
                <label>{i18n.t(Text::PaymentTimeLimit)}<input data-testid="timeout-input" ref={timeout_input} type="text"
                    value={DEFAULT_TIMEOUT_S.to_string()} size="4" /></label>
                <button data-testid="checkout" class="primary" onclick={on_checkout}>{i18n.t(Text::PaymentCheckout)}</button>
                if let Some(order) = &state.order {
                    <span class="hint">{i18n.t(Text::PaymentOrderLabel)}<code data-testid="order-id">{order.id.clone()}</code></span>
                }
            </div>
            if let Some(error) = &state.error {
                <p class="error" data-testid="error" role="alert">{error.clone()}</p>
            }
            if let PaymentState::Unreachable { reason } = payment {
                <p class="error" data-testid="unreachable" role="alert">{fill(i18n.t(Text::PaymentCannotWork), std::slice::from_ref(reason))}</p>
            }
            <div class={classes!("panel", "payment-result", format!("result-{}", payment.as_attr()))}
                 data-testid="payment-result" data-state={payment.as_attr()} data-order={order_attr}>
                {result_text}
            </div>
            if let Some(order) = &state.order {
                <iframe key={order.id.clone()} ref={frame.clone()} data-testid="provider-frame" class="provider-frame"
                        src={format!("{}{PROVIDER_PATH}", config.provider_origin)} sandbox={CHECKOUT_SANDBOX}
                        title={i18n.t(Text::PaymentProviderTitle).to_owned()}></iframe>
            }
            <LogAndDiagram log={route.log_view()} on_clear={route.clear_log()} diagram={DIAGRAM}>
                <details class="panel faults" open=true>
                    <summary>{i18n.t(Text::PaymentLabTitle)}</summary>
                    <p class="hint">{i18n.t(Text::PaymentLabHint)}</p>
                    <div class="lab-buttons">
                        <button data-testid="hostile-frame" onclick={lab(LabKind::Opaque)}>{i18n.t(Text::PaymentLabOpaque)}</button>
                        <button data-testid="impostor-frame" onclick={lab(LabKind::Impostor)}>{i18n.t(Text::PaymentLabImpostor)}</button>
                        <button data-testid="self-post" onclick={on_self_post}>{i18n.t(Text::PaymentLabSelfPost)}</button>
                        <button data-testid="hijack-frame" onclick={on_hijack}>{i18n.t(Text::PaymentLabHijack)}</button>
                    </div>
                    <label class="toggle">
                        <input type="checkbox" data-testid="naive-toggle" checked={*explain} onchange={on_explain} />
                        {i18n.t(Text::PaymentLabExplain)}
                    </label>
                    {for lab_frame}
                    <RawComposer on_send={on_raw} />
                    <p class="hint">{i18n.t(Text::PaymentRawHint)}</p>
                </details>
                <details class="panel explain">
                    <summary>{i18n.t(Text::PaymentExplainTitle)}</summary>
                    <p>{i18n.t(Text::PaymentExplainOrigin)}</p>
                    <p>{i18n.t(Text::PaymentExplainSource)}</p>
                    <p>{i18n.t(Text::PaymentExplainOnce)}</p>
                    <p>{i18n.t(Text::PaymentExplainOutgoing)}</p>
                </details>
            </LogAndDiagram>
        </RouteFrame>
    }
}
