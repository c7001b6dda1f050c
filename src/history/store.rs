//! The history store: `data/history.sqlite` beside the journal (the simulator's in `sim-history.sqlite`, as its
//! journal is kept apart, so made-up candles never pass for a broker's). One row per instrument, interval and
//! trading day holds that day's candles as one packed blob (`day_blob`); a row with no candles marks a day that
//! was fetched and had none, so it is not asked for again.
//!
//! Why this shape: a backtest reads days in order, all instruments of a day together, millions of candles at a
//! time. Rows keyed (interval, day, instrument) come back in that order from one index range scan, and a
//! day's 375 candles are one blob read with no per-candle SQL, so reading is bounded by memory speed rather
//! than by SQLite. Writes are one transaction per fetched piece: a piece is stored whole or not at all. WAL
//! with `synchronous = NORMAL`, as the journal: a committed piece survives the process being killed. This file
//! opens and writes the store; `store_read` reads it back.

use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::Interval;
use super::day_blob::{BlobError, encode_day};
use crate::domain::{Candle, InstrumentId};
use crate::journal::{MigrationError, migrate};

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("history store {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "history store {path}: schema version {found} is newer than this dalal knows ({known}); upgrade dalal"
    )]
    NewerSchema {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("history store {path}: {instrument} {interval} {date}: {source}")]
    Day {
        path: String,
        instrument: String,
        interval: Interval,
        date: NaiveDate,
        #[source]
        source: BlobError,
    },
}

const MIGRATIONS: &[&str] = &["CREATE TABLE candle_days (
        interval TEXT NOT NULL,
        day INTEGER NOT NULL,
        instrument TEXT NOT NULL,
        candles INTEGER NOT NULL,
        source TEXT NOT NULL,
        fetched_at INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (interval, day, instrument)
    );
    CREATE INDEX candle_days_by_instrument ON candle_days(instrument, interval, day);"];

/// Where the history store lives for a journal at `journal_path`: beside it, in the data folder.
pub fn history_path(journal_path: &Path, simulated: bool) -> PathBuf {
    let name = if simulated {
        "sim-history.sqlite"
    } else {
        "history.sqlite"
    };
    journal_path.with_file_name(name)
}

pub struct HistoryStore {
    pub(super) connection: Connection,
    pub(super) path: String,
    /// Recorded with every day written: who served the candles (`upstox`, `hdfcsky`, `sim`).
    source: String,
}

/// The store's day key: `yyyymmdd`, readable in the sqlite3 shell and ordered as dates are.
pub(super) fn day_key(date: NaiveDate) -> i64 {
    i64::from(date.year()) * 10_000 + i64::from(date.month()) * 100 + i64::from(date.day())
}

pub(super) fn date_of(key: i64) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(
        (key / 10_000) as i32,
        (key / 100 % 100) as u32,
        (key % 100) as u32,
    )
}

impl HistoryStore {
    pub fn open(path: &Path) -> Result<HistoryStore, HistoryError> {
        let name = path.display().to_string();
        let wrap = |source| HistoryError::Sqlite {
            path: name.clone(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        let connection = Connection::open(path).map_err(wrap)?;
        connection
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            .map_err(wrap)?;
        let mut store = HistoryStore {
            connection,
            path: name,
            source: "unknown".into(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// Records `source` as the origin of the days written from now on.
    pub fn with_source(mut self, source: &str) -> Self {
        self.source = source.to_string();
        self
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub(super) fn wrap(&self, source: rusqlite::Error) -> HistoryError {
        HistoryError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn migrate(&mut self) -> Result<(), HistoryError> {
        migrate(&mut self.connection, MIGRATIONS).map_err(|e| match e {
            MigrationError::Sqlite(source) => self.wrap(source),
            MigrationError::Newer { found, known } => HistoryError::NewerSchema {
                path: self.path.clone(),
                found,
                known,
            },
        })
    }

    /// Whether `date` was fetched for `instrument` at `interval`, with candles or without.
    pub fn has_day(
        &self,
        instrument: &InstrumentId,
        interval: Interval,
        date: NaiveDate,
    ) -> Result<bool, HistoryError> {
        self.connection
            .query_row(
                "SELECT 1 FROM candle_days WHERE interval = ?1 AND day = ?2 AND instrument = ?3",
                params![interval.as_str(), day_key(date), instrument.to_string()],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
            .map_err(|e| self.wrap(e))
    }

    /// The days of `days` not yet fetched for `instrument` at `interval`, in their order.
    pub fn missing_days(
        &self,
        instrument: &InstrumentId,
        interval: Interval,
        days: &[NaiveDate],
    ) -> Result<Vec<NaiveDate>, HistoryError> {
        let (Some(first), Some(last)) = (days.iter().min(), days.iter().max()) else {
            return Ok(Vec::new());
        };
        let mut query = self
            .connection
            .prepare_cached(
                "SELECT day FROM candle_days
                 WHERE instrument = ?1 AND interval = ?2 AND day BETWEEN ?3 AND ?4",
            )
            .map_err(|e| self.wrap(e))?;
        let stored: std::collections::HashSet<i64> = query
            .query_map(
                params![
                    instrument.to_string(),
                    interval.as_str(),
                    day_key(*first),
                    day_key(*last)
                ],
                |row| row.get(0),
            )
            .and_then(|rows| rows.collect())
            .map_err(|e| self.wrap(e))?;
        Ok(days
            .iter()
            .copied()
            .filter(|d| !stored.contains(&day_key(*d)))
            .collect())
    }

    /// Stores one day's candles (sorted, on that IST day), replacing what was there; none marks it fetched and
    /// empty.
    pub fn put_day(
        &mut self,
        instrument: &InstrumentId,
        interval: Interval,
        date: NaiveDate,
        candles: &[Candle],
    ) -> Result<(), HistoryError> {
        self.put_days(instrument, interval, &[(date, candles)])
    }

    /// Stores several days of one instrument in one transaction: all of them, or none.
    pub fn put_days(
        &mut self,
        instrument: &InstrumentId,
        interval: Interval,
        days: &[(NaiveDate, &[Candle])],
    ) -> Result<(), HistoryError> {
        let name = instrument.to_string();
        let mut rows = Vec::with_capacity(days.len());
        for (date, candles) in days {
            let blob = encode_day(*date, candles).map_err(|source| HistoryError::Day {
                path: self.path.clone(),
                instrument: name.clone(),
                interval,
                date: *date,
                source,
            })?;
            rows.push((day_key(*date), candles.len() as i64, blob));
        }
        let path = self.path.clone();
        let wrap = |source| HistoryError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.connection.transaction().map_err(wrap)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO candle_days
                     (interval, day, instrument, candles, source, fetched_at, data)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(wrap)?;
            let now = Utc::now().timestamp();
            for (day, count, blob) in &rows {
                insert
                    .execute(params![
                        interval.as_str(),
                        day,
                        name,
                        count,
                        self.source,
                        now,
                        blob
                    ])
                    .map_err(wrap)?;
            }
        }
        tx.commit().map_err(wrap)
    }
}
