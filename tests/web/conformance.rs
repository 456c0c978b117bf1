//! The same cases against every transport adapter: delivery, order and sequence numbers,
//! malformed input rejected with its code, oversized input rejected before it is read, and no
//! delivery once the handle is dropped. Each adapter gets a "rig": its receiving end as a page
//! would hold it, and a plain way to put raw text on the wire from another context.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crosstalk::transport::broadcast::BroadcastLink;
use crosstalk::transport::indexeddb::IndexedDbLink;
use crosstalk::transport::port::PortLink;
use crosstalk::transport::shared_worker::SharedWorkerLink;
use crosstalk::transport::storage::{StorageChange, StorageLink};
use crosstalk::transport::web_locks::WebLocksLink;
use crosstalk::transport::window_message::{Expect, WindowLink};
use crosstalk::transport::Event;
use crosstalk_protocol::broadcast::BroadcastMsg;
use crosstalk_protocol::indexeddb::{self, IdbMsg};
use crosstalk_protocol::order::Order;
use crosstalk_protocol::shared_store::StoreMsg;
use crosstalk_protocol::storage::{StorageMsg, Stored, NAMESPACE};
use crosstalk_protocol::web_locks::{self, LocksMsg};
use crosstalk_protocol::worker_port::WorkerPortMsg;
use crosstalk_protocol::{decode, Body, Envelope, ReasonCode, Sender, SenderId, MAX_ENVELOPE_BYTES};
use gloo::events::EventListener;
use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sys::{BroadcastChannel, HtmlIFrameElement, MessageChannel};

/// What a receiving end reported, reduced to what the cases compare.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Received { seq: u64, text: String, in_order: bool },
    Rejected { code: ReasonCode, read: bool },
}

type SeenLog = Rc<RefCell<Vec<Seen>>>;

/// A body with a text message, so one case list fits every mechanism.
trait TextBody: Body + 'static {
    fn text(text: String) -> Self;
    fn as_text(&self) -> Option<String>;
}

impl TextBody for WorkerPortMsg {
    fn text(text: String) -> Self {
        WorkerPortMsg::Text { text: text.into() }
    }
    fn as_text(&self) -> Option<String> {
        match self {
            WorkerPortMsg::Text { text } => Some(text.to_string()),
            _ => None,
        }
    }
}

impl TextBody for BroadcastMsg {
    fn text(text: String) -> Self {
        BroadcastMsg::Text { text: text.into() }
    }
    fn as_text(&self) -> Option<String> {
        match self {
            BroadcastMsg::Text { text } => Some(text.to_string()),
            _ => None,
        }
    }
}

impl TextBody for StoreMsg {
    fn text(text: String) -> Self {
        StoreMsg::Changed { key: "k".into(), old: None, new: text, set_by: SenderId("peer".into()) }
    }
    fn as_text(&self) -> Option<String> {
        match self {
            StoreMsg::Changed { new, .. } => Some(new.clone()),
            _ => None,
        }
    }
}

impl TextBody for StorageMsg {
    fn text(text: String) -> Self {
        StorageMsg::Value { text: text.into() }
    }
    fn as_text(&self) -> Option<String> {
        let StorageMsg::Value { text } = self;
        Some(text.to_string())
    }
}

impl TextBody for LocksMsg {
    fn text(text: String) -> Self {
        LocksMsg::Text { text: text.into() }
    }
    fn as_text(&self) -> Option<String> {
        match self {
            LocksMsg::Text { text } => Some(text.to_string()),
            _ => None,
        }
    }
}

impl TextBody for IdbMsg {
    fn text(text: String) -> Self {
        IdbMsg::Value { text: text.into() }
    }
    fn as_text(&self) -> Option<String> {
        match self {
            IdbMsg::Value { text } => Some(text.to_string()),
            _ => None,
        }
    }
}

fn received<B: TextBody>(seen: &SeenLog, envelope: &Envelope<B>, order: &Order) {
    if let Some(text) = envelope.body.as_text() {
        let in_order = *order == Order::InOrder;
        seen.borrow_mut().push(Seen::Received { seq: envelope.seq, text: text.to_owned(), in_order });
    }
}

/// The common projection of core events.
fn project<B: TextBody, X>(seen: &SeenLog, event: &Event<B, X>) {
    match event {
        Event::Received { envelope, order, .. } => received(seen, envelope, order),
        Event::Rejected { raw, error, .. } => {
            seen.borrow_mut().push(Seen::Rejected { code: error.code(), read: !raw.is_empty() })
        }
        _ => {}
    }
}

