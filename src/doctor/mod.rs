//! `dalal doctor`: the investigation a trader otherwise does by hand for days when the feed is refused. A fixed
//! sequence of checks against the configured broker (or the simulator), each with its evidence and a remedy:
//! config, clock offset, calendar, token, LTP for the universe, market status, the WebSocket, the broker's lists
//! (rows dalal cannot read are named), and order permissions. Read-only: it never places an order.

mod feed_probe;
mod hdfcsky_probe;
mod report;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::broker::hdfcsky::HdfcSkyRest;
use crate::broker::upstox::{RULE_REFUSALS, UpstoxRest, shown_expiry};
use crate::broker::{BrokerError, ErrorClass, LtpQuote, Profile, SkippedRow, stated_expiry};
use crate::calendar::{CALENDAR_LOOKAHEAD_DAYS, Clock, EquityClass, MarketCalendar, to_ist};
use crate::config::{BrokerName, Config, Mode, Secret};
use crate::journal::{JournalEntry, Store};

pub use feed_probe::{ProbeOutcome, ProbeSettings};
pub use report::{Check, DoctorReport, Verdict};

/// A clock further off than this makes time rules and staleness checks unreliable.
const CLOCK_WARN_MS: i64 = 1_000;
const CLOCK_FAIL_MS: i64 = 5_000;

/// The broker under examination, through its own client.
pub enum DoctorTarget<'a> {
    /// `data`: the client and token of the market-data path (LTP, the feed, candles) when it has its own
    /// (Upstox's analytics token); else `rest` and `token` serve both paths.
    Upstox {
        rest: &'a UpstoxRest,
        token: Secret,
        data: Option<(&'a UpstoxRest, Secret)>,
    },
    HdfcSky {
        rest: &'a HdfcSkyRest,
    },
}

/// What the broker-specific checks found.
struct BrokerFindings {
    /// The broker's HTTP `Date`, with the local time the answer arrived.
    http_date: Option<(DateTime<Utc>, DateTime<Utc>)>,
    token: Check,
    /// The market-data path's own token, when it has one.
    data_token: Option<Check>,
    ltp: Check,
    /// The exchange status as the broker reports it, for brokers that have the call.
    status: Option<Check>,
    feed: ProbeOutcome,
    lists: Check,
}

/// Everything the checks look at.
pub struct DoctorInputs<'a> {
    /// The loaded config, or the text of its problems.
    pub config: Result<&'a Config, String>,
    pub config_path: &'a Path,
    pub clock: Clock,
    pub broker: DoctorTarget<'a>,
    /// The broker's instrument keys of the universe.
    pub keys: Vec<String>,
    /// The journal to search for order refusals, if there is one.
    pub journal: Option<&'a Path>,
    pub probe: ProbeSettings,
}

pub async fn diagnose(broker: &str, inputs: DoctorInputs<'_>) -> DoctorReport {
    let clock = &inputs.clock;
    let config_check = match &inputs.config {
        Ok(_) => Check::pass(
            "config",
            format!(
                "{} and its strategy are valid",
                inputs.config_path.display()
            ),
        ),
        Err(problems) => Check::fail(
            "config",
            problems.trim_end().to_string(),
            format!(
                "fix them, then `dalal check-config {}`",
                inputs.config_path.display()
            ),
        ),
    };
    let calendar = inputs
        .config
        .as_ref()
        .ok()
        .map(|c| MarketCalendar::new(c.bot.calendar.clone()));
    let in_session = calendar
        .as_ref()
        .is_some_and(|c| c.is_continuous(clock.now(), EquityClass::CashOnly));
    let found = match &inputs.broker {
        DoctorTarget::Upstox { rest, token, data } => {
            let paths = UpstoxPaths {
                trading: (rest, token),
                data: data.as_ref().map(|(rest, token)| (*rest, token)),
            };
            upstox_findings(paths, &inputs.keys, clock, in_session, &inputs.probe).await
        }
        DoctorTarget::HdfcSky { rest } => {
            hdfcsky_probe::findings(rest, &inputs.keys, clock, in_session, &inputs.probe).await
        }
    };
    let clock_check = clock_check(found.http_date, found.feed.server_time);
    let calendar_check = match &calendar {
        Some(calendar) => calendar_check(calendar, clock.now()),
        None => Check::warn(
            "calendar",
            "no calendar without a valid config",
            "fix the config first",
        ),
    };
    let orders = order_check(
        inputs.config.as_ref().ok().copied(),
        inputs.journal.map(|path| (path, clock.now())),
    );
    DoctorReport {
        broker: broker.to_string(),
        checks: [config_check, clock_check, calendar_check, found.token]
            .into_iter()
            .chain(found.data_token)
            .chain([found.ltp])
            .chain(found.status)
            .chain([found.feed.check, found.lists, orders])
            .collect(),
    }
}

