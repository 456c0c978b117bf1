//! The Atomics adapter: a ring in a `SharedArrayBuffer` between this page and a dedicated wasm
//! worker (`workers/atomics_worker.rs`).
//!
//! The worker says `ready`; the page posts it the buffer — the one and only `postMessage` of the
//! exchange — and the worker says `attached` and blocks in `Atomics.wait`. From then on the page
//! writes a request into a slot, adds one to the request counter and `Atomics.notify`s; it waits
//! for the reply counter with `Atomics.waitAsync`, because a page's main thread may never block
//! ([`AtomicsLink::try_to_block`] shows the browser refusing). Every slot read back is checked
//! (`crosstalk_protocol::atomics`) before a byte of it is read.
//!
//! Why the buffer cannot reach another tab: a `SharedArrayBuffer` is shared only inside one
//! agent cluster (a page and its dedicated workers). [`AtomicsLink::share_with_tabs`] posts it on
//! a BroadcastChannel anyway. Neither engine throws here: Firefox fires `messageerror` in the
//! other tabs, and Chromium hands them `null` in place of the buffer (seen on this machine).

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use crosstalk_protocol::atomics::{
    self as ring, payload_len, payload_offset, payload_text, refusal_of, request_bytes, ring_has_room,
    AtomicsMsg, SlotState, BUFFER_BYTES, REPLIES, REQUESTS, SLOT_BYTES, STOP,
};
use crosstalk_protocol::{Reason, ReasonCode};
use js_sys::{Atomics, Int32Array, SharedArrayBuffer, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{BroadcastChannel, MessageEvent, Worker, WorkerOptions, WorkerType};

use super::core::{error_message, js_error_text, Core, Event, LinkState, Via};
use crate::clock::now_ms;

/// Where the worker's loader is served.
pub const ATOMICS_WORKER_URL: &str = "/atomics_worker_loader.js";
/// How long the worker may take to attach the buffer.
pub const READY_TIMEOUT_MS: u32 = 10_000;
/// The handshake's messages, on the worker.
pub const VIA_WORKER: Via = "worker";
/// The BroadcastChannel the buffer is offered on, to show it cannot cross.
pub const SHARE_CHANNEL: &str = "crosstalk:atomics";
thread_local! {
    /// What each hop of a run carries: the benchmark's 100 bytes, as postMessage's rows send.
    static HOP_TEXT: String = crosstalk_protocol::bench::payload_text(100);
}

/// A request whose slot claims this many bytes: a length that lies (fault injection).
pub const LYING_LENGTH: i32 = (SLOT_BYTES as i32) * 1000;

/// What only this route reports.
#[derive(Debug, Clone, PartialEq)]
pub enum AtomicsEvent {
    /// Whether this page is cross-origin isolated (`crossOriginIsolated`).
    Isolated(bool),
    /// Request `n` written into `slot` (`claimed` is the length written, which a fault may make lie).
    Wrote { n: u32, slot: u32, text: String, claimed: i32 },
    /// The reply of request `n` read from `slot`, `ms` after it was written.
    Read { n: u32, slot: u32, text: String, ms: f64 },
    /// The slot of request `n` was refused — by the worker (its words) or by this page's checks.
    SlotRefused { n: u32, slot: u32, reason: Reason },
    /// A run of ping-pong hops ended.
    Hops { hops: u32, ms: f64 },
    /// What the browser said when the main thread tried to block.
    BlockRefused(Reason),
    /// The buffer was offered to other tabs; `Err` is the browser's refusal at once.
    Offered(Result<(), Reason>),
    /// Another tab's offer arrived here: it could not be deserialised (`messageerror` in Firefox,
    /// `null` in Chromium), or — never in a browser that keeps the rule — it did.
    OfferArrived(Result<(), Reason>),
    /// How the page waits for replies: `Atomics.waitAsync`, or polling where it is missing.
    Waiting(&'static str),
}

pub type AtomicsRingEvent = Event<AtomicsMsg, AtomicsEvent>;

/// The ring, its worker and its listeners. Dropping it stops the worker.
pub struct AtomicsLink {
    inner: Rc<Inner>,
}

struct Inner {
    core: Rc<Core<AtomicsMsg, AtomicsEvent>>,
    worker: Worker,
    buffer: RefCell<Option<(Int32Array, Uint8Array, SharedArrayBuffer)>>,
    /// Requests written, and replies read (both count from 0 and wrap).
    written: Cell<u32>,
    read: Cell<u32>,
    /// When each outstanding request was written, by slot.
    sent_at: RefCell<[f64; ring::SLOTS as usize]>,
    /// Hops still to go in the current run, when it started, and how many it has.
    hops_left: Cell<u32>,
    /// Hops of the run whose request is not written yet.
    hops_unwritten: Cell<u32>,
    hops_run: Cell<(u32, f64)>,
    /// Settles the promise of a timed run ([`AtomicsLink::timed_hops`]).
    run_done: RefCell<Option<js_sys::Function>>,
    channel: RefCell<Option<BroadcastChannel>>,
}

/// Whether this page is cross-origin isolated: the browser's own word.
pub fn cross_origin_isolated() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &"crossOriginIsolated".into())
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// Whether `Atomics.waitAsync` exists here (Chromium has it; older engines do not).
pub fn has_wait_async() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &"Atomics".into())
        .and_then(|atomics| js_sys::Reflect::get(&atomics, &"waitAsync".into()))
        .is_ok_and(|f| f.is_function())
}

