use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crosstalk::transport::read_wire;
use crosstalk::transport::shared_worker::{shared_worker_supported, SharedWorkerLink, StoreEvent};
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

fn connect(url: &str) -> (SharedWorkerLink, Events) {
    let events: Events = Rc::default();
    let sink = events.clone();
    (SharedWorkerLink::connect(url, move |e| sink.borrow_mut().push(e)), events)
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
            let out =
                listen_store.borrow_mut().receive(1, text.as_deref().map_err(Clone::clone), listen_now.get());
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
    let client = SharedWorkerLink::over_port(channel.port1(), move |e| sink.borrow_mut().push(e));
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
    wait_for("the ack", &events, |e| received(e, |m| matches!(m, StoreMsg::Ack { key, .. } if key == "k")))
        .await;
    client.get("k").expect("get is sent");
    wait_for("the value", &events, |e| {
        received(e, |m| matches!(m, StoreMsg::Value { value: Some(v), .. } if v == "v 你好"))
    })
    .await;

    let sent = |events: &Events| events.borrow().iter().filter(|e| matches!(e, Event::Sent { .. })).count();
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
    let client = SharedWorkerLink::over_port_within(channel.port1(), 300, move |e| sink.borrow_mut().push(e));
    wait_for("the time limit", &events, |e| {
        e.iter().any(|e| matches!(e, Event::State(LinkState::Failed(_))))
    })
    .await;
    assert_eq!(client.state(), LinkState::Failed("the shared worker did not answer within 300 ms".into()));
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
