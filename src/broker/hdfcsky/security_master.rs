//! HDFC Sky's security master: a ZIP holding `CompactScrip.csv` (about 182k rows), public at
//! `https://hdfcsky.com/api/v1/contract/Compact?info=download`. dalal reads the cash and index rows it needs
//! into instruments: exchange token, trading symbol (series suffix stripped), tick and lot size.
//!
//! `dalal instruments hdfcsky` uses it to find the `hdfcsky_token` of a universe; rows that do not parse are
//! counted and skipped, never fatal, because one odd contract must not hide the rest.

use std::io::{Cursor, Read};

use rust_decimal::Decimal;
use serde::Deserialize;
use thiserror::Error;

use super::scrip::{ScripId, SkySegment};

pub const DOWNLOAD_URL: &str = "https://hdfcsky.com/api/v1/contract/Compact?info=download";
pub const CSV_NAME: &str = "CompactScrip.csv";
/// The largest master ZIP downloaded; today's is a few MiB.
pub const MAX_ZIP_BYTES: usize = 64 << 20;
/// The largest CSV unpacked from it (today's is about 20 MiB): a ZIP bomb stops here, not at the end of memory.
pub const MAX_CSV_BYTES: u64 = 256 << 20;

#[derive(Debug, Error)]
pub enum SecurityMasterError {
    #[error("the security master is not a readable ZIP: {0}")]
    Zip(String),
    #[error("the security master ZIP has no {CSV_NAME}")]
    NoCsv,
    #[error("{CSV_NAME} cannot be read: {0}")]
    Csv(String),
    #[error("{CSV_NAME} unpacks to more than {0} bytes; refused (a broken or hostile download)")]
    TooLarge(u64),
}

/// One cash or index instrument of the master.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterInstrument {
    pub scrip: ScripId,
    /// The symbol without its series: `RELIANCE` for `RELIANCE-EQ`.
    pub symbol: String,
    pub trading_symbol: String,
    pub tick_size: Decimal,
    pub lot_size: u32,
    pub isin: String,
}

#[derive(Debug, Deserialize)]
struct Row {
    exchange_token: String,
    trading_symbol: String,
    #[serde(default)]
    tick_size: String,
    #[serde(default)]
    lot_size: String,
    #[serde(default)]
    segment: String,
    exchange: String,
    #[serde(default)]
    isin: String,
}

/// The cash and index instruments of a master ZIP, and how many rows were skipped as unreadable.
pub fn parse_zip(bytes: &[u8]) -> Result<(Vec<MasterInstrument>, usize), SecurityMasterError> {
    parse_zip_within(bytes, MAX_CSV_BYTES)
}

fn parse_zip_within(
    bytes: &[u8],
    limit: u64,
) -> Result<(Vec<MasterInstrument>, usize), SecurityMasterError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| SecurityMasterError::Zip(e.to_string()))?;
    let file = archive
        .by_name(CSV_NAME)
        .map_err(|_| SecurityMasterError::NoCsv)?;
    let mut text = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut text)
        .map_err(|e| SecurityMasterError::Zip(e.to_string()))?;
    if text.len() as u64 > limit {
        return Err(SecurityMasterError::TooLarge(limit));
    }
    parse_csv(&text)
}

pub fn parse_csv(text: &[u8]) -> Result<(Vec<MasterInstrument>, usize), SecurityMasterError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text);
    let mut instruments = Vec::new();
    let mut skipped = 0;
    for row in reader.deserialize::<Row>() {
        let row = match row {
            Ok(row) => row,
            Err(e) if e.is_io_error() => return Err(SecurityMasterError::Csv(e.to_string())),
            Err(_) => {
                skipped += 1;
                continue;
            }
        };
        match instrument(&row) {
            Some(Some(instrument)) => instruments.push(instrument),
            Some(None) => {}
            None => skipped += 1,
        }
    }
    Ok((instruments, skipped))
}

/// `Some(None)` for a row of a segment dalal does not trade; `None` for a row that does not parse.
fn instrument(row: &Row) -> Option<Option<MasterInstrument>> {
    let segment = match (row.exchange.as_str(), row.segment.as_str()) {
        ("NSE", "INDICES") => SkySegment::NseIndex,
        ("BSE", "IDX") => SkySegment::BseIndex,
        ("NSE", _) => SkySegment::NseCash,
        ("BSE", _) => SkySegment::BseCash,
        _ => return Some(None),
    };
    let token = row.exchange_token.parse().ok()?;
    let index = matches!(segment, SkySegment::NseIndex | SkySegment::BseIndex);
    let symbol = match row.trading_symbol.rsplit_once('-') {
        Some((base, _series)) if !index => base.to_string(),
        _ => row.trading_symbol.clone(),
    };
    Some(Some(MasterInstrument {
        scrip: ScripId { segment, token },
        symbol,
        trading_symbol: row.trading_symbol.clone(),
        tick_size: row
            .tick_size
            .parse()
            .ok()
            .filter(|t: &Decimal| *t > Decimal::ZERO)?,
        lot_size: row.lot_size.parse().unwrap_or(1).max(1),
        isin: row.isin.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const CSV: &str =
        "exchange_token,trading_symbol,company_name,close_price,expiry,strike,tick_size,lot_size,\
instrument_name,option_type,segment,exchange,fin_instrm_pdct_tp_cd,asset_code,settlement_type,isin
2885,RELIANCE-EQ,RELIANCE INDUSTRIES,1543.2,01-Jan-0001,-0.01,0.1,1,EQ,,EQ,NSE,STK,,,INE002A01018
11915,BAJAJ-AUTO-EQ,BAJAJ AUTO,9000,01-Jan-0001,-0.01,0.5,1,EQ,,EQ,NSE,STK,,,INE917I01010
26000,NIFTY 50,NIFTY 50,26205.3,01-Jan-0001,-0.01,0.05,1,INDEX,,INDICES,NSE,IDX,,,
35001,NIFTY26AUGFUT,NIFTY,26300,27-Aug-2026,-0.01,0.1,75,FUTIDX,,FO,NFO,FUT,,,
oops,BROKEN-EQ,BROKEN,1,01-Jan-0001,-0.01,0.05,1,EQ,,EQ,NSE,STK,,,
";

    #[test]
    fn cash_and_index_rows_come_out_of_the_zip_and_a_bad_row_is_counted() {
        let mut zipped = Cursor::new(Vec::new());
        {
            let mut writer = zip::ZipWriter::new(&mut zipped);
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            writer.start_file(CSV_NAME, options).unwrap();
            writer.write_all(CSV.as_bytes()).unwrap();
            writer.finish().unwrap();
        }
        let (instruments, skipped) = parse_zip(zipped.get_ref()).unwrap();
        assert!(matches!(
            parse_zip_within(zipped.get_ref(), CSV.len() as u64 - 1),
            Err(SecurityMasterError::TooLarge(_))
        ));
        assert_eq!(skipped, 1);
        let names: Vec<(String, String)> = instruments
            .iter()
            .map(|i| (i.scrip.to_string(), i.symbol.clone()))
            .collect();
        assert_eq!(
            names,
            [
                ("NSE_2885".to_string(), "RELIANCE".to_string()),
                ("NSE_11915".into(), "BAJAJ-AUTO".into()),
                ("NSE_INDEX_26000".into(), "NIFTY 50".into()),
            ]
        );
        assert_eq!(instruments[0].tick_size.to_string(), "0.1");
        assert!(matches!(
            parse_zip(b"not a zip"),
            Err(SecurityMasterError::Zip(_))
        ));
    }
}
