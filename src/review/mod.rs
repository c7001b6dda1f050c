//! After the close: the journal turned into answers to "how did today go, and why". `figures` computes the
//! numbers once from the journal's entries; `tables`, `csv_export` and `html_report` only present them, so every
//! view shows the same figures.

mod csv_export;
mod figures;
mod html_report;
mod replay_diff;
mod tables;

pub use csv_export::write_csv;
pub use figures::{FeedSpan, Figures, TradeRow, figures};
pub use html_report::html_report;
pub use replay_diff::{Decision, ReplayDiff, compare};
pub use tables::{summary, trades};
