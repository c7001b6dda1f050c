//! A net position in one instrument, built from fills.
//!
//! Averaging, partial exits and flips through zero are where P&L bugs live, so the arithmetic is in one place
//! and every part of the bot (engine, reconciliation, journal) gets the same numbers.

use rust_decimal::Decimal;

use super::instrument::InstrumentId;
use super::order::Fill;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub instrument: InstrumentId,
    /// Positive long, negative short, zero flat.
    pub net_quantity: i64,
    /// Average price of the open quantity; zero when flat.
    pub average_price: Decimal,
    pub realized_pnl: Decimal,
}

impl Position {
    pub fn flat(instrument: InstrumentId) -> Self {
        Position {
            instrument,
            net_quantity: 0,
            average_price: Decimal::ZERO,
            realized_pnl: Decimal::ZERO,
        }
    }

    pub fn is_flat(&self) -> bool {
        self.net_quantity == 0
    }

    /// Applies one fill: adds to the position at a new average, or closes part of it and books the P&L, or closes
    /// all of it and opens the remainder the other way at the fill price.
    pub fn apply(&mut self, fill: &Fill) {
        let signed = fill.side.sign() * i64::from(fill.quantity);
        let same_direction =
            self.net_quantity == 0 || self.net_quantity.signum() == signed.signum();
        if same_direction {
            let old = Decimal::from(self.net_quantity.abs());
            let added = Decimal::from(signed.abs());
            self.average_price = (self.average_price * old + fill.price * added) / (old + added);
            self.net_quantity += signed;
            return;
        }
        let closing = signed.abs().min(self.net_quantity.abs());
        let per_share =
            (fill.price - self.average_price) * Decimal::from(self.net_quantity.signum());
        self.realized_pnl += per_share * Decimal::from(closing);
        self.net_quantity += signed;
        if self.net_quantity == 0 {
            self.average_price = Decimal::ZERO;
        } else if self.net_quantity.signum() == signed.signum() {
            self.average_price = fill.price;
        }
    }

    /// Mark-to-market P&L of the open quantity at `mark`.
    pub fn unrealized_pnl(&self, mark: Decimal) -> Decimal {
        (mark - self.average_price) * Decimal::from(self.net_quantity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Exchange, Side};
    use chrono::Utc;
    use rust_decimal::dec;

    fn fill(side: Side, quantity: u32, price: Decimal) -> Fill {
        Fill {
            order_id: "1".into(),
            tag: None,
            instrument: InstrumentId::new(Exchange::Nse, "INFY").unwrap(),
            side,
            quantity,
            price,
            time: Utc::now(),
        }
    }

    #[test]
    fn adding_averages_and_partial_exit_books_pnl() {
        let mut p = Position::flat(InstrumentId::new(Exchange::Nse, "INFY").unwrap());
        p.apply(&fill(Side::Buy, 10, dec!(1500)));
        p.apply(&fill(Side::Buy, 30, dec!(1510)));
        assert_eq!(p.net_quantity, 40);
        assert_eq!(p.average_price, dec!(1507.5));
        p.apply(&fill(Side::Sell, 15, dec!(1520.05)));
        assert_eq!(p.net_quantity, 25);
        assert_eq!(p.realized_pnl, dec!(188.25));
        assert_eq!(p.average_price, dec!(1507.5));
        assert_eq!(p.unrealized_pnl(dec!(1500)), dec!(-187.5));
        p.apply(&fill(Side::Sell, 25, dec!(1507.5)));
        assert!(p.is_flat());
        assert_eq!(p.average_price, Decimal::ZERO);
        assert_eq!(p.realized_pnl, dec!(188.25));
    }

    #[test]
    fn a_flip_through_zero_books_the_close_and_opens_at_the_fill() {
        let mut p = Position::flat(InstrumentId::new(Exchange::Nse, "INFY").unwrap());
        p.apply(&fill(Side::Sell, 10, dec!(100)));
        p.apply(&fill(Side::Buy, 25, dec!(90)));
        assert_eq!(p.realized_pnl, dec!(100));
        assert_eq!(p.net_quantity, 15);
        assert_eq!(p.average_price, dec!(90));
        assert_eq!(p.unrealized_pnl(dec!(91)), dec!(15));
    }
}
