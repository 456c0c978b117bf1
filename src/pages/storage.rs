//! `/storage`: a localStorage write fires a `storage` event in every *other* tab of the origin
//! (key, old value, new value, url), never in the tab that wrote — and the workaround for that.
//! State: `state/storage.rs`; transport: `transport/storage.rs`.

use crate::said;
use crosstalk_protocol::storage::{StorageMsg, Stored};
use crosstalk_protocol::{preview, Reason};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::i18n::{use_i18n, Text};

use crate::components::key_value_form::{FormButton, KeyValueForm};
use crate::components::log_and_diagram::LogAndDiagram;
use crate::components::open_tab::OpenTab;
use crate::components::raw_composer::RawComposer;
use crate::components::route_frame::RouteFrame;
use crate::components::status::StatusPanel;
use crate::hooks::{use_route, RouteHandle, Slot};
use crate::state::storage::{Action, StorageState, DIAGRAM};
use crate::transport::storage::StorageLink;

type DemoSlot = Slot<StorageLink>;

/// Runs a write, then reports it (or why it failed) and reads the table again.
fn write(
    demo: &DemoSlot,
    route: &RouteHandle<StorageState>,
    kind: &'static str,
    what: String,
    op: impl FnOnce(&StorageLink) -> Result<(), Reason>,
) {
    if route.through(demo, "localStorage is not available here", &what, op) {
        route.dispatch(Action::Wrote { kind, what });
    }
    let keys = demo.borrow().as_ref().map(StorageLink::entries);
    if let Some(keys) = keys {
        route.dispatch(Action::Keys(keys));
    }
}

/// The demo key the raw composer writes under.
const RAW_KEY: &str = "raw";

fn key_label(key: &str) -> String {
    format!("\"{key}\"")
}

