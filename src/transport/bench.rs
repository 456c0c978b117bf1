//! The benchmark's crosstalk side: one echo per mechanism through the very adapters the routes
//! use (core, envelope, size check, decode), each event logged into a log book as a route logs
//! it. A sequential run posts the next message from inside the previous echo's event, as the
//! plain-JS baseline does, so both sides pay the same browser costs and nothing else.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use crosstalk_protocol::bench::{BenchMsg, Counts, Figures, Mechanism};
use crosstalk_protocol::relay::RelayMsg;
use crosstalk_protocol::service_worker::SwMsg;
use crosstalk_protocol::shared_store::StoreMsg;
use crosstalk_protocol::storage::{StorageMsg, Stored};
use crosstalk_protocol::worker_port::WorkerPortMsg;
use crosstalk_protocol::{Body, Envelope, Payload, Reason};
use gloo::timers::callback::Timeout;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlIFrameElement, Window};

use super::broadcast::{BroadcastEvent, BroadcastLink};
use super::core::{js_error_text, Core, Event, LinkState};
use super::js_wire::{held, read_any, Wire};
use super::service_worker::{SwEcho, SwEvent};
use super::shared_worker::{SharedWorkerLink, StoreEvent, SHARED_STORE_URL};
use super::storage::{StorageChange, StorageLink, StorageNotice};
use super::websocket::{relay_url, RelayEvent, RelayLink};
use super::window_message::{Expect, RawWindowEvent, TargetOrigin, WindowLink};
use super::worker_port::{WorkerPortEvent, WorkerPortLink, ECHO_WORKER_URL};
use crate::clock::now_ms;
use crate::log::{Entry, LogBook};

/// How long any step (readiness, a whole run) may take before the case fails.
const LIMIT_MS: u32 = 20_000;
/// The storage echo's keys, under the demo's namespace.
const PING_KEY: &str = "bench-ping";
const PONG_KEY: &str = "bench-pong";
/// The crosstalk echo frame's page, on either origin.
pub const PEER_PATH: &str = crosstalk_protocol::catalog::paths::BENCH_PEER;

type Post = Rc<dyn Fn(&Payload) -> Result<(), Reason>>;

/// Counts echoes and readiness, and resolves what the benchmark awaits.
#[derive(Default)]
pub struct Meter {
    ready: Cell<u32>,
    needed: Cell<u32>,
    remaining: Cell<u32>,
    /// Set during a sequential run: what to post again at each echo.
    again: RefCell<Option<(Post, Payload)>>,
    waiting: RefCell<Option<(js_sys::Function, js_sys::Function)>>,
    failure: RefCell<Option<String>>,
    log: RefCell<LogBook>,
}

impl Meter {
    fn logged(&self, entry: Entry) {
        self.log.borrow_mut().push(entry);
    }

    /// A transport of this case is ready.
    fn ready(&self) {
        self.ready.set(self.ready.get() + 1);
        if self.ready.get() == self.needed.get() {
            self.settle(Ok(()));
        }
    }

    fn echoed(&self) {
        let left = self.remaining.get();
        if left == 0 {
            return;
        }
        self.remaining.set(left - 1);
        if left == 1 {
            self.again.borrow_mut().take();
            return self.settle(Ok(()));
        }
        let again = self.again.borrow().clone();
        if let Some((post, text)) = again {
            if let Err(reason) = post(&text) {
                self.fail(reason.text);
            }
        }
    }

    fn fail(&self, why: String) {
        self.failure.borrow_mut().get_or_insert(why.clone());
        self.settle(Err(why));
    }

    fn settle(&self, outcome: Result<(), String>) {
        let Some((resolve, reject)) = self.waiting.borrow_mut().take() else { return };
        let _ = match outcome {
            Ok(()) => resolve.call0(&JsValue::NULL),
            Err(why) => reject.call1(&JsValue::NULL, &JsValue::from_str(&why)),
        };
    }

