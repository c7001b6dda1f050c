//! One whole backtest, as `dalal backtest` and each point of a sweep run it: the period run into a journal of
//! its own (the live schema, so `dalal journal summary | trades | report` read it), the journal read back, and
//! the metrics computed from its round trips, for the whole period and, with a split, for the in-sample days
//! and the out-of-sample days that follow them.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{NaiveTime, TimeDelta};

use super::backtest_day::{DayResult, FillAssumptions};
use super::backtest_period::{Period, PeriodResult, run_period};
use super::metrics::{Metrics, RunDay, metrics};
use crate::calendar::ist_instant;
use crate::config::Config;
use crate::history::{HistoryError, HistoryStore};
use crate::journal::{JournalError, JournalWriter, Store};
use crate::review::figures;

#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error("backtest journal {path}: {source}")]
    Journal {
        path: PathBuf,
        #[source]
        source: JournalError,
    },
}

pub struct BacktestJob<'a> {
    pub config: &'a Config,
    pub store: &'a Path,
    pub period: &'a Period,
    pub assumptions: FillAssumptions,
    /// Where the backtest's journal is written (replaced).
    pub journal: &'a Path,
    /// The share of the period's trading days, in percent, kept in sample; the rest is out of sample.
    pub split_pct: Option<u8>,
}

pub struct BacktestOutcome {
    pub period: PeriodResult,
    pub whole: Metrics,
    /// In sample, then out of sample.
    pub split: Option<(Metrics, Metrics)>,
    pub elapsed: Duration,
}

/// Runs `job`; `each_day` hears of every day as it is done.
pub fn run_backtest(
    job: &BacktestJob<'_>,
    each_day: impl FnMut(&DayResult),
) -> Result<BacktestOutcome, BacktestError> {
    let started = Instant::now();
    let journal_error = |source| BacktestError::Journal {
        path: job.journal.to_path_buf(),
        source,
    };
    let store = HistoryStore::open(job.store)?;
    let writer = JournalWriter::open(job.journal, true).map_err(journal_error)?;
    let period = run_period(
        job.config,
        &store,
        job.period,
        job.assumptions,
        &writer.journal(),
        each_day,
    );
    let closed = writer.close().map_err(journal_error);
    let period = period?;
    closed?;

    let from = ist_instant(job.period.from, NaiveTime::MIN);
    let to = ist_instant(job.period.to, NaiveTime::MIN) + TimeDelta::days(1);
    let entries = Store::open(job.journal)
        .and_then(|store| store.between_of_kind(from, to, "trade"))
        .map_err(journal_error)?;
    let trades = figures(&entries, job.period.from, job.period.to).trades;
    let days: Vec<RunDay> = period
        .days
        .iter()
        .map(|d| RunDay {
            date: d.date,
            session_seconds: d.session_seconds,
        })
        .collect();
    let capital = job.config.bot.risk.max_capital_deployed;
    let whole = metrics(&trades, &days, capital);
    let split = job.split_pct.map(|pct| {
        let in_sample = (days.len() * usize::from(pct.min(100))).div_ceil(100);
        let (inside, outside) = days.split_at(in_sample);
        (
            metrics(&trades, inside, capital),
            metrics(&trades, outside, capital),
        )
    });
    Ok(BacktestOutcome {
        period,
        whole,
        split,
        elapsed: started.elapsed(),
    })
}
