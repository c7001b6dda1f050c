//! A simulator scenario: the seed, the instruments and the faults to script, read from TOML.
//!
//! Faults are placed by IST time of day on every simulated day, so one scenario serves a one-day test and a
//! week-long paper run alike. The built-in scenario (the embedded default) has a WebSocket 403 episode and a
//! silent stall so that a newcomer sees the failover work.

use std::path::Path;
use std::str::FromStr;

use chrono::NaiveTime;
use rust_decimal::Decimal;
use serde::Deserialize;
use thiserror::Error;

use super::market::InstrumentSpec;
use crate::calendar::BrokerDay;
use crate::domain::TickSize;

pub const BUILT_IN_SCENARIO: &str = include_str!("default_scenario.toml");

#[derive(Debug, Error)]
pub enum ScenarioError {
    #[error("{file}: cannot read the scenario: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{file}: {message}\n  fix: see the built-in scenario (src/sim/default_scenario.toml) for every key"
    )]
    Invalid { file: String, message: String },
}

/// What can go wrong on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The feed's WebSocket handshake answers 403.
    #[serde(rename = "handshake_403")]
    Handshake403,
    /// The feed's WebSocket handshake answers 401 while the REST API accepts the same token, as HDFC Sky's
    /// integrators met it.
    #[serde(rename = "handshake_401")]
    Handshake401,
    /// Streamed trade times are a day ahead of the trades.
    TradeTimeAhead,
    /// Streamed trade times are a day behind the trades.
    TradeTimeBehind,
    /// Streamed trade times are whole seconds, the milliseconds cut off.
    TradeTimeSeconds,
    /// Streamed last prices are 0, as a feed sends for "no trade" or a garbled field.
    ZeroPrice,
    /// Streamed last prices are a hundred times the trade's, as a paise-for-rupees unit mistake would make them.
    PriceHundredfold,
    /// Every REST call and handshake answers 401 (the token expired).
    TokenExpiry,
    /// Open feed connections are dropped without a close frame.
    Drop,
    /// Open feed connections stay up but send nothing: no data, no pings.
    Silence,
    /// LTP calls answer 429.
    #[serde(rename = "ltp_429")]
    Ltp429,
    /// Order calls answer 500 without doing anything.
    #[serde(rename = "order_5xx")]
    Order5xx,
    /// Orders are accepted but their acknowledgement waits `delay_ms` of simulated time.
    AckDelay,
    /// Orders are placed but answered with a 2xx whose body cannot be read.
    GarbledAck,
    /// Orders are placed but never answered: the client times out.
    LostAck,
    /// Orders fill in parts: `fraction` of what is left, at most once a simulated second.
    PartialFill,
    /// Orders are accepted, then rejected by the broker's risk system before they can fill.
    RejectAfterAck,
    /// Modifications are refused.
    ModifyFail,
    /// Cancellations are refused.
    CancelFail,
    /// LIMIT orders do not fill, as if the market had moved away from them.
    NoFill,
    /// Open feed connections also receive a frame that is not protobuf, once a second.
    BadFrame,
    /// The portfolio stream feed's WebSocket handshake answers 403.
    #[serde(rename = "order_stream_403")]
    OrderStream403,
    /// Open portfolio stream connections are dropped without a close frame.
    OrderStreamDrop,
    /// Open portfolio stream connections stay up but send nothing and answer no ping.
    OrderStreamSilence,
    /// The order book, trades and positions each carry one more row that dalal's types do not describe (a
    /// currency-derivatives order), as HDFC Sky's book does for CDS.
    OddBookRow,
    /// Historical candle calls (Upstox's V3 and HDFC Sky's chart API) answer 500: a storm of server errors.
    #[serde(rename = "history_5xx")]
    History5xx,
    /// Historical candle calls answer 429, as a broker does to a client over its rate.
    #[serde(rename = "history_429")]
    History429,
    /// Historical candle calls are never answered: the client times out, or is stopped while it waits.
    HistoryStall,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultEntry {
    kind: FaultKind,
    /// IST time of day the fault starts (or happens, for a drop or a token expiry).
    #[serde(deserialize_with = "crate::config::values::time_of_day")]
    from: NaiveTime,
    /// IST time of day it ends; without it the fault lasts for the rest of the day (a drop is instant).
    #[serde(
        default,
        deserialize_with = "crate::config::values::optional_time_of_day"
    )]
    until: Option<NaiveTime>,
    /// For a 403 or a 429 episode: refuse only this many handshakes (LTP calls) from `from` on.
    #[serde(default)]
    attempts: Option<u32>,
    /// For a counted episode: let this many calls through first (a storm that starts mid-way).
    #[serde(default)]
    after: Option<u32>,
    #[serde(default)]
    delay_ms: Option<u64>,
    /// For `partial_fill`: the share of what is left that fills each time (0.5 when left out).
    #[serde(default)]
    fraction: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub kind: FaultKind,
    pub from: NaiveTime,
    pub until: Option<NaiveTime>,
    pub attempts: Option<u32>,
    /// Calls let through before a counted episode strikes (0 when left out).
    pub after: u32,
    pub delay_ms: u64,
    pub fraction: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct InstrumentEntry {
    symbol: String,
    /// ISIN for an equity, or the index name for an index.
    id: String,
    #[serde(default)]
    index: bool,
    /// HDFC Sky's exchange token, for the simulator's HDFC Sky API.
    #[serde(default)]
    hdfcsky_token: Option<u64>,
    #[serde(deserialize_with = "crate::config::values::decimal")]
    previous_close: Decimal,
    #[serde(deserialize_with = "crate::config::values::decimal")]
    tick_size: Decimal,
    #[serde(default)]
    gap_pct: f64,
    #[serde(default)]
    trend_pct: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    seed: u64,
    /// How many feed connections one token may hold open (Upstox: 2 for standard users).
    #[serde(default = "default_connection_limit")]
    connection_limit: usize,
    /// Every instrument trades this many times a simulated second, and the feeds send as often; without it,
    /// about half the seconds carry one trade.
    #[serde(default)]
    trades_per_second: Option<u32>,
    instrument: Vec<InstrumentEntry>,
    #[serde(default)]
    fault: Vec<FaultEntry>,
    #[serde(default)]
    announce: Vec<AnnounceEntry>,
}

