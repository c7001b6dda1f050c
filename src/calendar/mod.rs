//! Time for the whole bot: the clock it reads and waits on, and the NSE/BSE calendar it trades by.
//!
//! All instants are UTC; IST (`Asia/Kolkata`) exists only for session rules and for what a trader reads. The
//! clock is injected everywhere so that a simulated day runs in minutes and no test waits on market time.

mod clock;
mod day_sources;
mod ist;
mod market_calendar;
mod session;

pub use clock::{Clock, InvalidSpeed, SimulatedClock};
pub use day_sources::{
    BrokerDay, BrokerDays, CalendarData, DayEntries, DayOrigin, DaySource, Listed,
};
pub use ist::{IST, ist_instant, to_ist};
pub use market_calendar::{
    CALENDAR_LOOKAHEAD_DAYS, ClosingAuctionRule, MarketCalendar, SessionOpen, SpecialSession,
};
pub use session::{
    ClosedReason, DayPlan, EquityClass, Phase, SessionKind, SessionPlan, SessionTimes, Window,
};
