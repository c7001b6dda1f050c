//! HDFC Sky's order, trade and position rows in dalal's report types, its status words mapped to `OrderState`.

use rust_decimal::Decimal;

use super::rest_types::{OrderRow, PositionRow, TradeRow};
use super::scrip::ScripId;
use crate::broker::{
    BrokerError, ErrorClass, OrderReport, OrderState, PositionReport, TradeReport,
};
use crate::domain::{Product, Side, decimal_from_wire};

fn price(value: f64, endpoint: &str) -> Result<Decimal, BrokerError> {
    decimal_from_wire(value)
        .map_err(|e| BrokerError::new(ErrorClass::Malformed, endpoint, format!("a price: {e}")))
}

fn side(text: &str, endpoint: &str) -> Result<Side, BrokerError> {
    text.parse()
        .map_err(|e| BrokerError::new(ErrorClass::Malformed, endpoint, format!("{e}")))
}

/// The scrip id of a row's `exchange` and `instrument_token`.
pub fn scrip_of(exchange: &str, token: &str, endpoint: &str) -> Result<ScripId, BrokerError> {
    token
        .parse()
        .ok()
        .and_then(|t| ScripId::from_exchange(exchange, t))
        .ok_or_else(|| {
            BrokerError::new(
                ErrorClass::Malformed,
                endpoint,
                format!("unknown instrument {exchange} {token}"),
            )
        })
}

/// HDFC Sky's order statuses (its proto's `Status` enum) as dalal's states. A refused modify or cancel leaves
/// the order as it was, so those count as open.
pub fn order_state(status: &str) -> OrderState {
    match status.to_ascii_uppercase().as_str() {
        "COMPLETE" => OrderState::Complete,
        "REJECTED" | "BRACKET_ORDER_REJECTED" => OrderState::Rejected,
        "CANCELLED"
        | "CANCEL_CONFIRMED"
        | "BATCH_CANCEL_CONFIRMED"
        | "AMO_CANCEL_CONFIRMED"
        | "BRACKET_ORDER_CANCELLED" => OrderState::Cancelled,
        "SL_TRIGGER_CONFIRMED" | "TRIGGER_PENDING" => OrderState::TriggerPending,
        "CONFIRMED" | "PARTIAL_TRADE" | "MODIFY_REJECTED" | "CANCEL_REJECTED"
        | "MODIFY_CONFIRMED" => OrderState::Open,
        _ => OrderState::Pending,
    }
}

/// dalal's order-type code for HDFC Sky's (`SLM` is dalal's `SL-M`).
fn order_type_code(order_type: &str) -> String {
    match order_type.to_ascii_uppercase().as_str() {
        "SLM" | "SL-M" => "SL-M".into(),
        other => other.to_string(),
    }
}

pub fn order_report(row: OrderRow, tag: Option<String>) -> Result<OrderReport, BrokerError> {
    let endpoint = "/oapi/v1/orders";
    let filled = row.filled_quantity;
    Ok(OrderReport {
        instrument_key: scrip_of(&row.exchange, &row.instrument_token, endpoint)?.to_string(),
        side: side(&row.order_side, endpoint)?,
        order_type: order_type_code(&row.order_type),
        quantity: row.quantity,
        filled_quantity: filled,
        price: price(row.price, endpoint)?,
        trigger_price: price(row.trigger_price, endpoint)?,
        average_price: (filled > 0)
            .then(|| price(row.average_price, endpoint))
            .transpose()?,
        state: order_state(&row.order_status),
        status_text: row.order_status,
        message: row.rejection_reason.filter(|r| !r.trim().is_empty()),
        order_id: row.oms_order_id,
        tag,
    })
}

pub fn trade_report(row: TradeRow) -> Result<TradeReport, BrokerError> {
    let endpoint = "/oapi/v1/trades";
    Ok(TradeReport {
        instrument_key: scrip_of(&row.exchange, &row.instrument_token, endpoint)?.to_string(),
        side: side(&row.order_side, endpoint)?,
        quantity: row.trade_quantity,
        price: price(row.trade_price, endpoint)?,
        trade_id: row.trade_number,
        order_id: row.oms_order_id,
    })
}

pub fn position_report(row: PositionRow) -> Result<PositionReport, BrokerError> {
    let endpoint = "/oapi/v1/positions";
    let average = if row.net_quantity >= 0 {
        row.average_buy_price
    } else {
        row.average_sell_price
    };
    let average_price = price(average, endpoint)?;
    let last_price = price(row.ltp, endpoint)?;
    Ok(PositionReport {
        instrument_key: scrip_of(&row.exchange, &row.instrument_token, endpoint)?.to_string(),
        // MIS is intraday; CNC and NRML are carried.
        product: if row.product.eq_ignore_ascii_case("MIS") {
            Product::Intraday
        } else {
            Product::Delivery
        },
        net_quantity: row.net_quantity,
        unrealized_pnl: if row.net_quantity == 0 {
            Decimal::ZERO
        } else {
            (last_price - average_price) * Decimal::from(row.net_quantity)
        },
        average_price,
        last_price,
        realized_pnl: price(row.realized_mtm, endpoint)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_as_integrators_found_them() {
        assert_eq!(order_state("COMPLETE"), OrderState::Complete);
        assert_eq!(order_state("CANCEL_CONFIRMED"), OrderState::Cancelled);
        assert_eq!(order_state("TRIGGER_PENDING"), OrderState::TriggerPending);
        assert_eq!(order_state("MODIFY_REJECTED"), OrderState::Open);
        assert_eq!(order_state("RMS_VALIDATION_COMPLETED"), OrderState::Pending);
        assert!(order_state("REJECTED").is_final());
    }
}
