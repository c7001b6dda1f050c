//! `dalal sim`: the market simulator as a standalone server, for trying a client, the official SDKs or `dalal
//! doctor` against something that answers like Upstox.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::sim_clock_args::SimClockArgs;
use crate::calendar::{Clock, IST, MarketCalendar};
use crate::config::BotConfig;
use crate::sim::{Scenario, SimServer, SimSettings, SkyAccount};

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
    /// The simulated clock; it starts now when --start is left out.
    #[command(flatten)]
    pub clock: SimClockArgs,
    /// The bot's config, for the market calendar the simulator trades by.
    #[arg(long, default_value = crate::config::DEFAULT_CONFIG_PATH, env = "DALAL_CONFIG")]
    pub config: PathBuf,
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
    let (clock, start) = args.clock.clock(|| Clock::System.now())?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let settings = SimSettings {
            token: args.token.clone(),
            renewed_token: None,
            scenario,
            clock,
            calendar: MarketCalendar::new(bot.calendar),
            sky: SkyAccount::default(),
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
            args.clock.speed
        );
        println!("stop with Ctrl-C");
        tokio::signal::ctrl_c()
            .await
            .context("cannot wait for Ctrl-C")?;
        server.stop().await;
        Ok(ExitCode::SUCCESS)
    })
}

/// A simulator on a free loopback port, inside this process: what `dalal run`, `dalal feed` and `dalal doctor`
/// use when no broker is configured. `token` is the only one it accepts.
pub(super) async fn start_in_process(
    clock: &Clock,
    calendar: &MarketCalendar,
    token: &str,
    scenario: Scenario,
) -> anyhow::Result<SimServer> {
    let settings = SimSettings {
        token: token.into(),
        renewed_token: None,
        scenario,
        clock: clock.clone(),
        calendar: calendar.clone(),
        sky: SkyAccount::default(),
    };
    SimServer::start(SocketAddr::from(([127, 0, 0, 1], 0)), settings)
        .await
        .context("cannot start the simulator on 127.0.0.1")
}
