//! The Stock sync route: one simulated market, ticked by exactly one tab (the leader), followed by
//! every other tab, over whichever transport the tabs use.
//!
//! ```text
//! leader tab                         transport                       follower tabs
//!  |-- tick {term, seq, quotes, walk} -->|-- tick ---------------------------->|  every 500 ms
//!  |   (walk: the random walk's state, so a successor continues it exactly)   |
//!  |-- resign {term} (pagehide, handover) ------------------------------------>|  someone takes over
//!  |                                      |<-- claim {term + 1} ----------------|  fallback election
//! ```
//!
//! Who leads: the Web Locks API where it exists (the browser hands an exclusive lock to one tab
//! and to the next waiter the moment it is released, crashes included); otherwise, or when the
//! page forces it, an election over the transport ([`Ticker::poll`]). Either way each leader has
//! a `term` higher than any it has heard of, and a leader that hears a higher term (or the same
//! term from a lower id) steps down: never two leaders for longer than one tick.

use serde::{Deserialize, Serialize};

use crate::parsed::{get, object, Emit, Emitter, FromParsed, Parsed};
use crate::SenderId;

/// How often the leader ticks.
pub const TICK_MS: u32 = 500;
/// A follower that has heard no tick for this long shows `stale`.
pub const STALE_AFTER_MS: f64 = 1_600.0;
/// Fallback election: with no tick for this long, a follower claims the next term...
pub const CLAIM_AFTER_MS: f64 = 1_100.0;
/// ...and leads it unless, within this long, a tick or a better claim is heard.
pub const CLAIM_WAIT_MS: f64 = 250.0;

/// The market: symbols and their opening prices, in cents.
pub const OPENING: &[(&str, u64)] = &[("ACME", 12_000), ("BOLT", 4_250), ("CRAB", 880), ("DUNE", 31_500)];
/// The random walk's first state: every tab that opens the market opens the same one.
pub const OPENING_WALK: u64 = 0x9E37_79B9_7F4A_7C15;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub symbol: String,
    pub cents: u64,
}

impl FromParsed for Quote {
    fn from_parsed<P: Parsed>(value: Option<P>) -> Result<Self, &'static str> {
        object(value, "a quote {symbol, cents}", |o| {
            Some(Quote { symbol: get(o, "symbol")?, cents: get(o, "cents")? })
        })
    }
}

impl Emit for Quote {
    fn emit<E: Emitter>(&self, name: &'static str, out: &mut E) {
        out.begin_object(name);
        self.symbol.emit("symbol", out);
        self.cents.emit("cents", out);
        out.end();
    }
}

/// The walk's 64-bit state on the wire. JSON's numbers hold 53 bits exactly — a browser's
/// `JSON.parse` rounds anything larger, and the next leader would go on from the wrong state — so
/// it crosses as a decimal string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Walk(pub u64);

impl Serialize for Walk {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Walk {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse()
            .map(Walk)
            .map_err(|_| serde::de::Error::custom("a walk state is a whole number in a string"))
    }
}

impl FromParsed for Walk {
    fn from_parsed<P: Parsed>(value: Option<P>) -> Result<Self, &'static str> {
        value
            .and_then(|v| v.as_str())
            .and_then(|t| t.parse().ok())
            .map(Walk)
            .ok_or("a whole number in a string")
    }
}

impl Emit for Walk {
    fn emit<E: Emitter>(&self, name: &'static str, out: &mut E) {
        out.str(name, &self.0.to_string());
    }
}

crate::bodies! {
    @parsed
    #[derive(Debug, Clone, PartialEq)]
    pub enum StockMsg {
        /// Leader → everyone: the market after tick `seq`, and the walk's state to go on from.
        Tick { term: u64, seq: u64, quotes: Vec<Quote>, walk: Walk } = "tick",
        /// Fallback election: the sender wants to lead `term`.
        Claim { term: u64 } = "claim",
        /// The leader of `term` stops (its page hides, or it hands over, to `to` if named).
        Resign { term: u64, to: Option<SenderId> } = "resign",
        /// Everyone moves to `transport` (announced on the old one).
        Switch { transport: String } = "switch",
        /// The lobby: a tab that has just opened asks where the market is.
        Where = "where",
        /// The lobby: the market is on `transport` (in relay `room`, over the relay), led in
        /// `term` (said by the tab that speaks for the origin's market: its leader, or the
        /// holder of its lock).
        MarketOn { transport: String, term: u64, room: Option<String> } = "market-on",
        /// The lobby: a tab already on the market tells a new speaker it is there.
        Here = "here",
        /// The lobby: this tab's page is going away.
        Gone = "gone",
    }
}