/// Local minus server time: positive when this machine is ahead.
fn clock_check(
    http: Option<(DateTime<Utc>, DateTime<Utc>)>,
    feed: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Check {
    const NAME: &str = "clock";
    let offset =
        |(server, local): (DateTime<Utc>, DateTime<Utc>)| (local - server).num_milliseconds();
    // The HTTP Date has whole seconds: it cannot tell offsets under a second.
    let (measured, how) = match (feed, http) {
        (Some(f), _) => (offset(f), "the feed's currentTs"),
        (None, Some(h)) => (offset(h) - 500, "the HTTP Date header (±1 s)"),
        (None, None) => {
            return Check::warn(
                NAME,
                "the broker sent no time to compare with",
                "make sure the machine syncs its clock (NTP / chrony)",
            );
        }
    };
    let evidence = format!("this machine is {measured:+} ms off the broker, by {how}");
    match measured.abs() {
        ms if ms <= CLOCK_WARN_MS => Check::pass(NAME, evidence),
        ms if ms <= CLOCK_FAIL_MS => Check::warn(
            NAME,
            evidence,
            "enable NTP time sync (chrony or systemd-timesyncd)",
        ),
        _ => Check::fail(
            NAME,
            evidence,
            "sync the clock (NTP): session times, the flat time and price staleness all depend on it",
        ),
    }
}

fn calendar_check(calendar: &MarketCalendar, now: DateTime<Utc>) -> Check {
    let phase = calendar.phase_at(now, EquityClass::CashOnly);
    let next = calendar
        .next_open_after(now)
        .map(|open| {
            to_ist(open.open_at)
                .format("%a %-d %b %Y %H:%M IST")
                .to_string()
        })
        .unwrap_or_else(|| "none in the calendar".into());
    let evidence = format!(
        "{} IST: {phase:?}; next open {next}",
        to_ist(now).format("%a %-d %b %Y %H:%M:%S")
    );
    let today = to_ist(now).date_naive();
    match calendar.unknown_years_ahead(today, CALENDAR_LOOKAHEAD_DAYS) {
        None => Check::pass("calendar", evidence),
        Some(unknown) => Check::warn(
            "calendar",
            format!("{evidence}; {unknown}"),
            "add the year's holidays to the holiday file (config/holidays/nse.toml), or run `dalal calendar \
             --sync` once the broker lists them",
        ),
    }
}

/// Upstox's two token paths: orders and the account on the daily token; market data on the analytics token
/// when one is set, else on the daily token too.
struct UpstoxPaths<'a> {
    trading: (&'a UpstoxRest, &'a Secret),
    data: Option<(&'a UpstoxRest, &'a Secret)>,
}

async fn upstox_findings(
    paths: UpstoxPaths<'_>,
    keys: &[String],
    clock: &Clock,
    in_session: bool,
    probe: &ProbeSettings,
) -> BrokerFindings {
    let (rest, token) = paths.trading;
    let (data_rest, data_token) = paths.data.unwrap_or(paths.trading);
    let http_date = rest
        .server_date()
        .await
        .ok()
        .flatten()
        .map(|d| (d, clock.now()));
    let token_check = token_check(
        rest.profile().await,
        stated_expiry(token),
        clock.now(),
        "log in again with `dalal login upstox` (Upstox tokens end at 03:30 IST every day) and give dalal the \
         token file it writes (--token-file), or set UPSTOX_ACCESS_TOKEN",
        "the app or account is not allowed this call: check the app's status in the Upstox developer console",
    );
    let wanted: Vec<&str> = keys.iter().map(String::as_str).collect();
    let quotes = data_rest.ltp(&wanted).await;
    let data_token_check = paths
        .data
        .map(|_| analytics_token_check(&quotes, keys.is_empty()));
    let token_check = match paths.data {
        Some(_) => token_check.serving("orders and the account"),
        None => token_check.serving("orders, the account and market data"),
    };
    let ltp = ltp_check(
        quotes,
        keys.len(),
        "check the ISINs (instrument keys) of the missing instruments in dalal.toml",
    );
    let status = match data_rest.market_status("NSE").await {
        Ok(status) => Check::pass("market status", format!("NSE: {status}")),
        Err(e) => Check::warn(
            "market status",
            format!("the market-status endpoint failed: {e}"),
            "not needed for trading; dalal keeps its own calendar",
        ),
    };
    let feed = feed_probe::probe(data_rest, data_token, keys, clock, in_session, probe).await;
    let read = [
        ("order book", rest.order_book().await.map(|rows| rows.len())),
        ("trades", rest.trades().await.map(|rows| rows.len())),
        ("positions", rest.positions().await.map(|rows| rows.len())),
    ];
    BrokerFindings {
        http_date,
        token: token_check,
        data_token: data_token_check,
        ltp,
        status: Some(status),
        feed,
        lists: lists_check(read, rest.take_skipped_rows()),
    }
}