struct Rig {
    seen: SeenLog,
    /// Puts raw text on the wire toward the receiving end, from another context.
    post: Box<dyn Fn(&str)>,
    /// The receiving end; dropping it must stop delivery.
    handle: Option<Box<dyn Any>>,
    /// Whether the adapter checks each sender's numbering (ports and channels do; storage
    /// and windows are judged by their routes' own rules).
    checks_order: bool,
    /// Deliveries seen by a plain listener beside the adapter, when the wire allows one.
    witness: Option<Rc<Cell<u32>>>,
    _keep: Vec<Box<dyn Any>>,
}

fn wire<B: TextBody>(peer: &mut Sender, text: &str) -> String {
    peer.envelope(B::text(text.to_owned()), 0.0).encode().expect("encodes")
}

async fn until(what: &str, seen: &SeenLog, condition: impl Fn(&[Seen]) -> bool) {
    for _ in 0..1000 {
        if condition(&seen.borrow()) {
            return;
        }
        TimeoutFuture::new(10).await;
    }
    panic!("timed out waiting for {what}; seen: {:#?}", seen.borrow());
}

/// Waits until a message posted now through a fresh MessageChannel has arrived: every task
/// queued before it (a message to a dropped handle, say) has run by then.
async fn settle() {
    let channel = MessageChannel::new().expect("channel");
    let arrived = Rc::new(Cell::new(false));
    let flag = arrived.clone();
    let _listener = EventListener::new(&channel.port1(), "message", move |_| flag.set(true));
    channel.port1().start();
    channel.port2().post_message(&JsValue::from_str("settle")).expect("post");
    for _ in 0..1000 {
        if arrived.get() {
            return;
        }
        TimeoutFuture::new(5).await;
    }
    panic!("the settling message never arrived");
}

