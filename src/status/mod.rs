//! What the running bot says about itself: a shared `StatusBoard` that the runner keeps current, served over
//! HTTP (`/health`, `/status`, `/metrics`) and drawn as the terminal's status line.

mod board;
mod metrics;
mod server;

pub use board::{FeedTotals, LatencyHistogram, PositionLine, StatusBoard, StatusSnapshot};
pub use server::StatusServer;
