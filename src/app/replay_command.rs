//! `dalal replay --date D [--strategy FILE]`: the recorded day (every event its engine was given, kept beside
//! the journal) given to the same engine again. With the day's own strategy the recorded fills are replayed too,
//! and every decision must come out as journaled (exit 1 if not); with an edited strategy its orders fill on
//! paper as paper trading fills them, and the differences are listed. The replay writes a journal of its own, so
//! `dalal journal summary --journal FILE` reviews it like any day.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{NaiveDate, NaiveTime, TimeDelta};

use super::journal_command::journal_path;
use super::run_command::remove_journal;
use crate::calendar::{MarketCalendar, ist_instant};
use crate::config::{Config, DEFAULT_CONFIG_PATH};
use crate::engine::{Engine, EngineEvent};
use crate::execution::{OfflineFills, PaperBroker};
use crate::journal::{EngineInput, JournalWriter, Store, read_recording, recording_path};
use crate::review::compare;
use crate::runner::{FillSource, OfflineSession};

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// The trading day to replay (YYYY-MM-DD).
    #[arg(long)]
    pub date: NaiveDate,
    /// An edited strategy to replay the day with, instead of the one dalal.toml names.
    #[arg(long)]
    pub strategy: Option<PathBuf>,
    #[arg(long, env = "DALAL_CONFIG", default_value = DEFAULT_CONFIG_PATH)]
    pub config: PathBuf,
    /// The journal the day was recorded beside; the one `dalal run` writes with this config by default.
    #[arg(long)]
    pub journal: Option<PathBuf>,
    /// Where the replay's own journal goes; `replay-DATE.sqlite` beside the day's journal by default.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let config = match Config::load(&args.config) {
        Ok(config) => config,
        Err(errors) => {
            eprint!("{errors}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let journal = args
        .journal
        .clone()
        .unwrap_or_else(|| journal_path(&config.bot));
    let recording = recording_path(&journal, args.date);
    let events = read_recording(&recording)
        .map_err(anyhow::Error::msg)
        .with_context(|| {
            format!(
                "no replay for {}: the day was not recorded (dalal records every session it runs)",
                args.date
            )
        })?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| journal.with_file_name(format!("replay-{}.sqlite", args.date)));
    if same_file(&out, &journal) {
        bail!(
            "--out {} is the day's own journal: name another file",
            out.display()
        );
    }
    remove_journal(&out)?;

    // The day's own strategy is the one it recorded (the file may have changed since); an older recording
    // without it means today's file.
    let day_config = match recorded_strategy(&events) {
        Some(text) => {
            let file = out.with_extension("strategy.toml");
            std::fs::write(&file, text)
                .with_context(|| format!("cannot write {}", file.display()))?;
            config.clone().with_strategy_file(&file)
        }
        None => Ok(config.clone()),
    };
    let config = match &args.strategy {
        Some(path) => config.with_strategy_file(path),
        None => day_config.clone(),
    };
    let (day_config, config) = match (day_config, config) {
        (Ok(day), Ok(config)) => (day, config),
        (Err(errors), _) | (_, Err(errors)) => {
            eprint!("{errors}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let edited = config.strategy != day_config.strategy;
    let prices = events
        .iter()
        .filter(|e| matches!(e, EngineInput::Event(EngineEvent::Tick(_))))
        .count();
    println!(
        "replay of {}: {} events ({prices} prices) from {}",
        args.date,
        events.len(),
        recording.display()
    );
    println!(
        "strategy: {}; fills: {}",
        match &args.strategy {
            Some(path) if edited => format!("edited ({})", path.display()),
            _ => "the day's own".to_string(),
        },
        if edited {
            "paper, as paper trading fills"
        } else {
            "as recorded"
        }
    );

    let writer = JournalWriter::open(&out, true)
        .with_context(|| format!("cannot open the replay journal {}", out.display()))?;
    let engine = Engine::for_config(&config, MarketCalendar::new(config.bot.calendar.clone()));
    let fills = if edited {
        FillSource::Paper(OfflineFills::new(PaperBroker::standard(
            config.bot.orders.paper_fills_by_trade_size,
        )))
    } else {
        FillSource::Recorded
    };
    let mut session = OfflineSession::new(engine, writer.journal(), config.bot.charges, fills);
    let mut sessions = 0;
    for input in events {
        if let EngineInput::SessionStart { .. } = input {
            sessions += 1;
            if sessions > 1 {
                let calendar = MarketCalendar::new(config.bot.calendar.clone());
                session.next_session(Engine::for_config(&config, calendar));
            }
        }
        session.take(input);
    }
    let restored = session.restored_fills();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(session.finish());
    writer.close().context("cannot close the replay journal")?;

    let from = ist_instant(args.date, NaiveTime::MIN);
    let to = from + TimeDelta::days(1);
    let read = |path: &PathBuf| -> anyhow::Result<_> {
        Store::open(path)
            .and_then(|store| store.between(from, to))
            .with_context(|| format!("cannot read {}", path.display()))
    };
    let diff = compare(&read(&journal)?, &read(&out)?);
    print!("{diff}");
    if restored > 0 {
        println!(
            "note: a restart took back {restored} of the day's fills; the replay started without them, so \
             what followed them may differ"
        );
    }
    println!(
        "replay journal: {} (dalal journal summary --journal {})",
        out.display(),
        out.display()
    );
    if !edited && !diff.identical() && restored == 0 {
        println!(
            "the replay with the day's own strategy did not reproduce the journal: please report this"
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// The strategy file's text the day's first session recorded, if it did.
fn recorded_strategy(inputs: &[EngineInput]) -> Option<&str> {
    inputs.iter().find_map(|input| match input {
        EngineInput::SessionStart { strategy } if !strategy.is_empty() => Some(strategy.as_str()),
        _ => None,
    })
}

fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
