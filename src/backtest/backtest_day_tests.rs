//! A backtest day gives an instrument no more prices once the engine is done with it: the journal must be the
//! one every price would have written, decision for decision.

use std::path::Path;

use chrono::{NaiveDate, NaiveTime, TimeDelta};
use rust_decimal::Decimal;

use super::backtest_day::{DayCandles, FillAssumptions, Prices, run_day_giving};
use super::candle_path::CandlePath;
use crate::calendar::{MarketCalendar, ist_instant};
use crate::config::Config;
use crate::domain::{Exchange, InstrumentId};
use crate::history::trading_days;
use crate::journal::{JournalWriter, Recorded, Store};
use crate::sim::{MarketHistory, Scenario};

fn journal_of(config: &Config, days: &[DayCandles], given: Prices, path: &Path) -> Vec<Recorded> {
    let calendar = MarketCalendar::new(config.bot.calendar.clone());
    let assumptions = FillAssumptions {
        path: CandlePath::NearerFirst,
        slippage_bps: Decimal::from(5),
    };
    let writer = JournalWriter::open(path, true).unwrap();
    let mut prices = 0;
    for day in days {
        let ran = run_day_giving(
            config,
            &calendar,
            assumptions,
            day,
            &writer.journal(),
            given,
        );
        prices += ran.map_or(0, |r| r.prices);
    }
    writer.close().unwrap();
    assert!(prices > 0);
    let from = ist_instant(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), NaiveTime::MIN);
    Store::open(path)
        .unwrap()
        .between(from, from + TimeDelta::days(400))
        .unwrap()
}

#[test]
fn prices_held_back_from_instruments_done_for_the_day_change_nothing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = Config::load(&root.join("config/dalal.toml")).unwrap();
    let calendar = MarketCalendar::new(config.bot.calendar.clone());
    let scenario = Scenario::built_in();
    let history = MarketHistory::new(
        scenario.instruments.clone(),
        scenario.seed,
        calendar.clone(),
    );
    let traded: Vec<(usize, InstrumentId)> = scenario
        .instruments
        .iter()
        .enumerate()
        .filter(|(_, spec)| !spec.index)
        .map(|(i, spec)| (i, InstrumentId::new(Exchange::Nse, &spec.symbol).unwrap()))
        .collect();
    let dates = trading_days(
        &calendar,
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 8, 31).unwrap(),
    );
    let days: Vec<DayCandles> = dates
        .windows(2)
        .map(|pair| {
            let mut day = DayCandles {
                date: Some(pair[1]),
                ..DayCandles::default()
            };
            for (i, id) in &traded {
                let previous = history.minutes(*i, pair[0]).last().map(|c| c.close);
                day.push(id, &history.minutes(*i, pair[1]), previous);
            }
            day
        })
        .collect();

    let dir = tempfile::tempdir().unwrap();
    let every = journal_of(&config, &days, Prices::All, &dir.path().join("all.sqlite"));
    let until_done = journal_of(
        &config,
        &days,
        Prices::UntilDone,
        &dir.path().join("until.sqlite"),
    );
    let trades = every.iter().filter(|r| r.entry.kind() == "trade").count();
    assert!(
        trades >= 5,
        "a quarter of the simulator's market trades: {trades}"
    );
    assert_eq!(every.len(), until_done.len());
    for (a, b) in every.iter().zip(&until_done) {
        assert_eq!((a.at, &a.entry), (b.at, &b.entry));
    }
}
