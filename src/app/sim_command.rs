//! `dalal sim`: the market simulator as a standalone server, for trying a client, the official SDKs or `dalal
//! doctor` against something that answers like Upstox or, with `--broker hdfcsky`, like HDFC Sky.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::broker_reach::{BrokerReach, SimApi};
use super::sim_clock_args::SimClockArgs;
use crate::broker::hdfcsky::unsigned_token;
use crate::calendar::{Clock, IST, MarketCalendar};
use crate::config::BotConfig;
use crate::sim::{Scenario, SimServer, SimSettings, SkyAccount, UpstoxApp};

#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Which broker's API to introduce: both are served on the port, this picks what is printed and the
    /// default token's form.
    #[arg(long, value_enum, default_value_t = SimApi::Upstox)]
    pub broker: SimApi,
    /// Port on 127.0.0.1 to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// The access token the simulator accepts (anything else gets 401); by default one in HDFC Sky's form (a
    /// JWT), which Upstox clients take as well.
    #[arg(long)]
    pub token: Option<String>,
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
        let token = args.token.clone().unwrap_or_else(|| embedded_token(&clock));
        let settings = SimSettings {
            token: token.clone(),
            renewed_token: None,
            scenario,
            clock,
            calendar: MarketCalendar::new(bot.calendar),
            sky: SkyAccount::default(),
            upstox: UpstoxApp::default(),
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
        let server = SimServer::start(addr, settings)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let sky = SkyAccount::default();
        match args.broker {
            SimApi::Upstox => {
                let app = UpstoxApp::default();
                println!(
                    "simulator: {} (Upstox REST, login and the V3 feed)",
                    server.base_url()
                );
                println!(
                    "app:       UPSTOX_API_KEY={} UPSTOX_API_SECRET={}",
                    app.api_key, app.api_secret
                );
                println!(
                    "login:     dalal login upstox --base-url {} --listen   (redirect URI {})",
                    server.base_url(),
                    app.redirect_uri
                );
            }
            SimApi::Hdfcsky => {
                println!(
                    "simulator: {} (HDFC Sky REST, login and {})",
                    server.base_url(),
                    crate::broker::hdfcsky::SESSION_PATH
                );
                println!(
                    "app:       HDFCSKY_API_KEY={} HDFCSKY_API_SECRET={}",
                    sky.api_key, sky.api_secret
                );
                println!(
                    "login:     dalal login hdfcsky --base-url {} --username {} (OTP {}, PIN {})",
                    server.base_url(),
                    sky.username,
                    sky.otp,
                    sky.pin
                );
            }
        }
        println!("token:     {token}");
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

/// A token the simulator accepts from either API: HDFC Sky's form (a JWT naming the simulated client), which
/// Upstox clients send as an opaque Bearer token.
fn embedded_token(clock: &Clock) -> String {
    unsigned_token(&SkyAccount::default().client_id, clock.now(), 0)
}

/// A simulator on a free loopback port, inside this process: what `dalal run`, `dalal feed` and `dalal doctor`
/// use when no broker is configured, and how to reach it through `api`.
pub(super) async fn start_in_process(
    clock: &Clock,
    calendar: &MarketCalendar,
    scenario: Scenario,
    api: SimApi,
) -> anyhow::Result<(SimServer, BrokerReach)> {
    let token = embedded_token(clock);
    let settings = SimSettings {
        token: token.clone(),
        renewed_token: None,
        scenario,
        clock: clock.clone(),
        calendar: calendar.clone(),
        sky: SkyAccount::default(),
        upstox: UpstoxApp::default(),
    };
    let server = SimServer::start(SocketAddr::from(([127, 0, 0, 1], 0)), settings)
        .await
        .context("cannot start the simulator on 127.0.0.1")?;
    let reach = BrokerReach::simulator(&server, api, &token);
    Ok((server, reach))
}