async fn run<B: TextBody>(mut rig: Rig) {
    let mut peer = Sender::new(SenderId("peer-conformance".into()));
    // Delivery, in order, with the sender's numbers.
    for n in 1..=5 {
        (rig.post)(&wire::<B>(&mut peer, &format!("message {n} 你好 <b>")));
    }
    until("five messages", &rig.seen, |s| {
        s.iter().filter(|e| matches!(e, Seen::Received { .. })).count() == 5
    })
    .await;
    let got: Vec<(u64, String)> = rig
        .seen
        .borrow()
        .iter()
        .filter_map(|e| match e {
            Seen::Received { seq, text, .. } => Some((*seq, text.clone())),
            _ => None,
        })
        .collect();
    let want: Vec<(u64, String)> = (1..=5).map(|n| (n, format!("message {n} 你好 <b>"))).collect();
    assert_eq!(got, want, "delivered whole, in order, numbered by the sender");
    if rig.checks_order {
        peer.envelope(B::text("skipped".into()), 0.0);
        (rig.post)(&wire::<B>(&mut peer, "after a gap"));
        until("the message after a gap", &rig.seen, |s| s.len() == 6).await;
        assert_eq!(
            rig.seen.borrow()[5],
            Seen::Received { seq: 7, text: "after a gap".into(), in_order: false }
        );
    }
    rig.seen.borrow_mut().clear();

    // Malformed input: rejected with its code, and the adapter carries on.
    (rig.post)("not json");
    (rig.post)(r#"{"v":2,"seq":1,"from":"old","sent_at":0,"kind":"text","body":{"text":"x"}}"#);
    (rig.post)(r#"{"v":1,"seq":1,"from":"x","sent_at":0,"kind":"no-such-kind"}"#);
    until("three rejections", &rig.seen, |s| s.len() == 3).await;
    let codes: Vec<Seen> = rig.seen.borrow().clone();
    assert_eq!(
        codes,
        [
            Seen::Rejected { code: ReasonCode::BadJson, read: true },
            Seen::Rejected { code: ReasonCode::WrongVersion, read: true },
            Seen::Rejected { code: ReasonCode::UnknownKind, read: true },
        ]
    );
    rig.seen.borrow_mut().clear();

    // Oversized: refused before a byte of it is read into wasm.
    (rig.post)(&"x".repeat(MAX_ENVELOPE_BYTES + 1));
    until("the oversized message", &rig.seen, |s| !s.is_empty()).await;
    assert_eq!(rig.seen.borrow()[0], Seen::Rejected { code: ReasonCode::TooLarge, read: false });
    rig.seen.borrow_mut().clear();

    // Dropping the handle stops delivery.
    let witnessed = rig.witness.as_ref().map(|w| w.get());
    drop(rig.handle.take());
    (rig.post)(&wire::<B>(&mut peer, "after the drop"));
    match (&rig.witness, witnessed) {
        (Some(witness), Some(before)) => {
            for _ in 0..1000 {
                if witness.get() > before {
                    break;
                }
                TimeoutFuture::new(10).await;
            }
            assert!(witness.get() > before, "the message was delivered to the page");
        }
        _ => settle().await,
    }
    settle().await;
    assert!(rig.seen.borrow().is_empty(), "nothing after the drop: {:?}", rig.seen.borrow());
}

#[wasm_bindgen_test]
async fn a_window_message_from_elsewhere_is_judged_before_its_data_is_read() {
    let window = web_sys::window().unwrap();
    let origin = window.location().origin().unwrap();
    for read_strangers in [false, true] {
        let got: Rc<RefCell<Option<Result<String, crosstalk_protocol::DecodeError>>>> = Rc::default();
        let (sink, own) = (got.clone(), window.clone());
        let expect = Expect {
            source: Box::new(move || Some(own.clone())),
            origin: "http://elsewhere.example:1".into(),
            read_strangers: Box::new(move || read_strangers),
        };
        let _link = WindowLink::<BroadcastMsg>::listen("tab", expect, move |event| {
            if let Event::Other(incoming) = event {
                *sink.borrow_mut() = Some(incoming.data);
            }
        })
        .expect("a window");
        window.post_message(&JsValue::from_str("secret"), &origin).unwrap();
        for _ in 0..500 {
            if got.borrow().is_some() {
                break;
            }
            TimeoutFuture::new(5).await;
        }
        let want =
            if read_strangers { Ok("secret".into()) } else { Err(crosstalk_protocol::DecodeError::NotRead) };
        assert_eq!(got.borrow().clone(), Some(want), "read_strangers = {read_strangers}");
    }
}

fn counter(target: &web_sys::EventTarget, name: &'static str) -> (Rc<Cell<u32>>, EventListener) {
    let count = Rc::new(Cell::new(0));
    let counting = count.clone();
    (count, EventListener::new(target, name, move |_| counting.set(counting.get() + 1)))
}

#[wasm_bindgen_test]
async fn message_port() {
    let channel = MessageChannel::new().unwrap();
    let seen = SeenLog::default();
    let sink = seen.clone();
    let link = PortLink::<WorkerPortMsg>::open(channel.port1(), move |e| project(&sink, &e));
    let far = channel.port2();
    run::<WorkerPortMsg>(Rig {
        seen,
        post: Box::new(move |text| far.post_message(&JsValue::from_str(text)).unwrap()),
        handle: Some(Box::new(link)),
        checks_order: true,
        witness: None,
        _keep: vec![Box::new(channel)],
    })
    .await;
}

#[wasm_bindgen_test]
async fn shared_worker_client() {
    // The shared store's client over a MessageChannel: the test is the worker's side of it.
    let channel = MessageChannel::new().unwrap();
    let seen = SeenLog::default();
    let sink = seen.clone();
    let client = SharedWorkerLink::over_port(channel.port1(), move |e| project(&sink, &e));
    let far = channel.port2();
    run::<StoreMsg>(Rig {
        seen,
        post: Box::new(move |text| far.post_message(&JsValue::from_str(text)).unwrap()),
        handle: Some(Box::new(client)),
        checks_order: false,
        witness: None,
        _keep: vec![Box::new(channel)],
    })
    .await;
}

#[wasm_bindgen_test]
async fn broadcast_channel() {
    let name = "crosstalk-conformance";
    let seen = SeenLog::default();
    let sink = seen.clone();
    let sender = Rc::new(RefCell::new(Sender::new(SenderId("tab-under-test".into()))));
    let member = BroadcastLink::join(name, sender, move |e| project(&sink, &e)).expect("joins");
    let poster = BroadcastChannel::new(name).unwrap();
    let watcher = BroadcastChannel::new(name).unwrap();
    let (witness, listener) = counter(&watcher, "message");
    run::<BroadcastMsg>(Rig {
        seen,
        post: Box::new(move |text| poster.post_message(&JsValue::from_str(text)).unwrap()),
        handle: Some(Box::new(member)),
        checks_order: true,
        witness: Some(witness),
        _keep: vec![Box::new(listener), Box::new(watcher)],
    })
    .await;
}

/// A rig on a BroadcastChannel named `name`, beside the adapter that listens on it.
fn channel_rig(name: &str, seen: SeenLog, handle: Box<dyn Any>) -> Rig {
    let poster = BroadcastChannel::new(name).unwrap();
    let watcher = BroadcastChannel::new(name).unwrap();
    let (witness, listener) = counter(&watcher, "message");
    Rig {
        seen,
        post: Box::new(move |text| poster.post_message(&JsValue::from_str(text)).unwrap()),
        handle: Some(handle),
        checks_order: true,
        witness: Some(witness),
        _keep: vec![Box::new(listener), Box::new(watcher)],
    }
}

#[wasm_bindgen_test]
async fn web_locks_channel() {
    let seen = SeenLog::default();
    let sink = seen.clone();
    let desk = WebLocksLink::open(move |e| project(&sink, &e)).expect("opens");
    run::<LocksMsg>(channel_rig(web_locks::CHANNEL, seen, Box::new(desk))).await;
}

#[wasm_bindgen_test]
async fn indexeddb_channel() {
    let seen = SeenLog::default();
    let sink = seen.clone();
    let desk = IndexedDbLink::open(move |e| project(&sink, &e)).expect("opens");
    run::<IdbMsg>(channel_rig(indexeddb::CHANNEL, seen, Box::new(desk))).await;
}

#[wasm_bindgen_test]
async fn local_storage() {
    // A same-origin frame is the other context: its writes fire `storage` here.
    let document = web_sys::window().unwrap().document().unwrap();
    let frame: HtmlIFrameElement = document.create_element("iframe").unwrap().unchecked_into();
    document.body().unwrap().append_child(&frame).unwrap();
    let other = frame.content_window().unwrap().local_storage().unwrap().unwrap();
    let seen = SeenLog::default();
    let sink = seen.clone();
    let demo = StorageLink::open(move |event| {
        if let Event::Other(StorageChange::Changed { new, .. }) = &event {
            match new {
                Stored::Valid(envelope) => received(&sink, envelope, &Order::InOrder),
                Stored::Invalid { raw, error } => {
                    sink.borrow_mut().push(Seen::Rejected { code: error.code(), read: !raw.is_empty() })
                }
                Stored::Absent => {}
            }
        }
    })
    .expect("localStorage");
    let (witness, listener) = counter(&web_sys::window().unwrap(), "storage");
    let key = format!("{NAMESPACE}conformance");
    let _ = other.remove_item(&key);
    let cleanup = other.clone();
    run::<StorageMsg>(Rig {
        seen,
        post: Box::new(move |text| other.set_item(&key, text).unwrap()),
        handle: Some(Box::new(demo)),
        checks_order: false,
        witness: Some(witness),
        _keep: vec![Box::new(listener), Box::new(frame)],
    })
    .await;
    let _ = cleanup.remove_item(&format!("{NAMESPACE}conformance"));
}

#[wasm_bindgen_test]
async fn window_post_message() {
    let window = web_sys::window().unwrap();
    let origin = window.location().origin().unwrap();
    let seen = SeenLog::default();
    let sink = seen.clone();
    let own = window.clone();
    // The shop's rule decodes only after checking origin and source: the same order here.
    let expect = Expect {
        source: Box::new(move || Some(own.clone())),
        origin: origin.clone(),
        read_strangers: Box::new(|| false),
    };
    let link = WindowLink::<BroadcastMsg>::listen("tab", expect, move |event| {
        if let Event::Other(incoming) = &event {
            assert!(incoming.from_expected, "the source is this window");
            let seen_now = match &incoming.data {
                Ok(text) => match decode::<BroadcastMsg>(text) {
                    Ok(envelope) => return received(&sink, &envelope, &Order::InOrder),
                    Err(error) => Seen::Rejected { code: error.code(), read: true },
                },
                Err(error) => Seen::Rejected { code: error.code(), read: false },
            };
            sink.borrow_mut().push(seen_now);
        }
    })
    .expect("a window");
    let (witness, listener) = counter(&window, "message");
    let target = window.clone();
    run::<BroadcastMsg>(Rig {
        seen,
        post: Box::new(move |text| target.post_message(&JsValue::from_str(text), &origin).unwrap()),
        handle: Some(Box::new(link)),
        checks_order: false,
        witness: Some(witness),
        _keep: vec![Box::new(listener)],
    })
    .await;
}
