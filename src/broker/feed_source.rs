//! What the failover feed needs from a broker, and nothing more: a fresh streaming connection on demand, a
//! polled last price for a batch of instruments, and a way to pick up a refreshed token; and, for a start
//! mid-session, today's one-minute candles so far.
//!
//! Upstox and HDFC Sky implement them. Prices cross this boundary as `PriceUpdate`s keyed by the broker's
//! instrument key, already in exact decimals.

use std::future::Future;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::{BrokerError, LtpQuote};
use crate::domain::{Candle, InstrumentId};

/// One instrument's price as a broker reported it, streamed or polled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceUpdate {
    pub instrument_key: String,
    pub last_price: Decimal,
    /// The exchange time of the last trade; polled prices usually have none.
    pub last_trade_time: Option<DateTime<Utc>>,
    pub last_quantity: Option<u64>,
    pub previous_close: Option<Decimal>,
}

impl From<LtpQuote> for PriceUpdate {
    /// A polled price: no trade time, since the LTP calls give none.
    fn from(q: LtpQuote) -> Self {
        PriceUpdate {
            last_quantity: u64::try_from(q.last_quantity).ok().filter(|n| *n > 0),
            instrument_key: q.instrument_key,
            last_price: q.last_price,
            last_trade_time: None,
            previous_close: q.previous_close,
        }
    }
}

/// What an open streaming connection produced.
#[derive(Debug)]
pub enum StreamEvent {
    Prices(Vec<PriceUpdate>),
    /// A frame that could not be decoded; the connection is still up.
    BadFrame(String),
    /// A heartbeat or a frame without prices: the connection is alive.
    Alive,
    /// The connection is gone.
    Closed(String),
}

pub trait FeedStream: Send {
    fn subscribe(
        &mut self,
        keys: &[String],
    ) -> impl Future<Output = Result<(), BrokerError>> + Send;
    fn next_event(&mut self) -> impl Future<Output = StreamEvent> + Send;
    /// Closes cleanly, so the broker does not count the connection against its limit.
    fn close(self) -> impl Future<Output = ()> + Send;
}

pub trait FeedBroker: Send + Sync + 'static {
    type Stream: FeedStream + 'static;

    /// A new streaming connection, with whatever fresh authorization the broker needs for each connect.
    fn connect(&self) -> impl Future<Output = Result<Self::Stream, BrokerError>> + Send;

    /// Last prices for at most `poll_batch_size()` keys.
    fn poll(
        &self,
        keys: &[String],
    ) -> impl Future<Output = Result<Vec<PriceUpdate>, BrokerError>> + Send;

    fn poll_batch_size(&self) -> usize;

    /// Re-reads the token from where it came from; true when it changed.
    fn reload_token(&self) -> impl Future<Output = bool> + Send;

    /// `today`'s one-minute candles of `instrument` (the broker's `key`) so far, oldest first: how a start
    /// mid-session sees the opening range it missed. A broker without the call has none, and its instruments
    /// then sit out a day joined late.
    fn intraday_minutes(
        &self,
        key: &str,
        instrument: &InstrumentId,
        today: NaiveDate,
    ) -> impl Future<Output = Result<Vec<Candle>, BrokerError>> + Send {
        let _ = (key, instrument, today);
        std::future::ready(Ok(Vec::new()))
    }
}
