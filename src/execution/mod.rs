//! Turning approved orders into broker calls, and broker order states back into fills for the engine.
//!
//! `Executor` never places one intent twice: every order carries its engine-made tag, and an ambiguous submit
//! (a timeout, a 5xx, a reset) is resolved by finding the tag in the broker's orders, never by sending again.
//! `PaperBroker` fills orders against live prices on the same path, so paper and live journals look alike.
//! `OrderDesk` runs the executor in a task of its own, so the session loop never waits on the broker.

mod executor;
mod order_desk;
mod order_lifecycle;
mod paper;

pub use executor::{Executor, SubmitOutcome};
pub use order_desk::{DeskReport, DeskRequest, OrderDesk, SYNC_EVERY};
pub use order_lifecycle::{OrderLifecycle, OrderStatus, OrderTransition};
pub use paper::PaperBroker;
