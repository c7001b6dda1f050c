//! The checks that must pass before a day's trading is enabled: the config still loads, the token is accepted,
//! the calendar knows the day (or the broker says the exchange is open), the universe has prices and previous
//! closes, and today's journal agrees with the broker. Each check says
//! what it found and, when it failed, what the trader does about it.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::reconcile::{BrokerView, Reconciled, reconcile};
use crate::broker::upstox::shown_expiry;
use crate::broker::{AccountBroker, ErrorClass, FeedBroker, OrderBroker};
use crate::calendar::{DayOrigin, MarketCalendar};
use crate::config::Config;
use crate::domain::InstrumentId;
use crate::journal::Store;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub name: &'static str,
    pub passed: bool,
    /// What was found: counts, the account, the error.
    pub detail: String,
    /// What to do when it failed.
    pub remedy: Option<String>,
}

impl CheckResult {
    pub(super) fn pass(name: &'static str, detail: impl Into<String>) -> Self {
        CheckResult {
            name,
            passed: true,
            detail: detail.into(),
            remedy: None,
        }
    }

    pub(super) fn fail(
        name: &'static str,
        detail: impl Into<String>,
        remedy: impl Into<String>,
    ) -> Self {
        CheckResult {
            name,
            passed: false,
            detail: detail.into(),
            remedy: Some(remedy.into()),
        }
    }
}

impl std::fmt::Display for CheckResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verdict = if self.passed { "PASS" } else { "FAIL" };
        write!(f, "{verdict} {}: {}", self.name, self.detail)?;
        if let Some(remedy) = &self.remedy {
            write!(f, " → {remedy}")?;
        }
        Ok(())
    }
}

/// Re-reads the config files, so an overnight edit takes effect (or is caught) before the open.
pub fn check_config(path: &Path) -> Result<(Config, CheckResult), CheckResult> {
    match Config::load(path) {
        Ok(config) => Ok((
            config,
            CheckResult::pass(
                "config",
                format!("{} and its strategy load", path.display()),
            ),
        )),
        Err(errors) => Err(CheckResult::fail(
            "config",
            format!("{} problem(s):\n{errors}", errors.0.len()),
            format!(
                "fix them (`dalal check-config {}` lists them)",
                path.display()
            ),
        )),
    }
}

/// The token re-read from its source and accepted by the broker's profile endpoint, and when it says it
/// expires. A refused token that says it has expired is named as expired, with the command that renews it.
pub async fn check_token<A: AccountBroker>(
    account: &A,
    now: DateTime<Utc>,
) -> (CheckResult, Option<DateTime<Utc>>) {
    const NAME: &str = "token";
    let expires = match account.reread_token() {
        Ok(expires) => expires,
        Err(e) => {
            return (
                CheckResult::fail(NAME, e.problem.clone(), e.fix.clone()),
                None,
            );
        }
    };
    let lifetime = expires.map_or_else(String::new, |at| format!("; expires {}", shown_expiry(at)));
    let check = match account.profile().await {
        Ok(profile) => CheckResult::pass(
            NAME,
            format!(
                "accepted for {} ({}){lifetime}",
                profile.user_id, profile.broker
            ),
        ),
        Err(e) if e.class == ErrorClass::Auth => {
            let detail = match expires.filter(|at| *at <= now) {
                Some(at) => format!("expired {} and refused: {e}", shown_expiry(at)),
                None => format!("refused: {e}"),
            };
            CheckResult::fail(
                NAME,
                detail,
                format!(
                    "log in again with `{}` (Upstox tokens end at 03:30 IST every day) and put the token where \
                     dalal reads it (--token-file is re-read at every retry)",
                    A::LOGIN_COMMAND
                ),
            )
        }
        Err(e) => CheckResult::fail(
            NAME,
            format!("the profile call failed: {e}"),
            "check the network and the broker's status page; dalal retries every minute",
        ),
    };
    (check, expires)
}

/// What the calendar knows of `date`. A date whose year no holiday source lists is only presumed open, so it
/// passes only while the broker's market status says the exchange is in normal trading.
pub async fn check_calendar<A: AccountBroker>(
    account: &A,
    calendar: &MarketCalendar,
    date: NaiveDate,
    holidays_path: &Path,
) -> CheckResult {
    const NAME: &str = "calendar";
    let day = date.format("%a %-d %b %Y");
    match calendar.origin(date) {
        DayOrigin::Listed(source) => {
            CheckResult::pass(NAME, format!("{day} is listed by {source}"))
        }
        DayOrigin::ByWeekday(source) => CheckResult::pass(
            NAME,
            format!("{day} is a weekday that {source} does not list as closed"),
        ),
        DayOrigin::UnknownYear => {
            let unknown = format!("no holiday source lists {}", date.year());
            let remedy = format!(
                "add {}'s holidays to {} (or `dalal calendar --sync` once {} lists them); dalal enables \
                 trading while {}'s market status says NORMAL_OPEN",
                date.year(),
                holidays_path.display(),
                A::NAME,
                A::NAME
            );
            match account.market_status().await {
                Ok(Some(status)) if status == "NORMAL_OPEN" => CheckResult::pass(
                    NAME,
                    format!(
                        "{unknown}, and {}'s market status says NSE is NORMAL_OPEN",
                        A::NAME
                    ),
                ),
                Ok(Some(status)) => CheckResult::fail(
                    NAME,
                    format!(
                        "{unknown}; {}'s market status says NSE is {status}, not NORMAL_OPEN",
                        A::NAME
                    ),
                    remedy,
                ),
                Ok(None) => CheckResult::fail(
                    NAME,
                    format!(
                        "{unknown}, and {} has no market status call to confirm the exchange is open",
                        A::NAME
                    ),
                    format!(
                        "add {}'s holidays to {}, or confirm today with a [[calendar.special_session]] for {date} in \
                         dalal.toml",
                        date.year(),
                        holidays_path.display()
                    ),
                ),
                Err(e) => CheckResult::fail(
                    NAME,
                    format!("{unknown}, and the market status call failed: {e}"),
                    remedy,
                ),
            }
        }
    }
}

