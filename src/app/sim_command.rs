//! `dalal sim`: the market simulator as a standalone server, for trying a client, the official SDKs or `dalal
//! doctor` against something that answers like Upstox.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDateTime;

use crate::calendar::{Clock, IST, MarketCalendar, SimulatedClock};
use crate::config::BotConfig;
use crate::sim::{Scenario, SimServer, SimSettings};

#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Port on 127.0.0.1 to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// The access token the simulator accepts (anything else gets 401 UDAPI100050).
    #[arg(long, default_value = "dalal-sim-token")]
    pub token: String,
    /// A scenario file (TOML); the built-in one when left out.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// How many times faster than real time the simulated clock runs.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Simulated start, IST (e.g. 2026-11-23T09:10); now when left out.
    #[arg(long, value_parser = parse_ist_datetime)]
    pub start: Option<NaiveDateTime>,
    /// The bot's config, for the market calendar the simulator trades by.
    #[arg(long, default_value = crate::config::DEFAULT_CONFIG_PATH, env = "DALAL_CONFIG")]
    pub config: PathBuf,
}

pub(super) fn parse_ist_datetime(text: &str) -> Result<NaiveDateTime, String> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| format!("`{text}` is not an IST date and time: write it as 2026-11-23T09:10"))
}

pub fn run(args: SimArgs) -> anyhow::Result<ExitCode> {
    let bot = match BotConfig::load(&args.config) {
        Ok(bot) => bot,
        Err(errors) => {
            eprint!("{errors}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let scenario = match &args.scenario {
        Some(path) => Scenario::load(path)?,
        None => Scenario::built_in(),
    };
    let start = match args.start {
        Some(local) => local
            .and_local_timezone(IST)
            .earliest()
            .context("--start is not a valid IST time")?
            .to_utc(),
        None => Clock::System.now(),
    };
    let clock: Clock = SimulatedClock::new(start, args.speed)
        .context("--speed")?
        .into();
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let settings = SimSettings {
            token: args.token.clone(),
            renewed_token: None,
            scenario,
            clock,
            calendar: MarketCalendar::new(bot.calendar),
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
        let server = SimServer::start(addr, settings)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        println!("simulator: {} (REST and the V3 feed)", server.base_url());
        println!("token:     {}", args.token);
        println!(
            "clock:     starts {} IST, {}x real time",
            start.with_timezone(&IST).format("%Y-%m-%d %H:%M:%S"),
            args.speed
        );
        println!("stop with Ctrl-C");
        tokio::signal::ctrl_c()
            .await
            .context("cannot wait for Ctrl-C")?;
        server.stop().await;
        Ok(ExitCode::SUCCESS)
    })
}
