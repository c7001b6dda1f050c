//! Lists read row by row: the order book, trades, positions and holiday lists of either broker.
//!
//! A broker adds row shapes without notice (HDFC Sky's book carries currency-derivative rows dalal's types do not
//! describe). Read as one typed list, one such row fails the whole call and blinds fill detection and
//! reconciliation for every order; read row by row, the unreadable row is named in a warning and the others
//! still count.

use serde::de::DeserializeOwned;

use super::BrokerError;

/// The rows of `raw` that read as `T` and convert with `convert`; each row that does not is skipped with a
/// warning naming `endpoint`, its position and why (the row itself is not logged).
pub fn readable_rows<T, R>(
    raw: Vec<serde_json::Value>,
    endpoint: &str,
    convert: impl Fn(T) -> Result<R, BrokerError>,
) -> Vec<R>
where
    T: DeserializeOwned,
{
    raw.into_iter()
        .enumerate()
        .filter_map(|(i, row)| {
            let read = serde_json::from_value::<T>(row)
                .map_err(|e| e.to_string())
                .and_then(|row| convert(row).map_err(|e| e.to_string()));
            match read {
                Ok(row) => Some(row),
                Err(why) => {
                    tracing::warn!(
                        endpoint,
                        row = i,
                        "a row the client cannot read was skipped; the others count: {why}"
                    );
                    None
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Row {
        qty: u32,
    }

    #[test]
    fn an_unreadable_row_is_skipped_and_the_others_kept() {
        let raw = serde_json::json!([{"qty": 5}, {"qty": "lots"}, {"segment": "CDS"}, {"qty": 0}, {"qty": 7}]);
        let serde_json::Value::Array(raw) = raw else {
            unreachable!()
        };
        let kept = readable_rows(raw, "/book", |r: Row| {
            if r.qty == 0 {
                Err(BrokerError::new(
                    crate::broker::ErrorClass::Malformed,
                    "/book",
                    "a zero quantity",
                ))
            } else {
                Ok(r.qty)
            }
        });
        assert_eq!(kept, [5, 7]);
    }
}
