//! serde readers for the value shapes our TOML files use: money and percentages as exact decimals, IST times of
//! day as "HH:MM", and dates as "YYYY-MM-DD" (quoted or as TOML date literals).
//!
//! Their error messages say what to write instead, since the trader reads them next to the offending line.

use std::str::FromStr;

use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::{Deserializer, Error};

use crate::domain::decimal_from_wire;

/// A number that may be written as an integer, a float or a quoted decimal; floats keep their printed value.
pub fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    match toml::Value::deserialize(d)? {
        toml::Value::Integer(i) => Ok(Decimal::from(i)),
        toml::Value::Float(f) => decimal_from_wire(f).map_err(D::Error::custom),
        toml::Value::String(s) => Decimal::from_str(s.trim()).map_err(|_| {
            D::Error::custom(format!("`{s}` is not a number: write it as 1500 or 0.5"))
        }),
        other => Err(D::Error::custom(format!(
            "expected a number, found {}: write it as 1500 or 0.5",
            other.type_str()
        ))),
    }
}

pub fn optional_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    decimal(d).map(Some)
}

/// An IST time of day, "HH:MM" or "HH:MM:SS".
pub fn time_of_day<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
    let text = String::deserialize(d)?;
    parse_time(&text).map_err(D::Error::custom)
}

pub fn optional_time_of_day<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<NaiveTime>, D::Error> {
    time_of_day(d).map(Some)
}

/// A pair of IST times, `["14:55", "15:05"]`.
pub fn time_pair<'de, D: Deserializer<'de>>(d: D) -> Result<(NaiveTime, NaiveTime), D::Error> {
    let [a, b] = <[String; 2]>::deserialize(d)?;
    Ok((
        parse_time(&a).map_err(D::Error::custom)?,
        parse_time(&b).map_err(D::Error::custom)?,
    ))
}

pub fn optional_time_pair<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<(NaiveTime, NaiveTime)>, D::Error> {
    time_pair(d).map(Some)
}

pub fn parse_time(text: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(text.trim(), "%H:%M:%S"))
        .map_err(|_| {
            format!("`{text}` is not a time of day: write it as \"HH:MM\" in IST, e.g. \"15:05\"")
        })
}

/// A calendar date, quoted ("2026-01-26") or as a TOML date literal (2026-01-26).
pub fn date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    let text = match toml::Value::deserialize(d)? {
        toml::Value::String(s) => s,
        toml::Value::Datetime(dt) => dt.to_string(),
        other => {
            return Err(D::Error::custom(format!(
                "expected a date, found {}: write it as \"YYYY-MM-DD\", e.g. \"2026-01-26\"",
                other.type_str()
            )));
        }
    };
    parse_date(&text).map_err(D::Error::custom)
}

pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        format!("`{text}` is not a date: write it as \"YYYY-MM-DD\", e.g. \"2026-01-26\"")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[derive(Debug, Deserialize)]
    struct Sample {
        #[serde(deserialize_with = "decimal")]
        amount: Decimal,
        #[serde(deserialize_with = "time_of_day")]
        at: NaiveTime,
        #[serde(deserialize_with = "date")]
        on: NaiveDate,
    }

    #[test]
    fn numbers_times_and_dates_in_every_accepted_spelling() {
        for (amount, on) in [("0.3", "2026-01-26"), ("\"0.3\"", "\"2026-01-26\"")] {
            let s: Sample =
                toml::from_str(&format!("amount = {amount}\nat = \"15:05\"\non = {on}")).unwrap();
            assert_eq!(s.amount, dec!(0.3));
            assert_eq!(s.at, NaiveTime::from_hms_opt(15, 5, 0).unwrap());
            assert_eq!(s.on, NaiveDate::from_ymd_opt(2026, 1, 26).unwrap());
        }
        let s: Sample =
            toml::from_str("amount = 5000\nat = \"09:15:30\"\non = 2026-02-01").unwrap();
        assert_eq!(s.amount, dec!(5000));
        assert_eq!(s.at, NaiveTime::from_hms_opt(9, 15, 30).unwrap());
    }

    #[test]
    fn bad_values_say_what_to_write() {
        let err =
            toml::from_str::<Sample>("amount = 1\nat = \"3pm\"\non = \"2026-01-26\"").unwrap_err();
        assert!(err.message().contains("write it as \"HH:MM\""), "{err}");
        let err = toml::from_str::<Sample>("amount = 1\nat = \"15:00\"\non = \"2026-13-01\"")
            .unwrap_err();
        assert!(err.message().contains("is not a date"), "{err}");
        let err = toml::from_str::<Sample>("amount = true\nat = \"15:00\"\non = \"2026-01-01\"")
            .unwrap_err();
        assert!(err.message().contains("expected a number"), "{err}");
    }
}
