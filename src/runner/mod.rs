//! Running the bot: the parts wired together. `TradingSession` is the continuous session itself (feed into the
//! engine, the engine's orders through the executor, fills back, everything into the journal); the day around it
//! (pre-open checks, square-off, the close report, sleeping to the next day) builds on it.

mod trading_session;

pub use trading_session::{SessionSummary, TradingSession};
