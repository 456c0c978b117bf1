//! The benchmark (`/bench`, `cargo xtask bench`): which mechanisms it measures, with which
//! payloads and how many messages, what one result is, and when two runs agree.
//!
//! Every case is measured twice in the same run, interleaved: through crosstalk's transports and
//! envelope, and through a plain-JS baseline doing the same echo (`static/bench_baseline.js`).
//! Round-trip time is a whole run of sequential echoes divided by their number, because
//! `performance.now()` is coarsened to 100 µs on a page that is not cross-origin isolated.

use serde::{Deserialize, Serialize};

use crate::relay::MAX_FRAME_BYTES;
use crate::Payload;

crate::bodies! {
    @parsed
    #[derive(Debug, Clone, PartialEq)]
    pub enum BenchMsg {
        /// Echo frame → page: the frame's code is listening.
        Ready = "ready",
        /// Page → echo frame.
        Ping { text: Payload } = "ping",
        /// Echo frame → page: the ping's text, back.
        Pong { text: Payload } = "pong",
    }
}

/// A mechanism the benchmark measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mechanism {
    WorkerPort,
    SharedWorker,
    ServiceWorker,
    Broadcast,
    WindowSameOrigin,
    WindowCrossOrigin,
    Storage,
    WebSocket,
    WebRtc,
}

impl Mechanism {
    pub const ALL: [Mechanism; 9] = [
        Mechanism::WorkerPort,
        Mechanism::SharedWorker,
        Mechanism::ServiceWorker,
        Mechanism::Broadcast,
        Mechanism::WindowSameOrigin,
        Mechanism::WindowCrossOrigin,
        Mechanism::Storage,
        Mechanism::WebSocket,
        Mechanism::WebRtc,
    ];

    /// The stable id: `data-mechanism`, the JSON export, and the baseline's switch.
    pub fn slug(self) -> &'static str {
        match self {
            Mechanism::WorkerPort => "worker-port",
            Mechanism::SharedWorker => "shared-worker",
            Mechanism::ServiceWorker => "service-worker",
            Mechanism::Broadcast => "broadcast",
            Mechanism::WindowSameOrigin => "window-same-origin",
            Mechanism::WindowCrossOrigin => "window-cross-origin",
            Mechanism::Storage => "storage",
            Mechanism::WebSocket => "websocket",
            Mechanism::WebRtc => "webrtc",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Mechanism> {
        Mechanism::ALL.into_iter().find(|m| m.slug() == slug)
    }

    /// Whether it can carry an object the browser clones, not only text (storage holds strings,
    /// a socket sends text or bytes).
    pub fn carries_objects(self) -> bool {
        // The service worker reads text only (the workers' parsed path).
        // A data channel sends text or bytes.
        !matches!(
            self,
            Mechanism::Storage | Mechanism::WebSocket | Mechanism::ServiceWorker | Mechanism::WebRtc
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            Mechanism::WorkerPort => "Worker port",
            Mechanism::SharedWorker => "SharedWorker",
            Mechanism::ServiceWorker => "Service Worker",
            Mechanism::Broadcast => "BroadcastChannel",
            Mechanism::WindowSameOrigin => "postMessage, same-origin frame",
            Mechanism::WindowCrossOrigin => "postMessage, provider's origin",
            Mechanism::Storage => "Storage event",
            Mechanism::WebSocket => "WebSocket (relay)",
            Mechanism::WebRtc => "WebRTC data channel",
        }
    }

    /// What the echo peer is, in a few words.
    pub fn peer(self) -> &'static str {
        match self {
            Mechanism::WorkerPort => "a dedicated worker over a MessageChannel port",
            Mechanism::SharedWorker => "the shared worker, over its port",
            Mechanism::ServiceWorker => "the origin's service worker, answering this page",
            Mechanism::Broadcast => "a second channel object in this page",
            Mechanism::WindowSameOrigin => "a hidden frame of this origin",
            Mechanism::WindowCrossOrigin => "a hidden frame of the provider's origin",
            Mechanism::Storage => "a hidden same-origin frame's storage events",
            Mechanism::WebSocket => "a second socket in the same relay room",
            Mechanism::WebRtc => "a second peer connection in this page, over loopback",
        }
    }