/// The analytics token's verdict, from the LTP call made with it: which path it serves, or why it cannot.
fn analytics_token_check<T>(quotes: &Result<T, BrokerError>, no_keys: bool) -> Check {
    const NAME: &str = "analytics token";
    match quotes {
        Err(e) if matches!(e.class, ErrorClass::Auth | ErrorClass::Forbidden) => Check::fail(
            NAME,
            format!("UPSTOX_ANALYTICS_TOKEN was refused by the LTP call: {e}"),
            "create a new analytics token in the Upstox developer console (it lasts a year), or unset \
             UPSTOX_ANALYTICS_TOKEN so market data uses the daily token",
        ),
        Err(e) => Check::warn(
            NAME,
            format!("the LTP call failed for another reason, so the token is not proven: {e}"),
            "see the ltp check, then run the doctor again",
        ),
        Ok(_) if no_keys => Check::warn(
            NAME,
            "no instrument to ask a price for, so the token is not proven",
            "fix the config's universe, then run the doctor again",
        ),
        Ok(_) => Check::pass(
            NAME,
            "UPSTOX_ANALYTICS_TOKEN serves market data (the feed, LTP polling, candles): a refused or expired \
             daily token does not blind the feed",
        ),
    }
}

/// The broker's order book, trades and positions, read row by row as the session reads them: a row dalal cannot
/// read is skipped there, so here it is named with its raw form.
fn lists_check(read: [(&str, Result<usize, BrokerError>); 3], skipped: Vec<SkippedRow>) -> Check {
    const NAME: &str = "lists";
    let failed: Vec<String> = read
        .iter()
        .filter_map(|(list, result)| result.as_ref().err().map(|e| format!("{list}: {e}")))
        .collect();
    if !failed.is_empty() {
        return Check::warn(
            NAME,
            failed.join("; "),
            "see the token check; the session reads these lists to follow orders and reconcile",
        );
    }
    let counts = read
        .iter()
        .map(|(list, result)| format!("{list} {}", result.as_ref().map_or(0, |n| *n)))
        .collect::<Vec<_>>()
        .join(", ");
    if skipped.is_empty() {
        return Check::pass(NAME, format!("{counts} rows, all read"));
    }
    let named: Vec<String> = skipped.iter().map(SkippedRow::to_string).collect();
    Check::warn(
        NAME,
        format!(
            "{counts} rows read; {} skipped: {}",
            skipped.len(),
            named.join(" | ")
        ),
        "the other rows still count; if a skipped row is an order of yours, report it with this line",
    )
}

/// The profile call's verdict; `relogin` and `not_allowed` are the broker's remedies for 401 and 403.
/// `expires` is when the token says it expires (if it says), shown on a pass and named on a 401 when past `now`.
fn token_check(
    profile: Result<Profile, BrokerError>,
    expires: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    relogin: &str,
    not_allowed: &str,
) -> Check {
    const NAME: &str = "token";
    match profile {
        Ok(profile) => Check::pass(
            NAME,
            format!(
                "profile 200: {} ({}){}",
                profile.user_id,
                profile.broker,
                expires.map_or_else(String::new, |at| format!("; expires {}", shown_expiry(at)))
            ),
        ),
        Err(e) if e.class == ErrorClass::Auth => Check::fail(
            NAME,
            match expires.filter(|at| *at <= now) {
                Some(at) => format!("profile 401: the token expired {} ({e})", shown_expiry(at)),
                None => format!("profile 401: the token is expired or wrong ({e})"),
            },
            relogin,
        ),
        Err(e) if e.class == ErrorClass::Forbidden => {
            Check::fail(NAME, format!("profile 403: {e}"), not_allowed)
        }
        Err(e) => Check::fail(
            NAME,
            format!("profile failed: {e}"),
            "check the network and the broker's status",
        ),
    }
}

