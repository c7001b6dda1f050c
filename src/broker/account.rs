//! What the day runner needs from a broker outside trading itself: whether the token works (before the open,
//! every day) and what the account holds (to reconcile with the journal). Implemented by each broker.

use std::future::Future;

use chrono::{DateTime, Utc};

use super::{BrokerError, PositionReport, Profile};
use crate::config::ConfigError;

pub trait AccountBroker: Send + Sync + 'static {
    /// The command that renews this broker's token, named wherever a token is found expired or refused.
    const LOGIN_COMMAND: &'static str;

    /// Reads the token again from where it comes from (a trader may have logged in overnight) and uses it;
    /// returns when the token says it expires, if it says.
    fn reread_token(&self) -> Result<Option<DateTime<Utc>>, ConfigError>;

    /// The account behind the token: the cheapest call that proves the token is accepted.
    fn profile(&self) -> impl Future<Output = Result<Profile, BrokerError>> + Send;

    /// Today's positions, keyed by the broker's instrument key.
    fn positions(&self) -> impl Future<Output = Result<Vec<PositionReport>, BrokerError>> + Send;
}