    /// Awaits the next settle (or `LIMIT_MS`); `start` runs once the wait is armed.
    async fn wait(&self, what: &str, start: impl FnOnce()) -> Result<(), String> {
        if let Some(why) = self.failure.borrow().clone() {
            return Err(why);
        }
        let mut slot = None;
        let promise = js_sys::Promise::new(&mut |resolve, reject| slot = Some((resolve, reject)));
        *self.waiting.borrow_mut() = slot;
        let limit = {
            let reject = self.waiting.borrow().as_ref().map(|(_, reject)| reject.clone());
            let what = format!("{what} within {} s", LIMIT_MS / 1000);
            Timeout::new(LIMIT_MS, move || {
                if let Some(reject) = reject {
                    let _ = reject.call1(&JsValue::NULL, &JsValue::from_str(&what));
                }
            })
        };
        start();
        let outcome = JsFuture::from(promise).await;
        drop(limit);
        self.waiting.borrow_mut().take();
        outcome.map(drop).map_err(|e| e.as_string().unwrap_or_else(|| js_error_text(&e)))
    }

    /// `n` echoes: one after another when `sequential`, else all posted at once.
    async fn run(&self, post: &Post, text: &Payload, n: u32, sequential: bool) -> Result<(), String> {
        self.remaining.set(n);
        let outcome = self
            .wait("not every echo came back", || {
                if sequential {
                    *self.again.borrow_mut() = Some((Rc::clone(post), text.clone()));
                    if let Err(reason) = post(text) {
                        self.fail(reason.text);
                    }
                } else {
                    for _ in 0..n {
                        if let Err(reason) = post(text) {
                            return self.fail(reason.text);
                        }
                    }
                }
            })
            .await;
        outcome.map_err(|why| format!("{why} ({} of {n} back)", n - self.remaining.get()))
    }

    /// The case's events as a route would log them: every sent and received message.
    fn note<B: Body, X>(&self, event: &Event<B, X>) {
        match event {
            Event::Sent { envelope, .. } => self.logged(Entry::sent(envelope, envelope.kind(), now_ms())),
            Event::Received { envelope, .. } => {
                self.logged(Entry::received(envelope, envelope.kind(), now_ms()))
            }
            Event::State(LinkState::Ready) => self.ready(),
            Event::State(LinkState::Failed(why)) => self.fail(why.clone()),
            Event::Rejected { error, raw, .. } => {
                self.logged(Entry::refused(raw, error.reason(), now_ms()));
                self.fail(format!("an echo was rejected: {}", error.reason().text));
            }
            _ => {}
        }
    }
}

/// One mechanism's echo, open and ready: what is posted, and what keeps it alive.
pub struct Session {
    meter: Rc<Meter>,
    post: Post,
    _keep: Box<dyn Any>,
}

impl Session {
    /// Warms up, then times `counts.round_trips` sequential echoes and a burst of `counts.burst`.
    pub async fn measure(&self, bytes: usize, counts: Counts) -> Result<Figures, String> {
        // Made once and kept in JavaScript, as the plain-JS side keeps its text: every post hands
        // the same string on.
        let text = held(&js_sys::JsString::from(crosstalk_protocol::bench::payload_text(bytes)));
        let meter = &self.meter;
        meter.run(&self.post, &text, counts.warmup, true).await?;
        let start = now_ms();
        meter.run(&self.post, &text, counts.round_trips, true).await?;
        let rtt_us = (now_ms() - start) * 1000.0 / f64::from(counts.round_trips);
        let start = now_ms();
        meter.run(&self.post, &text, counts.burst, false).await?;
        let msgs_per_s = f64::from(counts.burst) / ((now_ms() - start) / 1000.0);
        Ok(Figures { rtt_us: Some(rtt_us), msgs_per_s: Some(msgs_per_s) })
    }

