//! Backtest speed at the scale traders run it: fifty instruments of one-minute candles made by the
//! simulator's history, stored as `dalal history fetch` stores them.
//!
//! - criterion: one trading day (about 75,000 prices) through `run_day`, that is the strategy, risk, the stop
//!   monitor, paper fills and the day book, in prices per second on one core (goal: 3 M);
//! - then, printed: a year (about 4.7 M candles) backtested from the store with its journal and metrics (goal:
//!   under 10 s), the process's resident memory after its 20th day and after its last (goal: no growth with
//!   days), and a 27-point sweep of that year on every core (goal: under a minute).
//!
//! Run with `cargo bench --bench backtest`; `BACKTEST_BENCH_UNTIL=day` (or `year`) stops after that part.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;
use criterion::{Criterion, Throughput};
use dalal::backtest::{
    BacktestJob, BacktestOutcome, CandlePath, DayCandles, DayResult, FillAssumptions, Period,
    SweepAxis, apply, cores, grid, on_every_core, run_backtest, run_day,
};
use dalal::calendar::MarketCalendar;
use dalal::config::Config;
use dalal::domain::{Exchange, Instrument, InstrumentId, Segment, TickSize};
use dalal::history::{HistoryStore, Interval, trading_days};
use dalal::journal::JournalWriter;
use dalal::sim::{InstrumentSpec, MarketHistory};
use rust_decimal::Decimal;

const INSTRUMENTS: usize = 50;

fn symbol(i: usize) -> String {
    format!("SYM{i:02}")
}

fn specs() -> Vec<InstrumentSpec> {
    (0..INSTRUMENTS)
        .map(|i| InstrumentSpec {
            symbol: symbol(i),
            key: format!("NSE_EQ|{}", symbol(i)),
            hdfcsky_token: None,
            previous_close: Decimal::new(5_000 + 7_919 * i as i64, 1),
            tick: TickSize::new(Decimal::new(5, 2)).unwrap(),
            gap_pct: 0.0,
            trend_pct: 0.0,
            index: false,
        })
        .collect()
}

/// The shipped config and strategy, trading the fifty instruments.
fn config(root: &Path) -> Config {
    let mut config = Config::load(&root.join("config/dalal.toml")).expect("the shipped config");
    config.bot.universe = (0..INSTRUMENTS)
        .map(|i| Instrument {
            id: InstrumentId::new(Exchange::Nse, &symbol(i)).unwrap(),
            segment: Segment::Equity,
            isin: None,
            upstox_key: None,
            hdfcsky_token: None,
            tick_size: Some(TickSize::new(Decimal::new(5, 2)).unwrap()),
            lot_size: 1,
            has_derivatives: false,
        })
        .collect();
    config
}

/// A year of the fifty instruments' candles in a store at `path`.
fn fill_store(path: &Path, calendar: &MarketCalendar, from: NaiveDate, to: NaiveDate) {
    let days = trading_days(calendar, from, to);
    let history = MarketHistory::new(specs(), 20261123, calendar.clone());
    let mut store = HistoryStore::open(path).unwrap().with_source("bench");
    for i in 0..INSTRUMENTS {
        let id = InstrumentId::new(Exchange::Nse, &symbol(i)).unwrap();
        let candles: Vec<(NaiveDate, Vec<_>)> =
            days.iter().map(|d| (*d, history.minutes(i, *d))).collect();
        let piece: Vec<(NaiveDate, &[_])> =
            candles.iter().map(|(d, c)| (*d, c.as_slice())).collect();
        store.put_days(&id, Interval::Minute, &piece).unwrap();
    }
}

fn backtest(
    config: &Config,
    store: &Path,
    period: &Period,
    assumptions: FillAssumptions,
    journal: &Path,
    each_day: impl FnMut(&DayResult),
) -> BacktestOutcome {
    let job = BacktestJob {
        config,
        store,
        period,
        assumptions,
        journal,
        split_pct: None,
    };
    run_backtest(&job, each_day).unwrap()
}

/// Whether `BACKTEST_BENCH_UNTIL` asks to stop after `part`.
fn stop_after(part: &str) -> bool {
    std::env::var("BACKTEST_BENCH_UNTIL").is_ok_and(|until| until == part)
}

