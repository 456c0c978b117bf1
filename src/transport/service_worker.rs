//! The Service Worker adapter: the registration of `/sw.js` at the origin's root, its workers'
//! lifecycle as it moves (installing, waiting, activating, active), the page's controller and its
//! changes, and messages to the controller and from the worker (`navigator.serviceWorker`'s
//! `message`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crosstalk_protocol::service_worker::{script_url, version_of, Lifecycle, SwMsg, SCOPE};
use crosstalk_protocol::{Payload, Reason, ReasonCode, SenderId};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{
    MessageEvent, RegistrationOptions, ServiceWorker, ServiceWorkerContainer, ServiceWorkerRegistration,
};

use super::core::{js_error_text, Core, Event, LinkState, Via};

pub const VIA_WORKER: Via = "service worker";

/// One of a registration's workers: its script's version and where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub version: u32,
    pub lifecycle: Lifecycle,
}

/// What only the Service Worker route reports.
#[derive(Debug, Clone, PartialEq)]
pub enum SwNews {
    /// The registration of the scope, found or made.
    Registered { script: String, found: bool },
    /// The registration's workers now: the one installing, the one waiting, the active one.
    Workers { installing: Option<Step>, waiting: Option<Step>, active: Option<Step> },
    /// Whether this page is controlled, and by which version; `changed` when `controllerchange`
    /// said so (not the first look).
    Controller { version: Option<u32>, changed: bool },
    /// The scope has an active worker and this page has no controller: the load bypassed it (a
    /// shift-reload does).
    Bypassed,
    /// An update was asked for (the script of `version`).
    Updating { version: u32 },
}

pub type SwEvent = Event<SwMsg, SwNews>;
type SwCore = Core<SwMsg, SwNews>;

fn step_of(worker: Option<ServiceWorker>) -> Option<Step> {
    let worker = worker?;
    let lifecycle = Lifecycle::parse(&js_sys::Reflect::get(&worker, &"state".into()).ok()?.as_string()?)?;
    Some(Step { version: version_of(&worker.script_url()), lifecycle })
}

/// This page's side. Dropping it stops listening (the worker stays registered).
pub struct ServiceWorkerLink {
    core: Rc<SwCore>,
    container: ServiceWorkerContainer,
    registration: Rc<RefCell<Option<ServiceWorkerRegistration>>>,
    /// The newest script version this page knows of (the next update asks for one more).
    newest: Rc<Cell<u32>>,
}

impl ServiceWorkerLink {
    /// Finds the registration of the origin's root, or registers `/sw.js` there.
    pub fn open(sink: impl Fn(SwEvent) + 'static) -> Result<ServiceWorkerLink, String> {
        let window = web_sys::window().ok_or("no window")?;
        let navigator = window.navigator();
        if let Some(why) = super::missing::why_missing(&crosstalk_protocol::catalog::SERVICE_WORKER.needs) {
            return Err(why);
        }
        let container = navigator.service_worker();
        let core = Core::new(SwCore::own_sender("tab"), LinkState::Connecting, sink);
        let desk =
            ServiceWorkerLink { core, container, registration: Rc::default(), newest: Rc::new(Cell::new(1)) };
        // lesson: service-worker
        desk.core.listen::<MessageEvent>(&desk.container, "message", |core, event| {
            if let Some(envelope) = core.read(&event.data(), VIA_WORKER) {
                core.received(envelope, VIA_WORKER);
            }
        });
        let hello = desk.container.clone();
        desk.core.listen::<web_sys::Event>(&desk.container, "controllerchange", move |core, _| {
            let version = hello.controller().map(|c| version_of(&c.script_url()));
            core.emit(Event::Other(SwNews::Controller { version, changed: true }));
            say_hello(core, &hello);
        });
        // lesson end
        // Messages from the worker wait in a queue until the page says it listens.
        // (web-sys leaves `startMessages` out; called by name.)
        let start = js_sys::Reflect::get(&desk.container, &"startMessages".into()).ok();
        if let Some(start) = start.and_then(|s| s.dyn_into::<js_sys::Function>().ok()) {
            let _ = start.call0(&desk.container);
        }
        let version = desk.container.controller().map(|c| version_of(&c.script_url()));
        desk.core.emit(Event::Other(SwNews::Controller { version, changed: false }));
        say_hello(&desk.core, &desk.container);
        spawn_local(find_or_register(
            desk.core.weak(),
            desk.container.clone(),
            Rc::clone(&desk.registration),
            Rc::clone(&desk.newest),
        ));
        Ok(desk)
    }

