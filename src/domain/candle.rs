//! A price bar: what the brokers' candle APIs return, what a start mid-session rebuilds the opening range
//! from, and what the history store keeps. Times are the bar's start, as a UTC instant.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::Decimal;

/// A candle's length, as the brokers' candle APIs and the history store know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CandleInterval {
    /// One-minute candles.
    Minute,
    /// One candle a trading day, its start at midnight IST.
    Day,
}

impl CandleInterval {
    /// As the command line and the history store write it: `1m` or `day`.
    pub fn as_str(self) -> &'static str {
        match self {
            CandleInterval::Minute => "1m",
            CandleInterval::Day => "day",
        }
    }
}

impl fmt::Display for CandleInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CandleInterval {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "1m" | "minute" => Ok(CandleInterval::Minute),
            "day" | "1d" => Ok(CandleInterval::Day),
            _ => Err(format!("`{s}` is not a candle interval: use 1m or day")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candle {
    pub start: DateTime<Utc>,
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
    pub volume: u64,
}

impl Candle {
    /// Why this bar cannot be a real one, if it cannot: a price at or below zero, or a high below another price
    /// or a low above one. A broker's row that fails this is skipped, not believed.
    pub fn implausible(&self) -> Option<&'static str> {
        if self.low <= Decimal::ZERO {
            Some("a price at or below zero")
        } else if self.high < self.open.max(self.close) || self.low > self.open.min(self.close) {
            Some("its high and low do not contain its open and close")
        } else {
            None
        }
    }

    /// The prices inside a bar, as the bar's four numbers allow: the open at its start, the nearer extreme, then
    /// the farther, then the close at its last second. A guess at the path, never a price the bar did not have.
    pub fn path(&self, length: TimeDelta) -> [(Decimal, DateTime<Utc>); 4] {
        let quarter = length / 4;
        let (first, second) = if self.high - self.open <= self.open - self.low {
            (self.high, self.low)
        } else {
            (self.low, self.high)
        };
        [
            (self.open, self.start),
            (first, self.start + quarter),
            (second, self.start + quarter * 2),
            (self.close, self.start + length - TimeDelta::seconds(1)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn the_path_visits_the_nearer_extreme_first_and_ends_at_the_close() {
        let start = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let bar = Candle {
            start,
            open: dec!(100),
            high: dec!(101),
            low: dec!(97),
            close: dec!(98),
            volume: 10,
        };
        let path = bar.path(TimeDelta::minutes(1));
        let prices: Vec<Decimal> = path.iter().map(|(p, _)| *p).collect();
        assert_eq!(prices, [dec!(100), dec!(101), dec!(97), dec!(98)]);
        assert_eq!(path[3].1, start + TimeDelta::seconds(59));
        assert!(path.windows(2).all(|w| w[0].1 < w[1].1));
    }
}
