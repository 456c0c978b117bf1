//! The Stock sync route's state: the prices and their recent history, this tab's role, the
//! leader and term, how old the last tick is, and what the log says. The ticker's rules are
//! `crosstalk_protocol::stock::Ticker`; the page (`pages/stock.rs`) runs it and reports here.

use std::collections::{BTreeMap, VecDeque};

use crosstalk_protocol::stock::{Market, Quote, Step as TickerStep, StockMsg};

use super::told::{Own, OwnOf};
use super::RouteState;
use crate::diagram::{Diagram, Step};
use crate::i18n::Text;
use crate::i18n::{Said, Say};
use crate::learn::GuideStep;
use crate::log::{Direction, Entry, LogBook};
use crate::said;
use crate::transport::stock::{StockEvent, StockTransport};

/// Points kept per sparkline.
pub const HISTORY: usize = 60;

pub const DIAGRAM: Diagram = Diagram {
    title: "The leader tab and the followers",
    lanes: &["leader", "transport", "followers"],
    steps: &[
        Step::new(0, 1, "this tab leads (lock or election)", &[(Direction::System, "leader")]),
        Step::new(0, 2, "tick {term, seq, prices, walk}", &[(Direction::Out, "tick")]),
        Step::new(0, 2, "tick from the leader", &[(Direction::In, "tick")]),
        Step::new(2, 0, "claim (fallback election)", &[(Direction::Out, "claim"), (Direction::In, "claim")]),
        Step::new(0, 2, "resign / hand over", &[(Direction::Out, "resign"), (Direction::In, "resign")]),
        Step::new(
            2,
            0,
            "where is the market? (the lobby)",
            &[(Direction::Out, "where"), (Direction::In, "where")],
        ),
        Step::new(
            0,
            2,
            "market-on {transport, term, room}",
            &[(Direction::Out, "market-on"), (Direction::In, "market-on")],
        ),
    ],
};

/// This tab's part, as `role` shows it (`data-state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    Leader,
    #[default]
    Follower,
    Stale,
}

impl Role {
    pub fn as_attr(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Follower => "follower",
            Role::Stale => "stale",
        }
    }
}

/// What the page read off the ticker after something happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub market: Market,
    pub term: u64,
    pub leader: Option<String>,
    pub role: Role,
    pub age_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StockState {
    pub role: Role,
    pub term: u64,
    pub leader: Option<String>,
    pub seq: u64,
    pub quotes: Vec<Quote>,
    /// Each symbol's recent prices, oldest first, for its sparkline.
    pub history: BTreeMap<String, VecDeque<u64>>,
    pub age_ms: Option<f64>,
    pub transport: StockTransport,
    /// How the leader is chosen: "web locks" or "messages".
    pub election: &'static str,
    pub missed: u64,
    pub error: Option<String>,
    /// What the walkthrough watches for: this tab led, followed another's ticks, or saw the lead
    /// change hands after a leader went.
    pub led: bool,
    pub followed: bool,
    pub takeovers: u32,
    /// The seed's `window.postMessage` came back to this very tab.
    pub seed_arrived_here: bool,
}

impl Default for StockState {
    fn default() -> Self {
        let market = Market::opening();
        StockState {
            role: Role::Follower,
            term: 0,
            leader: None,
            seq: 0,
            history: market.quotes.iter().map(|q| (q.symbol.clone(), VecDeque::from([q.cents]))).collect(),
            quotes: market.quotes,
            age_ms: None,
            transport: StockTransport::Broadcast,
            election: "web locks",
            missed: 0,
            error: None,
            led: false,
            followed: false,
            takeovers: 0,
            seed_arrived_here: false,
        }
    }
}

