//! Where the calendar's knowledge of a date comes from, and how three sources are layered: the shipped holiday
//! file, the broker's list for the current year, and the trader's own entries in dalal.toml.
//!
//! The trader's entries win, then the broker's (it hears of a closure called at three days' notice), then the
//! shipped file. A shipped entry the broker does not list is kept: a shipped closure stays closed, since a lost
//! trading day costs less than a day spent expecting prices from a closed market. Where two sources disagree the calendar says so, so the
//! trader can look, and a year that no source lists is known to be unknown rather than assumed regular.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::ist::to_ist;
use super::market_calendar::{ClosingAuctionRule, SpecialSession};
use super::session::SessionTimes;

/// The holidays and special sessions one source lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayEntries {
    pub holidays: BTreeMap<NaiveDate, String>,
    pub special_sessions: BTreeMap<NaiveDate, SpecialSession>,
}

/// What a source says of one date: a special session wins over a holiday listed by the same source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listed {
    Holiday(String),
    Special(SpecialSession),
}

impl Listed {
    /// Whether two sources say the same thing in the terms a broker publishes: closed (whatever the name), or
    /// a session with the same continuous window.
    fn agrees_with(&self, other: &Listed) -> bool {
        match (self, other) {
            (Listed::Holiday(_), Listed::Holiday(_)) => true,
            (Listed::Special(a), Listed::Special(b)) => {
                (a.times.open, a.times.close) == (b.times.open, b.times.close)
            }
            _ => false,
        }
    }
}

fn agree(a: Option<&Listed>, b: Option<&Listed>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.agrees_with(b),
        _ => false,
    }
}

impl DayEntries {
    pub fn listed(&self, date: NaiveDate) -> Option<Listed> {
        if let Some(special) = self.special_sessions.get(&date) {
            return Some(Listed::Special(special.clone()));
        }
        self.holidays.get(&date).cloned().map(Listed::Holiday)
    }

    /// Adds a broker's (or an exchange's) word on a date, replacing what this source said of it.
    pub fn add(&mut self, day: &BrokerDay) {
        self.holidays.remove(&day.date);
        self.special_sessions.remove(&day.date);
        let Some((open, close)) = day.session else {
            self.holidays.insert(day.date, day.name.clone());
            return;
        };
        let regular = SessionTimes::regular();
        let times = if (open, close) == (regular.open, regular.close) {
            regular
        } else {
            SessionTimes::special(open - PRE_OPEN_LEAD, open, close, None)
        };
        let session = SpecialSession {
            name: day.name.clone(),
            times,
        };
        self.special_sessions.insert(day.date, session);
    }

    fn dates(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.holidays
            .keys()
            .chain(self.special_sessions.keys())
            .copied()
    }

    fn lists_year(&self, year: i32) -> bool {
        self.dates().any(|d| d.year() == year)
    }
}

/// One date as a broker lists it: closed, or open for a session between two IST times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerDay {
    pub date: NaiveDate,
    pub name: String,
    /// Continuous trading's open and close on a special session; `None` for a closure.
    pub session: Option<(NaiveTime, NaiveTime)>,
}

/// A broker's list for one year, and when it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerDays {
    pub broker: String,
    pub year: i32,
    pub read_at: DateTime<Utc>,
    pub days: Vec<BrokerDay>,
}

/// Pre-open order entry starts 15 minutes before continuous trading, as on a regular day and at Muhurat; the
/// brokers publish only the continuous window.
const PRE_OPEN_LEAD: TimeDelta = TimeDelta::minutes(15);

impl BrokerDays {
    fn entries(&self) -> DayEntries {
        let mut entries = DayEntries::default();
        for day in &self.days {
            entries.add(day);
        }
        entries
    }

    /// A list with nothing in it is not taken as a year with no holidays: every NSE year has some.
    fn covers(&self, year: i32) -> bool {
        self.year == year && !self.days.is_empty()
    }
}

/// Where an answer came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DaySource {
    Shipped,
    Broker {
        broker: String,
        read_at: DateTime<Utc>,
    },
    Own,
}

impl fmt::Display for DaySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DaySource::Shipped => write!(f, "the shipped holiday file"),
            DaySource::Broker { broker, read_at } => write!(
                f,
                "{broker}'s holiday list, read {}",
                to_ist(*read_at).format("%-d %b %Y %H:%M IST")
            ),
            DaySource::Own => write!(f, "your entry in dalal.toml"),
        }
    }
}

