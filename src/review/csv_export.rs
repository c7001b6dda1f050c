//! The round trips as CSV, one row per trade, for a spreadsheet or a tax tool. Times are IST; money in rupees
//! as exact decimals.

use std::path::Path;

use serde::Serialize;

use super::figures::Figures;
use crate::calendar::to_ist;

#[derive(Serialize)]
struct CsvRow<'a> {
    instrument: &'a str,
    side: &'a str,
    quantity: u32,
    entry_time_ist: String,
    entry_price: String,
    exit_time_ist: String,
    exit_price: String,
    gross_pnl: String,
    charges: String,
    net_pnl: String,
    slippage: String,
    exit_reason: &'a str,
    mode: &'static str,
}

pub fn write_csv(figures: &Figures, path: &Path) -> Result<(), csv::Error> {
    let mut writer = csv::Writer::from_path(path)?;
    for t in &figures.trades {
        writer.serialize(CsvRow {
            instrument: &t.instrument,
            side: &t.side,
            quantity: t.quantity,
            entry_time_ist: to_ist(t.entry_time).format("%Y-%m-%d %H:%M:%S").to_string(),
            entry_price: t.entry_price.to_string(),
            exit_time_ist: to_ist(t.exit_time).format("%Y-%m-%d %H:%M:%S").to_string(),
            exit_price: t.exit_price.to_string(),
            gross_pnl: t.gross.to_string(),
            charges: t.charges.to_string(),
            net_pnl: t.net.to_string(),
            slippage: t.slippage.to_string(),
            exit_reason: &t.exit_reason,
            mode: if t.paper { "paper" } else { "live" },
        })?;
    }
    writer.flush()?;
    Ok(())
}
