//! The day's recording, byte by byte: every event the engine was given (each price with its source and receipt
//! time, the one-second timers, fills, order ends, feed and trading states, the operator's controls), so `dalal
//! replay` can give the same engine the same day again. Pure encode and decode, apart from the file that owns
//! them (`recording`), like the feed's frame parsers.
//!
//! A file is the magic line, then records of `[kind u8][length u32 LE][payload]`. Prices (nearly every record)
//! are packed binary, about 60 bytes each; the rare rest are small JSON objects. A record of an unknown kind is
//! skipped by its length, so a newer writer's additions do not stop an older reader; a cut-off last record (the
//! bot was killed mid-write) ends the file.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::{Candle, Exchange, Fill, InstrumentId, OrderTag, Side, Tick, TickSource};
use crate::engine::EngineEvent;

/// One input the engine took: an event, or the setup a start mid-session gives it before the first event.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineInput {
    Event(EngineEvent),
    /// A late start's opening range, rebuilt from the day's one-minute candles (`Engine::replay_minutes`).
    Minutes {
        instrument: InstrumentId,
        candles: Vec<Candle>,
        previous_close: Decimal,
        now: DateTime<Utc>,
    },
    /// A restart took back this many of the day's fills: a replay starts without them.
    Restored {
        fills: usize,
    },
    SessionStart {
        strategy: String,
    },
}

pub const MAGIC: &[u8] = b"dalal recording 1\n";
const TICK: u8 = 1;
const TIMER: u8 = 2;
const OTHER: u8 = 3;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecordingError {
    #[error("not a dalal recording (its first line is not `dalal recording 1`)")]
    NotARecording,
    #[error("record {index} is unreadable: {why}")]
    Unreadable { index: usize, why: String },
}

/// The events that are neither prices nor timers, as JSON.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Rare {
    FeedHealth {
        ok: bool,
    },
    TradingEnabled {
        on: bool,
    },
    JournalWrites {
        ok: bool,
    },
    EntriesPaused {
        paused: bool,
    },
    Fill {
        order_id: String,
        tag: Option<String>,
        instrument: String,
        buy: bool,
        quantity: u32,
        price: Decimal,
        time: DateTime<Utc>,
    },
    OrderEnded {
        tag: String,
        rejected: bool,
        reason: String,
    },
    OrderLost {
        tag: String,
        reason: String,
    },
    ModifyFailed {
        tag: String,
        reason: String,
    },
    CancelFailed {
        tag: String,
        reason: String,
    },
    Shutdown {
        at: DateTime<Utc>,
        flatten: bool,
    },
    Flatten {
        at: DateTime<Utc>,
        instrument: Option<String>,
    },
    Minutes {
        instrument: String,
        candles: Vec<MinuteCandle>,
        previous_close: Decimal,
        now: DateTime<Utc>,
    },
    Restored {
        fills: usize,
    },
    SessionStart {
        strategy: String,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct MinuteCandle {
    start: DateTime<Utc>,
    open: Decimal,
    high: Decimal,
    low: Decimal,
    close: Decimal,
    volume: u64,
}

/// Appends `input`'s record to `out`.
pub fn encode(input: &EngineInput, out: &mut Vec<u8>) {
    match setup(input) {
        Some(rare) => push(OTHER, serde_json::to_vec(&rare).unwrap_or_default(), out),
        None => {
            if let EngineInput::Event(event) = input {
                encode_event(event, out);
            }
        }
    }
}

/// Appends `event`'s record to `out` (an event needs no copy to be recorded).
pub fn encode_event(event: &EngineEvent, out: &mut Vec<u8>) {
    let (kind, payload) = match event {
        EngineEvent::Tick(tick) => (TICK, tick_bytes(tick)),
        EngineEvent::Timer(at) => (TIMER, nanos(*at).to_le_bytes().to_vec()),
        other => match rare(other) {
            Some(rare) => (OTHER, serde_json::to_vec(&rare).unwrap_or_default()),
            None => return,
        },
    };
    push(kind, payload, out);
}

fn push(kind: u8, payload: Vec<u8>, out: &mut Vec<u8>) {
    out.push(kind);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&payload);
}

