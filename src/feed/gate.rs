//! Keeps the engine's view of each instrument moving forward across switches between stream and poll, without
//! trusting a broker's trade time further than it can be checked.
//!
//! Within one source, receipt order is the order: the stream's frames arrive as the broker sent them, and each
//! poll is the broker's answer at that moment. So a streamed price is refused only when it repeats the last
//! streamed trade (a snapshot after a reconnect does), and a polled one only while the stream is alive and served
//! the instrument within the overlap, because then the stream's price is the fresher one. Across sources, a
//! streamed trade that is no newer than a poll already delivered is stale; the exchange's trade time decides that
//! only when it is plausible (within `TRUSTED_SKEW` of receipt). A trade time further in the future is no trade
//! time at all: `discard_future_trade_time` removes it before the tick goes anywhere. No single time, however
//! wrong, can refuse the prices after it.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::Decimal;

use crate::domain::{InstrumentId, Tick, TickSource};

/// How far an exchange trade time may sit from dalal's receipt of it and still order prices across sources:
/// network delay and clock drift, with room to spare.
const TRUSTED_SKEW: TimeDelta = TimeDelta::seconds(5);

/// A trade as the stream reported it: the same three again is the same trade.
type Trade = (Option<DateTime<Utc>>, Decimal, Option<u64>);

#[derive(Debug, Clone, Copy)]
struct Streamed {
    trade: Trade,
    /// When it arrived; `None` once the stream that sent it is known to be gone.
    live_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Seen {
    streamed: Option<Streamed>,
    /// When the last poll was admitted, if none of the stream's prices was admitted after it.
    polled_since_stream: Option<DateTime<Utc>>,
}

#[derive(Debug, Default)]
pub struct TickGate {
    seen: HashMap<InstrumentId, Seen>,
}

impl TickGate {
    /// Whether `tick` may go to the engine; records it if so.
    pub fn admit(&mut self, tick: &Tick, overlap: TimeDelta) -> bool {
        let seen = self.seen.entry(tick.instrument.clone()).or_default();
        match tick.source {
            TickSource::Stream => {
                let trade = (tick.last_trade_time, tick.last_price, tick.last_quantity);
                if seen.streamed.is_some_and(|s| s.trade == trade) {
                    return false;
                }
                let covered_by_poll = seen
                    .polled_since_stream
                    .zip(trusted_trade_time(tick))
                    .is_some_and(|(polled, traded)| traded <= polled);
                if covered_by_poll {
                    return false;
                }
                seen.streamed = Some(Streamed {
                    trade,
                    live_at: Some(tick.received_at),
                });
                seen.polled_since_stream = None;
                true
            }
            TickSource::Poll => {
                let stream_is_fresher = seen
                    .streamed
                    .and_then(|s| s.live_at)
                    .is_some_and(|at| tick.received_at - at < overlap);
                if stream_is_fresher {
                    return false;
                }
                seen.polled_since_stream = Some(tick.received_at);
                true
            }
        }
    }

    /// The stream is gone (dropped, silent or closed): its last prices no longer outrank a poll.
    pub fn stream_ended(&mut self) {
        for streamed in self.seen.values_mut().filter_map(|s| s.streamed.as_mut()) {
            streamed.live_at = None;
        }
    }
}

/// Removes a trade time further ahead of the receipt than clock skew explains; true when it did. A broker's unit
/// mistake or a bad frame must not date a price in the future, where it would outrank every real one.
pub fn discard_future_trade_time(tick: &mut Tick) -> bool {
    let ahead = tick
        .last_trade_time
        .is_some_and(|t| t - tick.received_at > TRUSTED_SKEW);
    if ahead {
        tick.last_trade_time = None;
    }
    ahead
}

fn trusted_trade_time(tick: &Tick) -> Option<DateTime<Utc>> {
    tick.last_trade_time
        .filter(|t| (*t - tick.received_at).abs() <= TRUSTED_SKEW)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Exchange;
    use chrono::TimeZone;

    fn t(ms: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 4, 30, 0).unwrap() + TimeDelta::milliseconds(ms)
    }

