//! `dalal feed`: watch the failover feed work before trusting the bot with money, on the simulator (through
//! either broker's API), Upstox or HDFC Sky. Prints every price with its
//! source and age, and every change of the feed's state with its reason; Ctrl-C (or `--duration`) ends it with
//! the feed's counters.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::TimeDelta;
use tokio::sync::{mpsc, watch};

use super::broker_parts::{AnyFeed, PartsOptions};
use super::broker_reach::{BrokerReach, LiveBroker, SimApi};
use super::sim_clock_args::SimClockArgs;
use crate::broker::FeedBroker;
use crate::broker::hdfcsky::SubscriptionType;
use crate::calendar::{Clock, MarketCalendar, ist_instant, to_ist};
use crate::config::BotConfig;
use crate::domain::{InstrumentId, TickSource};
use crate::feed::{FailoverFeed, FeedOutput, FeedStats, FeedTimings};
use crate::sim::Scenario;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FeedBrokerChoice {
    /// The built-in simulator, started in this process.
    Sim,
    Upstox,
    Hdfcsky,
}

#[derive(Debug, clap::Args)]
pub struct FeedArgs {
    #[arg(long, value_enum, default_value_t = FeedBrokerChoice::Sim)]
    pub broker: FeedBrokerChoice,
    /// Symbols from the universe to watch, comma-separated; all of them when left out.
    #[arg(long, value_delimiter = ',')]
    pub instruments: Vec<String>,
    /// Stop after this many seconds of feed time.
    #[arg(long)]
    pub duration: Option<u64>,
    /// The simulator's clock; it starts now in market hours, else half a minute before the next open.
    #[command(flatten)]
    pub clock: SimClockArgs,
    /// With a broker: a file holding the access token (mode 600), re-read on 401; else UPSTOX_ACCESS_TOKEN or
    /// HDFCSKY_ACCESS_TOKEN.
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// With a broker: another host speaking its API (HDFC Sky's UAT host, or a running `dalal sim`).
    #[arg(long)]
    pub base_url: Option<url::Url>,
    /// With the simulator: which broker's API the feed reaches it through.
    #[arg(long, value_enum, default_value_t = SimApi::Upstox)]
    pub sim_api: SimApi,
    #[arg(long, default_value = crate::config::DEFAULT_CONFIG_PATH, env = "DALAL_CONFIG")]
    pub config: PathBuf,
}

