//! `dalal doctor`: runs the doctor's checks against the configured broker (Upstox or HDFC Sky), the in-process
//! simulator through either API, or another host speaking one (`--base-url`, e.g. a running `dalal sim`), and
//! exits 0 (all pass), 1 (warnings) or 2 (a failure).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDateTime;
use url::Url;

use super::broker_reach::{BrokerReach, LiveBroker, SimApi};
use super::hdfcsky_setup;
use super::sim_clock_args::{parse_ist_datetime, start_or};
use super::upstox_setup::rest_client;
use crate::broker::RestSettings;
use crate::broker::hdfcsky::HdfcSkyRest;
use crate::broker::upstox::UpstoxRest;
use crate::calendar::{Clock, MarketCalendar, SimulatedClock};
use crate::config::{BrokerName, Config, Secret, TokenSource};
use crate::doctor::{self, Check, DoctorInputs, DoctorReport, DoctorTarget};
use crate::sim::Scenario;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DoctorBroker {
    Upstox,
    Hdfcsky,
    /// The built-in simulator, started in this process (with `--scenario` to script a fault).
    Sim,
}

#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// The broker to diagnose; the one dalal.toml names when left out.
    #[arg(long, value_enum)]
    pub broker: Option<DoctorBroker>,
    /// Print the report as one JSON document.
    #[arg(long)]
    pub json: bool,
    #[arg(long, default_value = crate::config::DEFAULT_CONFIG_PATH, env = "DALAL_CONFIG")]
    pub config: PathBuf,
    /// A file holding the access token (mode 600); else UPSTOX_ACCESS_TOKEN or HDFCSKY_ACCESS_TOKEN.
    #[arg(long, env = "DALAL_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// Another host speaking the broker's API, such as a running `dalal sim` (or HDFC Sky's UAT host).
    #[arg(long)]
    pub base_url: Option<Url>,
    /// With the simulator: which broker's API to diagnose it through.
    #[arg(long, value_enum, default_value_t = SimApi::Upstox)]
    pub sim_api: SimApi,
    /// With the simulator: a scenario file whose faults the doctor should find.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// With the simulator: where its clock starts, IST (e.g. 2026-11-23T10:05); now when left out.
    #[arg(long, value_parser = parse_ist_datetime)]
    pub start: Option<NaiveDateTime>,
}

pub fn run(args: DoctorArgs) -> anyhow::Result<ExitCode> {
    let loaded = Config::load(&args.config);
    let broker = args.broker.unwrap_or(match &loaded {
        Ok(config) => match config.bot.broker {
            BrokerName::Sim => DoctorBroker::Sim,
            BrokerName::Upstox => DoctorBroker::Upstox,
            BrokerName::HdfcSky => DoctorBroker::Hdfcsky,
        },
        Err(_) => DoctorBroker::Upstox,
    });
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let report = runtime.block_on(examine(&args, broker, &loaded))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(ExitCode::from(report.exit_code()))
}

async fn examine(
    args: &DoctorArgs,
    broker: DoctorBroker,
    loaded: &Result<Config, crate::config::ConfigErrors>,
) -> anyhow::Result<DoctorReport> {
    let bot = loaded.as_ref().ok().map(|c| &c.bot);
    let calendar = MarketCalendar::new(bot.map(|b| b.calendar.clone()).unwrap_or_default());
    let (clock, reach, _sim, name) = match broker {
        DoctorBroker::Sim => {
            let scenario = match &args.scenario {
                Some(path) => Scenario::load(path)?,
                None => Scenario::built_in(),
            };
            let start = start_or(args.start, || Ok(Clock::System.now()))?;
            let clock: Clock = SimulatedClock::new(start, 1.0)
                .context("the simulator's clock")?
                .into();
            let (sim, reach) =
                super::sim_command::start_in_process(&clock, &calendar, scenario, args.sim_api)
                    .await?;
            let name = format!("the built-in simulator at {}", sim.base_url());
            (clock, reach, Some(sim), name)
        }
        DoctorBroker::Upstox | DoctorBroker::Hdfcsky => {
            let live = if broker == DoctorBroker::Upstox {
                LiveBroker::Upstox
            } else {
                LiveBroker::HdfcSky
            };
            let reach = BrokerReach::live(live, args.base_url.as_ref(), args.token_file.as_ref())?;
            let name = reach.describe();
            (Clock::System, reach, None, name)
        }
    };
    let journal = bot.map(super::journal_command::journal_path);
    let (client, keys): (Client, Vec<String>) = match reach {
        BrokerReach::Upstox {
            hosts,
            tokens,
            data_tokens,
        } => {
            let read = |tokens: &TokenSource| tokens.read().map_err(|e| anyhow::anyhow!("{e}"));
            let settings = RestSettings::default().single_attempt();
            let keys = bot
                .and_then(|b| super::upstox_setup::upstox_keys(b, |_| true).ok())
                .map(|k| k.into_keys().collect())
                .unwrap_or_default();
            let data = match data_tokens {
                Some(data) => Some(Box::new((
                    rest_client(hosts.clone(), &data, settings.clone())?,
                    read(&data)?,
                ))),
                None => None,
            };
            let trading = (rest_client(hosts, &tokens, settings)?, read(&tokens)?);
            (Client::Upstox { trading, data }, keys)
        }
        BrokerReach::HdfcSky {
            base,
            api_key,
            tokens,
        } => {
            let settings = RestSettings::hdfcsky().single_attempt();
            let rest = match hdfcsky_setup::rest_client(base, api_key, &tokens, settings) {
                Ok(rest) => rest,
                Err(e) => {
                    return Ok(DoctorReport {
                        broker: name,
                        checks: vec![Check::fail(
                            "token",
                            format!("{e:#}"),
                            "log in again with `dalal login hdfcsky` and point --token-file at the file it writes",
                        )],
                    });
                }
            };
            let keys = bot
                .and_then(|b| hdfcsky_setup::scrip_keys(b).ok())
                .map(|k| k.into_keys().collect())
                .unwrap_or_default();
            (Client::HdfcSky(rest), keys)
        }
    };
    let broker = match &client {
        Client::Upstox { trading, data } => DoctorTarget::Upstox {
            rest: &trading.0,
            token: trading.1.clone(),
            data: data.as_deref().map(|(rest, token)| (rest, token.clone())),
        },
        Client::HdfcSky(rest) => DoctorTarget::HdfcSky { rest },
    };
    let inputs = DoctorInputs {
        config: loaded.as_ref().map_err(|e| e.to_string()),
        config_path: &args.config,
        clock,
        broker,
        keys,
        journal: journal.as_deref().filter(|p| p.exists()),
        probe: doctor::default_probe_settings(),
    };
    Ok(doctor::diagnose(&name, inputs).await)
}

/// The client the checks borrow.
enum Client {
    Upstox {
        trading: (UpstoxRest, Secret),
        /// Boxed: a second client, only with an analytics token.
        data: Option<Box<(UpstoxRest, Secret)>>,
    },
    HdfcSky(HdfcSkyRest),
}
