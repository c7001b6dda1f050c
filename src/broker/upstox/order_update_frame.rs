//! Upstox's portfolio stream feed messages: JSON text frames, one flat object per update, told apart by a
//! top-level `update_type` (reference §4.2). An order update carries the order book row's fields, so it is read
//! into the same `OrderData` and converted the same way; position, holding and GTT updates are not dalal's
//! business and read as nothing.

use serde::{Deserialize, Serialize};

use super::rest_types::OrderData;
use super::wire_convert::order_report;
use crate::broker::OrderReport;

/// The `update_types` dalal asks the stream for.
pub const ORDER_UPDATES_ONLY: &str = "order";

/// One order update as Upstox sends it: the order row's fields, flat, beside `update_type`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderUpdateMessage {
    pub update_type: String,
    #[serde(flatten)]
    pub order: OrderData,
    #[serde(default)]
    pub instrument_key: String,
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub exchange_timestamp: Option<String>,
}

/// One text frame: the order it reports, `None` for another kind of update, or why it cannot be read.
pub fn read_order_update(text: &str) -> Result<Option<OrderReport>, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    match value.get("update_type").and_then(serde_json::Value::as_str) {
        Some("order") => {}
        Some(_) => return Ok(None),
        None => return Err("an update without an update_type".into()),
    }
    let row: OrderData = serde_json::from_value(value)
        .map_err(|e| format!("an order update dalal cannot read: {e}"))?;
    order_report(row).map(Some).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::OrderState;
    use rust_decimal::dec;

    /// The documented fields (reference §4.2), as the JAVA SDK names them.
    const FILLED: &str = r#"{"update_type":"order","user_id":"AB1234","exchange":"NSE","instrument_token":"NSE_EQ|INE002A01018","instrument_key":"NSE_EQ|INE002A01018","trading_symbol":"RELIANCE","product":"I","order_type":"LIMIT","transaction_type":"BUY","average_price":1016.05,"price":1016.1,"trigger_price":0,"quantity":5,"disclosed_quantity":0,"pending_quantity":0,"order_ref_id":"x","exchange_order_id":"1100000000001","parent_order_id":null,"validity":"DAY","status":"complete","is_amo":false,"variety":"SIMPLE","tag":"dalal-261202-RELI-E1","exchange_timestamp":"02-12-2026 10:15:00","status_message":null,"status_message_raw":null,"order_id":"261202000001","order_request_id":"1","order_timestamp":"02-12-2026 10:15:00","filled_quantity":5,"guid":null,"placed_by":"AB1234"}"#;

    #[test]
    fn an_order_update_reads_as_the_book_row_would() {
        let report = read_order_update(FILLED).unwrap().unwrap();
        assert_eq!(report.order_id, "261202000001");
        assert_eq!(report.tag.as_deref(), Some("dalal-261202-RELI-E1"));
        assert_eq!(report.state, OrderState::Complete);
        assert_eq!(report.filled_quantity, 5);
        assert_eq!(report.average_price, Some(dec!(1016.05)));
    }

    #[test]
    fn other_updates_are_nothing_and_garbage_says_why() {
        let position =
            r#"{"update_type":"position","instrument_token":"NSE_EQ|INE002A01018","quantity":5}"#;
        assert!(read_order_update(position).unwrap().is_none());
        assert!(
            read_order_update("<html>")
                .unwrap_err()
                .contains("not JSON")
        );
        assert!(
            read_order_update(r#"{"order_id":"1"}"#)
                .unwrap_err()
                .contains("update_type")
        );
        let no_status = r#"{"update_type":"order","order_id":"1","instrument_token":"k","transaction_type":"BUY"}"#;
        assert!(
            read_order_update(no_status)
                .unwrap_err()
                .contains("cannot read")
        );
    }

    #[test]
    fn the_simulator_message_round_trips() {
        let message: OrderUpdateMessage = serde_json::from_str(FILLED).unwrap();
        let text = serde_json::to_string(&message).unwrap();
        assert_eq!(
            read_order_update(&text).unwrap(),
            read_order_update(FILLED).unwrap()
        );
    }
}
