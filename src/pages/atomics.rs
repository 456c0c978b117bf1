//! `/atomics`: a ring in a SharedArrayBuffer between the page and a wasm worker, on the suite's
//! cross-origin isolated origin. State: `state/atomics.rs`; transport: `transport/atomics.rs`;
//! worker: `workers/atomics_worker.rs`.

use yew::prelude::*;

use crosstalk_protocol::atomics::{BURST_HOPS, SLOT_BYTES};

use crate::components::compose::Compose;
use crate::components::log_and_diagram::LogAndDiagram;
use crate::components::route_frame::RouteFrame;
use crate::components::status::StatusPanel;
use crate::controller::atomics_limit;
use crate::hooks::{use_route, Slot};
use crate::i18n::{use_i18n, Text};
use crate::state::atomics::{state_attr, state_detail, Action, AtomicsState, LimitRow, DIAGRAM};
use crate::state::told::Own;
use crate::transport::atomics::{AtomicsLink, ATOMICS_WORKER_URL};
use crate::transport::LinkState;

/// What a refusal says when no ring runs.
const NO_RING: &str = "no ring is running";

#[component]
pub fn AtomicsPage() -> Html {
    let i18n = use_i18n();
    let route = use_route::<AtomicsState>();
    let ring: Slot<AtomicsLink> = use_mut_ref(|| None);
    let generation = use_state(|| 0u32);
    let pings = use_mut_ref(|| 0u32);

    {
        let (ring, route) = (ring.clone(), route.clone());
        use_effect_with(*generation, move |_| {
            match AtomicsLink::spawn(ATOMICS_WORKER_URL, route.events(Action::Ring)) {
                Ok(spawned) => *ring.borrow_mut() = Some(spawned),
                Err(reason) => route.dispatch(Action::Ring(Own::State(LinkState::Failed(format!(
                    "could not create the worker: {reason}"
                ))))),
            }
            // Dropping stops the worker's loop and terminates it.
            move || drop(ring.borrow_mut().take())
        });
    }

    let on_send = {
        let (ring, route) = (ring.clone(), route.clone());
        Callback::from(move |text: String| route.through(&ring, NO_RING, &text, |r| r.ping(&text)))
    };
    let on_ping = {
        let (ring, route, pings) = (ring.clone(), route.clone(), pings.clone());
        Callback::from(move |_: MouseEvent| {
            let n = {
                let mut pings = pings.borrow_mut();
                *pings += 1;
                *pings
            };
            let text = format!("ping #{n}");
            route.through(&ring, NO_RING, &text, |r| r.ping(&text));
        })
    };
    let on_run = route.press(&ring, NO_RING, "a run of hops", |r| r.run_hops(BURST_HOPS));
    let on_lie = route.press(&ring, NO_RING, "a slot whose length lies", AtomicsLink::ping_with_lying_length);
    let on_block = route.press(&ring, NO_RING, "Atomics.wait on the main thread", AtomicsLink::try_to_block);
    let on_share = route.press(&ring, NO_RING, "the buffer, to the other tabs", AtomicsLink::share_with_tabs);
    let on_restart = {
        let (generation, route) = (generation.clone(), route.clone());
        Callback::from(move |_: MouseEvent| {
            route.dispatch(Action::Restarting);
            generation.set(*generation + 1);
        })
    };

    let on_measure = {
        let (ring, route) = (ring.clone(), route.clone());
        Callback::from(move |_: MouseEvent| {
            wasm_bindgen_futures::spawn_local(atomics_limit::measure(ring.clone(), route.dispatcher()));
        })
    };

    let state = route.state();
    let link = &state.link;
    let ready = *link == LinkState::Ready;
    let isolated = match state.isolated {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    };
    html! {
        <RouteFrame lesson="atomics">
            <StatusPanel subject={i18n.t(Text::SubjectAtomics).to_owned()} state={state_attr(link, state.isolated)} detail={i18n.said(&state_detail(link, state.isolated))}>
                <span class="metric" data-testid="isolated" data-state={isolated}>
                    {"crossOriginIsolated: "}<code>{isolated}</code>
                </span>
                <span class="metric" data-testid="hops" data-count={state.hops.to_string()}>
                    {i18n.t(Text::AtomicsHops).replace("{0}", &state.hops.to_string())}
                </span>
                if let Some(ms) = state.last_round_trip_ms {
                    <span class="metric" data-testid="round-trip">{format!("last round trip {ms:.3} ms")}</span>
                }
                if let Some((hops, ms)) = state.last_run {
                    <span class="metric" data-testid="hops-rate">
                        {format!("{hops} hops in {ms:.1} ms: {:.0}/s", if ms > 0.0 { f64::from(hops) * 1000.0 / ms } else { 0.0 })}
                    </span>
                }
                if !state.waiting.is_empty() {
                    <span class="metric" data-testid="waiting">{state.waiting}</span>
                }
                <div class="buttons">
                    <button data-testid="ping" onclick={on_ping} disabled={!ready}>{i18n.t(Text::AtomicsPing)}</button>
                    <button data-testid="run-hops" onclick={on_run} disabled={!ready}>
                        {i18n.t(Text::AtomicsRun).replace("{0}", &BURST_HOPS.to_string())}
                    </button>
                    <button data-testid="restart" onclick={on_restart}>{i18n.t(Text::WorkerPortRestart)}</button>
                </div>
            </StatusPanel>
            <section class="panel ring" aria-label={i18n.t(Text::AtomicsRingTitle).to_owned()}>
                <h2>{i18n.t(Text::AtomicsRingTitle)}</h2>
                <ol class="ring-slots" data-testid="ring">
                    { for state.slots.iter().enumerate().map(|(at, slot)| html! {
                        <li class={classes!("slot", slot.state.as_str())} data-testid="slot"
                            data-slot={at.to_string()} data-state={slot.state.as_str()}>
                            <span class="slot-index">{at}</span>
                            <code class="slot-state">{slot.state.as_str()}</code>
                            if let Some(n) = slot.n {
                                <span class="slot-n">{format!("#{n}")}</span>
                            }
                            <span class="slot-text">{slot.text.clone()}</span>
                        </li>
                    }) }
                </ol>
            </section>
            <section class="panel limit" data-testid="limit" data-state={state.limit_state}>
                <h2>{i18n.t(Text::AtomicsLimitTitle)}</h2>
                <p class="hint">{i18n.t(Text::AtomicsLimitHint)}</p>
                <button data-testid="measure" onclick={on_measure} disabled={!ready || state.limit_state == "running"}>
                    {i18n.t(Text::AtomicsMeasure)}
                </button>
                <LimitChart rows={state.limit.clone()} />
            </section>
            <Compose placeholder={i18n.t(Text::AtomicsPlaceholder).replace("{0}", &SLOT_BYTES.to_string())} on_send={on_send} />
            <LogAndDiagram log={route.log_view()} on_clear={route.clear_log()} diagram={DIAGRAM}>
                <details class="panel faults" open=true>
                    <summary>{i18n.t(Text::CommonFaultInjection)}</summary>
                    <button data-testid="send-lying-length" onclick={on_lie}>{i18n.t(Text::AtomicsLie)}</button>
                    <p class="hint">{i18n.t(Text::AtomicsLieHint)}</p>
                    <button data-testid="block-main-thread" onclick={on_block}>{i18n.t(Text::AtomicsBlock)}</button>
                    <p class="hint">{i18n.t(Text::AtomicsBlockHint)}</p>
                    <button data-testid="share-buffer" onclick={on_share}>{i18n.t(Text::AtomicsShare)}</button>
                    <p class="hint">{i18n.t(Text::AtomicsShareHint)}</p>
                </details>
                <details class="panel explain">
                    <summary>{i18n.t(Text::AtomicsExplainTitle)}</summary>
                    <p>{i18n.t(Text::AtomicsExplainOrigin)}</p>
                    <p>{i18n.t(Text::AtomicsExplainRing)}</p>
                </details>
            </LogAndDiagram>
        </RouteFrame>
    }
}

