//! Upstox behind the day runner's account checks. It shares its REST client with the order adapter, so a token
//! re-read before the open serves the orders of the day too.

use std::sync::Arc;

use super::rest_client::UpstoxRest;
use chrono::{DateTime, Utc};

use crate::broker::{AccountBroker, BrokerError, PositionReport, Profile, stated_expiry};
use crate::calendar::BrokerDay;
use crate::config::{ConfigError, TokenSource};

pub struct UpstoxAccount {
    rest: Arc<UpstoxRest>,
    tokens: TokenSource,
}

impl UpstoxAccount {
    pub fn new(rest: Arc<UpstoxRest>, tokens: TokenSource) -> Self {
        UpstoxAccount { rest, tokens }
    }
}

impl AccountBroker for UpstoxAccount {
    const LOGIN_COMMAND: &'static str = "dalal login upstox";

    fn reread_token(&self) -> Result<Option<DateTime<Utc>>, ConfigError> {
        let token = self.tokens.read()?;
        let expires = stated_expiry(&token);
        self.rest.set_token(token);
        Ok(expires)
    }

    async fn profile(&self) -> Result<Profile, BrokerError> {
        self.rest.profile().await
    }

    const NAME: &'static str = "Upstox";

    async fn market_days(&self) -> Result<Option<Vec<BrokerDay>>, BrokerError> {
        self.rest.holidays().await.map(Some)
    }

    async fn market_status(&self) -> Result<Option<String>, BrokerError> {
        self.rest.market_status("NSE").await.map(Some)
    }

    async fn positions(&self) -> Result<Vec<PositionReport>, BrokerError> {
        self.rest.positions().await
    }
}
