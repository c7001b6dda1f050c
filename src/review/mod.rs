//! After the close: the journal turned into answers to "how did today go, and why". `figures` (with
//! `trade_path`, the prices around each trade) computes the numbers once from the journal's entries; `tables`,
//! `csv_export` and `html_report` only present them, so every view shows the same figures; `replay_diff` sets a
//! replayed day's decisions beside the journaled ones. The HTML report's
//! pieces are its tables (`html_tables`) and its charts (`pnl_charts`, `trade_chart`, `feed_chart`), drawn with
//! the small SVG kit in `svg`.

mod csv_export;
mod feed_chart;
mod figures;
mod html_report;
mod html_tables;
mod pnl_charts;
mod replay_diff;
#[cfg(test)]
mod report_tests;
mod svg;
mod tables;
mod trade_chart;
mod trade_path;

pub use csv_export::write_csv;
pub use figures::{FeedSpan, Figures, TradeRow, figures};
pub use html_report::html_report;
pub use replay_diff::{Decision, ReplayDiff, compare};
pub use tables::{summary, trades};
pub use trade_path::{MinuteBar, TradePath};
