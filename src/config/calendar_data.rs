//! The market calendar's files: the shipped holiday file and the trader's own entries in dalal.toml.
//!
//! Exchanges add closures at a few days' notice (the 15 Jan 2026 election holiday came three days ahead), so a
//! trader must be able to add a holiday, or a special session that reopens a date, without waiting for a
//! release. An entry in dalal.toml wins over a shipped or broker-listed entry for the same date.

use std::path::PathBuf;

use chrono::{NaiveDate, NaiveTime};
use serde::Deserialize;

use super::error::{ConfigError, ConfigErrorKind};
use super::source::TomlFile;
use super::values;
use crate::calendar::{
    CalendarData, ClosingAuctionRule, DayEntries, SessionTimes, SpecialSession, Window,
};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidayEntry {
    #[serde(deserialize_with = "values::date")]
    pub date: NaiveDate,
    pub name: String,
}

/// A special session. With no times it is a full regular session (a budget Sunday); otherwise `pre_open`,
/// `open` and `close` are all required.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecialEntry {
    #[serde(deserialize_with = "values::date")]
    pub date: NaiveDate,
    pub name: String,
    #[serde(default, deserialize_with = "values::optional_time_of_day")]
    pub pre_open: Option<NaiveTime>,
    #[serde(default, deserialize_with = "values::optional_time_of_day")]
    pub open: Option<NaiveTime>,
    #[serde(default, deserialize_with = "values::optional_time_of_day")]
    pub close: Option<NaiveTime>,
    #[serde(default, deserialize_with = "values::optional_time_pair")]
    pub post_close: Option<(NaiveTime, NaiveTime)>,
}

/// The holiday file's shape (`config/holidays/nse.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayFile {
    #[serde(default)]
    holiday: Vec<HolidayEntry>,
    #[serde(default)]
    special_session: Vec<SpecialEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClosingAuctionFile {
    pub enabled: bool,
    #[serde(deserialize_with = "values::date")]
    pub from: NaiveDate,
    #[serde(deserialize_with = "values::time_of_day")]
    pub start: NaiveTime,
    #[serde(deserialize_with = "values::time_of_day")]
    pub end: NaiveTime,
    #[serde(deserialize_with = "values::time_pair")]
    pub post_close: (NaiveTime, NaiveTime),
}

impl Default for ClosingAuctionFile {
    /// SEBI's closing auction session: 15:15–15:35 from 3 Aug 2026, post-close moved to 15:50–16:00.
    fn default() -> Self {
        ClosingAuctionFile {
            enabled: true,
            from: NaiveDate::from_ymd_opt(2026, 8, 3).expect("valid date"),
            start: hm(15, 15),
            end: hm(15, 35),
            post_close: (hm(15, 50), hm(16, 0)),
        }
    }
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
}

/// The `[calendar]` table of dalal.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CalendarFile {
    pub holidays_file: PathBuf,
    pub holiday: Vec<HolidayEntry>,
    pub special_session: Vec<SpecialEntry>,
    pub closing_auction: ClosingAuctionFile,
}

impl Default for CalendarFile {
    fn default() -> Self {
        CalendarFile {
            holidays_file: PathBuf::from("holidays/nse.toml"),
            holiday: Vec::new(),
            special_session: Vec::new(),
            closing_auction: ClosingAuctionFile::default(),
        }
    }
}

/// Builds the calendar from the shipped holiday file at `holidays_path` and the `[calendar]` table of `config`.
pub(crate) fn build(
    config: &TomlFile,
    table: &CalendarFile,
    holidays_path: PathBuf,
    errors: &mut Vec<ConfigError>,
) -> CalendarData {
    let mut data = CalendarData::default();
    match TomlFile::read(&holidays_path)
        .and_then(|f| f.deserialize::<HolidayFile>().map(|d| (f, d)))
    {
        Ok((file, shipped)) => add_entries(
            &mut data.shipped,
            &file,
            "",
            &shipped.holiday,
            &shipped.special_session,
            errors,
        ),
        Err(e) => errors.push(e),
    }
    // The trader's entries win over the other sources by date (`calendar::day_sources` layers them).
    add_entries(
        &mut data.own,
        config,
        "calendar.",
        &table.holiday,
        &table.special_session,
        errors,
    );
    data.closing_auction = closing_auction(config, &table.closing_auction, errors);
    data
}

fn add_entries(
    data: &mut DayEntries,
    file: &TomlFile,
    prefix: &str,
    holidays: &[HolidayEntry],
    specials: &[SpecialEntry],
    errors: &mut Vec<ConfigError>,
) {
    for (i, h) in holidays.iter().enumerate() {
        let key = format!("{prefix}holiday[{i}].date");
        if let Some(first) = data.holidays.insert(h.date, h.name.clone()) {
            errors.push(duplicate(file, &key, h.date, &first));
        }
    }
    for (i, s) in specials.iter().enumerate() {
        let key = format!("{prefix}special_session[{i}]");
        let Some(times) = special_times(file, &key, s, errors) else {
            continue;
        };
        let session = SpecialSession {
            name: s.name.clone(),
            times,
        };
        if let Some(first) = data.special_sessions.insert(s.date, session) {
            errors.push(duplicate(file, &format!("{key}.date"), s.date, &first.name));
        }
    }
}

fn duplicate(file: &TomlFile, key: &str, date: NaiveDate, first: &str) -> ConfigError {
    file.error(
        ConfigErrorKind::Inconsistent,
        key,
        format!("{date} is listed twice (first as \"{first}\")"),
        "keep one entry per date".into(),
    )
}

fn special_times(
    file: &TomlFile,
    key: &str,
    s: &SpecialEntry,
    errors: &mut Vec<ConfigError>,
) -> Option<SessionTimes> {
    let times = match (s.pre_open, s.open, s.close) {
        (None, None, None) if s.post_close.is_none() => return Some(SessionTimes::regular()),
        (Some(pre_open), Some(open), Some(close)) => SessionTimes::special(
            pre_open,
            open,
            close,
            s.post_close.map(|(start, end)| Window { start, end }),
        ),
        _ => {
            errors.push(file.error(
                ConfigErrorKind::MissingKey,
                key,
                format!("the special session on {} gives some of its times but not all", s.date),
                "give all of pre_open, open and close (\"HH:MM\" IST), or none for a full regular session".into(),
            ));
            return None;
        }
    };
    match times.check_order() {
        Ok(()) => Some(times),
        Err(problem) => {
            errors.push(file.error(
                ConfigErrorKind::Inconsistent,
                key,
                problem,
                "order the times pre_open < open < close < post_close".into(),
            ));
            None
        }
    }
}

fn closing_auction(
    file: &TomlFile,
    auction: &ClosingAuctionFile,
    errors: &mut Vec<ConfigError>,
) -> Option<ClosingAuctionRule> {
    if !auction.enabled {
        return None;
    }
    let window = Window {
        start: auction.start,
        end: auction.end,
    };
    let (start, end) = auction.post_close;
    let post_close = Window { start, end };
    let in_order = window.start > SessionTimes::regular().open
        && window.start < window.end
        && post_close.start >= window.end
        && post_close.start < post_close.end;
    if !in_order {
        errors.push(file.error(
            ConfigErrorKind::Inconsistent,
            "calendar.closing_auction",
            format!("the closing auction {window} and its post-close session are out of order"),
            "keep the defaults (start \"15:15\", end \"15:35\", post_close [\"15:50\", \"16:00\"]) \
             unless the exchange changed them"
                .into(),
        ));
        return None;
    }
    Some(ClosingAuctionRule {
        effective_from: auction.from,
        window,
        post_close,
    })
}
