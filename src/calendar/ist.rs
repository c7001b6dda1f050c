//! Conversions between UTC instants and India Standard Time wall-clock readings.
//!
//! India has no daylight saving, so every IST wall time maps to exactly one instant; the helpers still go
//! through `chrono-tz` so the rule lives in the tz database, not in a hard-coded offset.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

pub const IST: Tz = chrono_tz::Asia::Kolkata;

pub fn to_ist(t: DateTime<Utc>) -> DateTime<Tz> {
    t.with_timezone(&IST)
}

/// The instant at which IST wall clocks read `time` on `date`. Dates come from outside too (a broker's candle
/// rows): a wall time Asia/Kolkata skipped (only before 1945) is read at today's +05:30 rather than refused.
pub fn ist_instant(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = date.and_time(time);
    match IST.from_local_datetime(&local).earliest() {
        Some(instant) => instant.with_timezone(&Utc),
        None => (local - TimeDelta::minutes(330)).and_utc(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ist_is_five_and_a_half_hours_ahead() {
        let open = ist_instant(
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            NaiveTime::from_hms_opt(9, 15, 0).unwrap(),
        );
        assert_eq!(open, Utc.with_ymd_and_hms(2026, 11, 23, 3, 45, 0).unwrap());
        assert_eq!(to_ist(open).format("%H:%M").to_string(), "09:15");
    }

    #[test]
    fn a_wall_time_the_tz_database_skipped_is_read_not_refused() {
        // Asia/Kolkata moved its clocks on 1 October 1941: 00:00–01:00 never happened there.
        let skipped = ist_instant(
            NaiveDate::from_ymd_opt(1941, 10, 1).unwrap(),
            NaiveTime::from_hms_opt(0, 30, 0).unwrap(),
        );
        assert_eq!(
            skipped,
            Utc.with_ymd_and_hms(1941, 9, 30, 19, 0, 0).unwrap()
        );
    }
}