    /// How many entries the case logged (the benchmark shows it: the log was really written).
    pub fn logged(&self) -> u64 {
        let log = self.meter.log.borrow();
        log.len() as u64 + log.dropped()
    }
}

/// Where the case's frames and sockets go.
pub struct Env {
    pub container: web_sys::Element,
    pub app_origin: String,
    pub provider_origin: String,
    /// Text, or objects the browser clones (used only where the mechanism carries objects).
    pub wire: Wire,
}

impl Env {
    /// How `mechanism`'s envelopes cross in this run.
    fn wire_for(&self, mechanism: Mechanism) -> Wire {
        if mechanism.carries_objects() {
            self.wire
        } else {
            Wire::Text
        }
    }
}

/// Opens `mechanism`'s echo through crosstalk and waits until it is ready.
/// Lets the browser render (and deliver what is queued) between measurements.
pub async fn yield_to_browser() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = JsFuture::from(promise).await;
}

pub async fn open(mechanism: Mechanism, env: &Env) -> Result<Session, String> {
    let meter = Rc::new(Meter::default());
    let wire = env.wire_for(mechanism);
    let (post, keep, needed): (Post, Box<dyn Any>, u32) = match mechanism {
        Mechanism::WorkerPort => worker_port(&meter, wire)?,
        Mechanism::SharedWorker => shared_worker(&meter, wire),
        Mechanism::ServiceWorker => service_worker(&meter).await?,
        Mechanism::Broadcast => broadcast(&meter, wire)?,
        Mechanism::WindowSameOrigin => window(&meter, env, &env.app_origin)?,
        Mechanism::WindowCrossOrigin => window(&meter, env, &env.provider_origin)?,
        Mechanism::Storage => storage(&meter, env).await?,
        Mechanism::WebSocket => websocket(&meter)?,
        Mechanism::WebRtc => webrtc(&meter)?,
    };
    meter.needed.set(needed);
    let already = meter.ready.get() >= needed;
    if !already {
        meter.wait("the echo was not ready", || ()).await?;
    }
    Ok(Session { meter, post, _keep: keep })
}

type Opened = (Post, Box<dyn Any>, u32);

fn worker_port(meter: &Rc<Meter>, wire: Wire) -> Result<Opened, String> {
    let sink_meter = Rc::clone(meter);
    let port = Rc::new(WorkerPortLink::spawn(ECHO_WORKER_URL, move |event: WorkerPortEvent| {
        sink_meter.note(&event);
        if let Event::Received { envelope: Envelope { body: WorkerPortMsg::Echo { .. }, .. }, .. } = event {
            sink_meter.echoed();
        }
    })?);
    port.set_wire(wire);
    let sending = Rc::clone(&port);
    Ok((Rc::new(move |text: &Payload| sending.send(text)), Box::new(port), 1))
}

fn shared_worker(meter: &Rc<Meter>, wire: Wire) -> Opened {
    let sink_meter = Rc::clone(meter);
    let client = Rc::new(SharedWorkerLink::connect(SHARED_STORE_URL, move |event: StoreEvent| {
        sink_meter.note(&event);
        if let Event::Received { envelope: Envelope { body: StoreMsg::Echo { .. }, .. }, .. } = event {
            sink_meter.echoed();
        }
    }));
    client.set_wire(wire);
    let sending = Rc::clone(&client);
    (Rc::new(move |text: &Payload| sending.echo(text)), Box::new(client), 1)
}

async fn service_worker(meter: &Rc<Meter>) -> Result<Opened, String> {
    let sink_meter = Rc::clone(meter);
    let link = Rc::new(
        SwEcho::open(move |event: SwEvent| {
            sink_meter.note(&event);
            if let Event::Received { envelope: Envelope { body: SwMsg::Echo { .. }, .. }, .. } = event {
                sink_meter.echoed();
            }
        })
        .await?,
    );
    let sending = Rc::clone(&link);
    Ok((Rc::new(move |text: &Payload| sending.echo(text)), Box::new(link), 0))
}

