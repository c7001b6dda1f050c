//! The NSE calendar as the shipped files build it: phase boundaries, holidays, weekends, special sessions,
//! the closing auction, and the next open across closures.

use chrono::{Datelike, Weekday};
use dalal::calendar::{ClosedReason, DayPlan, EquityClass, Phase, SessionKind};

use crate::support::{date, ist, shipped_calendar};

const CASH: EquityClass = EquityClass::CashOnly;
const FNO: EquityClass = EquityClass::WithDerivatives;

#[test]
fn phase_boundaries_fall_on_the_exact_second() {
    let cal = shipped_calendar();
    let at = |h, m, s| cal.phase_at(ist(2026, 11, 23, h, m, s), CASH);
    assert_eq!(at(8, 59, 59), Phase::BeforePreOpen);
    assert_eq!(at(9, 0, 0), Phase::PreOpenOrderEntry);
    assert_eq!(at(9, 7, 59), Phase::PreOpenOrderEntry);
    assert_eq!(at(9, 8, 0), Phase::PreOpenMatching);
    assert_eq!(at(9, 14, 59), Phase::PreOpenMatching);
    assert_eq!(at(9, 15, 0), Phase::Continuous);
    assert_eq!(at(15, 29, 59), Phase::Continuous);
    assert_eq!(at(15, 30, 0), Phase::Closing);
    assert_eq!(at(15, 50, 0), Phase::PostClose);
    assert_eq!(at(16, 0, 0), Phase::AfterClose);
    assert!(cal.is_continuous(ist(2026, 11, 23, 9, 15, 0), CASH));
    assert!(!cal.is_continuous(ist(2026, 11, 23, 9, 14, 59), CASH));
    assert!(!cal.is_continuous(ist(2026, 11, 23, 15, 30, 0), CASH));
}

#[test]
fn stocks_with_derivatives_go_to_the_closing_auction_from_3_aug_2026() {
    let cal = shipped_calendar();
    assert_eq!(
        cal.phase_at(ist(2026, 11, 23, 15, 14, 59), FNO),
        Phase::Continuous
    );
    assert_eq!(
        cal.phase_at(ist(2026, 11, 23, 15, 15, 0), FNO),
        Phase::ClosingAuction
    );
    assert_eq!(
        cal.phase_at(ist(2026, 11, 23, 15, 34, 59), FNO),
        Phase::ClosingAuction
    );
    assert_eq!(
        cal.phase_at(ist(2026, 11, 23, 15, 35, 0), FNO),
        Phase::Closing
    );
    assert_eq!(
        cal.phase_at(ist(2026, 11, 23, 15, 15, 0), CASH),
        Phase::Continuous
    );
    // Before the rule's start, every stock trades to 15:30 and the post-close starts at 15:40.
    assert_eq!(
        cal.phase_at(ist(2026, 7, 31, 15, 20, 0), FNO),
        Phase::Continuous
    );
    assert_eq!(
        cal.phase_at(ist(2026, 7, 31, 15, 40, 0), CASH),
        Phase::PostClose
    );
    assert_eq!(
        cal.phase_at(ist(2026, 8, 3, 15, 40, 0), CASH),
        Phase::Closing
    );
}

#[test]
fn every_2026_exchange_holiday_is_closed_with_its_name() {
    let cal = shipped_calendar();
    let weekday_holidays = [
        (1, 15, "Maharashtra Municipal Corporation elections"),
        (1, 26, "Republic Day"),
        (3, 3, "Holi"),
        (3, 26, "Shri Ram Navami"),
        (3, 31, "Shri Mahavir Jayanti"),
        (4, 3, "Good Friday"),
        (4, 14, "Dr. Baba Saheb Ambedkar Jayanti"),
        (5, 1, "Maharashtra Day"),
        (5, 28, "Bakri Id"),
        (6, 26, "Muharram"),
        (9, 14, "Ganesh Chaturthi"),
        (10, 2, "Mahatma Gandhi Jayanti"),
        (10, 20, "Dussehra"),
        (11, 10, "Diwali Balipratipada"),
        (11, 24, "Prakash Gurpurb Sri Guru Nanak Dev"),
        (12, 25, "Christmas"),
    ];
    for (m, d, name) in weekday_holidays {
        assert_eq!(
            cal.day_plan(date(2026, m, d)),
            DayPlan::Closed(ClosedReason::Holiday(name.into())),
            "2026-{m:02}-{d:02}"
        );
        assert!(!cal.is_continuous(ist(2026, m, d, 11, 0, 0), CASH));
    }
    // The days around a holiday trade normally.
    assert!(cal.is_continuous(ist(2026, 3, 2, 11, 0, 0), CASH));
    assert!(cal.is_continuous(ist(2026, 3, 4, 11, 0, 0), CASH));
}

#[test]
fn weekends_are_closed_and_ordinary_weekdays_open() {
    let cal = shipped_calendar();
    let mut open_days = 0;
    for day in date(2026, 6, 1).iter_days().take(28) {
        let plan = cal.day_plan(day);
        match day.weekday() {
            Weekday::Sat | Weekday::Sun => {
                assert_eq!(
                    plan,
                    DayPlan::Closed(ClosedReason::Weekend(day.weekday())),
                    "{day}"
                )
            }
            _ if day == date(2026, 6, 26) => assert!(matches!(plan, DayPlan::Closed(_))),
            _ => {
                assert!(matches!(plan, DayPlan::Open(_)), "{day}");
                open_days += 1;
            }
        }
    }
    assert_eq!(open_days, 19, "20 weekdays in 1–28 Jun 2026, less Muharram");
}

