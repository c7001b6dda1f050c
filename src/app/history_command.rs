//! `dalal history`: candles fetched once and kept. `fetch` downloads what the store lacks from the configured
//! broker (or the built-in simulator, through either broker's API) in request-sized pieces inside the broker's
//! rate budget, with a progress bar, resumable after any interruption; `status` says what the store holds.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::{NaiveDate, TimeDelta};

use super::broker_reach::{BrokerReach, LiveBroker, SimApi};
use super::history_progress::{FetchProgress, summary};
use super::{hdfcsky_setup, upstox_setup};
use crate::broker::RestSettings;
use crate::calendar::{Clock, MarketCalendar, to_ist};
use crate::config::{BotConfig, BrokerName};
use crate::domain::{CandleInterval, InstrumentId};
use crate::history::{
    CandleSource, FetchReport, FetchRequest, HdfcSkyCandles, HistoryStore, UpstoxCandles,
    fetch_history, history_path,
};
use crate::sim::Scenario;

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    #[command(subcommand)]
    pub action: HistoryAction,
    #[arg(long, global = true, default_value = crate::config::DEFAULT_CONFIG_PATH, env = "DALAL_CONFIG")]
    pub config: PathBuf,
    /// The store; by default data/history.sqlite beside the journal (with `broker = "sim"`,
    /// data/sim-history.sqlite).
    #[arg(long, global = true)]
    pub store: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
pub enum HistoryAction {
    /// Download candles from the configured broker into the store: only the trading days it lacks, in pieces
    /// each broker accepts, inside its rate budget. Interrupted, it resumes where it stopped on the next run.
    Fetch(FetchArgs),
    /// What the store holds, per instrument and interval: first and last day, days, candles.
    Status,
}

#[derive(Debug, clap::Args)]
pub struct FetchArgs {
    /// The first day (IST), e.g. 2026-01-01.
    #[arg(long)]
    pub from: NaiveDate,
    /// The last day (IST); yesterday when left out. Today and later are never fetched: a day's candles are
    /// final only after its close.
    #[arg(long)]
    pub to: Option<NaiveDate>,
    /// Symbols from the universe, comma-separated (RELIANCE or NSE:RELIANCE); all of them when left out.
    #[arg(long, value_delimiter = ',')]
    pub instruments: Vec<String>,
    /// `1m` (one-minute candles) or `day`.
    #[arg(long, default_value = "1m")]
    pub interval: CandleInterval,
    /// With the simulator: which broker's API to fetch through (both serve the same candles).
    #[arg(long, value_enum, default_value_t = SimApi::Upstox)]
    pub sim_api: SimApi,
    /// With the simulator: a scenario file (seed, instruments) instead of the built-in one.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// With a broker: a file holding the access token (mode 600); else UPSTOX_ACCESS_TOKEN (or
    /// UPSTOX_ANALYTICS_TOKEN, preferred for market data) or HDFCSKY_ACCESS_TOKEN.
    #[arg(long, env = "DALAL_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// With a broker: another host speaking its API (HDFC Sky's UAT host, or a running `dalal sim`).
    #[arg(long)]
    pub base_url: Option<url::Url>,
    /// Requests in flight at once; each still waits for room in the broker's rate budget.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
}

