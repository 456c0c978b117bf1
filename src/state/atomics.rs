//! The Atomics route's state: whether the page is isolated, the ring's slots as last written and
//! read, the hops counted, and what the log says of each request, reply, refused slot, run, the
//! main thread's refusal to block, and the buffer offered to other tabs. Page: `pages/atomics.rs`;
//! transport: `transport/atomics.rs`; worker: `workers/atomics_worker.rs`.

use crosstalk_protocol::atomics::{AtomicsMsg, SlotState, SLOTS};
use crosstalk_protocol::Reason;

use super::told::{Own, OwnOf};
use super::RouteState;
use crate::diagram::{Diagram, Step};
use crate::i18n::{Said, Text};
use crate::learn::GuideStep;
use crate::log::{Direction, Entry, LogBook};
use crate::said;
use crate::transport::atomics::{AtomicsEvent, AtomicsRingEvent};
use crate::transport::LinkState;

pub const DIAGRAM: Diagram = Diagram {
    title: "A ring in shared memory",
    lanes: &["page", "SharedArrayBuffer", "worker"],
    steps: &[
        Step::new(0, 2, "postMessage(buffer), once", &[(Direction::In, "attached")]),
        Step::new(0, 1, "write a slot, Atomics.notify", &[(Direction::Out, "write")]),
        Step::new(1, 2, "Atomics.wait returns", &[(Direction::Out, "write")]),
        Step::new(2, 1, "reply in the slot, Atomics.notify", &[(Direction::In, "reply")]),
        Step::new(1, 0, "Atomics.waitAsync resolves", &[(Direction::In, "reply")]),
    ],
};

/// One slot as the page last saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotView {
    pub state: SlotState,
    /// The request's number, once one went through the slot.
    pub n: Option<u32>,
    pub text: String,
}

impl Default for SlotView {
    fn default() -> Self {
        SlotView { state: SlotState::Empty, n: None, text: String::new() }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AtomicsState {
    pub link: LinkState,
    /// `crossOriginIsolated`, once read.
    pub isolated: Option<bool>,
    pub slots: Vec<SlotView>,
    /// Round trips through the ring: single pings and every hop of a run.
    pub hops: u64,
    pub last_round_trip_ms: Option<f64>,
    /// The last run: hops, and how long it took.
    pub last_run: Option<(u32, f64)>,
    /// How the page waits for replies.
    pub waiting: &'static str,
    pub block_refused: Option<Reason>,
    /// What became of the buffer offered to the other tabs (here, or where it arrived).
    pub offer_refused: Option<Reason>,
    pub refused_slots: u32,
    /// The limit row: `idle`, `running`, `done` or `error`, and its rows.
    pub limit_state: &'static str,
    pub limit: Vec<LimitRow>,
}

impl Default for AtomicsState {
    fn default() -> Self {
        AtomicsState {
            link: LinkState::Connecting,
            isolated: None,
            slots: vec![SlotView::default(); SLOTS as usize],
            hops: 0,
            last_round_trip_ms: None,
            last_run: None,
            waiting: "",
            block_refused: None,
            offer_refused: None,
            refused_slots: 0,
            limit_state: "idle",
            limit: Vec::new(),
        }
    }
}

pub enum Action {
    Ring(OwnOf<AtomicsRingEvent>),
    Restarting,
    /// The limit row's measurements began.
    Measuring,
    /// One of them is done.
    Limit(LimitRow),
    /// All are done, or one failed (why).
    Measured(Option<String>),
}

/// One measurement of the limit row: Atomics or postMessage, through crosstalk or plain JS.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitRow {
    /// `atomics` or `postmessage`.
    pub case: &'static str,
    /// `crosstalk` or `plain-js`.
    pub side: &'static str,
    pub rtt_us: f64,
    pub msgs_per_s: f64,
}

impl LimitRow {
    pub fn new(case: &'static str, side: &'static str, rtt_us: f64, msgs_per_s: f64) -> LimitRow {
        LimitRow { case, side, rtt_us, msgs_per_s }
    }
}

/// The route's `data-state` words. Without shared memory: `not-isolated` where the page is not
/// isolated, `unsupported` where it is and the browser still has none (WebKitGTK).
pub fn state_attr(link: &LinkState, isolated: Option<bool>) -> &'static str {
    match link {
        LinkState::Connecting => "loading",
        LinkState::Ready => "ready",
        LinkState::Closed => "stopped",
        LinkState::Unsupported if isolated == Some(true) => "unsupported",
        LinkState::Unsupported => "not-isolated",
        LinkState::Failed(_) => "error",
    }
}

