//! The Worker port transport against real dedicated Workers, made on the fly so each test can
//! make the worker behave as it needs (slow, broken, missing).

use std::cell::RefCell;
use std::rc::Rc;

use crosstalk::transport::worker_port::{WorkerPortEvent, WorkerPortLink, VIA_WORKER};
use crosstalk::transport::{Event, LinkState};
use crosstalk_protocol::worker_port::WorkerPortMsg;
use crosstalk_protocol::{DecodeError, ReasonCode};
use gloo_timers::future::TimeoutFuture;
use wasm_bindgen_test::*;

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

fn spawn(url: &str) -> (WorkerPortLink, Events) {
    let events: Events = Rc::default();
    let sink = events.clone();
    let port = WorkerPortLink::spawn(url, move |event| sink.borrow_mut().push(event)).expect("worker starts");
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
    let port = WorkerPortLink::spawn_within(&url, 300, move |e| sink.borrow_mut().push(e)).expect("starts");
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
