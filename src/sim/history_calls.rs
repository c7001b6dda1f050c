//! What the simulator's two historical candle APIs (Upstox's V3 in `upstox_history`, HDFC Sky's chart API in
//! `hdfcsky_charts`) share: which days a call can be served (those before the simulated today, whose paths
//! `MarketHistory` makes; today's minutes come from the live market), the scripted history faults, and the record
//! of every answer served, which tests read to prove a fetch asked for nothing twice.

use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::faults::{HistoryFault, NEVER_MS};
use super::market_history::day_of;
use super::state::SimState;
use crate::calendar::{ist_instant, to_ist};
use crate::domain::Candle;

/// One historical candle answer the simulator served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryServed {
    /// `upstox` or `hdfcsky`.
    pub api: &'static str,
    /// The instrument's trading symbol.
    pub symbol: String,
    /// `minute` or `day`.
    pub interval: &'static str,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub candles: usize,
}

/// Every history answer served, in order.
#[derive(Debug, Default)]
pub struct HistoryLog(Mutex<Vec<HistoryServed>>);

impl HistoryLog {
    pub fn record(&self, served: HistoryServed) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(served);
    }

    pub fn all(&self) -> Vec<HistoryServed> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A candle interval the simulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimInterval {
    Minute,
    Day,
}

impl SimInterval {
    pub fn name(self) -> &'static str {
        match self {
            SimInterval::Minute => "minute",
            SimInterval::Day => "day",
        }
    }
}

/// The candles of instrument `index` from `from` to `to`, oldest first: past days from the history, today's
/// minutes so far from the live market, nothing after today.
pub fn candles_between(
    state: &SimState,
    index: usize,
    interval: SimInterval,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<Candle> {
    let (inner, now) = state.at_now();
    let today = to_ist(now).date_naive();
    // The live market keeps its last session's minutes until the next one opens: only today's are today's.
    let mut live_today: Vec<Candle> = if (from..=to).contains(&today) {
        inner
            .market
            .minutes(index)
            .iter()
            .filter(|c| to_ist(c.start).date_naive() == today)
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    drop(inner);
    let mut candles = Vec::new();
    for date in from.iter_days().take_while(|d| *d <= to.min(today)) {
        let minutes = if date == today {
            std::mem::take(&mut live_today)
        } else {
            state.history.minutes(index, date)
        };
        match interval {
            SimInterval::Minute => candles.extend(minutes),
            SimInterval::Day => candles.extend(day_of(&minutes).map(|day| Candle {
                start: ist_instant(date, NaiveTime::MIN),
                ..day
            })),
        }
    }
    candles
}

/// What the scripted faults do to a history call at `now`; a stalled call waits here past any client timeout
/// before it is answered with the fault.
pub async fn history_fault(state: &SimState, now: DateTime<Utc>) -> Option<HistoryFault> {
    let fault = state.at_now().0.faults.on_history(now);
    if fault == Some(HistoryFault::Stall) {
        state
            .clock
            .sleep(std::time::Duration::from_millis(NEVER_MS))
            .await;
    }
    fault
}
