//! One soak day: a short live session against a fresh embedded simulator, with faults drawn from the day's seed
//! and, on some days, the bot killed mid-session (its runner aborted with no wind-down, as SIGKILL leaves it)
//! and started again at once to reconcile. Returns what the day's checks need: the journal, the simulator's
//! ledger, and how long a position went without a running stop monitor.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, NaiveTime, Timelike, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::sync::watch;

use super::broker_reach::{BrokerReach, SimApi};
use super::upstox_setup::{rest_client, upstox_keys};
use crate::broker::AccountBroker;
use crate::broker::RestSettings;
use crate::broker::upstox::{FeedMode, UpstoxAccount, UpstoxFeedBroker, UpstoxOrders};
use crate::calendar::ist_instant;
use crate::calendar::{Clock, MarketCalendar, SessionTimes, SimulatedClock, SpecialSession};
use crate::config::{Config, Mode};
use crate::journal::{JournalWriter, Recorded, Store};
use crate::runner::{DayRunner, RunnerBrokers, RunnerOptions};
use crate::sim::{BUILT_IN_SCENARIO, Scenario};
use crate::status::StatusBoard;

/// The soak's price-age limit: at a few hundred times real time, scheduling alone ages a price by seconds of
/// market time. The soak checks every entry against it.
pub const SOAK_MAX_PRICE_AGE_MS: u64 = 20_000;

/// The faults a day may draw: each scripted for a window inside the session, none in its last minutes.
const FEED_FAULTS: [&str; 5] = [
    "drop",
    "silence",
    "handshake_403",
    "handshake_401",
    "ltp_429",
];
const ORDER_FAULTS: [&str; 12] = [
    "partial_fill",
    "reject_after_ack",
    "modify_fail",
    "cancel_fail",
    "no_fill",
    "lost_ack",
    "garbled_ack",
    "order_5xx",
    "ack_delay",
    "order_stream_403",
    "order_stream_drop",
    "order_stream_silence",
];

/// A soak day's session: 09:15 to 09:45 IST, entries until 09:30, flat at 09:38.
const DAY: (i32, u32, u32) = (2026, 11, 23);

fn at(h: u32, m: u32, s: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, s).expect("a valid time")
}

/// What one day is made of, drawn from the soak's seed and the day's number.
pub struct DrawnDay {
    pub scenario: Scenario,
    /// The faults, as `kind HH:MM:SS–HH:MM:SS`, for the report.
    pub faults: Vec<String>,
    pub order_faults: usize,
    /// When the bot is killed, if it is today.
    pub kill_at: Option<NaiveTime>,
}

impl DrawnDay {
    pub fn draw(seed: u64, day: u32) -> anyhow::Result<DrawnDay> {
        let mut rng =
            ChaCha8Rng::seed_from_u64(seed.wrapping_mul(1_000_003).wrapping_add(u64::from(day)));
        let mut faults = Vec::new();
        let mut order_faults = 0;
        let mut toml = String::new();
        let mut window = |kind: &str, from: u32, until: u32| {
            let hms = |s: u32| format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
            faults.push(format!("{kind} {}–{}", hms(from), hms(until)));
            toml.push_str(&format!(
                "\n[[fault]]\nkind = \"{kind}\"\nfrom = \"{}\"\nuntil = \"{}\"\n",
                hms(from),
                hms(until)
            ));
        };
        for _ in 0..rng.random_range(1..=4) {
            let order = rng.random_bool(0.6);
            let kind = if order {
                order_faults += 1;
                ORDER_FAULTS[rng.random_range(0..ORDER_FAULTS.len())]
            } else {
                FEED_FAULTS[rng.random_range(0..FEED_FAULTS.len())]
            };
            // Inside 09:16–09:40, at most two minutes long: the last minutes are left for getting flat.
            let start = 16 * 60 + rng.random_range(0..24 * 60);
            let length = rng.random_range(10..=120);
            window(kind, 9 * 3600 + start, 9 * 3600 + start + length);
        }
        let kill_at = rng
            .random_bool(0.5)
            .then(|| at(9, 16, 0) + chrono::TimeDelta::seconds(rng.random_range(0..22 * 60)));
        // A quarter of the kill days are a restart's worst case: orders rest unfilled and every cancel is
        // refused for three minutes before the kill and one after, so the restart must follow the orders it
        // cannot cancel.
        if let Some(kill) = kill_at.filter(|_| rng.random_bool(0.25)) {
            let second = kill.num_seconds_from_midnight();
            for kind in ["no_fill", "cancel_fail"] {
                window(kind, second - 180, second + 60);
                order_faults += 1;
            }
        }
        let built_in = &BUILT_IN_SCENARIO[..BUILT_IN_SCENARIO
            .find("[[fault]]")
            .unwrap_or(BUILT_IN_SCENARIO.len())];
        let text = format!(
            "{}{toml}",
            built_in.replacen(
                "seed = 20261123",
                &format!("seed = {}", seed.wrapping_add(u64::from(day))),
                1,
            )
        );
        let scenario = Scenario::parse("soak day", &text).context("a drawn scenario")?;
        Ok(DrawnDay {
            scenario,
            faults,
            order_faults,
            kill_at,
        })
    }
}

