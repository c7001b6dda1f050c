//! The simulated market's past: any trading day's one-minute path of any instrument, made on demand from the
//! scenario's seed, the instrument and the date alone, so the candle APIs can serve years of history without the
//! live clock ever passing through it, and serve the same candles whichever broker's API asks.
//!
//! Each day runs the live market's price process (`market::step_factor`: multiplicative noise per trade, about
//! half the seconds trading, sizes from the live list) over the session's continuous window, in steps of
//! `STEP_SECONDS` so that a year of fifty instruments takes about a second. Where a day goes comes from a
//! day-level anchor: a moving sum of the last `ANCHOR_DAYS` daily shocks around the scenario's previous close,
//! so a price wanders like a random walk for months but stays near the scenario's level over years, and any
//! day's anchor costs a few hundred hash draws instead of replaying every day before it. A day opens with the
//! live market's random gap off the previous day's anchor and is bent (a Brownian bridge) to close on its own
//! anchor, so consecutive days join as the live market's do. Prices are the path rounded onto the tick grid.

use chrono::{Datelike, NaiveDate, TimeDelta};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::market::{DAILY_GAP_PCT, InstrumentSpec, TRADE_SIZES, step_factor};
use crate::calendar::{DayPlan, EquityClass, MarketCalendar, ist_instant};
use crate::domain::Candle;

/// Seconds of market time one step of the path covers; each step carries the trades of its seconds.
const STEP_SECONDS: u32 = 5;
/// How many daily shocks the anchor sums: its memory.
const ANCHOR_DAYS: i64 = 250;
/// The size of one daily shock (a unit-variance draw times this): a day moves about 1.2 %, the level about 13 %.
const ANCHOR_SHOCK: f64 = 0.0085;
const ANCHOR_SALT: u64 = 0xA5C4_02D1_7E11_5EED;

/// Past days of the scenario's instruments.
#[derive(Debug, Clone)]
pub struct MarketHistory {
    specs: Vec<InstrumentSpec>,
    seed: u64,
    calendar: MarketCalendar,
}

impl MarketHistory {
    pub fn new(specs: Vec<InstrumentSpec>, seed: u64, calendar: MarketCalendar) -> Self {
        MarketHistory {
            specs,
            seed,
            calendar,
        }
    }

    pub fn len(&self) -> usize {
        self.specs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    pub fn spec(&self, index: usize) -> &InstrumentSpec {
        &self.specs[index]
    }

    /// The instrument Upstox names `key`.
    pub fn index_of(&self, key: &str) -> Option<usize> {
        self.specs.iter().position(|s| s.key == key)
    }

    /// `index`'s one-minute candles of `date`, oldest first; none when the market was closed.
    pub fn minutes(&self, index: usize, date: NaiveDate) -> Vec<Candle> {
        let DayPlan::Open(plan) = self.calendar.day_plan(date) else {
            return Vec::new();
        };
        let window = plan.continuous(EquityClass::CashOnly);
        let seconds = (window.end - window.start).num_seconds().max(0) as u32;
        let spec = &self.specs[index];
        let instrument = instrument_seed(self.seed, &spec.key);
        let previous_close = anchor(instrument, spec, date - TimeDelta::days(1));
        let close = anchor(instrument, spec, date);
        let day = DayPath {
            seed: mix(instrument, day_number(date)),
            previous_close,
            close,
            seconds,
            tick: spec.tick.value().to_f64().unwrap_or(0.01),
            traded_volume: !spec.index,
        };
        let open = ist_instant(date, window.start);
        // A price is a whole number of ticks: its mantissa is the tick's times that number, at the tick's scale.
        let tick = spec.tick.value();
        let (step, scale) = (i64::try_from(tick.mantissa()).unwrap_or(1), tick.scale());
        let price = |ticks: i64| Decimal::new(ticks.saturating_mul(step), scale);
        day.candles()
            .into_iter()
            .map(|m| Candle {
                start: open + TimeDelta::minutes(i64::from(m.minute)),
                open: price(m.open),
                high: price(m.high),
                low: price(m.low),
                close: price(m.close),
                volume: m.volume,
            })
            .collect()
    }

    /// `index`'s candle of the whole of `date` (its start at midnight IST), built from its minutes; none when the
    /// market was closed.
    pub fn day(&self, index: usize, date: NaiveDate) -> Option<Candle> {
        let day = day_of(&self.minutes(index, date))?;
        Some(Candle {
            start: ist_instant(date, chrono::NaiveTime::MIN),
            ..day
        })
    }
}

/// The candle that spans `minutes` (oldest first): first open, highest high, lowest low, last close, all volume.
pub(super) fn day_of(minutes: &[Candle]) -> Option<Candle> {
    let (first, last) = (minutes.first()?, minutes.last()?);
    Some(Candle {
        start: first.start,
        open: first.open,
        high: minutes.iter().map(|c| c.high).max()?,
        low: minutes.iter().map(|c| c.low).min()?,
        close: last.close,
        volume: minutes.iter().map(|c| c.volume).sum(),
    })
}

/// One minute of a path, its prices in ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MinuteBar {
    /// Minutes since the session's open.
    minute: u32,
    open: i64,
    high: i64,
    low: i64,
    close: i64,
    volume: u64,
}

/// One day's path: its random stream, where it starts from and must end, and how long it trades.
struct DayPath {
    seed: u64,
    previous_close: f64,
    close: f64,
    seconds: u32,
    tick: f64,
    traded_volume: bool,
}

