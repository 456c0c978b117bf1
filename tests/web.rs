//! wasm-bindgen tests in headless Chromium (`cargo xtask test` runs them): the Worker port
//! transport against real dedicated Workers. The workers here are small scripts made on the fly,
//! so each test can make the worker behave as it needs (slow, broken, missing); the real wasm
//! worker is covered by the end-to-end tests.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use crosstalk::transport::worker_port::{WorkerPort, WorkerPortEvent, VIA_WORKER};
use crosstalk::transport::{Event, LinkState};
use crosstalk_protocol::worker_port::WorkerPortMsg;
use crosstalk_protocol::{DecodeError, ReasonCode};
use gloo_timers::future::TimeoutFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// JS shared by the test workers: envelope helper and a protocol-following port handler.
const WORKER_PRELUDE: &str = r#"
let seq = 0;
const env = (kind, body) => JSON.stringify({ v: 1, seq: ++seq, from: "worker-js", sent_at: Date.now(), kind, body });
let early = false;
function serve() {
  onmessage = (e) => {
    const port = e.ports[0];
    port.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      port.postMessage(env("echo", { text: msg.body.text, reply_to: msg.seq, received_at: Date.now() }));
    };
    port.postMessage(env("greeting", { text: early ? "a message came before ready" : "Hello from worker!" }));
  };
}
"#;

