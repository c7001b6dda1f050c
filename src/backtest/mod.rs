//! Backtests: the stored candles (`history`) run through the same engine, risk checks and paper fills that
//! trade live, day by day on the market calendar, into a journal of the live schema. `candle_path` makes
//! prices of candles, `backtest_day` runs one day, `backtest_period` a period from the store, `backtest_run`
//! a whole backtest with its metrics (`metrics`), `sweep` the grid of strategy values a sweep runs, and
//! `report` prints what a trader reads: the assumptions first, then the figures. `dalal backtest`
//! (src/app/backtest_command.rs) puts it on the command line.

mod backtest_day;
#[cfg(test)]
mod backtest_day_tests;
mod backtest_period;
mod backtest_run;
mod candle_path;
mod metrics;
mod report;
mod sweep;

pub use backtest_day::{DayCandles, DayResult, FillAssumptions, run_day};
pub use backtest_period::{Period, PeriodResult, run_period};
pub use backtest_run::{BacktestError, BacktestJob, BacktestOutcome, run_backtest};
pub use candle_path::{CandlePath, PATH_SECONDS};
pub use metrics::{GroupRow, Metrics, RunDay, TRADING_DAYS_A_YEAR, metrics};
pub use report::{Assumptions, SortBy, SweepRow, report, sweep_table};
pub use sweep::{SweepAxis, SweepPoint, apply, cores, grid, on_every_core};
