//! Upstox's REST rows turned into the bot's reports: prices to exact decimals, `BUY`/`SELL` to sides, and
//! Upstox's seventeen order status strings to the six states the executor acts on.

use rust_decimal::Decimal;

use super::rest_types::{OrderData, PositionData, TradeData};
use crate::broker::{
    BrokerError, ErrorClass, OrderReport, OrderState, PositionReport, TradeReport,
};
use crate::domain::{Candle, Product, Side, decimal_from_wire};

pub(crate) fn price(value: f64, endpoint: &str) -> Result<Decimal, BrokerError> {
    decimal_from_wire(value)
        .map_err(|e| BrokerError::new(ErrorClass::Malformed, endpoint, e.to_string()))
}

fn side(text: &str, endpoint: &str) -> Result<Side, BrokerError> {
    text.parse().map_err(|_| {
        BrokerError::new(
            ErrorClass::Malformed,
            endpoint,
            format!("unknown transaction_type `{text}`"),
        )
    })
}

/// Upstox's status strings (DOCS appendix), lower case with spaces.
pub(crate) fn order_state(status: &str) -> OrderState {
    match status {
        "open" | "modified" | "not modified" | "not cancelled" => OrderState::Open,
        "trigger pending" => OrderState::TriggerPending,
        "complete" => OrderState::Complete,
        "cancelled" | "cancelled after market order" => OrderState::Cancelled,
        "rejected" => OrderState::Rejected,
        // validation pending, put order req received, open pending, modify pending, cancel pending, …
        _ => OrderState::Pending,
    }
}

pub(crate) fn order_report(row: OrderData) -> Result<OrderReport, BrokerError> {
    const ENDPOINT: &str = "order book";
    Ok(OrderReport {
        side: side(&row.transaction_type, ENDPOINT)?,
        price: price(row.price, ENDPOINT)?,
        trigger_price: price(row.trigger_price, ENDPOINT)?,
        average_price: (row.filled_quantity > 0)
            .then(|| price(row.average_price, ENDPOINT))
            .transpose()?,
        state: order_state(&row.status),
        order_id: row.order_id,
        tag: row.tag.filter(|t| !t.is_empty()),
        instrument_key: row.instrument_token,
        order_type: row.order_type,
        quantity: row.quantity,
        filled_quantity: row.filled_quantity,
        status_text: row.status,
        message: row.status_message.filter(|m| !m.is_empty()),
    })
}

pub(crate) fn trade_report(row: TradeData) -> Result<TradeReport, BrokerError> {
    const ENDPOINT: &str = "trades";
    Ok(TradeReport {
        side: side(&row.transaction_type, ENDPOINT)?,
        price: price(row.average_price, ENDPOINT)?,
        trade_id: row.trade_id,
        order_id: row.order_id,
        instrument_key: row.instrument_token,
        quantity: row.quantity,
    })
}

pub(crate) fn position_report(row: PositionData) -> Result<PositionReport, BrokerError> {
    const ENDPOINT: &str = "positions";
    Ok(PositionReport {
        average_price: price(row.average_price, ENDPOINT)?,
        last_price: price(row.last_price, ENDPOINT)?,
        realized_pnl: price(row.realised, ENDPOINT)?,
        unrealized_pnl: price(row.unrealised, ENDPOINT)?,
        instrument_key: row.instrument_token,
        product: if row.product == "I" {
            Product::Intraday
        } else {
            Product::Delivery
        },
        net_quantity: row.quantity,
    })
}

/// One candle row, `[start, open, high, low, close, volume, oi]`, its start in ISO 8601 with the IST offset.
pub(crate) fn candle(row: Vec<serde_json::Value>) -> Result<Candle, BrokerError> {
    const ENDPOINT: &str = "/v3/historical-candle";
    let bad = |why: &str| BrokerError::new(ErrorClass::Malformed, ENDPOINT, why.to_string());
    let number = |i: usize| {
        row.get(i)
            .and_then(serde_json::Value::as_f64)
            .ok_or_else(|| bad("a candle number is missing"))
    };
    let start = row
        .first()
        .and_then(serde_json::Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .ok_or_else(|| bad("a candle's start is not an ISO 8601 time"))?;
    let candle = Candle {
        start: start.to_utc(),
        open: price(number(1)?, ENDPOINT)?,
        high: price(number(2)?, ENDPOINT)?,
        low: price(number(3)?, ENDPOINT)?,
        close: price(number(4)?, ENDPOINT)?,
        volume: number(5)?.max(0.0) as u64,
    };
    match candle.implausible() {
        Some(why) => Err(bad(why)),
        None => Ok(candle),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_status_maps_to_a_state() {
        for (text, state) in [
            ("validation pending", OrderState::Pending),
            ("put order req received", OrderState::Pending),
            ("open pending", OrderState::Pending),
            ("cancel pending", OrderState::Pending),
            ("open", OrderState::Open),
            ("modified", OrderState::Open),
            ("trigger pending", OrderState::TriggerPending),
            ("complete", OrderState::Complete),
            ("cancelled", OrderState::Cancelled),
            ("cancelled after market order", OrderState::Cancelled),
            ("rejected", OrderState::Rejected),
        ] {
            assert_eq!(order_state(text), state, "{text}");
        }
    }
}
