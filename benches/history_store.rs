//! The history store's speed at a backtest's scale: a year of one-minute candles of fifty instruments (about 4.7
//! million), made by the simulator's history, written a month of one instrument per transaction as a fetch
//! does, then read back whole in date-then-instrument order with `for_each_day` (goal: well under a few seconds).
//!
//! Run with `cargo bench --bench history_store`; it prints each figure. Not criterion: one long measurement of
//! each step says more here than many short ones.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use chrono::{Datelike, NaiveDate};
use dalal::calendar::MarketCalendar;
use dalal::config::BotConfig;
use dalal::domain::{Candle, Exchange, InstrumentId, TickSize};
use dalal::history::{HistoryStore, Interval, trading_days};
use dalal::sim::{InstrumentSpec, MarketHistory};
use rust_decimal::Decimal;

const INSTRUMENTS: usize = 50;

fn specs() -> Vec<InstrumentSpec> {
    (0..INSTRUMENTS)
        .map(|i| InstrumentSpec {
            symbol: format!("SYM{i:02}"),
            key: format!("NSE_EQ|SYM{i:02}"),
            hdfcsky_token: None,
            previous_close: Decimal::new(5_000 + 7_919 * i as i64, 1),
            tick: TickSize::new(Decimal::new(if i % 3 == 0 { 1 } else { 5 }, 2)).unwrap(),
            gap_pct: 0.0,
            trend_pct: 0.0,
            index: false,
        })
        .collect()
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bot = BotConfig::load(&root.join("config/dalal.toml")).expect("the shipped config");
    let calendar = MarketCalendar::new(bot.calendar);
    let (from, to) = (
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
    );
    let days = trading_days(&calendar, from, to);
    let history = MarketHistory::new(specs(), 20261123, calendar);

    let started = Instant::now();
    let mut year: Vec<Vec<(NaiveDate, Vec<Candle>)>> = Vec::with_capacity(INSTRUMENTS);
    for i in 0..INSTRUMENTS {
        year.push(days.iter().map(|d| (*d, history.minutes(i, *d))).collect());
    }
    let made = started.elapsed();
    let candles: usize = year.iter().flatten().map(|(_, c)| c.len()).sum();
    println!(
        "generate  {} trading days x {INSTRUMENTS} instruments = {candles} candles in {:.2} s ({:.1} M candles/s)",
        days.len(),
        made.as_secs_f64(),
        candles as f64 / made.as_secs_f64() / 1e6
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite");
    let mut store = HistoryStore::open(&path).unwrap().with_source("bench");
    let started = Instant::now();
    for (i, instrument_days) in year.iter().enumerate() {
        let id = InstrumentId::new(Exchange::Nse, &format!("SYM{i:02}")).unwrap();
        for month in 1..=12 {
            let piece: Vec<(NaiveDate, &[Candle])> = instrument_days
                .iter()
                .filter(|(d, _)| d.month() == month)
                .map(|(d, c)| (*d, c.as_slice()))
                .collect();
            store.put_days(&id, Interval::Minute, &piece).unwrap();
        }
    }
    let written = started.elapsed();
    drop(year);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "write     {candles} candles in {:.2} s, one transaction per instrument-month; file {:.0} MB",
        written.as_secs_f64(),
        size as f64 / 1e6
    );

    for round in 1..=3 {
        let store = HistoryStore::open(&path).unwrap();
        let started = Instant::now();
        let mut checksum = Decimal::ZERO;
        let totals = store
            .for_each_day(&[], Interval::Minute, from, to, |_, _, day| {
                checksum += day[day.len() - 1].close;
                black_box(day);
            })
            .unwrap();
        let read = started.elapsed();
        assert_eq!(totals.candles as usize, candles);
        println!(
            "read {round}    {} days, {} candles in {:.3} s ({:.1} M candles/s; checksum {checksum})",
            totals.days,
            totals.candles,
            read.as_secs_f64(),
            totals.candles as f64 / read.as_secs_f64() / 1e6
        );
    }
}