pub enum Action {
    Bus(OwnOf<StockEvent>),
    Ticker(TickerStep),
    Snapshot(Snapshot),
    /// Another tab leads a new term; `quiet_ms` passed without ticks between the two leaders.
    NewLeader {
        term: u64,
        leader: String,
        quiet_ms: f64,
    },
    Transport(StockTransport),
    /// The lobby named the transport the market is on; this tab moves there.
    MarketFound {
        transport: StockTransport,
        term: u64,
    },
    Election(&'static str),
    /// QA: this tab froze for `ms`, then woke.
    Frozen {
        ms: u32,
    },
    Woke,
    /// The seed's example: this tab called `window.postMessage` on its own window…
    SeedPosted,
    /// …and it arrived here, in the same tab: the other tabs heard nothing.
    SeedArrivedHere,
}

/// `4250` → `42.50`.
pub fn price(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn describe(body: &StockMsg) -> Said {
    match body {
        StockMsg::Tick { term, seq, quotes, .. } => {
            let prices: Vec<String> =
                quotes.iter().map(|q| format!("{} {}", q.symbol, price(q.cents))).collect();
            said!(Tick, seq, term, prices.join(" · "))
        }
        StockMsg::Claim { term } => said!(Claims, term),
        StockMsg::Resign { term, to: Some(to) } => said!(ResignsTo, term, to),
        StockMsg::Resign { term, to: None } => said!(Resigns, term),
        StockMsg::Switch { transport } => said!(EveryoneMoves, transport),
        StockMsg::Where => said!(WhereIsTheMarket),
        StockMsg::MarketOn { transport, term, room: Some(room) } => {
            said!(MarketIsOn, format!("{transport} (room {room})"), term)
        }
        StockMsg::MarketOn { transport, term, room: None } => said!(MarketIsOn, transport, term),
        StockMsg::Here => said!(HereToo),
        StockMsg::Gone => said!(GoingAway),
    }
}

/// The walkthrough's chapter: one leader, a follower, and a failover.
pub const CHAPTER: &[GuideStep] = &[
    GuideStep::new("lead", Text::LearnStockSyncLead, Text::LearnStockSyncLeadSee, "role"),
    GuideStep::new("follow", Text::LearnStockSyncFollow, Text::LearnStockSyncFollowSee, "role").in_two_tabs(),
    GuideStep::new("failover", Text::LearnStockSyncFailover, Text::LearnStockSyncFailoverSee, "role")
        .in_two_tabs(),
    GuideStep::new("seed", Text::LearnStockSyncSeed, Text::LearnStockSyncSeedSee, "seed-post").in_two_tabs(),
];

impl RouteState for StockState {
    type Action = Action;

    fn chapter() -> (&'static str, &'static [GuideStep]) {
        ("stock-sync", CHAPTER)
    }

    fn reached(&self, step: &str) -> bool {
        match step {
            "lead" => self.led,
            "follow" => self.followed,
            "failover" => self.takeovers > 0,
            "seed" => self.seed_arrived_here,
            _ => false,
        }
    }

    /// The error line says what was refused, and why.
    fn refused(&mut self, refusal: &super::Refusal) {
        self.error = Some(format!("{}: {}", refusal.what, refusal.reason.text));
    }

    fn apply(&mut self, action: Action, at_ms: f64, log: &mut LogBook) {
        match action {
            Action::Bus(event) => match event {
                Own::Sent { envelope, .. } => {
                    log.push(Entry::sent(&envelope, "", at_ms).saying(describe(&envelope.body)))
                }
                Own::Received { envelope, .. } => {
                    let said = Said::around(
                        Say::FromSender,
                        describe(&envelope.body),
                        vec![envelope.from.0.clone()],
                    );
                    log.push(Entry::received(&envelope, "", at_ms).saying(said));
                }
                Own::State(_) | Own::Other(()) => {}
            },
            Action::Frozen { ms } => log.push(Entry::said("frozen", said!(FrozenFor, ms), at_ms)),
            Action::Woke => log.push(Entry::said("woke", said!(Woke), at_ms)),
            Action::SeedPosted => log.push(Entry::said("seed-post", said!(SeedPosted), at_ms)),
            Action::SeedArrivedHere => {
                self.seed_arrived_here = true;
                log.push(Entry::said("seed-post", said!(SeedArrivedHere), at_ms));
            }
            Action::Ticker(step) => match step {
                TickerStep::Leading { term, why } => {
                    // A term after the first: this tab took over from a leader that went.
                    self.takeovers += u32::from(term > 1);
                    log.push(Entry::said("leader", said!(LeadsTerm, term, why), at_ms));
                }
                TickerStep::LostLead { why } => log.push(Entry::system("leadership-lost", why, at_ms)),
                TickerStep::Moved { missed } if missed > 0 => {
                    self.missed += missed;
                    log.push(Entry::said("caught-up", said!(CaughtUp, missed), at_ms));
                }
                TickerStep::Ignored { why } => log.push(Entry::system("ignored", why, at_ms)),
                TickerStep::Moved { .. } | TickerStep::Send(_) => {}
            },
            Action::Snapshot(snapshot) => self.adopt(snapshot),
            Action::NewLeader { term, leader, quiet_ms } => {
                self.takeovers += 1;
                let said = said!(NewLeader, leader, term, format!("{quiet_ms:.0}"));
                log.push(Entry::said("new-leader", said, at_ms));
            }
            Action::Transport(transport) => {
                self.transport = transport;
                log.push(Entry::said("transport", said!(TicksTravel, transport.label()), at_ms));
            }
            Action::MarketFound { transport, term } => {
                log.push(Entry::said("found-market", said!(MarketFound, transport.label(), term), at_ms));
            }
            Action::Election(how) => self.election = how,
        }
    }
}

impl StockState {
    fn adopt(&mut self, snapshot: Snapshot) {
        self.led |= snapshot.role == Role::Leader;
        self.followed |=
            snapshot.role == Role::Follower && snapshot.leader.is_some() && snapshot.market.seq > 0;
        if snapshot.market.seq != self.seq {
            for quote in &snapshot.market.quotes {
                let points = self.history.entry(quote.symbol.clone()).or_default();
                points.push_back(quote.cents);
                while points.len() > HISTORY {
                    points.pop_front();
                }
            }
        }
        self.seq = snapshot.market.seq;
        self.quotes = snapshot.market.quotes;
        self.term = snapshot.term;
        self.leader = snapshot.leader;
        self.role = snapshot.role;
        self.age_ms = snapshot.age_ms;
    }

    /// An SVG polyline's points for `symbol`'s history in a `width` × `height` box.
    pub fn sparkline(&self, symbol: &str, width: f64, height: f64) -> String {
        let Some(points) = self.history.get(symbol).filter(|p| p.len() > 1) else { return String::new() };
        let (low, high) = points.iter().fold((u64::MAX, 0), |(lo, hi), p| (lo.min(*p), hi.max(*p)));
        let span = (high - low).max(1) as f64;
        let step = width / (HISTORY - 1) as f64;
        let start = width - step * (points.len() - 1) as f64;
        points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                format!("{:.1},{:.1}", start + step * i as f64, height - (p - low) as f64 / span * height)
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(market: Market) -> Action {
        Action::Snapshot(Snapshot {
            market,
            term: 1,
            leader: Some("tab-a".into()),
            role: Role::Follower,
            age_ms: Some(10.0),
        })
    }

    #[test]
    fn the_walkthrough_steps_tick_on_leading_following_ticks_and_a_takeover() {
        let (mut state, mut log) = (StockState::default(), LogBook::default());
        let lead = |role| {
            Action::Snapshot(Snapshot {
                market: Market::opening(),
                term: 1,
                leader: Some("tab-a".into()),
                role,
                age_ms: None,
            })
        };
        state.apply(lead(Role::Leader), 0.0, &mut log);
        assert!(state.reached("lead") && !state.reached("follow"));
        state.apply(snapshot(Market::opening()), 0.0, &mut log);
        assert!(!state.reached("follow"), "no tick heard yet (the opening market)");
        state.apply(snapshot(Market::opening().next()), 0.0, &mut log);
        assert!(state.reached("follow") && !state.reached("failover"));
        state.apply(Action::Ticker(TickerStep::Leading { term: 1, why: "first".into() }), 0.0, &mut log);
        assert!(!state.reached("failover"), "the first term takes over from nobody");
        state.apply(Action::NewLeader { term: 2, leader: "tab-b".into(), quiet_ms: 40.0 }, 0.0, &mut log);
        assert!(state.reached("failover"));
        state.apply(Action::SeedPosted, 0.0, &mut log);
        assert!(!state.reached("seed"), "posted, not yet seen arriving");
        state.apply(Action::SeedArrivedHere, 0.0, &mut log);
        assert!(state.reached("seed"));
    }

    #[test]
    fn snapshots_move_the_prices_and_keep_a_bounded_history() {
        let (mut state, mut log) = (StockState::default(), LogBook::default());
        let mut market = Market::opening();
        for _ in 0..HISTORY * 2 {
            market = market.next();
            state.apply(snapshot(market.clone()), 0.0, &mut log);
        }
        assert_eq!(state.seq, (HISTORY * 2) as u64);
        assert_eq!(state.quotes, market.quotes);
        assert!(state.history.values().all(|h| h.len() == HISTORY));
        let line = state.sparkline("ACME", 120.0, 30.0);
        assert_eq!(line.split(' ').count(), HISTORY);
        assert!(line.starts_with("0.0,"), "{line}");
    }

    #[test]
    fn leadership_and_missed_ticks_are_logged_by_kind() {
        let (mut state, mut log) = (StockState::default(), LogBook::default());
        state.apply(
            Action::Ticker(TickerStep::Leading { term: 2, why: "got the lock".into() }),
            0.0,
            &mut log,
        );
        state.apply(Action::Ticker(TickerStep::LostLead { why: "tab-b leads term 3".into() }), 1.0, &mut log);
        state.apply(Action::Ticker(TickerStep::Moved { missed: 3 }), 2.0, &mut log);
        state.apply(Action::Ticker(TickerStep::Moved { missed: 0 }), 3.0, &mut log);
        let kinds: Vec<String> = log.entries().map(|l| l.entry.kind.clone()).collect();
        assert_eq!(kinds, ["leader", "leadership-lost", "caught-up"]);
        assert_eq!(state.missed, 3);
    }

    #[test]
    fn prices_read_as_money() {
        assert_eq!(price(4250), "42.50");
        assert_eq!(price(7), "0.07");
    }
}
