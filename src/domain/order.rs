//! What the bot asks a broker to do, and what the broker reports back as done.
//!
//! Order kinds carry their prices inside the variant, so a LIMIT without a price or a MARKET with one cannot be
//! built. Every order carries an `OrderTag`: a client-side identity that lets the executor find an order again
//! after an ambiguous submit instead of sending it twice.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use thiserror::Error;

use super::instrument::InstrumentId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }

    /// +1 for a buy, -1 for a sell: the sign a fill adds to a net position.
    pub fn sign(self) -> i64 {
        match self {
            Side::Buy => 1,
            Side::Sell => -1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{0}` is not BUY or SELL")]
pub struct UnknownSide(pub String);

impl FromStr for Side {
    type Err = UnknownSide;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "BUY" => Ok(Side::Buy),
            "SELL" => Ok(Side::Sell),
            other => Err(UnknownSide(other.to_string())),
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        })
    }
}

/// The order types the exchanges accept, with the prices each one needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderKind {
    Market,
    Limit {
        price: Decimal,
    },
    /// SL: a limit order that becomes active when the trigger trades.
    StopLoss {
        trigger: Decimal,
        price: Decimal,
    },
    /// SL-M: a market order that becomes active when the trigger trades.
    StopLossMarket {
        trigger: Decimal,
    },
}

impl OrderKind {
    /// Whether a stop order's trigger has traded: a buy stop at or above it, a sell stop at or below it.
    /// Orders without a trigger are always live.
    pub fn is_triggered(&self, side: Side, last: Decimal) -> bool {
        match self {
            OrderKind::StopLoss { trigger, .. } | OrderKind::StopLossMarket { trigger } => {
                match side {
                    Side::Buy => last >= *trigger,
                    Side::Sell => last <= *trigger,
                }
            }
            OrderKind::Market | OrderKind::Limit { .. } => true,
        }
    }

    /// The price a live (triggered) order fills at against `last`, if it fills: market-type orders at the last
    /// price moved `slippage` against the trader, limit-type orders at the last price once it reaches the limit.
    pub fn fill_price(&self, side: Side, last: Decimal, slippage: Decimal) -> Option<Decimal> {
        match self {
            OrderKind::Market | OrderKind::StopLossMarket { .. } => Some(match side {
                Side::Buy => last + slippage,
                Side::Sell => last - slippage,
            }),
            OrderKind::Limit { price } | OrderKind::StopLoss { price, .. } => {
                let reached = match side {
                    Side::Buy => last <= *price,
                    Side::Sell => last >= *price,
                };
                reached.then_some(last)
            }
        }
    }

    pub fn limit_price(&self) -> Option<Decimal> {
        match self {
            OrderKind::Limit { price } | OrderKind::StopLoss { price, .. } => Some(*price),
            OrderKind::Market | OrderKind::StopLossMarket { .. } => None,
        }
    }

    pub fn trigger_price(&self) -> Option<Decimal> {
        match self {
            OrderKind::StopLoss { trigger, .. } | OrderKind::StopLossMarket { trigger } => {
                Some(*trigger)
            }
            OrderKind::Market | OrderKind::Limit { .. } => None,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            OrderKind::Market => "MARKET",
            OrderKind::Limit { .. } => "LIMIT",
            OrderKind::StopLoss { .. } => "SL",
            OrderKind::StopLossMarket { .. } => "SL-M",
        }
    }

    /// The kind `code()` names, with the prices a broker reports for it; `None` for an unknown code.
    pub fn from_code(code: &str, price: Decimal, trigger: Decimal) -> Option<OrderKind> {
        Some(match code {
            "MARKET" => OrderKind::Market,
            "LIMIT" => OrderKind::Limit { price },
            "SL" => OrderKind::StopLoss { trigger, price },
            "SL-M" => OrderKind::StopLossMarket { trigger },
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    /// Squared off the same day (MIS / "I").
    Intraday,
    /// Carried to the demat account (CNC / "D").
    Delivery,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    Day,
    ImmediateOrCancel,
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error("order tag `{0}` must be 1 to 20 ASCII letters, digits, `-` or `_`")]
pub struct OrderTagError(String);

/// A client-chosen order identity. Brokers echo it back in the order book, which is how an ambiguous submit
/// is resolved. Upstox limits tags to 20 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderTag(String);

impl OrderTag {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// dalal's own tags, `D{yymmdd}-{SYMBOL}-{purpose}{n}`: findable after a crash by day, instrument and
    /// sequence, within the 20 characters every broker takes. The symbol gives up letters as `number` grows, so
    /// a tag can always be made. Purposes: `E`ntry, e`X`it, `P`rotective stop.
    pub fn ours(date: NaiveDate, symbol: &str, purpose: char, number: u32) -> OrderTag {
        let number = number.to_string();
        let symbol_room = 6.min(10usize.saturating_sub(number.len()));
        let symbol: String = symbol
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(symbol_room)
            .collect();
        format!("{}{symbol}-{purpose}{number}", Self::day_prefix(date))
            .parse()
            .expect("an ASCII purpose letter keeps a tag within 20 plain characters")
    }

    /// What all of our tags of `date` start with: `D261123-`.
    pub fn day_prefix(date: NaiveDate) -> String {
        format!("D{}-", date.format("%y%m%d"))
    }

    /// The purpose letter and sequence number of one of our tags.
    pub fn purpose_and_number(tag: &str) -> Option<(char, u32)> {
        let last = tag.rsplit('-').next()?;
        let (purpose, number) = last.split_at_checked(1)?;
        Some((purpose.chars().next()?, number.parse().ok()?))
    }
}

impl FromStr for OrderTag {
    type Err = OrderTagError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = (1..=20).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(OrderTag(s.to_string()))
        } else {
            Err(OrderTagError(s.to_string()))
        }
    }
}

impl fmt::Display for OrderTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    pub tag: OrderTag,
    pub instrument: InstrumentId,
    pub side: Side,
    pub quantity: u32,
    pub kind: OrderKind,
    pub product: Product,
    pub validity: Validity,
}

/// One execution reported by the broker (an order may fill in several).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill {
    pub order_id: String,
    pub tag: Option<OrderTag>,
    pub instrument: InstrumentId,
    pub side: Side,
    pub quantity: u32,
    pub price: Decimal,
    pub time: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_bounded_and_plain() {
        assert!("DL-20261123-RELI-1".parse::<OrderTag>().is_ok());
        assert!("".parse::<OrderTag>().is_err());
        assert!("has space".parse::<OrderTag>().is_err());
        assert!("X".repeat(21).parse::<OrderTag>().is_err());
    }

    #[test]
    fn stops_trigger_and_orders_fill_on_the_right_side_of_the_market() {
        use rust_decimal::dec;
        let stop = OrderKind::StopLossMarket { trigger: dec!(100) };
        assert!(!stop.is_triggered(Side::Sell, dec!(100.1)));
        assert!(stop.is_triggered(Side::Sell, dec!(100)));
        assert!(stop.is_triggered(Side::Buy, dec!(100.1)));
        assert_eq!(
            stop.fill_price(Side::Sell, dec!(99.9), dec!(0.1)),
            Some(dec!(99.8))
        );
        let limit = OrderKind::Limit { price: dec!(100) };
        assert_eq!(limit.fill_price(Side::Buy, dec!(100.5), dec!(0.1)), None);
        assert_eq!(
            limit.fill_price(Side::Buy, dec!(99.5), dec!(0.1)),
            Some(dec!(99.5))
        );
        assert_eq!(limit.fill_price(Side::Sell, dec!(99.5), dec!(0.1)), None);
    }

    #[test]
    fn sides_flip_and_sign() {
        assert_eq!(Side::Buy.opposite(), Side::Sell);
        assert_eq!(Side::Sell.sign(), -1);
        assert_eq!(
            OrderKind::StopLossMarket {
                trigger: Decimal::ONE
            }
            .code(),
            "SL-M"
        );
    }

    #[test]
    fn every_kind_reads_back_from_its_code_and_prices() {
        use rust_decimal::dec;
        let (price, trigger) = (dec!(99.5), dec!(100));
        for kind in [
            OrderKind::Market,
            OrderKind::Limit { price },
            OrderKind::StopLoss { trigger, price },
            OrderKind::StopLossMarket { trigger },
        ] {
            assert_eq!(
                OrderKind::from_code(kind.code(), price, trigger),
                Some(kind)
            );
        }
        assert_eq!(OrderKind::from_code("AMO", price, trigger), None);
    }
}