fn worker_url(body: &str) -> String {
    let code = format!("{WORKER_PRELUDE}\n{body}");
    let parts = js_sys::Array::of1(&code.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/javascript");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).expect("blob");
    web_sys::Url::create_object_url_with_blob(&blob).expect("object URL")
}

type Events = Rc<RefCell<Vec<WorkerPortEvent>>>;

fn spawn(url: &str) -> (WorkerPort, Events) {
    let events: Events = Rc::default();
    let sink = events.clone();
    let port = WorkerPort::spawn(url, move |event| sink.borrow_mut().push(event)).expect("worker starts");
    (port, events)
}

/// Polls `condition` every 10 ms for up to 10 s.
async fn wait_for(what: &str, events: &Events, condition: impl Fn(&[WorkerPortEvent]) -> bool) {
    for _ in 0..1000 {
        if condition(&events.borrow()) {
            return;
        }
        TimeoutFuture::new(10).await;
    }
    panic!("timed out waiting for {what}; events: {:#?}", events.borrow());
}

fn has_state(events: &[WorkerPortEvent], state: &LinkState) -> bool {
    events.iter().any(|e| matches!(e, Event::State(s) if s == state))
}

#[wasm_bindgen_test]
async fn hands_a_port_to_a_worker_that_says_ready_and_talks_over_it() {
    let url = worker_url(r#"serve(); postMessage(env("ready"));"#);
    let (port, events) = spawn(&url);
    assert_eq!(port.state(), LinkState::Connecting);
    wait_for("ready", &events, |e| has_state(e, &LinkState::Ready)).await;

    let greeting = events.borrow().iter().find_map(|e| match e {
        Event::Received { via: "port", envelope, .. } => Some(envelope.body.clone()),
        _ => None,
    });
    assert_eq!(greeting, Some(WorkerPortMsg::Greeting { text: "Hello from worker!".into() }));
    let connect_was_sent = events.borrow().iter().any(|e| {
        matches!(e, Event::Sent { via, envelope } if *via == VIA_WORKER && envelope.body == WorkerPortMsg::Connect)
    });
    assert!(connect_was_sent);

    port.send("ping 你好 <b>").expect("sends when ready");
    let sent_seq = events.borrow().iter().rev().find_map(|e| match e {
        Event::Sent { via: "port", envelope } => Some(envelope.seq),
        _ => None,
    });
    wait_for("the echo", &events, |e| {
        e.iter().any(|e| matches!(e, Event::Received { envelope, .. }
            if matches!(&envelope.body, WorkerPortMsg::Echo { text, reply_to, .. } if text == "ping 你好 <b>" && Some(*reply_to) == sent_seq)))
    })
    .await;
}

#[wasm_bindgen_test]
async fn posts_nothing_until_the_worker_says_ready() {
    // This worker listens at once but says ready only later; anything posted before is "early".
    let url = worker_url(
        r#"onmessage = () => { early = true; };
           setTimeout(() => { serve(); postMessage(env("ready")); }, 300);"#,
    );
    let (_port, events) = spawn(&url);
    wait_for("ready", &events, |e| has_state(e, &LinkState::Ready)).await;
    let greeting = events.borrow().iter().find_map(|e| match e {
        Event::Received { envelope, .. } => match &envelope.body {
            WorkerPortMsg::Greeting { text } => Some(text.to_string()),
            _ => None,
        },
        _ => None,
    });
    assert_eq!(greeting.as_deref(), Some("Hello from worker!"));
}

#[wasm_bindgen_test]
async fn a_worker_that_cannot_load_ends_in_a_readable_error() {
    let (port, events) = spawn("/crosstalk-no-such-worker.js");
    wait_for("the error state", &events, |e| {
        e.iter().any(|e| matches!(e, Event::State(LinkState::Failed(_))))
    })
    .await;
    match port.state() {
        LinkState::Failed(reason) => assert!(reason.contains("load"), "{reason}"),
        other => panic!("expected an error, got {other:?}"),
    }
    assert_eq!(port.send("x").unwrap_err().code, ReasonCode::NotReady);
}

#[wasm_bindgen_test]
async fn a_worker_that_throws_on_start_is_an_error_with_its_message() {
    let (port, events) = spawn(&worker_url(r#"throw new Error("boom at start");"#));
    wait_for("the error state", &events, |e| {
        e.iter().any(|e| matches!(e, Event::State(LinkState::Failed(_))))
    })
    .await;
    assert!(matches!(port.state(), LinkState::Failed(reason) if reason.contains("boom at start")));
}

#[wasm_bindgen_test]
async fn garbage_from_the_worker_is_rejected_and_the_route_still_comes_up() {
    let url = worker_url(
        r#"postMessage("not json at all");
           postMessage({ kind: "ready" });
           postMessage(JSON.stringify({ v: 9, seq: 1, from: "old", sent_at: 0, kind: "ready" }));
           serve(); postMessage(env("ready"));"#,
    );
    let (_port, events) = spawn(&url);
    wait_for("ready", &events, |e| has_state(e, &LinkState::Ready)).await;
    let rejections: Vec<DecodeError> = events
        .borrow()
        .iter()
        .filter_map(|e| match e {
            Event::Rejected { error, .. } => Some(error.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(rejections.len(), 3, "{rejections:?}");
    assert!(matches!(rejections[0], DecodeError::NotJson(_)));
    assert!(matches!(&rejections[1], DecodeError::NotText { got } if got == "an object"));
    assert!(matches!(rejections[2], DecodeError::WrongVersion { .. }));
}

#[wasm_bindgen_test]
async fn a_worker_that_never_says_ready_fails_at_the_time_limit() {
    let events: Events = Rc::default();
    let sink = events.clone();
    let url = worker_url("serve();");
    let port = WorkerPort::spawn_within(&url, 300, move |e| sink.borrow_mut().push(e)).expect("starts");
    wait_for("the time limit", &events, |e| {
        e.iter().any(|e| matches!(e, Event::State(LinkState::Failed(_))))
    })
    .await;
    match port.state() {
        LinkState::Failed(reason) => assert_eq!(reason, "the worker did not say it was ready within 300 ms"),
        other => panic!("expected the time limit, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn after_terminate_sending_is_refused() {
    let (port, events) = spawn(&worker_url(r#"serve(); postMessage(env("ready"));"#));
    wait_for("ready", &events, |e| has_state(e, &LinkState::Ready)).await;
    port.terminate();
    assert_eq!(port.state(), LinkState::Closed);
    assert!(has_state(&events.borrow(), &LinkState::Closed));
    let refused = port.send("too late").unwrap_err();
    assert_eq!(refused.code, ReasonCode::NotReady);
    assert!(refused.text.contains("restart"), "{refused}");
}

mod shared_worker {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    use crosstalk::transport::read_wire;
    use crosstalk::transport::shared_worker::{shared_worker_supported, SharedStoreClient, StoreEvent};
    use crosstalk::transport::{Event, LinkState};
    use crosstalk_protocol::shared_store::{Outgoing, SharedStore, StoreMsg};
    use crosstalk_protocol::{ReasonCode, Sender, SenderId};
    use gloo::events::EventListener;
    use gloo_timers::future::TimeoutFuture;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::JsValue;
    use wasm_bindgen_test::*;
    use web_sys::{MessageChannel, MessageEvent, MessagePort};

    type Events = Rc<RefCell<Vec<StoreEvent>>>;

    fn connect(url: &str) -> (SharedStoreClient, Events) {
        let events: Events = Rc::default();
        let sink = events.clone();
        (SharedStoreClient::connect(url, move |e| sink.borrow_mut().push(e)), events)
    }

    async fn wait_for(what: &str, events: &Events, condition: impl Fn(&[StoreEvent]) -> bool) {
        for _ in 0..1000 {
            if condition(&events.borrow()) {
                return;
            }
            TimeoutFuture::new(10).await;
        }
        panic!("timed out waiting for {what}; events: {:#?}", events.borrow());
    }

    fn received(events: &[StoreEvent], want: impl Fn(&StoreMsg) -> bool) -> bool {
        events.iter().any(|e| matches!(e, Event::Received { envelope, .. } if want(&envelope.body)))
    }

    #[wasm_bindgen_test]
    fn feature_detection_looks_for_the_constructor_on_the_global() {
        assert!(shared_worker_supported(&js_sys::global()), "Chromium has SharedWorker");
        let without = js_sys::Object::new();
        assert!(!shared_worker_supported(&without));
        let with_a_string = js_sys::Object::new();
        js_sys::Reflect::set(&with_a_string, &"SharedWorker".into(), &JsValue::from_str("no")).unwrap();
        assert!(!shared_worker_supported(&with_a_string));
    }

    /// The real store logic on the far end of a MessageChannel, with a clock the test sets.
    struct FarEnd {
        store: Rc<RefCell<SharedStore>>,
        now: Rc<Cell<f64>>,
        port: MessagePort,
        /// Messages the far end has received from the client.
        heard: Rc<Cell<u32>>,
        _listener: EventListener,
    }

    impl FarEnd {
        fn new(port: MessagePort) -> FarEnd {
            let store = Rc::new(RefCell::new(SharedStore::new(Sender::new(SenderId("shared-test".into())))));
            let now = Rc::new(Cell::new(0.0));
            let (listen_store, listen_now, reply_port) = (store.clone(), now.clone(), port.clone());
            let heard = Rc::new(Cell::new(0));
            let counting = heard.clone();
            let listener = EventListener::new(&port, "message", move |event| {
                counting.set(counting.get() + 1);
                let event = event.dyn_ref::<MessageEvent>().expect("a message event");
                let text = read_wire(&event.data());
                let out = listen_store.borrow_mut().receive(
                    1,
                    text.as_deref().map_err(Clone::clone),
                    listen_now.get(),
                );
                FarEnd::post(&reply_port, out);
            });
            port.start();
            let out = store.borrow_mut().connect(1, 0.0);
            FarEnd::post(&port, out);
            FarEnd { store, now, port, heard, _listener: listener }
        }

        fn post(port: &MessagePort, out: Vec<Outgoing>) {
            for outgoing in out {
                let (Outgoing::To(_, envelope) | Outgoing::All(envelope) | Outgoing::Others { envelope, .. }) =
                    outgoing;
                port.post_message(&JsValue::from_str(&envelope.encode().unwrap())).unwrap();
            }
        }

        fn tick(&self, at: f64) {
            self.now.set(at);
            let out = self.store.borrow_mut().tick(at);
            FarEnd::post(&self.port, out);
        }
    }

    #[wasm_bindgen_test]
    async fn talks_to_the_store_answers_pings_quietly_and_refuses_oversized_values_before_sending() {
        let channel = MessageChannel::new().unwrap();
        let far = FarEnd::new(channel.port2());
        let events: Events = Rc::default();
        let sink = events.clone();
        let client = SharedStoreClient::over_port(channel.port1(), move |e| sink.borrow_mut().push(e));
        wait_for("connected", &events, |e| e.contains(&Event::State(LinkState::Ready))).await;

        // A ping at 3 s: the client's pong keeps it in the roster at 6 s; silence would not.
        let heard_before = far.heard.get();
        far.tick(3_000.0);
        for _ in 0..1000 {
            if far.heard.get() > heard_before {
                break;
            }
            TimeoutFuture::new(5).await;
        }
        assert!(far.heard.get() > heard_before, "the client answered the ping");
        far.tick(6_000.0);
        assert_eq!(far.store.borrow().connections(), 1, "the pong kept this tab in the roster");
        assert!(!received(&events.borrow(), |m| *m == StoreMsg::Ping), "pings are answered, not reported");

        client.set("k", "v 你好").expect("set is sent");
        wait_for("the ack", &events, |e| {
            received(e, |m| matches!(m, StoreMsg::Ack { key, .. } if key == "k"))
        })
        .await;
        client.get("k").expect("get is sent");
        wait_for("the value", &events, |e| {
            received(e, |m| matches!(m, StoreMsg::Value { value: Some(v), .. } if v == "v 你好"))
        })
        .await;

        let sent =
            |events: &Events| events.borrow().iter().filter(|e| matches!(e, Event::Sent { .. })).count();
        let sent_before = sent(&events);
        let error = client.set("k", &"x".repeat(64 * 1024 + 1)).unwrap_err();
        assert_eq!(error.code, ReasonCode::ValueTooLarge);
        assert!(error.text.contains("64 KiB"), "{error}");
        let sent_after = sent(&events);
        assert_eq!(sent_before, sent_after, "an oversized value never leaves the tab");
    }

    #[wasm_bindgen_test]
    async fn a_store_that_never_says_welcome_fails_at_the_time_limit() {
        let channel = MessageChannel::new().unwrap();
        let events: Events = Rc::default();
        let sink = events.clone();
        // Nobody listens on port2: the hello goes unanswered.
        let client =
            SharedStoreClient::over_port_within(channel.port1(), 300, move |e| sink.borrow_mut().push(e));
        wait_for("the time limit", &events, |e| {
            e.iter().any(|e| matches!(e, Event::State(LinkState::Failed(_))))
        })
        .await;
        assert_eq!(
            client.state(),
            LinkState::Failed("the shared worker did not answer within 300 ms".into())
        );
    }

    #[wasm_bindgen_test]
    async fn a_shared_worker_that_cannot_load_is_an_error() {
        let (client, events) = connect("/crosstalk-no-such-shared-worker.js");
        wait_for("the error state", &events, |e| {
            e.iter().any(|e| matches!(e, Event::State(LinkState::Failed(_))))
        })
        .await;
        let refused = client.get("k").unwrap_err();
        assert_eq!(refused.code, ReasonCode::NotReady);
        assert!(refused.text.contains("not connected"), "{refused}");
    }
}

mod message_log {
    use crosstalk::components::message_log::{LogView, MessageLog, MessageLogProps};
    use crosstalk::log::{Direction, Entry, LogBook, Status};
    use crosstalk_protocol::{Reason, ReasonCode};
    use gloo_timers::future::TimeoutFuture;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::*;

    fn entry(n: u64, payload: &str, status: Status) -> Entry {
        Entry {
            dir: Direction::In,
            seq: Some(n),
            at_ms: 0.0,
            from: Some("tab-x".into()),
            kind: "text".into(),
            payload: payload.into(),
            status,
            said: None,
        }
    }

    #[wasm_bindgen_test]
    async fn renders_the_newest_entries_the_dropped_count_and_text_never_markup() {
        let mut book = LogBook::with_capacity(3);
        book.push(entry(1, "first", Status::Ok));
        book.push(entry(2, "second", Status::Ok));
        book.push(entry(3, "<img src=x onerror=alert(1)>", Status::Ok));
        book.push(entry(4, "bad one", Status::Rejected(Reason::new(ReasonCode::BadJson, "not JSON: eof"))));
        book.push(Entry::system("state", "ready", 0.0));

        let document = web_sys::window().unwrap().document().unwrap();
        let root = document.create_element("div").unwrap();
        document.body().unwrap().append_child(&root).unwrap();
        let props = MessageLogProps { log: LogView::of(book), on_clear: None };
        yew::Renderer::<MessageLog>::with_root_and_props(root.clone(), props).render();
        // Yew renders on its scheduler: poll until the list is there.
        for _ in 0..500 {
            if root.query_selector("[data-testid=log]").ok().flatten().is_some() {
                break;
            }
            TimeoutFuture::new(10).await;
        }

        let dropped = root.query_selector("[data-testid=log-dropped]").unwrap().expect("a dropped line");
        assert_eq!(dropped.text_content().unwrap(), "2 older entries dropped");
        let entries = root.query_selector_all("[data-testid=log-entry]").unwrap();
        assert_eq!(entries.length(), 3);
        let attrs = |i: u32, name: &str| {
            entries
                .item(i)
                .unwrap()
                .unchecked_into::<web_sys::Element>()
                .get_attribute(name)
                .unwrap_or_default()
        };
        assert_eq!(
            (attrs(0, "data-dir"), attrs(0, "data-status"), attrs(0, "data-seq")),
            ("in".into(), "ok".into(), "3".into())
        );
        assert_eq!((attrs(1, "data-status"), attrs(2, "data-dir")), ("rejected".into(), "system".into()));
        assert_eq!(
            (attrs(0, "data-reason-code"), attrs(1, "data-reason-code")),
            (String::new(), "bad-json".into())
        );
        assert!(root.query_selector("img").unwrap().is_none(), "a payload is text, never markup");
        let payload = root.query_selector("[data-testid=log-payload]").unwrap().unwrap();
        assert_eq!(payload.text_content().unwrap(), "<img src=x onerror=alert(1)>");
        let reason = root.query_selector("[data-testid=log-reason]").unwrap().unwrap();
        assert_eq!(
            reason.text_content().unwrap(),
            "⟦log.rejected⟧: ⟦reason.bad-json⟧ — not JSON: eof",
            "outside the language provider the keys show, the detail as said"
        );
    }
}

/// The same cases against every transport adapter: delivery, order and sequence numbers,
/// malformed input rejected with its code, oversized input rejected before it is read, and no
/// delivery once the handle is dropped. Each adapter gets a "rig": its receiving end as a page
/// would hold it, and a plain way to put raw text on the wire from another context.
mod conformance {
    use std::any::Any;
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    use crosstalk::transport::broadcast::BroadcastMember;
    use crosstalk::transport::port::PortLink;
    use crosstalk::transport::shared_worker::SharedStoreClient;
    use crosstalk::transport::storage::{StorageChange, StorageDemo};
    use crosstalk::transport::window_message::{Expect, WindowLink};
    use crosstalk::transport::Event;
    use crosstalk_protocol::broadcast::BroadcastMsg;
    use crosstalk_protocol::order::Order;
    use crosstalk_protocol::shared_store::StoreMsg;
    use crosstalk_protocol::storage::{StorageMsg, Stored, NAMESPACE};
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
            let want = if read_strangers {
                Ok("secret".into())
            } else {
                Err(crosstalk_protocol::DecodeError::NotRead)
            };
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
        let client = SharedStoreClient::over_port(channel.port1(), move |e| project(&sink, &e));
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
        let member = BroadcastMember::join(name, sender, move |e| project(&sink, &e)).expect("joins");
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

    #[wasm_bindgen_test]
    async fn local_storage() {
        // A same-origin frame is the other context: its writes fire `storage` here.
        let document = web_sys::window().unwrap().document().unwrap();
        let frame: HtmlIFrameElement = document.create_element("iframe").unwrap().unchecked_into();
        document.body().unwrap().append_child(&frame).unwrap();
        let other = frame.content_window().unwrap().local_storage().unwrap().unwrap();
        let seen = SeenLog::default();
        let sink = seen.clone();
        let demo = StorageDemo::open(move |event| {
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
}

/// Arrival is decoupled from rendering: a burst folded into a route's state renders once, and
/// the log keeps its bound.
mod rendering {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    use crosstalk::hooks::{use_route, RouteHandle, RouteState};
    use crosstalk::log::{Entry, LogBook};
    use gloo::events::EventListener;
    use gloo::render::{request_animation_frame, AnimationFrame};
    use gloo_timers::future::TimeoutFuture;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_test::*;
    use web_sys::{MessageChannel, MessageEvent};
    use yew::prelude::*;

    #[derive(Default)]
    struct Counter {
        count: u32,
    }

    impl RouteState for Counter {
        type Action = u32;
        fn apply(&mut self, n: u32, at_ms: f64, log: &mut LogBook) {
            self.count += 1;
            log.push(Entry::system("tick", format!("tick {n}"), at_ms));
        }
    }

    thread_local! {
        static RENDERS: Cell<u32> = const { Cell::new(0) };
    }

    #[derive(Properties, PartialEq)]
    struct BurstProps {
        on_ready: Callback<RouteHandle<Counter>>,
    }

    #[component]
    fn Burst(props: &BurstProps) -> Html {
        RENDERS.with(|r| r.set(r.get() + 1));
        let route = use_route::<Counter>();
        {
            let (route, on_ready) = (route.clone(), props.on_ready.clone());
            use_effect_with((), move |_| on_ready.emit(route));
        }
        html! { <output id="burst-count">{route.state().count}</output> }
    }

    /// Counts animation frames until dropped.
    struct FrameCounter {
        frames: Rc<Cell<u32>>,
        _next: Rc<RefCell<Option<AnimationFrame>>>,
    }

    impl FrameCounter {
        fn start() -> FrameCounter {
            let (frames, next) = (Rc::new(Cell::new(0)), Rc::new(RefCell::new(None)));
            fn schedule(frames: Rc<Cell<u32>>, next: Rc<RefCell<Option<AnimationFrame>>>) {
                let (f, n) = (frames.clone(), Rc::downgrade(&next));
                *next.borrow_mut() = Some(request_animation_frame(move |_| {
                    f.set(f.get() + 1);
                    if let Some(next) = n.upgrade() {
                        schedule(f.clone(), next);
                    }
                }));
            }
            schedule(frames.clone(), next.clone());
            FrameCounter { frames, _next: next }
        }
    }

    #[wasm_bindgen_test]
    async fn a_burst_of_a_thousand_messages_renders_at_most_once_per_frame_and_the_log_stays_bounded() {
        let document = web_sys::window().unwrap().document().unwrap();
        let root = document.create_element("div").unwrap();
        document.body().unwrap().append_child(&root).unwrap();
        let handle = Rc::new(RefCell::new(None));
        let slot = handle.clone();
        let on_ready = Callback::from(move |route| *slot.borrow_mut() = Some(route));
        yew::Renderer::<Burst>::with_root_and_props(root.clone(), BurstProps { on_ready }).render();
        for _ in 0..500 {
            if handle.borrow().is_some() {
                break;
            }
            TimeoutFuture::new(10).await;
        }
        let route: RouteHandle<Counter> = handle.borrow().clone().expect("the component mounted");
        // Each message is its own task, as a burst from another tab is.
        let channel = MessageChannel::new().unwrap();
        let receiving = route.clone();
        let _listener = EventListener::new(&channel.port1(), "message", move |event| {
            let n = event.unchecked_ref::<MessageEvent>().data().as_f64().unwrap_or_default() as u32;
            receiving.dispatch(n);
        });
        channel.port1().start();
        let counter = FrameCounter::start();
        let before = RENDERS.with(Cell::get);
        for n in 0..1000 {
            channel.port2().post_message(&JsValue::from(n)).unwrap();
        }
        let shown = || document.get_element_by_id("burst-count").and_then(|e| e.text_content());
        for _ in 0..1000 {
            if shown().as_deref() == Some("1000") {
                break;
            }
            TimeoutFuture::new(5).await;
        }
        assert_eq!(shown().as_deref(), Some("1000"));
        let (renders, frames) = (RENDERS.with(Cell::get) - before, counter.frames.get());
        assert!(renders <= frames + 1, "1000 messages rendered {renders} times in {frames} frames");
        let log = route.log();
        assert_eq!((log.len(), log.dropped()), (log.capacity(), 1000 - log.capacity() as u64));
    }
}

/// The workers' wire: the browser's own `JSON.parse` and `JSON.stringify`, judged by
/// `crosstalk_protocol::parsed`. It must say what serde_json's decoder says, on every input.
mod js_wire {
    use crosstalk::transport::js_wire::{read_js, write_js};
    use crosstalk_protocol::worker_port::WorkerPortMsg;
    use crosstalk_protocol::{decode, DecodeError, ReasonCode, Sender, SenderId, MAX_ENVELOPE_BYTES};
    use wasm_bindgen::JsCast;
    use wasm_bindgen::JsValue;
    use wasm_bindgen_test::*;

    const CASES: &[&str] = &[
        r#"{"v":1,"seq":1,"from":"tab-1","sent_at":1.5,"kind":"text","body":{"text":"héllo <b>你好</b>"}}"#,
        r#"{"v":1,"seq":7,"from":"w","sent_at":0,"kind":"echo","body":{"text":"x","reply_to":6,"received_at":2.25}}"#,
        r#"{"v":1,"seq":2,"from":"w","sent_at":0,"kind":"rejected","body":{"code":"bad-json","reason":"r","preview":"p"}}"#,
        r#"{"body":{"text":"late"},"kind":"text","sent_at":0,"from":"a","seq":3,"v":1,"extra":[1,{}]}"#,
        r#"{"v":1,"seq":1,"from":"a","sent_at":0,"kind":"connect","body":{"ignored":true}}"#,
        r#"{"v":1,"seq":1,"from":"a","sent_at":0,"kind":"ready"}"#,
        "not json",
        "{\"v\":1,",
        "[1,2]",
        "null",
        "\"text\"",
        r#"{"kind":"text"}"#,
        r#"{"v":2,"seq":1,"from":"a","sent_at":0,"kind":"ready"}"#,
        r#"{"v":"1","seq":1,"from":"a","sent_at":0,"kind":"ready"}"#,
        r#"{"v":1,"seq":1,"from":"a","sent_at":0}"#,
        r#"{"v":1,"seq":1,"from":"a","sent_at":0,"kind":7}"#,
        r#"{"v":1,"seq":1,"from":"a","sent_at":0,"kind":"pay"}"#,
        r#"{"v":1,"seq":1,"from":"a","sent_at":0,"kind":"text"}"#,
        r#"{"v":1,"seq":1,"from":"a","sent_at":0,"kind":"text","body":{"text":3}}"#,
        r#"{"v":1,"seq":1,"from":"a","sent_at":0,"kind":"text","body":"text"}"#,
        r#"{"v":1,"seq":-1,"from":"a","sent_at":0,"kind":"ready"}"#,
        r#"{"v":1,"seq":1.5,"from":"a","sent_at":0,"kind":"ready"}"#,
        r#"{"v":1,"seq":9007199254740992,"from":"a","sent_at":0,"kind":"ready"}"#,
        r#"{"v":1,"seq":1,"from":null,"sent_at":0,"kind":"ready"}"#,
        r#"{"v":1,"seq":1,"from":"a","sent_at":"now","kind":"ready"}"#,
        r#"{"v":1,"seq":1,"from":"w","sent_at":0,"kind":"rejected","body":{"code":"nope","reason":"r","preview":"p"}}"#,
        r#"{"v":1,"seq":1,"from":"w","sent_at":0,"kind":"echo","body":{"text":"x","reply_to":"6","received_at":0}}"#,
    ];

    #[wasm_bindgen_test]
    fn the_browsers_parser_gives_the_verdicts_serde_json_gives() {
        for text in CASES {
            let (by_js, by_serde) =
                (read_js::<WorkerPortMsg>(&JsValue::from_str(text)), decode::<WorkerPortMsg>(text));
            match (&by_js, &by_serde) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
                (Err(a), Err(b)) => assert_eq!(a.code(), b.code(), "{text}: {a} / {b}"),
                _ => panic!("{text}: JSON.parse says {by_js:?}, serde_json {by_serde:?}"),
            }
        }
    }

    #[wasm_bindgen_test]
    fn what_is_not_text_or_too_large_is_refused_before_it_is_parsed() {
        let not_text = read_js::<WorkerPortMsg>(&js_sys::Object::new().into());
        assert!(
            matches!(not_text, Err(DecodeError::NotText { ref got }) if got == "an object"),
            "{not_text:?}"
        );
        // 400,000 CJK characters: under the limit in UTF-16 units, over it in bytes.
        let wide = format!(
            r#"{{"v":1,"seq":1,"from":"a","sent_at":0,"kind":"text","body":{{"text":"{}"}}}}"#,
            "你".repeat(400_000)
        );
        let refused = read_js::<WorkerPortMsg>(&JsValue::from_str(&wide));
        assert!(
            matches!(refused, Err(DecodeError::TooLarge { bytes, limit: MAX_ENVELOPE_BYTES }) if bytes > MAX_ENVELOPE_BYTES),
            "{refused:?}"
        );
        assert_eq!(refused.unwrap_err().code(), ReasonCode::TooLarge);
        // Exactly at the limit in bytes it is read; one two-byte character more and it is not.
        let wire = |text: &str| {
            format!(r#"{{"v":1,"seq":1,"from":"a","sent_at":0,"kind":"text","body":{{"text":"{text}"}}}}"#)
        };
        let room = MAX_ENVELOPE_BYTES - wire("").len();
        let full = wire(&"x".repeat(room));
        assert_eq!(full.len(), MAX_ENVELOPE_BYTES);
        assert!(read_js::<WorkerPortMsg>(&JsValue::from_str(&full)).is_ok());
        let over = wire(&format!("é{}", "x".repeat(room - 1)));
        assert_eq!(
            read_js::<WorkerPortMsg>(&JsValue::from_str(&over)),
            Err(DecodeError::TooLarge { bytes: MAX_ENVELOPE_BYTES + 1, limit: MAX_ENVELOPE_BYTES })
        );
    }

    #[wasm_bindgen_test]
    fn what_the_workers_write_serde_json_reads_back_as_the_same_envelope() {
        let mut sender = Sender::new(SenderId("worker-1".into()));
        let bodies = [
            WorkerPortMsg::Ready,
            WorkerPortMsg::Echo {
                text: "a \"quoted\" 你好\n\u{0}".into(),
                reply_to: (1 << 53) - 1,
                received_at: 1_732_270_000_123.5,
            },
            WorkerPortMsg::Rejected {
                code: ReasonCode::Malformed,
                reason: "why".into(),
                preview: String::new(),
            },
        ];
        for body in bodies {
            let envelope = sender.envelope(body, 12.25);
            let wire = write_js(&envelope).expect("writes").as_string().expect("a string");
            assert_eq!(decode::<WorkerPortMsg>(&wire), Ok(envelope), "{wire}");
        }
        let huge = sender.envelope(WorkerPortMsg::Text { text: "x".repeat(MAX_ENVELOPE_BYTES).into() }, 0.0);
        assert_eq!(write_js(&huge).unwrap_err().reason().code, ReasonCode::TooLarge);
    }

    /// A message's text is read where it arrived and written back without entering wasm: the
    /// payload stays the JS string it came as, an echo of it is that very string again, and the
    /// size check still holds for text wasm never saw.
    #[wasm_bindgen_test]
    fn a_payload_stays_in_javascript_from_reading_to_writing() {
        use crosstalk::transport::js_wire::held;
        use crosstalk_protocol::bench::BenchMsg;
        let text = "a \"quoted\" 你好 😀\n".repeat(200);
        let incoming = Sender::new(SenderId("tab-1".into()))
            .envelope(BenchMsg::Ping { text: text.as_str().into() }, 1.5);
        let wire = write_js(&incoming).expect("writes");
        let read = read_js::<BenchMsg>(&wire).expect("reads");
        let BenchMsg::Ping { text: payload } = read.body else { panic!("{:?}", read.body) };
        assert!(payload.is_js(), "the text was copied into wasm");
        assert_eq!(payload, text.as_str());
        assert_eq!(payload.preview(3), "a \"…");
        let echo = Sender::new(SenderId("tab-2".into())).envelope(BenchMsg::Pong { text: payload }, 2.5);
        let echoed = write_js(&echo).expect("writes").as_string().expect("a string");
        assert_eq!(
            decode::<BenchMsg>(&echoed).map(|e| e.body),
            Ok(BenchMsg::Pong { text: text.as_str().into() })
        );
        let big = held(&js_sys::JsString::from("é".repeat(MAX_ENVELOPE_BYTES / 2)));
        let over = Sender::new(SenderId("tab-3".into())).envelope(BenchMsg::Ping { text: big }, 0.0);
        assert_eq!(write_js(&over).unwrap_err().reason().code, ReasonCode::TooLarge, "é is two bytes");
    }

    /// The log holds a short JavaScript text until its row renders, then shows it flattened; a
    /// long one is cut to its start at once, surrogate pairs whole.
    #[wasm_bindgen_test]
    fn a_log_entry_copies_a_message_out_of_javascript_only_when_shown() {
        use crosstalk::log::{shown, MESSAGE_CHARS};
        use crosstalk::transport::js_wire::held;
        let short = shown(&held(&js_sys::JsString::from("你好\t😀")));
        assert!(!short.is_copied(), "copied before any row showed it");
        assert_eq!(short.text(), "你好 😀");
        assert!(short.is_copied());
        let long = shown(&held(&js_sys::JsString::from("😀".repeat(MESSAGE_CHARS + 10))));
        assert!(long.is_copied(), "a long text is held whole");
        assert_eq!(long.text(), format!("{}…", "😀".repeat(MESSAGE_CHARS)));
    }

    /// The benchmark's switch: a core set to cloned objects posts the envelope itself (the
    /// browser's structured clone carries it, no JSON on either side), and a core that takes
    /// objects reads it field by field; a text core still refuses an object as not text.
    #[wasm_bindgen_test]
    async fn a_cloned_envelope_crosses_as_an_object_and_reads_back() {
        use std::cell::RefCell;
        use std::rc::Rc;

        use crosstalk::transport::js_wire::{read_any, write_object, Wire};
        use crosstalk::transport::port::PortLink;
        use crosstalk::transport::Event;
        use crosstalk_protocol::broadcast::BroadcastMsg;
        use crosstalk_protocol::Payload;

        let envelope =
            Sender::new(SenderId("tab-1".into())).envelope(BroadcastMsg::Text { text: "hé".into() }, 1.5);
        let object = write_object(&envelope);
        assert!(object.is_object() && !object.is_string());
        assert_eq!(read_any::<BroadcastMsg>(&object, true), Ok(envelope.clone()));
        assert!(matches!(read_any::<BroadcastMsg>(&object, false), Err(DecodeError::NotText { .. })));
        let huge = js_sys::JSON::parse(&format!(
            r#"{{"v":1,"seq":1,"from":"a","sent_at":0,"kind":"text","body":{{"text":"{}"}}}}"#,
            "x".repeat(MAX_ENVELOPE_BYTES + 1)
        ))
        .unwrap();
        assert!(
            matches!(read_any::<BroadcastMsg>(&huge, true), Err(DecodeError::Malformed(_))),
            "bounded before the copy"
        );

        let channel = web_sys::MessageChannel::new().unwrap();
        let seen: Rc<RefCell<Vec<JsValue>>> = Rc::default();
        let raw = Rc::clone(&seen);
        let listener = gloo::events::EventListener::new(&channel.port2(), "message", move |event| {
            if let Some(event) = event.dyn_ref::<web_sys::MessageEvent>() {
                raw.borrow_mut().push(event.data());
            }
        });
        channel.port2().start();
        let link = PortLink::<BroadcastMsg>::open(channel.port1(), |_: Event<BroadcastMsg>| {});
        link.core().set_wire(Wire::Cloned);
        link.send(BroadcastMsg::Text { text: Payload::from("over the clone") }).unwrap();
        for _ in 0..500 {
            if !seen.borrow().is_empty() {
                break;
            }
            gloo_timers::future::TimeoutFuture::new(10).await;
        }
        let arrived = seen.borrow().first().cloned().expect("the message arrived");
        assert!(arrived.is_object(), "a cloned core posts the object, not text");
        let read = read_any::<BroadcastMsg>(&arrived, true).expect("reads back");
        assert_eq!(read.body, BroadcastMsg::Text { text: "over the clone".into() });
        drop(listener);
    }
}

/// `window.postMessage` costs more in Chromium the deeper the wasm stack under it, so the window
/// adapter posts from a microtask (`shallow_post`). These check that a post leaves after the
/// callback that asked for it, from a shallow stack, in order, with its exact target origin.
mod shallow_post {
    use crosstalk::transport::shallow_post::post;
    use js_sys::{Array, JsString, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use wasm_bindgen_test::*;
    use web_sys::{HtmlIFrameElement, Window};

    /// A frame whose `postMessage` records each call's message, origin and JS stack instead of
    /// posting.
    fn recording_frame() -> Window {
        let document = web_sys::window().and_then(|w| w.document()).expect("a document");
        let frame: HtmlIFrameElement = document.create_element("iframe").expect("iframe").unchecked_into();
        document.body().expect("a body").append_child(&frame).expect("appended");
        let target = frame.content_window().expect("the frame's window");
        let record = js_sys::Function::new_with_args(
            "m, o",
            "const limit = Error.stackTraceLimit; Error.stackTraceLimit = 500; \
             (this.__posts = this.__posts || []).push([m, o, new Error().stack]); \
             Error.stackTraceLimit = limit;",
        );
        Reflect::set(&target, &"postMessage".into(), &record).expect("replaced");
        target
    }

    fn posts(target: &Window) -> Vec<(JsValue, JsValue, String)> {
        let all = Reflect::get(target, &"__posts".into()).unwrap_or(JsValue::UNDEFINED);
        all.dyn_ref::<Array>().map_or_else(Vec::new, |all| {
            all.iter()
                .map(|p| {
                    let p: Array = p.unchecked_into();
                    (p.get(0), p.get(1), p.get(2).as_string().unwrap_or_default())
                })
                .collect()
        })
    }

    /// Posts from `depth` wasm frames down (each kept a real frame).
    #[inline(never)]
    fn post_from_deep(depth: u32, target: &Window, data: &JsValue, origin: &JsString) -> u32 {
        if std::hint::black_box(depth) == 0 {
            post(target, data, origin).expect("queued");
            return 0;
        }
        std::hint::black_box(post_from_deep(depth - 1, target, data, origin)) + 1
    }

    #[wasm_bindgen_test]
    async fn a_post_leaves_after_the_callback_from_a_shallow_stack_in_order() {
        let target = recording_frame();
        let origin = JsString::from("http://127.0.0.1:8080");
        for n in 0..3 {
            post_from_deep(60, &target, &JsValue::from_str(&format!("message {n}")), &origin);
        }
        assert!(posts(&target).is_empty(), "posted from inside the callback");
        JsFuture::from(js_sys::Promise::resolve(&JsValue::NULL)).await.expect("a microtask later");
        let made = posts(&target);
        let messages: Vec<Option<String>> = made.iter().map(|(m, _, _)| m.as_string()).collect();
        assert_eq!(messages, ["message 0", "message 1", "message 2"].map(|m| Some(m.to_owned())));
        for (_, to, stack) in &made {
            assert_eq!(to.as_string().as_deref(), Some("http://127.0.0.1:8080"));
            let wasm_frames = stack.lines().filter(|line| line.contains("wasm")).count();
            assert!(wasm_frames < 20, "posted from under {wasm_frames} wasm frames:\n{stack}");
        }
    }
}
