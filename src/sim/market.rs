//! The simulated market: a seeded price path per instrument on the simulated clock, so the same seed gives the
//! same day whatever the speed or the moments at which the path is read.
//!
//! The path advances in steps during continuous trading only: whole simulated seconds, about half of which carry a
//! trade, or, when the scenario sets `trades_per_second`, that many steps a second, each a trade. Each trading day
//! opens with a gap off the previous close (the scenario's for the first day, a random one after), then drifts
//! with the instrument's trend plus noise. Prices stay on the tick grid.

use chrono::{DateTime, DurationRound, NaiveDate, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

use crate::calendar::{DayPlan, EquityClass, MarketCalendar, ist_instant, to_ist};
use crate::domain::{Candle, TickSize};

/// One simulated instrument as the scenario describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct InstrumentSpec {
    pub symbol: String,
    /// The Upstox instrument key, e.g. `NSE_EQ|INE002A01018` or `NSE_INDEX|Nifty 50`.
    pub key: String,
    /// HDFC Sky's exchange token (`NSE_2885`, `NSE_INDEX_26000` on its feed); none when the scenario gives none.
    pub hdfcsky_token: Option<u64>,
    pub previous_close: Decimal,
    pub tick: TickSize,
    /// The first day's opening gap, in percent of the previous close.
    pub gap_pct: f64,
    /// Drift over a whole session, in percent.
    pub trend_pct: f64,
    pub index: bool,
}

/// An instrument's market state at the last simulated second.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    pub ltp: Decimal,
    /// Epoch milliseconds of the last trade; 0 before the first.
    pub ltt_ms: i64,
    pub ltq: i64,
    /// The previous session's close.
    pub cp: Decimal,
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub volume: i64,
    /// Bumped on every trade, so a feed can tell which quotes changed since it last looked.
    pub seq: u64,
}

const SESSION_SECONDS: f64 = 22_500.0;
/// Per-second noise, as a fraction of the price: about 1.5 % over a session.
const NOISE_PER_SECOND: f64 = 0.0001;
pub(super) const TRADE_SIZES: [i64; 6] = [1, 5, 10, 25, 75, 150];
/// After its first day, a session opens up to this many percent off the previous close, either way.
pub(super) const DAILY_GAP_PCT: f64 = 2.0;

/// The price process of one step, shared by the live market and the past days (`market_history`): the factor a
/// trade moves the price by, for a session drift of `trend_pct` and a `noise` draw (four uniform draws from -1
/// to 1, summed and halved), at `steps_per_second` steps a second. Per step, so that a session's drift and
/// spread do not depend on how often it trades.
pub(super) fn step_factor(trend_pct: f64, noise: f64, steps_per_second: f64) -> f64 {
    let drift = trend_pct / 100.0 / SESSION_SECONDS / steps_per_second;
    1.0 + drift + noise * NOISE_PER_SECOND / steps_per_second.sqrt()
}

pub struct Market {
    specs: Vec<InstrumentSpec>,
    quotes: Vec<Quote>,
    rng: ChaCha8Rng,
    calendar: MarketCalendar,
    /// Steps per simulated second.
    steps_per_second: i64,
    /// The chance that an instrument trades in one step.
    trade_chance: f64,
    /// The last step taken, counted in steps since the epoch.
    stepped_to: i64,
    session_day: Option<NaiveDate>,
    sequence: u64,
    /// Today's one-minute candles of each instrument, oldest first: what the candle APIs serve.
    minutes: Vec<Vec<Candle>>,
}

impl Market {
    pub fn new(
        specs: Vec<InstrumentSpec>,
        seed: u64,
        calendar: MarketCalendar,
        start: DateTime<Utc>,
        trades_per_second: Option<u32>,
    ) -> Self {
        let steps_per_second = i64::from(trades_per_second.unwrap_or(1).max(1));
        let quotes = specs
            .iter()
            .map(|s| Quote {
                ltp: s.previous_close,
                ltt_ms: 0,
                ltq: 0,
                cp: s.previous_close,
                open: s.previous_close,
                high: s.previous_close,
                low: s.previous_close,
                volume: 0,
                seq: 0,
            })
            .collect();
        // Started mid-session, the market has already traded since the open: replay the day from there.
        let stepped_to = match calendar.plan_at(start) {
            DayPlan::Open(plan) => {
                let open = ist_instant(plan.date, plan.times.open);
                if open < start {
                    open.timestamp() * steps_per_second - 1
                } else {
                    step_of(start, steps_per_second)
                }
            }
            DayPlan::Closed(_) => step_of(start, steps_per_second),
        };
        let mut market = Market {
            specs,
            quotes,
            rng: ChaCha8Rng::seed_from_u64(seed),
            calendar,
            steps_per_second,
            trade_chance: if trades_per_second.is_some() {
                1.0
            } else {
                0.5
            },
            stepped_to,
            session_day: None,
            sequence: 0,
            minutes: Vec::new(),
        };
        market.advance_to(start);
        market
    }