/// The tabs a tab has heard in the lobby, newest last, at most [`Roster::CAP`]: whom a leader
/// elected by messages names as its successor when it goes.
///
/// Implementation note: the election by messages waits on timers (the next poll to claim, then
/// the claim's wait), and a browser runs a background tab's timers at most once a second, so a
/// closed leader's followers took over 1.2 s to agree in Firefox. A successor named in the
/// leader's `resign` leads the moment the message arrives: message events are not throttled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roster {
    tabs: std::collections::VecDeque<SenderId>,
}

impl Roster {
    pub const CAP: usize = 64;

    /// `who` said something in the lobby: it is there, and the newest heard.
    pub fn heard(&mut self, who: &SenderId) {
        self.tabs.retain(|t| t != who);
        if self.tabs.len() >= Self::CAP {
            self.tabs.pop_front();
        }
        self.tabs.push_back(who.clone());
    }

    /// `who` said it is going.
    pub fn gone(&mut self, who: &SenderId) {
        self.tabs.retain(|t| t != who);
    }

    /// The successor to name: the tab heard most recently (the likeliest still there).
    pub fn successor(&self) -> Option<SenderId> {
        self.tabs.back().cloned()
    }

    pub fn len(&self) -> usize {
        self.tabs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tabs.is_empty()
    }
}

/// The lobby's channel: every tab of the origin listens here whatever transport the ticks use,
/// so a tab that opens on the wrong one (a typed address, an old `?transport=`) or missed a
/// switch learns where the market is within one round trip.
pub const LOBBY_CHANNEL: &str = "crosstalk-stock-lobby";

/// What a tab is, as far as the lobby cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AtTheLobby<'a> {
    /// The transport this tab's ticks use now.
    pub on: &'a str,
    /// Its relay room, where the transport is the relay.
    pub room: Option<&'a str>,
    /// The highest term this tab has heard of.
    pub term: u64,
    /// Whether this tab speaks for the origin's market: it leads, or holds the leader lock
    /// (following another browser's leader over the relay).
    pub speaks: bool,
    /// Window mode: the tab follows a family of windows, not the origin; the lobby is not for it.
    pub in_a_family: bool,
}

/// What the lobby asks of a tab.
#[derive(Debug, Clone, PartialEq)]
pub enum LobbyStep {
    /// Say this on the lobby.
    Say(StockMsg),
    /// Move this tab's ticks to `transport`.
    MoveTo { transport: String, term: u64, room: Option<String> },
}

impl AtTheLobby<'_> {
    /// What this tab says when it arrives: it asks, unless it is in a family.
    pub fn arrive(&self) -> Option<StockMsg> {
        (!self.in_a_family).then_some(StockMsg::Where)
    }

    /// What this tab announces when it starts to speak for the market or moves it.
    pub fn announce(&self) -> Option<StockMsg> {
        (self.speaks && !self.in_a_family).then(|| StockMsg::MarketOn {
            transport: self.on.to_owned(),
            term: self.term,
            room: self.room.map(str::to_owned),
        })
    }

    /// What this tab does about `heard` on the lobby. A tab moves to an announced market unless
    /// it already is there, or it speaks for a market of a newer term than the one announced
    /// (that announcer will hear the newer term and move instead). A tab already there tells an
    /// announcer of a term it had not heard of that it is `here`, so the new speaker's roster
    /// holds the tabs that were there before it.
    pub fn hear(&self, heard: &StockMsg) -> Option<LobbyStep> {
        if self.in_a_family {
            return None;
        }
        match heard {
            StockMsg::Where => self.announce().map(LobbyStep::Say),
            StockMsg::MarketOn { transport, term, room } => {
                let newer_or_same = *term > self.term || (*term == self.term && !self.speaks);
                let elsewhere = transport != self.on || room.as_deref() != self.room;
                if elsewhere && newer_or_same {
                    return Some(LobbyStep::MoveTo {
                        transport: transport.clone(),
                        term: *term,
                        room: room.clone(),
                    });
                }
                (!elsewhere && !self.speaks && *term > self.term).then_some(LobbyStep::Say(StockMsg::Here))
            }
            _ => None,
        }
    }
}

