//! `/inspector`: one timeline of every crosstalk tab of this browser and origin — each tab's
//! route log, sent over the inspector's side channel while this page is open — so traffic that
//! devtools shows nowhere in one place (a SharedWorker's, a worker port's) sits beside the rest,
//! in the order it happened. One lane per tab; filter by mechanism and by tab.
//! State: `state/inspector.rs`; transport: `transport/inspector.rs`.
//!
//! QA hooks: `status` (`watching`, `error`), `inspector-contexts`, `inspector-records`,
//! `inspector-mechanism` and `inspector-context` (filters; value `all` or a route / a tab),
//! `inspector-refresh`, `inspector-clear`, `timeline` with one `timeline-entry` per record
//! (`data-context`, `data-route`, `data-dir`, `data-status`, `data-reason-code`, `data-kind`,
//! `data-from`: the message's sender), one `lane` per tab (`data-context`, and `data-sends-as`: the
//! sender id its route's messages carry when it differs),
//! and the page's own `log` (rejected batches).

use std::rc::Rc;

use crate::said;
use crosstalk_protocol::catalog::MECHANISMS;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::components::message_log::MessageLog;
use crate::components::status::StatusPanel;
use crate::hooks::use_route;
use crate::i18n::{use_i18n, Hole, Text};
use crate::state::inspector::{Action, InspectorState, Row};
use crate::transport::inspector::InspectorLink;

/// The most rows drawn: the newest that pass the filters.
const SHOWN: usize = 300;
const ALL: &str = "all";

/// A route's mechanism name, or the path itself for the suite's other pages.
fn mechanism_of(route: &str) -> &str {
    MECHANISMS.iter().find(|m| m.path == route).map_or(route, |m| m.name)
}

fn select_value(e: &Event) -> String {
    e.target_unchecked_into::<HtmlSelectElement>().value()
}

