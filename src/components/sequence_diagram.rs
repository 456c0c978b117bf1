//! A sequence diagram drawn as SVG: one lifeline per context, one arrow per message, the steps
//! already seen in colour and the ones still to come in grey.
//!
//! Progress is derived from the log, the same way on every route: a step is done once the log
//! has an accepted entry of one of its (direction, kind) pairs. The step of the newest entry lights
//! up as it is logged (`data-lit="true"`), so the diagram moves with the real messages.

use yew::prelude::*;

use crate::i18n::use_i18n;

use crate::components::message_log::LogView;
use crate::log::Direction;

/// One arrow of a route's diagram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    pub from: usize,
    pub to: usize,
    pub label: &'static str,
    /// The log entries that show this step happened; empty for a step that never happens (a
    /// lesson: "nothing to the writer").
    pub seen: &'static [(Direction, &'static str)],
}

impl Step {
    pub const fn new(
        from: usize,
        to: usize,
        label: &'static str,
        seen: &'static [(Direction, &'static str)],
    ) -> Step {
        Step { from, to, label, seen }
    }
}

/// A route's diagram: who talks, and in which steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Diagram {
    pub title: &'static str,
    pub lanes: &'static [&'static str],
    pub steps: &'static [Step],
}

#[derive(Properties, PartialEq)]
pub struct SequenceDiagramProps {
    pub diagram: Diagram,
    pub log: LogView,
}

/// Which steps of `diagram` the log shows done.
pub fn progress(diagram: &Diagram, log: &crate::log::LogBook) -> Vec<bool> {
    diagram.steps.iter().map(|step| step.seen.iter().any(|(dir, kind)| log.seen(*dir, kind))).collect()
}

/// The step the newest log entry belongs to, with that entry's id: the one to light up.
pub fn lit_step(diagram: &Diagram, log: &crate::log::LogBook) -> Option<(usize, u64)> {
    let newest = log.entries().next_back()?;
    let (dir, kind) = (newest.entry.dir, newest.entry.kind.as_str());
    let step =
        diagram.steps.iter().position(|step| step.seen.iter().any(|(d, k)| *d == dir && *k == kind))?;
    Some((step, newest.id))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::{Entry, LogBook};

    const DIAGRAM: Diagram = Diagram {
        title: "t",
        lanes: &["a", "b"],
        steps: &[
            Step::new(0, 1, "hello", &[(Direction::Out, "hello")]),
            Step::new(1, 0, "text in", &[(Direction::In, "text")]),
            Step::new(1, 0, "nothing ever", &[]),
        ],
    };

    fn entry(dir: Direction, kind: &str) -> Entry {
        let mut e = Entry::system(kind, "", 0.0);
        e.dir = dir;
        e
    }

    #[test]
    fn the_newest_entry_lights_its_step_and_each_new_one_lights_it_again() {
        let mut log = LogBook::default();
        assert_eq!(lit_step(&DIAGRAM, &log), None);
        log.push(entry(Direction::Out, "hello"));
        assert_eq!(lit_step(&DIAGRAM, &log), Some((0, 0)));
        log.push(entry(Direction::In, "text"));
        log.push(entry(Direction::In, "text"));
        assert_eq!(lit_step(&DIAGRAM, &log), Some((1, 2)), "the same step, a new entry: lit again");
        log.push(entry(Direction::System, "join"));
        assert_eq!(lit_step(&DIAGRAM, &log), None, "an entry of no step lights none");
    }
}
