//! Candle history, fetched once and kept: the local store of past candles (`HistoryStore`, one SQLite row per
//! instrument, interval and trading day, the day's candles packed in a blob), the plan that cuts what is missing
//! into request-sized pieces by the market calendar, and the fetch that runs those pieces through a broker's
//! candle API within its rate budget, committing each piece as it lands so that an interrupted fetch resumes
//! where it stopped. `dalal history` (src/app/history_command.rs) puts it on the command line; a backtest reads
//! the store with `HistoryStore::for_each_day`.

mod day_blob;
mod fetch;
#[cfg(test)]
mod fetch_tests;
mod plan;
mod source;
mod store;
mod store_read;
#[cfg(test)]
mod store_tests;

pub use day_blob::{BlobError, decode_day, encode_day};
pub use fetch::{FetchEvent, FetchReport, FetchRequest, PieceFailure, fetch_history};
pub use plan::{Piece, PieceCap, plan_pieces, trading_days};
pub use source::{CandleSource, HdfcSkyCandles, UpstoxCandles};
pub use store::{HistoryError, HistoryStore, history_path};
pub use store_read::{InstrumentHoldings, ReadTotals};

/// The candle lengths the store keeps (the brokers' own).
pub use crate::domain::CandleInterval as Interval;
