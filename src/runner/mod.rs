//! Running the bot: the parts wired together. `TradingSession` is the continuous session itself (feed into the
//! engine, the engine's orders through the executor, fills back, everything into the journal); `DayRunner` is
//! the day around it (sleep, pre-open checks and reconciliation, the session, the close report) and the week
//! around the days.

mod day_runner;
mod pre_open;
mod reconcile;
mod trading_session;

pub use day_runner::{DayReport, DayRunner, RunnerBrokers, RunnerOptions, next_session_day};
pub use pre_open::CheckResult;
pub use reconcile::{BrokerView, Reconciled, reconcile};
pub use trading_session::{FallbackEpisode, SessionSummary, TradingSession};