pub fn state_detail(link: &LinkState, isolated: Option<bool>) -> Said {
    match link {
        LinkState::Connecting => said!(AtomicsStarting),
        LinkState::Ready => said!(AtomicsReady),
        LinkState::Closed => said!(WorkerStopped),
        LinkState::Unsupported => no_shared_memory(isolated),
        LinkState::Failed(reason) => said!(Plain, reason),
    }
}

/// Why there is no ring: the page is not isolated, or the browser has no shared memory at all.
fn no_shared_memory(isolated: Option<bool>) -> Said {
    match isolated {
        Some(true) => said!(AtomicsNoSharedMemory),
        _ => said!(AtomicsNotIsolated),
    }
}

/// The walkthrough's chapter: isolation, one message around the ring, a run, and the two things
/// it cannot do.
pub const CHAPTER: &[GuideStep] = &[
    GuideStep::new("isolated", Text::LearnAtomicsIsolated, Text::LearnAtomicsIsolatedSee, "isolated"),
    GuideStep::new("ping", Text::LearnAtomicsPing, Text::LearnAtomicsPingSee, "ring"),
    GuideStep::new("hops", Text::LearnAtomicsHops, Text::LearnAtomicsHopsSee, "hops"),
    GuideStep::new("block", Text::LearnAtomicsBlock, Text::LearnAtomicsBlockSee, "log"),
    GuideStep::new("share", Text::LearnAtomicsShare, Text::LearnAtomicsShareSee, "log").in_two_tabs(),
];

impl RouteState for AtomicsState {
    type Action = Action;

    fn chapter() -> (&'static str, &'static [GuideStep]) {
        ("atomics", CHAPTER)
    }

    fn reached(&self, step: &str) -> bool {
        match step {
            "isolated" => self.isolated == Some(true),
            "ping" => self.last_round_trip_ms.is_some(),
            "hops" => self.last_run.is_some(),
            "block" => self.block_refused.is_some(),
            "share" => self.offer_refused.is_some(),
            _ => false,
        }
    }

    fn apply(&mut self, action: Action, at_ms: f64, log: &mut LogBook) {
        let entry = match action {
            Action::Ring(event) => match self.on_event(event, at_ms) {
                Some(entry) => entry,
                None => return,
            },
            Action::Measuring => {
                self.limit_state = "running";
                self.limit.clear();
                Entry::said("limit", said!(AtomicsLimitRunning), at_ms)
            }
            Action::Limit(row) => {
                let said = said!(
                    AtomicsLimitRow,
                    row.case,
                    row.side,
                    format!("{:.2}", row.rtt_us),
                    format!("{:.0}", row.msgs_per_s)
                );
                self.limit.push(row);
                Entry::said("limit", said, at_ms)
            }
            Action::Measured(None) => {
                self.limit_state = "done";
                Entry::said("limit", said!(AtomicsLimitDone), at_ms)
            }
            Action::Measured(Some(why)) => {
                self.limit_state = "error";
                Entry::said("limit", said!(StateError, why.clone()), at_ms)
                    .rejected(Reason::new(crosstalk_protocol::ReasonCode::NotReady, why))
            }
            Action::Restarting => {
                *self = AtomicsState {
                    isolated: self.isolated,
                    hops: self.hops,
                    limit: std::mem::take(&mut self.limit),
                    limit_state: self.limit_state,
                    ..AtomicsState::default()
                };
                log.reset_progress();
                Entry::said("restart", said!(RestartingWorker), at_ms)
            }
        };
        log.push(entry);
    }
}

