//! `dalal calendar [--date D] [--sync]`: a day's session plan in IST, or why the market is closed, where that
//! answer comes from, and the next open. `--sync` first reads the broker's holiday list into the cache the
//! bot's runner reads too.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, NaiveTime};
use url::Url;

use crate::broker::RestSettings;
use crate::broker::upstox::{UpstoxAccount, UpstoxHosts, UpstoxRest};
use crate::calendar::{
    Clock, DayOrigin, DayPlan, MarketCalendar, SessionKind, SessionOpen, SessionPlan, Window,
    ist_instant, to_ist,
};
use crate::config::{BotConfig, BrokerName, Secret, TokenSource, broker_calendar_path};
use crate::runner::sync_calendar;

/// What `dalal calendar` was asked.
pub struct CalendarArgs {
    pub config: PathBuf,
    pub date: Option<NaiveDate>,
    /// Read the broker's holiday list first, into the cache the runner uses.
    pub sync: bool,
    /// The broker's (or a running `dalal sim`'s) address, for `--sync`.
    pub base_url: Option<Url>,
}

pub fn run(args: CalendarArgs) -> anyhow::Result<ExitCode> {
    let mut bot = match BotConfig::load(&args.config) {
        Ok(bot) => bot,
        Err(errors) => {
            eprint!("{errors}");
            return Ok(ExitCode::FAILURE);
        }
    };
    if args.sync {
        sync(&mut bot, args.base_url)?;
    }
    let holidays = bot.holidays_path.clone();
    let calendar = MarketCalendar::new(bot.calendar);
    let date = args
        .date
        .unwrap_or_else(|| to_ist(Clock::System.now()).date_naive());
    print!("{}", describe_day(&calendar, date, &holidays));
    Ok(ExitCode::SUCCESS)
}

/// Reads the configured broker's holiday list into `bot`'s calendar and its cache; a failed read is a warning,
/// since the cache and the shipped file still serve.
fn sync(bot: &mut BotConfig, base_url: Option<Url>) -> anyhow::Result<()> {
    let hosts = match (bot.broker, base_url) {
        (BrokerName::HdfcSky, _) => {
            eprintln!(
                "HDFC Sky publishes no holiday list: the shipped holiday file and your dalal.toml serve"
            );
            return Ok(());
        }
        (_, Some(base)) => UpstoxHosts::single(base),
        (BrokerName::Upstox, None) => UpstoxHosts::production(),
        (BrokerName::Sim, None) => anyhow::bail!(
            "broker = \"sim\" has no holiday list of its own: start `dalal sim` and pass its address with --base-url"
        ),
    };
    // Upstox's holiday list needs no token.
    let none = Secret::new("");
    let rest = UpstoxRest::new(
        hosts,
        none.clone(),
        RestSettings::default().single_attempt(),
    )?;
    let account = UpstoxAccount::new(Arc::new(rest), TokenSource::Fixed(none));
    let cache = broker_calendar_path(&bot.journal_path);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let now = Clock::System.now();
    let synced = runtime.block_on(sync_calendar(
        &account,
        &mut bot.calendar,
        &cache,
        now,
        false,
    ));
    if synced.read {
        eprintln!("{}", synced.summary);
    } else {
        eprintln!("WARNING {}", synced.summary);
    }
    for detail in synced.new_disagreements {
        eprintln!("sources disagree: {detail}");
    }
    Ok(())
}

/// The text `dalal calendar` prints for one date: its plan, where the answer comes from, and the next open.
pub fn describe_day(calendar: &MarketCalendar, date: NaiveDate, holidays: &Path) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "NSE/BSE cash market, {} (times in IST)",
        long_date(date)
    );
    let origin = calendar.origin(date);
    let after = match calendar.day_plan(date) {
        DayPlan::Closed(reason) => {
            let _ = writeln!(out, "  market closed: {reason}");
            ist_instant(date, NaiveTime::MIN)
        }
        DayPlan::Open(plan) => {
            session_lines(&mut out, &plan, origin == DayOrigin::UnknownYear);
            let last = plan.times.post_close.map_or(plan.times.close, |p| p.end);
            ist_instant(date, last)
        }
    };
    source_lines(&mut out, calendar, date, &origin, holidays);
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

fn source_lines(
    out: &mut String,
    calendar: &MarketCalendar,
    date: NaiveDate,
    origin: &DayOrigin,
    holidays: &Path,
) {
    let year = date.year();
    let _ = match origin {
        DayOrigin::Listed(source) => writeln!(out, "  source: {source}"),
        DayOrigin::ByWeekday(source) => writeln!(
            out,
            "  source: the weekday; {source} covers {year} and does not list this date"
        ),
        DayOrigin::UnknownYear => writeln!(
            out,
            "  WARNING no holiday source lists {year}: dalal will not enable trading on this day until the \
             broker's market status says the exchange is open. Add {year}'s holidays to {}, or run \
             `dalal calendar --sync` once the broker lists them.",
            holidays.display()
        ),
    };
    let _ = match &calendar.data().broker {
        Some(b) => writeln!(
            out,
            "  broker list: {}'s {} list, {} dates, read {}",
            b.broker,
            b.year,
            b.days.len(),
            to_ist(b.read_at).format("%-d %b %Y %H:%M IST")
        ),
        None => writeln!(
            out,
            "  broker list: not read yet (`dalal calendar --sync`, or the bot's next pre-open)"
        ),
    };
}

fn session_lines(out: &mut String, plan: &SessionPlan, presumed: bool) {
    match &plan.kind {
        SessionKind::Regular if presumed => {
            let _ = writeln!(
                out,
                "  presumed trading day (a weekday in a year no holiday source lists; regular session times)"
            );
        }
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
