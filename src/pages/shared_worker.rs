//! `/shared-worker`: one wasm SharedWorker keeps a key/value store that every tab gets and sets,
//! pushes changes to the other tabs, and counts who is connected. State:
//! `state/shared_worker.rs`; transport: `transport/shared_worker.rs`; worker:
//! `workers/shared_store.rs`.

use crosstalk_protocol::shared_store::MAX_VALUE_BYTES;
use yew::prelude::*;

use crate::i18n::{fill, use_i18n, Hole, Text};

use crate::components::key_value_form::{FormButton, KeyValueForm};
use crate::components::log_and_diagram::LogAndDiagram;
use crate::components::open_tab::OpenTab;
use crate::components::raw_composer::RawComposer;
use crate::components::route_frame::RouteFrame;
use crate::components::status::StatusPanel;
use crate::hooks::{use_route, Slot};
use crate::state::shared_worker::{
    key_label, state_attr, state_detail, store_url, Action, Fetched, SharedWorkerState, DIAGRAM,
};
use crate::transport::shared_worker::SharedWorkerLink;
use crate::transport::LinkState;

type ClientSlot = Slot<SharedWorkerLink>;

/// What a refusal says before the page is connected.
const NOT_CONNECTED: &str = "not connected";

#[component]
pub fn SharedWorkerPage() -> Html {
    let i18n = use_i18n();
    let route = use_route::<SharedWorkerState>();
    let client: ClientSlot = use_mut_ref(|| None);
    let slow_start = use_state(|| false);

    {
        let (client, route) = (client.clone(), route.clone());
        use_effect_with(*slow_start, move |&slow| {
            // A different URL is a different shared worker: the slow one, or one with another
            // expiry, is its own instance.
            let search = crate::page_query::search();
            let url = store_url(slow, &search);
            *client.borrow_mut() = Some(SharedWorkerLink::connect(&url, route.events(Action::Store)));
            // Dropping says goodbye, so the other tabs' count drops at once.
            move || drop(client.borrow_mut().take())
        });
    }

    let on_set = {
        let (client, route) = (client.clone(), route.clone());
        Callback::from(move |(key, value): (String, String)| {
            let what = format!("set {} ({} bytes)", key_label(&key), value.len());
            route.through(&client, NOT_CONNECTED, &what, |c| c.set(&key, &value));
        })
    };
    let on_get = {
        let (client, route) = (client.clone(), route.clone());
        Callback::from(move |(key, _): (String, String)| {
            route.through(&client, NOT_CONNECTED, &format!("get {}", key_label(&key)), |c| c.get(&key));
        })
    };
    let on_raw = route.press_with(&client, NOT_CONNECTED, "a raw message", |c, raw: &String| c.send_raw(raw));
    let on_malformed = {
        let (client, route) = (client.clone(), route.clone());
        Callback::from(move |_: MouseEvent| {
            route.through(&client, NOT_CONNECTED, "a malformed message", |c| {
                c.send_raw("{\"v\":1,\"kind\":\"set\"")
            });
        })
    };
    let on_fault = {
        let slow_start = slow_start.clone();
        Callback::from(move |e: Event| {
            slow_start.set(e.target_unchecked_into::<web_sys::HtmlSelectElement>().value() == "slow-start");
        })
    };

    let state = route.state();
    let link = &state.link;
    let output = match &state.fetched {
        None => html! {
            <output class="value-output empty" data-testid="value-output" data-found="none">{i18n.t(Text::SharedWorkerNothingFetched)}</output>
        },
        Some(Fetched { key, value: Some(value), set_by }) => html! {
            <output class="value-output" data-testid="value-output" data-found="true"
                    title={format!("{} set by {}", key_label(key), set_by.clone().unwrap_or_default())}>{value.clone()}</output>
        },
        Some(Fetched { key, value: None, .. }) => html! {
            <output class="value-output missing" data-testid="value-output" data-found="false">
                {format!("(not set) nobody has set {}", key_label(key))}
            </output>
        },
    };
    let button =
        |testid, label, primary, on_press| FormButton { testid, label, primary, title: None, on_press };

    let connections = state.connections.map(|c| c.to_string()).unwrap_or_else(|| "–".into());
    html! {
        <RouteFrame lesson="shared-worker">
            <StatusPanel subject={i18n.t(Text::SubjectSharedWorker).to_owned()} state={state_attr(link)} detail={i18n.said(&state_detail(link))}>
                <span class="metric big" title={i18n.t(Text::SharedWorkerTabsTitle).to_owned()}>
                    {i18n.phrase(Text::SharedWorkerConnected, &[Hole::new(connections.clone(), html! { <span data-testid="connections">{connections}</span> })])}
                </span>
                <OpenTab />
            </StatusPanel>
            if *link == LinkState::Unsupported {
                <div class="panel notice" data-testid="unsupported">
                    <p><strong>{i18n.t(Text::SharedWorkerUnsupported)}</strong>{i18n.t(Text::SharedWorkerUnsupportedWhere)}</p>
                    <p>{i18n.t(Text::SharedWorkerFallbacks)}</p>
                </div>
            }
            <KeyValueForm key_placeholder={i18n.t(Text::SharedWorkerKeyPlaceholder).to_owned()} value_placeholder={i18n.t(Text::SharedWorkerValuePlaceholder).to_owned()}
                buttons={vec![button("set", "Set", true, on_set), button("get", "Get", false, on_get)]} />
            if let Some(error) = &state.error {
                <p class="error" data-testid="error" role="alert">{error.clone()}</p>
            }
            <div class="panel">
                <span class="label">{i18n.t(Text::SharedWorkerLastGet)}</span>{output}
            </div>
            <LogAndDiagram log={route.log_view()} on_clear={route.clear_log()} diagram={DIAGRAM}>
                <details class="panel faults" open=true>
                    <summary>{i18n.t(Text::CommonFaultInjection)}</summary>
                    <label>
                        {i18n.t(Text::SharedWorkerStartLabel)}
                        <select data-testid="fault" onchange={on_fault}>
                            <option value="none" selected={!*slow_start}>{i18n.t(Text::SharedWorkerStartNormal)}</option>
                            <option value="slow-start" selected={*slow_start}>{i18n.t(Text::SharedWorkerStartSlow)}</option>
                        </select>
                    </label>
                    <button data-testid="send-malformed" onclick={on_malformed}>{i18n.t(Text::CommonSendMalformed)}</button>
                    <RawComposer on_send={on_raw} />
                    <p class="hint">{fill(i18n.t(Text::SharedWorkerValueLimit), &[(MAX_VALUE_BYTES / 1024).to_string()])}</p>
                </details>
                <details class="panel explain">
                    <summary>{i18n.t(Text::SharedWorkerExplainTitle)}</summary>
                    <p>{i18n.t(Text::SharedWorkerExplainRoster)}</p>
                    <p>{i18n.t(Text::SharedWorkerExplainRace)}</p>
                </details>
            </LogAndDiagram>
        </RouteFrame>
    }
}