/// The market at one tick: what a leader ticks and a successor continues from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Market {
    pub seq: u64,
    pub quotes: Vec<Quote>,
    pub walk: u64,
}

impl Market {
    pub fn opening() -> Market {
        let quotes =
            OPENING.iter().map(|(symbol, cents)| Quote { symbol: (*symbol).into(), cents: *cents }).collect();
        Market { seq: 0, quotes, walk: OPENING_WALK }
    }

    /// The next tick: each price moves by up to ±1 % (at least a cent), from the walk's state.
    pub fn next(&self) -> Market {
        let mut walk = self.walk.max(1);
        let quotes = self
            .quotes
            .iter()
            .map(|quote| {
                // xorshift64*: tiny, deterministic, and the same in every tab.
                walk ^= walk >> 12;
                walk ^= walk << 25;
                walk ^= walk >> 27;
                let draw = walk.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
                let unit = draw as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
                let step = ((quote.cents as f64 * 0.01 * unit).round() as i64)
                    .clamp(-(quote.cents as i64) + 1, i64::MAX);
                Quote { symbol: quote.symbol.clone(), cents: quote.cents.saturating_add_signed(step).max(1) }
            })
            .collect();
        Market { seq: self.seq.saturating_add(1), quotes, walk }
    }

    pub fn tick(&self, term: u64) -> StockMsg {
        StockMsg::Tick { term, seq: self.seq, quotes: self.quotes.clone(), walk: Walk(self.walk) }
    }
}

/// What the ticker asks of the page: messages to send, and things to show.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Send(StockMsg),
    /// This tab leads now, and why.
    Leading {
        term: u64,
        why: String,
    },
    /// This tab no longer leads, and why.
    LostLead {
        why: String,
    },
    /// A tick moved the prices; `missed` ticks were never heard (throttling, a hiccup).
    Moved {
        missed: u64,
    },
    /// A tick from an old term, ignored.
    Ignored {
        why: String,
    },
}

/// One tab's view of the market and of who leads it, free of browser APIs (tested natively).
#[derive(Debug, Clone)]
pub struct Ticker {
    me: SenderId,
    /// The highest term heard of (or led).
    term: u64,
    leader: Option<SenderId>,
    leading: bool,
    market: Market,
    /// When a tick was last heard or made.
    heard_at: Option<f64>,
    /// Fallback election: the term this tab claimed, and when.
    claim: Option<(u64, f64)>,
}

impl Ticker {
    pub fn new(me: SenderId, now_ms: f64) -> Ticker {
        Ticker {
            me,
            term: 0,
            leader: None,
            leading: false,
            market: Market::opening(),
            heard_at: Some(now_ms),
            claim: None,
        }
    }

    pub fn market(&self) -> &Market {
        &self.market
    }

    pub fn is_leading(&self) -> bool {
        self.leading
    }

    pub fn leader(&self) -> Option<&SenderId> {
        self.leader.as_ref()
    }

    pub fn term(&self) -> u64 {
        self.term
    }

    /// A follower that has heard nothing for a while.
    pub fn is_stale(&self, now_ms: f64) -> bool {
        !self.leading && self.heard_at.is_none_or(|at| now_ms - at > STALE_AFTER_MS)
    }

    /// Milliseconds since the last tick, if any.
    pub fn age_ms(&self, now_ms: f64) -> Option<f64> {
        self.heard_at.map(|at| (now_ms - at).max(0.0))
    }

    /// This tab takes the lead (it got the lock, or won its claim): a term above any heard of,
    /// and a tick at once, continuing from the last one.
    pub fn lead(&mut self, why: &str, now_ms: f64) -> Vec<Step> {
        self.term = self.claim.take().map_or(self.term + 1, |(term, _)| term.max(self.term + 1));
        self.leading = true;
        self.leader = Some(self.me.clone());
        let mut steps = vec![Step::Leading { term: self.term, why: why.into() }];
        steps.extend(self.tick(now_ms));
        steps
    }

    /// Stops leading (handover, the page hiding): says so to the others.
    pub fn resign(&mut self, to: Option<SenderId>, why: &str) -> Vec<Step> {
        if !self.leading {
            return Vec::new();
        }
        self.leading = false;
        self.leader = None;
        vec![Step::Send(StockMsg::Resign { term: self.term, to }), Step::LostLead { why: why.into() }]
    }

