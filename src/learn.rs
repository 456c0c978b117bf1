//! The walkthrough as data: chapters of steps, and the reader's progress through them. A step says
//! what to do and what the reader should see; it is ticked when the route's state shows it
//! happened (each state's `reached`, tested natively), never on the reader's word. Pure: the
//! progress is kept in localStorage by `transport/learn_store.rs`.

use std::collections::BTreeSet;

use crate::i18n::Text;

/// One step of a chapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuideStep {
    /// Unique within its chapter (`data-step`, and the progress key `<chapter>/<id>`).
    pub id: &'static str,
    /// What to do, in a sentence.
    pub task: Text,
    /// What the reader should see when it works.
    pub see: Text,
    /// The `data-testid` of the part of the page to look at, highlighted while the step is doing.
    pub highlight: &'static str,
    /// Whether the step needs a second tab of the same route (the guide offers to open one).
    pub two_tabs: bool,
}

impl GuideStep {
    pub const fn new(id: &'static str, task: Text, see: Text, highlight: &'static str) -> GuideStep {
        GuideStep { id, task, see, highlight, two_tabs: false }
    }

    /// The same step, needing a second tab.
    pub const fn in_two_tabs(self) -> GuideStep {
        GuideStep { two_tabs: true, ..self }
    }
}

/// The walkthrough's order: one context, then many; same origin, then across origins, then
/// across machines. Every mechanism of the catalog is here once (a test holds it).
pub const ORDER: &[&str] = &[
    "worker-port",
    "broadcast",
    "storage",
    "indexeddb",
    "shared-worker",
    "service-worker",
    "web-locks",
    "stock-sync",
    "payment",
    "atomics",
    "websocket",
    "webrtc",
];

/// Where a step stands for the reader (`data-state` of `step`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    Todo,
    /// The first step of its chapter not yet done: the one to do now.
    Doing,
    Done,
}

impl StepState {
    pub fn as_attr(self) -> &'static str {
        match self {
            StepState::Todo => "todo",
            StepState::Doing => "doing",
            StepState::Done => "done",
        }
    }
}

/// Steps the reader has done, as `<chapter>/<step>`: what localStorage keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    done: BTreeSet<String>,
}

/// The most steps kept: far more than the walkthrough has, so a tampered store stays small.
pub const MAX_STEPS: usize = 256;
/// The longest stored progress read back (characters).
pub const MAX_STORED: usize = 16 * 1024;

impl Progress {
    fn key(chapter: &str, step: &str) -> String {
        format!("{chapter}/{step}")
    }

    pub fn is_done(&self, chapter: &str, step: &str) -> bool {
        self.done.contains(&Progress::key(chapter, step))
    }

    /// Marks a step done; whether it was new.
    pub fn tick(&mut self, chapter: &str, step: &str) -> bool {
        self.done.len() < MAX_STEPS && self.done.insert(Progress::key(chapter, step))
    }

    /// Each step's state in `chapter`: done, the first of the rest doing, the others todo.
    pub fn states(&self, chapter: &str, steps: &[GuideStep]) -> Vec<StepState> {
        let mut doing_given = false;
        steps
            .iter()
            .map(|step| match self.is_done(chapter, step.id) {
                true => StepState::Done,
                false if !doing_given => {
                    doing_given = true;
                    StepState::Doing
                }
                false => StepState::Todo,
            })
            .collect()
    }

    /// How many of `chapters`' steps are done, of how many.
    pub fn count<'a>(
        &self,
        chapters: impl IntoIterator<Item = (&'a str, &'a [GuideStep])>,
    ) -> (usize, usize) {
        chapters.into_iter().fold((0, 0), |(done, all), (chapter, steps)| {
            let here = steps.iter().filter(|s| self.is_done(chapter, s.id)).count();
            (done + here, all + steps.len())
        })
    }

    /// As carried in a link to another of the suite's origins (`?learned=`): the done steps,
    /// comma-separated. Progress is kept per origin; the link takes it across.
    pub fn to_carried(&self) -> String {
        self.done.iter().cloned().collect::<Vec<_>>().join(",")
    }

    /// What a `?learned=` link carried, checked as stored progress is.
    pub fn from_carried(text: &str) -> Progress {
        Progress::from_stored(&text.replace(',', "\n"))
    }

    /// The steps done, as (chapter, step).
    pub fn steps(&self) -> impl Iterator<Item = (&str, &str)> {
        self.done.iter().filter_map(|key| key.split_once('/'))
    }

    /// As stored: the done steps, one per line.
    pub fn to_stored(&self) -> String {
        self.done.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    /// Reads what was stored; anything that is not a `chapter/step` name is dropped, and a store
    /// too long is not read at all (it is outside data like any other).
    pub fn from_stored(text: &str) -> Progress {
        if text.len() > MAX_STORED {
            return Progress::default();
        }
        let valid = |line: &&str| {
            line.split_once('/').is_some_and(|(c, s)| {
                let name = |w: &str| {
                    !w.is_empty()
                        && w.len() <= 40
                        && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                };
                name(c) && name(s)
            })
        };
        let done = text.lines().map(str::trim).filter(valid).take(MAX_STEPS).map(str::to_owned).collect();
        Progress { done }
    }
}

