//! Turning approved orders into broker calls, and broker order states back into fills for the engine.
//!
//! `Executor` never places one intent twice: every order carries its engine-made tag, and an ambiguous submit
//! (a timeout, a 5xx, a reset) is resolved by finding the tag in the broker's orders, never by sending again.
//! `PaperBroker` fills orders against live prices on the same path, so paper and live journals look alike.
//! `OrderDesk` runs the executor in a task of its own, so the session loop never waits on the broker, and takes
//! in the broker's order stream where there is one (`order_stream`), polling the book while it is down.

mod executor;
mod offline_fills;
mod order_desk;
mod order_lifecycle;
mod order_stream;
mod paper;
mod report_merge;

pub use executor::{Executor, SubmitOutcome};
pub use offline_fills::OfflineFills;
pub use order_desk::{CROSS_CHECK_EVERY, DeskReport, DeskRequest, OrderDesk, SYNC_EVERY};
pub use order_lifecycle::{OrderLifecycle, OrderStatus, OrderTransition};
pub use order_stream::SILENT_AFTER;
pub use paper::{PAPER_SLIPPAGE_BPS, PaperBroker};