/// Every input of a recording, in order; an unknown kind skipped, a cut-off last record ignored.
pub fn decode(bytes: &[u8]) -> Result<Vec<EngineInput>, RecordingError> {
    let mut rest = bytes
        .strip_prefix(MAGIC)
        .ok_or(RecordingError::NotARecording)?;
    let mut events = Vec::new();
    let mut index = 0;
    while rest.len() >= 5 {
        let kind = rest[0];
        let length = u32::from_le_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        let Some(payload) = rest.get(5..5 + length) else {
            break; // cut off mid-record
        };
        let unreadable = |why: String| RecordingError::Unreadable { index, why };
        match kind {
            TICK => events.push(EngineInput::Event(EngineEvent::Tick(
                read_tick(payload).ok_or_else(|| unreadable("a bad price record".into()))?,
            ))),
            TIMER => {
                let at = payload
                    .try_into()
                    .ok()
                    .map(i64::from_le_bytes)
                    .ok_or_else(|| unreadable("a bad timer record".into()))?;
                events.push(EngineInput::Event(EngineEvent::Timer(
                    DateTime::from_timestamp_nanos(at),
                )));
            }
            OTHER => {
                let rare: Rare =
                    serde_json::from_slice(payload).map_err(|e| unreadable(e.to_string()))?;
                events.push(from_rare(rare).map_err(unreadable)?);
            }
            _ => {}
        }
        rest = &rest[5 + length..];
        index += 1;
    }
    Ok(events)
}

/// How many leading bytes of `bytes` (a recording) are whole records: the rest is a cut-off tail.
pub fn whole_records(bytes: &[u8]) -> usize {
    let Some(mut rest) = bytes.strip_prefix(MAGIC) else {
        return bytes.len();
    };
    while rest.len() >= 5 {
        let length = u32::from_le_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        match rest.get(5 + length..) {
            Some(after) => rest = after,
            None => break,
        }
    }
    bytes.len() - rest.len()
}

fn nanos(at: DateTime<Utc>) -> i64 {
    at.timestamp_nanos_opt().unwrap_or(i64::MAX)
}

fn tick_bytes(tick: &Tick) -> Vec<u8> {
    let name = tick.instrument.to_string();
    let mut out = Vec::with_capacity(64 + name.len());
    out.push(name.len() as u8);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&tick.last_price.serialize());
    out.push(matches!(tick.source, TickSource::Poll) as u8);
    out.extend_from_slice(&nanos(tick.received_at).to_le_bytes());
    out.extend_from_slice(&tick.last_trade_time.map_or(i64::MIN, nanos).to_le_bytes());
    out.extend_from_slice(&tick.last_quantity.unwrap_or(u64::MAX).to_le_bytes());
    match tick.previous_close {
        Some(close) => {
            out.push(1);
            out.extend_from_slice(&close.serialize());
        }
        None => out.push(0),
    }
    out
}

fn read_tick(bytes: &[u8]) -> Option<Tick> {
    let (&length, rest) = bytes.split_first()?;
    let name = std::str::from_utf8(rest.get(..length as usize)?).ok()?;
    let rest = &rest[length as usize..];
    let decimal =
        |b: &[u8]| -> Option<Decimal> { Some(Decimal::deserialize(b.get(..16)?.try_into().ok()?)) };
    let int = |b: &[u8]| -> Option<[u8; 8]> { b.get(..8)?.try_into().ok() };
    let last_price = decimal(rest)?;
    let source = if *rest.get(16)? == 1 {
        TickSource::Poll
    } else {
        TickSource::Stream
    };
    let received_at = DateTime::from_timestamp_nanos(i64::from_le_bytes(int(rest.get(17..)?)?));
    let traded = i64::from_le_bytes(int(rest.get(25..)?)?);
    let quantity = u64::from_le_bytes(int(rest.get(33..)?)?);
    let previous_close = match *rest.get(41)? {
        1 => Some(decimal(rest.get(42..)?)?),
        _ => None,
    };
    Some(Tick {
        instrument: instrument(name).ok()?,
        last_price,
        last_trade_time: (traded != i64::MIN).then(|| DateTime::from_timestamp_nanos(traded)),
        last_quantity: (quantity != u64::MAX).then_some(quantity),
        previous_close,
        source,
        received_at,
    })
}

fn instrument(name: &str) -> Result<InstrumentId, String> {
    let (exchange, symbol) = name
        .split_once(':')
        .ok_or_else(|| format!("instrument `{name}` has no exchange"))?;
    let exchange: Exchange = exchange.parse().map_err(|e| format!("{e}"))?;
    InstrumentId::new(exchange, symbol).map_err(|e| e.to_string())
}

fn tag(text: &str) -> Result<OrderTag, String> {
    text.parse()
        .map_err(|_| format!("order tag `{text}` is malformed"))
}

