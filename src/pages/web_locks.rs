//! `/web-locks`: named locks held and queued across tabs — exclusive or shared, `ifAvailable`,
//! `steal` — with the queue read from the browser in every tab, and a tab's death told to the others
//! by the lock it held for its life. State: `state/web_locks.rs`; transport: `transport/web_locks.rs`.

use crosstalk_protocol::web_locks::{lock_name, Mode, Place};
use crosstalk_protocol::Reason;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::clock::clock_time;
use crate::components::compose::Compose;
use crate::components::log_and_diagram::LogAndDiagram;
use crate::components::name_field::NameField;
use crate::components::open_tab::OpenTab;
use crate::components::raw_composer::RawComposer;
use crate::components::route_frame::RouteFrame;
use crate::components::status::StatusPanel;
use crate::hooks::{use_route, RouteHandle, Slot};
use crate::i18n::{use_i18n, Text};
use crate::said;
use crate::state::web_locks::{Action, Hold, WebLocksState, DIAGRAM};
use crate::transport::lock_request::Ask;
use crate::transport::web_locks::WebLocksLink;

type DeskSlot = Slot<WebLocksLink>;

const NO_LOCKS: &str = "Web Locks are not available here";

/// A request for the lock the reader named, in the mode chosen, as `how` says.
fn ask(desk: &DeskSlot, route: &RouteHandle<WebLocksState>, mode: Mode, if_available: bool, steal: bool) {
    let name = route.state().lock.clone();
    let what = format!("a request for \"{name}\"");
    route.through(desk, NO_LOCKS, &what, |d| {
        let name = lock_name(&name)?;
        d.acquire(name, Ask { mode, if_available, steal })
    });
}

