//! A sequence diagram drawn as SVG: one lifeline per context, one arrow per message, the steps
//! already seen in colour and the ones still to come in grey.

use yew::prelude::*;

#[derive(Clone, PartialEq)]
pub struct Step {
    pub from: usize,
    pub to: usize,
    pub label: AttrValue,
    pub done: bool,
}

#[derive(Properties, PartialEq)]
pub struct SequenceDiagramProps {
    pub lanes: Vec<AttrValue>,
    pub steps: Vec<Step>,
    #[prop_or_default]
    pub title: AttrValue,
}

const WIDTH: f64 = 520.0;
const TOP: f64 = 44.0;
const ROW: f64 = 34.0;
const MARGIN: f64 = 80.0;

#[component]
pub fn SequenceDiagram(props: &SequenceDiagramProps) -> Html {
    let lanes = props.lanes.len().max(2);
    let x = |lane: usize| MARGIN + (WIDTH - 2.0 * MARGIN) * lane as f64 / (lanes - 1) as f64;
    let height = TOP + ROW * props.steps.len() as f64 + 16.0;
    html! {
        <figure class="diagram" data-testid="diagram">
            <svg viewBox={format!("0 0 {WIDTH} {height}")} role="img" aria-label={props.title.clone()}>
                <defs>
                    <marker id="arrow-done" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path d="M0,0 L10,5 L0,10 z" class="arrow-done" />
                    </marker>
                    <marker id="arrow-todo" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path d="M0,0 L10,5 L0,10 z" class="arrow-todo" />
                    </marker>
                </defs>
                { for props.lanes.iter().enumerate().map(|(i, name)| html! {
                    <g class="lane">
                        <text x={x(i).to_string()} y="18" text-anchor="middle" class="lane-name">{name.clone()}</text>
                        <line x1={x(i).to_string()} y1="26" x2={x(i).to_string()} y2={(height - 6.0).to_string()} class="lifeline" />
                    </g>
                }) }
                { for props.steps.iter().enumerate().map(|(i, step)| {
                    let y = TOP + ROW * i as f64 + 14.0;
                    let (x1, x2) = (x(step.from), x(step.to));
                    let state = if step.done { "done" } else { "todo" };
                    if step.from == step.to {
                        // A message a context sends itself: a small loop beside its lifeline.
                        let d = format!("M{x1},{} h36 v14 h-34", y - 10.0);
                        return html! {
                            <g class={classes!("step", state)} data-testid="diagram-step" data-done={step.done.to_string()}>
                                <text x={(x1 + 42.0).to_string()} y={(y + 1.0).to_string()} text-anchor="start" class="step-label">
                                    {step.label.clone()}
                                </text>
                                <path d={d} fill="none" class="step-line" marker-end={format!("url(#arrow-{state})")} />
                            </g>
                        };
                    }
                    html! {
                        <g class={classes!("step", state)} data-testid="diagram-step" data-done={step.done.to_string()}>
                            <text x={((x1 + x2) / 2.0).to_string()} y={(y - 6.0).to_string()} text-anchor="middle" class="step-label">
                                {step.label.clone()}
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
