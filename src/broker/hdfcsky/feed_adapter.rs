//! HDFC Sky behind the failover feed's traits: each connect builds the session URL from the token in use (so a
//! re-login is picked up at the next reconnect), polling is `fetch-ltp` in tens, a late start's candles come from the chart API, and a 401 is met by re-reading
//! the token from its source. Instrument keys are scrip ids (`NSE_2885`).

use std::sync::Arc;

use chrono::NaiveDate;

use super::feed_socket::{SkyFeedSocket, SubscriptionType, session_url};
use super::rest_client::{HdfcSkyRest, LTP_ITEMS_PER_CALL};
use super::scrip::ScripId;
use crate::broker::{BrokerError, ErrorClass, FeedBroker, FeedStream, PriceUpdate, StreamEvent};
use crate::config::{TokenSource, TokenWatch};
use crate::domain::{Candle, InstrumentId};

pub struct HdfcSkyFeedBroker {
    rest: Arc<HdfcSkyRest>,
    tokens: TokenWatch,
    kind: SubscriptionType,
}

impl HdfcSkyFeedBroker {
    /// `rest` must already hold the token that `tokens` gives now.
    pub fn new(rest: Arc<HdfcSkyRest>, tokens: TokenSource, kind: SubscriptionType) -> Self {
        HdfcSkyFeedBroker {
            rest,
            tokens: TokenWatch::new(tokens),
            kind,
        }
    }
}

pub struct HdfcSkyStream {
    socket: SkyFeedSocket,
    kind: SubscriptionType,
}

impl HdfcSkyStream {
    /// A stream over a connected socket, subscribing with `kind`.
    pub fn new(socket: SkyFeedSocket, kind: SubscriptionType) -> Self {
        HdfcSkyStream { socket, kind }
    }
}

/// The scrip ids behind instrument keys.
pub fn scrips(keys: &[String]) -> Result<Vec<ScripId>, BrokerError> {
    keys.iter()
        .map(|k| {
            k.parse().map_err(|e: super::scrip::ScripIdError| {
                BrokerError::new(ErrorClass::Rejected, "scrip ids", e.to_string())
            })
        })
        .collect()
}

impl FeedStream for HdfcSkyStream {
    async fn subscribe(&mut self, keys: &[String]) -> Result<(), BrokerError> {
        self.socket.subscribe(&scrips(keys)?, self.kind).await
    }

    async fn next_event(&mut self) -> StreamEvent {
        self.socket.next_event().await
    }

    async fn close(self) {
        self.socket.close().await;
    }
}

impl FeedBroker for HdfcSkyFeedBroker {
    type Stream = HdfcSkyStream;

    async fn connect(&self) -> Result<HdfcSkyStream, BrokerError> {
        let token = self.rest.token();
        let url = session_url(self.rest.base(), &token, self.rest.api_key())?;
        let socket = SkyFeedSocket::connect(&url, Some(&token)).await?;
        Ok(HdfcSkyStream::new(socket, self.kind))
    }

    async fn poll(&self, keys: &[String]) -> Result<Vec<PriceUpdate>, BrokerError> {
        let quotes = self.rest.fetch_ltp(&scrips(keys)?).await?;
        Ok(quotes.into_iter().map(PriceUpdate::from).collect())
    }

    fn poll_batch_size(&self) -> usize {
        LTP_ITEMS_PER_CALL
    }

    async fn reload_token(&self) -> bool {
        self.rest.take_fresh_token(&self.tokens)
    }

    async fn intraday_minutes(
        &self,
        _: &str,
        instrument: &InstrumentId,
        today: NaiveDate,
    ) -> Result<Vec<Candle>, BrokerError> {
        // The chart API names instruments by symbol, not by scrip id.
        self.rest.minute_candles(instrument, today).await
    }
}