#[component]
pub fn WebLocksPage() -> Html {
    let i18n = use_i18n();
    let route = use_route::<WebLocksState>();
    let desk: DeskSlot = use_mut_ref(|| None);
    let mode = use_state(|| Mode::Exclusive);

    {
        let (desk, route) = (desk.clone(), route.clone());
        use_effect_with((), move |_| {
            match WebLocksLink::open(route.events(Action::Locks)) {
                Ok(opened) => {
                    route.dispatch(Action::Opened { me: opened.sender_id() });
                    *desk.borrow_mut() = Some(opened);
                }
                Err(reason) => route.dispatch(Action::Failed(reason)),
            }
            move || drop(desk.borrow_mut().take())
        });
    }

    let press = |if_available: bool, steal: bool| {
        let (desk, route, mode) = (desk.clone(), route.clone(), mode.clone());
        Callback::from(move |_: MouseEvent| ask(&desk, &route, *mode, if_available, steal))
    };
    let on_release = route.press(&desk, NO_LOCKS, "a release", WebLocksLink::release);
    let on_name = {
        let (desk, route) = (desk.clone(), route.clone());
        Callback::from(move |name: String| {
            match lock_name(&name) {
                Ok(name) => route.dispatch(Action::Lock(name.to_owned())),
                Err(reason) => route.refuse(format!("the lock name \"{name}\""), reason),
            }
            if let Some(d) = desk.borrow().as_ref() {
                d.query();
            }
        })
    };
    let on_mode = {
        let mode = mode.clone();
        Callback::from(move |e: Event| {
            let word = e.target_unchecked_into::<HtmlSelectElement>().value();
            mode.set(Mode::parse(&word).unwrap_or(Mode::Exclusive));
        })
    };
    let on_send = route.send_with(&desk, NO_LOCKS, "a note", |d, text: &String| d.send_text(text));
    let on_raw = route.press_with(&desk, NO_LOCKS, "a raw message", |d, raw: &String| d.send_raw(raw));
    let on_malformed = {
        let (desk, route) = (desk.clone(), route.clone());
        Callback::from(move |_: MouseEvent| {
            let raw = "{\"kind\":\"changed\",\"body\":{\"lock\":\"demo\"}}";
            route.through(&desk, NO_LOCKS, "a malformed notice", |d| d.send_raw(raw));
        })
    };
    let on_forever = {
        let (desk, route) = (desk.clone(), route.clone());
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            if let Some(d) = desk.borrow().as_ref() {
                d.set_hold_forever(on);
            }
            route.dispatch(Action::HoldForever(on));
        })
    };
    let on_crash = {
        let (desk, route) = (desk.clone(), route.clone());
        Callback::from(move |_: MouseEvent| {
            route.through(&desk, NO_LOCKS, "a crash", |d| {
                d.crash();
                Ok::<(), Reason>(())
            });
        })
    };

    let state = route.state();
    let (status, detail) = match &state.failed {
        Some(reason) => ("unsupported", reason.clone()),
        None => ("ready", i18n.said(&said!(LocksReady))),
    };
    let held = match &state.hold {
        Hold::Free => said!(HoldFree),
        Hold::Waiting { name, mode } => said!(HoldWaiting, name, mode.as_str()),
        Hold::Held { name, mode } => said!(HoldHeld, name, mode.as_str()),
    };
    let me = state.me.as_ref().map(|m| m.0.clone()).unwrap_or_default();
    let queue = state.queue();
    let others = state.other_locks();
    html! {
        <RouteFrame lesson="web-locks">
            <StatusPanel subject={i18n.t(Text::SubjectWebLocks).to_owned()} state={status} detail={detail}>
                <span class="metric big" data-testid="held" data-state={state.hold.word()}>{i18n.said(&held)}</span>
                <OpenTab />
            </StatusPanel>
            <div class="panel store-form">
                <label>{i18n.t(Text::WebLocksLockLabel)}
                    <NameField testid="lock-name" label={i18n.t(Text::WebLocksNameLabel).to_owned()} value={state.lock.clone()} on_commit={on_name} />
                </label>
                <label>{i18n.t(Text::WebLocksModeLabel)}
                    <select data-testid="lock-mode" onchange={on_mode}>
                        <option value="exclusive" selected={*mode == Mode::Exclusive}>{i18n.t(Text::WebLocksModeExclusive)}</option>
                        <option value="shared" selected={*mode == Mode::Shared}>{i18n.t(Text::WebLocksModeShared)}</option>
                    </select>
                </label>
                <button class="primary" data-testid="acquire" onclick={press(false, false)}>{i18n.t(Text::WebLocksAcquire)}</button>
                <button data-testid="if-available" onclick={press(true, false)} title={i18n.t(Text::WebLocksIfAvailableTitle).to_owned()}>{i18n.t(Text::WebLocksIfAvailable)}</button>
                <button data-testid="steal" onclick={press(false, true)} title={i18n.t(Text::WebLocksStealTitle).to_owned()}>{i18n.t(Text::WebLocksSteal)}</button>
                <button data-testid="release" onclick={on_release}>{i18n.t(Text::WebLocksRelease)}</button>
            </div>
            <section class="panel">
                <h2 class="small">{i18n.t(Text::WebLocksQueueTitle)}</h2>
                <ol class="lock-queue" data-testid="queue" data-lock={state.lock.clone()}>
                    { for queue.iter().map(|entry| {
                        let mine = entry.tab == me;
                        html! {
                            <li data-testid="queue-entry" data-tab={entry.tab.clone()} data-mode={entry.mode.as_str()}
                                data-state={entry.place.as_str()} class={classes!(entry.place.as_str(), mine.then_some("mine"))}>
                                <strong>{if entry.place == Place::Held { i18n.t(Text::WebLocksHolds) } else { i18n.t(Text::WebLocksWaits) }}</strong>
                                {" "}{entry.tab.clone()}{" · "}{entry.mode.as_str()}
                                if mine { {" · "}{i18n.t(Text::WebLocksThisTab)} }
                            </li>
                        }
                    }) }
                </ol>
                if queue.is_empty() {
                    <p class="hint">{i18n.t(Text::WebLocksQueueEmpty)}</p>
                }
                <p class="hint" data-testid="census-at">{i18n.said(&said!(CensusSnapshot, clock_time(state.census_at_ms)))}</p>
                if !others.is_empty() {
                    <p class="hint">{i18n.t(Text::WebLocksOtherLocks)}{" "}{others.join(", ")}</p>
                }
            </section>
            <Compose placeholder={i18n.t(Text::WebLocksNotePlaceholder).to_owned()} on_send={on_send} />
            <LogAndDiagram log={route.log_view()} on_clear={route.clear_log()} diagram={DIAGRAM}>
                <details class="panel faults" open=true>
                    <summary>{i18n.t(Text::CommonFaultInjection)}</summary>
                    <label class="toggle">
                        <input type="checkbox" data-testid="hold-forever" checked={state.hold_forever} onchange={on_forever} />
                        {i18n.t(Text::WebLocksHoldForever)}
                    </label>
                    <p class="hint">{i18n.t(Text::WebLocksHoldForeverHint)}</p>
                    <button data-testid="crash" onclick={on_crash}>{i18n.t(Text::WebLocksCrash)}</button>
                    <p class="hint">{i18n.t(Text::WebLocksCrashHint)}</p>
                    <button data-testid="send-malformed" onclick={on_malformed}>{i18n.t(Text::WebLocksSendRaw)}</button>
                    <RawComposer on_send={on_raw} />
                    <p class="hint">{i18n.t(Text::WebLocksRawHint)}</p>
                </details>
                <details class="panel explain">
                    <summary>{i18n.t(Text::WebLocksExplainTitle)}</summary>
                    <p>{i18n.t(Text::WebLocksExplainSignal)}</p>
                    <p>{i18n.t(Text::WebLocksExplainCensus)}</p>
                    <p>{i18n.t(Text::WebLocksExplainDeath)}</p>
                </details>
            </LogAndDiagram>
        </RouteFrame>
    }
}
