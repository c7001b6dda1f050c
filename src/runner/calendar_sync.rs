//! Reading the broker's holiday list into the calendar: before each pre-open and on `dalal calendar --sync`.
//!
//! The list read is cached under `data/` so that a restart, or a morning when the broker cannot be reached,
//! still knows what was announced; when the read fails the cache and the shipped file serve, and the warning
//! says which. Disagreements between sources come back once each, for the caller to log and journal.

use std::path::Path;

use chrono::{DateTime, Datelike, Utc};

use crate::broker::AccountBroker;
use crate::calendar::{BrokerDays, CalendarData, to_ist};
use crate::config::BrokerCalendarCache;

/// What one read of the broker's list came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarSync {
    /// A line for the log: what was read, or why nothing was and what serves instead.
    pub summary: String,
    /// False when the read failed: the summary is then a warning.
    pub read: bool,
    /// Disagreements between the sources not reported before.
    pub new_disagreements: Vec<String>,
}

/// Reads `account`'s list for its current year into `calendar`, and caches it at `cache`. With
/// `report_once` (the runner, which journals them) only disagreements not reported before come back, and the
/// cache remembers them; without it (a command that only prints) all come back and the cache's memory is kept.
pub async fn sync_calendar<A: AccountBroker>(
    account: &A,
    calendar: &mut CalendarData,
    cache: &Path,
    now: DateTime<Utc>,
    report_once: bool,
) -> CalendarSync {
    let year = to_ist(now).year();
    let days = match account.market_days().await {
        Ok(Some(days)) => days,
        Ok(None) => {
            return CalendarSync {
                summary: format!(
                    "{} publishes no holiday list: the shipped holiday file and your dalal.toml serve",
                    A::NAME
                ),
                read: true,
                new_disagreements: Vec::new(),
            };
        }
        Err(e) => {
            let serving = calendar.broker.as_ref().map_or_else(
                || "the shipped holiday file and your dalal.toml serve".to_string(),
                |b| {
                    format!(
                        "the list read {} serves, with the shipped holiday file",
                        to_ist(b.read_at).format("%-d %b %Y %H:%M IST")
                    )
                },
            );
            return CalendarSync {
                summary: format!(
                    "{}'s holiday list could not be read ({e}); {serving}",
                    A::NAME
                ),
                read: false,
                new_disagreements: Vec::new(),
            };
        }
    };
    // The broker lists its current year: the year of its dates says which, whatever this machine's clock says;
    // an empty list is taken for this clock's year.
    let year = days.first().map_or(year, |d| d.date.year());
    let days: Vec<_> = days.into_iter().filter(|d| d.date.year() == year).collect();
    let listed = days.len();
    let list = BrokerDays {
        broker: A::NAME.to_string(),
        year,
        read_at: now,
        days,
    };
    calendar.broker = Some(list.clone());
    let disagreements = calendar.disagreements();
    let journaled = BrokerCalendarCache::read(cache)
        .map(|c| c.journaled)
        .unwrap_or_default();
    let (new_disagreements, journaled) = if report_once {
        let new = disagreements
            .iter()
            .filter(|d| !journaled.contains(d))
            .cloned()
            .collect();
        (new, disagreements)
    } else {
        (disagreements, journaled)
    };
    let written = BrokerCalendarCache { list, journaled }.write(cache);
    if let Err(e) = written {
        tracing::warn!(path = %cache.display(), error = %e, "the broker calendar cache could not be written; the list read is used today only");
    }
    let summary = if listed == 0 {
        format!(
            "{} lists nothing for {year}: that year counts as unknown until it does",
            A::NAME
        )
    } else {
        format!(
            "{} lists {listed} dates (closures and special sessions) for {year}",
            A::NAME
        )
    };
    CalendarSync {
        summary,
        read: true,
        new_disagreements,
    }
}