fn broadcast(meter: &Rc<Meter>, wire: Wire) -> Result<Opened, String> {
    let name = format!("crosstalk-bench-{}", (crate::clock::random() * 1e9) as u64);
    let echoer: Rc<RefCell<Option<BroadcastLink>>> = Rc::default();
    let (slot, echo_meter) = (Rc::downgrade(&echoer), Rc::clone(meter));
    let b =
        BroadcastLink::join(&name, Core::<BenchMsg>::own_sender("bench-b"), move |event: BroadcastEvent| {
            echo_meter.note(&event);
            if let Event::Received { envelope, .. } = event {
                if let crosstalk_protocol::broadcast::BroadcastMsg::Text { text } = envelope.body {
                    answer(&slot, &echo_meter, |b| b.send_text(&text));
                }
            }
        })?;
    b.set_wire(wire);
    *echoer.borrow_mut() = Some(b);
    let sink_meter = Rc::clone(meter);
    let a = Rc::new(BroadcastLink::join(
        &name,
        Core::<BenchMsg>::own_sender("bench-a"),
        move |event: BroadcastEvent| {
            sink_meter.note(&event);
            if let Event::Received { envelope, .. } = &event {
                if matches!(envelope.body, crosstalk_protocol::broadcast::BroadcastMsg::Text { .. }) {
                    sink_meter.echoed();
                }
            }
        },
    )?);
    a.set_wire(wire);
    let sending = Rc::clone(&a);
    Ok((Rc::new(move |text: &Payload| sending.send_text(text)), Box::new((a, echoer)), 2))
}

/// Has the echoing side (held weakly: it owns this very callback) answer.
fn answer<T>(slot: &Weak<RefCell<Option<T>>>, meter: &Meter, send: impl FnOnce(&T) -> Result<(), Reason>) {
    let Some(slot) = slot.upgrade() else { return };
    let outcome = slot.borrow().as_ref().map(send);
    if let Some(Err(reason)) = outcome {
        meter.fail(format!("the echo could not answer: {}", reason.text));
    }
}

/// A hidden frame, sandboxed like every frame of the suite, appended to the bench's container.
fn hidden_frame(env: &Env, src: &str) -> Result<HtmlIFrameElement, String> {
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let frame: HtmlIFrameElement =
        document.create_element("iframe").map_err(|e| js_error_text(&e))?.unchecked_into();
    frame.set_hidden(true);
    let _ = frame.set_attribute("sandbox", "allow-scripts allow-same-origin");
    frame.set_src(src);
    env.container.append_child(&frame).map_err(|e| js_error_text(&e))?;
    Ok(frame)
}

/// Removes a frame when the session ends.
struct FrameGuard(HtmlIFrameElement);

impl Drop for FrameGuard {
    fn drop(&mut self) {
        self.0.remove();
    }
}