/// The record of an input that is not an event; none for an event (see `encode_event`).
fn setup(input: &EngineInput) -> Option<Rare> {
    Some(match input {
        EngineInput::Event(_) => return None,
        EngineInput::Minutes {
            instrument,
            candles,
            previous_close,
            now,
        } => Rare::Minutes {
            instrument: instrument.to_string(),
            candles: candles
                .iter()
                .map(|c| MinuteCandle {
                    start: c.start,
                    open: c.open,
                    high: c.high,
                    low: c.low,
                    close: c.close,
                    volume: c.volume,
                })
                .collect(),
            previous_close: *previous_close,
            now: *now,
        },
        EngineInput::Restored { fills } => Rare::Restored { fills: *fills },
        EngineInput::SessionStart { strategy } => Rare::SessionStart {
            strategy: strategy.clone(),
        },
    })
}

/// The JSON record of an event that is neither a price nor a timer (those are packed binary).
fn rare(event: &EngineEvent) -> Option<Rare> {
    Some(match event {
        EngineEvent::FeedHealth(ok) => Rare::FeedHealth { ok: *ok },
        EngineEvent::TradingEnabled(on) => Rare::TradingEnabled { on: *on },
        EngineEvent::JournalWrites(ok) => Rare::JournalWrites { ok: *ok },
        EngineEvent::EntriesPaused(paused) => Rare::EntriesPaused { paused: *paused },
        EngineEvent::Fill(fill) => Rare::Fill {
            order_id: fill.order_id.clone(),
            tag: fill.tag.as_ref().map(|t| t.to_string()),
            instrument: fill.instrument.to_string(),
            buy: fill.side == Side::Buy,
            quantity: fill.quantity,
            price: fill.price,
            time: fill.time,
        },
        EngineEvent::OrderEnded {
            tag,
            rejected,
            reason,
        } => Rare::OrderEnded {
            tag: tag.to_string(),
            rejected: *rejected,
            reason: reason.clone(),
        },
        EngineEvent::OrderLost { tag, reason } => Rare::OrderLost {
            tag: tag.to_string(),
            reason: reason.clone(),
        },
        EngineEvent::ModifyFailed { tag, reason } => Rare::ModifyFailed {
            tag: tag.to_string(),
            reason: reason.clone(),
        },
        EngineEvent::CancelFailed { tag, reason } => Rare::CancelFailed {
            tag: tag.to_string(),
            reason: reason.clone(),
        },
        EngineEvent::Shutdown { at, flatten } => Rare::Shutdown {
            at: *at,
            flatten: *flatten,
        },
        EngineEvent::Flatten { at, instrument } => Rare::Flatten {
            at: *at,
            instrument: instrument.as_ref().map(|i| i.to_string()),
        },
        EngineEvent::Tick(_) | EngineEvent::Timer(_) => return None,
    })
}

