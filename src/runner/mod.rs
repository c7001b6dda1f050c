//! Running the bot: the parts wired together. `TradingSession` is the continuous session's loop (feed into the
//! engine, the engine's orders to the order desk, fills back); `DayBook` writes down what happened (journal,
//! minute bars, round trips and their P&L); `DayRunner` is the day around them (sleep, pre-open checks and
//! reconciliation, the session, the close report) and the week around the days.

mod calendar_sync;
mod day_book;
mod day_runner;
mod late_start;
mod left_working;
mod offline_session;
mod pre_open;
mod reconcile;
mod trading_session;

pub use calendar_sync::{CalendarSync, sync_calendar};
pub use day_book::{FallbackEpisode, SessionSummary};
pub use day_runner::{DayReport, DayRunner, RunnerBrokers, RunnerOptions, next_session_day};
pub use offline_session::{FillSource, OfflineSession};
pub use pre_open::{CheckResult, check_token};
pub use reconcile::{BrokerView, Reconciled, reconcile};
pub use trading_session::TradingSession;
