//! `dalal check-config [FILE]`: validates the config, the strategy and the holiday file, and checks that the
//! chosen broker's credentials and the alert channels set in the environment are usable, without printing them.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use crate::calendar::{CALENDAR_LOOKAHEAD_DAYS, Clock, MarketCalendar, to_ist};
use crate::config::{
    ALERT_WEBHOOK_URL, AlertSettings, AlertTargets, BrokerName, Config, ConfigErrors, Direction,
    Secrets, TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID,
};

/// A stored instrument master older than this is named in a warning: Upstox publishes one every morning.
const MASTER_STALE_DAYS: i64 = 7;

/// The `.env` file dalal reads credentials from, in the working directory.
pub const DOTENV_PATH: &str = ".env";

pub fn run(path: &Path) -> ExitCode {
    let config = match Config::load(path) {
        Ok(config) => config,
        Err(errors) => {
            eprint!("{errors}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(config = %path.display(), strategy = %config.bot.strategy_path.display(), "configuration loaded");
    let secrets = Secrets::load(
        config.bot.broker,
        |k| std::env::var(k).ok(),
        Path::new(DOTENV_PATH),
    );
    let alerts = AlertTargets::load(|k| std::env::var(k).ok(), Path::new(DOTENV_PATH));
    print!("{}", summary(&config, secrets.as_ref().ok()));
    if let Ok(alerts) = &alerts {
        print!("{}", alerts_summary(&config.bot.alerts, alerts));
    }
    let problems: Vec<_> = [secrets.err(), alerts.err()]
        .into_iter()
        .flatten()
        .flatten()
        .collect();
    if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprint!("{}", ConfigErrors(problems));
        ExitCode::FAILURE
    }
}

/// Which alert channels are on (never their values), for which events, at what rate.
fn alerts_summary(settings: &AlertSettings, targets: &AlertTargets) -> String {
    if targets.is_empty() {
        return format!(
            "alerts: off (set {TELEGRAM_BOT_TOKEN} and {TELEGRAM_CHAT_ID}, or {ALERT_WEBHOOK_URL})\n"
        );
    }
    let events: Vec<&str> = settings.events.iter().map(|e| e.name()).collect();
    let events = if events.is_empty() {
        "no events (alerts.events is empty)".to_string()
    } else {
        events.join(", ")
    };
    let api = match (&targets.telegram, settings.telegram_api.host_str()) {
        (Some(_), Some(host)) if host != "api.telegram.org" => format!(" (Telegram API at {host})"),
        _ => String::new(),
    };
    format!(
        "alerts: {}{api} set (values not shown), for {events}; at most {} a minute\n",
        targets.describe(),
        settings.per_minute
    )
}

fn summary(config: &Config, secrets: Option<&Secrets>) -> String {
    let (bot, strategy) = (&config.bot, &config.strategy);
    let mut out = String::new();
    let hm = |t: chrono::NaiveTime| t.format("%H:%M").to_string();
    let _ = writeln!(out, "{}: OK", bot.path.display());
    let _ = writeln!(
        out,
        "  broker {}, mode {}",
        bot.broker.as_str(),
        bot.mode.as_str()
    );
    let names: Vec<String> = bot.universe.iter().map(|i| i.id.to_string()).collect();
    let _ = writeln!(
        out,
        "  universe: {} instruments ({})",
        names.len(),
        names.join(", ")
    );
    let t = &bot.ticks;
    let master = match &t.master {
        Some((source, at)) => format!(
            "master: the {source}, read {}",
            to_ist(*at).format("%-d %b %Y %H:%M IST")
        ),
        None => "no instrument master at hand (`dalal instruments upstox` stores one)".into(),
    };
    let _ = writeln!(
        out,
        "  tick sizes: {} from the instrument master, {} from dalal.toml, {} from NSE's price-band table; {master}",
        t.from_master, t.from_config, t.from_price_band
    );
    if let Some((_, at)) = &t.master {
        let days = (Clock::System.now() - *at).num_days();
        if days > MASTER_STALE_DAYS {
            let _ = writeln!(
                out,
                "  WARNING instrument master: read {days} days ago, and exchanges revise tick sizes; run `dalal \
                 instruments upstox` again"
            );
        }
    }
    let f = &bot.feed;
    let _ = writeln!(
        out,
        "  feed: poll every {} ms when not streaming, silent after {} ms, reconnect {}–{} ms, probe a refused socket every {}–{} s",
        f.poll_interval_ms,
        f.stall_timeout_ms,
        f.reconnect_backoff_min_ms,
        f.reconnect_backoff_max_ms,
        f.probe_interval_min_s,
        f.probe_interval_max_s
    );
    let r = &bot.risk;
    let _ = writeln!(
        out,
        "  risk: at most {} open positions, ₹{} deployed, ₹{} daily loss, {} orders/s; prices older than {} ms block entries",
        r.max_open_positions,
        r.max_capital_deployed,
        r.max_daily_loss,
        r.max_orders_per_second,
        r.max_price_age_ms
    );
    if r.kill_switch_on_daily_loss {
        let _ = writeln!(
            out,
            "  kill switch: once the daily loss limit trips and everything is flat, Upstox's kill switch turns the \
             universe's segments off for 12 hours{}",
            if bot.mode == crate::config::Mode::Live {
                ""
            } else {
                " (not called in paper mode)"
            }
        );
    }
    let _ = writeln!(
        out,
        "  session: last entry {} IST, square-off {} IST",
        hm(bot.session.last_entry_time),
        hm(bot.session.square_off_time)
    );
    let c = &bot.calendar;
    let auction = c.closing_auction.map_or("off".to_string(), |a| {
        format!("{} from {}", a.window, a.effective_from)
    });
    let broker_list = c.broker.as_ref().map_or_else(
        || "no broker list read yet".to_string(),
        |b| {
            format!(
                "{}'s {} list ({} days) read {}",
                b.broker,
                b.year,
                b.days.len(),
                to_ist(b.read_at).format("%-d %b %Y %H:%M IST")
            )
        },
    );
    let _ = writeln!(
        out,
        "  calendar: shipped file {} holidays and {} special sessions, yours {} and {}, {broker_list}; closing auction {auction}",
        c.shipped.holidays.len(),
        c.shipped.special_sessions.len(),
        c.own.holidays.len(),
        c.own.special_sessions.len()
    );
    let today = to_ist(Clock::System.now()).date_naive();
    if let Some(warning) =
        MarketCalendar::new(c.clone()).unknown_years_ahead(today, CALENDAR_LOOKAHEAD_DAYS)
    {
        let _ = writeln!(
            out,
            "  WARNING calendar: {warning}; add the year to {} or run `dalal calendar --sync`",
            bot.holidays_path.display()
        );
    }
    let _ = writeln!(out, "  status endpoint: http://{}", bot.status.listen);
    let _ = writeln!(out, "  journal: {}", bot.journal_path.display());
    let _ = writeln!(out, "{}: OK", bot.strategy_path.display());
    let q = &strategy.qualify;
    let direction = match strategy.direction {
        Direction::LongOnly => "long only",
        Direction::Both => "long and short",
    };
    let traded = if strategy.instruments.is_empty() {
        "the whole universe".to_string()
    } else {
        strategy.instruments.join(", ")
    };
    let _ = writeln!(
        out,
        "  continuation, {direction}, on {traded}: gap {}–{} %, opening range {} min, target {} R, entries until {} IST, flat at {} IST",
        q.gap_min_pct,
        q.gap_max_pct,
        q.or_minutes,
        strategy.exit.target_r,
        hm(strategy.time.last_entry_time),
        hm(strategy.time.flat_time)
    );
    match (bot.broker, secrets) {
        (BrokerName::Sim, _) => {
            let _ = writeln!(out, "credentials: none needed (broker sim)");
        }
        (_, Some(s)) => {
            let names: Vec<&str> = s.names().collect();
            let _ = writeln!(
                out,
                "credentials: {} set (values not shown)",
                names.join(", ")
            );
        }
        (_, None) => {}
    }
    out
}
