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
        entries.item(i).unwrap().unchecked_into::<web_sys::Element>().get_attribute(name).unwrap_or_default()
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