#[test]
fn special_sessions_open_a_sunday_and_a_holiday() {
    let cal = shipped_calendar();
    let DayPlan::Open(budget) = cal.day_plan(date(2026, 2, 1)) else {
        panic!("the budget Sunday must be open");
    };
    assert!(matches!(budget.kind, SessionKind::Special { .. }));
    assert!(cal.is_continuous(ist(2026, 2, 1, 9, 15, 0), CASH));
    assert!(cal.is_continuous(ist(2026, 2, 1, 15, 29, 59), CASH));
    assert_eq!(
        cal.phase_at(ist(2026, 2, 8, 11, 0, 0), CASH),
        Phase::Closed(ClosedReason::Weekend(Weekday::Sun))
    );

    // Muhurat 2025 on the Laxmi Pujan holiday: one hour in the afternoon.
    assert_eq!(
        cal.phase_at(ist(2025, 10, 21, 11, 0, 0), CASH),
        Phase::BeforePreOpen
    );
    assert_eq!(
        cal.phase_at(ist(2025, 10, 21, 13, 30, 0), CASH),
        Phase::PreOpenOrderEntry
    );
    assert_eq!(
        cal.phase_at(ist(2025, 10, 21, 13, 44, 59), CASH),
        Phase::PreOpenMatching
    );
    assert_eq!(
        cal.phase_at(ist(2025, 10, 21, 13, 45, 0), CASH),
        Phase::Continuous
    );
    assert_eq!(
        cal.phase_at(ist(2025, 10, 21, 14, 44, 59), CASH),
        Phase::Continuous
    );
    assert_eq!(
        cal.phase_at(ist(2025, 10, 21, 14, 45, 0), CASH),
        Phase::Closing
    );
    assert_eq!(
        cal.phase_at(ist(2025, 10, 21, 14, 55, 0), CASH),
        Phase::PostClose
    );
    // A Muhurat session keeps its own close: no closing auction even after Aug 2026.
    let DayPlan::Open(muhurat) = cal.day_plan(date(2026, 11, 8)) else {
        panic!("Muhurat 2026 must be open");
    };
    assert_eq!(muhurat.closing_auction, None);
    assert_eq!(
        cal.phase_at(ist(2026, 11, 8, 14, 0, 0), FNO),
        Phase::Continuous
    );
}

#[test]
fn next_open_skips_a_long_weekend_of_holidays() {
    let cal = shipped_calendar();
    // Thu 2 Apr 2026 after the close; Fri 3 Apr is Good Friday, then a weekend.
    let next = cal.next_open_after(ist(2026, 4, 2, 15, 31, 0)).unwrap();
    assert_eq!(next.plan.date, date(2026, 4, 6));
    assert_eq!(next.open_at, ist(2026, 4, 6, 9, 15, 0));
    assert_eq!(next.pre_open_at, ist(2026, 4, 6, 9, 0, 0));
    // Friday 23 Oct 2026 evening → Monday 26 Oct.
    assert_eq!(
        cal.next_open_after(ist(2026, 10, 23, 18, 0, 0))
            .unwrap()
            .plan
            .date,
        date(2026, 10, 26)
    );
    // Before the open on a trading day, the next open is that same morning.
    assert_eq!(
        cal.next_open_after(ist(2026, 11, 23, 9, 14, 59))
            .unwrap()
            .open_at,
        ist(2026, 11, 23, 9, 15, 0)
    );
    // At the open exactly, it is the next trading day: Tue 24 Nov is a holiday.
    assert_eq!(
        cal.next_open_after(ist(2026, 11, 23, 9, 15, 0))
            .unwrap()
            .plan
            .date,
        date(2026, 11, 25)
    );
    // Saturday 31 Jan 2026 → the budget Sunday.
    assert_eq!(
        cal.next_open_after(ist(2026, 1, 31, 12, 0, 0))
            .unwrap()
            .plan
            .date,
        date(2026, 2, 1)
    );
    // Christmas Friday → Monday 28 Dec.
    assert_eq!(
        cal.next_open_after(ist(2026, 12, 24, 16, 0, 0))
            .unwrap()
            .plan
            .date,
        date(2026, 12, 28)
    );
}

#[test]
fn todays_plan_is_the_ist_date_not_the_utc_date() {
    let cal = shipped_calendar();
    // 20:00 UTC on Sunday 22 Nov is 01:30 IST on Monday 23 Nov: Monday's plan.
    let late_utc =
        chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 22, 20, 0, 0).unwrap();
    let DayPlan::Open(plan) = cal.plan_at(late_utc) else {
        panic!("Monday 23 Nov 2026 is a trading day");
    };
    assert_eq!(plan.date, date(2026, 11, 23));
    assert_eq!(cal.phase_at(late_utc, CASH), Phase::BeforePreOpen);
}
