//! A price observation as the engine receives it, whichever way it came.
//!
//! The failover feed mixes streamed and polled prices, so every tick carries its source and the instant dalal
//! received it: the engine refuses to act on a price that is too old, and the journal can tell the two apart.

use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::Decimal;

use super::instrument::InstrumentId;

/// Where a price came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TickSource {
    /// Pushed by the broker's WebSocket feed.
    Stream,
    /// Fetched from the broker's LTP endpoint while the stream was unavailable.
    Poll,
}

impl TickSource {
    pub fn as_str(self) -> &'static str {
        match self {
            TickSource::Stream => "stream",
            TickSource::Poll => "poll",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub instrument: InstrumentId,
    pub last_price: Decimal,
    /// The exchange time of the last trade, when the broker sent it.
    pub last_trade_time: Option<DateTime<Utc>>,
    pub last_quantity: Option<u64>,
    pub previous_close: Option<Decimal>,
    pub source: TickSource,
    /// When dalal received it, on the bot's clock.
    pub received_at: DateTime<Utc>,
}

impl Tick {
    /// How long ago dalal received this price; never negative, even if the clock was read out of order.
    pub fn age(&self, now: DateTime<Utc>) -> TimeDelta {
        (now - self.received_at).max(TimeDelta::zero())
    }

    /// Change from the previous close, in percent, when the previous close is known and not zero.
    pub fn change_pct(&self) -> Option<Decimal> {
        let close = self.previous_close.filter(|c| !c.is_zero())?;
        Some((self.last_price - close) / close * Decimal::ONE_HUNDRED)
    }
}

/// An epoch timestamp in milliseconds, whichever unit a broker sent it in, decided by its magnitude: below
/// 10^11 it is seconds (10^11 ms is March 1973, 10^11 s is the year 5138). HDFC Sky's packets carry either,
/// and its `lastTradeTime` unit is unconfirmed.
pub fn epoch_millis(value: i64) -> i64 {
    if value > 0 && value < 100_000_000_000 {
        value.saturating_mul(1000)
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Exchange;
    use chrono::TimeZone;
    use rust_decimal::dec;

    fn tick(received_at: DateTime<Utc>) -> Tick {
        Tick {
            instrument: InstrumentId::new(Exchange::Nse, "RELIANCE").unwrap(),
            last_price: dec!(1570.85),
            last_trade_time: None,
            last_quantity: Some(25),
            previous_close: Some(dec!(1543.2)),
            source: TickSource::Poll,
            received_at,
        }
    }

    #[test]
    fn age_counts_from_receipt_and_never_goes_negative() {
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 4, 0, 0).unwrap();
        let t = tick(at);
        assert_eq!(
            t.age(at + TimeDelta::milliseconds(3_500)),
            TimeDelta::milliseconds(3_500)
        );
        assert_eq!(t.age(at - TimeDelta::seconds(1)), TimeDelta::zero());
    }

    #[test]
    fn change_from_previous_close_is_exact() {
        let t = tick(Utc::now());
        assert_eq!(t.change_pct().unwrap().round_dp(4), dec!(1.7917));
        let no_close = Tick {
            previous_close: Some(Decimal::ZERO),
            ..t
        };
        assert_eq!(no_close.change_pct(), None);
    }

    #[test]
    fn a_timestamp_unit_is_told_by_its_magnitude() {
        assert_eq!(epoch_millis(1_795_000_000), 1_795_000_000_000);
        assert_eq!(epoch_millis(1_795_000_000_123), 1_795_000_000_123);
        assert_eq!(epoch_millis(0), 0);
        assert_eq!(epoch_millis(-5), -5);
    }
}