#[component]
pub fn StoragePage() -> Html {
    let i18n = use_i18n();
    let route = use_route::<StorageState>();
    let demo: DemoSlot = use_mut_ref(|| None);
    let same_tab = use_state(|| false);

    {
        let (demo, route) = (demo.clone(), route.clone());
        use_effect_with((), move |_| {
            // Reading the table again on every event keeps it true to what storage holds now.
            let (slot, events) = (demo.clone(), route.clone());
            let opened = StorageLink::open(move |notice| {
                events.dispatch(Action::Notice(notice));
                if let Some(demo) = slot.borrow().as_ref() {
                    events.dispatch(Action::Keys(demo.entries()));
                }
            });
            match opened {
                Ok(opened) => {
                    route.dispatch(Action::Keys(opened.entries()));
                    *demo.borrow_mut() = Some(opened);
                }
                Err(reason) => route.dispatch(Action::Failed(reason)),
            }
            move || drop(demo.borrow_mut().take())
        });
    }

    let button = |testid, label, primary, title, on_press: Callback<(String, String)>| FormButton {
        testid,
        label,
        primary,
        title,
        on_press,
    };
    let on_set = {
        let (demo, route) = (demo.clone(), route.clone());
        Callback::from(move |(key, value): (String, String)| {
            let what = format!("set {} = \"{}\"", key_label(&key), preview(&value, 80));
            write(&demo, &route, "set", what, |d| d.set(&key, &value));
        })
    };
    let on_remove = {
        let (demo, route) = (demo.clone(), route.clone());
        Callback::from(move |(key, _): (String, String)| {
            write(&demo, &route, "remove", format!("remove {}", key_label(&key)), |d| d.remove(&key));
        })
    };
    let on_clear = {
        let (demo, route) = (demo.clone(), route.clone());
        Callback::from(move |_: (String, String)| {
            write(&demo, &route, "clear", "remove every demo key".into(), |d| d.clear_demo().map(drop));
        })
    };
    // The raw composer writes under the demo key `raw`: the other tabs read it, and refuse it.
    let on_raw = {
        let (demo, route) = (demo.clone(), route.clone());
        Callback::from(move |text: String| {
            let what = format!("set {} to raw text \"{}\"", key_label(RAW_KEY), preview(&text, 80));
            write(&demo, &route, "set", what, |d| d.set_raw(RAW_KEY, &text));
        })
    };
    let on_fill = {
        let (demo, route) = (demo.clone(), route.clone());
        Callback::from(move |_: (String, String)| {
            if let Some(demo) = demo.borrow().as_ref() {
                route.dispatch(Action::Quota(demo.fill_quota()));
                route.dispatch(Action::Keys(demo.entries()));
            }
        })
    };
    let on_toggle = {
        let (demo, same_tab, route) = (demo.clone(), same_tab.clone(), route.clone());
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            if let Some(demo) = demo.borrow().as_ref() {
                demo.set_same_tab(on);
            }
            same_tab.set(on);
            route.dispatch(Action::SameTab(on));
        })
    };

    let state = route.state();
    let (status, detail) = match &state.failed {
        Some(reason) => ("error", reason.clone()),
        None => ("listening", i18n.said(&said!(ListeningForStorage))),
    };
    html! {
        <RouteFrame lesson="storage">
            <StatusPanel subject={i18n.t(Text::SubjectStorage).to_owned()} state={status} detail={detail}>
                <label class="toggle">
                    <input type="checkbox" data-testid="same-tab-toggle" checked={*same_tab} onchange={on_toggle} />
                    {i18n.t(Text::StorageSameTabToggle)}
                </label>
                <OpenTab />
            </StatusPanel>
            <KeyValueForm buttons={vec![
                button("set", "Set", true, None, on_set),
                button("remove", "Remove", false, None, on_remove),
                button("clear", "Clear demo keys", false, None, on_clear),
                button("fill-quota", "Fill the quota", false,
                       Some(Text::StorageFillQuotaTitle), on_fill),
            ]} />
            if let Some(error) = &state.error {
                <p class="error" data-testid="error" role="alert">{error.clone()}</p>
            }
            <LogAndDiagram log={route.log_view()} on_clear={route.clear_log()} diagram={DIAGRAM}>
                <details class="panel faults" open=true>
                    <summary>{i18n.t(Text::CommonFaultInjection)}</summary>
                    <RawComposer on_send={on_raw} />
                    <p class="hint">{i18n.t(Text::StorageRawHint)}</p>
                </details>
                <section class="panel">
                    <h2 class="small">{i18n.t(Text::StorageKeysTitle)}</h2>
                    <table class="keys" data-testid="keys">
                        <thead><tr><th>{i18n.t(Text::StorageColumnKey)}</th><th>{i18n.t(Text::StorageColumnValue)}</th><th>{i18n.t(Text::StorageColumnBy)}</th></tr></thead>
                        <tbody>
                            { for state.keys.iter().map(|(key, stored)| {
                                let (value, by, valid) = match stored {
                                    Stored::Valid(envelope) => {
                                        let StorageMsg::Value { text } = &envelope.body;
                                        (text.to_string(), envelope.from.0.clone(), "true")
                                    }
                                    other => (other.label(), other.error().map(|e| e.to_string()).unwrap_or_default(), "false"),
                                };
                                html! {
                                    <tr key={key.clone()} data-testid="key-row" data-key={key.clone()} data-valid={valid}>
                                        <td>{key.clone()}</td><td data-testid="key-value">{value}</td><td>{by}</td>
                                    </tr>
                                }
                            }) }
                        </tbody>
                    </table>
                    if state.keys.is_empty() {
                        <p class="hint">{i18n.t(Text::StorageKeysEmpty)}</p>
                    }
                </section>
                <details class="panel explain">
                    <summary>{i18n.t(Text::StorageExplainTitle)}</summary>
                    <p>{i18n.t(Text::StorageExplainSameTab)}</p>
                    <p>{i18n.t(Text::StorageExplainQuota)}</p>
                    <p>{i18n.t(Text::StorageExplainOutside)}</p>
                </details>
            </LogAndDiagram>
        </RouteFrame>
    }
}
