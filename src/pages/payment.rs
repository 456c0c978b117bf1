//! `/payment`: a shop embeds a payment provider served from another origin; they talk with
//! `window.postMessage`, and the shop accepts a result only from the provider's origin *and* its
//! checkout frame, for the pending order, once. The Origin lab shows the attacks this stops.
//! The provider's side is `pages/provider.rs`; the rules are `protocol::payment`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo::timers::callback::Timeout;
use web_sys::{HtmlIFrameElement, HtmlInputElement};
use yew::prelude::*;

use crate::clock::{now_ms, random};
use crate::components::message_log::MessageLog;
use crate::components::sequence_diagram::{SequenceDiagram, Step};
use crate::components::status::StatusPanel;
use crate::config::{origins, Origins};
use crate::log::{Direction, Entry, LogBook, Status};
use crate::protocol::payment::{
    weaker_checks, Checkout, Incoming, Outcome, PaymentMsg, PaymentState, Verdict,
};
use crate::protocol::{decode, preview, Envelope, Sender, SenderId};
use crate::transport::window_message::{self, WindowMessage};

/// The provider's page, on the provider's origin.
pub const PROVIDER_PATH: &str = "/provider";
/// What the checkout frame may do: run scripts, and keep its real origin (without
/// `allow-same-origin` it would be opaque, its messages would come from "null", and the shop could
/// not tell the provider from anyone). No forms, popups, top navigation or downloads.
pub const CHECKOUT_SANDBOX: &str = "allow-scripts allow-same-origin";
const DEFAULT_TIMEOUT_S: u32 = 60;

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

#[derive(Clone, PartialEq)]
pub struct PageState {
    pub state: PaymentState,
    pub order: Option<Order>,
    pub lab_frame: Option<(u32, LabKind, String)>,
    pub error: Option<String>,
    pub log: Rc<LogBook>,
}

impl Default for PageState {
    fn default() -> Self {
        PageState {
            state: PaymentState::Idle,
            order: None,
            lab_frame: None,
            error: None,
            log: Rc::new(LogBook::default()),
        }
    }
}

pub enum Action {
    Started(Order, f64),
    State(PaymentState),
    Log(Entry),
    Lab(u32, LabKind, String),
    Error(String),
    ClearLog,
}

impl Reducible for PageState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Started(order, at_ms) => {
                Rc::make_mut(&mut next.log).push(Entry::system(
                    "checkout",
                    format!(
                        "order {} for {}: opening the provider's page",
                        order.id,
                        money(order.amount_cents)
                    ),
                    at_ms,
                ));
                next.order = Some(order);
                next.state = PaymentState::Pending;
                next.error = None;
            }
            Action::State(state) => next.state = state,
            Action::Log(entry) => Rc::make_mut(&mut next.log).push(entry),
            Action::Lab(n, kind, order) => next.lab_frame = Some((n, kind, order)),
            Action::Error(error) => next.error = Some(error),
            Action::ClearLog => Rc::make_mut(&mut next.log).clear(),
        }
        Rc::new(next)
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

fn outcome_text(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Paid { payment_id } => format!("paid ({payment_id})"),
        Outcome::Declined { reason } => format!("declined: {reason}"),
        Outcome::Cancelled => "cancelled by the customer".into(),
    }
}

/// What the log shows for a message body.
pub fn describe(body: &PaymentMsg) -> String {
    match body {
        PaymentMsg::Ready => "the provider's page is listening".into(),
        PaymentMsg::Order { order_id, amount_cents, .. } => {
            format!("order {order_id}: {}", money(*amount_cents))
        }
        PaymentMsg::Result { order_id, outcome } => format!("order {order_id}: {}", outcome_text(outcome)),
    }
}

/// A forged "paid" result for `order_id`, as an attacker would write it.
pub fn forged_success(order_id: &str, attacker: &str) -> String {
    let mut sender = Sender::new(SenderId(attacker.into()));
    let body = PaymentMsg::Result {
        order_id: order_id.into(),
        outcome: Outcome::Paid { payment_id: format!("forged-by-{attacker}") },
    };
    sender.envelope(body, 0.0).encode().unwrap_or_default()
}

/// The opaque frame of the Origin lab: a sandboxed srcdoc page that posts a forged success.
fn opaque_attacker_srcdoc(order_id: &str, app_origin: &str) -> String {
    let forged = serde_json::to_string(&forged_success(order_id, "opaque-frame")).unwrap_or_default();
    let target = serde_json::to_string(app_origin).unwrap_or_default();
    format!(
        "<p style=\"font:12px sans-serif\">Hostile frame (opaque origin): posting a forged success…</p>\
         <script>parent.postMessage({}, {});</script>",
        forged.replace('<', "\\u003c"),
        target.replace('<', "\\u003c")
    )
}

