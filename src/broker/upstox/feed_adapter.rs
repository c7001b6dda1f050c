//! Upstox behind the failover feed's traits: every connect authorizes afresh (a one-time URL serves one
//! connection), polling uses LTP v3, and a 401 is met by re-reading the token from its source.

use super::feed_frame::FeedTick;
use super::feed_request::FeedMode;
use super::feed_socket::{FeedEvent, UpstoxFeedSocket};
use super::rest_client::{LTP_KEYS_PER_CALL, UpstoxRest};
use crate::broker::{BrokerError, FeedBroker, FeedStream, PriceUpdate, StreamEvent};
use crate::config::{TokenSource, TokenWatch};
use crate::domain::{Candle, InstrumentId};
use chrono::NaiveDate;

pub struct UpstoxFeedBroker {
    rest: UpstoxRest,
    tokens: TokenWatch,
    mode: FeedMode,
}

impl UpstoxFeedBroker {
    /// `rest` must already hold the token that `tokens` gives now.
    pub fn new(rest: UpstoxRest, tokens: TokenSource, mode: FeedMode) -> Self {
        UpstoxFeedBroker {
            rest,
            tokens: TokenWatch::new(tokens),
            mode,
        }
    }
}

pub struct UpstoxStream {
    socket: UpstoxFeedSocket,
    mode: FeedMode,
}

impl UpstoxStream {
    /// A stream over a connected socket, subscribing in `mode`.
    pub fn new(socket: UpstoxFeedSocket, mode: FeedMode) -> Self {
        UpstoxStream { socket, mode }
    }
}

fn price_update(tick: FeedTick) -> PriceUpdate {
    PriceUpdate {
        last_trade_time: tick.last_trade_time(),
        last_quantity: u64::try_from(tick.ltq).ok().filter(|q| *q > 0),
        instrument_key: tick.instrument_key,
        last_price: tick.ltp,
        previous_close: tick.cp,
    }
}

impl FeedStream for UpstoxStream {
    async fn subscribe(&mut self, keys: &[String]) -> Result<(), BrokerError> {
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        self.socket.subscribe(self.mode, &keys).await
    }

    async fn next_event(&mut self) -> StreamEvent {
        match self.socket.next_event().await {
            FeedEvent::Frame(frame) if frame.ticks.is_empty() => StreamEvent::Alive,
            FeedEvent::Frame(frame) => {
                StreamEvent::Prices(frame.ticks.into_iter().map(price_update).collect())
            }
            FeedEvent::BadFrame(e) => StreamEvent::BadFrame(e.to_string()),
            FeedEvent::Heartbeat => StreamEvent::Alive,
            FeedEvent::Closed(reason) => StreamEvent::Closed(reason),
        }
    }

    async fn close(self) {
        self.socket.close().await;
    }
}

impl FeedBroker for UpstoxFeedBroker {
    type Stream = UpstoxStream;

    async fn connect(&self) -> Result<UpstoxStream, BrokerError> {
        let url = self.rest.authorize_feed().await?;
        let socket = UpstoxFeedSocket::connect(&url).await?;
        Ok(UpstoxStream::new(socket, self.mode))
    }

    async fn poll(&self, keys: &[String]) -> Result<Vec<PriceUpdate>, BrokerError> {
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let quotes = self.rest.ltp(&keys).await?;
        Ok(quotes.into_iter().map(PriceUpdate::from).collect())
    }

    fn poll_batch_size(&self) -> usize {
        LTP_KEYS_PER_CALL
    }

    async fn reload_token(&self) -> bool {
        self.rest.take_fresh_token(&self.tokens)
    }

    async fn intraday_minutes(
        &self,
        key: &str,
        _: &InstrumentId,
        _: NaiveDate,
    ) -> Result<Vec<Candle>, BrokerError> {
        // Upstox's intraday call answers for today, by key.
        self.rest.intraday_minutes(key).await
    }
}
