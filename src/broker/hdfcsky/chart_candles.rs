//! HDFC Sky's chart API (`GET /oapi/charts-api/charts/v1/fetch-candle`): the query it wants and a pure reader of
//! its rows, so the reading is fuzzed apart from the socket.
//!
//! The chart service names a cash instrument by its bare symbol (`SBIN`, not the master's `SBIN-EQ`) with
//! `seriesType=EQ`; a wrong form answers with no rows rather than an error. Rows are
//! `[open, high, low, close, volume, oi, "DD-MM-YYYY[ HH:MM]" (IST), cum_volume]`, unsorted: the reader sorts
//! them. Where the rows sit in the answer is not documented; the reader takes them from `data.candles`,
//! `data` or `candles`, whichever is a list.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::broker::{BrokerError, ErrorClass, RowSkips, readable_rows};
use crate::calendar::ist_instant;
use crate::domain::{Candle, CandleInterval, InstrumentId, decimal_from_wire};

pub const ENDPOINT: &str = "/oapi/charts-api/charts/v1/fetch-candle";

/// The most days one MINUTE request may span; DAY requests may span `DAY_RANGE_DAYS`.
pub const MINUTE_RANGE_DAYS: i64 = 31;
pub const DAY_RANGE_DAYS: i64 = 2000;

/// The path and query of one day's one-minute candles of a cash instrument (without `api_key`, which the
/// client adds).
pub fn minute_query(instrument: &InstrumentId, day: NaiveDate) -> String {
    query(instrument, CandleInterval::Minute, day, day)
}

/// The path and query of a cash instrument's candles from `start` to `end` (IST days, both included): at most
/// `MINUTE_RANGE_DAYS` apart for minutes, `DAY_RANGE_DAYS` for days.
pub fn query(
    instrument: &InstrumentId,
    interval: CandleInterval,
    start: NaiveDate,
    end: NaiveDate,
) -> String {
    let chart_type = match interval {
        CandleInterval::Minute => "MINUTE",
        CandleInterval::Day => "DAY",
    };
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("symbol", &instrument.symbol)
        .append_pair("exchange", &instrument.exchange.to_string())
        .append_pair("chartType", chart_type)
        .append_pair("seriesType", "EQ")
        .append_pair("start", &start.format("%Y-%m-%d").to_string())
        .append_pair("end", &end.format("%Y-%m-%d").to_string());
    format!("{ENDPOINT}?{}", query.finish())
}

/// The candles of one answer, oldest first; a row that cannot be read is skipped and kept in `skipped`.
pub fn candle_rows(answer: serde_json::Value, skipped: &RowSkips) -> Vec<Candle> {
    let rows = match answer {
        serde_json::Value::Object(mut top) => match top.remove("data") {
            Some(serde_json::Value::Array(rows)) => rows,
            Some(serde_json::Value::Object(mut data)) => match data.remove("candles") {
                Some(serde_json::Value::Array(rows)) => rows,
                _ => Vec::new(),
            },
            _ => match top.remove("candles") {
                Some(serde_json::Value::Array(rows)) => rows,
                _ => Vec::new(),
            },
        },
        _ => Vec::new(),
    };
    let mut candles = readable_rows(rows, ENDPOINT, skipped, candle);
    candles.sort_by_key(|c| c.start);
    candles
}

/// One row; its time is IST, a day row's at midnight.
fn candle(row: Vec<serde_json::Value>) -> Result<Candle, BrokerError> {
    let bad = |why: &str| BrokerError::new(ErrorClass::Malformed, ENDPOINT, why.to_string());
    let number = |i: usize| {
        row.get(i)
            .and_then(serde_json::Value::as_f64)
            .ok_or_else(|| bad("a candle number is missing"))
    };
    let price =
        |i: usize| decimal_from_wire(number(i)?).map_err(|e| bad(&format!("a candle price: {e}")));
    let time = row
        .get(6)
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| bad("a candle's time is missing"))?;
    let start = NaiveDateTime::parse_from_str(time, "%d-%m-%Y %H:%M")
        .or_else(|_| {
            NaiveDate::parse_from_str(time, "%d-%m-%Y").map(|d| d.and_time(NaiveTime::MIN))
        })
        .map_err(|_| bad("a candle's time is not DD-MM-YYYY[ HH:MM]"))?;
    let candle = Candle {
        start: ist_instant(start.date(), start.time()),
        open: price(0)?,
        high: price(1)?,
        low: price(2)?,
        close: price(3)?,
        volume: number(4)?.max(0.0) as u64,
    };
    match candle.implausible() {
        Some(why) => Err(bad(why)),
        None => Ok(candle),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Exchange;
    use rust_decimal::dec;

    #[test]
    fn rows_are_read_in_any_order_and_sorted_oldest_first() {
        let answer = serde_json::json!({"status": "success", "data": {"candles": [
            [101.0, 102.5, 100.5, 102.0, 900, 0, "01-12-2026 09:16", 1900],
            [100.0, 101.5, 99.5, 101.0, 1000, 0, "01-12-2026 09:15", 1000],
            ["garbled"],
            [101.0, 100.0, 100.5, 100.8, 10, 0, "01-12-2026 09:17", 1910],
            [-1.0, 1.0, -1.0, 0.5, 10, 0, "01-12-2026 09:18", 1920],
        ]}});
        let skipped = RowSkips::default();
        let candles = candle_rows(answer, &skipped);
        assert_eq!(candles.len(), 2);
        assert_eq!(
            candles[0].start,
            ist_instant(
                NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
                NaiveTime::from_hms_opt(9, 15, 0).unwrap()
            )
        );
        assert_eq!(
            (candles[0].open, candles[0].close, candles[1].high),
            (dec!(100), dec!(101), dec!(102.5))
        );
        let skipped = skipped.take();
        assert_eq!(
            skipped.len(),
            3,
            "the unreadable and implausible rows are kept"
        );
        assert!(
            skipped[1].why.contains("high and low"),
            "{}",
            skipped[1].why
        );
        assert!(skipped[2].why.contains("zero"), "{}", skipped[2].why);
    }

    #[test]
    fn rows_beside_data_or_as_data_are_read_too() {
        let row = serde_json::json!([100.0, 101.0, 99.0, 100.5, 10, 0, "01-12-2026", 10]);
        for answer in [
            serde_json::json!({"data": [row.clone()]}),
            serde_json::json!({"candles": [row.clone()]}),
        ] {
            assert_eq!(candle_rows(answer, &RowSkips::default()).len(), 1);
        }
        assert!(candle_rows(serde_json::json!([1, 2]), &RowSkips::default()).is_empty());
    }

    #[test]
    fn the_query_names_a_cash_instrument_by_its_bare_symbol() {
        let id = InstrumentId::new(Exchange::Nse, "BAJAJ-AUTO").unwrap();
        let query = minute_query(&id, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!(
            query,
            "/oapi/charts-api/charts/v1/fetch-candle?symbol=BAJAJ-AUTO&exchange=NSE&chartType=MINUTE\
             &seriesType=EQ&start=2026-12-01&end=2026-12-01"
        );
    }
}