impl AtomicsLink {
    /// Starts the worker at `url`; the ring is ready once it has attached the buffer.
    pub fn spawn(url: &str, sink: impl Fn(AtomicsRingEvent) + 'static) -> Result<Self, String> {
        let isolated = cross_origin_isolated();
        // Checked on its own, not inferred from isolation: an isolated page of a browser without
        // shared memory must not reach `new SharedArrayBuffer` (a ReferenceError).
        let usable = super::missing::missing(&crosstalk_protocol::catalog::ATOMICS.needs).is_none();
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Classic);
        options.set_name("crosstalk atomics worker");
        let worker = Worker::new_with_options(url, &options).map_err(|e| js_error_text(&e))?;
        let core =
            Core::new(Core::<AtomicsMsg, AtomicsEvent>::own_sender("tab"), LinkState::Connecting, sink);
        core.emit(Event::Other(AtomicsEvent::Isolated(isolated)));
        let inner = Rc::new(Inner {
            core: Rc::clone(&core),
            worker: worker.clone(),
            buffer: RefCell::default(),
            written: Cell::new(0),
            read: Cell::new(0),
            sent_at: RefCell::new([0.0; ring::SLOTS as usize]),
            hops_left: Cell::new(0),
            hops_unwritten: Cell::new(0),
            hops_run: Cell::new((0, 0.0)),
            run_done: RefCell::default(),
            channel: RefCell::default(),
        });
        let weak = Rc::downgrade(&inner);
        core.on_stop({
            let weak = weak.clone();
            move || {
                if let Some(inner) = weak.upgrade() {
                    inner.stop_worker();
                }
                worker.terminate();
            }
        });
        if !usable {
            core.set_state(LinkState::Unsupported);
            return Ok(AtomicsLink { inner });
        }
        core.listen::<MessageEvent>(&inner.worker, "message", move |core, event| {
            let Some(envelope) = core.read(&event.data(), VIA_WORKER) else { return };
            let body = envelope.body.clone();
            core.received(envelope, VIA_WORKER);
            let Some(inner) = weak.upgrade() else { return };
            match body {
                AtomicsMsg::Ready => inner.hand_over(),
                AtomicsMsg::Attached { .. } => {
                    core.set_state(LinkState::Ready);
                    Inner::wait_for_replies(Rc::downgrade(&inner));
                }
                AtomicsMsg::Refused { why } => core.fail(format!("the worker refused the buffer: {why}")),
            }
        });
        core.listen::<web_sys::Event>(&inner.worker, "error", |core, event| {
            let reason = match error_message(event) {
                Some(message) => format!("the worker failed: {message}"),
                None => "the worker script could not be loaded (missing file or a network error)".into(),
            };
            core.fail(reason);
        });
        core.ready_within(READY_TIMEOUT_MS, "the worker did not attach the buffer");
        inner.listen_for_offers();
        Ok(AtomicsLink { inner })
    }

    pub fn state(&self) -> LinkState {
        self.inner.core.state()
    }

    /// Writes `text` into the next slot and wakes the worker.
    pub fn ping(&self, text: &str) -> Result<(), Reason> {
        let bytes = request_bytes(text)?;
        self.inner.write(bytes, bytes.len() as i32, true)
    }

    /// Writes a request whose length claims far more than a slot holds (fault injection).
    pub fn ping_with_lying_length(&self) -> Result<(), Reason> {
        self.inner.write(b"lie", LYING_LENGTH, true)
    }

    /// Runs `hops` round trips back to back; the count and time are reported at the end.
    pub fn run_hops(&self, hops: u32) -> Result<(), Reason> {
        self.inner.start_run(hops, 1)
    }

    /// Runs `hops` round trips with up to `window` requests in flight (1: one after another; the
    /// ring's slots: as many as it holds); the promise settles with the milliseconds it took.
    pub fn timed_hops(&self, hops: u32, window: u32) -> Result<js_sys::Promise, Reason> {
        let mut settle = None;
        let promise = js_sys::Promise::new(&mut |resolve, _| settle = Some(resolve));
        *self.inner.run_done.borrow_mut() = settle;
        self.inner.start_run(hops, window)?;
        Ok(promise)
    }

    /// Calls `Atomics.wait` on this page's main thread, which the browser refuses.
    // lesson: atomics
    pub fn try_to_block(&self) -> Result<(), Reason> {
        let buffer = self.inner.buffer.borrow();
        let Some((ints, _, _)) = buffer.as_ref() else {
            return Err(Reason::new(ReasonCode::NotReady, "no buffer yet"));
        };
        // Waits 10 ms at most where blocking is allowed (it is not, here: this throws).
        let refusal = match Atomics::wait_with_timeout(ints, STOP, 0, 10.0) {
            Err(error) => Reason::new(ReasonCode::WouldBlock, js_error_text(&error)),
            Ok(result) => Reason::new(
                ReasonCode::WouldBlock,
                format!("the browser let the main thread block ({})", String::from(result)),
            ),
        };
        self.inner.core.emit(Event::Other(AtomicsEvent::BlockRefused(refusal)));
        Ok(())
    }
    // lesson end

    /// Posts the buffer on a BroadcastChannel to every other tab of the origin.
    pub fn share_with_tabs(&self) -> Result<(), Reason> {
        let buffer = self.inner.buffer.borrow();
        let Some((_, _, shared)) = buffer.as_ref() else {
            return Err(Reason::new(ReasonCode::NotReady, "no buffer yet"));
        };
        let channel = self.inner.channel.borrow();
        let Some(channel) = channel.as_ref() else {
            return Err(Reason::new(ReasonCode::NotReady, "no channel to the other tabs"));
        };
        let result = channel
            .post_message(shared)
            .map_err(|error| Reason::new(ReasonCode::NotCloneable, js_error_text(&error)));
        self.inner.core.emit(Event::Other(AtomicsEvent::Offered(result)));
        Ok(())
    }
}

