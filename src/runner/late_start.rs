//! A start after the open (a late start or a restart mid-session): each instrument's opening range is rebuilt
//! from the broker's one-minute candles before the first live price, so an instrument whose range dalal did not
//! watch can still be traded when the candles show it, and sits out when they do not (no candle at the open,
//! a broker without the call, or a breakout already past).

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::broker::FeedBroker;
use crate::domain::InstrumentId;
use crate::engine::{Command, Engine};
use crate::journal::{EngineInput, Recorder};

/// The most the rebuild may take, in real time: positions a restart took back are guarded only once the session
/// runs.
pub const REBUILD_WITHIN: Duration = Duration::from_secs(10);

/// Rebuilds every instrument's setup from its candles; returns the engine's notes (instruments sitting out).
pub async fn rebuild_from_candles<F: FeedBroker>(
    engine: &mut Engine,
    feed: &F,
    keys: &HashMap<String, InstrumentId>,
    now: DateTime<Utc>,
    recorder: &Recorder,
) -> Vec<Command> {
    let wanted: Vec<String> = keys.keys().cloned().collect();
    let mut closes: HashMap<String, Decimal> = HashMap::new();
    for batch in wanted.chunks(feed.poll_batch_size().max(1)) {
        match feed.poll(batch).await {
            Ok(updates) => closes.extend(
                updates
                    .into_iter()
                    .filter_map(|u| Some((u.instrument_key, u.previous_close?))),
            ),
            Err(e) => tracing::warn!(error = %e, "no previous closes for the candle rebuild"),
        }
    }
    let today = crate::calendar::to_ist(now).date_naive();
    let mut notes = Vec::new();
    for (key, instrument) in keys {
        let Some(&close) = closes.get(key) else {
            continue;
        };
        match feed.intraday_minutes(key, instrument, today).await {
            Ok(candles) => {
                tracing::info!(%instrument, candles = candles.len(), "opening range rebuilt from one-minute candles");
                notes.extend(engine.replay_minutes(instrument, &candles, close, now));
                recorder.record_input(&EngineInput::Minutes {
                    instrument: instrument.clone(),
                    candles,
                    previous_close: close,
                    now,
                });
            }
            Err(e) => {
                tracing::warn!(%instrument, error = %e, "no candles: the instrument sits out if its range was missed")
            }
        }
    }
    notes
}