fn from_rare(rare: Rare) -> Result<EngineInput, String> {
    Ok(EngineInput::Event(match rare {
        Rare::Minutes {
            instrument: name,
            candles,
            previous_close,
            now,
        } => {
            return Ok(EngineInput::Minutes {
                instrument: instrument(&name)?,
                candles: candles
                    .into_iter()
                    .map(|c| Candle {
                        start: c.start,
                        open: c.open,
                        high: c.high,
                        low: c.low,
                        close: c.close,
                        volume: c.volume,
                    })
                    .collect(),
                previous_close,
                now,
            });
        }
        Rare::Restored { fills } => return Ok(EngineInput::Restored { fills }),
        Rare::SessionStart { strategy } => return Ok(EngineInput::SessionStart { strategy }),
        Rare::FeedHealth { ok } => EngineEvent::FeedHealth(ok),
        Rare::TradingEnabled { on } => EngineEvent::TradingEnabled(on),
        Rare::JournalWrites { ok } => EngineEvent::JournalWrites(ok),
        Rare::EntriesPaused { paused } => EngineEvent::EntriesPaused(paused),
        Rare::Fill {
            order_id,
            tag: fill_tag,
            instrument: name,
            buy,
            quantity,
            price,
            time,
        } => EngineEvent::Fill(Fill {
            order_id,
            tag: fill_tag.as_deref().map(tag).transpose()?,
            instrument: instrument(&name)?,
            side: if buy { Side::Buy } else { Side::Sell },
            quantity,
            price,
            time,
        }),
        Rare::OrderEnded {
            tag: t,
            rejected,
            reason,
        } => EngineEvent::OrderEnded {
            tag: tag(&t)?,
            rejected,
            reason,
        },
        Rare::OrderLost { tag: t, reason } => EngineEvent::OrderLost {
            tag: tag(&t)?,
            reason,
        },
        Rare::ModifyFailed { tag: t, reason } => EngineEvent::ModifyFailed {
            tag: tag(&t)?,
            reason,
        },
        Rare::CancelFailed { tag: t, reason } => EngineEvent::CancelFailed {
            tag: tag(&t)?,
            reason,
        },
        Rare::Shutdown { at, flatten } => EngineEvent::Shutdown { at, flatten },
        Rare::Flatten {
            at,
            instrument: name,
        } => EngineEvent::Flatten {
            at,
            instrument: name.as_deref().map(instrument).transpose()?,
        },
    }))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;
    use rust_decimal::dec;

    use super::*;
    use crate::fuzz_input::damaged;

    fn at(second: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 4, 0, second).unwrap()
    }

    fn id() -> InstrumentId {
        InstrumentId::new(Exchange::Nse, "M&M").unwrap()
    }

    /// One input of every kind, with the optional fields both present and absent.
    fn every_kind() -> Vec<EngineInput> {
        let tag: OrderTag = "D261123-MM-E1".parse().unwrap();
        let tick = Tick {
            instrument: id(),
            last_price: dec!(3012.35),
            last_trade_time: Some(at(1)),
            last_quantity: Some(75),
            previous_close: Some(dec!(2990.1)),
            source: TickSource::Stream,
            received_at: at(2),
        };
        let candle = Candle {
            start: at(0),
            open: dec!(3000),
            high: dec!(3015.5),
            low: dec!(2998.05),
            close: dec!(3012.35),
            volume: 12_000,
        };
        let setup = [
            EngineInput::SessionStart {
                strategy: "[qualify]\ngap_min_pct = 0.5\n".into(),
            },
            EngineInput::Restored { fills: 2 },
            EngineInput::Minutes {
                instrument: id(),
                candles: vec![candle],
                previous_close: dec!(2990.1),
                now: at(1),
            },
        ];
        let events = vec![
            EngineEvent::TradingEnabled(true),
            EngineEvent::EntriesPaused(false),
            EngineEvent::Tick(tick.clone()),
            EngineEvent::Tick(Tick {
                last_trade_time: None,
                last_quantity: None,
                previous_close: None,
                source: TickSource::Poll,
                ..tick
            }),
            EngineEvent::Timer(at(3)),
            EngineEvent::FeedHealth(false),
            EngineEvent::JournalWrites(true),
            EngineEvent::Fill(Fill {
                order_id: "250123000001".into(),
                tag: Some(tag.clone()),
                instrument: id(),
                side: Side::Sell,
                quantity: 5,
                price: dec!(3011.05),
                time: at(4),
            }),
            EngineEvent::OrderEnded {
                tag: tag.clone(),
                rejected: true,
                reason: "RMS: margin".into(),
            },
            EngineEvent::OrderLost {
                tag: tag.clone(),
                reason: "never seen".into(),
            },
            EngineEvent::ModifyFailed {
                tag: tag.clone(),
                reason: "no".into(),
            },
            EngineEvent::CancelFailed {
                tag,
                reason: "no".into(),
            },
            EngineEvent::Flatten {
                at: at(5),
                instrument: Some(id()),
            },
            EngineEvent::Flatten {
                at: at(6),
                instrument: None,
            },
            EngineEvent::Shutdown {
                at: at(7),
                flatten: true,
            },
        ];
        setup
            .into_iter()
            .chain(events.into_iter().map(EngineInput::Event))
            .collect()
    }

    fn recording(inputs: &[EngineInput]) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        for input in inputs {
            encode(input, &mut bytes);
        }
        bytes
    }

    #[test]
    fn every_kind_of_event_reads_back_as_written() {
        let events = every_kind();
        assert_eq!(decode(&recording(&events)).unwrap(), events);
    }

    #[test]
    fn a_cut_off_last_record_ends_the_file_and_an_unknown_kind_is_skipped() {
        let events = every_kind();
        let mut bytes = recording(&events);
        bytes.extend_from_slice(&[9, 3, 0, 0, 0, 1, 2, 3]); // a kind from a newer writer
        encode(&events[2], &mut bytes);
        bytes.truncate(bytes.len() - 10);
        assert_eq!(decode(&bytes).unwrap(), events);
        assert_eq!(
            decode(b"not a recording"),
            Err(RecordingError::NotARecording)
        );
        let whole = whole_records(&bytes);
        assert_eq!(whole, recording(&events).len() + 8);
    }

    #[test]
    fn a_session_appended_after_a_cut_off_record_reads_back() {
        let events = every_kind();
        let mut bytes = recording(&events);
        encode(&events[3], &mut bytes);
        bytes.truncate(bytes.len() - 3);
        bytes.truncate(whole_records(&bytes));
        encode(&events[0], &mut bytes);
        let mut expected = events.clone();
        expected.push(events[0].clone());
        assert_eq!(decode(&bytes).unwrap(), expected);
    }

    proptest! {
        #[test]
        fn fuzz_recording_file(bytes in damaged(vec![recording(&every_kind())])) {
            let _ = decode(&bytes);
        }
    }
}
