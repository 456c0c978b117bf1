//! Arrival is decoupled from rendering: a burst folded into a route's state renders once, and
//! the log keeps its bound.

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
