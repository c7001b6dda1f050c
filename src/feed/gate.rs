//! Keeps the engine's view of each instrument moving forward only, across switches between stream and poll.
//!
//! A tick is admitted only if it is newer than the last admitted one for its instrument: a streamed price is
//! as of its exchange trade time, a polled one as of when it was received. During the overlap after the stream
//! comes back, a polled price is refused for an instrument the stream served within the overlap, because the
//! stream's price is the fresher one.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::{InstrumentId, Tick, TickSource};

#[derive(Debug, Clone, Copy)]
struct Seen {
    as_of: DateTime<Utc>,
    last_stream_receipt: Option<DateTime<Utc>>,
}

#[derive(Debug, Default)]
pub struct TickGate {
    seen: HashMap<InstrumentId, Seen>,
}

impl TickGate {
    /// Whether `tick` may go to the engine; records it if so.
    pub fn admit(&mut self, tick: &Tick, overlap: TimeDelta) -> bool {
        let as_of = match tick.source {
            TickSource::Stream => tick.last_trade_time.unwrap_or(tick.received_at),
            TickSource::Poll => tick.received_at,
        };
        let previous = self.seen.get(&tick.instrument).copied();
        if let Some(seen) = previous {
            let stream_is_fresher = tick.source == TickSource::Poll
                && seen
                    .last_stream_receipt
                    .is_some_and(|at| tick.received_at - at < overlap);
            if stream_is_fresher || as_of <= seen.as_of {
                return false;
            }
        }
        let last_stream_receipt = match tick.source {
            TickSource::Stream => Some(tick.received_at),
            TickSource::Poll => previous.and_then(|s| s.last_stream_receipt),
        };
        self.seen.insert(
            tick.instrument.clone(),
            Seen {
                as_of,
                last_stream_receipt,
            },
        );
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Exchange;
    use chrono::TimeZone;
    use rust_decimal::Decimal;

    fn t(ms: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 4, 30, 0).unwrap() + TimeDelta::milliseconds(ms)
    }

    fn tick(source: TickSource, traded_ms: Option<i64>, received_ms: i64) -> Tick {
        Tick {
            instrument: InstrumentId::new(Exchange::Nse, "INFY").unwrap(),
            last_price: Decimal::ONE_HUNDRED,
            last_trade_time: traded_ms.map(t),
            last_quantity: None,
            previous_close: None,
            source,
            received_at: t(received_ms),
        }
    }

    #[test]
    fn duplicates_and_older_ticks_are_refused_across_switches() {
        let overlap = TimeDelta::seconds(1);
        let mut gate = TickGate::default();
        assert!(gate.admit(&tick(TickSource::Stream, Some(1_000), 1_050), overlap));
        assert!(
            !gate.admit(&tick(TickSource::Stream, Some(1_000), 1_060), overlap),
            "the same trade again"
        );
        assert!(
            !gate.admit(&tick(TickSource::Stream, Some(900), 1_070), overlap),
            "an older trade"
        );
        // Polling while the stream is fresh: refused, the stream is fresher.
        assert!(!gate.admit(&tick(TickSource::Poll, None, 1_500), overlap));
        // The stream went quiet for longer than the overlap: the poll is the newest view.
        assert!(gate.admit(&tick(TickSource::Poll, None, 3_000), overlap));
        // A snapshot after reconnecting reports a trade from before the poll: not newer, refused.
        assert!(!gate.admit(&tick(TickSource::Stream, Some(2_500), 3_100), overlap));
        assert!(gate.admit(&tick(TickSource::Stream, Some(3_200), 3_250), overlap));
    }
}
