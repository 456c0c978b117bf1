//! `/payment`'s controller, the shop: between the window transport, the checkout rules and the
//! route's state. It judges each message (`crosstalk_protocol::payment::Checkout`, pure), sends the
//! order when the provider is ready, probes and times the order out, and stages the Origin lab's
//! attacks. The page (`pages/payment.rs`) only shows the state and hands it clicks.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use crosstalk_protocol::config::Origins;
use crosstalk_protocol::payment::{Checkout, Incoming, PaymentMsg, Verdict};
use crosstalk_protocol::{Reason, ReasonCode, SenderId};
use gloo::events::EventListener;
use gloo::timers::callback::Timeout;

use crate::clock::random;
use crate::state::payment::{
    forged_success, order_form, Action, LabKind, Order, EAVESDROPPER, PROVIDER_PATH,
};
use crate::state::Dispatch;
use crate::transport::frame::Frame;
use crate::transport::reach;
use crate::transport::window_message::{this_window, Expect, TargetOrigin, WindowLink};
use crate::transport::Event;

/// The shop's origins, and the exact target origins it posts to (never `"*"`).
#[derive(Clone, PartialEq)]
pub struct ShopConfig {
    pub origins: Origins,
    pub to_provider: TargetOrigin,
    pub to_self: TargetOrigin,
}

impl ShopConfig {
    pub fn new(origins: Origins) -> Result<ShopConfig, String> {
        let to_provider = TargetOrigin::exact(&origins.provider_origin)?;
        let to_self = TargetOrigin::exact(&origins.app_origin)?;
        Ok(ShopConfig { origins, to_provider, to_self })
    }
}

pub struct Shop {
    config: ShopConfig,
    checkout: RefCell<Checkout>,
    order: RefCell<Option<Order>>,
    /// The checkout frame the page renders for the pending order.
    frame: Frame,
    link: RefCell<Option<WindowLink<PaymentMsg>>>,
    explain_weaker: Cell<bool>,
    timeout: RefCell<Option<Timeout>>,
    /// The lab's hijack: waits for the checkout frame to load the eavesdropper.
    hijacked: RefCell<Option<EventListener>>,
    /// The lab's frames so far: each gets a fresh number, so a second attack is a fresh frame.
    labs: Cell<u32>,
    route: Dispatch<Action>,
}

impl Shop {
    pub fn new(config: ShopConfig, frame: Frame, route: Dispatch<Action>) -> Rc<Shop> {
        Rc::new(Shop {
            checkout: RefCell::new(Checkout::new(config.origins.provider_origin.clone())),
            config,
            order: RefCell::new(None),
            frame,
            link: RefCell::new(None),
            explain_weaker: Cell::new(false),
            timeout: RefCell::new(None),
            hijacked: RefCell::new(None),
            labs: Cell::new(0),
            route,
        })
    }

    pub fn origins(&self) -> &Origins {
        &self.config.origins
    }

    /// Starts listening for the provider: only its origin and the checkout frame are believed.
    pub fn start(self: &Rc<Self>) {
        let provider_origin = self.config.origins.provider_origin.clone();
        self.route.dispatch(Action::Configured { provider_origin: provider_origin.clone() });
        let (expected, receiving, lesson): (Weak<Shop>, Weak<Shop>, Weak<Shop>) =
            (Rc::downgrade(self), Rc::downgrade(self), Rc::downgrade(self));
        let route = self.route.clone();
        let expect = Expect {
            source: Box::new(move || expected.upgrade().and_then(|shop| shop.frame.window())),
            origin: provider_origin,
            read_strangers: Box::new(move || lesson.upgrade().is_some_and(|shop| shop.explain_weaker.get())),
        };
        let link = WindowLink::listen("shop", expect, move |event| match (event, receiving.upgrade()) {
            (Event::Other(incoming), Some(shop)) => shop.on_incoming(incoming),
            (event, _) => route.tell(event, Action::Window),
        });
        *self.link.borrow_mut() = link;
    }