impl AtomicsState {
    fn on_event(&mut self, own: OwnOf<AtomicsRingEvent>, at_ms: f64) -> Option<Entry> {
        Some(match own {
            Own::State(link) => {
                let said = match &link {
                    LinkState::Connecting => said!(WorkerLoading),
                    LinkState::Ready => said!(AtomicsAttached),
                    LinkState::Closed => said!(WorkerTerminated),
                    LinkState::Failed(reason) => said!(StateError, reason),
                    LinkState::Unsupported => no_shared_memory(self.isolated),
                };
                self.link = link;
                Entry::said("state", said, at_ms)
            }
            Own::Sent { envelope, .. } => Entry::sent(&envelope, envelope.kind(), at_ms),
            Own::Received { envelope, .. } => {
                let said = match &envelope.body {
                    AtomicsMsg::Ready => said!(AtomicsWorkerReady),
                    AtomicsMsg::Attached { bytes, slots } => said!(AtomicsWorkerAttached, bytes, slots),
                    AtomicsMsg::Refused { why } => said!(Plain, why),
                };
                Entry::received(&envelope, String::new(), at_ms).saying(said)
            }
            Own::Other(other) => return self.on_ring(other, at_ms),
        })
    }

    fn on_ring(&mut self, event: AtomicsEvent, at_ms: f64) -> Option<Entry> {
        Some(match event {
            AtomicsEvent::Isolated(isolated) => {
                self.isolated = Some(isolated);
                let said = if isolated { said!(AtomicsIsolatedYes) } else { said!(AtomicsIsolatedNo) };
                Entry::said("isolation", said, at_ms)
            }
            AtomicsEvent::Waiting(how) => {
                self.waiting = how;
                Entry::said("waiting", said!(AtomicsWaitsWith, how), at_ms)
            }
            AtomicsEvent::Wrote { n, slot, text, claimed } => {
                self.slots[slot as usize] =
                    SlotView { state: SlotState::Request, n: Some(n), text: text.clone() };
                let said = said!(AtomicsWrote, text, slot, claimed);
                Entry { dir: Direction::Out, seq: Some(u64::from(n)), ..Entry::said("write", said, at_ms) }
            }
            AtomicsEvent::Read { n, slot, text, ms } => {
                self.slots[slot as usize] =
                    SlotView { state: SlotState::Reply, n: Some(n), text: text.clone() };
                self.hops += 1;
                self.last_round_trip_ms = Some(ms);
                let said = said!(AtomicsRead, text, slot, format!("{ms:.2}"));
                Entry { dir: Direction::In, seq: Some(u64::from(n)), ..Entry::said("reply", said, at_ms) }
            }
            AtomicsEvent::SlotRefused { n, slot, reason } => {
                self.slots[slot as usize] =
                    SlotView { state: SlotState::Refused, n: Some(n), text: reason.text.clone() };
                self.refused_slots += 1;
                let entry = Entry::said("slot", said!(AtomicsSlotRefused, slot), at_ms).rejected(reason);
                Entry { dir: Direction::In, seq: Some(u64::from(n)), ..entry }
            }
            AtomicsEvent::Hops { hops, ms } => {
                self.hops += u64::from(hops);
                self.last_run = Some((hops, ms));
                let per_second = if ms > 0.0 { f64::from(hops) * 1000.0 / ms } else { 0.0 };
                let said = said!(AtomicsRun, hops, format!("{ms:.1}"), format!("{per_second:.0}"));
                Entry::said("hops", said, at_ms)
            }
            AtomicsEvent::BlockRefused(reason) => {
                self.block_refused = Some(reason.clone());
                Entry::said("block", said!(AtomicsBlockRefused), at_ms).rejected(reason)
            }
            AtomicsEvent::Offered(Ok(())) => {
                Entry { dir: Direction::Out, ..Entry::said("offer", said!(AtomicsOffered), at_ms) }
            }
            AtomicsEvent::Offered(Err(reason)) => {
                self.offer_refused = Some(reason.clone());
                Entry::said("offer", said!(AtomicsOfferThrew), at_ms).rejected(reason)
            }
            AtomicsEvent::OfferArrived(Err(reason)) => {
                self.offer_refused = Some(reason.clone());
                let entry = Entry::said("offer", said!(AtomicsOfferUnreadable), at_ms).rejected(reason);
                Entry { dir: Direction::In, ..entry }
            }
            AtomicsEvent::OfferArrived(Ok(())) => {
                Entry { dir: Direction::In, ..Entry::said("offer", said!(AtomicsOfferArrived), at_ms) }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::Status;
    use crosstalk_protocol::ReasonCode;

    fn apply(state: &mut AtomicsState, log: &mut LogBook, event: AtomicsEvent) {
        state.apply(Action::Ring(Own::Other(event)), 1.0, log);
    }

    #[test]
    fn without_shared_memory_an_isolated_page_blames_the_browser_and_another_its_isolation() {
        let none = LinkState::Unsupported;
        assert_eq!(state_attr(&none, Some(false)), "not-isolated");
        assert_eq!(state_attr(&none, None), "not-isolated");
        assert_eq!(state_attr(&none, Some(true)), "unsupported", "isolated, and still no SharedArrayBuffer");
        assert_eq!(state_detail(&none, Some(true)).say, crate::i18n::Say::AtomicsNoSharedMemory);
        assert_eq!(state_detail(&none, Some(false)).say, crate::i18n::Say::AtomicsNotIsolated);
        assert_eq!(state_attr(&LinkState::Ready, Some(true)), "ready");
    }

    #[test]
    fn a_request_and_its_reply_fill_the_slot_and_count_a_hop() {
        let (mut state, mut log) = (AtomicsState::default(), LogBook::default());
        apply(&mut state, &mut log, AtomicsEvent::Wrote { n: 9, slot: 1, text: "hi".into(), claimed: 2 });
        assert_eq!(state.slots[1].state, SlotState::Request);
        apply(&mut state, &mut log, AtomicsEvent::Read { n: 9, slot: 1, text: "pong: hi".into(), ms: 0.25 });
        assert_eq!(state.slots[1], SlotView { state: SlotState::Reply, n: Some(9), text: "pong: hi".into() });
        assert_eq!((state.hops, state.last_round_trip_ms), (1, Some(0.25)));
        assert!(state.reached("ping") && !state.reached("hops"));
        let dirs: Vec<(Direction, String)> =
            log.entries().map(|e| (e.entry.dir, e.entry.kind.clone())).collect();
        assert_eq!(dirs, [(Direction::Out, "write".into()), (Direction::In, "reply".into())]);
    }

    #[test]
    fn a_refused_slot_is_logged_with_its_code_and_a_run_counts_every_hop() {
        let (mut state, mut log) = (AtomicsState::default(), LogBook::default());
        let reason = Reason::new(ReasonCode::TooLarge, "slot 3 claims 256000 bytes");
        apply(&mut state, &mut log, AtomicsEvent::SlotRefused { n: 3, slot: 3, reason });
        assert_eq!(state.slots[3].state, SlotState::Refused);
        let last = log.entries().last().unwrap();
        assert_eq!(last.entry.status.reason_code(), Some(ReasonCode::TooLarge));
        apply(&mut state, &mut log, AtomicsEvent::Hops { hops: 2000, ms: 20.0 });
        assert_eq!(state.hops, 2000);
        assert!(log.entries().last().unwrap().entry.payload.text().contains("100000"), "hops per second");
    }

    #[test]
    fn what_the_ring_cannot_do_is_shown_as_refused() {
        let (mut state, mut log) = (AtomicsState::default(), LogBook::default());
        apply(
            &mut state,
            &mut log,
            AtomicsEvent::BlockRefused(Reason::new(ReasonCode::WouldBlock, "TypeError")),
        );
        apply(
            &mut state,
            &mut log,
            AtomicsEvent::OfferArrived(Err(Reason::new(ReasonCode::NotCloneable, "messageerror"))),
        );
        assert!(state.reached("block") && state.reached("share"));
        let codes: Vec<Option<ReasonCode>> = log.entries().map(|e| e.entry.status.reason_code()).collect();
        assert_eq!(codes, [Some(ReasonCode::WouldBlock), Some(ReasonCode::NotCloneable)]);
        assert!(matches!(log.entries().last().unwrap().entry.status, Status::Rejected(_)));
    }
}