/// The polled prices' verdict for `expected` instruments; `missing_hint` says where their keys come from.
fn ltp_check(
    quotes: Result<Vec<LtpQuote>, BrokerError>,
    expected: usize,
    missing_hint: &str,
) -> Check {
    const NAME: &str = "ltp";
    match quotes {
        Ok(quotes) => {
            let closes = quotes.iter().filter(|q| q.previous_close.is_some()).count();
            let evidence = format!(
                "{} of {expected} instruments priced, {closes} with a previous close",
                quotes.len(),
            );
            if quotes.len() == expected && closes == expected {
                Check::pass(NAME, evidence)
            } else {
                Check::warn(NAME, evidence, missing_hint)
            }
        }
        Err(e) if e.class == ErrorClass::RateLimited => Check::fail(
            NAME,
            format!("LTP answered 429: rate-limited ({e})"),
            "another program is using this account's request budget, or polling runs too fast: keep \
             feed.poll_interval_ms at 1000 or more and stop other scripts on the same token",
        ),
        Err(e) => Check::fail(
            NAME,
            format!("LTP failed: {e}"),
            "see the token check; then the network",
        ),
    }
}

/// What can be known about order permissions without placing an order.
fn order_check(config: Option<&Config>, journal: Option<(&Path, DateTime<Utc>)>) -> Check {
    const NAME: &str = "orders";
    if let Some(found) = journal.and_then(|(path, now)| refused_orders(path, now)) {
        return found;
    }
    let Some(config) = config else {
        return Check::warn(
            NAME,
            "no config to read the limits from",
            "fix the config first",
        );
    };
    let rate = config.bot.risk.max_orders_per_second;
    let basics = format!(
        "{rate} orders/s (the exchange's limit without algo registration is 10); exits go as LIMIT orders with \
         price protection, never MARKET"
    );
    match (config.bot.broker, config.bot.mode) {
        (BrokerName::Upstox, Mode::Live) => Check::warn(
            NAME,
            format!("{basics}; the static IP cannot be verified without placing an order"),
            "order APIs answer UDAPI1154 from any IP but the one registered on your Upstox app: run dalal from \
             that machine; the IP may be changed once a week, and changing it ends the day's token",
        ),
        _ => Check::pass(
            NAME,
            format!("{basics}; paper or simulated orders need no permissions"),
        ),
    }
}

/// Orders the broker refused under the 2026 rules in the journal's last week (static IP, algo name, market
/// orders), the most pressing first.
fn refused_orders(path: &Path, now: DateTime<Utc>) -> Option<Check> {
    let store = Store::open(path).ok()?;
    let entries = store.between(now - TimeDelta::days(7), now).ok()?;
    let text = |entry: &JournalEntry| match entry {
        JournalEntry::Error { message, .. } => Some(message.clone()),
        JournalEntry::Order { state, .. } => Some(state.clone()),
        JournalEntry::OrderEnded { reason, .. } => Some(reason.clone()),
        _ => None,
    };
    let seen = |code: &str| {
        entries
            .iter()
            .filter_map(|r| text(&r.entry).filter(|t| t.contains(code)).map(|_| r.at))
            .next_back()
    };
    RULE_REFUSALS.iter().find_map(|rule| {
        seen(rule.code).map(|at| {
            Check::fail(
                "orders",
                format!(
                    "an order was refused with {} ({}) at {}",
                    rule.code,
                    rule.meaning,
                    to_ist(at)
                ),
                rule.fix,
            )
        })
    })
}

/// Waits used by the CLI: long enough for a real broker, short enough to be run by hand.
pub fn default_probe_settings() -> ProbeSettings {
    ProbeSettings {
        frame_timeout: Duration::from_secs(5),
        price_timeout: Duration::from_secs(5),
    }
}
