//! The history store: days kept whole and exact, fetched-but-empty days remembered, and the streaming read in
//! date-then-instrument order.

use chrono::{NaiveDate, TimeDelta};
use rust_decimal::Decimal;

use super::day_blob::day_start;
use super::{HistoryStore, Interval};
use crate::domain::{Candle, Exchange, InstrumentId};

fn date(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

fn id(symbol: &str) -> InstrumentId {
    InstrumentId::new(Exchange::Nse, symbol).unwrap()
}

/// `count` minutes from 09:15 IST of `day`, priced from `base` in paise.
fn minutes(day: NaiveDate, count: i64, base: i64) -> Vec<Candle> {
    (0..count)
        .map(|i| {
            let price = Decimal::new(base + i, 2);
            Candle {
                start: day_start(day) + TimeDelta::minutes(555 + i),
                open: price,
                high: price + Decimal::new(5, 2),
                low: price - Decimal::new(5, 2),
                close: price,
                volume: 100 + i as u64,
            }
        })
        .collect()
}

fn store() -> (tempfile::TempDir, HistoryStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = HistoryStore::open(&dir.path().join("data/history.sqlite")).unwrap();
    (dir, store.with_source("test"))
}

#[test]
fn a_stored_day_reads_back_as_it_was_and_an_empty_day_counts_as_fetched() {
    let (_dir, mut store) = store();
    let sbin = id("SBIN");
    let candles = minutes(date(1, 14), 375, 81_235);
    store
        .put_day(&sbin, Interval::Minute, date(1, 14), &candles)
        .unwrap();
    store
        .put_day(&sbin, Interval::Minute, date(1, 16), &[])
        .unwrap();
    assert!(store.has_day(&sbin, Interval::Minute, date(1, 14)).unwrap());
    assert!(
        store.has_day(&sbin, Interval::Minute, date(1, 16)).unwrap(),
        "fetched, none"
    );
    assert!(
        !store.has_day(&sbin, Interval::Day, date(1, 14)).unwrap(),
        "another interval"
    );
    assert!(
        !store
            .has_day(&id("ITC"), Interval::Minute, date(1, 14))
            .unwrap()
    );
    let asked = [date(1, 13), date(1, 14), date(1, 16), date(1, 19)];
    assert_eq!(
        store.missing_days(&sbin, Interval::Minute, &asked).unwrap(),
        [date(1, 13), date(1, 19)]
    );
    let mut seen = Vec::new();
    let totals = store
        .for_each_day(
            &[],
            Interval::Minute,
            date(1, 1),
            date(1, 31),
            |day, who, c| {
                seen.push((day, who.clone(), c.to_vec()));
            },
        )
        .unwrap();
    assert_eq!(
        seen,
        [(date(1, 14), sbin, candles)],
        "an empty day is not read"
    );
    assert_eq!((totals.days, totals.candles), (1, 375));
}

#[test]
fn days_stream_in_date_then_instrument_order_for_the_instruments_asked() {
    let (_dir, mut store) = store();
    let days = [date(1, 15), date(1, 13), date(1, 14)];
    for symbol in ["TCS", "INFY", "SBIN"] {
        for day in days {
            let rows: Vec<(NaiveDate, Vec<Candle>)> = vec![(day, minutes(day, 3, 10_000))];
            let rows: Vec<(NaiveDate, &[Candle])> =
                rows.iter().map(|(d, c)| (*d, c.as_slice())).collect();
            store
                .put_days(&id(symbol), Interval::Minute, &rows)
                .unwrap();
        }
    }
    let mut order = Vec::new();
    store
        .for_each_day(
            &[],
            Interval::Minute,
            date(1, 13),
            date(1, 14),
            |day, who, _| {
                order.push(format!("{day} {}", who.symbol));
            },
        )
        .unwrap();
    assert_eq!(
        order,
        [
            "2026-01-13 INFY",
            "2026-01-13 SBIN",
            "2026-01-13 TCS",
            "2026-01-14 INFY",
            "2026-01-14 SBIN",
            "2026-01-14 TCS"
        ]
    );
    let mut some = Vec::new();
    store
        .for_each_day(
            &[id("TCS"), id("INFY")],
            Interval::Minute,
            date(1, 15),
            date(1, 15),
            |_, who, _| {
                some.push(who.symbol.clone());
            },
        )
        .unwrap();
    assert_eq!(some, ["INFY", "TCS"]);
    let holdings = store.holdings().unwrap();
    assert_eq!(holdings.len(), 3);
    assert_eq!(
        (
            holdings[0].instrument.as_str(),
            holdings[0].first,
            holdings[0].last,
            holdings[0].days,
            holdings[0].candles
        ),
        ("NSE:INFY", date(1, 13), date(1, 15), 3, 9)
    );
}

#[test]
fn a_piece_is_stored_whole_or_not_at_all_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite");
    let sbin = id("SBIN");
    {
        let mut store = HistoryStore::open(&path).unwrap();
        let good = minutes(date(1, 13), 2, 100);
        let mut bad = minutes(date(1, 14), 2, 100);
        bad.reverse();
        let rows: Vec<(NaiveDate, &[Candle])> = vec![(date(1, 13), &good), (date(1, 14), &bad)];
        let error = store.put_days(&sbin, Interval::Minute, &rows).unwrap_err();
        assert!(
            error.to_string().contains("NSE:SBIN 1m 2026-01-14"),
            "{error}"
        );
        assert!(
            !store.has_day(&sbin, Interval::Minute, date(1, 13)).unwrap(),
            "nothing of the piece"
        );
        store
            .put_day(&sbin, Interval::Minute, date(1, 13), &good)
            .unwrap();
    }
    let reopened = HistoryStore::open(&path).unwrap();
    assert!(
        reopened
            .has_day(&sbin, Interval::Minute, date(1, 13))
            .unwrap()
    );
}
