//! A route's sequence diagram as data: who talks (lanes) and in which steps, and which steps the
//! log shows done. Pure, tested natively; `components::sequence_diagram` draws it.

use crate::log::{Direction, LogBook};

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

/// Which steps of `diagram` the log shows done.
pub fn progress(diagram: &Diagram, log: &LogBook) -> Vec<bool> {
    diagram.steps.iter().map(|step| step.seen.iter().any(|(dir, kind)| log.seen(*dir, kind))).collect()
}

/// The step the newest log entry belongs to, with that entry's id: the one to light up.
pub fn lit_step(diagram: &Diagram, log: &LogBook) -> Option<(usize, u64)> {
    let newest = log.entries().next_back()?;
    let (dir, kind) = (newest.entry.dir, newest.entry.kind.as_str());
    let step =
        diagram.steps.iter().position(|step| step.seen.iter().any(|(d, k)| *d == dir && *k == kind))?;
    Some((step, newest.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::Entry;

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