    /// Why a payload is not measured on this mechanism, if it is not.
    pub fn refuses(self, payload_bytes: usize) -> Option<String> {
        // The envelope around the text adds about 100 bytes.
        let limit = match self {
            Mechanism::WebSocket => MAX_FRAME_BYTES,
            Mechanism::WebRtc => crate::webrtc::MAX_MESSAGE_BYTES,
            _ => crate::MAX_ENVELOPE_BYTES,
        };
        (payload_bytes + ENVELOPE_OVERHEAD > limit)
            .then(|| format!("over the limit of {} KiB a message", limit / 1024))
    }

    /// How many messages a case sends.
    pub fn counts(self, payload_bytes: usize) -> Counts {
        let counts = match payload_bytes {
            0..=1_000 => Counts { warmup: 200, round_trips: 2_000, burst: 5_000 },
            1_001..=20_000 => Counts { warmup: 50, round_trips: 500, burst: 1_000 },
            _ => Counts { warmup: 10, round_trips: 100, burst: 100 },
        };
        match self {
            // The relay allows 100 frames a second, in bursts of 200, per connection: each
            // measurement gets fresh connections, and all it sends fits inside one burst.
            Mechanism::WebSocket => {
                Counts { warmup: 10, round_trips: counts.round_trips.min(80), burst: counts.burst.min(90) }
            }
            _ => counts,
        }
    }
}

/// About how many bytes an envelope adds around its text.
pub const ENVELOPE_OVERHEAD: usize = 100;

/// The payload sizes, in bytes of text: small, 10 KB and 100 KB (cost grows with the payload).
pub const PAYLOADS: [usize; 3] = [100, 10_000, 100_000];

/// The text a case sends: `bytes` of ASCII.
pub fn payload_text(bytes: usize) -> String {
    "x".repeat(bytes)
}

/// How many messages one case sends: echoes before timing starts, sequential round trips, and
/// the burst (all posted at once, all echoed back).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub warmup: u32,
    pub round_trips: u32,
    pub burst: u32,
}

/// Which implementation a measurement ran through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    Crosstalk,
    Baseline,
}

/// What one measurement found.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Figures {
    /// Mean round-trip time, µs.
    pub rtt_us: Option<f64>,
    /// Burst throughput: messages echoed back per second.
    pub msgs_per_s: Option<f64>,
}

impl Figures {
    /// The better of two measurements of the same thing: the shorter round trip, the higher
    /// throughput (each round's noise only ever slows it down).
    pub fn best(self, other: Figures) -> Figures {
        let pick = |a: Option<f64>, b: Option<f64>, better: fn(f64, f64) -> f64| match (a, b) {
            (Some(a), Some(b)) => Some(better(a, b)),
            (a, b) => a.or(b),
        };
        Figures {
            rtt_us: pick(self.rtt_us, other.rtt_us, f64::min),
            msgs_per_s: pick(self.msgs_per_s, other.msgs_per_s, f64::max),
        }
    }
}

/// How many times each side of a case is measured, interleaved: each crosstalk round is paired
/// with the plain-JS round beside it, and the median of the pairs' ratios counts.
pub const ROUNDS: usize = 5;

/// One mechanism at one payload, both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub mechanism: String,
    pub payload_bytes: usize,
    /// Each side's best round (what the table shows as times and rates).
    pub crosstalk: Figures,
    pub baseline: Figures,
    /// One ratio per pair of neighbouring rounds (crosstalk over plain JS, measured one right
    /// after the other): what a two-core machine's noise spares, since both of a pair see it.
    #[serde(default)]
    pub rtt_ratios: Vec<f64>,
    #[serde(default)]
    pub throughput_ratios: Vec<f64>,
    /// A round waiting for the other side's, to make a pair.
    #[serde(skip)]
    pub unpaired: Option<(Side, Figures)>,
    /// Why it was not measured, or what went wrong.
    pub note: Option<String>,
}