#[derive(Properties, PartialEq)]
struct LimitChartProps {
    rows: Vec<LimitRow>,
}

/// The limit row as a table and as bars of messages a second (longer is faster), one per
/// measurement, crosstalk and plain JS side by side.
#[component]
fn LimitChart(props: &LimitChartProps) -> Html {
    if props.rows.is_empty() {
        return html! {};
    }
    let i18n = use_i18n();
    let top = props.rows.iter().map(|r| r.msgs_per_s).fold(1.0, f64::max);
    let (width, bar) = (520.0, 22.0);
    let height = bar * 1.4 * props.rows.len() as f64;
    html! {
        <>
            <table class="limit-table">
                <thead><tr>
                    <th>{i18n.t(Text::AtomicsLimitCase)}</th><th>{i18n.t(Text::AtomicsLimitSide)}</th>
                    <th>{i18n.t(Text::AtomicsLimitRtt)}</th><th>{i18n.t(Text::AtomicsLimitRate)}</th>
                </tr></thead>
                <tbody>
                    { for props.rows.iter().map(|row| html! {
                        <tr data-testid="limit-row" data-case={row.case} data-side={row.side}
                            data-rtt-us={format!("{:.3}", row.rtt_us)} data-msgs-per-s={format!("{:.0}", row.msgs_per_s)}>
                            <td><code>{row.case}</code></td><td><code>{row.side}</code></td>
                            <td>{format!("{:.2}", row.rtt_us)}</td><td>{format!("{:.0}", row.msgs_per_s)}</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            <svg class="limit-chart" data-testid="limit-chart" viewBox={format!("0 0 {width} {height}")} role="img"
                 aria-label={i18n.t(Text::AtomicsChartLabel).to_owned()}>
                { for props.rows.iter().enumerate().map(|(at, row)| {
                    let y = at as f64 * bar * 1.4;
                    let length = (row.msgs_per_s / top * (width - 190.0)).max(1.0);
                    html! {
                        <g>
                            <text x="0" y={format!("{:.1}", y + bar * 0.75)} class="limit-label">{format!("{} · {}", row.case, row.side)}</text>
                            <rect x="180" y={format!("{y:.1}")} width={format!("{length:.1}")} height={format!("{bar:.1}")}
                                  class={classes!("limit-bar", row.side)} />
                        </g>
                    }
                }) }
            </svg>
        </>
    }
}