/// The query parameter that carries progress to another of the suite's origins.
pub const CARRY_PARAM: &str = "learned";

/// The label of the `n`-th tab a reader opened on a route: A, B, … Z, then 27, 28…
pub fn tab_label(n: u32) -> String {
    match n {
        0..=25 => char::from(b'A' + n as u8).to_string(),
        _ => (n + 1).to_string(),
    }
}

/// The next tab's label after `label` (what "Open another tab" names the tab it opens).
pub fn next_tab_label(label: &str) -> String {
    let n = match label.as_bytes() {
        [c @ b'A'..=b'Z'] => u32::from(c - b'A'),
        _ => label.parse::<u32>().map_or(0, |n| n.saturating_sub(1)),
    };
    tab_label(n.saturating_add(1))
}

/// A tab label from a page's query (`?tab=B`), if it is one.
pub fn parse_tab_label(text: &str) -> Option<String> {
    let valid = match text.as_bytes() {
        [b'A'..=b'Z'] => true,
        digits => !digits.is_empty() && digits.len() <= 4 && digits.iter().all(u8::is_ascii_digit),
    };
    valid.then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEPS: &[GuideStep] = &[
        GuideStep::new("one", Text::UiSend, Text::UiSend, "status"),
        GuideStep::new("two", Text::UiSend, Text::UiSend, "log"),
        GuideStep::new("three", Text::UiSend, Text::UiSend, "log"),
    ];

    #[test]
    fn progress_carried_to_another_origin_reads_back_checked() {
        let mut progress = Progress::default();
        progress.tick("atomics", "ping");
        progress.tick("atomics", "isolated");
        let carried = progress.to_carried();
        assert_eq!(Progress::from_carried(&carried), progress);
        let mut steps: Vec<(&str, &str)> = progress.steps().collect();
        steps.sort_unstable();
        assert_eq!(steps, [("atomics", "isolated"), ("atomics", "ping")]);
        let forged = Progress::from_carried("atomics/ping,<script>/x,,broadcast/join");
        assert_eq!(forged.steps().count(), 2, "what is not a step name is dropped");
    }

    #[test]
    fn the_first_step_not_done_is_doing_and_the_rest_wait() {
        let mut progress = Progress::default();
        let attrs = |p: &Progress| {
            p.states("broadcast", STEPS).into_iter().map(StepState::as_attr).collect::<Vec<_>>()
        };
        assert_eq!(attrs(&progress), ["doing", "todo", "todo"]);
        assert!(progress.tick("broadcast", "two"));
        assert!(!progress.tick("broadcast", "two"), "once");
        assert_eq!(attrs(&progress), ["doing", "done", "todo"], "steps done out of order stay done");
        progress.tick("broadcast", "one");
        assert_eq!(attrs(&progress), ["done", "done", "doing"]);
        assert!(!progress.is_done("storage", "one"), "chapters are apart");
        assert_eq!(progress.count([("broadcast", STEPS), ("storage", STEPS)]), (2, 6));
    }

    #[test]
    fn progress_survives_being_stored_and_a_tampered_store_is_read_safely() {
        let mut progress = Progress::default();
        progress.tick("broadcast", "second-tab");
        progress.tick("worker-port", "ready");
        assert_eq!(Progress::from_stored(&progress.to_stored()), progress);
        let tampered = "broadcast/second-tab\n<script>/x\nno-slash\n/empty\nok/ok\n";
        let read = Progress::from_stored(tampered);
        assert!(read.is_done("broadcast", "second-tab") && read.is_done("ok", "ok"));
        assert_eq!(read.to_stored().lines().count(), 2);
        assert_eq!(Progress::from_stored(&"a/b\n".repeat(MAX_STORED)), Progress::default());
        let many: String = (0..1000).map(|n| format!("c/s{n}\n")).collect();
        assert_eq!(Progress::from_stored(&many).to_stored().lines().count(), MAX_STEPS);
    }

    #[test]
    fn tabs_are_labelled_a_b_c_and_the_next_one_follows() {
        assert_eq!(
            (tab_label(0), tab_label(1), tab_label(25), tab_label(26)),
            ("A".into(), "B".into(), "Z".into(), "27".into())
        );
        assert_eq!(next_tab_label("A"), "B");
        assert_eq!(next_tab_label("Z"), "27");
        assert_eq!(next_tab_label("27"), "28");
        assert_eq!(parse_tab_label("C").as_deref(), Some("C"));
        for bad in ["", "c", "AB", "<b>", "12345"] {
            assert_eq!(parse_tab_label(bad), None, "{bad}");
        }
    }
}