/// The shop's side of one message.
struct Shop {
    config: Origins,
    checkout: RefCell<Checkout>,
    order: RefCell<Option<Order>>,
    frame: NodeRef,
    sender: RefCell<Sender>,
    explain_weaker: Cell<bool>,
    timeout: RefCell<Option<Timeout>>,
    dispatcher: UseReducerDispatcher<PageState>,
}

impl Shop {
    fn log(&self, entry: Entry) {
        self.dispatcher.dispatch(Action::Log(entry));
    }

    fn checkout_window(&self) -> Option<web_sys::Window> {
        self.frame.cast::<HtmlIFrameElement>()?.content_window()
    }

    fn on_message(&self, message: WindowMessage) {
        let at_ms = now_ms();
        let incoming = Incoming {
            origin: message.origin.clone(),
            from_checkout_frame: message.from_expected,
            data: message.data,
        };
        let decoded = incoming.data.as_deref().ok().and_then(|t| decode::<PaymentMsg>(t).ok());
        let source = if incoming.from_checkout_frame { "the checkout frame" } else { "another window" };
        let entry = |payload: String, status: Status| Entry {
            dir: Direction::In,
            seq: decoded.as_ref().map(|e| e.seq),
            at_ms,
            from: Some(incoming.origin.clone()),
            kind: decoded.as_ref().map(Envelope::kind).unwrap_or_else(|| "?".into()),
            payload: format!("{payload} · from {} ({source})", incoming.origin),
            status,
        };
        let verdict = self.checkout.borrow_mut().judge(&incoming);
        match verdict {
            Verdict::ProviderReady(envelope) => {
                self.log(entry(describe(&envelope.body), Status::Ok));
                self.send_order(at_ms);
            }
            Verdict::Settled { envelope, state } => {
                self.timeout.borrow_mut().take();
                self.log(entry(describe(&envelope.body), Status::Ok));
                self.dispatcher.dispatch(Action::State(state));
            }
            Verdict::Refused(refusal) => {
                let shown = match &decoded {
                    Some(envelope) => describe(&envelope.body),
                    None => {
                        incoming.data.as_deref().map(|t| preview(t, 100)).unwrap_or_else(|e| e.to_string())
                    }
                };
                self.log(entry(shown, Status::Rejected(refusal.to_string())));
                if self.explain_weaker.get() {
                    for line in weaker_checks(&incoming, &self.config.provider_origin, &refusal) {
                        self.log(Entry::system("lesson", line, at_ms));
                    }
                }
            }
        }
    }

    /// Sends the pending order to the checkout frame, to the provider's origin only.
    fn send_order(&self, at_ms: f64) {
        let (Some(order), Some(frame)) = (self.order.borrow().clone(), self.checkout_window()) else {
            return;
        };
        let body = PaymentMsg::Order {
            order_id: order.id.clone(),
            amount_cents: order.amount_cents,
            currency: "EUR".into(),
        };
        let envelope = self.sender.borrow_mut().envelope(body, at_ms);
        let result = envelope
            .encode()
            .map_err(|e| e.to_string())
            .and_then(|wire| window_message::post(&frame, &wire, &self.config.provider_origin));
        let status = match result {
            Ok(()) => Status::Ok,
            Err(reason) => Status::Rejected(format!("not sent: {reason}")),
        };
        let payload = format!("{} · targetOrigin {}", describe(&envelope.body), self.config.provider_origin);
        self.log(Entry::sent(&envelope, payload, at_ms).with_status(status));
    }
}

#[component]
pub fn PaymentPage() -> Html {
    let config = use_memo((), |_| origins());
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
    config: Rc<Origins>,
}