    /// The leader's timer: the next tick.
    pub fn tick(&mut self, now_ms: f64) -> Vec<Step> {
        if !self.leading {
            return Vec::new();
        }
        self.market = self.market.next();
        self.heard_at = Some(now_ms);
        vec![Step::Send(self.market.tick(self.term)), Step::Moved { missed: 0 }]
    }

    /// A message from another tab.
    pub fn receive(&mut self, from: &SenderId, body: StockMsg, now_ms: f64) -> Vec<Step> {
        match body {
            StockMsg::Tick { term, seq, quotes, walk: Walk(walk) } => {
                self.on_tick(from, term, Market { seq, quotes, walk }, now_ms)
            }
            StockMsg::Claim { term } => self.on_claim(from, term, now_ms),
            StockMsg::Switch { .. }
            | StockMsg::Where
            | StockMsg::MarketOn { .. }
            | StockMsg::Here
            | StockMsg::Gone => Vec::new(),
            StockMsg::Resign { term, to } => {
                if term >= self.term && self.leader.as_ref() == Some(from) {
                    self.leader = None;
                    match &to {
                        // The named successor leads now.
                        Some(to) if *to == self.me => {
                            return self.lead(&format!("{from} handed over to this tab"), now_ms);
                        }
                        // Another is named: it ticks at once; if it is gone too, silence decides.
                        Some(_) => {}
                        // In the fallback anyone may claim at the next poll.
                        None => self.heard_at = Some(now_ms - CLAIM_AFTER_MS),
                    }
                }
                Vec::new()
            }
        }
    }

    fn on_tick(&mut self, from: &SenderId, term: u64, market: Market, now_ms: f64) -> Vec<Step> {
        if term < self.term {
            return vec![Step::Ignored {
                why: format!("{from} ticks an old term ({term}; now {})", self.term),
            }];
        }
        let mut steps = Vec::new();
        if self.leading && (term > self.term || *from < self.me) {
            self.leading = false;
            let why = format!("{from} leads term {term} (this tab led term {}): stepping down", self.term);
            steps.push(Step::LostLead { why });
        } else if self.leading {
            // Same term, and this tab wins the tie: the other steps down when it hears us.
            return steps;
        }
        self.claim = None;
        self.term = term;
        self.leader = Some(from.clone());
        self.heard_at = Some(now_ms);
        if self.market.seq != 0 && market.seq <= self.market.seq {
            // A repeat, or a successor that was behind: prices never move back.
            return steps;
        }
        let missed = match self.market.seq {
            0 => 0,
            last => market.seq - last - 1,
        };
        self.market = market;
        steps.push(Step::Moved { missed });
        steps
    }

    // lesson: stock-sync
    fn on_claim(&mut self, from: &SenderId, term: u64, now_ms: f64) -> Vec<Step> {
        if self.leading {
            // Alive and leading: answer with a tick, which ends the claim.
            return vec![Step::Send(self.market.tick(self.term))];
        }
        if let Some((mine, _)) = self.claim {
            if term > mine || (term == mine && *from < self.me) {
                self.claim = None;
            }
        }
        self.heard_at = self.heard_at.map(|at| at.max(now_ms - CLAIM_AFTER_MS + CLAIM_WAIT_MS * 2.0));
        Vec::new()
    }

