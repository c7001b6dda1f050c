//! `dalal run`: the bot itself. With `broker = "sim"` (the shipped config) it starts the simulator in-process on
//! loopback with a fast simulated clock and trades one day in minutes: on paper, or with `mode = "live"` through
//! real order requests to the simulator (a dress rehearsal of live mode); with a broker it runs market days on
//! the wall clock until stopped. The status endpoint, the terminal status line, the alerts and the signal
//! handling live here; the day itself is `runner::DayRunner`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{NaiveDateTime, NaiveTime, TimeDelta};
use tokio::sync::watch;

use super::broker_parts::{AnyBroker, BrokerParts, PartsOptions};
use super::broker_reach::{BrokerReach, LiveBroker, SimApi};
use super::check_config_command::DOTENV_PATH;
use super::sim_clock_args::{parse_ist_datetime, start_or};
use super::status_line;
use crate::alerts::AlertTask;
use crate::broker::hdfcsky::SubscriptionType;
use crate::broker::{AccountBroker, FeedBroker, OrderBroker};
use crate::calendar::{Clock, DayPlan, MarketCalendar, SimulatedClock, ist_instant, to_ist};
use crate::config::{AlertTargets, BrokerName, Config, ConfigErrors, Mode};
use crate::execution::PaperBroker;
use crate::journal::{JournalWriter, Store};
use crate::review;
use crate::runner::{DayReport, DayRunner, RunnerBrokers, RunnerOptions, next_session_day};
use crate::sim::{Scenario, SimServer};
use crate::status::{CONTROL_TOKEN_ENV, OperatorControls, StatusBoard, StatusServer};

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[arg(long, default_value = crate::config::DEFAULT_CONFIG_PATH, env = "DALAL_CONFIG")]
    pub config: PathBuf,
    /// Trading days to run, then exit. With the simulator 1 when left out; with a broker, until stopped.
    #[arg(long)]
    pub days: Option<u32>,
    /// With the simulator: how many times faster than real time the market runs. 100 plays a day in about 4
    /// minutes.
    #[arg(long, default_value_t = 100.0)]
    pub speed: f64,
    /// With the simulator: where its clock starts, IST (e.g. 2026-11-23T09:10); by default half a minute
    /// before the pre-open of the next trading day.
    #[arg(long, value_parser = parse_ist_datetime)]
    pub start: Option<NaiveDateTime>,
    /// A file holding the access token (mode 600; `dalal login upstox|hdfcsky` writes one), re-read before each
    /// open and on 401; else UPSTOX_ACCESS_TOKEN or HDFCSKY_ACCESS_TOKEN. With the simulator, the token its
    /// own login issues.
    #[arg(long, env = "DALAL_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// With a broker: another host speaking its API (HDFC Sky's UAT host, or a running `dalal sim`).
    #[arg(long)]
    pub base_url: Option<url::Url>,
    /// With the simulator: which broker's API dalal trades it through (both are served).
    #[arg(long, value_enum, default_value_t = SimApi::Upstox)]
    pub sim_api: SimApi,
    /// Where the status endpoint listens, over `status.listen` in dalal.toml (a container sets 0.0.0.0:8686).
    #[arg(long, env = "DALAL_STATUS_LISTEN")]
    pub status_listen: Option<SocketAddr>,
    /// With the simulator: a scenario file (seed, instruments, faults) instead of the built-in one.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// With the simulator: at exit, write the simulator's own record of the day as JSON to this file: every
    /// order it received, every fill, and each instrument's net position, to check the day from the broker's side.
    #[arg(long)]
    pub sim_ledger: Option<PathBuf>,
}

