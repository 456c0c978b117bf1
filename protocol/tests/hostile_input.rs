//! Arbitrary input to the decoder and to every state machine: never a panic, always a typed
//! answer. (A panic in wasm kills the page or the worker, so this is the contract that matters.)

use crosstalk_protocol::broadcast::BroadcastMsg;
use crosstalk_protocol::payment::{judge_order, Checkout, Incoming, PaymentMsg};
use crosstalk_protocol::shared_store::{SharedStore, StoreMsg};
use crosstalk_protocol::storage::{StorageMsg, Stored};
use crosstalk_protocol::worker_port::{EchoService, WorkerPortMsg};
use crosstalk_protocol::{decode, Body, DecodeError, ReasonCode, Sender, SenderId};
use proptest::prelude::*;

/// Any JSON value, small.
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| format!("{f:e}")),
        "[a-z\\\\\"\\u{0}-\\u{7f}你]{0,12}".prop_map(|s| serde_json::to_string(&s).unwrap()),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(("[a-z_]{1,8}", inner), 0..4).prop_map(|fields| {
                let fields: Vec<String> = fields.into_iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                format!("{{{}}}", fields.join(","))
            }),
        ]
    })
}

/// Objects with the envelope's field names, in any order, holding anything.
fn envelope_like() -> impl Strategy<Value = String> {
    let field = prop_oneof![
        Just("v"),
        Just("seq"),
        Just("from"),
        Just("sent_at"),
        Just("kind"),
        Just("body"),
        Just("extra")
    ];
    let kind = prop_oneof![
        Just("\"text\"".to_owned()),
        Just("\"set\"".to_owned()),
        Just("\"result\"".to_owned()),
        Just("\"echo\"".to_owned()),
        Just("\"value\"".to_owned()),
        Just("\"rejected\"".to_owned()),
        json_value(),
    ];
    let value = prop_oneof![json_value(), kind, Just("1".to_owned())];
    prop::collection::vec((field, value), 0..9).prop_map(|fields| {
        let fields: Vec<String> = fields.into_iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{{}}}", fields.join(","))
    })
}

/// A valid envelope cut short or with one byte changed.
fn damaged() -> impl Strategy<Value = String> {
    let wire = Sender::new(SenderId("tab-a".into()))
        .envelope(StoreMsg::Set { key: "k".into(), value: "v 你好".into() }, 1.5)
        .encode()
        .unwrap();
    let len = wire.len();
    (0..len, any::<u8>()).prop_map(move |(at, byte)| {
        let mut bytes = wire.clone().into_bytes();
        if byte % 2 == 0 {
            bytes.truncate(at);
        } else {
            bytes[at] = byte;
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), json_value(), envelope_like(), damaged()]
}

fn typed<B: Body + std::fmt::Debug>(text: &str) {
    if let Err(error) = decode::<B>(text) {
        assert!(ReasonCode::ALL.contains(&error.code()));
        assert!(!error.to_string().is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn decoding_anything_gives_an_envelope_or_a_coded_error(text in hostile()) {
        typed::<BroadcastMsg>(&text);
        typed::<StoreMsg>(&text);
        typed::<WorkerPortMsg>(&text);
        typed::<PaymentMsg>(&text);
        typed::<StorageMsg>(&text);
        let _ = Stored::read(Some(&text)).label();
    }

    #[test]
    fn what_decodes_encodes_and_decodes_to_the_same(text in envelope_like()) {
        if let Ok(envelope) = decode::<StoreMsg>(&text) {
            let again = decode::<StoreMsg>(&envelope.encode().unwrap()).unwrap();
            prop_assert_eq!(again, envelope);
        }
    }

    #[test]
    fn the_shared_store_answers_anything_without_panicking(
        inputs in prop::collection::vec((0u64..4, hostile(), 0.0f64..20_000.0), 1..24)
    ) {
        let mut store = SharedStore::new(Sender::new(SenderId("shared".into())));
        for port in 0..3 {
            store.connect(port, 0.0);
        }
        for (port, text, at) in inputs {
            let _ = store.receive(port, Ok(&text), at);
            let _ = store.tick(at);
        }
        prop_assert!(store.connections() <= 4);
    }

    #[test]
    fn the_echo_worker_answers_anything_with_an_echo_or_a_coded_refusal(text in hostile(), port in any::<bool>()) {
        let mut worker = EchoService::new(Sender::new(SenderId("worker".into())));
        let reply = worker.on_port_message(Ok(&text), 0.0);
        let answered = matches!(reply.body, WorkerPortMsg::Rejected { .. } | WorkerPortMsg::Echo { .. });
        prop_assert!(answered, "{:?}", reply.body);
        let _ = worker.on_worker_message(Ok(&text), port, 0.0);
        let _ = worker.on_port_message(Err::<&str, _>(DecodeError::NotText { got: text }), 0.0);
    }

    #[test]
    fn the_checkout_and_the_provider_judge_anything(
        text in hostile(),
        origin in prop_oneof![Just("http://127.0.0.1:8081".to_owned()), ".{0,20}"],
        from_expected in any::<bool>()
    ) {
        let mut checkout = Checkout::new("http://127.0.0.1:8081");
        checkout.start("order-1");
        let incoming = Incoming { origin, from_expected, data: Ok(text) };
        let _ = checkout.judge(&incoming);
        let _ = judge_order(&incoming, "http://127.0.0.1:8080");
    }
}