/// What one step of the path draws: the noise, and the bits that say which of its seconds trade how much (a
/// trade bit and three size bits a second).
struct StepDraw {
    noise: f64,
    seconds: u64,
}

/// The trade bit of each of a step's seconds.
const TRADE_BITS: u64 = 0x1111_1111_1111_1111 & ((1 << (4 * STEP_SECONDS)) - 1);

impl StepDraw {
    fn trades(&self) -> u32 {
        (self.seconds & TRADE_BITS).count_ones()
    }

    /// The step's traded volume: each trading second's size from the live list (no branch: trades are coin tosses).
    fn volume(&self) -> u64 {
        (0..STEP_SECONDS)
            .map(|i| {
                let bits = self.seconds >> (4 * i);
                let size = TRADE_SIZES[((bits >> 1) & 7) as usize % TRADE_SIZES.len()];
                (bits & 1) * size as u64
            })
            .sum()
    }
}

impl DayPath {
    /// The day's minutes: a gap off the previous close, then the live process, bent to end at the close.
    fn candles(&self) -> Vec<MinuteBar> {
        let steps = self.seconds / STEP_SECONDS;
        if steps == 0 || self.tick <= 0.0 {
            return Vec::new();
        }
        let mut rng = SplitMix64(self.seed);
        let gap = uniform(rng.next(), 16) * DAILY_GAP_PCT;
        let open = self.previous_close * (1.0 + gap / 100.0);
        let start = rng.clone();
        // A step of k trades moves the price as the live market's k trades would: the live factor at 1/k steps a
        // second. Without drift the factor is linear in the noise, so its slope per k is worked out once.
        let slopes: [f64; STEP_SECONDS as usize + 1] = std::array::from_fn(|k| match k {
            0 => 0.0,
            k => step_factor(0.0, 1.0, 1.0 / k as f64) - 1.0,
        });
        let factor = |draw: &StepDraw| 1.0 + draw.noise * slopes[draw.trades() as usize];
        // First pass: where the unbent path would end, so the bend can bring it to the close.
        let mut drift = 1.0;
        for _ in 0..steps {
            drift *= factor(&self.draw(&mut rng));
        }
        let bend = (self.close / open / drift).powf(1.0 / f64::from(steps));
        let mut rng = start;
        let (mut price, mut bent) = (open, 1.0);
        let mut bars: Vec<MinuteBar> = Vec::with_capacity((self.seconds / 60) as usize + 1);
        let per_tick = 1.0 / self.tick;
        for step in 0..steps {
            let draw = self.draw(&mut rng);
            bent *= bend;
            if draw.trades() == 0 {
                continue;
            }
            price *= factor(&draw);
            // Prices are positive: adding a half and truncating rounds to the nearest tick.
            let ticks = ((price * bent * per_tick + 0.5) as i64).max(1);
            let volume = if self.traded_volume { draw.volume() } else { 0 };
            let minute = step * STEP_SECONDS / 60;
            match bars.last_mut() {
                Some(bar) if bar.minute == minute => {
                    bar.high = bar.high.max(ticks);
                    bar.low = bar.low.min(ticks);
                    bar.close = ticks;
                    bar.volume += volume;
                }
                _ => bars.push(MinuteBar {
                    minute,
                    open: ticks,
                    high: ticks,
                    low: ticks,
                    close: ticks,
                    volume,
                }),
            }
        }
        bars
    }

    /// One step: the live market's noise (four uniform draws, summed and halved) and, per second, a trade with
    /// even odds and a size from the live list (an index trades no volume).
    fn draw(&self, rng: &mut SplitMix64) -> StepDraw {
        let bits = rng.next();
        let noise = (0..4).map(|i| uniform(bits >> (i * 16), 16)).sum::<f64>() / 2.0;
        StepDraw {
            noise,
            seconds: rng.next(),
        }
    }
}

/// The instrument's level at the close of `date` (any calendar day): the scenario's previous close moved by the
/// sum of the last `ANCHOR_DAYS` daily shocks.
fn anchor(instrument: u64, spec: &InstrumentSpec, date: NaiveDate) -> f64 {
    let base = spec.previous_close.to_f64().unwrap_or(1.0);
    let day = day_number(date);
    let shocks: f64 = (0..ANCHOR_DAYS as u64)
        .map(|back| {
            // A unit-variance uniform draw.
            uniform(
                SplitMix64(mix(instrument ^ ANCHOR_SALT, day - back)).next(),
                32,
            ) * 3f64.sqrt()
        })
        .sum();
    base * (shocks * ANCHOR_SHOCK).exp()
}

fn day_number(date: NaiveDate) -> u64 {
    // Days since 1 Jan of year 1; positive for every date a market has traded.
    date.num_days_from_ce().max(0) as u64 + ANCHOR_DAYS as u64
}

/// The instrument's own stream: the scenario's seed mixed with its Upstox key (FNV-1a, stable everywhere).
fn instrument_seed(seed: u64, key: &str) -> u64 {
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    mix(seed, hash)
}

fn mix(a: u64, b: u64) -> u64 {
    SplitMix64(a ^ b.wrapping_mul(0x9E37_79B9_7F4A_7C15)).next()
}

/// A uniform draw from -1 to 1 out of the low `bits` bits of `x`.
fn uniform(x: u64, bits: u32) -> f64 {
    let max = (1u64 << bits) - 1;
    (x & max) as f64 / max as f64 * 2.0 - 1.0
}

/// A tiny, fast, well-mixed generator: the history needs millions of draws a second, not cryptography.
#[derive(Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}