impl Row {
    pub fn new(mechanism: Mechanism, payload_bytes: usize) -> Row {
        Row {
            mechanism: mechanism.slug().to_owned(),
            payload_bytes,
            crosstalk: Figures::default(),
            baseline: Figures::default(),
            rtt_ratios: Vec::new(),
            throughput_ratios: Vec::new(),
            unpaired: None,
            note: mechanism.refuses(payload_bytes),
        }
    }

    pub fn side_mut(&mut self, side: Side) -> &mut Figures {
        match side {
            Side::Crosstalk => &mut self.crosstalk,
            Side::Baseline => &mut self.baseline,
        }
    }

    /// Takes one round's figures: the side's best so far, and — with the other side's round
    /// just before or after it — a pair.
    pub fn record(&mut self, side: Side, figures: Figures) {
        let best = self.side_mut(side);
        *best = best.best(figures);
        match self.unpaired.take() {
            Some((other, theirs)) if other != side => {
                let (ours, theirs) =
                    if side == Side::Crosstalk { (figures, theirs) } else { (theirs, figures) };
                self.rtt_ratios.extend(ratio(ours.rtt_us, theirs.rtt_us));
                self.throughput_ratios.extend(ratio(ours.msgs_per_s, theirs.msgs_per_s));
            }
            _ => self.unpaired = Some((side, figures)),
        }
    }

    /// crosstalk's round trip over plain JS's, the median of the pairs: 1.0 is as fast, above is
    /// slower. Without pairs (a row read from the best figures alone), the best over the best.
    pub fn rtt_ratio(&self) -> Option<f64> {
        median(&self.rtt_ratios).or_else(|| ratio(self.crosstalk.rtt_us, self.baseline.rtt_us))
    }

    /// crosstalk's throughput over plain JS's, the median of the pairs: 1.0 is as fast, below is
    /// slower.
    pub fn throughput_ratio(&self) -> Option<f64> {
        median(&self.throughput_ratios).or_else(|| ratio(self.crosstalk.msgs_per_s, self.baseline.msgs_per_s))
    }

    /// The lowest and highest of the pairs' round-trip ratios.
    pub fn rtt_spread(&self) -> Option<(f64, f64)> {
        spread(&self.rtt_ratios)
    }

    pub fn throughput_spread(&self) -> Option<(f64, f64)> {
        spread(&self.throughput_ratios)
    }
}

/// The middle value (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => sorted.get(middle).copied(),
        _ => Some((sorted.get(middle - 1)? + sorted.get(middle)?) / 2.0),
    }
}

fn spread(values: &[f64]) -> Option<(f64, f64)> {
    let low = values.iter().copied().reduce(f64::min)?;
    let high = values.iter().copied().reduce(f64::max)?;
    Some((low, high))
}

fn ratio(ours: Option<f64>, theirs: Option<f64>) -> Option<f64> {
    match (ours, theirs) {
        (Some(ours), Some(theirs)) if theirs > 0.0 && ours.is_finite() => Some(ours / theirs),
        _ => None,
    }
}

/// The targets the benchmark reports against (not timed tests): crosstalk's layer costs at most
/// 10% over plain JS, at every payload, on every mechanism but the WebSocket, where the relay's
/// own limits shape the figures and only throughput is held to it.
pub const TARGET_RTT_RATIO: f64 = 1.10;
pub const TARGET_THROUGHPUT_RATIO: f64 = 0.9;

/// Whether a row is one the targets apply to (every row that could be measured).
pub fn has_target(row: &Row) -> bool {
    row.note.is_none() || row.rtt_ratio().is_some()
}