/// How long alerts still waiting when the runner ends (the day summary among them) may take to go out.
const ALERTS_DRAIN: Duration = Duration::from_secs(5);

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let config = match Config::load(&args.config) {
        Ok(mut config) => {
            if let Some(listen) = args.status_listen {
                config.bot.status.listen = listen;
            }
            config
        }
        Err(errors) => {
            eprint!("{errors}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let alerts = match AlertTargets::load(|k| std::env::var(k).ok(), Path::new(DOTENV_PATH)) {
        Ok(alerts) => alerts,
        Err(errors) => {
            eprint!("{}", ConfigErrors(errors));
            return Ok(ExitCode::FAILURE);
        }
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(run_days(args, config, alerts))
}

/// Where one run's pieces come from: the clock and the journal (the broker is reached through a
/// `BrokerReach`), and where alerts go.
struct Setup {
    clock: Clock,
    journal_path: PathBuf,
    days: Option<u32>,
    alerts: AlertTargets,
}

async fn run_days(args: RunArgs, config: Config, alerts: AlertTargets) -> anyhow::Result<ExitCode> {
    let calendar = MarketCalendar::new(config.bot.calendar.clone());
    let mut sim = None;
    let live_setup = || Setup {
        clock: Clock::System,
        journal_path: config.bot.journal_path.clone(),
        days: args.days,
        alerts: AlertTargets::default(),
    };
    let (setup, reach) = match config.bot.broker {
        BrokerName::Sim => {
            let (setup, server, reach) = embedded_simulator(&args, &config, &calendar).await?;
            sim = Some(server);
            (setup, reach)
        }
        live => {
            let broker = if live == BrokerName::Upstox {
                LiveBroker::Upstox
            } else {
                LiveBroker::HdfcSky
            };
            let reach =
                BrokerReach::live(broker, args.base_url.as_ref(), args.token_file.as_ref())?;
            (live_setup(), reach)
        }
    };
    let setup = Setup { alerts, ..setup };
    let ledger_path = args.sim_ledger.clone();
    let config_path = args.config;
    // The simulator's market runs `speed` times faster than the wall clock that request budgets count in.
    let speed = match config.bot.broker {
        BrokerName::Sim => args.speed,
        _ => 1.0,
    };
    let options = PartsOptions {
        clock: setup.clock.clone(),
        speed,
        // The embedded simulator has no registered algo: the header goes to brokers only.
        algo_name: config
            .bot
            .algo_name
            .clone()
            .filter(|_| config.bot.broker != BrokerName::Sim),
        hdfcsky_quotes: SubscriptionType::All,
    };
    let code = match reach.parts(&config.bot, options)? {
        AnyBroker::Upstox(parts) => launch(config_path, config, setup, parts).await,
        AnyBroker::HdfcSky(parts) => launch(config_path, config, setup, parts).await,
    }?;
    if let (Some(sim), Some(path)) = (&sim, ledger_path) {
        write_ledger(sim, &path)?;
    }
    Ok(code)
}

fn write_ledger(sim: &SimServer, path: &Path) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(&sim.ledger()).context("cannot write the ledger")?;
    std::fs::write(path, text)
        .with_context(|| format!("cannot write the simulator's ledger to {}", path.display()))?;
    println!("simulator ledger: {}", path.display());
    Ok(())
}

/// The day with paper fills, or with `live_orders` when the config says `mode = "live"`.
async fn launch<F: FeedBroker, O: OrderBroker, A: AccountBroker>(
    config_path: PathBuf,
    config: Config,
    setup: Setup,
    parts: BrokerParts<F, O, A>,
) -> anyhow::Result<ExitCode> {
    let BrokerParts {
        feed,
        orders: live_orders,
        account,
        keys,
    } = parts;
    match config.bot.mode {
        Mode::Paper => {
            let paper = Arc::new(PaperBroker::standard(
                config.bot.orders.paper_fills_by_trade_size,
            ));
            let brokers = RunnerBrokers {
                feed,
                orders: Arc::clone(&paper),
                account,
                paper: Some(paper),
                keys,
            };
            drive(config_path, config, setup, brokers).await
        }
        Mode::Live => {
            let brokers = RunnerBrokers {
                feed,
                orders: Arc::new(live_orders),
                account,
                paper: None,
                keys,
            };
            drive(config_path, config, setup, brokers).await
        }
    }
}

/// The simulator on loopback with the built-in scenario, its clock half a minute before a pre-open, and a
/// journal of its own that each run starts afresh: the simulated market restarts from its seed every run.
async fn embedded_simulator(
    args: &RunArgs,
    config: &Config,
    calendar: &MarketCalendar,
) -> anyhow::Result<(Setup, SimServer, BrokerReach)> {
    let start = start_or(args.start, || {
        let date = next_session_day(calendar, Clock::System.now())
            .context("the calendar has no trading day ahead")?;
        let pre_open = match calendar.day_plan(date) {
            DayPlan::Open(plan) => plan.times.pre_open,
            DayPlan::Closed(_) => NaiveTime::from_hms_opt(9, 0, 0).expect("a valid time"),
        };
        Ok(ist_instant(date, pre_open) - TimeDelta::seconds(30))
    })?;
    let clock: Clock = SimulatedClock::new(start, args.speed)
        .context("--speed")?
        .into();
    let scenario = match &args.scenario {
        Some(path) => Scenario::load(path)?,
        None => Scenario::built_in(),
    };
    let (sim, reach) =
        super::sim_command::start_in_process(&clock, calendar, scenario, args.sim_api).await?;
    let reach = match &args.token_file {
        Some(file) => reach.with_token_file(file.clone()),
        None => reach,
    };
    let journal_path = super::journal_command::journal_path(&config.bot);
    remove_journal(&journal_path)?;
    let api = match args.sim_api {
        SimApi::Upstox => "Upstox",
        SimApi::Hdfcsky => "HDFC Sky",
    };
    let how = match config.bot.mode {
        Mode::Paper => "paper-trading",
        Mode::Live => "trading live (real order requests) against",
    };
    println!(
        "dalal: no broker configured (broker = \"sim\"): {how} the built-in simulator at {} through its {api} \
         API",
        sim.base_url()
    );
    println!(
        "       simulated clock from {} IST at {}x; journal {}",
        to_ist(start).format("%a %d %b %Y %H:%M:%S"),
        args.speed,
        journal_path.display()
    );
    let setup = Setup {
        clock,
        journal_path,
        days: Some(args.days.unwrap_or(1)),
        alerts: AlertTargets::default(),
    };
    Ok((setup, sim, reach))
}

/// The journal with its SQLite side files, its calendar cache, whose disagreements it journaled, and its days'
/// recordings.
pub(super) fn remove_journal(path: &Path) -> anyhow::Result<()> {
    let recordings = crate::journal::recordings_folder(path);
    match std::fs::remove_dir_all(&recordings) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(e).with_context(|| format!("cannot replace {}", recordings.display()));
        }
    }
    let side_files =
        ["-wal", "-shm"].map(|suffix| PathBuf::from(format!("{}{suffix}", path.display())));
    let calendar = crate::config::broker_calendar_path(path);
    for file in [path.to_path_buf(), calendar].into_iter().chain(side_files) {
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot replace {}", file.display())),
        }
    }
    Ok(())
}

