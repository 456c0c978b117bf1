//! The benchmark route's state: the plan, how far the run is, and one row per mechanism and
//! payload with both sides' figures. Page: `pages/bench.rs`; the crosstalk side:
//! `transport/bench.rs`; the plain-JS side: `static/bench_baseline.js`.

use crosstalk_protocol::bench::{Counts, Figures, Mechanism, Report, Row, Side, PAYLOADS, ROUNDS};
use crosstalk_protocol::query::param;

use super::RouteState;
use crate::log::{Entry, LogBook};

/// The fewest round trips, or messages of a burst, a quick run times.
pub const MIN_TIMED: u32 = 200;

/// What a run measures, from the page's query (`?mechanisms=a,b&payloads=100&quick=1&cloned=1`):
/// every mechanism and payload unless narrowed; `quick` sends a tenth of the messages (for
/// tests); `cloned` sends envelopes as objects the browser clones, where the mechanism can.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub mechanisms: Vec<Mechanism>,
    pub payloads: Vec<usize>,
    pub quick: bool,
    pub cloned: bool,
}

impl Default for Plan {
    fn default() -> Self {
        Plan { mechanisms: Mechanism::ALL.to_vec(), payloads: PAYLOADS.to_vec(), quick: false, cloned: false }
    }
}

impl Plan {
    pub fn from_query(search: &str) -> Plan {
        let mut plan = Plan::default();
        if let Some(list) = param(search, "mechanisms") {
            let chosen: Vec<Mechanism> = list.split(',').filter_map(Mechanism::from_slug).collect();
            if !chosen.is_empty() {
                plan.mechanisms = chosen;
            }
        }
        if let Some(list) = param(search, "payloads") {
            let chosen: Vec<usize> = list
                .split(',')
                .filter_map(|p| p.parse().ok())
                .filter(|p| (1..=200_000).contains(p))
                .collect();
            if !chosen.is_empty() {
                plan.payloads = chosen;
            }
        }
        plan.quick = param(search, "quick").is_some_and(|v| v != "0");
        plan.cloned = param(search, "cloned").is_some_and(|v| v != "0");
        plan
    }

    /// Every case, mechanism by mechanism.
    pub fn cases(&self) -> Vec<(Mechanism, usize)> {
        self.mechanisms.iter().flat_map(|&m| self.payloads.iter().map(move |&p| (m, p))).collect()
    }

    pub fn counts(&self, mechanism: Mechanism, payload: usize) -> Counts {
        let counts = mechanism.counts(payload);
        if !self.quick {
            return counts;
        }
        let tenth = |n: u32| (n / 10).max(5);
        // Timed runs stay long enough to be timed: Firefox gives pages a 1 ms clock, and a
        // tenth of a fast mechanism's round trips (50 cloned 10 KB posts) can end inside one
        // tick, which reads as 0 µs. Never more than the full run, whose limits stand (WebSocket).
        let timed = |n: u32| (n / 10).max(MIN_TIMED).min(n);
        Counts {
            warmup: tenth(counts.warmup),
            round_trips: timed(counts.round_trips),
            burst: timed(counts.burst),
        }
    }
}

/// The order of a case's measurements: each side [`ROUNDS`] times, alternating, and which goes
/// first alternates from case to case, so neither always gets the warmer browser.
pub fn order(case_index: usize) -> Vec<Side> {
    let pair = if case_index % 2 == 0 {
        [Side::Crosstalk, Side::Baseline]
    } else {
        [Side::Baseline, Side::Crosstalk]
    };
    (0..ROUNDS).flat_map(|_| pair).collect()
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct BenchState {
    pub rows: Vec<Row>,
    /// Measurements in the plan (both sides, every round, of each case that can run) and how
    /// many have finished.
    pub steps: usize,
    pub done: usize,
    pub running: bool,
    /// What is being measured now.
    pub current: Option<String>,
    pub runs: u32,
    /// Whether this run sends envelopes as cloned objects.
    pub cloned: bool,
}

pub enum Action {
    Start(Plan),
    Measuring { mechanism: Mechanism, payload: usize, side: Side },
    Measured { mechanism: Mechanism, payload: usize, side: Side, figures: Figures, logged: Option<u64> },
    Failed { mechanism: Mechanism, payload: usize, side: Side, why: String },
    Finished,
}

fn side_label(side: Side) -> &'static str {
    match side {
        Side::Crosstalk => "crosstalk",
        Side::Baseline => "plain JS",
    }
}

