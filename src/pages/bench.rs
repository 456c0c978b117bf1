//! `/bench`: what each mechanism costs in this browser, through crosstalk and through plain
//! JavaScript, side by side. This page only shows it: the run is `controller/bench.rs`; state:
//! `state/bench.rs`; the crosstalk side: `transport/bench.rs`; the plain-JS side:
//! `static/bench_baseline.js`.

use std::cell::Cell;
use std::rc::Rc;

use crosstalk_protocol::bench::{meets_target, Mechanism, Row, TARGET_RTT_RATIO};
use yew::prelude::*;

use crate::i18n::{use_i18n, I18n, Text};

use crate::components::message_log::MessageLog;
use crate::components::route_frame::RouteFrame;
use crate::components::status::StatusPanel;
use crate::controller::bench::start;
use crate::hooks::use_route;
use crate::state::bench::{bytes_label, BenchState, Plan};
use crate::transport::bench::Env;
use crate::transport::js_wire::Wire;

fn figure(value: Option<f64>, digits: usize) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.digits$}"))
}

fn attr(value: Option<f64>) -> Option<AttrValue> {
    value.map(|v| AttrValue::from(format!("{v:.1}")))
}

/// Each pair's ratio, for QA scripts: `0.934 1.012 0.988`.
fn ratios_attr(ratios: &[f64]) -> AttrValue {
    ratios.iter().map(|r| format!("{r:.3}")).collect::<Vec<_>>().join(" ").into()
}

/// The median ratio, and under it the pairs' spread (`0.91–0.97`): how far one run can be trusted.
fn ratio_cell(median: Option<f64>, spread: Option<(f64, f64)>) -> Html {
    html! {
        <>
            {figure(median, 2)}
            if let Some((low, high)) = spread {
                <span class="spread">{format!("{low:.2}–{high:.2}")}</span>
            }
        </>
    }
}

fn result_row(row: &Row, i18n: &I18n) -> Html {
    let verdict = match meets_target(row) {
        Some(true) => "meets",
        Some(false) => "misses",
        None => "",
    };
    let label =
        Mechanism::from_slug(&row.mechanism).map_or(row.mechanism.as_str(), |m| i18n.t(bench_label(m)));
    html! {
        <tr data-testid="result" data-mechanism={row.mechanism.clone()}
            data-payload-bytes={row.payload_bytes.to_string()}
            data-rtt-us={attr(row.crosstalk.rtt_us)} data-msgs-per-s={attr(row.crosstalk.msgs_per_s)}
            data-baseline-rtt-us={attr(row.baseline.rtt_us)}
            data-baseline-msgs-per-s={attr(row.baseline.msgs_per_s)}
            data-rtt-ratios={ratios_attr(&row.rtt_ratios)}
            data-throughput-ratios={ratios_attr(&row.throughput_ratios)}
            data-target={verdict} class={classes!(verdict)}>
            <td>{label}</td>
            <td class="num">{bytes_label(row.payload_bytes)}</td>
            <td class="num">{figure(row.crosstalk.rtt_us, 1)}</td>
            <td class="num">{figure(row.baseline.rtt_us, 1)}</td>
            <td class="num ratio">{ratio_cell(row.rtt_ratio(), row.rtt_spread())}</td>
            <td class="num">{figure(row.crosstalk.msgs_per_s, 0)}</td>
            <td class="num">{figure(row.baseline.msgs_per_s, 0)}</td>
            <td class="num ratio">{ratio_cell(row.throughput_ratio(), row.throughput_spread())}</td>
            <td class="note">{row.note.clone().unwrap_or_default()}</td>
        </tr>
    }
}

