//! What the running bot says about itself: a shared `StatusBoard` that the runner keeps current, served over
//! HTTP (`/health`, `/status`, `/metrics`, the live page at `/` with its pushed updates) and drawn as the
//! terminal's status line; and the operator's controls, which need a key.

mod board;
mod controls;
mod day_view;
mod metrics;
mod server;

pub use board::{FeedTotals, LatencyHistogram, PositionLine, StatusBoard, StatusSnapshot};
pub use controls::{
    CONTROL_TOKEN_ENV, ControlAction, ControlInbox, FlattenRequest, OperatorControls,
};
pub use day_view::{DayView, EventLine, FeedSpan, LastPrice, OrderLine};
pub use server::StatusServer;