pub fn run(args: FeedArgs) -> anyhow::Result<ExitCode> {
    let bot = match BotConfig::load(&args.config) {
        Ok(bot) => bot,
        Err(errors) => {
            eprint!("{errors}");
            return Ok(ExitCode::FAILURE);
        }
    };
    if let Some(unknown) = args
        .instruments
        .iter()
        .find(|s| !bot.universe.iter().any(|i| &i.id.symbol == *s))
    {
        bail!(
            "`{unknown}` is not in the universe of {}",
            bot.path.display()
        );
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(watch_feed(args, bot))
}

async fn watch_feed(args: FeedArgs, bot: BotConfig) -> anyhow::Result<ExitCode> {
    let calendar = MarketCalendar::new(bot.calendar.clone());
    let (clock, reach, _sim) = match args.broker {
        FeedBrokerChoice::Sim => {
            let (clock, start) = args.clock.clock(|| default_sim_start(&calendar))?;
            let (sim, reach) = super::sim_command::start_in_process(
                &clock,
                &calendar,
                Scenario::built_in(),
                args.sim_api,
            )
            .await?;
            println!(
                "feed: the built-in simulator at {}, clock from {} IST at {}x",
                sim.base_url(),
                to_ist(start).format("%Y-%m-%d %H:%M:%S"),
                args.clock.speed
            );
            (clock, reach, Some(sim))
        }
        live => {
            let broker = if live == FeedBrokerChoice::Upstox {
                LiveBroker::Upstox
            } else {
                LiveBroker::HdfcSky
            };
            let reach =
                BrokerReach::live(broker, args.base_url.as_ref(), args.token_file.as_ref())?;
            (Clock::System, reach, None)
        }
    };
    let wanted =
        |id: &InstrumentId| args.instruments.is_empty() || args.instruments.contains(&id.symbol);
    let speed = if args.broker == FeedBrokerChoice::Sim {
        args.clock.speed
    } else {
        1.0
    };
    let watch = Watch {
        clock,
        calendar,
        timings: FeedTimings::from(&bot.feed),
        duration: args.duration,
        without_band: bot.derivative_stocks(),
    };
    let options = PartsOptions {
        clock: watch.clock.clone(),
        speed,
        algo_name: None,
        hdfcsky_quotes: SubscriptionType::Ltp,
    };
    // Only the feed: on Upstox it reads market data on the analytics token when one is set.
    match reach.feed(&bot, &options)? {
        AnyFeed::Upstox(feed, mut keys) => {
            keys.retain(|_, id| wanted(id));
            watch.run(feed, keys).await
        }
        AnyFeed::HdfcSky(feed, mut keys) => {
            keys.retain(|_, id| wanted(id));
            watch.run(feed, keys).await
        }
    }
}

/// A failover feed to print, whichever broker it reads.
struct Watch {
    clock: Clock,
    calendar: MarketCalendar,
    timings: FeedTimings,
    duration: Option<u64>,
    without_band: Vec<InstrumentId>,
}

impl Watch {
    async fn run<B: FeedBroker>(
        self,
        broker: Arc<B>,
        keys: HashMap<String, InstrumentId>,
    ) -> anyhow::Result<ExitCode> {
        let clock = self.clock;
        let (tx, mut rx) = mpsc::channel(1024);
        let feed = FailoverFeed::new(broker, clock.clone(), self.calendar, self.timings, keys, tx)
            .without_fixed_band(self.without_band);
        let stats = feed.stats();
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(feed.run(stopped));
        let deadline = self
            .duration
            .map(|s| clock.now() + TimeDelta::seconds(s as i64));
        loop {
            let until_deadline = async {
                match deadline {
                    Some(at) => clock.sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                output = rx.recv() => match output {
                    Some(output) => print_output(&output, &clock),
                    None => break,
                },
                _ = until_deadline => break,
                _ = tokio::signal::ctrl_c() => break,
            }
        }
        let _ = stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        print_summary(&stats.lock().unwrap_or_else(|p| p.into_inner()));
        Ok(ExitCode::SUCCESS)
    }
}

/// Now if the market is trading, else half a minute before the next open.
fn default_sim_start(calendar: &MarketCalendar) -> chrono::DateTime<chrono::Utc> {
    let now = Clock::System.now();
    if calendar.is_continuous(now, crate::calendar::EquityClass::CashOnly) {
        return now;
    }
    calendar
        .next_open_after(now)
        .map(|open| open.open_at - TimeDelta::seconds(30))
        .unwrap_or_else(|| ist_instant(to_ist(now).date_naive(), chrono::NaiveTime::MIN))
}

fn print_output(output: &FeedOutput, clock: &Clock) {
    match output {
        FeedOutput::Tick(tick) => {
            let as_of = tick.last_trade_time.unwrap_or(tick.received_at);
            let age = (clock.now() - as_of).num_milliseconds().max(0);
            println!(
                "{}  {:<12} {:>12.2}  {:<6}  age {:>6} ms",
                to_ist(tick.received_at).format("%H:%M:%S%.3f"),
                tick.instrument.symbol,
                tick.last_price,
                match tick.source {
                    TickSource::Stream => "stream",
                    TickSource::Poll => "poll",
                },
                age
            );
        }
        FeedOutput::State { state, at } => {
            println!("{}  feed: {state}", to_ist(*at).format("%H:%M:%S%.3f"));
        }
    }
}

fn print_summary(stats: &FeedStats) {
    let mut states: Vec<_> = stats.time_in_state.iter().collect();
    states.sort();
    let times: Vec<String> = states
        .iter()
        .map(|(name, d)| format!("{name} {:.1} s", d.as_secs_f64()))
        .collect();
    println!(
        "summary: {} streamed and {} polled prices; {}; {} reconnects, {} polls, {} rate-limited, {} bad frames, {} future trade times",
        stats.stream_ticks,
        stats.poll_ticks,
        times.join(", "),
        stats.reconnects,
        stats.polls,
        stats.rate_limited,
        stats.bad_frames,
        stats.future_trade_times
    );
}
