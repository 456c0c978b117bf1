//! `/payment`: a shop embeds a payment provider served from another origin; they talk with
//! `window.postMessage`, and the shop accepts a result only from the provider's origin *and* its
//! checkout frame, for the pending order, once. The Origin lab shows the attacks this stops.
//! State: `state/payment.rs`; transport: `transport/window_message.rs`; the rules:
//! `crosstalk_protocol::payment`; the provider's side: `pages/provider.rs`.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use crosstalk_protocol::config::Origins;
use crosstalk_protocol::payment::{Checkout, Incoming, PaymentMsg, PaymentState, Verdict};
use crosstalk_protocol::{Reason, ReasonCode, SenderId};
use gloo::events::EventListener;
use gloo::timers::callback::Timeout;
use web_sys::{HtmlIFrameElement, HtmlInputElement};
use yew::prelude::*;

use crate::i18n::{use_i18n, Text};

use crate::clock::random;
use crate::components::log_and_diagram::LogAndDiagram;
use crate::components::raw_composer::RawComposer;
use crate::components::route_frame::RouteFrame;
use crate::components::status::StatusPanel;
use crate::hooks::{use_route, RouteHandle};
use crate::origins::origins;
use crate::state::payment::{forged_success, parse_amount, Action, LabKind, Order, ShopState, DIAGRAM};
use crate::transport::reach;
use crate::transport::window_message::{Expect, TargetOrigin, WindowLink};
use crate::transport::Event;

/// The provider's page, on the provider's origin.
pub const PROVIDER_PATH: &str = crosstalk_protocol::catalog::paths::PROVIDER;
/// What the checkout frame may do: run scripts, and keep its real origin (without
/// `allow-same-origin` it would be opaque, its messages would come from "null", and the shop could
/// not tell the provider from anyone). No forms, popups, top navigation or downloads.
pub const CHECKOUT_SANDBOX: &str = "allow-scripts allow-same-origin";
const DEFAULT_TIMEOUT_S: u32 = 60;
/// The Origin lab's eavesdropper: a page of this app (not the provider's origin) that shows what
/// reaches it, loaded into the hijacked checkout frame.
const EAVESDROPPER: &str = "/lab_overhear.html";

/// The opaque frame of the Origin lab: a static page of the app's, framed with scripts allowed
/// but not its origin, so it posts from "null". What it posts comes in its URL fragment.
fn opaque_attacker_url(order_id: &str, app_origin: &str) -> String {
    let forged = forged_success(order_id, "opaque-frame");
    format!(
        "/lab_opaque.html#forged={}&target={}",
        js_sys::encode_uri_component(&forged),
        js_sys::encode_uri_component(app_origin)
    )
}

/// The shop's glue between the window transport, the checkout rules and the page: it judges each
/// message, sends the order when the provider is ready, and times the order out.
struct Shop {
    origins: Origins,
    to_provider: TargetOrigin,
    to_self: TargetOrigin,
    checkout: RefCell<Checkout>,
    order: RefCell<Option<Order>>,
    frame: NodeRef,
    link: RefCell<Option<WindowLink<PaymentMsg>>>,
    explain_weaker: Cell<bool>,
    timeout: RefCell<Option<Timeout>>,
    /// The lab's hijack: waits for the checkout frame to load the eavesdropper.
    hijacked: RefCell<Option<EventListener>>,
    route: RouteHandle<ShopState>,
}

impl Shop {
    fn checkout_window(&self) -> Option<web_sys::Window> {
        self.frame.cast::<HtmlIFrameElement>()?.content_window()
    }

    fn listen(self: &Rc<Self>) {
        let (expected, receiving, lesson): (Weak<Shop>, Weak<Shop>, Weak<Shop>) =
            (Rc::downgrade(self), Rc::downgrade(self), Rc::downgrade(self));
        let route = self.route.clone();
        let expect = Expect {
            source: Box::new(move || expected.upgrade().and_then(|shop| shop.checkout_window())),
            origin: self.origins.provider_origin.clone(),
            read_strangers: Box::new(move || lesson.upgrade().is_some_and(|shop| shop.explain_weaker.get())),
        };
        let link = WindowLink::listen("shop", expect, move |event| match (event, receiving.upgrade()) {
            (Event::Other(incoming), Some(shop)) => shop.on_incoming(incoming),
            (event, _) => route.dispatch(Action::Window(event)),
        });
        *self.link.borrow_mut() = link;
    }

    fn on_incoming(&self, incoming: Incoming) {
        let verdict = self.checkout.borrow_mut().judge(&incoming);
        let send_order = matches!(verdict, Verdict::ProviderReady(_));
        if matches!(verdict, Verdict::Settled { .. }) {
            self.timeout.borrow_mut().take();
        }
        self.route.dispatch(Action::Judged { incoming, verdict, explain: self.explain_weaker.get() });
        if send_order {
            self.send_order();
        }
    }

