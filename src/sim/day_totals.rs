//! One instrument and product's day at the simulated broker as HDFC Sky's day-wise position rows state it:
//! shares and rupees bought and sold, the day's average prices, and the P&L they imply.
//!
//! A client may compute P&L from the amounts, `(sell_amount - buy_amount) + net_quantity × ltp`, or from the
//! averages, `realized_mtm + (ltp - average of the open side) × net_quantity`, as dalal does. The realized figure
//! here is defined so that both give the same answer at any price: it is what the amounts leave once the open
//! quantity is valued at its own (rounded) average, the average-cost method HDFC Sky's averages imply.

use rust_decimal::Decimal;

use crate::domain::Side;

/// Averages are stated to the paisa, as brokers show them.
const AVERAGE_DECIMALS: u32 = 2;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayTotals {
    pub buy_quantity: i64,
    pub buy_amount: Decimal,
    pub sell_quantity: i64,
    pub sell_amount: Decimal,
}

impl DayTotals {
    /// Adds one trade.
    pub fn add(&mut self, side: Side, quantity: u32, price: Decimal) {
        let amount = price * Decimal::from(quantity);
        match side {
            Side::Buy => {
                self.buy_quantity += i64::from(quantity);
                self.buy_amount += amount;
            }
            Side::Sell => {
                self.sell_quantity += i64::from(quantity);
                self.sell_amount += amount;
            }
        }
    }

    /// Positive long, negative short.
    pub fn net_quantity(&self) -> i64 {
        self.buy_quantity - self.sell_quantity
    }

    /// What the day's trades brought in: sold minus bought, negative while long.
    pub fn net_amount(&self) -> Decimal {
        self.sell_amount - self.buy_amount
    }

    pub fn average_buy_price(&self) -> Decimal {
        average(self.buy_amount, self.buy_quantity)
    }

    pub fn average_sell_price(&self) -> Decimal {
        average(self.sell_amount, self.sell_quantity)
    }

    /// The day's average price of the side the open quantity is on; zero when flat.
    fn open_average(&self) -> Decimal {
        match self.net_quantity() {
            0 => Decimal::ZERO,
            n if n > 0 => self.average_buy_price(),
            _ => self.average_sell_price(),
        }
    }

    /// The P&L of the quantity bought and sold back: the amounts with the open quantity valued at its average.
    /// It does not move with the price.
    pub fn realized(&self) -> Decimal {
        self.net_amount() + Decimal::from(self.net_quantity()) * self.open_average()
    }

    /// The open quantity's P&L at `mark`.
    pub fn unrealized(&self, mark: Decimal) -> Decimal {
        (mark - self.open_average()) * Decimal::from(self.net_quantity())
    }
}

fn average(amount: Decimal, quantity: i64) -> Decimal {
    if quantity == 0 {
        return Decimal::ZERO;
    }
    (amount / Decimal::from(quantity)).round_dp(AVERAGE_DECIMALS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn day(trades: &[(Side, u32, Decimal)]) -> DayTotals {
        let mut totals = DayTotals::default();
        for &(side, quantity, price) in trades {
            totals.add(side, quantity, price);
        }
        totals
    }

    #[test]
    fn averages_cover_the_whole_day_and_pnl_by_averages_is_pnl_by_amounts() {
        // Bought 10 at 100, sold 5 at 110, bought 5 more at 120: long 10 at a day's average of 106.67.
        let long = day(&[
            (Side::Buy, 10, dec!(100)),
            (Side::Sell, 5, dec!(110)),
            (Side::Buy, 5, dec!(120)),
        ]);
        assert_eq!(long.net_quantity(), 10);
        assert_eq!(long.average_buy_price(), dec!(106.67));
        assert_eq!(long.net_amount(), dec!(-1050));
        assert_eq!(long.realized(), dec!(16.7));
        // Sold 3 at 50.05, bought 1 at 49.95: short 2 at 50.05.
        let short = day(&[(Side::Sell, 3, dec!(50.05)), (Side::Buy, 1, dec!(49.95))]);
        assert_eq!(short.net_quantity(), -2);
        assert_eq!(short.realized(), dec!(0.10));
        for totals in [long, short] {
            let net = Decimal::from(totals.net_quantity());
            let open_average = if net > Decimal::ZERO {
                totals.average_buy_price()
            } else {
                totals.average_sell_price()
            };
            for mark in [dec!(1), dec!(49.5), dec!(115.35)] {
                let by_amounts = totals.net_amount() + net * mark;
                let by_averages = totals.realized() + (mark - open_average) * net;
                assert_eq!(by_averages, by_amounts, "{totals:?} at {mark}");
                assert_eq!(totals.unrealized(mark), (mark - open_average) * net);
            }
        }
    }

    #[test]
    fn a_closed_round_trip_is_all_realized_and_an_untraded_day_is_all_zero() {
        let closed = day(&[(Side::Buy, 4, dec!(99.9)), (Side::Sell, 4, dec!(101.1))]);
        assert_eq!((closed.net_quantity(), closed.realized()), (0, dec!(4.8)));
        assert_eq!(closed.unrealized(dec!(500)), dec!(0));
        let none = DayTotals::default();
        assert_eq!(
            (none.average_buy_price(), none.realized()),
            (dec!(0), dec!(0))
        );
    }
}