fn window(meter: &Rc<Meter>, env: &Env, origin: &str) -> Result<Opened, String> {
    let frame = hidden_frame(env, &format!("{origin}{PEER_PATH}"))?;
    let target = TargetOrigin::exact(origin)?;
    let (looking, sink_meter, expected_origin) = (frame.clone(), Rc::clone(meter), origin.to_owned());
    let expect = Expect {
        source: Box::new(move || looking.content_window()),
        origin: origin.to_owned(),
        read_strangers: Box::new(|| false),
    };
    let link = WindowLink::<BenchMsg>::listen_raw("bench", expect, move |event: RawWindowEvent<BenchMsg>| {
        // The link is ready at once (it only listens); the frame is ready when it says so.
        if !matches!(event, Event::State(_)) {
            sink_meter.note(&event);
        }
        let Event::Other(incoming) = event else { return };
        // The same rule as the payment page's: origin and source first, then the data.
        if !(incoming.from_expected && incoming.origin == expected_origin) {
            let why =
                format!("a message from {} (expected window: {})", incoming.origin, incoming.from_expected);
            sink_meter.logged(Entry::system("stranger", why.clone(), now_ms()));
            return sink_meter.fail(why);
        }
        match incoming.data.and_then(|data| read_any::<BenchMsg>(&data, true)) {
            Ok(envelope) => {
                sink_meter.logged(Entry::received(&envelope, envelope.kind(), now_ms()));
                match envelope.body {
                    BenchMsg::Ready => sink_meter.ready(),
                    BenchMsg::Pong { .. } => sink_meter.echoed(),
                    BenchMsg::Ping { .. } => {}
                }
            }
            Err(error) => {
                sink_meter.fail(format!("the frame's answer was rejected: {}", error.reason().text))
            }
        }
    })
    .ok_or("no window")?;
    // The echo frame answers in the form it is asked in.
    link.set_wire(env.wire_for(Mechanism::WindowSameOrigin));
    let (link, posting) = (Rc::new(link), frame.clone());
    let sending = Rc::clone(&link);
    let post: Post = Rc::new(move |text: &Payload| {
        let window = posting.content_window().ok_or_else(|| {
            Reason::new(crosstalk_protocol::ReasonCode::NotReady, "the echo frame has no window")
        })?;
        sending.send(&window, BenchMsg::Ping { text: text.clone() }, &target)
    });
    Ok((post, Box::new((link, FrameGuard(frame))), 1))
}

async fn storage(meter: &Rc<Meter>, env: &Env) -> Result<Opened, String> {
    let frame = hidden_frame(env, "/bench_peer.html")?;
    loaded(&frame).await?;
    let other: Window = frame.content_window().ok_or("the storage frame has no window")?;
    let echoer: Rc<RefCell<Option<StorageLink>>> = Rc::default();
    let (slot, echo_meter) = (Rc::downgrade(&echoer), Rc::clone(meter));
    let b = StorageLink::open_in(other, move |event: StorageNotice| {
        if let Some(text) = stored_text(&event, PING_KEY) {
            echo_meter.logged(Entry::system("storage", text.preview(120), now_ms()));
            answer(&slot, &echo_meter, |b| b.set(PONG_KEY, &text));
        }
    })?;
    *echoer.borrow_mut() = Some(b);
    let sink_meter = Rc::clone(meter);
    let a = Rc::new(StorageLink::open(move |event: StorageNotice| {
        if let Some(text) = stored_text(&event, PONG_KEY) {
            sink_meter.logged(Entry::system("storage", text.preview(120), now_ms()));
            sink_meter.echoed();
        }
    })?);
    let sending = Rc::clone(&a);
    let post: Post = Rc::new(move |text: &Payload| sending.set(PING_KEY, text));
    let cleanup = StorageCleanup(Rc::clone(&a));
    Ok((post, Box::new((cleanup, echoer, FrameGuard(frame))), 0))
}

/// The text of a valid envelope written under `key`, from a storage notice.
fn stored_text(event: &StorageNotice, key: &str) -> Option<Payload> {
    match event {
        Event::Other(StorageChange::Changed { key: k, new: Stored::Valid(envelope), .. }) if k == key => {
            match &envelope.body {
                StorageMsg::Value { text } => Some(text.clone()),
            }
        }
        _ => None,
    }
}

/// Leaves no bench keys behind.
struct StorageCleanup(Rc<StorageLink>);

impl Drop for StorageCleanup {
    fn drop(&mut self) {
        let _ = self.0.remove(PING_KEY);
        let _ = self.0.remove(PONG_KEY);
    }
}

/// Resolves when the frame has loaded.
async fn loaded(frame: &HtmlIFrameElement) -> Result<(), String> {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        frame.set_onload(Some(&resolve));
    });
    JsFuture::from(promise).await.map(drop).map_err(|e| js_error_text(&e))
}

