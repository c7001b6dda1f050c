//! The IST day the engine's instants fall in, kept while they stay inside it. The engine asks the wall-clock
//! time, the day's plan and the phase on every price; the tz database's lookup and the calendar's layered
//! sources cost more than the rest of a price's handling, and a day's answers do not change within the day.

use std::cell::RefCell;

use chrono::{DateTime, NaiveTime, TimeDelta, Utc};

use crate::calendar::{DayPlan, EquityClass, MarketCalendar, Phase, ist_instant, to_ist};

/// One IST calendar day: its bounds as instants and its plan, and the last instant asked of it with its
/// wall-clock time (a price asks three questions of the same instant).
struct Day {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    plan: DayPlan,
    last: Option<(DateTime<Utc>, NaiveTime)>,
}

#[derive(Default)]
pub(super) struct SessionDay {
    day: RefCell<Option<Day>>,
}

impl SessionDay {
    /// The wall-clock time at `t` and `t`'s day's plan, given to `read`.
    fn with<R>(
        &self,
        calendar: &MarketCalendar,
        t: DateTime<Utc>,
        read: impl FnOnce(NaiveTime, &DayPlan) -> R,
    ) -> R {
        let mut day = self.day.borrow_mut();
        if let Some(Day {
            last: Some((at, time)),
            plan,
            ..
        }) = day.as_ref()
            && *at == t
        {
            return read(*time, plan);
        }
        let current = day.as_ref().is_some_and(|d| d.start <= t && t < d.end);
        if !current {
            let date = to_ist(t).date_naive();
            *day = Some(Day {
                start: ist_instant(date, NaiveTime::MIN),
                end: ist_instant(date + TimeDelta::days(1), NaiveTime::MIN),
                plan: calendar.day_plan(date),
                last: None,
            });
        }
        let day = day.as_mut().expect("set above");
        // A day of 24 hours has one offset throughout (every IST day since 1945); another is read from the tz
        // database, as before.
        // (Whole seconds and nanoseconds, not chrono's date arithmetic: this runs on every price.)
        let since_midnight = t.timestamp() - day.start.timestamp();
        let time = match day.end.timestamp() - day.start.timestamp() {
            86_400 => NaiveTime::from_num_seconds_from_midnight_opt(
                since_midnight as u32,
                t.timestamp_subsec_nanos(),
            ),
            _ => None,
        };
        let time = time.unwrap_or_else(|| to_ist(t).time());
        day.last = Some((t, time));
        read(time, &day.plan)
    }

    pub(super) fn local_time(&self, calendar: &MarketCalendar, t: DateTime<Utc>) -> NaiveTime {
        self.with(calendar, t, |time, _| time)
    }

    /// The continuous session's opening time on `t`'s day, if the market opens that day.
    pub(super) fn session_open(
        &self,
        calendar: &MarketCalendar,
        t: DateTime<Utc>,
    ) -> Option<NaiveTime> {
        self.with(calendar, t, |_, plan| match plan {
            DayPlan::Open(plan) => Some(plan.times.open),
            DayPlan::Closed(_) => None,
        })
    }

    pub(super) fn is_continuous(&self, calendar: &MarketCalendar, t: DateTime<Utc>) -> bool {
        self.with(calendar, t, |time, plan| match plan {
            DayPlan::Open(plan) => plan.phase_at(time, EquityClass::CashOnly) == Phase::Continuous,
            DayPlan::Closed(_) => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::CalendarData;
    use chrono::NaiveDate;

    #[test]
    fn the_kept_day_answers_as_the_calendar_does_across_days_and_phases() {
        let calendar = MarketCalendar::new(CalendarData::default());
        let day = SessionDay::default();
        let start = ist_instant(
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            NaiveTime::MIN,
        );
        // Every 7 minutes 13 seconds over four days (a Friday, a weekend, a Monday), in order and then back.
        let instants: Vec<_> = (0..800)
            .map(|n| start + TimeDelta::seconds(433 * n))
            .chain((0..50).map(|n| start + TimeDelta::seconds(7919 * (50 - n))))
            .collect();
        for t in instants {
            assert_eq!(day.local_time(&calendar, t), to_ist(t).time(), "{t}");
            assert_eq!(
                day.is_continuous(&calendar, t),
                calendar.is_continuous(t, EquityClass::CashOnly),
                "{t}"
            );
            let open = match calendar.plan_at(t) {
                DayPlan::Open(plan) => Some(plan.times.open),
                DayPlan::Closed(_) => None,
            };
            assert_eq!(day.session_open(&calendar, t), open, "{t}");
        }
    }
}
