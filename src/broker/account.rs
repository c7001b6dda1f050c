//! What the day runner needs from a broker outside trading itself: whether the token works (before the open,
//! every day), what the account holds (to reconcile with the journal), and what the broker says of the
//! market's days and status (the calendar's second source). Implemented by each broker.

use std::future::Future;

use chrono::{DateTime, Utc};

use super::{BrokerError, PositionReport, Profile};
use crate::calendar::BrokerDay;
use crate::config::ConfigError;

pub trait AccountBroker: Send + Sync + 'static {
    /// The command that renews this broker's token, named wherever a token is found expired or refused.
    const LOGIN_COMMAND: &'static str;

    /// Reads the token again from where it comes from (a trader may have logged in overnight) and uses it;
    /// returns when the token says it expires, if it says.
    fn reread_token(&self) -> Result<Option<DateTime<Utc>>, ConfigError>;

    /// The account behind the token: the cheapest call that proves the token is accepted.
    fn profile(&self) -> impl Future<Output = Result<Profile, BrokerError>> + Send;

    /// The broker's name as a trader knows it, for messages and the calendar cache.
    const NAME: &'static str;

    /// The current year's NSE closures and special sessions as this broker publishes them; `None` when it
    /// publishes none (the shipped file and the trader's entries then serve alone).
    fn market_days(
        &self,
    ) -> impl Future<Output = Result<Option<Vec<BrokerDay>>, BrokerError>> + Send;

    /// The NSE's session status now in the broker's words (`NORMAL_OPEN` is continuous trading); `None` when
    /// the broker has no such call.
    fn market_status(&self) -> impl Future<Output = Result<Option<String>, BrokerError>> + Send;

    /// Today's positions, keyed by the broker's instrument key.
    fn positions(&self) -> impl Future<Output = Result<Vec<PositionReport>, BrokerError>> + Send;
}