impl Drop for AtomicsLink {
    fn drop(&mut self) {
        self.inner.core.stop();
    }
}

/// Why the ring refuses in each state.
pub fn not_ready_words(state: &LinkState) -> String {
    match state {
        LinkState::Connecting => "the worker has not attached the buffer yet".into(),
        LinkState::Unsupported => super::missing::why_missing(&crosstalk_protocol::catalog::ATOMICS.needs)
            .unwrap_or_else(|| "no SharedArrayBuffer here".into()),
        LinkState::Closed | LinkState::Failed(_) => "the worker is gone; restart it".into(),
        LinkState::Ready => "not ready".into(),
    }
}

impl Inner {
    /// Makes the buffer and posts it to the worker: the only message the ring ever needs.
    // lesson: atomics
    fn hand_over(&self) {
        let shared = SharedArrayBuffer::new(BUFFER_BYTES);
        let ints = Int32Array::new(&shared);
        let bytes = Uint8Array::new(&shared);
        if let Err(error) = self.worker.post_message(&shared) {
            return self.core.fail(format!("could not post the buffer: {}", js_error_text(&error)));
        }
        *self.buffer.borrow_mut() = Some((ints, bytes, shared));
    }
    // lesson end

    /// Writes request number `written` into its slot and wakes the worker; `shown` requests are
    /// reported one by one (a run's hops are counted, not shown).
    fn write(&self, payload: &[u8], claimed: i32, shown: bool) -> Result<(), Reason> {
        self.core.ready_or(not_ready_words)?;
        let (n, read) = (self.written.get(), self.read.get());
        if !ring_has_room(n, read) {
            return Err(Reason::new(
                ReasonCode::QueueFull,
                format!("all {} slots wait for the worker's reply", ring::SLOTS),
            ));
        }
        let buffer = self.buffer.borrow();
        let Some((ints, bytes, _)) = buffer.as_ref() else {
            return Err(Reason::new(ReasonCode::NotReady, "no buffer yet"));
        };
        let slot = ring::slot_of(n);
        let start = payload_offset(slot);
        bytes.subarray(start, start + payload.len() as u32).copy_from(payload);
        let _ = Atomics::store(ints, ring::len_index(slot), claimed);
        let _ = Atomics::store(ints, ring::state_index(slot), SlotState::Request.code());
        self.sent_at.borrow_mut()[slot as usize] = now_ms();
        self.written.set(n.wrapping_add(1));
        let _ = Atomics::add(ints, REQUESTS, 1);
        let _ = Atomics::notify(ints, REQUESTS);
        if shown {
            let text = String::from_utf8_lossy(payload).into_owned();
            self.core.emit(Event::Other(AtomicsEvent::Wrote { n, slot, text, claimed }));
        }
        Ok(())
    }