/// How the calendar knows what a date holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayOrigin {
    /// A source lists the date.
    Listed(DaySource),
    /// No source lists it; the weekday decides, and this source lists the date's year.
    ByWeekday(DaySource),
    /// No source lists the date's year at all: a weekday is only presumed open.
    UnknownYear,
}

/// Everything the calendar is built from, its files already validated by the config loader.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarData {
    pub shipped: DayEntries,
    pub broker: Option<BrokerDays>,
    pub own: DayEntries,
    pub closing_auction: Option<ClosingAuctionRule>,
}

impl CalendarData {
    /// What the winning source says of `date`, and which source that is.
    pub fn listed(&self, date: NaiveDate) -> Option<(Listed, DaySource)> {
        if let Some(own) = self.own.listed(date) {
            return Some((own, DaySource::Own));
        }
        let shipped = self.shipped.listed(date);
        if let Some(broker) = &self.broker
            && let Some(listed) = broker.entries().listed(date)
            // Where both agree the shipped entry is kept: it carries a special session's pre-open and
            // post-close, which the broker does not publish.
            && !shipped.as_ref().is_some_and(|s| s.agrees_with(&listed))
        {
            let source = DaySource::Broker {
                broker: broker.broker.clone(),
                read_at: broker.read_at,
            };
            return Some((listed, source));
        }
        shipped.map(|l| (l, DaySource::Shipped))
    }

    pub fn origin(&self, date: NaiveDate) -> DayOrigin {
        if let Some((_, source)) = self.listed(date) {
            return DayOrigin::Listed(source);
        }
        self.year_source(date.year())
            .map_or(DayOrigin::UnknownYear, DayOrigin::ByWeekday)
    }

    /// The source that lists `year`, the broker's first. The trader's own entries list single dates, not years.
    pub fn year_source(&self, year: i32) -> Option<DaySource> {
        match &self.broker {
            Some(b) if b.covers(year) => Some(DaySource::Broker {
                broker: b.broker.clone(),
                read_at: b.read_at,
            }),
            _ => self.shipped.lists_year(year).then_some(DaySource::Shipped),
        }
    }

    /// Each date of the broker's year on which the broker and another source say different things, in words.
    pub fn disagreements(&self) -> Vec<String> {
        let Some(broker) = &self.broker else {
            return Vec::new();
        };
        let theirs = broker.entries();
        let dates: BTreeSet<NaiveDate> = self
            .shipped
            .dates()
            .chain(self.own.dates())
            .chain(theirs.dates())
            .filter(|d| d.year() == broker.year)
            .collect();
        let name = &broker.broker;
        // A shipped file that does not list the broker's year has nothing to disagree with.
        let shipped_knows = self.shipped.lists_year(broker.year);
        let mut found = Vec::new();
        for date in dates {
            let said = theirs.listed(date);
            if let Some(own) = self.own.listed(date) {
                if agree(Some(&own), said.as_ref()) {
                    continue;
                }
                found.push(format!(
                    "{date}: your dalal.toml says {}, {name} says {}; yours is followed",
                    described(Some(&own)),
                    described(said.as_ref())
                ));
                continue;
            }
            let shipped = self.shipped.listed(date);
            if shipped_knows && !agree(shipped.as_ref(), said.as_ref()) {
                // `listed` falls back to the shipped entry only where the broker lists nothing.
                let followed = if said.is_none() {
                    "the shipped entry is kept"
                } else {
                    "the broker is followed"
                };
                found.push(format!(
                    "{date}: the shipped holiday file says {}, {name} says {}; {followed}",
                    described(shipped.as_ref()),
                    described(said.as_ref())
                ));
            }
        }
        found
    }
}

fn described(listed: Option<&Listed>) -> String {
    match listed {
        None => "nothing (a regular weekday or weekend)".into(),
        Some(Listed::Holiday(name)) => format!("closed ({name})"),
        Some(Listed::Special(s)) => format!(
            "a special session {}–{} ({})",
            s.times.open.format("%H:%M"),
            s.times.close.format("%H:%M"),
            s.name
        ),
    }
}