    /// Sends the pending order to the checkout frame, to the provider's origin only.
    fn send_order(&self) {
        let (Some(order), Some(frame)) = (self.order.borrow().clone(), self.checkout_window()) else {
            return;
        };
        let body = PaymentMsg::Order {
            order_id: order.id,
            amount_cents: order.amount_cents,
            currency: "EUR".into(),
        };
        let sent = match self.link.borrow().as_ref() {
            Some(link) => link.send(&frame, body, &self.to_provider),
            None => Err(Reason::new(ReasonCode::NotReady, "not listening")),
        };
        if let Err(reason) = sent {
            self.route.dispatch(Action::Window(Event::Refused(reason)));
        }
    }

    fn start(self: &Rc<Self>, amount: &str, seconds: &str) {
        let amount = match parse_amount(amount) {
            Ok(amount) => amount,
            Err(reason) => {
                return self.route.dispatch(Action::Error(Reason::new(ReasonCode::BadInput, reason)))
            }
        };
        let seconds = match seconds.trim().parse::<u32>() {
            Ok(s) if (1..=600).contains(&s) => s,
            _ => {
                let reason = Reason::new(ReasonCode::BadInput, "the time limit is 1 to 600 seconds");
                return self.route.dispatch(Action::Error(reason));
            }
        };
        let order = Order { id: SenderId::new("order", random).0, amount_cents: amount };
        self.checkout.borrow_mut().start(order.id.clone());
        *self.order.borrow_mut() = Some(order.clone());
        let (timed, order_id) = (Rc::downgrade(self), order.id.clone());
        *self.timeout.borrow_mut() = Some(Timeout::new(seconds * 1000, move || {
            let Some(shop) = timed.upgrade() else { return };
            if shop.checkout.borrow_mut().time_out() {
                shop.route.dispatch(Action::TimedOut { order_id, seconds });
            }
        }));
        self.route.dispatch(Action::Started(order.clone()));
        self.probe_provider(order.id);
    }

    /// Asks whether the provider's origin answers at all: if not, the order ends now and the page
    /// says why, instead of waiting out its time limit.
    fn probe_provider(self: &Rc<Self>, order_id: String) {
        let url = format!("{}{PROVIDER_PATH}", self.origins.provider_origin);
        let shop = Rc::downgrade(self);
        wasm_bindgen_futures::spawn_local(async move {
            let Err(why) = reach::answers(&url).await else { return };
            let Some(shop) = shop.upgrade() else { return };
            // A newer order has its own probe.
            if shop.pending_order_id() != order_id || !shop.checkout.borrow_mut().unreachable(&why) {
                return;
            }
            shop.timeout.borrow_mut().take();
            shop.route.dispatch(Action::Unreachable { order_id, why });
        });
    }

    /// The lab's hijack: the checkout frame is navigated to a page of another origin (as a
    /// compromised provider might redirect it), then the shop posts the order again. It goes to
    /// the provider's exact origin, so the browser delivers nothing to the page now there.
    fn hijack_checkout(self: &Rc<Self>) {
        let Some(frame) = self.frame.cast::<HtmlIFrameElement>() else {
            let said = "press Checkout first: there is no checkout frame to navigate";
            return self.route.dispatch(Action::Error(Reason::new(ReasonCode::NotReady, said)));
        };
        self.route
            .dispatch(Action::Hijacked { order_id: self.pending_order_id(), page: EAVESDROPPER.into() });
        let shop = Rc::downgrade(self);
        *self.hijacked.borrow_mut() = Some(EventListener::once(&frame, "load", move |_| {
            if let Some(shop) = shop.upgrade() {
                shop.send_order();
            }
        }));
        frame.set_src(EAVESDROPPER);
    }

    fn pending_order_id(&self) -> String {
        self.order.borrow().as_ref().map(|o| o.id.clone()).unwrap_or_else(|| "order-none".into())
    }

    /// The raw composer: `text` as it is, to the checkout frame (the provider's origin only).
    fn send_raw(&self, text: &str) {
        let Some(frame) = self.checkout_window() else {
            let said = "no checkout frame: press Checkout first — the frame is this route's channel";
            return self
                .route
                .dispatch(Action::Window(Event::Refused(Reason::new(ReasonCode::NotReady, said))));
        };
        if let Some(Err(reason)) =
            self.link.borrow().as_ref().map(|l| l.send_raw(&frame, text, &self.to_provider))
        {
            self.route.dispatch(Action::Window(Event::Refused(reason)));
        }
    }