/// The name of `check_prices`' result.
pub const PRICES_CHECK: &str = "instruments";

/// Every instrument of the universe priced, with its previous close (the strategy qualifies off it).
pub async fn check_prices<F: FeedBroker>(
    feed: &F,
    keys: &HashMap<String, InstrumentId>,
) -> CheckResult {
    const NAME: &str = PRICES_CHECK;
    let mut wanted: Vec<String> = keys.keys().cloned().collect();
    wanted.sort();
    let mut priced = Vec::new();
    for batch in wanted.chunks(feed.poll_batch_size().max(1)) {
        match feed.poll(batch).await {
            Ok(prices) => priced.extend(prices),
            Err(e) => {
                return CheckResult::fail(
                    NAME,
                    format!("the last-price call failed: {e}"),
                    "check the token and the network; dalal retries every minute",
                );
            }
        }
    }
    let with_close = priced.iter().filter(|p| p.previous_close.is_some()).count();
    let missing: Vec<String> = wanted
        .iter()
        .filter(|k| !priced.iter().any(|p| &&p.instrument_key == k))
        .map(|k| keys[k].to_string())
        .collect();
    if !missing.is_empty() {
        return CheckResult::fail(
            NAME,
            format!(
                "{} of {} instruments have no price: {}",
                missing.len(),
                wanted.len(),
                missing.join(", ")
            ),
            "check their ISINs (or instrument keys) in the universe of dalal.toml",
        );
    }
    CheckResult::pass(
        NAME,
        format!(
            "{} instruments priced, {with_close} with a previous close",
            priced.len()
        ),
    )
}

/// Today's journal against the broker's orders and positions (live), or on its own (paper).
pub async fn check_reconciliation<O: OrderBroker, A: AccountBroker>(
    journal_path: &Path,
    paper: bool,
    day: (NaiveDate, DateTime<Utc>, DateTime<Utc>),
    orders: &O,
    account: &A,
    keys: &HashMap<String, InstrumentId>,
    keep_resting_stops: bool,
) -> (CheckResult, Option<Reconciled>) {
    const NAME: &str = "reconciliation";
    let (date, day_start, now) = day;
    // SQLite reads block: they run on a thread for blocking work, never on a runtime thread.
    let path = journal_path.to_path_buf();
    let read = tokio::task::spawn_blocking(move || {
        Store::open(&path)
            .and_then(|s| s.between(day_start, now))
            .map_err(|e| e.to_string())
    })
    .await
    .unwrap_or_else(|e| Err(format!("the read stopped: {e}")));
    let entries = match read {
        Ok(entries) => entries
            .into_iter()
            .filter(|r| r.paper == paper)
            .collect::<Vec<_>>(),
        Err(e) => {
            return (
                CheckResult::fail(
                    NAME,
                    format!("cannot read the journal: {e}"),
                    "check the journal path in dalal.toml and its folder's permissions",
                ),
                None,
            );
        }
    };
    let reconciled = if paper {
        reconcile(date, now, &entries, None, keys, keep_resting_stops)
    } else {
        let book = orders.order_book().await;
        let positions = account.positions().await;
        match (book, positions) {
            (Ok(book), Ok(positions)) => {
                let view = BrokerView {
                    orders: &book,
                    positions: &positions,
                };
                reconcile(date, now, &entries, Some(view), keys, keep_resting_stops)
            }
            (Err(e), _) | (_, Err(e)) => {
                return (
                    CheckResult::fail(
                        NAME,
                        format!("cannot read the broker's orders or positions: {e}"),
                        "dalal retries every minute; trading stays off until it can compare",
                    ),
                    None,
                );
            }
        }
    };
    let result = if reconciled.mismatches.is_empty() {
        let open = reconciled.restoration.guards.len();
        CheckResult::pass(
            NAME,
            format!(
                "{} journal entries today besides checks, {} of our fills, {open} open position(s) re-armed",
                // The checks are left out: each round would otherwise change the count and be journaled anew.
                entries.iter().filter(|r| r.entry.kind() != "check").count(),
                reconciled.restoration.fills.len()
            ),
        )
    } else {
        CheckResult::fail(
            NAME,
            reconciled.mismatches.join("; "),
            "new entries stay off today; the positions dalal can account for keep their stops and square-off. \
             Resolve the difference at the broker, then restart",
        )
    };
    (result, Some(reconciled))
}
