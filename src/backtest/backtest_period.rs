//! A backtest over a period: the history store read once, in date order, one day's candles in memory at a
//! time (memory does not grow with the period), each trading day run by `backtest_day` as the market calendar
//! plans it. A stored date the calendar has closed (a holiday added since the fetch) is skipped and said; a
//! special session runs with its own times, as live. Only the previous close carries from day to day.

use std::collections::HashMap;

use chrono::{NaiveDate, TimeDelta};
use rust_decimal::Decimal;

use super::backtest_day::{DayCandles, DayResult, FillAssumptions, run_day};
use crate::calendar::{DayPlan, MarketCalendar};
use crate::config::Config;
use crate::domain::{Candle, InstrumentId};
use crate::history::{HistoryError, HistoryStore, Interval, trading_days};
use crate::journal::{Journal, QUEUE_LIMIT};

/// How far before the period the store is read for the first day's previous close: past the longest run of
/// closed days (a long weekend around a holiday).
const PREVIOUS_CLOSE_LOOKBACK_DAYS: i64 = 14;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The instruments to backtest; all the store holds when empty.
    pub instruments: Vec<InstrumentId>,
}

/// What a backtest over a period went through.
#[derive(Debug, Default)]
pub struct PeriodResult {
    /// Every trading day run, in order.
    pub days: Vec<DayResult>,
    /// Stored dates the calendar has closed: not traded.
    pub closed_skipped: Vec<NaiveDate>,
    /// Trading days of the period the store has no candles for.
    pub missing: Vec<NaiveDate>,
    /// Candles read for the period (the look-back for the previous close excluded).
    pub candles: u64,
}

impl PeriodResult {
    pub fn prices(&self) -> u64 {
        self.days.iter().map(|d| d.prices).sum()
    }
}

struct PeriodRun<'a, F: FnMut(&DayResult)> {
    config: &'a Config,
    calendar: MarketCalendar,
    period: &'a Period,
    assumptions: FillAssumptions,
    journal: &'a Journal,
    day: DayCandles,
    closes: HashMap<InstrumentId, Decimal>,
    result: PeriodResult,
    each_day: F,
}

impl<F: FnMut(&DayResult)> PeriodRun<'_, F> {
    fn add(&mut self, date: NaiveDate, instrument: &InstrumentId, candles: &[Candle]) {
        if self.day.date != Some(date) {
            self.finish_day();
            self.day.date = Some(date);
        }
        let previous = self.closes.get(instrument).copied();
        self.day.push(instrument, candles, previous);
    }

    fn finish_day(&mut self) {
        let Some(date) = self.day.date else { return };
        if date >= self.period.from {
            self.result.candles += self.day.candles[..self.day.used]
                .iter()
                .map(|c| c.len() as u64)
                .sum::<u64>();
            match self.calendar.day_plan(date) {
                DayPlan::Open(_) => {
                    let ran = run_day(
                        self.config,
                        &self.calendar,
                        self.assumptions,
                        &self.day,
                        self.journal,
                    );
                    if let Some(ran) = ran {
                        (self.each_day)(&ran);
                        self.result.days.push(ran);
                    }
                }
                DayPlan::Closed(_) => self.result.closed_skipped.push(date),
            }
            // A backtest records far faster than the journal's queue is sized for live days: it waits for the
            // writer rather than let it shed anything.
            if self.journal.unwritten() > QUEUE_LIMIT / 2 {
                if let Err(e) = self.journal.flush_blocking() {
                    tracing::error!(error = %e, "the backtest journal could not be written");
                }
            }
        }
        for i in 0..self.day.used {
            if let Some(last) = self.day.candles[i].last() {
                self.closes
                    .insert(self.day.instruments[i].clone(), last.close);
            }
        }
        self.day.clear();
    }
}

/// Runs `period` from `store` through `config`'s strategy, journaling into `journal`; `each_day` hears of
/// every day as it is done (a progress line).
pub fn run_period(
    config: &Config,
    store: &HistoryStore,
    period: &Period,
    assumptions: FillAssumptions,
    journal: &Journal,
    each_day: impl FnMut(&DayResult),
) -> Result<PeriodResult, HistoryError> {
    let calendar = MarketCalendar::new(config.bot.calendar.clone());
    let mut run = PeriodRun {
        config,
        calendar: calendar.clone(),
        period,
        assumptions,
        journal,
        day: DayCandles::default(),
        closes: HashMap::new(),
        result: PeriodResult::default(),
        each_day,
    };
    let look_back = period.from - TimeDelta::days(PREVIOUS_CLOSE_LOOKBACK_DAYS);
    store.for_each_day(
        &period.instruments,
        Interval::Minute,
        look_back,
        period.to,
        |date, instrument, candles| run.add(date, instrument, candles),
    )?;
    run.finish_day();
    let mut result = run.result;
    let ran: Vec<NaiveDate> = result.days.iter().map(|d| d.date).collect();
    result.missing = trading_days(&calendar, period.from, period.to)
        .into_iter()
        .filter(|d| ran.binary_search(d).is_err())
        .collect();
    Ok(result)
}