fn default_connection_limit() -> usize {
    2
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub seed: u64,
    pub connection_limit: usize,
    pub trades_per_second: Option<u32>,
    pub instruments: Vec<InstrumentSpec>,
    pub faults: Vec<Fault>,
    /// Closures and special sessions the exchange announced that the bot's own calendar may not know: the
    /// simulated market follows them and the holiday endpoint lists them.
    pub announced: Vec<BrokerDay>,
}

/// `[[announce]]`: a closure, or with `open` and `close` ("HH:MM" IST) a special session.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnnounceEntry {
    #[serde(deserialize_with = "crate::config::values::date")]
    date: chrono::NaiveDate,
    name: String,
    #[serde(
        default,
        deserialize_with = "crate::config::values::optional_time_of_day"
    )]
    open: Option<NaiveTime>,
    #[serde(
        default,
        deserialize_with = "crate::config::values::optional_time_of_day"
    )]
    close: Option<NaiveTime>,
}

impl Scenario {
    pub fn built_in() -> Scenario {
        Scenario::parse("built-in scenario", BUILT_IN_SCENARIO)
            .expect("the built-in scenario is valid")
    }

    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            file: file.clone(),
            source,
        })?;
        Scenario::parse(&file, &text)
    }

    pub fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
        let invalid = |message: String| ScenarioError::Invalid {
            file: file.to_string(),
            message,
        };
        let raw: ScenarioFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        if let Some(n) = raw.trades_per_second.filter(|n| !(1..=100).contains(n)) {
            return Err(invalid(format!(
                "trades_per_second = {n}: it must be from 1 to 100"
            )));
        }
        let mut instruments = Vec::with_capacity(raw.instrument.len());
        for (i, e) in raw.instrument.into_iter().enumerate() {
            let tick = TickSize::new(e.tick_size)
                .map_err(|err| invalid(format!("instrument[{i}].tick_size: {err}")))?;
            if e.previous_close <= Decimal::ZERO {
                return Err(invalid(format!(
                    "instrument[{i}].previous_close must be above zero"
                )));
            }
            let key = if e.index {
                format!("NSE_INDEX|{}", e.id)
            } else {
                crate::domain::Isin::from_str(&e.id)
                    .map_err(|err| invalid(format!("instrument[{i}].id: {err}")))?;
                format!("NSE_EQ|{}", e.id)
            };
            instruments.push(InstrumentSpec {
                symbol: e.symbol,
                key,
                hdfcsky_token: e.hdfcsky_token,
                previous_close: e.previous_close,
                tick,
                gap_pct: e.gap_pct,
                trend_pct: e.trend_pct,
                index: e.index,
            });
        }
        let mut faults = Vec::with_capacity(raw.fault.len());
        for (i, f) in raw.fault.into_iter().enumerate() {
            let fraction = f.fraction.unwrap_or(0.5);
            if !(fraction > 0.0 && fraction < 1.0) {
                return Err(invalid(format!(
                    "fault[{i}].fraction = {fraction}: it must be above 0 and below 1"
                )));
            }
            faults.push(Fault {
                kind: f.kind,
                from: f.from,
                until: f.until,
                attempts: f.attempts,
                after: f.after.unwrap_or(0),
                delay_ms: f.delay_ms.unwrap_or(15_000),
                fraction,
            });
        }
        let mut announced = Vec::with_capacity(raw.announce.len());
        for (i, a) in raw.announce.into_iter().enumerate() {
            let session = match (a.open, a.close) {
                (None, None) => None,
                (Some(open), Some(close)) if open < close => Some((open, close)),
                _ => {
                    return Err(invalid(format!(
                        "announce[{i}]: give both open and close (open first) for a special session, or neither \
                         for a closure"
                    )));
                }
            };
            announced.push(BrokerDay {
                date: a.date,
                name: a.name,
                session,
            });
        }
        Ok(Scenario {
            seed: raw.seed,
            connection_limit: raw.connection_limit.max(1),
            trades_per_second: raw.trades_per_second,
            instruments,
            faults,
            announced,
        })
    }
}