#[component]
pub fn InspectorPage() -> Html {
    let route = use_route::<InspectorState>();
    let i18n = use_i18n();
    let watch = use_mut_ref(|| None::<InspectorLink>);
    let mechanism = use_state(|| ALL.to_owned());
    let context = use_state(|| ALL.to_owned());
    {
        let (watch, route) = (watch.clone(), route.clone());
        use_effect_with((), move |_| {
            match InspectorLink::open(route.events(Action::Channel)) {
                Ok(opened) => *watch.borrow_mut() = Some(opened),
                Err(why) => route.dispatch(Action::Failed(why)),
            }
            move || drop(watch.borrow_mut().take())
        });
    }
    let on_refresh = {
        let watch = watch.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(w) = watch.borrow().as_ref() {
                w.ask_everything();
            }
        })
    };
    let on_clear = route.callback(|_: MouseEvent| Action::Clear);
    let on_mechanism = {
        let mechanism = mechanism.clone();
        Callback::from(move |e: Event| mechanism.set(select_value(&e)))
    };
    let on_context = {
        let context = context.clone();
        Callback::from(move |e: Event| context.set(select_value(&e)))
    };

    let state = route.state();
    let keep = |row: &&Row| {
        (*mechanism == ALL || row.route == *mechanism) && (*context == ALL || row.context == *context)
    };
    let mut shown: Vec<&Row> = state.rows().rev().filter(keep).take(SHOWN).collect();
    shown.reverse();
    let lanes: Vec<Rc<str>> = state
        .contexts
        .keys()
        .filter(|c| *context == ALL || **c == *context)
        .map(|c| Rc::from(c.as_str()))
        .collect();
    let start = shown.first().map_or(0.0, |r| r.record.at_ms);
    let (status, detail) = if watch.borrow().is_some() {
        ("watching", i18n.said(&said!(Watching, state.contexts.len(), state.batches)))
    } else {
        ("error", i18n.said(&said!(NothingToWatchWith)))
    };

    html! {
        <>
            <h1>{i18n.t(Text::InspectorTitle)}</h1>
            <p class="lead" data-testid="inspector-lead">{i18n.t(Text::InspectorLead)}</p>
            <StatusPanel subject={i18n.t(Text::SubjectInspector).to_owned()} state={status} detail={detail}>
                <span class="metric big">{i18n.phrase(Text::InspectorContextsCount, &[Hole::new(state.contexts.len(), html! { <span data-testid="inspector-contexts">{state.contexts.len()}</span> })])}</span>
                <span class="metric">{i18n.phrase(Text::InspectorRecordsCount, &[Hole::new(state.rows().len(), html! { <span data-testid="inspector-records">{state.rows().len()}</span> })])}</span>
                <button data-testid="inspector-refresh" onclick={on_refresh}>{i18n.t(Text::InspectorRefresh)}</button>
                <button data-testid="inspector-clear" onclick={on_clear}>{i18n.t(Text::InspectorClear)}</button>
            </StatusPanel>
            <div class="panel store-form">
                <label>{i18n.t(Text::InspectorMechanism)}{" "}
                    <select data-testid="inspector-mechanism" onchange={on_mechanism}>
                        <option value={ALL} selected={*mechanism == ALL}>{i18n.t(Text::InspectorAll)}</option>
                        { for state.routes().map(|r| html! {
                            <option value={r.to_owned()} selected={*mechanism == r}>{format!("{} ({r})", mechanism_of(r))}</option>
                        }) }
                    </select>
                </label>
                <label>{i18n.t(Text::InspectorContext)}{" "}
                    <select data-testid="inspector-context" onchange={on_context}>
                        <option value={ALL} selected={*context == ALL}>{i18n.t(Text::InspectorAll)}</option>
                        { for state.contexts.iter().map(|(id, c)| html! {
                            <option value={id.clone()} selected={*context == *id}>{format!("{id} — {}", mechanism_of(&c.route))}</option>
                        }) }
                    </select>
                </label>
            </div>
            <div class="panel timeline-wrap">
                <table class="timeline" data-testid="timeline">
                    <thead><tr>
                        <th>{"ms"}</th>
                        { for lanes.iter().map(|lane| {
                            let heard = state.contexts.get(&**lane);
                            let route = heard.map(|c| mechanism_of(&c.route)).unwrap_or_default();
                            // The id its messages carry, as the other tabs' logs show it.
                            let sends_as = heard.and_then(|c| c.sends_as.clone()).filter(|s| **s != **lane);
                            html! { <th data-testid="lane" data-context={lane.to_string()} data-sends-as={sends_as.clone()}>
                                <code>{lane.to_string()}</code><br/><small>{route.to_owned()}</small>
                                { for sends_as.map(|s| html! { <><br/><small>{"⇒ "}<code>{s}</code></small></> }) }
                            </th> }
                        }) }
                    </tr></thead>
                    <tbody>
                        { for shown.iter().map(|row| {
                            let r = &row.record;
                            let status = if r.code.is_some() { "rejected" } else { "ok" };
                            let arrow = match r.dir.as_str() { "in" => "⇐", "out" => "⇒", _ => "•" };
                            html! {
                                <tr data-testid="timeline-entry" data-context={row.context.clone()} data-route={row.route.clone()}
                                    data-dir={r.dir.as_str()} data-status={status} data-kind={r.kind.clone()} data-from={r.from.clone()}
                                    data-reason-code={r.code.map(|c| c.as_str())}
                                    class={classes!("timeline-entry", format!("dir-{}", r.dir.as_str()), format!("status-{status}"))}>
                                    <td class="at">{format!("+{:.1}", r.at_ms - start)}</td>
                                    { for lanes.iter().map(|lane| if **lane == *row.context {
                                        html! { <td class="lane hit">
                                            <span class="arrow">{arrow}</span>{" "}<strong>{r.kind.clone()}</strong>
                                            { r.seq.map(|s| html! { <span class="seq">{format!(" #{s}")}</span> }) }
                                            { r.code.map(|c| html! { <span class="code">{format!(" {}", c.as_str())}</span> }) }
                                            <div class="payload">{r.payload.clone()}</div>
                                        </td> }
                                    } else {
                                        html! { <td class="lane"></td> }
                                    }) }
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
                if shown.is_empty() {
                    <p class="hint">{i18n.t(Text::InspectorEmpty)}</p>
                }
            </div>
            <MessageLog log={route.log_view()} on_clear={route.clear_log()} />
        </>
    }
}