    /// Reads every reply the worker has counted, then waits for the next (`waitAsync`, or a
    /// zero-delay poll where the browser lacks it), for as long as the ring lives.
    fn wait_for_replies(weak: Weak<Inner>) {
        let asynchronous = has_wait_async();
        if let Some(inner) = weak.upgrade() {
            let how = if asynchronous { "Atomics.waitAsync" } else { "polling (no Atomics.waitAsync here)" };
            inner.core.emit(Event::Other(AtomicsEvent::Waiting(how)));
        }
        wasm_bindgen_futures::spawn_local(async move {
            loop {
                let waiting = {
                    let Some(inner) = weak.upgrade() else { return };
                    if inner.core.state() != LinkState::Ready {
                        return;
                    }
                    inner.read_replies();
                    let buffer = inner.buffer.borrow();
                    let Some((ints, _, _)) = buffer.as_ref() else { return };
                    let seen = inner.read.get() as i32;
                    if asynchronous {
                        wait_async(ints, seen)
                    } else {
                        Some(next_task())
                    }
                };
                if let Some(promise) = waiting {
                    let _ = JsFuture::from(promise).await;
                }
            }
        });
    }

    /// Reads each reply counted since the last read.
    fn read_replies(&self) {
        loop {
            let (counted, n) = {
                let buffer = self.buffer.borrow();
                let Some((ints, _, _)) = buffer.as_ref() else { return };
                (Atomics::load(ints, REPLIES).unwrap_or(0) as u32, self.read.get())
            };
            if counted == n {
                return;
            }
            let slot = ring::slot_of(n);
            let outcome = self.read_slot(slot);
            self.read.set(n.wrapping_add(1));
            let ms = now_ms() - self.sent_at.borrow()[slot as usize];
            if self.hops_left.get() > 0 {
                self.next_hop();
                continue;
            }
            let event = match outcome {
                Ok(text) => AtomicsEvent::Read { n, slot, text, ms },
                Err(reason) => AtomicsEvent::SlotRefused { n, slot, reason },
            };
            self.core.emit(Event::Other(event));
        }
    }

    /// The reply in `slot`: its state and length checked before its bytes are read.
    // lesson: atomics
    fn read_slot(&self, slot: u32) -> Result<String, Reason> {
        let buffer = self.buffer.borrow();
        let Some((ints, bytes, _)) = buffer.as_ref() else {
            return Err(Reason::new(ReasonCode::NotReady, "no buffer"));
        };
        let state = SlotState::of(Atomics::load(ints, ring::state_index(slot)).unwrap_or(-1))?;
        let len = payload_len(slot, Atomics::load(ints, ring::len_index(slot)).unwrap_or(-1))?;
        let start = payload_offset(slot);
        let text = payload_text(slot, &bytes.subarray(start, start + len).to_vec())?;
        match state {
            SlotState::Reply => Ok(text),
            SlotState::Refused => Err(refusal_of(&text)),
            other => Err(Reason::new(
                ReasonCode::Malformed,
                format!("slot {slot} was counted as answered but is {}", other.as_str()),
            )),
        }
    }
    // lesson end