    pub fn sender_id(&self) -> SenderId {
        self.core.sender_id()
    }

    /// Posts a text to the controller, which forwards it to every other tab.
    // lesson: service-worker
    pub fn send_text(&self, text: impl Into<Payload>) -> Result<(), Reason> {
        let controller = self.controller()?;
        self.core.send(SwMsg::Text { text: text.into() }, VIA_WORKER, |wire| controller.post_message(wire))
    }
    // lesson end

    /// Raw text that is not an envelope, to the controller (fault injection).
    pub fn send_raw(&self, text: &str) -> Result<(), Reason> {
        let controller = self.controller()?;
        self.core.send_raw(text, VIA_WORKER, |wire| controller.post_message(wire))
    }

    /// Asks for an update: the script of the next version, registered for the same scope. It
    /// installs, then waits while an older worker controls any tab.
    pub fn update(&self) -> Result<(), Reason> {
        let version = self.newest.get() + 1;
        let url = script_url(version);
        self.newest.set(version);
        let options = RegistrationOptions::new();
        options.set_scope(SCOPE);
        let registering = self.container.register_with_options(&url, &options);
        self.core.emit(Event::Other(SwNews::Updating { version }));
        spawn_local(track(
            self.core.weak(),
            registering,
            Rc::clone(&self.registration),
            Rc::clone(&self.newest),
        ));
        Ok(())
    }

    /// Tells the waiting worker to stop waiting (`skipWaiting()`): it activates and claims the tabs.
    pub fn skip_waiting(&self) -> Result<(), Reason> {
        let registration = self.registration.borrow();
        let waiting =
            registration.as_ref().and_then(ServiceWorkerRegistration::waiting).ok_or_else(|| {
                Reason::new(ReasonCode::NotReady, "no worker is waiting: ask for an update first")
            })?;
        self.core.send(SwMsg::SkipWaiting, VIA_WORKER, |wire| waiting.post_message(wire))
    }

    fn controller(&self) -> Result<ServiceWorker, Reason> {
        self.container.controller().ok_or_else(|| {
            let why = "this page has no controller yet: the first load is not controlled until the worker calls clients.claim(), and a shift-reload bypasses it";
            Reason::new(ReasonCode::NotReady, why)
        })
    }
}

/// Says hello to the controller, if there is one: it answers with its instance and count.
fn say_hello(core: &SwCore, container: &ServiceWorkerContainer) {
    if let Some(controller) = container.controller() {
        core.send_upkeep(SwMsg::Hello, |wire| controller.post_message(wire));
    }
}

/// Finds the scope's registration (so as not to undo another tab's update by registering the
/// first script again), or registers the first script.
async fn find_or_register(
    core: std::rc::Weak<SwCore>,
    container: ServiceWorkerContainer,
    registration: Rc<RefCell<Option<ServiceWorkerRegistration>>>,
    newest: Rc<Cell<u32>>,
) {
    let found = JsFuture::from(container.get_registration_with_document_url(SCOPE)).await;
    if let Ok(found) = found.and_then(|r| r.dyn_into::<ServiceWorkerRegistration>()) {
        if let Some(core) = core.upgrade() {
            core.emit(Event::Other(SwNews::Registered { script: script_of(&found), found: true }));
        }
        return watch(core, found, registration, newest);
    }
    let options = RegistrationOptions::new();
    options.set_scope(SCOPE);
    track(core, container.register_with_options(&script_url(1), &options), registration, newest).await;
}

/// The newest script a registration has.
fn script_of(registration: &ServiceWorkerRegistration) -> String {
    let newest =
        registration.installing().or_else(|| registration.waiting()).or_else(|| registration.active());
    newest.map(|w| w.script_url()).unwrap_or_default()
}

/// Awaits a `register()` and watches what it gives.
async fn track(
    core: std::rc::Weak<SwCore>,
    registering: js_sys::Promise,
    registration: Rc<RefCell<Option<ServiceWorkerRegistration>>>,
    newest: Rc<Cell<u32>>,
) {
    match JsFuture::from(registering).await.and_then(|r| r.dyn_into::<ServiceWorkerRegistration>()) {
        Ok(found) => {
            if let Some(core) = core.upgrade() {
                core.emit(Event::Other(SwNews::Registered { script: script_of(&found), found: false }));
            }
            watch(core, found, registration, newest);
        }
        Err(error) => {
            if let Some(core) = core.upgrade() {
                core.fail(format!("the worker could not be registered: {}", js_error_text(&error)));
            }
        }
    }
}

