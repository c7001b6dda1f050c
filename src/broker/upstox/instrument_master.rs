//! Upstox's instrument master (§8.2 of the reference): a gzipped JSON array published each morning per exchange
//! (`NSE.json.gz`, `BSE.json.gz`) or whole (`complete.json.gz`). dalal keeps its cash-equity rows (`NSE_EQ`,
//! `BSE_EQ`), each read on its own so one odd row never loses the others.
//!
//! The JSON's `tick_size` is in paise (a ₹0.05 tick is written `5.0`), while the CSV master gives rupees; that
//! reading is third-party and unconfirmed, so the unit is decided once per file: a fractional tick anywhere
//! among its equities (which cannot be paise: the smallest tick is one paisa) makes the whole file rupees.

use std::io::Read;

use flate2::read::GzDecoder;
use rust_decimal::Decimal;
use serde::Deserialize;
use url::Url;

use crate::broker::{RowSkips, readable_rows};
use crate::config::MasterRow;
use crate::domain::decimal_from_wire;

/// Where Upstox publishes the master.
pub const MASTER_HOST: &str = "https://assets.upstox.com";
/// The most a master may take unzipped: the whole of NSE (derivatives included) is well under it.
pub const MAX_MASTER_BYTES: u64 = 512 << 20;

/// The master file of one exchange (`NSE`, `BSE`) on `host`.
pub fn master_url(host: &Url, exchange: &str) -> Result<Url, url::ParseError> {
    host.join(&format!(
        "/market-quote/instruments/exchange/{exchange}.json.gz"
    ))
}

/// The fields dalal reads; each is taken as it comes and checked by `equity_row`.
#[derive(Debug, Deserialize)]
struct RawRow {
    segment: String,
    instrument_key: String,
    trading_symbol: String,
    #[serde(default)]
    isin: Option<String>,
    #[serde(default)]
    tick_size: Option<f64>,
    #[serde(default)]
    lot_size: Option<f64>,
    #[serde(default)]
    freeze_quantity: Option<f64>,
}

/// The cash-equity rows of a gzipped master, and how many rows could not be read.
pub fn read_master(gzipped: &[u8]) -> Result<(Vec<MasterRow>, usize), String> {
    let mut text = Vec::new();
    GzDecoder::new(gzipped)
        .take(MAX_MASTER_BYTES + 1)
        .read_to_end(&mut text)
        .map_err(|e| format!("not a gzip file: {e}"))?;
    if text.len() as u64 > MAX_MASTER_BYTES {
        return Err(format!(
            "larger than {} MiB unzipped",
            MAX_MASTER_BYTES >> 20
        ));
    }
    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(&text).map_err(|e| format!("not a JSON list: {e}"))?;
    let skips = RowSkips::default();
    let equities: Vec<(&'static str, RawRow)> =
        readable_rows(rows, "instrument master", &skips, |row: RawRow| {
            Ok(equity_exchange(&row.segment).map(|exchange| (exchange, row)))
        })
        .into_iter()
        .flatten()
        .collect();
    let in_rupees = equities
        .iter()
        .filter_map(|(_, row)| row.tick_size)
        .any(|tick| tick.fract() != 0.0);
    let rows = equities
        .into_iter()
        .map(|(exchange, row)| master_row(exchange, row, in_rupees))
        .collect();
    Ok((rows, skips.take().len()))
}

/// The exchange of a cash-equity segment; `None` for any other segment.
fn equity_exchange(segment: &str) -> Option<&'static str> {
    match segment {
        "NSE_EQ" => Some("NSE"),
        "BSE_EQ" => Some("BSE"),
        _ => None,
    }
}

fn master_row(exchange: &str, row: RawRow, ticks_in_rupees: bool) -> MasterRow {
    let whole = |v: Option<f64>| {
        v.filter(|v| v.is_finite() && *v >= 0.0 && v.fract() == 0.0 && *v <= f64::from(u32::MAX))
            .map(|v| v as u32)
    };
    let tick = row
        .tick_size
        .and_then(|t| decimal_from_wire(t).ok())
        .filter(|t| *t > Decimal::ZERO)
        .map(|t| {
            if ticks_in_rupees {
                t
            } else {
                (t / Decimal::ONE_HUNDRED).normalize()
            }
        });
    MasterRow {
        exchange: exchange.into(),
        symbol: row.trading_symbol,
        isin: row.isin.filter(|i| !i.is_empty()),
        upstox_key: row.instrument_key,
        tick_size: tick,
        lot_size: whole(row.lot_size).filter(|l| *l > 0).unwrap_or(1),
        freeze_quantity: whole(row.freeze_quantity).filter(|q| *q > 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use rust_decimal::dec;
    use std::io::Write;

    fn gzip(text: &str) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(text.as_bytes()).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn equity_rows_are_kept_with_their_tick_in_rupees() {
        let master = gzip(
            r#"[
            {"segment":"NSE_EQ","name":"RELIANCE INDUSTRIES LTD","exchange":"NSE","isin":"INE002A01018","instrument_type":"EQ","instrument_key":"NSE_EQ|INE002A01018","lot_size":1,"freeze_quantity":100000.0,"exchange_token":"2885","tick_size":10.0,"trading_symbol":"RELIANCE","short_name":"Reliance","security_type":"NORMAL"},
            {"segment":"NSE_FO","instrument_key":"NSE_FO|43919","trading_symbol":"RELIANCE26DECFUT","tick_size":10.0,"lot_size":500},
            {"segment":"NSE_INDEX","instrument_key":"NSE_INDEX|Nifty 50","trading_symbol":"NIFTY","tick_size":null},
            {"segment":"BSE_EQ","instrument_key":"BSE_EQ|INE002A01018","trading_symbol":"RELIANCE","isin":"INE002A01018","tick_size":5.0,"lot_size":1},
            {"segment":"NSE_EQ","trading_symbol":"NOKEY"},
            "garbage"
        ]"#,
        );
        let (rows, skipped) = read_master(&master).unwrap();
        assert_eq!(skipped, 2);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].exchange, "NSE");
        assert_eq!(rows[0].upstox_key, "NSE_EQ|INE002A01018");
        assert_eq!(rows[0].tick_size, Some(dec!(0.1)), "10 paise");
        assert_eq!(rows[0].freeze_quantity, Some(100_000));
        assert_eq!(rows[1].exchange, "BSE");
        assert_eq!(rows[1].tick_size, Some(dec!(0.05)));
    }

    #[test]
    fn a_file_with_a_fractional_tick_is_read_in_rupees_throughout() {
        let master = gzip(
            r#"[
            {"segment":"NSE_EQ","instrument_key":"NSE_EQ|INE002A01018","trading_symbol":"RELIANCE","tick_size":0.05},
            {"segment":"NSE_EQ","instrument_key":"NSE_EQ|INE176A01028","trading_symbol":"MRF","tick_size":5.0}
        ]"#,
        );
        let (rows, _) = read_master(&master).unwrap();
        let ticks: Vec<_> = rows.iter().map(|r| r.tick_size).collect();
        assert_eq!(ticks, [Some(dec!(0.05)), Some(dec!(5))]);
    }

    #[test]
    fn what_is_not_a_master_says_why() {
        assert!(read_master(b"plain").unwrap_err().contains("gzip"));
        assert!(read_master(&gzip("{}")).unwrap_err().contains("JSON list"));
    }
}
