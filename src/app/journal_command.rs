//! `dalal journal`: the trade journal after the close, as a summary, a trade table, a CSV file or an HTML report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{NaiveDate, TimeZone, Utc};

use crate::calendar::to_ist;
use crate::config::BotConfig;
use crate::journal::{Recorded, Store};
use crate::review::{self, Figures};

#[derive(Debug, clap::Args)]
pub struct JournalArgs {
    #[command(subcommand)]
    pub view: JournalView,
    /// The journal file; by default the one dalal.toml names (with `broker = "sim"`, the simulator's own).
    #[arg(long, global = true)]
    pub journal: Option<PathBuf>,
    #[arg(long, global = true, default_value = crate::config::DEFAULT_CONFIG_PATH, env = "DALAL_CONFIG")]
    pub config: PathBuf,
}

#[derive(Debug, clap::Subcommand)]
pub enum JournalView {
    /// Trades, win rate, gross and net P&L, drawdown, slippage, orders and rejections, and the feed's time
    /// streaming and polling with each fallback and its reason.
    Summary(Period),
    /// A table of round trips: instrument, entry and exit in IST, prices, quantity, P&L and the exit reason.
    Trades(Period),
    /// Every round trip as a CSV row.
    Export {
        #[arg(long)]
        csv: PathBuf,
        #[command(flatten)]
        period: Period,
    },
    /// One self-contained HTML file: the summary and trades as tables, an equity curve, P&L per trade, a price chart
    /// of each trade (entry, exit, target and the trailed stop) and the feed's state timeline.
    Report {
        #[arg(long)]
        html: PathBuf,
        #[command(flatten)]
        period: Period,
    },
}

/// The IST dates to look at: one day, a range, or (left out) the journal's latest day.
#[derive(Debug, clap::Args)]
pub struct Period {
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub date: Option<NaiveDate>,
    #[arg(long)]
    pub from: Option<NaiveDate>,
    /// The last day included; the `--from` day when left out.
    #[arg(long, requires = "from")]
    pub to: Option<NaiveDate>,
}

/// The journal `dalal run` writes with this config.
pub fn journal_path(bot: &BotConfig) -> PathBuf {
    match bot.broker {
        crate::config::BrokerName::Sim => bot.journal_path.with_file_name("sim-journal.sqlite"),
        _ => bot.journal_path.clone(),
    }
}

pub fn run(args: JournalArgs) -> anyhow::Result<ExitCode> {
    let path = match &args.journal {
        Some(path) => path.clone(),
        None => match BotConfig::load(&args.config) {
            Ok(bot) => journal_path(&bot),
            Err(errors) => {
                eprint!("{errors}");
                return Ok(ExitCode::FAILURE);
            }
        },
    };
    let entries = read_all(&path)?;
    let period = match &args.view {
        JournalView::Summary(p) | JournalView::Trades(p) => p,
        JournalView::Export { period, .. } | JournalView::Report { period, .. } => period,
    };
    let figures = figures_for(&entries, period, &path)?;
    match &args.view {
        JournalView::Summary(_) => print!("{}", review::summary(&figures)),
        JournalView::Trades(_) => print!("{}", review::trades(&figures)),
        JournalView::Export { csv, .. } => {
            review::write_csv(&figures, csv)
                .with_context(|| format!("cannot write {}", csv.display()))?;
            println!(
                "{} trades written to {}",
                figures.trades.len(),
                csv.display()
            );
        }
        JournalView::Report { html, .. } => {
            let document = review::html_report(&figures).map_err(anyhow::Error::msg)?;
            std::fs::write(html, document)
                .with_context(|| format!("cannot write {}", html.display()))?;
            println!("report written to {}", html.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_all(path: &Path) -> anyhow::Result<Vec<Recorded>> {
    if !path.exists() {
        bail!(
            "no journal at {}: `dalal run` writes it (or give one with --journal)",
            path.display()
        );
    }
    let store = Store::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    // The journal stores RFC 3339 text, which orders correctly within four-digit years.
    let first = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).single();
    let last = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).single();
    let (Some(first), Some(last)) = (first, last) else {
        bail!("the journal's time bounds are not valid instants");
    };
    Ok(store.between(first, last)?)
}

fn figures_for(entries: &[Recorded], period: &Period, path: &Path) -> anyhow::Result<Figures> {
    let (from, to) = match (period.date, period.from, period.to) {
        (Some(date), _, _) => (date, date),
        (None, Some(from), to) => (from, to.unwrap_or(from)),
        (None, None, _) => {
            let latest = entries
                .iter()
                .map(|r| to_ist(r.at).date_naive())
                .max()
                .with_context(|| format!("the journal {} is empty", path.display()))?;
            (latest, latest)
        }
    };
    if to < from {
        bail!("--to {to} is before --from {from}");
    }
    Ok(review::figures(entries, from, to))
}