/// What a played day left behind.
pub struct PlayedDay {
    pub journal: Vec<Recorded>,
    pub ledger: serde_json::Value,
    pub kills: u32,
    /// The longest a position stood with no runner watching it, in seconds of session time.
    pub unguarded_s: f64,
    pub panicked: bool,
}

/// The config of a soak day: the given one, live against the simulator, on a short special session.
fn day_config(base: &Config, journal: PathBuf) -> Config {
    let mut config = base.clone();
    config.bot.mode = Mode::Live;
    config.bot.journal_path = journal;
    let date = NaiveDate::from_ymd_opt(DAY.0, DAY.1, DAY.2).expect("a valid date");
    config.bot.calendar.own.special_sessions.insert(
        date,
        SpecialSession {
            name: "soak day".into(),
            times: SessionTimes {
                pre_open: at(9, 0, 0),
                pre_open_entry_end: at(9, 8, 0),
                open: at(9, 15, 0),
                close: at(9, 45, 0),
                post_close: None,
            },
        },
    );
    config.bot.risk.max_price_age_ms = SOAK_MAX_PRICE_AGE_MS;
    config.bot.session.last_entry_time = at(9, 30, 0);
    config.bot.session.square_off_time = at(9, 38, 0);
    config.strategy.qualify.or_minutes = 5;
    config.strategy.time.last_entry_time = at(9, 30, 0);
    config.strategy.time.flat_time = at(9, 38, 0);
    config
}

pub async fn play(
    base: &Config,
    drawn: &DrawnDay,
    speed: f64,
    folder: &std::path::Path,
) -> anyhow::Result<PlayedDay> {
    let journal = folder.join("journal.sqlite");
    let config = day_config(base, journal.clone());
    let calendar = MarketCalendar::new(config.bot.calendar.clone());
    let start = ist_instant(
        NaiveDate::from_ymd_opt(DAY.0, DAY.1, DAY.2).expect("a valid date"),
        at(9, 14, 0),
    );
    let clock: Clock = SimulatedClock::new(start, speed).context("--speed")?.into();
    let (sim, reach) = super::sim_command::start_in_process(
        &clock,
        &calendar,
        drawn.scenario.clone(),
        SimApi::Upstox,
    )
    .await?;
    let mut played = PlayedDay {
        journal: Vec::new(),
        ledger: serde_json::Value::Null,
        kills: 0,
        unguarded_s: 0.0,
        panicked: false,
    };
    let first = Runner::start(&config, &clock, &reach, speed, &journal)?;
    let last = match drawn.kill_at {
        Some(kill_at) => {
            let kill = ist_instant(
                NaiveDate::from_ymd_opt(DAY.0, DAY.1, DAY.2).expect("a valid date"),
                kill_at,
            );
            clock.sleep_until(kill).await;
            played.panicked |= first.kill().await;
            played.kills += 1;
            let open = open_positions(&reach).await;
            let restarted = Runner::start(&config, &clock, &reach, speed, &journal)?;
            if open {
                played.unguarded_s = restarted.until_session(&clock, kill).await;
            }
            restarted
        }
        None => first,
    };
    played.panicked |= last.finish().await?;
    played.ledger = sim.ledger();
    played.journal =
        Store::open(&journal)?.between(start - chrono::TimeDelta::days(1), clock.now())?;
    sim.stop().await;
    Ok(played)
}