    /// The lab's self-post: this page posts a forged success to its own window.
    fn post_to_self(&self) {
        let order_id = self.pending_order_id();
        let Some(window) = web_sys::window() else { return };
        self.route.dispatch(Action::SelfPost { order_id: order_id.clone() });
        let forged = forged_success(&order_id, "shop-itself");
        if let Some(Err(reason)) =
            self.link.borrow().as_ref().map(|l| l.send_raw(&window, &forged, &self.to_self))
        {
            self.route.dispatch(Action::Error(reason));
        }
    }
}

#[component]
pub fn PaymentPage() -> Html {
    let config = use_memo((), |_| {
        let origins = origins()?;
        let to_provider = TargetOrigin::exact(&origins.provider_origin)?;
        let to_self = TargetOrigin::exact(&origins.app_origin)?;
        Ok::<_, String>((origins, to_provider, to_self))
    });
    match &*config {
        Ok(config) => html! { <Shopfront config={Rc::new(config.clone())} /> },
        Err(reason) => html! {
            <>
                <h1>{"Payment iframe"}</h1>
                <StatusPanel subject="Shop" state="error" detail={reason.clone()} />
            </>
        },
    }
}

#[derive(Properties, PartialEq)]
struct ShopfrontProps {
    config: Rc<(Origins, TargetOrigin, TargetOrigin)>,
}