    pub fn stop(&self) {
        self.link.borrow_mut().take();
        self.timeout.borrow_mut().take();
        self.hijacked.borrow_mut().take();
    }

    /// The lab's "explain what weaker checks would have done".
    pub fn explain_weaker(&self, on: bool) {
        self.explain_weaker.set(on);
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
        let (Some(order), Some(frame)) = (self.order.borrow().clone(), self.frame.window()) else {
            return;
        };
        let body = PaymentMsg::Order {
            order_id: order.id,
            amount_cents: order.amount_cents,
            currency: "EUR".into(),
        };
        let sent = match self.link.borrow().as_ref() {
            Some(link) => link.send(&frame, body, &self.config.to_provider),
            None => Err(Reason::new(ReasonCode::NotReady, "not listening")),
        };
        if let Err(reason) = sent {
            self.route.tell(Event::Refused(reason), Action::Window);
        }
    }

    /// Checkout: a new order for `amount`, given up after `seconds` (both as typed).
    pub fn checkout(self: &Rc<Self>, amount: &str, seconds: &str) {
        let (amount_cents, seconds) = match order_form(amount, seconds) {
            Ok(form) => form,
            Err(reason) => return self.route.dispatch(Action::Error(reason)),
        };
        let order = Order { id: SenderId::new("order", random).0, amount_cents };
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
        let url = format!("{}{PROVIDER_PATH}", self.config.origins.provider_origin);
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

    /// The lab's forged frames (opaque, or the provider's origin but not the checkout frame).
    pub fn stage_lab(&self, kind: LabKind) {
        let n = self.labs.get() + 1;
        self.labs.set(n);
        self.route.dispatch(Action::Lab { n, kind, order_id: self.pending_order_id() });
    }

    /// The lab's hijack: the checkout frame is navigated to a page of another origin (as a
    /// compromised provider might redirect it), then the shop posts the order again. It goes to
    /// the provider's exact origin, so the browser delivers nothing to the page now there.
    pub fn hijack_checkout(self: &Rc<Self>) {
        let shop = Rc::downgrade(self);
        let navigated = self.frame.navigate(EAVESDROPPER, move || {
            if let Some(shop) = shop.upgrade() {
                shop.send_order();
            }
        });
        let Some(listener) = navigated else {
            let said = "press Checkout first: there is no checkout frame to navigate";
            return self.route.dispatch(Action::Error(Reason::new(ReasonCode::NotReady, said)));
        };
        self.route
            .dispatch(Action::Hijacked { order_id: self.pending_order_id(), page: EAVESDROPPER.into() });
        *self.hijacked.borrow_mut() = Some(listener);
    }

    fn pending_order_id(&self) -> String {
        self.order.borrow().as_ref().map(|o| o.id.clone()).unwrap_or_else(|| "order-none".into())
    }

    /// The raw composer: `text` as it is, to the checkout frame (the provider's origin only).
    pub fn send_raw(&self, text: &str) {
        let Some(frame) = self.frame.window() else {
            let said = "no checkout frame: press Checkout first — the frame is this route's channel";
            return self.route.tell(Event::Refused(Reason::new(ReasonCode::NotReady, said)), Action::Window);
        };
        if let Some(Err(reason)) =
            self.link.borrow().as_ref().map(|l| l.send_raw(&frame, text, &self.config.to_provider))
        {
            self.route.tell(Event::Refused(reason), Action::Window);
        }
    }

    /// The lab's self-post: this page posts a forged success to its own window.
    pub fn post_to_self(&self) {
        let order_id = self.pending_order_id();
        let Some(window) = this_window() else { return };
        self.route.dispatch(Action::SelfPost { order_id: order_id.clone() });
        let forged = forged_success(&order_id, "shop-itself");
        if let Some(Err(reason)) =
            self.link.borrow().as_ref().map(|l| l.send_raw(&window, &forged, &self.config.to_self))
        {
            self.route.dispatch(Action::Error(reason));
        }
    }
}
