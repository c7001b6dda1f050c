//! `dalal instruments hdfcsky|upstox`: the universe looked up in a broker's instrument master (downloaded, or a
//! file given). For HDFC Sky it prints the `hdfcsky_token` lines dalal.toml needs; for Upstox it prints each
//! symbol's key, ISIN, tick, lot and freeze quantity and stores the master's cash equities beside the journal
//! (see `upstox_master_command`), so entries may then give the symbol alone.
//!
//! It reads only the universe's symbols from dalal.toml, so it works before the keys are there (when the full
//! config check would refuse the broker for want of them).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use url::Url;

use crate::broker::hdfcsky::security_master::{self, MasterInstrument};
use crate::broker::hdfcsky::{SkySegment, USER_AGENT};
use crate::broker::read_body;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MasterBroker {
    Hdfcsky,
    Upstox,
}

#[derive(Debug, clap::Args)]
pub struct InstrumentsArgs {
    #[arg(value_enum)]
    pub broker: MasterBroker,
    /// A master downloaded already (HDFC Sky's ZIP, or an Upstox `.json.gz`); without it the master is
    /// downloaded.
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Another host serving the master at HDFC Sky's or Upstox's path, such as a running `dalal sim`.
    #[arg(long)]
    pub base_url: Option<Url>,
    #[arg(long, default_value = crate::config::DEFAULT_CONFIG_PATH, env = "DALAL_CONFIG")]
    pub config: PathBuf,
}

pub fn run(args: InstrumentsArgs) -> anyhow::Result<ExitCode> {
    let wanted = universe_symbols(&args.config)?;
    match args.broker {
        MasterBroker::Hdfcsky => hdfcsky(&args, &wanted),
        MasterBroker::Upstox => super::upstox_master_command::run(&args, &wanted),
    }
}

fn hdfcsky(args: &InstrumentsArgs, wanted: &[(String, String)]) -> anyhow::Result<ExitCode> {
    let zipped = match &args.file {
        Some(path) => read_file(path)?,
        None => {
            let url = match &args.base_url {
                Some(base) => base.join("/api/v1/contract/Compact?info=download")?,
                None => Url::parse(security_master::DOWNLOAD_URL)?,
            };
            download(url, USER_AGENT, security_master::MAX_ZIP_BYTES)?
        }
    };
    let (instruments, skipped) = security_master::parse_zip(&zipped)?;
    let by_symbol: HashMap<(&str, &str), &MasterInstrument> = instruments
        .iter()
        .filter_map(|i| {
            let exchange = match i.scrip.segment {
                SkySegment::NseCash => "NSE",
                SkySegment::BseCash => "BSE",
                _ => return None,
            };
            Some(((exchange, i.symbol.as_str()), i))
        })
        .collect();
    println!(
        "HDFC Sky security master: {} cash and index instruments ({skipped} unreadable rows skipped)",
        instruments.len()
    );
    let mut missing = Vec::new();
    for (exchange, symbol) in wanted {
        match by_symbol.get(&(exchange.as_str(), symbol.as_str())) {
            Some(found) => println!(
                "{exchange}:{symbol:<12} hdfcsky_token = \"{}\"   # {}, tick {}, lot {}{}",
                found.scrip.token,
                found.trading_symbol,
                found.tick_size,
                found.lot_size,
                if found.isin.is_empty() {
                    String::new()
                } else {
                    format!(", ISIN {}", found.isin)
                }
            ),
            None => missing.push(format!("{exchange}:{symbol}")),
        }
    }
    Ok(found_all(wanted.len(), &missing, &args.config))
}

/// Says whether every instrument was found; the exit code is a failure when one was not.
pub(super) fn found_all(wanted: usize, missing: &[String], config: &Path) -> ExitCode {
    if missing.is_empty() {
        println!("all {wanted} instruments of {} found", config.display());
        ExitCode::SUCCESS
    } else {
        println!(
            "not in the master: {} (use the exchange's symbol without its series, e.g. RELIANCE for RELIANCE-EQ)",
            missing.join(", ")
        );
        ExitCode::FAILURE
    }
}

pub(super) fn read_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// (exchange, symbol) of each `[[universe]]` entry, read without the rest of the config's checks.
fn universe_symbols(config: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(config)
        .with_context(|| format!("cannot read {}", config.display()))?;
    let table: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is not valid TOML", config.display()))?;
    let entries = table
        .get("universe")
        .and_then(|u| u.as_array())
        .with_context(|| format!("{} has no [[universe]] entries", config.display()))?;
    Ok(entries
        .iter()
        .filter_map(|e| {
            let symbol = e.get("symbol")?.as_str()?.to_string();
            let exchange = e
                .get("exchange")
                .and_then(|x| x.as_str())
                .unwrap_or("NSE")
                .to_ascii_uppercase();
            Some((exchange, symbol))
        })
        .collect())
}

/// Downloads `url` (at most `limit` bytes), sending `user_agent`: both brokers' edges refuse a request without one.
pub(super) fn download(url: Url, user_agent: &str, limit: usize) -> anyhow::Result<Vec<u8>> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let response = reqwest::Client::builder()
            .user_agent(user_agent)
            .build()?
            .get(url.clone())
            .send()
            .await
            .with_context(|| format!("cannot download the instrument master from {url}"))?;
        let status = response.status();
        anyhow::ensure!(
            status.is_success(),
            "the instrument master download from {url} answered HTTP {status}"
        );
        let body = read_body(response, limit, "instrument master")
            .await
            .map_err(|e| anyhow::anyhow!("cannot download the instrument master: {e}"))?;
        Ok(body.to_vec())
    })
}