    /// Fallback election, every few hundred milliseconds while Web Locks are not used: claim
    /// when no tick came for a while, lead when an unanswered claim has waited long enough.
    pub fn poll(&mut self, now_ms: f64) -> Vec<Step> {
        if self.leading {
            return Vec::new();
        }
        match self.claim {
            Some((_, at)) if now_ms - at >= CLAIM_WAIT_MS => {
                self.lead("no leader answered this tab's claim (fallback election)", now_ms)
            }
            Some(_) => Vec::new(),
            None if self.heard_at.is_none_or(|at| now_ms - at >= CLAIM_AFTER_MS) => {
                let term = self.term + 1;
                self.claim = Some((term, now_ms));
                vec![Step::Send(StockMsg::Claim { term })]
            }
            None => Vec::new(),
        }
    }
}
// lesson end

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> SenderId {
        SenderId(name.into())
    }

    fn sent(steps: &[Step]) -> Vec<StockMsg> {
        steps.iter().filter_map(|s| if let Step::Send(m) = s { Some(m.clone()) } else { None }).collect()
    }

    /// Delivers every message `from` sent to each of `to`.
    fn deliver(steps: &[Step], from: &SenderId, to: &mut [&mut Ticker], now: f64) -> Vec<Vec<Step>> {
        to.iter_mut()
            .map(|t| sent(steps).into_iter().flat_map(|m| t.receive(from, m, now)).collect())
            .collect()
    }

    #[test]
    fn the_walk_is_deterministic_and_a_successor_continues_it_exactly() {
        let one = Market::opening().next().next();
        let again = Market::opening().next().next();
        assert_eq!(one, again);
        let continued = Market { seq: one.seq, quotes: one.quotes.clone(), walk: one.walk }.next();
        assert_eq!(continued, one.next());
        assert_eq!(continued.seq, 3);
        let mut market = Market::opening();
        for _ in 0..10_000 {
            market = market.next();
            assert!(market.quotes.iter().all(|q| q.cents >= 1));
        }
        for (before, after) in Market::opening().quotes.iter().zip(Market::opening().next().quotes.iter()) {
            let moved = before.cents.abs_diff(after.cents) as f64;
            assert!(moved <= before.cents as f64 * 0.01 + 1.0, "{before:?} → {after:?}");
        }
    }

    #[test]
    fn followers_take_the_leaders_ticks_and_count_what_they_missed() {
        let (mut leader, mut follower) = (Ticker::new(id("a"), 0.0), Ticker::new(id("b"), 0.0));
        let first = leader.lead("got the lock", 0.0);
        assert!(matches!(first[0], Step::Leading { term: 1, .. }));
        deliver(&first, &id("a"), &mut [&mut follower], 0.0);
        assert_eq!(follower.market(), leader.market());
        leader.tick(500.0);
        leader.tick(1000.0);
        let third = leader.tick(1500.0);
        let got = deliver(&third, &id("a"), &mut [&mut follower], 1500.0);
        assert_eq!(got[0], [Step::Moved { missed: 2 }]);
        assert_eq!(follower.market().seq, 4);
        assert_eq!(follower.leader(), Some(&id("a")));
        assert!(!follower.is_stale(2000.0) && follower.is_stale(3200.0));
    }

    #[test]
    fn a_new_leader_goes_on_from_the_last_tick_with_a_higher_term() {
        let (mut a, mut b) = (Ticker::new(id("a"), 0.0), Ticker::new(id("b"), 0.0));
        let steps = a.lead("got the lock", 0.0);
        deliver(&steps, &id("a"), &mut [&mut b], 0.0);
        let steps = a.tick(500.0);
        deliver(&steps, &id("a"), &mut [&mut b], 500.0);
        let before = b.market().clone();
        let steps = b.lead("the lock was released", 900.0);
        assert!(matches!(steps[0], Step::Leading { term: 2, .. }));
        assert_eq!(b.market().seq, before.seq + 1, "no reset, no jump back");
        assert_eq!(*b.market(), before.next(), "the walk goes on as the old leader would have");
    }

    #[test]
    fn a_frozen_leader_that_wakes_steps_down_and_its_old_ticks_move_nothing() {
        let (mut old, mut new, mut follower) =
            (Ticker::new(id("a"), 0.0), Ticker::new(id("b"), 0.0), Ticker::new(id("c"), 0.0));
        let steps = old.lead("first", 0.0);
        deliver(&steps, &id("a"), &mut [&mut new, &mut follower], 0.0);
        let steps = new.lead("a stopped ticking", 2000.0);
        deliver(&steps, &id("b"), &mut [&mut follower], 2000.0);
        // `a` wakes and ticks its old term.
        let stale = old.tick(2100.0);
        let heard = deliver(&stale, &id("a"), &mut [&mut follower], 2100.0);
        assert!(matches!(heard[0][..], [Step::Ignored { .. }]));
        assert_eq!(follower.leader(), Some(&id("b")));
        // Then it hears the new leader.
        let steps = new.tick(2500.0);
        let heard = deliver(&steps, &id("b"), &mut [&mut old], 2500.0);
        assert!(matches!(heard[0][0], Step::LostLead { .. }), "{heard:?}");
        assert!(!old.is_leading() && new.is_leading());
    }

    #[test]
    fn two_tabs_leading_the_same_term_settle_on_one() {
        let (mut a, mut b) = (Ticker::new(id("a"), 0.0), Ticker::new(id("b"), 0.0));
        let from_a = a.lead("started together", 0.0);
        let from_b = b.lead("started together", 0.0);
        deliver(&from_a, &id("a"), &mut [&mut b], 1.0);
        deliver(&from_b, &id("b"), &mut [&mut a], 1.0);
        assert!(a.is_leading() && !b.is_leading(), "the lower id keeps the lead");
    }

    #[test]
    fn the_fallback_election_claims_after_silence_and_one_claim_wins() {
        let (mut a, mut b) = (Ticker::new(id("a"), 0.0), Ticker::new(id("b"), 0.0));
        assert!(a.poll(500.0).is_empty(), "not yet");
        let claim_a = a.poll(CLAIM_AFTER_MS);
        let claim_b = b.poll(CLAIM_AFTER_MS);
        assert_eq!(sent(&claim_a), [StockMsg::Claim { term: 1 }]);
        deliver(&claim_a, &id("a"), &mut [&mut b], CLAIM_AFTER_MS + 1.0);
        deliver(&claim_b, &id("b"), &mut [&mut a], CLAIM_AFTER_MS + 1.0);
        let later = CLAIM_AFTER_MS + CLAIM_WAIT_MS + 10.0;
        let a_won = a.poll(later);
        assert!(matches!(a_won[0], Step::Leading { term: 1, .. }));
        assert!(b.poll(later).is_empty(), "b gave up its claim to the lower id");
        deliver(&a_won, &id("a"), &mut [&mut b], later);
        assert_eq!(b.leader(), Some(&id("a")));
    }

    #[test]
    fn a_live_leader_answers_a_claim_with_a_tick_and_the_claim_ends() {
        let (mut a, mut b) = (Ticker::new(id("a"), 0.0), Ticker::new(id("b"), 0.0));
        a.lead("first", 0.0);
        let claim = b.poll(5_000.0);
        let answer = deliver(&claim, &id("b"), &mut [&mut a], 5_000.0);
        deliver(&answer[0], &id("a"), &mut [&mut b], 5_001.0);
        assert!(b.poll(5_000.0 + CLAIM_WAIT_MS + 1.0).is_empty(), "no second leader");
        assert!(!b.is_leading());
    }

    #[test]
    fn resigning_hands_over_to_the_named_tab_at_once() {
        let (mut a, mut b) = (Ticker::new(id("a"), 0.0), Ticker::new(id("b"), 0.0));
        let steps = a.lead("first", 0.0);
        deliver(&steps, &id("a"), &mut [&mut b], 0.0);
        let steps = a.resign(Some(id("b")), "handover");
        assert!(matches!(steps[1], Step::LostLead { .. }));
        let heard = deliver(&steps, &id("a"), &mut [&mut b], 10.0);
        assert!(matches!(heard[0][0], Step::Leading { term: 2, .. }));
        assert!(b.is_leading() && !a.is_leading());
    }

    fn at(on: &'static str, term: u64, speaks: bool) -> AtTheLobby<'static> {
        AtTheLobby { on, room: None, term, speaks, in_a_family: false }
    }

    #[test]
    fn a_newcomer_asks_and_moves_to_the_market_the_leader_names() {
        let newcomer = at("broadcast", 0, false);
        let leader = at("shared-worker", 3, true);
        let asked = newcomer.arrive().expect("a newcomer asks");
        let Some(LobbyStep::Say(answer)) = leader.hear(&asked) else { panic!("the leader answers") };
        assert_eq!(answer, StockMsg::MarketOn { transport: "shared-worker".into(), term: 3, room: None });
        assert_eq!(
            newcomer.hear(&answer),
            Some(LobbyStep::MoveTo { transport: "shared-worker".into(), term: 3, room: None })
        );
        assert_eq!(
            at("shared-worker", 0, false).hear(&answer),
            Some(LobbyStep::Say(StockMsg::Here)),
            "already there: nothing to move, it only says it is here"
        );
    }

    #[test]
    fn over_the_relay_the_room_is_part_of_where_the_market_is() {
        let leader = AtTheLobby { room: Some("desk-7"), ..at("websocket", 2, true) };
        let answer = leader.announce().expect("a leader announces");
        let default_room = AtTheLobby { room: Some("crosstalk-stock"), ..at("websocket", 0, false) };
        assert_eq!(
            default_room.hear(&answer),
            Some(LobbyStep::MoveTo { transport: "websocket".into(), term: 2, room: Some("desk-7".into()) })
        );
        let there = AtTheLobby { room: Some("desk-7"), ..at("websocket", 2, false) };
        assert_eq!(there.hear(&answer), None);
    }

    #[test]
    fn only_the_tab_speaking_for_the_market_answers_and_families_keep_out() {
        assert_eq!(at("storage", 3, false).hear(&StockMsg::Where), None, "a follower does not answer");
        let family = AtTheLobby { in_a_family: true, ..at("window", 3, true) };
        assert_eq!(family.arrive(), None);
        assert_eq!(family.hear(&StockMsg::Where), None);
        let elsewhere = StockMsg::MarketOn { transport: "storage".into(), term: 9, room: None };
        assert_eq!(family.hear(&elsewhere), None, "a window family is not the origin's market");
    }

    #[test]
    fn of_two_markets_the_older_term_moves_to_the_newer() {
        let old = at("broadcast", 2, true);
        let new = at("storage", 3, true);
        let from_new = new.announce().expect("a leader announces");
        let from_old = old.announce().expect("a leader announces");
        assert!(matches!(old.hear(&from_new), Some(LobbyStep::MoveTo { .. })));
        assert_eq!(new.hear(&from_old), None, "the newer term stays");
        assert!(at("broadcast", 3, false).hear(&from_new).is_some(), "a follower of the same term moves");
        assert_eq!(at("broadcast", 3, true).hear(&from_new), None, "a tie between speakers moves nobody");
    }

    #[test]
    fn the_roster_names_the_tab_heard_last_forgets_the_gone_and_is_bounded() {
        let mut roster = Roster::default();
        assert_eq!(roster.successor(), None);
        for n in 0..Roster::CAP + 10 {
            roster.heard(&id(&format!("t{n}")));
        }
        assert_eq!(roster.len(), Roster::CAP);
        assert_eq!(roster.successor(), Some(id(&format!("t{}", Roster::CAP + 9))));
        roster.heard(&id("t20"));
        assert_eq!(roster.successor(), Some(id("t20")), "heard again: the newest");
        roster.gone(&id("t20"));
        assert_eq!(roster.successor(), Some(id(&format!("t{}", Roster::CAP + 9))));
        assert_eq!(roster.len(), Roster::CAP - 1);
    }

    #[test]
    fn a_tab_already_there_tells_a_new_speaker_once_it_is_here() {
        let announce = StockMsg::MarketOn { transport: "broadcast".into(), term: 4, room: None };
        assert_eq!(at("broadcast", 3, false).hear(&announce), Some(LobbyStep::Say(StockMsg::Here)));
        assert_eq!(at("broadcast", 4, false).hear(&announce), None, "a term it knows: said already");
        assert_eq!(at("broadcast", 3, true).hear(&announce), None, "a speaker does not report to another");
    }

    #[test]
    fn a_named_successor_leads_at_once_and_the_others_wait_for_its_tick() {
        let (mut a, mut b, mut c) =
            (Ticker::new(id("a"), 0.0), Ticker::new(id("b"), 0.0), Ticker::new(id("c"), 0.0));
        let steps = a.lead("first", 0.0);
        deliver(&steps, &id("a"), &mut [&mut b, &mut c], 0.0);
        let steps = a.resign(Some(id("b")), "this page is going away");
        let heard = deliver(&steps, &id("a"), &mut [&mut b, &mut c], 100.0);
        assert!(matches!(heard[0][0], Step::Leading { term: 2, .. }), "{heard:?}");
        assert!(c.poll(150.0).is_empty(), "c does not claim while the named one takes over");
        let ticked = b.tick(600.0);
        deliver(&ticked, &id("b"), &mut [&mut c], 600.0);
        assert_eq!((c.term(), c.leader()), (2, Some(&id("b"))));
        // Named, but gone as well: silence decides, as it does after a crash.
        let (mut x, mut y) = (Ticker::new(id("x"), 0.0), Ticker::new(id("y"), 0.0));
        let steps = x.lead("first", 0.0);
        deliver(&steps, &id("x"), &mut [&mut y], 0.0);
        let steps = x.resign(Some(id("closed-too")), "this page is going away");
        deliver(&steps, &id("x"), &mut [&mut y], 100.0);
        assert!(y.poll(200.0).is_empty());
        assert!(sent(&y.poll(CLAIM_AFTER_MS + 50.0)).iter().any(|m| matches!(m, StockMsg::Claim { .. })));
    }
}
