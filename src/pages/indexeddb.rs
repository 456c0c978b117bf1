//! `/indexeddb`: one object store every tab of the origin shares. A write commits, then tells the
//! other tabs the key over BroadcastChannel (IndexedDB has no change events), and they read the
//! value from the store; a schema upgrade from one tab, which the others must close for — or
//! refuse, and block it. State: `state/indexeddb.rs`; transport: `transport/indexeddb.rs`.

use crosstalk_protocol::indexeddb::{key, next_version, value, Record};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::key_value_form::{FormButton, KeyValueForm};
use crate::components::log_and_diagram::LogAndDiagram;
use crate::components::open_tab::OpenTab;
use crate::components::raw_composer::RawComposer;
use crate::components::route_frame::RouteFrame;
use crate::components::status::StatusPanel;
use crate::hooks::{use_route, Slot};
use crate::i18n::{use_i18n, Text};
use crate::said;
use crate::state::indexeddb::{Action, IndexedDbState, Link, DIAGRAM};
use crate::transport::indexeddb::IndexedDbLink;

type DeskSlot = Slot<IndexedDbLink>;

const NO_DB: &str = "IndexedDB is not open here";
/// The key the raw composer writes under.
const RAW_KEY: &str = "raw";

#[component]
pub fn IndexedDbPage() -> Html {
    let i18n = use_i18n();
    let route = use_route::<IndexedDbState>();
    let desk: DeskSlot = use_mut_ref(|| None);

    {
        let (desk, route) = (desk.clone(), route.clone());
        use_effect_with((), move |_| {
            match IndexedDbLink::open(route.events(Action::Idb)) {
                Ok(opened) => {
                    route.dispatch(Action::Opened { me: opened.sender_id() });
                    *desk.borrow_mut() = Some(opened);
                }
                Err(reason) => route.dispatch(Action::Failed(reason)),
            }
            move || drop(desk.borrow_mut().take())
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
        let (desk, route) = (desk.clone(), route.clone());
        Callback::from(move |(k, v): (String, String)| {
            route.through(&desk, NO_DB, &format!("a write of \"{k}\""), |d| d.set(key(&k)?, value(&v)?));
        })
    };
    let on_get = {
        let (desk, route) = (desk.clone(), route.clone());
        Callback::from(move |(k, _): (String, String)| {
            route.through(&desk, NO_DB, &format!("a read of \"{k}\""), |d| d.get(key(&k)?));
        })
    };
    let on_stale = {
        let (desk, route) = (desk.clone(), route.clone());
        Callback::from(move |(k, _): (String, String)| {
            let k = if k.trim().is_empty() { "late".to_owned() } else { k };
            route.through(&desk, NO_DB, "a late write", |d| d.stale_transaction(key(&k)?));
        })
    };
    let on_upgrade = {
        let (desk, route) = (desk.clone(), route.clone());
        Callback::from(move |_: MouseEvent| {
            let now = route.state().version;
            let asked = route.through(&desk, NO_DB, "an upgrade", |d| d.upgrade(next_version(now)?));
            if asked {
                route.dispatch(Action::Upgrade(now + 1));
            }
        })
    };
    let on_refuse = {
        let (desk, route) = (desk.clone(), route.clone());
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            if let Some(d) = desk.borrow().as_ref() {
                d.set_refuse(on);
            }
            route.dispatch(Action::Refuse(on));
        })
    };
    let on_raw = route.press_with(&desk, NO_DB, "a raw write", |d, text: &String| d.set_raw(RAW_KEY, text));

    let state = route.state();
    let (status, detail) = match (&state.failed, state.link) {
        (Some(reason), _) => ("error", reason.clone()),
        (None, Link::Blocked) => ("blocked", i18n.said(&said!(IdbWaitingForOthers))),
        (None, link) => (link.word(), i18n.said(&said!(IdbAtVersion, state.version))),
    };
    let output = match &state.output {
        None => html! {
            <output class="value-output empty" data-testid="value-output" data-found="none">{i18n.t(Text::IndexeddbNothingRead)}</output>
        },
        Some((_, Record::Absent)) => html! {
            <output class="value-output missing" data-testid="value-output" data-found="false">{i18n.t(Text::IndexeddbNotSet)}</output>
        },
        Some((_, record @ Record::Valid(_))) => html! {
            <output class="value-output" data-testid="value-output" data-found="true" title={record.writer().unwrap_or_default().to_owned()}>
                {record.text().map(|t| t.to_string()).unwrap_or_default()}
            </output>
        },
        Some((_, Record::Invalid { error, .. })) => html! {
            <output class="value-output missing" data-testid="value-output" data-found="invalid">{error.to_string()}</output>
        },
    };
    let blocked = state.link == Link::Blocked;
    html! {
        <RouteFrame lesson="indexeddb">
            <StatusPanel subject={i18n.t(Text::SubjectIndexeddb).to_owned()} state={status} detail={detail}>
                <span class="metric big" title={i18n.t(Text::IndexeddbVersionTitle).to_owned()}>
                    {i18n.t(Text::IndexeddbVersion)}{" "}<span data-testid="db-version">{state.version}</span>
                </span>
                <OpenTab />
            </StatusPanel>
            <KeyValueForm buttons={vec![
                button("set", "Set", true, None, on_set),
                button("get", "Get", false, None, on_get),
                button("stale-transaction", "Await inside a transaction", false,
                       Some(Text::IndexeddbStaleTitle), on_stale),
            ]} />
            <div class="panel">
                <span class="hint">{i18n.t(Text::IndexeddbReadLabel)}</span>{" "}{output}
            </div>
            <div class="panel store-form">
                <button data-testid="upgrade" onclick={on_upgrade}>{i18n.t(Text::IndexeddbUpgrade)}</button>
                <label class="toggle">
                    <input type="checkbox" data-testid="refuse-upgrade" checked={state.refusing} onchange={on_refuse} />
                    {i18n.t(Text::IndexeddbRefuseUpgrade)}
                </label>
                <span class={classes!("metric", blocked.then_some("warn"))} data-testid="blocked" data-state={if blocked { "yes" } else { "no" }} role="status">
                    { if blocked { i18n.said(&said!(IdbWaitingForOthers)) } else if let Some(new) = state.refused { i18n.said(&said!(IdbHoldingUp, new)) } else { String::new() } }
                </span>
            </div>
            <LogAndDiagram log={route.log_view()} on_clear={route.clear_log()} diagram={DIAGRAM}>
                <details class="panel faults" open=true>
                    <summary>{i18n.t(Text::CommonFaultInjection)}</summary>
                    <RawComposer on_send={on_raw} />
                    <p class="hint">{i18n.t(Text::IndexeddbRawHint)}</p>
                </details>
                <details class="panel explain">
                    <summary>{i18n.t(Text::IndexeddbExplainTitle)}</summary>
                    <p>{i18n.t(Text::IndexeddbExplainNotice)}</p>
                    <p>{i18n.t(Text::IndexeddbExplainUpgrade)}</p>
                    <p>{i18n.t(Text::IndexeddbExplainTransaction)}</p>
                </details>
            </LogAndDiagram>
        </RouteFrame>
    }
}
