//! A sequence diagram drawn as SVG: one lifeline per context, one arrow per message, the steps
//! already seen in colour and the ones still to come in grey.
//!
//! Progress is derived from the log, the same way on every route: a step is done once the log
//! has an accepted entry of one of its (direction, kind) pairs. The step of the newest entry lights
//! up as it is logged (`data-lit="true"`), so the diagram moves with the real messages.

use yew::prelude::*;

use crate::i18n::use_i18n;

pub use crate::diagram::{lit_step, progress, Diagram, Step};
use crate::log_view::LogView;

#[derive(Properties, PartialEq)]
pub struct SequenceDiagramProps {
    pub diagram: Diagram,
    pub log: LogView,
}

const WIDTH: f64 = 520.0;
const TOP: f64 = 44.0;
const ROW: f64 = 34.0;
const MARGIN: f64 = 80.0;

#[component]
pub fn SequenceDiagram(props: &SequenceDiagramProps) -> Html {
    let diagram = &props.diagram;
    let i18n = use_i18n();
    let (done, lit) = {
        let book = props.log.book();
        (progress(diagram, &book), lit_step(diagram, &book))
    };
    let lanes = diagram.lanes.len().max(2);
    let x = |lane: usize| MARGIN + (WIDTH - 2.0 * MARGIN) * lane as f64 / (lanes - 1) as f64;
    let height = TOP + ROW * diagram.steps.len() as f64 + 16.0;
    html! {
        <figure class="diagram" data-testid="diagram">
            <svg viewBox={format!("0 0 {WIDTH} {height}")} role="img" aria-label={i18n.diagram(diagram.title).to_owned()}>
                <defs>
                    <marker id="arrow-done" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path d="M0,0 L10,5 L0,10 z" class="arrow-done" />
                    </marker>
                    <marker id="arrow-todo" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path d="M0,0 L10,5 L0,10 z" class="arrow-todo" />
                    </marker>
                </defs>
                { for diagram.lanes.iter().enumerate().map(|(i, name)| html! {
                    <g class="lane">
                        <text x={x(i).to_string()} y="18" text-anchor="middle" class="lane-name">{i18n.diagram(name).to_owned()}</text>
                        <line x1={x(i).to_string()} y1="26" x2={x(i).to_string()} y2={(height - 6.0).to_string()} class="lifeline" />
                    </g>
                }) }
                { for diagram.steps.iter().zip(done).enumerate().map(|(i, (step, done))| {
                    let y = TOP + ROW * i as f64 + 14.0;
                    let (x1, x2) = (x(step.from), x(step.to));
                    let state = if done { "done" } else { "todo" };
                    // Keyed by the entry, so each new message on this step starts the light again.
                    let (is_lit, key) = match lit {
                        Some((step_at, entry)) if step_at == i => (true, format!("{i}-{entry}")),
                        _ => (false, i.to_string()),
                    };
                    let lit_class = is_lit.then_some("lit");
                    if step.from == step.to {
                        // A message a context sends itself: a small loop beside its lifeline.
                        let d = format!("M{x1},{} h36 v14 h-34", y - 10.0);
                        return html! {
                            <g key={key} class={classes!("step", state, lit_class)} data-testid="diagram-step"
                               data-done={done.to_string()} data-lit={is_lit.to_string()}>
                                <text x={(x1 + 42.0).to_string()} y={(y + 1.0).to_string()} text-anchor="start" class="step-label">
                                    {i18n.diagram(step.label).to_owned()}
                                </text>
                                <path d={d} fill="none" class="step-line" marker-end={format!("url(#arrow-{state})")} />
                            </g>
                        };
                    }
                    html! {
                        <g key={key} class={classes!("step", state, lit_class)} data-testid="diagram-step"
                           data-done={done.to_string()} data-lit={is_lit.to_string()}>
                            <text x={((x1 + x2) / 2.0).to_string()} y={(y - 6.0).to_string()} text-anchor="middle" class="step-label">
                                {i18n.diagram(step.label).to_owned()}
                            </text>
                            <line x1={x1.to_string()} y1={y.to_string()} x2={x2.to_string()} y2={y.to_string()}
                                  class="step-line" marker-end={format!("url(#arrow-{state})")} />
                        </g>
                    }
                }) }
            </svg>
        </figure>
    }
}
