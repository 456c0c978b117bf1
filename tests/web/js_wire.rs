//! The workers' wire: the browser's own `JSON.parse` and `JSON.stringify`, judged by
//! `crosstalk_protocol::parsed`. It must say what serde_json's decoder says, on every input.

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
    assert!(matches!(not_text, Err(DecodeError::NotText { ref got }) if got == "an object"), "{not_text:?}");
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
        WorkerPortMsg::Rejected { code: ReasonCode::Malformed, reason: "why".into(), preview: String::new() },
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
    let incoming =
        Sender::new(SenderId("tab-1".into())).envelope(BenchMsg::Ping { text: text.as_str().into() }, 1.5);
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
