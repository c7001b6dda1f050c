//! What a round trip costs beyond the price: brokerage, STT, exchange transaction charges, SEBI fees, stamp duty
//! and GST, as Indian intraday equity contract notes add them up. An estimate for the journal's net P&L: the
//! rates are the trader's to set (`[charges]` in dalal.toml), because brokers' plans and the exchanges' fees change.

use rust_decimal::Decimal;
use rust_decimal::dec;
use serde::Deserialize;

use super::values;

/// Rates in percent of turnover, except `brokerage_per_order` (rupees).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChargeRates {
    /// Brokerage is the lower of this and `brokerage_pct` of the order's value.
    #[serde(deserialize_with = "values::decimal")]
    pub brokerage_per_order: Decimal,
    #[serde(deserialize_with = "values::decimal")]
    pub brokerage_pct: Decimal,
    /// Securities transaction tax, intraday: on the sell side.
    #[serde(deserialize_with = "values::decimal")]
    pub stt_sell_pct: Decimal,
    /// The exchange's transaction charge, on both sides.
    #[serde(deserialize_with = "values::decimal")]
    pub exchange_pct: Decimal,
    /// SEBI's turnover fee (₹10 a crore), on both sides.
    #[serde(deserialize_with = "values::decimal")]
    pub sebi_pct: Decimal,
    /// Stamp duty, intraday: on the buy side.
    #[serde(deserialize_with = "values::decimal")]
    pub stamp_buy_pct: Decimal,
    /// GST on brokerage, exchange charges and SEBI fees.
    #[serde(deserialize_with = "values::decimal")]
    pub gst_pct: Decimal,
}

impl Default for ChargeRates {
    /// Published NSE intraday rates of 2025 and a ₹20-or-0.1% brokerage plan.
    fn default() -> Self {
        ChargeRates {
            brokerage_per_order: dec!(20),
            brokerage_pct: dec!(0.1),
            stt_sell_pct: dec!(0.025),
            exchange_pct: dec!(0.00297),
            sebi_pct: dec!(0.0001),
            stamp_buy_pct: dec!(0.003),
            gst_pct: dec!(18),
        }
    }
}

fn pct(value: Decimal, rate: Decimal) -> Decimal {
    value * rate / Decimal::ONE_HUNDRED
}

impl ChargeRates {
    /// The charges of one round trip: `buys` and `sells` are the values of its executed orders, in rupees.
    pub fn round_trip(&self, buys: &[Decimal], sells: &[Decimal]) -> Decimal {
        let brokerage: Decimal = buys
            .iter()
            .chain(sells)
            .map(|value| {
                self.brokerage_per_order
                    .min(pct(*value, self.brokerage_pct))
            })
            .sum();
        let bought: Decimal = buys.iter().sum();
        let sold: Decimal = sells.iter().sum();
        let turnover = bought + sold;
        let exchange = pct(turnover, self.exchange_pct);
        let sebi = pct(turnover, self.sebi_pct);
        let gst = pct(brokerage + exchange + sebi, self.gst_pct);
        let stt = pct(sold, self.stt_sell_pct);
        let stamp = pct(bought, self.stamp_buy_pct);
        (brokerage + exchange + sebi + gst + stt + stamp).round_dp(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_lakh_round_trip_costs_what_a_contract_note_says() {
        // Buy and sell ₹1,00,000 each: brokerage ₹20 + ₹20 (0.1% would be ₹100), exchange ₹5.94, SEBI ₹0.20,
        // GST 18% of ₹46.14 = ₹8.3052, STT ₹25, stamp ₹3: ₹82.4452.
        let charges = ChargeRates::default().round_trip(&[dec!(100000)], &[dec!(100000)]);
        assert_eq!(charges, dec!(82.45));
    }

    #[test]
    fn small_orders_pay_the_percentage_brokerage() {
        // ₹5,000 each way: brokerage 0.1% = ₹5 per order, less than ₹20.
        let rates = ChargeRates::default();
        let charges = rates.round_trip(&[dec!(5000)], &[dec!(5000)]);
        let expected = dec!(10)
            + dec!(0.297)
            + dec!(0.01)
            + dec!(0.18) * (dec!(10.307))
            + dec!(1.25)
            + dec!(0.15);
        assert_eq!(charges, expected.round_dp(2));
    }
}