    /// Starts a run: `window` requests written at once, then one more per reply.
    fn start_run(&self, hops: u32, window: u32) -> Result<(), Reason> {
        if self.hops_left.get() > 0 {
            return Err(Reason::new(ReasonCode::NotReady, "a run is already going"));
        }
        self.core.ready_or(not_ready_words)?;
        let hops = hops.max(1);
        self.hops_left.set(hops);
        self.hops_unwritten.set(hops);
        self.hops_run.set((hops, now_ms()));
        for _ in 0..window.clamp(1, ring::SLOTS).min(hops) {
            self.write_hop()?;
        }
        Ok(())
    }

    /// One hop's request: the benchmark's 100 bytes of text.
    fn write_hop(&self) -> Result<(), Reason> {
        self.hops_unwritten.set(self.hops_unwritten.get().saturating_sub(1));
        HOP_TEXT.with(|text| self.write(text.as_bytes(), text.len() as i32, false))
    }

    /// One hop of a run done: the next, or the run's report.
    fn next_hop(&self) {
        let left = self.hops_left.get() - 1;
        self.hops_left.set(left);
        if left > 0 {
            if self.hops_unwritten.get() > 0 {
                if let Err(reason) = self.write_hop() {
                    self.hops_left.set(0);
                    self.run_done.borrow_mut().take();
                    self.core.emit(Event::Refused(reason));
                }
            }
            return;
        }
        let (hops, started) = self.hops_run.get();
        let ms = now_ms() - started;
        self.core.emit(Event::Other(AtomicsEvent::Hops { hops, ms }));
        if let Some(settle) = self.run_done.borrow_mut().take() {
            let _ = settle.call1(&wasm_bindgen::JsValue::NULL, &ms.into());
        }
    }

    /// Tells the worker to leave its loop (it is terminated right after).
    fn stop_worker(&self) {
        if let Some((ints, _, _)) = self.buffer.borrow().as_ref() {
            let _ = Atomics::store(ints, STOP, 1);
            let _ = Atomics::notify(ints, REQUESTS);
        }
    }

    /// Listens on the channel other tabs offer their buffers on.
    fn listen_for_offers(&self) {
        let Ok(channel) = BroadcastChannel::new(SHARE_CHANNEL) else { return };
        self.core.listen::<MessageEvent>(&channel, "messageerror", |core, _| {
            let reason = Reason::new(
                ReasonCode::NotCloneable,
                "messageerror: another tab's SharedArrayBuffer cannot be deserialised in this agent cluster",
            );
            core.emit(Event::Other(AtomicsEvent::OfferArrived(Err(reason))));
        });
        // The channel carries nothing but offers: whatever arrives is one. Chromium hands the
        // other tab `null` in place of the buffer (Firefox fires `messageerror`, above).
        self.core.listen::<MessageEvent>(&channel, "message", |core, event| {
            let data = event.data();
            let arrived = if data.is_instance_of::<SharedArrayBuffer>() {
                Ok(())
            } else {
                Err(Reason::new(
                    ReasonCode::NotCloneable,
                    format!(
                        "another tab's SharedArrayBuffer arrived as {}: it cannot leave its agent cluster",
                        super::core::describe_js(&data)
                    ),
                ))
            };
            core.emit(Event::Other(AtomicsEvent::OfferArrived(arrived)));
        });
        *self.channel.borrow_mut() = Some(channel);
    }
}

/// A promise settled by a zero-delay timer: the poll's pause, which lets the page go on.
fn next_task() -> js_sys::Promise {
    js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    })
}

/// `Atomics.waitAsync(ints, REPLIES, seen)`: a promise when it must wait, `None` when the counter
/// has moved already.
fn wait_async(ints: &Int32Array, seen: i32) -> Option<js_sys::Promise> {
    let result = Atomics::wait_async(ints, REPLIES, seen).ok()?;
    let is_async = js_sys::Reflect::get(&result, &"async".into()).ok()?.as_bool()?;
    let value = js_sys::Reflect::get(&result, &"value".into()).ok()?;
    is_async.then(|| value.unchecked_into())
}
