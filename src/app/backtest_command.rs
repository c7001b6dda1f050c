//! `dalal backtest --from D --to D [--strategy FILE] [--instruments A,B]`: the stored one-minute candles run
//! through the engine that trades live (`crate::backtest`), into a journal of its own, with the report a
//! trader reads. `--sweep key=a,b,c` (repeatable) runs every combination on every core and prints a table
//! sorted by `--sort`; `--split 70` shows the last 30 % of the period's days out of sample beside the rest.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::history_command::chosen_instruments;
use super::journal_command::journal_path;
use super::run_command::remove_journal;
use crate::backtest::{
    Assumptions, BacktestJob, BacktestOutcome, CandlePath, FillAssumptions, Metrics, Period,
    SortBy, SweepAxis, SweepRow, apply, cores, grid, on_every_core, report, run_backtest,
    sweep_table,
};
use crate::config::{BrokerName, Config, DEFAULT_CONFIG_PATH};
use crate::execution::PAPER_SLIPPAGE_BPS;
use crate::history::history_path;

#[derive(Debug, clap::Args)]
pub struct BacktestArgs {
    /// The first day (IST).
    #[arg(long)]
    pub from: NaiveDate,
    /// The last day (IST).
    #[arg(long)]
    pub to: NaiveDate,
    /// A strategy file to backtest instead of the one dalal.toml names.
    #[arg(long)]
    pub strategy: Option<PathBuf>,
    /// Symbols from the universe, comma-separated; every one the store holds when left out.
    #[arg(long, value_delimiter = ',')]
    pub instruments: Vec<String>,
    /// The price path inside each one-minute candle.
    #[arg(long, value_enum, default_value_t = CandlePath::NearerFirst)]
    pub path: CandlePath,
    /// Paid on every fill against the trader, in basis points of the price.
    #[arg(long, default_value_t = Decimal::from(PAPER_SLIPPAGE_BPS))]
    pub slippage_bps: Decimal,
    /// Vary a strategy value: `key=a,b,c` (e.g. exit.target_r=1,1.5,2); repeat for a grid.
    #[arg(long)]
    pub sweep: Vec<SweepAxis>,
    /// The metric a sweep is sorted by.
    #[arg(long, value_enum, default_value_t = SortBy::Net)]
    pub sort: SortBy,
    /// Keep this percentage of the period's trading days in sample; the rest is shown out of sample.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=99))]
    pub split: Option<u8>,
    #[arg(long, env = "DALAL_CONFIG", default_value = DEFAULT_CONFIG_PATH)]
    pub config: PathBuf,
    /// The history store; the one `dalal history fetch` fills with this config by default.
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// The backtest's journal (replaced); `backtest.sqlite` beside the bot's journal by default. A sweep
    /// writes one per point into `<out>.sweep/`.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: BacktestArgs) -> anyhow::Result<ExitCode> {
    let config = match Config::load(&args.config) {
        Ok(config) => config,
        Err(errors) => {
            eprint!("{errors}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let config = match &args.strategy {
        Some(path) => match config.with_strategy_file(path) {
            Ok(config) => config,
            Err(errors) => {
                eprint!("{errors}");
                return Ok(ExitCode::FAILURE);
            }
        },
        None => config,
    };
    if args.from > args.to {
        bail!("--from {} is after --to {}", args.from, args.to);
    }
    let simulated = config.bot.broker == BrokerName::Sim;
    let journal = journal_path(&config.bot);
    let store = args
        .store
        .clone()
        .unwrap_or_else(|| history_path(&journal, simulated));
    if !store.exists() {
        bail!(
            "no history store at {}: fetch candles first, e.g. dalal history fetch --from {} --to {}",
            store.display(),
            args.from,
            args.to
        );
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| journal.with_file_name("backtest.sqlite"));
    if out == journal {
        bail!(
            "--out {} is the bot's own journal: name another file",
            out.display()
        );
    }
    let period = Period {
        from: args.from,
        to: args.to,
        instruments: if args.instruments.is_empty() {
            Vec::new()
        } else {
            chosen_instruments(&config.bot, &args.instruments)?
        },
    };
    let strategy_path = args
        .strategy
        .clone()
        .unwrap_or_else(|| config.bot.strategy_path.clone());
    let assumptions = FillAssumptions {
        path: args.path,
        slippage_bps: args.slippage_bps,
    };
    let said = Assumptions {
        period: format!("{} to {}", args.from, args.to),
        strategy: strategy_path.display().to_string(),
        instruments: if args.instruments.is_empty() {
            format!("every instrument in {}", store.display())
        } else {
            args.instruments.join(", ")
        },
        path: args.path,
        slippage_bps: args.slippage_bps,
        capital: config.bot.risk.max_capital_deployed,
        days: String::new(),
    };
    let job = |config: &Config, journal: &Path| -> anyhow::Result<BacktestOutcome> {
        remove_journal(journal)?;
        let job = BacktestJob {
            config,
            store: &store,
            period: &period,
            assumptions,
            journal,
            split_pct: args.split,
        };
        Ok(run_backtest(&job, |_| {})?)
    };
    if args.sweep.is_empty() {
        let outcome = job(&config, &out)?;
        print_single(said, &outcome, &out);
        return Ok(ExitCode::SUCCESS);
    }
    sweep(&args, &config, &strategy_path, &out, said, job)
}

fn days_said(outcome: &BacktestOutcome) -> String {
    let p = &outcome.period;
    let mut said = format!("{} trading days run", p.days.len());
    if !p.closed_skipped.is_empty() {
        said += &format!(
            ", {} stored days skipped (the calendar has them closed)",
            p.closed_skipped.len()
        );
    }
    if !p.missing.is_empty() {
        said += &format!(
            ", {} trading days not in the store (first {}): dalal history fetch fills them",
            p.missing.len(),
            p.missing[0]
        );
    }
    said
}

fn print_single(mut said: Assumptions, outcome: &BacktestOutcome, out: &Path) {
    said.days = days_said(outcome);
    let columns: Vec<(&str, &Metrics)> = match &outcome.split {
        Some((inside, outside)) => vec![
            ("whole period", &outcome.whole),
            ("in sample", inside),
            ("out of sample", outside),
        ],
        None => vec![("", &outcome.whole)],
    };
    print!("{}", report(&said, &columns));
    let left_open: usize = outcome.period.days.iter().map(|d| d.left_open.len()).sum();
    if left_open > 0 {
        println!(
            "\n{left_open} positions were still held after a day's close: see the journal's errors"
        );
    }
    let seconds = outcome.elapsed.as_secs_f64();
    println!(
        "\n{} candles, {} prices through the engine in {seconds:.2} s ({:.2} M prices/s)",
        outcome.period.candles,
        outcome.period.prices(),
        outcome.period.prices() as f64 / seconds.max(1e-9) / 1e6
    );
    println!(
        "journal: {} (dalal journal summary --journal {} --from … --to …)",
        out.display(),
        out.display()
    );
}

fn sweep(
    args: &BacktestArgs,
    config: &Config,
    strategy_path: &Path,
    out: &Path,
    mut said: Assumptions,
    job: impl Fn(&Config, &Path) -> anyhow::Result<BacktestOutcome> + Sync,
) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(strategy_path)
        .with_context(|| format!("cannot read {}", strategy_path.display()))?;
    let points = grid(&args.sweep);
    // Every point's strategy is checked before any runs, so a bad value fails at once.
    let mut configs = Vec::new();
    for point in &points {
        let swept = apply(&text, point).map_err(anyhow::Error::msg)?;
        match config.clone().with_strategy_text(strategy_path, swept) {
            Ok(config) => configs.push(config),
            Err(errors) => {
                eprint!("sweep point {point}:\n{errors}");
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    let folder = PathBuf::from(format!("{}.sweep", out.display()));
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let workers = cores().min(points.len());
    println!(
        "sweep of {} points on {workers} threads; each point's journal in {}",
        points.len(),
        folder.display()
    );
    let started = Instant::now();
    let results = on_every_core(points.len(), workers, |i| {
        job(&configs[i], &folder.join(format!("point-{}.sqlite", i + 1)))
    });
    let elapsed = started.elapsed();
    let mut rows: Vec<SweepRow> = Vec::new();
    let mut first_days = None;
    for (i, outcome) in results.into_iter().enumerate() {
        let outcome = outcome.with_context(|| format!("sweep point {}", points[i]))?;
        first_days.get_or_insert_with(|| days_said(&outcome));
        rows.push((points[i].clone(), outcome.whole, outcome.split));
    }
    said.days = first_days.unwrap_or_default();
    // The assumptions, as a single backtest states them, then the grid.
    println!("{}", report(&said, &[]));
    print!("{}", sweep_table(&mut rows, args.sort));
    println!(
        "\n{} points in {:.1} s; sorted by {:?}{}",
        points.len(),
        elapsed.as_secs_f64(),
        args.sort,
        if args.split.is_some() {
            " in sample"
        } else {
            ""
        }
    );
    Ok(ExitCode::SUCCESS)
}
