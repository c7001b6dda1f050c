//! HDFC Sky's funds, read into the few figures dalal shows. A pure reader, so it is fuzzed apart from the socket.
//!
//! The call is V1, `GET /oapi/v1/funds/view?type=all`: the V2 path the docs describe answers 404 with an empty
//! body in production. V1's `data` is a label/value table, `values: [["Available Margin", "8239.85"], …]`, with
//! the MTM figures also named at its top (`realized_mtm`, `unrealized_mtm`), which are preferred. Values come as
//! text (possibly with thousands separators) or as numbers; rows shaped as the V2 docs show them,
//! `{"0": label, "1": value}`, are read too.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

use super::rest_types::FundsView;
use crate::broker::{BrokerError, ErrorClass};
use crate::domain::decimal_from_wire;

pub const ENDPOINT: &str = "/oapi/v1/funds/view";
/// The path and query of the call (without `api_key` and `client_id`, which the client adds).
pub const QUERY: &str = "/oapi/v1/funds/view?type=all";

/// The table's labels dalal reads.
pub const AVAILABLE_MARGIN: &str = "Available Margin";
pub const MARGIN_USED: &str = "Margin Used";
pub const REALIZED_MTM: &str = "Realized MTM";
pub const UNREALIZED_MTM: &str = "Unrealized MTM";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Funds {
    /// What the account can still commit to new orders.
    pub available_margin: Decimal,
    pub margin_used: Option<Decimal>,
    pub realized_mtm: Option<Decimal>,
    pub unrealized_mtm: Option<Decimal>,
}

/// The figures of one answer's `data`; without an available margin it cannot be read.
pub fn read_funds(view: FundsView) -> Result<Funds, BrokerError> {
    let rows: Vec<(String, &Value)> = view.values.iter().filter_map(label_and_value).collect();
    let row = |label: &str| {
        rows.iter()
            .find(|(l, _)| *l == squeezed(label))
            .and_then(|(_, v)| amount(v))
    };
    let available_margin = row(AVAILABLE_MARGIN).ok_or_else(|| {
        BrokerError::new(
            ErrorClass::Malformed,
            ENDPOINT,
            format!("no readable {AVAILABLE_MARGIN:?} row"),
        )
    })?;
    Ok(Funds {
        available_margin,
        margin_used: row(MARGIN_USED),
        realized_mtm: amount(&view.realized_mtm).or_else(|| row(REALIZED_MTM)),
        unrealized_mtm: amount(&view.unrealized_mtm).or_else(|| row(UNREALIZED_MTM)),
    })
}

/// A row's label (squeezed, so spacing and case do not matter) and value: `[label, value]` or
/// `{"0": label, "1": value}`.
fn label_and_value(row: &Value) -> Option<(String, &Value)> {
    let (label, value) = match row {
        Value::Array(pair) => (pair.first()?, pair.get(1)?),
        Value::Object(keyed) => (keyed.get("0")?, keyed.get("1")?),
        _ => return None,
    };
    Some((squeezed(label.as_str()?), value))
}

fn squeezed(label: &str) -> String {
    label
        .split_whitespace()
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Rupees given as a number or as text such as `"1,00,000.50"`.
fn amount(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(n) => decimal_from_wire(n.as_f64()?).ok(),
        Value::String(text) => {
            let digits: String = text
                .chars()
                .filter(|c| *c != ',' && !c.is_whitespace())
                .collect();
            Decimal::from_str(&digits).ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn view(data: serde_json::Value) -> FundsView {
        serde_json::from_value(data).unwrap()
    }

    #[test]
    fn v1_pairs_are_read_as_text_or_numbers_and_the_named_mtm_wins() {
        let funds = read_funds(view(serde_json::json!({
            "client_id": "C1", "headers": ["Description", "all"],
            "realized_mtm": "-12.50", "unrealized_mtm": 3.25,
            "values": [["Available  margin", "1,00,000.50"], ["Margin Used", 19.34], ["Realized MTM", "99"],
                       ["Pledge Benefit"], 7],
        })))
        .unwrap();
        assert_eq!(
            funds,
            Funds {
                available_margin: dec!(100000.50),
                margin_used: Some(dec!(19.34)),
                realized_mtm: Some(dec!(-12.50)),
                unrealized_mtm: Some(dec!(3.25)),
            }
        );
    }

    #[test]
    fn v2_shaped_rows_are_read_and_a_missing_available_margin_is_malformed() {
        let funds = read_funds(view(serde_json::json!({
            "values": [{"0": "Available Margin", "1": "8239.85"}, {"0": "Unrealized MTM", "1": "-0.05"}],
        })))
        .unwrap();
        assert_eq!(funds.available_margin, dec!(8239.85));
        assert_eq!(
            (funds.margin_used, funds.unrealized_mtm),
            (None, Some(dec!(-0.05)))
        );
        let e = read_funds(view(serde_json::json!({
            "values": [["Available Margin", "n/a"], ["Margin Used", "1"]],
        })))
        .unwrap_err();
        assert_eq!(e.class, ErrorClass::Malformed);
    }
}
