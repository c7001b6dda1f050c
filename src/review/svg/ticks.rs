//! Where an axis's ticks fall and what they say: values on round steps with just the decimals the step needs,
//! counts on 1-2-5 steps, and instants on round IST minutes, since a reader thinks in IST wall-clock time and a
//! round UTC hour is a half hour in IST.

use chrono::{DateTime, Offset, Utc};

use super::Scale;
use crate::calendar::to_ist;

/// At most `most` ticks between `low` and `high` on steps of 1, 2, 2.5 or 5 times a power of ten, labelled with
/// as many decimals as the step needs.
pub fn nice_ticks(low: f64, high: f64, most: usize) -> Vec<(f64, String)> {
    if !low.is_finite() || !high.is_finite() || high <= low {
        return vec![(low, format!("{low}"))];
    }
    let raw = (high - low) / most.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * magnitude);
    let decimals =
        (-(step.log10().floor()) as i32 + i32::from(step / magnitude == 2.5)).max(0) as usize;
    let (first, last) = ((low / step).ceil() as i64, (high / step).floor() as i64);
    (first..=last)
        .map(|i| {
            let value = i as f64 * step;
            (value, format!("{:.*}", decimals, value + 0.0))
        })
        .collect()
}

/// Whole-number ticks from 0 to `count` on steps of 1, 2, 5, 10, 20, …, at most about `most` of them.
pub fn count_ticks(count: usize, most: usize) -> Vec<usize> {
    let step = (0..12)
        .flat_map(|power| [1, 2, 5].map(|m| m * 10usize.pow(power)))
        .find(|step| count / step < most.max(1))
        .unwrap_or(1);
    (0..=count).step_by(step).collect()
}

/// At most `most` ticks between two instants, on round IST minutes (every 1, 2, 5, 10, 15 or 30 minutes, or
/// whole hours), each labelled HH:MM in IST.
pub fn time_ticks(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    most: usize,
) -> Vec<(DateTime<Utc>, String)> {
    let span = (to - from).num_minutes().max(1);
    let step = [1, 2, 5, 10, 15, 30, 60, 120, 180]
        .into_iter()
        .find(|step| span / step < most as i64)
        .unwrap_or(240);
    // Round in IST wall-clock minutes: IST is UTC+05:30, so a round UTC hour is a half hour in IST.
    let offset = i64::from(to_ist(from).offset().fix().local_minus_utc()) / 60;
    let wall = from.timestamp().div_euclid(60) + offset;
    let first = (wall + step - 1).div_euclid(step) * step - offset;
    let mut ticks = Vec::new();
    let mut minute = first;
    while let Some(at) = DateTime::from_timestamp(minute * 60, 0).filter(|at| *at <= to) {
        ticks.push((at, hhmm(at)));
        minute += step;
    }
    ticks
}

/// Ticks moved from values to pixels.
pub fn placed(scale: Scale, ticks: Vec<(f64, String)>) -> Vec<(f64, String)> {
    ticks
        .into_iter()
        .map(|(value, label)| (scale.at(value), label))
        .collect()
}

pub fn hhmm(at: DateTime<Utc>) -> String {
    to_ist(at).format("%H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn value_ticks_are_round_and_labelled_with_the_decimals_their_step_needs() {
        let ticks = nice_ticks(1561.2, 1573.9, 6);
        let labels: Vec<&str> = ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["1562.5", "1565.0", "1567.5", "1570.0", "1572.5"]);
        let small = nice_ticks(408.05, 409.5, 6);
        assert_eq!(small[0].1, "408.25");
        assert_eq!(nice_ticks(-450.0, 650.0, 6)[0].1, "-400");
        assert!(
            nice_ticks(-10.0, 10.0, 4).iter().any(|t| t.1 == "0"),
            "no -0"
        );
    }

    #[test]
    fn count_ticks_thin_out_to_round_steps() {
        assert_eq!(count_ticks(5, 10), [0, 1, 2, 3, 4, 5]);
        assert_eq!(count_ticks(25, 10), [0, 5, 10, 15, 20, 25]);
        assert_eq!(count_ticks(0, 10), [0]);
    }

    #[test]
    fn time_ticks_fall_on_round_ist_minutes() {
        // 12:12:19 to 14:09:36 IST.
        let from = Utc.with_ymd_and_hms(2026, 11, 23, 6, 42, 19).unwrap();
        let to = Utc.with_ymd_and_hms(2026, 11, 23, 8, 39, 36).unwrap();
        let labels: Vec<String> = time_ticks(from, to, 10).into_iter().map(|t| t.1).collect();
        assert_eq!(
            labels,
            [
                "12:15", "12:30", "12:45", "13:00", "13:15", "13:30", "13:45", "14:00"
            ]
        );
        let hour = time_ticks(from, from + chrono::TimeDelta::hours(6), 10);
        assert_eq!(hour[0].1, "13:00", "whole IST hours, not UTC ones");
    }
}
