//! HDFC Sky behind the day runner's account checks. It shares its REST client with the feed and the order
//! adapter, so a token re-read before the open serves the whole day.

use std::sync::Arc;

use super::rest_client::HdfcSkyRest;
use chrono::{DateTime, Utc};

use crate::broker::{AccountBroker, BrokerError, PositionReport, Profile, stated_expiry};
use crate::calendar::BrokerDay;
use crate::config::{ConfigError, ConfigErrorKind, TokenSource};

pub struct HdfcSkyAccount {
    rest: Arc<HdfcSkyRest>,
    tokens: TokenSource,
}

impl HdfcSkyAccount {
    pub fn new(rest: Arc<HdfcSkyRest>, tokens: TokenSource) -> Self {
        HdfcSkyAccount { rest, tokens }
    }
}

impl AccountBroker for HdfcSkyAccount {
    const LOGIN_COMMAND: &'static str = "dalal login hdfcsky";

    fn reread_token(&self) -> Result<Option<DateTime<Utc>>, ConfigError> {
        let token = self.tokens.read()?;
        let expires = stated_expiry(&token);
        self.rest.set_token(token).map_err(|e| ConfigError {
            kind: ConfigErrorKind::MissingSecret,
            file: "HDFC Sky access token".into(),
            key: None,
            line: None,
            problem: e.message,
            fix: format!("log in again with `{}`", Self::LOGIN_COMMAND),
        })?;
        Ok(expires)
    }

    async fn profile(&self) -> Result<Profile, BrokerError> {
        self.rest.profile().await
    }

    const NAME: &'static str = "HDFC Sky";

    /// HDFC Sky's documented API has no holiday list.
    async fn market_days(&self) -> Result<Option<Vec<BrokerDay>>, BrokerError> {
        Ok(None)
    }

    /// Nor a market status call.
    async fn market_status(&self) -> Result<Option<String>, BrokerError> {
        Ok(None)
    }

    async fn positions(&self) -> Result<Vec<PositionReport>, BrokerError> {
        self.rest.positions().await
    }
}