/// Bars of crosstalk-over-plain-JS: round-trip ratio (lower is better) and throughput ratio
/// (higher is better), with the line at 1.0 where crosstalk costs nothing extra.
fn chart(rows: &[Row], i18n: &I18n) -> Html {
    let measured: Vec<&Row> =
        rows.iter().filter(|r| r.rtt_ratio().is_some() || r.throughput_ratio().is_some()).collect();
    if measured.is_empty() {
        return html! {};
    }
    let scale = measured
        .iter()
        .flat_map(|r| [r.rtt_ratio(), r.throughput_ratio()])
        .flatten()
        .fold(2.0_f64, f64::max)
        .min(10.0);
    let (left, width, bar, gap) = (250.0, 560.0, 9.0, 26.0);
    let x = |ratio: f64| left + width * ratio.min(scale) / scale;
    let height = 30.0 + gap * measured.len() as f64;
    html! {
        <figure class="panel bench-chart" data-testid="chart">
            <svg viewBox={format!("0 0 {} {height}", left + width + 60.0)} role="img"
                 aria-label={i18n.t(Text::BenchChartLabel).to_owned()}>
                <line class="one" x1={x(1.0).to_string()} x2={x(1.0).to_string()} y1="10" y2={height.to_string()} />
                <text class="axis" x={x(1.0).to_string()} y="9">{i18n.t(Text::BenchAxis)}</text>
                <line class="target" x1={x(TARGET_RTT_RATIO).to_string()} x2={x(TARGET_RTT_RATIO).to_string()}
                      y1="14" y2={height.to_string()} />
                { for measured.iter().enumerate().map(|(i, r)| {
                    let y = 20.0 + gap * i as f64;
                    let name = Mechanism::from_slug(&r.mechanism).map_or(r.mechanism.as_str(), |m| i18n.t(bench_label(m)));
                    let bars = [("rtt", r.rtt_ratio(), 0.0), ("rate", r.throughput_ratio(), bar + 1.0)];
                    html! {
                        <g>
                            <text class="row-label" x={(left - 8.0).to_string()} y={(y + bar + 2.0).to_string()}>
                                {format!("{name} · {}", bytes_label(r.payload_bytes))}
                            </text>
                            { for bars.into_iter().filter_map(|(class, ratio, dy)| ratio.map(|ratio| html! {
                                <g class={class}>
                                    <rect x={left.to_string()} y={(y + dy).to_string()} height={bar.to_string()}
                                          width={(x(ratio) - left).max(1.0).to_string()} />
                                    <text class="value" x={(x(ratio) + 4.0).to_string()} y={(y + dy + bar - 1.0).to_string()}>
                                        {format!("{ratio:.2}")}
                                    </text>
                                </g>
                            })) }
                        </g>
                    }
                }) }
            </svg>
            <figcaption>
                <span class="key rtt"></span>{i18n.t(Text::BenchKeyRtt)}
                <span class="key rate"></span>{i18n.t(Text::BenchKeyRate)}
            </figcaption>
        </figure>
    }
}