/// Reports the registration's workers now, and again at every `updatefound` and `statechange`.
fn watch(
    core: std::rc::Weak<SwCore>,
    found: ServiceWorkerRegistration,
    registration: Rc<RefCell<Option<ServiceWorkerRegistration>>>,
    newest: Rc<Cell<u32>>,
) {
    let Some(core) = core.upgrade() else { return };
    let already = registration.borrow().is_some();
    *registration.borrow_mut() = Some(found.clone());
    report(&core, &found, &newest);
    if !already {
        let (watched, newer) = (found.clone(), Rc::clone(&newest));
        core.listen::<web_sys::Event>(&found, "updatefound", move |core, _| {
            follow(core, &watched, &newer, [watched.installing()]);
            report(core, &watched, &newer);
        });
        follow(&core, &found, &newest, [found.installing(), found.waiting(), found.active()]);
    }
    core.set_state(LinkState::Ready);
}

/// Listens to the state changes of the registration's workers.
fn follow<const N: usize>(
    core: &SwCore,
    registration: &ServiceWorkerRegistration,
    newest: &Rc<Cell<u32>>,
    workers: [Option<ServiceWorker>; N],
) {
    let Some(core) = core.weak().upgrade() else { return };
    for worker in workers.into_iter().flatten() {
        let (watched, newer) = (registration.clone(), Rc::clone(newest));
        core.listen::<web_sys::Event>(&worker, "statechange", move |core, _| report(core, &watched, &newer));
    }
}

fn report(core: &SwCore, registration: &ServiceWorkerRegistration, newest: &Cell<u32>) {
    let (installing, waiting, active) =
        (step_of(registration.installing()), step_of(registration.waiting()), step_of(registration.active()));
    let seen = [installing, waiting, active].into_iter().flatten().map(|s| s.version).max().unwrap_or(1);
    newest.set(newest.get().max(seen));
    core.emit(Event::Other(SwNews::Workers { installing, waiting, active }));
    let bypassed = active.is_some_and(|a| a.lifecycle == Lifecycle::Active)
        && web_sys::window().is_some_and(|w| w.navigator().service_worker().controller().is_none());
    if bypassed {
        core.emit(Event::Other(SwNews::Bypassed));
    }
}

/// The benchmark's link to the origin's worker: messages posted to its active worker (the page
/// need not be controlled) and answered to this page.
pub struct SwEcho {
    core: Rc<SwCore>,
    worker: ServiceWorker,
}

impl SwEcho {
    /// Registers the worker if the origin has none, and waits until one is active.
    pub async fn open(sink: impl Fn(SwEvent) + 'static) -> Result<SwEcho, String> {
        let window = web_sys::window().ok_or("no window")?;
        let navigator = window.navigator();
        if let Some(why) = super::missing::why_missing(&crosstalk_protocol::catalog::SERVICE_WORKER.needs) {
            return Err(why);
        }
        let container = navigator.service_worker();
        let found = JsFuture::from(container.get_registration_with_document_url(SCOPE)).await;
        if !found.is_ok_and(|r| r.is_object()) {
            let options = RegistrationOptions::new();
            options.set_scope(SCOPE);
            JsFuture::from(container.register_with_options(&script_url(1), &options))
                .await
                .map_err(|e| format!("the worker could not be registered: {}", js_error_text(&e)))?;
        }
        let ready = container.ready().map_err(|e| js_error_text(&e))?;
        let registration: ServiceWorkerRegistration =
            JsFuture::from(ready).await.map_err(|e| js_error_text(&e))?.unchecked_into();
        let worker = registration.active().ok_or("no active worker")?;
        let core = Core::new(SwCore::own_sender("bench"), LinkState::Ready, sink);
        core.listen::<MessageEvent>(&container, "message", |core, event| {
            if let Some(envelope) = core.read(&event.data(), VIA_WORKER) {
                core.received(envelope, VIA_WORKER);
            }
        });
        Ok(SwEcho { core, worker })
    }

    /// Posts a text the worker sends straight back.
    pub fn echo(&self, text: &Payload) -> Result<(), Reason> {
        self.core.send(SwMsg::Echo { text: text.clone() }, VIA_WORKER, |wire| self.worker.post_message(wire))
    }
}

impl Drop for SwEcho {
    fn drop(&mut self) {
        self.core.stop();
    }
}

impl Drop for ServiceWorkerLink {
    fn drop(&mut self) {
        self.core.stop();
    }
}
