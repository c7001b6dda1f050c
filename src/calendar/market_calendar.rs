//! The questions the rest of the bot asks about market time: what today holds, which phase an instant is in,
//! whether it is inside continuous trading, and when the next session opens.
//!
//! The calendar is built from data (the shipped holiday file, the broker's list and the trader's overrides,
//! layered in `day_sources`), because exchanges add closures at a few days' notice and special sessions change
//! every year.

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};

use super::day_sources::{BrokerDay, CalendarData, DayOrigin, Listed};
use super::ist::{ist_instant, to_ist};
use super::session::{
    ClosedReason, DayPlan, EquityClass, Phase, SessionKind, SessionPlan, SessionTimes, Window,
};

/// A session held on a date that is otherwise a holiday or a weekend, or with times other than the regular ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialSession {
    pub name: String,
    pub times: SessionTimes,
}

/// The closing auction session for stocks with derivatives (SEBI, effective 3 Aug 2026): continuous trading for
/// them ends at the auction's start, and the post-close session of every stock moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClosingAuctionRule {
    pub effective_from: NaiveDate,
    pub window: Window,
    pub post_close: Window,
}

/// The next continuous-trading open, with its day's plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOpen {
    pub plan: SessionPlan,
    pub pre_open_at: DateTime<Utc>,
    pub open_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct MarketCalendar {
    data: CalendarData,
}

/// How far ahead `dalal doctor` and `check-config` look for a year no holiday source lists: a month, so the
/// warning comes in December, in time to add next year's holidays.
pub const CALENDAR_LOOKAHEAD_DAYS: u64 = 31;

/// How far ahead `next_open_after` looks before concluding the calendar has no sessions at all.
const SEARCH_DAYS: u64 = 400;

impl MarketCalendar {
    pub fn new(data: CalendarData) -> Self {
        MarketCalendar { data }
    }

    /// The plan of an IST calendar date: what the winning source lists (a special session wins over a holiday
    /// or a weekend), else the weekday.
    pub fn day_plan(&self, date: NaiveDate) -> DayPlan {
        match self.data.listed(date) {
            Some((Listed::Special(special), _)) => {
                let kind = SessionKind::Special { name: special.name };
                return DayPlan::Open(self.plan(date, kind, special.times));
            }
            Some((Listed::Holiday(name), _)) => {
                return DayPlan::Closed(ClosedReason::Holiday(name));
            }
            None => {}
        }
        match date.weekday() {
            day @ (Weekday::Sat | Weekday::Sun) => DayPlan::Closed(ClosedReason::Weekend(day)),
            _ => DayPlan::Open(self.plan(date, SessionKind::Regular, SessionTimes::regular())),
        }
    }

    /// The closing auction applies to days that keep the regular timetable; a one-hour Muhurat session has none.
    fn plan(&self, date: NaiveDate, kind: SessionKind, mut times: SessionTimes) -> SessionPlan {
        let auction = self
            .data
            .closing_auction
            .filter(|rule| date >= rule.effective_from && times == SessionTimes::regular());
        if let Some(rule) = auction {
            times.post_close = Some(rule.post_close);
        }
        SessionPlan {
            date,
            kind,
            times,
            closing_auction: auction.map(|rule| rule.window),
        }
    }

    /// Where the answer for `date` comes from, or that its year is in no source.
    pub fn origin(&self, date: NaiveDate) -> DayOrigin {
        self.data.origin(date)
    }

    /// The years from `today` to `days` ahead that no source lists, with the warning that says so: a weekday
    /// in them is only presumed to be a trading day.
    pub fn unknown_years_ahead(&self, today: NaiveDate, days: u64) -> Option<String> {
        let last = today + chrono::Days::new(days);
        let unknown: Vec<String> = (today.year()..=last.year())
            .filter(|y| self.data.year_source(*y).is_none())
            .map(|y| y.to_string())
            .collect();
        (!unknown.is_empty()).then(|| {
            format!(
                "no holiday source lists {}: dalal will not enable trading on such a day until the broker's \
                 market status says the exchange is open",
                unknown.join(" or ")
            )
        })
    }

    pub fn data(&self) -> &CalendarData {
        &self.data
    }

    /// This calendar with `days` announced over every source: the simulated exchange's own view.
    pub fn with_announced(mut self, days: &[BrokerDay]) -> MarketCalendar {
        for day in days {
            self.data.own.add(day);
        }
        self
    }

    /// The plan of the IST date that contains `t`.
    pub fn plan_at(&self, t: DateTime<Utc>) -> DayPlan {
        self.day_plan(to_ist(t).date_naive())
    }

    pub fn phase_at(&self, t: DateTime<Utc>, class: EquityClass) -> Phase {
        let local = to_ist(t);
        match self.day_plan(local.date_naive()) {
            DayPlan::Closed(reason) => Phase::Closed(reason),
            DayPlan::Open(plan) => plan.phase_at(local.time(), class),
        }
    }

    pub fn is_continuous(&self, t: DateTime<Utc>, class: EquityClass) -> bool {
        self.phase_at(t, class) == Phase::Continuous
    }

    /// The first continuous-trading open strictly after `t`, skipping weekends and holidays.
    pub fn next_open_after(&self, t: DateTime<Utc>) -> Option<SessionOpen> {
        let first = to_ist(t).date_naive();
        first
            .iter_days()
            .take(SEARCH_DAYS as usize)
            .find_map(|date| {
                let DayPlan::Open(plan) = self.day_plan(date) else {
                    return None;
                };
                let open_at = ist_instant(date, plan.times.open);
                (open_at > t).then(|| SessionOpen {
                    pre_open_at: ist_instant(date, plan.times.pre_open),
                    open_at,
                    plan,
                })
            })
    }
}