async fn drive<F: FeedBroker, O: OrderBroker, A: AccountBroker>(
    config_path: PathBuf,
    config: Config,
    setup: Setup,
    brokers: RunnerBrokers<F, O, A>,
) -> anyhow::Result<ExitCode> {
    let paper = brokers.paper.is_some();
    let board = StatusBoard::new(Duration::from_millis(config.bot.risk.max_price_age_ms));
    let writer = JournalWriter::open(&setup.journal_path, paper)
        .with_context(|| format!("cannot open the journal {}", setup.journal_path.display()))?;
    let alerts = start_alerts(&config, &setup, writer.journal(), paper)?;
    let (stop, stopped) = watch::channel(false);
    let (controls, control_inbox) = OperatorControls::new(
        std::env::var(CONTROL_TOKEN_ENV).ok(),
        writer.journal(),
        setup.clock.clone(),
        Arc::clone(&board),
        stop.clone(),
    );
    let controls_on = controls.enabled();
    let _server = match StatusServer::start_console(
        config.bot.status.listen,
        Arc::clone(&board),
        setup.clock.clone(),
        Some(&writer.journal()),
        Some(Arc::new(controls)),
    )
    .await
    {
        Ok(server) => {
            tracing::info!(
                "live page: http://{}/ (also /health, /status, /metrics); controls {}",
                server.addr(),
                if controls_on {
                    "on (key from DALAL_CONTROL_TOKEN)"
                } else {
                    "off (set DALAL_CONTROL_TOKEN to use them)"
                }
            );
            Some(server)
        }
        Err(e) => {
            tracing::warn!(
                "the status endpoint cannot listen on {} ({e}); running without it (set status.listen in {})",
                config.bot.status.listen,
                config.bot.path.display()
            );
            None
        }
    };
    let signals = tokio::spawn(handle_signals(stop));
    let status_line = status_line::spawn(Arc::clone(&board), setup.clock.clone());
    let options = RunnerOptions {
        days: setup.days,
        config_path: Some(config_path),
        journal_path: setup.journal_path.clone(),
    };
    let runner = DayRunner::new(
        config,
        setup.clock.clone(),
        brokers,
        writer.journal(),
        board,
        options,
        stopped,
    )
    .with_controls(control_inbox);
    let reports = runner.run().await;
    if let Some(alerts) = alerts {
        // Before the journal closes: the day summary goes out, and what cannot go is journaled.
        alerts.finish(ALERTS_DRAIN).await;
    }
    status_line.abort();
    signals.abort();
    status_line::clear();
    writer.close().context("cannot close the journal")?;
    for report in &reports {
        print_report(report, &setup.journal_path, paper);
    }
    Ok(ExitCode::SUCCESS)
}

