//! Conversions between UTC instants and India Standard Time wall-clock readings.
//!
//! India has no daylight saving, so every IST wall time maps to exactly one instant; the helpers still go
//! through `chrono-tz` so the rule lives in the tz database, not in a hard-coded offset.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

pub const IST: Tz = chrono_tz::Asia::Kolkata;

pub fn to_ist(t: DateTime<Utc>) -> DateTime<Tz> {
    t.with_timezone(&IST)
}

/// The instant at which IST wall clocks read `time` on `date`.
pub fn ist_instant(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    IST.from_local_datetime(&date.and_time(time))
        .earliest()
        .expect("Asia/Kolkata has no gaps in its wall-clock time since 1945")
        .with_timezone(&Utc)
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
}