#[component]
fn Shopfront(props: &ShopfrontProps) -> Html {
    let page = use_reducer(PageState::default);
    let frame = use_node_ref();
    let amount_input = use_node_ref();
    let timeout_input = use_node_ref();
    let explain = use_state(|| false);
    let lab_count = use_mut_ref(|| 0u32);
    let shop = {
        let (config, frame, dispatcher) = ((*props.config).clone(), frame.clone(), page.dispatcher());
        use_memo((), move |_| Shop {
            checkout: RefCell::new(Checkout::new(config.provider_origin.clone())),
            config,
            order: RefCell::new(None),
            frame,
            sender: RefCell::new(Sender::new(SenderId::new("shop", random))),
            explain_weaker: Cell::new(false),
            timeout: RefCell::new(None),
            dispatcher,
        })
    };
    {
        let shop = Rc::clone(&shop);
        use_effect_with((), move |_| {
            let expected = Rc::clone(&shop);
            let receiving = Rc::clone(&shop);
            let listener =
                window_message::listen(move || expected.checkout_window(), move |m| receiving.on_message(m));
            move || {
                drop(listener);
                shop.timeout.borrow_mut().take();
            }
        });
    }

    let on_checkout = {
        let (shop, amount_input, timeout_input) =
            (Rc::clone(&shop), amount_input.clone(), timeout_input.clone());
        Callback::from(move |_: MouseEvent| {
            let value =
                |node: &NodeRef| node.cast::<HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
            let amount = match parse_amount(&value(&amount_input)) {
                Ok(amount) => amount,
                Err(reason) => return shop.dispatcher.dispatch(Action::Error(reason)),
            };
            let seconds = match value(&timeout_input).trim().parse::<u32>() {
                Ok(s) if (1..=600).contains(&s) => s,
                _ => {
                    return shop
                        .dispatcher
                        .dispatch(Action::Error("the time limit is 1 to 600 seconds".into()))
                }
            };
            let order = Order { id: SenderId::new("order", random).0, amount_cents: amount };
            shop.checkout.borrow_mut().start(order.id.clone());
            *shop.order.borrow_mut() = Some(order.clone());
            let timed = Rc::clone(&shop);
            let order_id = order.id.clone();
            *shop.timeout.borrow_mut() = Some(Timeout::new(seconds * 1000, move || {
                if timed.checkout.borrow_mut().time_out() {
                    timed.dispatcher.dispatch(Action::State(PaymentState::Timeout));
                    timed.log(Entry::system(
                        "timeout",
                        format!("no answer for order {order_id} within {seconds} s: a late answer will be refused"),
                        now_ms(),
                    ));
                }
            }));
            shop.dispatcher.dispatch(Action::Started(order, now_ms()));
        })
    };
    let lab = |kind: LabKind| {
        let (shop, lab_count) = (Rc::clone(&shop), lab_count.clone());
        Callback::from(move |_: MouseEvent| {
            let order_id =
                shop.order.borrow().as_ref().map(|o| o.id.clone()).unwrap_or_else(|| "order-none".into());
            *lab_count.borrow_mut() += 1;
            let n = *lab_count.borrow();
            let what = match kind {
                LabKind::Opaque => "a sandboxed frame with an opaque origin posts a forged success",
                LabKind::Impostor => "a second frame from the provider's own origin posts a forged success",
            };
            shop.log(Entry::system("lab", format!("{what} for order {order_id}"), now_ms()));
            shop.dispatcher.dispatch(Action::Lab(n, kind, order_id));
        })
    };
    let on_self_post = {
        let shop = Rc::clone(&shop);
        Callback::from(move |_: MouseEvent| {
            let order_id =
                shop.order.borrow().as_ref().map(|o| o.id.clone()).unwrap_or_else(|| "order-none".into());
            let Some(window) = web_sys::window() else { return };
            shop.log(Entry::system(
                "lab",
                format!("this page posts a forged success for order {order_id} to itself (the seed's multi-tab mistake)"),
                now_ms(),
            ));
            if let Err(reason) = window_message::post(
                &window,
                &forged_success(&order_id, "shop-itself"),
                &shop.config.app_origin,
            ) {
                shop.dispatcher.dispatch(Action::Error(reason));
            }
        })
    };
    let on_explain = {
        let (shop, explain) = (Rc::clone(&shop), explain.clone());
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            shop.explain_weaker.set(on);
            explain.set(on);
        })
    };
    let on_clear = {
        let dispatcher = page.dispatcher();
        Callback::from(move |()| dispatcher.dispatch(Action::ClearLog))
    };

    let config = &props.config;
    let state = &page.state;
    let (result_text, order_attr) = match (state, &page.order) {
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
        (_, None) => (String::new(), None),
    };
    let seen = |dir: Direction, kind: &str| {
        page.log.entries().any(|l| l.entry.dir == dir && l.entry.kind == kind && l.entry.status == Status::Ok)
    };
    let steps = vec![
        Step { from: 0, to: 1, label: "iframe src = provider origin".into(), done: page.order.is_some() },
        Step { from: 1, to: 0, label: "ready (→ shop origin)".into(), done: seen(Direction::In, "ready") },
        Step {
            from: 0,
            to: 1,
            label: "order (→ provider origin)".into(),
            done: seen(Direction::Out, "order"),
        },
        Step {
            from: 1,
            to: 0,
            label: "result (origin + source checked)".into(),
            done: seen(Direction::In, "result"),
        },
    ];
    let lab_frame = page.lab_frame.as_ref().map(|(n, kind, order_id)| match kind {
        LabKind::Opaque => html! {
            <iframe key={format!("lab-{n}")} data-testid="lab-frame" data-kind="opaque" class="lab-frame"
                    sandbox="allow-scripts" srcdoc={opaque_attacker_srcdoc(order_id, &config.app_origin)}
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
        <>
            <h1>{"Payment iframe"}</h1>
            <p class="lead">
                {"A shop embeds a payment page served from a different origin. When the customer has paid, the \
                  provider tells the shop with window.postMessage — and the shop believes it only if the message \
                  comes from the provider's origin, from the checkout frame itself, about the order it is waiting \
                  for, and only once."}
            </p>
            <div class="panel status-panel">
                <div class="status state-configured" data-testid="status" data-state="configured">
                    <span class="status-dot"></span>
                    <strong>{"Shop "}<code data-testid="app-origin">{config.app_origin.clone()}</code></strong>
                    <span class="status-detail">{"provider "}<code data-testid="provider-origin">{config.provider_origin.clone()}</code></span>
                </div>
            </div>
            <div class="panel store-form">
                <label>{"Amount (EUR) "}<input data-testid="amount" ref={amount_input} type="text" value="42.00" /></label>
                <label>{"Time limit (s) "}<input data-testid="timeout-input" ref={timeout_input} type="text"
                    value={DEFAULT_TIMEOUT_S.to_string()} size="4" /></label>
                <button data-testid="checkout" class="primary" onclick={on_checkout}>{"Checkout"}</button>
                if let Some(order) = &page.order {
                    <span class="hint">{"order "}<code data-testid="order-id">{order.id.clone()}</code></span>
                }
            </div>
            if let Some(error) = &page.error {
                <p class="error" data-testid="error" role="alert">{error.clone()}</p>
            }
            <div class={classes!("panel", "payment-result", format!("result-{}", state.as_attr()))}
                 data-testid="payment-result" data-state={state.as_attr()} data-order={order_attr}>
                {result_text}
            </div>
            if let Some(order) = &page.order {
                <iframe key={order.id.clone()} ref={frame.clone()} data-testid="provider-frame" class="provider-frame"
                        src={format!("{}{PROVIDER_PATH}", config.provider_origin)} sandbox={CHECKOUT_SANDBOX}
                        title="Payment provider"></iframe>
            }
            <div class="columns">
                <MessageLog book={page.log.clone()} on_clear={on_clear} />
                <aside class="side">
                    <SequenceDiagram title="Shop and provider"
                        lanes={vec![AttrValue::from("shop"), AttrValue::from("provider (iframe)")]} steps={steps} />
                    <details class="panel faults" open=true>
                        <summary>{"Origin lab"}</summary>
                        <p class="hint">{"Each of these posts a forged “paid” for the current order. The shop must refuse it and say why."}</p>
                        <div class="lab-buttons">
                            <button data-testid="hostile-frame" onclick={lab(LabKind::Opaque)}>{"Forge from an opaque frame"}</button>
                            <button data-testid="impostor-frame" onclick={lab(LabKind::Impostor)}>{"Forge from another provider-origin frame"}</button>
                            <button data-testid="self-post" onclick={on_self_post}>{"Forge by posting to this page"}</button>
                        </div>
                        <label class="toggle">
                            <input type="checkbox" data-testid="naive-toggle" checked={*explain} onchange={on_explain} />
                            {" explain what weaker checks would have done"}
                        </label>
                        {for lab_frame}
                    </details>
                    <details class="panel explain">
                        <summary>{"The checks, and what each one stops"}</summary>
                        <p>{"Origin: only the provider's origin may speak (stops other sites, opaque frames, this page posting to itself)."}</p>
                        <p>{"Source: only the checkout iframe's window (stops another frame from the provider's origin — which the \
                             seed's origin-only check lets through)."}</p>
                        <p>{"Order and once: a result must answer the pending order, and is taken once (stops replays and stale answers)."}</p>
                        <p>{"Outgoing, the order is posted with the provider's exact origin as targetOrigin, never \"*\". The frame is \
                             sandboxed to scripts only, keeping its real origin; the provider's server only allows this shop to frame it."}</p>
                    </details>
                </aside>
            </div>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn the_opaque_attacker_cannot_break_out_of_its_script() {
        let srcdoc = opaque_attacker_srcdoc("</script><b>x", "http://127.0.0.1:8080");
        assert_eq!(srcdoc.matches("</script>").count(), 1, "{srcdoc}");
        assert!(srcdoc.contains("\"http://127.0.0.1:8080\""));
    }
}