fn case_label(mechanism: Mechanism, payload: usize, side: Side) -> String {
    format!("{} · {} · {}", mechanism.label(), bytes_label(payload), side_label(side))
}

/// `100 B`, `10 KB`, `100 KB`.
pub fn bytes_label(bytes: usize) -> String {
    if bytes >= 1000 && bytes % 1000 == 0 {
        format!("{} KB", bytes / 1000)
    } else {
        format!("{bytes} B")
    }
}

impl BenchState {
    /// 0 to 1.
    pub fn progress(&self) -> f64 {
        if self.steps == 0 {
            0.0
        } else {
            self.done as f64 / self.steps as f64
        }
    }

    pub fn state_attr(&self) -> &'static str {
        match (self.running, self.runs) {
            (true, _) => "running",
            (false, 0) => "idle",
            (false, _) => "done",
        }
    }

    pub fn report(&self, user_agent: String) -> Report {
        Report { user_agent, rows: self.rows.clone(), cloned: self.cloned }
    }

    fn row_mut(&mut self, mechanism: Mechanism, payload: usize) -> Option<&mut Row> {
        self.rows.iter_mut().find(|r| r.mechanism == mechanism.slug() && r.payload_bytes == payload)
    }
}

impl RouteState for BenchState {
    type Action = Action;

