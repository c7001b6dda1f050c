//! Wiring: the command line, logging, and the commands that put the library's parts in front of a trader.
//!
//! Commands appear here when they work end to end, not before.

mod backtest_command;
mod broker_parts;
mod broker_reach;
mod calendar_command;
mod check_config_command;
mod ctl_command;
mod decode_command;
mod doctor_command;
mod feed_command;
mod hdfcsky_setup;
mod health_command;
mod history_command;
mod history_progress;
mod instruments_command;
mod journal_command;
mod logging;
mod login_command;
mod loopback_redirect;
mod replay_command;
mod run_command;
mod sim_clock_args;
mod sim_command;
mod soak_checks;
mod soak_command;
mod soak_day;
mod status_line;
mod upstox_login_flow;
mod upstox_master_command;
mod upstox_setup;

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

pub use logging::LogFormat;

#[derive(Debug, Parser)]
#[command(
    name = "dalal",
    version,
    about = "An intraday trading bot for NSE/BSE cash equities"
)]
pub struct Cli {
    /// Log format: `pretty` for a terminal, `json` for containers and log shippers.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Pretty, env = "DALAL_LOG_FORMAT")]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate config/dalal.toml and the strategy file it names; print a summary, or every problem with its fix.
    CheckConfig {
        /// The bot's config file.
        #[arg(default_value = crate::config::DEFAULT_CONFIG_PATH, env = "DALAL_CONFIG")]
        file: PathBuf,
    },
    /// Show a day's NSE/BSE session plan in IST, or why the market is closed, and the next open.
    Calendar {
        /// The day to show (YYYY-MM-DD); today in IST when left out.
        #[arg(long)]
        date: Option<NaiveDate>,
        /// The bot's config file, for its holiday file and calendar overrides.
        #[arg(long, default_value = crate::config::DEFAULT_CONFIG_PATH, env = "DALAL_CONFIG")]
        config: PathBuf,
        /// Read the broker's holiday list first (Upstox's needs no token) and cache it under data/.
        #[arg(long)]
        sync: bool,
        /// The broker's address for --sync, e.g. a running `dalal sim`'s http://127.0.0.1:8787.
        #[arg(long)]
        base_url: Option<url::Url>,
    },
    /// Run the bot: market days on their own (sleep, pre-open checks, session, square-off, close report). With
    /// `broker = "sim"` (the shipped config) a paper day on the built-in simulator, in a few minutes.
    Run(run_command::RunArgs),
    /// Diagnose feed and auth problems: config, clock, calendar, token, LTP, market status, the WebSocket and
    /// order permissions, each PASS / WARN / FAIL with its evidence and remedy. Exit 0, 1 (warnings) or 2.
    Doctor(doctor_command::DoctorArgs),
    /// Ask a running bot's status endpoint whether it is healthy (exit 0) or not (exit 1): the container's
    /// health check.
    Health(health_command::HealthArgs),
    /// The operator's controls on a running bot: pause, resume, flatten [SYMBOL], kill (key from
    /// DALAL_CONTROL_TOKEN).
    Ctl(ctl_command::CtlArgs),
    /// Review the trade journal: summary, trades, export --csv, report --html.
    Journal(journal_command::JournalArgs),
    /// Run stored candles (`dalal history fetch`) through the engine, risk checks and paper fills, day by day:
    /// a journal of its own and the figures a trader asks for; `--sweep` runs a grid of strategy values.
    Backtest(backtest_command::BacktestArgs),
    /// Replay a recorded day through the engine: the day's own strategy reproduces its decisions, an edited one
    /// (--strategy FILE) lists what would have differed.
    Replay(replay_command::ReplayArgs),
    /// Candle history kept locally: `fetch` downloads what the store lacks from the configured broker (resumable,
    /// inside the rate budget), `status` shows what it holds.
    History(history_command::HistoryArgs),
    /// Watch the failover feed: live prices with source and age, and every feed state change with its reason.
    Feed(feed_command::FeedArgs),
    /// Run the market simulator: Upstox's and HDFC Sky's REST APIs and feeds on loopback, with a seeded scenario.
    Sim(sim_command::SimArgs),
    /// A chaos soak: many short simulated days live against the simulator, with random feed and order faults
    /// and kills, each checked against the simulator's ledger; exit 1 on any violated invariant.
    Soak(soak_command::SoakArgs),
    /// Look up the universe's HDFC Sky exchange tokens in its security master and print the hdfcsky_token lines.
    Instruments(instruments_command::InstrumentsArgs),
    /// Log in to Upstox (its dialog in a browser, the redirect caught with --listen or pasted) or HDFC Sky (OTP
    /// and PIN at the terminal, or --browser) and write the day's access token file (mode 600).
    Login(login_command::LoginArgs),
    /// Print captured feed frames as normalized JSON (instrument key, price, trade time, quantity, previous close).
    Decode {
        /// The wire format of the frames.
        #[arg(value_enum)]
        format: decode_command::FrameFormat,
        /// Files holding one frame each; printed in this order.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// Runs one command; the exit code says whether it found problems.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    logging::init(cli.log_format);
    match cli.command {
        Command::CheckConfig { file } => Ok(check_config_command::run(&file)),
        Command::Calendar {
            date,
            config,
            sync,
            base_url,
        } => calendar_command::run(calendar_command::CalendarArgs {
            config,
            date,
            sync,
            base_url,
        }),
        Command::Decode { format, files } => Ok(decode_command::run(format, &files)),
        Command::Run(args) => run_command::run(args),
        Command::Health(args) => health_command::run(args),
        Command::Ctl(args) => ctl_command::run(args),
        Command::Doctor(args) => doctor_command::run(args),
        Command::Journal(args) => journal_command::run(args),
        Command::Replay(args) => replay_command::run(args),
        Command::Backtest(args) => backtest_command::run(args),
        Command::History(args) => history_command::run(args),
        Command::Sim(args) => sim_command::run(args),
        Command::Soak(args) => soak_command::run(args),
        Command::Login(args) => login_command::run(args),
        Command::Instruments(args) => instruments_command::run(args),
        Command::Feed(args) => feed_command::run(args),
    }
}
