//! What the day runner needs from a broker outside trading itself: whether the token works (before the open,
//! every day) and what the account holds (to reconcile with the journal). Implemented by each broker.

use std::future::Future;

use super::{BrokerError, PositionReport, Profile};
use crate::config::ConfigError;

pub trait AccountBroker: Send + Sync + 'static {
    /// Reads the token again from where it comes from (a trader may have logged in overnight) and uses it.
    fn reread_token(&self) -> Result<(), ConfigError>;

    /// The account behind the token: the cheapest call that proves the token is accepted.
    fn profile(&self) -> impl Future<Output = Result<Profile, BrokerError>> + Send;

    /// Today's positions, keyed by the broker's instrument key.
    fn positions(&self) -> impl Future<Output = Result<Vec<PositionReport>, BrokerError>> + Send;
}