/// The alert task following the journal, when a channel is set in the environment.
fn start_alerts(
    config: &Config,
    setup: &Setup,
    journal: crate::journal::Journal,
    paper: bool,
) -> anyhow::Result<Option<AlertTask>> {
    let settings = &config.bot.alerts;
    let task = AlertTask::start(settings, &setup.alerts, journal, setup.clock.clone(), paper)
        .map_err(anyhow::Error::msg)
        .context("cannot start the alerts")?;
    if task.is_some() {
        let events: Vec<&str> = settings.events.iter().map(|e| e.name()).collect();
        tracing::info!(
            "alerts: {} for {} (at most {} a minute)",
            setup.alerts.describe(),
            events.join(", "),
            settings.per_minute
        );
    }
    Ok(task)
}

/// The first SIGTERM or Ctrl-C asks the runner to stop cleanly; a second one exits at once.
async fn handle_signals(stop: watch::Sender<bool>) {
    wait_for_signal().await;
    tracing::warn!(
        "stopping: cancelling pending entries and flushing the journal (signal again to exit at once)"
    );
    let _ = stop.send(true);
    wait_for_signal().await;
    tracing::error!("second signal: exiting now");
    std::process::exit(130);
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn duration_text(seconds: u64) -> String {
    format!("{} h {:02} min", seconds / 3600, (seconds % 3600) / 60)
}

/// The close report of a day, with its round trips read back from the journal.
fn print_report(report: &DayReport, journal: &Path, paper: bool) {
    let session = &report.session;
    let mode = if paper { "paper" } else { "live" };
    println!();
    println!("── {} ({mode}) ──", report.date.format("%A %-d %b %Y"));
    let failed: Vec<_> = report.checks.iter().filter(|c| !c.passed).collect();
    if failed.is_empty() {
        println!("pre-open checks: {} passed", report.checks.len());
    } else {
        println!("new entries stayed off:");
        for check in failed {
            println!("  {check}");
        }
    }
    println!(
        "feed: {} prices ({} streamed, {} polled); streaming {}, polling {}",
        session.ticks,
        report.stream_ticks,
        report.poll_ticks,
        duration_text(report.seconds_streaming),
        duration_text(report.seconds_polling)
    );
    match &report.broker_open {
        Some(open) if open.is_empty() => println!("at the broker at the close: flat"),
        Some(open) => println!("at the broker at the close: {}", open.join(", ")),
        None => {}
    }
    if session.fallbacks.is_empty() {
        println!("fallbacks to polling: none");
    } else {
        println!("fallbacks to polling: {}", session.fallbacks.len());
        for episode in &session.fallbacks {
            println!(
                "  {} IST  {}",
                to_ist(episode.at).format("%H:%M:%S"),
                episode.reason
            );
        }
    }
    println!(
        "orders {}, fills {}, round trips {}, P&L ₹{} gross, charges ≈ ₹{}, net ₹{}",
        session.orders,
        session.fills,
        session.round_trips,
        session.realized_pnl.round_dp(2),
        session.charges.round_dp(2),
        (session.realized_pnl - session.charges).round_dp(2)
    );
    let day_start = ist_instant(report.date, NaiveTime::MIN);
    match Store::open(journal).and_then(|s| s.between(day_start, day_start + TimeDelta::days(1))) {
        Ok(entries) => {
            let ours: Vec<_> = entries.into_iter().filter(|r| r.paper == paper).collect();
            print!(
                "{}",
                review::trades(&review::figures(&ours, report.date, report.date))
            );
        }
        Err(e) => println!("(cannot read the journal: {e})"),
    }
    if report.stopped_early {
        println!("stopped before the close (a signal, or the operator's kill)");
    }
}