    pub fn index_of(&self, key: &str) -> Option<usize> {
        self.specs.iter().position(|s| s.key == key)
    }

    /// The instrument HDFC Sky names by `token` in the cash segment (`index` false) or the index segment.
    pub fn index_of_token(&self, token: u64, index: bool) -> Option<usize> {
        self.specs
            .iter()
            .position(|s| s.hdfcsky_token == Some(token) && s.index == index)
    }

    /// The subscriptions (market index → mode and the quote sequence last sent) whose quote changed since,
    /// marked as sent.
    pub fn changed<M: Copy>(
        &self,
        subscribed: &mut std::collections::HashMap<usize, (M, u64)>,
    ) -> Vec<(usize, M)> {
        subscribed
            .iter_mut()
            .filter_map(|(&i, (mode, seq))| {
                let quote_seq = self.quotes[i].seq;
                (quote_seq != *seq).then(|| {
                    *seq = quote_seq;
                    (i, *mode)
                })
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.specs.len()
    }

    pub fn get(&self, index: usize) -> (&InstrumentSpec, &Quote) {
        (&self.specs[index], &self.quotes[index])
    }

    /// Today's one-minute candles of instrument `index` up to the last step, oldest first.
    pub fn minutes(&self, index: usize) -> &[Candle] {
        self.minutes.get(index).map_or(&[], Vec::as_slice)
    }

    pub fn calendar(&self) -> &MarketCalendar {
        &self.calendar
    }

    /// Steps the path through every step up to `now`. Reading the market at any moments gives the same path,
    /// because the random draws happen per step, never per read.
    pub fn advance_to(&mut self, now: DateTime<Utc>) {
        let target = step_of(now, self.steps_per_second);
        while self.stepped_to < target {
            self.stepped_to += 1;
            self.step(self.stepped_to);
        }
    }

    fn step(&mut self, step: i64) {
        let step_ms = 1000 / self.steps_per_second;
        let Some(t) = DateTime::from_timestamp_millis(step * step_ms) else {
            return;
        };
        if !self.calendar.is_continuous(t, EquityClass::CashOnly) {
            return;
        }
        let day = to_ist(t).date_naive();
        if self.session_day != Some(day) {
            self.open_session(day);
        }
        for i in 0..self.specs.len() {
            let noise: f64 = (0..4)
                .map(|_| self.rng.random_range(-1.0..1.0))
                .sum::<f64>()
                / 2.0;
            let traded = self.rng.random_bool(self.trade_chance);
            let size = TRADE_SIZES[self.rng.random_range(0..TRADE_SIZES.len())];
            let millis: i64 = self.rng.random_range(0..step_ms);
            if !traded {
                continue;
            }
            let spec = &self.specs[i];
            let steps = self.steps_per_second as f64;
            let factor = Decimal::try_from(step_factor(spec.trend_pct, noise, steps))
                .unwrap_or(Decimal::ONE);
            let q = &mut self.quotes[i];
            q.ltp = spec
                .tick
                .round_nearest(q.ltp * factor)
                .max(spec.tick.value());
            q.high = q.high.max(q.ltp);
            q.low = q.low.min(q.ltp);
            q.ltt_ms = step * step_ms + millis;
            q.ltq = if spec.index { 0 } else { size };
            q.volume += q.ltq;
            record_minute(&mut self.minutes[i], t, q.ltp, q.ltq);
            self.sequence += 1;
            q.seq = self.sequence;
        }
    }

    /// The open: yesterday's last price becomes the previous close, and today's first price gaps off it.
    fn open_session(&mut self, day: NaiveDate) {
        let first = self.session_day.is_none();
        for (spec, q) in self.specs.iter().zip(&mut self.quotes) {
            let gap = if first {
                spec.gap_pct
            } else {
                self.rng.random_range(-DAILY_GAP_PCT..DAILY_GAP_PCT)
            };
            if !first {
                q.cp = q.ltp;
            }
            let factor = Decimal::try_from(1.0 + gap / 100.0).unwrap_or(Decimal::ONE);
            q.ltp = spec.tick.round_nearest(q.cp * factor);
            q.open = q.ltp;
            q.high = q.ltp;
            q.low = q.ltp;
            q.volume = 0;
        }
        self.session_day = Some(day);
        self.minutes = vec![Vec::new(); self.specs.len()];
    }
}

/// The step `at` falls in, counted since the epoch.
fn step_of(at: DateTime<Utc>, steps_per_second: i64) -> i64 {
    (at.timestamp_millis() * steps_per_second).div_euclid(1000)
}

/// Adds a trade at `t` to the candles of its minute.
fn record_minute(candles: &mut Vec<Candle>, t: DateTime<Utc>, price: Decimal, size: i64) {
    let start = t.duration_trunc(chrono::TimeDelta::minutes(1)).unwrap_or(t);
    let volume = u64::try_from(size).unwrap_or(0);
    match candles.last_mut() {
        Some(bar) if bar.start == start => {
            bar.high = bar.high.max(price);
            bar.low = bar.low.min(price);
            bar.close = price;
            bar.volume += volume;
        }
        _ => candles.push(Candle {
            start,
            open: price,
            high: price,
            low: price,
            close: price,
            volume,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{CalendarData, ist_instant};
    use chrono::{NaiveDate, NaiveTime, TimeDelta};
    use rust_decimal::dec;

    fn specs() -> Vec<InstrumentSpec> {
        vec![InstrumentSpec {
            symbol: "RELIANCE".into(),
            key: "NSE_EQ|INE002A01018".into(),
            hdfcsky_token: Some(2885),
            previous_close: dec!(1543.2),
            tick: TickSize::new(dec!(0.1)).unwrap(),
            gap_pct: 1.0,
            trend_pct: 0.5,
            index: false,
        }]
    }

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        ist_instant(
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            NaiveTime::from_hms_opt(h, m, 0).unwrap(),
        )
    }

    fn market(seed: u64, start: DateTime<Utc>) -> Market {
        Market::new(
            specs(),
            seed,
            MarketCalendar::new(CalendarData::default()),
            start,
            None,
        )
    }

    #[test]
    fn the_same_seed_gives_the_same_day_however_it_is_read() {
        let mut stepwise = market(7, at(9, 0));
        let mut t = at(9, 0);
        while t < at(11, 0) {
            t += TimeDelta::seconds(7);
            stepwise.advance_to(t.min(at(11, 0)));
        }
        let mut jump = market(7, at(9, 0));
        jump.advance_to(at(11, 0));
        let started_late = market(7, at(11, 0));
        assert_eq!(stepwise.get(0).1, jump.get(0).1);
        assert_eq!(
            jump.get(0).1,
            started_late.get(0).1,
            "a mid-session start replays from the open"
        );
        let other_seed = market(8, at(11, 0));
        assert_ne!(jump.get(0).1.ltp, other_seed.get(0).1.ltp);
    }

    #[test]
    fn the_open_gaps_off_the_previous_close_and_prices_stay_on_the_tick() {
        let mut m = market(7, at(9, 0));
        m.advance_to(at(9, 14));
        assert_eq!(m.get(0).1.ltp, dec!(1543.2), "no trading before the open");
        m.advance_to(at(9, 15) + TimeDelta::seconds(1));
        let q = m.get(0).1.clone();
        assert_eq!(q.cp, dec!(1543.2));
        assert_eq!(
            q.open,
            dec!(1558.6),
            "1543.2 gapped up 1 % onto the 0.1 grid"
        );
        m.advance_to(at(15, 29));
        let q = m.get(0).1;
        assert!(q.volume > 0 && q.high >= q.ltp && q.low <= q.ltp);
        assert!(m.get(0).0.tick.is_on_grid(q.ltp));
    }
}