    fn priced(source: TickSource, price: i64, traded_ms: Option<i64>, received_ms: i64) -> Tick {
        Tick {
            instrument: InstrumentId::new(Exchange::Nse, "INFY").unwrap(),
            last_price: Decimal::from(price),
            last_trade_time: traded_ms.map(t),
            last_quantity: None,
            previous_close: None,
            source,
            received_at: t(received_ms),
        }
    }

    fn tick(source: TickSource, traded_ms: Option<i64>, received_ms: i64) -> Tick {
        priced(source, 100, traded_ms, received_ms)
    }

    const DAY_MS: i64 = 86_400_000;

    #[test]
    fn duplicates_and_stale_snapshots_are_refused_across_switches() {
        let overlap = TimeDelta::seconds(1);
        let mut gate = TickGate::default();
        assert!(gate.admit(&tick(TickSource::Stream, Some(1_000), 1_050), overlap));
        assert!(
            !gate.admit(&tick(TickSource::Stream, Some(1_000), 1_060), overlap),
            "the same trade again"
        );
        // Polling while the stream is fresh: refused, the stream is fresher.
        assert!(!gate.admit(&tick(TickSource::Poll, None, 1_500), overlap));
        // The stream went quiet for longer than the overlap: the poll is the newest view.
        assert!(gate.admit(&tick(TickSource::Poll, None, 3_000), overlap));
        // A snapshot after reconnecting reports a trade from before the poll: not newer, refused.
        assert!(!gate.admit(&tick(TickSource::Stream, Some(2_500), 3_100), overlap));
        assert!(gate.admit(&tick(TickSource::Stream, Some(3_200), 3_250), overlap));
    }

    #[test]
    fn within_the_stream_receipt_order_wins_over_trade_times() {
        let overlap = TimeDelta::seconds(1);
        let mut gate = TickGate::default();
        assert!(gate.admit(
            &priced(TickSource::Stream, 100, Some(1_000), 1_050),
            overlap
        ));
        assert!(
            gate.admit(&priced(TickSource::Stream, 101, Some(900), 1_070), overlap),
            "the broker's next word, whatever its trade time"
        );
        // Trade times in whole seconds: three trades in one second are three prices.
        for (i, price) in [102, 103, 104].into_iter().enumerate() {
            let tick = priced(
                TickSource::Stream,
                price,
                Some(2_000),
                2_100 + 100 * i as i64,
            );
            assert!(
                gate.admit(&tick, overlap),
                "trade {price} in the same second"
            );
        }
    }

    #[test]
    fn a_time_a_day_off_loses_no_later_price_streamed_or_polled() {
        let overlap = TimeDelta::seconds(1);
        for wrong in [DAY_MS, -DAY_MS] {
            let mut gate = TickGate::default();
            assert!(gate.admit(&priced(TickSource::Poll, 99, None, 0), overlap));
            let mut liar = priced(TickSource::Stream, 100, Some(1_000 + wrong), 1_050);
            let discarded = discard_future_trade_time(&mut liar);
            assert_eq!(discarded, wrong > 0, "only a future time is discarded");
            assert!(
                gate.admit(&liar, overlap),
                "its price is still the broker's latest"
            );
            assert!(gate.admit(
                &priced(TickSource::Stream, 101, Some(1_100), 1_150),
                overlap
            ));
            assert!(
                gate.admit(&priced(TickSource::Poll, 102, None, 2_500), overlap),
                "a poll after the stream's overlap"
            );
            assert!(gate.admit(
                &priced(TickSource::Stream, 103, Some(2_600), 2_650),
                overlap
            ));
        }
    }

    #[test]
    fn a_poll_right_after_the_stream_ended_is_taken() {
        let overlap = TimeDelta::seconds(1);
        let mut gate = TickGate::default();
        assert!(gate.admit(&tick(TickSource::Stream, Some(1_000), 1_050), overlap));
        gate.stream_ended();
        assert!(gate.admit(&tick(TickSource::Poll, None, 1_200), overlap));
        assert!(
            !gate.admit(&tick(TickSource::Stream, Some(1_000), 1_300), overlap),
            "the dead stream's last trade, repeated by the next connection's snapshot"
        );
    }
}
