//! Prices that cannot be true, stopped at the feed before the engine sees them: a price at or below zero, one
//! ten times (or a tenth of) the instrument's reference, and a jump beyond the widest circuit band NSE sets for
//! cash equities. Both brokers' decoders can hand such a price on (a zero for "no trade yet", a unit mistake,
//! a garbled field), and one of them reaching the engine is a false breakout or a stop hit on nothing.
//!
//! The reference is the previous close the broker sent with the instrument's prices; before one is known, the
//! last price this check let through. F&O stocks have no fixed band (their dynamic band widens in steps), so for
//! them only the order-of-magnitude rule applies.

use std::collections::HashMap;

use rust_decimal::Decimal;
use rust_decimal::dec;

use crate::domain::{InstrumentId, Tick};

/// The widest daily price band NSE sets for a cash-equity stock without derivatives, in percent of the
/// previous close.
const WIDEST_BAND_PCT: Decimal = dec!(20);

/// How far from its reference a price may be before it is taken for a unit or decoding error.
const MAGNITUDE: Decimal = dec!(10);

/// Why a price was refused; the label of `dalal_bad_prices_total{reason}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BadPrice {
    NotPositive,
    OrdersOfMagnitude,
    BeyondBand,
}

impl BadPrice {
    pub fn label(self) -> &'static str {
        match self {
            BadPrice::NotPositive => "not_positive",
            BadPrice::OrdersOfMagnitude => "orders_of_magnitude",
            BadPrice::BeyondBand => "beyond_band",
        }
    }
}

#[derive(Debug, Default)]
struct Reference {
    previous_close: Option<Decimal>,
    last_accepted: Option<Decimal>,
}

/// Each instrument's reference, and whether it has a fixed band.
#[derive(Debug, Default)]
pub struct PriceSanity {
    references: HashMap<InstrumentId, Reference>,
    without_band: Vec<InstrumentId>,
}

impl PriceSanity {
    /// `without_band`: the F&O stocks, whose band is not fixed.
    pub fn new(without_band: Vec<InstrumentId>) -> Self {
        PriceSanity {
            references: HashMap::new(),
            without_band,
        }
    }

    /// Whether `tick`'s price can be true; a price let through becomes the reference until a close is known.
    pub fn check(&mut self, tick: &Tick) -> Result<(), BadPrice> {
        let price = tick.last_price;
        if price <= Decimal::ZERO {
            return Err(BadPrice::NotPositive);
        }
        let banded = !self.without_band.contains(&tick.instrument);
        let reference = self.references.entry(tick.instrument.clone()).or_default();
        if let Some(close) = tick.previous_close.filter(|c| *c > Decimal::ZERO) {
            reference.previous_close = Some(close);
        }
        let Some(base) = reference.previous_close.or(reference.last_accepted) else {
            reference.last_accepted = Some(price);
            return Ok(());
        };
        if price > base * MAGNITUDE || price * MAGNITUDE < base {
            return Err(BadPrice::OrdersOfMagnitude);
        }
        if let Some(close) = reference.previous_close.filter(|_| banded) {
            let move_pct = (price - close).abs() / close * Decimal::ONE_HUNDRED;
            if move_pct > WIDEST_BAND_PCT {
                return Err(BadPrice::BeyondBand);
            }
        }
        reference.last_accepted = Some(price);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Exchange, TickSource};
    use chrono::DateTime;

    fn id(symbol: &str) -> InstrumentId {
        InstrumentId::new(Exchange::Nse, symbol).unwrap()
    }

    fn tick(symbol: &str, price: Decimal, close: Option<Decimal>) -> Tick {
        Tick {
            instrument: id(symbol),
            last_price: price,
            last_trade_time: None,
            last_quantity: None,
            previous_close: close,
            source: TickSource::Stream,
            received_at: DateTime::from_timestamp(1_795_000_000, 0).unwrap(),
        }
    }

    #[test]
    fn zero_negative_magnitude_and_band_breaking_prices_are_refused() {
        let mut sanity = PriceSanity::new(vec![id("FNO")]);
        let close = Some(dec!(1000));
        assert_eq!(
            sanity.check(&tick("RELI", dec!(0), close)),
            Err(BadPrice::NotPositive)
        );
        assert_eq!(
            sanity.check(&tick("RELI", dec!(-5), close)),
            Err(BadPrice::NotPositive)
        );
        assert_eq!(sanity.check(&tick("RELI", dec!(1010), close)), Ok(()));
        assert_eq!(
            sanity.check(&tick("RELI", dec!(101000), None)),
            Err(BadPrice::OrdersOfMagnitude),
            "the close sent earlier stays the reference"
        );
        assert_eq!(
            sanity.check(&tick("RELI", dec!(99), close)),
            Err(BadPrice::OrdersOfMagnitude)
        );
        assert_eq!(
            sanity.check(&tick("RELI", dec!(1200), close)),
            Ok(()),
            "at the band"
        );
        assert_eq!(
            sanity.check(&tick("RELI", dec!(1200.05), close)),
            Err(BadPrice::BeyondBand)
        );
        assert_eq!(
            sanity.check(&tick("RELI", dec!(799.95), close)),
            Err(BadPrice::BeyondBand)
        );
        assert_eq!(
            sanity.check(&tick("FNO", dec!(1300), close)),
            Ok(()),
            "no fixed band"
        );
        assert_eq!(
            sanity.check(&tick("FNO", dec!(10001), close)),
            Err(BadPrice::OrdersOfMagnitude)
        );
    }

    #[test]
    fn without_a_close_the_last_accepted_price_is_the_reference() {
        let mut sanity = PriceSanity::default();
        assert_eq!(sanity.check(&tick("INFY", dec!(1500), None)), Ok(()));
        assert_eq!(
            sanity.check(&tick("INFY", dec!(1600), None)),
            Ok(()),
            "no band without a close"
        );
        assert_eq!(
            sanity.check(&tick("INFY", dec!(16001), None)),
            Err(BadPrice::OrdersOfMagnitude)
        );
        assert_eq!(
            sanity.check(&tick("INFY", dec!(0.15), Some(dec!(0)))),
            Err(BadPrice::OrdersOfMagnitude)
        );
    }
}
