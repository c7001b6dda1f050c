//! The fetch against a scripted source: what a piece's answer puts in the store (odd candles counted, not
//! stored), a failed piece beside finished ones, and a refused token stopping the rest.

use std::cell::RefCell;

use chrono::{NaiveDate, NaiveTime, TimeDelta};
use rust_decimal::Decimal;

use super::{CandleSource, FetchRequest, HistoryStore, Interval, PieceCap, fetch_history};
use crate::broker::{BrokerError, ErrorClass};
use crate::calendar::{CalendarData, MarketCalendar, ist_instant};
use crate::domain::{Candle, Exchange, InstrumentId};

fn date(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

fn id(symbol: &str) -> InstrumentId {
    InstrumentId::new(Exchange::Nse, symbol).unwrap()
}

fn candle(day: NaiveDate, minute: i64, seconds: i64) -> Candle {
    Candle {
        start: ist_instant(day, NaiveTime::from_hms_opt(9, 15, 0).unwrap())
            + TimeDelta::minutes(minute)
            + TimeDelta::seconds(seconds),
        open: Decimal::ONE_HUNDRED,
        high: Decimal::ONE_HUNDRED,
        low: Decimal::ONE_HUNDRED,
        close: Decimal::ONE_HUNDRED,
        volume: 1,
    }
}

/// Two candles a weekday (one of them sent twice), one off its minute and one the day after the range; ITC's
/// requests are refused with `refusal`, NHPC's answered with none; every request is remembered.
struct Scripted {
    refusal: ErrorClass,
    asked: RefCell<Vec<(String, NaiveDate, NaiveDate)>>,
}

impl CandleSource for Scripted {
    fn cap(&self, _: Interval) -> PieceCap {
        PieceCap::Days(7)
    }

    async fn candles(
        &self,
        instrument: &InstrumentId,
        _: Interval,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Candle>, BrokerError> {
        self.asked
            .borrow_mut()
            .push((instrument.symbol.clone(), from, to));
        if instrument.symbol == "ITC" {
            return Err(BrokerError::new(self.refusal, "/candles", "refused"));
        }
        if instrument.symbol == "NHPC" {
            return Ok(Vec::new());
        }
        let mut candles = vec![candle(to + TimeDelta::days(1), 0, 0)];
        for day in from.iter_days().take_while(|d| *d <= to) {
            candles.extend([
                candle(day, 1, 0),
                candle(day, 0, 0),
                candle(day, 1, 0),
                candle(day, 2, 30),
            ]);
        }
        Ok(candles)
    }

    fn take_skipped_rows(&self) -> usize {
        0
    }
}

async fn run(source: &Scripted, store: &mut HistoryStore, symbols: &[&str]) -> super::FetchReport {
    let calendar = MarketCalendar::new(CalendarData::default());
    let instruments: Vec<InstrumentId> = symbols.iter().map(|s| id(s)).collect();
    let request = FetchRequest {
        calendar: &calendar,
        instruments: &instruments,
        interval: Interval::Minute,
        from: date(1, 5),
        to: date(1, 23),
        today: date(1, 22),
        concurrency: 1,
    };
    fetch_history(source, store, &request, std::future::pending(), |_| {})
        .await
        .unwrap()
}

#[tokio::test]
async fn a_pieces_answer_is_stored_by_day_and_a_failed_piece_leaves_the_rest_going() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = HistoryStore::open(&dir.path().join("h.sqlite")).unwrap();
    let source = Scripted {
        refusal: ErrorClass::Transient,
        asked: RefCell::default(),
    };
    let report = run(&source, &mut store, &["SBIN", "ITC"]).await;
    // 5 to 21 Jan (today the 22nd is left out): 13 weekdays, in pieces of at most 7 calendar days.
    assert_eq!((report.pieces, report.pieces_done), (6, 3));
    assert_eq!((report.days_fetched, report.candles), (13, 26));
    assert_eq!(
        report.skipped_rows, 26,
        "a repeated minute and an off-minute candle a day"
    );
    assert_eq!(report.failures.len(), 3, "ITC's three pieces");
    assert!(report.stopped.is_none());
    let mut days = Vec::new();
    store
        .for_each_day(
            &[],
            Interval::Minute,
            date(1, 1),
            date(1, 31),
            |day, _, candles| {
                days.push((day, candles.len()));
            },
        )
        .unwrap();
    assert_eq!(days.len(), 13, "no day outside a piece, none of ITC");
    assert!(days.iter().all(|(_, n)| *n == 2));
    let again = run(&source, &mut store, &["SBIN"]).await;
    assert_eq!((again.pieces, again.days_present), (0, 13));
}

#[tokio::test]
async fn a_refused_token_stops_the_fetch() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = HistoryStore::open(&dir.path().join("h.sqlite")).unwrap();
    let source = Scripted {
        refusal: ErrorClass::Auth,
        asked: RefCell::default(),
    };
    let report = run(&source, &mut store, &["ITC", "SBIN"]).await;
    assert_eq!(report.failures.len(), 1);
    assert_eq!(report.not_tried, 5);
    assert!(report.stopped.unwrap().contains("log in again"));
    assert_eq!(
        source.asked.borrow().len(),
        1,
        "nothing asked after the refusal"
    );
}

#[tokio::test]
async fn days_the_broker_had_nothing_for_are_stored_as_fetched_and_not_asked_for_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = HistoryStore::open(&dir.path().join("h.sqlite")).unwrap();
    let source = Scripted {
        refusal: ErrorClass::Transient,
        asked: RefCell::default(),
    };
    let report = run(&source, &mut store, &["NHPC"]).await;
    assert_eq!(
        (report.pieces_done, report.days_fetched, report.empty_days),
        (3, 0, 13)
    );
    let holdings = store.holdings().unwrap();
    assert_eq!(
        (
            holdings[0].days,
            holdings[0].empty_days,
            holdings[0].candles
        ),
        (0, 13, 0)
    );
    let again = run(&source, &mut store, &["NHPC"]).await;
    assert_eq!((again.pieces, again.days_present), (0, 13));
    assert_eq!(source.asked.borrow().len(), 3, "asked once");
}
