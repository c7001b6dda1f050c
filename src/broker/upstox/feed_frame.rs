//! One Market Data Feed V3 frame, decoded and normalized to the prices the bot acts on.
//!
//! A pure function of the frame's bytes: the connection that owns the socket lives elsewhere. Every feed that
//! carries an LTPC (plain `ltpc` mode, `marketFF` and `indexFF` in full mode, `firstLevelWithGreeks`) yields one
//! tick; a feed without one is "no price update", never a zero price. Prices become exact decimals as printed.

use chrono::{DateTime, Utc};
use prost::Message;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use thiserror::Error;

use super::feed_proto::{FeedResponse, FeedUnion, FrameType, FullFeedUnion, Ltpc};
use crate::domain::{decimal_from_wire, decimal_to_wire, epoch_millis};

#[derive(Debug, Error)]
pub enum FeedDecodeError {
    #[error("not a Market Data Feed V3 frame ({len} bytes)")]
    Malformed {
        len: usize,
        #[source]
        source: prost::DecodeError,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// A snapshot after a subscription (`type` absent on the wire: it is enum value 0).
    InitialFeed,
    LiveFeed,
    /// The first frame of a connection: segment status, no prices.
    MarketInfo,
    /// A type this schema does not know; its prices are still read.
    Unknown(i32),
}

impl FrameKind {
    fn from_wire(value: i32) -> Self {
        match FrameType::try_from(value) {
            Ok(FrameType::InitialFeed) => FrameKind::InitialFeed,
            Ok(FrameType::LiveFeed) => FrameKind::LiveFeed,
            Ok(FrameType::MarketInfo) => FrameKind::MarketInfo,
            Err(_) => FrameKind::Unknown(value),
        }
    }

    pub fn name(self) -> String {
        match self {
            FrameKind::InitialFeed => FrameType::InitialFeed.name().into(),
            FrameKind::LiveFeed => FrameType::LiveFeed.name().into(),
            FrameKind::MarketInfo => FrameType::MarketInfo.name().into(),
            FrameKind::Unknown(v) => format!("unknown({v})"),
        }
    }
}

/// The price part of one instrument's feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedTick {
    /// The subscribed key, e.g. `NSE_EQ|INE002A01018`.
    pub instrument_key: String,
    pub ltp: Decimal,
    /// Last trade time, epoch milliseconds as documented (seconds are recognised by their magnitude); 0 when
    /// absent.
    pub ltt_ms: i64,
    /// Last traded quantity; 0 when absent (indices have none).
    pub ltq: i64,
    /// Previous close; `None` when absent.
    pub cp: Option<Decimal>,
}

impl FeedTick {
    pub fn last_trade_time(&self) -> Option<DateTime<Utc>> {
        (self.ltt_ms != 0)
            .then(|| DateTime::from_timestamp_millis(epoch_millis(self.ltt_ms)))
            .flatten()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FeedFrame {
    pub kind: FrameKind,
    /// Server time, epoch milliseconds; 0 when absent.
    pub current_ts_ms: i64,
    /// One per instrument whose feed carried an LTPC, sorted by instrument key.
    pub ticks: Vec<FeedTick>,
    /// Instruments whose price was not a finite number; their ticks are dropped, not zeroed.
    pub invalid_prices: Vec<String>,
}

impl FeedFrame {
    /// Decodes a binary frame. Never panics on any input.
    pub fn decode(bytes: &[u8]) -> Result<(FeedFrame, FeedResponse), FeedDecodeError> {
        let response =
            FeedResponse::decode(bytes).map_err(|source| FeedDecodeError::Malformed {
                len: bytes.len(),
                source,
            })?;
        Ok((FeedFrame::from_response(&response), response))
    }

    pub fn from_response(response: &FeedResponse) -> FeedFrame {
        let mut ticks = Vec::with_capacity(response.feeds.len());
        let mut invalid_prices = Vec::new();
        for (key, feed) in &response.feeds {
            let Some(ltpc) = ltpc_of(feed.feed_union.as_ref()) else {
                continue;
            };
            match tick_from(key, ltpc) {
                Some(tick) => ticks.push(tick),
                None => invalid_prices.push(key.clone()),
            }
        }
        FeedFrame {
            kind: FrameKind::from_wire(response.frame_type),
            current_ts_ms: response.current_ts,
            ticks,
            invalid_prices,
        }
    }

    /// The normalized view, in the shape of the conformance files' `NAME.ticks.json`.
    pub fn view(&self) -> Value {
        let ticks: Vec<Value> = self
            .ticks
            .iter()
            .map(|t| {
                json!({
                    "instrument_key": t.instrument_key,
                    "ltp": decimal_json(t.ltp),
                    "ltt": t.ltt_ms,
                    "ltq": t.ltq,
                    "cp": t.cp.map(decimal_json),
                })
            })
            .collect();
        json!({ "type": self.kind.name(), "current_ts": self.current_ts_ms, "ticks": ticks })
    }
}

fn ltpc_of(feed: Option<&FeedUnion>) -> Option<&Ltpc> {
    match feed? {
        FeedUnion::Ltpc(ltpc) => Some(ltpc),
        FeedUnion::FullFeed(full) => match full.full_feed_union.as_ref()? {
            FullFeedUnion::MarketFf(m) => m.ltpc.as_ref(),
            FullFeedUnion::IndexFf(i) => i.ltpc.as_ref(),
        },
        FeedUnion::FirstLevelWithGreeks(g) => g.ltpc.as_ref(),
    }
}

fn tick_from(key: &str, ltpc: &Ltpc) -> Option<FeedTick> {
    let ltp = decimal_from_wire(ltpc.ltp).ok()?;
    let cp = match ltpc.cp {
        0.0 => None,
        cp => Some(decimal_from_wire(cp).ok()?),
    };
    Some(FeedTick {
        instrument_key: key.to_string(),
        ltp,
        ltt_ms: ltpc.ltt,
        ltq: ltpc.ltq,
        cp,
    })
}

/// A decimal as a JSON floating-point number that prints back as the same decimal.
fn decimal_json(d: Decimal) -> Value {
    serde_json::Number::from_f64(decimal_to_wire(d)).map_or(Value::Null, Value::Number)
}
