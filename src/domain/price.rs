//! Prices as exact decimal rupees, and the exchange's tick grid they must sit on.
//!
//! Brokers send prices as IEEE doubles; the number a trader sees printed (1543.2) is the shortest decimal that
//! round-trips to that double, not its binary expansion (1543.2000000000000454…). `decimal_from_wire` recovers the
//! printed value so that comparisons, P&L and tick checks are exact. `TickSize` rounds onto the exchange's grid,
//! with NSE's price-band table as the fallback when the broker's instrument master did not give a tick.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy, dec};
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum PriceError {
    #[error("price {0} is not a finite number")]
    NotFinite(String),
    #[error("price {0} does not fit a 28-digit decimal")]
    OutOfRange(String),
    #[error("tick size must be greater than zero, got {0}")]
    NonPositiveTick(Decimal),
}

/// Converts a price received as a double into the decimal that the broker printed.
///
/// Rust's `Display` for `f64` writes the shortest string that parses back to the same double, which is exactly
/// the value the sender meant when it serialised a decimal price.
pub fn decimal_from_wire(value: f64) -> Result<Decimal, PriceError> {
    use std::io::Write as _;
    if !value.is_finite() {
        return Err(PriceError::NotFinite(value.to_string()));
    }
    // On the stack: this runs for every price of every frame. 40 bytes hold any double a Decimal can represent.
    let mut buffer = [0u8; 40];
    let mut cursor = &mut buffer[..];
    let printed = match write!(cursor, "{value}") {
        Ok(()) => {
            let len = 40 - cursor.len();
            std::str::from_utf8(&buffer[..len]).expect("a formatted number is ASCII")
        }
        Err(_) => return Err(PriceError::OutOfRange(value.to_string())),
    };
    Decimal::from_str(printed)
        .map(|d| d.normalize())
        .map_err(|_| PriceError::OutOfRange(value.to_string()))
}

/// The double that puts `price` on the wire: the nearest double to its decimal text, which a receiver using
/// `decimal_from_wire` turns back into the same decimal.
pub fn decimal_to_wire(price: Decimal) -> f64 {
    price.to_string().parse().unwrap_or(f64::NAN)
}

/// The minimum price step of an instrument. Always positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TickSize(Decimal);

impl TickSize {
    pub fn new(step: Decimal) -> Result<Self, PriceError> {
        if step <= Decimal::ZERO {
            return Err(PriceError::NonPositiveTick(step));
        }
        Ok(TickSize(step.normalize()))
    }

    pub fn value(self) -> Decimal {
        self.0
    }

    /// NSE cash-market tick by price band (in force from 15 Apr 2025), keyed on a reference price such as the
    /// previous close. Only a fallback: the broker's instrument master is the authority, since the exchange
    /// revises ticks monthly and the bands above ₹1,000 are not confirmed for every stock.
    pub fn nse_price_band(reference_price: Decimal) -> TickSize {
        let step = if reference_price < dec!(250) {
            dec!(0.01)
        } else if reference_price <= dec!(1000) {
            dec!(0.05)
        } else if reference_price <= dec!(5000) {
            dec!(0.10)
        } else if reference_price <= dec!(10000) {
            dec!(0.50)
        } else if reference_price <= dec!(20000) {
            dec!(1)
        } else {
            dec!(5)
        };
        TickSize(step.normalize())
    }

    pub fn is_on_grid(self, price: Decimal) -> bool {
        (price % self.0).is_zero()
    }

    /// The nearest grid price; halves go away from zero, as exchanges print.
    pub fn round_nearest(self, price: Decimal) -> Decimal {
        self.round_with(price, RoundingStrategy::MidpointAwayFromZero)
    }

    /// The highest grid price not above `price`: a passive buy limit, or a sell stop trigger.
    pub fn round_down(self, price: Decimal) -> Decimal {
        self.round_with(price, RoundingStrategy::ToNegativeInfinity)
    }

    /// The lowest grid price not below `price`: a passive sell limit, or a buy stop trigger.
    pub fn round_up(self, price: Decimal) -> Decimal {
        self.round_with(price, RoundingStrategy::ToPositiveInfinity)
    }

    fn round_with(self, price: Decimal, strategy: RoundingStrategy) -> Decimal {
        let steps = (price / self.0).round_dp_with_strategy(0, strategy);
        (steps * self.0).normalize()
    }
}

impl fmt::Display for TickSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn wire_doubles_become_the_printed_decimal() {
        for (wire, printed) in [
            (1543.2_f64, dec!(1543.2)),
            (3473.65, dec!(3473.65)),
            (52.07, dec!(52.07)),
            (1516.0, dec!(1516)),
            (0.1 + 0.2, dec!(0.30000000000000004)),
            (24_500.05, dec!(24500.05)),
        ] {
            assert_eq!(decimal_from_wire(wire).unwrap(), printed, "{wire}");
        }
        assert_eq!(decimal_from_wire(1543.2).unwrap().to_string(), "1543.2");
        for price in [dec!(1543.2), dec!(166.15), dec!(0.05), dec!(24500)] {
            assert_eq!(decimal_from_wire(decimal_to_wire(price)).unwrap(), price);
        }
    }

    #[test]
    fn wire_doubles_that_are_not_prices_are_refused() {
        assert!(matches!(
            decimal_from_wire(f64::NAN),
            Err(PriceError::NotFinite(_))
        ));
        assert!(matches!(
            decimal_from_wire(f64::INFINITY),
            Err(PriceError::NotFinite(_))
        ));
        assert!(matches!(
            decimal_from_wire(1e40),
            Err(PriceError::OutOfRange(_))
        ));
    }

    #[test]
    fn rounding_lands_on_the_grid_in_the_asked_direction() {
        let tick = TickSize::new(dec!(0.05)).unwrap();
        assert_eq!(tick.round_down(dec!(1543.23)), dec!(1543.2));
        assert_eq!(tick.round_up(dec!(1543.21)), dec!(1543.25));
        assert_eq!(tick.round_nearest(dec!(1543.225)), dec!(1543.25));
        assert_eq!(tick.round_nearest(dec!(1543.224)), dec!(1543.2));
        assert_eq!(tick.round_up(dec!(1543.25)), dec!(1543.25));
        assert!(tick.is_on_grid(dec!(1543.25)));
        assert!(!tick.is_on_grid(dec!(1543.26)));
        let rupee = TickSize::new(dec!(5)).unwrap();
        assert_eq!(rupee.round_down(dec!(24503)), dec!(24500));
        assert_eq!(rupee.round_up(dec!(24501)), dec!(24505));
    }

    #[test]
    fn zero_or_negative_tick_is_refused() {
        assert!(TickSize::new(Decimal::ZERO).is_err());
        assert!(TickSize::new(dec!(-0.05)).is_err());
    }

    #[test]
    fn price_band_fallback_follows_the_nse_table_at_its_edges() {
        for (price, tick) in [
            (dec!(249.99), dec!(0.01)),
            (dec!(250), dec!(0.05)),
            (dec!(1000), dec!(0.05)),
            (dec!(1000.05), dec!(0.1)),
            (dec!(5000), dec!(0.1)),
            (dec!(5000.5), dec!(0.5)),
            (dec!(10000), dec!(0.5)),
            (dec!(10001), dec!(1)),
            (dec!(20000), dec!(1)),
            (dec!(20005), dec!(5)),
        ] {
            assert_eq!(TickSize::nse_price_band(price).value(), tick, "{price}");
        }
    }
}