#[component]
pub fn BenchPage() -> Html {
    let i18n = use_i18n();
    let route = use_route::<BenchState>();
    let plan = use_memo((), |_| Plan::from_query(&crate::page_query::search()));
    let frames = use_node_ref();
    let cloned = use_state(|| plan.cloned);
    let on_cloned = {
        let cloned = cloned.clone();
        Callback::from(move |e: web_sys::Event| {
            cloned.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().checked());
        })
    };
    let stop_flag: Rc<Cell<bool>> = (*use_memo((), |_| Rc::new(Cell::new(false)))).clone();
    {
        let stop_flag = Rc::clone(&stop_flag);
        use_effect_with((), move |_| move || stop_flag.set(true));
    }

    let on_run = {
        let (route, plan, frames, stop_flag) = (route.clone(), Rc::clone(&plan), frames.clone(), stop_flag);
        let cloned = *cloned;
        Callback::from(move |_: MouseEvent| {
            if route.state().running {
                return;
            }
            let origins = crate::origins::origins();
            let (Some(container), Ok(origins)) = (frames.cast::<web_sys::Element>(), origins) else {
                return;
            };
            let wire = if cloned { Wire::Cloned } else { Wire::Text };
            let env = Env {
                container,
                app_origin: origins.app_origin,
                provider_origin: origins.provider_origin,
                wire,
            };
            let plan = Plan { cloned, ..(*plan).clone() };
            let (route, stop_flag) = (route.clone(), Rc::clone(&stop_flag));
            start(route.dispatcher(), plan, env, stop_flag);
        })
    };
    let on_export = {
        let route = route.clone();
        Callback::from(move |_: MouseEvent| {
            let report = route.state().report(crate::download::user_agent());
            if let Ok(json) = serde_json::to_string_pretty(&report) {
                let _ = crate::download::download_json("crosstalk-bench.json", &json);
            }
        })
    };

    let state = route.state();
    let detail = match (&state.current, state.state_attr()) {
        (Some(now), _) => i18n.said(&crate::said!(Measuring, now)),
        (None, "done") => i18n.said(&crate::said!(BenchFinished)),
        _ => i18n.said(&crate::said!(CasesReady, plan.cases().len())),
    };
    html! {
        <RouteFrame title={i18n.t(Text::BenchTitle).to_owned()} lead={html! { {i18n.t(Text::BenchLead)} }}>
            <StatusPanel subject={i18n.t(Text::BenchTitle).to_owned()} state={state.state_attr()} detail={detail}>
                <button class="primary" data-testid="run" onclick={on_run} disabled={state.running}>{i18n.t(Text::BenchRun)}</button>
                <progress data-testid="progress" max="1" value={format!("{:.3}", state.progress())}
                          data-done={state.done.to_string()} data-steps={state.steps.to_string()}></progress>
                <span class="metric">{format!("{} / {}", state.done, state.steps)}</span>
                <button data-testid="export" onclick={on_export} disabled={state.rows.is_empty()}>{i18n.t(Text::BenchExport)}</button>
                <label class="toggle">
                    <input type="checkbox" data-testid="bench-cloned" checked={*cloned} onchange={on_cloned} disabled={state.running} />
                    {i18n.t(Text::BenchCloned)}
                </label>
                <p class="hint">{i18n.t(Text::BenchClonedHint)}</p>
            </StatusPanel>
            { chart(&state.rows, &i18n) }
            <table class="panel bench-table" data-testid="results">
                <thead>
                    <tr>
                        <th>{i18n.t(Text::BenchMechanism)}</th><th>{i18n.t(Text::BenchPayload)}</th>
                        <th>{i18n.t(Text::BenchRtt)}</th><th>{i18n.t(Text::BenchPlainJs)}</th><th>{i18n.t(Text::BenchRatio)}</th>
                        <th>{i18n.t(Text::BenchMsgs)}</th><th>{i18n.t(Text::BenchPlainJs)}</th><th>{i18n.t(Text::BenchRatio)}</th><th>{i18n.t(Text::BenchNote)}</th>
                    </tr>
                </thead>
                <tbody>{ for state.rows.iter().map(|row| result_row(row, &i18n)) }</tbody>
            </table>
            <details class="panel explain">
                <summary>{i18n.t(Text::BenchEchoPerMechanism)}</summary>
                <ul>{ for Mechanism::ALL.iter().map(|m| html! { <li><strong>{i18n.t(bench_label(*m))}</strong>{": "}{i18n.t(bench_peer(*m))}</li> }) }</ul>
                <p class="hint">{i18n.t(Text::BenchCliHint)}</p>
            </details>
            <div hidden=true data-testid="bench-frames" ref={frames}></div>
            <MessageLog log={route.log_view()} on_clear={route.clear_log()} />
        </RouteFrame>
    }
}

/// A mechanism's name in the chosen language.
fn bench_label(mechanism: Mechanism) -> Text {
    match mechanism {
        Mechanism::WorkerPort => Text::BenchLabelWorkerPort,
        Mechanism::SharedWorker => Text::BenchLabelSharedWorker,
        Mechanism::ServiceWorker => Text::BenchLabelServiceWorker,
        Mechanism::Broadcast => Text::BenchLabelBroadcast,
        Mechanism::WindowSameOrigin => Text::BenchLabelWindowSameOrigin,
        Mechanism::WindowCrossOrigin => Text::BenchLabelWindowCrossOrigin,
        Mechanism::Storage => Text::BenchLabelStorage,
        Mechanism::WebSocket => Text::BenchLabelWebsocket,
        Mechanism::WebRtc => Text::BenchLabelWebrtc,
    }
}

/// What a mechanism's echo peer is, in the chosen language.
fn bench_peer(mechanism: Mechanism) -> Text {
    match mechanism {
        Mechanism::WorkerPort => Text::BenchPeerWorkerPort,
        Mechanism::SharedWorker => Text::BenchPeerSharedWorker,
        Mechanism::ServiceWorker => Text::BenchPeerServiceWorker,
        Mechanism::Broadcast => Text::BenchPeerBroadcast,
        Mechanism::WindowSameOrigin => Text::BenchPeerWindowSameOrigin,
        Mechanism::WindowCrossOrigin => Text::BenchPeerWindowCrossOrigin,
        Mechanism::Storage => Text::BenchPeerStorage,
        Mechanism::WebSocket => Text::BenchPeerWebsocket,
        Mechanism::WebRtc => Text::BenchPeerWebrtc,
    }
}
