//! The prices a backtest makes of a stored one-minute candle, and when. A candle keeps four numbers and not
//! their order, so the path through them is a stated assumption (`--path`, shown on the report's first screen):
//!
//! - `nearer-first` (the default, `Candle::path`): the open at the minute's start, the extreme nearer the open
//!   at :15, the farther one at :30, the close at :59. A bar that reached both sides most likely touched the
//!   nearer one first.
//! - `high-first` / `low-first`: the high (low) at :15 whatever the open, to see how much a result leans on
//!   the guess: a long's stop is hit before its target under `low-first` whenever the bar held both.
//! - `close-only`: one price a minute, the close at :59; the coarsest path, as a one-minute poll would see.
//!
//! One-minute candles are the finest interval the brokers serve and the store keeps, so there is no finer path
//! to fall back on.

use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::Decimal;

use crate::domain::Candle;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum CandlePath {
    #[default]
    NearerFirst,
    HighFirst,
    LowFirst,
    CloseOnly,
}

/// The seconds into its minute at which each of a path's prices is given.
pub const PATH_SECONDS: [i64; 4] = [0, 15, 30, 59];

impl CandlePath {
    pub fn as_str(self) -> &'static str {
        match self {
            CandlePath::NearerFirst => "nearer-first",
            CandlePath::HighFirst => "high-first",
            CandlePath::LowFirst => "low-first",
            CandlePath::CloseOnly => "close-only",
        }
    }

    /// What the report's first screen says of the path.
    pub fn describe(self) -> &'static str {
        match self {
            CandlePath::NearerFirst => {
                "open at :00, the extreme nearer the open at :15, the other at :30, close at :59"
            }
            CandlePath::HighFirst => "open at :00, high at :15, low at :30, close at :59",
            CandlePath::LowFirst => "open at :00, low at :15, high at :30, close at :59",
            CandlePath::CloseOnly => "the close at :59, one price a minute",
        }
    }

    /// How many prices the path makes of a candle.
    pub fn steps(self) -> u32 {
        match self {
            CandlePath::CloseOnly => 1,
            _ => PATH_SECONDS.len() as u32,
        }
    }

    /// The candle's price at step `step` (0 to 3) of its minute, or none where the path gives none.
    pub fn price(self, candle: &Candle, step: usize) -> Option<Decimal> {
        let nearer_is_high = candle.high - candle.open <= candle.open - candle.low;
        let high_first = match self {
            CandlePath::NearerFirst => nearer_is_high,
            CandlePath::HighFirst => true,
            CandlePath::LowFirst => false,
            CandlePath::CloseOnly => return (step == 3).then_some(candle.close),
        };
        let (first, second) = if high_first {
            (candle.high, candle.low)
        } else {
            (candle.low, candle.high)
        };
        match step {
            0 => Some(candle.open),
            1 => Some(first),
            2 => Some(second),
            3 => Some(candle.close),
            _ => None,
        }
    }
}

/// When step `step` of the minute starting at `minute` is.
pub fn step_time(minute: DateTime<Utc>, step: usize) -> DateTime<Utc> {
    minute + TimeDelta::seconds(PATH_SECONDS[step])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn bar() -> Candle {
        Candle {
            start: DateTime::from_timestamp(1_700_000_040, 0).unwrap(),
            open: dec!(100),
            high: dec!(101),
            low: dec!(97),
            close: dec!(98),
            volume: 10,
        }
    }

    fn prices(path: CandlePath) -> Vec<Decimal> {
        (0..4).filter_map(|step| path.price(&bar(), step)).collect()
    }

    #[test]
    fn the_default_path_is_the_candles_documented_one() {
        let documented: Vec<(Decimal, DateTime<Utc>)> = bar().path(TimeDelta::minutes(1)).to_vec();
        let ours: Vec<(Decimal, DateTime<Utc>)> = (0..4)
            .map(|step| {
                let price = CandlePath::NearerFirst.price(&bar(), step).unwrap();
                (price, step_time(bar().start, step))
            })
            .collect();
        assert_eq!(ours, documented);
    }

    #[test]
    fn each_path_visits_the_bar_in_its_stated_order() {
        assert_eq!(
            prices(CandlePath::NearerFirst),
            [dec!(100), dec!(101), dec!(97), dec!(98)]
        );
        assert_eq!(
            prices(CandlePath::HighFirst),
            [dec!(100), dec!(101), dec!(97), dec!(98)]
        );
        assert_eq!(
            prices(CandlePath::LowFirst),
            [dec!(100), dec!(97), dec!(101), dec!(98)]
        );
        assert_eq!(prices(CandlePath::CloseOnly), [dec!(98)]);
    }
}
