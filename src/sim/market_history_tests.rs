//! The simulated market's past days: made from (seed, instrument, date) alone, shaped by the calendar, on the
//! tick grid, and joined day to day as the live market's days are.

use chrono::{NaiveDate, NaiveTime, TimeDelta};
use rust_decimal::Decimal;

use super::Scenario;
use super::market_history::MarketHistory;
use crate::calendar::{BrokerDay, CalendarData, MarketCalendar, ist_instant, to_ist};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

/// Weekdays trade, except a holiday on Mon 26 Jan 2026; Sun 8 Nov 2026 has a one-hour special session.
fn history(seed: u64) -> MarketHistory {
    let calendar = MarketCalendar::new(CalendarData::default()).with_announced(&[
        BrokerDay {
            date: date(2026, 1, 26),
            name: "Republic Day".into(),
            session: None,
        },
        BrokerDay {
            date: date(2026, 11, 8),
            name: "Muhurat trading".into(),
            session: Some((hm(13, 45), hm(14, 45))),
        },
    ]);
    MarketHistory::new(Scenario::built_in().instruments, seed, calendar)
}

#[test]
fn a_day_is_the_same_whoever_asks_and_whenever() {
    let (a, b) = (history(7), history(7));
    let reliance = a.index_of("NSE_EQ|INE002A01018").unwrap();
    let day = date(2026, 1, 14);
    // Asked in another order, after other days and instruments, by another instance.
    let _ = b.minutes(reliance + 1, date(2026, 1, 13));
    assert_eq!(a.minutes(reliance, day), b.minutes(reliance, day));
    assert_ne!(a.minutes(reliance, day), history(8).minutes(reliance, day));
    assert_ne!(a.minutes(reliance, day), a.minutes(reliance + 1, day));
}

#[test]
fn a_regular_day_has_a_candle_a_minute_on_the_tick_grid() {
    let h = history(7);
    let sbin = h.index_of("NSE_EQ|INE062A01020").unwrap();
    let candles = h.minutes(sbin, date(2026, 1, 14));
    assert_eq!(candles.len(), 375, "09:15 to 15:29");
    assert_eq!(candles[0].start, ist_instant(date(2026, 1, 14), hm(9, 15)));
    assert_eq!(
        candles[374].start,
        ist_instant(date(2026, 1, 14), hm(15, 29))
    );
    let tick = h.spec(sbin).tick;
    for c in &candles {
        assert!(c.low <= c.open.min(c.close) && c.high >= c.open.max(c.close));
        assert!(
            [c.open, c.high, c.low, c.close]
                .iter()
                .all(|p| tick.is_on_grid(*p))
        );
        assert!(c.volume > 0);
    }
    assert!(
        candles
            .windows(2)
            .all(|w| w[1].start - w[0].start == TimeDelta::minutes(1))
    );
    let level = candles[0].open;
    let near =
        |p: Decimal| (p / h.spec(sbin).previous_close - Decimal::ONE).abs() < Decimal::new(5, 1);
    assert!(near(level), "{level} stays near the scenario's level");
}

#[test]
fn closed_days_have_no_candles_and_special_sessions_their_own_hours() {
    let h = history(7);
    assert!(h.minutes(0, date(2026, 1, 24)).is_empty(), "a Saturday");
    assert!(h.minutes(0, date(2026, 1, 26)).is_empty(), "a holiday");
    assert!(h.day(0, date(2026, 1, 26)).is_none());
    let muhurat = h.minutes(0, date(2026, 11, 8));
    assert_eq!(muhurat.len(), 60);
    assert_eq!(to_ist(muhurat[0].start).time(), hm(13, 45));
}

#[test]
fn a_day_opens_near_the_previous_close_and_its_day_candle_spans_its_minutes() {
    let h = history(7);
    for i in 0..h.len() {
        let monday = h.minutes(i, date(2026, 1, 12));
        let tuesday = h.minutes(i, date(2026, 1, 13));
        let gap = tuesday[0].open / monday.last().unwrap().close - Decimal::ONE;
        assert!(
            gap.abs() < Decimal::new(25, 3),
            "{}: a gap of {gap}",
            h.spec(i).symbol
        );
        let day = h.day(i, date(2026, 1, 13)).unwrap();
        assert_eq!(day.start, ist_instant(date(2026, 1, 13), NaiveTime::MIN));
        assert_eq!((day.open, day.close), (tuesday[0].open, tuesday[374].close));
        assert_eq!(day.high, tuesday.iter().map(|c| c.high).max().unwrap());
        assert_eq!(day.volume, tuesday.iter().map(|c| c.volume).sum::<u64>());
    }
    let nifty = h.index_of("NSE_INDEX|Nifty 50").unwrap();
    assert_eq!(
        h.day(nifty, date(2026, 1, 13)).unwrap().volume,
        0,
        "an index trades no volume"
    );
}
