//! Where history comes from: a broker's candle API behind one small trait, so the fetch is the same for Upstox
//! (historical candles V3, by instrument key) and HDFC Sky (the chart API, by bare symbol), and tests can put
//! anything behind it. Each source states how wide one request may be.

use std::collections::HashMap;
use std::future::Future;

use chrono::NaiveDate;

use super::{Interval, PieceCap};
use crate::broker::hdfcsky::HdfcSkyRest;
use crate::broker::hdfcsky::chart_candles::{DAY_RANGE_DAYS, MINUTE_RANGE_DAYS};
use crate::broker::upstox::UpstoxRest;
use crate::broker::{BrokerError, ErrorClass};
use crate::domain::{Candle, InstrumentId};

/// A broker's candle API, as a history fetch uses it.
pub trait CandleSource {
    /// How wide one request may be at `interval`.
    fn cap(&self, interval: Interval) -> PieceCap;

    /// `instrument`'s candles from `from` to `to` (IST days, both included), oldest first.
    fn candles(
        &self,
        instrument: &InstrumentId,
        interval: Interval,
        from: NaiveDate,
        to: NaiveDate,
    ) -> impl Future<Output = Result<Vec<Candle>, BrokerError>>;

    /// How many rows the broker sent that could not be read, since the last call.
    fn take_skipped_rows(&self) -> usize;
}

/// Upstox's historical candles V3, the universe's instruments named by their instrument keys.
pub struct UpstoxCandles {
    pub rest: UpstoxRest,
    pub keys: HashMap<InstrumentId, String>,
}

impl CandleSource for UpstoxCandles {
    fn cap(&self, interval: Interval) -> PieceCap {
        match interval {
            Interval::Minute => PieceCap::CalendarMonth,
            // "One decade"; 3650 days stays inside it whatever the leap years.
            Interval::Day => PieceCap::Days(3650),
        }
    }

    async fn candles(
        &self,
        instrument: &InstrumentId,
        interval: Interval,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Candle>, BrokerError> {
        let key = self.keys.get(instrument).ok_or_else(|| {
            BrokerError::new(
                ErrorClass::Rejected,
                "/v3/historical-candle",
                format!("{instrument} has no Upstox instrument key"),
            )
        })?;
        self.rest.historical_candles(key, interval, from, to).await
    }

    fn take_skipped_rows(&self) -> usize {
        self.rest.take_skipped_rows().len()
    }
}

/// HDFC Sky's chart API, which names a cash instrument by its bare symbol.
pub struct HdfcSkyCandles {
    pub rest: HdfcSkyRest,
}

impl CandleSource for HdfcSkyCandles {
    fn cap(&self, interval: Interval) -> PieceCap {
        // The documented caps, read as counting both ends: a request never reaches the edge of either reading.
        match interval {
            Interval::Minute => PieceCap::Days(MINUTE_RANGE_DAYS as u32),
            Interval::Day => PieceCap::Days(DAY_RANGE_DAYS as u32),
        }
    }

    async fn candles(
        &self,
        instrument: &InstrumentId,
        interval: Interval,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Candle>, BrokerError> {
        self.rest
            .chart_candles(instrument, interval, from, to)
            .await
    }

    fn take_skipped_rows(&self) -> usize {
        self.rest.take_skipped_rows().len()
    }
}
