//! The simulated clock's command-line options, shared by the commands that run the simulator.

use chrono::{DateTime, NaiveDateTime, Utc};

use anyhow::Context;

use crate::calendar::{Clock, IST, SimulatedClock};

#[derive(Debug, clap::Args)]
pub struct SimClockArgs {
    /// How many times faster than real time the simulated clock runs.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Where the simulated clock starts, IST (e.g. 2026-11-23T09:14).
    #[arg(long, value_parser = parse_ist_datetime)]
    pub start: Option<NaiveDateTime>,
}

impl SimClockArgs {
    /// The simulated clock, starting at `--start` or else at `default_start`.
    pub fn clock(
        &self,
        default_start: impl FnOnce() -> DateTime<Utc>,
    ) -> anyhow::Result<(Clock, DateTime<Utc>)> {
        let start = start_or(self.start, || Ok(default_start()))?;
        let clock = SimulatedClock::new(start, self.speed).context("--speed")?;
        Ok((clock.into(), start))
    }
}

/// `--start` as an instant, or `default` when it was left out.
pub(super) fn start_or(
    start: Option<NaiveDateTime>,
    default: impl FnOnce() -> anyhow::Result<DateTime<Utc>>,
) -> anyhow::Result<DateTime<Utc>> {
    match start {
        Some(local) => Ok(local
            .and_local_timezone(IST)
            .earliest()
            .context("--start is not a valid IST time")?
            .to_utc()),
        None => default(),
    }
}

pub(super) fn parse_ist_datetime(text: &str) -> Result<NaiveDateTime, String> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| format!("`{text}` is not an IST date and time: write it as 2026-11-23T09:10"))
}
