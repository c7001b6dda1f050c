//! `dalal instruments upstox`: Upstox's instrument master for the exchanges of the universe (downloaded with a
//! User-Agent, since Upstox's edge refuses a download without one, or a `.json.gz` given), its cash equities
//! stored beside the journal for the config to read, and each universe symbol's key, ISIN, tick size, lot size
//! and freeze quantity printed.

use std::collections::BTreeSet;
use std::process::ExitCode;

use anyhow::Context;
use url::Url;

use super::instruments_command::{InstrumentsArgs, download, found_all, read_file};
use crate::broker::upstox::USER_AGENT;
use crate::broker::upstox::instrument_master::{MASTER_HOST, master_url, read_master};
use crate::calendar::{Clock, to_ist};
use crate::config::{InstrumentMaster, instrument_master_path};

/// The most a downloaded master may take, zipped.
const MAX_DOWNLOAD_BYTES: usize = 128 << 20;

pub fn run(args: &InstrumentsArgs, wanted: &[(String, String)]) -> anyhow::Result<ExitCode> {
    let (rows, skipped, source) = match &args.file {
        Some(path) => {
            let (rows, skipped) = read_master(&read_file(path)?).map_err(|why| {
                anyhow::anyhow!("{} is not an instrument master: {why}", path.display())
            })?;
            (rows, skipped, path.display().to_string())
        }
        None => {
            let host = match &args.base_url {
                Some(base) => base.clone(),
                None => Url::parse(MASTER_HOST)?,
            };
            let exchanges: BTreeSet<&str> = wanted.iter().map(|(x, _)| x.as_str()).collect();
            let (mut rows, mut skipped) = (Vec::new(), 0);
            for exchange in exchanges {
                let url = master_url(&host, exchange)?;
                let (more, unread) =
                    read_master(&download(url.clone(), USER_AGENT, MAX_DOWNLOAD_BYTES)?).map_err(
                        |why| anyhow::anyhow!("{url} is not an instrument master: {why}"),
                    )?;
                rows.extend(more);
                skipped += unread;
            }
            (
                rows,
                skipped,
                host.join("/market-quote/instruments/exchange/")?
                    .to_string(),
            )
        }
    };
    let master = InstrumentMaster {
        source: format!("Upstox instrument master ({source})"),
        read_at: Clock::System.now(),
        rows,
    };
    let path = instrument_master_path(&args.config).map_err(|e| anyhow::anyhow!("{e}"))?;
    master
        .write(&path)
        .with_context(|| format!("cannot store the master at {}", path.display()))?;
    println!(
        "Upstox instrument master: {} cash equities ({skipped} unreadable rows skipped), read {}, stored in {}",
        master.rows.len(),
        to_ist(master.read_at).format("%-d %b %Y %H:%M IST"),
        path.display()
    );
    let listed = master.by_symbol();
    let mut missing = Vec::new();
    for (exchange, symbol) in wanted {
        let Some(row) = listed.get(&(exchange.as_str(), symbol.as_str())) else {
            missing.push(format!("{exchange}:{symbol}"));
            continue;
        };
        let shown = |v: Option<String>| v.unwrap_or_else(|| "none".into());
        println!(
            "{exchange}:{symbol:<12} key {}, ISIN {}, tick {}, lot {}, freeze {}",
            row.upstox_key,
            shown(row.isin.clone()),
            shown(row.tick_size.map(|t| t.to_string())),
            row.lot_size,
            shown(row.freeze_quantity.map(|q| q.to_string())),
        );
    }
    println!(
        "[[universe]] entries may now give the symbol alone; orders round to the master's tick sizes \
         (run this again each morning: Upstox publishes the master daily)"
    );
    Ok(found_all(wanted.len(), &missing, &args.config))
}
