//! One trading day of a backtest: the day's stored candles turned into prices along the candle path, minute by
//! minute and across instruments in step (every instrument's :15 price before anyone's :30), given to a fresh
//! engine through the same `OfflineSession` a replay uses, its orders filled on paper at the next price. A live
//! day starts a fresh process too, so nothing but the previous close carries from one day to the next.
//!
//! The day is journaled as a live one is (signals, refusals, orders, fills, round trips), with minute bars of
//! the instruments it traded taken from the candles themselves, so the review's trade charts draw them.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use rust_decimal::Decimal;

use super::candle_path::{CandlePath, PATH_SECONDS, step_time};
use crate::calendar::{DayPlan, MarketCalendar, ist_instant};
use crate::config::Config;
use crate::domain::{Candle, InstrumentId, Tick, TickSource};
use crate::engine::{Engine, EngineEvent};
use crate::execution::{OfflineFills, PaperBroker};
use crate::journal::{EngineInput, Journal, JournalEntry};
use crate::runner::{FillSource, OfflineSession, SessionSummary};

/// How a backtest fills and prices: the assumptions its report states first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillAssumptions {
    pub path: CandlePath,
    /// Paid on every fill, against the trader.
    pub slippage_bps: Decimal,
}

/// One day's candles, an entry per instrument (the buffers are reused from day to day).
#[derive(Debug, Default)]
pub struct DayCandles {
    pub date: Option<NaiveDate>,
    pub instruments: Vec<InstrumentId>,
    /// `candles[i]` are `instruments[i]`'s, in time order.
    pub candles: Vec<Vec<Candle>>,
    /// The close of the trading day before, per instrument, when the store has it.
    pub previous_close: Vec<Option<Decimal>>,
    /// Instruments in use; entries past it are spare buffers.
    pub used: usize,
}

impl DayCandles {
    pub fn clear(&mut self) {
        self.date = None;
        self.used = 0;
    }

    /// Adds `instrument`'s candles for the day.
    pub fn push(
        &mut self,
        instrument: &InstrumentId,
        candles: &[Candle],
        previous: Option<Decimal>,
    ) {
        if self.used == self.instruments.len() {
            self.instruments.push(instrument.clone());
            self.candles.push(Vec::new());
            self.previous_close.push(None);
        }
        let i = self.used;
        if self.instruments[i] != *instrument {
            self.instruments[i] = instrument.clone();
        }
        self.candles[i].clear();
        self.candles[i].extend_from_slice(candles);
        self.previous_close[i] = previous;
        self.used += 1;
    }

    fn minutes(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let used = &self.candles[..self.used];
        let first = used
            .iter()
            .filter_map(|c| c.first())
            .map(|c| c.start)
            .min()?;
        let last = used
            .iter()
            .filter_map(|c| c.last())
            .map(|c| c.start)
            .max()?;
        Some((first, last))
    }
}

/// What one backtested day did.
#[derive(Debug, Clone)]
pub struct DayResult {
    pub date: NaiveDate,
    pub summary: SessionSummary,
    /// Prices given to the engine.
    pub prices: u64,
    /// Positions the engine still held after the close's fallback print (journaled as an error).
    pub left_open: Vec<InstrumentId>,
    /// Seconds of continuous trading in the day.
    pub session_seconds: i64,
}

/// Runs `day` through a fresh engine of `config`, journaling into `journal`. An instrument the engine is done
/// with for the day (`Engine::done_for_the_day`) gets no more prices: they could change nothing, and most of a
/// day's instruments are done at the open (a gap outside the window). A test holds that the journal is the
/// same as with every price given.
pub fn run_day(
    config: &Config,
    calendar: &MarketCalendar,
    assumptions: FillAssumptions,
    day: &DayCandles,
    journal: &Journal,
) -> Option<DayResult> {
    run_day_giving(
        config,
        calendar,
        assumptions,
        day,
        journal,
        Prices::UntilDone,
    )
}

/// Which prices a day gives the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Prices {
    /// Each instrument's, until the engine is done with it for the day.
    UntilDone,
    /// Every one (what the test compares against).
    #[cfg_attr(not(test), allow(dead_code))]
    All,
}

