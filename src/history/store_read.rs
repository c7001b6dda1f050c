//! Reading the history store back: the streaming, date-then-instrument read a backtest runs over millions of
//! candles (one index range scan, each day's blob decoded into one reused buffer, no SQL per candle), and the
//! per-instrument summary `dalal history status` prints.

use std::collections::HashMap;

use chrono::NaiveDate;
use rusqlite::params;

use super::Interval;
use super::day_blob::decode_day;
use super::store::{HistoryError, HistoryStore, date_of, day_key};
use crate::domain::{Candle, InstrumentId};

/// What the store holds of one instrument at one interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstrumentHoldings {
    pub instrument: String,
    pub interval: String,
    pub first: NaiveDate,
    pub last: NaiveDate,
    /// Days with candles.
    pub days: u64,
    /// Days fetched that had none.
    pub empty_days: u64,
    pub candles: u64,
}

/// What one `for_each_day` read went through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadTotals {
    pub days: u64,
    pub candles: u64,
}

impl HistoryStore {
    /// Calls `each` with every stored day from `from` to `to` that has candles, ordered by date and then by
    /// instrument, for `instruments` (all when empty). One buffer of candles is reused for the whole read.
    pub fn for_each_day(
        &self,
        instruments: &[InstrumentId],
        interval: Interval,
        from: NaiveDate,
        to: NaiveDate,
        mut each: impl FnMut(NaiveDate, &InstrumentId, &[Candle]),
    ) -> Result<ReadTotals, HistoryError> {
        let mut known: HashMap<String, Option<InstrumentId>> = instruments
            .iter()
            .map(|id| (id.to_string(), Some(id.clone())))
            .collect();
        let everyone = instruments.is_empty();
        let mut query = self
            .connection
            .prepare_cached(
                "SELECT day, instrument, data FROM candle_days
                 WHERE interval = ?1 AND day BETWEEN ?2 AND ?3 AND candles > 0
                 ORDER BY interval, day, instrument",
            )
            .map_err(|e| self.wrap(e))?;
        let mut rows = query
            .query(params![interval.as_str(), day_key(from), day_key(to)])
            .map_err(|e| self.wrap(e))?;
        let mut candles = Vec::new();
        let mut totals = ReadTotals::default();
        while let Some(row) = rows.next().map_err(|e| self.wrap(e))? {
            let name = row
                .get_ref(1)
                .and_then(|v| Ok(v.as_str()?))
                .map_err(|e| self.wrap(e))?;
            if !known.contains_key(name) {
                let id = everyone.then(|| name.parse().ok()).flatten();
                known.insert(name.to_string(), id);
            }
            let Some(Some(id)) = known.get(name) else {
                continue;
            };
            let key: i64 = row.get(0).map_err(|e| self.wrap(e))?;
            let date = date_of(key)
                .ok_or_else(|| self.wrap(rusqlite::Error::IntegralValueOutOfRange(0, key)))?;
            let blob = row
                .get_ref(2)
                .and_then(|v| Ok(v.as_blob()?))
                .map_err(|e| self.wrap(e))?;
            decode_day(date, blob, &mut candles).map_err(|source| HistoryError::Day {
                path: self.path.clone(),
                instrument: name.to_string(),
                interval,
                date,
                source,
            })?;
            totals.days += 1;
            totals.candles += candles.len() as u64;
            each(date, id, &candles);
        }
        Ok(totals)
    }

    /// What the store holds, per instrument and interval.
    pub fn holdings(&self) -> Result<Vec<InstrumentHoldings>, HistoryError> {
        let mut query = self
            .connection
            .prepare(
                "SELECT instrument, interval, MIN(day), MAX(day), SUM(candles > 0), SUM(candles = 0), SUM(candles)
                 FROM candle_days GROUP BY instrument, interval ORDER BY instrument, interval",
            )
            .map_err(|e| self.wrap(e))?;
        let rows = query
            .query_map([], |row| {
                let day = |i: usize| -> rusqlite::Result<NaiveDate> {
                    let key: i64 = row.get(i)?;
                    date_of(key).ok_or(rusqlite::Error::IntegralValueOutOfRange(i, key))
                };
                let count =
                    |i: usize| -> rusqlite::Result<u64> { Ok(row.get::<_, i64>(i)?.max(0) as u64) };
                Ok(InstrumentHoldings {
                    instrument: row.get(0)?,
                    interval: row.get(1)?,
                    first: day(2)?,
                    last: day(3)?,
                    days: count(4)?,
                    empty_days: count(5)?,
                    candles: count(6)?,
                })
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.wrap(e))?;
        Ok(rows)
    }
}