    fn apply(&mut self, action: Action, at_ms: f64, log: &mut LogBook) {
        match action {
            Action::Start(plan) => {
                self.rows = plan.cases().into_iter().map(|(m, p)| Row::new(m, p)).collect();
                self.steps = self.rows.iter().filter(|r| r.note.is_none()).count() * 2 * ROUNDS;
                self.done = 0;
                self.running = true;
                self.cloned = plan.cloned;
                self.runs += 1;
                let wire = if plan.cloned {
                    "envelopes as cloned objects where the mechanism can"
                } else {
                    "envelopes as JSON text"
                };
                log.push(Entry::system(
                    "run",
                    format!("run {}: {} measurements, each side interleaved, {wire}", self.runs, self.steps),
                    at_ms,
                ));
            }
            Action::Measuring { mechanism, payload, side } => {
                self.current = Some(case_label(mechanism, payload, side));
            }
            Action::Measured { mechanism, payload, side, figures, logged } => {
                self.done += 1;
                let said = format!(
                    "{}: {:.1} µs round trip, {:.0} msgs/s{}",
                    case_label(mechanism, payload, side),
                    figures.rtt_us.unwrap_or(f64::NAN),
                    figures.msgs_per_s.unwrap_or(f64::NAN),
                    logged.map(|n| format!(" ({n} log entries)")).unwrap_or_default()
                );
                log.push(Entry::system("measured", said, at_ms));
                if let Some(row) = self.row_mut(mechanism, payload) {
                    row.record(side, figures);
                }
            }
            Action::Failed { mechanism, payload, side, why } => {
                self.done += 1;
                let said = format!("{}: {why}", case_label(mechanism, payload, side));
                log.push(Entry::system("failed", said.clone(), at_ms));
                if let Some(row) = self.row_mut(mechanism, payload) {
                    // Each round fails the same way where the browser lacks the API: said once.
                    let this = format!("{}: {why}", side_label(side));
                    row.note = Some(match row.note.take() {
                        Some(earlier) if earlier.split("; ").any(|n| n == this) => earlier,
                        Some(earlier) => format!("{earlier}; {this}"),
                        None => this,
                    });
                }
            }
            Action::Finished => {
                self.running = false;
                self.current = None;
                log.push(Entry::system("done", format!("run {} finished", self.runs), at_ms));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(rtt: f64, rate: f64) -> Figures {
        Figures { rtt_us: Some(rtt), msgs_per_s: Some(rate) }
    }

    #[test]
    fn the_query_narrows_the_plan_and_ignores_what_it_does_not_know() {
        assert_eq!(Plan::from_query(""), Plan::default());
        let plan = Plan::from_query("?mechanisms=broadcast,pigeon,storage&payloads=100,abc,0&quick=1");
        assert_eq!(plan.mechanisms, [Mechanism::Broadcast, Mechanism::Storage]);
        assert_eq!(plan.payloads, [100]);
        assert!(plan.quick);
        assert_eq!(plan.cases(), [(Mechanism::Broadcast, 100), (Mechanism::Storage, 100)]);
        assert_eq!(Plan::from_query("?mechanisms=pigeon").mechanisms.len(), Mechanism::ALL.len());
        let quick = plan.counts(Mechanism::Broadcast, 100);
        assert_eq!(quick.round_trips, Mechanism::Broadcast.counts(100).round_trips / 10);
        let tenk = plan.counts(Mechanism::Broadcast, 10_000);
        assert_eq!((tenk.round_trips, tenk.burst), (MIN_TIMED, MIN_TIMED), "long enough to be timed");
        let relay = plan.counts(Mechanism::WebSocket, 100_000);
        assert!(relay.round_trips <= 80 && relay.burst <= 90, "never past the relay's rate limit");
        assert!(quick.warmup >= 5);
    }

    #[test]
    fn sides_alternate_which_goes_first() {
        assert_eq!(order(0)[..4], [Side::Crosstalk, Side::Baseline, Side::Crosstalk, Side::Baseline]);
        assert_eq!(order(1)[..2], [Side::Baseline, Side::Crosstalk]);
        assert_eq!(order(1).len(), 2 * ROUNDS);
    }

    #[test]
    fn a_run_counts_its_steps_fills_rows_and_finishes() {
        let mut state = BenchState::default();
        let mut log = LogBook::default();
        assert_eq!(state.state_attr(), "idle");
        let plan = Plan::from_query("?mechanisms=worker-port,websocket&payloads=100,100000");
        state.apply(Action::Start(plan), 0.0, &mut log);
        // WebSocket at 100 KB is over the relay's frame limit: one row, noted, no steps.
        assert_eq!(state.rows.len(), 4);
        assert_eq!(state.steps, 3 * 2 * ROUNDS);
        assert_eq!(state.state_attr(), "running");
        let (m, p) = (Mechanism::WorkerPort, 100);
        state.apply(
            Action::Measured {
                mechanism: m,
                payload: p,
                side: Side::Crosstalk,
                figures: figures(30.0, 9000.0),
                logged: Some(10),
            },
            1.0,
            &mut log,
        );
        state.apply(
            Action::Measured {
                mechanism: m,
                payload: p,
                side: Side::Baseline,
                figures: figures(20.0, 10000.0),
                logged: None,
            },
            2.0,
            &mut log,
        );
        assert!((state.progress() - 2.0 / (3 * 2 * ROUNDS) as f64).abs() < 1e-9);
        assert!((state.rows[0].rtt_ratio().unwrap() - 1.5).abs() < 1e-9);
        // A second, slower round does not replace the first one's figures.
        let slower = figures(40.0, 8000.0);
        let again = Action::Measured {
            mechanism: m,
            payload: p,
            side: Side::Crosstalk,
            figures: slower,
            logged: None,
        };
        state.apply(again, 2.5, &mut log);
        assert!((state.rows[0].rtt_ratio().unwrap() - 1.5).abs() < 1e-9);
        state.apply(
            Action::Failed { mechanism: m, payload: 100_000, side: Side::Baseline, why: "boom".into() },
            3.0,
            &mut log,
        );
        assert_eq!(state.rows[1].note.as_deref(), Some("plain JS: boom"));
        // The same failure in the next round, and the other side's: each said once.
        for (side, why) in [(Side::Baseline, "boom"), (Side::Crosstalk, "bang"), (Side::Crosstalk, "bang")] {
            state.apply(
                Action::Failed { mechanism: m, payload: 100_000, side, why: why.into() },
                3.5,
                &mut log,
            );
        }
        assert_eq!(state.rows[1].note.as_deref(), Some("plain JS: boom; crosstalk: bang"));
        state.apply(Action::Finished, 4.0, &mut log);
        assert_eq!(state.state_attr(), "done");
        assert!(log.entries().any(|e| e.entry.payload.text().contains("boom")));
        assert_eq!(state.report("ua".into()).rows.len(), 4);
    }

    #[test]
    fn byte_labels_read_naturally() {
        assert_eq!(bytes_label(100), "100 B");
        assert_eq!(bytes_label(10_000), "10 KB");
        assert_eq!(bytes_label(1234), "1234 B");
    }
}
