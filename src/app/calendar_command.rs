//! `dalal calendar [--date D]`: a day's session plan in IST, or why the market is closed, and the next open.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use chrono::{NaiveDate, NaiveTime};

use crate::calendar::{
    Clock, DayPlan, MarketCalendar, SessionKind, SessionOpen, SessionPlan, Window, ist_instant,
    to_ist,
};
use crate::config::BotConfig;

pub fn run(config: &Path, date: Option<NaiveDate>) -> ExitCode {
    let bot = match BotConfig::load(config) {
        Ok(bot) => bot,
        Err(errors) => {
            eprint!("{errors}");
            return ExitCode::FAILURE;
        }
    };
    let calendar = MarketCalendar::new(bot.calendar);
    let date = date.unwrap_or_else(|| to_ist(Clock::System.now()).date_naive());
    print!("{}", describe_day(&calendar, date));
    ExitCode::SUCCESS
}

/// The text `dalal calendar` prints for one date.
pub fn describe_day(calendar: &MarketCalendar, date: NaiveDate) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "NSE/BSE cash market, {} (times in IST)",
        long_date(date)
    );
    let after = match calendar.day_plan(date) {
        DayPlan::Closed(reason) => {
            let _ = writeln!(out, "  market closed: {reason}");
            ist_instant(date, NaiveTime::MIN)
        }
        DayPlan::Open(plan) => {
            session_lines(&mut out, &plan);
            let last = plan.times.post_close.map_or(plan.times.close, |p| p.end);
            ist_instant(date, last)
        }
    };
    match calendar.next_open_after(after) {
        Some(next) => next_open_lines(&mut out, calendar, date, &next),
        None => {
            let _ = writeln!(
                out,
                "Next open: none in the calendar's data; check the holiday file"
            );
        }
    }
    out
}

fn session_lines(out: &mut String, plan: &SessionPlan) {
    match &plan.kind {
        SessionKind::Regular => {
            let _ = writeln!(out, "  trading day (regular session)");
        }
        SessionKind::Special { name } => {
            let _ = writeln!(out, "  trading day (special session: {name})");
        }
    }
    let t = &plan.times;
    let mut line = |start: NaiveTime, end: NaiveTime, what: String| {
        let _ = writeln!(out, "  {}  {what}", Window { start, end });
    };
    line(
        t.pre_open,
        t.pre_open_entry_end,
        "pre-open order entry".into(),
    );
    line(
        t.pre_open_entry_end,
        t.open,
        "pre-open matching and buffer".into(),
    );
    line(t.open, t.close, "continuous trading".into());
    let mut closing_from = t.close;
    if let Some(auction) = plan.closing_auction {
        line(
            auction.start,
            auction.end,
            format!(
                "closing auction for stocks with derivatives (their continuous trading ends {})",
                auction.start.format("%H:%M")
            ),
        );
        closing_from = closing_from.min(auction.end);
    }
    if let Some(post) = t.post_close {
        line(
            closing_from,
            post.start,
            "closing price calculation, no trading".into(),
        );
        line(
            post.start,
            post.end,
            "post-close session (delivery at the closing price)".into(),
        );
    }
}

fn next_open_lines(
    out: &mut String,
    calendar: &MarketCalendar,
    date: NaiveDate,
    next: &SessionOpen,
) {
    let open = to_ist(next.open_at);
    let _ = writeln!(
        out,
        "Next open: {}, pre-open {}, continuous trading from {}",
        long_date(open.date_naive()),
        to_ist(next.pre_open_at).format("%H:%M"),
        open.format("%H:%M")
    );
    for skipped in date
        .succ_opt()
        .into_iter()
        .flat_map(|d| d.iter_days())
        .take_while(|d| *d < next.plan.date)
    {
        if let DayPlan::Closed(reason) = calendar.day_plan(skipped) {
            let _ = writeln!(out, "  {}: closed, {reason}", long_date(skipped));
        }
    }
}

fn long_date(date: NaiveDate) -> String {
    date.format("%A %-d %b %Y").to_string()
}