fn websocket(meter: &Rc<Meter>) -> Result<Opened, String> {
    let url = relay_url().ok_or("no relay address for this page")?;
    let room = format!("bench-{}", (crate::clock::random() * 1e9) as u64);
    let echoer: Rc<RefCell<Option<RelayLink>>> = Rc::default();
    let (slot, echo_meter) = (Rc::downgrade(&echoer), Rc::clone(meter));
    let b =
        RelayLink::open(&url, &room, Core::<RelayMsg>::own_sender("bench-b"), move |event: RelayEvent| {
            echo_meter.note(&event);
            if let Event::Received {
                envelope: Envelope { body: RelayMsg::Relayed { text, .. }, .. }, ..
            } = event
            {
                answer(&slot, &echo_meter, |b| b.send_text(&text));
            }
        });
    *echoer.borrow_mut() = Some(b);
    let sink_meter = Rc::clone(meter);
    let a = Rc::new(RelayLink::open(
        &url,
        &room,
        Core::<RelayMsg>::own_sender("bench-a"),
        move |event: RelayEvent| {
            sink_meter.note(&event);
            if let Event::Received { envelope: Envelope { body: RelayMsg::Relayed { .. }, .. }, .. } = event {
                sink_meter.echoed();
            }
        },
    ));
    let sending = Rc::clone(&a);
    Ok((Rc::new(move |text: &Payload| sending.send_text(text)), Box::new((a, echoer)), 2))
}

/// Two desks of the WebRTC route in this page, introduced over a BroadcastChannel of their own:
/// A offers to B as soon as it hears it; B echoes every text back over the data channel.
fn webrtc(meter: &Rc<Meter>) -> Result<Opened, String> {
    use super::webrtc::{RtcNews, Signalling, WebRtcLink};
    use crosstalk_protocol::webrtc::RtcData;
    let room = format!("bench-{}", (crate::clock::random() * 1e9) as u64);
    let echoer: Rc<RefCell<Option<WebRtcLink>>> = Rc::default();
    let (slot, echo_meter) = (Rc::downgrade(&echoer), Rc::clone(meter));
    let b = WebRtcLink::open(
        Signalling::Broadcast,
        &room,
        |_| (),
        move |event| {
            echo_meter.note(&event);
            if let Event::Received { envelope: Envelope { body: RtcData::Text { text }, .. }, .. } = event {
                answer(&slot, &echo_meter, |b| b.send_payload(text));
            }
        },
    )?;
    *echoer.borrow_mut() = Some(b);
    let offerer: Rc<RefCell<Option<WebRtcLink>>> = Rc::default();
    let (calling, failing, sink_meter) = (Rc::downgrade(&offerer), Rc::clone(meter), Rc::clone(meter));
    let asked = Cell::new(false);
    let a = WebRtcLink::open(
        Signalling::Broadcast,
        &room,
        move |event| {
            // Once: the same peer may be heard again (its hello and its answer to ours).
            if matches!(event, Event::Other(RtcNews::PeerHeard(_))) && !asked.replace(true) {
                answer(&calling, &failing, WebRtcLink::connect);
            }
        },
        move |event| {
            sink_meter.note(&event);
            if let Event::Received { envelope: Envelope { body: RtcData::Text { .. }, .. }, .. } = event {
                sink_meter.echoed();
            }
        },
    )?;
    *offerer.borrow_mut() = Some(a);
    let sending = Rc::clone(&offerer);
    let post: Post = Rc::new(move |text: &Payload| match sending.borrow().as_ref() {
        Some(a) => a.send_payload(text.clone()),
        None => Err(Reason::new(crosstalk_protocol::ReasonCode::NotReady, "no peer connection")),
    });
    Ok((post, Box::new((offerer, echoer)), 2))
}

/// The plain-JS baseline (`static/bench_baseline.js`), driven from here so both sides run
/// interleaved in one loop.
pub mod baseline {
    use super::*;