/// Whether the simulator holds any intraday position for the universe now.
async fn open_positions(reach: &BrokerReach) -> bool {
    let BrokerReach::Upstox { hosts, tokens, .. } = reach else {
        return false;
    };
    let Ok(rest) = rest_client(
        hosts.clone(),
        tokens,
        RestSettings::default().single_attempt(),
    ) else {
        return false;
    };
    let account = UpstoxAccount::new(Arc::new(rest), tokens.clone());
    account
        .positions()
        .await
        .map(|p| p.iter().any(|p| p.net_quantity != 0))
        .unwrap_or(true)
}

/// A day runner in its own task, as `dalal run` makes it, trading the simulator through its Upstox API.
struct Runner {
    task: tokio::task::JoinHandle<Vec<crate::runner::DayReport>>,
    writer: JournalWriter,
    board: Arc<StatusBoard>,
    _stop: watch::Sender<bool>,
}

impl Runner {
    fn start(
        config: &Config,
        clock: &Clock,
        reach: &BrokerReach,
        speed: f64,
        journal: &std::path::Path,
    ) -> anyhow::Result<Runner> {
        let BrokerReach::Upstox { hosts, tokens, .. } = reach else {
            anyhow::bail!("the soak trades the simulator through its Upstox API");
        };
        let keys = upstox_keys(&config.bot, |_| true)?;
        let settings = RestSettings::default().for_speed(speed);
        let feed = Arc::new(UpstoxFeedBroker::new(
            rest_client(hosts.clone(), tokens, settings.clone().single_attempt())?,
            tokens.clone(),
            FeedMode::Ltpc,
        ));
        let rest = Arc::new(rest_client(hosts.clone(), tokens, settings)?);
        let account = Arc::new(UpstoxAccount::new(Arc::clone(&rest), tokens.clone()));
        let orders = Arc::new(
            UpstoxOrders::for_universe(rest, &config.bot.universe).with_tokens(tokens.clone()),
        );
        let brokers = RunnerBrokers {
            feed,
            orders,
            account,
            paper: None,
            keys,
        };
        let writer = JournalWriter::open(journal, false)?;
        let board = StatusBoard::new(Duration::from_millis(config.bot.risk.max_price_age_ms));
        let (stop, stopped) = watch::channel(false);
        let options = RunnerOptions {
            days: Some(1),
            config_path: None,
            journal_path: journal.to_path_buf(),
        };
        let runner = DayRunner::new(
            config.clone(),
            clock.clone(),
            brokers,
            writer.journal(),
            Arc::clone(&board),
            options,
            stopped,
        );
        Ok(Runner {
            task: tokio::spawn(runner.run()),
            writer,
            board,
            _stop: stop,
        })
    }

    /// The process dies: no wind-down, no close report. True when the runner had panicked before.
    async fn kill(self) -> bool {
        self.task.abort();
        let panicked = matches!(self.task.await, Err(e) if e.is_panic());
        let _ = self.writer.close();
        panicked
    }

    /// Seconds of session time from `since` until this runner's session runs (its stop monitor with it).
    async fn until_session(&self, clock: &Clock, since: DateTime<Utc>) -> f64 {
        for _ in 0..6_000 {
            if self.board.snapshot(clock.now()).phase == "session" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        (clock.now() - since).num_milliseconds() as f64 / 1000.0
    }

    /// Waits for the day to end; true when the runner panicked.
    async fn finish(self) -> anyhow::Result<bool> {
        let panicked = match tokio::time::timeout(Duration::from_secs(600), self.task).await {
            Ok(Ok(_)) => false,
            Ok(Err(e)) => e.is_panic(),
            Err(_) => anyhow::bail!("a soak day did not end within 10 minutes of real time"),
        };
        self.writer.close()?;
        Ok(panicked)
    }
}
