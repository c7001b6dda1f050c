//! `dalal soak --days N --seed S`: a chaos soak. Plays N short simulated days fast, live against the embedded
//! simulator, each with a randomly drawn schedule of feed and order faults and, on about half the days, the bot
//! killed mid-session and restarted to reconcile; after each day it checks, from the journal and the
//! simulator's ledger, the invariants a trader relies on. Prints one row per invariant with its count and exits
//! 1 on any violation.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;

use super::soak_checks::Invariants;
use super::soak_day::{DrawnDay, SOAK_MAX_PRICE_AGE_MS, play};
use crate::config::Config;

#[derive(Debug, clap::Args)]
pub struct SoakArgs {
    #[arg(long, default_value = crate::config::DEFAULT_CONFIG_PATH, env = "DALAL_CONFIG")]
    pub config: PathBuf,
    /// Simulated days to play.
    #[arg(long, default_value_t = 20)]
    pub days: u32,
    /// Draws each day's faults and kill; the same seed plays the same soak.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// How many times faster than real time each day runs.
    #[arg(long, default_value_t = 200.0)]
    pub speed: f64,
}

pub fn run(args: SoakArgs) -> anyhow::Result<ExitCode> {
    let config = match Config::load(&args.config) {
        Ok(config) => config,
        Err(errors) => {
            eprint!("{errors}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(soak(args, config))
}

async fn soak(args: SoakArgs, config: Config) -> anyhow::Result<ExitCode> {
    let folder = std::env::temp_dir().join(format!("dalal-soak-{}", std::process::id()));
    let started = Instant::now();
    let mut invariants = Invariants::default();
    let (mut feed_faults, mut order_faults, mut kills, mut round_trips) = (0, 0, 0, 0);
    let mut longest_unwatched: f64 = 0.0;
    for day in 1..=args.days {
        let drawn = DrawnDay::draw(args.seed, day)?;
        let day_folder = folder.join(format!("day-{day}"));
        std::fs::create_dir_all(&day_folder)
            .with_context(|| format!("cannot create {}", day_folder.display()))?;
        let played = play(&config, &drawn, args.speed, &day_folder).await?;
        let trips = played
            .journal
            .iter()
            .filter(|r| r.entry.kind() == "trade")
            .count();
        invariants.check(
            day,
            &played.journal,
            &played.ledger,
            (played.unguarded_s, SOAK_MAX_PRICE_AGE_MS),
            played.panicked,
        );
        feed_faults += drawn.faults.len() - drawn.order_faults;
        order_faults += drawn.order_faults;
        kills += played.kills;
        longest_unwatched = longest_unwatched.max(played.unguarded_s);
        round_trips += trips;
        println!(
            "day {day:>4}: {trips} round trips, {} kill(s), faults: {}",
            played.kills,
            drawn.faults.join(", ")
        );
        let _ = std::fs::remove_dir_all(&day_folder);
    }
    let _ = std::fs::remove_dir_all(&folder);
    println!();
    println!(
        "soak: {} days (seed {}) in {:.0} s: {feed_faults} feed faults, {order_faults} order faults, {kills} kills, \
         {round_trips} round trips; the longest a position stood with no runner after a kill: \
         {longest_unwatched:.1} s",
        args.days,
        args.seed,
        started.elapsed().as_secs_f64()
    );
    println!("{:<52} {:>10}", "invariant", "violations");
    for (name, tally) in invariants.rows() {
        println!("{name:<52} {:>10}", tally.violations);
        if let Some(example) = &tally.example {
            println!("    first: {example}");
        }
    }
    Ok(if invariants.broken() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