    /// Where the baseline script is served; the page loads it on demand.
    pub const SCRIPT: &str = "/bench_baseline.js";

    /// Loads the plain-JS baseline once (a script of this origin, as the CSP allows).
    pub async fn load() -> Result<(), String> {
        if api().is_ok() {
            return Ok(());
        }
        load_script(SCRIPT).await
    }

    /// Adds `<script src>` of this origin and waits until it has run.
    pub async fn load_script(src: &str) -> Result<(), String> {
        let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
        let script: web_sys::HtmlScriptElement =
            document.create_element("script").map_err(|e| js_error_text(&e))?.unchecked_into();
        script.set_src(src);
        let promise = js_sys::Promise::new(&mut |resolve, reject| {
            script.set_onload(Some(&resolve));
            script.set_onerror(Some(&reject));
        });
        document.head().ok_or("no head")?.append_child(&script).map_err(|e| js_error_text(&e))?;
        JsFuture::from(promise).await.map(drop).map_err(|_| format!("{src} could not be loaded"))
    }

    fn api() -> Result<JsValue, String> {
        let window = web_sys::window().ok_or("no window")?;
        js_sys::Reflect::get(&window, &"crosstalkBaseline".into())
            .ok()
            .filter(|v| v.is_object())
            .ok_or_else(|| "the plain-JS baseline script is not loaded".to_owned())
    }

    /// Calls the method `name` of a plain-JS object.
    pub fn call(target: &JsValue, name: &str, args: &[JsValue]) -> Result<JsValue, String> {
        let function: js_sys::Function = js_sys::Reflect::get(target, &name.into())
            .ok()
            .and_then(|f| f.dyn_into().ok())
            .ok_or_else(|| format!("the baseline has no {name}()"))?;
        let args: js_sys::Array = args.iter().collect();
        function.apply(target, &args).map_err(|e| js_error_text(&e))
    }

    /// What a promise a plain-JS call returned settles with.
    pub async fn settled(value: JsValue) -> Result<JsValue, String> {
        let promise: js_sys::Promise =
            value.dyn_into().map_err(|_| "the baseline did not return a promise")?;
        JsFuture::from(promise).await.map_err(|e| js_error_text(&e))
    }

    /// A plain-JS echo session, closed on drop.
    pub struct JsSession(JsValue);

    impl Drop for JsSession {
        fn drop(&mut self) {
            let _ = call(&self.0, "close", &[]);
        }
    }

    pub async fn open(mechanism: Mechanism, env: &Env) -> Result<JsSession, String> {
        let options = js_sys::Object::new();
        let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&options, &k.into(), v).map(drop);
        let relay = relay_url().unwrap_or_default();
        set("container", env.container.as_ref())
            .and_then(|()| set("appOrigin", &env.app_origin.as_str().into()))
            .and_then(|()| set("providerOrigin", &env.provider_origin.as_str().into()))
            .and_then(|()| set("relayUrl", &relay.as_str().into()))
            .and_then(|()| set("cloned", &JsValue::from_bool(env.wire == Wire::Cloned)))
            .map_err(|e| js_error_text(&e))?;
        let session = settled(call(&api()?, "open", &[mechanism.slug().into(), options.into()])?).await?;
        Ok(JsSession(session))
    }

    impl JsSession {
        pub async fn measure(&self, bytes: usize, counts: Counts) -> Result<Figures, String> {
            let args = [
                JsValue::from(bytes as u32),
                counts.warmup.into(),
                counts.round_trips.into(),
                counts.burst.into(),
            ];
            let figures = settled(call(&self.0, "measure", &args)?).await?;
            let number = |k: &str| js_sys::Reflect::get(&figures, &k.into()).ok().and_then(|v| v.as_f64());
            Ok(Figures { rtt_us: number("rttUs"), msgs_per_s: number("msgsPerS") })
        }
    }
}