#[component]
fn Shopfront(props: &ShopfrontProps) -> Html {
    let i18n = use_i18n();
    let route = use_route::<ShopState>();
    let frame = use_node_ref();
    let (amount_input, timeout_input) = (use_node_ref(), use_node_ref());
    let explain = use_state(|| false);
    let lab_count = use_mut_ref(|| 0u32);
    let shop = {
        let ((origins, to_provider, to_self), frame, route) =
            ((*props.config).clone(), frame.clone(), route.clone());
        use_memo((), move |_| Shop {
            checkout: RefCell::new(Checkout::new(origins.provider_origin.clone())),
            origins,
            to_provider,
            to_self,
            order: RefCell::new(None),
            frame,
            link: RefCell::new(None),
            explain_weaker: Cell::new(false),
            timeout: RefCell::new(None),
            hijacked: RefCell::new(None),
            route,
        })
    };
    {
        let shop = Rc::clone(&shop);
        use_effect_with((), move |_| {
            shop.route.dispatch(Action::Configured { provider_origin: shop.origins.provider_origin.clone() });
            shop.listen();
            move || {
                shop.link.borrow_mut().take();
                shop.timeout.borrow_mut().take();
                shop.hijacked.borrow_mut().take();
            }
        });
    }

    let on_checkout = {
        let (shop, amount_input, timeout_input) =
            (Rc::clone(&shop), amount_input.clone(), timeout_input.clone());
        Callback::from(move |_: MouseEvent| {
            let value =
                |node: &NodeRef| node.cast::<HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
            shop.start(&value(&amount_input), &value(&timeout_input));
        })
    };
    let lab = |kind: LabKind| {
        let (shop, lab_count) = (Rc::clone(&shop), lab_count.clone());
        Callback::from(move |_: MouseEvent| {
            *lab_count.borrow_mut() += 1;
            let n = *lab_count.borrow();
            shop.route.dispatch(Action::Lab { n, kind, order_id: shop.pending_order_id() });
        })
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
            shop.explain_weaker.set(on);
            explain.set(on);
        })
    };

    let config = &shop.origins;
    let state = route.state();
    let payment = &state.payment;
    let status_state = match payment {
        PaymentState::Unreachable { .. } => "unreachable",
        _ => "configured",
    };
    let (result_text, order_attr) = match (payment, &state.order) {
        (PaymentState::Idle, _) => ("No order yet: press Checkout.".to_owned(), None),
        (PaymentState::Pending, Some(order)) => {
            (format!("Waiting for the provider: order {}", order.id), Some(order.id.clone()))
        }
        (PaymentState::Success { payment_id }, Some(order)) => {
            (format!("Paid: order {} ({payment_id})", order.id), Some(order.id.clone()))
        }
        (PaymentState::Failed { reason }, Some(order)) => {
            (format!("Declined: order {} — {reason}", order.id), Some(order.id.clone()))
        }
        (PaymentState::Cancelled, Some(order)) => {
            (format!("Cancelled: order {}", order.id), Some(order.id.clone()))
        }
        (PaymentState::Timeout, Some(order)) => {
            (format!("Timed out: order {}", order.id), Some(order.id.clone()))
        }
        (PaymentState::Unreachable { .. }, Some(order)) => {
            (format!("Not paid: order {} — the provider cannot be reached", order.id), Some(order.id.clone()))
        }
        (_, None) => (String::new(), None),
    };
    let lab_frame = state.lab_frame.as_ref().map(|(n, kind, order_id)| match kind {
        LabKind::Opaque => html! {
            <iframe key={format!("lab-{n}")} data-testid="lab-frame" data-kind="opaque" class="lab-frame"
                    sandbox="allow-scripts" src={opaque_attacker_url(order_id, &config.app_origin)}
                    title="Hostile frame (opaque origin)"></iframe>
        },
        LabKind::Impostor => html! {
            <iframe key={format!("lab-{n}")} data-testid="lab-frame" data-kind="impostor" class="lab-frame"
                    sandbox={CHECKOUT_SANDBOX}
                    src={format!("{}{PROVIDER_PATH}?impostor={}", config.provider_origin, js_sys::encode_uri_component(order_id))}
                    title="Impostor frame (the provider's origin, not the checkout frame)"></iframe>
        },
    });

    html! {
        <RouteFrame lesson="payment">
            <div class="panel status-panel">
                <div class={classes!("status", format!("state-{status_state}"))} data-testid="status" data-state={status_state}>
                    <span class="status-dot"></span>
                    <strong>{i18n.t(Text::PageShop)}<code data-testid="app-origin">{config.app_origin.clone()}</code></strong>
                    <span class="status-detail">{i18n.t(Text::PageProvider)}<code data-testid="provider-origin">{config.provider_origin.clone()}</code></span>
                </div>
            </div>
            <div class="panel store-form">
                <label>{i18n.t(Text::PageAmountEur)}<input data-testid="amount" ref={amount_input} type="text" value="42.00" /></label>
                <label>{i18n.t(Text::PageTimeLimitS)}<input data-testid="timeout-input" ref={timeout_input} type="text"
                    value={DEFAULT_TIMEOUT_S.to_string()} size="4" /></label>
                <button data-testid="checkout" class="primary" onclick={on_checkout}>{i18n.t(Text::PageCheckout)}</button>
                if let Some(order) = &state.order {
                    <span class="hint">{i18n.t(Text::PageOrder)}<code data-testid="order-id">{order.id.clone()}</code></span>
                }
            </div>
            if let Some(error) = &state.error {
                <p class="error" data-testid="error" role="alert">{error.clone()}</p>
            }
            if let PaymentState::Unreachable { reason } = payment {
                <p class="error" data-testid="unreachable" role="alert">{format!("This route cannot work now: {reason}.")}</p>
            }
            <div class={classes!("panel", "payment-result", format!("result-{}", payment.as_attr()))}
                 data-testid="payment-result" data-state={payment.as_attr()} data-order={order_attr}>
                {result_text}
            </div>
            if let Some(order) = &state.order {
                <iframe key={order.id.clone()} ref={frame.clone()} data-testid="provider-frame" class="provider-frame"
                        src={format!("{}{PROVIDER_PATH}", config.provider_origin)} sandbox={CHECKOUT_SANDBOX}
                        title="Payment provider"></iframe>
            }
            <LogAndDiagram log={route.log_view()} on_clear={route.clear_log()} diagram={DIAGRAM}>
                <details class="panel faults" open=true>
                    <summary>{i18n.t(Text::PageOriginLab)}</summary>
                    <p class="hint">{i18n.t(Text::PageTheFirstThreePostAForged)}</p>
                    <div class="lab-buttons">
                        <button data-testid="hostile-frame" onclick={lab(LabKind::Opaque)}>{i18n.t(Text::PageForgeFromAnOpaqueFrame)}</button>
                        <button data-testid="impostor-frame" onclick={lab(LabKind::Impostor)}>{i18n.t(Text::PageForgeFromAnotherProviderOriginFrame)}</button>
                        <button data-testid="self-post" onclick={on_self_post}>{i18n.t(Text::PageForgeByPostingToThisPage)}</button>
                        <button data-testid="hijack-frame" onclick={on_hijack}>{i18n.t(Text::PageNavigateTheCheckoutFrameAwayThen)}</button>
                    </div>
                    <label class="toggle">
                        <input type="checkbox" data-testid="naive-toggle" checked={*explain} onchange={on_explain} />
                        {i18n.t(Text::PageExplainWhatWeakerChecksWouldHave)}
                    </label>
                    {for lab_frame}
                    <RawComposer on_send={on_raw} />
                    <p class="hint">{i18n.t(Text::PageRawTextGoesToTheCheckout)}</p>
                </details>
                <details class="panel explain">
                    <summary>{i18n.t(Text::PageTheChecksAndWhatEachOne)}</summary>
                    <p>{i18n.t(Text::PageOriginOnlyTheProviderSOrigin)}</p>
                    <p>{i18n.t(Text::PageSourceOnlyTheCheckoutIframeS)}</p>
                    <p>{i18n.t(Text::PageOrderAndOnceAResultMust)}</p>
                    <p>{i18n.t(Text::PageOutgoingTheOrderIsPostedWith)}</p>
                </details>
            </LogAndDiagram>
        </RouteFrame>
    }
}
