//! wasm-bindgen tests in headless Chromium (`cargo xtask test` runs them): the Worker port
//! transport against real dedicated Workers. The workers here are small scripts made on the fly,
//! so each test can make the worker behave as it needs (slow, broken, missing); the real wasm
//! worker is covered by the end-to-end tests.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use crosstalk::protocol::worker_port::WorkerPortMsg;
use crosstalk::protocol::DecodeError;
use crosstalk::transport::worker_port::{Channel, PortState, SendError, WorkerPort, WorkerPortEvent};
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

fn has_state(events: &[WorkerPortEvent], state: &PortState) -> bool {
    events.iter().any(|e| matches!(e, WorkerPortEvent::State(s) if s == state))
}

#[wasm_bindgen_test]
async fn hands_a_port_to_a_worker_that_says_ready_and_talks_over_it() {
    let url = worker_url(r#"serve(); postMessage(env("ready"));"#);
    let (port, events) = spawn(&url);
    assert_eq!(port.state(), PortState::Loading);
    wait_for("ready", &events, |e| has_state(e, &PortState::Ready)).await;

    let greeting = events.borrow().iter().find_map(|e| match e {
        WorkerPortEvent::Received { channel: Channel::Port, envelope } => Some(envelope.body.clone()),
        _ => None,
    });
    assert_eq!(greeting, Some(WorkerPortMsg::Greeting { text: "Hello from worker!".into() }));
    let connect_was_sent = events.borrow().iter().any(|e| {
        matches!(e, WorkerPortEvent::Sent { channel: Channel::Worker, envelope } if envelope.body == WorkerPortMsg::Connect)
    });
    assert!(connect_was_sent);

    port.send("ping 你好 <b>").expect("sends when ready");
    let sent_seq = events.borrow().iter().rev().find_map(|e| match e {
        WorkerPortEvent::Sent { channel: Channel::Port, envelope } => Some(envelope.seq),
        _ => None,
    });
    wait_for("the echo", &events, |e| {
        e.iter().any(|e| matches!(e, WorkerPortEvent::Received { envelope, .. }
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
    wait_for("ready", &events, |e| has_state(e, &PortState::Ready)).await;
    let greeting = events.borrow().iter().find_map(|e| match e {
        WorkerPortEvent::Received { envelope, .. } => match &envelope.body {
            WorkerPortMsg::Greeting { text } => Some(text.clone()),
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
        e.iter().any(|e| matches!(e, WorkerPortEvent::State(PortState::Failed(_))))
    })
    .await;
    match port.state() {
        PortState::Failed(reason) => assert!(reason.contains("load"), "{reason}"),
        other => panic!("expected an error, got {other:?}"),
    }
    assert_eq!(port.send("x"), Err(SendError::NotReady(port.state())));
}

#[wasm_bindgen_test]
async fn a_worker_that_throws_on_start_is_an_error_with_its_message() {
    let (port, events) = spawn(&worker_url(r#"throw new Error("boom at start");"#));
    wait_for("the error state", &events, |e| {
        e.iter().any(|e| matches!(e, WorkerPortEvent::State(PortState::Failed(_))))
    })
    .await;
    assert!(matches!(port.state(), PortState::Failed(reason) if reason.contains("boom at start")));
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
    wait_for("ready", &events, |e| has_state(e, &PortState::Ready)).await;
    let rejections: Vec<DecodeError> = events
        .borrow()
        .iter()
        .filter_map(|e| match e {
            WorkerPortEvent::Rejected { error, .. } => Some(error.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(rejections.len(), 3, "{rejections:?}");
    assert!(matches!(rejections[0], DecodeError::NotJson(_)));
    assert!(matches!(&rejections[1], DecodeError::NotText { got } if got == "an object"));
    assert!(matches!(rejections[2], DecodeError::WrongVersion { .. }));
}

#[wasm_bindgen_test]
async fn after_terminate_sending_is_refused() {
    let (port, events) = spawn(&worker_url(r#"serve(); postMessage(env("ready"));"#));
    wait_for("ready", &events, |e| has_state(e, &PortState::Ready)).await;
    port.terminate();
    assert_eq!(port.state(), PortState::Terminated);
    assert!(has_state(&events.borrow(), &PortState::Terminated));
    assert_eq!(port.send("too late"), Err(SendError::NotReady(PortState::Terminated)));
    assert!(SendError::NotReady(PortState::Terminated).to_string().contains("restart"));
}

mod shared_worker {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    use crosstalk::protocol::shared_store::{Outgoing, SharedStore, StoreMsg};
    use crosstalk::protocol::{Sender, SenderId};
    use crosstalk::transport::shared_worker::{
        shared_worker_supported, SharedStoreClient, StoreEvent, StoreState,
    };
    use crosstalk::transport::wire_text;
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
        events.iter().any(|e| matches!(e, StoreEvent::Received(env) if want(&env.body)))
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
        _listener: EventListener,
    }

    impl FarEnd {
        fn new(port: MessagePort) -> FarEnd {
            let store = Rc::new(RefCell::new(SharedStore::new(Sender::new(SenderId("shared-test".into())))));
            let now = Rc::new(Cell::new(0.0));
            let (listen_store, listen_now, reply_port) = (store.clone(), now.clone(), port.clone());
            let listener = EventListener::new(&port, "message", move |event| {
                let event = event.dyn_ref::<MessageEvent>().expect("a message event");
                let text = wire_text(&event.data());
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
            FarEnd { store, now, port, _listener: listener }
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
        wait_for("connected", &events, |e| e.contains(&StoreEvent::State(StoreState::Connected))).await;

        // A ping at 3 s: the client's pong keeps it in the roster at 6 s; silence would not.
        far.tick(3_000.0);
        TimeoutFuture::new(50).await;
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

        let sent_before = events.borrow().iter().filter(|e| matches!(e, StoreEvent::Sent(_))).count();
        let error = client.set("k", &"x".repeat(64 * 1024 + 1)).unwrap_err();
        assert!(error.contains("64 KiB"), "{error}");
        let sent_after = events.borrow().iter().filter(|e| matches!(e, StoreEvent::Sent(_))).count();
        assert_eq!(sent_before, sent_after, "an oversized value never leaves the tab");
    }

    #[wasm_bindgen_test]
    async fn a_shared_worker_that_cannot_load_is_an_error() {
        let (client, events) = connect("/crosstalk-no-such-shared-worker.js");
        wait_for("the error state", &events, |e| {
            e.iter().any(|e| matches!(e, StoreEvent::State(StoreState::Failed(_))))
        })
        .await;
        assert!(client.get("k").unwrap_err().contains("not connected"));
    }
}

mod message_log {
    use std::rc::Rc;

    use crosstalk::components::message_log::{MessageLog, MessageLogProps};
    use crosstalk::log::{Direction, Entry, LogBook, Status};
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
        }
    }

    #[wasm_bindgen_test]
    async fn renders_the_newest_entries_the_dropped_count_and_text_never_markup() {
        let mut book = LogBook::with_capacity(3);
        book.push(entry(1, "first", Status::Ok));
        book.push(entry(2, "second", Status::Ok));
        book.push(entry(3, "<img src=x onerror=alert(1)>", Status::Ok));
        book.push(entry(4, "bad one", Status::Rejected("not JSON: eof".into())));
        book.push(Entry::system("state", "ready", 0.0));

        let document = web_sys::window().unwrap().document().unwrap();
        let root = document.create_element("div").unwrap();
        document.body().unwrap().append_child(&root).unwrap();
        let props = MessageLogProps { book: Rc::new(book), on_clear: None };
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
        assert!(root.query_selector("img").unwrap().is_none(), "a payload is text, never markup");
        let payload = root.query_selector("[data-testid=log-payload]").unwrap().unwrap();
        assert_eq!(payload.text_content().unwrap(), "<img src=x onerror=alert(1)>");
        let reason = root.query_selector("[data-testid=log-reason]").unwrap().unwrap();
        assert_eq!(reason.text_content().unwrap(), "rejected: not JSON: eof");
    }
}
