//! What one `/stock` tab keeps an eye on beside the ticker, as pure steps: a QA freeze, the last
//! tick (to notice a new term and the quiet before it), the one reconnect a silent shared worker
//! earns, and a tick owed while the transport reconnects. The controller (`controller/stock.rs`)
//! asks; these answer, with the time passed in, so every rule is tested natively.

/// Whether a tab that may be frozen runs now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Awake {
    /// Frozen: no ticks, no polls, nothing heard.
    Frozen,
    /// The freeze just ended (said once).
    Woke,
    Awake,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct StockWatch {
    /// QA: frozen until then (ms), as a browser suspends a tab, the lock still held.
    frozen_until: Option<f64>,
    /// When the last tick was heard or made, and its term.
    last_tick: Option<(f64, u64)>,
    /// Over the shared worker: whether this tab already reconnected since the last tick.
    refreshed: bool,
    /// A tick this tab led was refused while its transport reconnected: it goes out the moment
    /// the transport is ready, not at the next interval (that wait was most of a failover's quiet
    /// over the shared worker).
    owed_tick: bool,
}

impl StockWatch {
    /// QA's freeze: this tab stops for `ms` from `now_ms`.
    pub fn freeze(&mut self, now_ms: f64, ms: u32) {
        self.frozen_until = Some(now_ms + f64::from(ms));
    }

    /// Whether this tab runs at `now_ms`; the first call after a freeze says it woke.
    pub fn awake(&mut self, now_ms: f64) -> Awake {
        match self.frozen_until {
            Some(until) if now_ms < until => Awake::Frozen,
            Some(_) => {
                self.frozen_until = None;
                Awake::Woke
            }
            None => Awake::Awake,
        }
    }

    /// A tick moved the market at `now_ms` in `term`: the silence is over.
    pub fn ticked(&mut self, now_ms: f64, term: u64) {
        self.refreshed = false;
        self.last_tick = Some((now_ms, term));
    }

    /// A message moved the term from `before` to `after`: if a new leader took over from an
    /// earlier one, how long the market was quiet (ms) before it. The first term is no takeover.
    pub fn new_leader(&self, before: u64, after: u64, now_ms: f64) -> Option<f64> {
        (after > before && before > 0).then(|| self.last_tick.map_or(0.0, |(at, _)| now_ms - at))
    }

    /// Over the shared worker, silence may mean the worker died with a crashed leader's process:
    /// a follower that has heard no tick for longer than `claim_after_ms` reconnects, once until
    /// the next tick. Whether to reconnect now.
    pub fn refresh_when_silent(
        &mut self,
        on_shared_worker: bool,
        leading: bool,
        age_ms: Option<f64>,
        claim_after_ms: f64,
    ) -> bool {
        let silent = !leading && age_ms.is_some_and(|age| age > claim_after_ms);
        on_shared_worker && silent && !std::mem::replace(&mut self.refreshed, true)
    }

    /// This tab's tick went out, or was refused because the transport was not ready yet.
    pub fn tick_sent(&mut self, not_ready: bool) {
        self.owed_tick = not_ready;
    }

    /// The transport is ready again: whether a tick is owed (and this tab still leads).
    pub fn pay_owed_tick(&mut self, leading: bool) -> bool {
        std::mem::take(&mut self.owed_tick) && leading
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_freeze_lasts_its_time_and_says_once_that_it_woke() {
        let mut watch = StockWatch::default();
        assert_eq!(watch.awake(0.0), Awake::Awake);
        watch.freeze(1_000.0, 5_000);
        assert_eq!(watch.awake(5_999.0), Awake::Frozen);
        assert_eq!(watch.awake(6_000.0), Awake::Woke);
        assert_eq!(watch.awake(6_001.0), Awake::Awake);
    }

    #[test]
    fn a_new_term_after_another_is_a_takeover_with_the_quiet_before_it() {
        let mut watch = StockWatch::default();
        assert_eq!(watch.new_leader(0, 1, 50.0), None, "the first leader takes over from nobody");
        watch.ticked(1_000.0, 1);
        assert_eq!(watch.new_leader(1, 1, 1_100.0), None, "the same term");
        assert_eq!(watch.new_leader(1, 2, 1_400.0), Some(400.0));
        assert_eq!(StockWatch::default().new_leader(1, 2, 9.0), Some(0.0), "no tick heard yet");
    }

    #[test]
    fn a_silent_follower_on_the_shared_worker_reconnects_once_until_the_next_tick() {
        let mut watch = StockWatch::default();
        let silent = Some(2_000.0);
        assert!(!watch.refresh_when_silent(false, false, silent, 1_500.0), "not on the shared worker");
        assert!(!watch.refresh_when_silent(true, true, silent, 1_500.0), "the leader is never silent");
        assert!(!watch.refresh_when_silent(true, false, Some(1_000.0), 1_500.0), "not silent yet");
        assert!(!watch.refresh_when_silent(true, false, None, 1_500.0), "nothing heard yet");
        assert!(watch.refresh_when_silent(true, false, silent, 1_500.0));
        assert!(!watch.refresh_when_silent(true, false, silent, 1_500.0), "once");
        watch.ticked(3_000.0, 1);
        assert!(watch.refresh_when_silent(true, false, silent, 1_500.0), "again after a tick");
    }

    #[test]
    fn a_tick_refused_while_reconnecting_is_owed_until_ready_and_paid_once() {
        let mut watch = StockWatch::default();
        watch.tick_sent(true);
        assert!(!watch.pay_owed_tick(false), "a tab that no longer leads owes nothing");
        assert!(!watch.pay_owed_tick(true), "and the debt is gone");
        watch.tick_sent(true);
        assert!(watch.pay_owed_tick(true));
        assert!(!watch.pay_owed_tick(true), "paid once");
        watch.tick_sent(false);
        assert!(!watch.pay_owed_tick(true), "a tick that went out is owed nothing");
    }
}