pub fn run(args: HistoryArgs) -> anyhow::Result<ExitCode> {
    let bot = match BotConfig::load(&args.config) {
        Ok(bot) => bot,
        Err(errors) => {
            eprint!("{errors}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let store_path = args
        .store
        .clone()
        .unwrap_or_else(|| history_path(&bot.journal_path, bot.broker == BrokerName::Sim));
    match args.action {
        HistoryAction::Status => status(&store_path),
        HistoryAction::Fetch(fetch) => {
            let runtime =
                tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            runtime.block_on(fetch_command(fetch, bot, store_path))
        }
    }
}

fn status(path: &Path) -> anyhow::Result<ExitCode> {
    if !path.exists() {
        println!(
            "history store {}: empty (nothing fetched yet)",
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let store = HistoryStore::open(path)?;
    let holdings = store.holdings()?;
    println!("history store {}", path.display());
    println!(
        "{:<16} {:<8} {:<10}  {:<10}  {:>6} {:>6} {:>10}",
        "instrument", "interval", "first", "last", "days", "empty", "candles"
    );
    for h in &holdings {
        println!(
            "{:<16} {:<8} {}  {}  {:>6} {:>6} {:>10}",
            h.instrument, h.interval, h.first, h.last, h.days, h.empty_days, h.candles
        );
    }
    if holdings.is_empty() {
        println!("(nothing fetched yet)");
    }
    Ok(ExitCode::SUCCESS)
}

/// The universe's instruments that `wanted` names (all when empty), or an error naming an unknown one.
pub(super) fn chosen_instruments(
    bot: &BotConfig,
    wanted: &[String],
) -> anyhow::Result<Vec<InstrumentId>> {
    let universe: Vec<InstrumentId> = bot.universe.iter().map(|i| i.id.clone()).collect();
    if wanted.is_empty() {
        return Ok(universe);
    }
    wanted
        .iter()
        .map(|name| {
            let name = name.trim().to_ascii_uppercase();
            universe
                .iter()
                .find(|id| id.symbol == name || id.to_string() == name)
                .cloned()
                .with_context(|| {
                    format!(
                        "`{name}` is not in the universe of {}: it has {}",
                        bot.path.display(),
                        universe
                            .iter()
                            .map(|id| id.symbol.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
        })
        .collect()
}

async fn fetch_command(
    args: FetchArgs,
    bot: BotConfig,
    store_path: PathBuf,
) -> anyhow::Result<ExitCode> {
    let instruments = chosen_instruments(&bot, &args.instruments)?;
    let calendar = MarketCalendar::new(bot.calendar.clone());
    let today = to_ist(Clock::System.now()).date_naive();
    let to = args.to.unwrap_or(today - TimeDelta::days(1));
    if args.from > to {
        bail!("--from {} is after --to {to}", args.from);
    }
    if to >= today {
        eprintln!(
            "note: {today} and later are left out: a day's candles are final only after its close"
        );
    }
    let mut _sim = None;
    let (reach, origin, source_name) = match bot.broker {
        BrokerName::Sim => {
            let scenario = match &args.scenario {
                Some(path) => Scenario::load(path)?,
                None => Scenario::built_in(),
            };
            let (sim, reach) = super::sim_command::start_in_process(
                &Clock::System,
                &calendar,
                scenario,
                args.sim_api,
            )
            .await?;
            let api = match args.sim_api {
                SimApi::Upstox => "Upstox",
                SimApi::Hdfcsky => "HDFC Sky",
            };
            let origin = format!(
                "the built-in simulator at {} through its {api} API",
                sim.base_url()
            );
            _sim = Some(sim);
            (reach, origin, "sim")
        }
        live => {
            let broker = if live == BrokerName::Upstox {
                LiveBroker::Upstox
            } else {
                LiveBroker::HdfcSky
            };
            let reach =
                BrokerReach::live(broker, args.base_url.as_ref(), args.token_file.as_ref())?;
            let origin = reach.describe();
            (reach, origin, live.as_str())
        }
    };
    let heading = format!(
        "dalal history: {} instruments, {} candles, {} to {to}, from {origin}",
        instruments.len(),
        args.interval,
        args.from
    );
    let mut store = HistoryStore::open(&store_path)?.with_source(source_name);
    let request = FetchRequest {
        calendar: &calendar,
        instruments: &instruments,
        interval: args.interval,
        from: args.from,
        to,
        today,
        concurrency: args.concurrency,
    };
    let started = Instant::now();
    let report = match reach {
        BrokerReach::Upstox {
            hosts,
            tokens,
            data_tokens,
        } => {
            // Historical candles are market data: the analytics token carries them when one is set.
            let tokens = data_tokens.unwrap_or(tokens);
            let rest = upstox_setup::rest_client(hosts, &tokens, RestSettings::default())?;
            let chosen = |symbol: &str| instruments.iter().any(|id| id.symbol == symbol);
            let keys: HashMap<InstrumentId, String> = upstox_setup::upstox_keys(&bot, chosen)?
                .into_iter()
                .map(|(key, id)| (id, key))
                .collect();
            fetch_with(&UpstoxCandles { rest, keys }, &mut store, &request).await?
        }
        BrokerReach::HdfcSky {
            base,
            api_key,
            tokens,
        } => {
            let rest = hdfcsky_setup::rest_client(base, api_key, &tokens, RestSettings::hdfcsky())?;
            fetch_with(&HdfcSkyCandles { rest }, &mut store, &request).await?
        }
    };
    print!(
        "{}",
        summary(
            &report,
            &heading,
            &store_path.display().to_string(),
            started.elapsed()
        )
    );
    Ok(if report.stopped.as_deref() == Some("interrupted") {
        ExitCode::from(130)
    } else if report.complete() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs `request` through `source` with the progress shown, until done or Ctrl-C.
async fn fetch_with<S: CandleSource>(
    source: &S,
    store: &mut HistoryStore,
    request: &FetchRequest<'_>,
) -> anyhow::Result<FetchReport> {
    let mut progress = FetchProgress::new();
    let stop = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let report = fetch_history(source, store, request, stop, |event| {
        progress.on_event(event)
    })
    .await;
    progress.finish();
    Ok(report?)
}
