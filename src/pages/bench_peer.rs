//! `/bench-peer`: the benchmark's echo frame, on the app's origin or the provider's. It answers
//! pings from its parent only — the shop's exact origin and the parent window itself — with the
//! same text, through crosstalk's window adapter. Not in the nav; `/bench` frames it.

use std::cell::RefCell;
use std::rc::Rc;

use crosstalk_protocol::bench::BenchMsg;
use yew::prelude::*;

use crate::origins::origins;
use crate::transport::js_wire::{read_any, Wire};
use crate::transport::window_message::{parent, Expect, TargetOrigin, WindowLink};
use crate::transport::Event;

type Slot = Rc<RefCell<Option<WindowLink<BenchMsg>>>>;

/// Starts echoing; says why not if this page is not framed by the app.
fn start(slot: &Slot) -> Result<(), String> {
    let app = origins()?.app_origin;
    let target = TargetOrigin::exact(&app)?;
    let framer = parent().ok_or("not framed: /bench opens this page in a hidden frame")?;
    let expect = Expect { source: Box::new(parent), origin: app.clone(), read_strangers: Box::new(|| false) };
    let (answering, to) = (Rc::downgrade(slot), target.clone());
    let link = WindowLink::<BenchMsg>::listen_raw("bench-frame", expect, move |event| {
        let Event::Other(incoming) = event else { return };
        if !(incoming.from_expected && incoming.origin == app) {
            return;
        }
        // Answered in the form it was asked in: JSON text, or an object the browser cloned.
        let form = incoming.data.as_ref().map_or(Wire::Text, Wire::of);
        let Ok(envelope) = incoming.data.and_then(|data| read_any::<BenchMsg>(&data, true)) else { return };
        if let (BenchMsg::Ping { text }, Some(slot), Some(framer)) =
            (envelope.body, answering.upgrade(), parent())
        {
            if let Some(link) = slot.borrow().as_ref() {
                link.set_wire(form);
                let _ = link.send(&framer, BenchMsg::Pong { text }, &to);
            }
        }
    })
    .ok_or("no window")?;
    link.send(&framer, BenchMsg::Ready, &target).map_err(|reason| reason.text)?;
    *slot.borrow_mut() = Some(link);
    Ok(())
}

#[component]
pub fn BenchPeerPage() -> Html {
    let slot: Slot = use_mut_ref(|| None);
    let failed = use_state(|| None::<String>);
    {
        let (slot, failed) = (slot.clone(), failed.clone());
        use_effect_with((), move |_| {
            if let Err(why) = start(&slot) {
                failed.set(Some(why));
            }
            move || drop(slot.borrow_mut().take())
        });
    }
    let (state, detail) = match &*failed {
        Some(why) => ("error", why.clone()),
        None => ("listening", "echoing pings from /bench".to_owned()),
    };
    html! {
        <p data-testid="status" data-state={state}>{"Bench echo frame: "}{detail}</p>
    }
}
