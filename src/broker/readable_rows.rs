//! Lists read row by row: the order book, trades, positions and holiday lists of either broker.
//!
//! A broker adds row shapes without notice (HDFC Sky's book carries currency-derivative rows dalal's types do not
//! describe). Read as one typed list, one such row fails the whole call and blinds fill detection and
//! reconciliation for every order; read row by row, the unreadable row is skipped and the others still count.
//! Each skipped row is kept in its client's `RowSkips` with its raw form, for the session to journal and count
//! and for `dalal doctor` to name.

use std::sync::Mutex;

use serde::de::DeserializeOwned;

use super::BrokerError;

/// The most of a skipped row's raw JSON kept: enough to see what it was.
const RAW_KEPT_CHARS: usize = 400;

/// A row a broker list carried that dalal could not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRow {
    pub endpoint: String,
    /// Its position in the list, from 0.
    pub row: usize,
    pub why: String,
    /// The row as the broker sent it (cut at 400 characters).
    pub raw: String,
}

impl std::fmt::Display for SkippedRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "row {} of {} skipped: {}; as sent: {}",
            self.row, self.endpoint, self.why, self.raw
        )
    }
}

/// The rows a client skipped and nobody has taken yet.
#[derive(Debug, Default)]
pub struct RowSkips(Mutex<Vec<SkippedRow>>);

impl RowSkips {
    pub fn take(&self) -> Vec<SkippedRow> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn push(&self, row: SkippedRow) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(row);
    }
}

/// The rows of `raw` that read as `T` and convert with `convert`; each row that does not is skipped with a
/// warning naming `endpoint`, its position and why, and kept in `skips` with its raw form.
pub fn readable_rows<T, R>(
    raw: Vec<serde_json::Value>,
    endpoint: &str,
    skips: &RowSkips,
    convert: impl Fn(T) -> Result<R, BrokerError>,
) -> Vec<R>
where
    T: DeserializeOwned,
{
    raw.into_iter()
        .enumerate()
        .filter_map(|(i, row)| {
            let as_sent: String = row.to_string().chars().take(RAW_KEPT_CHARS).collect();
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
                    skips.push(SkippedRow {
                        endpoint: endpoint.to_string(),
                        row: i,
                        why,
                        raw: as_sent,
                    });
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
        let skips = RowSkips::default();
        let kept = readable_rows(raw, "/book", &skips, |r: Row| {
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
        let skipped = skips.take();
        let rows: Vec<usize> = skipped.iter().map(|s| s.row).collect();
        assert_eq!(rows, [1, 2, 3]);
        assert_eq!(skipped[1].raw, r#"{"segment":"CDS"}"#);
        assert!(skips.take().is_empty(), "taken once");
    }
}
