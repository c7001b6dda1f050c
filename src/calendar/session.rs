//! One trading day's shape: its session windows in IST, and the phase the market is in at any moment of it.
//!
//! A trading day is modelled as a date with its own session times, not as "a weekday that is not a holiday",
//! because the exchanges hold one-hour Muhurat sessions and full sessions on budget Sundays. From 3 Aug 2026
//! stocks with derivatives leave continuous trading at 15:15 for the closing auction, so the end of continuous
//! trading depends on the stock as well as on the day.

use std::fmt;

use chrono::{NaiveDate, NaiveTime, TimeDelta, Weekday};

/// A half-open interval of IST wall-clock time, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Window {
    pub fn contains(&self, t: NaiveTime) -> bool {
        self.start <= t && t < self.end
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}–{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

pub(crate) fn hm(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).expect("a valid wall-clock time")
}

/// The session windows of one trading day, in IST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimes {
    /// Pre-open order entry opens.
    pub pre_open: NaiveTime,
    /// Pre-open order entry closes (the exchange stops it at a random moment in the last minute) and the call
    /// auction matches.
    pub pre_open_entry_end: NaiveTime,
    /// Continuous trading opens.
    pub open: NaiveTime,
    /// Continuous trading closes.
    pub close: NaiveTime,
    /// The post-close session (delivery orders at the closing price), if the day has one.
    pub post_close: Option<Window>,
}

impl SessionTimes {
    /// A normal NSE/BSE cash day before the closing auction: 09:00–09:08 entry, 09:15–15:30, post-close 15:40–16:00.
    pub fn regular() -> Self {
        SessionTimes {
            pre_open: hm(9, 0),
            pre_open_entry_end: hm(9, 8),
            open: hm(9, 15),
            close: hm(15, 30),
            post_close: Some(Window {
                start: hm(15, 40),
                end: hm(16, 0),
            }),
        }
    }

    /// Times for a special session given its pre-open and continuous window: entry lasts 8 minutes, as at 09:00.
    pub fn special(
        pre_open: NaiveTime,
        open: NaiveTime,
        close: NaiveTime,
        post_close: Option<Window>,
    ) -> Self {
        SessionTimes {
            pre_open,
            pre_open_entry_end: (pre_open + TimeDelta::minutes(8)).min(open),
            open,
            close,
            post_close,
        }
    }

    /// Why these times cannot describe a session, if they cannot.
    pub fn check_order(&self) -> Result<(), String> {
        if !(self.pre_open <= self.pre_open_entry_end && self.pre_open_entry_end <= self.open) {
            return Err(format!(
                "the pre-open ({}) must come before the open ({})",
                self.pre_open.format("%H:%M"),
                self.open.format("%H:%M")
            ));
        }
        if self.open >= self.close {
            return Err(format!(
                "the open ({}) must come before the close ({})",
                self.open.format("%H:%M"),
                self.close.format("%H:%M")
            ));
        }
        if let Some(post) = self.post_close {
            if post.start < self.close || post.start >= post.end {
                return Err(format!(
                    "the post-close window ({post}) must start after the close ({}) and end after it starts",
                    self.close.format("%H:%M")
                ));
            }
        }
        Ok(())
    }
}

/// Whether a stock takes part in the closing auction (stocks with listed derivatives, from 3 Aug 2026).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EquityClass {
    WithDerivatives,
    CashOnly,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionKind {
    Regular,
    Special { name: String },
}

/// A trading day's plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPlan {
    pub date: NaiveDate,
    pub kind: SessionKind,
    pub times: SessionTimes,
    /// The closing auction window for stocks with derivatives, when the rule applies to this day.
    pub closing_auction: Option<Window>,
}

impl SessionPlan {
    /// When continuous trading ends for this class of stock.
    pub fn continuous_end(&self, class: EquityClass) -> NaiveTime {
        match (class, self.closing_auction) {
            (EquityClass::WithDerivatives, Some(auction)) => auction.start,
            _ => self.times.close,
        }
    }

    pub fn continuous(&self, class: EquityClass) -> Window {
        Window {
            start: self.times.open,
            end: self.continuous_end(class),
        }
    }

    /// The phase at an IST wall-clock time of this day.
    pub fn phase_at(&self, t: NaiveTime, class: EquityClass) -> Phase {
        let times = &self.times;
        if t < times.pre_open {
            return Phase::BeforePreOpen;
        }
        if t < times.pre_open_entry_end {
            return Phase::PreOpenOrderEntry;
        }
        if t < times.open {
            return Phase::PreOpenMatching;
        }
        if t < self.continuous_end(class) {
            return Phase::Continuous;
        }
        if class == EquityClass::WithDerivatives {
            if let Some(auction) = self.closing_auction.filter(|a| t < a.end) {
                debug_assert!(auction.contains(t));
                return Phase::ClosingAuction;
            }
        }
        match times.post_close {
            Some(post) if t < post.start => Phase::Closing,
            Some(post) if t < post.end => Phase::PostClose,
            _ => Phase::AfterClose,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClosedReason {
    Weekend(Weekday),
    Holiday(String),
}

impl fmt::Display for ClosedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClosedReason::Weekend(day) => write!(f, "weekend ({day})"),
            ClosedReason::Holiday(name) => write!(f, "exchange holiday: {name}"),
        }
    }
}

/// What a calendar date holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayPlan {
    Open(SessionPlan),
    Closed(ClosedReason),
}

/// Where the market is at one instant, for one class of stock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// No session on this date.
    Closed(ClosedReason),
    /// A trading day, before pre-open order entry.
    BeforePreOpen,
    PreOpenOrderEntry,
    /// Call-auction matching and the buffer before the open: no order entry.
    PreOpenMatching,
    Continuous,
    /// The closing auction session (stocks with derivatives).
    ClosingAuction,
    /// Closing price calculation: no trading.
    Closing,
    PostClose,
    /// The day's sessions are over.
    AfterClose,
}

impl Phase {
    pub fn label(&self) -> &'static str {
        match self {
            Phase::Closed(_) => "closed",
            Phase::BeforePreOpen => "before pre-open",
            Phase::PreOpenOrderEntry => "pre-open order entry",
            Phase::PreOpenMatching => "pre-open matching",
            Phase::Continuous => "continuous trading",
            Phase::ClosingAuction => "closing auction",
            Phase::Closing => "closing price calculation",
            Phase::PostClose => "post-close session",
            Phase::AfterClose => "after the close",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Phase::Closed(reason) => write!(f, "closed ({reason})"),
            other => f.write_str(other.label()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_session_entry_lasts_eight_minutes_but_never_past_the_open() {
        let muhurat = SessionTimes::special(hm(13, 30), hm(13, 45), hm(14, 45), None);
        assert_eq!(muhurat.pre_open_entry_end, hm(13, 38));
        let tight = SessionTimes::special(hm(18, 0), hm(18, 5), hm(19, 0), None);
        assert_eq!(tight.pre_open_entry_end, hm(18, 5));
        assert!(tight.check_order().is_ok());
    }

    #[test]
    fn times_out_of_order_are_explained() {
        let backwards = SessionTimes::special(hm(13, 30), hm(14, 45), hm(13, 45), None);
        assert!(
            backwards
                .check_order()
                .unwrap_err()
                .contains("must come before the close")
        );
        let post_inside = SessionTimes::special(
            hm(13, 30),
            hm(13, 45),
            hm(14, 45),
            Some(Window {
                start: hm(14, 30),
                end: hm(15, 0),
            }),
        );
        assert!(
            post_inside
                .check_order()
                .unwrap_err()
                .contains("post-close")
        );
    }
}
