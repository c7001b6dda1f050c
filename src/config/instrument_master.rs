//! The broker's instrument master as dalal keeps it: the cash-equity rows of Upstox's master (`dalal instruments
//! upstox` downloads and stores them beside the journal), read when the config loads so a `[[universe]]` entry
//! may name its instrument by symbol alone and every order rounds to the master's tick size. The price-band
//! fallback is for instruments no master at hand lists.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One cash-equity instrument as the master lists it, tick size in rupees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MasterRow {
    /// `NSE` or `BSE`.
    pub exchange: String,
    pub symbol: String,
    pub isin: Option<String>,
    pub upstox_key: String,
    pub tick_size: Option<Decimal>,
    pub lot_size: u32,
    pub freeze_quantity: Option<u32>,
}

/// The stored master: where it came from, when it was read, and its rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstrumentMaster {
    pub source: String,
    pub read_at: DateTime<Utc>,
    pub rows: Vec<MasterRow>,
}

/// Where the master lives for a journal at `journal_path`: beside it, in the data folder.
pub fn master_path(journal_path: &Path) -> PathBuf {
    journal_path.with_file_name("upstox-instruments.json")
}

impl InstrumentMaster {
    /// The master at `path`: `None` when there is none; one that cannot be read is named in a warning and
    /// treated as absent (the next `dalal instruments upstox` replaces it).
    pub fn read(path: &Path) -> Option<InstrumentMaster> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "the instrument master cannot be read; ignoring it");
                return None;
            }
        };
        serde_json::from_str(&text)
            .map_err(|e| {
                tracing::warn!(path = %path.display(), error = %e, "the instrument master is not dalal's format; ignoring it; run `dalal instruments upstox` again");
            })
            .ok()
    }

    /// Writes it to `path` (whole, through a temporary file, so a reader never sees half of it).
    pub fn write(&self, path: &Path) -> io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_string(self).map_err(io::Error::other)?;
        let partial = path.with_extension("json.partial");
        std::fs::write(&partial, text)?;
        std::fs::rename(&partial, path)
    }

    /// The rows by (exchange, symbol).
    pub fn by_symbol(&self) -> HashMap<(&str, &str), &MasterRow> {
        self.rows
            .iter()
            .map(|r| ((r.exchange.as_str(), r.symbol.as_str()), r))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn a_written_master_reads_back_and_a_broken_one_is_absent() {
        let dir = std::env::temp_dir().join(format!("dalal-master-{}", std::process::id()));
        let path = master_path(&dir.join("journal.sqlite"));
        let master = InstrumentMaster {
            source: "test".into(),
            read_at: DateTime::from_timestamp(1_764_000_000, 0).unwrap(),
            rows: vec![MasterRow {
                exchange: "NSE".into(),
                symbol: "RELIANCE".into(),
                isin: Some("INE002A01018".into()),
                upstox_key: "NSE_EQ|INE002A01018".into(),
                tick_size: Some(dec!(0.1)),
                lot_size: 1,
                freeze_quantity: Some(100_000),
            }],
        };
        master.write(&path).unwrap();
        let read = InstrumentMaster::read(&path).unwrap();
        assert_eq!(read, master);
        assert_eq!(
            read.by_symbol()[&("NSE", "RELIANCE")].tick_size,
            Some(dec!(0.1))
        );
        std::fs::write(&path, "{").unwrap();
        assert!(InstrumentMaster::read(&path).is_none());
        assert!(InstrumentMaster::read(&dir.join("none.json")).is_none());
        let _ = std::fs::remove_dir_all(dir);
    }
}
