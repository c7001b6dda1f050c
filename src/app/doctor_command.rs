//! `dalal doctor`: runs the doctor's checks against the configured broker, the in-process simulator, or any
//! Upstox-compatible host (`--base-url`, e.g. a running `dalal sim`), and exits 0 (all pass), 1 (warnings) or
//! 2 (a failure).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDateTime;
use url::Url;

use super::sim_clock_args::{parse_ist_datetime, start_or};
use super::upstox_setup::{rest_client, upstox_tokens};
use crate::broker::upstox::{RestSettings, UpstoxHosts};
use crate::calendar::{Clock, MarketCalendar, SimulatedClock};
use crate::config::{BrokerName, Config, Secret, TokenSource};
use crate::doctor::{self, Check, DoctorInputs, DoctorReport};
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
    /// With Upstox: a file holding the access token (mode 600); else UPSTOX_ACCESS_TOKEN.
    #[arg(long, env = "DALAL_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// With Upstox: another host speaking Upstox's API, such as a running `dalal sim`.
    #[arg(long)]
    pub base_url: Option<Url>,
    /// With the simulator: a scenario file whose faults the doctor should find.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// With the simulator: where its clock starts, IST (e.g. 2026-11-23T10:05); now when left out.
    #[arg(long, value_parser = parse_ist_datetime)]
    pub start: Option<NaiveDateTime>,
}

const SIM_TOKEN: &str = "dalal-doctor-sim-token";

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
    let (clock, hosts, tokens, _sim, name) = match broker {
        DoctorBroker::Hdfcsky => {
            return Ok(DoctorReport {
                broker: "hdfcsky".into(),
                checks: vec![Check::fail(
                    "broker",
                    "HDFC Sky is not supported by this version of dalal",
                    "use --broker upstox or --broker sim",
                )],
            });
        }
        DoctorBroker::Sim => {
            let scenario = match &args.scenario {
                Some(path) => Scenario::load(path)?,
                None => Scenario::built_in(),
            };
            let start = start_or(args.start, || Ok(Clock::System.now()))?;
            let clock: Clock = SimulatedClock::new(start, 1.0)
                .context("the simulator's clock")?
                .into();
            let sim = super::sim_command::start_in_process(&clock, &calendar, SIM_TOKEN, scenario)
                .await?;
            let hosts = UpstoxHosts::single(sim.base_url());
            let name = format!("the built-in simulator at {}", sim.base_url());
            (
                clock,
                hosts,
                TokenSource::Fixed(Secret::new(SIM_TOKEN)),
                Some(sim),
                name,
            )
        }
        DoctorBroker::Upstox => {
            let hosts = args
                .base_url
                .clone()
                .map_or_else(UpstoxHosts::production, UpstoxHosts::single);
            let name = format!("Upstox at {}", hosts.api);
            let tokens = upstox_tokens(args.token_file.as_ref())?;
            (Clock::System, hosts, tokens, None, name)
        }
    };
    let token = tokens.read().map_err(|e| anyhow::anyhow!("{e}"))?;
    let settings = RestSettings {
        read_attempts: 1,
        ..RestSettings::default()
    };
    let rest = rest_client(hosts, &tokens, settings)?;
    let keys = bot
        .map(|b| {
            super::upstox_setup::upstox_keys(b, |_| true)
                .map(|k| k.into_keys().collect::<Vec<_>>())
                .unwrap_or_default()
        })
        .unwrap_or_default();
    let journal = bot.map(super::journal_command::journal_path);
    let inputs = DoctorInputs {
        config: loaded.as_ref().map_err(|e| e.to_string()),
        config_path: &args.config,
        clock,
        rest: &rest,
        token,
        keys,
        journal: journal.as_deref().filter(|p| p.exists()),
        probe: doctor::default_probe_settings(),
    };
    Ok(doctor::diagnose(&name, inputs).await)
}