/// Whether a row meets its targets (`None` where none apply or a figure is missing).
pub fn meets_target(row: &Row) -> Option<bool> {
    if !has_target(row) {
        return None;
    }
    let throughput = row.throughput_ratio()? >= TARGET_THROUGHPUT_RATIO;
    if row.mechanism == Mechanism::WebSocket.slug() {
        return Some(throughput);
    }
    Some(throughput && row.rtt_ratio()? <= TARGET_RTT_RATIO)
}

/// A whole run, as exported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub user_agent: String,
    pub rows: Vec<Row>,
    /// Whether envelopes crossed as cloned objects where the mechanism carries them.
    #[serde(default)]
    pub cloned: bool,
}

/// Where two runs disagree by more than `tolerance` (0.10 is 10%) on a ratio, each named; an
/// empty list means they agree. Ratios, not raw times, are compared: both sides of a ratio ran
/// interleaved on the same machine, so they are what a run can repeat.
pub fn disagreements(first: &[Row], second: &[Row], tolerance: f64) -> Vec<String> {
    let mut out = Vec::new();
    for a in first {
        let Some(b) =
            second.iter().find(|b| b.mechanism == a.mechanism && b.payload_bytes == a.payload_bytes)
        else {
            out.push(format!("{} {} B: missing from the second run", a.mechanism, a.payload_bytes));
            continue;
        };
        for (what, x, y) in [
            ("RTT ratio", a.rtt_ratio(), b.rtt_ratio()),
            ("throughput ratio", a.throughput_ratio(), b.throughput_ratio()),
        ] {
            if let (Some(x), Some(y)) = (x, y) {
                if (x - y).abs() > tolerance * x.max(y) {
                    out.push(format!("{} {} B {what}: {x:.2} then {y:.2}", a.mechanism, a.payload_bytes));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(mechanism: Mechanism, bytes: usize, ours: (f64, f64), theirs: (f64, f64)) -> Row {
        let mut row = Row::new(mechanism, bytes);
        row.crosstalk = Figures { rtt_us: Some(ours.0), msgs_per_s: Some(ours.1) };
        row.baseline = Figures { rtt_us: Some(theirs.0), msgs_per_s: Some(theirs.1) };
        row
    }

    #[test]
    fn slugs_are_unique_and_read_back() {
        for m in Mechanism::ALL {
            assert_eq!(Mechanism::from_slug(m.slug()), Some(m));
        }
        assert_eq!(Mechanism::from_slug("pigeon"), None);
    }

    #[test]
    fn the_relay_frame_limit_rules_out_the_largest_payload_on_websocket_only() {
        assert!(Mechanism::WebSocket.refuses(100_000).unwrap().contains("64 KiB"));
        assert_eq!(Mechanism::WebSocket.refuses(10_000), None);
        for m in Mechanism::ALL.into_iter().filter(|m| *m != Mechanism::WebSocket) {
            assert_eq!(m.refuses(100_000), None, "{m:?}");
        }
        assert!(Row::new(Mechanism::WebSocket, 100_000).note.is_some());
    }

    #[test]
    fn websocket_cases_stay_inside_the_relays_burst_allowance() {
        for bytes in PAYLOADS {
            let c = Mechanism::WebSocket.counts(bytes);
            assert!(c.warmup + c.round_trips + c.burst <= 190, "{bytes}: {c:?}");
        }
        assert!(Mechanism::Broadcast.counts(100).burst >= 1_000);
    }

    #[test]
    fn ratios_compare_crosstalk_to_plain_js() {
        let r = row(Mechanism::WorkerPort, 100, (23.0, 40_000.0), (20.0, 50_000.0));
        assert!((r.rtt_ratio().unwrap() - 1.15).abs() < 1e-9);
        assert!((r.throughput_ratio().unwrap() - 0.8).abs() < 1e-9);
        assert_eq!(meets_target(&r), Some(false));
        let fast = row(Mechanism::WorkerPort, 100, (21.0, 48_000.0), (20.0, 50_000.0));
        assert_eq!(meets_target(&fast), Some(true));
        assert_eq!(meets_target(&row(Mechanism::Storage, 100_000, (1.0, 1.0), (1.0, 1.0))), Some(true));
        let slow_socket = row(Mechanism::WebSocket, 100, (30.0, 48_000.0), (20.0, 50_000.0));
        assert_eq!(meets_target(&slow_socket), Some(true), "the relay's round trip is not held to it");
        assert_eq!(meets_target(&Row::new(Mechanism::WebSocket, 100_000)), None);
        let mut missing = Row::new(Mechanism::Broadcast, 100);
        missing.baseline.rtt_us = Some(0.0);
        assert_eq!(missing.rtt_ratio(), None);
    }

    #[test]
    fn neighbouring_rounds_pair_up_and_the_median_pair_counts() {
        let mut r = Row::new(Mechanism::Broadcast, 100);
        let f = |rtt: f64, rate: f64| Figures { rtt_us: Some(rtt), msgs_per_s: Some(rate) };
        // Crosstalk first, then plain JS; the third pair ran while the machine was busy (both slow).
        for (side, figures) in [
            (Side::Crosstalk, f(11.0, 900.0)),
            (Side::Baseline, f(10.0, 1000.0)),
            (Side::Baseline, f(10.0, 1000.0)),
            (Side::Crosstalk, f(12.0, 950.0)),
            (Side::Crosstalk, f(40.0, 300.0)),
            (Side::Baseline, f(38.0, 310.0)),
        ] {
            r.record(side, figures);
        }
        assert_eq!(r.rtt_ratios.len(), 3);
        assert!((r.rtt_ratio().unwrap() - 1.1).abs() < 1e-9, "{:?}", r.rtt_ratios);
        assert!((r.throughput_ratio().unwrap() - 0.95).abs() < 1e-9, "{:?}", r.throughput_ratios);
        let (low, high) = r.rtt_spread().unwrap();
        assert!((low - 40.0 / 38.0).abs() < 1e-9 && (high - 1.2).abs() < 1e-9);
        assert_eq!(r.crosstalk, f(11.0, 950.0), "each side's best round is kept too");
        assert_eq!(median(&[3.0, 1.0]), Some(2.0));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn the_best_round_is_the_fastest_on_each_figure() {
        let a = Figures { rtt_us: Some(30.0), msgs_per_s: Some(900.0) };
        let b = Figures { rtt_us: Some(25.0), msgs_per_s: Some(800.0) };
        assert_eq!(a.best(b), Figures { rtt_us: Some(25.0), msgs_per_s: Some(900.0) });
        assert_eq!(Figures::default().best(a), a);
    }

    #[test]
    fn runs_agree_within_the_tolerance_and_name_where_they_do_not() {
        let a = vec![row(Mechanism::Broadcast, 100, (30.0, 1000.0), (20.0, 1000.0))];
        let b = vec![row(Mechanism::Broadcast, 100, (31.0, 950.0), (20.0, 1000.0))];
        assert!(disagreements(&a, &b, 0.10).is_empty());
        let c = vec![row(Mechanism::Broadcast, 100, (40.0, 1000.0), (20.0, 1000.0))];
        let found = disagreements(&a, &c, 0.10);
        assert_eq!(found, ["broadcast 100 B RTT ratio: 1.50 then 2.00"]);
        assert_eq!(disagreements(&a, &[], 0.10).len(), 1);
    }

    #[test]
    fn a_report_round_trips_through_json() {
        let report = Report {
            user_agent: "test".into(),
            rows: vec![row(Mechanism::Storage, 10_000, (500.0, 900.0), (450.0, 1000.0))],
            cloned: false,
        };
        let json = serde_json::to_string(&report).unwrap();
        assert!(json.contains("\"mechanism\":\"storage\""));
        assert_eq!(serde_json::from_str::<Report>(&json).unwrap(), report);
    }
}