fn resident_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = config(&root);
    let calendar = MarketCalendar::new(config.bot.calendar.clone());
    let (from, to) = (
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
    );
    let assumptions = FillAssumptions {
        path: CandlePath::NearerFirst,
        slippage_bps: Decimal::from(5),
    };

    // One day, through criterion.
    let days = trading_days(&calendar, from, to);
    let (before, date) = (days[9], days[10]);
    let history = MarketHistory::new(specs(), 20261123, calendar.clone());
    let mut day = DayCandles {
        date: Some(date),
        ..DayCandles::default()
    };
    for i in 0..INSTRUMENTS {
        let id = InstrumentId::new(Exchange::Nse, &symbol(i)).unwrap();
        // The day before's close, as a backtest has it: with another, most gaps are out of the window and the
        // engine has little to do.
        let previous = history.minutes(i, before).last().map(|c| c.close);
        day.push(&id, &history.minutes(i, date), previous);
    }
    let dir = tempfile::tempdir().unwrap();
    let writer = JournalWriter::open(&dir.path().join("day.sqlite"), true).unwrap();
    let journal = writer.journal();
    let prices = run_day(&config, &calendar, assumptions, &day, &journal)
        .expect("a trading day")
        .prices;
    let mut criterion = Criterion::default().configure_from_args().sample_size(10);
    let mut group = criterion.benchmark_group("backtest");
    group.throughput(Throughput::Elements(prices));
    group.bench_function("one_day_50_instruments", |b| {
        b.iter(|| run_day(&config, &calendar, assumptions, &day, &journal))
    });
    group.finish();
    criterion.final_summary();
    writer.close().unwrap();
    if stop_after("day") {
        return;
    }

    // A year from the store.
    let store = dir.path().join("history.sqlite");
    let started = Instant::now();
    fill_store(&store, &calendar, from, to);
    println!(
        "store     a year of {INSTRUMENTS} instruments written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let period = Period {
        from,
        to,
        instruments: Vec::new(),
    };
    let (mut day_count, mut rss_20th) = (0, 0);
    let year = dir.path().join("year.sqlite");
    let outcome = backtest(&config, &store, &period, assumptions, &year, |_| {
        day_count += 1;
        if day_count == 20 {
            rss_20th = resident_kb();
        }
    });
    let seconds = outcome.elapsed.as_secs_f64();
    println!(
        "year      {} days, {} candles, {} prices, {} round trips in {seconds:.2} s ({:.2} M prices/s)",
        outcome.period.days.len(),
        outcome.period.candles,
        outcome.period.prices(),
        outcome.whole.trades,
        outcome.period.prices() as f64 / seconds / 1e6
    );
    println!(
        "memory    resident {} MB after day 20, {} MB after day {day_count}",
        rss_20th / 1024,
        resident_kb() / 1024
    );

    if stop_after("year") {
        return;
    }

    // A 27-point sweep of the year on every core.
    let text = std::fs::read_to_string(&config.bot.strategy_path).unwrap();
    let axes: Vec<SweepAxis> = [
        "qualify.gap_min_pct=0.3,0.5,0.8",
        "exit.target_r=1,1.5,2",
        "exit.trail_pct=0.3,0.5,0.8",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    let points = grid(&axes);
    let configs: Vec<Config> = points
        .iter()
        .map(|p| {
            let swept = apply(&text, p).unwrap();
            config
                .clone()
                .with_strategy_text(&config.bot.strategy_path, swept)
                .unwrap()
        })
        .collect();
    let started = Instant::now();
    let outcomes = on_every_core(points.len(), cores(), |i| {
        let journal = dir.path().join(format!("point-{i}.sqlite"));
        backtest(&configs[i], &store, &period, assumptions, &journal, |_| {})
            .whole
            .net
    });
    println!(
        "sweep     {} points of the year on {} threads in {:.1} s (nets from ₹{} to ₹{})",
        outcomes.len(),
        cores(),
        started.elapsed().as_secs_f64(),
        outcomes.iter().min().unwrap(),
        outcomes.iter().max().unwrap()
    );
}