pub(super) fn run_day_giving(
    config: &Config,
    calendar: &MarketCalendar,
    assumptions: FillAssumptions,
    day: &DayCandles,
    journal: &Journal,
    given: Prices,
) -> Option<DayResult> {
    let date = day.date?;
    let DayPlan::Open(plan) = calendar.day_plan(date) else {
        return None;
    };
    let (first, last) = day.minutes()?;
    let close = ist_instant(date, plan.times.close);
    let engine = Engine::for_config(config, calendar.clone());
    let paper = PaperBroker::at_next_price(assumptions.slippage_bps);
    let fills = FillSource::Paper(OfflineFills::new(paper));
    let mut session = OfflineSession::new(engine, journal.clone(), config.bot.charges, fills)
        .without_price_bars();
    // A live day passes its pre-open checks and reconciliation first; a backtest has nothing to check.
    for event in [
        EngineEvent::FeedHealth(true),
        EngineEvent::JournalWrites(true),
        EngineEvent::TradingEnabled(true),
    ] {
        give(&mut session, event);
    }

    let used = day.used;
    let mut next = vec![0usize; used];
    let mut done = vec![false; used];
    let mut prices = 0u64;
    let mut minute = first;
    while minute <= last {
        for (i, at) in next.iter_mut().enumerate() {
            let candles = &day.candles[i];
            while candles.get(*at).is_some_and(|c| c.start < minute) {
                *at += 1;
            }
        }
        for step in 0..PATH_SECONDS.len() {
            let at = step_time(minute, step);
            let mut timed = false;
            for (i, at_candle) in next.iter().enumerate() {
                if done[i] {
                    continue;
                }
                let Some(candle) = day.candles[i].get(*at_candle).filter(|c| c.start == minute)
                else {
                    continue;
                };
                let Some(price) = assumptions.path.price(candle, step) else {
                    continue;
                };
                // Time passes before the prices at it, as the live session's timer ticks between prices.
                if !timed {
                    give(&mut session, EngineEvent::Timer(at));
                    timed = true;
                }
                let tick = price_at(&day.instruments[i], price, day.previous_close[i], at);
                give(&mut session, EngineEvent::Tick(tick));
                prices += 1;
                done[i] = given == Prices::UntilDone
                    && session.engine().done_for_the_day(&day.instruments[i]);
            }
        }
        minute += TimeDelta::minutes(1);
    }

    // The session ends as a live one does: a flattening stop at the close. Its exits need a price after them,
    // which the candles no longer have: each instrument still held gets its last close once more.
    give(&mut session, EngineEvent::Timer(close));
    give(
        &mut session,
        EngineEvent::Shutdown {
            at: close,
            flatten: true,
        },
    );
    let held: Vec<usize> = (0..used)
        .filter(|i| {
            let id = &day.instruments[*i];
            session
                .engine()
                .open_positions()
                .any(|(position, _)| &position.instrument == id)
        })
        .collect();
    for i in held {
        if let Some(candle) = day.candles[i].last() {
            let at = close + TimeDelta::seconds(1);
            let tick = price_at(&day.instruments[i], candle.close, day.previous_close[i], at);
            give(&mut session, EngineEvent::Tick(tick));
        }
    }
    let left_open: Vec<InstrumentId> = session
        .engine()
        .open_positions()
        .map(|(position, _)| position.instrument.clone())
        .collect();
    for id in &left_open {
        journal.record(
            close,
            JournalEntry::Error {
                class: "backtest".into(),
                message: format!("{id} was still held after the close: its exit never filled"),
            },
        );
    }
    journal_traded_bars(
        journal,
        session.engine().traded_today(),
        day,
        assumptions.path,
    );
    let session_seconds = (close - ist_instant(date, plan.times.open)).num_seconds();
    Some(DayResult {
        date,
        summary: session.end(),
        prices,
        left_open,
        session_seconds,
    })
}

fn give(session: &mut OfflineSession, event: EngineEvent) {
    session.take(EngineInput::Event(event));
}

fn price_at(
    instrument: &InstrumentId,
    price: Decimal,
    previous_close: Option<Decimal>,
    at: DateTime<Utc>,
) -> Tick {
    Tick {
        instrument: instrument.clone(),
        last_price: price,
        last_trade_time: Some(at),
        last_quantity: None,
        previous_close,
        source: TickSource::Stream,
        received_at: at,
    }
}

/// The minute bars of the instruments traded today, from the candles (what the review draws a trade over).
fn journal_traded_bars(
    journal: &Journal,
    traded: &[InstrumentId],
    day: &DayCandles,
    path: CandlePath,
) {
    for id in traded {
        let Some(i) = day.instruments[..day.used].iter().position(|d| d == id) else {
            continue;
        };
        for candle in &day.candles[i] {
            journal.record(
                candle.start + TimeDelta::minutes(1),
                JournalEntry::TickSummary {
                    instrument: id.to_string(),
                    minute: candle.start,
                    open: candle.open,
                    high: candle.high,
                    low: candle.low,
                    close: candle.close,
                    stream_ticks: path.steps(),
                    poll_ticks: 0,
                },
            );
        }
    }
}
