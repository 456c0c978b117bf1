//! `/service-worker`: a Service Worker written in Rust, registered at the origin's root, relaying
//! between the tabs it finds; its lifecycle shown live (installing, waiting, activating, active),
//! the page's controller, an update that waits, and `skipWaiting`. State:
//! `state/service_worker.rs`; transport: `transport/service_worker.rs`; the worker:
//! `workers/service_worker.rs`.

use yew::prelude::*;

use crate::components::compose::Compose;
use crate::components::log_and_diagram::LogAndDiagram;
use crate::components::open_tab::OpenTab;
use crate::components::raw_composer::RawComposer;
use crate::components::route_frame::RouteFrame;
use crate::components::status::StatusPanel;
use crate::hooks::{use_route, Slot};
use crate::i18n::{use_i18n, Hole, Text};
use crate::said;
use crate::state::service_worker::{Action, ServiceWorkerState, DIAGRAM};
use crate::transport::service_worker::ServiceWorkerLink;

type DeskSlot = Slot<ServiceWorkerLink>;

const NO_SW: &str = "no service worker here";

#[component]
pub fn ServiceWorkerPage() -> Html {
    let i18n = use_i18n();
    let route = use_route::<ServiceWorkerState>();
    let desk: DeskSlot = use_mut_ref(|| None);

    {
        let (desk, route) = (desk.clone(), route.clone());
        use_effect_with((), move |_| {
            match ServiceWorkerLink::open(route.events(Action::Sw)) {
                Ok(opened) => *desk.borrow_mut() = Some(opened),
                Err(reason) => route.dispatch(Action::Unsupported(reason)),
            }
            move || drop(desk.borrow_mut().take())
        });
    }

    let on_send = route.send_with(&desk, NO_SW, "a message", |d, text: &String| d.send_text(text));
    let on_update = route.press(&desk, NO_SW, "an update", ServiceWorkerLink::update);
    let on_skip = route.press(&desk, NO_SW, "skip waiting", ServiceWorkerLink::skip_waiting);
    let on_raw = route.press_with(&desk, NO_SW, "a raw message", |d, raw: &String| d.send_raw(raw));

    let state = route.state();
    let status = state.status();
    let detail = match (&state.failed, state.controller) {
        (Some(reason), _) => reason.clone(),
        (None, Some(version)) => i18n.said(&said!(SwControlledBy, version)),
        (None, None) if state.bypassed => i18n.said(&said!(SwBypassed)),
        (None, None) => i18n.said(&said!(SwNotControlled)),
    };
    let controlled = if state.controller.is_some() { "yes" } else { "no" };
    let clients = state.clients.map_or_else(|| "–".to_owned(), |c| c.to_string());
    let handled = state.handled.map_or_else(|| "–".to_owned(), |h| h.to_string());
    let versions = [("installing", state.installing), ("waiting", state.waiting), ("active", state.active)];
    html! {
        <RouteFrame lesson="service-worker">
            <StatusPanel subject={i18n.t(Text::SubjectServiceWorker).to_owned()} state={status} detail={detail}>
                <span class="metric big" data-testid="sw-state" data-state={state.step()}><code>{state.step()}</code></span>
                <span class="metric" title="navigator.serviceWorker.controller">
                    {i18n.t(Text::ServiceWorkerControlled)}{" "}<code data-testid="controlled" data-state={controlled}>{controlled}</code>
                </span>
                <span class="metric" title={i18n.t(Text::ServiceWorkerClientsTitle).to_owned()}>
                    {i18n.phrase(Text::ServiceWorkerClients, &[Hole::new(&clients, html! { <span data-testid="clients">{clients.clone()}</span> })])}
                </span>
                <span class="metric" title={i18n.t(Text::ServiceWorkerHandledTitle).to_owned()}>
                    {i18n.t(Text::ServiceWorkerHandled)}{" "}<span data-testid="handled">{handled}</span>
                </span>
                <OpenTab />
            </StatusPanel>
            <div class="panel store-form">
                <ol class="sw-workers" data-testid="sw-workers">
                    { for versions.iter().map(|(slot, worker)| html! {
                        <li data-slot={*slot} data-state={worker.map_or("none", |w| w.lifecycle.word())}>
                            <code>{*slot}</code>{": "}
                            <code>{worker.map_or_else(|| "—".to_owned(), |w| format!("/sw.js v{} · {}", w.version, w.lifecycle.word()))}</code>
                        </li>
                    }) }
                </ol>
                <button data-testid="update" onclick={on_update} title={i18n.t(Text::ServiceWorkerUpdateTitle).to_owned()}>{i18n.t(Text::ServiceWorkerUpdate)}</button>
                <button data-testid="skip-waiting" onclick={on_skip} title={i18n.t(Text::ServiceWorkerSkipWaitingTitle).to_owned()}>{i18n.t(Text::ServiceWorkerSkipWaiting)}</button>
            </div>
            <Compose placeholder={i18n.t(Text::ServiceWorkerPlaceholder).to_owned()} on_send={on_send} />
            <LogAndDiagram log={route.log_view()} on_clear={route.clear_log()} diagram={DIAGRAM}>
                <details class="panel faults" open=true>
                    <summary>{i18n.t(Text::CommonFaultInjection)}</summary>
                    <RawComposer on_send={on_raw} />
                    <p class="hint">{i18n.t(Text::ServiceWorkerRawHint)}</p>
                </details>
                <details class="panel explain">
                    <summary>{i18n.t(Text::ServiceWorkerExplainTitle)}</summary>
                    <p>{i18n.t(Text::ServiceWorkerExplainClaim)}</p>
                    <p>{i18n.t(Text::ServiceWorkerExplainWaiting)}</p>
                    <p>{i18n.t(Text::ServiceWorkerExplainIdle)}</p>
                </details>
            </LogAndDiagram>
        </RouteFrame>
    }
}
