//! `window.postMessage` costs more in Chromium the deeper the wasm stack under it, so the window
//! adapter posts from a microtask (`shallow_post`). These check that a post leaves after the
//! callback that asked for it, from a shallow stack, in order, with its exact target origin.

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
